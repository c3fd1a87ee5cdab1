import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROUTE_PERMISSIONS, routePermission } from '../../../src/domain/permissions.js';
import { isRole, type Role } from '../../../src/domain/procedure/actors.js';
import { ACTIONS } from '../../../src/domain/procedure/state-machine.js';

/** What the authentication hook decides (src/auth/plugin.ts): any user, a listed role, else refused. */
const mayCall = (role: Role, method: string, url: string) => {
  const p = routePermission(method, url);
  return p === 'any-user' || (p !== undefined && p.includes(role));
};

describe('permission table', () => {
  it('keys are METHOD /api/v1/… or /ogc… in the router’s :param form; entries are any-user or known roles', () => {
    for (const [key, entry] of Object.entries(ROUTE_PERMISSIONS)) {
      expect(key).toMatch(/^(GET|POST|PUT|PATCH|DELETE) (\/api\/v1\/[\w\-/:]+|\/ogc(\/[\w\-/:]+)?)$/);
      expect(key).not.toMatch(/[{}]/);
      if (entry !== 'any-user') {
        expect(entry.length, key).toBeGreaterThan(0);
        for (const r of entry) expect(isRole(r), `${key}: ${r}`).toBe(true);
      }
    }
  });

  it('procedure routes allow exactly the roles of the state machine’s action; reserve audits either audit level', () => {
    expect(routePermission('POST', '/api/v1/procedures/:id/verify')).toEqual(ACTIONS.verify.roles);
    expect(routePermission('POST', '/api/v1/procedures')).toEqual(ACTIONS.apply.roles);
    expect(routePermission('POST', '/api/v1/procedures/:id/reject')).toEqual(ACTIONS.reject.roles);
    expect(routePermission('POST', '/api/v1/audits/:id/results')).toEqual(['city', 'city-natural-resources', 'province-reviewer', 'province-admin', 'province-natural-resources']);
    expect(routePermission('POST', '/api/v1/exports')).toEqual(PERMISSIONS.exportLayers);
  });

  it('HEAD answers as GET; a route not in the table is denied to every role', () => {
    expect(mayCall('township', 'HEAD', '/api/v1/me')).toBe(true);
    expect(mayCall('township', 'GET', '/api/v1/counties/:county/quota')).toBe(false);
    expect(mayCall('city', 'GET', '/api/v1/counties/:county/quota')).toBe(true);
    expect(mayCall('province-admin', 'GET', '/api/v1/not-listed')).toBe(false);
  });
});
