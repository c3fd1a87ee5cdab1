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

// ---------------------------------------------------------------- passwords, sessions, sign-in attempts (migrations/0019)

/** Sets (or replaces) a user's password hash and ends the user's sessions: a new password signs everyone out. */
export async function setPassword(db: pg.Pool, userId: string, hash: string): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO auth.credential (user_id, password) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET password = EXCLUDED.password, set_at = now()`,
      [userId, hash],
    );
    await client.query(`UPDATE auth.session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

/** The user of a login with its password hash (null when none was set). */
export async function credentialOf(db: Db, login: string): Promise<(UserRow & { password: string | null }) | undefined> {
  const { rows } = await db.query<UserRow & { password: string | null }>(
    `SELECT u.*, c.password FROM auth.app_user u LEFT JOIN auth.credential c ON c.user_id = u.id WHERE u.login = $1`,
    [login],
  );
  return rows[0];
}

export type AttemptReason = 'ok' | 'unknown-login' | 'wrong-password' | 'no-password' | 'disabled' | 'rate-limited';

export async function recordAttempt(db: Db, a: { login: string; clientIp: string; reason: AttemptReason }): Promise<void> {
  await db.query(`INSERT INTO auth.login_attempt (login, client_ip, succeeded, reason) VALUES ($1, $2, $3, $4)`, [
    a.login.slice(0, 200),
    a.clientIp,
    a.reason === 'ok',
    a.reason,
  ]);
}

/** Failed attempts (refusals for the rate limit itself not counted) of a login and of an address within the window. */
export async function recentFailures(db: Db, login: string, clientIp: string, windowMinutes: number): Promise<{ byLogin: number; byAddress: number }> {
  const { rows } = await db.query<{ by_login: number; by_address: number }>(
    `SELECT count(*) FILTER (WHERE login = $1)::int AS by_login, count(*) FILTER (WHERE client_ip = $2)::int AS by_address
       FROM auth.login_attempt
      WHERE NOT succeeded AND reason <> 'rate-limited' AND at > now() - make_interval(mins => $3) AND (login = $1 OR client_ip = $2)`,
    [login.slice(0, 200), clientIp, windowMinutes],
  );
  return { byLogin: rows[0]?.by_login ?? 0, byAddress: rows[0]?.by_address ?? 0 };
}

export async function createSession(db: Db, s: { userId: string; tokenSha256: string; hours: number; clientIp: string; userAgent?: string }): Promise<{ id: string; expiresAt: Date }> {
  const { rows } = await db.query<{ id: string; expires_at: Date }>(
    `INSERT INTO auth.session (user_id, token_sha256, expires_at, client_ip, user_agent)
     VALUES ($1, $2, now() + make_interval(hours => $3), $4, $5) RETURNING id, expires_at`,
    [s.userId, s.tokenSha256, s.hours, s.clientIp, s.userAgent?.slice(0, 300) ?? null],
  );
  return { id: rows[0]!.id, expiresAt: rows[0]!.expires_at };
}

export interface SessionUser {
  user: AuthUser;
  sessionId: string;
  expiresAt: Date;
}

/** The active user of an unrevoked, unexpired session; marks the session seen (at most once a minute). */
export async function userBySession(db: Db, tokenSha256: string): Promise<SessionUser | undefined> {
  const { rows } = await db.query<UserRow & { session_id: string; expires_at: Date; stale: boolean }>(
    `SELECT u.*, s.id AS session_id, s.expires_at, (s.last_seen_at IS NULL OR s.last_seen_at < now() - interval '1 minute') AS stale
       FROM auth.session s JOIN auth.app_user u ON u.id = s.user_id
      WHERE s.token_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active`,
    [tokenSha256],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) {
    await db.query(
      `UPDATE auth.session SET last_seen_at = now()
        WHERE id = (SELECT id FROM auth.session WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < now() - interval '1 minute') FOR UPDATE SKIP LOCKED)`,
      [row.session_id],
    );
  }
  return { user: authUser(row), sessionId: row.session_id, expiresAt: row.expires_at };
}

export async function revokeSession(db: Db, sessionId: string): Promise<void> {
  await db.query(`UPDATE auth.session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [sessionId]);
}

/** Ends every open session of a user. Returns how many. */
export async function revokeSessions(db: Db, userId: string): Promise<number> {
  const res = await db.query(`UPDATE auth.session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  return res.rowCount ?? 0;
}
