import type { FeatureCollection } from 'geojson';
import { CHECK_CODES, CHECK_LABELS, worstStatus, type CheckCode, type CheckStatus } from '../domain/checks/status.js';
import { areaFigures, type AreaFigures } from '../domain/units.js';
import type { ResultRow } from './report-repository.js';

export interface ParcelReport {
  parcelId: string;
  parcelNo: string;
  fid: number;
  townshipCode: string | null;
  applicant: string | null;
  status: CheckStatus;
  areaOfRecord: AreaFigures | null;
  checks: { code: string; label: string; status: string; statusLabel: string; message: string; figures: Record<string, unknown>; problems: FeatureCollection | null }[];
}

export interface UploadSummary {
  parcels: number;
  byStatus: Record<CheckStatus, number>;
  byCheck: Record<string, Record<CheckStatus, number>>;
  area: { total: AreaFigures; passed: AreaFigures; warned: AreaFigures; failed: AreaFigures };
}

const emptyCounts = (): Record<CheckStatus, number> => ({ pass: 0, warn: 0, fail: 0, 'not-run': 0 });
export const STATUS_LABEL: Record<string, string> = { pass: '通过', warn: '警告', fail: '不通过', 'not-run': '未检查' };

/** Groups a run's rows by parcel, in check order, with each parcel's overall (worst) status. */
export function parcelReports(rows: ResultRow[]): ParcelReport[] {
  const byParcel = new Map<string, ResultRow[]>();
  for (const r of rows) byParcel.set(r.parcel_id, [...(byParcel.get(r.parcel_id) ?? []), r]);
  return [...byParcel.values()].map((rs) => {
    const first = rs[0]!;
    const checks = [...rs]
      .sort((a, b) => CHECK_CODES.indexOf(a.check_code as CheckCode) - CHECK_CODES.indexOf(b.check_code as CheckCode))
      .map((r) => ({
        code: r.check_code,
        label: CHECK_LABELS[r.check_code as CheckCode] ?? r.check_code,
        status: r.status,
        statusLabel: STATUS_LABEL[r.status] ?? r.status,
        message: r.message,
        figures: r.figures,
        problems: r.problems,
      }));
    const area = rs.find((r) => r.check_code === 'area')?.figures.areaOfRecord as AreaFigures | undefined;
    return {
      parcelId: first.parcel_id,
      parcelNo: first.parcel_no,
      fid: first.fid,
      townshipCode: first.township_code,
      applicant: first.applicant,
      status: worstStatus(rs.map((r) => r.status as CheckStatus)),
      areaOfRecord: area ?? null,
      checks,
    };
  });
}

/** Counts by status (overall and per check) and areas in m², 亩 and 公顷 by overall status. */
export function summarise(reports: ParcelReport[]): UploadSummary {
  const byStatus = emptyCounts();
  const byCheck: Record<string, Record<CheckStatus, number>> = Object.fromEntries(CHECK_CODES.map((c) => [c, emptyCounts()]));
  const sums = { total: 0, pass: 0, warn: 0, fail: 0 };
  for (const r of reports) {
    byStatus[r.status]++;
    for (const c of r.checks) byCheck[c.code]![c.status as CheckStatus]++;
    const m2 = r.areaOfRecord?.m2 ?? 0;
    sums.total += m2;
    if (r.status === 'pass' || r.status === 'warn' || r.status === 'fail') sums[r.status] += m2;
  }
  return {
    parcels: reports.length,
    byStatus,
    byCheck,
    area: { total: areaFigures(sums.total), passed: areaFigures(sums.pass), warned: areaFigures(sums.warn), failed: areaFigures(sums.fail) },
  };
}
