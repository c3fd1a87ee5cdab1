/**
 * The county reserve goes up: submission to the city (due 15 September of N+1, late flagged), the
 * city's sampling audit (≥ 30 % of the area), the province's (≥ 15 %), then the provincial reserve.
 * A sampled parcel that fails leaves the reserve (出库) with the reason.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { requireCounty, requireRole, PERMISSIONS } from '../auth/plugin.js';
import { drawAreaSample, MIN_SHARE_PCT } from '../domain/audit/sampling.js';
import { isIsoDate, isLateSubmission, reserveSubmissionDue, todayInChina } from '../domain/procedure/deadlines.js';
import { parseDecimal } from '../domain/quota/five-hundred-mu.js';
import { Problem } from '../http/problem.js';
import * as repo from './repository.js';
import { guardFailed, planOrThrow, type DocumentRef } from './service.js';

export interface SubmissionRow {
  id: string;
  county_code: string;
  reserve_year: number;
  submitted_on: string;
  due_on: string;
  late: boolean;
  parcel_count: number;
  area_m2: string;
  state: 'city-review' | 'province-review' | 'provincial-reserve';
  notes: string | null;
  documents: DocumentRef[];
  submitted_by: string;
  created_at: Date;
}

const SUBMISSION_COLUMNS = `id, county_code, reserve_year, submitted_on::text AS submitted_on, due_on::text AS due_on, late, parcel_count,
  area_m2::text AS area_m2, state, notes, documents, submitted_by, created_at`;

export interface AuditRow {
  id: string;
  submission_id: string;
  county_code: string;
  level: 'city' | 'province';
  seed: string;
  algorithm: string;
  min_share_pct: number;
  population: { parcelId: string; areaM2: string }[];
  population_m2: string;
  sampled_m2: string;
  drawn_by: string;
  drawn_at: Date;
  completed_by: string | null;
  completed_at: Date | null;
}

export interface SampleRow {
  parcel_id: string;
  parcel_no: string;
  draw_order: number;
  area_m2: string;
  result: 'pass' | 'fail' | null;
  reason: string | null;
  inspected_on: string | null;
  notes: string | null;
  documents: DocumentRef[];
  recorded_by: string | null;
  recorded_at: Date | null;
}

const isUuid = (id: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
const submissionNotFound = (id: string) => new Problem(404, 'submission-not-found', 'Submission not found', `未找到储备库报送记录：${id}（不存在或不在管辖范围内）`);
const auditNotFound = (id: string) => new Problem(404, 'audit-not-found', 'Audit not found', `未找到抽查记录：${id}（不存在或不在管辖范围内）`);
const centi = (m2: string) => parseDecimal(m2, 2)!;
const m2Text = (c: bigint) => `${c / 100n}.${(c % 100n).toString().padStart(2, '0')}`;

export async function getSubmission(tx: Scoped, id: string, forUpdate = false): Promise<SubmissionRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.client.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM procedure.reserve_submission WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}

export async function listSubmissions(tx: Scoped, f: { county?: string; year?: number }): Promise<SubmissionRow[]> {
  const { rows } = await tx.client.query<SubmissionRow>(
    `SELECT ${SUBMISSION_COLUMNS} FROM procedure.reserve_submission
      WHERE ($1::text IS NULL OR county_code = $1) AND ($2::int IS NULL OR reserve_year = $2) ORDER BY county_code, reserve_year`,
    [f.county ?? null, f.year ?? null],
  );
  return rows;
}

export async function auditsOf(tx: Scoped, submissionId: string): Promise<AuditRow[]> {
  const { rows } = await tx.client.query<AuditRow>(
    `SELECT id, submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2::text AS population_m2,
            sampled_m2::text AS sampled_m2, drawn_by, drawn_at, completed_by, completed_at
       FROM procedure.audit WHERE submission_id = $1 ORDER BY drawn_at`,
    [submissionId],
  );
  return rows;
}

export async function getAudit(tx: Scoped, id: string, forUpdate = false): Promise<AuditRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.client.query<AuditRow>(
    `SELECT id, submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2::text AS population_m2,
            sampled_m2::text AS sampled_m2, drawn_by, drawn_at, completed_by, completed_at
       FROM procedure.audit WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}

export async function samplesOf(tx: Scoped, auditId: string): Promise<SampleRow[]> {
  const { rows } = await tx.client.query<SampleRow>(
    `SELECT s.parcel_id, p.parcel_no, s.draw_order, s.area_m2::text AS area_m2, s.result, s.reason, s.inspected_on::text AS inspected_on,
            s.notes, s.documents, s.recorded_by, s.recorded_at
       FROM procedure.audit_sample s JOIN procedure.parcel p ON p.id = s.parcel_id
      WHERE s.audit_id = $1 ORDER BY s.draw_order`,
    [auditId],
  );
  return rows;
}

/** Parcels of a submission in a state, locked. */
async function submissionParcels(tx: Scoped, submissionId: string, state: string): Promise<repo.ProcedureRow[]> {
  const ids = await tx.client.query<{ id: string }>(
    'SELECT id FROM procedure.parcel WHERE submission_id = $1 AND state = $2 ORDER BY id FOR UPDATE',
    [submissionId, state],
  );
  const out: repo.ProcedureRow[] = [];
  for (const r of ids.rows) out.push((await repo.getProcedure(tx, r.id))!);
  return out;
}

// ---------------------------------------------------------------- submission to the city

export async function submitReserve(
  pool: pg.Pool,
  user: AuthUser,
  county: string,
  input: { reserveYear: number; submittedOn?: string; notes?: string; documents?: DocumentRef[] },
) {
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
    await tx.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reserve:${county}:${input.reserveYear}`]);
    const existing = await listSubmissions(tx, { county, year: input.reserveYear });
    if (existing.length) {
      throw new Problem(409, 'reserve-already-submitted', 'Reserve already submitted', `${county}县${input.reserveYear}年度储备库已于${existing[0]!.submitted_on}报市级审核`, {
        submissionId: existing[0]!.id,
      });
    }
    const ids = await tx.client.query<{ id: string }>(
      `SELECT id FROM procedure.parcel WHERE county_code = $1 AND reserve_year = $2 AND state = 'county-reserve' ORDER BY id FOR UPDATE`,
      [county, input.reserveYear],
    );
    if (ids.rows.length === 0) {
      throw guardFailed('submit', [{ guard: 'reserve-not-empty', reason: `${county}县${input.reserveYear}年度县级储备库中没有地块` }]);
    }
    const parcels: repo.ProcedureRow[] = [];
    for (const r of ids.rows) parcels.push((await repo.getProcedure(tx, r.id))!);
    for (const p of parcels) planOrThrow('submit', p.state, user);
    const area = parcels.reduce((s, p) => s + centi(p.area_m2!), 0n);
    const due = reserveSubmissionDue(input.reserveYear);
    const late = isLateSubmission(input.reserveYear, submittedOn);
    const { rows } = await tx.client.query<SubmissionRow>(
      `INSERT INTO procedure.reserve_submission (county_code, reserve_year, submitted_on, due_on, late, parcel_count, area_m2, state, notes, documents, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'city-review', $8, $9, $10) RETURNING ${SUBMISSION_COLUMNS}`,
      [county, input.reserveYear, submittedOn, due, late, parcels.length, m2Text(area), input.notes ?? null, JSON.stringify(input.documents ?? []), user.id],
    );
    const submission = rows[0]!;
    for (const p of parcels) {
      await repo.recordTransition(tx, p, {
        action: 'submit',
        to: 'city-review',
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

// ---------------------------------------------------------------- sampling audits

const LEVEL = {
  city: { roles: PERMISSIONS.cityAudit, review: 'city-review', pass: 'city-pass', fail: 'city-fail', next: 'province-review', label: '市级抽查' },
  province: { roles: PERMISSIONS.provinceAudit, review: 'province-review', pass: 'province-pass', fail: 'province-fail', next: 'provincial-reserve', label: '省级抽查' },
} as const;

/**
 * Draws the audit sample. The seed is the server's (128 random bits), never the auditor's: with a
 * chosen seed, anyone could search offline for one that leaves a doubtful parcel out. It is recorded
 * with the audit, with the population, so the sample can be redrawn and checked by anyone.
 */
export async function drawAudit(pool: pg.Pool, user: AuthUser, submissionId: string, input: { level: 'city' | 'province' }) {
  const L = LEVEL[input.level];
  return withScope(pool, user, async (tx) => {
    const s = await getSubmission(tx, submissionId, true);
    if (!s) throw submissionNotFound(submissionId);
    requireRole(user, L.roles, L.label);
    if (s.state !== L.review) {
      throw new Problem(409, 'audit-not-due', 'Audit not due', input.level === 'city'
        ? `该报送当前状态为${s.state}，市级抽查只能在报市审核期间进行`
        : `该报送当前状态为${s.state}，省级抽查须在市级抽查完成后进行`);
    }
    if ((await auditsOf(tx, s.id)).some((a) => a.level === input.level)) {
      throw new Problem(409, 'audit-exists', 'Audit already drawn', `该报送的${L.label}样本已抽取`);
    }
    const parcels = await submissionParcels(tx, s.id, L.review);
    const seed = randomBytes(16).toString('hex');
    const population = parcels.map((p) => ({ id: p.id, areaCentiM2: centi(p.area_m2!), parcel: p }));
    const sample = drawAreaSample(population, seed, MIN_SHARE_PCT[input.level]);
    const canonical = [...population].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { rows } = await tx.client.query<{ id: string }>(
      `INSERT INTO procedure.audit (submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2, sampled_m2, drawn_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [s.id, s.county_code, input.level, seed, sample.algorithm, sample.minSharePct,
        JSON.stringify(canonical.map((p) => ({ parcelId: p.id, areaM2: p.parcel.area_m2 }))), m2Text(sample.totalCentiM2), m2Text(sample.sampledCentiM2), user.id],
    );
    const auditId = rows[0]!.id;
    let order = 0;
    for (const u of sample.sample) {
      await tx.client.query(
        `INSERT INTO procedure.audit_sample (audit_id, parcel_id, county_code, draw_order, area_m2) VALUES ($1, $2, $3, $4, $5)`,
        [auditId, u.id, s.county_code, ++order, u.parcel.area_m2],
      );
    }
    return { audit: (await getAudit(tx, auditId))!, samples: await samplesOf(tx, auditId), share: sample.share };
  });
}

export async function recordAuditResult(
  pool: pg.Pool,
  user: AuthUser,
  auditId: string,
  input: { parcelId: string; result: 'pass' | 'fail'; reason?: string; inspectedOn?: string; notes?: string; documents?: DocumentRef[] },
) {
  return withScope(pool, user, async (tx) => {
    const a = await getAudit(tx, auditId, true);
    if (!a) throw auditNotFound(auditId);
    const L = LEVEL[a.level];
    requireRole(user, L.roles, L.label);
    if (a.completed_at) throw new Problem(409, 'audit-completed', 'Audit completed', `${L.label}已完成，不能再登记结果`);
    const sample = (await samplesOf(tx, a.id)).find((x) => x.parcel_id === input.parcelId);
    if (!sample) throw new Problem(404, 'not-in-sample', 'Parcel not in the sample', `地块${input.parcelId}不在本次${L.label}样本中`);
    if (sample.result) throw new Problem(409, 'result-recorded', 'Result already recorded', `地块${sample.parcel_no}的${L.label}结果已登记（${sample.result === 'pass' ? '合格' : '不合格'}）`);
    const today = todayInChina();
    const inspectedOn = input.inspectedOn ?? today;
    if (!isIsoDate(inspectedOn) || inspectedOn > today) throw new Problem(400, 'request-invalid', 'Invalid date', `核查日期${inspectedOn}无效或晚于今天`);
    if (input.result === 'fail' && !(input.reason ?? '').trim()) {
      throw guardFailed(L.fail, [{ guard: 'reason-required', reason: '抽查不合格须写明原因' }]);
    }
    await tx.client.query(
      `UPDATE procedure.audit_sample SET result = $3, reason = $4, inspected_on = $5, notes = $6, documents = $7, recorded_by = $8, recorded_at = clock_timestamp()
        WHERE audit_id = $1 AND parcel_id = $2`,
      [a.id, input.parcelId, input.result, input.reason?.trim() || null, inspectedOn, input.notes ?? null, JSON.stringify(input.documents ?? []), user.id],
    );
    if (input.result === 'fail') {
      const p = (await repo.getProcedure(tx, input.parcelId, { forUpdate: true }))!;
      planOrThrow(L.fail, p.state, user);
      await repo.recordTransition(tx, p, {
        action: L.fail,
        to: 'removed',
        effectiveOn: inspectedOn,
        notes: input.notes,
        documents: input.documents,
        evidence: { auditId: a.id, level: a.level, result: 'fail', reason: input.reason!.trim() },
        fields: { end_reason: `${L.label}不合格：${input.reason!.trim()}` },
      });
    }
    return (await samplesOf(tx, a.id)).find((x) => x.parcel_id === input.parcelId)!;
  });
}

/** Completes an audit once every sampled parcel has a result: the rest of the submission moves up. */
export async function completeAudit(pool: pg.Pool, user: AuthUser, auditId: string, input: { notes?: string; documents?: DocumentRef[] }) {
  return withScope(pool, user, async (tx) => {
    const a = await getAudit(tx, auditId, true);
    if (!a) throw auditNotFound(auditId);
    const L = LEVEL[a.level];
    requireRole(user, L.roles, L.label);
    if (a.completed_at) throw new Problem(409, 'audit-completed', 'Audit completed', `${L.label}已完成`);
    const pending = (await samplesOf(tx, a.id)).filter((x) => !x.result);
    if (pending.length) {
      throw guardFailed(L.pass, [{ guard: 'sample-results-complete', reason: `还有${pending.length}个样本地块未登记抽查结果：${pending.map((p) => p.parcel_no).join('、')}` }]);
    }
    const s = (await getSubmission(tx, a.submission_id, true))!;
    const parcels = await submissionParcels(tx, s.id, L.review);
    const sampled = new Set((await samplesOf(tx, a.id)).map((x) => x.parcel_id));
    for (const p of parcels) {
      planOrThrow(L.pass, p.state, user);
      await repo.recordTransition(tx, p, {
        action: L.pass,
        to: L.next,
        notes: input.notes,
        documents: input.documents,
        evidence: { auditId: a.id, level: a.level, sampled: sampled.has(p.id), seed: a.seed },
      });
    }
    await tx.client.query('UPDATE procedure.audit SET completed_by = $2, completed_at = clock_timestamp() WHERE id = $1', [a.id, user.id]);
    await tx.client.query('UPDATE procedure.reserve_submission SET state = $2 WHERE id = $1', [s.id, L.next]);
    return { audit: (await getAudit(tx, a.id))!, moved: parcels.length, submission: (await getSubmission(tx, s.id))! };
  });
}
