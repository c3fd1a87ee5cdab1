/**
 * Thresholds of the candidate-parcel checks. Defaults are stated here once; a run records the
 * values it used, so a result can always be read against its own rules.
 */
export interface CheckParameters {
  /** Base-survey DLTB year for the source check (default: the county's earliest imported year). */
  baseYear?: number;
  /** DLTB / one-map year for "not already forest" and ownership (default: latest imported). */
  latestYear?: number;
  /** Change-survey year for the land-class-change check (acceptance); not run when absent. */
  changeYear?: number;
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

export const DEFAULT_CHECK_PARAMETERS: CheckParameters = {
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

/** Area below which an overlay difference counts as boundary noise for a parcel of this area. */
export function boundaryTolerance(parcelAreaM2: number, p: CheckParameters): number {
  return Math.max(p.boundaryToleranceM2, p.boundaryToleranceShare * parcelAreaM2);
}
