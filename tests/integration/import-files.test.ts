import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { landClass } from '../../src/domain/land-classes.js';
import { buildTestApp } from '../helpers/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import {
  BAD_ATTRIBUTE_CASES,
  INVALID_GEOMETRY_CASES,
  cleanupVariants,
  emptyLayer,
  flatgeobufFile,
  gdbZip,
  geojsonFile,
  gpkgFile,
  invalidGeometry,
  notAZip,
  pointsLayer,
  polygonZ,
  shapefileZip,
  withBadAttributes,
  zipBomb,
  zipSlip,
} from '../helpers/fixture-variants.js';
import { expectProblem, importAndWait, postImport } from '../helpers/imports.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { injectAs } from '../helpers/http.js';

// A county of its own so this file never meets the lifecycle tests' data.
const COUNTY = '361123';
const pool = testPool();
let app: App;
let admin: TestUser;

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  app = await buildTestApp();
  admin = await testAdmin(pool);
});
beforeEach(async () => {
  await resetCounty(pool, COUNTY);
});
afterAll(async () => {
  await app.close();
  await resetCounty(pool, COUNTY);
  await pool.end();
  cleanupVariants();
});

const rows = async () =>
  (await pool.query('SELECT count(*)::int AS n FROM survey.dltb WHERE county_code = $1', [COUNTY])).rows[0].n as number;
const sampleName = async () =>
  (await pool.query(`SELECT dlbm, dlmc, qsdwmc, zldwmc FROM survey.dltb WHERE county_code = $1 ORDER BY fid LIMIT 1`, [COUNTY])).rows[0];
/** Chinese that survived: DLMC is the code list's name for DLBM, unit names are Chinese, no replacement chars. */
const expectGoodChinese = (r: { dlbm: string; dlmc: string; qsdwmc: string; zldwmc: string }) => {
  expect(r.dlmc).toBe(landClass(r.dlbm)?.name);
  expect(r.qsdwmc).toMatch(/[\u4e00-\u9fff]{2,}/u);
  expect(r.qsdwmc + r.zldwmc).not.toMatch(/[\ufffd?]/);
};

describe('formats', () => {
  it.each([
    ['zipped shapefile', () => shapefileZip({ limit: 120 }), 'shapefile'],
    ['zipped File Geodatabase', () => gdbZip({ limit: 120 }), 'filegdb'],
    ['GeoPackage', () => gpkgFile({ limit: 120 }), 'gpkg'],
    ['GeoJSON (EPSG:4490)', () => geojsonFile({ limit: 120 }), 'geojson'],
    ['GeoJSON (RFC 7946 CRS84)', () => geojsonFile({ limit: 120, crs: 'crs84' }), 'geojson'],
    ['FlatGeobuf', () => flatgeobufFile({ limit: 120 }), 'flatgeobuf'],
  ])('imports a %s', async (_label, make, format) => {
    const { job } = await importAndWait(app, admin, { file: make() });
    expect(job).toMatchObject({ state: 'succeeded', source: { format }, counts: { features: 120, imported: 120, rejected: 0 } });
    expect(await rows()).toBe(120);
    expectGoodChinese(await sampleName());
  });

  it('picks a named layer in a multi-layer container and says which exist when it is missing', async () => {
    const file = gpkgFile({ limit: 30 });
    const { job } = await importAndWait(app, admin, { layer: 'xzq', file });
    expect(job).toMatchObject({ state: 'succeeded', source: { layer: 'XZQ' } });
    const res = await postImport(app, admin, { file, fields: { layerName: 'NOPE' } });
    const body = expectProblem(res, 422, 'layer-not-found');
    expect(body.layers).toEqual(expect.arrayContaining(['DLTB', 'XZQ']));
  });
});

describe('coordinate systems', () => {
  /** Same parcels, whatever the CRS: geometry must land on the same place in EPSG:4490. */
  async function centroidOfAll() {
    const { rows: r } = await pool.query(
      `SELECT ST_X(c) AS x, ST_Y(c) AS y FROM (SELECT ST_Centroid(ST_Collect(geom)) AS c FROM survey.dltb WHERE county_code = $1) q`,
      [COUNTY],
    );
    return r[0] as { x: number; y: number };
  }
  let reference: { x: number; y: number };

  it.each([
    ['zone 39 with prefix, ESRI .prj without EPSG', 'gk39-prefixed-esri', 4527],
    ['zone 39 with prefix, .prj with EPSG authority', 'gk39-prefixed-epsg', 4527],
    ['CM 117°E without prefix, ESRI .prj', 'cm117-unprefixed', 4548],
    ['CGCS2000 geographic', 'epsg4490', 4490],
  ] as const)('imports %s', async (_label, crs, epsg) => {
    const { job } = await importAndWait(app, admin, { file: shapefileZip({ limit: 60, crs }) });
    expect(job.state).toBe('succeeded');
    expect(job.crs.epsg).toBe(epsg);
    const c = await centroidOfAll();
    reference ??= c;
    // Within 1 mm of the reference position (≈ 1e-8 degrees).
    expect(Math.abs(c.x - reference.x)).toBeLessThan(1e-8);
    expect(Math.abs(c.y - reference.y)).toBeLessThan(1e-8);
    const srid = await pool.query('SELECT DISTINCT ST_SRID(geom) AS s FROM survey.dltb WHERE county_code = $1', [COUNTY]);
    expect(srid.rows).toEqual([{ s: 4490 }]);
  });

  it('infers the zone from zone-prefixed eastings when there is no .prj, and says so', async () => {
    const { job } = await importAndWait(app, admin, { file: shapefileZip({ limit: 60, crs: 'none' }) });
    expect(job.state).toBe('succeeded');
    expect(job.crs).toMatchObject({ epsg: 4527, how: 'inferred-from-eastings' });
    expect(job.crs.note).toMatch(/推断/);
  });

  it('refuses a file without .prj whose eastings carry no zone', async () => {
    const res = await postImport(app, admin, { file: shapefileZip({ limit: 20, crs: 'cm117-unprefixed', dropFiles: ['.prj'] }) });
    const body = expectProblem(res, 422, 'crs-missing');
    expect(body.detail).toMatch(/带号|\.prj/);
    expect(await rows()).toBe(0);
  });

  it('refuses lon/lat without .prj', async () => {
    const res = await postImport(app, admin, { file: shapefileZip({ limit: 20, crs: 'epsg4490', dropFiles: ['.prj'] }) });
    expectProblem(res, 422, 'crs-missing');
  });
});

describe('encodings', () => {
  it.each([
    ['GBK with language byte 0x4D, no .cpg', { encoding: 'gbk-ldid' }, { encoding: 'CP936', source: 'ldid' }],
    ['GBK without language byte or .cpg', { encoding: 'gbk-no-ldid' }, { encoding: 'CP936', source: 'detected' }],
    ['GBK with a .cpg saying 936', { encoding: 'gbk-cpg', cpgText: '936' }, { source: 'cpg' }],
    ['UTF-8 with .cpg', { encoding: 'utf8-cpg' }, { source: 'cpg' }],
  ] as const)('reads %s as correct Chinese', async (_label, opts, expected) => {
    const { job } = await importAndWait(app, admin, { file: shapefileZip({ limit: 40, ...opts }) });
    expect(job.state).toBe('succeeded');
    expect(job.encoding).toMatchObject(expected);
    expectGoodChinese(await sampleName());
  });

  it('lets an explicit encoding parameter override the file (and can garble it, on request)', async () => {
    const { job } = await importAndWait(app, admin, { file: shapefileZip({ limit: 40, encoding: 'gbk-ldid' }), fields: { encoding: 'GBK' } });
    expect(job.encoding).toMatchObject({ encoding: 'GBK', source: 'parameter' });
    expectGoodChinese(await sampleName());
  });
});

describe('per-feature checks and rejects', () => {
  it('refuses the whole import by default, listing every bad feature with BSM and reason', async () => {
    const { job } = await importAndWait(app, admin, { file: withBadAttributes() });
    expect(job.state).toBe('refused');
    expect(job.error).toMatchObject({ code: 'features-rejected', rejected: BAD_ATTRIBUTE_CASES.length });
    expect(await rows()).toBe(0);
    const rej = (await injectAs(app, admin, `/api/v1/imports/${job.id}/rejects`)).json();
    expect(rej.total).toBe(BAD_ATTRIBUTE_CASES.length);
    const codes = rej.items.flatMap((i: { reasons: { code: string }[] }) => i.reasons.map((r) => r.code)).sort();
    expect(codes).toEqual(['land-class-unknown', 'ownership-nature-unknown', 'unit-code-county', 'unit-code-county', 'unit-code-format']);
    for (const i of rej.items) expect(i.bsm).toMatch(/^\d+$/);
    expect(rej.items.find((i: { reasons: { code: string }[] }) => i.reasons[0]!.code === 'land-class-unknown').reasons[0].message).toContain('XXXX');
  });

  it('keeps the valid features when asked (onRejects=keep) and still lists the rejects', async () => {
    const { job } = await importAndWait(app, admin, { file: withBadAttributes(), fields: { onRejects: 'keep' } });
    expect(job).toMatchObject({ state: 'succeeded', counts: { features: 50, imported: 45, rejected: 5 } });
    expect(await rows()).toBe(45);
  });

  it('rejects invalid geometry with the GEOS reason and location', async () => {
    const { job } = await importAndWait(app, admin, { file: invalidGeometry(), fields: { onRejects: 'keep' } });
    expect(job.counts.rejected).toBe(INVALID_GEOMETRY_CASES.length);
    const rej = (await injectAs(app, admin, `/api/v1/imports/${job.id}/rejects`)).json();
    for (const i of rej.items) {
      expect(i.reasons[0]).toMatchObject({ code: 'geometry-invalid' });
      expect(i.reasons[0].message).toMatch(/几何无效/);
      expect(i.reasons[0].value).toMatch(/^POINT/);
    }
  });

  it('repairs invalid geometry only on request and reports the area change', async () => {
    const { job } = await importAndWait(app, admin, { file: invalidGeometry(), fields: { repairGeometry: true } });
    expect(job).toMatchObject({ state: 'succeeded', counts: { imported: 50, rejected: 0, repaired: INVALID_GEOMETRY_CASES.length } });
    expect(job.repairedAreaChangeM2).not.toBe(0);
    const rep = (await injectAs(app, admin, `/api/v1/imports/${job.id}/repairs`)).json();
    expect(rep.items).toHaveLength(INVALID_GEOMETRY_CASES.length);
    expect(rep.items[0]).toMatchObject({ reason: expect.any(String), areaBeforeM2: expect.any(Number), areaAfterM2: expect.any(Number) });
    const valid = await pool.query('SELECT bool_and(ST_IsValid(geom)) AS ok FROM survey.dltb WHERE county_code = $1', [COUNTY]);
    expect(valid.rows[0].ok).toBe(true);
  });

  it('keeps non-standard fields in extra', async () => {
    await importAndWait(app, admin, { file: shapefileZip({ limit: 10, mutate: (p) => ({ ...p, XMMC: '矿山修复一期' }) }) });
    const r = await pool.query(`SELECT extra FROM survey.dltb WHERE county_code = $1 LIMIT 1`, [COUNTY]);
    expect(r.rows[0].extra).toMatchObject({ XMMC: '矿山修复一期' });
  });
});

describe('all or nothing', () => {
  it('leaves no partial layer and no staging table when a failure is injected before commit', async () => {
    const failing = await buildTestApp({
      hooks: {
        beforeCommit: () => {
          throw new Error('injected failure');
        },
      },
    });
    try {
      const { job } = await importAndWait(failing, admin, { file: shapefileZip({ limit: 80 }) });
      expect(job.state).toBe('failed');
      expect(job.error.detail).toContain('injected failure');
      expect(await rows()).toBe(0);
      const parts = await pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'survey' AND tablename LIKE 'dltb_${COUNTY}_%'`);
      expect(parts.rows[0].n).toBe(0);
      const staging = await pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename LIKE $1`, [
        `imp_${job.id.replace(/-/g, '').slice(0, 16)}%`,
      ]);
      expect(staging.rows[0].n).toBe(0);
    } finally {
      await failing.close();
    }
  });

  it('keeps the previous layer intact when a replacement fails', async () => {
    await importAndWait(app, admin, { file: shapefileZip({ limit: 30 }) });
    const failing = await buildTestApp({ hooks: { beforeCommit: () => Promise.reject(new Error('disk full (simulated)')) } });
    try {
      const { job } = await importAndWait(failing, admin, { file: shapefileZip({ limit: 70 }), fields: { replace: true } });
      expect(job.state).toBe('failed');
    } finally {
      await failing.close();
    }
    expect(await rows()).toBe(30);
  });
});

describe('bad files are answered with problem+json, never a 500, and nothing is written', () => {
  it.each([
    ['not a zip', () => notAZip(), 422, 'format-unsupported'],
    ['a zip entry with ../ in its path', () => zipSlip(), 422, 'zip-unsafe-path'],
    ['a truncated .shp', () => shapefileZip({ limit: 40, truncateShp: true }), 422, 'shapefile-truncated'],
    ['a missing .shx', () => shapefileZip({ limit: 10, dropFiles: ['.shx'] }), 422, 'shapefile-incomplete'],
    ['a missing .dbf', () => shapefileZip({ limit: 10, dropFiles: ['.dbf'] }), 422, 'shapefile-incomplete'],
    ['an empty layer', () => emptyLayer(), 422, 'layer-empty'],
    ['points instead of polygons', () => pointsLayer(), 422, 'geometry-type-not-polygon'],
    ['a 3D polygon', () => polygonZ(), 422, 'geometry-has-z'],
  ])('%s', async (_label, make, status, code) => {
    const res = await postImport(app, admin, { file: make() });
    expectProblem(res, status, code);
    expect(await rows()).toBe(0);
    const jobs = await pool.query('SELECT count(*)::int AS n FROM public.import_job WHERE county_code = $1', [COUNTY]);
    expect(jobs.rows[0].n).toBe(0);
  });

  it('imports a 3D polygon layer when dropZ is requested', async () => {
    const { job } = await importAndWait(app, admin, { file: polygonZ(), fields: { dropZ: true } });
    expect(job.state).toBe('succeeded');
    const z = await pool.query('SELECT bool_or(ST_Zmflag(geom) > 0) AS z FROM survey.dltb WHERE county_code = $1', [COUNTY]);
    expect(z.rows[0].z).toBe(false);
  });

  it('answers a zip whose expansion is huge, whether its headers say so or lie', async () => {
    // 64 MiB of zeros in a ~70 KB zip against an 8 MiB expansion limit.
    const small = await buildTestApp({ maxExpandedBytes: 8 * 1024 * 1024 });
    try {
      const honest = expectProblem(await postImport(small, admin, { file: zipBomb({ expandedBytes: 64 * 1024 * 1024 }) }), 413, 'zip-too-large');
      expect(honest.declaredBytes).toBe(64 * 1024 * 1024);
      // Declares 1 KiB: caught while expanding, by counting the bytes actually written.
      const lying = await postImport(small, admin, { file: zipBomb({ expandedBytes: 64 * 1024 * 1024, declaredBytes: 1024 }) });
      expect(lying.statusCode).toBe(422);
      expect(['zip-too-large', 'zip-corrupt']).toContain(lying.json().code);
      expect(await rows()).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('answers an oversized upload with 413', async () => {
    const small = await buildTestApp({ maxUploadBytes: 10_000 });
    try {
      expectProblem(await postImport(small, admin, { file: shapefileZip({ limit: 200 }) }), 413, 'upload-too-large');
    } finally {
      await small.close();
    }
  });

  it('answers bad parameters with 400/422', async () => {
    const file = shapefileZip({ limit: 5 });
    expectProblem(await postImport(app, admin, { file, layer: 'nope' as never }), 400, 'request-invalid');
    expectProblem(await postImport(app, admin, { file, county: '36112' }), 422, 'county-code-invalid');
    expectProblem(await injectAs(app, admin, { method: 'POST', url: '/api/v1/imports', payload: { layer: 'dltb' } }), 415, 'multipart-required');
  });
});
