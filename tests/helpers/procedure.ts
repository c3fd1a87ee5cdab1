/**
 * Helpers of the procedure, reserve and quota tests: resetting what they create, uploading
 * candidate parcels as a given user, and seeding reserve parcels directly in SQL (for the quota
 * arithmetic, which does not need real survey layers).
 */
import type pg from 'pg';
import type { App } from '../../src/app.js';
import { deleteTestUsers } from './auth.js';
import { GK39, writeGeoJson, tempDir, type CandidateFeature } from './candidates.js';
import { expect } from 'vitest';
import { expectProblem, injectAs, type Caller, type Response } from './http.js';
import { multipart } from './multipart.js';

/** Empties every table of the procedure, reserve, quota and audit log (they are this feature's own). */
export async function resetProcedure(pool: pg.Pool): Promise<void> {
  await pool.query(`TRUNCATE procedure.parcel, procedure.transition, procedure.objection, procedure.consent, procedure.reserve_submission,
    procedure.audit, procedure.audit_sample, quota.issuance, quota.issuance_parcel, quota.pool_request, quota.allocation, quota.draw,
    quota.inspection, quota.lapse, quota.entry, quota.annual_summary, quota.debt, quota.national_allocation, quota.annual_arrangement, quota.city_report,
    audit.event CASCADE`);
}

/** Uploads candidate features (EPSG:4527 plane coordinates) as a user; returns the upload view. */
export async function uploadAs(app: App, who: Caller, features: CandidateFeature[], fields: Record<string, string | number | boolean>) {
  const file = writeGeoJson(tempDir(), `cand-${Math.random().toString(36).slice(2)}.geojson`, features, { epsg: GK39 });
  const body = multipart(fields, { path: file });
  const res = await injectAs(app, who, { method: 'POST', url: '/api/v1/candidate-uploads', ...body });
  if (res.statusCode !== 201) throw new Error(`candidate upload answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

/** A small square (EPSG:4490) near a county's nominal location, for SQL-seeded parcels. */
const square = (i: number) => {
  const x = 118.2 + (i % 100) * 0.001;
  const y = 28.6 + Math.floor(i / 100) * 0.001;
  return `SRID=4490;MULTIPOLYGON(((${x} ${y},${x + 0.0005} ${y},${x + 0.0005} ${y + 0.0005},${x} ${y + 0.0005},${x} ${y})))`;
};

let seeded = 0;

/** A candidate upload with one parcel per entry, inserted in SQL (no file, no checks). */
export async function seedCandidates(pool: pg.Pool, county: string, n: number, township = `${county}100`): Promise<{ uploadId: string; parcelIds: string[] }> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO candidate.upload (county_code, township_code, source_name, source_format, content_sha256, crs, parcel_count)
     VALUES ($1, $2, 'seed.geojson', 'geojson', encode(sha256(gen_random_uuid()::text::bytea), 'hex'), '{"epsg":4490}', $3) RETURNING id`,
    [county, township, n],
  );
  const uploadId = rows[0]!.id;
  const parcelIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = square(seeded++);
    const r = await pool.query<{ id: string }>(
      `INSERT INTO candidate.parcel (upload_id, county_code, fid, parcel_no, township_code, src_srid, geom_original, geom)
       VALUES ($1, $2, $3, $4, $5, 4490, $6::geometry, $6::geometry) RETURNING id`,
      [uploadId, county, i + 1, `S${county}-${String(seeded).padStart(4, '0')}`, township, g],
    );
    parcelIds.push(r.rows[0]!.id);
  }
  return { uploadId, parcelIds };
}

/** Procedure parcels in a given state with a given area of record (m², 2 decimals), inserted in SQL. */
export async function seedReserve(
  pool: pg.Pool,
  county: string,
  reserveYear: number,
  areasM2: string[],
  state = 'provincial-reserve',
): Promise<string[]> {
  const { uploadId, parcelIds } = await seedCandidates(pool, county, areasM2.length);
  const ids: string[] = [];
  for (let i = 0; i < areasM2.length; i++) {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO procedure.parcel (candidate_parcel_id, upload_id, county_code, township_code, parcel_no, state, area_m2, reserve_year, created_by)
       SELECT id, upload_id, county_code, township_code, parcel_no, $2, $3, $4, gen_random_uuid() FROM candidate.parcel WHERE id = $1 RETURNING id`,
      [parcelIds[i], state, areasM2[i], reserveYear],
    );
    ids.push(rows[0]!.id);
  }
  void uploadId;
  return ids;
}

/** Removes SQL-seeded candidate uploads (after resetProcedure). */
export async function deleteSeededCandidates(pool: pg.Pool): Promise<void> {
  await pool.query(`DELETE FROM candidate.upload WHERE source_name = 'seed.geojson'`);
}

/** A hash of every row of the tables a request could write: equal before and after = nothing changed. */
export async function tableSnapshot(pool: pg.Pool): Promise<Record<string, string>> {
  const tables = [
    'candidate.upload', 'candidate.parcel', 'candidate.check_run', 'candidate.check_result', 'candidate.check_parameter_set',
    'public.import_job', 'public.import_reject', 'public.export_job',
    'procedure.parcel', 'procedure.transition', 'procedure.objection', 'procedure.consent', 'procedure.rights_holder', 'procedure.reserve_submission', 'procedure.audit', 'procedure.audit_sample',
    'quota.issuance', 'quota.issuance_parcel', 'quota.pool_request', 'quota.allocation', 'quota.draw', 'quota.inspection', 'quota.lapse', 'quota.entry', 'quota.annual_summary', 'quota.balance',
    'quota.debt', 'quota.national_allocation', 'quota.annual_arrangement', 'quota.city_report',
    'audit.event',
  ];
  const out: Record<string, string> = {};
  for (const t of tables) out[t] = (await pool.query(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM ${t} x`)).rows[0].h;
  return out;
}

/** What the procedure, quota and jurisdiction test files start and end from: no procedures, seeded candidates or test users. */
export async function resetSeeded(pool: pg.Pool): Promise<void> {
  await resetProcedure(pool);
  await deleteSeededCandidates(pool);
  await deleteTestUsers(pool);
}

/**
 * The national allocation (国家下达新增林地定额) a test's issuances follow, entered by a province
 * administrator through the API; its id.
 */
export async function recordNationalAllocation(app: App, admin: Caller, quotaYear: number, documentDate = `${quotaYear}-02-15`): Promise<string> {
  const res = await injectAs(app, admin, {
    method: 'POST',
    url: '/api/v1/quota/national-allocations',
    payload: { quotaYear, documentNo: `林资发〔${quotaYear}〕${Math.floor(Math.random() * 1e6)}号`, documentDate },
  });
  if (res.statusCode !== 201) throw new Error(`national allocation answered ${res.statusCode}: ${res.body}`);
  return res.json<{ id: string }>().id;
}

/** A refused transition: 422 guard-failed listing exactly these guards, in order; returns the body. */
export function guardFailed(res: Response, ...guards: string[]) {
  const body = expectProblem(res, 422, 'guard-failed');
  expect(body.failedGuards.map((g: { guard: string }) => g.guard)).toEqual(guards);
  return body;
}
