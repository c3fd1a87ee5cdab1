/**
 * The reports the seeds ask for (issue 10, point 9), walked through the API on SQL-seeded reserve
 * parcels, real issuances, draws and inspections, and read back as XLSX:
 * - the county's arrangement: "对本年度拟使用林地的项目、面积和补充林地作出统筹安排" (000 §五);
 * - the city's report: "设区市林业部门梳理汇总2月初报省级林业部门" (001 §三(三)5);
 * - the provincial evaluation report: "每年对试点工作情况进行总结评估，形成试点评估报告" (001 §四(三)), with the
 *   year's inspections ("省、市将集中组织核查考评", 000) and audits.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { expectProblem, injectAs, ok, requestsTo } from '../helpers/http.js';
import { recordNationalAllocation, resetSeeded, seedReserve, tableSnapshot } from '../helpers/procedure.js';

const pool = testPool(4);
let app: App;
const u = {} as Record<'admin' | 'reviewer' | 'city' | 'otherCity' | 'yushan' | 'guangfeng' | 'qingshanhu' | 'government' | 'township', TestUser>;
const parcels = {} as Record<'yushan' | 'guangfeng' | 'qingshanhu', string[]>;

beforeAll(async () => {
  await resetSeeded(pool);
  app = await buildTestApp();
  u.admin = await createTestUser(pool, 'province-admin', '36');
  u.reviewer = await createTestUser(pool, 'province-reviewer', '36');
  u.city = await createTestUser(pool, 'city', '361100');
  u.otherCity = await createTestUser(pool, 'city', '360100');
  u.yushan = await createTestUser(pool, 'county-forestry', '361123');
  u.guangfeng = await createTestUser(pool, 'county-forestry', '361124');
  u.qingshanhu = await createTestUser(pool, 'county-forestry', '360111');
  u.government = await createTestUser(pool, 'county-government', '361123');
  u.township = await createTestUser(pool, 'township', '361123100');
  // 2022 reserves: 100.000005 亩, 19.999995 亩, 600 亩.
  parcels.yushan = await seedReserve(pool, '361123', 2022, ['66666.67']);
  parcels.guangfeng = await seedReserve(pool, '361124', 2022, ['13333.33']);
  parcels.qingshanhu = await seedReserve(pool, '360111', 2022, ['400000.00']);
  // Yushan's parcel was verified on an override the county government approved (as 核实 records it).
  await pool.query('UPDATE procedure.parcel SET verification_override = $2 WHERE id = $1', [parcels.yushan[0], JSON.stringify(OVERRIDE)]);
  // A city audit of Yushan's 2022 reserve (submitted in 2023), one parcel sampled and passed.
  const sub = await pool.query<{ id: string }>(
    `INSERT INTO procedure.reserve_submission (county_code, reserve_year, submitted_on, due_on, late, parcel_count, area_m2, state, submitted_by)
     VALUES ('361123', 2022, '2023-09-10', '2023-09-15', false, 1, 66666.67, 'provincial-reserve', gen_random_uuid()) RETURNING id`,
  );
  const audit = await pool.query<{ id: string }>(
    `INSERT INTO procedure.audit (submission_id, county_code, level, seed, algorithm, min_share_pct, population, population_m2, sampled_m2, drawn_by, completed_at)
     VALUES ($1, '361123', 'city', 'seed', 'test', 30, '[]', 66666.67, 66666.67, gen_random_uuid(), now()) RETURNING id`,
    [sub.rows[0]!.id],
  );
  await pool.query(`INSERT INTO procedure.audit_sample (audit_id, parcel_id, county_code, draw_order, area_m2, result) VALUES ($1, $2, '361123', 1, 66666.67, 'pass')`, [
    audit.rows[0]!.id,
    parcels.yushan[0],
  ]);
  // The year 2023 as it happened: the national allocation, issuance, a draw, two inspections, Yushan's summary.
  await recordNationalAllocation(app, u.admin, 2023);
  await ok(await post(u.admin, '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-03-01' }), 201);
  await ok(
    await post(u.yushan, '/api/v1/counties/361123/quota/draws', { projectName: '某工业园', approvalNo: '赣林地审〔2023〕31号', approvedOn: '2023-05-01', area: { unit: 'mu', value: 30 } }),
    201,
  );
  await ok(
    await post(u.city, '/api/v1/quota/inspections', {
      parcelId: parcels.yushan[0],
      year: 2023,
      inspectedOn: '2023-11-01',
      outcome: 'quality-declined',
      findings: '郁闭度下降',
      rectifyBy: '2024-06-30',
      affectedArea: { unit: 'mu', value: 10 },
    }),
    201,
  );
  await ok(await post(u.city, '/api/v1/quota/inspections', { parcelId: parcels.guangfeng[0], year: 2023, inspectedOn: '2023-11-02', outcome: 'lost', findings: '被开挖' }), 201);
  await ok(await post(u.yushan, '/api/v1/counties/361123/annual-summary/2023/submit', { submittedOn: '2024-01-08' }), 201);
});
afterAll(async () => {
  await app?.close();
  await resetSeeded(pool);
  await pool.end();
});

const { get, post } = requestsTo(() => app);
const OVERRIDE = {
  checks: ['ownership'],
  reason: '权属争议已经县政府调处，权属单位已书面确认',
  documents: [{ title: '县政府关于权属争议调处的决定', number: '玉府字〔2022〕9号' }],
  approvedBy: { login: 'yushan-government', role: 'county-government', name: '玉山县人民政府' },
  approvedOn: '2022-02-01',
  verifiedBy: 'yushan-forestry',
  note: null,
};

async function workbook(who: TestUser, url: string): Promise<ExcelJS.Workbook> {
  const res = await injectAs(app, who, { method: 'GET', url });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/spreadsheetml/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
  return wb;
}
/** The rows of a sheet as objects keyed by its (Chinese) headers. */
function rowsOf(ws: ExcelJS.Worksheet): Record<string, unknown>[] {
  const headers = (ws.getRow(1).values as unknown[]).slice(1) as string[];
  const out: Record<string, unknown>[] = [];
  for (let i = 2; i <= ws.rowCount; i++) out.push(Object.fromEntries(headers.map((h, j) => [h, ws.getRow(i).getCell(j + 1).value])));
  return out;
}

const ARRANGEMENT = {
  arrangedOn: '2024-01-09',
  projects: [
    { name: '某高速公路连接线', township: '361123101', area: { unit: 'hectare', value: 2 } },
    { name: '某光伏电站', area: { unit: 'mu', value: 50 }, quotaSource: 'pool', note: '申请省级统筹' },
  ],
  supplementary: [
    { name: '2022年度储备库地块', kind: 'reserve', parcelIds: [] as string[] },
    { name: '某废弃矿山生态修复', kind: 'restoration', township: '361123102', area: { unit: 'mu', value: 20 } },
  ],
};

describe('对本年度拟使用林地的项目、面积和补充林地作出统筹安排: the county’s annual arrangement', () => {
  it('is the county forestry bureau’s, of its own county, with real parcels and areas; refusals change nothing', async () => {
    const body = { ...ARRANGEMENT, supplementary: [{ ...ARRANGEMENT.supplementary[0]!, parcelIds: parcels.yushan }, ARRANGEMENT.supplementary[1]!] };
    const url = '/api/v1/counties/361123/annual-arrangements/2024';
    const before = await tableSnapshot(pool);
    expectProblem(await post(u.guangfeng, url, body), 403, 'out-of-jurisdiction');
    expectProblem(await post(u.government, url, body), 403, 'role-not-permitted');
    expectProblem(await post(u.township, url, body), 403, 'role-not-permitted');
    expectProblem(await post(u.yushan, url, { ...body, projects: [], supplementary: [] }), 422, 'arrangement-empty');
    expectProblem(await post(u.yushan, url, { ...body, projects: [{ name: 'x', township: '361124101', area: { unit: 'mu', value: 1 } }] }), 422, 'township-outside-county');
    // Another county's parcel is not this county's supplementary forest land.
    expectProblem(
      await post(u.yushan, url, { ...body, supplementary: [{ name: '别县地块', kind: 'reserve', parcelIds: parcels.guangfeng }] }),
      422,
      'arrangement-parcel-invalid',
    );
    expectProblem(await post(u.yushan, url, { ...body, supplementary: [{ name: '拟修复', kind: 'restoration' }] }), 422, 'area-invalid');
    expect(await tableSnapshot(pool)).toEqual(before);
    expectProblem(await get(u.yushan, url), 404, 'arrangement-not-found');
  });

  it('records the arrangement against the year’s quota (m², 亩, 公顷), revisable, and reads back as XLSX', async () => {
    const body = { ...ARRANGEMENT, supplementary: [{ ...ARRANGEMENT.supplementary[0]!, parcelIds: parcels.yushan }, ARRANGEMENT.supplementary[1]!] };
    const url = '/api/v1/counties/361123/annual-arrangements/2024';
    const a = await ok(await post(u.yushan, url, body), 201);
    // Yushan's 2023 quota: 100.000005 issued − 30 drawn − 10 deducted (林分质量下降) = 60.000005 亩 usable in 2024.
    expect(a).toMatchObject({ version: 1, dueOn: '2024-01-10', arrangedOn: '2024-01-09', late: false });
    expect(a.figures).toMatchObject({
      available: { muExact: '60.000005' },
      plannedCounty: { muExact: '30.000000', m2: 20000, hectare: 2 },
      plannedPool: { muExact: '50.000000' },
      surplus: { muExact: '30.000005' },
      withinQuota: true,
      supplementReserve: { muExact: '100.000005', m2: 66666.67 },
      supplementRestoration: { muExact: '20.000000' },
    });
    expect(a.projects.map((p: { quotaSourceLabel: string }) => p.quotaSourceLabel)).toEqual(['本县新增定额', '申请省级统筹']);
    // A revision is a new version; the latest counts.
    const b = await ok(await post(u.yushan, url, { ...body, arrangedOn: '2024-01-15', projects: [...body.projects, { name: '某输变电工程', area: { unit: 'm2', value: 100000 } }] }), 201);
    expect(b).toMatchObject({ version: 2, late: true, figures: { plannedCounty: { muExact: '180.000000' }, withinQuota: false, surplus: { muExact: '-119.999995' } } });
    expect((await ok(await get(u.city, url))).version).toBe(2);
    const wb = await workbook(u.yushan, `${url}?format=xlsx`);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['统筹安排', '汇总']);
    const rows = rowsOf(wb.getWorksheet('统筹安排')!);
    expect(rows[0]).toMatchObject({ 类别: '拟使用林地项目', 名称: '某高速公路连接线', 乡镇代码: '361123101', 定额来源或补充方式: '本县新增定额', '面积（平方米）': 20000, '面积（亩）': 30, '面积（公顷）': 2 });
    expect(rows.find((r) => r['名称'] === '2022年度储备库地块')).toMatchObject({ 类别: '补充林地', 定额来源或补充方式: '储备库地块', '面积（平方米）': 66666.67, '面积（亩）': 100 });
    const sums = rowsOf(wb.getWorksheet('汇总')!);
    expect(sums.find((r) => r['项目'] === '定额余缺')).toMatchObject({ '面积（亩）': -120, 说明: '拟使用超过可用定额' });
    const csv = await get(u.yushan, `${url}?format=csv`);
    expect(csv.body.split('\r\n')[0]).toBe('\uFEFF类别,名称,乡镇代码,定额来源或补充方式,面积（平方米）,面积（亩）,面积（公顷）,储备库地块,核实越过检查项,说明');
  });
});

describe('设区市林业部门梳理汇总2月初报省级林业部门: the city’s report to the province', () => {
  const url = '/api/v1/cities/361100/annual-report/2023';
  it('sums its counties’ year (summaries, reserve, quota, inspections) and their arrangements for the next year; only the city and the province read it', async () => {
    expectProblem(await get(u.yushan, url), 403, 'role-not-permitted');
    expectProblem(await get(u.otherCity, url), 403, 'out-of-jurisdiction');
    expectProblem(await get(u.city, '/api/v1/cities/361123/annual-report/2023'), 400, 'request-invalid');
    const r = await ok(await get(u.city, url));
    expect(r).toMatchObject({ cityCode: '361100', year: 2023, dueOn: '2024-02-10', submission: null });
    expect(r.counties.map((c: { countyCode: string }) => c.countyCode)).toEqual(['361123', '361124']);
    const [yushan, guangfeng] = r.counties;
    expect(yushan).toMatchObject({
      summary: { submittedOn: '2024-01-08', late: false },
      quota: { issued: { muExact: '100.000005' }, drawn: { muExact: '30.000000' }, deducted: { muExact: '10.000000' }, balance: { muExact: '60.000005' } },
      inspections: { total: 1, qualityDeclined: 1, loss: { muExact: '10.000000' } },
      arrangement: { year: 2024, version: 2, plannedCounty: { muExact: '180.000000' }, plannedPool: { muExact: '50.000000' } },
    });
    expect(guangfeng).toMatchObject({ summary: null, arrangement: null, inspections: { lost: 1, loss: { muExact: '19.999995' } }, quota: { balance: { muExact: '0.000000' } } });
    expect(r.total).toMatchObject({ countyCode: '合计', quota: { issued: { muExact: '120.000000' }, deducted: { muExact: '29.999995' } }, inspections: { total: 2 } });
    // The province reads it too.
    expect((await ok(await get(u.reviewer, url))).counties).toHaveLength(2);
    const wb = await workbook(u.city, `${url}?format=xlsx`);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['各县年度总结汇总', '2024年度统筹安排']);
    const rows = rowsOf(wb.getWorksheet('各县年度总结汇总')!);
    expect(rows.map((x) => x['县级代码'])).toEqual(['361123', '361124', '合计']);
    expect(rows[0]).toMatchObject({ 县级总结上报: '2024-01-08', '下达县级定额（亩）': 100, '核查扣减（平方米）': 6666.67, 林分质量下降: 1 });
    expect(rows[1]).toMatchObject({ 县级总结上报: '未上报', 灭失: 1, '核查认定损失（公顷）': 1.3333 });
    const plan = rowsOf(wb.getWorksheet('2024年度统筹安排')!);
    expect(plan[0]).toMatchObject({ 县级代码: '361123', 编制日期: '2024-01-15（第2版）', '拟使用本县定额（亩）': 180, '拟申请省级统筹（公顷）': 3.3333 });
    expect(plan[1]).toMatchObject({ 编制日期: '未编制' });
    expect(plan[2]).toMatchObject({ 县级代码: '合计', '拟使用本县定额（亩）': 180 });
  });

  it('the city submits it, frozen; after 10 February it is late; once', async () => {
    expectProblem(await post(u.admin, `${url}/submit`, { submittedOn: '2024-02-08' }), 403, 'role-not-permitted');
    expectProblem(await post(u.city, `${url}/submit`, { submittedOn: '2023-12-31' }), 422, 'year-not-ended');
    const s = await ok(await post(u.city, `${url}/submit`, { submittedOn: '2024-02-12' }), 201);
    expect(s).toMatchObject({ cityCode: '361100', dueOn: '2024-02-10', late: true, snapshot: { counties: [{ countyCode: '361123' }, { countyCode: '361124' }] } });
    expectProblem(await post(u.city, `${url}/submit`, { submittedOn: '2024-02-12' }), 409, 'city-report-submitted');
    expect((await ok(await get(u.reviewer, url))).submission).toMatchObject({ submittedOn: '2024-02-12', late: true });
  });
});

describe('形成试点评估报告: the provincial evaluation report (核查考评)', () => {
  it('per county: reserve, audits, the year’s inspections with their outcomes and effects, deductions and debts; a city sees its counties', async () => {
    expectProblem(await get(u.yushan, '/api/v1/evaluation-reports/2023'), 403, 'role-not-permitted');
    const e = await ok(await get(u.reviewer, '/api/v1/evaluation-reports/2023'));
    expect(e.counties.map((c: { countyCode: string }) => c.countyCode)).toEqual(['360111', '361123', '361124']);
    const yushan = e.counties[1];
    expect(yushan.audits).toEqual([
      expect.objectContaining({ level: 'city', reserveYear: 2022, sharePct: 100, samples: 1, failed: 0, completed: true, sampled: expect.objectContaining({ m2: 66666.67 }) }),
    ]);
    expect(e.total).toMatchObject({ quota: { issued: { muExact: '620.000000' } }, inspections: { total: 2, lost: 1, qualityDeclined: 1 } });
    expect(e.inspections.map((n: { outcomeLabel: string }) => n.outcomeLabel).sort()).toEqual(['林分质量下降', '灭失']);
    const city = await ok(await get(u.city, '/api/v1/evaluation-reports/2023'));
    expect(city.counties.map((c: { countyCode: string }) => c.countyCode)).toEqual(['361123', '361124']);
    const wb = await workbook(u.admin, '/api/v1/evaluation-reports/2023?format=xlsx');
    expect(wb.worksheets.map((w) => w.name)).toEqual(['评估汇总', '核查考评明细', '抽查']);
    const summary = rowsOf(wb.getWorksheet('评估汇总')!);
    expect(summary.map((r) => r['县级代码'])).toEqual(['360111', '361123', '361124', '合计']);
    expect(summary[0]).toMatchObject({ 设区市代码: '360100', '下达县级定额（亩）': 500 });
    const detail = rowsOf(wb.getWorksheet('核查考评明细')!);
    const declined = detail.find((r) => r['核查结果'] === '林分质量下降')!;
    expect(declined).toMatchObject({ 县级代码: '361123', '受影响面积（亩）': 10, '受影响面积（平方米）': 6666.67, '认定损失（公顷）': 0.6667, 整改期限: '2024-06-30' });
    expect(String(declined['处理'])).toContain('扣减当年度使用林地指标');
    expect(detail.find((r) => r['核查结果'] === '灭失')).toMatchObject({ '认定损失（亩）': 20, 整改期限: null });
    const audits = rowsOf(wb.getWorksheet('抽查')!);
    expect(audits).toEqual([expect.objectContaining({ 县级代码: '361123', 抽查级别: '市级抽查（≥30%面积）', '抽查比例（%）': 100, 不合格地块数: 0, 是否完成: '是' })]);
  });
});

describe('an override at 核实 shows in every report that lists the parcel (issue 10 point 4)', () => {
  it('the issuance’s parcels, the re-inspections, the evaluation report (JSON and XLSX) and the arrangement name the checks passed over, the reason and the document', async () => {
    const id = parcels.yushan[0]!;
    const shows = { checks: ['ownership'], reason: OVERRIDE.reason, documents: OVERRIDE.documents, approvedBy: expect.objectContaining({ role: 'county-government' }) };
    const issuances = await ok(await get(u.yushan, '/api/v1/quota/issuances'));
    const mine = issuances.items.find((i: { countyCode: string }) => i.countyCode === '361123');
    const detail = await ok(await get(u.yushan, `/api/v1/quota/issuances/${mine.id}`));
    expect(detail.parcelItems).toEqual([expect.objectContaining({ parcelId: id, stateLabel: '省级储备库', verificationOverride: expect.objectContaining(shows) })]);
    const inspections = await ok(await get(u.yushan, '/api/v1/quota/inspections?county=361123'));
    expect(inspections.items[0]).toMatchObject({ parcelId: id, verificationOverride: shows });
    const e = await ok(await get(u.reviewer, '/api/v1/evaluation-reports/2023'));
    const byParcel = (no: string) => e.inspections.find((n: { parcelNo: string }) => n.parcelNo === no);
    expect(e.inspections.filter((n: { verificationOverride: unknown }) => n.verificationOverride)).toHaveLength(1);
    expect(byParcel(inspections.items[0].parcelNo).verificationOverride).toMatchObject(shows);
    const detailRows = rowsOf((await workbook(u.admin, '/api/v1/evaluation-reports/2023?format=xlsx')).getWorksheet('核查考评明细')!);
    expect(detailRows.find((r) => r['县级代码'] === '361123')!['核实越过检查项']).toBe('权属明晰（县级人民政府批准：权属争议已经县政府调处，权属单位已书面确认；玉府字〔2022〕9号）');
    expect(detailRows.find((r) => r['县级代码'] === '361124')!['核实越过检查项']).toBeFalsy();
    const a = await ok(await get(u.yushan, '/api/v1/counties/361123/annual-arrangements/2024'));
    expect(a.supplementary[0].parcels).toEqual([expect.objectContaining({ id, state: 'provincial-reserve', verificationOverride: expect.objectContaining(shows) })]);
    const plan = rowsOf((await workbook(u.yushan, '/api/v1/counties/361123/annual-arrangements/2024?format=xlsx')).getWorksheet('统筹安排')!);
    expect(String(plan.find((r) => r['名称'] === '2022年度储备库地块')!['核实越过检查项'])).toContain('权属明晰（县级人民政府批准');
  });
});
