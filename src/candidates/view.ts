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
