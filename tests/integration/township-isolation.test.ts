/**
 * Township isolation (issue 8, items 4 and 17). A township user of 361123100 asks every route of
 * the API (the list comes from the OpenAPI document, so a new route without a case here fails)
 * while 361123 holds: parcels of another township (361123101) with their procedure, objections
 * and audit events; the county's reserve submission, city audit and samples; quota issuance,
 * ledger entries, draws, inspections, pool request and allocation, lapse and annual summary; and
 * export jobs of the county and of the other township. The township sees its own parcels and their
 * procedure and nothing else; then the same is checked with no route at all, in the database, and
 * on the content of an exported file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { authUser, withScope, type AuthUser } from '../../src/auth/scope.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser, testAdmin } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { multipart } from '../helpers/multipart.js';
import { seedCandidates, tableSnapshot, resetSeeded } from '../helpers/procedure.js';
import { injectAs } from '../helpers/http.js';

const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const COUNTY = '361123';
const OWN = '361123100';
const OTHER = '361123101';
/** A survey year no other test imports: the exports below need only its import record (zone 39). */
const YEAR = 2097;
const pool = testPool();
let app: App;
let admin: TestUser;
const u = {} as Record<'township' | 'otherTownship' | 'county' | 'city', TestUser>;
/** Ids: own* are 361123100's, other* 361123101's, the rest the county's. */
const s = {} as Record<
  | 'ownUpload' | 'ownCandidate' | 'ownApplied' | 'ownReserve' | 'ownObjection' | 'ownHolder'
  | 'otherUpload' | 'otherCandidate' | 'otherApplied' | 'otherReserve' | 'otherObjection' | 'otherHolder'
  | 'submission' | 'audit' | 'issuance' | 'draw' | 'inspection' | 'poolRequest' | 'allocation' | 'annualSummary' | 'lapse'
  | 'importJob' | 'countyExport' | 'otherExport' | 'ownExport',
  string
>;
let ownCandidates: string[] = [];

async function clean() {
  await pool.query(`DELETE FROM public.export_job WHERE requested_by LIKE 'test-u-%' OR requested_by = 'township-test'`);
  await pool.query(`DELETE FROM public.import_job WHERE source_name = 'township-test'`);
  await resetSeeded(pool);
}

/** A procedure parcel on a seeded candidate parcel, inserted in SQL (its audit event comes from the trigger). */
async function procedureOn(candidateId: string, state: string, reserveYear: number | null = null): Promise<string> {
  const { rows } = await pool.query(
    `INSERT INTO procedure.parcel (candidate_parcel_id, upload_id, county_code, township_code, parcel_no, state, area_m2, reserve_year, created_by)
     SELECT id, upload_id, county_code, township_code, parcel_no, $2, 1000, $3, gen_random_uuid() FROM candidate.parcel WHERE id = $1 RETURNING id`,
    [candidateId, state, reserveYear],
  );
  return rows[0].id;
}

const one = (sql: string, params: unknown[] = []) => pool.query(sql, params).then((r) => r.rows[0]?.id as string);

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  u.township = await createTestUser(pool, 'township', OWN);
  u.otherTownship = await createTestUser(pool, 'township', OTHER);
  u.county = await createTestUser(pool, 'county-forestry', COUNTY);
  u.city = await createTestUser(pool, 'city', '361100');

  s.importJob = await one(
    `INSERT INTO public.import_job (layer, county_code, survey_year, source_name, content_sha256, state, crs, finished_at)
     VALUES ('dltb', $1, $2, 'township-test', repeat('b', 64), 'succeeded', '{"epsg": 4527}', now()) RETURNING id`,
    [COUNTY, YEAR],
  );

  const own = await seedCandidates(pool, COUNTY, 3, OWN);
  const other = await seedCandidates(pool, COUNTY, 2, OTHER);
  [s.ownUpload, s.ownCandidate, ownCandidates] = [own.uploadId, own.parcelIds[0]!, own.parcelIds];
  [s.otherUpload, s.otherCandidate] = [other.uploadId, other.parcelIds[0]!];
  s.ownApplied = await procedureOn(own.parcelIds[0]!, 'applied');
  s.ownReserve = await procedureOn(own.parcelIds[1]!, 'city-review', 2022);
  s.otherApplied = await procedureOn(other.parcelIds[0]!, 'applied');
  s.otherReserve = await procedureOn(other.parcelIds[1]!, 'city-review', 2022);
  for (const [p, t] of [[s.ownApplied, OWN], [s.otherApplied, OTHER]] as const) {
    await pool.query(
      `INSERT INTO procedure.transition (parcel_id, county_code, township_code, seq, action, to_state, actor_id, actor_login, actor_role)
       VALUES ($1, $2, $3, 1, 'apply', 'applied', gen_random_uuid(), 'seed', 'township')`,
      [p, COUNTY, t],
    );
  }
  const holder = `INSERT INTO procedure.rights_holder (parcel_id, county_code, township_code, kind, holder_code, name, source, document, added_by)
                  VALUES ($1, $2, $3, 'mining', 'C3600002010000000009', '某矿业公司', 'county', '{"title": "采矿许可证"}', gen_random_uuid()) RETURNING id`;
  s.ownHolder = await one(holder, [s.ownApplied, COUNTY, OWN]);
  s.otherHolder = await one(holder, [s.otherApplied, COUNTY, OTHER]);
  const objection = `INSERT INTO procedure.objection (parcel_id, county_code, township_code, received_on, objector, content, recorded_by)
                     VALUES ($1, $2, $3, '2022-03-02', '某村民', '异议', gen_random_uuid()) RETURNING id`;
  s.ownObjection = await one(objection, [s.ownApplied, COUNTY, OWN]);
  s.otherObjection = await one(objection, [s.otherApplied, COUNTY, OTHER]);

  // The county's reserve and its audit — with a sample on the township's own parcel, which is still not the township's to see.
  s.submission = await one(
    `INSERT INTO procedure.reserve_submission (county_code, reserve_year, submitted_on, due_on, late, parcel_count, area_m2, state, submitted_by)
     VALUES ($1, 2022, '2023-09-01', '2023-09-15', false, 2, 2000, 'city-review', gen_random_uuid()) RETURNING id`,
    [COUNTY],
  );
  await pool.query('UPDATE procedure.parcel SET submission_id = $1 WHERE id IN ($2, $3)', [s.submission, s.ownReserve, s.otherReserve]);
  s.audit = await one(
    `INSERT INTO procedure.audit (submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2, sampled_m2, drawn_by)
     VALUES ($1, $2, 'city', 'seed', 'a', 30, '[]', 2000, 1000, gen_random_uuid()) RETURNING id`,
    [s.submission, COUNTY],
  );
  await pool.query(`INSERT INTO procedure.audit_sample (audit_id, parcel_id, county_code, draw_order, area_m2) VALUES ($1, $2, $3, 1, 1000)`, [s.audit, s.ownReserve, COUNTY]);

  // Quota: an issuance counting the township's own parcel (a quota row carrying its parcel_id), the ledger, a draw, an inspection, the pool.
  s.issuance = await one(
    `INSERT INTO quota.issuance (county_code, reserve_year, quota_year, batch, reserve_umu, county_umu, pooled_umu, rule, issued_on, issued_by)
     VALUES ($1, 2022, 2023, 1, 1500000000, 1500000000, 0, '{}', '2023-03-01', gen_random_uuid()) RETURNING id`,
    [COUNTY],
  );
  await pool.query(`INSERT INTO quota.issuance_parcel (issuance_id, parcel_id, county_code, area_m2, area_umu) VALUES ($1, $2, $3, 1000, 1500000)`, [s.issuance, s.ownReserve, COUNTY]);
  await pool.query(`INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, issuance_id, actor_login) VALUES ($1, 'county', 2023, 'issued', 1500000000, $2, 'seed')`, [COUNTY, s.issuance]);
  s.draw = await one(
    `INSERT INTO quota.draw (county_code, quota_year, project_name, approval_no, approved_on, area_umu, area_input, drawn_by)
     VALUES ($1, 2023, '县城项目', '赣林地审〔2023〕9号', '2020-01-01', 1000000, '{}', gen_random_uuid()) RETURNING id`,
    [COUNTY],
  );
  s.inspection = await one(
    `INSERT INTO quota.inspection (parcel_id, county_code, year, inspected_on, outcome, area_umu, inspected_by)
     VALUES ($1, $2, 2023, '2023-11-01', 'intact', 0, gen_random_uuid()) RETURNING id`,
    [s.ownReserve, COUNTY],
  );
  s.poolRequest = await one(
    `INSERT INTO quota.pool_request (county_code, quota_year, amount_umu, purpose, requested_by) VALUES ($1, 2023, 1000000, '项目', gen_random_uuid()) RETURNING id`,
    [COUNTY],
  );
  s.allocation = await one(
    `INSERT INTO quota.allocation (round_id, quota_year, county_code, origin_county, request_id, tier, amount_umu, allocated_by)
     VALUES (gen_random_uuid(), 2023, $1, $1, $2, 'same-county', 1000000, gen_random_uuid()) RETURNING id`,
    [COUNTY, s.poolRequest],
  );
  s.annualSummary = await one(
    `INSERT INTO quota.annual_summary (county_code, year, submitted_on, due_on, late, snapshot, submitted_by)
     VALUES ($1, 2022, '2023-01-05', '2023-01-10', false, '{}', gen_random_uuid()) RETURNING id`,
    [COUNTY],
  );
  s.lapse = await one(
    `INSERT INTO quota.lapse (period_start, period_end, province_prefix, executed_by) VALUES (2019, 2096, '36', gen_random_uuid()) RETURNING id`,
  );
  // Issue 10: a debt (of the inspection above), the national allocation, the county's arrangement.
  await pool.query(`INSERT INTO quota.debt (county_code, inspection_id, quota_year, amount_umu) VALUES ($1, $2, 2023, 1000)`, [COUNTY, s.inspection]);
  await pool.query(`INSERT INTO quota.national_allocation (province_prefix, quota_year, document_no, document_date, issuer, entered_by) VALUES ('36', 2023, '林资发〔2023〕1号', '2023-02-01', '国家林业和草原局', gen_random_uuid())`);
  await pool.query(
    `INSERT INTO quota.annual_arrangement (county_code, year, version, projects, supplementary, arranged_on, arranged_by) VALUES ($1, 2024, 1, '[]', '[]', '2024-01-05', gen_random_uuid())`,
    [COUNTY],
  );

  const exportJob = `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels, state, requested_by, township_code)
                     VALUES ($1, $2, $3, 'geojson', 4490, 'candidates', 'failed', 'township-test', $4) RETURNING id`;
  s.countyExport = await one(exportJob, [COUNTY, YEAR, 'dltb', null]);
  s.otherExport = await one(exportJob, [COUNTY, YEAR, 'reserve', OTHER]);
  s.ownExport = await one(exportJob, [COUNTY, YEAR, 'reserve', OWN]);
});

afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

/**
 * Ids the township must never see, whatever the route. (Not the submission's: its own reserve
 * parcel names the submission it went in, an id that opens nothing to a township.)
 */
const foreignIds = () => [
  s.otherUpload, s.otherCandidate, s.otherApplied, s.otherReserve, s.otherObjection, s.audit, s.issuance, s.draw,
  s.inspection, s.poolRequest, s.allocation, s.annualSummary, s.lapse, s.countyExport, s.otherExport,
];

const snapshot = () => tableSnapshot(pool);

/**
 * What the township gets: 'own' — 200 with the ids listed in `shows` and no foreign id;
 * 'refused' — 403 problem+json (the route is not a township's); 'absent' — 403 or 404 (another
 * township's or the county's resource); 'base' — county base data (survey layers), 200 or a
 * data answer, never a foreign parcel.
 */
interface Case {
  method: 'GET' | 'POST';
  url: string;
  payload?: object;
  multipart?: Record<string, string>;
  expect: 'own' | 'refused' | 'absent' | 'base';
  shows?: string[];
}

const cases = (): Record<string, Case[]> => ({
  'GET /api/v1/me': [{ method: 'GET', url: '/api/v1/me', expect: 'own', shows: [OWN] }],
  'GET /api/v1/health': [{ method: 'GET', url: '/api/v1/health', expect: 'refused' }],
  // Everyone reads the eligibility thresholds in force; only the province publishes them.
  'GET /api/v1/check-parameters': [{ method: 'GET', url: '/api/v1/check-parameters', expect: 'base' }],
  'GET /api/v1/check-parameters/versions': [{ method: 'GET', url: '/api/v1/check-parameters/versions', expect: 'base' }],
  'POST /api/v1/check-parameters/versions': [
    { method: 'POST', url: '/api/v1/check-parameters/versions', payload: { parameters: { sourceMinShare: 0 }, reason: '放宽来源检查' }, expect: 'refused' },
  ],
  'POST /api/v1/imports': [{ method: 'POST', url: '/api/v1/imports', multipart: { layer: 'xzq', county: COUNTY, year: '2019' }, expect: 'refused' }],
  'GET /api/v1/imports': [{ method: 'GET', url: `/api/v1/imports?county=${COUNTY}`, expect: 'base' }],
  'GET /api/v1/imports/{id}': [{ method: 'GET', url: `/api/v1/imports/${s.importJob}`, expect: 'base' }],
  'GET /api/v1/imports/{id}/rejects': [{ method: 'GET', url: `/api/v1/imports/${s.importJob}/rejects`, expect: 'base' }],
  'GET /api/v1/imports/{id}/repairs': [{ method: 'GET', url: `/api/v1/imports/${s.importJob}/repairs`, expect: 'base' }],
  'GET /api/v1/imports/{id}/quality': [{ method: 'GET', url: `/api/v1/imports/${s.importJob}/quality`, expect: 'base' }],
  'GET /api/v1/layers': [{ method: 'GET', url: '/api/v1/layers', expect: 'base' }],
  'GET /api/v1/counties/{county}/dltb/{year}/land-classes': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/dltb/${YEAR}/land-classes`, expect: 'base' }],
  'POST /api/v1/candidate-uploads': [{ method: 'POST', url: '/api/v1/candidate-uploads', multipart: { county: COUNTY, township: OTHER, runChecks: 'false' }, expect: 'absent' }],
  'GET /api/v1/candidate-uploads/{id}': [
    { method: 'GET', url: `/api/v1/candidate-uploads/${s.ownUpload}`, expect: 'own', shows: [s.ownUpload, s.ownCandidate] },
    { method: 'GET', url: `/api/v1/candidate-uploads/${s.otherUpload}`, expect: 'absent' },
  ],
  'POST /api/v1/candidate-uploads/{id}/check-runs': [{ method: 'POST', url: `/api/v1/candidate-uploads/${s.otherUpload}/check-runs`, payload: {}, expect: 'absent' }],
  'GET /api/v1/candidate-uploads/{id}/check-runs': [
    { method: 'GET', url: `/api/v1/candidate-uploads/${s.ownUpload}/check-runs`, expect: 'own' },
    { method: 'GET', url: `/api/v1/candidate-uploads/${s.otherUpload}/check-runs`, expect: 'absent' },
  ],
  'GET /api/v1/candidate-uploads/{id}/report': [
    { method: 'GET', url: `/api/v1/candidate-uploads/${s.otherUpload}/report`, expect: 'absent' },
    { method: 'GET', url: `/api/v1/candidate-uploads/${s.otherUpload}/report?format=xlsx`, expect: 'absent' },
  ],
  'GET /api/v1/candidate-parcels/{id}/report': [
    { method: 'GET', url: `/api/v1/candidate-parcels/${s.otherCandidate}/report`, expect: 'absent' },
    { method: 'GET', url: `/api/v1/candidate-parcels/${s.otherCandidate}/report?format=xlsx`, expect: 'absent' },
  ],
  'GET /api/v1/counties/{county}/restorable-mining-land/summary': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/restorable-mining-land/summary`, expect: 'base' }],
  'GET /api/v1/counties/{county}/restorable-mining-land': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/restorable-mining-land`, expect: 'base' }],
  'POST /api/v1/exports': [
    { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: YEAR, layer: 'dltb', format: 'geojson' }, expect: 'refused' },
    { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: YEAR, layer: 'ldxb', format: 'geojson' }, expect: 'refused' },
  ],
  'GET /api/v1/exports/{id}': [
    { method: 'GET', url: `/api/v1/exports/${s.ownExport}`, expect: 'own', shows: [s.ownExport] },
    { method: 'GET', url: `/api/v1/exports/${s.countyExport}`, expect: 'absent' },
    { method: 'GET', url: `/api/v1/exports/${s.otherExport}`, expect: 'absent' },
  ],
  'GET /api/v1/exports/{id}/file': [
    { method: 'GET', url: `/api/v1/exports/${s.countyExport}/file`, expect: 'absent' },
    { method: 'GET', url: `/api/v1/exports/${s.otherExport}/file`, expect: 'absent' },
  ],
  'POST /api/v1/procedures': [{ method: 'POST', url: '/api/v1/procedures', payload: { candidateParcelId: s.otherCandidate }, expect: 'absent' }],
  'GET /api/v1/procedures': [{ method: 'GET', url: `/api/v1/procedures?county=${COUNTY}`, expect: 'own', shows: [s.ownApplied, s.ownReserve] }],
  'GET /api/v1/procedures/{id}': [
    { method: 'GET', url: `/api/v1/procedures/${s.ownApplied}`, expect: 'own', shows: [s.ownApplied, s.ownObjection] },
    { method: 'GET', url: `/api/v1/procedures/${s.otherApplied}`, expect: 'absent' },
  ],
  'POST /api/v1/procedures/{id}/verify': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/verify`, payload: {}, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/override-approvals': [
    { method: 'POST', url: `/api/v1/procedures/${s.ownApplied}/override-approvals`, payload: { checks: ['ownership'], reason: '越权批准越过检查项测试', documents: [{ title: '纪要', number: '1号' }] }, expect: 'refused' },
  ],
  'POST /api/v1/procedures/{id}/publicize': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/publicize`, payload: { naturalVillage: { name: '下坊自然村', from: '2022-03-01', to: '2022-03-10' }, villageCommittee: { name: '下坊村委会', from: '2022-03-01', to: '2022-03-10' } }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/objections': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/objections`, payload: { receivedOn: '2022-03-02', objector: 'x', content: 'y' }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/objections/{objectionId}/decision': [
    { method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/objections/${s.otherObjection}/decision`, payload: { decision: 'upheld', reason: '越权' }, expect: 'absent' },
  ],
  // 相关权利人 are added by the county only: refused to a township on its own parcel and on another's.
  'POST /api/v1/procedures/{id}/rights-holders': [
    { method: 'POST', url: `/api/v1/procedures/${s.ownApplied}/rights-holders`, payload: { kind: 'mining', code: 'C3600002010000000001', name: '越权矿业公司', document: { title: '采矿许可证', number: 'C3600002010000000001' } }, expect: 'refused' },
    { method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/rights-holders`, payload: { kind: 'mining', code: 'C3600002010000000001', name: '越权矿业公司', document: { title: '采矿许可证', number: 'C3600002010000000001' } }, expect: 'refused' },
  ],
  // …and removed by the county only: refused to a township on its own parcel's holder and on another's.
  'POST /api/v1/procedures/{id}/rights-holders/{holderId}/removal': [
    { method: 'POST', url: `/api/v1/procedures/${s.ownApplied}/rights-holders/${s.ownHolder}/removal`, payload: { reason: '越权删除权利人测试' }, expect: 'refused' },
    { method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/rights-holders/${s.otherHolder}/removal`, payload: { reason: '越权删除权利人测试' }, expect: 'refused' },
  ],
  'POST /api/v1/procedures/{id}/consents': [
    { method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/consents`, payload: { qsdwdm: '3611231010000000000', signatory: 'x', consentedOn: '2022-03-02', document: { title: '同意书' } }, expect: 'absent' },
  ],
  'POST /api/v1/procedures/{id}/confirm': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/confirm`, payload: { confirmedOn: '2022-03-20' }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/afforest': [
    { method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/afforest`, payload: { forestClass: '0301', species: ['杉木'], plantedOn: '2022-04-01', areaM2: 10, restorer: { name: 'x', kind: '企业' } }, expect: 'absent' },
  ],
  'POST /api/v1/procedures/{id}/accept': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/accept`, payload: { acceptedOn: '2023-10-20', survivalRatePct: 90 }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/survey-change': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/survey-change`, payload: { changeYear: 2023 }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/change': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/change`, payload: { changeYear: 2023 }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/reserve': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/reserve`, payload: { reserveYear: 2023 }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/withdraw': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/withdraw`, payload: { reason: '越权撤回' }, expect: 'absent' }],
  'POST /api/v1/procedures/{id}/reject': [{ method: 'POST', url: `/api/v1/procedures/${s.otherApplied}/reject`, payload: { reason: '越权否决' }, expect: 'absent' }],
  'GET /api/v1/procedures/{id}/audit-log': [
    { method: 'GET', url: `/api/v1/procedures/${s.ownReserve}/audit-log`, expect: 'own', shows: [s.ownReserve] },
    { method: 'GET', url: `/api/v1/procedures/${s.otherApplied}/audit-log`, expect: 'absent' },
  ],
  'GET /api/v1/counties/{county}/reserve': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/reserve`, expect: 'own', shows: [s.ownReserve] }],
  'POST /api/v1/counties/{county}/reserve-submissions': [{ method: 'POST', url: `/api/v1/counties/${COUNTY}/reserve-submissions`, payload: { reserveYear: 2023 }, expect: 'refused' }],
  'GET /api/v1/reserve-submissions': [{ method: 'GET', url: '/api/v1/reserve-submissions', expect: 'refused' }],
  'GET /api/v1/reserve-submissions/{id}': [{ method: 'GET', url: `/api/v1/reserve-submissions/${s.submission}`, expect: 'refused' }],
  'POST /api/v1/reserve-submissions/{id}/approve': [{ method: 'POST', url: `/api/v1/reserve-submissions/${s.submission}/approve`, payload: {}, expect: 'refused' }],
  'POST /api/v1/reserve-submissions/{id}/audits': [{ method: 'POST', url: `/api/v1/reserve-submissions/${s.submission}/audits`, payload: { level: 'city' }, expect: 'absent' }],
  'GET /api/v1/audits/{id}': [{ method: 'GET', url: `/api/v1/audits/${s.audit}`, expect: 'refused' }],
  'POST /api/v1/audits/{id}/results': [{ method: 'POST', url: `/api/v1/audits/${s.audit}/results`, payload: { parcelId: s.ownReserve, result: 'pass' }, expect: 'absent' }],
  'POST /api/v1/audits/{id}/complete': [{ method: 'POST', url: `/api/v1/audits/${s.audit}/complete`, payload: {}, expect: 'absent' }],
  'POST /api/v1/quota/national-allocations': [
    { method: 'POST', url: '/api/v1/quota/national-allocations', payload: { quotaYear: 2023, documentNo: '越权', documentDate: '2023-02-01' }, expect: 'refused' },
  ],
  'GET /api/v1/quota/national-allocations': [{ method: 'GET', url: '/api/v1/quota/national-allocations', expect: 'refused' }],
  'POST /api/v1/quota/issuances': [{ method: 'POST', url: '/api/v1/quota/issuances', payload: { reserveYear: 2022, county: COUNTY, issuedOn: '2023-03-01' }, expect: 'refused' }],
  'GET /api/v1/quota/issuances': [{ method: 'GET', url: '/api/v1/quota/issuances', expect: 'refused' }],
  'GET /api/v1/quota/issuances/{id}': [{ method: 'GET', url: `/api/v1/quota/issuances/${s.issuance}`, expect: 'refused' }],
  'GET /api/v1/counties/{county}/quota': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/quota`, expect: 'refused' }],
  'POST /api/v1/counties/{county}/quota/draws': [
    { method: 'POST', url: `/api/v1/counties/${COUNTY}/quota/draws`, payload: { projectName: 'x', approvalNo: 'y', approvedOn: '2023-05-01', area: { unit: 'mu', value: 1 } }, expect: 'refused' },
  ],
  'GET /api/v1/counties/{county}/quota/draws': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/quota/draws`, expect: 'refused' }],
  'POST /api/v1/quota/draws/{id}/use': [{ method: 'POST', url: `/api/v1/quota/draws/${s.draw}/use`, payload: { useStartedOn: '2023-06-01' }, expect: 'refused' }],
  'GET /api/v1/quota/idle-uses': [{ method: 'GET', url: '/api/v1/quota/idle-uses?asOf=2024-01-10', expect: 'refused' }],
  'POST /api/v1/quota/inspections': [{ method: 'POST', url: '/api/v1/quota/inspections', payload: { parcelId: s.ownReserve, year: 2024, inspectedOn: '2024-11-01', outcome: 'lost', findings: '越权' }, expect: 'refused' }],
  'GET /api/v1/quota/inspections': [{ method: 'GET', url: '/api/v1/quota/inspections', expect: 'refused' }],
  'POST /api/v1/quota/pool/requests': [{ method: 'POST', url: '/api/v1/quota/pool/requests', payload: { county: COUNTY, quotaYear: 2023, area: { unit: 'mu', value: 1 }, purpose: 'x' }, expect: 'refused' }],
  'POST /api/v1/quota/pool/allocations': [{ method: 'POST', url: '/api/v1/quota/pool/allocations', payload: { quotaYear: 2023 }, expect: 'refused' }],
  'GET /api/v1/quota/pool': [{ method: 'GET', url: '/api/v1/quota/pool', expect: 'refused' }],
  'POST /api/v1/quota/lapse': [{ method: 'POST', url: '/api/v1/quota/lapse', payload: {}, expect: 'refused' }],
  'GET /api/v1/counties/{county}/ledger': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/ledger`, expect: 'refused' }],
  'GET /api/v1/ledger/province': [{ method: 'GET', url: '/api/v1/ledger/province', expect: 'refused' }],
  'GET /api/v1/ledger/province/map': [{ method: 'GET', url: '/api/v1/ledger/province/map', expect: 'refused' }],
  'GET /api/v1/counties/{county}/annual-summary/{year}': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/annual-summary/2023`, expect: 'refused' }],
  'POST /api/v1/counties/{county}/annual-summary/{year}/submit': [{ method: 'POST', url: `/api/v1/counties/${COUNTY}/annual-summary/2023/submit`, payload: { submittedOn: '2024-01-05' }, expect: 'refused' }],
  'GET /api/v1/counties/{county}/forest-stock': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/forest-stock`, expect: 'refused' }],
  'POST /api/v1/counties/{county}/annual-arrangements/{year}': [
    { method: 'POST', url: `/api/v1/counties/${COUNTY}/annual-arrangements/2024`, payload: { projects: [{ name: '越权', area: { unit: 'mu', value: 1 } }], supplementary: [] }, expect: 'refused' },
  ],
  'GET /api/v1/counties/{county}/annual-arrangements/{year}': [{ method: 'GET', url: `/api/v1/counties/${COUNTY}/annual-arrangements/2024`, expect: 'refused' }],
  'GET /api/v1/cities/{city}/annual-report/{year}': [{ method: 'GET', url: '/api/v1/cities/361100/annual-report/2023', expect: 'refused' }],
  'POST /api/v1/cities/{city}/annual-report/{year}/submit': [{ method: 'POST', url: '/api/v1/cities/361100/annual-report/2023/submit', payload: {}, expect: 'refused' }],
  'GET /api/v1/evaluation-reports/{year}': [{ method: 'GET', url: '/api/v1/evaluation-reports/2023', expect: 'refused' }],
  // OGC API: the county's collections are listed; their features are the township's own parcels only.
  'GET /ogc': [{ method: 'GET', url: '/ogc', expect: 'own' }],
  'GET /ogc/conformance': [{ method: 'GET', url: '/ogc/conformance', expect: 'own' }],
  'GET /ogc/api': [{ method: 'GET', url: '/ogc/api', expect: 'own' }],
  'GET /ogc/collections': [{ method: 'GET', url: '/ogc/collections', expect: 'own', shows: [`candidates-${COUNTY}`, `reserve-${COUNTY}`] }],
  'GET /ogc/collections/{collectionId}': [{ method: 'GET', url: `/ogc/collections/candidates-${COUNTY}`, expect: 'own' }],
  'GET /ogc/collections/{collectionId}/items': [
    { method: 'GET', url: `/ogc/collections/candidates-${COUNTY}/items?limit=10000`, expect: 'own', shows: ownCandidates },
    { method: 'GET', url: `/ogc/collections/procedure-${COUNTY}/items`, expect: 'own', shows: [s.ownApplied, s.ownReserve] },
    { method: 'GET', url: `/ogc/collections/reserve-${COUNTY}/items`, expect: 'own', shows: [s.ownReserve] },
  ],
  'GET /ogc/collections/{collectionId}/items/{featureId}': [
    { method: 'GET', url: `/ogc/collections/procedure-${COUNTY}/items/${s.ownApplied}`, expect: 'own', shows: [s.ownApplied] },
    { method: 'GET', url: `/ogc/collections/procedure-${COUNTY}/items/${s.otherApplied}`, expect: 'absent' },
    { method: 'GET', url: `/ogc/collections/candidates-${COUNTY}/items/${s.otherCandidate}`, expect: 'absent' },
  ],
  'GET /ogc/collections/{collectionId}/tiles/WebMercatorQuad': [{ method: 'GET', url: `/ogc/collections/reserve-${COUNTY}/tiles/WebMercatorQuad`, expect: 'own' }],
  'GET /ogc/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}': [
    { method: 'GET', url: `/ogc/collections/candidates-${COUNTY}/tiles/WebMercatorQuad/10/427/848`, expect: 'own', shows: ownCandidates },
  ],
  'GET /ogc/tileMatrixSets': [{ method: 'GET', url: '/ogc/tileMatrixSets', expect: 'own' }],
  'GET /ogc/tileMatrixSets/WebMercatorQuad': [{ method: 'GET', url: '/ogc/tileMatrixSets/WebMercatorQuad', expect: 'own' }],
  'GET /api/v1/audit-log': [
    { method: 'GET', url: '/api/v1/audit-log?limit=1000', expect: 'own', shows: [s.ownApplied, s.ownReserve, s.ownObjection] },
    { method: 'GET', url: `/api/v1/audit-log?county=${COUNTY}&limit=1000`, expect: 'own', shows: [s.ownApplied] },
    { method: 'GET', url: `/api/v1/audit-log?parcelId=${s.otherApplied}`, expect: 'own' },
    { method: 'GET', url: `/api/v1/audit-log?parcelId=${s.ownReserve}&limit=1000`, expect: 'own', shows: [s.ownReserve] },
  ],
});

function request(c: Case, who: TestUser) {
  if (c.multipart) {
    const body = multipart(c.multipart, { path: join(FIX, 'xzq.shp.zip') });
    return injectAs(app, who, { method: c.method, url: c.url, ...body });
  }
  return injectAs(app, who, { method: c.method, url: c.url, ...(c.payload ? { payload: c.payload } : {}) });
}

async function apiRoutes(): Promise<string[]> {
  const doc = (await injectAs(app, admin, '/openapi.json')).json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>();
  // Public routes (sign-in, sign-out: tests/integration/sessions.test.ts) need no user, so no jurisdiction either.
  return Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/api/') || p === '/ogc' || p.startsWith('/ogc/'))
    .flatMap(([p, ops]) => Object.entries(ops).filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0)).map(([m]) => `${m.toUpperCase()} ${p}`))
    .sort();
}

describe('what a township sees, route by route', () => {
  it('361123100 gets its own parcels and their procedure through every route, 403 on the reserve, quota and county-wide exports, and nothing of 361123101 or the county', async () => {
    const before = await snapshot();
    const all = cases();
    expect(Object.keys(all).sort()).toEqual(await apiRoutes()); // every route decided, none stale
    for (const [route, list] of Object.entries(all)) {
      for (const c of list) {
        const res = await request(c, u.township);
        const at = `${route} ${c.url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`;
        if (c.expect === 'refused') {
          expect(res.statusCode, at).toBe(403);
          expect(res.headers['content-type'], at).toMatch(/application\/problem\+json/);
          continue;
        }
        if (c.expect === 'absent') {
          expect([403, 404], at).toContain(res.statusCode);
          expect(res.headers['content-type'], at).toMatch(/application\/problem\+json/);
          continue;
        }
        if (c.expect === 'own') expect(res.statusCode, at).toBe(200);
        if (c.expect === 'base') {
          const code = /problem\+json/.test(String(res.headers['content-type'])) ? res.json().code : undefined;
          expect(res.statusCode === 200 || ['survey-layers-missing', 'layer-not-imported'].includes(code), at).toBe(true);
        }
        for (const id of c.shows ?? []) expect(res.body.includes(id), `${at} — should show ${id}`).toBe(true);
        for (const id of foreignIds()) expect(res.body.includes(id), `${route} ${c.url} shows ${id}`).toBe(false);
        expect(res.body.includes(OTHER), `${route} ${c.url} shows township ${OTHER}`).toBe(false);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('the audit log shows a township only the procedure events of its own parcels: no quota rows, no audit samples, no county ledger', async () => {
    const res = await injectAs(app, u.township, { url: '/api/v1/audit-log?limit=1000' });
    const items = res.json().items as { table: string; parcelId: string | null; countyCode: string }[];
    // Its own parcel's rights holder too (0015), never the other township's.
    expect(new Set(items.map((e) => e.table))).toEqual(new Set(['procedure.parcel', 'procedure.transition', 'procedure.objection', 'procedure.rights_holder']));
    expect(new Set(items.map((e) => e.parcelId))).toEqual(new Set([s.ownApplied, s.ownReserve]));
    // The same parcel's quota and audit rows exist in the log: the county sees them, the township does not.
    const county = (await injectAs(app, u.county, { url: `/api/v1/audit-log?parcelId=${s.ownReserve}&limit=1000` })).json().items as { table: string }[];
    expect(new Set(county.map((e) => e.table))).toEqual(new Set(['procedure.parcel', 'procedure.audit_sample', 'quota.issuance_parcel', 'quota.inspection']));
    const own = (await injectAs(app, u.township, { url: `/api/v1/audit-log?parcelId=${s.ownReserve}&limit=1000` })).json().items as { table: string }[];
    expect(new Set(own.map((e) => e.table))).toEqual(new Set(['procedure.parcel'])); // its insertion and its entry in the submission
  });

  it('control: the county reads everything the township was refused, and the other township its own', async () => {
    for (const url of ['/api/v1/reserve-submissions', `/api/v1/audits/${s.audit}`, '/api/v1/quota/issuances', `/api/v1/counties/${COUNTY}/quota/draws`, '/api/v1/quota/pool', `/api/v1/exports/${s.countyExport}`, `/api/v1/exports/${s.otherExport}`]) {
      const res = await injectAs(app, u.county, { url });
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(200);
    }
    const procs = (await injectAs(app, u.otherTownship, { url: '/api/v1/procedures' })).json().items.map((p: { id: string }) => p.id);
    expect(new Set(procs)).toEqual(new Set([s.otherApplied, s.otherReserve]));
    expect((await injectAs(app, u.otherTownship, { url: `/api/v1/exports/${s.otherExport}` })).statusCode).toBe(200);
    expect((await injectAs(app, u.otherTownship, { url: `/api/v1/exports/${s.ownExport}` })).statusCode).toBe(404);
  });
});

describe('exports as a township (item 17)', () => {
  /** Runs an export to the end as a user and returns the downloaded GeoJSON. */
  async function exportAs(user: TestUser, body: Record<string, unknown>) {
    const res = await injectAs(app, user, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: YEAR, format: 'geojson', crs: '4490', ...body } });
    expect(res.statusCode, res.body).toBe(202);
    await app.exports.idle();
    const job = (await injectAs(app, user, { url: `/api/v1/exports/${res.json().id}` })).json();
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    const file = await injectAs(app, user, { url: `/api/v1/exports/${job.id}/file` });
    expect(file.statusCode).toBe(200);
    return { job, geojson: JSON.parse(file.body) as { features: { properties: Record<string, string> }[] } };
  }

  it('a township exports the reserve layer of its own parcels only; the county’s same export holds both townships', async () => {
    const mine = await exportAs(u.township, { layer: 'reserve', parcels: 'candidates' });
    expect(mine.geojson.features.map((f) => f.properties.DKID).sort()).toEqual([...ownCandidates].sort());
    expect(new Set(mine.geojson.features.map((f) => f.properties.XZDM))).toEqual(new Set([OWN]));
    expect(mine.job.file.name).toMatch(new RegExp(`^${OWN}_`));

    const applied = await exportAs(u.township, { layer: 'reserve', parcels: 'applied' });
    expect(applied.geojson.features.map((f) => f.properties.DKID).sort()).toEqual([s.ownApplied, s.ownReserve].sort());

    // Control: the county's export of the same selection has both townships' parcels.
    const county = await exportAs(u.county, { layer: 'reserve', parcels: 'candidates' });
    expect(new Set(county.geojson.features.map((f) => f.properties.XZDM))).toEqual(new Set([OWN, OTHER]));
    expect(county.geojson.features).toHaveLength(5);

    // The township's job is the township's: the county above it sees it, the other township does not.
    expect((await injectAs(app, u.county, { url: `/api/v1/exports/${mine.job.id}` })).statusCode).toBe(200);
    expect((await injectAs(app, u.otherTownship, { url: `/api/v1/exports/${mine.job.id}/file` })).statusCode).toBe(404);
    expect((await injectAs(app, u.township, { url: `/api/v1/exports/${county.job.id}` })).statusCode).toBe(404);
  });

  it('refuses the county-wide layers to a township with a reason', async () => {
    const res = await injectAs(app, u.township, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: YEAR, layer: 'dltb', format: 'geojson' } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'role-not-permitted' });
    expect(res.json().detail).toContain('reserve');
  });
});

describe('row-level security alone (no route in front)', () => {
  const asUser = async (t: TestUser): Promise<AuthUser> =>
    authUser((await pool.query('SELECT id, login, display_name, role, admin_code FROM auth.app_user WHERE id = $1', [t.id])).rows[0]);
  const count = (tx: { client: { query: (sql: string) => Promise<{ rows: { n: number }[] }> } }, table: string, where = 'true') =>
    tx.client.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`).then((r) => r.rows[0]!.n);
  const HIDDEN = [
    'procedure.reserve_submission', 'procedure.audit', 'procedure.audit_sample', 'quota.issuance', 'quota.issuance_parcel', 'quota.pool_request',
    'quota.allocation', 'quota.draw', 'quota.inspection', 'quota.lapse', 'quota.entry', 'quota.annual_summary',
    'quota.debt', 'quota.national_allocation', 'quota.annual_arrangement',
  ];

  it('a township scope reads zero rows of the reserve and quota tables, only its own parcels, jobs and parcel events', async () => {
    const township = await asUser(u.township);
    const county = await asUser(u.county);
    const seen = await withScope(pool, township, async (tx) => {
      const out: Record<string, number> = {};
      for (const t of HIDDEN) out[t] = await count(tx, t);
      return out;
    });
    expect(seen).toEqual(Object.fromEntries(HIDDEN.map((t) => [t, 0])));
    // Control: the county scope sees each of them (the seed put at least one row in every table).
    await withScope(pool, county, async (tx) => {
      for (const t of HIDDEN) expect(await count(tx, t), t).toBeGreaterThan(0);
    });
    await withScope(pool, township, async (tx) => {
      expect((await tx.client.query(`SELECT DISTINCT township_code FROM procedure.parcel`)).rows).toEqual([{ township_code: OWN }]);
      expect((await tx.client.query(`SELECT DISTINCT township_code FROM candidate.parcel`)).rows).toEqual([{ township_code: OWN }]);
      const jobs = (await tx.client.query(`SELECT id, township_code FROM public.export_job`)).rows;
      expect(jobs.map((r) => r.id)).toContain(s.ownExport);
      expect(new Set(jobs.map((r) => r.township_code))).toEqual(new Set([OWN]));
      expect(await count(tx, 'audit.event', `table_name NOT LIKE 'procedure.%'`)).toBe(0);
      expect(await count(tx, 'audit.event', `parcel_id IS NULL OR parcel_id NOT IN ('${s.ownApplied}', '${s.ownReserve}')`)).toBe(0);
      expect(await count(tx, 'audit.event')).toBeGreaterThan(0);
    });
  });

  it('a township scope cannot write reserve, quota or county-wide export rows either', async () => {
    const township = await asUser(u.township);
    const attempts = [
      `INSERT INTO quota.draw (county_code, quota_year, project_name, approval_no, approved_on, area_umu, area_input, drawn_by) VALUES ('${COUNTY}', 2023, 'x', 'rls-1', '2023-01-01', 1, '{}', gen_random_uuid())`,
      `INSERT INTO procedure.reserve_submission (county_code, reserve_year, submitted_on, due_on, late, parcel_count, area_m2, state, submitted_by) VALUES ('${COUNTY}', 2030, '2031-09-01', '2031-09-15', false, 0, 0, 'city-review', gen_random_uuid())`,
      `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels) VALUES ('${COUNTY}', ${YEAR}, 'reserve', 'geojson', 4490, 'candidates')`,
      `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels, township_code) VALUES ('${COUNTY}', ${YEAR}, 'dltb', 'geojson', 4490, 'candidates', '${OWN}')`,
      `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels, township_code) VALUES ('${COUNTY}', ${YEAR}, 'reserve', 'geojson', 4490, 'candidates', '${OTHER}')`,
    ];
    for (const sql of attempts) {
      await expect(withScope(pool, township, (tx) => tx.client.query(sql)), sql).rejects.toThrow(/row-level security/);
    }
    // An UPDATE of a hidden row finds nothing to update.
    expect(await withScope(pool, township, (tx) => tx.client.query(`UPDATE quota.draw SET recovery_note = 'x' WHERE id = $1`, [s.draw]).then((r) => r.rowCount))).toBe(0);
  });

  it('fails closed: a scope with the township role but no township sees no parcel of any township', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('role', 'zhanbu_app', true), set_config('zhanbu.scope_prefix', $1, true), set_config('zhanbu.user_role', 'township', true)`, [COUNTY]);
      expect((await client.query(`SELECT count(*)::int AS n FROM procedure.parcel`)).rows[0].n).toBe(0);
      expect((await client.query(`SELECT count(*)::int AS n FROM candidate.parcel`)).rows[0].n).toBe(0);
      expect((await client.query(`SELECT count(*)::int AS n FROM quota.entry`)).rows[0].n).toBe(0);
      expect((await client.query(`SELECT count(*)::int AS n FROM public.export_job`)).rows[0].n).toBe(0);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
