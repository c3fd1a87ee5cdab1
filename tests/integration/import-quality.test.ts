import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { importAndWait } from '../helpers/imports.js';
import { testAdmin, createTestUser, deleteTestUsers, type TestUser } from '../helpers/auth.js';
import { expectProblem, injectAs } from '../helpers/http.js';
import { cleanupVariants, sampleFile, withPlantedQualityErrors, type PlantedQuality } from '../helpers/fixture-variants.js';

/** Layer-level quality checks (质检) of a DLTB import (issue 11 point 5). */
const COUNTY = '361123';
const pool = testPool();
let app: App;
let admin: TestUser;

interface Finding {
  seq: number;
  rule: string;
  ruleLabel: string;
  fids: number[] | null;
  bsms: (string | null)[] | null;
  message: string;
  figures: Record<string, number | string> | null;
}

async function report(id: string): Promise<{ summary: { findings: Record<string, number>; total: number; xzq: boolean }; items: Finding[] }> {
  const res = await injectAs(app, admin, `/api/v1/imports/${id}/quality?limit=10000`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  app = await buildTestApp();
  admin = await testAdmin(pool);
  await importAndWait(app, admin, { layer: 'xzq', year: 2019, file: sampleFile('xzq.shp.zip') });
});
afterAll(async () => {
  await app?.close();
  await resetCounty(pool, COUNTY);
  await deleteTestUsers(pool);
  cleanupVariants();
  await pool.end();
});

describe('quality report of a clean county', () => {
  it('finds nothing in the sample county: areas, deductions, coverage, identifiers and XZQ sums all agree', async () => {
    const { job } = await importAndWait(app, admin, { layer: 'dltb', year: 2019, file: sampleFile('dltb-2019.shp.zip') });
    expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.quality).toMatchObject({ total: 0, xzq: true });
    const r = await report(job.id);
    expect(r.items).toEqual([]);
    expect(Object.keys(r.summary.findings).sort()).toEqual(['bsm-duplicate', 'gap', 'kcmj', 'overlap', 'tbbh-duplicate', 'tbdlmj', 'tbmj-area', 'tbmj-total', 'xzq-sum']);
  });
});

describe('quality report of a file with planted errors', () => {
  let planted: PlantedQuality;
  let id: string;
  let items: Finding[];
  beforeAll(async () => {
    const v = withPlantedQualityErrors();
    planted = v.planted;
    const { job } = await importAndWait(app, admin, { layer: 'dltb', year: 2019, file: v.file, fields: { replace: true } });
    // Warnings only: the import goes ahead, every feature written.
    expect(job).toMatchObject({ state: 'succeeded', counts: { rejected: 0 } });
    expect(job.quality.total).toBeGreaterThan(0);
    id = job.id;
    items = (await report(id)).items;
  });
  const of = (rule: string) => items.filter((f) => f.rule === rule);

  it('finds the changed TBMJ, with both areas, and the county total it throws off', () => {
    const f = of('tbmj-area').find((x) => x.bsms?.includes(planted.tbmj.bsm))!;
    expect(f).toBeDefined();
    expect(Number(f.figures!.differenceM2)).toBeCloseTo(5, 1);
    expect(f.ruleLabel).toBe('图斑面积与椭球面积不符');
    expect(of('tbmj-total')).toHaveLength(1);
  });

  it('finds the overlap between the pushed-out polygon and its neighbours, with its area', () => {
    const o = of('overlap').filter((x) => x.bsms?.includes(planted.overlap.bsm));
    expect(o.length).toBeGreaterThanOrEqual(2);
    for (const x of o) expect(Number(x.figures!.areaM2)).toBeGreaterThan(0.01);
    expect(Math.max(...o.map((x) => Number(x.figures!.areaM2)))).toBeGreaterThan(1);
    // Every overlap found involves the planted polygon: no false alarm elsewhere.
    expect(of('overlap').every((x) => x.bsms?.includes(planted.overlap.bsm))).toBe(true);
  });

  it('finds the gap where a polygon was dropped, as large as that polygon', () => {
    const g = of('gap');
    expect(g.some((x) => Math.abs(Number(x.figures!.areaM2) - planted.gap.tbmj) < 1), JSON.stringify([g, planted.gap])).toBe(true);
  });

  it('finds the duplicate BSM, the wrong KCMJ and the duplicate TBBH within the 坐落单位', () => {
    expect(of('bsm-duplicate').map((x) => x.figures!.bsm)).toEqual([planted.bsm.bsm]);
    expect(of('kcmj').map((x) => x.bsms![0])).toEqual([planted.kcmj.bsm]);
    expect(of('tbdlmj').map((x) => x.bsms![0])).toEqual([]);
    expect(of('tbbh-duplicate').map((x) => [x.figures!.zldwdm, x.figures!.tbbh])).toEqual([[planted.tbbh.zldwdm, planted.tbbh.tbbh]]);
  });

  it('finds the township and county sums that no longer match the XZQ', () => {
    const s = of('xzq-sum');
    expect(s.map((x) => x.figures!.xzqdm)).toContain(COUNTY);
  });

  it('gives the problem locations as GeoJSON and the report as XLSX', async () => {
    const gj = await injectAs(app, admin, `/api/v1/imports/${id}/quality?format=geojson`);
    expect(gj.statusCode).toBe(200);
    expect(gj.headers['content-type']).toMatch(/geo\+json/);
    const fc = gj.json();
    expect(fc.features).toHaveLength(items.length);
    expect(fc.features.filter((f: { geometry: unknown }) => f.geometry).length).toBeGreaterThan(0);
    expect(fc.features[0].properties).toMatchObject({ rule: expect.any(String), message: expect.any(String) });
    const x = await injectAs(app, admin, `/api/v1/imports/${id}/quality?format=xlsx`);
    expect(x.statusCode).toBe(200);
    expect(x.rawPayload.subarray(0, 2).toString()).toBe('PK');
  });

  it('is another county’s business to no one: 404 outside the jurisdiction, 401 without a token', async () => {
    const other = await createTestUser(pool, 'county-forestry', '361102');
    expectProblem(await injectAs(app, other, `/api/v1/imports/${id}/quality`), 404, 'not-found');
    const own = await createTestUser(pool, 'county-forestry', COUNTY);
    expect((await injectAs(app, own, `/api/v1/imports/${id}/quality`)).statusCode).toBe(200);
  });
});
