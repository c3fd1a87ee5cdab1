import { Problem } from '../http/problem.js';
import { areaFigures } from '../domain/units.js';
import type { Column } from '../reports/tabular.js';
import type { FiltersT } from './schemas.js';
import type { RestorablePolygon, RestorableQuery, TownshipTotal } from './service.js';

/** The query's filters as the service takes them: lists split, the bbox read and checked. */
export function restorableQuery(county: string, f: FiltersT): RestorableQuery {
  const bbox = f.bbox?.split(',').map(Number) as [number, number, number, number] | undefined;
  if (bbox && (bbox[0] >= bbox[2] || bbox[1] >= bbox[3])) {
    throw new Problem(400, 'bbox-invalid', 'Invalid bbox', `bbox应为“最小经度,最小纬度,最大经度,最大纬度”，实际为“${f.bbox}”`);
  }
  return {
    county,
    year: f.year,
    township: f.township,
    minAreaM2: f.minAreaM2,
    ownership: f.ownership,
    qsxz: f.qsxz?.split(','),
    czcsxm204: f.czcsxm204,
    bbox,
  };
}

export const townshipColumns: Column<TownshipTotal>[] = [
  { header: '乡镇代码', value: (t) => t.township },
  { header: '乡镇名称', value: (t) => t.name },
  { header: '图斑数', value: (t) => t.parcels },
  { header: '可修复面积（平方米）', value: (t) => t.area.m2, numFmt: '0.00' },
  { header: '可修复面积（亩）', value: (t) => t.area.mu, numFmt: '0.0000' },
  { header: '可修复面积（公顷）', value: (t) => t.area.hectare, numFmt: '0.0000' },
];

/** The summary's rows for CSV and XLSX: the townships and a county total. */
export function summaryRows(s: { countyCode: string; total: { parcels: number; area: TownshipTotal['area'] }; townships: TownshipTotal[] }): TownshipTotal[] {
  return [...s.townships, { township: '合计', name: `${s.countyCode}县合计`, parcels: s.total.parcels, area: s.total.area }];
}

/** Query string of the current filters, for the page links. */
function filterQuery(f: FiltersT): Record<string, string> {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined && k !== 'after' && k !== 'limit' && k !== 'format') q[k] = String(v);
  return q;
}

/**
 * A page of restorable polygons as GeoJSON text (schema RestorablePage): the geometry arrives as
 * GeoJSON from PostGIS and is passed through unparsed.
 */
export function restorablePageText(
  county: string,
  filters: FiltersT,
  page: { limit: number; after?: number },
  result: { surveyYear: number; items: RestorablePolygon[]; next?: number },
): string {
  const base = `/api/v1/counties/${county}/restorable-mining-land`;
  const href = (after: number | undefined) =>
    `${base}?${new URLSearchParams({ ...filterQuery(filters), limit: String(page.limit), ...(after !== undefined ? { after: String(after) } : {}) })}`;
  const links = [{ rel: 'self', type: 'application/geo+json', href: href(page.after) }];
  if (result.next !== undefined) links.push({ rel: 'next', type: 'application/geo+json', href: href(result.next) });
  const features = result.items.map(({ row: r, restorableM2 }) => {
    const a = areaFigures(restorableM2);
    const properties = {
      BSM: r.bsm, DLBM: r.dlbm, DLMC: r.dlmc, QSXZ: r.qsxz, QSDWDM: r.qsdwdm, QSDWMC: r.qsdwmc,
      ZLDWDM: r.zldwdm, ZLDWMC: r.zldwmc, CZCSXM: r.czcsxm, TBMJ: r.tbmj === null ? null : Number(r.tbmj),
      KXFMJ: a.m2, KXFMJ_MU: a.mu, KXFMJ_HA: a.hectare, BFFG: r.covered,
    };
    return `{"type":"Feature","id":${r.fid},"geometry":${r.geometry ?? 'null'},"properties":${JSON.stringify(properties)}}`;
  });
  return `{"type":"FeatureCollection","numberReturned":${features.length},"surveyYear":${result.surveyYear},"links":${JSON.stringify(links)},"features":[${features.join(',')}]}`;
}
