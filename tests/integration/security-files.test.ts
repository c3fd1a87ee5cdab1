/**
 * Hostile files (issue 8, items 2, 8, 9 and 12): uploads are opened by their own GDAL driver only
 * after their content was checked against their name, zips are bounded before and while they are
 * expanded, the work folder is private and cleaned of a crashed run, parcels are filed in their
 * own township, and absurdly nested GeoJSON is refused rather than crashing the service.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { gdalPgConnection } from '../../src/imports/stage.js';
import { COUNTY, buildCandidateApp, deleteCandidates, postCandidates, tempDir, uploadCount, zipFiles } from '../helpers/candidates.js';
import { resetCounty, testDatabaseUrl, testPool } from '../helpers/db.js';
import { gpkgFile } from '../helpers/fixture-variants.js';
import { expectProblem, postImport } from '../helpers/imports.js';

const pool = testPool();
let app: App;
let dir: string;

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  await deleteCandidates(pool);
  await pool.query('CREATE SEQUENCE IF NOT EXISTS public.zhanbu_hostile_probe');
  app = await buildCandidateApp(pool);
  dir = tempDir('zhanbu-hostile-');
});
afterAll(async () => {
  await app?.close();
  await pool.query('DROP SEQUENCE IF EXISTS public.zhanbu_hostile_probe');
  await deleteCandidates(pool);
  await resetCounty(pool, COUNTY);
  await pool.end();
});
beforeEach(async () => {
  await app.imports.idle();
  await resetCounty(pool, COUNTY);
  await deleteCandidates(pool);
});

/** A VRT that makes GDAL log into our own database and run SQL there (a sequence bump shows it ran). */
const hostileVrt = () =>
  `<OGRVRTDataSource>
  <OGRVRTLayer name="DKFW">
    <SrcDataSource>${gdalPgConnection(testDatabaseUrl()).replace(/&/g, '&amp;').replace(/</g, '&lt;')}</SrcDataSource>
    <SrcSQL>SELECT nextval('public.zhanbu_hostile_probe') AS n, ST_GeomFromText('POLYGON((118.1 28.6,118.101 28.6,118.101 28.601,118.1 28.601,118.1 28.6))', 4490) AS geom</SrcSQL>
    <GeometryType>wkbPolygon</GeometryType>
    <LayerSRS>EPSG:4490</LayerSRS>
  </OGRVRTLayer>
</OGRVRTDataSource>
`;

const probeCalled = async () =>
  (await pool.query<{ is_called: boolean }>('SELECT is_called FROM public.zhanbu_hostile_probe')).rows[0]!.is_called;

let serial = 0;
/** A zip holding the given (name, content) entries, written flat. */
function zipOf(entries: [string, string | Buffer][]): string {
  const d = join(dir, `z${++serial}`);
  mkdirSync(d, { recursive: true });
  const files = entries.map(([name, content]) => {
    const p = join(d, name);
    writeFileSync(p, content);
    return p;
  });
  return zipFiles(dir, `hostile-${serial}.zip`, files);
}

const squareGeoJson = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { DKBH: 'H1' },
      geometry: { type: 'Polygon', coordinates: [[[118.1, 28.6], [118.101, 28.6], [118.101, 28.601], [118.1, 28.601], [118.1, 28.6]]] },
    },
  ],
});

type Hostile = { file: string } | { content: Buffer; name: string };
const hostileCases: [string, () => Hostile, string][] = [
  ['a zipped DKFW.fgb that is a VRT with a PG: connection', () => ({ file: zipOf([['DKFW.fgb', hostileVrt()]]) }), 'file-content-mismatch'],
  ['a zipped DKFW.geojson that is a VRT', () => ({ file: zipOf([['DKFW.geojson', hostileVrt()]]) }), 'file-content-mismatch'],
  ['a zipped DKFW.gpkg that is a VRT', () => ({ file: zipOf([['DKFW.gpkg', hostileVrt()]]) }), 'file-content-mismatch'],
  ['a zipped .shp that is a VRT (with its .shx and .dbf)', () => ({ file: zipOf([['DKFW.shp', hostileVrt()], ['DKFW.shx', hostileVrt()], ['DKFW.dbf', Buffer.alloc(64)]]) }), 'file-content-mismatch'],
  ['a .geojson file that is a VRT', () => ({ content: Buffer.from(hostileVrt()), name: 'DKFW.geojson' }), 'file-content-mismatch'],
  ['a GeoPackage renamed .shp', () => ({ content: readGpkg(), name: 'DKFW.shp' }), 'file-content-mismatch'],
  ['a PG: connection string as the file name', () => ({ content: Buffer.from(squareGeoJson), name: 'PG:dbname=postgres.geojson' }), 'file-name-unsafe'],
  ['a zip entry under a vsicurl/ folder', () => ({ file: zipTreeOf('vsicurl', 'DKFW.geojson', squareGeoJson) }), 'file-name-unsafe'],
];

let gpkgCache: Buffer | undefined;
function readGpkg(): Buffer {
  gpkgCache ??= readFileSync(gpkgFile());
  return gpkgCache;
}

function zipTreeOf(folder: string, name: string, content: string): string {
  const d = join(dir, `t${++serial}`);
  mkdirSync(join(d, folder), { recursive: true });
  writeFileSync(join(d, folder, name), content);
  const zip = join(dir, `tree-${serial}.zip`);
  execFileSync('zip', ['-q', '-r', '-X', zip, folder], { cwd: d });
  return zip;
}

describe('item 2: uploads are opened by an allow-listed driver after a content check', () => {
  it.each(hostileCases)('survey import refuses %s', async (_label, make, code) => {
    const f = make();
    const res = await postImport(app, 'file' in f ? { file: f.file } : { file: writeTemp(f), name: f.name });
    expectProblem(res, 422, code);
    expect(await probeCalled()).toBe(false);
    const jobs = await pool.query('SELECT count(*)::int AS n FROM public.import_job WHERE county_code = $1', [COUNTY]);
    expect(jobs.rows[0].n).toBe(0);
  });

  it.each(hostileCases)('candidate upload refuses %s', async (_label, make, code) => {
    const res = await postCandidates(app, toUpload(make()), { runChecks: false });
    expectProblem(res, 422, code);
    expect(await probeCalled()).toBe(false);
    expect(await uploadCount(pool)).toBe(0);
  });
});

function writeTemp(f: { content: Buffer; name: string }): string {
  const p = join(dir, `raw-${++serial}`);
  writeFileSync(p, f.content);
  return p;
}
const toUpload = (f: Hostile) => ('file' in f ? f.file : f);

it('a /vsicurl/ path as the multipart file name never reaches the service: only its last segment does', async () => {
  // The multipart parser keeps the base name only; GDAL-level paths are refused by openUpload (unit test).
  const res = await postCandidates(app, { content: Buffer.from(squareGeoJson), name: '/vsicurl/http://127.0.0.1:9/DKFW.geojson' }, { runChecks: false });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json().source.name).toBe('DKFW.geojson');
});
