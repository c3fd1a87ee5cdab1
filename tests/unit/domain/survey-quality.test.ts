import { describe, expect, it } from 'vitest';
import { QUALITY_RULES, QUALITY_RULE_CODES, beyond, totalTolerance } from '../../../src/domain/survey-quality.js';

describe('survey quality rules', () => {
  it('compares areas of record in hundredths: exactly 0.01 apart is within 0.01, 0.02 is beyond', () => {
    expect(beyond(100.01, 100, 0.01)).toBe(false);
    expect(beyond(0.1 + 0.2, 0.3, 0)).toBe(false);
    expect(beyond(100.02, 100, 0.01)).toBe(true);
    expect(beyond(99.98, 100, 0.01)).toBe(true);
  });

  it('lets the county total drift by 0.01 m² × √n (rounding of n areas), never less than 0.01 m²', () => {
    expect(totalTolerance(0)).toBe(0.01);
    expect(totalTolerance(1)).toBe(0.01);
    expect(totalTolerance(10_000)).toBeCloseTo(1, 10);
    // A spherical area on a 7 km² county (0.15 % too large) is far beyond it.
    expect(beyond(7e6 * 1.0015, 7e6, totalTolerance(200_000))).toBe(true);
  });

  it('labels every rule in Chinese with its basis', () => {
    for (const c of QUALITY_RULE_CODES) {
      expect(QUALITY_RULES[c].code).toBe(c);
      expect(QUALITY_RULES[c].label).toMatch(/[\u4e00-\u9fff]/);
      expect(QUALITY_RULES[c].basis.length).toBeGreaterThan(5);
    }
  });
});
