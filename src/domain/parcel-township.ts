/**
 * Whose parcels an upload may file. A parcel's township is its XZDM (乡镇代码) when the file gives
 * a 9-digit one, else the upload's township. Every parcel must lie in the upload's county, and a
 * township's user files only its own township's parcels — otherwise a clerk could put parcels in
 * a neighbour's name, or in another county's, just by writing its code in the attribute table.
 */
export interface FiledParcel {
  fid: number;
  parcelNo: string;
  township: string | null;
}

export interface TownshipViolations {
  /** Parcels whose township code is not of the upload's county (refused for every role). */
  outsideCounty: FiledParcel[];
  /** Parcels of another township than the uploading township user's own. */
  otherTownship: FiledParcel[];
}

export function townshipViolations(parcels: readonly FiledParcel[], county: string, userTownship?: string | null): TownshipViolations {
  const outsideCounty = parcels.filter((p) => p.township !== null && !p.township.startsWith(county));
  const outside = new Set(outsideCounty);
  const otherTownship = userTownship ? parcels.filter((p) => !outside.has(p) && p.township !== userTownship) : [];
  return { outsideCounty, otherTownship };
}

/** "地块“P-1”（361124001）、地块“P-2”（361124002）等3个" — the first few, named, for a refusal. */
export function describeParcels(parcels: readonly FiledParcel[], max = 5): string {
  const named = parcels.slice(0, max).map((p) => `地块“${p.parcelNo}”（${p.township ?? '无乡镇代码'}）`).join('、');
  return parcels.length > max ? `${named}等${parcels.length}个地块` : named;
}
