import type { FastifyInstance } from 'fastify';
import { nulCharacter, requestTooDeep } from './errors.js';
import { MAX_JSON_DEPTH } from './schemas.js';

/**
 * Where a NUL character (U+0000) hides in a parsed value, or that it nests too deeply. PostgreSQL
 * refuses NUL in text (it answered 500); deep nesting would make any recursive reader — ours, the
 * validator, the serializer — overflow its stack. Iterative, so the check itself cannot overflow.
 */
export function inspectValue(value: unknown, root: string, maxDepth = MAX_JSON_DEPTH): { nul: string } | { tooDeep: string } | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return { nul: path };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { tooDeep: path };
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      if (k.includes('\u0000')) return { nul: path };
      stack.push({ v: child, path: `${path}.${k}`, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * Refuses, before validation and before any handler, a path, query or JSON body with a NUL
 * character or nested deeper than MAX_JSON_DEPTH: 400 problem+json instead of a database error.
 * (Multipart form fields are checked where the form is read: src/http/multipart-upload.ts.)
 */
export function registerInputGuards(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    const parts: [string, unknown][] = [
      ['路径参数', req.params],
      ['查询参数', req.query],
      ['请求体', req.body],
    ];
    for (const [label, v] of parts) {
      const found = inspectValue(v, label);
      if (!found) continue;
      if ('nul' in found) throw nulCharacter(found.nul);
      throw requestTooDeep(`${found.tooDeep}嵌套超过${MAX_JSON_DEPTH}层，请求无法处理`, { maxDepth: MAX_JSON_DEPTH });
    }
  });
}
