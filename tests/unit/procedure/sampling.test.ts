import { describe, expect, it } from 'vitest';
import { canonicalOrder, drawAreaSample, MIN_SHARE_PCT, seededGenerator, seededShuffle, SAMPLING_ALGORITHM } from '../../../src/domain/audit/sampling.js';

const population = (n: number, area: (i: number) => bigint = (i) => BigInt(1000 + ((i * 7919) % 50000))) =>
  Array.from({ length: n }, (_, i) => ({ id: `p-${String(i).padStart(4, '0')}`, areaCentiM2: area(i) }));

describe('seeded, reproducible area sampling', () => {
  it('the same seed and population give the same sample, whatever order the population comes in', () => {
    const pop = population(60);
    const a = drawAreaSample(pop, 'seed-2024-city-361123', MIN_SHARE_PCT.city);
    const b = drawAreaSample([...pop].reverse(), 'seed-2024-city-361123', MIN_SHARE_PCT.city);
    expect(b.sample.map((p) => p.id)).toEqual(a.sample.map((p) => p.id));
    expect(a.algorithm).toBe(SAMPLING_ALGORITHM);
    const c = drawAreaSample(pop, 'another seed', MIN_SHARE_PCT.city);
    expect(c.sample.map((p) => p.id)).not.toEqual(a.sample.map((p) => p.id));
  });

  it('the generator is a fixed function of the seed (golden values)', () => {
    const next = seededGenerator('zhanbu');
    const first = [next(), next(), next()];
    const again = seededGenerator('zhanbu');
    expect([again(), again(), again()]).toEqual(first);
    expect(first.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
    expect(seededShuffle(population(5), 'zhanbu').map((p) => p.id)).toEqual(seededShuffle(population(5), 'zhanbu').map((p) => p.id));
  });

  it.each([
    ['city', 30],
    ['province', 15],
  ] as const)('the %s sample reaches %i %% of the AREA, and stops as soon as it does', (level, pct) => {
    for (const seed of ['a', 'b', 'c', 'd', 'e']) {
      const pop = population(40);
      const s = drawAreaSample(pop, seed, MIN_SHARE_PCT[level]);
      expect(s.sampledCentiM2 * 100n >= s.totalCentiM2 * BigInt(pct)).toBe(true);
      // minimal in draw order: without the last drawn parcel the share would not be reached
      const withoutLast = s.sampledCentiM2 - s.sample[s.sample.length - 1]!.areaCentiM2;
      expect(withoutLast * 100n < s.totalCentiM2 * BigInt(pct)).toBe(true);
      expect(s.sample).toEqual(seededShuffle(pop, seed).slice(0, s.sample.length));
    }
  });

  it('measures area, not parcel count: one large parcel can be the whole sample', () => {
    const pop = [{ id: 'big', areaCentiM2: 900_000n }, ...population(20, () => 10_000n)];
    const s = drawAreaSample(pop, 'x', 30);
    expect(s.sampledCentiM2 * 100n).toBeGreaterThanOrEqual(s.totalCentiM2 * 30n);
    if (s.sample[0]!.id === 'big') expect(s.sample).toHaveLength(1);
  });

  it('handles a population of one and none', () => {
    expect(drawAreaSample([{ id: 'only', areaCentiM2: 5n }], 's', 30).sample.map((p) => p.id)).toEqual(['only']);
    const empty = drawAreaSample([], 's', 30);
    expect(empty.sample).toEqual([]);
    expect(empty.share).toBe(0);
    expect(canonicalOrder([{ id: 'b' }, { id: 'a' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
  });
});
