/**
 * Candidate uploads as a client meets them: malformed files answer a clear problem+json error or
 * a failed check (never a 500), uploads are idempotent and all-or-nothing, limits are enforced,
 * and re-running the checks adds a dated run while earlier runs stay readable.
 */
import { copyFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Polygon } from 'geojson';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { multipart } from '../helpers/multipart.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { expectProblem } from '../helpers/imports.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { injectAs } from '../helpers/http.js';
import {
  COUNTY,
  GK39,
  buildCandidateApp,
  checkOf,
  deleteCandidates,
  getReport,
  importSurveyLayers,
  parcelByNo,
  parcelCount,
  postCandidates,
  surveyPolygons,
  tempDir,
  translate,
  uploadCandidates,
  uploadCount,
  writeGeoJson,
  writeShapefileZip,
  zipFiles,
  type SurveyPolygon,
} from '../helpers/candidates.js';

const pool = testPool();
let app: App;
let admin: TestUser;
let mining: SurveyPolygon[];
let dir: string;

const stagingTables = async () =>
  (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'staging'`)).rows[0]!.n;

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  await deleteCandidates(pool);
  app = await buildCandidateApp();
  admin = await testAdmin(pool);
  await importSurveyLayers(app, admin);
  mining = await surveyPolygons(pool, '0602', '0602', 4);
  expect(mining.length).toBeGreaterThanOrEqual(2);
  dir = tempDir();
});
afterAll(async () => {
  await app?.close();
  await deleteCandidates(pool);
  await deleteCandidates(pool, '361124');
  await resetCounty(pool, COUNTY);
  await pool.end();
});
// 361124 (no survey layers) is used by one test; double counting looks across counties too.
beforeEach(async () => {
  await deleteCandidates(pool);
  await deleteCandidates(pool, '361124');
});

/** A small lon/lat square (EPSG:4490 / RFC 7946 GeoJSON). */
const lonLatSquare = (lon: number, lat: number, d = 0.0005): Polygon => ({
  type: 'Polygon',
  coordinates: [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]],
});

/** Uploads, expects 201 with one parcel, and returns that parcel's geometry check and the rest. */
async function singleParcel(file: string) {
  const res = await postCandidates(app, admin, file);
  expect(res.statusCode, res.body).toBe(201);
  const report = await getReport(app, admin, res.json().id);
  expect(report.parcels).toHaveLength(1);
  const p = report.parcels[0]!;
  return { upload: res.json(), parcel: p, geometry: p.checks.find((c) => c.code === 'geometry')!, others: p.checks.filter((c) => c.code !== 'geometry') };
}

describe('malformed inputs: a clear error or a failed check, never a 500', () => {
  it('an unclosed ring in GeoJSON is refused (422 geojson-invalid), nothing created', async () => {
    const file = writeGeoJson(dir, 'unclosed.geojson', [
      { geometry: { type: 'Polygon', coordinates: [[[118.25, 28.68], [118.251, 28.68], [118.251, 28.681], [118.25, 28.681]]] }, properties: {} },
    ]);
    const body = expectProblem(await postCandidates(app, admin, file), 422, 'geojson-invalid');
    expect(body.errors.join(' ')).toMatch(/first and last positions/);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('GeoJSON that is not JSON is refused (422 geojson-invalid)', async () => {
    writeFileSync(join(dir, 'broken.geojson'), '{"type":"FeatureCollection","features":[');
    expectProblem(await postCandidates(app, admin, join(dir, 'broken.geojson')), 422, 'geojson-invalid');
  });

  it('a bow-tie in longitude/latitude is a failed geometry check', async () => {
    const { geometry } = await singleParcel(
      writeGeoJson(dir, 'bowtie.geojson', [
        { geometry: { type: 'Polygon', coordinates: [[[118.25, 28.68], [118.2505, 28.6805], [118.2505, 28.68], [118.25, 28.6805], [118.25, 28.68]]] }, properties: {} },
      ]),
    );
    expect(geometry.status).toBe('fail');
    expect(geometry.message).toMatch(/自相交/);
  });

  // A parcel that cannot be placed would be stored as one that can never be drawn: the upload is
  // refused (422, naming the parcel and the problem) and nothing is created.
  it('latitude and longitude swapped: 422 coordinates-swapped saying the order looks reversed, nothing created', async () => {
    const swapped = lonLatSquare(118.25, 28.68).coordinates.map((r) => r.map(([x, y]) => [y!, x!]));
    const res = await postCandidates(app, admin, writeGeoJson(dir, 'swapped.geojson', [{ geometry: { type: 'Polygon', coordinates: swapped }, properties: { DKBH: 'SWAP' } }]));
    const body = expectProblem(res, 422, 'coordinates-swapped');
    expect(body.detail).toContain('SWAP');
    expect(body.detail).toContain('经纬度可能颠倒');
    expect(body.parcels).toEqual([expect.objectContaining({ parcelNo: 'SWAP', code: 'coordinates-swapped' })]);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('plane coordinates outside the declared zone: 422 coordinates-out-of-range', async () => {
    const file = writeGeoJson(dir, 'nonsense-gk.geojson', [{ geometry: { type: 'Polygon', coordinates: [[[500, 100], [600, 100], [600, 200], [500, 200], [500, 100]]] }, properties: {} }], { epsg: GK39 });
    expect(expectProblem(await postCandidates(app, admin, file), 422, 'coordinates-out-of-range').detail).toMatch(/超出声明坐标系的有效范围/);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('coordinates far outside China (Paris): 422 coordinates-out-of-range, not taken for a swap', async () => {
    const body = expectProblem(await postCandidates(app, admin, writeGeoJson(dir, 'paris.geojson', [{ geometry: lonLatSquare(2.35, 48.85), properties: {} }])), 422, 'coordinates-out-of-range');
    expect(body.detail).not.toMatch(/颠倒/);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('coordinates of 1e300: 422 coordinates-out-of-range, never a 201 or a 500', async () => {
    const huge = { type: 'Polygon', coordinates: [[[1e300, 1e300], [1e300 + 1e290, 1e300], [1e300, 1e300 + 1e290], [1e300, 1e300]]] } as Polygon;
    const body = expectProblem(await postCandidates(app, admin, writeGeoJson(dir, 'huge.geojson', [{ geometry: huge, properties: { DKBH: 'HUGE' } }])), 422, 'coordinates-out-of-range');
    expect(body.detail).toContain('HUGE');
    expect(await uploadCount(pool)).toBe(0);
  });

  it('an empty or null geometry: 422 geometry-empty naming the parcel', async () => {
    for (const [name, geometry] of [['empty', { type: 'Polygon', coordinates: [] }], ['null', null]] as const) {
      const res = await postCandidates(app, admin, writeGeoJson(dir, `${name}.geojson`, [{ geometry: geometry as Polygon | null, properties: { DKBH: `E-${name}` } }]));
      expect(expectProblem(res, 422, 'geometry-empty').detail, name).toContain(`E-${name}`);
    }
    expect(await uploadCount(pool)).toBe(0);
  });

  it('a layer of points or of lines is refused (422 geometry-type-not-polygon)', async () => {
    const points = writeGeoJson(dir, 'points.geojson', [{ geometry: { type: 'Point', coordinates: [118.25, 28.68] }, properties: {} }]);
    expectProblem(await postCandidates(app, admin, points), 422, 'geometry-type-not-polygon');
    const lines = writeGeoJson(dir, 'lines.geojson', [{ geometry: { type: 'LineString', coordinates: [[118.25, 28.68], [118.26, 28.69]] }, properties: {} }]);
    expectProblem(await postCandidates(app, admin, lines), 422, 'geometry-type-not-polygon');
    expect(await uploadCount(pool)).toBe(0);
  });

  it('a line among polygons is a failed geometry check for that feature only', async () => {
    const file = writeGeoJson(
      dir,
      'mixed.geojson',
      [
        { geometry: mining[0]!.geometry, properties: { DKBH: 'POLY' } },
        { geometry: { type: 'LineString', coordinates: [[39621000, 3174000], [39621050, 3174050]] }, properties: { DKBH: 'LINE' } },
      ],
      { epsg: GK39 },
    );
    const upload = await uploadCandidates(app, admin, file);
    const report = await getReport(app, admin, upload.id);
    expect(checkOf(report, 'LINE', 'geometry')).toMatchObject({ status: 'fail', message: expect.stringMatching(/LINESTRING.*必须是面/) });
    expect(checkOf(report, 'POLY', 'geometry').status).toBe('pass');
    expect(checkOf(report, 'POLY', 'source').status).toBe('pass');
  });

  it('files that are not geodata are refused with their own codes', async () => {
    writeFileSync(join(dir, 'notes.bin'), 'this is not a geodata file at all');
    expectProblem(await postCandidates(app, admin, join(dir, 'notes.bin')), 422, 'format-unsupported');
    writeFileSync(join(dir, 'bad.zip'), Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(64)]));
    expectProblem(await postCandidates(app, admin, join(dir, 'bad.zip')), 422, 'zip-corrupt');
    writeFileSync(join(dir, 'readme.txt'), '说明');
    expectProblem(await postCandidates(app, admin, zipFiles(dir, 'only-text.zip', [join(dir, 'readme.txt')])), 422, 'format-unsupported');
    writeFileSync(join(dir, 'zero.geojson'), '');
    expectProblem(await postCandidates(app, admin, join(dir, 'zero.geojson')), 422, 'file-empty');
    writeFileSync(join(dir, 'no-features.geojson'), '{"type":"FeatureCollection","features":[]}');
    expectProblem(await postCandidates(app, admin, join(dir, 'no-features.geojson')), 422, 'layer-empty');
  });

  it('a truncated shapefile is refused (422), nothing created', async () => {
    writeShapefileZip(dir, 'CUT', mining.map((m, i) => ({ geometry: m.geometry, properties: { DKBH: `C${i}` } })));
    const shp = join(dir, 'CUT-set', 'CUT.shp');
    truncateSync(shp, statSync(shp).size - 100);
    const zip = zipFiles(dir, 'cut.zip', readdirSync(join(dir, 'CUT-set')).map((f) => join(dir, 'CUT-set', f)));
    expectProblem(await postCandidates(app, admin, zip), 422, 'shapefile-truncated');
    expect(await uploadCount(pool)).toBe(0);
  });

  it('a missing or malformed county, a foreign township and bad form values are refused', async () => {
    const file = writeGeoJson(dir, 'ok.geojson', [{ geometry: mining[0]!.geometry, properties: {} }], { epsg: GK39 });
    expectProblem(await postCandidates(app, admin, file, { county: null }), 422, 'county-code-invalid');
    expectProblem(await postCandidates(app, admin, file, { county: '36112' }), 422, 'county-code-invalid');
    expectProblem(await postCandidates(app, admin, file, { township: '360100001' }), 422, 'township-code-invalid');
    expectProblem(await postCandidates(app, admin, file, { changeYear: 'next' as unknown as number }), 400, 'request-invalid');
    expectProblem(await postCandidates(app, admin, file, { runChecks: 'perhaps' as unknown as boolean }), 400, 'request-invalid');
    // No file, and not multipart at all.
    const noFile = multipart({ county: COUNTY });
    expectProblem(await injectAs(app, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...noFile }), 422, 'file-missing');
    expectProblem(await injectAs(app, admin, { method: 'POST', url: '/api/v1/candidate-uploads', payload: { county: COUNTY } }), 415, 'multipart-required');
    expect(await uploadCount(pool)).toBe(0);
  });

  it('checks that cannot run refuse the upload before creating it', async () => {
    const file = writeGeoJson(dir, 'refused.geojson', [{ geometry: mining[0]!.geometry, properties: {} }], { epsg: GK39 });
    // A county with no survey layers imported, and a change year never imported.
    expectProblem(await postCandidates(app, admin, file, { county: '361124' }), 422, 'survey-layers-missing');
    expectProblem(await postCandidates(app, admin, file, { changeYear: 2021 }), 422, 'change-year-not-imported');
    expect((await pool.query(`SELECT count(*)::int AS n FROM candidate.upload WHERE county_code IN ('361123', '361124')`)).rows[0].n).toBe(0);
    // The same file afterwards, with checks that can run: created and checked.
    const res = await postCandidates(app, admin, file);
    expect(res.statusCode).toBe(201);
    expect(res.json().summary.parcels).toBe(1);
  });

  it('unknown uploads, parcels and runs are 404; a malformed id or a bad report format is 400', async () => {
    const upload = await uploadCandidates(app, admin, writeGeoJson(dir, 'ids.geojson', [{ geometry: mining[0]!.geometry, properties: {} }], { epsg: GK39 }));
    expectProblem(await injectAs(app, admin, '/api/v1/candidate-uploads/00000000-0000-0000-0000-000000000000'), 404, 'not-found');
    expectProblem(await injectAs(app, admin, '/api/v1/candidate-uploads/not-an-id'), 400, 'request-invalid');
    expectProblem(await injectAs(app, admin, '/api/v1/candidate-parcels/not-an-id/report'), 400, 'request-invalid');
    expectProblem(await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/report?run=00000000-0000-0000-0000-000000000000`), 404, 'check-run-not-found');
    expectProblem(await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/report?run=not-a-run`), 400, 'request-invalid');
    expectProblem(await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/report?format=xml`), 400, 'request-invalid');
  });
});

describe('idempotent, all-or-nothing uploads and limits', () => {
  it('the same file again is the same upload: 200, duplicate, no new parcels or runs', async () => {
    const file = writeGeoJson(dir, 'twice.geojson', mining.slice(0, 2).map((m, i) => ({ geometry: m.geometry, properties: { DKBH: `T${i}` } })), { epsg: GK39 });
    const first = await postCandidates(app, admin, file);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ duplicate: false, parcelCount: 2 });
    expect(first.headers.location).toBe(`/api/v1/candidate-uploads/${first.json().id}`);
    const runs = async () => (await injectAs(app, admin, `/api/v1/candidate-uploads/${first.json().id}/check-runs`)).json().items.length;
    expect(await runs()).toBe(1);

    const again = await postCandidates(app, admin, file);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, duplicate: true, parcelCount: 2 });
    // It answers with the summary of the checks already run, without running them again.
    expect(again.json().summary).toEqual(first.json().summary);
    // Same bytes under another name: still the same file.
    copyFileSync(file, join(dir, 'renamed.geojson'));
    const renamed = await postCandidates(app, admin, join(dir, 'renamed.geojson'));
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id: first.json().id, duplicate: true });
    expect(await uploadCount(pool)).toBe(1);
    expect(await parcelCount(pool)).toBe(2);
    expect(await runs()).toBe(1);
  });

  it('two identical uploads at the same moment create one upload', async () => {
    const file = writeGeoJson(dir, 'race.geojson', [{ geometry: mining[1]!.geometry, properties: { DKBH: 'RACE' } }], { epsg: GK39 });
    const [a, b] = await Promise.all([postCandidates(app, admin, file), postCandidates(app, admin, file)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect(a.json().id).toBe(b.json().id);
    expect(await uploadCount(pool)).toBe(1);
    expect(await parcelCount(pool)).toBe(1);
  });

  it('more parcels than the limit: 413 too-many-parcels, and nothing is created', async () => {
    const small = await buildCandidateApp({ maxCandidateParcels: 3 });
    try {
      const four = writeGeoJson(dir, 'four.geojson', mining.slice(0, 4).map((m, i) => ({ geometry: m.geometry, properties: { DKBH: `F${i}` } })), { epsg: GK39 });
      expect(mining.length).toBe(4);
      const res = await injectAs(small, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...multipart({ county: COUNTY }, { path: four }) });
      const body = expectProblem(res, 413, 'too-many-parcels');
      expect(body).toMatchObject({ parcels: 4, limit: 3 });
      expect(await uploadCount(pool)).toBe(0);
      expect(await parcelCount(pool)).toBe(0);
      expect(await stagingTables()).toBe(0);
      // Within the limit the same app accepts.
      const three = writeGeoJson(dir, 'three.geojson', mining.slice(0, 3).map((m, i) => ({ geometry: m.geometry, properties: { DKBH: `F${i}` } })), { epsg: GK39 });
      const ok = await injectAs(small, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...multipart({ county: COUNTY }, { path: three }) });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().parcelCount).toBe(3);
    } finally {
      await small.close();
    }
  });

  it('a file over the size limit: 413 upload-too-large, and nothing is created', async () => {
    const small = await buildCandidateApp({ maxCandidateUploadBytes: 1024 });
    try {
      const big = writeGeoJson(dir, 'big.geojson', mining.map((m, i) => ({ geometry: m.geometry, properties: { DKBH: `B${i}`, BZ: '备注'.repeat(200) } })), { epsg: GK39 });
      expect(statSync(big).size).toBeGreaterThan(1024);
      const res = await injectAs(small, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...multipart({ county: COUNTY }, { path: big }) });
      expectProblem(res, 413, 'upload-too-large');
      expect(await uploadCount(pool)).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('dated check runs', () => {
  it('re-running adds a run; the earlier run’s report stays readable and unchanged', async () => {
    const m = mining[0]!;
    const first = await uploadCandidates(app, admin, writeGeoJson(dir, 'runs-a.geojson', [{ geometry: m.geometry, properties: { DKBH: 'RUN-A' } }], { epsg: GK39 }));
    const run1 = await getReport(app, admin, first.id);
    expect(checkOf(run1, 'RUN-A', 'overlap').status).toBe('pass');
    expect(checkOf(run1, 'RUN-A', 'land-class-change').status).toBe('not-run');

    // Another upload now overlaps it; the re-run (with a change year) sees that, the first run does not.
    await uploadCandidates(app, admin, writeGeoJson(dir, 'runs-b.geojson', [{ geometry: translate(m.geometry, 4, 0), properties: { DKBH: 'RUN-B' } }], { epsg: GK39 }));
    const rerun = await injectAs(app, admin, { method: 'POST', url: `/api/v1/candidate-uploads/${first.id}/check-runs`, payload: { changeYear: 2023 } });
    expect(rerun.statusCode, rerun.body).toBe(201);
    const run2 = rerun.json();
    expect(run2.run.id).not.toBe(run1.run.id);
    expect(checkOf(run2, 'RUN-A', 'overlap').status).toBe('fail');
    expect(checkOf(run2, 'RUN-A', 'overlap').figures.others[0].parcelNo).toBe('RUN-B');
    expect(checkOf(run2, 'RUN-A', 'land-class-change').status).toBe('fail');
    expect(Date.parse(run2.run.checkedAt)).toBeGreaterThanOrEqual(Date.parse(run1.run.checkedAt));

    const list = (await injectAs(app, admin, `/api/v1/candidate-uploads/${first.id}/check-runs`)).json().items;
    expect(list.map((r: { id: string }) => r.id)).toEqual([run2.run.id, run1.run.id]); // newest first
    for (const r of list) {
      expect(Number.isNaN(Date.parse(r.checkedAt))).toBe(false);
      expect(r.links.report).toBe(`/api/v1/candidate-uploads/${first.id}/report?run=${r.id}`);
    }
    expect(list[0].parameters.changeYear).toBe(2023);
    expect(list[1].parameters.changeYear).toBeUndefined();

    // The default report is the latest run; the first is still there as it was.
    expect((await getReport(app, admin, first.id)).run.id).toBe(run2.run.id);
    const again1 = await getReport(app, admin, first.id, run1.run.id);
    expect(again1.run.id).toBe(run1.run.id);
    expect(again1.parcels).toEqual(run1.parcels);
    expect(again1.summary).toEqual(run1.summary);
    // And per parcel, by run.
    const parcelId = parcelByNo(run1, 'RUN-A').parcelId;
    const one = (await injectAs(app, admin, `/api/v1/candidate-parcels/${parcelId}/report?run=${run1.run.id}`)).json();
    expect(checkOf(one, 'RUN-A', 'overlap').status).toBe('pass');
  });

  it('an upload without checks has no report until a run is requested', async () => {
    const upload = await uploadCandidates(app, admin, writeGeoJson(dir, 'later.geojson', [{ geometry: mining[1]!.geometry, properties: { DKBH: 'LATER' } }], { epsg: GK39 }), { runChecks: false });
    expect(upload.summary).toBeNull();
    expectProblem(await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/report`), 404, 'check-run-not-found');
    expect((await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/check-runs`)).json().items).toEqual([]);
    const run = await injectAs(app, admin, { method: 'POST', url: `/api/v1/candidate-uploads/${upload.id}/check-runs` });
    expect(run.statusCode).toBe(201);
    expect(run.json().summary).toMatchObject({ parcels: 1 });
    expect((await getReport(app, admin, upload.id)).parcels).toHaveLength(1);
  });
});
