/**
 * The procedure's use cases: gather the facts, ask the state machine (src/domain/procedure), record
 * the transition with who, when and the evidence. Every database access is in a `Scoped`
 * transaction (row-level security); the candidate checks, which need the whole province's
 * parcels for the overlap check, run in the system context after the parcel was found in scope.
 */
import { notFoundInScope } from '../http/errors.js';
import type pg from 'pg';
import { runChecks, type CheckBounds } from '../candidates/checks.js';
import { boundaryTolerance, parameterSetGuard } from '../domain/checks/parameters.js';
import { inForce as parameterSetInForce } from '../check-parameters/repository.js';
import { isIsoDate, todayInChina, yearOf } from '../domain/procedure/deadlines.js';
import { acceptanceGuards, cleanParticipants, participantsGuards, type AcceptanceInput, type Participants } from '../domain/procedure/joint-acts.js';
import { approvalGuards } from '../domain/procedure/overrides.js';
import { priorRestorationGuards, type PriorRestoration } from '../domain/procedure/eligibility.js';
import { publicitySpan, publicizeGuards, type PublicityAt, type PublicityPlaceKind } from '../domain/procedure/publicity.js';
import { addHolderGuards, describeHolder, removeHolderGuards, type Holder, type HolderInput, type RightKind } from '../domain/procedure/rights-holders.js';
import { PERMISSIONS } from '../domain/permissions.js';
import {
  ACTIONS,
  afforestGuards,
  changeGuards,
  confirmGuards,
  describeFailures,
  overriddenChecks,
  plan,
  reasonGuards,
  reserveGuards,
  STATES,
  verifyGuards,
  VERIFICATION_CHECKS,
  type Action,
  type AfforestationInput,
  type ChangeLayer,
  type GuardFailure,
  type RightsHolder,
  type State,
  type VerifyFacts,
} from '../domain/procedure/state-machine.js';
import { badInput, Problem } from '../http/problem.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import * as repo from './repository.js';

export interface DocumentRef {
  title: string;
  number?: string;
  url?: string;
  date?: string;
}

export interface ActInput {
  notes?: string;
  documents?: DocumentRef[];
}

/** A joint act of "林业、自然资源等部门": who of each department took part (domain/procedure/joint-acts.ts). */
export interface JointActInput extends ActInput {
  participants?: Participants;
}

export const procedureNotFound = (id: string) => notFoundInScope('补充林地地块办理记录', id, 'procedure-not-found');

export function guardFailed(action: Action, failures: GuardFailure[]): Problem {
  return new Problem(422, 'guard-failed', 'Transition guard failed', describeFailures(action, failures), {
    action,
    failedGuards: failures,
  });
}

/** 422 naming every guard that did not hold, if any. */
function requireGuards(action: Action, failures: GuardFailure[]): void {
  if (failures.length) throw guardFailed(action, failures);
}

/** Refuses (403/409) unless the action may start from the parcel's state and be done by the user's role. */
export function planOrThrow(action: Action, state: State | null, user: AuthUser) {
  const p = plan(action, state, user.role);
  if (!p.ok) throw new Problem(p.status, p.code, p.status === 403 ? 'Role not permitted' : 'Transition not allowed', p.reason, { action, state });
  return p;
}

async function loadForUpdate(tx: Scoped, id: string): Promise<repo.ProcedureRow> {
  const p = await repo.getProcedure(tx, id, { forUpdate: true });
  if (!p) throw procedureNotFound(id);
  return p;
}

// ---------------------------------------------------------------- reading

/** What the detail view shows: the parcel, its transitions, objections, rights holders and consents, and for whom. */
export interface ProcedureDetail {
  parcel: repo.ProcedureRow;
  history: repo.TransitionRow[];
  objections: repo.ObjectionRow[];
  holders: repo.HolderRow[];
  /** Holders the county added and removed before 确认 (who, when, why). */
  removedHolders: repo.RemovedHolderRow[];
  consents: repo.ConsentRow[];
  user: AuthUser;
}

async function detailOf(tx: Scoped, p: repo.ProcedureRow): Promise<ProcedureDetail> {
  // One after another: a client runs one query at a time anyway (node-postgres queues, never pipelines).
  const history = await repo.transitions(tx, p.id);
  const objections = await repo.objections(tx, p.id);
  const holders = await repo.holders(tx, p.id);
  const removedHolders = await repo.holders(tx, p.id, { removed: true });
  const consents = await repo.consents(tx, p.id);
  return { parcel: p, history, objections, holders, removedHolders, consents, user: tx.user };
}

const asHolder = (h: repo.HolderRow): Holder => ({ id: h.id, kind: h.kind, code: h.holder_code, name: h.name });

async function detailById(tx: Scoped, id: string): Promise<ProcedureDetail> {
  const p = await repo.getProcedure(tx, id);
  if (!p) throw procedureNotFound(id);
  return detailOf(tx, p);
}

export async function show(pool: pg.Pool, user: AuthUser, id: string): Promise<ProcedureDetail> {
  return withScope(pool, user, (tx) => detailById(tx, id));
}

export async function list(pool: pg.Pool, user: AuthUser, filter: repo.ProcedureFilter): Promise<repo.ProcedureRow[]> {
  return withScope(pool, user, (tx) => repo.listProcedures(tx, filter));
}

/**
 * One act on one parcel, in one scoped transaction: lock the parcel, refuse unless the action may
 * start from its state and be done by the user (planOrThrow), let `decide` check the guards and say
 * what to record, record it, and answer the parcel's detail as it now stands.
 */
async function act(pool: pg.Pool, user: AuthUser, id: string, action: Action, decide: (tx: Scoped, p: repo.ProcedureRow) => Promise<Omit<repo.TransitionRecord, 'action'>>) {
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    planOrThrow(action, p.state, user);
    return detailOf(tx, await repo.recordTransition(tx, p, { action, ...(await decide(tx, p)) }));
  });
}

const dateOr = (d: string | undefined, today: string) => d ?? today;
const badDate = (field: string, v: string) => new Problem(400, 'request-invalid', 'Invalid date', `${field}应为YYYY-MM-DD格式的有效日期，实际为“${v}”`);
function checkDate(field: string, v: string | undefined): void {
  if (v !== undefined && !isIsoDate(v)) throw badDate(field, v);
}

// ---------------------------------------------------------------- 申请

export async function apply(
  pool: pg.Pool,
  user: AuthUser,
  input: ActInput & { candidateParcelId: string; appliedOn?: string; priorRestoration?: PriorRestoration },
) {
  checkDate('appliedOn', input.appliedOn);
  return withScope(pool, user, async (tx) => {
    planOrThrow('apply', null, user);
    const today = todayInChina();
    const appliedOn = input.appliedOn ?? today;
    // An application is a record of what was filed: not of a day still to come (eligibility is judged as of it).
    if (appliedOn > today) throw badInput('date-in-future', 'Date in the future', `申请日期（appliedOn）${appliedOn}晚于今天（${today}）`, { appliedOn, today });
    const prior = input.priorRestoration
      ? {
          restoredOn: input.priorRestoration.restoredOn,
          restorer: { ...input.priorRestoration.restorer, name: input.priorRestoration.restorer.name.trim() },
          documents: input.priorRestoration.documents.map((d) => ({ ...d })),
        }
      : null;
    if (prior) requireGuards('apply', priorRestorationGuards(prior, appliedOn));
    const c = await repo.candidateParcel(tx, input.candidateParcelId);
    if (!c) throw notFoundInScope('候选地块', input.candidateParcelId, 'candidate-parcel-not-found');
    // Serialise applications for one candidate parcel; the unique index is the last word.
    await repo.lockApplication(tx, c.id);
    const live = await repo.liveProcedureOf(tx, c.id);
    if (live) {
      throw new Problem(409, 'already-in-procedure', 'Parcel already in a procedure', `候选地块${c.parcel_no}已在办理中（${live.id}），同一地块不能重复申请`, {
        procedureId: live.id,
      });
    }
    const run = await repo.checkRun(tx, c.upload_id, {});
    const created = await repo.insertProcedure(tx, c, { appliedOn, priorRestoration: prior });
    return detailOf(tx, await repo.recordTransition(tx, created, {
      action: 'apply',
      to: 'applied',
      effectiveOn: appliedOn,
      notes: input.notes,
      documents: input.documents,
      evidence: { candidateParcelId: c.id, uploadId: c.upload_id, parcelNo: c.parcel_no, latestCheckRunId: run?.id ?? null, ...(prior ? { priorRestoration: prior } : {}) },
    }));
  });
}

// ---------------------------------------------------------------- 核实

export interface VerifyInput extends JointActInput {
  checkRunId?: string;
  /** Run the checks now (with these survey years) instead of relying on an earlier run. */
  rerunChecks?: { baseYear?: number; latestYear?: number };
  /** The county forestry bureau's note on an override; the override itself is the county government's approval (approveOverride). */
  override?: { reason?: string };
  verifiedOn?: string;
}

/** The parcel, found in the user's scope, on which the user may start `action` now. */
async function plannedParcel(pool: pg.Pool, user: AuthUser, id: string, action: Action): Promise<repo.ProcedureRow> {
  return withScope(pool, user, async (tx) => {
    const row = await repo.getProcedure(tx, id);
    if (!row) throw procedureNotFound(id);
    planOrThrow(action, row.state, user);
    return row;
  });
}

/**
 * The moment of the application: when it was recorded, or the end of its application day (China)
 * when that is earlier (an application entered after the day it was made).
 */
export function applicationMoment(p: Pick<repo.ProcedureRow, 'applied_on' | 'created_at'>): Date {
  const endOfDay = p.applied_on ? new Date(`${p.applied_on}T23:59:59.999+08:00`) : null;
  return endOfDay && endOfDay < p.created_at ? endOfDay : p.created_at;
}

/** Runs the candidate checks for the parcel's upload in the system context, after the parcel was found in the user's scope. */
async function runChecksFor(pool: pg.Pool, bounds: CheckBounds, user: AuthUser, id: string, action: Action, opts: { changeYear?: number; baseYear?: number; latestYear?: number }) {
  const p = await plannedParcel(pool, user, id, action);
  // 核实 reads the change surveys as they stood at the application (domain/procedure/eligibility.ts).
  const before = action === 'verify' ? { surveysImportedBefore: applicationMoment(p) } : {};
  const { runId } = await runChecks(pool, p.upload_id, { ...opts, ...before, runBy: user.login, bounds });
  return runId;
}

/**
 * Refuses (422) a run made under another parameter set than the one in force. Refused rather than
 * re-evaluated: see parameterSetGuard; `rerunChecks` (verify) or omitting `checkRunId` (accept,
 * which then runs the checks afresh) gives a current run in one request.
 */
async function requireCurrentParameters(tx: Scoped, action: Action, run: repo.RunRef): Promise<void> {
  const failure = parameterSetGuard(run.parameter_set_version, (await parameterSetInForce(tx.client)).version);
  if (failure) throw guardFailed(action, [failure]);
}

export async function verify(pool: pg.Pool, user: AuthUser, id: string, input: VerifyInput, bounds: CheckBounds) {
  checkDate('verifiedOn', input.verifiedOn);
  const rerunId = input.rerunChecks ? await runChecksFor(pool, bounds, user, id, 'verify', input.rerunChecks) : undefined;
  return act(pool, user, id, 'verify', async (tx, p) => {
    const run = await repo.checkRun(tx, p.upload_id, { runId: rerunId ?? input.checkRunId, applicationStage: true });
    if (input.checkRunId && !run) throw new Problem(404, 'check-run-not-found', 'No check run', `未找到该地块所在批次的检查记录${input.checkRunId}`);
    // The run's statuses stand only under the parameter set in force now; an override covers failed
    // checks, not a run judged by other thresholds (or by thresholds a request once supplied).
    if (run) await requireCurrentParameters(tx, 'verify', run);
    const outcomes = run ? await repo.checkOutcomes(tx, run.id, p.candidate_parcel_id) : null;
    // 由县级人民政府牵头，组织林业、自然资源等部门……进行内外业核实
    const facts: VerifyFacts = { priorRestoration: p.prior_restoration !== null, appliedAt: applicationMoment(p) };
    requireGuards('verify', [...verifyGuards(outcomes && outcomes.length ? outcomes : null, p.override_approval, facts), ...participantsGuards(input.participants, '核实')]);
    const checks = outcomes!;
    const area = checks.find((c) => c.code === 'area')?.figures?.areaOfRecord as { m2: number } | undefined;
    if (!area || !(area.m2 > 0)) throw guardFailed('verify', [{ guard: 'area-of-record', reason: '面积检查没有给出地块面积（椭球面积）' }]);
    const ownerUnits = (checks.find((c) => c.code === 'ownership')?.figures?.units as (RightsHolder & { qsxz?: string | null })[] | undefined) ?? [];
    const units = ownerUnits.map((u) => ({ qsdwdm: u.qsdwdm, qsdwmc: u.qsdwmc }));
    // The owners become the parcel's first rights holders; the county adds the others (addRightsHolder).
    await repo.insertHolders(
      tx,
      p,
      ownerUnits.filter((u) => u.qsdwdm).map((u) => ({ kind: 'owner', code: u.qsdwdm!, name: u.qsdwmc?.trim() || u.qsdwdm!, source: 'ownership-check', qsxz: u.qsxz ?? null })),
    );
    const overridden = overriddenChecks(checks, facts);
    const source = checks.find((c) => c.code === 'source');
    const notForest = checks.find((c) => c.code === 'not-forest');
    // The guards held, so the county government's approval covers every failed check.
    const override: repo.VerificationOverride | undefined = overridden.length
      ? { ...p.override_approval!, checks: overridden, verifiedBy: user.login, note: input.override?.reason?.trim() || null }
      : undefined;
    return {
      to: 'verified',
      effectiveOn: input.verifiedOn ?? todayInChina(),
      notes: input.notes,
      documents: input.documents,
      evidence: {
        checkRunId: run!.id,
        checkedAt: run!.started_at.toISOString(),
        layers: run!.layers,
        checks: checks.filter((c) => (VERIFICATION_CHECKS as readonly string[]).includes(c.code)).map((c) => ({ code: c.code, status: c.status, message: c.message })),
        ...(override ? { override: { ...override, by: user.login } } : {}),
        participants: cleanParticipants(input.participants!),
        areaOfRecordM2: area.m2,
        rightsHolders: units,
        source: { eligibleYear: source?.figures?.eligibleYear ?? null, message: source?.message ?? null },
        ...(p.prior_restoration && notForest?.status === 'fail'
          ? { priorRestoration: { ...p.prior_restoration, admits: 'not-forest', notForest: notForest.message } }
          : {}),
      },
      fields: { verification_run_id: run!.id, area_m2: area.m2.toFixed(2), rights_holders: units, verification_override: override },
    };
  });
}

export interface OverrideApprovalInput {
  checks: string[];
  reason: string;
  documents: DocumentRef[];
  approvedOn?: string;
}

/**
 * The county government approves passing over failed checks at 核实 (before it): the checks, a
 * reason of substance and evidence (domain/procedure/overrides.ts). Not a state change; recorded on
 * the parcel, which the audit log's trigger records, and in 核实's evidence when used.
 */
export async function approveOverride(pool: pg.Pool, user: AuthUser, id: string, input: OverrideApprovalInput) {
  checkDate('approvedOn', input.approvedOn);
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    if (p.state !== 'applied') {
      throw new Problem(409, 'transition-not-allowed', 'Not awaiting verification', `越过检查项的批准在核实前办理（当前状态：${STATES[p.state]}）`);
    }
    requireGuards('verify', approvalGuards(input, user.role, VERIFICATION_CHECKS));
    await repo.setOverrideApproval(tx, p, {
      checks: [...new Set(input.checks)],
      reason: input.reason.trim(),
      documents: input.documents.map((d) => ({ ...d })),
      approvedBy: { login: user.login, role: user.role, name: user.name },
      approvedOn: dateOr(input.approvedOn, todayInChina()),
    });
    return detailById(tx, p.id);
  });
}

// ---------------------------------------------------------------- 公示, objections, consents

export interface PublicizeInput extends ActInput {
  naturalVillage?: PublicityAt;
  villageCommittee?: PublicityAt;
}

/** 公示 "在地块所在自然村、村委会所在地" (domain/procedure/publicity.ts): both places, each with its own period. */
export async function publicize(pool: pg.Pool, user: AuthUser, id: string, input: PublicizeInput) {
  return act(pool, user, id, 'publicize', async () => {
    const places: Partial<Record<PublicityPlaceKind, PublicityAt>> = { 'natural-village': input.naturalVillage, 'village-committee': input.villageCommittee };
    requireGuards('publicize', publicizeGuards(places, todayInChina()));
    const span = publicitySpan(places as Record<PublicityPlaceKind, PublicityAt>);
    return {
      to: 'publicized',
      effectiveOn: span.from,
      notes: input.notes,
      documents: input.documents,
      evidence: { period: { from: span.from, to: span.to }, place: span.text, places: span.places },
      fields: { publicity_from: span.from, publicity_to: span.to, publicity_place: span.text, publicity_places: span.places },
    };
  });
}

/** Objections and consents are recorded by the township or the county forestry bureau (not a state change). */
function requireRecorder(user: AuthUser, what: string): void {
  if (!['township', 'county-forestry'].includes(user.role)) {
    throw new Problem(403, 'role-not-permitted', 'Role not permitted', `${what}由乡镇人民政府或县级林业主管部门登记`);
  }
}

export async function recordObjection(pool: pg.Pool, user: AuthUser, id: string, input: { receivedOn: string; objector: string; content: string }) {
  checkDate('receivedOn', input.receivedOn);
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    requireRecorder(user, '公示异议');
    if (p.state !== 'publicized') throw new Problem(409, 'transition-not-allowed', 'Not in publicity', `只有公示中的地块可以登记异议（当前状态：${p.state}）`);
    if (p.publicity_from && input.receivedOn < p.publicity_from) {
      throw guardFailed('publicize', [{ guard: 'objection-in-period', reason: `异议收到日期${input.receivedOn}早于公示开始日期${p.publicity_from}` }]);
    }
    await repo.insertObjection(tx, p, input);
    return detailById(tx, p.id);
  });
}

/** Decides an objection; an upheld objection stops the parcel (→ 否决). */
export async function decideObjection(
  pool: pg.Pool,
  user: AuthUser,
  id: string,
  objectionId: string,
  input: { decision: 'upheld' | 'dismissed'; reason: string; decidedOn?: string },
) {
  checkDate('decidedOn', input.decidedOn);
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    planOrThrow('uphold-objection', p.state, user); // same roles and state for either decision
    const o = (await repo.objections(tx, p.id)).find((x) => x.id === objectionId);
    if (!o) throw new Problem(404, 'objection-not-found', 'Objection not found', `该地块没有异议${objectionId}`);
    if (o.decision) throw new Problem(409, 'objection-decided', 'Objection already decided', `该异议已于${o.decided_on}认定为${o.decision === 'upheld' ? '成立' : '不成立'}`);
    requireGuards('uphold-objection', reasonGuards(input.reason));
    const decided = (await repo.decideObjection(tx, objectionId, { ...input, decidedOn: dateOr(input.decidedOn, todayInChina()) }))!;
    if (input.decision === 'upheld') {
      await repo.recordTransition(tx, p, {
        action: 'uphold-objection',
        to: 'rejected',
        effectiveOn: decided.decided_on,
        notes: input.reason,
        evidence: { objectionId, objector: o.objector, content: o.content, decision: 'upheld', reason: input.reason },
        fields: { end_reason: `公示异议成立：${input.reason}` },
      });
    }
    return detailById(tx, p.id);
  });
}

/** Rights holders are added, and consents recorded, after 核实 (owners known) and before 确认. */
function requireBeforeConfirmation(p: repo.ProcedureRow, what: { title: string; label: string }): void {
  if (p.state !== 'verified' && p.state !== 'publicized') {
    throw new Problem(409, 'transition-not-allowed', what.title, `${what.label}在核实后、确认前登记（当前状态：${STATES[p.state]}）`);
  }
}

/**
 * The county adds a rights holder the survey does not show: a contract or use-right holder or the
 * mining-right holder (domain/procedure/rights-holders.ts), with the document showing the right.
 */
export async function addRightsHolder(pool: pg.Pool, user: AuthUser, id: string, input: HolderInput & { document: DocumentRef }) {
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    if (user.role !== 'county-forestry') throw new Problem(403, 'role-not-permitted', 'Role not permitted', '权利人由县级林业主管部门增补');
    requireBeforeConfirmation(p, { title: 'Rights holder not expected', label: '增补权利人' });
    const existing = (await repo.holders(tx, p.id)).map(asHolder);
    requireGuards('confirm', addHolderGuards(input, existing));
    await repo.insertHolders(tx, p, [{ kind: input.kind as RightKind, code: input.code.trim(), name: input.name.trim(), source: 'county', document: { ...input.document } }]);
    return detailById(tx, p.id);
  });
}

/**
 * The county removes a holder it added in error, before 确认, saying why (domain/procedure/rights-holders.ts):
 * the row stays, marked removed, and the audit log records the change. Owners from the ownership check stay.
 */
export async function removeRightsHolder(pool: pg.Pool, user: AuthUser, id: string, holderId: string, input: { reason: string }) {
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    if (!(PERMISSIONS.removeRightsHolder as readonly string[]).includes(user.role)) {
      throw new Problem(403, 'role-not-permitted', 'Role not permitted', '县级增补的权利人由县级林业主管部门删除');
    }
    requireBeforeConfirmation(p, { title: 'Rights holder not removable now', label: '删除权利人' });
    const holder = (await repo.holders(tx, p.id)).find((h) => h.id === holderId);
    if (!holder) {
      const removed = (await repo.holders(tx, p.id, { removed: true })).find((h) => h.id === holderId);
      if (removed) throw new Problem(409, 'rights-holder-removed', 'Rights holder already removed', `${describeHolder(asHolder(removed))}已于${removed.removed_at.toISOString()}删除：${removed.removal_reason}`);
      throw new Problem(404, 'rights-holder-not-found', 'Rights holder not found', `该地块没有权利人${holderId}`);
    }
    requireGuards('confirm', removeHolderGuards(holder, input.reason));
    await repo.removeHolder(tx, holder.id, input.reason.trim());
    return detailById(tx, p.id);
  });
}

export async function recordConsent(
  pool: pg.Pool,
  user: AuthUser,
  id: string,
  input: { holderId?: string; qsdwdm?: string; signatory: string; consentedOn: string; document: DocumentRef },
) {
  checkDate('consentedOn', input.consentedOn);
  return withScope(pool, user, async (tx) => {
    const p = await loadForUpdate(tx, id);
    requireRecorder(user, '权利人同意');
    requireBeforeConfirmation(p, { title: 'Consent not expected', label: '权利人同意' });
    const all = await repo.holders(tx, p.id);
    // By its id, or an owner by its 权属单位代码 (the ownership check's listing).
    const holder = input.holderId ? all.find((h) => h.id === input.holderId) : all.find((h) => h.kind === 'owner' && h.holder_code === input.qsdwdm);
    if (!holder) {
      throw guardFailed('confirm', [{
        guard: 'rights-holder-listed',
        reason: `${input.holderId ?? input.qsdwdm ?? '（未指明）'}不是该地块登记的权利人（${all.map((h) => describeHolder(asHolder(h))).join('、') || '无'}）`,
      }]);
    }
    if (!input.document?.title?.trim()) throw guardFailed('confirm', [{ guard: 'consent-document', reason: '须提供同意书等书面材料（document.title）' }]);
    if (input.consentedOn > todayInChina()) throw guardFailed('confirm', [{ guard: 'consent-date', reason: `同意日期${input.consentedOn}晚于今天` }]);
    const row = await repo.insertConsent(tx, p, holder, { signatory: input.signatory, consentedOn: input.consentedOn, document: { ...input.document } });
    if (!row) throw new Problem(409, 'consent-exists', 'Consent already recorded', `${describeHolder(asHolder(holder))}的同意已登记`);
    return detailById(tx, p.id);
  });
}

// ---------------------------------------------------------------- 确认

export async function confirm(pool: pg.Pool, user: AuthUser, id: string, input: ActInput & { confirmedOn?: string }) {
  checkDate('confirmedOn', input.confirmedOn);
  return act(pool, user, id, 'confirm', async (tx, p) => {
    const today = todayInChina();
    const confirmedOn = dateOr(input.confirmedOn, today);
    const obj = await repo.objections(tx, p.id);
    const holderRows = await repo.holders(tx, p.id);
    const cons = await repo.consents(tx, p.id);
    requireGuards('confirm', confirmGuards(
      {
        publicityTo: p.publicity_to,
        objections: obj.map((o) => ({ id: o.id, decision: o.decision })),
        holders: holderRows.map(asHolder),
        consentedHolderIds: cons.flatMap((c) => (c.holder_id ? [c.holder_id] : [])),
      },
      confirmedOn,
      today,
    ));
    return {
      to: 'confirmed',
      effectiveOn: confirmedOn,
      notes: input.notes,
      documents: input.documents,
      evidence: {
        publicity: { from: p.publicity_from, to: p.publicity_to, place: p.publicity_place, places: p.publicity_places },
        objections: obj.map((o) => ({ id: o.id, objector: o.objector, decision: o.decision, reason: o.decision_reason })),
        consents: cons.map((c) => ({
          id: c.id,
          holderId: c.holder_id,
          rightKind: c.right_kind,
          qsdwdm: c.qsdwdm,
          qsdwmc: c.qsdwmc,
          signatory: c.signatory,
          consentedOn: c.consented_on,
          document: c.document,
        })),
      },
      fields: { confirmed_on: confirmedOn },
    };
  });
}

// ---------------------------------------------------------------- 造林

/** 造林's input; date and restorer may be left out for land restored before the application (they are the recorded ones). */
export type AfforestInput = JointActInput & Omit<AfforestationInput, 'plantedOn' | 'restorer'> & Partial<Pick<AfforestationInput, 'plantedOn' | 'restorer'>>;

export async function afforest(pool: pg.Pool, user: AuthUser, id: string, input: AfforestInput) {
  checkDate('plantedOn', input.plantedOn);
  return act(pool, user, id, 'afforest', async (_tx, p) => {
    const prior = p.prior_restoration;
    const plantedOn = input.plantedOn ?? prior?.restoredOn;
    const restorerIn = input.restorer ?? prior?.restorer;
    if (!plantedOn || !restorerIn) {
      throw guardFailed('afforest', [
        ...(plantedOn ? [] : [{ guard: 'afforestation-date-valid', reason: '须填写造林日期（plantedOn）' }]),
        ...(restorerIn ? [] : [{ guard: 'restorer-recorded', reason: '须登记修复主体（restorer，谁修复、谁受益）' }]),
      ]);
    }
    const full: AfforestationInput = { ...input, plantedOn, restorer: restorerIn };
    // 由县级林业、自然资源等部门牵头，组织相关权利人……实施生态修复
    requireGuards('afforest', [
      ...afforestGuards(full, { confirmedOn: p.confirmed_on, areaOfRecordM2: p.area_m2 === null ? null : Number(p.area_m2), priorRestoredOn: prior?.restoredOn ?? null }, todayInChina()),
      ...participantsGuards(input.participants, '造林'),
    ]);
    const restorer = { name: restorerIn.name.trim(), kind: restorerIn.kind, ...(restorerIn.contact ? { contact: restorerIn.contact } : {}) };
    const fromPrior = prior !== null && plantedOn === prior.restoredOn;
    return {
      to: 'afforested',
      effectiveOn: plantedOn,
      notes: input.notes,
      documents: input.documents,
      evidence: {
        forestClass: input.forestClass,
        species: input.species,
        plantedOn,
        areaM2: input.areaM2,
        restorer,
        participants: cleanParticipants(input.participants!),
        ...(fromPrior ? { priorRestoration: { restoredOn: prior.restoredOn, documents: prior.documents } } : {}),
      },
      fields: {
        forest_class: input.forestClass.toUpperCase(),
        species: input.species.map((s) => s.trim()).filter(Boolean),
        afforested_on: plantedOn,
        afforested_area_m2: input.areaM2.toFixed(2),
        restorer,
      },
    };
  });
}

// ---------------------------------------------------------------- 验收, 变更

export type AcceptInput = JointActInput & Omit<AcceptanceInput, 'acceptedOn' | 'documents' | 'participants'> & { acceptedOn?: string };

/**
 * 验收: "经县级林业、自然资源等部门联合验收合格的" — the joint field acceptance of what was planted,
 * recorded by either department. It does not wait for the land survey: the survey is changed
 * because the parcel was accepted (变更).
 */
export async function accept(pool: pg.Pool, user: AuthUser, id: string, input: AcceptInput) {
  checkDate('acceptedOn', input.acceptedOn);
  return act(pool, user, id, 'accept', async (_tx, p) => {
    const today = todayInChina();
    const acceptedOn = dateOr(input.acceptedOn, today);
    const documents = input.documents ?? [];
    const { failures, record } = acceptanceGuards(
      { ...input, acceptedOn, documents },
      { afforestedOn: p.afforested_on, forestClass: p.forest_class, areaOfRecordM2: p.area_m2 === null ? null : Number(p.area_m2) },
      today,
    );
    requireGuards('accept', failures);
    const acceptance = { acceptedOn, ...record!, documents: documents.map((d) => ({ ...d })), recordedBy: { login: user.login, role: user.role, name: user.name } };
    return { to: 'accepted', effectiveOn: acceptedOn, notes: input.notes, documents: input.documents, evidence: acceptance, fields: { accepted_on: acceptedOn, acceptance } };
  });
}

export interface ChangeYearInput extends ActInput {
  changeYear: number;
  /** Rely on this run (its change year must match); otherwise the checks run now. */
  checkRunId?: string;
}

async function changeOutcome(tx: Scoped, p: repo.ProcedureRow, runId: string, changeYear: number) {
  const run = await repo.checkRun(tx, p.upload_id, { runId, changeYear });
  if (!run) throw new Problem(404, 'check-run-not-found', 'No check run', `未找到该批次${changeYear}年变更调查的检查记录${runId}`);
  const outcome = (await repo.checkOutcomes(tx, run.id, p.candidate_parcel_id)).find((c) => c.code === 'land-class-change') ?? null;
  return { run, outcome };
}

/**
 * One act of 变更, judged on check h of the change year: the run given, else the one the survey
 * change relied on (same year), else a run made now. Re-judges the run's measured shares with the
 * thresholds in force now, whatever set the run was made under (never thresholds a run carried).
 */
async function changeAct(
  pool: pg.Pool,
  user: AuthUser,
  id: string,
  action: 'survey-change' | 'change',
  input: Partial<ChangeYearInput> & { changedOn?: string },
  bounds: CheckBounds,
  how: (p: repo.ProcedureRow) => { layers: ChangeLayer[]; after: { year: number; on: string; what: string } | null; fields: (changeYear: number, runId: string, changedOn: string) => repo.ParcelFields },
) {
  checkDate('changedOn', input.changedOn);
  const head = await plannedParcel(pool, user, id, action);
  const changeYear = input.changeYear ?? head.change_year;
  if (changeYear === null) throw new Problem(400, 'request-invalid', 'Change year required', '须写明年度土地变更调查的年份（changeYear）');
  const runId = input.checkRunId ?? (changeYear === head.change_year && head.change_run_id ? head.change_run_id : await runChecksFor(pool, bounds, user, id, action, { changeYear }));
  return act(pool, user, id, action, async (tx, p) => {
    const today = todayInChina();
    const changedOn = dateOr(input.changedOn, today);
    const { run, outcome } = await changeOutcome(tx, p, runId, changeYear);
    const params = (await parameterSetInForce(tx.client)).parameters;
    const area = p.area_m2 === null ? null : Number(p.area_m2);
    const h = how(p);
    requireGuards(action, changeGuards(
      outcome,
      changeYear,
      { layers: h.layers, after: h.after, areaOfRecordM2: area, minShare: params.changeMinShare, toleranceM2: area === null ? 0 : boundaryTolerance(area, params) },
      changedOn,
      today,
    ));
    return {
      to: ACTIONS[action].to,
      effectiveOn: changedOn,
      notes: input.notes,
      documents: input.documents,
      evidence: {
        changeYear,
        checkRunId: run.id,
        layers: h.layers.includes('one-map') ? { dltb: run.layers.dltbChange, ldxb: run.layers.ldxbChange } : { dltb: run.layers.dltbChange },
        forestDltbShare: outcome?.figures?.forestDltbShare ?? null,
        ...(h.layers.includes('one-map') ? { forestXiaobanShare: outcome?.figures?.forestXiaobanShare ?? null } : {}),
      },
      fields: h.fields(changeYear, run.id, changedOn),
    };
  });
}

/** 县级自然资源主管部门在年度土地变更调查更新数据库中进行地类变更: that year's DLTB shows the parcel as forest. */
export async function surveyChange(pool: pg.Pool, user: AuthUser, id: string, input: Partial<ChangeYearInput> & { changedOn?: string }, bounds: CheckBounds) {
  return changeAct(pool, user, id, 'survey-change', input, bounds, (p) => ({
    layers: ['dltb'],
    after: p.accepted_on ? { year: yearOf(p.accepted_on), on: p.accepted_on, what: '验收' } : null,
    fields: (changeYear, runId, changedOn) => ({ change_year: changeYear, change_run_id: runId, survey_changed_on: changedOn }),
  }));
}

/** 县级林业部门在森林资源管理“一张图”年度更新中将补充林地地块由非林地变更为林地: the one-map (and the DLTB) of the year. */
export async function change(pool: pg.Pool, user: AuthUser, id: string, input: Partial<ChangeYearInput> & { changedOn?: string }, bounds: CheckBounds) {
  return changeAct(pool, user, id, 'change', input, bounds, (p) => ({
    layers: ['dltb', 'one-map'],
    after: p.survey_changed_on && p.change_year !== null ? { year: p.change_year, on: p.survey_changed_on, what: '年度变更调查地类变更' } : null,
    fields: (changeYear, runId, changedOn) => ({ change_year: changeYear, change_run_id: runId, changed_on: changedOn }),
  }));
}

// ---------------------------------------------------------------- 入库

export async function reserve(pool: pg.Pool, user: AuthUser, id: string, input: ActInput & { reserveYear: number; reservedOn?: string }) {
  checkDate('reservedOn', input.reservedOn);
  return act(pool, user, id, 'reserve', async (tx, p) => {
    // Serialise with the county-year submission so nothing enters a year being submitted.
    await repo.lockReserveYear(tx, p.county_code, input.reserveYear);
    const today = todayInChina();
    const reservedOn = dateOr(input.reservedOn, today);
    requireGuards('reserve', reserveGuards(input.reserveYear, { changeYear: p.change_year, submittedYears: await repo.submittedYears(tx, p.county_code) }, reservedOn, today));
    return {
      to: 'county-reserve',
      effectiveOn: reservedOn,
      notes: input.notes,
      documents: input.documents,
      evidence: { reserveYear: input.reserveYear, areaOfRecordM2: p.area_m2 === null ? null : Number(p.area_m2) },
      fields: { reserve_year: input.reserveYear, reserved_on: reservedOn },
    };
  });
}

// ---------------------------------------------------------------- 撤回, 否决

export async function end(pool: pg.Pool, user: AuthUser, id: string, action: 'withdraw' | 'reject', input: ActInput & { reason: string }) {
  return act(pool, user, id, action, async (_tx, p) => {
    const failures = reasonGuards(input.reason);
    if (action === 'withdraw' && user.role === 'township' && p.state !== 'applied') {
      failures.push({ guard: 'township-withdraw-before-verification', reason: '乡镇只能在核实前撤回申请；核实后请由县级林业主管部门撤回' });
    }
    requireGuards(action, failures);
    return {
      to: ACTIONS[action].to,
      effectiveOn: todayInChina(),
      notes: input.notes,
      documents: input.documents,
      evidence: { reason: input.reason.trim(), previousState: p.state },
      fields: { end_reason: input.reason.trim() },
    };
  });
}
