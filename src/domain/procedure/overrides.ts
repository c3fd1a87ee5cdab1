/**
 * Overrides of failed verification checks (核实, issue 10 point 4): which failed check may be passed
 * over, by whom, on what.
 *
 * Jiangxi scheme (seeds/001) §三(二)1 defines the only eligible land: "对第三次全国国土调查及年度国土
 * 变更调查中确定的采矿用地实施生态修复，恢复森林植被，由采矿用地转为林地"; §三(三)1 admits only "已经实施
 * 生态修复，恢复森林植被的采矿用地"; §三(二)2(2) makes 核实 the step that ensures "土地权属明晰、来源可靠";
 * §四(二) asks "从严把握补充的林地标准不降，面积要实". Readings:
 *
 * - **Source (来源可靠, check `source`) is never overridable, at any level.** Land that is not mining
 *   land is not 补充林地 at all; the seed gives no authority — county, city or province — a path to
 *   admit other land. The city's and province's steps (§三(三)2) are sample checks that must find it
 *   "核查无误", not approvals of exceptions. (Mining land that was restored before the application is
 *   a matter of eligibility, §三(三)1, not of an override of this check.)
 * - **Double counting (重复申报, check `overlap`) is never overridable, at any level**: one piece of
 *   land counted twice makes the area unreal ("面积要实") and would issue quota twice.
 * - **Every other failed check** (geometry, area, not-forest, ownership, jurisdiction) may be passed
 *   over only with the county government's approval ("由县级人民政府牵头……进行内外业核实"): the
 *   approval names the checks, gives a reason of substance (at least MIN_REASON characters) and at
 *   least one evidence document with its title and number (文号). The county forestry bureau's
 *   verification then uses it; the override is kept in the transition's evidence (audit log) and on
 *   the parcel, so every listing of the parcel shows it.
 */
import { CHECK_LABELS, type CheckCode } from '../checks/status.js';
import type { Role } from './actors.js';
import type { GuardFailure } from './state-machine.js';

/** Checks no one may override: the seed gives no path to admit land that fails them. */
export const NEVER_OVERRIDABLE = ['source', 'overlap'] as const satisfies readonly CheckCode[];
type Never = (typeof NEVER_OVERRIDABLE)[number];
const isNever = (c: string): c is Never => (NEVER_OVERRIDABLE as readonly string[]).includes(c);

/** The one role that may approve an override of the other checks. */
export const OVERRIDE_APPROVER: Role = 'county-government';

/** Shortest reason accepted: a sentence, not a word. */
export const MIN_REASON = 10;

export interface OverrideDocument {
  title?: string;
  number?: string;
}

export interface OverrideApproval {
  checks: string[];
  reason: string;
  documents: OverrideDocument[];
  approvedBy: { login: string; role: string; name?: string | null };
  approvedOn: string;
}

const label = (c: string) => CHECK_LABELS[c as CheckCode] ?? c;

const NEVER_REASON: Record<Never, string> = {
  source: '来源可靠检查不通过的地块不得核实通过：补充林地限于“第三次全国国土调查及年度国土变更调查中确定的采矿用地”（试点方案三(二)1），任何层级均不得以核实意见替代',
  overlap: '重复申报检查不通过的地块不得核实通过：同一地块不得重复补充（“面积要实”，试点方案四(二)），任何层级均不得以核实意见替代',
};

/** Whether `role` may override a failed `check`: never source or overlap; the rest only the county government. */
export function mayOverride(check: string, role: Role): boolean {
  return !isNever(check) && role === OVERRIDE_APPROVER;
}

/** The guards for the approval itself: what the county government must give (checks, reason, evidence). */
export function approvalGuards(input: { checks: string[]; reason: string; documents: OverrideDocument[] }, role: Role, overridable: readonly string[]): GuardFailure[] {
  const out: GuardFailure[] = [];
  for (const c of NEVER_OVERRIDABLE) if (input.checks.includes(c)) out.push({ guard: `${c}-not-overridable`, reason: NEVER_REASON[c] });
  const unknown = input.checks.filter((c) => !overridable.includes(c) && !isNever(c));
  if (unknown.length) out.push({ guard: 'override-checks-known', reason: `不是核实检查（a–g）：${unknown.join('、')}` });
  if (!input.checks.length) out.push({ guard: 'override-checks-named', reason: '须写明批准越过的检查项' });
  if (role !== OVERRIDE_APPROVER) out.push({ guard: 'override-by-county-government', reason: '检查不通过仍予核实，须经县级人民政府批准' });
  if (input.reason.trim().length < MIN_REASON) out.push({ guard: 'override-reason', reason: `批准理由须写明事实和依据（至少${MIN_REASON}个字）` });
  if (!input.documents.some((d) => d.title?.trim() && d.number?.trim())) {
    out.push({ guard: 'override-evidence', reason: '须附至少一份证明材料，写明文件名称和文号（documents[].title、number）' });
  }
  return out;
}

/**
 * The guards at 核实 for the failed checks: none of them source or overlap, and the others all
 * covered by a county-government approval that itself holds (approvalGuards).
 */
export function overrideGuards(failed: readonly string[], messages: ReadonlyMap<string, string>, approval: OverrideApproval | null, overridable: readonly string[]): GuardFailure[] {
  const out: GuardFailure[] = [];
  for (const c of NEVER_OVERRIDABLE) {
    if (failed.includes(c)) out.push({ guard: `${c}-not-overridable`, reason: `${NEVER_REASON[c]}（${messages.get(c) ?? ''}）` });
  }
  const rest = failed.filter((c) => !isNever(c));
  if (!rest.length) return out;
  const uncovered = rest.filter((c) => !approval?.checks.includes(c));
  const problems = approval ? approvalGuards(approval, approval.approvedBy.role as Role, overridable) : [];
  if (uncovered.length || problems.length) {
    out.push({
      guard: 'checks-passed',
      reason: `检查未通过：${rest.map((c) => `${label(c)}（${messages.get(c) ?? ''}）`).join('；')}；${
        uncovered.length
          ? `如经核实确认可办理，须由县级人民政府批准越过${uncovered.map(label).join('、')}（写明理由并附证明材料，POST /api/v1/procedures/{id}/override-approvals）`
          : problems.map((p) => p.reason).join('；')
      }`,
    });
  }
  return out;
}
