import { describe, expect, it } from 'vitest';
import { muToMicroMu } from '../../../src/domain/units.js';
import { dateInPeriod, JIANGXI_PILOT, lapsedOn, lastValidDay, quotaYearInPeriod } from '../../../src/domain/quota/pilot-period.js';
import { allocatePool } from '../../../src/domain/quota/pool.js';

const mu = (v: string) => muToMicroMu(v);
const req = (id: string, county: string, need: string, at: string) => ({ id, county, need: mu(need), requestedAt: `2024-0${at}T00:00:00.000Z` });

describe('provincial pool allocation: priority to the origin county, then its city', () => {
  it('serves the origin county before its city, and its city before the rest of the province', () => {
    // 361123 玉山县 pooled 100 亩. Requests: 360111 (南昌, earliest), 361102 (信州, same city), 361123 itself (latest).
    const out = allocatePool([{ county: '361123', available: mu('100') }], [
      req('r-nanchang', '360111', '80', '1-01'),
      req('r-xinzhou', '361102', '50', '2-01'),
      req('r-yushan', '361123', '30', '3-01'),
    ]);
    expect(out).toEqual([
      { requestId: 'r-yushan', county: '361123', origin: '361123', tier: 'same-county', amount: mu('30') },
      { requestId: 'r-xinzhou', county: '361102', origin: '361123', tier: 'same-city', amount: mu('50') },
      { requestId: 'r-nanchang', county: '360111', origin: '361123', tier: 'province', amount: mu('20') },
    ]);
  });

  it('a county draws on its own pooled quota first, then its city’s, then others; first come first served within a tier', () => {
    const out = allocatePool(
      [
        { county: '360111', available: mu('40') },
        { county: '361102', available: mu('10') },
        { county: '361123', available: mu('5') },
      ],
      [req('a', '361123', '30', '1-01'), req('b', '361125', '20', '1-02')],
    );
    expect(out).toEqual([
      { requestId: 'a', county: '361123', origin: '361123', tier: 'same-county', amount: mu('5') },
      { requestId: 'a', county: '361123', origin: '361102', tier: 'same-city', amount: mu('10') },
      { requestId: 'a', county: '361123', origin: '360111', tier: 'province', amount: mu('15') },
      { requestId: 'b', county: '361125', origin: '360111', tier: 'province', amount: mu('20') },
    ]);
    const total = out.reduce((s, a) => s + a.amount, 0n);
    expect(total).toBe(mu('50')); // never more than requested, never more than available
  });

  it('allocates nothing without balance or requests', () => {
    expect(allocatePool([], [req('a', '361123', '1', '1-01')])).toEqual([]);
    expect(allocatePool([{ county: '361123', available: mu('1') }], [])).toEqual([]);
  });
});

describe('pilot period (Jiangxi 2022–2024)', () => {
  it('is valid through 31 December 2024 and lapsed from 1 January 2025', () => {
    expect(lastValidDay(JIANGXI_PILOT)).toBe('2024-12-31');
    expect(dateInPeriod(JIANGXI_PILOT, '2024-12-31')).toBe(true);
    expect(lapsedOn(JIANGXI_PILOT, '2024-12-31')).toBe(false);
    expect(lapsedOn(JIANGXI_PILOT, '2025-01-01')).toBe(true);
    expect(dateInPeriod(JIANGXI_PILOT, '2021-12-31')).toBe(false);
    expect(quotaYearInPeriod(JIANGXI_PILOT, 2025)).toBe(false); // reserve of 2024 yields no quota inside the pilot
    expect(quotaYearInPeriod(JIANGXI_PILOT, 2023)).toBe(true);
  });

  // Configurable through ZHANBU_PILOT_START / ZHANBU_PILOT_END: tests/unit/config/config.test.ts.
});
