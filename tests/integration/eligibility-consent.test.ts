/**
 * Issue 10 points 3 and 8 on the sample county 361123 (real survey layers, real checks), through the API:
 *
 * - "第三次全国国土调查及年度国土变更调查中确定的采矿用地" (Jiangxi scheme §三(二)1): land that is 0602 only
 *   in the 2023 change survey is eligible, the source check says 2023 made it so, and only when that
 *   survey was imported before the application;
 * - "已经实施生态修复，恢复森林植被的采矿用地" (§三(三)1): land restored before the application, recorded
 *   with evidence, passes 核实 though it is forest now, and 造林 takes the recorded date;
 * - "经相关权利人认可后报县级人民政府批准确认" (§三(二)2(4)): owners from the ownership check plus the
 *   contract, use-right and mining-right holders the county adds, every one consenting before 确认;
 * - "在地块所在自然村、村委会所在地进行公示" (§三(二)2(3)): both places, each with its own period.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, deleteTestUsers, type TestUser, testAdmin } from '../helpers/auth.js';
import { COUNTY, deleteCandidates, importSurveyLayers, surveyPolygons, type SurveyPolygon } from '../helpers/candidates.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { guardFailed, resetProcedure, tableSnapshot, uploadAs } from '../helpers/procedure.js';
import { expectProblem, ok, requestsTo } from '../helpers/http.js';

const pool = testPool();
let app: App;
let restored: SurveyPolygon[];
let expansion: SurveyPolygon[];
let stillMining: SurveyPolygon[];
const u = {} as Record<'forestry' | 'government' | 'resources' | 'otherCountyForestry' | 'otherCountyTownship', TestUser>;
/** 核实、造林、验收 by 林业、自然资源等部门 (the participants of both departments are required). */
const JOINT = { forestry: [{ name: '张林', unit: '玉山县林业局' }], naturalResources: [{ name: '李资', unit: '玉山县自然资源局' }] };
const townships = new Map<string, TestUser>();

async function clean() {
  await resetProcedure(pool);
  await deleteCandidates(pool);
  await resetCounty(pool, COUNTY);
  await deleteTestUsers(pool);
}

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  await importSurveyLayers(app, await testAdmin(pool));
  restored = await surveyPolygons(pool, '0602', '03%', 3);
  // A mine expanding into forest: 03xx in the 2019 base survey, 0602 in the 2023 change survey.
  expansion = await surveyPolygons(pool, '03%', '0602', 4);
  stillMining = await surveyPolygons(pool, '0602', '0602', 4);
  expect(restored.length).toBeGreaterThanOrEqual(2);
  expect(expansion.length).toBeGreaterThanOrEqual(4);
  expect(stillMining.length).toBeGreaterThanOrEqual(3);
  u.forestry = await createTestUser(pool, 'county-forestry', COUNTY);
  u.government = await createTestUser(pool, 'county-government', COUNTY);
  u.resources = await createTestUser(pool, 'county-natural-resources', COUNTY);
  u.otherCountyForestry = await createTestUser(pool, 'county-forestry', '361124');
  u.otherCountyTownship = await createTestUser(pool, 'township', '361124100');
});
afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

const { get, post } = requestsTo(() => app);

async function townshipUser(code: string) {
  if (!townships.has(code)) townships.set(code, await createTestUser(pool, 'township', code));
  return townships.get(code)!;
}

/** Uploads parcels as their township and runs the checks (`run`: survey years; default the latest). */
async function upload(parcels: SurveyPolygon[], prefix: string, run: Record<string, number> = {}) {
  const township = parcels[0]!.township;
  const user = await townshipUser(township);
  const view = await uploadAs(
    app,
    user,
    parcels.map((p, i) => ({ geometry: p.geometry, properties: { DKBH: `${prefix}-${i + 1}`, XZDM: p.township, SQDW: '乡镇人民政府' } })),
    { county: COUNTY, township, runChecks: false },
  );
  const res = await post(u.forestry, `/api/v1/candidate-uploads/${view.id}/check-runs`, run);
  expect(res.statusCode, res.body).toBe(201);
  const detail = await ok(await get(u.forestry, `/api/v1/candidate-uploads/${view.id}`));
  const report = await ok(await get(u.forestry, `/api/v1/candidate-uploads/${view.id}/report`));
  return { user, parcels: detail.parcels as { id: string; parcelNo: string }[], report };
}

type Check = { code: string; status: string; message: string; figures: Record<string, unknown> };
const checkOf = (report: { parcels: { parcelNo: string; checks: Check[] }[] }, parcelNo: string, code: string) =>
  report.parcels.find((p) => p.parcelNo === parcelNo)!.checks.find((c) => c.code === code)!;

const BOTH_PLACES = {
  naturalVillage: { name: '下坊自然村', from: '2022-03-01', to: '2022-03-10' },
  villageCommittee: { name: '下坊村村委会', from: '2022-03-02', to: '2022-03-12' },
};
const consent = (h: { id: string; name: string }, on = '2022-03-05') => ({
  holderId: h.id,
  signatory: `${h.name}负责人`,
  consentedOn: on,
  document: { title: '补充林地权利人同意书', number: `同意〔2022〕${h.id.slice(0, 4)}号` },
});

describe('年度国土变更调查中确定的采矿用地: eligibility across change surveys', () => {
  it('land that is 0602 only in the 2023 change survey passes the source check, which names 2023 as the year that made it eligible', async () => {
    const { parcels, report } = await upload([expansion[0]!], 'EXP');
    const source = checkOf(report, parcels[0]!.parcelNo, 'source');
    expect(source.status).toBe('pass');
    expect(source.figures).toMatchObject({ baseYear: 2019, eligibleYear: 2023, surveyYears: [2019, 2023] });
    expect(source.message).toMatch(/2019年三调中仅\d+\.\d+%位于采矿用地；计入2023年年度国土变更调查确定的采矿用地后共\d+\.\d+%，由2023年年度国土变更调查确定为采矿用地/);
    const years = source.figures.miningByYear as { year: number; survey: string; importedAt: string; cumulativeShare: number }[];
    expect(years.map((y) => [y.year, y.survey])).toEqual([[2019, '第三次全国国土调查'], [2023, '年度国土变更调查']]);
    expect(years[1]!.cumulativeShare).toBeGreaterThan(0.99);
    expect(Date.parse(years[1]!.importedAt)).toBeLessThan(Date.now());
    // Not forest now: the latest survey (2023) shows it as mining land.
    expect(checkOf(report, parcels[0]!.parcelNo, 'not-forest').status).toBe('pass');
    // Base-survey mining land: eligible by the 三调 itself.
    const base = await upload([stillMining[0]!], 'BASE');
    const s = checkOf(base.report, base.parcels[0]!.parcelNo, 'source');
    expect(s.figures).toMatchObject({ eligibleYear: 2019 });
    expect(s.message).toContain('由2019年第三次全国国土调查确定为采矿用地');
    // Read against the base survey alone, the same land is not eligible and the check says which years it read.
    const alone = await upload([expansion[1]!], 'EXP-2019', { latestYear: 2019 });
    const a = checkOf(alone.report, alone.parcels[0]!.parcelNo, 'source');
    expect(a.status).toBe('fail');
    expect(a.figures).toMatchObject({ eligibleYear: null, surveyYears: [2019] });
  });

  it('核实 admits it when the 2023 survey was imported before the application, and names the year in its evidence', async () => {
    // Applied today, after the survey layers were imported (beforeAll).
    const { user, parcels } = await upload([expansion[2]!], 'EXP-OK');
    const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: parcels[0]!.id }), 201);
    expect(p.appliedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const v = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }));
    expect(v.state).toBe('verified');
    expect(v.history.at(-1).evidence.source).toMatchObject({ eligibleYear: 2023, message: expect.stringContaining('2023年年度国土变更调查') });
  });

  it('a change survey imported after the application does not make the land eligible: 核实 refuses, on the stored run and on a re-run', async () => {
    const dltb2023 = `UPDATE public.import_job SET finished_at = finished_at + $1::interval WHERE county_code = $2 AND layer = 'dltb' AND survey_year = 2023 AND superseded_by IS NULL`;
    // The 2023 survey as if it arrived tomorrow: a run made now records that import time.
    await pool.query(dltb2023, ['1 day', COUNTY]);
    try {
      const { user, parcels } = await upload([expansion[3]!], 'EXP-LATE');
      const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: parcels[0]!.id }), 201);
      const late = guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { participants: JOINT }), 'source-survey-before-application');
      expect(late.detail).toMatch(/由2023年年度国土变更调查（导入于.+）确定为采矿用地，晚于申请/);
      // Re-run for 核实: the checks read the change surveys as they stood at the application, so 2023 is not counted.
      const rerun = guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { rerunChecks: {}, participants: JOINT }), 'source-not-overridable');
      expect(rerun.detail).toMatch(/来源可靠检查不通过/);
      expect((await ok(await get(u.forestry, `/api/v1/procedures/${p.id}`))).state).toBe('applied');
    } finally {
      await pool.query(dltb2023, ['-1 day', COUNTY]);
    }
  });
});

describe('restorable mining land follows the same rule: 0602 in the base or any change survey, not forest now', () => {
  it('lists the 2023 non-forest polygons that are or were 0602; the restored ones (forest now) only when read as of 2019', async () => {
    const bsms = async (query: string) => {
      const res = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/restorable-mining-land?limit=5000${query}`));
      return new Set((res.features as { properties: { BSM: string } }[]).map((f) => f.properties.BSM));
    };
    const now = await bsms('');
    const in2019 = await bsms('&year=2019');
    // Expansion: forest in 2019, 0602 in the 2023 change survey.
    expect(expansion.every((p) => now.has(p.bsm))).toBe(true);
    expect(expansion.some((p) => in2019.has(p.bsm))).toBe(false);
    // Restored: 0602 in 2019, forest now.
    expect(restored.some((p) => now.has(p.bsm))).toBe(false);
    expect(restored.every((p) => in2019.has(p.bsm))).toBe(true);
    // Every 2023 polygon that is 0602, or not forest and 0602 in 2019, is listed; nothing else.
    const expected = (await pool.query(
      `SELECT d.bsm FROM survey.dltb d WHERE d.county_code = $1 AND d.survey_year = 2023 AND left(d.dlbm, 2) <> '03'
          AND (d.dlbm = '0602' OR EXISTS (SELECT 1 FROM survey.dltb e WHERE e.county_code = $1 AND e.survey_year = 2019 AND e.dlbm = '0602'
                                           AND ST_Intersects(e.geom, d.geom) AND NOT ST_Touches(e.geom, d.geom)))`,
      [COUNTY],
    )).rows.map((r) => r.bsm as string);
    expect([...now].sort()).toEqual(expected.sort());
    const summary = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/restorable-mining-land/summary`));
    expect(summary.surveyYear).toBe(2023);
  });
});

describe('已经实施生态修复，恢复森林植被的采矿用地: restoration before the application', () => {
  const prior = {
    restoredOn: '2021-05-01',
    restorer: { name: '玉山县某矿业有限公司', kind: '企业' },
    documents: [{ title: '矿山地质环境恢复治理验收意见', number: '玉自然资字〔2021〕18号' }],
  };

  it('the application records it with evidence; without it the forest-now land fails 核实 (not-forest)', async () => {
    const { user, parcels, report } = await upload([restored[0]!, restored[1]!], 'PRIOR');
    // Forest now (2023 survey and one-map), mining land in the 2019 base survey.
    expect(checkOf(report, parcels[0]!.parcelNo, 'not-forest').status).toBe('fail');
    expect(checkOf(report, parcels[0]!.parcelNo, 'source').figures).toMatchObject({ eligibleYear: 2019 });
    // An application is of a day that has come: one dated in the future is refused (problem+json, Chinese), nothing written.
    const before = await tableSnapshot(pool);
    const future = expectProblem(await post(user, '/api/v1/procedures', { candidateParcelId: parcels[0]!.id, appliedOn: '2099-01-01' }), 422, 'date-in-future');
    expect(future.detail).toMatch(/^申请日期（appliedOn）2099-01-01晚于今天（\d{4}-\d{2}-\d{2}）$/);
    expectProblem(await post(user, '/api/v1/procedures', { candidateParcelId: parcels[0]!.id, appliedOn: '2099-01-01', priorRestoration: prior }), 422, 'date-in-future');
    expect(await tableSnapshot(pool)).toEqual(before);
    // Hostile: restored after the application, no restorer, evidence without a number.
    guardFailed(
      await post(user, '/api/v1/procedures', { candidateParcelId: parcels[0]!.id, appliedOn: '2022-02-10', priorRestoration: { ...prior, restoredOn: '2022-03-01' } }),
      'prior-restoration-date',
    );
    guardFailed(
      await post(user, '/api/v1/procedures', {
        candidateParcelId: parcels[0]!.id,
        appliedOn: '2022-02-10',
        priorRestoration: { ...prior, restorer: { name: ' ', kind: '企业' }, documents: [{ title: '现场照片' }] },
      }),
      'prior-restoration-restorer',
      'prior-restoration-evidence',
    );
    // Without a record: not-forest stops 核实 as before.
    const plain = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: parcels[1]!.id, appliedOn: '2022-02-10' }), 201);
    expect(plain.priorRestoration).toBeNull();
    const refused = guardFailed(await post(u.forestry, `/api/v1/procedures/${plain.id}/verify`, { verifiedOn: '2022-02-20', participants: JOINT }), 'checks-passed');
    expect(refused.detail).toMatch(/非现状林地/);
  });

  it('walked with the record: 核实 passes though forest now, 造林 takes the recorded date before 确认, 验收 and 变更 follow', async () => {
    const { user, parcels } = await upload([restored[2] ?? restored[0]!], 'PRIOR-WALK');
    const p = await ok(await post(user, '/api/v1/procedures', { candidateParcelId: parcels[0]!.id, appliedOn: '2022-02-10', priorRestoration: prior }), 201);
    expect(p.priorRestoration).toMatchObject({ restoredOn: '2021-05-01', restorer: { name: '玉山县某矿业有限公司' }, documents: [{ number: '玉自然资字〔2021〕18号' }] });
    expect(p.history[0].evidence.priorRestoration).toMatchObject({ restoredOn: '2021-05-01' });
    const v = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/verify`, { verifiedOn: '2022-02-20', participants: JOINT }));
    expect(v).toMatchObject({ state: 'verified', verificationOverride: null });
    expect(v.history.at(-1).evidence.priorRestoration).toMatchObject({ admits: 'not-forest', restoredOn: '2021-05-01' });
    // The mining company that restored it holds the mining right: the county adds it, and it consents too.
    const withMiner = await ok(
      await post(u.forestry, `/api/v1/procedures/${p.id}/rights-holders`, { kind: 'mining', code: 'C3611002009127130001', name: '玉山县某矿业有限公司', document: { title: '采矿许可证', number: 'C3611002009127130001' } }),
      201,
    );
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/publicize`, BOTH_PLACES));
    for (const h of withMiner.holders) await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/consents`, consent(h)), 201);
    await ok(await post(u.government, `/api/v1/procedures/${p.id}/confirm`, { confirmedOn: '2022-03-20' }));
    // Another date before 确认 is refused; the recorded one (the default) is the 造林 date.
    const body = { forestClass: '0301', species: ['杉木'], areaM2: v.areaOfRecord.m2, participants: JOINT };
    const early = guardFailed(await post(u.forestry, `/api/v1/procedures/${p.id}/afforest`, { ...body, plantedOn: '2021-06-01' }), 'afforestation-date-valid');
    expect(early.detail).toContain('已实施修复日期2021-05-01');
    const a = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/afforest`, body));
    expect(a.afforestation).toMatchObject({ plantedOn: '2021-05-01', restorer: { name: '玉山县某矿业有限公司', kind: '企业' } });
    expect(a.history.at(-1).evidence.priorRestoration).toMatchObject({ restoredOn: '2021-05-01' });
    // 验收 is the joint field acceptance; the land class then changes in the 2023 change survey and the one-map.
    await ok(
      await post(u.forestry, `/api/v1/procedures/${p.id}/accept`, {
        acceptedOn: '2022-10-10',
        participants: JOINT,
        measuredAreaM2: Math.floor(v.areaOfRecord.m2 * 100) / 100,
        survivalRatePct: 90,
        documents: [{ title: '补充林地联合验收意见书', number: '玉林验〔2022〕3号' }],
      }),
    );
    await ok(await post(u.resources, `/api/v1/procedures/${p.id}/survey-change`, { changeYear: 2023, changedOn: '2024-01-15' }));
    const c = await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/change`, { changedOn: '2024-01-20' }));
    expect(c.state).toBe('changed');
    await ok(await post(u.forestry, `/api/v1/procedures/${p.id}/reserve`, { reserveYear: 2023, reservedOn: '2024-01-25' }));
    // A reviewer reading the ledger sees the prior restoration and the holders besides the owners (JSON and XLSX).
    const ledger = await ok(await get(u.forestry, `/api/v1/counties/${COUNTY}/ledger`));
    expect(ledger.parcels.find((x: { id: string }) => x.id === p.id)).toMatchObject({
      priorRestoration: { restoredOn: '2021-05-01', restorer: { name: '玉山县某矿业有限公司' }, documents: [{ number: '玉自然资字〔2021〕18号' }] },
      otherRightsHolders: [{ kind: 'mining', kindLabel: '采矿权人', code: 'C3611002009127130001', name: '玉山县某矿业有限公司', document: { number: 'C3611002009127130001' } }],
    });
    const xlsx = await get(u.forestry, `/api/v1/counties/${COUNTY}/ledger?format=xlsx`);
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('地块')!;
    const headers = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
    const row = sheet.getRow([...Array(sheet.rowCount).keys()].find((i) => sheet.getRow(i + 1).getCell(headers.indexOf('地块标识') + 1).text === p.id)! + 1);
    const cell = (h: string) => row.getCell(headers.indexOf(h) + 1).text;
    expect(cell('申请前已实施修复')).toBe('2021-05-01由玉山县某矿业有限公司修复（玉自然资字〔2021〕18号）');
    expect(cell('其他相关权利人')).toBe('采矿权人玉山县某矿业有限公司（C3611002009127130001）');
    // And in the reserve layer the county hands on: SQQXF/XFRQ (restored before the application, when), XFZT (who), QTQLR.
    const job = await post(u.forestry, '/api/v1/exports', { county: COUNTY, year: 2023, layer: 'reserve', format: 'geojson', parcels: 'county-reserve' });
    expect(job.statusCode, job.body).toBe(202);
    await app.exports.idle();
    const file = await get(u.forestry, `/api/v1/exports/${job.json().id}/file`);
    expect(file.statusCode, file.body).toBe(200);
    const features = (JSON.parse(file.body) as { features: { properties: Record<string, unknown> }[] }).features;
    expect(features.find((x) => x.properties.DKID === p.id)!.properties).toMatchObject({
      SQQXF: 1,
      XFRQ: '2021-05-01',
      XFZT: '玉山县某矿业有限公司',
      QTQLR: '采矿权人玉山县某矿业有限公司（C3611002009127130001）',
      ZT: 'county-reserve',
      ZTMC: '入库（县级储备库）',
    });
  });
});

describe('相关权利人认可 and 公示 at 自然村 and 村委会所在地', () => {
  let id: string;
  let township: TestUser;
  const mining = { kind: 'mining', code: 'C3611002010067120001', name: '玉山县某石灰石矿业有限公司', document: { title: '采矿许可证', number: 'C3611002010067120001' } };
  const contract = { kind: 'contract', code: '玉农经承〔2018〕0311号', name: '张某（承包户）', document: { title: '农村土地承包经营权证', number: '361123101203110012J' } };

  beforeAll(async () => {
    const r = await upload([stillMining[1]!], 'HOLDERS', { latestYear: 2019 });
    township = r.user;
    id = (await ok(await post(township, '/api/v1/procedures', { candidateParcelId: r.parcels[0]!.id, appliedOn: '2022-02-10' }), 201)).id;
  });

  it('the owners come from the ownership check at 核实; the county adds the contract and mining-right holders, with the document of each right', async () => {
    expectProblem(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, mining), 409, 'transition-not-allowed'); // not before 核实
    const v = await ok(await post(u.forestry, `/api/v1/procedures/${id}/verify`, { verifiedOn: '2022-02-20', participants: JOINT }));
    expect(v.holders.length).toBeGreaterThanOrEqual(1);
    expect(v.holders.every((h: { kind: string; source: string }) => h.kind === 'owner' && h.source === 'ownership-check')).toBe(true);
    expect(v.holders.map((h: { code: string }) => h.code)).toEqual(v.rightsHolders.map((h: { qsdwdm: string }) => h.qsdwdm));
    const m = await ok(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, mining), 201);
    const d = await ok(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, contract), 201);
    expect(d.holders.slice(-2)).toMatchObject([
      { kind: 'contract', kindLabel: '土地承包经营权人', name: '张某（承包户）', source: 'county', consented: false, document: { number: '361123101203110012J' } },
      { kind: 'mining', kindLabel: '采矿权人', code: 'C3611002010067120001', source: 'county', consented: false },
    ]);
    expect(m.consentStatus.length).toBe(v.holders.length + 1);
    // Hostile: an owner cannot be invented, the same holder not added twice, a right needs its document.
    guardFailed(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, { ...mining, kind: 'owner' }), 'rights-holder-kind');
    guardFailed(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, mining), 'rights-holder-unique');
    guardFailed(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, { ...contract, code: 'X1', document: { title: '承包合同' } }), 'rights-holder-evidence');
  });

  it('only the county adds holders: a township (of this or another county) is refused, another county does not find the parcel; nothing changes', async () => {
    const before = await tableSnapshot(pool);
    expectProblem(await post(township, `/api/v1/procedures/${id}/rights-holders`, { ...mining, code: 'T1' }), 403, 'role-not-permitted');
    expectProblem(await post(u.otherCountyTownship, `/api/v1/procedures/${id}/rights-holders`, { ...mining, code: 'T2' }), 403, 'role-not-permitted');
    expectProblem(await post(u.otherCountyForestry, `/api/v1/procedures/${id}/rights-holders`, { ...mining, code: 'T3' }), 404, 'procedure-not-found');
    expectProblem(await post(u.otherCountyForestry, `/api/v1/procedures/${id}/consents`, { qsdwdm: '3611230000000000000', signatory: 'x', consentedOn: '2022-03-05', document: { title: '同意书' } }), 404, 'procedure-not-found');
    expect(await tableSnapshot(pool)).toEqual(before);
  });

  it('a holder the county added in error is removed before 确认 with a reason, kept on record and audited; the owners from the ownership check never; only the county forestry bureau', async () => {
    const wrong = await ok(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, { ...mining, kind: 'use', code: 'WRONG-1', name: '某公司（登记有误）' }), 201);
    const added = wrong.holders.find((h: { code: string }) => h.code === 'WRONG-1');
    const owner = wrong.holders.find((h: { kind: string }) => h.kind === 'owner');
    const url = (h: string) => `/api/v1/procedures/${id}/rights-holders/${h}/removal`;
    const reason = { reason: '使用权证号登记有误，该公司不是本地块权利人' };
    const before = await tableSnapshot(pool);
    expectProblem(await post(township, url(added.id), reason), 403, 'role-not-permitted');
    expectProblem(await post(u.government, url(added.id), reason), 403, 'role-not-permitted');
    expectProblem(await post(u.resources, url(added.id), reason), 403, 'role-not-permitted');
    expectProblem(await post(u.otherCountyForestry, url(added.id), reason), 404, 'procedure-not-found');
    expectProblem(await post(u.forestry, url('00000000-0000-4000-8000-000000000000'), reason), 404, 'rights-holder-not-found');
    // 经相关权利人认可: an owner the survey shows is not taken off the list; a removal says why.
    guardFailed(await post(u.forestry, url(owner.id), reason), 'rights-holder-removable');
    guardFailed(await post(u.forestry, url(added.id), { reason: '有误' }), 'removal-reason');
    expectProblem(await post(u.forestry, url(added.id), {}), 400, 'request-invalid');
    expect(await tableSnapshot(pool)).toEqual(before);
    const r = await ok(await post(u.forestry, url(added.id), reason));
    expect(r.holders.map((h: { id: string }) => h.id)).not.toContain(added.id);
    expect(r.consentStatus.map((c: { holderId: string }) => c.holderId)).not.toContain(added.id);
    expect(r.removedHolders).toEqual([
      expect.objectContaining({ id: added.id, kind: 'use', kindLabel: '土地使用权人', code: 'WRONG-1', removedBy: u.forestry.id, removalReason: reason.reason }),
    ]);
    expectProblem(await post(u.forestry, url(added.id), reason), 409, 'rights-holder-removed');
    // Audited: who removed it and why.
    const log = await ok(await get(u.forestry, `/api/v1/procedures/${id}/audit-log?limit=1000`));
    const ev = log.items.find((e: { table: string; operation: string; data: { id: string } }) => e.table === 'procedure.rights_holder' && e.operation === 'UPDATE' && e.data.id === added.id);
    expect(ev).toMatchObject({ actor: { login: u.forestry.login }, data: { removal_reason: reason.reason }, previous: { removed_at: null } });
    // Corrected: the same code may be added again (a new entry), and removed again.
    const again = await ok(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, { ...mining, kind: 'use', code: 'WRONG-1', name: '某公司（登记有误）' }), 201);
    const second = again.holders.find((h: { code: string }) => h.code === 'WRONG-1');
    expect(second.id).not.toBe(added.id);
    expect((await ok(await post(u.forestry, url(second.id), reason))).removedHolders).toHaveLength(2);
  });

  it('公示 needs both places; the period guard applies to each; objections count from the earlier start', async () => {
    const only = guardFailed(await post(u.forestry, `/api/v1/procedures/${id}/publicize`, { villageCommittee: BOTH_PLACES.villageCommittee }), 'publicity-place');
    expect(only.detail).toContain('须在地块所在自然村公示');
    guardFailed(
      await post(u.forestry, `/api/v1/procedures/${id}/publicize`, { ...BOTH_PLACES, villageCommittee: { name: '下坊村村委会', from: '2022-03-12', to: '2022-03-02' } }),
      'publicity-period-valid',
    );
    guardFailed(
      await post(u.forestry, `/api/v1/procedures/${id}/publicize`, { ...BOTH_PLACES, naturalVillage: { name: '下坊自然村', from: '2099-01-01', to: '2099-01-10' } }),
      'publicity-period-valid',
    );
    // The old single-place form names neither place.
    guardFailed(await post(u.forestry, `/api/v1/procedures/${id}/publicize`, { from: '2022-03-01', to: '2022-03-10', place: '村委会' }), 'publicity-place', 'publicity-place');
    const p = await ok(await post(u.forestry, `/api/v1/procedures/${id}/publicize`, BOTH_PLACES));
    expect(p.publicity).toMatchObject({
      from: '2022-03-01',
      to: '2022-03-12',
      places: [
        { kind: 'natural-village', kindLabel: '地块所在自然村', name: '下坊自然村', from: '2022-03-01', to: '2022-03-10' },
        { kind: 'village-committee', kindLabel: '村委会所在地', name: '下坊村村委会', from: '2022-03-02', to: '2022-03-12' },
      ],
    });
    expect(p.history.at(-1).evidence.places).toHaveLength(2);
    guardFailed(await post(township, `/api/v1/procedures/${id}/objections`, { receivedOn: '2022-02-28', objector: '村民李某', content: '边界' }), 'objection-in-period');
  });

  it('确认 refuses until every holder consented (missing one: named) and both publicities ended; then the consents are its evidence', async () => {
    const d = await ok(await get(u.forestry, `/api/v1/procedures/${id}`));
    const owners = d.holders.filter((h: { kind: string }) => h.kind === 'owner');
    const others = d.holders.filter((h: { kind: string }) => h.kind !== 'owner');
    // Owners by their 权属单位代码 (as before), the others by id.
    for (const h of owners) await ok(await post(township, `/api/v1/procedures/${id}/consents`, { qsdwdm: h.code, signatory: '村委会主任', consentedOn: '2022-03-05', document: { title: '同意书', number: '1号' } }), 201);
    await ok(await post(u.forestry, `/api/v1/procedures/${id}/consents`, consent(others[0])), 201);
    expectProblem(await post(u.forestry, `/api/v1/procedures/${id}/consents`, consent(others[0])), 409, 'consent-exists');
    guardFailed(await post(u.forestry, `/api/v1/procedures/${id}/consents`, { ...consent(others[1]), holderId: '00000000-0000-4000-8000-000000000000' }), 'rights-holder-listed');
    // Missing one holder; the village committee's publicity runs to 03-12.
    const f = guardFailed(await post(u.government, `/api/v1/procedures/${id}/confirm`, { confirmedOn: '2022-03-11' }), 'publicity-ended', 'consents-complete');
    expect(f.detail).toContain(`尚未登记同意：${others[1].kindLabel}${others[1].name}（${others[1].code}）`);
    guardFailed(await post(u.government, `/api/v1/procedures/${id}/confirm`, { confirmedOn: '2022-03-20' }), 'consents-complete');
    const last = await ok(await post(u.forestry, `/api/v1/procedures/${id}/consents`, consent(others[1], '2022-03-15')), 201);
    expect(last.consentStatus.every((c: { consented: boolean }) => c.consented)).toBe(true);
    expect(last.consents.find((c: { holderId: string }) => c.holderId === others[1].id)).toMatchObject({ rightKind: others[1].kind, rightKindLabel: others[1].kindLabel, consentedOn: '2022-03-15' });
    const c = await ok(await post(u.government, `/api/v1/procedures/${id}/confirm`, { confirmedOn: '2022-03-20' }));
    expect(c.state).toBe('confirmed');
    const ev = c.history.at(-1).evidence;
    expect(ev.consents.map((x: { rightKind: string }) => x.rightKind).sort()).toEqual([...owners.map(() => 'owner'), 'contract', 'mining'].sort());
    expect(ev.publicity.places).toHaveLength(2);
    // Rights holders and consents are in the parcel's audit log, which its township reads too.
    const log = await ok(await get(township, `/api/v1/procedures/${id}/audit-log?limit=1000`));
    expect(log.items.some((e: { table: string }) => e.table === 'procedure.rights_holder')).toBe(true);
    expectProblem(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders`, { ...mining, code: 'LATE' }), 409, 'transition-not-allowed');
    // After 确认 the list is what the county government confirmed on: no removal either.
    expectProblem(await post(u.forestry, `/api/v1/procedures/${id}/rights-holders/${others[0].id}/removal`, { reason: '确认后发现登记有误' }), 409, 'transition-not-allowed');
  });
});
