import { describe, expect, it } from 'vitest';
import { adjustPieceAreas } from '../../../src/domain/area/area-adjustment.js';

describe('面积平差 of split parcels', () => {
  it('makes the pieces add up exactly to the original TBMJ, adjusting the largest piece', () => {
    const pieces = adjustPieceAreas(10000.0, [3333.334, 6666.669]);
    expect(pieces).toEqual([3333.33, 6666.67]);
    // Three pieces of 3333.34 overshoot by 0.02: the first of the (equal) largest takes it.
    expect(adjustPieceAreas(10000.0, [3333.336, 3333.336, 3333.336])).toEqual([3333.32, 3333.34, 3333.34]);
  });
  it('leaves exact pieces alone', () => {
    expect(adjustPieceAreas(1500.5, [1000.25, 500.25])).toEqual([1000.25, 500.25]);
  });
  it('refuses pieces that do not tile the original', () => {
    expect(() => adjustPieceAreas(10000, [4000, 4000])).toThrow(/residual/);
  });
});
