/**
 * Eligible land at 申请 and 核实 (issue 10 point 3). Jiangxi scheme (seeds/001):
 *
 * - §三(二)1 "对第三次全国国土调查及年度国土变更调查中确定的采矿用地实施生态修复": the source check reads the
 *   base survey and the later annual change surveys (domain/checks/source.ts). Reading: a change survey
 *   counts when it was imported before the application — land is applied for as the surveys stood
 *   then, so a survey imported later cannot make an earlier application eligible (核实 refuses).
 * - §三(三)1 "对于已经实施生态修复，恢复森林植被的采矿用地，经验收合格后，纳入补充林地储备库": mining land
 *   restored before the application is admitted when the application records it (restoration date,
 *   restorer — 谁修复、谁受益 — and evidence documents with their numbers). Then the not-forest check,
 *   which such land fails by being forest already, does not block 核实 (it is not an override: the
 *   source check must still pass), and 造林 takes the recorded date, earlier than 确认.
 */
import { isIsoDate } from './deadlines.js';
import type { CheckOutcome, GuardFailure } from './state-machine.js';

export interface PriorRestoration {
  restoredOn: string;
  restorer: { name: string; kind: string; contact?: string };
  documents: { title: string; number?: string; url?: string; date?: string }[];
}

/** 申请 with a prior restoration: a valid date not after the application, the restorer, evidence with numbers. */
export function priorRestorationGuards(r: PriorRestoration, appliedOn: string): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!isIsoDate(r.restoredOn)) out.push({ guard: 'prior-restoration-date', reason: `修复日期“${r.restoredOn}”无效` });
  else if (r.restoredOn > appliedOn) out.push({ guard: 'prior-restoration-date', reason: `修复日期${r.restoredOn}晚于申请日期${appliedOn}：申请前已实施的生态修复才可登记为已修复` });
  if (!r.restorer.name.trim()) out.push({ guard: 'prior-restoration-restorer', reason: '须登记修复主体（谁修复、谁受益）' });
  if (!r.documents.some((d) => d.title.trim() && d.number?.trim())) {
    out.push({ guard: 'prior-restoration-evidence', reason: '须附已实施生态修复的证明材料，写明文件名称和编号（如修复方案批复、验收意见：priorRestoration.documents[].title、number）' });
  }
  return out;
}

interface SourceYearFigure {
  year: number;
  importedAt?: string | null;
  newArea?: { m2?: number };
}

/**
 * 核实: the change surveys the source check counted up to the year that made the parcel eligible were
 * imported before the application (`appliedAt`, the moment the application was recorded).
 */
export function surveyBeforeApplicationGuards(source: CheckOutcome | undefined, appliedAt: Date): GuardFailure[] {
  const f = source?.figures ?? {};
  const eligibleYear = typeof f.eligibleYear === 'number' ? f.eligibleYear : null;
  const baseYear = typeof f.baseYear === 'number' ? f.baseYear : null;
  if (source?.status !== 'pass' || eligibleYear === null || eligibleYear === baseYear) return [];
  const late = ((f.miningByYear as SourceYearFigure[] | undefined) ?? []).filter(
    (y) => y.year !== baseYear && y.year <= eligibleYear && (y.newArea?.m2 ?? 0) > 0 && !(y.importedAt && new Date(y.importedAt) <= appliedAt),
  );
  if (!late.length) return [];
  return [{
    guard: 'source-survey-before-application',
    reason: `该地块由${late.map((y) => `${y.year}年年度国土变更调查（导入于${y.importedAt ?? '未知时间'}）`).join('、')}确定为采矿用地，晚于申请（${appliedAt.toISOString()}）：只计申请前已导入的变更调查`,
  }];
}
