import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { expectProblem, importAndWait } from '../helpers/imports.js';
import { multipart } from '../helpers/multipart.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { injectAs, type Response } from '../helpers/http.js';

const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const COUNTY = '361123';
const BASE = `/api/v1/counties/${COUNTY}/restorable-mining-land`;
const pool = testPool();
let app: App;
let admin: TestUser;

async function clean() {
  await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [COUNTY]);
  await resetCounty(pool, COUNTY);
}

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  await importAndWait(app, admin, { layer: 'xzq', year: 2019, file: join(FIX, 'xzq.shp.zip') });
  await importAndWait(app, admin, { layer: 'dltb', year: 2019, file: join(FIX, 'dltb-2019.shp.zip') });
});
afterAll(async () => {
  await app.close();
  await clean();
  await pool.end();
});

const summary = async (q = '') => {
  const res = await injectAs(app, admin, `${BASE}/summary${q}`);
  expect(res.statusCode).toBe(200);
  return res.json();
};

describe('restorable mining land', () => {
  it('totals every base-survey 0602 polygon by township in m², 亩 and 公顷 before any parcel is proposed', async () => {
    const s = await summary();
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, sum(tbmj)::float8 AS m2 FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND dlbm = '0602'`,
      [COUNTY],
    );
    expect(s.total.parcels).toBe(rows[0].n);
    expect(s.total.area.m2).toBeCloseTo(rows[0].m2, 2);
    expect(s.total.area.mu).toBeCloseTo(rows[0].m2 / (10000 / 15), 3);
    expect(s.townships.reduce((a: number, t: { parcels: number }) => a + t.parcels, 0)).toBe(rows[0].n);
    for (const t of s.townships) expect(t.name).toMatch(/[镇乡街道]$/);
  });

  it('subtracts the parts already covered by candidate parcels, by the official ellipsoidal area', async () => {
    const before = await summary();
    // Half of the largest mining polygon becomes a candidate parcel.
    const { rows } = await pool.query(
      `SELECT fid, tbmj::float8 AS tbmj, left(zldwdm, 9) AS township,
              ST_AsGeoJSON(ST_Intersection(geom, ST_MakeEnvelope(ST_XMin(geom), ST_YMin(geom), (ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMax(geom), 4490)), 9) AS half
         FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND dlbm = '0602' ORDER BY tbmj DESC LIMIT 1`,
      [COUNTY],
    );
    const target = rows[0];
    const dir = mkdtempSync(join(tmpdir(), 'zhanbu-rest-'));
    const file = join(dir, 'half.geojson');
    writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { DKBH: 'H1' }, geometry: JSON.parse(target.half) }] }));
    const up = await injectAs(app, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...multipart({ county: COUNTY, township: target.township }, { path: file }) });
    expect(up.statusCode).toBe(201);
    const report = (await injectAs(app, admin, `/api/v1/candidate-uploads/${up.json().id}/report`)).json();
    const halfArea = report.parcels[0].areaOfRecord.m2 as number;

    const after = await summary();
    expect(after.total.parcels).toBe(before.total.parcels);
    expect(after.total.area.m2).toBeCloseTo(before.total.area.m2 - halfArea, 1);
    const page = (await injectAs(app, admin, `${BASE}?limit=5000`)).json();
    const cut = page.features.find((f: { id: number }) => f.id === target.fid);
    expect(cut.properties.BFFG).toBe(true);
    expect(cut.properties.KXFMJ).toBeCloseTo(target.tbmj - halfArea, 1);
    expect(cut.properties.KXFMJ).toBeLessThan(target.tbmj);
  });

  it('pages GeoJSON with next links that together return every polygon once', async () => {
    const all = (await injectAs(app, admin, `${BASE}?limit=5000`)).json();
    const seen: number[] = [];
    let url: string | undefined = `${BASE}?limit=7`;
    let pages = 0;
    while (url) {
      const res: Response = await injectAs(app, admin, url);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/geo\+json/);
      const body: { numberReturned: number; features: { id: number }[]; links: { rel: string; href: string }[] } = res.json();
      expect(body.numberReturned).toBe(body.features.length);
      seen.push(...body.features.map((f: { id: number }) => f.id));
      url = body.links.find((l: { rel: string }) => l.rel === 'next')?.href;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(all.features.map((f: { id: number }) => f.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by township, minimum area, ownership, CZCSXM 204 and bbox', async () => {
    const all = await summary();
    const t = all.townships[0];
    const one = await summary(`?township=${t.township}`);
    expect(one.townships).toHaveLength(1);
    expect(one.total.parcels).toBe(t.parcels);
    const big = await summary('?minAreaM2=5000');
    expect(big.total.parcels).toBeLessThan(all.total.parcels);
    const page = (await injectAs(app, admin, `${BASE}?limit=5000&minAreaM2=5000`)).json();
    for (const f of page.features) expect(f.properties.KXFMJ).toBeGreaterThanOrEqual(5000);
    const state = await summary('?ownership=state');
    const collective = await summary('?ownership=collective');
    expect(state.total.parcels + collective.total.parcels).toBe(all.total.parcels);
    const c204 = (await injectAs(app, admin, `${BASE}?limit=5000&czcsxm204=true`)).json();
    for (const f of c204.features) expect(f.properties.CZCSXM).toBe('204');
    const first = page.features[0];
    const [lon, lat] = first.geometry.coordinates[0][0][0] ?? first.geometry.coordinates[0][0];
    const box = (await injectAs(app, admin, `${BASE}?limit=5000&bbox=${lon - 0.0005},${lat - 0.0005},${lon + 0.0005},${lat + 0.0005}`)).json();
    expect(box.features.length).toBeGreaterThan(0);
    expect(box.features.length).toBeLessThan(all.total.parcels);
  });

  it('exports the township summary as CSV and XLSX with Chinese headers', async () => {
    const csv = await injectAs(app, admin, `${BASE}/summary?format=csv`);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\r\n')[0]).toBe('\uFEFF乡镇代码,乡镇名称,图斑数,可修复面积（平方米）,可修复面积（亩）,可修复面积（公顷）');
    expect(csv.body).toContain('合计');
    const xlsx = await injectAs(app, admin, `${BASE}/summary?format=xlsx`);
    expect(xlsx.headers['content-disposition']).toMatch(/filename\*=UTF-8''/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ExcelJS.Buffer);
    expect(wb.getWorksheet('按乡镇汇总')!.getRow(1).getCell(2).value).toBe('乡镇名称');
  });

  it('answers a county without survey data and bad filters with problem+json', async () => {
    expectProblem(await injectAs(app, admin, '/api/v1/counties/360111/restorable-mining-land/summary'), 422, 'survey-layers-missing');
    expectProblem(await injectAs(app, admin, `${BASE}/summary?year=1999`), 422, 'survey-year-not-imported');
    expectProblem(await injectAs(app, admin, `${BASE}?bbox=119,29,118,28`), 400, 'bbox-invalid');
    expectProblem(await injectAs(app, admin, `${BASE}?limit=0`), 400, 'request-invalid');
  });
});
