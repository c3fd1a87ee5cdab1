import { roundTo } from '../units.js';

/**
 * 面积平差: when a parcel of record is split, the pieces' areas (each the official ellipsoidal
 * area, rounded to 0.01 m²) are adjusted so they add up exactly to the original TBMJ, as the
 * survey's control-area rule requires. The residual — rounding plus floating-point noise of the
 * overlay — goes to the largest piece. A residual larger than `maxResidual` means the pieces do
 * not tile the original and is refused rather than hidden.
 */
export function adjustPieceAreas(originalM2: number, piecesM2: number[], maxResidual = 1): number[] {
  const rounded = piecesM2.map((a) => roundTo(a, 2));
  const sum = rounded.reduce((s, a) => s + a, 0);
  const residual = roundTo(originalM2 - sum, 2);
  if (Math.abs(residual) > maxResidual) {
    throw new Error(`pieces sum to ${roundTo(sum, 2)} m², the original is ${originalM2} m²: residual ${residual} m² exceeds ${maxResidual} m²`);
  }
  if (residual === 0 || rounded.length === 0) return rounded;
  let largest = 0;
  rounded.forEach((a, i) => {
    if (a > rounded[largest]!) largest = i;
  });
  rounded[largest] = roundTo(rounded[largest]! + residual, 2);
  return rounded;
}
