/**
 * The 500 亩 rule (Jiangxi scheme §三(三)3) with exact arithmetic.
 *
 * Rule: the supplementary forest land a county's reserve accepted in year N (the provincial reserve,
 * reserve year N) yields extra quota for year N+1. Below 500 亩 the county receives all of it; at or
 * above 500 亩 it receives 500 亩 and the rest goes to the provincial pool. (The scheme says
 * "小于500亩 … 大于500亩"; at exactly 500 亩 both readings give the county 500 亩 and the pool 0.)
 *
 * Exact arithmetic. Every area of record is an official ellipsoidal area rounded to 0.01 m².
 * 1 亩 = 10000/15 m², so 0.01 m² = 0.000015 亩 = 15 µ亩 exactly (µ亩 = 10⁻⁶ 亩). Quota amounts are
 * therefore kept as integer µ亩 (bigint here, bigint columns in PostgreSQL): a sum of parcels is
 * exact, 500 亩 = 500 000 000 µ亩 is exact, and the threshold is compared on the exact value —
 * never on a rounded or floating-point figure. (In m², 500 亩 = 333 333.33… m² is not representable,
 * which is why the ledger is not kept in m².)
 *
 * Display (rounding half away from zero, each figure computed from the exact µ亩, never from another
 * rounded figure): 亩 to 4 decimals, 公顷 to 4 decimals (µ亩 / 15 000 000), m² to 2 decimals
 * (µ亩 / 1 500); `muExact` gives the exact 亩 with 6 decimals. Totals are summed exactly first and
 * rounded once, so a rounded total may differ from the sum of rounded rows in the last digit.
 */
export type MicroMu = bigint;

export const MICRO_MU_PER_MU = 1_000_000n;
/** µ亩 per 0.01 m² (one hundredth of a square metre). */
export const MICRO_MU_PER_CENTI_M2 = 15n;
export const FIVE_HUNDRED_MU: MicroMu = 500n * MICRO_MU_PER_MU;

/**
 * Parses a non-negative decimal (string or JSON number) into an integer scaled by 10^decimals,
 * exactly. More decimals than allowed, exponents, signs or garbage are refused (undefined).
 */
export function parseDecimal(value: string | number, decimals: number): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > decimals) return undefined;
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

/** An area of record in m² (at most 2 decimals, e.g. PostgreSQL numeric(15,2) text) as µ亩. */
export function m2ToMicroMu(m2: string | number): MicroMu {
  const centi = parseDecimal(m2, 2);
  if (centi === undefined) throw new RangeError(`not an area in m² with at most 2 decimals: ${m2}`);
  return centi * MICRO_MU_PER_CENTI_M2;
}

/** 亩 with at most 6 decimals as µ亩. */
export function muToMicroMu(mu: string | number): MicroMu {
  const v = parseDecimal(mu, 6);
  if (v === undefined) throw new RangeError(`not an area in 亩 with at most 6 decimals: ${mu}`);
  return v;
}

/** 公顷 with at most 6 decimals as µ亩 (1 公顷 = 15 亩). */
export function hectareToMicroMu(ha: string | number): MicroMu {
  const v = parseDecimal(ha, 6);
  if (v === undefined) throw new RangeError(`not an area in 公顷 with at most 6 decimals: ${ha}`);
  return v * 15n;
}

/** n / d rounded half away from zero (d > 0). */
export function roundDiv(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = (2n * a + d) / (2n * d);
  return neg ? -q : q;
}

/** A scaled integer as a number with that many decimals (exact for the magnitudes we handle). */
const scaled = (v: bigint, decimals: number): number => Number(v) / 10 ** decimals;

export interface QuotaArea {
  /** m², 2 decimals */
  m2: number;
  /** 亩, 4 decimals */
  mu: number;
  /** 公顷, 4 decimals */
  hectare: number;
  /** the exact value in 亩, 6 decimals, as text */
  muExact: string;
}

/** The display figures of an exact amount (see the rounding rule above). */
export function quotaArea(umu: MicroMu): QuotaArea {
  const neg = umu < 0n;
  const a = neg ? -umu : umu;
  const exact = `${neg ? '-' : ''}${a / MICRO_MU_PER_MU}.${(a % MICRO_MU_PER_MU).toString().padStart(6, '0')}`;
  return {
    m2: scaled(roundDiv(umu, 15n), 2) || 0, // m²×100 = µ亩/15
    mu: scaled(roundDiv(umu, 100n), 4) || 0, // 亩×10⁴ = µ亩/100
    hectare: scaled(roundDiv(umu, 1500n), 4) || 0, // 公顷×10⁴ = µ亩/(15×10⁶)×10⁴ = µ亩/1500
    muExact: exact,
  };
}

export interface Split {
  /** quota to the county */
  county: MicroMu;
  /** to the provincial pool */
  pooled: MicroMu;
}

/** The rule on a county's whole reserve of one year. */
export function fiveHundredMuRule(reserve: MicroMu): Split {
  if (reserve < 0n) throw new RangeError('reserve area cannot be negative');
  const county = reserve < FIVE_HUNDRED_MU ? reserve : FIVE_HUNDRED_MU;
  return { county, pooled: reserve - county };
}

/**
 * The rule applied again when more parcels of the same reserve year reach the provincial reserve
 * after an issuance: the new batch gets what the rule gives on the new cumulative total minus what
 * earlier batches already gave, so the county never receives more than 500 亩 for one reserve year
 * and county + pool always equals the whole reserve.
 */
export function incrementalSplit(cumulativeReserve: MicroMu, already: Split): Split {
  const whole = fiveHundredMuRule(cumulativeReserve);
  const county = whole.county - already.county;
  const pooled = whole.pooled - already.pooled;
  if (county < 0n || pooled < 0n) throw new RangeError('reserve shrank below what was already issued');
  return { county, pooled };
}
