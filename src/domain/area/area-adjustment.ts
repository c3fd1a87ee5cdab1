import { roundTo } from '../units.js';

/**
 * 面积平差: when a parcel of record is split, the pieces' areas (each the official ellipsoidal
 * area, rounded to 0.01 m²) are adjusted so they add up exactly to the original TBMJ, as the
 * survey's control-area rule requires. The residual — rounding plus floating-point noise of the
 * overlay — is handed out 0.01 m² at a time to the pieces whose rounding moved them most the other
 * way (largest remainder; the larger piece first on a tie), so no piece strays from its own area by
 * more than the rounding needs. A residual larger than `maxResidual` means the pieces do not tile
 * the original and is refused rather than hidden.
 */
export function adjustPieceAreas(originalM2: number, piecesM2: number[], maxResidual = 1): number[] {
  const rounded = piecesM2.map((a) => roundTo(a, 2));
  const sum = rounded.reduce((s, a) => s + a, 0);
  const residual = roundTo(originalM2 - sum, 2);
  if (Math.abs(residual) > maxResidual) {
    throw new Error(`pieces sum to ${roundTo(sum, 2)} m², the original is ${originalM2} m²: residual ${residual} m² exceeds ${maxResidual} m²`);
  }
  if (residual === 0 || rounded.length === 0) return rounded;
  const step = residual > 0 ? 0.01 : -0.01;
  // Pieces in the order they should move: rounded furthest against the residual's sign first.
  const order = rounded
    .map((r, i) => ({ i, lag: (piecesM2[i]! - r) * Math.sign(residual), area: piecesM2[i]! }))
    .sort((a, b) => b.lag - a.lag || b.area - a.area || a.i - b.i)
    .map((x) => x.i);
  for (let k = 0; k < Math.round(Math.abs(residual) * 100); k++) {
    const i = order[k % order.length]!;
    rounded[i] = roundTo(rounded[i]! + step, 2);
  }
  return rounded;
}
