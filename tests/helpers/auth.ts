/**
 * Users and tokens for tests, made through the service's own repository (src/auth/repository.ts),
 * as `npm run users` makes them. Every /api/ route needs a bearer token and nothing adds one by
 * itself: requests name their user (helpers/http.ts, `injectAs(app, user, …)`). `testAdmin` is the
 * province administrator (all of province 36) for tests that are not about jurisdiction; the
 * jurisdiction tests create users per role and code.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createUser, ensureUser, issueToken, userByToken } from '../../src/auth/repository.js';
import { ROLES, type Role } from '../../src/domain/procedure/actors.js';

export const TEST_ADMIN_LOGIN = 'test-province-admin';
/** A fixed token: stored only as its SHA-256, like any other. */
export const TEST_ADMIN_TOKEN = 'zb_test_province_admin_0000000000000000000000000000';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface TestUser {
  id: string;
  login: string;
  role: Role;
  adminCode: string;
  token: string;
  headers: { authorization: string };
}

/** The province-36 administrator with its fixed token (made once, then found). */
export async function testAdmin(pool: pg.Pool): Promise<TestUser> {
  const user = await ensureUser(pool, { login: TEST_ADMIN_LOGIN, name: '测试：省级管理员', role: 'province-admin', adminCode: '360000' });
  if (!(await userByToken(pool, TEST_ADMIN_TOKEN))) await issueToken(pool, user.id, { label: 'tests', token: TEST_ADMIN_TOKEN });
  return { id: user.id, login: user.login, role: user.role, adminCode: user.admin_code, token: TEST_ADMIN_TOKEN, headers: bearer(TEST_ADMIN_TOKEN) };
}

/** Creates a user (login `test-u-…`) with a fresh token. */
export async function createTestUser(pool: pg.Pool, role: Role, code: string, name?: string): Promise<TestUser> {
  const login = `test-u-${role}-${code}-${randomBytes(4).toString('hex')}`;
  const user = await createUser(pool, { login, name: name ?? `测试：${role} ${code}`, role, adminCode: code });
  const token = await issueToken(pool, user.id, { label: 'tests', token: `zb_test_${randomBytes(24).toString('base64url')}` });
  return { id: user.id, login, role, adminCode: user.admin_code, token, headers: bearer(token) };
}

/** Removes the users createTestUser made (their tokens cascade). */
export async function deleteTestUsers(pool: pg.Pool): Promise<void> {
  await pool.query(`DELETE FROM auth.app_user WHERE login LIKE 'test-u-%'`);
}

/** A code of each role's level inside county 361123's chain (township 361123100, city 361100, province 36). */
export const ROLE_CODES: Record<Role, string> = {
  township: '361123100',
  'county-forestry': '361123',
  'county-natural-resources': '361123',
  'county-government': '361123',
  city: '361100',
  'city-natural-resources': '361100',
  'province-reviewer': '360000',
  'province-admin': '360000',
  'province-natural-resources': '360000',
};

/** One test user of every role, each over 361123 or the city or province holding it. */
export async function createUserPerRole(pool: pg.Pool): Promise<Record<Role, TestUser>> {
  const users = {} as Record<Role, TestUser>;
  for (const role of ROLES) users[role] = await createTestUser(pool, role, ROLE_CODES[role]);
  return users;
}
