import { createHash } from 'node:crypto';

/**
 * Reproducible area-based sampling for the reserve audits (Jiangxi scheme §三(三)2): the city checks
 * on site a sample covering at least 30 % of a county reserve's AREA, the province at least 15 %.
 *
 * Algorithm `sha256-sfc32-fisher-yates/v1`, fully determined by the seed and the population:
 * 1. the population is put in canonical order: by parcel id (ascending code units);
 * 2. the seed's SHA-256 initialises an sfc32 generator (four 32-bit words, then 12 discarded outputs);
 * 3. a Fisher–Yates shuffle (i from n−1 down to 1, j uniform in [0, i] by rejection, no modulo bias);
 * 4. parcels are taken in shuffled order until the sampled area reaches the share of the total:
 *    sampled × 100 ≥ total × pct, compared exactly on integer hundredths of m².
 * Anyone holding the seed and the population list (both recorded with the audit) can redraw it.
 */
export const SAMPLING_ALGORITHM = 'sha256-sfc32-fisher-yates/v1';

/** Minimum shares of the area: city 30 %, province 15 %. */
export const MIN_SHARE_PCT = { city: 30, province: 15 } as const;

/** A 32-bit generator seeded from the SHA-256 of a text seed. */
export function seededGenerator(seed: string): () => number {
  const h = createHash('sha256').update(seed, 'utf8').digest();
  let a = h.readUInt32BE(0);
  let b = h.readUInt32BE(4);
  let c = h.readUInt32BE(8);
  let d = h.readUInt32BE(12);
  const next = (): number => {
    // sfc32 (Chris Doty-Humphrey's Small Fast Counting generator)
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** Uniform integer in [0, max] from a 32-bit generator, without modulo bias. */
function uniform(next: () => number, max: number): number {
  const range = max + 1;
  const limit = Math.floor(0x1_0000_0000 / range) * range;
  for (;;) {
    const v = next();
    if (v < limit) return v % range;
  }
}

/** The canonical order of a population: by id. */
export function canonicalOrder<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Fisher–Yates shuffle of the canonical order, driven by the seed. */
export function seededShuffle<T extends { id: string }>(items: readonly T[], seed: string): T[] {
  const out = canonicalOrder(items);
  const next = seededGenerator(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = uniform(next, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface SampleUnit {
  id: string;
  /** area of record in hundredths of m² (exact) */
  areaCentiM2: bigint;
}

export interface Sample<T extends SampleUnit> {
  algorithm: string;
  seed: string;
  minSharePct: number;
  /** the sampled units, in draw order */
  sample: T[];
  totalCentiM2: bigint;
  sampledCentiM2: bigint;
  /** sampled / total, for display (the threshold itself is compared exactly) */
  share: number;
}

/** Draws the sample: shuffle by seed, then take until the area share is reached. */
export function drawAreaSample<T extends SampleUnit>(population: readonly T[], seed: string, minSharePct: number): Sample<T> {
  if (!Number.isInteger(minSharePct) || minSharePct < 0 || minSharePct > 100) throw new RangeError('minSharePct must be an integer 0–100');
  const total = population.reduce((s, p) => s + p.areaCentiM2, 0n);
  const sample: T[] = [];
  let sampled = 0n;
  for (const p of seededShuffle(population, seed)) {
    if (sampled * 100n >= total * BigInt(minSharePct) && sample.length > 0) break;
    sample.push(p);
    sampled += p.areaCentiM2;
  }
  if (total === 0n) sample.length = 0;
  return {
    algorithm: SAMPLING_ALGORITHM,
    seed,
    minSharePct,
    sample,
    totalCentiM2: total,
    sampledCentiM2: sampled,
    share: total === 0n ? 0 : Number((sampled * 1_000_000n) / total) / 1_000_000,
  };
}
