import { FORMATS, type ExportFormat } from './formats.js';
import type { ExportJobRow } from './jobs-repository.js';
import type { ExportJobViewT } from './schemas.js';

export const STATE_LABELS: Record<ExportJobRow['state'], string> = { queued: '排队中', running: '导出中', succeeded: '完成', failed: '失败' };
const PHASE_LABELS: Record<string, string> = { queued: '排队中', preparing: '叠加地块、分割图斑', computing: '计算椭球面积', writing: '写出文件', packaging: '打包', succeeded: '完成', failed: '失败' };

/** The API's view of an export job: camelCase, with Chinese labels beside the codes. */
export function exportJobView(j: ExportJobRow): ExportJobViewT {
  return {
    id: j.id,
    countyCode: j.county_code,
    surveyYear: j.survey_year,
    layer: j.layer,
    format: j.format,
    formatLabel: FORMATS[j.format as ExportFormat]?.label ?? j.format,
    crs: `EPSG:${j.crs_epsg}`,
    parcels: j.parcels,
    state: j.state,
    stateLabel: STATE_LABELS[j.state],
    phase: j.phase,
    phaseLabel: j.phase ? (PHASE_LABELS[j.phase] ?? j.phase) : null,
    progress: j.progress,
    counts: j.counts,
    file: j.file_name ? { name: j.file_name, bytes: Number(j.file_bytes) } : null,
    error: j.error,
    createdAt: j.created_at.toISOString(),
    finishedAt: j.finished_at?.toISOString() ?? null,
    expiredAt: j.expired_at?.toISOString() ?? null,
    links: { self: `/api/v1/exports/${j.id}`, download: `/api/v1/exports/${j.id}/file` },
  };
}
