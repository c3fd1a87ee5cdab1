/**
 * SQL of the reserve: submissions to the city, sampling audits and their samples. Every function
 * takes a `Scoped` transaction: row-level security confines it to the user's jurisdiction (the
 * parcels themselves are the procedure's, read and moved through procedure/repository.ts).
 */
import type { Participants } from '../domain/procedure/joint-acts.js';
import type { Scoped } from '../auth/scope.js';
import { isUuid } from '../http/schemas.js';
import type { JsonObject, VerificationOverride } from '../procedure/repository.js';

/** county-review: filed by the county forestry bureau, awaiting the county government's approval; returned: a sample failed. */
export type SubmissionState = 'county-review' | 'city-review' | 'province-review' | 'provincial-reserve' | 'returned';
export type AuditLevel = 'city' | 'province';

export interface SubmissionRow {
  id: string;
  county_code: string;
  reserve_year: number;
  submitted_on: string;
  due_on: string;
  late: boolean;
  parcel_count: number;
  area_m2: string;
  state: SubmissionState;
  notes: string | null;
  documents: JsonObject[];
  submitted_by: string;
  created_at: Date;
  approved_by: string | null;
  approved_name: string | null;
  approved_on: string | null;
  approved_at: Date | null;
  returned_at: Date | null;
  return_reason: string | null;
}

// Dates as 'YYYY-MM-DD' text and areas as numeric text (exact), as everywhere in the procedure.
const SUBMISSION_COLUMNS = `id, county_code, reserve_year, submitted_on::text AS submitted_on, due_on::text AS due_on, late, parcel_count,
  area_m2::text AS area_m2, state, notes, documents, submitted_by, created_at, approved_by, approved_name, approved_on::text AS approved_on, approved_at,
  returned_at, return_reason`;

export interface AuditRow {
  id: string;
  submission_id: string;
  county_code: string;
  level: AuditLevel;
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
  /** Who of the forestry and the natural-resources department inspected (recorded on completion). */
  participants: Participants | null;
}

const AUDIT_COLUMNS = `id, submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2::text AS population_m2,
  sampled_m2::text AS sampled_m2, drawn_by, drawn_at, completed_by, completed_at, participants`;

export interface SampleRow {
  parcel_id: string;
  parcel_no: string;
  draw_order: number;
  area_m2: string;
  result: 'pass' | 'fail' | null;
  reason: string | null;
  inspected_on: string | null;
  notes: string | null;
  documents: JsonObject[];
  recorded_by: string | null;
  recorded_at: Date | null;
  /** The override 核实 used, for the inspector to see (issue 10 point 4). */
  verification_override: VerificationOverride | null;
}

// ---------------------------------------------------------------- submissions

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

export async function insertSubmission(
  tx: Scoped,
  s: { county: string; reserveYear: number; submittedOn: string; dueOn: string; late: boolean; parcels: number; areaM2: string; notes?: string; documents?: unknown[] },
): Promise<SubmissionRow> {
  const { rows } = await tx.client.query<SubmissionRow>(
    `INSERT INTO procedure.reserve_submission (county_code, reserve_year, submitted_on, due_on, late, parcel_count, area_m2, state, notes, documents, submitted_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'county-review', $8, $9, $10) RETURNING ${SUBMISSION_COLUMNS}`,
    [s.county, s.reserveYear, s.submittedOn, s.dueOn, s.late, s.parcels, s.areaM2, s.notes ?? null, JSON.stringify(s.documents ?? []), tx.user.id],
  );
  return rows[0]!;
}

export async function setSubmissionState(tx: Scoped, id: string, state: SubmissionState): Promise<void> {
  await tx.client.query('UPDATE procedure.reserve_submission SET state = $2 WHERE id = $1', [id, state]);
}

/** The county government's approval: the submission goes to the city, with who approved it and when. */
export async function approveSubmission(tx: Scoped, id: string, a: { approvedOn: string; late: boolean }): Promise<void> {
  await tx.client.query(
    `UPDATE procedure.reserve_submission SET state = 'city-review', approved_by = $2, approved_name = $3, approved_on = $4, approved_at = clock_timestamp(), late = $5
      WHERE id = $1 AND state = 'county-review'`,
    [id, tx.user.id, tx.user.name, a.approvedOn, a.late],
  );
}

/** A sample with a failed parcel: the submission goes back to the county. */
export async function returnSubmission(tx: Scoped, id: string, reason: string): Promise<void> {
  await tx.client.query(`UPDATE procedure.reserve_submission SET state = 'returned', returned_at = clock_timestamp(), return_reason = $2 WHERE id = $1`, [id, reason]);
}

// ---------------------------------------------------------------- audits and samples

export async function auditsOf(tx: Scoped, submissionId: string): Promise<AuditRow[]> {
  const { rows } = await tx.client.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM procedure.audit WHERE submission_id = $1 ORDER BY drawn_at`, [submissionId]);
  return rows;
}

export async function getAudit(tx: Scoped, id: string, forUpdate = false): Promise<AuditRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.client.query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM procedure.audit WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

/** Records a drawn audit with its seed and canonical population, and its sample in draw order. */
export async function insertAudit(
  tx: Scoped,
  a: {
    submissionId: string;
    county: string;
    level: AuditLevel;
    seed: string;
    algorithm: string;
    minSharePct: number;
    population: { parcelId: string; areaM2: string }[];
    populationM2: string;
    sampledM2: string;
    sample: { parcelId: string; areaM2: string }[];
  },
): Promise<string> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO procedure.audit (submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2, sampled_m2, drawn_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [a.submissionId, a.county, a.level, a.seed, a.algorithm, a.minSharePct, JSON.stringify(a.population), a.populationM2, a.sampledM2, tx.user.id],
  );
  const auditId = rows[0]!.id;
  let order = 0;
  for (const u of a.sample) {
    await tx.client.query(
      `INSERT INTO procedure.audit_sample (audit_id, parcel_id, county_code, draw_order, area_m2) VALUES ($1, $2, $3, $4, $5)`,
      [auditId, u.parcelId, a.county, ++order, u.areaM2],
    );
  }
  return auditId;
}

export async function completeAudit(tx: Scoped, id: string, participants: Participants): Promise<void> {
  await tx.client.query('UPDATE procedure.audit SET completed_by = $2, completed_at = clock_timestamp(), participants = $3 WHERE id = $1', [
    id,
    tx.user.id,
    JSON.stringify(participants),
  ]);
}

export async function samplesOf(tx: Scoped, auditId: string): Promise<SampleRow[]> {
  const { rows } = await tx.client.query<SampleRow>(
    `SELECT s.parcel_id, p.parcel_no, s.draw_order, s.area_m2::text AS area_m2, s.result, s.reason, s.inspected_on::text AS inspected_on,
            s.notes, s.documents, s.recorded_by, s.recorded_at, p.verification_override
       FROM procedure.audit_sample s JOIN procedure.parcel p ON p.id = s.parcel_id
      WHERE s.audit_id = $1 ORDER BY s.draw_order`,
    [auditId],
  );
  return rows;
}

export async function recordSampleResult(
  tx: Scoped,
  auditId: string,
  r: { parcelId: string; result: 'pass' | 'fail'; reason: string | null; inspectedOn: string; notes?: string; documents?: unknown[] },
): Promise<void> {
  await tx.client.query(
    `UPDATE procedure.audit_sample SET result = $3, reason = $4, inspected_on = $5, notes = $6, documents = $7, recorded_by = $8, recorded_at = clock_timestamp()
      WHERE audit_id = $1 AND parcel_id = $2`,
    [auditId, r.parcelId, r.result, r.reason, r.inspectedOn, r.notes ?? null, JSON.stringify(r.documents ?? []), tx.user.id],
  );
}
