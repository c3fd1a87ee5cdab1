import { describe, expect, it } from 'vitest';
import { isForestLand, isLandClassCode, landClass } from '../../../src/domain/land-classes.js';
import { isCountyCode, isQsxzCode, ownershipKind, unitCodeProblem } from '../../../src/domain/ownership.js';
import { areaFigures, sqmToMu } from '../../../src/domain/units.js';

describe('三调 land classes', () => {
  it('knows base codes, suffixed codes and their names', () => {
    expect(landClass('0602')).toMatchObject({ name: '采矿用地', group: '工矿用地' });
    expect(landClass('0201K')?.name).toBe('可调整果园');
    expect(landClass('1107A')?.name).toBe('干渠');
    expect(landClass('05H1')?.name).toBe('商业服务业设施用地');
    expect(isLandClassCode(' 0301 ')).toBe(true);
  });
  it('refuses codes outside the classification', () => {
    for (const c of ['XXXX', '0699', '0602K', '0101A', '', '06']) expect(isLandClassCode(c)).toBe(false);
  });
  it('counts 0301–0307 (and K variants) as forest land, not 0602 or 0401', () => {
    expect(['0301', '0305', '0307', '0301K'].every(isForestLand)).toBe(true);
    expect(['0602', '0401', '0201'].some(isForestLand)).toBe(false);
  });
});

describe('ownership codes', () => {
  it('QSXZ code list and state/collective kinds', () => {
    expect(isQsxzCode('30')).toBe(true);
    expect(isQsxzCode('99')).toBe(false);
    expect(ownershipKind('20')).toBe('state');
    expect(ownershipKind('32')).toBe('collective');
  });
  it('19-digit unit codes must start with the county', () => {
    expect(unitCodeProblem('3611231002010000000', '361123')).toBeUndefined();
    expect(unitCodeProblem('361123100201000000', '361123')).toMatch(/19位/);
    expect(unitCodeProblem('3611241002010000000', '361123')).toMatch(/361124/);
  });
  it('county codes are 6 digits and not a city (…00)', () => {
    expect(isCountyCode('361123')).toBe(true);
    expect(isCountyCode('361100')).toBe(false);
    expect(isCountyCode('36112')).toBe(false);
  });
});

describe('units', () => {
  it('1 亩 = 10000/15 m², 1 公顷 = 15 亩', () => {
    expect(sqmToMu(10000)).toBeCloseTo(15, 12);
    expect(areaFigures(333333.335)).toEqual({ m2: 333333.34, mu: 500, hectare: 33.3333 });
  });
});
