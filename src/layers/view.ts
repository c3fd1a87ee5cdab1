import { areaFigures } from '../domain/units.js';
import type { LandClassTotal, LayerVersionRow } from './repository.js';
import type { LandClassTotalsT, LayerVersionViewT } from './schemas.js';
import { LAYER_SPECS, isLayerKind } from './specs.js';

export function layerVersionView(r: LayerVersionRow): LayerVersionViewT {
  return {
    layer: r.layer,
    layerLabel: isLayerKind(r.layer) ? LAYER_SPECS[r.layer].label : r.layer,
    countyCode: r.county_code,
    surveyYear: r.survey_year,
    importId: r.import_id,
    sourceName: r.source_name,
    features: r.imported_count,
    crs: r.crs,
    importedAt: r.finished_at.toISOString(),
  };
}

/** Land-class totals of a county-year, with the county total, in m², 亩 and 公顷. */
export function landClassTotalsView(county: string, year: number, rows: LandClassTotal[]): LandClassTotalsT {
  const sum = rows.reduce((s, r) => s + r.tbmj_m2, 0);
  return {
    countyCode: county,
    surveyYear: year,
    total: { parcels: rows.reduce((s, r) => s + r.parcels, 0), area: areaFigures(sum) },
    items: rows.map((r) => ({ dlbm: r.dlbm, dlmc: r.dlmc, parcels: r.parcels, area: areaFigures(r.tbmj_m2) })),
  };
}
