/**
 * Sign-in for the web workspace (issue 13 item 2): login and password → an HttpOnly, SameSite=Strict
 * session cookie beside the bearer tokens; CSRF on state-changing cookie requests (Origin and
 * X-CSRF-Token); expiry, sign-out and revocation; failed sign-ins refused alike, logged and
 * rate-limited. Every hostile case sits next to the happy one.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { changePassword } from '../../src/auth/service.js';
import { revokeSessions, setActive } from '../../src/auth/repository.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, deleteTestUsers, type TestUser } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { ANONYMOUS, expectProblem, injectAs, type Response } from '../helpers/http.js';

const pool = testPool();
let app: App;
let county: TestUser;
let township: TestUser;
const PASSWORD = '玉山县林业局-测试密码';
/** light-my-request's Host is localhost:80: the workspace's own origin as the service sees it. */
const ORIGIN = 'http://localhost:80';

beforeAll(async () => {
  app = await buildTestApp();
  county = await createTestUser(pool, 'county-forestry', '361123');
  township = await createTestUser(pool, 'township', '361123100');
  await changePassword(pool, county.id, PASSWORD);
  await changePassword(pool, township.id, PASSWORD);
});
beforeEach(async () => {
  await pool.query(`DELETE FROM auth.login_attempt`);
});
afterAll(async () => {
  await app?.close();
  await deleteTestUsers(pool);
  await pool.query(`DELETE FROM auth.login_attempt`);
  await pool.end();
});

const login = (l: string, password: string, headers: Record<string, string> = { origin: ORIGIN }) =>
  injectAs(app, ANONYMOUS, { method: 'POST', url: '/api/v1/auth/login', payload: { login: l, password }, headers });

/** The session cookie a sign-in set, as a Cookie header. */
function cookieOf(res: Response): { cookie: string } {
  const set = String(res.headers['set-cookie']);
  const m = /^(zhanbu_session=zs_[A-Za-z0-9_-]+);/.exec(set);
  expect(m, set).not.toBeNull();
  return { cookie: m![1]! };
}

async function signedIn(user: TestUser) {
  const res = await login(user.login, PASSWORD);
  expect(res.statusCode, res.body).toBe(200);
  return { ...cookieOf(res), csrf: res.json().session.csrfToken as string };
}

describe('sign-in', () => {
  it('gives an HttpOnly, SameSite=Strict session cookie with an expiry, stored only as its SHA-256; the cookie then authenticates', async () => {
    const res = await login(county.login, PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ login: county.login, role: 'county-forestry', roleLabel: '县级林业主管部门', scopePrefix: '361123' });
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\//);
    expect(Number(/Max-Age=(\d+)/.exec(set)?.[1])).toBe(8 * 3600);
    expect(set).not.toMatch(/Secure/); // plain HTTP here; Secure over HTTPS
    expect(res.headers['cache-control']).toBe('no-store'); // the answer carries the CSRF token
    const { cookie } = cookieOf(res);
    const me = await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ login: county.login, session: { csrfToken: res.json().session.csrfToken } });
    expect(me.headers['cache-control']).toBe('no-store');
    const { rows } = await pool.query(`SELECT token_sha256 FROM auth.session WHERE user_id = $1`, [county.id]);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(cookie).not.toContain(r.token_sha256);
    // The password is kept as a scrypt hash, apart from the audited user row.
    const cred = await pool.query(`SELECT password FROM auth.credential WHERE user_id = $1`, [county.id]);
    expect(cred.rows[0].password).toMatch(/^scrypt\$/);
    const audit = await pool.query(`SELECT count(*)::int AS n FROM audit.event WHERE data::text LIKE '%scrypt$%'`);
    expect(audit.rows[0].n).toBe(0);
    // A bearer token answers as before, without a session.
    expect((await injectAs(app, county, '/api/v1/me')).json().session).toBeNull();
  });

  it('refuses a wrong password and an unknown login alike, in Chinese, logs both, and sets no cookie', async () => {
    for (const [l, p] of [[county.login, 'wrong-password'], ['nobody-here', PASSWORD], [county.login, `${PASSWORD} `]] as const) {
      const res = await login(l, p);
      const body = expectProblem(res, 401, 'login-failed');
      expect(body.detail).toBe('登录名或密码错误');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const { rows } = await pool.query(`SELECT login, reason, succeeded FROM auth.login_attempt ORDER BY id`);
    expect(rows).toEqual([
      { login: county.login, reason: 'wrong-password', succeeded: false },
      { login: 'nobody-here', reason: 'unknown-login', succeeded: false },
      { login: county.login, reason: 'wrong-password', succeeded: false },
    ]);
  });

  it('refuses a disabled user or one without a password with the same answer', async () => {
    const noPassword = await createTestUser(pool, 'county-forestry', '361123');
    expectProblem(await login(noPassword.login, PASSWORD), 401, 'login-failed');
    const disabled = await createTestUser(pool, 'county-forestry', '361123');
    await changePassword(pool, disabled.id, PASSWORD);
    await setActive(pool, disabled.id, false);
    expectProblem(await login(disabled.login, PASSWORD), 401, 'login-failed');
    const reasons = (await pool.query(`SELECT reason FROM auth.login_attempt ORDER BY id`)).rows.map((r) => r.reason);
    expect(reasons).toEqual(['no-password', 'disabled']);
  });

  it('rate-limits failures per login: after 5 failures even the right password is refused (429) until the window passes', async () => {
    for (let i = 0; i < 5; i++) expectProblem(await login(county.login, `wrong-${i}-password`), 401, 'login-failed');
    const limited = await login(county.login, PASSWORD);
    const body = expectProblem(limited, 429, 'login-rate-limited');
    expect(body.detail).toBe('登录失败次数过多，请15分钟后再试');
    expect(limited.headers['set-cookie']).toBeUndefined();
    // Another login from the same address is not locked out by these five.
    expect((await login(township.login, PASSWORD)).statusCode).toBe(200);
    // The window passes: the failures age out, and the right password works again.
    await pool.query(`UPDATE auth.login_attempt SET at = at - interval '16 minutes'`);
    expect((await login(county.login, PASSWORD)).statusCode).toBe(200);
  });

  it('holds the limit under a burst: 12 parallel wrong guesses record 5 failures, the rest are refused unchecked', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(county.login, `burst-guess-${i}`)));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
    const { rows } = await pool.query(`SELECT reason, count(*)::int AS n FROM auth.login_attempt WHERE login = $1 GROUP BY reason ORDER BY reason`, [county.login]);
    expect(rows).toEqual([{ reason: 'rate-limited', n: 7 }, { reason: 'wrong-password', n: 5 }]);
  });

  it('rate-limits failures per address across logins (20 within the window)', async () => {
    for (let i = 0; i < 20; i++) await pool.query(`INSERT INTO auth.login_attempt (login, client_ip, succeeded, reason) VALUES ($1, '127.0.0.1', false, 'unknown-login')`, [`guess-${i}`]);
    expectProblem(await login(county.login, PASSWORD), 429, 'login-rate-limited');
  });

  it('refuses a sign-in posted from another site (login CSRF), and a body with unknown fields', async () => {
    expectProblem(await login(county.login, PASSWORD, { origin: 'https://evil.example' }), 403, 'csrf-refused');
    const extra = await injectAs(app, ANONYMOUS, { method: 'POST', url: '/api/v1/auth/login', payload: { login: county.login, password: PASSWORD, role: 'province-admin' }, headers: { origin: ORIGIN } });
    expect(extra.statusCode).toBe(400);
    // A client that names no origin at all (curl) may sign in.
    expect((await login(county.login, PASSWORD, {})).statusCode).toBe(200);
  });
});

describe('CSRF on state-changing requests under the session cookie', () => {
  const missingUpload = '00000000-0000-4000-8000-000000000000';
  const post = (headers: Record<string, string>) =>
    injectAs(app, ANONYMOUS, { method: 'POST', url: `/api/v1/candidate-uploads/${missingUpload}/check-runs`, payload: {}, headers });

  it('passes with the same Origin and the session’s X-CSRF-Token; refuses a missing or foreign Origin, a missing or wrong token (403, before the route runs)', async () => {
    const { cookie, csrf } = await signedIn(county);
    // Control: with both, the request reaches the route (which finds no such upload).
    const passed = await post({ cookie, origin: ORIGIN, 'x-csrf-token': csrf });
    expect(passed.json().code, passed.body).toMatch(/not-found/);
    const refused: Record<string, string>[] = [
      { cookie, 'x-csrf-token': csrf }, // no Origin, no Referer
      { cookie, origin: 'https://evil.example', 'x-csrf-token': csrf },
      { cookie, origin: 'null', 'x-csrf-token': csrf },
      { cookie, referer: 'https://evil.example/page', 'x-csrf-token': csrf },
      { cookie, origin: ORIGIN }, // no token
      { cookie, origin: ORIGIN, 'x-csrf-token': csrf.slice(0, -2) + 'xx' },
      { cookie, origin: ORIGIN, 'x-csrf-token': (await signedIn(township)).csrf }, // another session's token
    ];
    for (const headers of refused) {
      const body = expectProblem(await post(headers), 403, 'csrf-refused');
      expect(body.detail).toMatch(/拒绝/);
    }
    // A same-origin Referer stands in for a missing Origin.
    expect((await post({ cookie, referer: `${ORIGIN}/#/upload`, 'x-csrf-token': csrf })).json().code).toMatch(/not-found/);
    // Reads need no token; a bearer token needs none either (no browser sends it by itself).
    expect((await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
    expect((await injectAs(app, county, { method: 'POST', url: `/api/v1/candidate-uploads/${missingUpload}/check-runs`, payload: {} })).json().code).toMatch(/not-found/);
  });

  it('the cookie carries the user’s role and jurisdiction: a township may not import, nor a county user read another county', async () => {
    const t = await signedIn(township);
    const imp = await injectAs(app, ANONYMOUS, { method: 'POST', url: '/api/v1/imports', headers: { cookie: t.cookie, origin: ORIGIN, 'x-csrf-token': t.csrf, 'content-type': 'application/json' }, payload: '{}' });
    expectProblem(imp, 403, 'role-not-permitted');
    const c = await signedIn(county);
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/counties/360111/reserve', headers: { cookie: c.cookie } }), 403, 'out-of-jurisdiction');
    expect((await injectAs(app, ANONYMOUS, { url: '/api/v1/counties/361123/reserve', headers: { cookie: c.cookie } })).statusCode).toBe(200);
  });
});

describe('session end', () => {
  it('sign-out revokes the session and clears the cookie; the cookie is refused afterwards (401 session-invalid)', async () => {
    const { cookie, csrf } = await signedIn(county);
    // Sign-out under the cookie needs the CSRF proof too: another site cannot sign the user out.
    expectProblem(await injectAs(app, ANONYMOUS, { method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, origin: 'https://evil.example' } }), 403, 'csrf-refused');
    expect((await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
    const out = await injectAs(app, ANONYMOUS, { method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, origin: ORIGIN, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/zhanbu_session=;.*Max-Age=0/);
    const after = await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie } });
    expect(expectProblem(after, 401, 'session-invalid').detail).toBe('登录已过期或已注销，请重新登录');
    expect(String(after.headers['set-cookie'])).toMatch(/Max-Age=0/);
    // Signing out without a session is harmless.
    expect((await injectAs(app, ANONYMOUS, { method: 'POST', url: '/api/v1/auth/logout' })).statusCode).toBe(204);
  });

  it('an expired session, a revoked one, a new password and a disabled user each end the cookie', async () => {
    const expired = await signedIn(county);
    await pool.query(`UPDATE auth.session SET created_at = now() - interval '9 hours', expires_at = now() - interval '1 hour' WHERE token_sha256 = encode(sha256(convert_to($1, 'UTF8')), 'hex')`, [
      expired.cookie.split('=')[1],
    ]);
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie: expired.cookie } }), 401, 'session-invalid');

    const revoked = await signedIn(county);
    expect(await revokeSessions(pool, county.id)).toBeGreaterThan(0);
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie: revoked.cookie } }), 401, 'session-invalid');

    const repassworded = await signedIn(county);
    await changePassword(pool, county.id, PASSWORD);
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie: repassworded.cookie } }), 401, 'session-invalid');

    const u = await createTestUser(pool, 'county-forestry', '361123');
    await changePassword(pool, u.id, PASSWORD);
    const s = await signedIn(u);
    await setActive(pool, u.id, false);
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie: s.cookie } }), 401, 'session-invalid');
    // A cookie that was never issued, and one of the wrong form.
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie: `zhanbu_session=zs_${'A'.repeat(43)}` } }), 401, 'session-invalid');
    expectProblem(await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { cookie: 'zhanbu_session=garbage' } }), 401, 'unauthenticated');
  });

  it('refuses a password that breaks the rules, in Chinese', async () => {
    await expect(changePassword(pool, county.id, 'short')).rejects.toThrow('密码至少10个字符');
  });
});
