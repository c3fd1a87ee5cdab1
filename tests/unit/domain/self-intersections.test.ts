import kinks from '@turf/kinks';
import { describe, expect, it } from 'vitest';
import { ringsOf, selfIntersections } from '../../../src/domain/geometry/self-intersections.js';

type Pt = [number, number];
const close = (r: Pt[]): Pt[] => [...r, r[0]!];
/** A {n/k} star: n vertices on a circle, each joined to the one k steps on (k ≈ n/2: every edge crosses most others). */
export const star = (n: number, k = Math.floor((n - 1) / 2), r = 100): Pt[] =>
  close(Array.from({ length: n }, (_, i) => [r * Math.cos((2 * Math.PI * i * k) / n), r * Math.sin((2 * Math.PI * i * k) / n)] as Pt));
const circle = (n: number, r = 100): Pt[] => close(Array.from({ length: n }, (_, i) => [r * Math.cos((2 * Math.PI * i) / n), r * Math.sin((2 * Math.PI * i) / n)] as Pt));
// Rounded: Turf computes a crossing of two rings twice (once from each ring), not always to the same last bit.
const distinct = (pts: number[][]) => new Set(pts.map((p) => `${p[0]!.toFixed(7)},${p[1]!.toFixed(7)}`)).size;

describe('self-intersections (bounded)', () => {
  it('a square has none; a bow-tie has one, at the crossing', () => {
    expect(selfIntersections([[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]])).toMatchObject({ count: 0, complete: true });
    const r = selfIntersections([[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]]);
    expect(r).toMatchObject({ count: 1, complete: true, points: [[5, 5]] });
  });

  it('a ring touching itself at a vertex is one point; repeated vertices are not intersections', () => {
    // Figure eight through (10, 10).
    const eight: Pt[] = [[0, 0], [10, 0], [10, 10], [20, 10], [20, 20], [10, 20], [10, 10], [0, 10], [0, 0]];
    expect(selfIntersections([eight])).toMatchObject({ count: 1, points: [[10, 10]] });
    expect(selfIntersections([[[0, 0], [10, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]).count).toBe(0);
  });

  it('agrees with Turf kinks (distinct points) on random polygons and multipolygons', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 100;
    for (let t = 0; t < 200; t++) {
      const rings = Array.from({ length: 1 + (t % 3) }, () => close(Array.from({ length: 3 + (t % 9) }, () => [Math.round(rnd()), Math.round(rnd())] as Pt)));
      const ours = selfIntersections(rings);
      const theirs = kinks({ type: 'MultiPolygon', coordinates: rings.map((r) => [r]) } as never);
      expect(distinct(ours.points), JSON.stringify(rings)).toBe(distinct(theirs.features.map((f) => f.geometry.coordinates)));
    }
  });

  it('a 601-vertex star stops at the limit within milliseconds', () => {
    const t0 = performance.now();
    const r = selfIntersections([star(601)], { limit: 100 });
    expect(performance.now() - t0).toBeLessThan(200);
    expect(r).toMatchObject({ count: 101, complete: false, stoppedBy: 'limit' });
  });

  it('a 100-vertex star counted in full has n(k−1) crossings', () => {
    // {101/50}: every edge crosses 2(k−1) others → n(k−1) crossing points.
    expect(selfIntersections([star(101, 50)]).count).toBe(101 * 49);
  });

  it('a 60,000-vertex simple polygon is searched in full, fast', () => {
    const t0 = performance.now();
    const r = selfIntersections([circle(60_000)]);
    expect(r).toMatchObject({ count: 0, complete: true });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.pairTests).toBeLessThan(60_000 * 20);
  });

  it('a shape the grid cannot separate exhausts the pair budget instead of running on', () => {
    // A comb of long vertical teeth: every tooth overlaps every other's box, none crosses.
    const teeth: Pt[] = [];
    for (let i = 0; i < 5000; i++) teeth.push([i * 2, 0], [i * 2 + 1, 1000]);
    teeth.push([10_000, -10], [0, -10], [0, 0]);
    const r = selfIntersections([teeth], { maxPairTests: 1_000_000 });
    expect(r.complete).toBe(false);
    expect(r.stoppedBy).toBe('budget');
  });

  it('non-finite coordinates are not searched', () => {
    expect(selfIntersections([[[0, 0], [1e308 * 10, 0], [1, 1], [0, 0]]])).toMatchObject({ complete: false, stoppedBy: 'non-finite' });
  });

  it('reads the rings of Polygon and MultiPolygon geometries', () => {
    const sq = close([[0, 0], [1, 0], [1, 1], [0, 1]]);
    expect(ringsOf({ type: 'Polygon', coordinates: [sq] })).toHaveLength(1);
    expect(ringsOf({ type: 'MultiPolygon', coordinates: [[sq], [sq, sq]] })).toHaveLength(3);
    expect(ringsOf({ type: 'Point', coordinates: [0, 0] })).toEqual([]);
    expect(ringsOf(null)).toEqual([]);
  });
});
