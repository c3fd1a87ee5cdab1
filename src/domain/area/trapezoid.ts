/**
 * The ellipsoidal trapezoid series of 国土调查办发〔2008〕32号 / TD/T 1055:
 *
 *   S = 2b²·ΔL·[A·sin(ΔB/2)·cos Bm − B·sin(3ΔB/2)·cos 3Bm + C·sin(5ΔB/2)·cos 5Bm
 *               − D·sin(7ΔB/2)·cos 7Bm + E·sin(9ΔB/2)·cos 9Bm]
 *
 * is the area of the ellipsoid between two parallels B1, B2 and two meridians ΔL apart: it is
 * b²·ΔL·∫cos B/(1 − e²sin²B)² dB with the integrand expanded to e⁸ (truncation ~1e-14 relative).
 *
 * A polygon is summed from one such trapezoid per edge: the trapezoid bounded by the edge, the
 * parallels through its two ends and a fixed reference meridian L0, so ΔL = (L1 + L2)/2 − L0,
 * ΔB = B2 − B1, Bm = (B1 + B2)/2. (ΔL cannot be the edge's own longitude difference: with ΔB also
 * the edge's, the sum would not be an area.) L0 cancels exactly around a closed ring; taking the
 * ring's first longitude keeps the terms small. Counter-clockwise rings (east = x, north = y)
 * come out positive.
 */
import { CGCS2000_B, CGCS2000_E2 } from './cgcs2000.js';

const e2 = CGCS2000_E2;
const e4 = e2 * e2;
const e6 = e4 * e2;
const e8 = e6 * e2;

export const SERIES_A = 1 + (3 / 6) * e2 + (30 / 80) * e4 + (35 / 112) * e6 + (630 / 2304) * e8;
export const SERIES_B = (1 / 6) * e2 + (15 / 80) * e4 + (21 / 112) * e6 + (420 / 2304) * e8;
export const SERIES_C = (3 / 80) * e4 + (7 / 112) * e6 + (180 / 2304) * e8;
export const SERIES_D = (1 / 112) * e6 + (45 / 2304) * e8;
export const SERIES_E = (5 / 2304) * e8;

const TWO_B2 = 2 * CGCS2000_B * CGCS2000_B;

/**
 * The bracket of the series, i.e. [G(B2) − G(B1)]/2 with G(B) = ∫₀ᴮ cos/(1 − e²sin²)². Multiples
 * of the angles come from the two-term recurrences sin(k+2)x = 2cos2x·sin kx − sin(k−2)x and
 * cos(k+2)x = 2cos2x·cos kx − cos(k−2)x: two trig calls per edge instead of ten.
 */
export function trapezoidBracket(b1: number, b2: number): number {
  const s1 = Math.sin((b2 - b1) / 2);
  const t = 2 * (1 - 2 * s1 * s1);
  const s3 = t * s1 + s1;
  const s5 = t * s3 - s1;
  const s7 = t * s5 - s3;
  const s9 = t * s7 - s5;
  const c1 = Math.cos((b1 + b2) / 2);
  const u = 2 * (2 * c1 * c1 - 1);
  const c3 = u * c1 - c1;
  const c5 = u * c3 - c1;
  const c7 = u * c5 - c3;
  const c9 = u * c7 - c5;
  return SERIES_A * s1 * c1 - SERIES_B * s3 * c3 + SERIES_C * s5 * c5 - SERIES_D * s7 * c7 + SERIES_E * s9 * c9;
}

/** Area (m²) of the lat/lon cell B1..B2 × ΔL (radians), straight from the official formula. */
export function trapezoidArea(deltaL: number, b1: number, b2: number): number {
  return TWO_B2 * deltaL * trapezoidBracket(b1, b2);
}

/**
 * Streaming signed ring area: begin(), add() each vertex (radians) in order without repeating
 * the first, end() closes the ring. One module-level instance is reused by the area functions,
 * so no per-ring allocation; not re-entrant, which is fine for synchronous callers.
 */
export class RingAccumulator {
  private l0 = 0;
  private firstL = 0;
  private firstB = 0;
  private prevL = 0;
  private prevB = 0;
  private count = 0;
  private sum = 0;

  begin(): void {
    this.count = 0;
    this.sum = 0;
  }

  add(lon: number, lat: number): void {
    if (this.count === 0) {
      this.l0 = lon;
      this.firstL = lon;
      this.firstB = lat;
    } else {
      this.sum += ((this.prevL + lon) / 2 - this.l0) * trapezoidBracket(this.prevB, lat);
    }
    this.prevL = lon;
    this.prevB = lat;
    this.count++;
  }

  /** Signed area in m², counter-clockwise positive; 0 for fewer than 3 vertices. */
  end(): number {
    if (this.count < 3) return 0;
    const closing = ((this.prevL + this.firstL) / 2 - this.l0) * trapezoidBracket(this.prevB, this.firstB);
    return TWO_B2 * (this.sum + closing);
  }
}
