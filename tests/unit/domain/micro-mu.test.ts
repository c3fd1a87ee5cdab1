import { describe, expect, it } from 'vitest';
import { hectareToMicroMu, m2ToMicroMu, muToMicroMu, parseDecimal, quotaArea, roundDiv } from '../../../src/domain/units.js';

const mu = (v: string) => muToMicroMu(v);

describe('exact µ亩: units and rounding', () => {
  it('converts m² (2 decimals), 亩 and 公顷 (6 decimals) exactly and refuses more precision', () => {
    expect(m2ToMicroMu('666.67')).toBe(1_000_005n); // 666.67 m² = 1.000005 亩
    expect(m2ToMicroMu('333340')).toBe(mu('500.01'));
    expect(hectareToMicroMu('1')).toBe(mu('15'));
    expect(hectareToMicroMu('33.333334')).toBe(500_000_010n);
    expect(() => m2ToMicroMu('1.001')).toThrow();
    expect(() => muToMicroMu('1.0000001')).toThrow();
    expect(() => m2ToMicroMu('-1')).toThrow();
    expect(() => m2ToMicroMu('1e3')).toThrow();
    expect(parseDecimal('12.3400', 2)).toBe(1234n); // trailing zeros are not precision
    expect(parseDecimal(0.1, 2)).toBe(10n); // a JSON number by its shortest decimal form
  });

  it('rounds half away from zero, each unit from the exact value', () => {
    expect(roundDiv(5n, 10n)).toBe(1n);
    expect(roundDiv(-5n, 10n)).toBe(-1n);
    expect(roundDiv(4n, 10n)).toBe(0n);
    expect(quotaArea(mu('1730'))).toEqual({ m2: 1153333.33, mu: 1730, hectare: 115.3333, muExact: '1730.000000' });
    expect(quotaArea(mu('500'))).toEqual({ m2: 333333.33, mu: 500, hectare: 33.3333, muExact: '500.000000' });
    expect(quotaArea(mu('499.99'))).toEqual({ m2: 333326.67, mu: 499.99, hectare: 33.3327, muExact: '499.990000' });
    expect(quotaArea(mu('0.00005'))).toMatchObject({ mu: 0.0001 }); // half up at the 4th decimal
    expect(quotaArea(mu('0.000049'))).toMatchObject({ mu: 0 });
    expect(quotaArea(-mu('1.5'))).toEqual({ m2: -1000, mu: -1.5, hectare: -0.1, muExact: '-1.500000' });
    expect(quotaArea(0n)).toEqual({ m2: 0, mu: 0, hectare: 0, muExact: '0.000000' });
  });
});
