import type { FastifyError, FastifyInstance } from 'fastify';
import { isPoolTimeout } from '../db/pool.js';

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
export const notFound = (what: string, id: string) =>
  new Problem(404, 'not-found', 'Not found', `未找到${what}：${id}`);

/** Problem+json for every error the app answers, so no client ever sees a bare 500 page. */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Problem, req, reply) => {
    let problem: Problem;
    if (err instanceof Problem) {
      problem = err;
    } else if ((err as FastifyError).validation) {
      problem = new Problem(400, 'request-invalid', 'Request validation failed', `请求参数不正确：${err.message}`, {
        errors: (err as FastifyError).validation,
      });
    } else if ((err as FastifyError).code === 'FST_REQ_FILE_TOO_LARGE' || (err as FastifyError).statusCode === 413) {
      problem = new Problem(413, 'upload-too-large', 'Upload too large', `上传文件超过大小上限：${err.message}`);
    } else if (isPoolTimeout(err)) {
      // Every database connection busy past the acquisition timeout: come back shortly.
      problem = new Problem(503, 'database-busy', 'Database busy', '数据库连接已满，请稍后重试', { retryAfter: 5 });
    } else if ((err as { code?: string }).code === '57014') {
      // statement_timeout (or a cancel): the work was bounded and stopped, not failed.
      problem = new Problem(503, 'database-timeout', 'Database statement timed out', '数据库操作超过时间上限被中止，未写入任何数据；请减少每批地块数量或稍后重试', { retryAfter: 30 });
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      const status = (err as FastifyError).statusCode!;
      problem = new Problem(status, 'request-invalid', 'Bad request', `请求无法处理：${err.message}`);
    } else {
      req.log.error({ err }, 'unhandled error');
      problem = new Problem(500, 'internal-error', 'Internal server error', '服务器内部错误，请联系管理员并提供请求编号', {
        requestId: req.id,
      });
    }
    // A problem that says when to come back (429, 503) says it in Retry-After too.
    if (typeof problem.extensions.retryAfter === 'number') void reply.header('retry-after', String(problem.extensions.retryAfter));
    // A refusal in the middle of an upload leaves the rest of the body unread: close the connection
    // after answering rather than keep a socket that still carries hundreds of megabytes.
    if (!req.raw.complete) void reply.header('connection', 'close');
    void reply.status(problem.status).type('application/problem+json').send(problem.toBody(req.url));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send(new Problem(404, 'route-not-found', 'Route not found', '没有这个接口：请对照 /openapi.json 中的接口列表').toBody(req.url));
  });
}
