import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { coversCounty, ROLE_LABELS, type Role } from '../domain/procedure/actors.js';
import { routePermission, type RoutePermission } from '../domain/permissions.js';
import { authorizationMalformed, outOfJurisdiction, roleNotPermitted, sessionInvalid, tokenInvalid, unauthenticated } from '../http/errors.js';
import { userBySession, userByToken, type SessionUser } from './repository.js';
import { changesState, checkCsrf, clearSessionCookie, csrfTokenOf, sessionCookieOf } from './sessions.js';
import { hashToken } from './tokens.js';
import type { AuthUser } from './scope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user: set before any handler of a route that is not public (see registerAuth). */
    auth: AuthUser | null;
    /** Set when the request was authenticated by the workspace's session cookie rather than a token. */
    session: { id: string; csrfToken: string; expiresAt: Date } | null;
  }
  interface FastifyContextConfig {
    /** The route answers without a user (/health, /docs, /openapi.json). Every other route needs one. */
    public?: boolean;
    /**
     * Roles allowed on the route. The permission table (src/domain/permissions.ts) decides; a route
     * that still states its roles here must state the same ones (checked at start).
     */
    roles?: readonly Role[];
    /** What the route does, for the refusal (“导入调查图层只能由…办理”). */
    action?: string;
  }
}

// Who may call what lives in the domain; re-exported for the services that check finer rules with it.
export { PERMISSIONS } from '../domain/permissions.js';

/** The token from `Authorization: Bearer …` or `X-API-Key: …`, if any. */
export function tokenOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.trim()) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) throw authorizationMalformed();
    return m[1];
  }
  const k = req.headers['x-api-key'];
  return typeof k === 'string' && k.trim() ? k.trim() : undefined;
}

/** The routes that need a user and have no entry in the permission table (or a `config.roles` that disagrees with it). */
export function routesWithoutPermission(routes: readonly { method: string | string[]; url: string; config?: { public?: boolean; roles?: readonly Role[] } }[]): string[] {
  const missing: string[] = [];
  for (const r of routes) {
    if (r.config?.public === true) continue;
    for (const method of ([] as string[]).concat(r.method)) {
      const entry = routePermission(method, r.url);
      if (entry === undefined) missing.push(`${method} ${r.url}: 权限表（src/domain/permissions.ts）中没有这个接口`);
      else if (r.config?.roles && !sameRoles(r.config.roles, entry)) missing.push(`${method} ${r.url}: config.roles与权限表不一致`);
    }
  }
  return missing;
}

const sameRoles = (roles: readonly Role[], entry: RoutePermission) =>
  entry !== 'any-user' && roles.length === entry.length && roles.every((r) => entry.includes(r));

/**
 * Deny by default, decided on the matched route (never on the raw URL, which the router decodes:
 * `/%61pi/v1/exports` is the route `/api/v1/exports`): every route needs a valid token unless its
 * options say `config: { public: true }`; the route's entry in the permission table
 * (src/domain/permissions.ts) is checked here too, so a wrong role is refused before the body is
 * read. A route that needs a user but has no entry stops the app at start (onReady), and is refused
 * to everyone should one slip through. Unknown URLs fall to the 404 handler without a token.
 * Without a token, the web workspace's session cookie (src/auth/sessions.ts) authenticates instead,
 * and a state-changing request under it must pass the CSRF check (Origin and X-CSRF-Token).
 * 401 problem+json when the token is missing, unknown, revoked or expired. Then any request naming
 * a county outside the user's jurisdiction in its path, query or JSON body (`:county`, `?county=`,
 * `{"county": …}`) is refused with 403 — whatever the route, so no route can forget it.
 * Rows addressed by id are confined by row-level security (src/auth/scope.ts): invisible → 404.
 */
export function registerAuth(app: FastifyInstance, pool: pg.Pool): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('session', null);
  // Requests that arrive together with one token share one look-up (nothing is cached past it, so a
  // revoked token is refused from the next request on): a burst of 200 calls is one query, not 200.
  const inFlight = new Map<string, Promise<AuthUser | undefined>>();
  const lookUp = (token: string): Promise<AuthUser | undefined> => {
    let p = inFlight.get(token);
    if (!p) {
      p = userByToken(pool, token).finally(() => inFlight.delete(token));
      inFlight.set(token, p);
    }
    return p;
  };
  const sessionsInFlight = new Map<string, Promise<SessionUser | undefined>>();
  const lookUpSession = (cookie: string): Promise<SessionUser | undefined> => {
    const key = hashToken(cookie);
    let p = sessionsInFlight.get(key);
    if (!p) {
      p = userBySession(pool, key).finally(() => sessionsInFlight.delete(key));
      sessionsInFlight.set(key, p);
    }
    return p;
  };
  // The OpenAPI document states the same rule the hook enforces: public routes need no token,
  // role-restricted ones name their roles.
  const routes: { method: string | string[]; url: string; config?: { public?: boolean; roles?: readonly Role[] } }[] = [];
  app.addHook('onRoute', (route) => {
    // Kept by reference: a plugin's own onRoute hook may still mark its routes public (the API explorer's do).
    routes.push(route);
    const config = route.config;
    if (!route.schema) return;
    const entry = routePermission(([] as string[]).concat(route.method)[0]!, route.url);
    if (config?.public) route.schema = { ...route.schema, security: [] };
    else if (entry && entry !== 'any-user') {
      const who = `仅限：${entry.map((r) => ROLE_LABELS[r]).join('、')}。`;
      route.schema = { ...route.schema, description: route.schema.description ? `${route.schema.description}\n\n${who}` : who };
    }
  });
  // A route added without saying who may call it fails fast, at start, rather than answer anyone.
  app.addHook('onReady', async () => {
    const missing = routesWithoutPermission(routes);
    if (missing.length) throw new Error(`接口缺少权限表条目：\n  ${missing.join('\n  ')}`);
  });
  app.addHook('onRequest', async (req, reply) => {
    if (req.is404 || req.routeOptions.config?.public === true) return;
    const token = tokenOf(req);
    // No token: the workspace's session cookie, if any (a token, when sent, always decides).
    const cookie = token ? undefined : sessionCookieOf(req);
    if (cookie) {
      const s = await lookUpSession(cookie);
      if (!s) {
        clearSessionCookie(reply, req);
        throw sessionInvalid();
      }
      // Before the role check and before the body is read: a forged request learns nothing.
      if (changesState(req)) checkCsrf(req, cookie);
      req.auth = s.user;
      req.session = { id: s.sessionId, csrfToken: csrfTokenOf(cookie), expiresAt: s.expiresAt };
      const entry = routePermission(req.method, req.routeOptions.url ?? '');
      if (entry !== 'any-user') requireRole(s.user, entry ?? [], req.routeOptions.config.action ?? '该操作');
      return;
    }
    if (!token) {
      void reply.header('www-authenticate', 'Bearer realm="zhanbu"');
      throw unauthenticated('请求未携带访问令牌：请先登录工作台，或在Authorization请求头中提供“Bearer <令牌>”（令牌由管理员用 npm run users 生成）');
    }
    const user = await lookUp(token);
    if (!user) {
      void reply.header('www-authenticate', 'Bearer realm="zhanbu", error="invalid_token"');
      throw tokenInvalid();
    }
    req.auth = user;
    const entry = routePermission(req.method, req.routeOptions.url ?? '');
    if (entry !== 'any-user') requireRole(user, entry ?? [], req.routeOptions.config.action ?? '该操作');
  });
  app.addHook('preHandler', async (req) => {
    if (!req.auth) return;
    // Path, query and JSON body (a multipart body is read by its route, which checks its county).
    for (const source of [req.params, req.query, req.body] as unknown[]) {
      const county = (source as { county?: unknown } | undefined)?.county;
      if (typeof county === 'string' && /^\d{6}$/.test(county)) requireCounty(req.auth, county);
    }
  });
}

/** The request's user (always set on a route that is not public); 401 if a public route asks for one. */
export function requireUser(req: FastifyRequest): AuthUser {
  if (!req.auth) throw unauthenticated('请求未携带访问令牌');
  return req.auth;
}

/** 403 unless the county is inside the user's jurisdiction. */
export function requireCounty(user: AuthUser, county: string): void {
  if (!coversCounty(user, county)) {
    throw outOfJurisdiction(`${county}不在当前用户（${user.name}，行政区代码${user.adminCode}）的管辖范围内`, { county });
  }
}

/** For receiveUpload: a form's `county` field outside the user's jurisdiction is refused as it arrives, before the file. */
export const countyFieldInScope =
  (user: AuthUser) =>
  (name: string, value: string): void => {
    if (name === 'county' && /^\d{6}$/.test(value)) requireCounty(user, value);
  };

/** 403 unless the user has one of the roles. */
export function requireRole(user: AuthUser, roles: readonly Role[], what: string): void {
  if (!roles.includes(user.role)) throw roleNotPermitted(what, roles, user.role);
}
