/**
 * The procedure end to end on the sample county 361123 (real survey layers, real checks): parcels
 * restored from 0602 to forest are walked from the township's application to the provincial
 * reserve by the right people, then turned into quota; every guard is tripped at least once.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { drawAreaSample } from '../../src/domain/audit/sampling.js';
import { m2ToMicroMu, parseDecimal } from '../../src/domain/units.js';
import { UUID_PATTERN } from '../../src/http/schemas.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, deleteTestUsers, type TestUser, testAdmin } from '../helpers/auth.js';
import { COUNTY, deleteCandidates, importSurveyLayers, surveyPolygons, type SurveyPolygon } from '../helpers/candidates.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { guardFailed, recordNationalAllocation, resetProcedure, uploadAs } from '../helpers/procedure.js';
import { expectProblem, ok, requestsTo } from '../helpers/http.js';

const pool = testPool();
let app: App;
let admin: TestUser;
let restored: SurveyPolygon[];
let stillMining: SurveyPolygon[];
const u = {} as Record<
  'township' | 'forestry' | 'resources' | 'government' | 'city' | 'cityResources' | 'reviewer' | 'admin' | 'provinceResources' | 'otherTownship',
  TestUser
>;
/** Who of each department took part in a joint act ("林业、自然资源等部门"). */
const JOINT = {
  forestry: [{ name: '张林', unit: '玉山县林业局', title: '股长' }],
  naturalResources: [{ name: '李资', unit: '玉山县自然资源局', title: '科员' }],
  others: [{ name: '王镇', unit: '乡镇人民政府' }],
};
const CITY_TEAM = { forestry: [{ name: '赵核', unit: '上饶市林业局' }], naturalResources: [{ name: '钱查', unit: '上饶市自然资源局' }] };
const PROVINCE_TEAM = { forestry: [{ name: '孙审', unit: '江西省林业局' }], naturalResources: [{ name: '周核', unit: '江西省自然资源厅' }] };
/** The joint acceptance of a tree planting: both departments, measured area, survival ≥ 85 %, the acceptance document. */
const acceptance = (areaM2: number, acceptedOn = '2023-10-20') => ({
  acceptedOn,
  participants: JOINT,
  measuredAreaM2: Math.floor(areaM2 * 100) / 100,
  survivalRatePct: 91.5,
  documents: [{ title: '补充林地联合验收意见书', number: '玉林验〔2023〕5号' }],
});

async function clean() {
  await resetProcedure(pool);
  await deleteCandidates(pool);
  await resetCounty(pool, COUNTY);
  await deleteTestUsers(pool);
}

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  await importSurveyLayers(app, admin);
  restored = await surveyPolygons(pool, '0602', '03%', 4);
  stillMining = await surveyPolygons(pool, '0602', '0602', 6);
  expect(restored.length).toBeGreaterThanOrEqual(3);
  expect(stillMining.length).toBeGreaterThanOrEqual(4);
  const township = restored[0]!.township;
  u.township = await createTestUser(pool, 'township', township);
  u.forestry = await createTestUser(pool, 'county-forestry', COUNTY);
  u.resources = await createTestUser(pool, 'county-natural-resources', COUNTY);
  u.government = await createTestUser(pool, 'county-government', COUNTY);
  u.city = await createTestUser(pool, 'city', '361100');
  u.cityResources = await createTestUser(pool, 'city-natural-resources', '361100');
  u.reviewer = await createTestUser(pool, 'province-reviewer', '36');
  u.admin = await createTestUser(pool, 'province-admin', '36');
  u.provinceResources = await createTestUser(pool, 'province-natural-resources', '36');
  const other = [...restored, ...stillMining].map((p) => p.township).find((t) => t !== township) ?? `${COUNTY}999`;
  u.otherTownship = await createTestUser(pool, 'township', other);
});
afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

const { get, post } = requestsTo(() => app);
let overriddenParcel: { id: string; parcelNo: string } | undefined;
/** A township of the county other than `township`, from the administrative-division layer. */
const otherTownshipThan = async (township: string) =>
  (await pool.query(`SELECT xzqdm FROM survey.xzq WHERE county_code = $1 AND level = 'township' AND xzqdm <> $2 ORDER BY xzqdm LIMIT 1`, [COUNTY, township])).rows[0].xzqdm as string;
/** 公示 "在地块所在自然村、村委会所在地": both places, each with its period. */
const BOTH_PLACES = {
  naturalVillage: { name: '下坊自然村', from: '2022-03-01', to: '2022-03-10' },
  villageCommittee: { name: '下坊村委会', from: '2022-03-01', to: '2022-03-10' },
};
const transitionCount = async (id: string) => (await pool.query('SELECT count(*)::int AS n FROM procedure.transition WHERE parcel_id = $1', [id])).rows[0].n as number;

/** Uploads parcels as the township of the first one, with the application-time checks (survey of 2019). */
async function upload(parcels: SurveyPolygon[], prefix: string) {
  const township = parcels[0]!.township;
  const user = township === u.township.adminCode ? u.township : await createTestUser(pool, 'township', township);
  const view = await uploadAs(
    app,
    user,
    parcels.map((p, i) => ({ geometry: p.geometry, properties: { DKBH: `${prefix}-${i + 1}`, XZDM: p.township, SQDW: '乡镇人民政府' } })),
    { county: COUNTY, township, runChecks: false },
  );
  const run = await post(u.forestry, `/api/v1/candidate-uploads/${view.id}/check-runs`, { latestYear: 2019 });
  expect(run.statusCode, run.body).toBe(201);
  const detail = await ok(await get(u.forestry, `/api/v1/candidate-uploads/${view.id}`));
  return { upload: view, user, parcels: detail.parcels as { id: string; parcelNo: string }[], report: run.json() };
}

/**
 * Walks one parcel from 申请 to 变更 as the right people within one year (2023), once the 2023 change
 * survey is imported: planted in April, accepted jointly in October, the land class changed in the
 * 2023 annual change survey (自然资源) and then in the one-map (林业) in January 2024.
 */
async function walkToChanged(township: TestUser, candidateParcelId: string, rightsHolders?: (h: { qsdwdm: string; qsdwmc: string }) => object) {
  const p = await ok(await post(township, '/api/v1/procedures', { candidateParcelId, appliedOn: '2023-02-10', notes: '申请补充林地' }), 201);
  let v = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { verifiedOn: '2023-02-20', participants: JOINT }));
  expect(v.state).toBe('verified');
  v = await ok(
    await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, {
      naturalVillage: { name: '下坊自然村', from: '2023-03-01', to: '2023-03-10' },
      villageCommittee: { name: '下坊村委会', from: '2023-03-01', to: '2023-03-10' },
    }),
  );
  for (const h of v.rightsHolders) {
    await ok(
      await post(u.forestry, `/api/v1/procedures/${p.id}/consents`, rightsHolders?.(h) ?? { qsdwdm: h.qsdwdm, signatory: `${h.qsdwmc}负责人`, consentedOn: '2023-03-05', document: { title: '权利人同意书', number: `同意〔2023〕${h.qsdwdm.slice(-3)}号` } }),
      201,
    );
  }
  await ok(await post(u.government, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2023-03-20', documents: [{ title: '县政府批复', number: '玉府字〔2023〕12号' }] }));
  await ok(
    await post(u.forestry, `/api/v1/procedures/${p.id}/afforest`, {
      forestClass: '0301',
      species: ['杉木', '木荷'],
      plantedOn: '2023-04-01',
      areaM2: v.areaOfRecord.m2,
      restorer: { name: '玉山县某矿业有限公司', kind: '企业' },
      participants: JOINT,
    }),
  );
  await ok(await post(u.resources, `/api/v1/procedures/${p.id}/accept`, acceptance(v.areaOfRecord.m2)));
  await ok(await post(u.resources, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2023, changedOn: '2024-01-15', documents: [{ title: '2023年度国土变更调查成果', number: '玉自然资〔2024〕2号' }] }));
  return ok(await post(u.forestry, `/api/v1/procedures/${p.id}/change`, { changedOn: '2024-01-20' }));
}

describe('a parcel walked from application to the provincial reserve, by the right people only', () => {
  let walked: { id: string; area: number }[] = [];
  let submissionId: string;

  it('walks three restored parcels 申请 → … → 验收 → 变更 → 入库 within one year of the 2023 change survey: 经县级林业、自然资源等部门联合验收合格的，县级自然资源主管部门在年度土地变更调查更新数据库中进行地类变更', async () => {
    const sameTownship = restored.filter((p) => p.township === restored[0]!.township).slice(0, 3);
    const parcels = sameTownship.length >= 3 ? sameTownship : restored.slice(0, 3);
    const { user, parcels: cands } = await upload(parcels, 'WALK');
    for (const c of cands) {
      const changed = await walkToChanged(user, c.id);
      expect(changed.state).toBe('changed');
      const reserved = await ok(await post(u.forestry, `/api/v1/procedures/${changed.id}/reserve`, { reserveYear: 2023, reservedOn: '2024-01-25' }));
      expect(reserved).toMatchObject({ state: 'county-reserve', stateLabel: '入库（县级储备库）', reserveYear: 2023 });
      walked.push({ id: reserved.id, area: reserved.areaOfRecord.m2 });
    }
    const d = await ok(await get(u.forestry, `/api/v1/procedures/${walked[0]!.id}`));
    expect(d.history.map((h: { action: string }) => h.action)).toEqual(['apply', 'verify', 'publicize', 'confirm', 'afforest', 'accept', 'survey-change', 'change', 'reserve']);
    expect(d.history.map((h: { actor: { role: string } }) => h.actor.role)).toEqual([
      'township', 'county-forestry', 'county-forestry', 'county-government', 'county-forestry', 'county-natural-resources', 'county-natural-resources', 'county-forestry', 'county-forestry',
    ]);
    // Within one year: applied February 2023, in the county reserve of 2023 in January 2024.
    expect(d.history.map((h: { effectiveOn: string }) => h.effectiveOn)).toEqual([
      '2023-02-10', '2023-02-20', '2023-03-01', '2023-03-20', '2023-04-01', '2023-10-20', '2024-01-15', '2024-01-20', '2024-01-25',
    ]);
    const verify = d.history[1];
    expect(verify.actor.login).toBe(u.forestry.login);
    expect(verify.effectiveOn).toBe('2023-02-20');
    // 核实, 造林, 验收: who of each department took part.
    for (const i of [1, 4, 5]) expect(d.history[i].evidence.participants).toEqual(JOINT);
    expect(verify.evidence.checkRunId).toMatch(new RegExp(UUID_PATTERN));
    expect(verify.evidence.checks.map((c: { code: string }) => c.code).sort()).toEqual(['area', 'geometry', 'jurisdiction', 'not-forest', 'overlap', 'ownership', 'source']);
    expect(verify.evidence.checks.every((c: { status: string }) => c.status !== 'fail')).toBe(true);
    expect(d.history[3].documents).toEqual([{ title: '县政府批复', number: '玉府字〔2023〕12号' }]);
    expect(d.history[3].evidence.consents.length).toBe(d.rightsHolders.length);
    // 验收 is the joint field acceptance, not a survey check; the land-class change is 变更's.
    expect(d.acceptance).toMatchObject({
      acceptedOn: '2023-10-20',
      participants: JOINT,
      measure: { kind: 'survival', pct: 91.5, thresholdPct: 85, source: expect.stringContaining('造林技术规程') },
      documents: [{ title: '补充林地联合验收意见书', number: '玉林验〔2023〕5号' }],
      recordedBy: { login: u.resources.login, role: 'county-natural-resources' },
    });
    expect(d.acceptance.measuredAreaM2).toBeLessThanOrEqual(d.areaOfRecord.m2);
    expect(d.history[5].evidence).not.toHaveProperty('landClassChange');
    expect(d.history[6].evidence).toMatchObject({ changeYear: 2023, forestDltbShare: expect.any(Number) });
    expect(d.history[6].evidence.forestDltbShare).toBeGreaterThan(0.99);
    expect(d.history[7].evidence.forestXiaobanShare).toBeGreaterThan(0.99);
    expect(d.history[7].evidence.checkRunId).toBe(d.history[6].evidence.checkRunId);
    expect(d).toMatchObject({ changeYear: 2023, surveyChangedOn: '2024-01-15', changedOn: '2024-01-20', acceptedOn: '2023-10-20', acceptanceRunId: null });
    expect(d.afforestation).toMatchObject({ forestClass: '0301', species: ['杉木', '木荷'], restorer: { name: '玉山县某矿业有限公司', kind: '企业' } });
    // The area of record is the area check's 椭球面积, exactly.
    const areaCheck = (await pool.query(
      `SELECT r.figures->'areaOfRecord'->>'m2' AS m2 FROM candidate.check_result r JOIN procedure.parcel p ON p.verification_run_id = r.run_id AND p.candidate_parcel_id = r.parcel_id
        WHERE p.id = $1 AND r.check_code = 'area'`, [walked[0]!.id])).rows[0].m2;
    expect(d.areaOfRecord.m2).toBe(Number(areaCheck));
    expect(d.availableActions).toEqual([]);
  });

  it('the county submits its 2023 reserve to the city on time (by 15 September 2024), 经县（市、区）政府审核后', async () => {
    expectProblem(await post(u.city, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023 }), 403, 'role-not-permitted');
    const s = await ok(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023, submittedOn: '2024-09-10' }), 201);
    expect(s).toMatchObject({ reserveYear: 2023, dueOn: '2024-09-15', late: false, parcels: 3, state: 'county-review', stateLabel: '已报送，待县级人民政府审核', approval: null });
    // Filed, not yet approved by the county government: its parcels are not with the city, wherever the state is read.
    const pending = { state: 'county-review', stateLabel: '已报送，待县级人民政府审核' };
    for (const w of walked) expect(await ok(await get(u.forestry, `/api/v1/procedures/${w.id}`))).toMatchObject({ ...pending, submissionId: s.id });
    expect((await ok(await get(u.forestry, `/api/v1/procedures?county=${COUNTY}&state=county-review`))).items.map((x: { id: string }) => x.id).sort()).toEqual(walked.map((w) => w.id).sort());
    const ledgerBefore = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/ledger`));
    for (const w of walked) expect(ledgerBefore.parcels.find((x: { id: string }) => x.id === w.id)).toMatchObject(pending);
    const approved = await ok(await post(u.government, `/api/v1/reserve-submissions/${s.id}/approve`, { approvedOn: '2024-09-15' }));
    expect(approved).toMatchObject({ state: 'city-review', stateLabel: '已报市级审核', late: false, approval: { approvedOn: '2024-09-15', approvedBy: u.government.id } });
    // Approved: now 已报市级审核, by the county government's act on the approval date.
    for (const w of walked) {
      const d = await ok(await get(u.forestry, `/api/v1/procedures/${w.id}`));
      expect(d).toMatchObject({ state: 'city-review', stateLabel: '已报市级审核' });
      expect(d.history.slice(-2).map((h: { action: string; actor: { role: string }; effectiveOn: string }) => [h.action, h.actor.role, h.effectiveOn])).toEqual([
        ['submit', 'county-forestry', '2024-09-10'],
        ['approve-submission', 'county-government', '2024-09-15'],
      ]);
    }
    const ledgerAfter = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/ledger`));
    for (const w of walked) expect(ledgerAfter.parcels.find((x: { id: string }) => x.id === w.id)).toMatchObject({ state: 'city-review', stateLabel: '已报市级审核' });
    const total = walked.reduce((sum, w) => sum + m2ToMicroMu(w.area.toFixed(2)), 0n);
    expect(m2ToMicroMu(s.area.m2.toFixed(2))).toBe(total);
    submissionId = s.id;
    expectProblem(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023, submittedOn: '2024-09-15' }), 409, 'reserve-already-submitted');
  });

  it('the city draws a reproducible sample covering ≥ 30 % of the area; a failed parcel leaves the reserve with the reason, and 核查无误后报省级: the rest goes back to the county, resubmitted and sampled afresh', async () => {
    expectProblem(await post(u.reviewer, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city' }), 403, 'role-not-permitted');
    expectProblem(await post(u.reviewer, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'province' }), 409, 'audit-not-due');
    // The seed is the server's: an auditor who could choose it could search offline for a convenient sample.
    for (const seed of ['shangrao-2024-yushan', '']) {
      expectProblem(await post(u.city, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city', seed }), 400, 'seed-not-accepted');
    }
    expect(expectProblem(await post(u.city, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city', sampleSize: 1 }), 400, 'unknown-property').detail).toContain('body.sampleSize');
    expect((await pool.query('SELECT count(*)::int AS n FROM procedure.audit WHERE submission_id = $1', [submissionId])).rows[0].n).toBe(0);
    const a = await ok(await post(u.city, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city' }), 201);
    expect(a.seed).toMatch(/^[0-9a-f]{32}$/); // 128 random bits, drawn and recorded by the server
    // Drawn once: no second draw (by either city department) in the hope of a more convenient sample.
    for (const who of [u.city, u.cityResources]) {
      expectProblem(await post(who, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city' }), 409, 'audit-exists');
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM procedure.audit WHERE submission_id = $1', [submissionId])).rows[0].n).toBe(1);
    expect((await pool.query('SELECT seed FROM procedure.audit WHERE id = $1', [a.id])).rows[0].seed).toBe(a.seed);
    expect((await ok(await get(u.reviewer, `/api/v1/audits/${a.id}`))).seed).toBe(a.seed);
    expect(a.sampledShare).toBeGreaterThanOrEqual(0.3);
    // Anyone can redraw it from the recorded seed and population.
    const redraw = drawAreaSample(
      a.population.map((p: { parcelId: string; areaM2: string }) => ({ id: p.parcelId, areaCentiM2: parseDecimal(p.areaM2, 2)! })),
      a.seed,
      30,
    );
    expect(a.samples.map((s: { parcelId: string }) => s.parcelId)).toEqual(redraw.sample.map((s) => s.id));
    expectProblem(await post(u.city, `/api/v1/audits/${a.id}/complete`, { participants: CITY_TEAM }), 422, 'guard-failed');
    const [first, ...rest] = a.samples as { parcelId: string }[];
    // The first sampled parcel fails (no reason: refused), the others pass.
    guardFailed(await post(u.city, `/api/v1/audits/${a.id}/results`, { parcelId: first!.parcelId, result: 'fail' }), 'reason-required');
    await ok(await post(u.city, `/api/v1/audits/${a.id}/results`, { parcelId: first!.parcelId, result: 'fail', reason: '现场林木成活率不足85%', inspectedOn: '2024-10-08' }));
    expectProblem(await post(u.city, `/api/v1/audits/${a.id}/results`, { parcelId: first!.parcelId, result: 'pass' }), 409, 'result-recorded');
    for (const s of rest) await ok(await post(u.city, `/api/v1/audits/${a.id}/results`, { parcelId: s.parcelId, result: 'pass', inspectedOn: '2024-10-08' }));
    const removed = await ok(await get(u.forestry, `/api/v1/procedures/${first!.parcelId}`));
    expect(removed).toMatchObject({ state: 'removed', endReason: '市级抽查不合格：现场林木成活率不足85%' });
    expect(removed.history.at(-1)).toMatchObject({ action: 'city-fail', actor: { role: 'city' } });
    // 市级林业、自然资源部门抽查……现场核查: both departments' inspectors are named, or the audit is not complete.
    guardFailed(await post(u.city, `/api/v1/audits/${a.id}/complete`, { participants: { forestry: CITY_TEAM.forestry, naturalResources: [] } }), 'participants-both-departments');
    // 核查无误后报省级: a sample with a failed parcel passes nothing; the submission goes back to the county.
    const done = await ok(await post(u.city, `/api/v1/audits/${a.id}/complete`, { participants: CITY_TEAM }));
    expect(done.participants).toEqual(CITY_TEAM);
    expect(done).toMatchObject({ moved: 0, returned: walked.length - 1, submission: { state: 'returned', returned: { reason: expect.stringContaining('现场林木成活率不足85%') } } });
    walked = walked.filter((w) => w.id !== first!.parcelId);
    for (const w of walked) expect((await ok(await get(u.forestry, `/api/v1/procedures/${w.id}`))).state).toBe('county-reserve');
    // Resubmitted (the failed parcel no longer in it), approved again, and sampled afresh: all pass.
    const again = await ok(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023, submittedOn: '2024-10-10' }), 201);
    expect(again).toMatchObject({ parcels: walked.length, state: 'county-review' });
    await ok(await post(u.government, `/api/v1/reserve-submissions/${again.id}/approve`, { approvedOn: '2024-10-11' }));
    submissionId = again.id;
    // The city's natural-resources department may conduct the city's check as well as its forestry bureau.
    const b = await ok(await post(u.cityResources, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city' }), 201);
    expect(b.seed).not.toBe(a.seed);
    for (const s of b.samples) await ok(await post(u.cityResources, `/api/v1/audits/${b.id}/results`, { parcelId: s.parcelId, result: 'pass', inspectedOn: '2024-10-20' }));
    const passed = await ok(await post(u.cityResources, `/api/v1/audits/${b.id}/complete`, { participants: CITY_TEAM }));
    expect(passed).toMatchObject({ moved: walked.length, returned: 0, submission: { state: 'province-review' }, participants: CITY_TEAM });
    const moved = await ok(await get(u.forestry, `/api/v1/procedures/${walked[0]!.id}`));
    expect(moved.history.at(-1)).toMatchObject({ action: 'city-pass', actor: { role: 'city-natural-resources' }, evidence: { participants: CITY_TEAM } });
  });

  it('the province draws ≥ 15 %, records results and completes: the parcels enter the provincial reserve', async () => {
    expectProblem(await post(u.city, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'province' }), 403, 'role-not-permitted');
    expectProblem(await post(u.cityResources, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'province' }), 403, 'role-not-permitted');
    const a = await ok(await post(u.reviewer, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'province' }), 201);
    expect(a.seed).toMatch(/^[0-9a-f]{32}$/); // generated, and recorded
    expect(a.sampledShare).toBeGreaterThanOrEqual(0.15);
    // 省级林业、自然资源部门抽查15%的面积进行现场核查: the province's natural-resources department records and completes it.
    for (const s of a.samples) await ok(await post(u.provinceResources, `/api/v1/audits/${a.id}/results`, { parcelId: s.parcelId, result: 'pass', inspectedOn: '2024-10-20' }));
    guardFailed(await post(u.provinceResources, `/api/v1/audits/${a.id}/complete`), 'participants-both-departments');
    const done = await ok(await post(u.provinceResources, `/api/v1/audits/${a.id}/complete`, { participants: PROVINCE_TEAM }));
    expect(done.submission.state).toBe('provincial-reserve');
    expect(done.participants).toEqual(PROVINCE_TEAM);
    for (const w of walked) {
      const d = await ok(await get(u.township, `/api/v1/procedures/${w.id}`));
      expect(d.state).toBe('provincial-reserve');
      expect(d.history.map((h: { action: string }) => h.action).slice(-4)).toEqual(['submit', 'approve-submission', 'city-pass', 'province-pass']);
    }
  });

  it('the province issues 2024 quota from the 2023 reserve: below 500 亩 the county receives all of it, traceable to the parcels', async () => {
    expectProblem(await post(u.reviewer, '/api/v1/quota/issuances', { reserveYear: 2023, issuedOn: '2024-10-25' }), 403, 'role-not-permitted');
    // 国家下达新增林地定额后 (001 §三(三)3): the province first records the state's allocation for 2024.
    await recordNationalAllocation(app, u.admin, 2024);
    const res = await ok(await post(u.admin, '/api/v1/quota/issuances', { reserveYear: 2023, issuedOn: '2024-10-25' }), 201);
    expect(res.items).toHaveLength(1);
    const i = res.items[0];
    const exact = walked.reduce((s, w) => s + m2ToMicroMu(w.area.toFixed(2)), 0n);
    expect(i).toMatchObject({ countyCode: COUNTY, reserveYear: 2023, quotaYear: 2024, batch: 1, parcels: walked.length });
    expect(i.reserve.muExact).toBe(i.toCounty.muExact);
    expect(BigInt(i.rule.cumulativeReserveMicroMu)).toBe(exact);
    expect(i.toPool.muExact).toBe('0.000000');
    const detail = await ok(await get(u.forestry, `/api/v1/quota/issuances/${i.id}`));
    expect(detail.parcelItems.map((p: { parcelId: string }) => p.parcelId).sort()).toEqual(walked.map((w) => w.id).sort());
    // The issuance lists each parcel with its state and the override 核实 used (none on these).
    for (const p of detail.parcelItems) expect(p).toMatchObject({ state: 'provincial-reserve', stateLabel: '省级储备库', verificationOverride: null });
    const q = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/quota`));
    expect(q.years).toEqual([expect.objectContaining({ quotaYear: 2024, reserveYear: 2023 })]);
    expect(q.years[0].county.issued.muExact).toBe(i.toCounty.muExact);
    expect(q.years[0].county.balance.muExact).toBe(i.toCounty.muExact);
    // Issuing again finds nothing new.
    expect((await ok(await post(u.admin, '/api/v1/quota/issuances', { reserveYear: 2023, issuedOn: '2024-10-26' }))).items).toEqual([]);
  });

  it('the annual summary lists the returned submission with its reason and the parcel that failed (核查无误后报省级), and the one approved after it', async () => {
    const a = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/annual-summary/2024`));
    const subs = a.reserve.submissions as { state: string; stateLabel: string; approvedOn: string | null; returned: { reason: string } | null; failedParcels: Record<string, unknown>[]; parcels: number }[];
    expect(subs.map((s) => s.state)).toEqual(['returned', 'provincial-reserve']);
    const [back, again] = subs;
    expect(back).toMatchObject({ stateLabel: '抽查有不合格地块，已退回县级', approvedOn: '2024-09-15', parcels: 3, returned: { reason: expect.stringContaining('现场林木成活率不足85%') } });
    expect(back!.failedParcels).toEqual([
      expect.objectContaining({ level: 'city', levelLabel: '市级抽查', reason: '现场林木成活率不足85%', inspectedOn: '2024-10-08', verificationOverride: null }),
    ]);
    expect(again).toMatchObject({ approvedOn: '2024-10-11', returned: null, failedParcels: [], parcels: 2 });
    const csv = await get(u.forestry, `/api/v1/counties/${COUNTY}/annual-summary/2024?format=csv`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body).toContain('抽查有不合格地块，已退回县级');
    expect(csv.body).toMatch(/抽查不合格地块.*（市级抽查，已出库）.*现场林木成活率不足85%/);
    // The year's acts in words, the county government's approvals among them.
    expect(a.procedure.actions).toContainEqual(expect.objectContaining({ action: 'approve-submission', actionLabel: '县级人民政府审核通过，报市级审核', parcels: 3 }));
    expect(csv.body).toContain('本年办理：县级人民政府审核通过，报市级审核');
    // The evaluation report names each audited submission's state in words: the returned one too.
    const e = await ok(await get(u.admin, '/api/v1/evaluation-reports/2024'));
    const audits = e.counties.find((c: { countyCode: string }) => c.countyCode === COUNTY).audits as { level: string; submissionStateLabel: string; failed: number }[];
    expect(audits).toContainEqual(expect.objectContaining({ level: 'city', failed: 1, submissionStateLabel: '抽查有不合格地块，已退回县级' }));
  });

  it('every step is in the append-only audit log, with the actor', async () => {
    const log = await ok(await get(u.forestry, `/api/v1/procedures/${walked[0]!.id}/audit-log`));
    const transitions = log.items.filter((e: { table: string }) => e.table === 'procedure.transition');
    expect(transitions.map((e: { data: { action: string } }) => e.data.action)).toEqual([
      'apply', 'verify', 'publicize', 'confirm', 'afforest', 'accept', 'survey-change', 'change', 'reserve',
      'submit', 'approve-submission', 'city-return', 'submit', 'approve-submission', 'city-pass', 'province-pass',
    ]); // returned once (a sampled parcel failed), submitted and approved again
    expect(transitions[0].actor).toMatchObject({ login: expect.stringMatching(/^test-u-township/), role: 'township' });
    expect(log.items.some((e: { table: string; operation: string }) => e.table === 'procedure.parcel' && e.operation === 'UPDATE')).toBe(true);
    expect(log.items.some((e: { table: string }) => e.table === 'procedure.consent')).toBe(true);
    expect(log.items.some((e: { table: string }) => e.table === 'quota.issuance_parcel')).toBe(true);
    await expect(pool.query('UPDATE audit.event SET actor_login = $1', ['someone-else'])).rejects.toThrow(/append-only/);
    await expect(pool.query('DELETE FROM audit.event')).rejects.toThrow(/append-only/);
    await expect(pool.query(`UPDATE procedure.transition SET notes = 'changed'`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM quota.entry`)).rejects.toThrow(/append-only/);
  });
});

describe('guards: each illegal step is refused with the guard that failed, and nothing changes', () => {
  it('核实 needs the checks a–g run and passed; a reason alone no longer overrides a failed check', async () => {
    const { parcels: cands, user } = await upload([stillMining[0]!], 'G-VERIFY');
    const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: cands[0]!.id }), 201);
    expectProblem(await post(user, '/api/v1/procedures', { candidateParcelId: cands[0]!.id }), 409, 'already-in-procedure');
    expectProblem(await post(user, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }), 403, 'role-not-permitted');
    expectProblem(await post(u.government, `/api/v1/procedures/${p.id}/confirm`), 409, 'transition-not-allowed');
    // A forest parcel (not mining land, already forest): 来源可靠 and 非现状林地 fail.
    const forest = (await surveyPolygons(pool, '03%', '03%', 1))[0]!;
    const { parcels: fc, user: fu } = await upload([forest], 'G-SOURCE');
    const q = await ok(await post(fu, '/api/v1/procedures', { candidateParcelId: fc[0]!.id }), 201);
    const before = await transitionCount(q.id);
    const refused = guardFailed(await post(u.forestry, `/api/v1/procedures/${q.id}/verify`, { override: { reason: '县级林业主管部门认为可以补充' }, participants: JOINT }), 'source-not-overridable', 'checks-passed');
    expect(refused.detail).toMatch(/第三次全国国土调查及年度国土变更调查中确定的采矿用地/);
    expect(refused.detail).toMatch(/非现状林地.*须由县级人民政府批准/);
    expect(await transitionCount(q.id)).toBe(before);
  });

  it('“确保……来源可靠”: a source failure (not mining land) is never overridable, not even with the county government\'s approval', async () => {
    const forest = (await surveyPolygons(pool, '03%', '03%', 2))[1]!;
    const { parcels: fc, user: fu } = await upload([forest], 'G-SOURCE2');
    const q = await ok(await post(fu, '/api/v1/procedures', { candidateParcelId: fc[0]!.id }), 201);
    const approval = { reason: '经县政府组织内外业核实，该地块曾为采矿用地', documents: [{ title: '县政府专题会议纪要', number: '玉府阅〔2022〕3号' }] };
    // The county government cannot approve it (nor can anyone else: the route is the county government's alone).
    guardFailed(await post(u.government, `/api/v1/procedures/${q.id}/override-approvals`, { ...approval, checks: ['source', 'not-forest'] }), 'source-not-overridable');
    expectProblem(await post(u.forestry, `/api/v1/procedures/${q.id}/override-approvals`, { ...approval, checks: ['not-forest'] }), 403, 'role-not-permitted');
    expectProblem(await post(u.reviewer, `/api/v1/procedures/${q.id}/override-approvals`, { ...approval, checks: ['not-forest'] }), 403, 'role-not-permitted');
    // With an approval of the other failed check, 核实 still refuses on the source.
    await ok(await post(u.government, `/api/v1/procedures/${q.id}/override-approvals`, { ...approval, checks: ['not-forest'] }), 201);
    guardFailed(await post(u.forestry, `/api/v1/procedures/${q.id}/verify`, { participants: JOINT }), 'source-not-overridable');
    expect((await ok(await get(u.forestry, `/api/v1/procedures/${q.id}`))).state).toBe('applied');
  });

  it('重复申报 (double counting) is never overridable: a parcel already in the reserve applied for again is refused', async () => {
    const { parcels: rc, user: ru } = await upload([restored[0]!], 'G-DOUBLE');
    const q = await ok(await post(ru, '/api/v1/procedures', { candidateParcelId: rc[0]!.id }), 201);
    const before = await transitionCount(q.id);
    const f = guardFailed(await post(u.forestry, `/api/v1/procedures/${q.id}/verify`, { override: { reason: '同一地块的补充材料，按原地块核实' }, participants: JOINT }), 'overlap-not-overridable');
    expect(f.detail).toMatch(/重复申报检查不通过的地块不得核实通过/);
    guardFailed(
      await post(u.government, `/api/v1/procedures/${q.id}/override-approvals`, { checks: ['overlap'], reason: '同一地块的补充材料，按原地块核实', documents: [{ title: '说明', number: '1号' }] }),
      'overlap-not-overridable',
    );
    expect(await transitionCount(q.id)).toBe(before);
  });

  it('核实 without any check run is refused (checks-run)', async () => {
    const view = await uploadAs(app, u.forestry, [{ geometry: stillMining[1]!.geometry, properties: { DKBH: 'G-NORUN', XZDM: stillMining[1]!.township } }], {
      county: COUNTY,
      runChecks: false,
    });
    const cands = (await ok(await get(u.forestry, `/api/v1/candidate-uploads/${view.id}`))).parcels;
    const t = await createTestUser(pool, 'township', stillMining[1]!.township);
    const p = await ok(await post(t, '/api/v1/procedures', { candidateParcelId: cands[0].id }), 201);
    guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }), 'checks-run');
    // The township may withdraw its own application before verification, with a reason.
    guardFailed(await post(t, `/api/v1/procedures/${p.id}/withdraw`, { reason: '' }), 'reason-required');
    expect((await ok(await post(t, `/api/v1/procedures/${p.id}/withdraw`, { reason: '申请有误' }))).state).toBe('withdrawn');
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }), 409, 'transition-not-allowed');
  });

  it('公示 records its period; an upheld objection stops the parcel; 确认 needs the period over, objections decided, every consent', async () => {
    const { parcels: cands, user } = await upload([stillMining[2]!], 'G-PUBLIC');
    const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: cands[0]!.id }), 201);
    // 由县级人民政府牵头，组织林业、自然资源等部门……核实: one department alone is refused.
    guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: { forestry: JOINT.forestry, naturalResources: [] } }), 'participants-both-departments');
    await ok(await post(u.resources, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }));
    guardFailed(
      await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, { villageCommittee: { name: '村委会', from: '2022-03-10', to: '2022-03-01' } }),
      'publicity-place',
      'publicity-period-valid',
    );
    // A property the route does not know, even inside a document, is refused by name and nothing is recorded.
    const before = await transitionCount(p.id);
    const typo = expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, { ...BOTH_PLACES, documents: [{ title: '公示照片', numbr: '1' }] }), 400, 'unknown-property');
    expect(typo.detail).toContain('未知的字段：body.documents[0].numbr');
    expect(await transitionCount(p.id)).toBe(before);
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, BOTH_PLACES));
    const withObjection = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/objections`, { receivedOn: '2022-03-03', objector: '村民张某', content: '地块边界含其承包地' }), 201);
    const objectionId = withObjection.objections[0].id;
    // Period not over, objection open, consents missing: all three named.
    const f = guardFailed(await post(u.government, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2022-03-08' }), 'publicity-ended', 'objections-resolved', 'consents-complete');
    expect(f.detail).toMatch(/尚未登记同意：.+（\d{19}）/);
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2022-03-20' }), 403, 'role-not-permitted');
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/consents`, { qsdwdm: '3611230000000000000', signatory: 'x', consentedOn: '2022-03-05', document: { title: '同意书' } }), 422, 'guard-failed');
    await ok(await post(u.government, `/api/v1/procedures/${p.id}/objections/${objectionId}/decision`, { decision: 'upheld', reason: '经核查异议属实' }));
    const stopped = await ok(await get(u.forestry, `/api/v1/procedures/${p.id}`));
    expect(stopped).toMatchObject({ state: 'rejected', endReason: '公示异议成立：经核查异议属实' });
    expect(stopped.history.at(-1)).toMatchObject({ action: 'uphold-objection', to: 'rejected', actor: { role: 'county-government' } });
    expectProblem(await post(u.government, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2022-03-20' }), 409, 'transition-not-allowed');
  });

  it('造林 and 验收 guards; 验收 is the joint field acceptance and does not wait for the survey; a parcel the 2023 change survey still shows as mining land waits at 变更, naming the layer', async () => {
    const { parcels: cands, user } = await upload([stillMining[3]!], 'G-ACCEPT');
    const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: cands[0]!.id }), 201);
    const v = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }));
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, BOTH_PLACES));
    for (const h of v.rightsHolders) {
      await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/consents`, { qsdwdm: h.qsdwdm, signatory: '负责人', consentedOn: '2022-03-05', document: { title: '同意书' } }), 201);
    }
    await ok(await post(u.government, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2022-03-20' }));
    const bad = guardFailed(
      await post(u.forestry, `/api/v1/procedures/${p.id}/afforest`, { forestClass: '0602', species: [], plantedOn: '2022-03-01', areaM2: v.areaOfRecord.m2 + 10, restorer: { name: ' ', kind: '企业' } }),
      'forest-class-valid', 'species-recorded', 'afforestation-date-valid', 'afforested-area-valid', 'restorer-recorded', 'participants-both-departments',
    );
    expect(bad.detail).toMatch(/不能办理“造林”/);
    const planted = { forestClass: '0305', species: ['胡枝子'], plantedOn: '2022-04-01', areaM2: v.areaOfRecord.m2, restorer: { name: '县自然资源局', kind: '政府' }, participants: JOINT };
    // 由县级林业、自然资源等部门牵头……实施生态修复: the natural-resources department may record it.
    await ok(await post(u.resources, `/api/v1/procedures/${p.id}/afforest`, planted));
    const before = await transitionCount(p.id);
    // 验收 no longer takes a change-survey year: told where it went, not silently ignored.
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/accept`, { changeYear: 2023, acceptedOn: '2024-01-10' }), 400, 'request-invalid');
    // One department alone, a survival rate where shrubland is judged by its cover, no document: each named.
    guardFailed(
      await post(u.forestry, `/api/v1/procedures/${p.id}/accept`, { acceptedOn: '2022-10-10', participants: { forestry: JOINT.forestry, naturalResources: [] }, measuredAreaM2: 1, survivalRatePct: 95 }),
      'participants-both-departments', 'coverage-recorded', 'acceptance-documents',
    );
    const low = guardFailed(
      await post(u.forestry, `/api/v1/procedures/${p.id}/accept`, { ...acceptance(v.areaOfRecord.m2, '2022-10-10'), survivalRatePct: undefined, coveragePct: 32 }),
      'coverage-below-standard',
    );
    expect(low.detail).toMatch(/灌木覆盖度32%低于40%/);
    expectProblem(await post(u.township, `/api/v1/procedures/${p.id}/accept`, acceptance(v.areaOfRecord.m2, '2022-10-10')), 403, 'role-not-permitted');
    expect(await transitionCount(p.id)).toBe(before);
    // Accepted although the 2023 survey still shows mining land: the survey changes because it was accepted.
    const accepted = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/accept`, { ...acceptance(v.areaOfRecord.m2, '2022-10-10'), survivalRatePct: undefined, coveragePct: 55 }));
    expect(accepted).toMatchObject({ state: 'accepted', acceptance: { measure: { kind: 'coverage', pct: 55, thresholdPct: 40 } } });
    expect(accepted.availableActions).toEqual([{ action: 'withdraw', label: '撤回' }, { action: 'reject', label: '否决' }]);
    // 变更 is the natural-resources department's (the annual change survey), then forestry's (the one-map).
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2023 }), 403, 'role-not-permitted');
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/change`, { changeYear: 2023 }), 409, 'transition-not-allowed');
    const waits = guardFailed(await post(u.resources, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2023, changedOn: '2024-01-15' }), 'change-in-dltb');
    expect(waits.detail).toMatch(/2023年地类图斑中仅.*为林地.*年度变更调查尚未变更地类/);
    expectProblem(await post(u.resources, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2021 }), 422, 'change-year-not-imported');
    expect((await ok(await get(u.forestry, `/api/v1/procedures/${p.id}`))).state).toBe('accepted');
  });

  it('a failed 行政区划 check is overridden only with the county government\'s approval, a reason and evidence; 变更 against an earlier year names the layer that has not changed; 入库 refuses a year already submitted', async () => {
    // Declared in another township than the one it lies in: 行政区划 fails. Other checks than the
    // source and double counting may be overridden with the county government's approval, a reason
    // and evidence (issue 10 point 4); the parcel then carries the override into the reserve.
    const declared = await otherTownshipThan(restored[2]!.township);
    const { parcels: cands, user } = await upload([{ ...restored[2]!, township: declared }], 'G-CHANGE');
    const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: cands[0]!.id }), 201);
    guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }), 'checks-passed');
    const approval = { checks: ['jurisdiction'], reason: '经县政府组织核实，该地块由申报乡镇负责修复，坐落按实地调整', documents: [{ title: '县政府关于补充林地坐落的批复', number: '玉府字〔2022〕7号' }] };
    guardFailed(await post(u.government, `/api/v1/procedures/${p.id}/override-approvals`, { ...approval, reason: '同意' }), 'override-reason');
    guardFailed(await post(u.government, `/api/v1/procedures/${p.id}/override-approvals`, { ...approval, documents: [{ title: '说明' }] }), 'override-evidence');
    await ok(await post(u.government, `/api/v1/procedures/${p.id}/override-approvals`, approval), 201);
    const v = await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { override: { reason: '依县政府批复核实' }, participants: JOINT });
    expect(v.statusCode, v.body).toBe(200);
    overriddenParcel = { id: p.id, parcelNo: v.json().parcelNo };
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, BOTH_PLACES));
    for (const h of v.json().rightsHolders) {
      await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/consents`, { qsdwdm: h.qsdwdm, signatory: '负责人', consentedOn: '2022-03-05', document: { title: '同意书' } }), 201);
    }
    await ok(await post(u.government, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2022-03-20' }));
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/afforest`, { forestClass: '0301', species: ['杉木'], plantedOn: '2022-04-01', areaM2: v.json().areaOfRecord.m2, restorer: { name: '某公司', kind: '企业' }, participants: JOINT }));
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/accept`, acceptance(v.json().areaOfRecord.m2, '2022-11-10')));
    // The change survey of a year before the acceptance cannot be its change, and 2019 shows mining land.
    const f = guardFailed(await post(u.resources, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2019, changedOn: '2024-01-20' }), 'change-year-valid', 'change-in-dltb');
    expect(f.detail).toMatch(/2019年地类图斑中仅0\.00%为林地/);
    await ok(await post(u.resources, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2023, changedOn: '2024-01-15' }));
    // The one-map update follows the survey change: not an earlier year, nor an earlier date.
    guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/change`, { changeYear: 2019, changedOn: '2024-01-10' }), 'change-date-valid', 'change-year-valid', 'change-in-dltb', 'change-in-one-map');
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/change`, { changedOn: '2024-01-20' }));
    guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/reserve`, { reserveYear: 2023, reservedOn: '2024-10-01' }), 'reserve-year-open');
    guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/reserve`, { reserveYear: 2022, reservedOn: '2024-10-01' }), 'reserve-year-valid', 'reserve-year-valid');
    const r = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/reserve`, { reserveYear: 2024, reservedOn: '2024-10-01' }));
    expect(r.state).toBe('county-reserve');
    expectProblem(await post(u.forestry, `/api/v1/procedures/${p.id}/withdraw`, { reason: '不再申请' }), 409, 'transition-not-allowed');
    // Submitted after 15 September 2025: accepted, flagged late.
    const s = await ok(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2024, submittedOn: '2025-09-16' }), 201);
    expect(s).toMatchObject({ late: true, dueOn: '2025-09-15', lateLabel: expect.stringContaining('逾期') });
    guardFailed(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2021, submittedOn: '2025-09-16' }), 'reserve-not-empty');
  });

  it('an override appears in the audit log, the detail, the procedure list, the reserve, the ledger and the reserve layer export', async () => {
    const { id, parcelNo } = overriddenParcel!;
    const expected = {
      checks: ['jurisdiction'],
      reason: expect.stringContaining('经县政府组织核实'),
      documents: [{ title: '县政府关于补充林地坐落的批复', number: '玉府字〔2022〕7号' }],
      approvedBy: { login: u.government.login, role: 'county-government' },
      verifiedBy: u.forestry.login,
      note: '依县政府批复核实',
    };
    const d = await ok(await get(u.forestry, `/api/v1/procedures/${id}`));
    expect(d.verificationOverride).toMatchObject(expected);
    expect(d.history.find((h: { action: string }) => h.action === 'verify').evidence.override).toMatchObject({ ...expected, by: u.forestry.login });
    const listed = (await ok(await get(u.forestry, `/api/v1/procedures?county=${COUNTY}`))).items.find((x: { id: string }) => x.id === id);
    expect(listed.verificationOverride).toMatchObject(expected);
    const log = await ok(await get(u.forestry, `/api/v1/procedures/${id}/audit-log`));
    expect(JSON.stringify(log)).toContain('玉府字〔2022〕7号');
    const reserve = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/reserve`));
    const inReserve = reserve.years.flatMap((y: { items: { id: string }[] }) => y.items).find((x: { id: string }) => x.id === id);
    expect(inReserve.verificationOverride).toMatchObject(expected);
    const ledger = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/ledger`));
    expect(ledger.parcels.find((x: { id: string }) => x.id === id).verificationOverride).toMatchObject(expected);
    expect(ledger.parcels.filter((x: { verificationOverride: unknown }) => x.verificationOverride).length).toBe(1);
    const job = await post(u.forestry, '/api/v1/exports', { county: COUNTY, year: 2023, layer: 'reserve', format: 'geojson', parcels: 'county-reserve' });
    expect(job.statusCode, job.body).toBe(202);
    await app.exports.idle();
    const file = await get(u.forestry, `/api/v1/exports/${job.json().id}/file`);
    expect(file.statusCode, file.body).toBe(200);
    const features = (JSON.parse(file.body) as { features: { properties: Record<string, unknown> }[] }).features;
    expect(features.find((x) => x.properties.DKBH === parcelNo)!.properties).toMatchObject({ SFYG: 1, YGJC: 'jurisdiction', YGWH: '玉府字〔2022〕7号' });
    // Its 2024 submission is filed, not approved: the layer says so in words beside the code.
    expect(features.find((x) => x.properties.DKBH === parcelNo)!.properties).toMatchObject({ ZT: 'county-review', ZTMC: '已报送，待县级人民政府审核' });
    expect(features.filter((x) => x.properties.SFYG === 1)).toHaveLength(1);
  });

  it('the override goes with the parcel up to the provincial reserve: the ledger XLSX while the county government has not approved, the audit samples, the re-inspection, the evaluation report and the arrangement', async () => {
    const { id, parcelNo } = overriddenParcel!;
    const shows = { checks: ['jurisdiction'], documents: [{ title: '县政府关于补充林地坐落的批复', number: '玉府字〔2022〕7号' }], approvedBy: expect.objectContaining({ role: 'county-government' }) };
    const d = await ok(await get(u.forestry, `/api/v1/procedures/${id}`));
    expect(d).toMatchObject({ state: 'county-review', stateLabel: '已报送，待县级人民政府审核' });
    const xlsx = await get(u.forestry, `/api/v1/counties/${COUNTY}/ledger?format=xlsx`);
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('地块')!;
    const headers = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
    const row = [...Array(sheet.rowCount - 1).keys()].map((i) => Object.fromEntries(headers.map((h, j) => [h, sheet.getRow(i + 2).getCell(j + 1).value]))).find((r) => r['地块编号'] === parcelNo)!;
    expect(row['状态']).toBe('已报送，待县级人民政府审核');
    expect(row['核实越过检查项']).toMatch(/^行政区划（县级人民政府批准：经县政府组织核实.*；玉府字〔2022〕7号）$/);
    // Approved, audited by city and province (its one parcel is the sample), issued after the national allocation.
    await ok(await post(u.government, `/api/v1/reserve-submissions/${d.submissionId}/approve`, { approvedOn: '2025-09-18' }));
    for (const [level, who, team] of [['city', u.city, CITY_TEAM], ['province', u.reviewer, PROVINCE_TEAM]] as const) {
      const a = await ok(await post(who, `/api/v1/reserve-submissions/${d.submissionId}/audits`, { level }), 201);
      expect(a.samples).toEqual([expect.objectContaining({ parcelId: id, verificationOverride: expect.objectContaining(shows) })]);
      await ok(await post(who, `/api/v1/audits/${a.id}/results`, { parcelId: id, result: 'pass', inspectedOn: '2025-10-01' }));
      await ok(await post(who, `/api/v1/audits/${a.id}/complete`, { participants: team }));
    }
    // (Quota year 2025 is after the pilot period 2022–2024: no issuance. tests/integration/reports.test.ts shows an override in an issuance's parcels.)
    expect((await ok(await get(u.forestry, `/api/v1/procedures/${id}`))).stateLabel).toBe('省级储备库');
    // 每年核查一次: the re-inspection lists it with its override, and so does the evaluation report (JSON and XLSX).
    const n = await ok(await post(u.city, '/api/v1/quota/inspections', { parcelId: id, year: 2025, inspectedOn: '2025-11-01', outcome: 'intact' }), 201);
    expect(n.verificationOverride).toMatchObject(shows);
    const listed = await ok(await get(u.forestry, `/api/v1/quota/inspections?county=${COUNTY}`));
    expect(listed.items.find((x: { parcelId: string }) => x.parcelId === id).verificationOverride).toMatchObject(shows);
    const e = await ok(await get(u.admin, '/api/v1/evaluation-reports/2025'));
    expect(e.inspections.find((x: { parcelNo: string }) => x.parcelNo === parcelNo).verificationOverride).toMatchObject(shows);
    const ex = await get(u.admin, '/api/v1/evaluation-reports/2025?format=xlsx');
    const ewb = new ExcelJS.Workbook();
    await ewb.xlsx.load(ex.rawPayload as unknown as ArrayBuffer);
    const es = ewb.getWorksheet('核查考评明细')!;
    const eh = (es.getRow(1).values as unknown[]).slice(1) as string[];
    expect(es.getRow(2).getCell(eh.indexOf('核实越过检查项') + 1).text).toContain('行政区划（县级人民政府批准');
    // The county's arrangement names it as supplementary forest land: listed with its state and override.
    const arr = await ok(
      await post(u.forestry, `/api/v1/counties/${COUNTY}/annual-arrangements/2026`, { arrangedOn: '2026-01-05', projects: [], supplementary: [{ name: '2024年度储备库地块', kind: 'reserve', parcelIds: [id] }] }),
      201,
    );
    expect(arr.supplementary[0].parcels).toEqual([{ id, parcelNo, state: 'provincial-reserve', stateLabel: '省级储备库', verificationOverride: expect.objectContaining(shows) }]);
  });

  it('a township sees only its own township’s parcels', async () => {
    const mine = await ok(await get(u.township, '/api/v1/procedures'));
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((p: { townshipCode: string }) => p.townshipCode === u.township.adminCode)).toBe(true);
    const others = await ok(await get(u.otherTownship, '/api/v1/procedures'));
    expect(others.items.every((p: { townshipCode: string }) => p.townshipCode === u.otherTownship.adminCode)).toBe(true);
    const theirs = mine.items[0].id;
    expectProblem(await get(u.otherTownship, `/api/v1/procedures/${theirs}`), 404, 'procedure-not-found');
  });
});
