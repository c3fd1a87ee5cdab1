import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { multipart } from './multipart.js';

export interface UploadArgs {
  layer?: 'dltb' | 'ldxb' | 'xzq';
  county?: string;
  year?: number;
  file: string;
  name?: string;
  fields?: Record<string, string | number | boolean>;
}

/** POSTs an import and returns the HTTP response. */
export async function postImport(app: App, a: UploadArgs) {
  const body = multipart(
    { layer: a.layer ?? 'dltb', county: a.county ?? '361123', year: a.year ?? 2019, ...a.fields },
    { path: a.file, name: a.name },
  );
  return app.inject({ method: 'POST', url: '/api/v1/imports', ...body });
}

/** POSTs an import, waits for it to finish, and returns the final job view. */
export async function importAndWait(app: App, a: UploadArgs) {
  const res = await postImport(app, a);
  if (res.statusCode !== 202 && res.statusCode !== 200) {
    throw new Error(`import answered ${res.statusCode}: ${res.body}`);
  }
  await app.imports.idle();
  const job = await app.inject({ method: 'GET', url: `/api/v1/imports/${res.json().id}` });
  expect(job.statusCode).toBe(200);
  return { submit: res, job: job.json() };
}

/** Asserts an RFC 9457 problem answer with the given status and code. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json: () => any }, status: number, code: string) {
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  const body = res.json();
  expect({ status: res.statusCode, code: body.code }).toEqual({ status, code });
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  expect(body.detail).toMatch(/[\u4e00-\u9fff]/); // a Chinese sentence for the user
  return body;
}
