/**
 * Hostile files (issue 8, items 2, 8, 9 and 12): uploads are opened by their own GDAL driver only
 * after their content was checked against their name, zips are bounded before and while they are
 * expanded, the work folder is private and cleaned of a crashed run, parcels are filed in their
 * own township, and absurdly nested GeoJSON is refused rather than crashing the service.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { extractZip } from '../../src/gdal/archive.js';
import { holdWorkerLock } from '../../src/imports/repository.js';
import { gdalPgConnection } from '../../src/gdal/stage.js';
import { COUNTY, buildCandidateApp, deleteCandidates, postCandidates, tempDir, uploadCount, zipFiles } from '../helpers/candidates.js';
import { createTestUser, deleteTestUsers, type TestUser, testAdmin } from '../helpers/auth.js';
import { resetCounty, testDatabaseUrl, testPool } from '../helpers/db.js';
import { gpkgFile, zipBomb } from '../helpers/fixture-variants.js';
import { expectProblem, postImport } from '../helpers/imports.js';
import { injectAs } from '../helpers/http.js';

const pool = testPool();
let app: App;
let admin: TestUser;
let dir: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  await deleteCandidates(pool);
  await pool.query('CREATE SEQUENCE IF NOT EXISTS public.zhanbu_hostile_probe');
  app = await buildCandidateApp();
  admin = await testAdmin(pool);
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
    const res = await postImport(app, admin, 'file' in f ? { file: f.file } : { file: writeTemp(f), name: f.name });
    expectProblem(res, 422, code);
    expect(await probeCalled()).toBe(false);
    const jobs = await pool.query('SELECT count(*)::int AS n FROM public.import_job WHERE county_code = $1', [COUNTY]);
    expect(jobs.rows[0].n).toBe(0);
  });

  it.each(hostileCases)('candidate upload refuses %s', async (_label, make, code) => {
    const res = await postCandidates(app, admin, toUpload(make()), { runChecks: false });
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
  const res = await postCandidates(app, admin, { content: Buffer.from(squareGeoJson), name: '/vsicurl/http://127.0.0.1:9/DKFW.geojson' }, { runChecks: false });
  expect(res.statusCode, res.body).toBe(201);
  expect(res.json().source.name).toBe('DKFW.geojson');
});

describe('item 8: zip expansion is bounded before and while extracting, per kind of upload', () => {
  /** Bytes of regular files under a folder (what the extraction put on disk). */
  const bytesOnDisk = (d: string): number => {
    if (!existsSync(d)) return 0;
    let n = 0;
    for (const e of readdirSync(d, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) n += statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size;
    }
    return n;
  };

  it('a 1 MB zip declaring 1 GiB is refused from its directory, before a byte is written (413)', async () => {
    const bomb = zipBomb({ expandedBytes: 1024 * MiB, dir });
    expect(statSync(bomb).size).toBeLessThan(1.5 * MiB);
    const dest = join(dir, `bomb-honest-${++serial}`);
    await expect(extractZip(bomb, dest, { maxExpandedBytes: 512 * MiB })).rejects.toMatchObject({ status: 413, code: 'zip-too-large' });
    expect(bytesOnDisk(dest)).toBe(0);
  });

  it('a zip whose header lies is stopped while inflating, having written no more than it declared', async () => {
    const dest = join(dir, `bomb-lying-${++serial}`);
    const lying = zipBomb({ expandedBytes: 1024 * MiB, declaredBytes: 3 * MiB + 123, dir });
    await expect(extractZip(lying, dest, { maxExpandedBytes: 16 * MiB })).rejects.toMatchObject({ status: 422, code: 'zip-corrupt' });
    expect(bytesOnDisk(dest)).toBeLessThanOrEqual(3 * MiB + 123);
  });

  it('candidate uploads have a far smaller expansion limit than survey layers', async () => {
    const config = loadConfig({});
    expect(config.maxCandidateExpandedBytes).toBe(512 * MiB);
    expect(config.maxExpandedBytes).toBeGreaterThanOrEqual(8 * config.maxCandidateExpandedBytes);
    expect(loadConfig({ ZHANBU_MAX_CANDIDATE_EXPANDED_BYTES: '1048576' }).maxCandidateExpandedBytes).toBe(MiB);
    // Over HTTP: the same 1 MB bomb is a 413 for a candidate upload and leaves nothing behind.
    const res = await postCandidates(app, admin, zipBomb({ expandedBytes: 1024 * MiB, dir, entryName: 'DKFW.geojson' }), { runChecks: false });
    expectProblem(res, 413, 'zip-too-large');
    expect(res.json()).toMatchObject({ declaredBytes: 1024 * MiB, limitBytes: 512 * MiB });
    expect(bytesOnDisk(app.imports.workDir)).toBe(0);
    expect(await uploadCount(pool)).toBe(0);
  });
});

describe('item 8: the work folder is private, per instance, and cleaned of a crashed run at start', () => {
  it('removes what dead instances and older versions left, keeps live instances, exports and foreign files', async () => {
    const base = tempDir('zhanbu-workdir-');
    chmodSync(base, 0o755);
    const dead = randomUUID();
    const live = randomUUID();
    const plant = (rel: string, bytes = 1024) => {
      mkdirSync(join(base, rel, '..'), { recursive: true });
      writeFileSync(join(base, rel), Buffer.alloc(bytes));
    };
    plant(`instance-${dead}/uploads/${randomUUID()}`, 200_000); // a killed upload
    plant(`instance-${dead}/${randomUUID()}/extracted/DLTB.dbf`, 300_000); // a killed import's extraction
    plant(`instance-${live}/uploads/in-flight`);
    plant(`uploads/${randomUUID()}`); // the layout before instance folders
    plant(`${randomUUID()}/extracted/DLTB.shp`);
    plant(`candidate-${randomUUID()}/DKFW.geojson`);
    plant('exports/done/361123_2023_DLTB.zip');
    plant('notes-of-the-admin.txt');
    // The live instance holds its worker lock on a session of its own, as a running service does.
    const lock = await pool.connect();
    await holdWorkerLock(lock, live);
    let started: App | undefined;
    try {
      started = await buildCandidateApp({ workDir: base });
      const names = readdirSync(base).sort();
      const own = `instance-${started.imports.workerId}`;
      expect(names).toEqual(['exports', own, `instance-${live}`, 'notes-of-the-admin.txt'].sort());
      expect(statSync(base).mode & 0o777).toBe(0o700);
      expect(statSync(join(base, own)).mode & 0o777).toBe(0o700);
      expect(statSync(join(base, own, 'uploads')).mode & 0o777).toBe(0o700);
      expect(started.imports.workDir).toBe(join(base, own));
      // Uploads are received inside the instance's folder and gone once answered.
      const res = await postCandidates(started, admin, { content: Buffer.from(squareGeoJson), name: 'DKFW.geojson' }, { runChecks: false });
      expect(res.statusCode, res.body).toBe(201);
      expect(readdirSync(join(base, own, 'uploads'))).toEqual([]);
      expect(readdirSync(join(base, own))).toEqual(['uploads']);
    } finally {
      await started?.close();
      await lock.query('SELECT pg_advisory_unlock_all()');
      lock.release();
    }
    // A graceful stop removes the instance's own folder.
    expect(readdirSync(base).filter((n) => n.startsWith('instance-'))).toEqual([`instance-${live}`]);
    rmSync(base, { recursive: true, force: true });
  });

  it('refuses to start on a work folder that is a symlink', async () => {
    const target = tempDir('zhanbu-workdir-target-');
    const link = join(tempDir('zhanbu-workdir-link-'), 'work');
    symlinkSync(target, link);
    await expect(buildCandidateApp({ workDir: link })).rejects.toThrow(/not a directory/);
  });
});

describe('item 9: a parcel is filed under the township its XZDM names, within the rules', () => {
  let township: TestUser;
  let county: TestUser;
  beforeAll(async () => {
    township = await createTestUser(pool, 'township', '361123100');
    county = await createTestUser(pool, 'county-forestry', COUNTY);
  });
  afterAll(async () => {
    await deleteTestUsers(pool);
  });

  /** A GeoJSON of small lon/lat squares in 玉山县, one per [DKBH, XZDM]. */
  const parcels = (rows: [string, string | null][]) =>
    Buffer.from(
      JSON.stringify({
        type: 'FeatureCollection',
        features: rows.map(([dkbh, xzdm], i) => ({
          type: 'Feature',
          properties: { DKBH: dkbh, ...(xzdm ? { XZDM: xzdm } : {}) },
          geometry: { type: 'Polygon', coordinates: [[[118.1 + i * 0.002, 28.6], [118.101 + i * 0.002, 28.6], [118.101 + i * 0.002, 28.601], [118.1 + i * 0.002, 28.601], [118.1 + i * 0.002, 28.6]]] },
        })),
      }),
    );
  const upload = (rows: [string, string | null][], who: TestUser, fields: Record<string, string> = {}) =>
    postCandidates(app, who, { content: parcels(rows), name: `parcels-${++serial}.geojson` }, { runChecks: false, ...fields });
  const townshipsOf = async (uploadId: string) =>
    (await pool.query<{ parcel_no: string; township_code: string }>('SELECT parcel_no, township_code FROM candidate.parcel WHERE upload_id = $1 ORDER BY fid', [uploadId])).rows.map(
      (r) => [r.parcel_no, r.township_code],
    );

  it("a township cannot file a parcel in a neighbouring township's name (403, naming the parcel and the code)", async () => {
    const res = await upload([['OWN-1', '361123100'], ['NEIGHBOUR-1', '361123101']], township);
    const body = expectProblem(res, 403, 'parcel-township-out-of-jurisdiction');
    expect(body.detail).toContain('NEIGHBOUR-1');
    expect(body.detail).toContain('361123101');
    expect(body.parcels).toEqual([{ fid: expect.any(Number), parcelNo: 'NEIGHBOUR-1', township: '361123101' }]);
    expect(await uploadCount(pool)).toBe(0);
  });

  it("a township's own parcels are filed under it, with or without XZDM", async () => {
    const res = await upload([['OWN-1', '361123100'], ['OWN-2', null]], township);
    expect(res.statusCode, res.body).toBe(201);
    expect(await townshipsOf(res.json().id)).toEqual([['OWN-1', '361123100'], ['OWN-2', '361123100']]);
  });

  it('a code outside the upload’s county is refused for every role (422)', async () => {
    for (const who of [county, township, admin]) {
      const body = expectProblem(await upload([['OK-1', '361123101'], ['FOREIGN-1', '361124001']], who), 422, 'parcel-township-outside-county');
      expect(body.detail).toContain('FOREIGN-1');
      expect(body.detail).toContain('361124001');
    }
    expect(await uploadCount(pool)).toBe(0);
  });

  it('a county files parcels of its townships, each under its own XZDM', async () => {
    const res = await upload([['T1', '361123101'], ['T2', '361123102'], ['T0', null]], county, { township: '361123100' });
    expect(res.statusCode, res.body).toBe(201);
    expect(await townshipsOf(res.json().id)).toEqual([['T1', '361123101'], ['T2', '361123102'], ['T0', '361123100']]);
  });
});

describe('item 12: absurdly nested GeoJSON is a 422, not a 500', () => {
  const deep = (n: number) =>
    Buffer.from(
      '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":' +
        '['.repeat(n) +
        ']'.repeat(n) +
        '}}]}',
    );

  it('a 200,000-deep array in an uploaded .geojson is refused (422 geojson-too-deep)', async () => {
    const res = await postCandidates(app, admin, { content: deep(200_000), name: 'DKFW.geojson' }, { runChecks: false });
    expectProblem(res, 422, 'geojson-too-deep');
    expect(await uploadCount(pool)).toBe(0);
    // The same inside a zip, and as a survey layer.
    expectProblem(await postCandidates(app, admin, zipOf([['DKFW.geojson', deep(200_000)]]), { runChecks: false }), 422, 'geojson-too-deep');
    expectProblem(await postImport(app, admin, { file: writeTemp({ content: deep(200_000), name: 'x' }), name: 'DLTB.geojson' }), 422, 'geojson-too-deep');
    // The service still answers.
    expect((await injectAs(app, admin, '/health')).statusCode).toBe(200);
  });
});
