import { describe, expect, it } from 'vitest';
import {
  FIVE_HUNDRED_MU,
  fiveHundredMuRule,
  hectareToMicroMu,
  incrementalSplit,
  m2ToMicroMu,
  muToMicroMu,
  parseDecimal,
  quotaArea,
  roundDiv,
} from '../../../src/domain/quota/five-hundred-mu.js';

const mu = (v: string) => muToMicroMu(v);

describe('the 500 亩 rule on exact amounts', () => {
  it.each([
    ['0', '0', '0'],
    ['499.99', '499.99', '0'],
    ['499.999999', '499.999999', '0'],
    ['500', '500', '0'],
    ['500.000001', '500', '0.000001'],
    ['500.01', '500', '0.01'],
    ['1730', '500', '1230'],
  ])('a reserve of %s 亩 gives the county %s 亩 and the pool %s 亩', (reserve, county, pooled) => {
    const split = fiveHundredMuRule(mu(reserve));
    expect(split).toEqual({ county: mu(county), pooled: mu(pooled) });
    expect(split.county + split.pooled).toBe(mu(reserve)); // nothing lost, nothing created
  });

  it('compares the threshold on the exact value, not on a rounded one', () => {
    // 333 333.33 m² = 499.999995 亩: shown as 500.0000 亩 (4 decimals) but below the threshold.
    const justBelow = m2ToMicroMu('333333.33');
    expect(justBelow).toBe(499_999_995n);
    expect(quotaArea(justBelow).mu).toBe(500);
    expect(fiveHundredMuRule(justBelow)).toEqual({ county: justBelow, pooled: 0n });
    // 333 333.34 m² = 500.00001 亩: at or above, the county gets exactly 500 亩.
    const justAbove = m2ToMicroMu('333333.34');
    expect(fiveHundredMuRule(justAbove)).toEqual({ county: FIVE_HUNDRED_MU, pooled: 10n });
  });

  it('sums parcels without float drift: 0.1 + 0.2 m² is 0.3 m²', () => {
    expect(m2ToMicroMu('0.1') + m2ToMicroMu('0.2')).toBe(m2ToMicroMu('0.3'));
    // 3 000 parcels of 384.44 m² sum to exactly 1 153 320 m² = 1 729.98 亩 (floats would drift).
    const total = Array.from({ length: 3000 }, () => m2ToMicroMu('384.44')).reduce((s, p) => s + p, 0n);
    expect(total).toBe(mu('1729.98'));
    expect(fiveHundredMuRule(total)).toEqual({ county: FIVE_HUNDRED_MU, pooled: mu('1229.98') });
  });

  it('applies the rule again on the cumulative total when more parcels of the year arrive', () => {
    const first = incrementalSplit(mu('300'), { county: 0n, pooled: 0n });
    expect(first).toEqual({ county: mu('300'), pooled: 0n });
    const second = incrementalSplit(mu('700'), first);
    expect(second).toEqual({ county: mu('200'), pooled: mu('200') });
    const third = incrementalSplit(mu('1730'), { county: first.county + second.county, pooled: first.pooled + second.pooled });
    expect(third).toEqual({ county: 0n, pooled: mu('1030') });
    expect(first.county + second.county + third.county).toBe(FIVE_HUNDRED_MU);
    expect(() => incrementalSplit(mu('100'), { county: mu('300'), pooled: 0n })).toThrow();
  });
});

describe('units and rounding', () => {
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
