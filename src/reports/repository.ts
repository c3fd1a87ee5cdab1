/**
 * SQL of the reports the seeds ask for (issue 10, point 9): the county's annual arrangement, the
 * city's report to the province and the provincial evaluation report. Always inside the reader's
 * scope (`Scoped`): row-level security decides which counties a report counts.
 */
import type { Scoped } from '../auth/scope.js';
import type { MicroMu } from '../domain/units.js';
import type { State } from '../domain/procedure/state-machine.js';
import type { VerificationOverride } from '../procedure/repository.js';
import type { SubmissionState } from '../reserve/repository.js';

// ---------------------------------------------------------------- the county's annual arrangement

/** A project the county intends to let use forest land this year (stored as given, amounts exact). */
export interface ArrangedProject {
  name: string;
  townshipCode: string | null;
  areaUmu: string; // µ亩 as text (jsonb keeps no bigint)
  quotaSource: 'county' | 'pool';
  note: string | null;
}

/** Supplementary forest land arranged for the year: reserve parcels, or restoration to be done. */
export interface ArrangedSupplement {
  name: string;
  kind: 'reserve' | 'restoration';
  townshipCode: string | null;
  areaUmu: string;
  parcelIds: string[];
  note: string | null;
}

export interface ArrangementRow {
  id: string;
  county_code: string;
  year: number;
  version: number;
  projects: ArrangedProject[];
  supplementary: ArrangedSupplement[];
  arranged_on: string;
  notes: string | null;
  arranged_at: Date;
}

const ARRANGEMENT_COLUMNS = 'id, county_code, year, version, projects, supplementary, arranged_on::text AS arranged_on, notes, arranged_at';

/** A new version of a county's arrangement for a year (the next number); its row. */
export async function insertArrangement(
  tx: Scoped,
  a: { county: string; year: number; projects: ArrangedProject[]; supplementary: ArrangedSupplement[]; arrangedOn: string; notes: string | null },
): Promise<ArrangementRow> {
  // One writer at a time per county-year, so versions are numbered without gaps or clashes.
  await tx.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`arrangement:${a.county}:${a.year}`]);
  const { rows } = await tx.client.query<ArrangementRow>(
    `INSERT INTO quota.annual_arrangement (county_code, year, version, projects, supplementary, arranged_on, notes, arranged_by)
     SELECT $1, $2, coalesce(max(version), 0) + 1, $3, $4, $5, $6, $7 FROM quota.annual_arrangement WHERE county_code = $1 AND year = $2
     RETURNING ${ARRANGEMENT_COLUMNS}`,
    [a.county, a.year, JSON.stringify(a.projects), JSON.stringify(a.supplementary), a.arrangedOn, a.notes, tx.user.id],
  );
  return rows[0]!;
}

/** The latest arrangement of each county in scope for a year (optionally one county). */
export async function latestArrangements(tx: Scoped, year: number, county?: string): Promise<ArrangementRow[]> {
  const { rows } = await tx.client.query<ArrangementRow>(
    `SELECT DISTINCT ON (county_code) ${ARRANGEMENT_COLUMNS} FROM quota.annual_arrangement
      WHERE year = $1 AND ($2::text IS NULL OR county_code = $2) ORDER BY county_code, version DESC`,
    [year, county ?? null],
  );
  return rows;
}

export interface ArrangedParcelRow {
  id: string;
  county_code: string;
  parcel_no: string;
  state: State;
  area_m2: string | null;
  verification_override: VerificationOverride | null;
}

/** Procedure parcels by id (in scope): to check the parcels an arrangement names, and to list them with it. */
export async function parcelsById(tx: Scoped, ids: string[]): Promise<ArrangedParcelRow[]> {
  const { rows } = await tx.client.query<ArrangedParcelRow>(
    'SELECT id, county_code, parcel_no, state, area_m2::text AS area_m2, verification_override FROM procedure.parcel WHERE id = ANY ($1::uuid[])',
    [ids],
  );
  return rows;
}

// ---------------------------------------------------------------- the city's report

export interface CityReportRow {
  id: string;
  county_code: string; // the city's code
  year: number;
  submitted_on: string;
  due_on: string;
  late: boolean;
  snapshot: unknown;
  submitted_at: Date;
}

export async function cityReport(tx: Scoped, city: string, year: number): Promise<CityReportRow | undefined> {
  const { rows } = await tx.client.query<CityReportRow>(
    `SELECT id, county_code, year, submitted_on::text AS submitted_on, due_on::text AS due_on, late, snapshot, submitted_at
       FROM quota.city_report WHERE county_code = $1 AND year = $2`,
    [city, year],
  );
  return rows[0];
}

export async function insertCityReport(tx: Scoped, r: { city: string; year: number; submittedOn: string; dueOn: string; late: boolean; snapshot: unknown }): Promise<string | undefined> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.city_report (county_code, year, submitted_on, due_on, late, snapshot, submitted_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (county_code, year) DO NOTHING RETURNING id`,
    [r.city, r.year, r.submittedOn, r.dueOn, r.late, JSON.stringify(r.snapshot), tx.user.id],
  );
  return rows[0]?.id;
}

/** The counties' annual summaries of a year (in scope): who submitted, when, late or not. */
export async function annualSummaries(tx: Scoped, year: number): Promise<Map<string, { submitted_on: string; late: boolean }>> {
  const { rows } = await tx.client.query<{ county_code: string; submitted_on: string; late: boolean }>(
    'SELECT county_code, submitted_on::text AS submitted_on, late FROM quota.annual_summary WHERE year = $1',
    [year],
  );
  return new Map(rows.map((r) => [r.county_code, r]));
}

// ---------------------------------------------------------------- audits of a reserve year (核查)

export interface AuditRow {
  audit_id: string;
  county_code: string;
  reserve_year: number;
  submission_state: SubmissionState;
  level: 'city' | 'province';
  population_m2: string;
  sampled_m2: string;
  samples: number;
  failed: number;
  failed_m2: string;
  drawn_at: Date;
  completed_at: Date | null;
}

/** The city and province audits of the reserve submissions of a reserve year (in scope). */
export async function auditsOfReserveYear(tx: Scoped, reserveYear: number): Promise<AuditRow[]> {
  const { rows } = await tx.client.query<AuditRow>(
    `SELECT a.id AS audit_id, a.county_code, s.reserve_year, s.state AS submission_state, a.level, a.population_m2::text AS population_m2,
            a.sampled_m2::text AS sampled_m2, count(x.parcel_id)::int AS samples, count(x.parcel_id) FILTER (WHERE x.result = 'fail')::int AS failed,
            coalesce(sum(x.area_m2) FILTER (WHERE x.result = 'fail'), 0)::text AS failed_m2, a.drawn_at, a.completed_at
       FROM procedure.audit a JOIN procedure.reserve_submission s ON s.id = a.submission_id
       LEFT JOIN procedure.audit_sample x ON x.audit_id = a.id
      WHERE s.reserve_year = $1
      GROUP BY a.id, s.reserve_year, s.state ORDER BY a.county_code, a.drawn_at`,
    [reserveYear],
  );
  return rows;
}

/** Outstanding debts per county (in scope), µ亩. */
export async function outstandingDebts(tx: Scoped): Promise<Map<string, MicroMu>> {
  const { rows } = await tx.client.query<{ county_code: string; s: string }>(
    `SELECT d.county_code, (sum(d.amount_umu) - coalesce(sum(st.settled), 0))::text AS s
       FROM quota.debt d
       LEFT JOIN LATERAL (SELECT -sum(e.amount_umu) AS settled FROM quota.entry e
                           WHERE e.inspection_id = d.inspection_id AND e.kind = 'deducted' AND e.issuance_id IS NOT NULL) st ON true
      GROUP BY 1`,
  );
  return new Map(rows.map((r) => [r.county_code, BigInt(r.s)]));
}
