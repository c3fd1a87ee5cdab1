/**
 * The error catalogue (src/http/errors.ts): each code has exactly one status, in the catalogue and
 * wherever the code is thrown in src/, so a client may switch on `code` alone.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../../../src/http/errors.js';
import { badInput, conflict, notFound, Problem } from '../../../src/http/problem.js';

const SRC = new URL('../../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every (code, status) pair written literally in src/: `new Problem(403, 'code'`, `badInput('code'` (422), `conflict('code'` (409). */
function literalProblems(): { code: string; status: number; where: string }[] {
  const found: { code: string; status: number; where: string }[] = [];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(SRC, file);
    for (const m of text.matchAll(/new Problem\(\s*(\d{3}),\s*'([a-z0-9-]+)'/g)) found.push({ code: m[2]!, status: Number(m[1]), where });
    for (const m of text.matchAll(/\bbadInput\(\s*'([a-z0-9-]+)'/g)) found.push({ code: m[1]!, status: 422, where });
    for (const m of text.matchAll(/\bconflict\(\s*'([a-z0-9-]+)'/g)) found.push({ code: m[1]!, status: 409, where });
  }
  return found;
}

/**
 * Known places that still use a catalogue code with another status, in folders being reshaped in
 * parallel (issue 9); each should move to a code of its own (e.g. a 422 `value-invalid`) and leave this list.
 * (quota/service.ts's `invalid()` helper also defaults to 'request-invalid' at 422; the literal scan cannot see a default.)
 */
const PENDING: { code: string; status: number; where: string }[] = [{ code: 'request-invalid', status: 422, where: 'ledger/service.ts' }];

describe('error catalogue', () => {
  it('every factory answers its code with the catalogue’s one status', () => {
    const made: Problem[] = [
      errors.unauthenticated('x'),
      errors.authorizationMalformed(),
      errors.tokenInvalid(),
      errors.sessionInvalid(),
      errors.loginFailed(),
      errors.csrfRefused('x'),
      errors.loginRateLimited(15),
      errors.roleNotPermitted('x', ['city'], 'township'),
      errors.roleNotPermitted('x', [], 'township'),
      errors.outOfJurisdiction('x'),
      errors.notFoundInScope('地块', 'id'),
      errors.routeNotFound(),
      errors.requestInvalid('x'),
      errors.unknownProperty('body.x', 'x'),
      errors.requestTooDeep('x'),
      errors.nulCharacter('x'),
      errors.multipartRequired(),
      errors.uploadTooLarge('x'),
      errors.guardFailed('x'),
      errors.transitionNotAllowed('x'),
      errors.tooManyConcurrentRequests('x'),
      errors.databaseBusy(),
      errors.databaseTimeout(),
      errors.databaseUnavailable(),
      errors.internalError('req-1'),
      notFound('地块', 'id'),
    ];
    for (const p of made) expect(p.status, p.code).toBe(errors.CATALOGUE[p.code as errors.CatalogueCode]);
    // Every catalogue code has a factory above.
    expect(new Set(made.map((p) => p.code))).toEqual(new Set(Object.keys(errors.CATALOGUE)));
  });

  it('one 404 policy: absent and out of scope read the same, and never say which', () => {
    const p = errors.notFoundInScope('补充林地地块办理记录', 'abc', 'procedure-not-found');
    expect(p.status).toBe(404);
    expect(p.detail).toBe('未找到补充林地地块办理记录：abc（不存在或不在管辖范围内）');
    expect(notFound('导出记录', 'abc').detail).toBe('未找到导出记录：abc（不存在或不在管辖范围内）');
  });

  it('framework refusals get a code per status: request-invalid stays a 400', () => {
    expect(errors.frameworkRefusal(400, 'bad json')).toMatchObject({ status: 400, code: 'request-invalid' });
    expect(errors.frameworkRefusal(415, 'no parser')).toMatchObject({ status: 415, code: 'media-type-unsupported' });
    expect(errors.frameworkRefusal(418, 'teapot')).toMatchObject({ status: 418, code: 'http-418' });
    expect(badInput('x', 't', 'd').status).toBe(422);
    expect(conflict('x', 't', 'd').status).toBe(409);
  });

  it('each code has exactly one status across src/ (catalogue codes included)', () => {
    const found = literalProblems();
    expect(found.length).toBeGreaterThan(50); // the scan sees the codebase
    const statuses = new Map<string, Map<number, string[]>>();
    const add = (code: string, status: number, where: string) => {
      const byStatus = statuses.get(code) ?? new Map<number, string[]>();
      byStatus.set(status, [...(byStatus.get(status) ?? []), where]);
      statuses.set(code, byStatus);
    };
    for (const [code, status] of Object.entries(errors.CATALOGUE)) add(code, status, 'http/errors.ts');
    for (const f of found) {
      if (PENDING.some((p) => p.code === f.code && p.status === f.status && p.where === f.where)) continue;
      add(f.code, f.status, f.where);
    }
    const conflicting = [...statuses].filter(([, s]) => s.size > 1).map(([code, s]) => `${code}: ${[...s].map(([st, w]) => `${st} (${w.join(', ')})`).join(' vs ')}`);
    expect(conflicting).toEqual([]);
  });
});
