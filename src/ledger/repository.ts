/**
 * SQL of the ledgers and reports. They read across features (procedure parcels and transitions,
 * quota issuances, the survey), always inside the reader's scope: every function takes a `Scoped`
 * transaction, so row-level security decides what a report may count. Areas of record are read as
 * text and amounts in µ亩 parsed to BigInt, so nothing passes through a float.
 */
import type { Scoped } from '../auth/scope.js';
import type { State } from '../domain/procedure/state-machine.js';
import type { MicroMu } from '../domain/units.js';
import type { PriorRestoration } from '../domain/procedure/eligibility.js';
import type { RightKind } from '../domain/procedure/rights-holders.js';
import type { VerificationOverride } from '../procedure/repository.js';
import type { SubmissionState } from '../reserve/repository.js';

export interface ReserveYearRow {
  county_code: string;
  reserve_year: number;
  state: State;
  parcels: number;
  area_m2: string;
}

/** Parcels with a reserve year, counted by county, reserve year and state (optionally one county). */
export async function reserveByYear(tx: Scoped, county?: string): Promise<ReserveYearRow[]> {
  const { rows } = await tx.client.query<ReserveYearRow>(
    `SELECT county_code, reserve_year, state, count(*)::int AS parcels, sum(area_m2)::text AS area_m2
       FROM procedure.parcel WHERE reserve_year IS NOT NULL AND ($1::text IS NULL OR county_code = $1)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [county ?? null],
  );
  return rows;
}

/** The reserve area the issuances counted, by county and reserve year. */
export async function issuedReserve(tx: Scoped, county?: string): Promise<{ county_code: string; reserve_year: number; parcels: number; umu: MicroMu }[]> {
  const { rows } = await tx.client.query<{ county_code: string; reserve_year: number; parcels: number; umu: string }>(
    `SELECT i.county_code, i.reserve_year, count(*)::int AS parcels, sum(ip.area_umu)::text AS umu
       FROM quota.issuance_parcel ip JOIN quota.issuance i ON i.id = ip.issuance_id
      WHERE ($1::text IS NULL OR i.county_code = $1) GROUP BY 1, 2`,
    [county ?? null],
  );
  return rows.map((r) => ({ ...r, umu: BigInt(r.umu) }));
}

export interface LedgerParcelRow {
  id: string;
  parcel_no: string;
  township_code: string | null;
  state: State;
  reserve_year: number | null;
  area_m2: string | null;
  issuance_id: string | null;
  batch: number | null;
  quota_year: number | null;
  verification_override: VerificationOverride | null;
  /** Mining land restored before the application (§三(三)1), as the application recorded it. */
  prior_restoration: PriorRestoration | null;
  /** The rights holders besides the owners (contract, use, mining), as the county added them. */
  other_holders: { kind: RightKind; code: string; name: string; document: Record<string, unknown> | null }[];
}

/** A county's reserve parcels with the issuance (batch, quota year) that counted each, if any. */
export async function ledgerParcels(tx: Scoped, county: string): Promise<LedgerParcelRow[]> {
  const { rows } = await tx.client.query<LedgerParcelRow>(
    `SELECT p.id, p.parcel_no, p.township_code, p.state, p.reserve_year, p.area_m2::text AS area_m2, ip.issuance_id, i.batch, i.quota_year,
            p.verification_override, p.prior_restoration,
            coalesce((SELECT jsonb_agg(jsonb_build_object('kind', h.kind, 'code', h.holder_code, 'name', h.name, 'document', h.document)
                                       ORDER BY array_position(ARRAY['contract', 'use', 'mining'], h.kind), h.added_at)
                        FROM procedure.rights_holder h WHERE h.parcel_id = p.id AND h.kind <> 'owner' AND h.removed_at IS NULL), '[]') AS other_holders
       FROM procedure.parcel p
       LEFT JOIN quota.issuance_parcel ip ON ip.parcel_id = p.id
       LEFT JOIN quota.issuance i ON i.id = ip.issuance_id
      WHERE p.county_code = $1 AND p.reserve_year IS NOT NULL
      ORDER BY p.reserve_year, p.parcel_no, p.id`,
    [county],
  );
  return rows;
}

/** Procedure actions of a county taking effect in a year: parcels and their area of record. */
export async function actionsInYear(tx: Scoped, county: string, year: number): Promise<{ action: string; parcels: number; area_m2: string | null }[]> {
  const { rows } = await tx.client.query<{ action: string; parcels: number; area_m2: string | null }>(
    `SELECT t.action, count(DISTINCT t.parcel_id)::int AS parcels, sum(p.area_m2)::text AS area_m2
       FROM procedure.transition t JOIN procedure.parcel p ON p.id = t.parcel_id
      WHERE t.county_code = $1 AND extract(year FROM coalesce(t.effective_on, t.at::date)) = $2
      GROUP BY 1 ORDER BY 1`,
    [county, year],
  );
  return rows;
}

/** A county's parcels by current state. */
export async function parcelStates(tx: Scoped, county: string): Promise<{ state: State; parcels: number; area_m2: string | null }[]> {
  const { rows } = await tx.client.query<{ state: State; parcels: number; area_m2: string | null }>(
    `SELECT state, count(*)::int AS parcels, sum(area_m2)::text AS area_m2 FROM procedure.parcel WHERE county_code = $1 GROUP BY 1 ORDER BY 1`,
    [county],
  );
  return rows;
}

export interface SubmissionRow {
  id: string;
  reserve_year: number;
  submitted_on: string;
  due_on: string;
  late: boolean;
  state: SubmissionState;
  parcel_count: number;
  area_m2: string;
  approved_on: string | null;
  returned_on: string | null;
  return_reason: string | null;
}

/**
 * The reserve submissions of a county in a calendar year: sent that year, or returned that year
 * (a sample with a failed parcel, 核查无误后报省级) — the return on the day it was recorded, in China.
 */
export async function reserveSubmissionsInYear(tx: Scoped, county: string, year: number): Promise<SubmissionRow[]> {
  const { rows } = await tx.client.query<SubmissionRow>(
    `SELECT id, reserve_year, submitted_on::text AS submitted_on, due_on::text AS due_on, late, state, parcel_count, area_m2::text AS area_m2,
            approved_on::text AS approved_on, (returned_at AT TIME ZONE 'Asia/Shanghai')::date::text AS returned_on, return_reason
       FROM procedure.reserve_submission
      WHERE county_code = $1 AND (extract(year FROM submitted_on) = $2 OR extract(year FROM returned_at AT TIME ZONE 'Asia/Shanghai') = $2)
      ORDER BY submitted_on, created_at`,
    [county, year],
  );
  return rows;
}

export interface FailedParcelRow {
  submission_id: string;
  level: 'city' | 'province';
  parcel_id: string;
  parcel_no: string;
  area_m2: string;
  reason: string | null;
  inspected_on: string | null;
  verification_override: VerificationOverride | null;
}

/** The parcels that failed the audits of these submissions (each left the reserve, 出库), with the override 核实 used. */
export async function failedParcels(tx: Scoped, submissionIds: string[]): Promise<FailedParcelRow[]> {
  if (!submissionIds.length) return [];
  const { rows } = await tx.client.query<FailedParcelRow>(
    `SELECT a.submission_id, a.level, x.parcel_id, p.parcel_no, x.area_m2::text AS area_m2, x.reason, x.inspected_on::text AS inspected_on, p.verification_override
       FROM procedure.audit a JOIN procedure.audit_sample x ON x.audit_id = a.id JOIN procedure.parcel p ON p.id = x.parcel_id
      WHERE a.submission_id = ANY ($1::uuid[]) AND x.result = 'fail'
      ORDER BY a.drawn_at, x.draw_order`,
    [submissionIds],
  );
  return rows;
}

/** Whether (and when) a county submitted its annual summary of a year. */
export async function annualSummarySubmission(
  tx: Scoped,
  county: string,
  year: number,
): Promise<{ submitted_on: string; due_on: string; late: boolean; submitted_at: Date } | undefined> {
  const { rows } = await tx.client.query<{ submitted_on: string; due_on: string; late: boolean; submitted_at: Date }>(
    `SELECT submitted_on::text AS submitted_on, due_on::text AS due_on, late, submitted_at FROM quota.annual_summary WHERE county_code = $1 AND year = $2`,
    [county, year],
  );
  return rows[0];
}

/** Records the submitted summary with its frozen snapshot; undefined if that year's was already submitted. */
export async function insertAnnualSummary(
  tx: Scoped,
  s: { county: string; year: number; submittedOn: string; dueOn: string; late: boolean; snapshot: unknown },
): Promise<string | undefined> {
  const { rows } = await tx.client.query<{ id: string }>(
    `INSERT INTO quota.annual_summary (county_code, year, submitted_on, due_on, late, snapshot, submitted_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (county_code, year) DO NOTHING RETURNING id`,
    [s.county, s.year, s.submittedOn, s.dueOn, s.late, JSON.stringify(s.snapshot), tx.user.id],
  );
  return rows[0]?.id;
}

/**
 * Forest land the reserve added and removed, by year: parcels by reserve year (入库年度); reserve
 * parcels that left it (抽查不合格, 灭失) by the date of that transition.
 */
export async function forestFlows(tx: Scoped, county: string): Promise<{ year: number; added: string | null; removed: string | null }[]> {
  const { rows } = await tx.client.query<{ year: number; added: string | null; removed: string | null }>(
    `SELECT year, sum(added)::text AS added, sum(removed)::text AS removed FROM (
       SELECT p.reserve_year::int AS year, p.area_m2 AS added, NULL::numeric AS removed
         FROM procedure.parcel p WHERE p.county_code = $1 AND p.reserve_year IS NOT NULL
       UNION ALL
       SELECT extract(year FROM coalesce(
                (SELECT t.effective_on FROM procedure.transition t WHERE t.parcel_id = p.id AND t.to_state = 'removed' ORDER BY t.seq DESC LIMIT 1),
                p.state_since::date))::int, NULL, p.area_m2
         FROM procedure.parcel p WHERE p.county_code = $1 AND p.reserve_year IS NOT NULL AND p.state = 'removed'
     ) f GROUP BY 1`,
    [county],
  );
  return rows;
}

/**
 * The TBMJ sum of a county's forest-land 图斑 in its latest survey year. `forestCodes` is the
 * domain's list (FOREST_LAND_CODES), bound as a parameter so the rule is stated once.
 */
export async function surveyForestArea(tx: Scoped, county: string, forestCodes: readonly string[]): Promise<{ year: number; m2: string | null } | undefined> {
  const { rows } = await tx.client.query<{ year: number; m2: string | null }>(
    `SELECT survey_year AS year, sum(tbmj)::text AS m2 FROM survey.dltb
      WHERE county_code = $1 AND survey_year = (SELECT max(survey_year) FROM survey.dltb WHERE county_code = $1)
        AND upper(dlbm) = ANY ($2::text[])
      GROUP BY 1`,
    [county, forestCodes],
  );
  return rows[0];
}

export interface CountyOutlineRow {
  county_code: string;
  survey_year: number;
  name: string | null;
  geometry: GeoJSON.Geometry;
}

/**
 * Each county's outline from its latest imported XZQ, for a map of counties: the county polygon when
 * the layer has one, else the union of its townships (or villages). Simplified to about 20 m and
 * written with 6 decimals (≈0.1 m): a choropleth of a city's counties, not a boundary of record.
 */
export async function countyOutlines(tx: Scoped): Promise<CountyOutlineRow[]> {
  const { rows } = await tx.client.query<CountyOutlineRow>(
    `WITH latest AS (SELECT county_code, max(survey_year) AS survey_year FROM survey.xzq GROUP BY 1)
     SELECT x.county_code, x.survey_year,
            (array_agg(x.xzqmc ORDER BY x.fid) FILTER (WHERE x.level = 'county'))[1] AS name,
            ST_AsGeoJSON(ST_SimplifyPreserveTopology(COALESCE(
              ST_Union(x.geom) FILTER (WHERE x.level = 'county'),
              ST_Union(x.geom) FILTER (WHERE x.level = 'township'),
              ST_Union(x.geom) FILTER (WHERE x.level = 'village')), 0.0002), 6)::json AS geometry
       FROM survey.xzq x JOIN latest l USING (county_code, survey_year)
      GROUP BY 1, 2 ORDER BY 1`,
  );
  return rows;
}
