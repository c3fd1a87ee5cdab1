/**
 * Users and tokens for tests. Every /api/ route needs a bearer token; the app builders of the
 * test helpers (buildTestApp, buildCandidateApp) give requests without an Authorization header the
 * token of a province administrator (`test-province-admin`, all of province 36), so tests that
 * are not about jurisdiction stay as they were. Jurisdiction tests create users per role and code
 * and send their tokens explicitly (`as(token)`), or use `noDefaultToken` to send none.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { App } from '../../src/app.js';
import { hashToken } from '../../src/auth/tokens.js';
import { normaliseAdminCode, type Role } from '../../src/domain/procedure/actors.js';

export const TEST_ADMIN_LOGIN = 'test-province-admin';
/** A fixed token: stored only as its SHA-256, like any other. */
export const TEST_ADMIN_TOKEN = 'zb_test_province_admin_0000000000000000000000000000';

/** Ensures the default province-36 administrator and its token exist; returns the token. */
export async function ensureTestAdmin(pool: pg.Pool): Promise<string> {
  await pool.query(
    `INSERT INTO auth.app_user (login, display_name, role, admin_code) VALUES ($1, '测试：省级管理员', 'province-admin', '360000')
     ON CONFLICT (login) DO NOTHING`,
    [TEST_ADMIN_LOGIN],
  );
  await pool.query(
    `INSERT INTO auth.api_token (user_id, token_sha256, label)
     SELECT id, $2, 'tests' FROM auth.app_user WHERE login = $1 ON CONFLICT (token_sha256) DO NOTHING`,
    [TEST_ADMIN_LOGIN, hashToken(TEST_ADMIN_TOKEN)],
  );
  return TEST_ADMIN_TOKEN;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A marker header: requests carrying it are sent without any Authorization header. */
export const noDefaultToken = { 'x-test-no-default-token': '1' };

/** Makes app.inject add `Authorization: Bearer <token>` to requests that carry none. */
export function withDefaultToken<T extends App>(app: T, token: string): T {
  const inject = app.inject.bind(app) as (opts?: unknown) => unknown;
  const patched = (opts?: unknown) => {
    if (opts === undefined) return inject();
    const o: Record<string, unknown> = typeof opts === 'string' ? { method: 'GET', url: opts } : { ...(opts as Record<string, unknown>) };
    const headers = { ...((o.headers as Record<string, string> | undefined) ?? {}) };
    const names = Object.keys(headers).map((h) => h.toLowerCase());
    if (names.includes('x-test-no-default-token')) {
      for (const h of Object.keys(headers)) if (h.toLowerCase() === 'x-test-no-default-token') delete headers[h];
    } else if (!names.includes('authorization') && !names.includes('x-api-key')) {
      headers.authorization = `Bearer ${token}`;
    }
    return inject({ ...o, headers });
  };
  (app as unknown as { inject: unknown }).inject = patched;
  return app;
}

export interface TestUser {
  id: string;
  login: string;
  role: Role;
  adminCode: string;
  token: string;
  headers: { authorization: string };
}

/** Creates a user (login `test-u-…`) with a fresh token. */
export async function createTestUser(pool: pg.Pool, role: Role, code: string, name?: string): Promise<TestUser> {
  const norm = normaliseAdminCode(role, code);
  if ('error' in norm) throw new Error(norm.error);
  const login = `test-u-${role}-${norm.code}-${randomBytes(4).toString('hex')}`;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO auth.app_user (login, display_name, role, admin_code) VALUES ($1, $2, $3, $4) RETURNING id`,
    [login, name ?? `测试：${role} ${norm.code}`, role, norm.code],
  );
  const token = `zb_test_${randomBytes(24).toString('base64url')}`;
  await pool.query(`INSERT INTO auth.api_token (user_id, token_sha256, label) VALUES ($1, $2, 'tests')`, [rows[0]!.id, hashToken(token)]);
  return { id: rows[0]!.id, login, role, adminCode: norm.code, token, headers: bearer(token) };
}

/** Removes the users createTestUser made (their tokens cascade). */
export async function deleteTestUsers(pool: pg.Pool): Promise<void> {
  await pool.query(`DELETE FROM auth.app_user WHERE login LIKE 'test-u-%'`);
}
