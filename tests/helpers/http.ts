/**
 * Requests of the integration tests, always as someone: `injectAs(app, user, …)` sends the user's
 * token, `ANONYMOUS` none. (The app is never patched to add a token by itself: a test that forgets
 * who it acts as fails with 401 instead of silently running as an administrator.)
 */
import type { InjectOptions } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';

/** Whoever a request is sent as: a test user (helpers/auth.ts), or ANONYMOUS. */
export interface Caller {
  readonly headers: Readonly<Record<string, string>>;
}

/** No token at all. */
export const ANONYMOUS: Caller = { headers: {} };

export type Response = Awaited<ReturnType<App['inject']>>;

/** app.inject as `who`: their Authorization header, then the request's own headers (content type, a test's malformed token…). */
export function injectAs(app: App, who: Caller, opts: InjectOptions | string): Promise<Response> {
  const o: InjectOptions = typeof opts === 'string' ? { method: 'GET', url: opts } : opts;
  return app.inject({ ...o, headers: { ...who.headers, ...(o.headers as Record<string, string> | undefined) } });
}

/**
 * `get(user, url)`, `post(user, url, body)` and `inject(user, opts)` on an app built in beforeAll
 * (hence the getter): `const { get, post } = requestsTo(() => app);`.
 */
export function requestsTo(app: () => App) {
  return {
    inject: (who: Caller, opts: InjectOptions | string) => injectAs(app(), who, opts),
    get: (who: Caller, url: string) => injectAs(app(), who, { method: 'GET', url }),
    post: (who: Caller, url: string, payload: object = {}) => injectAs(app(), who, { method: 'POST', url, payload }),
  };
}

/** Expects the status (200 unless told) and returns the JSON body; the body is the message when it differs. */
export async function ok(res: Response | Promise<Response>, status = 200) {
  const r = await res;
  expect(r.statusCode, r.body).toBe(status);
  return r.json();
}

/** Asserts an RFC 9457 problem answer with the given status and code; returns the body. */
export function expectProblem(res: Pick<Response, 'statusCode' | 'headers' | 'json'>, status: number, code: string) {
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  const body = res.json();
  expect({ status: res.statusCode, code: body.code }).toEqual({ status, code });
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  expect(body.detail).toMatch(/[\u4e00-\u9fff]/); // a Chinese sentence for the user
  return body;
}
