/**
 * The error catalogue: one named factory per problem the HTTP layer and authentication answer, and
 * one status per code (tests/unit/http/errors.test.ts holds the codebase to it), so a client can
 * switch on `code` without also looking at the status. Feature folders build their own codes with
 * `badInput` / `conflict` (src/http/problem.ts) or these factories; a code keeps its status wherever
 * it is thrown.
 */
import { ROLE_LABELS, type Role } from '../domain/procedure/actors.js';
import { Problem } from './problem.js';

/** Every code of this catalogue and its one status. */
export const CATALOGUE = {
  unauthenticated: 401,
  'authorization-malformed': 401,
  'token-invalid': 401,
  'session-invalid': 401,
  'login-failed': 401,
  'csrf-refused': 403,
  'login-rate-limited': 429,
  'role-not-permitted': 403,
  'out-of-jurisdiction': 403,
  'not-found': 404,
  'route-not-found': 404,
  'request-invalid': 400,
  'unknown-property': 400,
  'request-too-deep': 400,
  'nul-character': 400,
  'multipart-required': 415,
  'upload-too-large': 413,
  'too-many-concurrent-requests': 429,
  'guard-failed': 422,
  'transition-not-allowed': 409,
  'database-busy': 503,
  'database-timeout': 503,
  'database-unavailable': 503,
  'internal-error': 500,
} as const satisfies Record<string, number>;
export type CatalogueCode = keyof typeof CATALOGUE;

const problem = (code: CatalogueCode, title: string, detail: string, ext?: Record<string, unknown>) => new Problem(CATALOGUE[code], code, title, detail, ext);

// ---------------------------------------------------------------- 401

export const unauthenticated = (detail: string) => problem('unauthenticated', 'Authentication required', detail);
export const authorizationMalformed = () => problem('authorization-malformed', 'Authentication required', 'Authorization请求头应为“Bearer <令牌>”');
export const tokenInvalid = () => problem('token-invalid', 'Authentication required', '访问令牌无效、已吊销或已过期');

export const sessionInvalid = () => problem('session-invalid', 'Authentication required', '登录已过期或已注销，请重新登录');
/** Wrong login or password alike: the answer never tells which one was wrong. */
export const loginFailed = () => problem('login-failed', 'Sign-in failed', '登录名或密码错误');

// ---------------------------------------------------------------- 403

/** A state-changing request carried the session cookie without proof that the workspace itself sent it. */
export const csrfRefused = (detail: string) => problem('csrf-refused', 'Cross-site request refused', detail);

/** `allowed` empty: a route the permission table does not list, which no role may call (deny by default). */
export const roleNotPermitted = (what: string, allowed: readonly Role[], role: Role) =>
  problem(
    'role-not-permitted',
    'Role not permitted',
    allowed.length ? `${what}只能由${allowed.map((r) => ROLE_LABELS[r]).join('、')}办理，当前用户为${ROLE_LABELS[role]}` : `${what}未列入权限表，任何角色都不能办理`,
    { role, allowed },
  );

export const outOfJurisdiction = (detail: string, ext?: Record<string, unknown>) => problem('out-of-jurisdiction', 'Outside your jurisdiction', detail, ext);

// ---------------------------------------------------------------- 404

/**
 * A row addressed by id that the user cannot see: whether it does not exist or lies outside the
 * user's jurisdiction (row-level security hides it), the answer is the same, so a 404 never tells
 * that a row exists elsewhere. `code` names what was looked for (`procedure-not-found`); it is a 404 everywhere.
 */
export const notFoundInScope = (what: string, id: string, code: 'not-found' | `${string}-not-found` = 'not-found') =>
  new Problem(404, code, 'Not found', `未找到${what}：${id}（不存在或不在管辖范围内）`);

export const routeNotFound = () => problem('route-not-found', 'Route not found', '没有这个接口：请对照 /openapi.json 中的接口列表');

// ---------------------------------------------------------------- 400, 413, 415, 422, 409, 429

export const requestInvalid = (detail: string, ext?: Record<string, unknown>, title = 'Request validation failed') => problem('request-invalid', title, detail, ext);
/** 验收 no longer takes a change-survey year or check run: the survey is 变更's (issue 10 point 1). */
export const surveyNotAtAcceptance = (property: string) =>
  requestInvalid(
    `验收不依据年度变更调查（${property}）：经县级林业、自然资源等部门联合验收合格后，由县级自然资源主管部门在年度土地变更调查中进行地类变更（POST /procedures/:id/survey-change）`,
    { property },
    'Change survey is not part of the acceptance',
  );
/**
 * A property of a JSON body that the route's schema does not know (src/http/strict-body.ts): refused
 * rather than dropped, so a misspelt or retired field never reads as accepted. `path` as `body.documents[0].bogus`.
 */
export const unknownProperty = (path: string, property: string) =>
  problem('unknown-property', 'Unknown property', `未知的字段：${path}（此接口不接受该字段，请核对拼写，或对照 /openapi.json 中的请求格式）`, { property, path });
export const requestTooDeep = (detail: string, ext?: Record<string, unknown>) => problem('request-too-deep', 'Request nested too deeply', detail, ext);
export const nulCharacter = (where: string) =>
  problem('nul-character', 'NUL character refused', `${where}含有NUL字符（\\u0000）：文本中不能包含该字符`, { field: where });
export const multipartRequired = () => problem('multipart-required', 'multipart/form-data required', '请以multipart/form-data上传文件（字段file）及参数');
export const uploadTooLarge = (detail: string, ext?: Record<string, unknown>) => problem('upload-too-large', 'Upload too large', detail, ext);
/** A transition's guard did not hold: the detail says exactly what is missing. */
export const guardFailed = (detail: string, ext?: Record<string, unknown>) => problem('guard-failed', 'Transition guard failed', detail, ext);
export const transitionNotAllowed = (detail: string, ext?: Record<string, unknown>) => problem('transition-not-allowed', 'Transition not allowed', detail, ext);
export const loginRateLimited = (minutes: number) =>
  problem('login-rate-limited', 'Too many failed sign-ins', `登录失败次数过多，请${minutes}分钟后再试`, { retryAfter: minutes * 60 });
export const tooManyConcurrentRequests = (detail: string, ext?: Record<string, unknown>) =>
  problem('too-many-concurrent-requests', 'Too many requests in progress', detail, ext);

// ---------------------------------------------------------------- 5xx

export const databaseBusy = () => problem('database-busy', 'Database busy', '数据库连接已满，请稍后重试', { retryAfter: 5 });
export const databaseUnavailable = () => problem('database-unavailable', 'Database unavailable', '数据库暂时无法连接，请稍后重试；如持续出现，请联系系统管理员', { retryAfter: 10 });
export const databaseTimeout = () =>
  problem('database-timeout', 'Database statement timed out', '数据库操作超过时间上限被中止，未写入任何数据；请减少每批地块数量或稍后重试', { retryAfter: 30 });
/** The answer to anything unexpected: no message, no stack, only the request id to quote. */
export const internalError = (requestId: string) =>
  problem('internal-error', 'Internal server error', '服务器内部错误，请联系管理员并提供请求编号', { requestId });

/**
 * Codes for the 4xx errors Fastify and its plugins raise themselves (a malformed JSON body, a
 * content type no parser takes): each status its own code, so `request-invalid` stays a 400.
 */
const FRAMEWORK_4XX: Record<number, string> = {
  400: 'request-invalid',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  411: 'length-required',
  414: 'uri-too-long',
  415: 'media-type-unsupported',
  431: 'headers-too-large',
};
export const frameworkRefusal = (status: number, message: string) =>
  new Problem(status, FRAMEWORK_4XX[status] ?? `http-${status}`, 'Bad request', `请求无法处理：${message}`);
