import { describe, expect, it } from 'vitest';
import { crossingsRefusal, latLonLooksSwapped, shapeRefusal } from '../../../src/domain/geometry/bounds.js';
import { PerKeyLimiter } from '../../../src/http/concurrency.js';
import { Problem } from '../../../src/http/problem.js';

const limits = { maxParcelVertices: 100, maxParcelParts: 3, maxSelfIntersections: 5 };
const geo = { kind: 'geographic' } as const;
const gk39 = { kind: 'gauss-kruger', falseEasting: 39_500_000 } as const;
const ok = { empty: false, vertices: 5, parts: 1, bbox: [118.25, 28.68, 118.26, 28.69] as [number, number, number, number] };

describe('geometry bounds', () => {
  it('accepts an ordinary parcel', () => {
    expect(shapeRefusal(ok, geo, limits)).toBeUndefined();
    expect(shapeRefusal({ ...ok, bbox: [39_620_000, 3_170_000, 39_620_100, 3_170_100] }, gk39, limits)).toBeUndefined();
  });
  it('refuses an empty geometry', () => {
    expect(shapeRefusal({ ...ok, empty: true, bbox: null }, geo, limits)?.code).toBe('geometry-empty');
  });
  it('says latitude and longitude look reversed for Yushan written lat-first', () => {
    const r = shapeRefusal({ ...ok, bbox: [28.68, 118.25, 28.69, 118.26] }, geo, limits);
    expect(r?.code).toBe('coordinates-swapped');
    expect(r?.message).toContain('经纬度可能颠倒');
    expect(latLonLooksSwapped([28.68, 118.25, 28.69, 118.26])).toBe(true);
    expect(latLonLooksSwapped([2.35, 48.85, 2.36, 48.86])).toBe(false);
  });
  it('refuses absurd coordinates (1e300, Paris, metres in a degree system) as out of range', () => {
    for (const bbox of [[1e300, 1e300, 1e300, 1e300], [2.35, 48.85, 2.36, 48.86], [500, 100, 600, 200]] as [number, number, number, number][]) {
      expect(shapeRefusal({ ...ok, bbox }, geo, limits)?.code, String(bbox)).toBe('coordinates-out-of-range');
    }
    expect(shapeRefusal({ ...ok, bbox: [500, 100, 600, 200] }, gk39, limits)?.code).toBe('coordinates-out-of-range');
    expect(shapeRefusal({ ...ok, bbox: [3_170_000, 39_620_000, 3_170_100, 39_620_100] }, gk39, limits)?.code).toBe('coordinates-swapped');
  });
  it('refuses too many vertices or parts', () => {
    expect(shapeRefusal({ ...ok, vertices: 101 }, geo, limits)?.code).toBe('geometry-too-many-vertices');
    expect(shapeRefusal({ ...ok, parts: 4 }, geo, limits)?.code).toBe('geometry-too-many-parts');
  });
  it('refuses too many crossings, or a search that did not finish', () => {
    expect(crossingsRefusal({ count: 5, complete: true }, limits)).toBeUndefined();
    expect(crossingsRefusal({ count: 6, complete: false, stoppedBy: 'limit' }, limits)?.code).toBe('geometry-too-complex');
    expect(crossingsRefusal({ count: 0, complete: false, stoppedBy: 'budget' }, limits)?.code).toBe('geometry-too-complex');
  });
});

describe('per-user limiter', () => {
  it('gives each key max slots, refuses the next with 429, and takes released slots back once', () => {
    const l = new PerKeyLimiter(2, '上传');
    const a = l.acquire('u1');
    const b = l.acquire('u1');
    expect(() => l.acquire('u1')).toThrow(Problem);
    try {
      l.acquire('u1');
    } catch (e) {
      expect((e as Problem).status).toBe(429);
      expect((e as Problem).extensions.retryAfter).toBeGreaterThan(0);
    }
    expect(() => l.acquire('u2')()).not.toThrow();
    a();
    a(); // twice: still one slot back
    const c = l.acquire('u1');
    expect(() => l.acquire('u1')).toThrow(Problem);
    b();
    c();
  });
});
