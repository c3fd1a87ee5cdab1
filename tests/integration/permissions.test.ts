/**
 * The permission table (src/domain/permissions.ts): every route of the OpenAPI document has an entry,
 * every role outside a route's entry is refused 403 before the body is read, the roles inside are
 * not refused by it, and an app with a route missing from the table does not start.
 */
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { registerAuth, routesWithoutPermission } from '../../src/auth/plugin.js';
import { ROUTE_PERMISSIONS, routePermission } from '../../src/domain/permissions.js';
import { ROLES, type Role } from '../../src/domain/procedure/actors.js';
import { registerProblemHandler } from '../../src/http/problem.js';
import { buildTestApp } from '../helpers/app.js';
import { createUserPerRole, deleteTestUsers, type TestUser } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { ANONYMOUS, injectAs } from '../helpers/http.js';

const pool = testPool();
let app: App;
let users: Record<Role, TestUser>;

beforeAll(async () => {
  app = await buildTestApp();
  users = await createUserPerRole(pool);
});
afterAll(async () => {
  await app?.close();
  await deleteTestUsers(pool);
  await pool.end();
});

/** Every operation of the OpenAPI document: its route key in Fastify's form, and whether it is public. */
async function operations(): Promise<{ key: string; method: string; url: string; isPublic: boolean }[]> {
  const doc = (await injectAs(app, ANONYMOUS, '/openapi.json')).json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>();
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([m, op]) => {
      const url = path.replace(/\{(\w+)\}/g, ':$1');
      return { key: `${m.toUpperCase()} ${url}`, method: m.toUpperCase(), url, isPublic: Array.isArray(op.security) && op.security.length === 0 };
    }),
  );
}

/** A concrete URL for a route: ids, counties and years filled in (the role is refused before they matter). */
const concrete = (url: string) =>
  url.replace(':county', '361123').replace(':year', '2023').replace(/:(\w*[iI]d)\b/g, '00000000-0000-4000-8000-000000000000');

describe('permission table', () => {
  it('has an entry for every route of the OpenAPI document that is not public, and no entry for a route that does not exist', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(60);
    const missing = ops.filter((o) => !o.isPublic && routePermission(o.method, o.url) === undefined).map((o) => o.key);
    expect(missing).toEqual([]);
    const documented = new Set(ops.map((o) => o.key));
    expect(Object.keys(ROUTE_PERMISSIONS).filter((k) => !documented.has(k))).toEqual([]);
  });

  it('refuses every role outside a route’s entry with 403 role-not-permitted before the body is read; the roles inside pass it', async () => {
    let refused = 0;
    for (const o of await operations()) {
      const entry = routePermission(o.method, o.url);
      if (o.isPublic || entry === undefined) continue;
      for (const role of ROLES) {
        const allowed = entry === 'any-user' || entry.includes(role);
        // A POST carries a body that is not JSON at all: reading it would answer 400, so a 403 came first.
        if (o.method !== 'POST' && allowed) continue;
        const res = await injectAs(app, users[role], {
          method: o.method as 'GET' | 'POST',
          url: concrete(o.url),
          ...(o.method === 'POST' ? { headers: { 'content-type': 'application/json' }, payload: '{not json' } : {}),
        });
        const code = res.headers['content-type']?.toString().includes('problem+json') ? res.json().code : undefined;
        if (allowed) {
          expect({ route: o.key, role, status: res.statusCode }).toEqual({ route: o.key, role, status: 400 });
        } else {
          expect({ route: o.key, role, status: res.statusCode, code }).toEqual({ route: o.key, role, status: 403, code: 'role-not-permitted' });
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('an app with a route missing from the table does not start', async () => {
    expect(routesWithoutPermission([{ method: 'GET', url: '/api/v1/no-entry' }, { method: ['GET', 'HEAD'], url: '/api/v1/me' }, { method: 'GET', url: '/x', config: { public: true } }])).toEqual([
      'GET /api/v1/no-entry: 权限表（src/domain/permissions.ts）中没有这个接口',
    ]);
    expect(routesWithoutPermission([{ method: 'POST', url: '/api/v1/imports', config: { roles: ['township'] } }])).toEqual(['POST /api/v1/imports: config.roles与权限表不一致']);
    const bare = Fastify();
    registerProblemHandler(bare);
    registerAuth(bare, pool);
    bare.get('/api/v1/me', async () => ({}));
    bare.get('/api/v1/not-in-the-table', async () => ({}));
    await expect(bare.ready()).rejects.toThrow(/GET \/api\/v1\/not-in-the-table/);
    await bare.close().catch(() => {});
  });
});
