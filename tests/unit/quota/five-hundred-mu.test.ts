import { describe, expect, it } from 'vitest';
import { FIVE_HUNDRED_MU, fiveHundredMuRule, incrementalSplit } from '../../../src/domain/quota/five-hundred-mu.js';
import { m2ToMicroMu, muToMicroMu, quotaArea } from '../../../src/domain/units.js';

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
