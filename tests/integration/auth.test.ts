/**
 * Authentication and jurisdiction on every route. The route list comes from the OpenAPI document,
 * so a route added without a case here fails this test. Another county's resources (360111, 南昌市
 * 青山湖区) are seeded in SQL; a 361123 (玉山县, 上饶市) county user asks for each of them through every
 * route and gets 403 or 404, list routes show none of them, and nothing in the database changes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { DEFAULT_CHECK_PARAMETERS } from '../../src/domain/checks/parameters.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser, testAdmin } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { multipart } from '../helpers/multipart.js';
import { seedCandidates, seedReserve, tableSnapshot, resetSeeded } from '../helpers/procedure.js';
import { ANONYMOUS, injectAs, type Caller } from '../helpers/http.js';

const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const FOREIGN = '360111';
const pool = testPool();
let app: App;
let admin: TestUser;
const u = {} as Record<
  | 'county' | 'resources' | 'government' | 'township' | 'neighbour' | 'city' | 'cityResources' | 'otherCity' | 'otherCityResources' | 'province'
  | 'provinceResources' | 'foreign' | 'foreignResources',
  TestUser
>;
/** Ids of the 360111 resources. */
const f = {} as Record<'upload' | 'candidate' | 'run' | 'applied' | 'publicized' | 'reserve' | 'holder' | 'objection' | 'submission' | 'audit' | 'draw' | 'issuance' | 'importJob' | 'exportJob' | 'own', string>;

async function clean() {
  await pool.query(`DELETE FROM public.import_job WHERE source_name = 'auth-test'`);
  await pool.query(`DELETE FROM public.export_job WHERE requested_by = 'auth-test'`).catch(() => {});
  await resetSeeded(pool);
}

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  u.county = await createTestUser(pool, 'county-forestry', '361123');
  u.township = await createTestUser(pool, 'township', '361123100');
  u.government = await createTestUser(pool, 'county-government', '361123');
  u.neighbour = await createTestUser(pool, 'county-forestry', '361102');
  u.city = await createTestUser(pool, 'city', '361100');
  u.otherCity = await createTestUser(pool, 'city', '360100');
  u.province = await createTestUser(pool, 'province-reviewer', '36');
  u.foreign = await createTestUser(pool, 'county-forestry', FOREIGN);
  // The natural-resources departments: the jurisdiction of the forestry role of the same level.
  u.resources = await createTestUser(pool, 'county-natural-resources', '361123');
  u.cityResources = await createTestUser(pool, 'city-natural-resources', '361100');
  u.otherCityResources = await createTestUser(pool, 'city-natural-resources', '360100');
  u.provinceResources = await createTestUser(pool, 'province-natural-resources', '36');
  u.foreignResources = await createTestUser(pool, 'county-natural-resources', FOREIGN);

  const { uploadId, parcelIds } = await seedCandidates(pool, FOREIGN, 2);
  f.upload = uploadId;
  f.candidate = parcelIds[1]!;
  f.run = (await pool.query(`INSERT INTO candidate.check_run (upload_id, parameters, layers, finished_at) VALUES ($1, '{}', '{}', now()) RETURNING id`, [uploadId])).rows[0].id;
  await pool.query(`INSERT INTO candidate.check_result (run_id, parcel_id, check_code, status, message) VALUES ($1, $2, 'area', 'pass', '面积')`, [f.run, f.candidate]);
  f.applied = (await seedReserve(pool, FOREIGN, 2022, ['1000.00'], 'applied'))[0]!;
  f.publicized = (await seedReserve(pool, FOREIGN, 2022, ['1000.00'], 'publicized'))[0]!;
  f.reserve = (await seedReserve(pool, FOREIGN, 2022, ['1000.00'], 'city-review'))[0]!;
  f.own = (await seedReserve(pool, '361102', 2022, ['1000.00'], 'applied'))[0]!;
  const q = (sql: string, params: unknown[]) => pool.query(sql, params).then((r) => r.rows[0]?.id as string);
  // A holder the county added (the removal route's target).
  f.holder = await q(
    `INSERT INTO procedure.rights_holder (parcel_id, county_code, kind, holder_code, name, source, document, added_by)
     VALUES ($1, $2, 'mining', 'C3600002010000000009', '某矿业公司', 'county', '{"title": "采矿许可证", "number": "C3600002010000000009"}', gen_random_uuid()) RETURNING id`,
    [f.publicized, FOREIGN],
  );
  f.objection = await q(`INSERT INTO procedure.objection (parcel_id, county_code, received_on, objector, content, recorded_by) VALUES ($1, $2, '2022-03-02', '某', '异议', gen_random_uuid()) RETURNING id`, [f.publicized, FOREIGN]);
  f.submission = await q(
    `INSERT INTO procedure.reserve_submission (county_code, reserve_year, submitted_on, due_on, late, parcel_count, area_m2, state, submitted_by)
     VALUES ($1, 2022, '2023-09-01', '2023-09-15', false, 1, 1000, 'city-review', gen_random_uuid()) RETURNING id`, [FOREIGN]);
  await pool.query('UPDATE procedure.parcel SET submission_id = $1 WHERE id = $2', [f.submission, f.reserve]);
  f.audit = await q(
    `INSERT INTO procedure.audit (submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2, sampled_m2, drawn_by)
     VALUES ($1, $2, 'city', 's', 'a', 30, '[]', 1000, 1000, gen_random_uuid()) RETURNING id`, [f.submission, FOREIGN]);
  await pool.query(`INSERT INTO procedure.audit_sample (audit_id, parcel_id, county_code, draw_order, area_m2) VALUES ($1, $2, $3, 1, 1000)`, [f.audit, f.reserve, FOREIGN]);
  f.draw = await q(
    `INSERT INTO quota.draw (county_code, quota_year, project_name, approval_no, approved_on, area_umu, area_input, drawn_by)
     VALUES ($1, 2023, '南昌项目', '赣林地审〔2023〕1号', '2023-01-01', 1000000, '{}', gen_random_uuid()) RETURNING id`, [FOREIGN]);
  f.issuance = await q(
    `INSERT INTO quota.issuance (county_code, reserve_year, quota_year, batch, reserve_umu, county_umu, pooled_umu, rule, issued_on, issued_by)
     VALUES ($1, 2022, 2023, 1, 0, 0, 0, '{}', '2023-03-01', gen_random_uuid()) RETURNING id`, [FOREIGN]);
  await pool.query(
    `INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, issuance_id, actor_login) VALUES ($1, 'county', 2023, 'issued', 5000000, $2, 'seed')`,
    [FOREIGN, f.issuance],
  );
  // The county's arrangement, for the owner's control request.
  await pool.query(
    `INSERT INTO quota.annual_arrangement (county_code, year, version, projects, supplementary, arranged_on, arranged_by)
     VALUES ($1, 2024, 1, '[]', '[{"name":"修复","kind":"restoration","townshipCode":null,"areaUmu":"1000000","parcelIds":[],"note":null}]', '2024-01-05', gen_random_uuid())`,
    [FOREIGN],
  );
  f.importJob = await q(
    `INSERT INTO public.import_job (layer, county_code, survey_year, source_name, content_sha256, state, finished_at)
     VALUES ('dltb', $1, 2019, 'auth-test', repeat('a', 64), 'refused', now()) RETURNING id`, [FOREIGN]);
  await pool.query(`INSERT INTO public.import_reject (import_id, fid, bsm, reasons) VALUES ($1, 1, 'X', '[]')`, [f.importJob]);
  f.exportJob = await q(
    `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels, state, requested_by)
     VALUES ($1, 2019, 'dltb', 'geojson', 4490, 'changed', 'failed', 'auth-test') RETURNING id`, [FOREIGN]);
});
afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

/** A digest of every table a route could change. */
const snapshot = () => tableSnapshot(pool);

interface Case {
  method: 'GET' | 'POST';
  url: string;
  payload?: object;
  multipart?: Record<string, string>;
  /** Who asks (default: the 361123 county forestry bureau). */
  as?: TestUser;
  /** A list the user may read: 200, and none of the foreign data in it. */
  list?: boolean;
  /** Refused by role to everyone but a province administrator (no county owner to compare with). */
  adminOnly?: boolean;
}

const ISO = '2024-01-10';
/** One request per route (key: METHOD + OpenAPI path) aimed at 360111's resources. */
const cases = (): Record<string, Case[]> => ({
  'GET /api/v1/health': [{ method: 'GET', url: '/api/v1/health', adminOnly: true }],
  'GET /api/v1/me': [{ method: 'GET', url: '/api/v1/me', list: true }],
  'POST /api/v1/imports': [{ method: 'POST', url: '/api/v1/imports', multipart: { layer: 'xzq', county: FOREIGN, year: '2019' } }],
  'GET /api/v1/imports': [{ method: 'GET', url: '/api/v1/imports', list: true }, { method: 'GET', url: `/api/v1/imports?county=${FOREIGN}` }],
  'GET /api/v1/imports/{id}': [{ method: 'GET', url: `/api/v1/imports/${f.importJob}` }],
  'GET /api/v1/imports/{id}/rejects': [{ method: 'GET', url: `/api/v1/imports/${f.importJob}/rejects` }],
  'GET /api/v1/imports/{id}/repairs': [{ method: 'GET', url: `/api/v1/imports/${f.importJob}/repairs` }],
  'GET /api/v1/imports/{id}/quality': [
    { method: 'GET', url: `/api/v1/imports/${f.importJob}/quality` },
    { method: 'GET', url: `/api/v1/imports/${f.importJob}/quality?format=geojson` },
    { method: 'GET', url: `/api/v1/imports/${f.importJob}/quality?format=xlsx` },
  ],
  'GET /api/v1/layers': [{ method: 'GET', url: '/api/v1/layers', list: true }, { method: 'GET', url: `/api/v1/layers?county=${FOREIGN}` }],
  'GET /api/v1/counties/{county}/dltb/{year}/land-classes': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/dltb/2019/land-classes` }],
  'POST /api/v1/candidate-uploads': [{ method: 'POST', url: '/api/v1/candidate-uploads', multipart: { county: FOREIGN } }],
  'GET /api/v1/candidate-uploads/{id}': [{ method: 'GET', url: `/api/v1/candidate-uploads/${f.upload}` }],
  'POST /api/v1/candidate-uploads/{id}/check-runs': [{ method: 'POST', url: `/api/v1/candidate-uploads/${f.upload}/check-runs`, payload: {} }],
  'GET /api/v1/candidate-uploads/{id}/check-runs': [{ method: 'GET', url: `/api/v1/candidate-uploads/${f.upload}/check-runs` }],
  'GET /api/v1/candidate-uploads/{id}/report': [
    { method: 'GET', url: `/api/v1/candidate-uploads/${f.upload}/report` },
    { method: 'GET', url: `/api/v1/candidate-uploads/${f.upload}/report?format=xlsx` },
  ],
  'GET /api/v1/candidate-parcels/{id}/report': [
    { method: 'GET', url: `/api/v1/candidate-parcels/${f.candidate}/report` },
    { method: 'GET', url: `/api/v1/candidate-parcels/${f.candidate}/report?format=xlsx` },
  ],
  'GET /api/v1/check-parameters': [{ method: 'GET', url: '/api/v1/check-parameters', list: true }],
  'GET /api/v1/check-parameters/versions': [{ method: 'GET', url: '/api/v1/check-parameters/versions', list: true }],
  'POST /api/v1/check-parameters/versions': [{ method: 'POST', url: '/api/v1/check-parameters/versions', payload: { parameters: DEFAULT_CHECK_PARAMETERS, reason: '越权发布检查参数' } }],
  'GET /api/v1/counties/{county}/restorable-mining-land/summary': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/restorable-mining-land/summary` }],
  'GET /api/v1/counties/{county}/restorable-mining-land': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/restorable-mining-land` }],
  'POST /api/v1/exports': [{ method: 'POST', url: '/api/v1/exports', payload: { county: FOREIGN, year: 2019, layer: 'dltb', format: 'geojson' } }],
  'GET /api/v1/exports/{id}': [{ method: 'GET', url: `/api/v1/exports/${f.exportJob}` }],
  'GET /api/v1/exports/{id}/file': [{ method: 'GET', url: `/api/v1/exports/${f.exportJob}/file` }],
  'POST /api/v1/procedures': [
    { method: 'POST', url: '/api/v1/procedures', payload: { candidateParcelId: f.candidate }, as: u.township },
    { method: 'POST', url: '/api/v1/procedures', payload: { candidateParcelId: f.candidate } },
  ],
  'GET /api/v1/procedures': [{ method: 'GET', url: '/api/v1/procedures', list: true }, { method: 'GET', url: `/api/v1/procedures?county=${FOREIGN}` }],
  'GET /api/v1/procedures/{id}': [{ method: 'GET', url: `/api/v1/procedures/${f.applied}` }, { method: 'GET', url: `/api/v1/procedures/${f.reserve}`, as: u.city }],
  'POST /api/v1/procedures/{id}/verify': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/verify`, payload: { override: { reason: '越权核实测试' } } }],
  'POST /api/v1/procedures/{id}/override-approvals': [
    { method: 'POST', url: `/api/v1/procedures/${f.applied}/override-approvals`, payload: { checks: ['ownership'], reason: '越权批准越过检查项测试', documents: [{ title: '纪要', number: '1号' }] } },
  ],
  'POST /api/v1/procedures/{id}/publicize': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/publicize`, payload: { naturalVillage: { name: '下坊自然村', from: '2022-03-01', to: '2022-03-10' }, villageCommittee: { name: '下坊村委会', from: '2022-03-01', to: '2022-03-10' } } }],
  'POST /api/v1/procedures/{id}/objections': [{ method: 'POST', url: `/api/v1/procedures/${f.publicized}/objections`, payload: { receivedOn: '2022-03-02', objector: 'x', content: 'y' } }],
  'POST /api/v1/procedures/{id}/objections/{objectionId}/decision': [
    { method: 'POST', url: `/api/v1/procedures/${f.publicized}/objections/${f.objection}/decision`, payload: { decision: 'upheld', reason: '越权' } },
  ],
  'POST /api/v1/procedures/{id}/rights-holders': [{ method: 'POST', url: `/api/v1/procedures/${f.publicized}/rights-holders`, payload: { kind: 'mining', code: 'C3600002010000000001', name: '越权矿业公司', document: { title: '采矿许可证', number: 'C3600002010000000001' } } }],
  'POST /api/v1/procedures/{id}/rights-holders/{holderId}/removal': [
    { method: 'POST', url: `/api/v1/procedures/${f.publicized}/rights-holders/${f.holder}/removal`, payload: { reason: '越权删除权利人测试' } },
  ],
  'POST /api/v1/procedures/{id}/consents': [
    { method: 'POST', url: `/api/v1/procedures/${f.publicized}/consents`, payload: { qsdwdm: '3601110000000000000', signatory: 'x', consentedOn: '2022-03-02', document: { title: '同意书' } } },
  ],
  'POST /api/v1/procedures/{id}/confirm': [{ method: 'POST', url: `/api/v1/procedures/${f.publicized}/confirm`, payload: { confirmedOn: '2022-03-20' } }],
  'POST /api/v1/procedures/{id}/afforest': [
    { method: 'POST', url: `/api/v1/procedures/${f.applied}/afforest`, payload: { forestClass: '0301', species: ['杉木'], plantedOn: '2022-04-01', areaM2: 10, restorer: { name: 'x', kind: '企业' } } },
  ],
  'POST /api/v1/procedures/{id}/accept': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/accept`, payload: { acceptedOn: '2023-10-20', measuredAreaM2: 10, survivalRatePct: 90 } }],
  'POST /api/v1/procedures/{id}/survey-change': [
    { method: 'POST', url: `/api/v1/procedures/${f.applied}/survey-change`, payload: { changeYear: 2023, checkRunId: f.run }, as: u.resources },
  ],
  'POST /api/v1/procedures/{id}/change': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/change`, payload: { changeYear: 2023, checkRunId: f.run } }],
  'POST /api/v1/procedures/{id}/reserve': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/reserve`, payload: { reserveYear: 2023 } }],
  'POST /api/v1/procedures/{id}/withdraw': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/withdraw`, payload: { reason: '越权撤回' } }],
  'POST /api/v1/procedures/{id}/reject': [{ method: 'POST', url: `/api/v1/procedures/${f.applied}/reject`, payload: { reason: '越权否决' } }],
  'GET /api/v1/procedures/{id}/audit-log': [{ method: 'GET', url: `/api/v1/procedures/${f.applied}/audit-log` }],
  'GET /api/v1/counties/{county}/reserve': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/reserve` }],
  'POST /api/v1/counties/{county}/reserve-submissions': [{ method: 'POST', url: `/api/v1/counties/${FOREIGN}/reserve-submissions`, payload: { reserveYear: 2022 } }],
  'GET /api/v1/reserve-submissions': [{ method: 'GET', url: '/api/v1/reserve-submissions', list: true }, { method: 'GET', url: `/api/v1/reserve-submissions?county=${FOREIGN}` }],
  'GET /api/v1/reserve-submissions/{id}': [{ method: 'GET', url: `/api/v1/reserve-submissions/${f.submission}` }],
  'POST /api/v1/reserve-submissions/{id}/approve': [
    { method: 'POST', url: `/api/v1/reserve-submissions/${f.submission}/approve`, payload: { approvedOn: '2023-09-10' }, as: u.government },
    { method: 'POST', url: `/api/v1/reserve-submissions/${f.submission}/approve`, payload: { approvedOn: '2023-09-10' } },
  ],
  'POST /api/v1/reserve-submissions/{id}/audits': [
    { method: 'POST', url: `/api/v1/reserve-submissions/${f.submission}/audits`, payload: { level: 'city' }, as: u.city },
    { method: 'POST', url: `/api/v1/reserve-submissions/${f.submission}/audits`, payload: { level: 'city' } },
  ],
  'GET /api/v1/audits/{id}': [{ method: 'GET', url: `/api/v1/audits/${f.audit}` }, { method: 'GET', url: `/api/v1/audits/${f.audit}`, as: u.city }],
  'POST /api/v1/audits/{id}/results': [{ method: 'POST', url: `/api/v1/audits/${f.audit}/results`, payload: { parcelId: f.reserve, result: 'fail', reason: '越权' }, as: u.city }],
  'POST /api/v1/audits/{id}/complete': [
    { method: 'POST', url: `/api/v1/audits/${f.audit}/complete`, payload: { participants: { forestry: [{ name: '越权' }], naturalResources: [{ name: '越权' }] } }, as: u.city },
  ],
  'POST /api/v1/quota/national-allocations': [{ method: 'POST', url: '/api/v1/quota/national-allocations', payload: { quotaYear: 2023, documentNo: '越权', documentDate: '2023-02-01' } }],
  'GET /api/v1/quota/national-allocations': [{ method: 'GET', url: '/api/v1/quota/national-allocations', list: true }],
  'POST /api/v1/quota/issuances': [{ method: 'POST', url: '/api/v1/quota/issuances', payload: { reserveYear: 2022, county: FOREIGN, issuedOn: '2023-03-01' } }],
  'GET /api/v1/quota/issuances': [{ method: 'GET', url: '/api/v1/quota/issuances', list: true }],
  'GET /api/v1/quota/issuances/{id}': [{ method: 'GET', url: `/api/v1/quota/issuances/${f.issuance}` }],
  'GET /api/v1/counties/{county}/quota': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/quota` }],
  'POST /api/v1/counties/{county}/quota/draws': [
    { method: 'POST', url: `/api/v1/counties/${FOREIGN}/quota/draws`, payload: { projectName: 'x', approvalNo: 'y', approvedOn: '2023-05-01', area: { unit: 'mu', value: 1 } } },
  ],
  'GET /api/v1/counties/{county}/quota/draws': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/quota/draws` }],
  'POST /api/v1/quota/draws/{id}/use': [{ method: 'POST', url: `/api/v1/quota/draws/${f.draw}/use`, payload: { useStartedOn: '2023-06-01' } }],
  'GET /api/v1/quota/idle-uses': [{ method: 'GET', url: `/api/v1/quota/idle-uses?asOf=${ISO}`, list: true }, { method: 'GET', url: `/api/v1/quota/idle-uses?county=${FOREIGN}` }],
  'POST /api/v1/quota/inspections': [{ method: 'POST', url: '/api/v1/quota/inspections', payload: { parcelId: f.reserve, year: 2023, inspectedOn: '2023-11-01', outcome: 'lost', findings: '越权' } }],
  'GET /api/v1/quota/inspections': [{ method: 'GET', url: '/api/v1/quota/inspections', list: true }, { method: 'GET', url: `/api/v1/quota/inspections?county=${FOREIGN}` }],
  'POST /api/v1/quota/pool/requests': [{ method: 'POST', url: '/api/v1/quota/pool/requests', payload: { county: FOREIGN, quotaYear: 2023, area: { unit: 'mu', value: 1 }, purpose: 'x' } }],
  'POST /api/v1/quota/pool/allocations': [{ method: 'POST', url: '/api/v1/quota/pool/allocations', payload: { quotaYear: 2023 } }],
  'GET /api/v1/quota/pool': [{ method: 'GET', url: '/api/v1/quota/pool', list: true }],
  'POST /api/v1/quota/lapse': [{ method: 'POST', url: '/api/v1/quota/lapse', payload: {} }],
  'GET /api/v1/counties/{county}/ledger': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/ledger?format=xlsx` }],
  'GET /api/v1/ledger/province': [{ method: 'GET', url: '/api/v1/ledger/province', list: true }],
  'GET /api/v1/ledger/province/map': [{ method: 'GET', url: '/api/v1/ledger/province/map', list: true }],
  'GET /api/v1/counties/{county}/annual-summary/{year}': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/annual-summary/2023` }],
  'POST /api/v1/counties/{county}/annual-summary/{year}/submit': [{ method: 'POST', url: `/api/v1/counties/${FOREIGN}/annual-summary/2023/submit`, payload: { submittedOn: ISO } }],
  'GET /api/v1/counties/{county}/forest-stock': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/forest-stock` }],
  'POST /api/v1/counties/{county}/annual-arrangements/{year}': [
    { method: 'POST', url: `/api/v1/counties/${FOREIGN}/annual-arrangements/2024`, payload: { projects: [{ name: '越权', area: { unit: 'mu', value: 1 } }], supplementary: [] } },
  ],
  'GET /api/v1/counties/{county}/annual-arrangements/{year}': [{ method: 'GET', url: `/api/v1/counties/${FOREIGN}/annual-arrangements/2024?format=xlsx` }],
  'GET /api/v1/cities/{city}/annual-report/{year}': [{ method: 'GET', url: '/api/v1/cities/360100/annual-report/2023', as: u.city }],
  'POST /api/v1/cities/{city}/annual-report/{year}/submit': [{ method: 'POST', url: '/api/v1/cities/360100/annual-report/2023/submit', payload: { submittedOn: ISO }, as: u.city }],
  // A city's evaluation report counts its own counties only.
  'GET /api/v1/evaluation-reports/{year}': [{ method: 'GET', url: '/api/v1/evaluation-reports/2023', as: u.city, list: true }],
  // OGC API: 360111's collections are neither listed nor served (404), whatever the resource.
  'GET /ogc': [{ method: 'GET', url: '/ogc', list: true }],
  'GET /ogc/conformance': [{ method: 'GET', url: '/ogc/conformance', list: true }],
  'GET /ogc/api': [{ method: 'GET', url: '/ogc/api', list: true }],
  'GET /ogc/collections': [{ method: 'GET', url: '/ogc/collections', list: true }],
  'GET /ogc/collections/{collectionId}': [{ method: 'GET', url: `/ogc/collections/candidates-${FOREIGN}` }],
  'GET /ogc/collections/{collectionId}/items': [
    { method: 'GET', url: `/ogc/collections/candidates-${FOREIGN}/items` },
    { method: 'GET', url: `/ogc/collections/procedure-${FOREIGN}/items` },
    { method: 'GET', url: `/ogc/collections/reserve-${FOREIGN}/items` },
  ],
  'GET /ogc/collections/{collectionId}/items/{featureId}': [{ method: 'GET', url: `/ogc/collections/procedure-${FOREIGN}/items/${f.applied}` }],
  'GET /ogc/collections/{collectionId}/tiles/WebMercatorQuad': [{ method: 'GET', url: `/ogc/collections/reserve-${FOREIGN}/tiles/WebMercatorQuad` }],
  'GET /ogc/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}': [{ method: 'GET', url: `/ogc/collections/candidates-${FOREIGN}/tiles/WebMercatorQuad/10/427/848` }],
  'GET /ogc/tileMatrixSets': [{ method: 'GET', url: '/ogc/tileMatrixSets', list: true }],
  'GET /ogc/tileMatrixSets/WebMercatorQuad': [{ method: 'GET', url: '/ogc/tileMatrixSets/WebMercatorQuad', list: true }],
  'GET /api/v1/audit-log': [
    { method: 'GET', url: '/api/v1/audit-log', list: true },
    { method: 'GET', url: `/api/v1/audit-log?county=${FOREIGN}` },
    { method: 'GET', url: `/api/v1/audit-log?parcelId=${f.applied}`, list: true },
  ],
});

/** A case as `who` (a user, or ANONYMOUS with the headers of an attempt: a bad token, a malformed header). */
function request(c: Case, who: Caller, headers: Record<string, string> = {}) {
  if (c.multipart) {
    const body = multipart(c.multipart, { path: join(FIX, 'xzq.shp.zip') });
    return injectAs(app, who, { method: c.method, url: c.url, payload: body.payload, headers: { ...body.headers, ...headers } });
  }
  return injectAs(app, who, { method: c.method, url: c.url, ...(c.payload ? { payload: c.payload } : {}), headers });
}

/** Every route of the API (and of the OGC API) as 'METHOD /path/{param}', from the OpenAPI document. */
async function apiRoutes(): Promise<string[]> {
  const doc = (await injectAs(app, admin, '/openapi.json')).json<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>();
  // Public routes (sign-in, sign-out: tests/integration/sessions.test.ts) need no user, so no jurisdiction either.
  return Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/api/') || p === '/ogc' || p.startsWith('/ogc/'))
    .flatMap(([p, ops]) => Object.entries(ops).filter(([, op]) => !(Array.isArray(op.security) && op.security.length === 0)).map(([m]) => `${m.toUpperCase()} ${p}`))
    .sort();
}

describe('authentication', () => {
  it('refuses every /api route without a valid token (401 problem+json), and keeps /health and the docs public', async () => {
    const routes = await apiRoutes();
    expect(routes.length).toBeGreaterThan(50);
    const all = cases();
    for (const r of routes) {
      const c = all[r]?.[0];
      expect(c, `no case for ${r}`).toBeDefined();
      const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer zb_not-a-token' }, { authorization: 'Basic abc' }, { 'x-api-key': 'nope' }];
      for (const headers of attempts) {
        const res = await request(c!, ANONYMOUS, headers);
        expect({ r, status: res.statusCode }).toEqual({ r, status: 401 });
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(res.json().code).toMatch(/^(unauthenticated|token-invalid|authorization-malformed)$/);
      }
    }
    expect((await injectAs(app, ANONYMOUS, { url: '/health' })).statusCode).toBe(200);
    expect((await injectAs(app, ANONYMOUS, { url: '/openapi.json' })).statusCode).toBe(200);
    expect((await injectAs(app, ANONYMOUS, { url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('accepts a bearer token or an X-API-Key; a revoked or expired token or a disabled user is refused', async () => {
    const me = await injectAs(app, u.county, { url: '/api/v1/me' });
    expect(me.json()).toMatchObject({ role: 'county-forestry', adminCode: '361123', scopePrefix: '361123', township: null, roleLabel: '县级林业主管部门' });
    expect((await injectAs(app, ANONYMOUS, { url: '/api/v1/me', headers: { 'x-api-key': u.township.token } })).json()).toMatchObject({ scopePrefix: '361123', township: '361123100' });
    expect((await injectAs(app, u.city, { url: '/api/v1/me' })).json().scopePrefix).toBe('3611');
    // Each natural-resources department sees what the forestry role of its level sees.
    expect((await injectAs(app, u.resources, { url: '/api/v1/me' })).json()).toMatchObject({ scopePrefix: '361123', township: null, roleLabel: '县级自然资源主管部门' });
    expect((await injectAs(app, u.cityResources, { url: '/api/v1/me' })).json()).toMatchObject({ scopePrefix: '3611', roleLabel: '设区市自然资源主管部门' });
    expect((await injectAs(app, u.provinceResources, { url: '/api/v1/me' })).json()).toMatchObject({ scopePrefix: '36', roleLabel: '省级自然资源主管部门' });
    const t = await createTestUser(pool, 'county-forestry', '361123');
    await pool.query(`UPDATE auth.api_token SET revoked_at = now() WHERE user_id = $1`, [t.id]);
    expect((await injectAs(app, t, { url: '/api/v1/me' })).json().code).toBe('token-invalid');
    const e = await createTestUser(pool, 'county-forestry', '361123');
    await pool.query(`UPDATE auth.api_token SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [e.id]);
    expect((await injectAs(app, e, { url: '/api/v1/me' })).statusCode).toBe(401);
    const d = await createTestUser(pool, 'county-forestry', '361123');
    await pool.query(`UPDATE auth.app_user SET active = false WHERE id = $1`, [d.id]);
    expect((await injectAs(app, d, { url: '/api/v1/me' })).statusCode).toBe(401);
    // Only the SHA-256 of a token is stored.
    const { rows } = await pool.query(`SELECT token_sha256 FROM auth.api_token WHERE user_id = $1`, [u.county.id]);
    expect(rows[0].token_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].token_sha256).not.toContain(u.county.token);
  });
});

describe('jurisdiction on every route', () => {
  it('a 361123 user gets 403 or 404 for 360111’s resources through every route, sees none of them in lists, and nothing changes — forestry and natural-resources departments alike', async () => {
    const before = await snapshot();
    const all = cases();
    const routes = await apiRoutes();
    expect(Object.keys(all).sort()).toEqual(routes); // a case for every route, and no stale ones
    const foreignIds = [f.upload, f.candidate, f.run, f.applied, f.publicized, f.reserve, f.objection, f.submission, f.audit, f.draw, f.issuance, f.importJob, f.exportJob];
    // Every case as it is written, then with the natural-resources department of the same level in the forestry role's place.
    const asForestry = (c: Case) => c.as ?? u.county;
    const asResources = (c: Case) => (c.as === undefined || c.as === u.county ? u.resources : c.as === u.city ? u.cityResources : c.as === u.province ? u.provinceResources : c.as);
    for (const who of [asForestry, asResources]) {
      for (const [route, list] of Object.entries(all)) {
        for (const c of list) {
          const res = await request(c, who(c));
          if (c.list) {
            expect({ route, url: c.url, status: res.statusCode }, res.body).toEqual({ route, url: c.url, status: 200 });
            for (const id of foreignIds) expect(res.body.includes(id), `${c.url} shows ${id}`).toBe(false);
            expect(res.body.includes(FOREIGN), `${c.url} shows ${FOREIGN}`).toBe(false);
          } else {
            expect([403, 404], `${route} ${c.url} answered ${res.statusCode}: ${res.body}`).toContain(res.statusCode);
            expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
          }
        }
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('control: the same requests by 360111’s own users succeed, so it was the jurisdiction that refused them', async () => {
    const all = cases();
    let checked = 0;
    for (const [route, list] of Object.entries(all)) {
      for (const c of list) {
        if (c.method !== 'GET' || c.list || c.adminOnly) continue;
        for (const owner of c.as === u.city ? [u.otherCity, u.otherCityResources] : [u.foreign, u.foreignResources]) {
          const res = await request(c, owner);
          // 360111 has no survey layers and its export failed: those answers are about the data, not access.
          const code = /problem\+json/.test(String(res.headers['content-type'])) ? res.json().code : undefined;
          const dataAnswer = ['survey-layers-missing', 'layer-not-imported', 'export-not-ready'].includes(code);
          expect(res.statusCode === 200 || dataAnswer, `${route} ${c.url} as ${owner.role}: ${res.statusCode} ${res.body.slice(0, 200)}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    const w = await injectAs(app, u.foreign, { method: 'POST', url: `/api/v1/procedures/${f.applied}/withdraw`, payload: { reason: '对照：本县撤回' } });
    expect(w.statusCode, w.body).toBe(200);
    expect(w.json().state).toBe('withdrawn');
  });

  it('a city reads and audits its own counties only; the province sees all', async () => {
    expect((await injectAs(app, u.city, { url: `/api/v1/procedures/${f.own}` })).statusCode).toBe(200); // 361102, in 上饶
    expect((await injectAs(app, u.city, { url: `/api/v1/procedures/${f.applied}` })).statusCode).toBe(404); // 360111, 南昌
    expect((await injectAs(app, u.otherCity, { url: `/api/v1/procedures/${f.applied}` })).statusCode).toBe(200);
    expect((await injectAs(app, u.otherCity, { url: `/api/v1/reserve-submissions/${f.submission}` })).statusCode).toBe(200);
    expect((await injectAs(app, u.otherCity, { url: `/api/v1/procedures/${f.own}` })).statusCode).toBe(404);
    expect((await injectAs(app, u.cityResources, { url: `/api/v1/procedures/${f.own}` })).statusCode).toBe(200);
    expect((await injectAs(app, u.cityResources, { url: `/api/v1/procedures/${f.applied}` })).statusCode).toBe(404);
    expect((await injectAs(app, u.otherCityResources, { url: `/api/v1/reserve-submissions/${f.submission}` })).statusCode).toBe(200);
    expect((await injectAs(app, u.resources, { url: `/api/v1/procedures/${f.own}` })).statusCode).toBe(404);
    const all = (await injectAs(app, u.province, { url: '/api/v1/procedures' })).json().items.map((p: { countyCode: string }) => p.countyCode);
    expect(new Set(all)).toEqual(new Set(['360111', '361102']));
    const byResources = (await injectAs(app, u.provinceResources, { url: '/api/v1/procedures' })).json().items.map((p: { countyCode: string }) => p.countyCode);
    expect(new Set(byResources)).toEqual(new Set(['360111', '361102']));
    // A neighbouring county of the same city is as foreign as any other to a county user.
    expect((await injectAs(app, u.county, { url: `/api/v1/procedures/${f.own}` })).statusCode).toBe(404);
    expect((await injectAs(app, u.neighbour, { url: `/api/v1/procedures/${f.own}` })).statusCode).toBe(200);
    // A city may read but not act for the county: the role, not the jurisdiction, refuses it.
    const r = await injectAs(app, u.city, { method: 'POST', url: `/api/v1/procedures/${f.own}/verify`, payload: {} });
    expect({ status: r.statusCode, code: r.json().code }).toEqual({ status: 403, code: 'role-not-permitted' });
  });

  it('row-level security holds in the database itself: the request role sees only its scope, and nothing without one', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT set_config('role', 'zhanbu_app', true), set_config('zhanbu.scope_prefix', '361123', true)`);
      const visible = await client.query(`SELECT DISTINCT county_code FROM procedure.parcel`);
      expect(visible.rows).toEqual([]);
      await expect(client.query(`UPDATE procedure.parcel SET state = 'rejected' WHERE id = $1 RETURNING id`, [f.applied])).resolves.toMatchObject({ rowCount: 0 });
      await expect(
        client.query(`INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, issuance_id, actor_login) VALUES ('360111', 'county', 2023, 'issued', 1, $1, 'x')`, [f.issuance]),
      ).rejects.toThrow(/row-level security/);
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      await client.query(`SELECT set_config('role', 'zhanbu_app', true)`); // no scope at all: fail closed
      expect((await client.query(`SELECT count(*)::int AS n FROM procedure.parcel`)).rows[0].n).toBe(0);
      expect((await client.query(`SELECT count(*)::int AS n FROM candidate.upload`)).rows[0].n).toBe(0);
      await expect(client.query(`SELECT * FROM auth.api_token`)).rejects.toThrow(/permission denied/);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });
});
