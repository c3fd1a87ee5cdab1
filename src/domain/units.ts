/**
 * Areas in m², 亩 and 公顷. 1 亩 = 10000/15 m²; 1 公顷 = 10000 m² = 15 亩 (DOMAIN.md §6).
 *
 * Two kinds of arithmetic live here. Floating point (first part) for areas computed from geometry
 * (check figures, survey sums, fixtures), which are measurements, not amounts of record. Exact
 * integer µ亩 (second part) for areas of record and quota: every area of record is an official
 * ellipsoidal area rounded to 0.01 m², and 0.01 m² = 0.000015 亩 = 15 µ亩 (µ亩 = 10⁻⁶ 亩) exactly, so
 * a sum of parcels, 500 亩 = 500 000 000 µ亩 and every ledger amount are exact bigints — never a
 * rounded or floating-point figure. (In m², 500 亩 = 333 333.33… m² is not representable, which is
 * why the ledger is not kept in m².)
 */
export const SQM_PER_MU = 10000 / 15;
export const SQM_PER_HECTARE = 10000;

export function roundTo(value: number, decimals: number): number {
  // Half away from zero, as survey tools round areas. The scaled value is first snapped to 15
  // significant digits so that binary representation error (1.005 × 100 = 100.49999999999999)
  // does not decide the rounding: the decimal the user sees does.
  if (!Number.isFinite(value)) return value;
  const f = 10 ** decimals;
  const scaled = Number((Math.abs(value) * f).toPrecision(15));
  const r = Math.round(scaled);
  if (r === 0) return 0;
  return Math.sign(value) * (decimals >= 0 ? r / f : r * 10 ** -decimals);
}

export const sqmToMu = (m2: number): number => m2 / SQM_PER_MU;
export const sqmToHectare = (m2: number): number => m2 / SQM_PER_HECTARE;

export interface AreaFigures {
  m2: number;
  mu: number;
  hectare: number;
}

/**
 * An area in m² (2 decimals), 亩 (4) and 公顷 (4), as people read and sign it. 亩 and 公顷 are those
 * of the rounded m² (the area of record is a multiple of 0.01 m²), so the check report, the
 * procedure and the reserve, which keep the rounded m², give one parcel the same 亩.
 */
export function areaFigures(m2: number): AreaFigures {
  const record = roundTo(m2, 2);
  return { m2: record, mu: roundTo(sqmToMu(record), 4), hectare: roundTo(sqmToHectare(record), 4) };
}

// ---------------------------------------------------------------- exact µ亩 (areas of record, quota)

/*
 * Display (rounding half away from zero, each figure computed from the exact µ亩, never from another
 * rounded figure): 亩 to 4 decimals, 公顷 to 4 decimals (µ亩 / 15 000 000), m² to 2 decimals
 * (µ亩 / 1 500); `muExact` gives the exact 亩 with 6 decimals. Totals are summed exactly first and
 * rounded once, so a rounded total may differ from the sum of rounded rows in the last digit.
 */
export type MicroMu = bigint;

export const MICRO_MU_PER_MU = 1_000_000n;
/** µ亩 per 0.01 m² (one hundredth of a square metre). */
export const MICRO_MU_PER_CENTI_M2 = 15n;

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

/** The display figures of an exact amount (rounding rule above). */
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
