import { LAYER_SPECS } from '../layers/specs.js';
import type { ImportJobRow, RejectRow, RepairRow } from './repository.js';
import type { ImportJobViewT, RejectListT, RepairListT } from './schemas.js';
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
    options: row.options as unknown as Record<string, unknown>,
    counts: {
      features: row.feature_count,
      imported: row.imported_count,
      rejected: row.rejected_count,
      repaired: row.repaired_count,
    },
    repairedAreaChangeM2: row.repaired_area_change_m2 === null ? null : Number(row.repaired_area_change_m2),
    timingsMs: row.timings_ms,
    replaces: row.replaces,
    supersededBy: row.superseded_by,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    links: { self, rejects: `${self}/rejects`, repairs: `${self}/repairs` },
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
