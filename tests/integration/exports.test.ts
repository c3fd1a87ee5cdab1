import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import gdal from 'gdal-async';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { officialAreaGkMulti, roundArea } from '../../src/domain/area/ellipsoidal-area.js';
import { zoneFromNumber } from '../../src/domain/area/gauss-kruger.js';
import { buildTestApp } from '../helpers/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { expectProblem, importAndWait } from '../helpers/imports.js';
import { multipart } from '../helpers/multipart.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { ANONYMOUS, injectAs } from '../helpers/http.js';

const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const COUNTY = '361123';
const ZONE39 = zoneFromNumber(39, true);
const pool = testPool();
const dir = mkdtempSync(join(tmpdir(), 'zhanbu-export-'));
let app: App;
let admin: TestUser;

async function clean() {
  await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [COUNTY]);
  await resetCounty(pool, COUNTY);
}

/** Runs an export to the end and saves the download; returns the job and the local path. */
async function exportTo(body: Record<string, unknown>) {
  const res = await injectAs(app, admin, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: 2019, layer: 'dltb', ...body } });
  expect(res.statusCode).toBe(202);
  await app.exports.idle();
  const job = (await injectAs(app, admin, `/api/v1/exports/${res.json().id}`)).json();
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const file = await injectAs(app, admin, `/api/v1/exports/${job.id}/file`);
  expect(file.statusCode).toBe(200);
  const path = join(dir, `${job.id}-${job.file.name}`);
  writeFileSync(path, file.rawPayload);
  return { job, path };
}

/** Every feature of a GDAL-readable file: attributes and geometry (as GeoJSON). */
function readAll(path: string, layer = 'DLTB') {
  const ds = gdal.open(path);
  // GeoJSON names its one layer after the file.
  const lyr = ds.layers.count() === 1 ? ds.layers.get(0) : ds.layers.get(layer);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- attribute values of whatever field types the layer has, as gdal's fields.toObject() gives them
  const out: { props: Record<string, any>; geom: Polygon | MultiPolygon }[] = [];
  for (let f = lyr.features.first(); f; f = lyr.features.next()) out.push({ props: f.fields.toObject(), geom: f.getGeometry()?.toObject() as Polygon | MultiPolygon });
  const srs = lyr.srs?.toWKT() ?? '';
  ds.close();
  return { features: out, srs };
}

const vsi = (path: string) => (path.endsWith('.gdb.zip') ? `/vsizip/${path}/export.gdb` : path.endsWith('.shp.zip') ? `/vsizip/${path}/DLTB.shp` : path);

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  await importAndWait(app, admin, { layer: 'dltb', year: 2019, file: join(FIX, 'dltb-2019.shp.zip') });
});
afterAll(async () => {
  await app.close();
  await clean();
  await pool.end();
});

describe('export of an unchanged county', () => {
  it('equals its input: same features, attributes and millimetre coordinates', async () => {
    const { path, job } = await exportTo({ format: 'shapefile', crs: 'zone-prefixed', parcels: 'candidates' });
    expect(job.counts).toMatchObject({ changed: 0, added: 0 });
    const original = readAll(`/vsizip/${join(FIX, 'dltb-2019.shp.zip')}/DLTB.shp`);
    const exported = readAll(vsi(path));
    expect(exported.features).toHaveLength(original.features.length);
    const byBsm = new Map(original.features.map((f) => [f.props.BSM, f]));
    for (const f of exported.features) {
      const o = byBsm.get(f.props.BSM)!;
      for (const k of ['DLBM', 'DLMC', 'QSXZ', 'QSDWDM', 'QSDWMC', 'ZLDWDM', 'ZLDWMC', 'TBMJ', 'KCMJ', 'TBDLMJ']) expect(f.props[k] ?? null, k).toEqual(o.props[k] ?? null);
      const a: number[] = o.geom.coordinates.flat(3);
      const b: number[] = f.geom.coordinates.flat(3);
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(0.0011);
    }
  });
});

describe('export with restored parcels applied', () => {
  let target: { fid: number; bsm: string; tbmj: number; township: string };
  beforeAll(async () => {
    // A candidate parcel over the western half of the largest mining polygon.
    const { rows } = await pool.query(
      `SELECT fid, bsm, tbmj::float8 AS tbmj, left(zldwdm, 9) AS township,
              ST_AsGeoJSON(ST_Intersection(geom, ST_MakeEnvelope(ST_XMin(geom) - 1, ST_YMin(geom) - 1, (ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMax(geom) + 1, 4490)), 9) AS half
         FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND dlbm = '0602' ORDER BY tbmj DESC LIMIT 1`,
      [COUNTY],
    );
    target = rows[0];
    const file = join(dir, 'parcel.geojson');
    writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { DKBH: 'XF-01', NBLDL: '0305' }, geometry: JSON.parse(rows[0].half) }] }));
    const up = await injectAs(app, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...multipart({ county: COUNTY, township: target.township, runChecks: false }, { path: file }) });
    expect(up.statusCode).toBe(201);
  });

  it('splits the polygon: a new forest piece with a new BSM and the remainder, adding up to TBMJ exactly, no gap wider than 1 mm', async () => {
    const { path, job } = await exportTo({ format: 'shapefile', crs: 'zone-prefixed', parcels: 'candidates' });
    expect(job.counts).toMatchObject({ changed: 1, added: 1, parcels: 1 });
    const { features, srs } = readAll(vsi(path));
    expect(srs).toContain('Gauss-Kruger zone 39');
    const piece = features.find((f) => f.props.BGBJ === 'N')!;
    const rest = features.find((f) => f.props.BGBJ === 'S')!;
    expect(piece.props).toMatchObject({ DLBM: '0305', DLMC: '灌木林地', LYDKBH: 'XF-01', YBSM: target.bsm, KCMJ: 0 });
    expect(piece.props.BSM).toMatch(/^\d{18}$/);
    expect(features.filter((f) => f.props.BSM === piece.props.BSM)).toHaveLength(1);
    expect(rest.props).toMatchObject({ BSM: target.bsm, DLBM: '0602', DLMC: '采矿用地' });
    // The pieces add up to TBMJ but for the area the cut's mm-rounded vertices moved across the
    // polygon's outline (to or from the neighbour, whose TBMJ follows): hundredths of a m².
    expect(Math.abs(roundArea(piece.props.TBMJ + rest.props.TBMJ) - target.tbmj)).toBeLessThan(0.1);
    // Each piece's TBMJ is its own official area (to 0.01 m², the 平差 residual at most).
    for (const f of [piece, rest]) {
      expect(Math.abs(officialAreaGkMulti(f.geom.type === 'Polygon' ? [f.geom.coordinates] : f.geom.coordinates, ZONE39) - f.props.TBMJ)).toBeLessThanOrEqual(0.011);
      expect(f.props.TBDLMJ).toBeCloseTo(f.props.TBMJ - f.props.KCMJ, 2);
    }
    // No gap, no overlap: the pieces tile the original polygon.
    const { rows } = await pool.query(
      `WITH o AS (SELECT ST_SnapToGrid(ST_Transform(geom, 4527), 0.001) AS g FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND fid = $2),
            p AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($3), 0) AS a, ST_SetSRID(ST_GeomFromGeoJSON($4), 0) AS b)
       SELECT ST_Area(ST_Intersection(a, b)) AS overlap, ST_Area(ST_SymDifference(ST_Union(a, b), ST_SetSRID(o.g, 0))) AS gap,
              ST_Area(ST_Buffer(ST_SymDifference(ST_Union(a, b), ST_SetSRID(o.g, 0)), -0.0005)) AS wide_gap FROM o, p`,
      [COUNTY, target.fid, JSON.stringify(piece.geom), JSON.stringify(rest.geom)],
    );
    // Differences are only sub-millimetre slivers from rounding to the mm (nothing survives a
    // 0.5 mm inward buffer) and total well under 0.1 m² on a ~17,000 m² polygon.
    expect(rows[0].overlap).toBeLessThan(0.001);
    expect(rows[0].wide_gap).toBe(0);
    expect(rows[0].gap).toBeLessThan(0.1);
  });

  it('export then import gives the same attributes and official areas (GBK shapefile with .cpg and .prj)', async () => {
    const { path } = await exportTo({ format: 'shapefile', crs: 'zone-prefixed', parcels: 'candidates' });
    const entries = execFileSync('unzip', ['-Z1', path]).toString().trim().split('\n').sort();
    expect(entries).toEqual(['DLTB.cpg', 'DLTB.dbf', 'DLTB.prj', 'DLTB.shp', 'DLTB.shx']);
    expect(execFileSync('unzip', ['-p', path, 'DLTB.cpg']).toString().trim()).toBe('CP936');
    const info = execFileSync('ogrinfo', ['-so', '-al', vsi(path)]).toString();
    expect(info).toMatch(/TBMJ: Real \(15\.2\)/);
    expect(info).toMatch(/BSM: String \(18\.0\)/);
    expect(info).toMatch(/DLMC: String \(60\.0\)/);
    const { job } = await importAndWait(app, admin, { layer: 'dltb', year: 2098, file: path });
    expect(job).toMatchObject({ state: 'succeeded', counts: { rejected: 0 } });
    const { rows } = await pool.query(
      `SELECT a.bsm, a.dlbm, a.dlmc, a.tbmj::float8 AS a_tbmj, b.tbmj::float8 AS b_tbmj, b.dlmc AS b_dlmc, b.extra->>'BGBJ' AS bgbj,
              ST_AsGeoJSON(ST_Transform(b.geom, 4527), 9) AS plane
         FROM survey.dltb b LEFT JOIN survey.dltb a ON a.county_code = b.county_code AND a.survey_year = 2019 AND a.bsm = b.bsm
        WHERE b.county_code = $1 AND b.survey_year = 2098`,
      [COUNTY],
    );
    for (const r of rows) {
      if (r.bgbj === null) {
        expect(r.b_tbmj).toBe(r.a_tbmj);
        expect(r.b_dlmc).toBe(r.dlmc);
      }
      const g = JSON.parse(r.plane);
      expect(Math.abs(officialAreaGkMulti(g.type === 'Polygon' ? [g.coordinates] : g.coordinates, ZONE39) - r.b_tbmj)).toBeLessThanOrEqual(0.011);
    }
    expect(rows.some((r) => r.bgbj === 'N' && r.b_dlmc === '灌木林地')).toBe(true);
  });

  it.each([
    ['gpkg', '4490', 'China Geodetic Coordinate System 2000'],
    ['filegdb', 'zone', 'CM 117E'],
    ['geojson', '4490', 'China Geodetic Coordinate System 2000'],
    ['flatgeobuf', 'zone-prefixed', 'zone 39'],
  ])('writes %s in EPSG %s with Chinese intact', async (format, crs, crsName) => {
    const { path, job } = await exportTo({ format, crs, parcels: 'candidates' });
    const { features, srs } = readAll(vsi(path));
    expect(srs).toContain(crsName);
    expect(features).toHaveLength(job.counts.features);
    expect(features.find((f) => f.props.BGBJ === 'N')!.props.DLMC).toBe('灌木林地');
    expect(features.some((f) => /村民委员会|村民小组/.test(f.props.QSDWMC ?? ''))).toBe(true);
  });

  it('answers bad export requests with problem+json', async () => {
    expectProblem(await injectAs(app, admin, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: 2001, layer: 'dltb', format: 'gpkg' } }), 422, 'survey-year-not-imported');
    expectProblem(await injectAs(app, admin, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: 2019, layer: 'dltb', format: 'dwg' } }), 400, 'request-invalid');
    expectProblem(await injectAs(app, admin, '/api/v1/exports/00000000-0000-0000-0000-000000000000'), 404, 'not-found');
  });
});

describe('one-map and reserve layers', () => {
  it('adds a new forest 小班 per parcel to the one-map, MIAN_JI in hectares from the official area', async () => {
    const { path, job } = await exportTo({ layer: 'ldxb', format: 'shapefile', crs: 'zone-prefixed', parcels: 'candidates' });
    const { features } = readAll(path.endsWith('.zip') ? `/vsizip/${path}/LDXB.shp` : path, 'LDXB');
    expect(features).toHaveLength(job.counts.features);
    const added = features.filter((f) => f.props.XZBJ === 1);
    expect(added).toHaveLength(1);
    expect(added[0]!.props).toMatchObject({ XIAN: COUNTY, DI_LEI: '0305', BGYY: '矿山生态修复补充林地', LYDKBH: 'XF-01', LD_QS: '2' });
    const g = added[0]!.geom;
    const official = officialAreaGkMulti(g.type === 'Polygon' ? [g.coordinates] : g.coordinates, ZONE39);
    expect(added[0]!.props.MIAN_JI).toBeCloseTo(official / 10000, 4);
  });

  it('writes the reserve layer with state, areas in m², 亩 and 公顷, and ownership', async () => {
    const { path } = await exportTo({ layer: 'reserve', format: 'gpkg', crs: '4490', parcels: 'candidates' });
    const { features, srs } = readAll(path, 'BCLDCBK');
    expect(srs).toContain('China Geodetic Coordinate System 2000');
    expect(features).toHaveLength(1);
    const r = features[0]!.props;
    expect(r).toMatchObject({ DKBH: 'XF-01', LDDL: '0305', QSXZ: expect.stringMatching(/^\d{2}$/) });
    expect(r.QSDWMC).toMatch(/[\u4e00-\u9fff]/);
    expect(r.MJ_MU).toBeCloseTo((r.MJ * 15) / 10000, 4);
    expect(r.MJ_GQ).toBeCloseTo(r.MJ / 10000, 4);
  });
});

describe('jurisdiction on restorable land and exports', () => {
  it('confines county users to their county: 403 by county, 404 for another county’s export', async () => {
    const { createTestUser, deleteTestUsers } = await import('../helpers/auth.js');
    const own = await createTestUser(pool, 'county-forestry', COUNTY);
    const other = await createTestUser(pool, 'county-forestry', '361102');
    const city = await createTestUser(pool, 'city', '361100');
    try {
      const { job } = await exportTo({ format: 'geojson', crs: '4490', parcels: 'candidates' });
      expect((await injectAs(app, own, { url: `/api/v1/exports/${job.id}` })).statusCode).toBe(200);
      expect((await injectAs(app, city, { url: `/api/v1/exports/${job.id}` })).statusCode).toBe(200);
      expectProblem(await injectAs(app, other, { url: `/api/v1/exports/${job.id}` }), 404, 'not-found');
      expectProblem(await injectAs(app, other, { url: `/api/v1/exports/${job.id}/file` }), 404, 'not-found');
      const post = await injectAs(app, other, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: 2019, layer: 'dltb', format: 'gpkg' } });
      expectProblem(post, 403, 'out-of-jurisdiction');
      expectProblem(await injectAs(app, other, { url: `/api/v1/counties/${COUNTY}/restorable-mining-land/summary` }), 403, 'out-of-jurisdiction');
      expectProblem(await injectAs(app, other, { url: `/api/v1/counties/${COUNTY}/restorable-mining-land` }), 403, 'out-of-jurisdiction');
      expect((await injectAs(app, own, { url: `/api/v1/counties/${COUNTY}/restorable-mining-land/summary` })).statusCode).toBe(200);
      expectProblem(await injectAs(app, ANONYMOUS, { url: `/api/v1/exports/${job.id}` }), 401, 'unauthenticated');
    } finally {
      await deleteTestUsers(pool);
    }
  });
});

describe('parcels applied by procedure state', () => {
  it('applies by default only parcels that reached 变更, with the forest class recorded at 造林', async () => {
    const { rows } = await pool.query(`SELECT id, upload_id, township_code, parcel_no FROM candidate.parcel WHERE county_code = $1 AND parcel_no = 'XF-01'`, [COUNTY]);
    const cp = rows[0];
    const { rows: pp } = await pool.query(
      `INSERT INTO procedure.parcel (candidate_parcel_id, upload_id, county_code, township_code, parcel_no, state, area_m2, forest_class, created_by)
       VALUES ($1, $2, $3, $4, $5, 'accepted', 1, '0301', gen_random_uuid()) RETURNING id`,
      [cp.id, cp.upload_id, COUNTY, cp.township_code, cp.parcel_no],
    );
    try {
      const accepted = await exportTo({ format: 'geojson', crs: '4490' });
      expect(accepted.job).toMatchObject({ parcels: 'changed', counts: { added: 0, changed: 0 } });
      const early = await exportTo({ format: 'geojson', crs: '4490', parcels: 'accepted' });
      expect(early.job.counts).toMatchObject({ added: 1, changed: 1 });

      await pool.query(`UPDATE procedure.parcel SET state = 'changed' WHERE id = $1`, [pp[0].id]);
      const changed = await exportTo({ format: 'geojson', crs: '4490' });
      expect(changed.job.counts).toMatchObject({ added: 1, changed: 1 });
      const piece = readAll(changed.path).features.find((f) => f.props.BGBJ === 'N')!;
      expect(piece.props).toMatchObject({ DLBM: '0301', DLMC: '乔木林地', LYDKBH: 'XF-01' });

      await pool.query(`UPDATE procedure.parcel SET state = 'withdrawn' WHERE id = $1`, [pp[0].id]);
      expect((await exportTo({ format: 'geojson', crs: '4490' })).job.counts).toMatchObject({ added: 0 });
    } finally {
      await pool.query('TRUNCATE procedure.parcel, procedure.transition, audit.event CASCADE');
    }
  });
});
