/**
 * The reserve's way up, through the API (Jiangxi scheme 赣林规〔2022〕1号 §三(三)2: 各县(市、区)要将验收合格的
 * 补充林地纳入林地储备库，经县(市、区)政府审核后，由县(市、区)林业主管部门……报市级林业部门审核汇总，市级……抽查30%
 * 的面积进行现场核查，核查无误后报省级林业部门，省级……抽查15%的面积进行现场核查，核查无误后纳入省级林地储备库):
 * the county government approves before the city may audit, and a sample with a failed parcel
 * passes nothing: the submission goes back to the county and, resubmitted, is sampled afresh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { expectProblem, ok, requestsTo } from '../helpers/http.js';
import { resetSeeded, seedReserve } from '../helpers/procedure.js';

const COUNTY = '361123';
const pool = testPool();
let app: App;
/** 市级（省级）林业、自然资源部门抽查……现场核查: the inspectors of both departments. */
const TEAM = { forestry: [{ name: '赵核', unit: '林业局' }], naturalResources: [{ name: '钱查', unit: '自然资源局' }] };
const u = {} as Record<'forestry' | 'government' | 'otherGovernment' | 'city' | 'reviewer', TestUser>;
let parcels: string[] = [];
let submissionId: string;

beforeAll(async () => {
  await resetSeeded(pool);
  app = await buildTestApp();
  u.forestry = await createTestUser(pool, 'county-forestry', COUNTY);
  u.government = await createTestUser(pool, 'county-government', COUNTY);
  u.otherGovernment = await createTestUser(pool, 'county-government', '361102');
  u.city = await createTestUser(pool, 'city', '361100');
  u.reviewer = await createTestUser(pool, 'province-reviewer', '36');
  parcels = await seedReserve(pool, COUNTY, 2023, ['10000.00', '8000.00', '6000.00', '4000.00', '2000.00'], 'county-reserve');
});
afterAll(async () => {
  await app?.close();
  await resetSeeded(pool);
  await pool.end();
});

const { get, post } = requestsTo(() => app);

/** Records a result for every sampled parcel: the first `fail` of them fail. */
async function inspectSample(who: TestUser, audit: { id: string; samples: { parcelId: string }[] }, fail = 0) {
  for (const [i, s] of audit.samples.entries()) {
    const body = i < fail ? { parcelId: s.parcelId, result: 'fail', reason: '林木大面积枯死', inspectedOn: '2024-10-20' } : { parcelId: s.parcelId, result: 'pass', inspectedOn: '2024-10-20' };
    await ok(await post(who, `/api/v1/audits/${audit.id}/results`, body));
  }
}

describe('经县（市、区）政府审核后，由县（市、区）林业主管部门报市级', () => {
  it('the county forestry bureau files the submission; the city cannot audit it before the county government approves', async () => {
    const s = await ok(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023, submittedOn: '2024-09-01' }), 201);
    expect(s).toMatchObject({ state: 'county-review', parcels: 5, late: false, approval: null, returned: null });
    submissionId = s.id;
    const refused = expectProblem(await post(u.city, `/api/v1/reserve-submissions/${s.id}/audits`, { level: 'city' }), 409, 'audit-not-due');
    expect(refused.detail).toContain('县级人民政府审核');
  });

  it('only the county government of that county approves; the approval records who and when, and an approval after 15 September is late', async () => {
    for (const who of [u.forestry, u.city, u.reviewer]) expectProblem(await post(who, `/api/v1/reserve-submissions/${submissionId}/approve`, {}), 403, 'role-not-permitted');
    expectProblem(await post(u.otherGovernment, `/api/v1/reserve-submissions/${submissionId}/approve`, {}), 404, 'submission-not-found');
    expectProblem(await post(u.government, `/api/v1/reserve-submissions/${submissionId}/approve`, { approvedOn: '2024-08-31' }), 422, 'guard-failed');
    const a = await ok(await post(u.government, `/api/v1/reserve-submissions/${submissionId}/approve`, { approvedOn: '2024-09-16', notes: '县政府常务会议审核通过' }));
    expect(a).toMatchObject({ state: 'city-review', late: true, approval: { approvedOn: '2024-09-16', approvedBy: u.government.id, approvedAt: expect.any(String) } });
    expectProblem(await post(u.government, `/api/v1/reserve-submissions/${submissionId}/approve`, {}), 409, 'submission-not-awaiting-approval');
    expect((await ok(await get(u.city, `/api/v1/reserve-submissions/${submissionId}`))).approval.approvedBy).toBe(u.government.id);
  });
});

describe('核查无误后报省级 / 核查无误后纳入省级林地储备库: a failed sample stops the batch', () => {
  it('the city’s sample passes: the submission goes to the province', async () => {
    const a = await ok(await post(u.city, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'city' }), 201);
    await inspectSample(u.city, a);
    expect(await ok(await post(u.city, `/api/v1/audits/${a.id}/complete`, { participants: TEAM }))).toMatchObject({ moved: 5, returned: 0, submission: { state: 'province-review' } });
  });

  it('a failed parcel in the province’s sample: it leaves the reserve with the reason, the rest goes back to the county reserve, the submission is returned', async () => {
    const a = await ok(await post(u.reviewer, `/api/v1/reserve-submissions/${submissionId}/audits`, { level: 'province' }), 201);
    const failed = a.samples[0].parcelId as string;
    await inspectSample(u.reviewer, a, 1);
    const done = await ok(await post(u.reviewer, `/api/v1/audits/${a.id}/complete`, { participants: TEAM }));
    expect(done).toMatchObject({ moved: 0, returned: 4, submission: { state: 'returned', returned: { reason: expect.stringContaining('林木大面积枯死') } } });
    const gone = await ok(await get(u.forestry, `/api/v1/procedures/${failed}`));
    expect(gone).toMatchObject({ state: 'removed', endReason: '省级抽查不合格：林木大面积枯死' });
    for (const id of parcels.filter((p) => p !== failed)) {
      const d = await ok(await get(u.forestry, `/api/v1/procedures/${id}`));
      expect(d).toMatchObject({ state: 'county-reserve', submissionId: null });
      expect(d.history.at(-1)).toMatchObject({ action: 'province-return', actor: { role: 'province-reviewer' } });
    }
    // Nothing reached the provincial reserve.
    expect((await pool.query(`SELECT count(*)::int AS n FROM procedure.parcel WHERE state = 'provincial-reserve'`)).rows[0].n).toBe(0);
    parcels = parcels.filter((p) => p !== failed);
  });

  it('the county resubmits the rest, the county government approves again, and the city and the province sample it afresh', async () => {
    const again = await ok(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023, submittedOn: '2024-11-01' }), 201);
    expect(again).toMatchObject({ parcels: 4, state: 'county-review' });
    expect(again.id).not.toBe(submissionId);
    expectProblem(await post(u.forestry, `/api/v1/counties/${COUNTY}/reserve-submissions`, { reserveYear: 2023, submittedOn: '2024-11-01' }), 409, 'reserve-already-submitted');
    expectProblem(await post(u.city, `/api/v1/reserve-submissions/${again.id}/audits`, { level: 'city' }), 409, 'audit-not-due');
    await ok(await post(u.government, `/api/v1/reserve-submissions/${again.id}/approve`, { approvedOn: '2024-11-02' }));
    const c = await ok(await post(u.city, `/api/v1/reserve-submissions/${again.id}/audits`, { level: 'city' }), 201);
    expect(c.population.map((p: { parcelId: string }) => p.parcelId).sort()).toEqual([...parcels].sort());
    await inspectSample(u.city, c);
    await ok(await post(u.city, `/api/v1/audits/${c.id}/complete`, { participants: TEAM }));
    const p = await ok(await post(u.reviewer, `/api/v1/reserve-submissions/${again.id}/audits`, { level: 'province' }), 201);
    await inspectSample(u.reviewer, p);
    expect(await ok(await post(u.reviewer, `/api/v1/audits/${p.id}/complete`, { participants: TEAM }))).toMatchObject({ moved: 4, submission: { state: 'provincial-reserve' } });
    // Both submissions stay on record: the returned one and the one that went through.
    const list = await ok(await get(u.city, `/api/v1/reserve-submissions?county=${COUNTY}&year=2023`));
    expect(list.items.map((s: { state: string }) => s.state).sort()).toEqual(['provincial-reserve', 'returned']);
  });
});
