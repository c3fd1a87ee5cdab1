/**
 * Signing in and out of the web workspace, and setting passwords: the service behind the auth
 * routes and the users CLI (the cookie and CSRF mechanics are in sessions.ts).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type pg from 'pg';
import type { Config } from '../config.js';
import { loginFailed, loginRateLimited } from '../http/errors.js';
import { hashPassword, passwordProblem, verifyDecoy, verifyPassword } from './passwords.js';
import * as repo from './repository.js';
import type { AuthUser } from './scope.js';
import { csrfTokenOf } from './sessions.js';
import { hashToken } from './tokens.js';

export interface SignedIn {
  token: string;
  csrfToken: string;
  user: AuthUser;
  expiresAt: Date;
}

type LoginPolicy = Pick<Config, 'sessionHours' | 'loginMaxFailuresPerLogin' | 'loginMaxFailuresPerAddress' | 'loginWindowMinutes'>;

/**
 * Checks a login and password and opens a session. Every attempt is recorded (auth.login_attempt)
 * and a failure logged; past the failures allowed for the login or the address within the window,
 * attempts are refused (429) without checking the password. An unknown login, a wrong password, a
 * user without a password and a disabled user all get the same answer, after the same scrypt work.
 */
export function signIn(pool: pg.Pool, policy: LoginPolicy, log: FastifyBaseLogger, input: SignInInput): Promise<SignedIn> {
  // Attempts on one login run one after another in this process: a burst of parallel guesses would
  // otherwise all read the failure count before any of them is recorded, and pass the limit together.
  const key = input.login;
  const previous = attemptsInFlight.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => attempt(pool, policy, log, input));
  const settled = run.catch(() => undefined);
  attemptsInFlight.set(key, settled);
  void settled.then(() => {
    if (attemptsInFlight.get(key) === settled) attemptsInFlight.delete(key);
  });
  return run;
}

interface SignInInput {
  login: string;
  password: string;
  clientIp: string;
  userAgent?: string;
}
const attemptsInFlight = new Map<string, Promise<unknown>>();

async function attempt(pool: pg.Pool, policy: LoginPolicy, log: FastifyBaseLogger, input: SignInInput): Promise<SignedIn> {
  const { login, clientIp } = input;
  const failures = await repo.recentFailures(pool, login, clientIp, policy.loginWindowMinutes);
  if (failures.byLogin >= policy.loginMaxFailuresPerLogin || failures.byAddress >= policy.loginMaxFailuresPerAddress) {
    await repo.recordAttempt(pool, { login, clientIp, reason: 'rate-limited' });
    log.warn({ login, clientIp, failures }, 'sign-in refused: too many failures');
    throw loginRateLimited(policy.loginWindowMinutes);
  }
  const row = await repo.credentialOf(pool, login);
  let reason: repo.AttemptReason;
  if (!row) {
    await verifyDecoy(input.password);
    reason = 'unknown-login';
  } else if (row.password === null) {
    await verifyDecoy(input.password);
    reason = 'no-password';
  } else if (!(await verifyPassword(input.password, row.password))) reason = 'wrong-password';
  else reason = row.active ? 'ok' : 'disabled';
  await repo.recordAttempt(pool, { login, clientIp, reason });
  if (reason !== 'ok' || !row) {
    log.warn({ login, clientIp, reason }, 'sign-in failed');
    throw loginFailed();
  }
  const token = `zs_${randomBytes(32).toString('base64url')}`;
  const session = await repo.createSession(pool, { userId: row.id, tokenSha256: hashToken(token), hours: policy.sessionHours, clientIp, userAgent: input.userAgent });
  log.info({ login, clientIp, sessionId: session.id }, 'signed in');
  const found = await repo.userBySession(pool, hashToken(token));
  return { token, csrfToken: csrfTokenOf(token), user: found!.user, expiresAt: session.expiresAt };
}

/** Sets a user's password (CLI); the reason in Chinese when the password is refused. Ends the user's sessions. */
export async function changePassword(pool: pg.Pool, userId: string, password: string): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw new Error(problem);
  await repo.setPassword(pool, userId, await hashPassword(password));
}

/** Ends the session a cookie names; `beforeRevoke` may refuse (a cross-site request). The login it ended, if any. */
export async function signOut(pool: pg.Pool, cookie: string, beforeRevoke: () => void): Promise<{ login: string; sessionId: string } | undefined> {
  const s = await repo.userBySession(pool, hashToken(cookie));
  if (!s) return undefined;
  beforeRevoke();
  await repo.revokeSession(pool, s.sessionId);
  return { login: s.user.login, sessionId: s.sessionId };
}
