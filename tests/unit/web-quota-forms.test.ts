/**
 * The 年度总结 and 省级统筹 views' forms (web/src/quota.ts) against their routes' request schemas:
 * 上报 (src/ledger/schemas.ts), 申请 and 分配 (src/quota/schemas.ts). Each body is one the route
 * accepts, with no property it does not know; the area is sent in 亩 as typed, so it stays exact.
 */
import { Value } from 'typebox/value';
import type { TSchema } from '@fastify/type-provider-typebox';
import { describe, expect, it } from 'vitest';
import { allocateBody, canAllocatePool, canRequestPool, canSubmitSummary, poolRequestBody, submitBody, sumMu } from '../../web/src/quota.js';
import { SubmitAnnualSummaryRoute } from '../../src/ledger/schemas.js';
import { AllocateRoute, PoolRequestRoute } from '../../src/quota/schemas.js';
import { PERMISSIONS } from '../../src/domain/permissions.js';
import { ROLES } from '../../src/domain/procedure/actors.js';

function expectAccepted(schema: TSchema, body: Record<string, unknown>) {
  expect([...Value.Errors(schema, body)].map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
  const known = Object.keys((schema as { properties: Record<string, unknown> }).properties);
  expect(Object.keys(body).filter((k) => !known.includes(k))).toEqual([]);
}

describe('the 年度总结 and 省级统筹 forms send what the API accepts', () => {
  it('上报: with a date, or none (today)', () => {
    expectAccepted(SubmitAnnualSummaryRoute.body, submitBody('2026-01-08'));
    expect(submitBody(null)).toEqual({});
    expectAccepted(SubmitAnnualSummaryRoute.body, submitBody(''));
  });

  it('申请: county, quota year, the area in 亩 as typed (exact), the purpose trimmed', () => {
    const body = poolRequestBody({ county: ' 361123 ', quotaYear: 2024, mu: ' 12.345678 ', purpose: ' 玉山县重点项目 ' });
    expect(body).toEqual({ county: '361123', quotaYear: 2024, area: { unit: 'mu', value: '12.345678' }, purpose: '玉山县重点项目' });
    expectAccepted(PoolRequestRoute.body, body);
  });

  it('分配: the quota year', () => {
    expectAccepted(AllocateRoute.body, allocateBody(2024));
  });

  it('offers each action to the roles the API permits', () => {
    const me = (role: string) => ({ role });
    for (const r of ROLES) {
      expect(canSubmitSummary(me(r)), r).toBe((PERMISSIONS.annualSummary as readonly string[]).includes(r));
      expect(canRequestPool(me(r)), r).toBe((PERMISSIONS.requestPool as readonly string[]).includes(r));
      expect(canAllocatePool(me(r)), r).toBe((PERMISSIONS.allocatePool as readonly string[]).includes(r));
    }
  });

  it('sums 亩 exactly before rounding', () => {
    const a = { m2: 0, mu: 0.0001, hectare: 0, muExact: '0.000050' };
    expect(sumMu([a, a, a])).toBe(0.00015);
  });
});
