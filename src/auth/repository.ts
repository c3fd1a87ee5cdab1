/**
 * Users and tokens. These run in the system context (the service's own role): token lookup happens
 * before any user is known, and the auth schema is not readable by the request role zhanbu_app.
 */
import type pg from 'pg';
import { normaliseAdminCode, type Role } from '../domain/procedure/actors.js';
import { generateToken, hashToken } from './tokens.js';
import { authUser, type AuthUser } from './scope.js';

type Db = pg.Pool | pg.PoolClient;

export interface UserRow {
  id: string;
  login: string;
  display_name: string;
  role: Role;
  admin_code: string;
  active: boolean;
  created_at: Date;
}

/** The active user holding an unrevoked, unexpired token; marks the token used (at most once a minute). */
export async function userByToken(db: Db, token: string): Promise<AuthUser | undefined> {
  const { rows } = await db.query<UserRow & { token_id: string; stale: boolean }>(
    `SELECT u.*, t.id AS token_id, (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale
       FROM auth.api_token t JOIN auth.app_user u ON u.id = t.user_id
      WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.active`,
    [hashToken(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  // Many requests with one token arrive together: the first marks it, the rest neither wait for that
  // row lock nor write again (SKIP LOCKED, and the staleness re-checked on the row).
  if (row.stale) {
    await db.query(
      `UPDATE auth.api_token SET last_used_at = now()
        WHERE id = (SELECT id FROM auth.api_token WHERE id = $1
                       AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                       FOR UPDATE SKIP LOCKED)`,
      [row.token_id],
    );
  }
  return authUser(row);
}

export interface NewUser {
  login: string;
  name: string;
  role: Role;
  adminCode: string;
}

/** Creates a user (the code normalised for the role); throws with a Chinese reason when the code is wrong. */
export async function createUser(db: Db, u: NewUser): Promise<UserRow> {
  const norm = normaliseAdminCode(u.role, u.adminCode);
  if ('error' in norm) throw new Error(norm.error);
  const { rows } = await db.query<UserRow>(
    `INSERT INTO auth.app_user (login, display_name, role, admin_code) VALUES ($1, $2, $3, $4) RETURNING *`,
    [u.login, u.name, u.role, norm.code],
  );
  return rows[0]!;
}

/** Creates the user unless the login exists (then returns it unchanged). */
export async function ensureUser(db: Db, u: NewUser): Promise<UserRow> {
  const existing = await userByLogin(db, u.login);
  return existing ?? createUser(db, u);
}

export async function userByLogin(db: Db, login: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM auth.app_user WHERE login = $1', [login]);
  return rows[0];
}

/** Issues a new token for a user and returns it (the only time it exists in clear). */
export async function issueToken(db: Db, userId: string, opts: { label?: string; expiresAt?: Date; token?: string } = {}): Promise<string> {
  const token = opts.token ?? generateToken();
  await db.query(`INSERT INTO auth.api_token (user_id, token_sha256, label, expires_at) VALUES ($1, $2, $3, $4)`, [
    userId,
    hashToken(token),
    opts.label ?? null,
    opts.expiresAt ?? null,
  ]);
  return token;
}

/** Revokes every token of a user (or only the one with this label). Returns how many. */
export async function revokeTokens(db: Db, userId: string, label?: string): Promise<number> {
  const res = await db.query(
    `UPDATE auth.api_token SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND ($2::text IS NULL OR label = $2)`,
    [userId, label ?? null],
  );
  return res.rowCount ?? 0;
}

export async function setActive(db: Db, userId: string, active: boolean): Promise<void> {
  await db.query('UPDATE auth.app_user SET active = $2 WHERE id = $1', [userId, active]);
}

export async function listUsers(db: Db): Promise<(UserRow & { tokens: number })[]> {
  const { rows } = await db.query<UserRow & { tokens: number }>(
    `SELECT u.*, (SELECT count(*)::int FROM auth.api_token t WHERE t.user_id = u.id AND t.revoked_at IS NULL) AS tokens
       FROM auth.app_user u ORDER BY u.admin_code, u.role, u.login`,
  );
  return rows;
}
