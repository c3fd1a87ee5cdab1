import { describe, expect, it } from 'vitest';
import { adjustPieceAreas } from '../../../src/domain/area/area-adjustment.js';

describe('面积平差 of split parcels', () => {
  it('makes the pieces add up exactly to the original TBMJ, 0.01 m² at a time where the rounding was largest', () => {
    const pieces = adjustPieceAreas(10000.0, [3333.334, 6666.669]);
    expect(pieces).toEqual([3333.33, 6666.67]);
    // Three pieces of 3333.34 overshoot by 0.02: two of them give back 0.01 each, none strays by 0.02.
    expect(adjustPieceAreas(10000.0, [3333.336, 3333.336, 3333.336])).toEqual([3333.33, 3333.33, 3333.34]);
    // The piece rounded up the most gives back first.
    expect(adjustPieceAreas(300.0, [100.004, 100.003, 100.0049])).toEqual([100, 100, 100]);
    expect(adjustPieceAreas(300.01, [100.004, 100.003, 100.0])).toEqual([100.01, 100, 100]);
  });
  it('leaves exact pieces alone', () => {
    expect(adjustPieceAreas(1500.5, [1000.25, 500.25])).toEqual([1000.25, 500.25]);
  });
  it('refuses pieces that do not tile the original', () => {
    expect(() => adjustPieceAreas(10000, [4000, 4000])).toThrow(/residual/);
  });
});
