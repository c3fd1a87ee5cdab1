/**
 * Browser sessions of the web workspace, beside the API's bearer tokens: sign-in with login and
 * password gives an HttpOnly, SameSite=Strict cookie naming a session row (its SHA-256 only).
 * A state-changing request authenticated by the cookie must prove it came from the workspace
 * itself: its Origin (or, failing that, Referer) is this service's, and it carries the session's
 * CSRF token in `X-CSRF-Token` — an HMAC of the cookie, which a page of another origin can neither
 * read nor compute. Bearer-token requests need neither: a token is never sent by a browser on its own.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { csrfRefused } from '../http/errors.js';

export const SESSION_COOKIE = 'zhanbu_session';
export const CSRF_HEADER = 'x-csrf-token';

/** The session cookie's value, if the request carries one of the right form. */
export function sessionCookieOf(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return /^zs_[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

/** The CSRF token of a session: derived from the cookie, so nothing more is stored and it dies with the session. */
export const csrfTokenOf = (sessionToken: string): string => createHmac('sha256', sessionToken).update('zhanbu-csrf').digest('base64url');

const isHttps = (req: FastifyRequest) => req.protocol === 'https';

/** Set-Cookie for a new session (Secure when served over HTTPS; a plain-HTTP intranet host would otherwise never get it back). */
export function setSessionCookie(reply: FastifyReply, req: FastifyRequest, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000));
  void reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${isHttps(req) ? '; Secure' : ''}`);
}

export function clearSessionCookie(reply: FastifyReply, req: FastifyRequest): void {
  void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${isHttps(req) ? '; Secure' : ''}`);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const changesState = (req: FastifyRequest) => !SAFE_METHODS.has(req.method);

/** The origin the request names (Origin, else Referer's origin); undefined when it names none. */
function claimedOrigin(req: FastifyRequest): string | undefined {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') return origin;
  if (origin === 'null') return 'null';
  const referer = req.headers.referer;
  if (typeof referer === 'string' && URL.canParse(referer)) return new URL(referer).origin;
  return undefined;
}

/** True when a claimed origin is this service's own (scheme and Host header as the request arrived). */
function sameOrigin(req: FastifyRequest, origin: string): boolean {
  const own = `${req.protocol}://${req.headers.host ?? ''}`;
  // Compared as parsed origins: `http://host:80` and `http://host` are one origin.
  return URL.canParse(origin) && URL.canParse(own) && new URL(origin).origin === new URL(own).origin;
}

/** Sign-in: an Origin of another site is refused (login CSRF); a client that names none (curl) may sign in. */
export function refuseForeignOrigin(req: FastifyRequest): void {
  const origin = claimedOrigin(req);
  if (origin !== undefined && !sameOrigin(req, origin)) throw csrfRefused(`请求来源${origin}不是本系统，已拒绝`);
}

/** A state-changing request under cookie authentication: same origin required, and the session's CSRF token. */
export function checkCsrf(req: FastifyRequest, sessionToken: string): void {
  const origin = claimedOrigin(req);
  if (origin === undefined) throw csrfRefused('请求未说明来源（Origin），使用登录会话的修改操作已拒绝；请从工作台页面操作');
  if (!sameOrigin(req, origin)) throw csrfRefused(`请求来源${origin}不是本系统，已拒绝`);
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sent) throw csrfRefused('请求缺少防跨站令牌（X-CSRF-Token），已拒绝；请刷新页面后重试');
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const given = Buffer.from(sent);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw csrfRefused('防跨站令牌（X-CSRF-Token）与当前登录会话不符，已拒绝；请刷新页面后重试');
}
