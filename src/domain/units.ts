/** 1 亩 = 10000/15 m²; 1 公顷 = 10000 m² = 15 亩 (DOMAIN.md §6). */
export const SQM_PER_MU = 10000 / 15;
export const SQM_PER_HECTARE = 10000;

export function roundTo(value: number, decimals: number): number {
  // Scale, round half away from zero, unscale: survey tools round areas this way.
  const f = 10 ** decimals;
  const scaled = Math.abs(value) * f;
  // Guard against binary representation just below .5 (e.g. 1.005 * 100 = 100.49999…).
  const r = Math.round(scaled + 1e-9 * Math.max(1, scaled) * Number.EPSILON * 1e6);
  return (Math.sign(value) * r) / f;
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
