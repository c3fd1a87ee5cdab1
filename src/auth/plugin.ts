import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { coversCounty, ROLE_LABELS, type Role } from '../domain/procedure/actors.js';
import { Problem } from '../http/problem.js';
import { userByToken } from './repository.js';
import type { AuthUser } from './scope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user: set before any handler of a route that is not public (see registerAuth). */
    auth: AuthUser | null;
  }
  interface FastifyContextConfig {
    /** The route answers without a user (/health, /docs, /openapi.json). Every other route needs one. */
    public?: boolean;
    /** Roles allowed on the route, refused in onRequest, before a body is read (uploads write nothing for a wrong role). */
    roles?: readonly Role[];
    /** What the route does, for the refusal (“导入调查图层只能由…办理”). */
    action?: string;
  }
}

const unauthenticated = (detail: string, code = 'unauthenticated') => new Problem(401, code, 'Authentication required', detail);

/** The token from `Authorization: Bearer …` or `X-API-Key: …`, if any. */
export function tokenOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.trim()) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) throw unauthenticated('Authorization请求头应为“Bearer <令牌>”', 'authorization-malformed');
    return m[1];
  }
  const k = req.headers['x-api-key'];
  return typeof k === 'string' && k.trim() ? k.trim() : undefined;
}

/**
 * Deny by default, decided on the matched route (never on the raw URL, which the router decodes:
 * `/%61pi/v1/exports` is the route `/api/v1/exports`): every route needs a valid token unless its
 * options say `config: { public: true }`; a route's `config.roles` is checked here too, so a wrong
 * role is refused before the body is read. Unknown URLs fall to the 404 handler without a token.
 * 401 problem+json when the token is missing, unknown, revoked or expired. Then any request naming
 * a county outside the user's jurisdiction in its path, query or JSON body (`:county`, `?county=`,
 * `{"county": …}`) is refused with 403 — whatever the route, so no route can forget it.
 * Rows addressed by id are confined by row-level security (src/auth/scope.ts): invisible → 404.
 */
export function registerAuth(app: FastifyInstance, pool: pg.Pool): void {
  app.decorateRequest('auth', null);
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
  // The OpenAPI document states the same rule the hook enforces: public routes need no token,
  // role-restricted ones name their roles.
  app.addHook('onRoute', (route) => {
    const config = route.config as { public?: boolean; roles?: readonly Role[] } | undefined;
    if (!route.schema) return;
    if (config?.public) route.schema = { ...route.schema, security: [] };
    else if (config?.roles) {
      const who = `仅限：${config.roles.map((r) => ROLE_LABELS[r]).join('、')}。`;
      route.schema = { ...route.schema, description: route.schema.description ? `${route.schema.description}\n\n${who}` : who };
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    if (req.is404 || req.routeOptions.config?.public === true) return;
    const token = tokenOf(req);
    if (!token) {
      void reply.header('www-authenticate', 'Bearer realm="zhanbu"');
      throw unauthenticated('请求未携带访问令牌：请在Authorization请求头中提供“Bearer <令牌>”（令牌由管理员用 npm run users 生成）');
    }
    const user = await lookUp(token);
    if (!user) {
      void reply.header('www-authenticate', 'Bearer realm="zhanbu", error="invalid_token"');
      throw unauthenticated('访问令牌无效、已吊销或已过期', 'token-invalid');
    }
    req.auth = user;
    const { roles, action } = req.routeOptions.config;
    if (roles) requireRole(user, roles, action ?? '该操作');
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
    throw new Problem(403, 'out-of-jurisdiction', 'Outside your jurisdiction', `${county}不在当前用户（${user.name}，行政区代码${user.adminCode}）的管辖范围内`, {
      county,
    });
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
  if (!roles.includes(user.role)) {
    throw new Problem(403, 'role-not-permitted', 'Role not permitted', `${what}只能由${roles.map((r) => ROLE_LABELS[r]).join('、')}办理，当前用户为${ROLE_LABELS[user.role]}`, {
      role: user.role,
      allowed: roles,
    });
  }
}

/** Townships may act only for their own township. */
export function requireTownship(user: AuthUser, township: string | null | undefined): void {
  if (user.township && township !== user.township) {
    throw new Problem(403, 'out-of-jurisdiction', 'Outside your jurisdiction', `乡镇用户只能办理本乡镇（${user.township}）的地块，该地块属于${township ?? '未申报乡镇'}`);
  }
}

/** Who may do what outside the procedure (the procedure's own rules are in domain/procedure). */
export const PERMISSIONS = {
  importLayers: ['county-forestry', 'province-admin'],
  uploadCandidates: ['township', 'county-forestry', 'province-admin'],
  runChecks: ['township', 'county-forestry', 'county-government', 'city', 'province-reviewer', 'province-admin'],
  submitReserve: ['county-forestry'],
  cityAudit: ['city'],
  provinceAudit: ['province-reviewer', 'province-admin'],
  issueQuota: ['province-admin'],
  allocatePool: ['province-admin'],
  requestPool: ['county-forestry', 'province-admin'],
  drawQuota: ['county-forestry', 'province-admin'],
  recordUse: ['county-forestry', 'province-admin'],
  inspect: ['county-forestry', 'city', 'province-reviewer', 'province-admin'],
  lapse: ['province-admin'],
  publishCheckParameters: ['province-admin'],
  annualSummary: ['county-forestry'],
  readQuota: ['county-forestry', 'county-government', 'city', 'province-reviewer', 'province-admin'],
  /** Reserve submissions, city/province audits, the county's annual summary and forest stock: not townships. */
  readReserve: ['county-forestry', 'county-government', 'city', 'province-reviewer', 'province-admin'],
} as const satisfies Record<string, readonly Role[]>;
