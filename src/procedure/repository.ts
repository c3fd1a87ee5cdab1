/**
 * SQL of the procedure. Every function takes a `Scoped` transaction: row-level security confines
 * it to the user's jurisdiction, so a parcel of another county is simply not found.
 */
import type { Scoped } from '../auth/scope.js';
import type { Action, CheckOutcome, RightsHolder, State } from '../domain/procedure/state-machine.js';
import type { OverrideApproval } from '../domain/procedure/overrides.js';
import type { PriorRestoration } from '../domain/procedure/eligibility.js';
import type { AcceptanceRecord } from '../domain/procedure/joint-acts.js';
import type { PublicityPlace } from '../domain/procedure/publicity.js';
import type { RightKind } from '../domain/procedure/rights-holders.js';
// Ids may come from bodies and other features' rows: a malformed one is simply not found, never a PostgreSQL error.
import { isUuid } from '../http/schemas.js';

export interface ProcedureRow {
  id: string;
  candidate_parcel_id: string;
  upload_id: string;
  county_code: string;
  township_code: string | null;
  parcel_no: string;
  applicant: string | null;
  state: State;
  state_since: Date;
  version: number;
  verification_run_id: string | null;
  area_m2: string | null;
  rights_holders: RightsHolder[] | null;
  publicity_from: string | null;
  publicity_to: string | null;
  publicity_place: string | null;
  /** 公示 at the natural village and at the village committee's seat, each with its period. */
  publicity_places: PublicityPlace[] | null;
  /** 申请 date. */
  applied_on: string | null;
  /** Mining land restored before the application (§三(三)1), as the application recorded it. */
  prior_restoration: PriorRestoration | null;
  confirmed_on: string | null;
  forest_class: string | null;
  species: string[] | null;
  afforested_on: string | null;
  afforested_area_m2: string | null;
  restorer: PriorRestoration['restorer'] | null;
  change_year: number | null;
  /** Parcels accepted before migration 0014, when 验收 relied on a change-survey check run. */
  acceptance_run_id: string | null;
  accepted_on: string | null;
  /** The joint acceptance (domain/procedure/joint-acts.ts), with its documents and who recorded it. */
  acceptance: StoredAcceptance | null;
  /** The natural-resources department's land-class change in the annual change survey. */
  survey_changed_on: string | null;
  /** The check run (h, of change_year) 变更 relied on. */
  change_run_id: string | null;
  changed_on: string | null;
  reserve_year: number | null;
  reserved_on: string | null;
  submission_id: string | null;
  end_reason: string | null;
  /** The county government's approval to pass over failed checks at 核实 (domain/procedure/overrides.ts). */
  override_approval: OverrideApproval | null;
  /** The override 核实 used: shown wherever the parcel is listed. */
  verification_override: VerificationOverride | null;
  created_by: string;
  created_at: Date;
}

// Dates as 'YYYY-MM-DD' text, never JavaScript Dates shifted by the time zone.
const COLUMNS = `p.id, p.candidate_parcel_id, p.upload_id, p.county_code, p.township_code, p.parcel_no, p.applicant, p.state, p.state_since,
  p.version, p.verification_run_id, p.area_m2::text AS area_m2, p.rights_holders, p.publicity_from::text AS publicity_from,
  p.publicity_to::text AS publicity_to, p.publicity_place, p.publicity_places, p.applied_on::text AS applied_on, p.prior_restoration, p.confirmed_on::text AS confirmed_on, p.forest_class, p.species,
  p.afforested_on::text AS afforested_on, p.afforested_area_m2::text AS afforested_area_m2, p.restorer, p.change_year,
  p.acceptance_run_id, p.accepted_on::text AS accepted_on, p.acceptance, p.survey_changed_on::text AS survey_changed_on, p.change_run_id,
  p.changed_on::text AS changed_on, p.reserve_year,
  p.reserved_on::text AS reserved_on, p.submission_id, p.end_reason, p.override_approval, p.verification_override, p.created_by, p.created_at`;

/** The joint acceptance as 验收 records it: the domain's record with its date, documents and who recorded it. */
export interface StoredAcceptance extends AcceptanceRecord {
  acceptedOn: string;
  documents: PriorRestoration['documents'];
  recordedBy: { login: string; role: string; name?: string | null };
}

/** Stored documents and evidence: JSON as recorded. */
export type JsonObject = Record<string, unknown>;

/**
 * Serialises writers on one key until the transaction ends: two applications for one candidate
 * parcel (`apply:<id>`), or an 入库 and the submission of the same county and year
 * (`reserve:<county>:<year>`, see lockReserveYear), wait for each other.
 */
async function lockKey(tx: Scoped, key: string): Promise<void> {
  await tx.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

export const lockApplication = (tx: Scoped, candidateParcelId: string) => lockKey(tx, `apply:${candidateParcelId}`);
/** Nothing enters a county's reserve year while that year is being submitted, and the reverse. */
export const lockReserveYear = (tx: Scoped, county: string, reserveYear: number) => lockKey(tx, `reserve:${county}:${reserveYear}`);

export interface CandidateRow {
  id: string;
  upload_id: string;
  county_code: string;
  township_code: string | null;
  parcel_no: string;
  applicant: string | null;
}

export async function candidateParcel(tx: Scoped, id: string): Promise<CandidateRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.client.query<CandidateRow>(
    'SELECT id, upload_id, county_code, township_code, parcel_no, applicant FROM candidate.parcel WHERE id = $1',
    [id],
  );
  return rows[0];
}

/** The live procedure of a candidate parcel, if any (within scope; the unique index guards the rest). */
export async function liveProcedureOf(tx: Scoped, candidateParcelId: string): Promise<{ id: string; state: State } | undefined> {
  const { rows } = await tx.client.query<{ id: string; state: State }>(
    `SELECT id, state FROM procedure.parcel WHERE candidate_parcel_id = $1 AND state NOT IN ('withdrawn', 'rejected')`,
    [candidateParcelId],
  );
  return rows[0];
}

export async function insertProcedure(tx: Scoped, c: CandidateRow, a: { appliedOn: string; priorRestoration: PriorRestoration | null }): Promise<ProcedureRow> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO procedure.parcel (candidate_parcel_id, upload_id, county_code, township_code, parcel_no, applicant, state, version, created_by,
                                   applied_on, prior_restoration)
     VALUES ($1, $2, $3, $4, $5, $6, 'applied', 0, $7, $8, $9) RETURNING id`,
    [c.id, c.upload_id, c.county_code, c.township_code, c.parcel_no, c.applicant, tx.user.id, a.appliedOn, a.priorRestoration && JSON.stringify(a.priorRestoration)],
  );
  return (await getProcedure(tx, rows[0]!.id))!;
}

export async function getProcedure(tx: Scoped, id: string, opts: { forUpdate?: boolean } = {}): Promise<ProcedureRow | undefined> {
  if (!isUuid(id)) return undefined;
  const { rows } = await tx.client.query<ProcedureRow>(
    `SELECT ${COLUMNS} FROM procedure.parcel p WHERE p.id = $1 ${opts.forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0];
}

export interface ProcedureFilter {
  county?: string;
  state?: string;
  reserveYear?: number;
  submissionId?: string;
  limit: number;
  offset: number;
}

export async function listProcedures(tx: Scoped, f: ProcedureFilter): Promise<ProcedureRow[]> {
  const { rows } = await tx.client.query<ProcedureRow>(
    `SELECT ${COLUMNS} FROM procedure.parcel p
      WHERE ($1::text IS NULL OR p.county_code = $1) AND ($2::text IS NULL OR p.state = $2)
        AND ($3::int IS NULL OR p.reserve_year = $3) AND ($4::uuid IS NULL OR p.submission_id = $4)
      ORDER BY p.county_code, p.created_at, p.id LIMIT $5 OFFSET $6`,
    [f.county ?? null, f.state ?? null, f.reserveYear ?? null, f.submissionId ?? null, f.limit, f.offset],
  );
  return rows;
}

/**
 * Parcels of a reserve in one state, locked in id order (so two writers lock them in the same
 * order): a county's reserve year (`county`, `reserveYear`), or a submission's parcels.
 */
export async function lockReserveParcels(
  tx: Scoped,
  f: { state: State } & ({ county: string; reserveYear: number } | { submissionId: string }),
): Promise<ProcedureRow[]> {
  const { rows } = await tx.client.query<ProcedureRow>(
    `SELECT ${COLUMNS} FROM procedure.parcel p
      WHERE p.state = $1 AND ($2::text IS NULL OR (p.county_code = $2 AND p.reserve_year = $3)) AND ($4::uuid IS NULL OR p.submission_id = $4)
      ORDER BY p.id FOR UPDATE`,
    'submissionId' in f ? [f.state, null, null, f.submissionId] : [f.state, f.county, f.reserveYear, null],
  );
  return rows;
}

/** Columns a transition may set on the parcel besides its state. */
/** An override as 核实 used it: the county government's approval, and who verified on it. */
export interface VerificationOverride extends OverrideApproval {
  verifiedBy: string;
  note: string | null;
}

export type ParcelFields = Partial<{
  verification_override: VerificationOverride;
  verification_run_id: string;
  area_m2: string;
  rights_holders: RightsHolder[];
  publicity_from: string;
  publicity_to: string;
  publicity_place: string;
  publicity_places: PublicityPlace[];
  confirmed_on: string;
  forest_class: string;
  species: string[];
  afforested_on: string;
  afforested_area_m2: string;
  restorer: PriorRestoration['restorer'];
  change_year: number;
  accepted_on: string;
  acceptance: StoredAcceptance;
  survey_changed_on: string;
  change_run_id: string;
  changed_on: string;
  reserve_year: number;
  reserved_on: string;
  submission_id: string | null;
  end_reason: string;
}>;

const JSON_FIELDS = new Set(['rights_holders', 'restorer', 'verification_override', 'acceptance', 'publicity_places']);

export interface TransitionRecord {
  action: Action;
  to: State;
  effectiveOn?: string | null;
  notes?: string | null;
  documents?: unknown[];
  evidence: Record<string, unknown>;
  fields?: ParcelFields;
}

/**
 * Moves a parcel (locked by the caller) to a new state: the parcel's version is the transition's
 * sequence number, so two writers racing on one parcel cannot both succeed.
 */
export async function recordTransition(tx: Scoped, p: ProcedureRow, t: TransitionRecord): Promise<ProcedureRow> {
  const fields = Object.entries(t.fields ?? {}).filter(([, v]) => v !== undefined);
  const sets = fields.map(([k], i) => `${k} = $${i + 4}`);
  const values = fields.map(([k, v]) => (JSON_FIELDS.has(k) ? JSON.stringify(v) : v));
  const res = await tx.client.query(
    `UPDATE procedure.parcel SET state = $2, state_since = clock_timestamp(), version = version + 1${sets.length ? ', ' + sets.join(', ') : ''}
      WHERE id = $1 AND version = $3`,
    [p.id, t.to, p.version, ...values],
  );
  if (res.rowCount !== 1) throw new Error(`procedure ${p.id} changed concurrently`);
  const u = tx.user;
  await tx.client.query(
    `INSERT INTO procedure.transition (parcel_id, county_code, township_code, seq, action, from_state, to_state,
        actor_id, actor_login, actor_name, actor_role, effective_on, notes, documents, evidence)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [p.id, p.county_code, p.township_code, p.version + 1, t.action, p.version === 0 ? null : p.state, t.to,
      u.id, u.login, u.name, u.role, t.effectiveOn ?? null, t.notes ?? null, JSON.stringify(t.documents ?? []), JSON.stringify(t.evidence)],
  );
  return (await getProcedure(tx, p.id))!;
}

export interface TransitionRow {
  seq: number;
  action: string;
  from_state: string | null;
  to_state: string;
  actor_id: string;
  actor_login: string;
  actor_name: string | null;
  actor_role: string;
  at: Date;
  effective_on: string | null;
  notes: string | null;
  documents: JsonObject[];
  evidence: JsonObject;
}

export async function transitions(tx: Scoped, parcelId: string): Promise<TransitionRow[]> {
  const { rows } = await tx.client.query<TransitionRow>(
    `SELECT seq, action, from_state, to_state, actor_id, actor_login, actor_name, actor_role, at, effective_on::text AS effective_on,
            notes, documents, evidence
       FROM procedure.transition WHERE parcel_id = $1 ORDER BY seq`,
    [parcelId],
  );
  return rows;
}

// ---------------------------------------------------------------- objections and consents

export interface ObjectionRow {
  id: string;
  parcel_id: string;
  received_on: string;
  objector: string;
  content: string;
  recorded_by: string;
  recorded_at: Date;
  decision: 'upheld' | 'dismissed' | null;
  decision_reason: string | null;
  decided_on: string | null;
  decided_by: string | null;
  decided_at: Date | null;
}

const OBJECTION_COLUMNS = `id, parcel_id, received_on::text AS received_on, objector, content, recorded_by, recorded_at, decision,
  decision_reason, decided_on::text AS decided_on, decided_by, decided_at`;

export async function objections(tx: Scoped, parcelId: string): Promise<ObjectionRow[]> {
  const { rows } = await tx.client.query<ObjectionRow>(
    `SELECT ${OBJECTION_COLUMNS} FROM procedure.objection WHERE parcel_id = $1 ORDER BY received_on, recorded_at`,
    [parcelId],
  );
  return rows;
}

export async function insertObjection(tx: Scoped, p: ProcedureRow, o: { receivedOn: string; objector: string; content: string }): Promise<ObjectionRow> {
  const { rows } = await tx.client.query<ObjectionRow>(
    `INSERT INTO procedure.objection (parcel_id, county_code, township_code, received_on, objector, content, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${OBJECTION_COLUMNS}`,
    [p.id, p.county_code, p.township_code, o.receivedOn, o.objector, o.content, tx.user.id],
  );
  return rows[0]!;
}

export async function decideObjection(tx: Scoped, id: string, d: { decision: 'upheld' | 'dismissed'; reason: string; decidedOn: string }): Promise<ObjectionRow | undefined> {
  const { rows } = await tx.client.query<ObjectionRow>(
    `UPDATE procedure.objection SET decision = $2, decision_reason = $3, decided_on = $4, decided_by = $5, decided_at = clock_timestamp()
      WHERE id = $1 AND decision IS NULL RETURNING ${OBJECTION_COLUMNS}`,
    [id, d.decision, d.reason, d.decidedOn, tx.user.id],
  );
  return rows[0];
}

export interface ConsentRow {
  id: string;
  /** The rights holder (procedure.rights_holder); null only for consents recorded before holders were kept. */
  holder_id: string | null;
  right_kind: RightKind | null;
  /** The holder's code (权属单位代码 for owners) and name as recorded. */
  qsdwdm: string;
  qsdwmc: string | null;
  signatory: string;
  consented_on: string;
  document: JsonObject;
  recorded_by: string;
  recorded_at: Date;
}

const CONSENT_COLUMNS = 'id, holder_id, right_kind, qsdwdm, qsdwmc, signatory, consented_on::text AS consented_on, document, recorded_by, recorded_at';

export async function consents(tx: Scoped, parcelId: string): Promise<ConsentRow[]> {
  const { rows } = await tx.client.query<ConsentRow>(`SELECT ${CONSENT_COLUMNS} FROM procedure.consent WHERE parcel_id = $1 ORDER BY qsdwdm, right_kind`, [parcelId]);
  return rows;
}

export interface HolderRow {
  id: string;
  kind: RightKind;
  holder_code: string;
  name: string;
  source: 'ownership-check' | 'county';
  qsxz: string | null;
  document: JsonObject | null;
  added_by: string | null;
  added_at: Date;
  removed_at: Date | null;
  removed_by: string | null;
  removal_reason: string | null;
}

const HOLDER_COLUMNS = 'id, kind, holder_code, name, source, qsxz, document, added_by, added_at, removed_at, removed_by, removal_reason';

export interface RemovedHolderRow extends HolderRow {
  removed_at: Date;
  removed_by: string;
  removal_reason: string;
}

/**
 * The parcel's rights holders: owners first (as the ownership check listed them), then the ones the
 * county added; `removed` the ones the county removed before 确认 (kept, with who and why).
 */
export async function holders(tx: Scoped, parcelId: string, opts?: { removed?: false }): Promise<HolderRow[]>;
export async function holders(tx: Scoped, parcelId: string, opts: { removed: true }): Promise<RemovedHolderRow[]>;
export async function holders(tx: Scoped, parcelId: string, opts: { removed?: boolean } = {}): Promise<HolderRow[]> {
  const { rows } = await tx.client.query<HolderRow>(
    `SELECT ${HOLDER_COLUMNS} FROM procedure.rights_holder WHERE parcel_id = $1 AND (removed_at IS NOT NULL) = $2
      ORDER BY array_position(ARRAY['owner', 'contract', 'use', 'mining'], kind), added_at, holder_code`,
    [parcelId, opts.removed ?? false],
  );
  return rows;
}

/** Marks a holder the county added as removed (the row stays; the audit trigger records who and when). */
export async function removeHolder(tx: Scoped, holderId: string, reason: string): Promise<void> {
  await tx.client.query(
    `UPDATE procedure.rights_holder SET removed_at = clock_timestamp(), removed_by = $2, removal_reason = $3 WHERE id = $1 AND removed_at IS NULL AND source = 'county'`,
    [holderId, tx.user.id, reason],
  );
}

/** Adds rights holders to a parcel (locked by the caller); an existing one (same kind and code) is left as it is. */
export async function insertHolders(
  tx: Scoped,
  p: ProcedureRow,
  list: { kind: RightKind; code: string; name: string; source: 'ownership-check' | 'county'; qsxz?: string | null; document?: JsonObject | null }[],
): Promise<HolderRow[]> {
  if (!list.length) return [];
  const { rows } = await tx.client.query<HolderRow>(
    `INSERT INTO procedure.rights_holder (parcel_id, county_code, township_code, kind, holder_code, name, source, qsxz, document, added_by)
     SELECT $1, $2, $3, h.kind, h.code, h.name, h.source, h.qsxz, h.document, CASE WHEN h.source = 'county' THEN $5::uuid END
       FROM jsonb_to_recordset($4::jsonb) AS h(kind text, code text, name text, source text, qsxz text, document jsonb)
     ON CONFLICT (parcel_id, kind, holder_code) WHERE removed_at IS NULL DO NOTHING RETURNING ${HOLDER_COLUMNS}`,
    [p.id, p.county_code, p.township_code, JSON.stringify(list), tx.user.id],
  );
  return rows;
}

/** Records the county government's approval of an override on the parcel (locked by the caller; audited by the parcel's trigger). */
export async function setOverrideApproval(tx: Scoped, p: ProcedureRow, approval: OverrideApproval): Promise<void> {
  await tx.client.query('UPDATE procedure.parcel SET override_approval = $2 WHERE id = $1', [p.id, JSON.stringify(approval)]);
}

export async function insertConsent(
  tx: Scoped,
  p: ProcedureRow,
  h: HolderRow,
  c: { signatory: string; consentedOn: string; document: Record<string, unknown> },
): Promise<ConsentRow | undefined> {
  const { rows } = await tx.client.query<ConsentRow>(
    `INSERT INTO procedure.consent (parcel_id, county_code, township_code, holder_id, right_kind, qsdwdm, qsdwmc, signatory, consented_on, document, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (parcel_id, holder_id) WHERE holder_id IS NOT NULL DO NOTHING RETURNING ${CONSENT_COLUMNS}`,
    [p.id, p.county_code, p.township_code, h.id, h.kind, h.holder_code, h.name, c.signatory, c.consentedOn, JSON.stringify(c.document), tx.user.id],
  );
  return rows[0];
}

// ---------------------------------------------------------------- check results the guards rely on

export interface RunRef {
  id: string;
  started_at: Date;
  parameters: Record<string, unknown>;
  parameter_set_version: number | null;
  layers: Record<string, unknown>;
  run_by: string | null;
}

/**
 * A finished check run of the upload: the one given; else the latest with that change year; else
 * (applicationStage) the latest run made without a change year — an acceptance run checks a–g
 * against the survey after restoration, which is not what 核实 relies on.
 */
export async function checkRun(tx: Scoped, uploadId: string, opts: { runId?: string; changeYear?: number; applicationStage?: boolean }): Promise<RunRef | undefined> {
  if (opts.runId !== undefined && !isUuid(opts.runId)) return undefined;
  const { rows } = await tx.client.query<RunRef>(
    `SELECT id, started_at, parameters, parameter_set_version, layers, run_by FROM candidate.check_run
      WHERE upload_id = $1 AND finished_at IS NOT NULL AND ($2::uuid IS NULL OR id = $2)
        AND ($3::int IS NULL OR (parameters->>'changeYear')::int = $3)
        AND ($2::uuid IS NOT NULL OR NOT $4 OR parameters->>'changeYear' IS NULL)
      ORDER BY started_at DESC LIMIT 1`,
    [uploadId, opts.runId ?? null, opts.changeYear ?? null, opts.applicationStage ?? false],
  );
  return rows[0];
}

export async function checkOutcomes(tx: Scoped, runId: string, candidateParcelId: string): Promise<CheckOutcome[]> {
  const { rows } = await tx.client.query<CheckOutcome>(
    `SELECT check_code AS code, status, message, figures FROM candidate.check_result WHERE run_id = $1 AND parcel_id = $2 ORDER BY check_code`,
    [runId, candidateParcelId],
  );
  return rows;
}

/** Reserve years the county has already submitted to the city (a returned submission reopens its year). */
export async function submittedYears(tx: Scoped, county: string): Promise<number[]> {
  const { rows } = await tx.client.query<{ y: number }>(`SELECT reserve_year AS y FROM procedure.reserve_submission WHERE county_code = $1 AND state <> 'returned'`, [county]);
  return rows.map((r) => r.y);
}

// ---------------------------------------------------------------- audit log

export interface AuditEventRow {
  id: number;
  at: Date;
  actor_id: string | null;
  actor_login: string;
  actor_role: string | null;
  county_code: string | null;
  table_name: string;
  operation: string;
  row_key: string | null;
  parcel_id: string | null;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
}

export async function auditEvents(
  tx: Scoped,
  f: { parcelId?: string; county?: string; table?: string; afterId?: number; limit: number },
): Promise<AuditEventRow[]> {
  if (f.parcelId !== undefined && !isUuid(f.parcelId)) return [];
  const { rows } = await tx.client.query<AuditEventRow>(
    `SELECT id::int AS id, at, actor_id, actor_login, actor_role, county_code, table_name, operation, row_key, parcel_id, data, previous
       FROM audit.event
      WHERE ($1::uuid IS NULL OR parcel_id = $1) AND ($2::text IS NULL OR county_code = $2) AND ($3::text IS NULL OR table_name = $3)
        AND ($4::bigint IS NULL OR id > $4)
      ORDER BY id LIMIT $5`,
    [f.parcelId ?? null, f.county ?? null, f.table ?? null, f.afterId ?? null, f.limit],
  );
  return rows;
}
