/**
 * The annual re-inspection of reserve parcels and what each outcome does (赣林规〔2022〕1号 §三(三)4):
 * "对已纳入补充林地储备库的地块，每年核查一次，对管护不到位、林分质量下降，甚至退化、灭失的，扣减当年度使用林地指标".
 * 000 (上饶): "省、市将集中组织核查考评，对管护不到位、林分质量下降，甚至退化、灭失的，将扣减当年度使用林地指标".
 *
 * Reading. The seed gives all four outcomes the same quota effect — deduction from the inspection
 * year's quota — and grades them ("甚至": the last two are worse). What differs is the parcel:
 * - 管护不到位, 林分质量下降, 退化: the land is still supplementary forest land of the reserve; the
 *   inspector states the area affected (default: the whole parcel), that area is deducted, and the
 *   county is given a rectification deadline (整改期限) — next year's inspection checks it.
 * - 灭失: the forest is gone; the whole parcel is deducted and leaves the reserve (出库).
 * A parcel's loss is deducted once: an inspection deducts only the affected area beyond what earlier
 * inspections of the parcel already deducted (a parcel found degraded two years running is not
 * deducted twice; one found 灭失 after 退化 of part of it is deducted the rest). The seed says nothing
 * of giving a deduction back when a parcel is rectified, so nothing is given back.
 * What the year's balance cannot cover is not a negative balance but a debt against the county's
 * next issuance (settleDebts).
 */
import type { MicroMu } from '../units.js';

export const OUTCOMES = ['intact', 'inadequate-care', 'quality-declined', 'degraded', 'lost'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const OUTCOME_LABELS: Record<Outcome, string> = {
  intact: '完好',
  'inadequate-care': '管护不到位',
  'quality-declined': '林分质量下降',
  degraded: '退化',
  lost: '灭失',
};

export interface OutcomeEffect {
  /** Deducts from the inspection year's quota. */
  deducts: boolean;
  /** The whole parcel is affected (no partial area). */
  wholeParcel: boolean;
  /** The parcel leaves the reserve. */
  removes: boolean;
  /** A rectification deadline (整改期限) is required. */
  rectify: boolean;
  /** What the outcome does, as a person reads it. */
  text: string;
}

export const OUTCOME_EFFECTS: Record<Outcome, OutcomeEffect> = {
  intact: { deducts: false, wholeParcel: false, removes: false, rectify: false, text: '完好，不扣减' },
  'inadequate-care': { deducts: true, wholeParcel: false, removes: false, rectify: true, text: '管护不到位：扣减当年度使用林地指标（受影响面积），限期整改，地块仍在储备库' },
  'quality-declined': { deducts: true, wholeParcel: false, removes: false, rectify: true, text: '林分质量下降：扣减当年度使用林地指标（受影响面积），限期整改，地块仍在储备库' },
  degraded: { deducts: true, wholeParcel: false, removes: false, rectify: true, text: '退化：扣减当年度使用林地指标（退化面积），限期补植补造，地块仍在储备库' },
  lost: { deducts: true, wholeParcel: true, removes: true, rectify: false, text: '灭失：扣减当年度使用林地指标（地块全部面积），地块出库' },
};

export interface Deduction {
  /** The area found affected (µ亩): 0 for intact, the whole parcel when lost. */
  affected: MicroMu;
  /** The part of the affected area not deducted before: the parcel's loss recognised now. */
  loss: MicroMu;
  /** Taken from the year's balance now. */
  fromBalance: MicroMu;
  /** Carried as a debt against the next issuance. */
  debt: MicroMu;
}

/**
 * What an inspection deducts. `affected` is the inspector's area (undefined: the whole parcel),
 * `alreadyDeducted` the parcel's losses recognised by earlier inspections, `balance` the county's
 * balance for the inspection year (never below zero after the deduction).
 */
export function deduction(outcome: Outcome, parcelArea: MicroMu, affected: MicroMu | undefined, alreadyDeducted: MicroMu, balance: MicroMu): Deduction {
  const effect = OUTCOME_EFFECTS[outcome];
  if (!effect.deducts) return { affected: 0n, loss: 0n, fromBalance: 0n, debt: 0n };
  const a = effect.wholeParcel || affected === undefined ? parcelArea : affected;
  if (a <= 0n || a > parcelArea) throw new RangeError('affected area must be positive and at most the parcel area');
  const loss = a > alreadyDeducted ? a - alreadyDeducted : 0n;
  const available = balance > 0n ? balance : 0n;
  const fromBalance = loss < available ? loss : available;
  return { affected: a, loss, fromBalance, debt: loss - fromBalance };
}

/**
 * Settles outstanding debts, oldest first, from a county's new issuance: each takes what is left of
 * the issued amount. Returns the settlements (debt id, amount) in order.
 */
export function settleDebts(issued: MicroMu, debts: { id: string; outstanding: MicroMu }[]): { id: string; amount: MicroMu }[] {
  let left = issued;
  const out: { id: string; amount: MicroMu }[] = [];
  for (const d of debts) {
    if (left <= 0n) break;
    if (d.outstanding <= 0n) continue;
    const amount = d.outstanding < left ? d.outstanding : left;
    out.push({ id: d.id, amount });
    left -= amount;
  }
  return out;
}
