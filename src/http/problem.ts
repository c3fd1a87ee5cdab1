import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable, isPoolTimeout } from '../db/pool.js';
import * as errors from './errors.js';

/**
 * An RFC 9457 problem: `code` is the stable English identifier machines switch on,
 * `detail` the Chinese sentence a user reads, `title` a short English summary.
 */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://zhanbu.cn/problems/';

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'Problem';
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: PROBLEM_TYPE_BASE + this.code,
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const badInput = (code: string, title: string, detail: string, ext?: Record<string, unknown>) =>
  new Problem(422, code, title, detail, ext);
export const conflict = (code: string, title: string, detail: string, ext?: Record<string, unknown>) =>
  new Problem(409, code, title, detail, ext);
/** A row the user cannot see (absent or out of scope alike): the catalogue's one 404 policy. */
export const notFound = (what: string, id: string) => errors.notFoundInScope(what, id);

/**
 * Fastify's refusals made while routing, before any handler or hook (the `frameworkErrors` option): a
 * path parameter longer than the router's maxParamLength (100 characters) — 414 — and a malformed
 * URL — 400 — which it would otherwise answer in plain JSON.
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode ?? 400;
  const problem = errors.frameworkRefusal(status, err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? '路径中的参数过长（每个不超过100个字符）' : 'URL格式不正确');
  // No instance: the refused path is not echoed back.
  void reply.status(problem.status).header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').type('application/problem+json').send(problem.toBody());
}

/** A JSON pointer (`/documents/0`) as the path a person reads (`.documents[0]`). */
const jsonPath = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('');

/** Problem+json for every error the app answers, so no client ever sees a bare 500 page. */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Problem, req, reply) => {
    let problem: Problem;
    if (err instanceof Problem) {
      problem = err;
    } else if (err.validation?.[0]?.keyword === 'additionalProperties') {
      // What http/strict-body.ts could not name before validation (a property of one of two object shapes).
      const e = err.validation[0];
      const property = String((e.params as { additionalProperty?: unknown }).additionalProperty);
      problem = errors.unknownProperty(`${err.validationContext ?? 'body'}${jsonPath(e.instancePath)}.${property}`, property);
    } else if ((err).validation) {
      problem = errors.requestInvalid(`请求参数不正确：${err.message}`, { errors: (err).validation });
    } else if ((err).code === 'FST_REQ_FILE_TOO_LARGE' || (err).statusCode === 413) {
      problem = errors.uploadTooLarge(`上传文件超过大小上限：${err.message}`);
    } else if (isPoolTimeout(err)) {
      // Every database connection busy past the acquisition timeout: come back shortly.
      problem = errors.databaseBusy();
    } else if (isDatabaseUnavailable(err)) {
      // The database is down or restarting: the request did nothing; logged for the operator, not a bug.
      req.log.error({ err }, 'database unavailable');
      problem = errors.databaseUnavailable();
    } else if ((err as { code?: string }).code === '57014') {
      // statement_timeout (or a cancel): the work was bounded and stopped, not failed.
      problem = errors.databaseTimeout();
    } else if ((err).statusCode && (err).statusCode < 500) {
      problem = errors.frameworkRefusal((err).statusCode, err.message);
    } else {
      // Logged in full; answered with nothing of it (no message, no stack), only the request id.
      req.log.error({ err }, 'unhandled error');
      problem = errors.internalError(req.id);
    }
    // A problem that says when to come back (429, 503) says it in Retry-After too.
    if (typeof problem.extensions.retryAfter === 'number') void reply.header('retry-after', String(problem.extensions.retryAfter));
    // A refusal in the middle of an upload leaves the rest of the body unread: close the connection
    // after answering rather than keep a socket that still carries hundreds of megabytes.
    // A small rest (≤ 1 MiB declared) is read and dropped instead, keeping the connection: closing
    // while the client is still writing makes some clients (undici's fetch) fail with EPIPE before
    // they read the answer.
    const declared = Number(req.headers['content-length']);
    if (!req.raw.complete && !(declared <= 1024 * 1024)) void reply.header('connection', 'close');
    void reply.status(problem.status).type('application/problem+json').send(problem.toBody(req.url));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send(errors.routeNotFound().toBody(req.url));
  });
}
