/**
 * Rights holders and their consent (issue 10 point 8). Jiangxi scheme (seeds/001) §三(二)2(4):
 * "对公示无异议或异议不成立的拟补充林地，经调查核实，并经相关权利人认可后报县级人民政府批准确认"; §三(二)2(5)
 * "组织相关权利人……实施生态修复". Reading of "相关权利人": everyone holding a right in the land, not only
 * its owner — the ownership units (权属单位) the ownership check found in the survey at 核实, plus the
 * holders the survey does not show and the county adds: land contract holders (土地承包经营权人),
 * land use-right holders (土地使用权人) and mining-right holders (采矿权人, whose mine is being restored).
 * 确认 waits until every one of them has consented (who signed, the kind of right, date, document).
 */
import type { GuardFailure } from './state-machine.js';

export const RIGHT_KINDS = {
  owner: '权属单位',
  contract: '土地承包经营权人',
  use: '土地使用权人',
  mining: '采矿权人',
} as const;
export type RightKind = keyof typeof RIGHT_KINDS;

/** The kinds the county adds; owners come from the survey's ownership (QSDWDM) at 核实. */
export const COUNTY_ADDED_KINDS: readonly RightKind[] = ['contract', 'use', 'mining'];

export const isRightKind = (v: string): v is RightKind => Object.hasOwn(RIGHT_KINDS, v);

export interface Holder {
  id: string;
  kind: RightKind;
  code: string;
  name: string;
}

export interface HolderInput {
  kind: string;
  code: string;
  name: string;
  document?: { title?: string; number?: string };
}

/** Guards for the county adding a holder: a kind the county adds, a name and code, and the document showing the right. */
export function addHolderGuards(input: HolderInput, existing: Holder[]): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!isRightKind(input.kind) || !COUNTY_ADDED_KINDS.includes(input.kind)) {
    out.push({
      guard: 'rights-holder-kind',
      reason: `县级可增补的权利人为${COUNTY_ADDED_KINDS.map((k) => `${RIGHT_KINDS[k]}（${k}）`).join('、')}；权属单位由核实时的权属检查列出`,
    });
  }
  if (!input.name.trim()) out.push({ guard: 'rights-holder-named', reason: '须写明权利人名称' });
  if (!input.code.trim()) out.push({ guard: 'rights-holder-named', reason: '须写明权利人代码（统一社会信用代码、身份证号、采矿许可证号或承包合同编号）' });
  if (!input.document?.title?.trim() || !input.document.number?.trim()) {
    out.push({ guard: 'rights-holder-evidence', reason: '须附权利证明（采矿许可证、承包合同、使用权证等），写明名称和编号（document.title、number）' });
  }
  if (existing.some((h) => h.kind === input.kind && h.code === input.code.trim())) {
    out.push({ guard: 'rights-holder-unique', reason: `该地块已登记${RIGHT_KINDS[input.kind as RightKind] ?? input.kind}${input.code.trim()}` });
  }
  return out;
}

/** A removal says why, in a sentence rather than a word (the record of who was listed, and why not, stays). */
export const REMOVAL_REASON_MIN_CHARS = 6;

/**
 * Guards for removing a holder before 确认: only one the county added (a wrong entry is the county's to
 * correct); the owners are the survey's ownership (QSDWDM) as the ownership check listed it at 核实, and
 * "经相关权利人认可" cannot be met by taking one of them off the list.
 */
export function removeHolderGuards(holder: { kind: RightKind; source: 'ownership-check' | 'county' }, reason: string | undefined): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (holder.source !== 'county') {
    out.push({ guard: 'rights-holder-removable', reason: `${RIGHT_KINDS[holder.kind]}由核实时的权属检查列出，不能删除；县级只能删除本级增补的权利人` });
  }
  if ((reason ?? '').trim().length < REMOVAL_REASON_MIN_CHARS) {
    out.push({ guard: 'removal-reason', reason: `须说明删除理由（至少${REMOVAL_REASON_MIN_CHARS}个字）` });
  }
  return out;
}

/** Who, with what right, as a sentence names them: 采矿权人某矿业有限公司（C3611…）. */
export const describeHolder = (h: Holder): string => `${RIGHT_KINDS[h.kind]}${h.name}（${h.code}）`;

/** 确认: the holders are known (the ownership check listed at least one) and every one has consented. */
export function consentGuards(holders: Holder[], consentedHolderIds: readonly string[]): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!holders.some((h) => h.kind === 'owner')) out.push({ guard: 'rights-holders-known', reason: '核实时权属检查未列出任何权属单位' });
  const missing = holders.filter((h) => !consentedHolderIds.includes(h.id));
  if (missing.length) out.push({ guard: 'consents-complete', reason: `以下权利人尚未登记同意：${missing.map(describeHolder).join('、')}` });
  return out;
}
