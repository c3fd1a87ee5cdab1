/**
 * SQL of the quota ledger. Amounts are integer µ亩 (bigint), read as text and parsed to BigInt so
 * nothing passes through a float. Every function takes a `Scoped` transaction (row-level security).
 */
import type { Scoped } from '../auth/scope.js';
import type { MicroMu } from '../domain/units.js';
import { isUuid } from '../http/schemas.js';
import type { Outcome } from '../domain/quota/inspection.js';
import type { State } from '../domain/procedure/state-machine.js';
import type { VerificationOverride } from '../procedure/repository.js';

/** A row whose µ亩 columns pg returned as text (selected `::text`), with those columns parsed to BigInt. */
function withMicroMu<T>(row: Record<string, unknown>, ...columns: (keyof T & string)[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) out[c] = BigInt(row[c] as string);
  return out as T;
}

export type Account = 'county' | 'pool';
export type EntryKind = 'issued' | 'pooled' | 'allocated-in' | 'allocated-out' | 'drawn' | 'deducted' | 'lapsed';

export interface NewEntry {
  county: string;
  account: Account;
  quotaYear: number;
  kind: EntryKind;
  amount: MicroMu;
  reserveYear?: number;
  issuanceId?: string;
  allocationId?: string;
  drawId?: string;
  inspectionId?: string;
  lapseId?: string;
  counterparty?: string;
  note?: string;
}

export async function insertEntry(tx: Scoped, e: NewEntry): Promise<number> {
  const { rows } = await tx.client.query<{ id: number }>(
    `INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, reserve_year, issuance_id, allocation_id, draw_id,
        inspection_id, lapse_id, counterparty_county, note, actor_id, actor_login)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
    [e.county, e.account, e.quotaYear, e.kind, e.amount.toString(), e.reserveYear ?? null, e.issuanceId ?? null, e.allocationId ?? null,
      e.drawId ?? null, e.inspectionId ?? null, e.lapseId ?? null, e.counterparty ?? null, e.note ?? null, tx.user.id, tx.user.login],
  );
  return rows[0]!.id;
}

/**
 * Serialises the writers of one account-year that read before they write (issuance, allocation,
 * deductions, lapse) among themselves. Draws do not take it: they serialise on the balance row
 * their entry locks (migrations/0011), which every writer's entry takes too.
 */
export async function lockAccount(tx: Scoped, county: string, quotaYear: number): Promise<void> {
  await advisoryLock(tx, `quota:${county}:${quotaYear}`);
}

/** A transaction-scoped advisory lock on a text key (released at commit or rollback). */
async function advisoryLock(tx: Scoped, key: string): Promise<void> {
  await tx.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/** One issuance at a time per county and reserve year (the rule reads what earlier batches gave). */
export const lockIssuance = (tx: Scoped, county: string, reserveYear: number) => advisoryLock(tx, `issue:${county}:${reserveYear}`);
/** One settler of a county's debts at a time (issuances of different reserve years may run side by side). */
export const lockDebts = (tx: Scoped, county: string) => advisoryLock(tx, `debt:${county}`);
/** One allocation round at a time per scope and quota year. */
export const lockPoolRound = (tx: Scoped, prefix: string, quotaYear: number) => advisoryLock(tx, `pool:${prefix}:${quotaYear}`);
/** One lapse per province and pilot period. */
export const lockLapse = (tx: Scoped, province: string, periodEnd: number) => advisoryLock(tx, `lapse:${province}:${periodEnd}`);

/** The balance of an account for a quota year: the sum of its entries. */
export async function balance(tx: Scoped, county: string, account: Account, quotaYear: number): Promise<MicroMu> {
  const { rows } = await tx.client.query<{ s: string | null }>(
    'SELECT sum(amount_umu)::text AS s FROM quota.entry WHERE county_code = $1 AND account = $2 AND quota_year = $3',
    [county, account, quotaYear],
  );
  return BigInt(rows[0]?.s ?? '0');
}

export interface SumRow {
  county_code: string;
  account: Account;
  quota_year: number;
  kind: EntryKind;
  umu: MicroMu;
}

/** Entry sums by county, account, quota year and kind (optionally one county / one year). */
export async function sums(tx: Scoped, f: { county?: string; quotaYear?: number } = {}): Promise<SumRow[]> {
  const { rows } = await tx.client.query<Omit<SumRow, 'umu'> & { umu: string }>(
    `SELECT county_code, account, quota_year, kind, sum(amount_umu)::text AS umu FROM quota.entry
      WHERE ($1::text IS NULL OR county_code = $1) AND ($2::int IS NULL OR quota_year = $2)
      GROUP BY 1, 2, 3, 4 ORDER BY 1, 3, 2, 4`,
    [f.county ?? null, f.quotaYear ?? null],
  );
  return rows.map((r) => ({ ...r, umu: BigInt(r.umu) }));
}

export interface EntryRow {
  id: number;
  county_code: string;
  account: Account;
  quota_year: number;
  kind: EntryKind;
  amount_umu: MicroMu;
  reserve_year: number | null;
  issuance_id: string | null;
  allocation_id: string | null;
  draw_id: string | null;
  inspection_id: string | null;
  lapse_id: string | null;
  counterparty_county: string | null;
  note: string | null;
  actor_login: string;
  at: Date;
  reference: string | null;
}

/** The entries of a county, oldest first, each with a human reference to what it derives from. */
export async function entries(tx: Scoped, county: string): Promise<EntryRow[]> {
  const { rows } = await tx.client.query<Omit<EntryRow, 'amount_umu'> & { amount_umu: string }>(
    `SELECT e.id::int AS id, e.county_code, e.account, e.quota_year, e.kind, e.amount_umu::text AS amount_umu, e.reserve_year, e.issuance_id,
            e.allocation_id, e.draw_id, e.inspection_id, e.lapse_id, e.counterparty_county, e.note, e.actor_login, e.at,
            CASE
              WHEN e.issuance_id IS NOT NULL AND e.inspection_id IS NULL THEN format('%s年度储备库第%s批下达（%s个地块）', i.reserve_year, i.batch,
                   (SELECT count(*) FROM quota.issuance_parcel ip WHERE ip.issuance_id = i.id))
              WHEN e.draw_id IS NOT NULL THEN format('%s（%s）', d.project_name, d.approval_no)
              WHEN e.inspection_id IS NOT NULL THEN format('%s年度核查：地块%s%s%s', n.year, np.parcel_no,
                   CASE n.outcome WHEN 'lost' THEN '灭失' WHEN 'degraded' THEN '退化' WHEN 'quality-declined' THEN '林分质量下降' WHEN 'inadequate-care' THEN '管护不到位' ELSE '完好' END,
                   CASE WHEN e.issuance_id IS NOT NULL THEN '（欠扣，由下达抵扣）' ELSE '' END)
              WHEN e.allocation_id IS NOT NULL THEN format('省级统筹：%s → %s', a.origin_county, a.county_code)
              WHEN e.lapse_id IS NOT NULL THEN format('试点期%s–%s年结束作废', l.period_start, l.period_end)
            END AS reference
       FROM quota.entry e
       LEFT JOIN quota.issuance i ON i.id = e.issuance_id
       LEFT JOIN quota.draw d ON d.id = e.draw_id
       LEFT JOIN quota.inspection n ON n.id = e.inspection_id
       LEFT JOIN procedure.parcel np ON np.id = n.parcel_id
       LEFT JOIN quota.allocation a ON a.id = e.allocation_id
       LEFT JOIN quota.lapse l ON l.id = e.lapse_id
      WHERE e.county_code = $1 ORDER BY e.id`,
    [county],
  );
  return rows.map((r) => ({ ...r, amount_umu: BigInt(r.amount_umu) }));
}

// ---------------------------------------------------------------- issuance

export interface ReserveParcel {
  id: string;
  parcel_no: string;
  area_m2: string;
}

/** Provincial-reserve parcels of a county and reserve year not yet counted by an issuance (locked). */
export async function unissuedReserve(tx: Scoped, county: string, reserveYear: number): Promise<ReserveParcel[]> {
  const { rows } = await tx.client.query<ReserveParcel>(
    `SELECT p.id, p.parcel_no, p.area_m2::text AS area_m2 FROM procedure.parcel p
      WHERE p.county_code = $1 AND p.reserve_year = $2 AND p.state = 'provincial-reserve'
        AND NOT EXISTS (SELECT 1 FROM quota.issuance_parcel ip WHERE ip.parcel_id = p.id)
      ORDER BY p.id FOR UPDATE OF p`,
    [county, reserveYear],
  );
  return rows;
}

/** Counties (in scope) with provincial-reserve parcels of the year not yet issued. */
export async function countiesToIssue(tx: Scoped, reserveYear: number): Promise<string[]> {
  const { rows } = await tx.client.query<{ c: string }>(
    `SELECT DISTINCT p.county_code AS c FROM procedure.parcel p
      WHERE p.reserve_year = $1 AND p.state = 'provincial-reserve'
        AND NOT EXISTS (SELECT 1 FROM quota.issuance_parcel ip WHERE ip.parcel_id = p.id) ORDER BY 1`,
    [reserveYear],
  );
  return rows.map((r) => r.c);
}

export interface NewIssuance {
  county: string;
  reserveYear: number;
  quotaYear: number;
  batch: number;
  reserve: MicroMu;
  toCounty: MicroMu;
  toPool: MicroMu;
  rule: Record<string, unknown>;
  issuedOn: string;
  nationalAllocationId: string;
}

/** An issuance and the parcels it counted (each with its area of record and exact µ亩); its id. */
export async function insertIssuance(tx: Scoped, i: NewIssuance, parcels: { id: string; area_m2: string; umu: MicroMu }[]): Promise<string> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.issuance (county_code, reserve_year, quota_year, batch, reserve_umu, county_umu, pooled_umu, rule, issued_on, issued_by, national_allocation_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [i.county, i.reserveYear, i.quotaYear, i.batch, i.reserve.toString(), i.toCounty.toString(), i.toPool.toString(), JSON.stringify(i.rule), i.issuedOn, tx.user.id,
      i.nationalAllocationId],
  );
  const issuanceId = rows[0]!.id;
  for (const p of parcels) {
    await tx.client.query(
      `INSERT INTO quota.issuance_parcel (issuance_id, parcel_id, county_code, area_m2, area_umu) VALUES ($1, $2, $3, $4, $5)`,
      [issuanceId, p.id, i.county, p.area_m2, p.umu.toString()],
    );
  }
  return issuanceId;
}

export interface IssuanceRow {
  id: string;
  county_code: string;
  reserve_year: number;
  quota_year: number;
  batch: number;
  reserve_umu: MicroMu;
  county_umu: MicroMu;
  pooled_umu: MicroMu;
  rule: Record<string, unknown>;
  issued_on: string;
  issued_by: string;
  issued_at: Date;
  parcels: number;
  /** Debts (deductions beyond a year's balance) this issuance settled. */
  debt_settled_umu: MicroMu;
  national_allocation_id: string | null;
  national_document_no: string | null;
  national_document_date: string | null;
}

export async function issuances(tx: Scoped, f: { county?: string; reserveYear?: number; id?: string }): Promise<IssuanceRow[]> {
  if (f.id !== undefined && !isUuid(f.id)) return [];
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `SELECT i.id, i.county_code, i.reserve_year, i.quota_year, i.batch, i.reserve_umu::text AS reserve_umu, i.county_umu::text AS county_umu,
            i.pooled_umu::text AS pooled_umu, i.rule, i.issued_on::text AS issued_on, i.issued_by, i.issued_at,
            (SELECT count(*)::int FROM quota.issuance_parcel ip WHERE ip.issuance_id = i.id) AS parcels,
            coalesce((SELECT -sum(e.amount_umu) FROM quota.entry e WHERE e.issuance_id = i.id AND e.kind = 'deducted'), 0)::text AS debt_settled_umu,
            i.national_allocation_id, na.document_no AS national_document_no, na.document_date::text AS national_document_date
       FROM quota.issuance i LEFT JOIN quota.national_allocation na ON na.id = i.national_allocation_id
      WHERE ($1::text IS NULL OR i.county_code = $1) AND ($2::int IS NULL OR i.reserve_year = $2) AND ($3::uuid IS NULL OR i.id = $3)
      ORDER BY i.county_code, i.reserve_year, i.batch`,
    [f.county ?? null, f.reserveYear ?? null, f.id ?? null],
  );
  return rows.map((r) => withMicroMu<IssuanceRow>(r, 'reserve_umu', 'county_umu', 'pooled_umu', 'debt_settled_umu'));
}

export interface IssuanceParcelRow {
  parcel_id: string;
  parcel_no: string;
  area_m2: string;
  area_umu: string;
  state: State;
  reserve_year: number;
  verification_override: VerificationOverride | null;
}

export async function issuanceParcels(tx: Scoped, issuanceId: string): Promise<IssuanceParcelRow[]> {
  const { rows } = await tx.client.query<IssuanceParcelRow>(
    `SELECT ip.parcel_id, p.parcel_no, ip.area_m2::text AS area_m2, ip.area_umu::text AS area_umu, p.state, p.reserve_year, p.verification_override
       FROM quota.issuance_parcel ip JOIN procedure.parcel p ON p.id = ip.parcel_id
      WHERE ip.issuance_id = $1 ORDER BY p.parcel_no, ip.parcel_id`,
    [issuanceId],
  );
  return rows;
}

// ---------------------------------------------------------------- draws

export interface DrawRow {
  id: string;
  county_code: string;
  quota_year: number;
  project_name: string;
  approval_no: string;
  approved_on: string;
  area_umu: MicroMu;
  area_input: { unit?: string; value?: string };
  use_started_on: string | null;
  recovered_on: string | null;
  recovery_note: string | null;
  drawn_by: string;
  drawn_at: Date;
}

const DRAW_COLUMNS = `id, county_code, quota_year, project_name, approval_no, approved_on::text AS approved_on, area_umu::text AS area_umu, area_input,
  use_started_on::text AS use_started_on, recovered_on::text AS recovered_on, recovery_note, drawn_by, drawn_at`;

const drawRow = (r: Record<string, unknown>): DrawRow => withMicroMu<DrawRow>(r, 'area_umu');

export async function draws(tx: Scoped, f: { county?: string; id?: string; approvalNo?: string }): Promise<DrawRow[]> {
  if (f.id !== undefined && !isUuid(f.id)) return [];
  const { rows } = await tx.client.query(
    `SELECT ${DRAW_COLUMNS} FROM quota.draw
      WHERE ($1::text IS NULL OR county_code = $1) AND ($2::uuid IS NULL OR id = $2) AND ($3::text IS NULL OR approval_no = $3)
      ORDER BY county_code, approved_on, drawn_at`,
    [f.county ?? null, f.id ?? null, f.approvalNo ?? null],
  );
  return rows.map(drawRow);
}

export interface NewDraw {
  projectName: string;
  approvalNo: string;
  approvedOn: string;
  amount: MicroMu;
  input: { unit: string; value: string };
}

/**
 * Draws of one account-year and their ledger entries, in one statement, in the order given (their
 * approval numbers distinct). Each
 * entry's trigger (migrations/0011) applies it to the balance row (which the caller holds locked,
 * see `lockBalance`), refuses it if the balance would go below zero, and gives the balance after it.
 * A refusal is thrown as the database's error: see `drawRefusal`.
 */
export async function insertDraws(tx: Scoped, county: string, quotaYear: number, draws: NewDraw[]): Promise<{ draw: DrawRow; balanceAfter: MicroMu }[]> {
  const { rows } = await tx.client.query<Record<string, unknown> & { balance_after: string }>(
    `WITH input AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::date[], $6::bigint[], $7::jsonb[])
                WITH ORDINALITY AS i (project_name, approval_no, approved_on, area_umu, area_input, ord)
     ), d AS (
       INSERT INTO quota.draw (county_code, quota_year, project_name, approval_no, approved_on, area_umu, area_input, drawn_by)
       SELECT $1::char(6), $2::smallint, project_name, approval_no, approved_on, area_umu, area_input, $8::uuid FROM input ORDER BY ord
       RETURNING *
     ), e AS (
       INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, draw_id, actor_id, actor_login)
       SELECT d.county_code, 'county', d.quota_year, 'drawn', -d.area_umu, d.id, $8::uuid, $9::text
         FROM d JOIN input i ON i.approval_no = d.approval_no ORDER BY i.ord
       RETURNING draw_id, balance_after_umu
     )
     SELECT ${DRAW_COLUMNS}, balance_after_umu::text AS balance_after FROM d JOIN e ON e.draw_id = d.id ORDER BY drawn_at`,
    [
      county,
      quotaYear,
      draws.map((d) => d.projectName),
      draws.map((d) => d.approvalNo),
      draws.map((d) => d.approvedOn),
      draws.map((d) => d.amount.toString()),
      draws.map((d) => JSON.stringify(d.input)),
      tx.user.id,
      tx.user.login,
    ],
  );
  return rows.map((r) => ({ draw: drawRow(r), balanceAfter: BigInt(r.balance_after) }));
}

/**
 * After the account-year's balance row is locked: whether the pilot period's quota has lapsed, and
 * which of these approval numbers the county has already used (number → draw id).
 */
export async function drawState(tx: Scoped, county: string, periodEnd: number, approvalNos: string[]): Promise<{ lapsed: boolean; used: Map<string, string> }> {
  const { rows } = await tx.client.query<{ lapsed: boolean; used: Record<string, string> }>(
    `SELECT EXISTS (SELECT 1 FROM quota.lapse WHERE period_end = $2) AS lapsed,
            (SELECT coalesce(jsonb_object_agg(approval_no, id), '{}') FROM quota.draw WHERE county_code = $1 AND approval_no = ANY ($3::text[])) AS used`,
    [county, periodEnd, approvalNos],
  );
  return { lapsed: rows[0]!.lapsed, used: new Map(Object.entries(rows[0]!.used)) };
}

/** Why the database refused a draw: the balance it found (µ亩), or the approval number taken. */
export function drawRefusal(err: unknown): { reason: 'insufficient'; balance: MicroMu } | { reason: 'approval-no-exists' } | undefined {
  const e = err as { code?: string; detail?: string; constraint?: string };
  if (e?.code === 'ZQ001' && /^-?\d+$/.test(e.detail ?? '')) return { reason: 'insufficient', balance: BigInt(e.detail!) };
  if (e?.code === '23505' && e.constraint === 'draw_county_code_approval_no_key') return { reason: 'approval-no-exists' };
  return undefined;
}

/**
 * Locks an account-year's balance row and returns the balance: for a writer that writes an entry
 * computed from it (the lapse), so no draw commits in between.
 */
export async function lockBalance(tx: Scoped, county: string, account: Account, quotaYear: number): Promise<MicroMu> {
  const { rows } = await tx.client.query<{ b: string }>('SELECT quota.lock_balance($1, $2, $3)::text AS b', [county, account, quotaYear]);
  return BigInt(rows[0]!.b);
}

export async function updateDraw(tx: Scoped, id: string, f: { useStartedOn?: string; recoveredOn?: string; recoveryNote?: string }): Promise<DrawRow | undefined> {
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `UPDATE quota.draw SET use_started_on = coalesce($2, use_started_on), recovered_on = coalesce($3, recovered_on),
            recovery_note = coalesce($4, recovery_note)
      WHERE id = $1 RETURNING ${DRAW_COLUMNS}`,
    [id, f.useStartedOn ?? null, f.recoveredOn ?? null, f.recoveryNote ?? null],
  );
  return rows[0] ? drawRow(rows[0]) : undefined;
}

// ---------------------------------------------------------------- pool

export interface PoolRequestRow {
  id: string;
  county_code: string;
  quota_year: number;
  amount_umu: MicroMu;
  allocated_umu: MicroMu;
  purpose: string;
  requested_by: string;
  requested_at: Date;
}

export async function poolRequests(tx: Scoped, quotaYear?: number): Promise<PoolRequestRow[]> {
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `SELECT r.id, r.county_code, r.quota_year, r.amount_umu::text AS amount_umu,
            coalesce((SELECT sum(a.amount_umu) FROM quota.allocation a WHERE a.request_id = r.id), 0)::text AS allocated_umu,
            r.purpose, r.requested_by, r.requested_at
       FROM quota.pool_request r WHERE ($1::int IS NULL OR r.quota_year = $1) ORDER BY r.requested_at, r.id`,
    [quotaYear ?? null],
  );
  return rows.map((r) => withMicroMu<PoolRequestRow>(r, 'amount_umu', 'allocated_umu'));
}

export async function insertPoolRequest(tx: Scoped, r: { county: string; quotaYear: number; amount: MicroMu; purpose: string }): Promise<string> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.pool_request (county_code, quota_year, amount_umu, purpose, requested_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [r.county, r.quotaYear, r.amount.toString(), r.purpose, tx.user.id],
  );
  return rows[0]!.id;
}

export interface AllocationRow {
  id: string;
  round_id: string;
  quota_year: number;
  county_code: string;
  origin_county: string;
  request_id: string;
  tier: string;
  amount_umu: MicroMu;
  allocated_by: string;
  allocated_at: Date;
}

export async function allocations(tx: Scoped, quotaYear?: number): Promise<AllocationRow[]> {
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `SELECT id, round_id, quota_year, county_code, origin_county, request_id, tier, amount_umu::text AS amount_umu, allocated_by, allocated_at
       FROM quota.allocation WHERE ($1::int IS NULL OR quota_year = $1) ORDER BY allocated_at, id`,
    [quotaYear ?? null],
  );
  return rows.map((r) => withMicroMu<AllocationRow>(r, 'amount_umu'));
}

export async function insertAllocation(
  tx: Scoped,
  a: { roundId: string; quotaYear: number; county: string; origin: string; requestId: string; tier: string; amount: MicroMu },
): Promise<string> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.allocation (round_id, quota_year, county_code, origin_county, request_id, tier, amount_umu, allocated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [a.roundId, a.quotaYear, a.county, a.origin, a.requestId, a.tier, a.amount.toString(), tx.user.id],
  );
  return rows[0]!.id;
}

// ---------------------------------------------------------------- inspections

export interface InspectionRow {
  id: string;
  parcel_id: string;
  parcel_no: string;
  county_code: string;
  year: number;
  inspected_on: string;
  outcome: Outcome;
  findings: string | null;
  documents: unknown[];
  area_umu: MicroMu;
  affected_umu: MicroMu;
  deducted_umu: MicroMu;
  /** Of deducted_umu, what the year's balance could not cover (a debt). */
  debt_umu: MicroMu;
  rectify_by: string | null;
  inspected_by: string;
  inspected_at: Date;
  /** The override 核实 used on the parcel (issue 10 point 4: shown wherever the parcel is listed). */
  verification_override: VerificationOverride | null;
}

export async function inspections(tx: Scoped, f: { county?: string; year?: number; id?: string; parcelId?: string }): Promise<InspectionRow[]> {
  if (f.id !== undefined && !isUuid(f.id)) return [];
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `SELECT n.id, n.parcel_id, p.parcel_no, n.county_code, n.year, n.inspected_on::text AS inspected_on, n.outcome, n.findings, n.documents,
            n.area_umu::text AS area_umu, n.affected_umu::text AS affected_umu, n.deducted_umu::text AS deducted_umu,
            coalesce(d.amount_umu, 0)::text AS debt_umu, n.rectify_by::text AS rectify_by, n.inspected_by, n.inspected_at, p.verification_override
       FROM quota.inspection n JOIN procedure.parcel p ON p.id = n.parcel_id
       LEFT JOIN quota.debt d ON d.inspection_id = n.id
      WHERE ($1::text IS NULL OR n.county_code = $1) AND ($2::int IS NULL OR n.year = $2) AND ($3::uuid IS NULL OR n.id = $3)
        AND ($4::uuid IS NULL OR n.parcel_id = $4)
      ORDER BY n.county_code, n.year, p.parcel_no`,
    [f.county ?? null, f.year ?? null, f.id ?? null, f.parcelId ?? null],
  );
  return rows.map((r) => withMicroMu<InspectionRow>(r, 'area_umu', 'affected_umu', 'deducted_umu', 'debt_umu'));
}

export interface NewInspection {
  parcelId: string;
  county: string;
  year: number;
  inspectedOn: string;
  outcome: Outcome;
  findings: string | null;
  documents: unknown[];
  area: MicroMu;
  affected: MicroMu;
  deducted: MicroMu;
  rectifyBy: string | null;
}

/** Records an inspection; undefined when the parcel was already inspected that year. */
export async function insertInspection(tx: Scoped, n: NewInspection): Promise<string | undefined> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.inspection (parcel_id, county_code, year, inspected_on, outcome, findings, documents, area_umu, affected_umu, deducted_umu, rectify_by, inspected_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (parcel_id, year) DO NOTHING RETURNING id`,
    [n.parcelId, n.county, n.year, n.inspectedOn, n.outcome, n.findings, JSON.stringify(n.documents), n.area.toString(), n.affected.toString(),
      n.deducted.toString(), n.rectifyBy, tx.user.id],
  );
  return rows[0]?.id;
}

/** The parcel's losses recognised by its inspections so far (µ亩): what is never deducted again. */
export async function deductedForParcel(tx: Scoped, parcelId: string): Promise<MicroMu> {
  const { rows } = await tx.client.query<{ s: string }>('SELECT coalesce(sum(deducted_umu), 0)::text AS s FROM quota.inspection WHERE parcel_id = $1', [parcelId]);
  return BigInt(rows[0]!.s);
}

// ---------------------------------------------------------------- debts (deductions beyond a year's balance)

export async function insertDebt(tx: Scoped, d: { county: string; inspectionId: string; quotaYear: number; amount: MicroMu }): Promise<string> {
  const { rows } = await tx.client.query<{ id: string }>(
    'INSERT INTO quota.debt (county_code, inspection_id, quota_year, amount_umu) VALUES ($1, $2, $3, $4) RETURNING id',
    [d.county, d.inspectionId, d.quotaYear, d.amount.toString()],
  );
  return rows[0]!.id;
}

export interface DebtRow {
  id: string;
  county_code: string;
  inspection_id: string;
  parcel_no: string;
  inspection_year: number;
  quota_year: number;
  amount_umu: MicroMu;
  settled_umu: MicroMu;
  outstanding_umu: MicroMu;
}

/** A county's debts (oldest first) with what issuances have settled of each. */
export async function debts(tx: Scoped, f: { county?: string } = {}): Promise<DebtRow[]> {
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `SELECT d.id, d.county_code, d.inspection_id, p.parcel_no, n.year AS inspection_year, d.quota_year, d.amount_umu::text AS amount_umu,
            coalesce((SELECT -sum(e.amount_umu) FROM quota.entry e
                       WHERE e.inspection_id = d.inspection_id AND e.kind = 'deducted' AND e.issuance_id IS NOT NULL), 0)::text AS settled_umu
       FROM quota.debt d JOIN quota.inspection n ON n.id = d.inspection_id JOIN procedure.parcel p ON p.id = n.parcel_id
      WHERE ($1::text IS NULL OR d.county_code = $1)
      ORDER BY d.county_code, d.created_at, d.id`,
    [f.county ?? null],
  );
  return rows.map((r) => {
    const amount = BigInt(r.amount_umu as string);
    const settled = BigInt(r.settled_umu as string);
    return { ...(r as unknown as DebtRow), amount_umu: amount, settled_umu: settled, outstanding_umu: amount - settled };
  });
}

// ---------------------------------------------------------------- national allocations (国家下达新增林地定额)

export interface NationalAllocationRow {
  id: string;
  province_prefix: string;
  quota_year: number;
  document_no: string;
  document_date: string;
  issuer: string;
  amount_umu: MicroMu | null;
  note: string | null;
  entered_by: string;
  entered_at: Date;
}

export async function insertNationalAllocation(
  tx: Scoped,
  a: { province: string; quotaYear: number; documentNo: string; documentDate: string; issuer: string; amount: MicroMu | null; note: string | null },
): Promise<string | undefined> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.national_allocation (province_prefix, quota_year, document_no, document_date, issuer, amount_umu, note, entered_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (province_prefix, document_no) DO NOTHING RETURNING id`,
    [a.province, a.quotaYear, a.documentNo, a.documentDate, a.issuer, a.amount?.toString() ?? null, a.note, tx.user.id],
  );
  return rows[0]?.id;
}

export async function nationalAllocations(tx: Scoped, f: { quotaYear?: number; id?: string } = {}): Promise<NationalAllocationRow[]> {
  if (f.id !== undefined && !isUuid(f.id)) return [];
  const { rows } = await tx.client.query<Record<string, unknown>>(
    `SELECT id, province_prefix, quota_year, document_no, document_date::text AS document_date, issuer, amount_umu::text AS amount_umu, note, entered_by, entered_at
       FROM quota.national_allocation WHERE ($1::int IS NULL OR quota_year = $1) AND ($2::uuid IS NULL OR id = $2)
      ORDER BY quota_year, document_date, entered_at`,
    [f.quotaYear ?? null, f.id ?? null],
  );
  return rows.map((r) => ({ ...(r as unknown as NationalAllocationRow), amount_umu: r.amount_umu === null ? null : BigInt(r.amount_umu as string) }));
}

export async function insertLapse(tx: Scoped, l: { periodStart: number; periodEnd: number; province: string }): Promise<string> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.lapse (period_start, period_end, province_prefix, executed_by) VALUES ($1, $2, $3, $4) RETURNING id`,
    [l.periodStart, l.periodEnd, l.province, tx.user.id],
  );
  return rows[0]!.id;
}

export async function lapses(tx: Scoped) {
  const { rows } = await tx.client.query<{ id: string; period_start: number; period_end: number; province_prefix: string; executed_at: Date }>(
    'SELECT id, period_start, period_end, province_prefix, executed_at FROM quota.lapse ORDER BY executed_at',
  );
  return rows;
}
