/** Plane-coordinate diagnostics of polygon rings (Gauss–Krüger metres), one job each. */
export type XY = [number, number];

/** Drops the closing vertex of a closed ring. */
function open(ring: XY[]): XY[] {
  const n = ring.length;
  if (n > 1 && ring[0]![0] === ring[n - 1]![0] && ring[0]![1] === ring[n - 1]![1]) return ring.slice(0, -1);
  return ring;
}

/** Consecutive vertices closer than tol (m), as the position of the repeated vertex. */
export function duplicateVertices(ring: XY[], tol: number): XY[] {
  const r = open(ring);
  const out: XY[] = [];
  for (let i = 0; i < r.length; i++) {
    const a = r[i]!;
    const b = r[(i + 1) % r.length]!;
    if (Math.hypot(b[0] - a[0], b[1] - a[1]) < tol) out.push(b);
  }
  return out;
}

/**
 * Spikes: vertices where the ring turns back on itself, i.e. the interior angle between the
 * incoming and outgoing edges is below maxAngleDeg. Zero-length edges are skipped (they are
 * duplicates, reported separately).
 */
export function spikeVertices(ring: XY[], maxAngleDeg: number, minEdge = 1e-6): XY[] {
  const r = open(ring).filter((p, i, a) => i === 0 || Math.hypot(p[0] - a[i - 1]![0], p[1] - a[i - 1]![1]) >= minEdge);
  const out: XY[] = [];
  const n = r.length;
  if (n < 3) return out;
  const limit = (maxAngleDeg * Math.PI) / 180;
  for (let i = 0; i < n; i++) {
    const prev = r[(i - 1 + n) % n]!;
    const cur = r[i]!;
    const next = r[(i + 1) % n]!;
    const ax = prev[0] - cur[0];
    const ay = prev[1] - cur[1];
    const bx = next[0] - cur[0];
    const by = next[1] - cur[1];
    const angle = Math.abs(Math.atan2(ax * by - ay * bx, ax * bx + ay * by));
    if (angle < limit) out.push(cur);
  }
  return out;
}

/** Plane perimeter of a ring, m. */
export function ringPerimeter(ring: XY[]): number {
  let p = 0;
  for (let i = 1; i < ring.length; i++) p += Math.hypot(ring[i]![0] - ring[i - 1]![0], ring[i]![1] - ring[i - 1]![1]);
  const first = ring[0];
  const last = ring[ring.length - 1];
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) p += Math.hypot(first[0] - last[0], first[1] - last[1]);
  return p;
}

/** Isoperimetric thinness 4πA/P²: 1 for a disc, ~0.785 for a square, → 0 for a sliver. */
export function thinness(areaM2: number, perimeterM: number): number {
  return perimeterM > 0 ? (4 * Math.PI * areaM2) / (perimeterM * perimeterM) : 0;
}
