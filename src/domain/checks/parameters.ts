/**
 * Thresholds of the candidate-parcel checks. They decide eligibility, so they are not a request's
 * to choose: the province publishes them as a versioned parameter set (candidate.check_parameter_set,
 * migrations/0008), every run records the version it used, and verification relies only on runs
 * made with the version in force. The defaults below are version 1.
 */
export interface CheckThresholds {
  /** Area within which boundary noise is ignored in every overlay check, m². */
  boundaryToleranceM2: number;
  /** …or this share of the parcel's area, whichever is larger. */
  boundaryToleranceShare: number;
  /** Source check: minimum share of the parcel on base-survey 0602 (1 = all of it, less tolerance). */
  sourceMinShare: number;
  /** Land-class change: minimum share of the parcel that must now be forest. */
  changeMinShare: number;
  /** Declared area may differ from the area of record by this share before a warning. */
  declaredAreaTolerance: number;
  /** Geometry: a vertex angle below this (degrees) is a spike. */
  spikeAngleDeg: number;
  /** Geometry: consecutive vertices closer than this (m) are duplicates. */
  duplicateVertexM: number;
  /** Geometry: a part with 4πA/P² below this is a sliver. */
  sliverThinness: number;
  /** Geometry: a part smaller than this (m²) is a sliver whatever its shape. */
  sliverMinAreaM2: number;
}

/** What a run used: the thresholds in force and the survey years it read. */
export interface CheckParameters extends CheckThresholds {
  /** Base-survey DLTB year for the source check (default: the county's earliest imported year). */
  baseYear?: number;
  /** DLTB / one-map year for "not already forest" and ownership (default: latest imported). */
  latestYear?: number;
  /** Change-survey year for the land-class-change check (acceptance); not run when absent. */
  changeYear?: number;
}

export const DEFAULT_CHECK_PARAMETERS: CheckThresholds = {
  boundaryToleranceM2: 1,
  boundaryToleranceShare: 0.001,
  sourceMinShare: 1,
  changeMinShare: 1,
  declaredAreaTolerance: 0.005,
  spikeAngleDeg: 1,
  duplicateVertexM: 0.001,
  sliverThinness: 0.05,
  sliverMinAreaM2: 1,
};

/**
 * The bounds within which the province may set each threshold (inclusive), with a label for
 * people. They keep a parameter set meaningful (a share is 0–1, a tolerance is not negative), not
 * policy: the policy is the province's, and every change is recorded with who and why.
 */
export const CHECK_THRESHOLD_BOUNDS: Record<keyof CheckThresholds, { min: number; max: number; label: string }> = {
  boundaryToleranceM2: { min: 0, max: 100, label: '边界容差（平方米）' },
  boundaryToleranceShare: { min: 0, max: 0.05, label: '边界容差（占地块面积比例）' },
  sourceMinShare: { min: 0, max: 1, label: '来源检查：采矿用地最低占比' },
  changeMinShare: { min: 0, max: 1, label: '地类变更检查：林地最低占比' },
  declaredAreaTolerance: { min: 0, max: 0.5, label: '申报面积允许偏差（比例）' },
  spikeAngleDeg: { min: 0, max: 30, label: '尖刺角度阈值（度）' },
  duplicateVertexM: { min: 0, max: 1, label: '重复节点间距（米）' },
  sliverThinness: { min: 0, max: 1, label: '狭长多边形形状指数阈值' },
  sliverMinAreaM2: { min: 0, max: 100, label: '碎片最小面积（平方米）' },
};

export const CHECK_THRESHOLD_NAMES = Object.keys(CHECK_THRESHOLD_BOUNDS) as (keyof CheckThresholds)[];

/** Only the thresholds of an object (e.g. a run's recorded parameters), in a fixed key order. */
export function thresholdsOf(p: CheckThresholds): CheckThresholds {
  return Object.fromEntries(CHECK_THRESHOLD_NAMES.map((k) => [k, p[k]])) as unknown as CheckThresholds;
}

/** Area below which an overlay difference counts as boundary noise for a parcel of this area. */
export function boundaryTolerance(parcelAreaM2: number, p: CheckThresholds): number {
  return Math.max(p.boundaryToleranceM2, p.boundaryToleranceShare * parcelAreaM2);
}

/**
 * A run's results stand only under the parameter set they were computed with. Verification and
 * acceptance read the statuses a run stored, so a run made under an older set (or before sets were
 * versioned, version null) is refused rather than re-evaluated: re-deriving every status from stored
 * figures would duplicate the checks' logic, and re-running takes one request (`rerunChecks`).
 */
export function parameterSetGuard(runVersion: number | null, inForce: number): { guard: string; reason: string } | null {
  if (runVersion === inForce) return null;
  return {
    guard: 'check-parameters-current',
    reason:
      runVersion === null
        ? `该检查记录早于检查参数版本管理，不能作为依据；请按现行参数（第${inForce}版）重新检查`
        : `该检查记录采用第${runVersion}版检查参数，现行为第${inForce}版；请按现行参数重新检查`,
  };
}
