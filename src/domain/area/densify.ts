/** Plane densification as survey tools do it before the inverse projection (about every 70 m). */

/** Default maximum plane edge length, metres. */
export const DEFAULT_DENSIFY_METRES = 70;

// Guard against garbage coordinates turning one edge into millions of points.
const MAX_PIECES_PER_EDGE = 100_000;

/**
 * Number of equal pieces an edge (dx, dy) is cut into so none exceeds maxSegment.
 * maxSegment ≤ 0 or not finite means "do not densify".
 */
export function pieceCount(dx: number, dy: number, maxSegment: number): number {
  if (!(maxSegment > 0) || maxSegment === Infinity) return 1;
  const k = Math.ceil(Math.sqrt(dx * dx + dy * dy) / maxSegment);
  if (!(k > 1)) return 1;
  return k > MAX_PIECES_PER_EDGE ? MAX_PIECES_PER_EDGE : k;
}

/** A ring is closed when its last vertex repeats the first. */
export function isClosed(ring: ArrayLike<ArrayLike<number>>): boolean {
  const n = ring.length;
  if (n < 2) return false;
  const a = ring[0] as ArrayLike<number>;
  const b = ring[n - 1] as ArrayLike<number>;
  return a[0] === b[0] && a[1] === b[1];
}

/**
 * Inserts evenly spaced points so no plane edge exceeds maxSegment metres. Point j of k on the edge
 * p→q is p + (q − p)·(j/k), the same expression the streaming area code uses, so both give the same
 * vertices. Closure is preserved: a closed ring comes back closed; for an open ring the implicit
 * closing edge is densified too and the result stays open.
 */
export function densifyPlaneRing(
  ring: ArrayLike<ArrayLike<number>>,
  maxSegment: number = DEFAULT_DENSIFY_METRES,
): [x: number, y: number][] {
  const closed = isClosed(ring);
  const n = closed ? ring.length - 1 : ring.length;
  const out: [number, number][] = [];
  if (n < 2) {
    for (let i = 0; i < ring.length; i++) {
      const p = ring[i] as ArrayLike<number>;
      out.push([p[0] as number, p[1] as number]);
    }
    return out;
  }
  for (let i = 0; i < n; i++) {
    const p = ring[i] as ArrayLike<number>;
    const q = ring[i + 1 < n ? i + 1 : 0] as ArrayLike<number>;
    const x1 = p[0] as number;
    const y1 = p[1] as number;
    const dx = (q[0] as number) - x1;
    const dy = (q[1] as number) - y1;
    out.push([x1, y1]);
    const k = pieceCount(dx, dy, maxSegment);
    for (let j = 1; j < k; j++) {
      const t = j / k;
      out.push([x1 + dx * t, y1 + dy * t]);
    }
  }
  if (closed) {
    const first = out[0] as [number, number];
    out.push([first[0], first[1]]);
  }
  return out;
}
