/**
 * The problem handler's last branch (src/http/problem.ts): an unexpected error is answered 500
 * problem+json with the request id to quote, and nothing of the error itself — no message, no
 * stack, no SQL — while the log keeps all of it.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerProblemHandler } from '../../../src/http/problem.js';

const SECRET = 'password=hunter2 at SELECT * FROM auth.api_token';

async function appThatFails(fail: () => never) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  const app = Fastify({ logger: { level: 'error', stream } });
  registerProblemHandler(app);
  app.get('/boom', async () => fail());
  return { app, lines };
}

describe('unexpected errors', () => {
  it('answer 500 problem+json with the request id, and leak neither message nor stack', async () => {
    const { app, lines } = await appThatFails(() => {
      throw new Error(SECRET);
    });
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toEqual({
      type: 'https://zhanbu.cn/problems/internal-error',
      title: 'Internal server error',
      status: 500,
      code: 'internal-error',
      detail: '服务器内部错误，请联系管理员并提供请求编号',
      instance: '/boom',
      requestId: expect.any(String),
    });
    expect(body.requestId.length).toBeGreaterThan(0);
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toMatch(/\bat \w|stack|auth\.api_token/);
    // The log has what the answer does not: the message and the request id to find it by.
    const logged = lines.join('');
    expect(logged).toContain('hunter2');
    expect(logged).toContain(body.requestId);
    await app.close();
  });

  it('a thrown non-Error value, or an error with a 5xx statusCode, is the same 500', async () => {
    for (const fail of [
      () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- this case is about a thrown non-Error value
        throw SECRET;
      },
      () => {
        throw Object.assign(new Error(SECRET), { statusCode: 502 });
      },
    ] as (() => never)[]) {
      const { app } = await appThatFails(fail);
      const res = await app.inject('/boom');
      expect(res.statusCode).toBe(500);
      expect(res.json().code).toBe('internal-error');
      expect(res.body).not.toContain('hunter2');
      await app.close();
    }
  });
});
