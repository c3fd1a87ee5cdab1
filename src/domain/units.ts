/** 1 亩 = 10000/15 m²; 1 公顷 = 10000 m² = 15 亩 (DOMAIN.md §6). */
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

/** An area in m² (2 decimals), 亩 (4) and 公顷 (4), as people read and sign it. */
export function areaFigures(m2: number): AreaFigures {
  return { m2: roundTo(m2, 2), mu: roundTo(sqmToMu(m2), 4), hectare: roundTo(sqmToHectare(m2), 4) };
}
