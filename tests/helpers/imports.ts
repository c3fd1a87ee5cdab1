import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import { injectAs, type Caller } from './http.js';
import { multipart } from './multipart.js';

export { expectProblem } from './http.js';

export interface UploadArgs {
  layer?: 'dltb' | 'ldxb' | 'xzq';
  county?: string;
  year?: number;
  file: string;
  name?: string;
  fields?: Record<string, string | number | boolean>;
}

/** POSTs an import as `who` and returns the HTTP response. */
export async function postImport(app: App, who: Caller, a: UploadArgs) {
  const body = multipart(
    { layer: a.layer ?? 'dltb', county: a.county ?? '361123', year: a.year ?? 2019, ...a.fields },
    { path: a.file, name: a.name },
  );
  return injectAs(app, who, { method: 'POST', url: '/api/v1/imports', ...body });
}

/** POSTs an import, waits for it to finish, and returns the final job view. */
export async function importAndWait(app: App, who: Caller, a: UploadArgs) {
  const res = await postImport(app, who, a);
  if (res.statusCode !== 202 && res.statusCode !== 200) {
    throw new Error(`import answered ${res.statusCode}: ${res.body}`);
  }
  await app.imports.idle();
  const job = await injectAs(app, who, { method: 'GET', url: `/api/v1/imports/${res.json().id}` });
  expect(job.statusCode).toBe(200);
  return { submit: res, job: job.json() };
}
