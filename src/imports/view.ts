import { LAYER_SPECS } from '../layers/specs.js';
import { QUALITY_RULES } from '../domain/survey-quality.js';
import type { FindingRow } from './quality-repository.js';
import type { ImportJobRow, RejectRow, RepairRow } from './repository.js';
import type { ImportJobViewT, QualityFindingViewT, QualityReportT, RejectListT, RepairListT } from './schemas.js';
import { PHASE_LABELS } from './service.js';

const STATE_LABELS: Record<string, string> = {
  queued: '排队中',
  running: '导入中',
  succeeded: '成功',
  refused: '已拒绝',
  failed: '失败',
};

/** The API's view of an import job: camelCase, with Chinese labels beside the codes. */
export function importJobView(row: ImportJobRow, prefix = '/api/v1'): ImportJobViewT {
  const self = `${prefix}/imports/${row.id}`;
  return {
    id: row.id,
    layer: row.layer,
    layerLabel: LAYER_SPECS[row.layer].label,
    countyCode: row.county_code,
    surveyYear: row.survey_year,
    state: row.state,
    stateLabel: STATE_LABELS[row.state] ?? row.state,
    phase: row.phase,
    phaseLabel: row.phase ? (PHASE_LABELS[row.phase] ?? row.phase) : null,
    progress: row.progress,
    current: row.state === 'succeeded' && !row.superseded_by,
    source: {
      name: row.source_name,
      format: row.source_format,
      layer: row.source_layer,
      bytes: row.source_bytes === null ? null : Number(row.source_bytes),
      sha256: row.content_sha256,
    },
    crs: row.crs,
    encoding: row.encoding,
    options: row.options,
    counts: {
      features: row.feature_count,
      imported: row.imported_count,
      rejected: row.rejected_count,
      repaired: row.repaired_count,
    },
    repairedAreaChangeM2: row.repaired_area_change_m2 === null ? null : Number(row.repaired_area_change_m2),
    timingsMs: row.timings_ms,
    quality: row.quality,
    replaces: row.replaces,
    supersededBy: row.superseded_by,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    links: { self, rejects: `${self}/rejects`, repairs: `${self}/repairs`, quality: `${self}/quality` },
  };
}

/** A page of an import's rejects; the total is the job's count (the page may be shorter). */
export function rejectListView(job: ImportJobRow, items: RejectRow[]): RejectListT {
  return { total: job.rejected_count ?? items.length, items };
}

/** A page of an import's repairs with the total area change they made. */
export function repairListView(job: ImportJobRow, items: RepairRow[]): RepairListT {
  return {
    total: job.repaired_count ?? 0,
    areaChangeM2: job.repaired_area_change_m2 === null ? null : Number(job.repaired_area_change_m2),
    items,
  };
}

export function qualityFindingView(f: FindingRow): QualityFindingViewT {
  return {
    seq: f.seq,
    rule: f.rule,
    ruleLabel: QUALITY_RULES[f.rule]?.label ?? f.rule,
    fids: f.fids?.map(Number) ?? null,
    bsms: f.bsms,
    message: f.message,
    figures: f.figures,
  };
}

/** The quality report of an import: its summary, the rules with their basis, a page of findings. */
export function qualityReportView(job: ImportJobRow, items: FindingRow[]): QualityReportT {
  return {
    importId: job.id,
    summary: job.quality,
    rules: Object.values(QUALITY_RULES).map((r) => ({ code: r.code, label: r.label, basis: r.basis })),
    items: items.map(qualityFindingView),
  };
}

/** A finding as a GeoJSON feature (its location in EPSG:4490). */
export function qualityFeature(f: FindingRow): string {
  const { seq, rule, ruleLabel, fids, bsms, message, figures } = qualityFindingView(f);
  // The geometry is PostGIS's GeoJSON text already: spliced in, not parsed and printed again.
  return `{"type":"Feature","properties":${JSON.stringify({ seq, rule, ruleLabel, fids, bsms, message, ...figures })},"geometry":${f.geometry ?? 'null'}}`;
}
