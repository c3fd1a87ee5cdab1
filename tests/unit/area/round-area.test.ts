import { describe, it, expect } from 'vitest';
import { roundArea } from '../../../src/domain/area/ellipsoidal-area.js';
import { areaFigures, roundTo } from '../../../src/domain/units.js';

describe('roundArea (0.01 m², half away from zero)', () => {
  it('rounds halves away from zero, as printed decimals suggest', () => {
    // 1.005 is stored as 1.00499999999999989…; survey tools print and round it as 1.01.
    expect(roundArea(1.005)).toBe(1.01);
    expect(roundArea(2.675)).toBe(2.68);
    expect(roundArea(0.125)).toBe(0.13);
    expect(roundArea(1234.565)).toBe(1234.57);
    expect(roundArea(-1.005)).toBe(-1.01);
    expect(roundArea(-0.125)).toBe(-0.13);
  });

  it('rounds non-halves to nearest', () => {
    expect(roundArea(333333.3333333)).toBe(333333.33);
    expect(roundArea(1099230.569394)).toBe(1099230.57);
    expect(roundArea(1234.5649999)).toBe(1234.56);
    expect(roundArea(99992515.88994)).toBe(99992515.89);
  });

  it('has no negative zero and passes non-finite values through', () => {
    expect(Object.is(roundArea(-0.001), 0)).toBe(true);
    expect(roundArea(0)).toBe(0);
    expect(roundArea(Number.NaN)).toBeNaN();
    expect(roundArea(Infinity)).toBe(Infinity);
  });
});

describe('roundTo', () => {
  it('works for other decimal places', () => {
    expect(roundTo(1.00005, 4)).toBe(1.0001);
    expect(roundTo(0.76235, 4)).toBe(0.7624);
    expect(roundTo(12.5, 0)).toBe(13);
    expect(roundTo(1250, -2)).toBe(1300);
  });

  it('areaFigures keeps its shape', () => {
    expect(areaFigures(333333.335)).toEqual({ m2: 333333.34, mu: 500, hectare: 33.3333 });
  });

  it('areaFigures gives the 亩 and 公顷 of the rounded m² (the area of record), as the procedure stores it', () => {
    // 17 486.497 m² → 17 486.50 m² of record → 26.22975 亩 → 26.2298 (from the unrounded m²: 26.2297).
    expect(areaFigures(17486.497)).toEqual({ m2: 17486.5, mu: 26.2298, hectare: 1.7487 });
    expect(areaFigures(17486.497).mu).toBe(areaFigures(17486.5).mu);
  });
});
