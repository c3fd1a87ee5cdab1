import { describe, expect, it } from 'vitest';
import { CHECK_THRESHOLD_BOUNDS, CHECK_THRESHOLD_NAMES, DEFAULT_CHECK_PARAMETERS, parameterSetGuard, thresholdsOf } from '../../../src/domain/checks/parameters.js';

describe('check parameter sets', () => {
  it('the defaults (version 1) name every threshold and lie within the publication bounds', () => {
    expect(Object.keys(DEFAULT_CHECK_PARAMETERS).sort()).toEqual([...CHECK_THRESHOLD_NAMES].sort());
    for (const k of CHECK_THRESHOLD_NAMES) {
      const b = CHECK_THRESHOLD_BOUNDS[k];
      expect(DEFAULT_CHECK_PARAMETERS[k], k).toBeGreaterThanOrEqual(b.min);
      expect(DEFAULT_CHECK_PARAMETERS[k], k).toBeLessThanOrEqual(b.max);
    }
  });

  it('thresholdsOf keeps only the thresholds (a run’s survey years and anything else fall away)', () => {
    const run = { ...DEFAULT_CHECK_PARAMETERS, changeYear: 2023, runBy: 'x', sourceMinShare: 0.5 } as never;
    expect(thresholdsOf(run)).toEqual({ ...DEFAULT_CHECK_PARAMETERS, sourceMinShare: 0.5 });
  });

  it('a run counts only under the version in force; a run from before versioning never does', () => {
    expect(parameterSetGuard(3, 3)).toBeNull();
    expect(parameterSetGuard(2, 3)).toMatchObject({ guard: 'check-parameters-current', reason: expect.stringContaining('第2版') });
    expect(parameterSetGuard(null, 1)).toMatchObject({ guard: 'check-parameters-current', reason: expect.stringContaining('早于') });
  });
});
