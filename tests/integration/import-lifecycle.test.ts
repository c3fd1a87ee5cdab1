import { copyFileSync, mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { expectProblem, importAndWait, postImport } from '../helpers/imports.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { injectAs } from '../helpers/http.js';

const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const COUNTY = '361123';
const pool = testPool();
let app: App;
let admin: TestUser;

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  app = await buildTestApp();
  admin = await testAdmin(pool);
});
afterAll(async () => {
  await app.close();
  await resetCounty(pool, COUNTY);
  await pool.end();
});

const count = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows[0].n as number;
const dltbRows = (year: number) => count('SELECT count(*)::int AS n FROM survey.dltb WHERE county_code = $1 AND survey_year = $2', [COUNTY, year]);

describe('import lifecycle: health, import, idempotency, replace, conflicts', () => {
  it('answers /health with up/down only, and the database and GDAL versions to the province administrator', async () => {
    const res = await injectAs(app, admin, '/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    const detail = await injectAs(app, admin, '/api/v1/health');
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ status: 'ok', database: { ok: true } });
    expect(detail.json().gdal).toMatch(/^3\./);
  });

  it('serves an OpenAPI document listing the import routes', async () => {
    const res = await injectAs(app, admin, '/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/imports', '/api/v1/imports/{id}', '/api/v1/imports/{id}/rejects']));
  });

  it('imports the GBK shapefile DLTB with progress, counts, the source zone and correct Chinese', async () => {
    const { submit, job } = await importAndWait(app, admin, { file: join(FIX, 'dltb-2019.shp.zip') });
    expect(submit.statusCode).toBe(202);
    expect(submit.headers.location).toBe(`/api/v1/imports/${submit.json().id}`);
    expect(job).toMatchObject({ state: 'succeeded', progress: 1, current: true, counts: { rejected: 0 } });
    expect(job.counts.imported).toBe(job.counts.features);
    // GDAL's Shapefile driver matches the ESRI .prj to EPSG:4527 itself; other cases go through our identifier.
    expect(job.crs).toMatchObject({ epsg: 4527, zone: 39, zonePrefixed: true });
    expect(job.encoding).toMatchObject({ encoding: 'CP936', source: 'ldid' });
    expect(await dltbRows(2019)).toBe(job.counts.imported);
    const { rows } = await pool.query(
      `SELECT dlmc, qsdwmc, ST_SRID(geom) AS srid, extra FROM survey.dltb WHERE county_code = $1 AND dlbm = '0602' LIMIT 1`,
      [COUNTY],
    );
    expect(rows[0].dlmc).toBe('采矿用地');
    expect(rows[0].qsdwmc).toMatch(/[\u4e00-\u9fff]+(村民委员会|村民小组|有限公司|林场|国有)/u);
    expect(rows[0].srid).toBe(4490);
  });

  it('recognises the same file again: 200, duplicate, nothing new', async () => {
    const before = await count('SELECT count(*)::int AS n FROM public.import_job WHERE county_code = $1', [COUNTY]);
    const rowsBefore = await dltbRows(2019);
    const res = await postImport(app, admin, { file: join(FIX, 'dltb-2019.shp.zip') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ duplicate: true, state: 'succeeded' });
    expect(await count('SELECT count(*)::int AS n FROM public.import_job WHERE county_code = $1', [COUNTY])).toBe(before);
    expect(await dltbRows(2019)).toBe(rowsBefore);
  });

  it('refuses a different file for an imported layer-year unless replace=true', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zhanbu-'));
    const changed = join(dir, 'dltb-2019-v2.shp.zip');
    copyFileSync(join(FIX, 'dltb-2019.shp.zip'), changed);
    appendFileSync(changed, Buffer.alloc(0));
    // Same content with a different archive comment is a different file for the hash.
    const gpkg = join(FIX, 'yushan-2019.gpkg');
    const res = await postImport(app, admin, { file: gpkg });
    const body = expectProblem(res, 409, 'layer-year-exists');
    expect(body.currentImportId).toBeTruthy();

    const rowsBefore = await dltbRows(2019);
    const { job } = await importAndWait(app, admin, { file: gpkg, fields: { replace: true } });
    expect(job).toMatchObject({ state: 'succeeded', current: true, source: { format: 'gpkg', layer: 'DLTB' } });
    expect(job.replaces).toBe(body.currentImportId);
    expect(await dltbRows(2019)).toBe(rowsBefore);
    const old = await injectAs(app, admin, `/api/v1/imports/${body.currentImportId}`);
    expect(old.json()).toMatchObject({ current: false, supersededBy: job.id });
    // Exactly one set of rows for the year: the old partition was swapped out.
    expect(await count('SELECT count(DISTINCT import_id)::int AS n FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019', [COUNTY])).toBe(1);
  });

  it('keeps survey years side by side', async () => {
    const { job } = await importAndWait(app, admin, { file: join(FIX, 'dltb-2023.shp.zip'), year: 2023 });
    expect(job.state).toBe('succeeded');
    expect(await dltbRows(2023)).toBe(job.counts.imported);
    expect(await dltbRows(2019)).toBeGreaterThan(0);
    const restored = await count(
      `SELECT count(*)::int AS n FROM survey.dltb a JOIN survey.dltb b ON a.county_code = b.county_code AND a.bsm = b.bsm
        WHERE a.county_code = $1 AND a.survey_year = 2019 AND b.survey_year = 2023 AND a.dlbm = '0602' AND b.dlbm LIKE '03%'`,
      [COUNTY],
    );
    expect(restored).toBeGreaterThan(0);
  });

  it('imports the one-map 小班 and XZQ layers', async () => {
    const ldxb = await importAndWait(app, admin, { layer: 'ldxb', year: 2023, file: join(FIX, 'ldxb-2023.shp.zip') });
    expect(ldxb.job.state).toBe('succeeded');
    const xzq = await importAndWait(app, admin, { layer: 'xzq', year: 2019, file: join(FIX, 'xzq.shp.zip') });
    expect(xzq.job.state).toBe('succeeded');
    const levels = await pool.query(`SELECT level, count(*)::int AS n FROM survey.xzq WHERE county_code = $1 GROUP BY level`, [COUNTY]);
    expect(Object.fromEntries(levels.rows.map((r) => [r.level, r.n]))).toMatchObject({ county: 1 });
    const layers = await injectAs(app, admin, `/api/v1/layers?county=${COUNTY}`);
    expect(layers.json().items.map((i: { layer: string; surveyYear: number }) => `${i.layer}:${i.surveyYear}`).sort()).toEqual([
      'dltb:2019',
      'dltb:2023',
      'ldxb:2023',
      'xzq:2019',
    ]);
  });

  it('summarises DLTB by land class in m², 亩 and 公顷', async () => {
    const res = await injectAs(app, admin, `/api/v1/counties/${COUNTY}/dltb/2019/land-classes`);
    expect(res.statusCode).toBe(200);
    const mining = res.json().items.find((i: { dlbm: string }) => i.dlbm === '0602');
    expect(mining.dlmc).toBe('采矿用地');
    expect(mining.area.mu).toBeCloseTo(mining.area.m2 / (10000 / 15), 3);
    expect(mining.area.hectare).toBeCloseTo(mining.area.m2 / 10000, 3);
  });

  it('refuses a second import of the same layer-year while one is running', async () => {
    const first = await postImport(app, admin, { file: join(FIX, 'yushan-2023.gpkg'), year: 2031 });
    expect(first.statusCode).toBe(202);
    const second = await postImport(app, admin, { file: join(FIX, 'dltb-2023.shp.zip'), year: 2031 });
    expectProblem(second, 409, 'import-in-progress');
    await app.imports.idle();
    expect((await injectAs(app, admin, `/api/v1/imports/${first.json().id}`)).json().state).toBe('succeeded');
  });

  it('marks imports left running by a dead process as failed, with nothing written', async () => {
    const { rows } = await pool.query(
      `INSERT INTO public.import_job (layer, county_code, survey_year, source_name, content_sha256, state, phase, worker_id)
       VALUES ('dltb', $1, 2030, 'lost.zip', repeat('a', 64), 'running', 'loading', 'a-process-that-died') RETURNING id`,
      [COUNTY],
    );
    const restarted = await buildTestApp();
    await restarted.close();
    const job = (await injectAs(app, admin, `/api/v1/imports/${rows[0].id}`)).json();
    expect(job).toMatchObject({ state: 'failed', error: { code: 'import-interrupted' } });
    expect(await dltbRows(2030)).toBe(0);
  });

  it('answers unknown imports and routes with problem+json', async () => {
    expectProblem(await injectAs(app, admin, '/api/v1/imports/00000000-0000-0000-0000-000000000000'), 404, 'not-found');
    expectProblem(await injectAs(app, admin, '/api/v1/nothing-here'), 404, 'route-not-found');
  });
});
