import { CHECK_CODES, CHECK_LABELS } from '../domain/checks/status.js';
import { sheet, type AnySheet, type Column } from '../reports/tabular.js';
import type { ParcelRow, UploadRow } from './repository.js';
import type { RunRow } from './report-repository.js';
import { STATUS_LABEL, summarise, type ParcelReport } from './report.js';
import type { ParcelViewT, ReportGeoJsonT, UploadViewT } from './schemas.js';

/** The API's view of an upload batch: camelCase, with links to its report and runs. */
export function uploadView(u: UploadRow): UploadViewT {
  return {
    id: u.id,
    countyCode: u.county_code,
    townshipCode: u.township_code,
    applicant: u.applicant,
    intendedForestClass: u.intended_forest_class,
    source: { name: u.source_name, format: u.source_format, layer: u.source_layer, bytes: Number(u.source_bytes), sha256: u.content_sha256 },
    crs: u.crs,
    encoding: u.encoding,
    parcelCount: u.parcel_count,
    warnings: u.warnings,
    createdAt: u.created_at.toISOString(),
    links: {
      self: `/api/v1/candidate-uploads/${u.id}`,
      report: `/api/v1/candidate-uploads/${u.id}/report`,
      geojson: `/api/v1/candidate-uploads/${u.id}/report?format=geojson`,
      checkRuns: `/api/v1/candidate-uploads/${u.id}/check-runs`,
    },
  };
}

export function parcelView(p: ParcelRow): ParcelViewT {
  return {
    id: p.id,
    fid: p.fid,
    parcelNo: p.parcel_no,
    townshipCode: p.township_code,
    applicant: p.applicant,
    declaredAreaM2: p.declared_area_m2 === null ? null : Number(p.declared_area_m2),
    intendedForestClass: p.intended_forest_class,
    attributes: p.attributes,
    srcSrid: p.src_srid,
    links: { report: `/api/v1/candidate-parcels/${p.id}/report` },
  };
}

export function checkRunListView(uploadId: string, runs: RunRow[]) {
  return {
    items: runs.map((r) => ({
      id: r.id,
      checkedAt: r.started_at.toISOString(),
      parameters: r.parameters,
      parameterSetVersion: r.parameter_set_version,
      layers: r.layers,
      links: { report: `/api/v1/candidate-uploads/${uploadId}/report?run=${r.id}` },
    })),
  };
}

/** A run's report: the run, the counts and areas by status, and every parcel's checks. */
export function reportView(run: RunRow, parcels: ParcelReport[]) {
  return {
    run: { id: run.id, checkedAt: run.started_at.toISOString(), parameters: run.parameters, parameterSetVersion: run.parameter_set_version, layers: run.layers, runBy: run.run_by },
    summary: summarise(parcels),
    parcels,
  };
}

/** The report in the format asked for: GeoJSON needs the parcels' outlines. */
export function reportAnswer(
  run: RunRow,
  parcels: ParcelReport[],
  outlines: Map<string, GeoJSON.Geometry | null> | undefined,
): ReturnType<typeof reportView> | ReportGeoJsonT {
  return outlines ? reportAsGeoJson(run, parcels, outlines) : reportView(run, parcels);
}

/** GeoJSON report: each parcel with its overall status, then every problem geometry with its check. */
function reportAsGeoJson(run: RunRow, reports: ParcelReport[], outlines: Map<string, GeoJSON.Geometry | null>): ReportGeoJsonT {
  const features: ReportGeoJsonT['features'] = [];
  for (const r of reports) {
    features.push({
      type: 'Feature',
      id: r.parcelId,
      // GeoJSON allows a null geometry; the types package does not say so.
      geometry: (outlines.get(r.parcelId) ?? null),
      properties: {
        kind: 'parcel',
        parcelId: r.parcelId,
        DKBH: r.parcelNo,
        status: r.status,
        statusLabel: STATUS_LABEL[r.status],
        areaM2: r.areaOfRecord?.m2 ?? null,
        areaMu: r.areaOfRecord?.mu ?? null,
        failed: r.checks.filter((c) => c.status === 'fail').map((c) => c.label),
        runId: run.id,
        checkedAt: run.started_at.toISOString(),
      },
    });
    for (const c of r.checks) {
      for (const f of c.problems?.features ?? []) {
        features.push({ ...f, properties: { kind: 'problem', parcelId: r.parcelId, DKBH: r.parcelNo, status: c.status, message: c.message, ...f.properties } });
      }
    }
  }
  return { type: 'FeatureCollection', features };
}

type ParcelCheck = ParcelReport['checks'][number];

/** 亩 to 4 decimals and 公顷 to 4 decimals beside m² (2), as the area check reports them. */
const areaColumns: Column<ParcelReport>[] = [
  { header: '椭球面积（平方米）', value: (p) => p.areaOfRecord?.m2, numFmt: '0.00' },
  { header: '椭球面积（亩）', value: (p) => p.areaOfRecord?.mu, numFmt: '0.0000' },
  { header: '椭球面积（公顷）', value: (p) => p.areaOfRecord?.hectare, numFmt: '0.0000' },
];

/**
 * The report as spreadsheet tables, Chinese headers: one row per parcel with the conclusion of each
 * of the eight checks, one row per parcel and check with its message, and the run it comes from
 * (so a printed sheet says which thresholds and survey layers it was checked against).
 */
export function reportTables(uploadId: string, run: RunRow, parcels: ParcelReport[]): { file: string; sheets: AnySheet[] } {
  const checkOf = (p: ParcelReport, code: string) => p.checks.find((c) => c.code === code);
  const parcelCols: Column<ParcelReport>[] = [
    { header: '地块编号', value: (p) => p.parcelNo },
    { header: '要素序号', value: (p) => p.fid },
    { header: '乡镇代码', value: (p) => p.townshipCode },
    { header: '申请单位', value: (p) => p.applicant },
    { header: '总体结论', value: (p) => STATUS_LABEL[p.status] ?? p.status },
    ...areaColumns,
    ...CHECK_CODES.map((code): Column<ParcelReport> => ({ header: CHECK_LABELS[code], value: (p) => checkOf(p, code)?.statusLabel ?? '未检查' })),
    { header: '未通过的检查', value: (p) => p.checks.filter((c) => c.status === 'fail').map((c) => c.label).join('；'), width: 30 },
  ];
  type Line = { parcel: ParcelReport; check: ParcelCheck };
  const lineCols: Column<Line>[] = [
    { header: '地块编号', value: (l) => l.parcel.parcelNo },
    { header: '检查项', value: (l) => l.check.label },
    { header: '结论', value: (l) => l.check.statusLabel },
    { header: '说明', value: (l) => l.check.message, width: 60 },
    { header: '问题图形数', value: (l) => l.check.problems?.features.length ?? 0 },
  ];
  const checkedAt = run.started_at.toISOString();
  const runRows: [string, string | number | null][] = [
    ['批次编号', uploadId],
    ['检查记录编号', run.id],
    ['检查时间（UTC）', checkedAt],
    ['检查人', run.run_by],
    ['检查参数版本', run.parameter_set_version],
    ['检查参数', JSON.stringify(run.parameters)],
    ['所用调查图层', JSON.stringify(run.layers)],
    ['地块数', parcels.length],
  ];
  return {
    file: `拟补充林地检查报告_${uploadId.slice(0, 8)}_${checkedAt.slice(0, 10)}`,
    sheets: [
      sheet({ name: '地块检查结果', columns: parcelCols, rows: parcels }),
      sheet({ name: '检查明细', columns: lineCols, rows: parcels.flatMap((parcel) => parcel.checks.map((check) => ({ parcel, check }))) }),
      sheet<[string, string | number | null]>({ name: '检查记录', columns: [{ header: '项目', value: (r) => r[0], width: 16 }, { header: '内容', value: (r) => r[1], width: 60 }], rows: runRows }),
    ],
  };
}
