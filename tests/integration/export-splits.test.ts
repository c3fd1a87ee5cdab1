import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MultiPolygon, Polygon } from 'geojson';
import gdal from 'gdal-async';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { importAndWait } from '../helpers/imports.js';
import { multipart } from '../helpers/multipart.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { expectProblem, injectAs } from '../helpers/http.js';

/**
 * Splits as a survey database accepts them (issue 11): parcels along, across, very close to and
 * touching survey edges, exported and taken apart with GDAL and PostGIS.
 */
const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const COUNTY = '361123';
const ZONE = 4527;
const pool = testPool();
const dir = mkdtempSync(join(tmpdir(), 'zhanbu-splits-'));
let app: App;
let admin: TestUser;

async function clean() {
  await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [COUNTY]);
  await resetCounty(pool, COUNTY);
}

async function exportTo(body: Record<string, unknown>) {
  const res = await injectAs(app, admin, { method: 'POST', url: '/api/v1/exports', payload: { county: COUNTY, year: 2019, layer: 'dltb', parcels: 'candidates', ...body } });
  expect(res.statusCode).toBe(202);
  await app.exports.idle();
  const job = (await injectAs(app, admin, `/api/v1/exports/${res.json().id}`)).json();
  expect(job.state, JSON.stringify(job.error)).toBe('succeeded');
  const file = await injectAs(app, admin, `/api/v1/exports/${job.id}/file`);
  const path = join(dir, `${job.id}-${job.file.name}`);
  writeFileSync(path, file.rawPayload);
  return { job, path };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- attribute values of whatever field types the layer has
type Feature = { props: Record<string, any>; geom: Polygon | MultiPolygon };
function readAll(path: string): Feature[] {
  const ds = gdal.open(path);
  const lyr = ds.layers.get(0);
  const out: Feature[] = [];
  for (let f = lyr.features.first(); f; f = lyr.features.next()) out.push({ props: f.fields.toObject(), geom: f.getGeometry()?.toObject() as Polygon | MultiPolygon });
  ds.close();
  return out;
}

/** Parcels drawn in the plane over 0602 polygons of one township, as 4490 GeoJSON. */
const PARCELS_SQL = `
WITH src AS (
  SELECT fid, bsm, ST_Transform(geom, ${ZONE}) AS g, row_number() OVER (ORDER BY tbmj DESC, fid) AS k
    FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND dlbm = '0602' AND left(zldwdm, 9) = $2 AND ST_NumGeometries(geom) = 1),
pick AS (SELECT k, fid, bsm, g, ST_XMin(g) AS x0, ST_XMax(g) AS x1, ST_YMin(g) AS y0, ST_YMax(g) AS y1 FROM src WHERE k <= 12),
-- a neighbour sharing an edge with polygon 5, and the middle of the longest shared stretch
nb AS (
  SELECT n.fid, ST_LineInterpolatePoint(ST_GeometryN(ST_LineMerge(ST_CollectionExtract(ST_Intersection(ST_Boundary(p.g), ST_Boundary(ST_Transform(n.geom, ${ZONE}))), 2)), 1), 0.5) AS mid
    FROM pick p JOIN survey.dltb n ON n.county_code = $1 AND n.survey_year = 2019 AND n.fid <> p.fid AND ST_Intersects(n.geom, ST_Transform(p.g, 4490))
   WHERE p.k = 5 AND ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(p.g), ST_Boundary(ST_Transform(n.geom, ${ZONE}))), 2)) > 20
   ORDER BY ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(p.g), ST_Boundary(ST_Transform(n.geom, ${ZONE}))), 2)) DESC LIMIT 1),
parcel AS (
  -- along and across: the western half of polygon 1, cut off the grid (its other edges run along the polygon's)
  SELECT 'SP-ALONG' AS no, 1 AS k, ST_Intersection(g, ST_MakeEnvelope(x0 - 1, y0 - 1, (x0 + x1) / 2 + 0.0004567, y1 + 1, ${ZONE})) AS g FROM pick WHERE k = 1
  UNION ALL -- a disc inside polygon 2: the remainder keeps a hole
  SELECT 'SP-DISC', 2, ST_Buffer(ST_PointOnSurface(g), least(x1 - x0, y1 - y0) / 8, 16) FROM pick WHERE k = 2
  UNION ALL -- a strip across polygon 3: the remainder falls into two parts
  SELECT 'SP-STRIP', 3, ST_Intersection(g, ST_MakeEnvelope(x0 - 1, (y0 + y1) / 2 - 3.0003, x1 + 1, (y0 + y1) / 2 + 3.0007, ${ZONE})) FROM pick WHERE k = 3
  UNION ALL -- a second strip across polygon 3, parallel to the first: two parcels in one polygon
  SELECT 'SP-STRIP2', 3, ST_Intersection(g, ST_MakeEnvelope(x0 - 1, y0 + (y1 - y0) / 5 - 2.0001, x1 + 1, y0 + (y1 - y0) / 5 + 2.0003, ${ZONE})) FROM pick WHERE k = 3
  UNION ALL -- the eastern half of polygon 4 drawn 1.5 mm inside its edges: a needle to eliminate
  SELECT 'SP-CLOSE', 4, ST_Intersection(ST_Buffer(g, -0.0015, 'join=mitre'), ST_MakeEnvelope((x0 + x1) / 2 + 0.0002, y0 - 1, x1 + 1, y1 + 1, ${ZONE})) FROM pick WHERE k = 4
  UNION ALL -- a square across the edge polygon 5 shares with a neighbour
  SELECT 'SP-ACROSS', 5, ST_Buffer(nb.mid, 4.00037, 'endcap=square') FROM nb
  UNION ALL -- a triangle outside polygon 6 touching one of its vertices
  SELECT 'SP-TOUCH', 6, ST_MakePolygon(ST_MakeLine(ARRAY[v, ST_Translate(v, 6 * dx - 3 * dy, 6 * dy + 3 * dx), ST_Translate(v, 6 * dx + 3 * dy, 6 * dy - 3 * dx), v]))
    FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(g, 1)), 1) AS v, g FROM pick WHERE k = 6) s,
         LATERAL (SELECT (ST_X(v) - ST_X(ST_Centroid(g))) / ST_Distance(v, ST_Centroid(g)) AS dx, (ST_Y(v) - ST_Y(ST_Centroid(g))) / ST_Distance(v, ST_Centroid(g)) AS dy) u
)
SELECT parcel.no, pick.fid, pick.bsm, (SELECT fid FROM nb) AS neighbour, ST_AsGeoJSON(ST_Transform(parcel.g, 4490), 10) AS geojson
  FROM parcel JOIN pick USING (k) ORDER BY parcel.no`;

interface Planted {
  no: string;
  fid: number;
  bsm: string;
  neighbour: number;
  geojson: string;
}
let planted: Planted[];
let exported: Feature[];
let exportPath: string;
const TOWNSHIP = '361123001';

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  await importAndWait(app, admin, { layer: 'dltb', year: 2019, file: join(FIX, 'dltb-2019.shp.zip') });
  planted = (await pool.query<Planted>(PARCELS_SQL, [COUNTY, TOWNSHIP])).rows;
  expect(planted.map((p) => p.no)).toEqual(['SP-ACROSS', 'SP-ALONG', 'SP-CLOSE', 'SP-DISC', 'SP-STRIP', 'SP-STRIP2', 'SP-TOUCH']);
  const file = join(dir, 'parcels.geojson');
  writeFileSync(
    file,
    JSON.stringify({
      type: 'FeatureCollection',
      features: planted.map((p) => ({ type: 'Feature', properties: { DKBH: p.no, NBLDL: '0301' }, geometry: JSON.parse(p.geojson) })),
    }),
  );
  const up = await injectAs(app, admin, { method: 'POST', url: '/api/v1/candidate-uploads', ...multipart({ county: COUNTY, township: TOWNSHIP, runChecks: false }, { path: file }) });
  expect(up.statusCode, up.body).toBe(201);
  const out = await exportTo({ format: 'shapefile', crs: 'zone-prefixed' });
  exportPath = out.path;
  exported = readAll(`/vsizip/${out.path}/DLTB.shp`);
});
afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

/** Every exported feature, as plane geometry in PostGIS, with the properties the checks need. */
const EXPORTED_SQL = `SELECT (f->>'i')::int AS i, f->'p'->>'BGBJ' AS bgbj, f->'p'->>'BSM' AS bsm, f->'p'->>'YBSM' AS ybsm,
                             ST_SetSRID(ST_GeomFromGeoJSON(f->'g'), ${ZONE}) AS g
                        FROM jsonb_array_elements($1::jsonb) f`;
const asParam = (fs: Feature[]) => JSON.stringify(fs.map((f, i) => ({ i, p: f.props, g: f.geom })));

describe('clean splits', () => {
  it('changes exactly the polygons the parcels cover part of; a parcel touching a vertex changes nothing', async () => {
    const changedSources = new Set(exported.filter((f) => f.props.BGBJ === 'S' || f.props.BGBJ === 'N').map((f) => f.props.YBSM ?? f.props.BSM));
    for (const p of planted.filter((x) => x.no !== 'SP-TOUCH')) expect(changedSources.has(p.bsm), p.no).toBe(true);
    const touched = planted.find((p) => p.no === 'SP-TOUCH')!;
    expect(changedSources.has(touched.bsm)).toBe(false);
    const kept = exported.filter((f) => f.props.BSM === touched.bsm);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.props.BGBJ ?? '').toBe('');
  });

  it('writes only valid pieces, single polygons, every vertex on the millimetre grid', async () => {
    const changed = exported.filter((f) => f.props.BGBJ === 'S' || f.props.BGBJ === 'N');
    expect(changed.length).toBeGreaterThanOrEqual(12);
    for (const f of changed) {
      expect(f.geom.type === 'Polygon' || f.geom.coordinates.length === 1, `${f.props.BSM} single`).toBe(true);
      for (const c of f.geom.coordinates.flat(3)) expect(Math.abs(c * 1000 - Math.round(c * 1000)), `${c} off the grid`).toBeLessThan(1e-4);
    }
    const { rows } = await pool.query(
      `SELECT i, bsm, ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, ST_IsEmpty(ST_Buffer(g, -0.004)) AS needle FROM (${EXPORTED_SQL}) x WHERE bgbj IN ('S', 'N')`,
      [asParam(exported)],
    );
    for (const r of rows) {
      expect(r.valid, `${r.bsm}: ${r.reason}`).toBe(true);
      expect(r.needle, `${r.bsm} is a needle`).toBe(false);
    }
  });

  it('splits a polygon crossed by two strips into two forest 图斑 and three remainder 图斑, and keeps the disc’s hole', () => {
    const strip = planted.find((p) => p.no === 'SP-STRIP')!;
    const rest = exported.filter((f) => f.props.BGBJ === 'S' && (f.props.BSM === strip.bsm || f.props.YBSM === strip.bsm));
    expect(rest).toHaveLength(3);
    expect(rest.filter((f) => f.props.BSM === strip.bsm)).toHaveLength(1);
    const forest = exported.filter((f) => f.props.BGBJ === 'N' && f.props.YBSM === strip.bsm);
    expect(forest.map((f) => f.props.LYDKBH).sort()).toEqual(['SP-STRIP', 'SP-STRIP2']);
    const disc = planted.find((p) => p.no === 'SP-DISC')!;
    const ring = exported.find((f) => f.props.BGBJ === 'S' && f.props.BSM === disc.bsm)!;
    const rings = ring.geom.type === 'Polygon' ? ring.geom.coordinates : ring.geom.coordinates[0]!;
    expect(rings).toHaveLength(2);
  });

  it('shares every cut edge vertex for vertex: no gap, no overlap, no sliver anywhere in the layer', async () => {
    const original = readAll(`/vsizip/${join(FIX, 'dltb-2019.shp.zip')}/DLTB.shp`);
    const measure = async (fs: Feature[]) =>
      (
        await pool.query(
          `WITH x AS (${EXPORTED_SQL}),
                lines AS (SELECT ST_UnaryUnion(ST_Collect(ST_Boundary(g))) AS l FROM x)
           SELECT (SELECT sum(ST_Area(g)) FROM x) AS area_sum, (SELECT ST_Area(ST_Union(g)) FROM x) AS area_union,
                  (SELECT sum(ST_NumGeometries(g)) FROM x)::int AS parts,
                  (SELECT ST_NumGeometries(ST_Polygonize(l)) FROM lines)::int AS faces`,
          [asParam(fs)],
        )
      ).rows[0];
    const before = await measure(original);
    const after = await measure(exported);
    // Overlap: the areas add up to the area covered. Gap: the covered area is the original's.
    expect(after.area_sum - after.area_union).toBeLessThan(1e-6);
    expect(Math.abs(after.area_union - before.area_union)).toBeLessThan(1e-4); // floating-point noise of a 7 km² union
    // Every face of the noded linework is one feature's part (plus the layer's own holes, as before):
    // an edge drawn twice a hair apart would add a sliver face.
    expect(after.faces - after.parts).toBe(before.faces - before.parts);
  });

  it('eliminates the needle between a parcel drawn 1.5 mm inside a survey edge and that edge', () => {
    const close = planted.find((p) => p.no === 'SP-CLOSE')!;
    const piece = exported.find((f) => f.props.BGBJ === 'N' && f.props.YBSM === close.bsm)!;
    const rest = exported.filter((f) => f.props.BGBJ === 'S' && (f.props.BSM === close.bsm || f.props.YBSM === close.bsm));
    // The parcel was cut on the vertical x = middle: without elimination the remainder would keep a
    // 1.5 mm strip around the eastern half (as a second part or as an appendage reaching east).
    expect(rest).toHaveLength(1);
    const xs = (f: Feature) => f.geom.coordinates.flat(3).filter((_, i) => i % 2 === 0);
    expect(Math.max(...xs(rest[0]!))).toBeLessThanOrEqual(Math.min(...xs(piece)) + 0.001);
  });

  it('cuts the neighbour across a shared edge too, and the two meet vertex for vertex', () => {
    const across = planted.find((p) => p.no === 'SP-ACROSS')!;
    const pieces = exported.filter((f) => f.props.LYDKBH === 'SP-ACROSS');
    expect(pieces).toHaveLength(2);
    const sources = pieces.map((f) => f.props.YBSM).sort();
    expect(sources).toContain(across.bsm);
  });

  it('re-imports with no rejects and a quality report with no findings', async () => {
    // The county's XZQ for that year too, so gaps are sought inside its outline and sums compared with its DCMJ.
    expect((await importAndWait(app, admin, { layer: 'xzq', year: 2097, file: join(FIX, 'xzq.shp.zip') })).job.state).toBe('succeeded');
    const { job } = await importAndWait(app, admin, { layer: 'dltb', year: 2097, file: exportPath });
    expect(job).toMatchObject({ state: 'succeeded', counts: { rejected: 0, repaired: 0 } });
    // …and a quality report with no findings: areas, deductions, coverage and identifiers all agree.
    const q = (await injectAs(app, admin, `/api/v1/imports/${job.id}/quality`)).json();
    expect(q.items, JSON.stringify(q.items.slice(0, 5))).toEqual([]);
    expect(job.quality).toMatchObject({ total: 0, xzq: true });
  });
});

describe('attributes of a change', () => {
  it('new 图斑 get new BSM, new TBBH after the largest in their 坐落单位, no CZCSXM on restored land, SJNF of the change', () => {
    const bsm = exported.map((f) => f.props.BSM);
    expect(new Set(bsm).size).toBe(bsm.length);
    const key = exported.map((f) => `${f.props.ZLDWDM}/${f.props.TBBH}`);
    expect(new Set(key).size).toBe(key.length);
    const year = new Date().getUTCFullYear();
    for (const f of exported.filter((x) => x.props.BGBJ === 'N')) {
      expect(f.props.CZCSXM ?? null).toBeNull();
      expect(f.props.DLBM).toBe('0301');
      expect(f.props.TBYBH).toBe(f.props.TBBH);
      expect(f.props.SJNF).toBe(year);
      expect(f.props.KCMJ).toBe(0);
      expect(f.props.TBDLMJ).toBe(f.props.TBMJ);
    }
    for (const f of exported.filter((x) => x.props.BGBJ === 'S')) {
      // A remainder keeps its class and its 城镇村属性码 (204 on the mining land).
      if (f.props.DLBM === '0602') expect(f.props.CZCSXM).toBe('204');
      expect(f.props.SJNF).toBe(year);
    }
  });

  it('keeps TBMJ of each source but for the area its cut vertices moved to the neighbour, and the layer’s total', async () => {
    const { rows } = await pool.query(`SELECT bsm, tbmj::float8 AS tbmj FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019`, [COUNTY]);
    const byBsm = new Map(rows.map((r) => [r.bsm as string, r.tbmj as number]));
    const sums = new Map<string, number>();
    for (const f of exported) {
      const src = f.props.YBSM ?? f.props.BSM;
      sums.set(src, Math.round(((sums.get(src) ?? 0) + f.props.TBMJ) * 100) / 100);
    }
    for (const [src, sum] of sums) {
      // A cut vertex rounded to the mm lies up to 0.71 mm off the survey edge it is on: hundredths of a m².
      expect(Math.abs(sum - byBsm.get(src)!), src).toBeLessThan(0.1);
    }
    // What one polygon gained its neighbour lost: the layer's total stays to the cent.
    const cents = (xs: number[]) => xs.reduce((a, x) => a + Math.round(x * 100), 0);
    expect(cents(exported.map((f) => f.props.TBMJ))).toBe(cents(rows.map((r) => r.tbmj)));
  });
});

describe('fields of the 三调 standard and of the county', () => {
  it('writes the standard types and widths in the shapefile (TBYBH C18, GDDB N2, SJNF N4, …)', () => {
    const info = execFileSync('ogrinfo', ['-so', '-al', `/vsizip/${exportPath}/DLTB.shp`]).toString();
    for (const f of ['BSM: String (18.0)', 'TBYBH: String (18.0)', 'TBBH: String (8.0)', 'DLBM: String (5.0)', 'QSXZ: String (2.0)', 'QSDWMC: String (254.0)',
      'TBMJ: Real (15.2)', 'KCXS: Real (6.4)', 'XZDWKD: Real (5.1)', 'GDDB: Integer (2.0)', 'SJNF: Integer (4.0)', 'CZCSXM: String (4.0)', 'BZ: String (254.0)']) {
      expect(info).toContain(f);
    }
  });

  it.each(['shapefile', 'gpkg', 'filegdb', 'flatgeobuf', 'geojson'])('writes the county’s own fields back (XMMC) and GDDB as a number in %s', async (format) => {
    const { path } = await exportTo({ format, crs: 'zone-prefixed' });
    const file = format === 'shapefile' ? `/vsizip/${path}/DLTB.shp` : format === 'filegdb' ? `/vsizip/${path}/export.gdb` : path;
    const features = readAll(file);
    const original = new Map(readAll(`/vsizip/${join(FIX, 'dltb-2019.shp.zip')}/DLTB.shp`).map((f) => [f.props.BSM, f.props]));
    let withXmmc = 0;
    for (const f of features.filter((x) => !x.props.BGBJ)) {
      const o = original.get(f.props.BSM)!;
      expect(f.props.XMMC ?? null, f.props.BSM).toEqual(o.XMMC ?? null);
      expect(f.props.GDDB ?? null).toEqual(o.GDDB ?? null);
      if (o.XMMC) withXmmc++;
    }
    expect(withXmmc).toBeGreaterThan(0);
    // The pieces on the mm grid in this format too (a File Geodatabase stores coordinates on its own grid).
    for (const f of features.filter((x) => x.props.BGBJ)) {
      for (const c of f.geom.coordinates.flat(3)) expect(Math.abs(c * 1000 - Math.round(c * 1000)), `${format}: ${c}`).toBeLessThan(1e-4);
    }
    if (format === 'filegdb') {
      const info = execFileSync('ogrinfo', ['-so', '-al', file]).toString();
      expect(info).toContain('Geometry Column = SHAPE');
      expect(info).toMatch(/SHAPE_Area: Real/i);
      expect(info).toMatch(/SHAPE_Length: Real/i);
    }
  });
});

describe('fields the county named itself', () => {
  it('writes back extra fields with Chinese names and quotes in them, whole numbers as integers', async () => {
    const { rows } = await pool.query(
      `UPDATE survey.dltb SET extra = coalesce(extra, '{}') || '{"项目编号": "采-01", "O''K": 3}'::jsonb
        WHERE county_code = $1 AND survey_year = 2019 AND fid = (SELECT min(fid) FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019) RETURNING bsm`,
      [COUNTY],
    );
    const { path } = await exportTo({ format: 'gpkg', crs: 'zone-prefixed' });
    const f = readAll(path).find((x) => x.props.BSM === rows[0].bsm)!;
    expect(f.props).toMatchObject({ 项目编号: '采-01', "O'K": 3 });
    const info = execFileSync('ogrinfo', ['-so', path, 'DLTB']).toString();
    expect(info).toMatch(/O'K: Integer64/);
  });
});

describe('files as desktop tools write them', () => {
  it('writes DBF language byte 0x4D (GBK) and a .cpg', () => {
    const dbf = execFileSync('unzip', ['-p', exportPath, 'DLTB.dbf'], { maxBuffer: 64 << 20 });
    expect(dbf[29]).toBe(0x4d);
    expect(execFileSync('unzip', ['-p', exportPath, 'DLTB.cpg']).toString().trim()).toBe('CP936');
    expect(readFileSync(exportPath).length).toBeGreaterThan(0);
  });

  it('deletes export files after the retention time; the job stays and the download answers 410', async () => {
    const { job } = await exportTo({ format: 'geojson', crs: '4490' });
    const folder = join(app.exports['config'].workDir, 'exports', job.id);
    expect(existsSync(folder)).toBe(true);
    expect(await app.exports.sweep(new Date(Date.now() + 71 * 3_600_000))).not.toContain(job.id);
    expect(existsSync(folder)).toBe(true);
    expect(await app.exports.sweep(new Date(Date.now() + 73 * 3_600_000))).toContain(job.id);
    expect(existsSync(folder)).toBe(false);
    expectProblem(await injectAs(app, admin, `/api/v1/exports/${job.id}/file`), 410, 'export-expired');
    const view = (await injectAs(app, admin, `/api/v1/exports/${job.id}`)).json();
    expect(view).toMatchObject({ state: 'succeeded', expiredAt: expect.any(String) });
  });
});
