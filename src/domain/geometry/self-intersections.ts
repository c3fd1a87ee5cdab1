/**
 * Self-intersections of polygon rings, found in a bounded way.
 *
 * Turf's `kinks` tests every pair of segments (quadratic: 60,000 vertices took 43 s on the request
 * thread). Here segments are bucketed in a uniform grid sized from the segments themselves, and
 * only segments sharing a cell are tested; a pair sharing several cells is tested once (in the
 * lowest common cell). Two bounds make the work finite whatever the input: the search stops as soon
 * as more than `limit` distinct points were found, and after `maxPairTests` segment tests (a shape
 * built so that the grid cannot separate its segments, e.g. hundreds of long parallel teeth).
 *
 * Semantics follow Turf's kinks, the check the reports were built on: every pair of non-adjacent
 * segments of the geometry (all rings of all parts) that cross or touch gives a point; parallel
 * and collinear pairs are not reported. Points are de-duplicated (a ring touching itself at a vertex
 * is one point, not four).
 */

export type Ring = ArrayLike<ArrayLike<number>>;

export interface SelfIntersectionOptions {
  /** Stop once more than this many distinct points were found (the answer then has limit + 1). */
  limit?: number;
  /** Most segment pairs tested before giving up (complete = false, stoppedBy = 'budget'). */
  maxPairTests?: number;
  /** Most points returned (the count goes on up to limit + 1). */
  maxPoints?: number;
}

export interface SelfIntersections {
  /** Distinct points found (at most limit + 1). */
  count: number;
  points: [number, number][];
  /** Every pair was looked at (the count is exact). */
  complete: boolean;
  stoppedBy?: 'limit' | 'budget' | 'non-finite';
  pairTests: number;
}

const DEFAULTS = { limit: Number.POSITIVE_INFINITY, maxPairTests: 50_000_000, maxPoints: 1000 };

/** Rings of a GeoJSON Polygon / MultiPolygon geometry (others: none). */
export function ringsOf(g: { type: string; coordinates?: unknown } | null | undefined): Ring[] {
  if (!g || !Array.isArray(g.coordinates)) return [];
  if (g.type === 'Polygon') return g.coordinates as Ring[];
  if (g.type === 'MultiPolygon') return (g.coordinates as Ring[][]).flat();
  return [];
}

export function selfIntersections(rings: Ring[], options: SelfIntersectionOptions = {}): SelfIntersections {
  const limit = options.limit ?? DEFAULTS.limit;
  const maxPairTests = options.maxPairTests ?? DEFAULTS.maxPairTests;
  const maxPoints = options.maxPoints ?? DEFAULTS.maxPoints;
  let total = 0;
  for (const ring of rings) total += Math.max(ring.length - 1, 0);
  // Flat segment arrays: x0 y0 x1 y1, ring id, index in ring; per ring: segment count, closed.
  const xs0 = new Float64Array(total);
  const ys0 = new Float64Array(total);
  const xs1 = new Float64Array(total);
  const ys1 = new Float64Array(total);
  const lengths = new Float64Array(total);
  const ringOf = new Int32Array(total);
  const indexOf = new Int32Array(total);
  const ringSegments = new Int32Array(rings.length);
  const ringClosed = new Uint8Array(rings.length);
  let n = 0;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let r = 0; r < rings.length; r++) {
    const ring = rings[r]!;
    const first = n;
    let px = NaN;
    let py = NaN;
    let fx = NaN;
    let fy = NaN;
    for (let i = 0; i < ring.length; i++) {
      const x = Number(ring[i]![0]);
      const y = Number(ring[i]![1]);
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        return { count: 0, points: [], complete: false, stoppedBy: 'non-finite', pairTests: 0 };
      }
      if (i === 0) {
        fx = x;
        fy = y;
      } else if (x !== px || y !== py) {
        // Exactly repeated consecutive vertices are skipped: a zero-length edge would "touch" its
        // neighbours' far ends (duplicates are reported elsewhere, not as self-intersections).
        xs0[n] = px;
        ys0[n] = py;
        xs1[n] = x;
        ys1[n] = y;
        lengths[n] = Math.hypot(x - px, y - py);
        ringOf[n] = r;
        indexOf[n] = n - first;
        n++;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      } else continue;
      px = x;
      py = y;
      if (i === 0) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
    }
    ringSegments[r] = n - first;
    ringClosed[r] = n > first && px === fx && py === fy ? 1 : 0;
  }
  const found = new Map<string, [number, number]>();
  let pairTests = 0;
  const result = (complete: boolean, stoppedBy?: SelfIntersections['stoppedBy']): SelfIntersections => ({
    count: found.size,
    points: [...found.values()].slice(0, maxPoints),
    complete,
    ...(stoppedBy ? { stoppedBy } : {}),
    pairTests,
  });
  if (n < 2) return result(true);

  /** Tests one pair; false when the search must stop (the limit was passed). */
  const test = (i: number, j: number): boolean => {
    const ax = xs0[i]!, ay = ys0[i]!, bx = xs1[i]!, by = ys1[i]!;
    const cx = xs0[j]!, cy = ys0[j]!, dx = xs1[j]!, dy = ys1[j]!;
    // Quick reject on the boxes before anything else.
    if ((ax > bx ? ax : bx) < (cx < dx ? cx : dx) || (cx > dx ? cx : dx) < (ax < bx ? ax : bx)) return true;
    if ((ay > by ? ay : by) < (cy < dy ? cy : dy) || (cy > dy ? cy : dy) < (ay < by ? ay : by)) return true;
    // Neighbours in a ring share a vertex: not an intersection (nor are the last and first edges of a closed ring).
    const r = ringOf[i]!;
    if (r === ringOf[j]) {
      const d = Math.abs(indexOf[i]! - indexOf[j]!);
      if (d <= 1 || (ringClosed[r] === 1 && d === ringSegments[r]! - 1)) return true;
    }
    const den = (dy - cy) * (bx - ax) - (dx - cx) * (by - ay);
    if (den === 0) return true; // parallel or collinear: not reported (as Turf)
    const ex = ay - cy;
    const fx = ax - cx;
    const t = ((dx - cx) * ex - (dy - cy) * fx) / den;
    const u = ((bx - ax) * ex - (by - ay) * fx) / den;
    if (t < 0 || t > 1 || u < 0 || u > 1) return true;
    const px = ax + t * (bx - ax);
    const py = ay + t * (by - ay);
    const key = `${px},${py}`;
    if (!found.has(key)) {
      found.set(key, [px, py]);
      if (found.size > limit) return false;
    }
    return true;
  };
  const stop = () => result(false, pairTests > maxPairTests ? 'budget' : 'limit');

  // Cell size: the median segment length (most segments then lie in 1–4 cells), but no smaller
  // than needed to keep the grid within ~8√n cells a side (clustered parts far apart).
  const median = Float64Array.from(lengths.subarray(0, n)).sort()[n >> 1]!;
  const span = Math.max(maxX - minX, maxY - minY);
  let cell = Math.max(median, span / (8 * Math.sqrt(n)));
  if (!(cell > 0)) cell = 1; // every vertex equal: one cell
  const ny = Math.floor((maxY - minY) / cell) + 1;
  const cx0 = new Int32Array(n);
  const cy0 = new Int32Array(n);
  // A segment whose box covers many cells is kept aside and tested against all others.
  const MAX_CELLS = 16;
  const long: number[] = [];
  const isLong = new Uint8Array(n);
  const cells = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const x0 = (cx0[i] = Math.floor(((xs0[i]! < xs1[i]! ? xs0[i]! : xs1[i]!) - minX) / cell));
    const x1 = Math.floor(((xs0[i]! > xs1[i]! ? xs0[i]! : xs1[i]!) - minX) / cell);
    const y0 = (cy0[i] = Math.floor(((ys0[i]! < ys1[i]! ? ys0[i]! : ys1[i]!) - minY) / cell));
    const y1 = Math.floor(((ys0[i]! > ys1[i]! ? ys0[i]! : ys1[i]!) - minY) / cell);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > MAX_CELLS) {
      long.push(i);
      isLong[i] = 1;
      continue;
    }
    for (let x = x0; x <= x1; x++) {
      for (let y = y0; y <= y1; y++) {
        const key = x * ny + y;
        const list = cells.get(key);
        if (list) list.push(i);
        else cells.set(key, [i]);
      }
    }
  }
  // Long segments against every segment (two long ones once).
  for (const i of long) {
    for (let j = 0; j < n; j++) {
      if (j === i || (isLong[j] === 1 && j < i)) continue;
      if (++pairTests > maxPairTests || !test(i, j)) return stop();
    }
  }
  for (const [key, list] of cells) {
    const x = Math.floor(key / ny);
    const y = key - x * ny;
    for (let a = 0; a < list.length; a++) {
      const i = list[a]!;
      for (let b = a + 1; b < list.length; b++) {
        const j = list[b]!;
        // Every pair looked at counts against the budget, tested or not.
        if (++pairTests > maxPairTests) return stop();
        // Only in the lowest cell both segments cover, so each pair is tested once.
        if ((cx0[i]! > cx0[j]! ? cx0[i]! : cx0[j]!) !== x || (cy0[i]! > cy0[j]! ? cy0[i]! : cy0[j]!) !== y) continue;
        if (!test(i, j)) return stop();
      }
    }
  }
  return result(true);
}
