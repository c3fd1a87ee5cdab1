/**
 * The county reserve goes up: the county forestry bureau files the submission, the county government
 * approves it (经县（市、区）政府审核后……报市级) and only then is it with the city (due 15 September of
 * N+1, late flagged); the city's sampling audit (≥ 30 % of the area), the province's (≥ 15 %), then
 * the provincial reserve. A sampled parcel that fails leaves the reserve (出库) with the reason, and
 * the audit, once complete, returns the submission to the county (核查无误后报省级: nothing passes on
 * a sample with errors): the other parcels go back to the county reserve, to be submitted again and
 * sampled afresh. Each use case is one scoped transaction; the parcels move through the procedure's
 * state machine and transition record.
 */
import { notFoundInScope } from '../http/errors.js';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { requireCounty, requireRole, PERMISSIONS } from '../auth/plugin.js';
import { drawAreaSample, MIN_SHARE_PCT } from '../domain/audit/sampling.js';
import { isIsoDate, isLateSubmission, reserveSubmissionDue, todayInChina } from '../domain/procedure/deadlines.js';
import { cleanParticipants, participantsGuards } from '../domain/procedure/joint-acts.js';
import { RESERVE_STATES } from '../domain/procedure/state-machine.js';
import { parseDecimal } from '../domain/units.js';
import { Problem } from '../http/problem.js';
import * as procedures from '../procedure/repository.js';
import { guardFailed, planOrThrow, type ActInput, type JointActInput } from '../procedure/service.js';
import * as repo from './repository.js';

const submissionNotFound = (id: string) => notFoundInScope('储备库报送记录', id, 'submission-not-found');
const auditNotFound = (id: string) => notFoundInScope('抽查记录', id, 'audit-not-found');
const centi = (m2: string) => parseDecimal(m2, 2)!;
const m2Text = (c: bigint) => `${c / 100n}.${(c % 100n).toString().padStart(2, '0')}`;

/** Submissions and audits are the county's and the auditors' (README, What a township sees); row-level security hides them too. */
const requireReserveReader = (user: AuthUser, what: string) => requireRole(user, PERMISSIONS.readReserve, what);

// ---------------------------------------------------------------- reading

/** The county's parcels in a reserve (county or provincial), of one reserve year or all. */
export async function countyReserve(pool: pg.Pool, user: AuthUser, county: string, year?: number): Promise<procedures.ProcedureRow[]> {
  return withScope(pool, user, async (tx) =>
    (await procedures.listProcedures(tx, { county, reserveYear: year, limit: 100000, offset: 0 })).filter((p) => RESERVE_STATES.includes(p.state)),
  );
}

export async function listSubmissions(pool: pg.Pool, user: AuthUser, f: { county?: string; year?: number }): Promise<repo.SubmissionRow[]> {
  requireReserveReader(user, '查看储备库报送记录');
  return withScope(pool, user, (tx) => repo.listSubmissions(tx, f));
}

export interface AuditWithSamples {
  audit: repo.AuditRow;
  samples: repo.SampleRow[];
}

const withSamples = async (tx: Scoped, audit: repo.AuditRow): Promise<AuditWithSamples> => ({ audit, samples: await repo.samplesOf(tx, audit.id) });

export async function submissionDetail(pool: pg.Pool, user: AuthUser, id: string): Promise<{ submission: repo.SubmissionRow; audits: AuditWithSamples[] }> {
  requireReserveReader(user, '查看储备库报送记录');
  return withScope(pool, user, async (tx) => {
    const submission = await repo.getSubmission(tx, id);
    if (!submission) throw submissionNotFound(id);
    const audits: AuditWithSamples[] = [];
    for (const a of await repo.auditsOf(tx, submission.id)) audits.push(await withSamples(tx, a));
    return { submission, audits };
  });
}

async function auditById(tx: Scoped, id: string): Promise<AuditWithSamples> {
  const a = await repo.getAudit(tx, id);
  if (!a) throw auditNotFound(id);
  return withSamples(tx, a);
}

export async function showAudit(pool: pg.Pool, user: AuthUser, id: string): Promise<AuditWithSamples> {
  requireReserveReader(user, '查看抽查记录');
  return withScope(pool, user, (tx) => auditById(tx, id));
}

// ---------------------------------------------------------------- submission to the city

export async function submitReserve(pool: pg.Pool, user: AuthUser, county: string, input: ActInput & { reserveYear: number; submittedOn?: string }) {
  requireCounty(user, county);
  requireRole(user, PERMISSIONS.submitReserve, '县级储备库报市级审核');
  const today = todayInChina();
  const submittedOn = input.submittedOn ?? today;
  if (!isIsoDate(submittedOn) || submittedOn > today) {
    throw guardFailed('submit', [{ guard: 'submission-date-valid', reason: `报送日期${submittedOn}无效或晚于今天（${today}）` }]);
  }
  if (submittedOn < `${input.reserveYear}-01-01`) {
    throw guardFailed('submit', [{ guard: 'submission-date-valid', reason: `报送日期${submittedOn}早于储备年度${input.reserveYear}` }]);
  }
  return withScope(pool, user, async (tx) => {
    await procedures.lockReserveYear(tx, county, input.reserveYear);
    const existing = (await repo.listSubmissions(tx, { county, year: input.reserveYear })).filter((s) => s.state !== 'returned');
    if (existing.length) {
      throw new Problem(409, 'reserve-already-submitted', 'Reserve already submitted', `${county}县${input.reserveYear}年度储备库已于${existing[0]!.submitted_on}报送`, {
        submissionId: existing[0]!.id,
      });
    }
    const parcels = await procedures.lockReserveParcels(tx, { state: 'county-reserve', county, reserveYear: input.reserveYear });
    if (parcels.length === 0) {
      throw guardFailed('submit', [{ guard: 'reserve-not-empty', reason: `${county}县${input.reserveYear}年度县级储备库中没有地块` }]);
    }
    for (const p of parcels) planOrThrow('submit', p.state, user);
    const area = parcels.reduce((s, p) => s + centi(p.area_m2!), 0n);
    const due = reserveSubmissionDue(input.reserveYear);
    const late = isLateSubmission(input.reserveYear, submittedOn);
    const submission = await repo.insertSubmission(tx, {
      county,
      reserveYear: input.reserveYear,
      submittedOn,
      dueOn: due,
      late,
      parcels: parcels.length,
      areaM2: m2Text(area),
      notes: input.notes,
      documents: input.documents,
    });
    for (const p of parcels) {
      await procedures.recordTransition(tx, p, {
        action: 'submit',
        to: 'county-review',
        effectiveOn: submittedOn,
        notes: input.notes,
        documents: input.documents,
        evidence: { submissionId: submission.id, reserveYear: input.reserveYear, dueOn: due, late },
        fields: { submission_id: submission.id },
      });
    }
    return submission;
  });
}

// ---------------------------------------------------------------- the county government's approval

/**
 * 经县（市、区）政府审核后，由县（市、区）林业主管部门……报市级林业部门审核汇总 (001 §三(三)2): the county
 * government approves the filed submission, which then is with the city (who and when recorded).
 * The city receives it on the approval date, so an approval after 15 September flags it late.
 */
export async function approveSubmission(pool: pg.Pool, user: AuthUser, id: string, input: ActInput & { approvedOn?: string }): Promise<repo.SubmissionRow> {
  requireRole(user, PERMISSIONS.approveReserve, '县级人民政府审核储备库报送');
  return withScope(pool, user, async (tx) => {
    const s = await repo.getSubmission(tx, id, true);
    if (!s) throw submissionNotFound(id);
    requireCounty(user, s.county_code);
    if (s.state !== 'county-review') {
      throw new Problem(409, 'submission-not-awaiting-approval', 'Submission not awaiting approval', `该报送当前状态为${s.state}，不在县政府审核阶段${s.approved_on ? `（已于${s.approved_on}审核）` : ''}`);
    }
    const today = todayInChina();
    const approvedOn = input.approvedOn ?? today;
    if (!isIsoDate(approvedOn) || approvedOn > today || approvedOn < s.submitted_on) {
      throw guardFailed('submit', [{ guard: 'approval-date-valid', reason: `审核日期${approvedOn}无效、晚于今天（${today}）或早于报送日期${s.submitted_on}` }]);
    }
    const late = s.late || isLateSubmission(s.reserve_year, approvedOn);
    await repo.approveSubmission(tx, s.id, { approvedOn, late });
    // Its parcels go to the city with it: 待县级人民政府审核 → 已报市级审核.
    for (const p of await procedures.lockReserveParcels(tx, { state: 'county-review', submissionId: s.id })) {
      planOrThrow('approve-submission', p.state, user);
      await procedures.recordTransition(tx, p, {
        action: 'approve-submission',
        to: 'city-review',
        effectiveOn: approvedOn,
        notes: input.notes,
        documents: input.documents,
        evidence: { submissionId: s.id, reserveYear: s.reserve_year, approvedOn, late },
      });
    }
    return (await repo.getSubmission(tx, s.id))!;
  });
}

// ---------------------------------------------------------------- sampling audits

const LEVEL = {
  city: { roles: PERMISSIONS.cityAudit, review: 'city-review', pass: 'city-pass', fail: 'city-fail', back: 'city-return', next: 'province-review', label: '市级抽查' },
  province: {
    roles: PERMISSIONS.provinceAudit,
    review: 'province-review',
    pass: 'province-pass',
    fail: 'province-fail',
    back: 'province-return',
    next: 'provincial-reserve',
    label: '省级抽查',
  },
} as const;

/**
 * Draws the audit sample. The seed is the server's (128 random bits), never the auditor's: with a
 * chosen seed, anyone could search offline for one that leaves a doubtful parcel out. It is recorded
 * with the audit, with the population, so the sample can be redrawn and checked by anyone.
 */
export async function drawAudit(pool: pg.Pool, user: AuthUser, submissionId: string, input: { level: repo.AuditLevel }): Promise<AuditWithSamples> {
  const L = LEVEL[input.level];
  return withScope(pool, user, async (tx) => {
    const s = await repo.getSubmission(tx, submissionId, true);
    if (!s) throw submissionNotFound(submissionId);
    requireRole(user, L.roles, L.label);
    if (s.state !== L.review) {
      throw new Problem(409, 'audit-not-due', 'Audit not due', s.state === 'county-review'
        ? '该报送尚未经县级人民政府审核，不能抽查（经县（市、区）政府审核后报市级）'
        : input.level === 'city'
        ? `该报送当前状态为${s.state}，市级抽查只能在报市审核期间进行`
        : `该报送当前状态为${s.state}，省级抽查须在市级抽查完成后进行`);
    }
    if ((await repo.auditsOf(tx, s.id)).some((a) => a.level === input.level)) {
      throw new Problem(409, 'audit-exists', 'Audit already drawn', `该报送的${L.label}样本已抽取`);
    }
    const parcels = await procedures.lockReserveParcels(tx, { state: L.review, submissionId: s.id });
    const seed = randomBytes(16).toString('hex');
    const population = parcels.map((p) => ({ id: p.id, areaCentiM2: centi(p.area_m2!), parcel: p }));
    const sample = drawAreaSample(population, seed, MIN_SHARE_PCT[input.level]);
    const canonical = [...population].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const auditId = await repo.insertAudit(tx, {
      submissionId: s.id,
      county: s.county_code,
      level: input.level,
      seed,
      algorithm: sample.algorithm,
      minSharePct: sample.minSharePct,
      population: canonical.map((p) => ({ parcelId: p.id, areaM2: p.parcel.area_m2! })),
      populationM2: m2Text(sample.totalCentiM2),
      sampledM2: m2Text(sample.sampledCentiM2),
      sample: sample.sample.map((u) => ({ parcelId: u.id, areaM2: u.parcel.area_m2! })),
    });
    return auditById(tx, auditId);
  });
}

/** The audit, locked, for the auditors of its level while it is open. */
async function openAudit(tx: Scoped, user: AuthUser, auditId: string, ifCompleted: string) {
  const a = await repo.getAudit(tx, auditId, true);
  if (!a) throw auditNotFound(auditId);
  const L = LEVEL[a.level];
  requireRole(user, L.roles, L.label);
  if (a.completed_at) throw new Problem(409, 'audit-completed', 'Audit completed', `${L.label}已完成${ifCompleted}`);
  return { a, L };
}

export async function recordAuditResult(
  pool: pg.Pool,
  user: AuthUser,
  auditId: string,
  input: ActInput & { parcelId: string; result: 'pass' | 'fail'; reason?: string; inspectedOn?: string },
): Promise<AuditWithSamples> {
  return withScope(pool, user, async (tx) => {
    const { a, L } = await openAudit(tx, user, auditId, '，不能再登记结果');
    const sample = (await repo.samplesOf(tx, a.id)).find((x) => x.parcel_id === input.parcelId);
    if (!sample) throw new Problem(404, 'not-in-sample', 'Parcel not in the sample', `地块${input.parcelId}不在本次${L.label}样本中`);
    if (sample.result) throw new Problem(409, 'result-recorded', 'Result already recorded', `地块${sample.parcel_no}的${L.label}结果已登记（${sample.result === 'pass' ? '合格' : '不合格'}）`);
    const today = todayInChina();
    const inspectedOn = input.inspectedOn ?? today;
    if (!isIsoDate(inspectedOn) || inspectedOn > today) throw new Problem(400, 'request-invalid', 'Invalid date', `核查日期${inspectedOn}无效或晚于今天`);
    if (input.result === 'fail' && !(input.reason ?? '').trim()) {
      throw guardFailed(L.fail, [{ guard: 'reason-required', reason: '抽查不合格须写明原因' }]);
    }
    await repo.recordSampleResult(tx, a.id, {
      parcelId: input.parcelId,
      result: input.result,
      reason: input.reason?.trim() || null,
      inspectedOn,
      notes: input.notes,
      documents: input.documents,
    });
    if (input.result === 'fail') {
      const p = (await procedures.getProcedure(tx, input.parcelId, { forUpdate: true }))!;
      planOrThrow(L.fail, p.state, user);
      await procedures.recordTransition(tx, p, {
        action: L.fail,
        to: 'removed',
        effectiveOn: inspectedOn,
        notes: input.notes,
        documents: input.documents,
        evidence: { auditId: a.id, level: a.level, result: 'fail', reason: input.reason!.trim() },
        fields: { end_reason: `${L.label}不合格：${input.reason!.trim()}` },
      });
    }
    return auditById(tx, a.id);
  });
}

/**
 * Completes an audit once every sampled parcel has a result. All passed: the rest of the submission
 * moves up. Any failed (核查无误后报省级 / 核查无误后纳入省级林地储备库): the failed parcels have left the
 * reserve already, the submission is returned to the county and its other parcels go back to the
 * county reserve, to be submitted again as a new submission with a fresh sample.
 */
export async function completeAudit(
  pool: pg.Pool,
  user: AuthUser,
  auditId: string,
  input: JointActInput,
): Promise<AuditWithSamples & { moved: number; returned: number; submission: repo.SubmissionRow }> {
  return withScope(pool, user, async (tx) => {
    const { a, L } = await openAudit(tx, user, auditId, '');
    const samples = await repo.samplesOf(tx, a.id);
    const pending = samples.filter((x) => !x.result);
    if (pending.length) {
      throw guardFailed(L.pass, [{ guard: 'sample-results-complete', reason: `还有${pending.length}个样本地块未登记抽查结果：${pending.map((p) => p.parcel_no).join('、')}` }]);
    }
    // 市级林业、自然资源部门抽查……现场核查 / 省级林业、自然资源部门抽查……现场核查
    const joint = participantsGuards(input.participants, L.label);
    if (joint.length) throw guardFailed(L.pass, joint);
    const participants = cleanParticipants(input.participants!);
    const s = (await repo.getSubmission(tx, a.submission_id, true))!;
    const parcels = await procedures.lockReserveParcels(tx, { state: L.review, submissionId: s.id });
    const failed = samples.filter((x) => x.result === 'fail');
    if (failed.length) {
      const reason = `${L.label}有${failed.length}个样本地块不合格（${failed.map((f) => `${f.parcel_no}：${f.reason}`).join('；')}），退回县级：不合格地块已出库，其余地块回县级储备库，重新报送并重新抽样`;
      for (const p of parcels) {
        planOrThrow(L.back, p.state, user);
        await procedures.recordTransition(tx, p, {
          action: L.back,
          to: 'county-reserve',
          notes: input.notes,
          documents: input.documents,
          evidence: { auditId: a.id, level: a.level, submissionId: s.id, failed: failed.map((f) => f.parcel_id), seed: a.seed, participants },
          fields: { submission_id: null },
        });
      }
      await repo.completeAudit(tx, a.id, participants);
      await repo.returnSubmission(tx, s.id, reason);
      return { ...(await auditById(tx, a.id)), moved: 0, returned: parcels.length, submission: (await repo.getSubmission(tx, s.id))! };
    }
    const sampled = new Set(samples.map((x) => x.parcel_id));
    for (const p of parcels) {
      planOrThrow(L.pass, p.state, user);
      await procedures.recordTransition(tx, p, {
        action: L.pass,
        to: L.next,
        notes: input.notes,
        documents: input.documents,
        evidence: { auditId: a.id, level: a.level, sampled: sampled.has(p.id), seed: a.seed, participants },
      });
    }
    await repo.completeAudit(tx, a.id, participants);
    await repo.setSubmissionState(tx, s.id, L.next);
    return { ...(await auditById(tx, a.id)), moved: parcels.length, returned: 0, submission: (await repo.getSubmission(tx, s.id))! };
  });
}
