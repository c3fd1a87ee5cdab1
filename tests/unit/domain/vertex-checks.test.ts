import { describe, expect, it } from 'vitest';
import { duplicateVertices, ringPerimeter, spikeVertices, thinness, type XY } from '../../../src/domain/geometry/vertex-checks.js';

const square: XY[] = [[0, 0], [100, 0], [100, 100], [0, 100], [0, 0]];

describe('vertex checks', () => {
  it('finds consecutive duplicate vertices within tolerance', () => {
    expect(duplicateVertices(square, 0.001)).toEqual([]);
    expect(duplicateVertices([[0, 0], [100, 0], [100, 0.0005], [100, 100], [0, 100], [0, 0]], 0.001)).toEqual([[100, 0.0005]]);
  });
  it('finds a spike: an edge that goes out and comes straight back', () => {
    const spiky: XY[] = [[0, 0], [100, 0], [100, 50], [180, 50.5], [100, 51], [100, 100], [0, 100], [0, 0]];
    expect(spikeVertices(spiky, 1)).toEqual([[180, 50.5]]);
    expect(spikeVertices(square, 1)).toEqual([]);
  });
  it('measures perimeter and thinness', () => {
    expect(ringPerimeter(square)).toBe(400);
    expect(thinness(10000, 400)).toBeCloseTo(Math.PI / 4, 12);
    expect(thinness(100 * 0.5, 201)).toBeLessThan(0.05);
  });
});
