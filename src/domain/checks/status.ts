import { boundaryTolerance, type CheckParameters } from './parameters.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'not-run';

export const CHECK_LABELS = {
  geometry: '几何检查',
  area: '面积（椭球面积）',
  source: '来源可靠（原为采矿用地）',
  'not-forest': '非现状林地',
  ownership: '权属明晰',
  jurisdiction: '行政区划',
  overlap: '重复申报',
  'land-class-change': '地类变更（验收）',
} as const;
export type CheckCode = keyof typeof CHECK_LABELS;
export const CHECK_CODES = Object.keys(CHECK_LABELS) as CheckCode[];

/**
 * Source (来源可靠): the part of the parcel not on base-survey 0602 must be within tolerance of
 * what the minimum share allows.
 */
export function sourceStatus(parcelM2: number, miningM2: number, p: CheckParameters): CheckStatus {
  const allowedOff = parcelM2 * (1 - p.sourceMinShare) + boundaryTolerance(parcelM2, p);
  return parcelM2 - miningM2 <= allowedOff ? 'pass' : 'fail';
}

/** Not already forest: any overlap with 林地 or forest 小班 beyond boundary noise fails. */
export function notForestStatus(parcelM2: number, forestDltbM2: number, forestXbM2: number, p: CheckParameters): CheckStatus {
  const tol = boundaryTolerance(parcelM2, p);
  return forestDltbM2 > tol || forestXbM2 > tol ? 'fail' : 'pass';
}

/** Land-class change: the share now forest (DLTB and one-map both) must reach the minimum. */
export function changeStatus(parcelM2: number, forestDltbM2: number, forestXbM2: number, p: CheckParameters): CheckStatus {
  const allowedOff = parcelM2 * (1 - p.changeMinShare) + boundaryTolerance(parcelM2, p);
  return parcelM2 - forestDltbM2 <= allowedOff && parcelM2 - forestXbM2 <= allowedOff ? 'pass' : 'fail';
}

/** Declared area against the area of record: beyond the tolerance it warns (never fails). */
export function declaredAreaStatus(recordM2: number, declaredM2: number | null, p: CheckParameters): CheckStatus {
  if (declaredM2 === null) return 'pass';
  return Math.abs(declaredM2 - recordM2) <= p.declaredAreaTolerance * recordM2 ? 'pass' : 'warn';
}

export interface OwnershipPart {
  qsdwdm: string | null;
  qsdwmc: string | null;
  qsxz: string | null;
  areaM2: number;
}

/**
 * Ownership (权属明晰): more than one unit, or state and collective land mixed, is flagged
 * (warn): the parcel can proceed only with every rights holder's consent.
 */
export function ownershipStatus(parts: OwnershipPart[], parcelM2: number, p: CheckParameters): { status: CheckStatus; units: OwnershipPart[]; mixed: boolean } {
  const tol = boundaryTolerance(parcelM2, p);
  const units = parts.filter((u) => u.areaM2 > tol);
  const kinds = new Set(units.map((u) => (u.qsxz === '10' || u.qsxz === '20' ? 'state' : 'collective')));
  const mixed = kinds.size > 1;
  if (units.length === 0) return { status: 'fail', units, mixed };
  return { status: units.length > 1 || mixed ? 'warn' : 'pass', units, mixed };
}

/** The worst of several statuses (fail > warn > pass; not-run only when all are). */
export function worstStatus(statuses: CheckStatus[]): CheckStatus {
  for (const s of ['fail', 'warn', 'pass'] as const) if (statuses.includes(s)) return s;
  return 'not-run';
}
