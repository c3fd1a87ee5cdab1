/**
 * The procedure for one supplementary forest-land parcel as an explicit state machine
 * (Jiangxi scheme 赣林规〔2022〕1号 §三(二)2 and §三(三)2):
 *
 *   申请 applied → 核实 verified → 公示 publicized → 确认 confirmed → 造林 afforested → 验收 accepted
 *   → 变更 survey-changed (自然资源: annual change survey) → changed (林业: one-map) → 入库 county-reserve
 *   → (报送) county-review → (县级人民政府审核后报市) city-review → (市级抽查) province-review
 *   → (省级抽查) provincial-reserve;  and withdrawn 撤回, rejected 否决, removed 出库. A sample with a
 *   failed parcel sends the rest back to county-reserve (退回), to be submitted again and sampled afresh.
 *
 * Each action names the states it may start from, the state it leads to and the roles that may
 * perform it; its guards are pure functions returning the precise reason they fail. Nothing here
 * touches the database: the service gathers the facts, asks `evaluate`, and records the result.
 */
import { CHECK_LABELS, type CheckCode } from '../checks/status.js';
import { isForestLand, landClass } from '../land-classes.js';
import { ROLE_LABELS, type Role } from './actors.js';
import { isIsoDate, yearOf } from './deadlines.js';
import { surveyBeforeApplicationGuards } from './eligibility.js';
import { overrideGuards, type OverrideApproval } from './overrides.js';
import { consentGuards, type Holder } from './rights-holders.js';

export const STATES = {
  applied: '申请',
  verified: '核实',
  publicized: '公示',
  confirmed: '确认',
  afforested: '造林',
  accepted: '验收',
  'survey-changed': '变更（年度土地变更调查已变更地类）',
  changed: '变更',
  'county-reserve': '入库（县级储备库）',
  /** Filed by the county forestry bureau; "经县（市、区）政府审核后……报市级" (001 §三(三)2): not with the city yet. */
  'county-review': '已报送，待县级人民政府审核',
  'city-review': '已报市级审核',
  'province-review': '市级抽查通过，待省级审核',
  'provincial-reserve': '省级储备库',
  withdrawn: '撤回',
  rejected: '否决',
  removed: '出库',
} as const;
export type State = keyof typeof STATES;
export const STATE_CODES = Object.keys(STATES) as State[];
/** States in which a parcel is part of a reserve (county or provincial) and counts as reserve area. */
export const RESERVE_STATES: readonly State[] = ['county-reserve', 'county-review', 'city-review', 'province-review', 'provincial-reserve'];

const BEFORE_RESERVE: State[] = ['applied', 'verified', 'publicized', 'confirmed', 'afforested', 'accepted', 'survey-changed', 'changed'];

/**
 * The county departments of the joint acts (核实, 造林, 验收: "林业、自然资源等部门"): either records the
 * act, naming the participants of both (./joint-acts.ts).
 */
const COUNTY_DEPARTMENTS = ['county-forestry', 'county-natural-resources'] as const;
/** "市级林业、自然资源部门抽查" / "省级林业、自然资源部门抽查" (001 §三(三)2). */
const CITY_AUDITORS = ['city', 'city-natural-resources'] as const;
const PROVINCE_AUDITORS = ['province-reviewer', 'province-admin', 'province-natural-resources'] as const;

export interface ActionSpec {
  label: string;
  from: readonly State[];
  to: State;
  roles: readonly Role[];
  /** Performed for many parcels at once by a submission or an audit, not on a single parcel's request. */
  collective?: boolean;
}

export const ACTIONS = {
  apply: { label: '申请', from: [], to: 'applied', roles: ['township'] },
  verify: { label: '核实', from: ['applied'], to: 'verified', roles: COUNTY_DEPARTMENTS },
  publicize: { label: '公示', from: ['verified'], to: 'publicized', roles: ['county-forestry'] },
  'uphold-objection': { label: '异议成立（终止）', from: ['publicized'], to: 'rejected', roles: ['county-forestry', 'county-government'] },
  confirm: { label: '确认（县级人民政府批准）', from: ['publicized'], to: 'confirmed', roles: ['county-government'] },
  afforest: { label: '造林', from: ['confirmed'], to: 'afforested', roles: COUNTY_DEPARTMENTS },
  /** 经县级林业、自然资源等部门联合验收合格 */
  accept: { label: '验收（林业、自然资源部门联合验收）', from: ['afforested'], to: 'accepted', roles: COUNTY_DEPARTMENTS },
  /** 县级自然资源主管部门在年度土地变更调查更新数据库中进行地类变更 */
  'survey-change': { label: '变更：年度土地变更调查地类变更（县级自然资源主管部门）', from: ['accepted'], to: 'survey-changed', roles: ['county-natural-resources'] },
  /** 县级林业部门在森林资源管理“一张图”年度更新中将补充林地地块由非林地变更为林地 */
  change: { label: '变更：“一张图”年度更新由非林地变更为林地（县级林业部门）', from: ['survey-changed'], to: 'changed', roles: ['county-forestry'] },
  reserve: { label: '入库（县级储备库）', from: ['changed'], to: 'county-reserve', roles: ['county-forestry'] },
  /** The county forestry bureau files the year's reserve; it is with the city only after the county government's approval. */
  submit: { label: '报送县级储备库（待县级人民政府审核）', from: ['county-reserve'], to: 'county-review', roles: ['county-forestry'], collective: true },
  /** 经县（市、区）政府审核后，由县（市、区）林业主管部门……报市级林业部门审核汇总 */
  'approve-submission': { label: '县级人民政府审核通过，报市级审核', from: ['county-review'], to: 'city-review', roles: ['county-government'], collective: true },
  'city-pass': { label: '市级抽查通过', from: ['city-review'], to: 'province-review', roles: CITY_AUDITORS, collective: true },
  'province-pass': { label: '省级抽查通过，入省级储备库', from: ['province-review'], to: 'provincial-reserve', roles: PROVINCE_AUDITORS, collective: true },
  'city-fail': { label: '市级抽查不合格（出库）', from: ['city-review'], to: 'removed', roles: CITY_AUDITORS, collective: true },
  'province-fail': { label: '省级抽查不合格（出库）', from: ['province-review'], to: 'removed', roles: PROVINCE_AUDITORS, collective: true },
  /** 核查无误后报省级 / 纳入省级林地储备库: a sample with a failed parcel returns the rest of the submission to the county reserve. */
  'city-return': { label: '市级抽查有不合格地块，退回县级重新报送', from: ['city-review'], to: 'county-reserve', roles: CITY_AUDITORS, collective: true },
  'province-return': { label: '省级抽查有不合格地块，退回县级重新报送', from: ['province-review'], to: 'county-reserve', roles: PROVINCE_AUDITORS, collective: true },
  /** 省、市将集中组织核查考评 (000): the reserve's inspections are the city's and the province's, not the county's on itself. */
  'inspection-lost': { label: '年度核查灭失（出库）', from: RESERVE_STATES, to: 'removed', roles: ['city', 'province-reviewer', 'province-admin'], collective: true },
  withdraw: { label: '撤回', from: BEFORE_RESERVE, to: 'withdrawn', roles: ['township', 'county-forestry'] },
  reject: { label: '否决', from: BEFORE_RESERVE, to: 'rejected', roles: ['county-forestry', 'county-government'] },
} as const satisfies Record<string, ActionSpec>;
export type Action = keyof typeof ACTIONS;

/** A guard that did not hold: a stable code and a Chinese sentence saying exactly what is missing. */
export interface GuardFailure {
  guard: string;
  reason: string;
}

export type Planned = { ok: true; from: State | null; to: State } | { ok: false; status: 403 | 409; code: string; reason: string };

/** Whether the action may start from the state and be done by the role (guards come after). */
export function plan(action: Action, state: State | null, role: Role): Planned {
  const spec: ActionSpec = ACTIONS[action];
  if (!(spec.roles as readonly string[]).includes(role)) {
    return {
      ok: false,
      status: 403,
      code: 'role-not-permitted',
      reason: `“${spec.label}”只能由${spec.roles.map((r) => ROLE_LABELS[r]).join('或')}办理，当前用户为${ROLE_LABELS[role]}`,
    };
  }
  if (state === null ? spec.from.length !== 0 : !(spec.from as readonly string[]).includes(state)) {
    const where = state === null ? '尚未申请' : `当前状态为“${STATES[state]}”`;
    const allowed = spec.from.length ? `只能在${spec.from.map((s) => `“${STATES[s]}”`).join('、')}状态下办理` : '只能用于新申请';
    return { ok: false, status: 409, code: 'transition-not-allowed', reason: `${where}，不能办理“${spec.label}”：${allowed}` };
  }
  return { ok: true, from: state, to: spec.to };
}

/** The actions a role could take next from a state (before guards), for clients to offer. */
export function availableActions(state: State, role: Role): Action[] {
  return (Object.keys(ACTIONS) as Action[]).filter((a) => {
    const spec: ActionSpec = ACTIONS[a];
    return !spec.collective && a !== 'uphold-objection' && plan(a, state, role).ok;
  });
}

// ---------------------------------------------------------------- guards

/** Checks a–g, the application-stage checks 核实 relies on (h, land-class change, is for 变更). */
export const VERIFICATION_CHECKS: readonly CheckCode[] = ['geometry', 'area', 'source', 'not-forest', 'ownership', 'jurisdiction', 'overlap'];

export interface CheckOutcome {
  code: string;
  status: string;
  message: string;
  figures?: Record<string, unknown>;
}

const checkLabel = (code: string) => CHECK_LABELS[code as CheckCode] ?? code;

/** What 核实 knows of the application besides the checks. */
export interface VerifyFacts {
  /** The application recorded mining land already restored (eligibility.ts): not-forest does not block. */
  priorRestoration: boolean;
  /** When the application was recorded: change surveys imported later do not make the land eligible. */
  appliedAt: Date | null;
}

/** The failed checks that stop 核实 unless overridden: not-forest is no failure for land recorded as restored before the application. */
function blockingFailures(checks: CheckOutcome[], facts: VerifyFacts | undefined): CheckCode[] {
  return VERIFICATION_CHECKS.filter((c) => checks.find((x) => x.code === c)?.status === 'fail' && !(c === 'not-forest' && facts?.priorRestoration));
}

/**
 * 核实: checks a–g have run and none failed (warnings pass: e.g. several rights holders, whose
 * consents 确认 will require). A failed one stops it unless overridable and overridden with the
 * county government's approval (./overrides.ts: source and overlap never). Land recorded as restored
 * before the application passes a failed not-forest check (§三(三)1, ./eligibility.ts); the change
 * survey that made the land eligible must have been imported before the application.
 */
export function verifyGuards(checks: CheckOutcome[] | null, approval: OverrideApproval | null, facts?: VerifyFacts): GuardFailure[] {
  if (!checks) return [{ guard: 'checks-run', reason: '该地块没有检查记录，请先运行候选地块检查（a–g）' }];
  const byCode = new Map(checks.map((c) => [c.code, c]));
  const missing = VERIFICATION_CHECKS.filter((c) => !byCode.has(c) || byCode.get(c)!.status === 'not-run');
  const failed = blockingFailures(checks, facts);
  const out: GuardFailure[] = [];
  if (missing.length) out.push({ guard: 'checks-run', reason: `以下检查未运行：${missing.map(checkLabel).join('、')}` });
  out.push(...overrideGuards(failed, new Map(checks.map((c) => [c.code, c.message])), approval, VERIFICATION_CHECKS));
  if (facts?.appliedAt) out.push(...surveyBeforeApplicationGuards(byCode.get('source'), facts.appliedAt));
  return out;
}

/** The failed checks an override covers (recorded as evidence). */
export function overriddenChecks(checks: CheckOutcome[], facts?: VerifyFacts): string[] {
  return blockingFailures(checks, facts);
}

export interface ObjectionFact {
  id: string;
  decision: 'upheld' | 'dismissed' | null;
}

export interface RightsHolder {
  qsdwdm: string | null;
  qsdwmc: string | null;
}

/**
 * 确认: the publicity period (at both places) is over, every objection is decided and none upheld,
 * and every rights holder — the owners the ownership check listed and the holders the county added —
 * has consented (./rights-holders.ts).
 */
export function confirmGuards(
  f: { publicityTo: string | null; objections: ObjectionFact[]; holders: Holder[]; consentedHolderIds: string[] },
  confirmedOn: string,
  today: string,
): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!isIsoDate(confirmedOn) || confirmedOn > today) out.push({ guard: 'confirmation-date-valid', reason: `批准日期${confirmedOn}无效或晚于今天（${today}）` });
  if (!f.publicityTo) out.push({ guard: 'publicity-ended', reason: '没有公示记录' });
  else if (confirmedOn <= f.publicityTo) out.push({ guard: 'publicity-ended', reason: `公示期至${f.publicityTo}，批准日期${confirmedOn}须在公示期结束之后` });
  const open = f.objections.filter((o) => o.decision === null);
  if (open.length) out.push({ guard: 'objections-resolved', reason: `有${open.length}条公示异议尚未处理（须认定成立或不成立）` });
  if (f.objections.some((o) => o.decision === 'upheld')) out.push({ guard: 'no-upheld-objection', reason: '公示异议成立，该地块不能确认' });
  out.push(...consentGuards(f.holders, f.consentedHolderIds));
  return out;
}

export interface AfforestationInput {
  forestClass: string;
  species: string[];
  plantedOn: string;
  areaM2: number;
  restorer: { name: string; kind: string; contact?: string };
}

/**
 * 造林: forest class, species, date, area and the restoring party (谁修复、谁受益), all plausible. The
 * date follows 确认, except for land recorded as restored before the application (§三(三)1,
 * ./eligibility.ts), whose 造林 is that restoration, on its recorded date.
 */
export function afforestGuards(
  input: AfforestationInput,
  f: { confirmedOn: string | null; areaOfRecordM2: number | null; priorRestoredOn?: string | null },
  today: string,
): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!isForestLand(input.forestClass) || !landClass(input.forestClass)) {
    out.push({ guard: 'forest-class-valid', reason: `林地地类“${input.forestClass}”不是三调林地地类（0301乔木林地、0302竹林地、0305灌木林地、0307其他林地等）` });
  }
  if (input.species.filter((s) => s.trim()).length === 0) out.push({ guard: 'species-recorded', reason: '须填写造林树种' });
  if (!isIsoDate(input.plantedOn)) out.push({ guard: 'afforestation-date-valid', reason: `造林日期“${input.plantedOn}”无效` });
  else if (input.plantedOn > today) out.push({ guard: 'afforestation-date-valid', reason: `造林日期${input.plantedOn}晚于今天（${today}）` });
  else if (f.confirmedOn && input.plantedOn < f.confirmedOn && input.plantedOn !== f.priorRestoredOn) {
    const prior = f.priorRestoredOn ? `，且不是申请时登记的已实施修复日期${f.priorRestoredOn}` : '';
    out.push({ guard: 'afforestation-date-valid', reason: `造林日期${input.plantedOn}早于县级人民政府确认日期${f.confirmedOn}${prior}` });
  }
  if (!(input.areaM2 > 0)) out.push({ guard: 'afforested-area-valid', reason: '造林面积须大于0' });
  else if (f.areaOfRecordM2 !== null && input.areaM2 > f.areaOfRecordM2 + 0.005) {
    out.push({ guard: 'afforested-area-valid', reason: `造林面积${input.areaM2}平方米大于地块面积（椭球面积）${f.areaOfRecordM2}平方米` });
  }
  if (!input.restorer.name.trim()) out.push({ guard: 'restorer-recorded', reason: '须登记修复主体（谁修复、谁受益）' });
  return out;
}

/** The layers 变更 looks at: the annual change survey's DLTB (自然资源) and the forest one-map (林业). */
export type ChangeLayer = 'dltb' | 'one-map';

/**
 * 变更: the land-class change is visible in the layers of the year, each judged separately the way
 * the land-class-change check (h) judges them (minimum share of the area of record, less the
 * boundary tolerance), so the failure names the layer that has not changed. The natural-resources
 * department's act (survey-change) looks at the DLTB; forestry's one-map update (change) at both,
 * the one-map being updated on the change survey's result. Either comes after the act before it:
 * the change survey of the acceptance's year or later, the one-map of the survey change's year or later.
 */
export function changeGuards(
  change: CheckOutcome | null,
  changeYear: number,
  f: { layers: readonly ChangeLayer[]; after: { year: number; on: string; what: string } | null; areaOfRecordM2: number | null; minShare: number; toleranceM2: number },
  changedOn: string,
  today: string,
): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!isIsoDate(changedOn) || changedOn > today) out.push({ guard: 'change-date-valid', reason: `变更日期${changedOn}无效或晚于今天（${today}）` });
  else if (f.after && changedOn < f.after.on) out.push({ guard: 'change-date-valid', reason: `变更日期${changedOn}早于${f.after.what}日期${f.after.on}` });
  if (f.after && changeYear < f.after.year) {
    out.push({ guard: 'change-year-valid', reason: `变更调查年份${changeYear}早于${f.after.what}年份${f.after.year}` });
  }
  if (!change || change.status === 'not-run' || f.areaOfRecordM2 === null) {
    out.push({ guard: 'change-checked', reason: `没有${changeYear}年的地类变更检查结果` });
    return out;
  }
  const fig = change.figures ?? {};
  const areaOf = (v: unknown) => (typeof v === 'object' && v !== null && typeof (v as { m2?: unknown }).m2 === 'number' ? (v as { m2: number }).m2 : 0);
  const area = f.areaOfRecordM2;
  const changed = (forestM2: number) => area - forestM2 <= area * (1 - f.minShare) + f.toleranceM2;
  const pct = (v: unknown) => `${((typeof v === 'number' ? v : 0) * 100).toFixed(2)}%`;
  if (f.layers.includes('dltb') && !changed(areaOf(fig.forestDltbArea))) {
    out.push({ guard: 'change-in-dltb', reason: `${changeYear}年地类图斑中仅${pct(fig.forestDltbShare)}为林地（要求${pct(f.minShare)}），年度变更调查尚未变更地类` });
  }
  if (!f.layers.includes('one-map')) return out;
  if (/一张图小班未导入/.test(change.message)) {
    out.push({ guard: 'change-in-one-map', reason: `${changeYear}年森林资源管理“一张图”小班未导入，无法确认非林地已变更为林地` });
  } else if (!changed(areaOf(fig.forestXiaobanArea))) {
    out.push({ guard: 'change-in-one-map', reason: `${changeYear}年“一张图”中仅${pct(fig.forestXiaobanShare)}为林地小班（要求${pct(f.minShare)}），尚未由非林地变更为林地` });
  }
  return out;
}

/** 入库: the reserve year is plausible and the county has not yet submitted that year's reserve. */
export function reserveGuards(reserveYear: number, f: { changeYear: number | null; submittedYears: number[] }, reservedOn: string, today: string): GuardFailure[] {
  const out: GuardFailure[] = [];
  if (!isIsoDate(reservedOn) || reservedOn > today) out.push({ guard: 'reserve-date-valid', reason: `入库日期${reservedOn}无效或晚于今天（${today}）` });
  else if (yearOf(reservedOn) !== reserveYear && yearOf(reservedOn) !== reserveYear + 1) {
    out.push({ guard: 'reserve-year-valid', reason: `储备年度${reserveYear}与入库日期${reservedOn}不符（入库日期应在储备年度或其次年）` });
  }
  if (f.changeYear !== null && reserveYear < f.changeYear) {
    out.push({ guard: 'reserve-year-valid', reason: `储备年度${reserveYear}早于地类变更年份${f.changeYear}` });
  }
  if (f.submittedYears.includes(reserveYear)) {
    out.push({ guard: 'reserve-year-open', reason: `${reserveYear}年度县级储备库已报市级审核，不能再入该年度；请入下一年度` });
  }
  return out;
}

/** Withdrawal and rejection must say why. */
export function reasonGuards(reason: string | undefined): GuardFailure[] {
  return (reason ?? '').trim().length >= 2 ? [] : [{ guard: 'reason-required', reason: '须说明理由' }];
}

/** The failures as one Chinese sentence. */
export const describeFailures = (action: Action, failures: GuardFailure[]): string =>
  `不能办理“${ACTIONS[action].label}”：${failures.map((f) => f.reason).join('；')}`;
