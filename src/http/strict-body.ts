import type { FastifyRequest } from 'fastify';
import type { Problem } from './problem.js';
import { requestInvalid } from './errors.js';

export interface StrictBodyOptions {
  /** Allowed keys of nested objects, by property. */
  nested?: Record<string, readonly string[]>;
  /**
   * Properties refused with their own problem (e.g. a threshold or a sampling seed a client might
   * try to set), so the answer says why rather than only "unknown property". Asked for the keys of
   * the body and of the `nested` objects.
   */
  refused?: (key: string) => Problem | undefined;
}

const unknown = (keys: string[], where: string) =>
  requestInvalid(`请求${where}含不支持的参数：${keys.join('、')}`, { unknownProperties: keys }, 'Unknown property');

/**
 * A preValidation hook that refuses (400) a JSON body with properties outside the allowed ones
 * ('any': only the nested objects are checked).
 * Fastify's validator, as configured, removes unknown properties silently: right for tolerance,
 * wrong where a client believes it set something (a threshold, a seed) that the server ignores.
 */
export function refuseUnknownProperties(allowed: readonly string[] | 'any', opts: StrictBodyOptions = {}) {
  return async (req: FastifyRequest): Promise<void> => {
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return; // the schema answers that
    const keys = Object.keys(body);
    for (const k of keys) {
      const p = opts.refused?.(k);
      if (p) throw p;
    }
    const extra = allowed === 'any' ? [] : keys.filter((k) => !allowed.includes(k));
    if (extra.length) throw unknown(extra, '体');
    for (const [prop, inner] of Object.entries(opts.nested ?? {})) {
      const v = (body as Record<string, unknown>)[prop];
      if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
      for (const k of Object.keys(v)) {
        const p = opts.refused?.(k);
        if (p) throw p;
      }
      const bad = Object.keys(v).filter((k) => !inner.includes(k));
      if (bad.length) throw unknown(bad, `的${prop}`);
    }
  };
}

/** A preValidation hook for routes whose body is optional: a POST without one is validated as `{}`. */
export async function emptyBodyAsObject(req: FastifyRequest): Promise<void> {
  if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
}
