import { describe, expect, it } from 'vitest';
import { inspectValue } from '../../../src/http/input-guards.js';
import { isUuid } from '../../../src/http/schemas.js';

describe('input guards', () => {
  it('finds a NUL character in a string, a nested value or a key, and names where', () => {
    expect(inspectValue({ a: 'ok', b: ['x', { c: 'y' }] }, 'body')).toBeUndefined();
    expect(inspectValue('a\u0000b', 'q')).toEqual({ nul: 'q' });
    expect(inspectValue({ a: ['x', { c: 'y\u0000' }] }, 'body')).toEqual({ nul: 'body.a[1].c' });
    expect(inspectValue({ ['k\u0000']: 1 }, 'body')).toEqual({ nul: 'body' });
    expect(inspectValue(undefined, 'body')).toBeUndefined();
  });

  it('refuses nesting deeper than the limit without overflowing its own stack (200,000 levels)', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(inspectValue(deep, 'body')).toHaveProperty('tooDeep');
    let ok: unknown = 'leaf';
    for (let i = 0; i < 10; i++) ok = { x: ok };
    expect(inspectValue(ok, 'body')).toBeUndefined();
  });

  it('a UUID is the canonical 8-4-4-4-12 hex form PostgreSQL reads, nothing looser', () => {
    expect(isUuid('3f2b8c1e-9a4d-4c7e-8b1a-0d2e3f4a5b6c')).toBe(true);
    expect(isUuid('00000000-0000-0000-0000-000000000000')).toBe(true);
    for (const bad of ['a'.repeat(36), '-'.repeat(36), 'urn:uuid:3f2b8c1e-9a4d-4c7e-8b1a-0d2e3f4a5b6c', '3f2b8c1e9a4d4c7e8b1a0d2e3f4a5b6c', '{3f2b8c1e-9a4d-4c7e-8b1a-0d2e3f4a5b6c}', '3f2b8c1e-9a4d-4c7e-8b1a-0d2e3f4a5b6c\n']) {
      expect(isUuid(bad), bad).toBe(false);
    }
  });
});
