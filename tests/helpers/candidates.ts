/**
 * Helpers of the candidate-parcel integration tests: an app with its own limits, the county's
 * survey layers imported once per file, candidate files written for real (GeoJSON, zipped GBK
 * shapefiles) and test parcels derived from the imported layers with SQL, so the tests depend on
 * neither feature counts nor particular BSMs.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import gdal from 'gdal-async';
import type { Geometry, Polygon, MultiPolygon, Position } from 'geojson';
import type pg from 'pg';
import { expect } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { serviceDatabaseUrl } from './db.js';
import { injectAs, type Caller } from './http.js';
import { importAndWait } from './imports.js';
import { multipart } from './multipart.js';

export const COUNTY = '361123';
/** The committed sample county, or another directory with the same four zips. */
export const FIXTURES_DIR = resolve(process.env.ZHANBU_FIXTURES_DIR ?? 'fixtures/361123');
/** The fixtures' projected system: CGCS2000 3° Gauss–Krüger zone 39, zone-prefixed eastings. */
export const GK39 = 4527;

type XY = [number, number];

/** The .prj ArcGIS writes for CGCS2000 3° GK zone 39 with zone prefix: ESRI WKT, no EPSG code. */
export const ESRI_PRJ_GK39 =
  'PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",' +
  'SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],' +
  'PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],' +
  'PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]';

// ---------------------------------------------------------------- app and layers

/**
 * The app on the test database with its own work directory and, optionally, other limits. The app
 * connects as the service's login with a pool of its own (see buildTestApp).
 */
export async function buildCandidateApp(overrides: Partial<Config> = {}): Promise<App> {
  const config: Config = {
    ...loadConfig({ DATABASE_URL: serviceDatabaseUrl() }),
    workDir: mkdtempSync(join(tmpdir(), 'zhanbu-cand-')),
    ...overrides,
  };
  return buildApp({ config });
}

/** Imports DLTB 2019 (base) and 2023 (change), the one-map 小班 2023 and XZQ, all must succeed. */
export async function importSurveyLayers(app: App, who: Caller): Promise<void> {
  for (const f of ['dltb-2019.shp.zip', 'dltb-2023.shp.zip', 'ldxb-2023.shp.zip', 'xzq.shp.zip']) {
    if (!existsSync(join(FIXTURES_DIR, f))) throw new Error(`fixture ${join(FIXTURES_DIR, f)} missing (set ZHANBU_FIXTURES_DIR)`);
  }
  const layers = [
    { layer: 'dltb', year: 2019, file: 'dltb-2019.shp.zip' },
    { layer: 'dltb', year: 2023, file: 'dltb-2023.shp.zip' },
    { layer: 'ldxb', year: 2023, file: 'ldxb-2023.shp.zip' },
    { layer: 'xzq', year: 2019, file: 'xzq.shp.zip' },
  ] as const;
  for (const l of layers) {
    const { job } = await importAndWait(app, who, { layer: l.layer, year: l.year, file: join(FIXTURES_DIR, l.file) });
    if (job.state !== 'succeeded') throw new Error(`import of ${l.file} ended ${job.state}: ${JSON.stringify(job.error)}`);
  }
}

/** Removes every candidate upload of the county (parcels, runs and results cascade). */
export async function deleteCandidates(pool: pg.Pool, county = COUNTY): Promise<void> {
  await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [county]);
}

export const uploadCount = async (pool: pg.Pool) =>
  (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM candidate.upload WHERE county_code = $1', [COUNTY])).rows[0]!.n;
export const parcelCount = async (pool: pg.Pool) =>
  (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM candidate.parcel WHERE county_code = $1', [COUNTY])).rows[0]!.n;

// ---------------------------------------------------------------- files

export function tempDir(prefix = 'zhanbu-cand-files-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CandidateFeature {
  geometry: Geometry | null;
  properties?: Record<string, string | number | null>;
}

/**
 * Writes a GeoJSON FeatureCollection. `crs` names a projected system with the (GDAL-honoured)
 * pre-RFC 7946 crs member; without it the coordinates are longitude/latitude.
 */
export function writeGeoJson(dir: string, name: string, features: CandidateFeature[], opts: { epsg?: number } = {}): string {
  const doc: Record<string, unknown> = {
    type: 'FeatureCollection',
    ...(opts.epsg ? { crs: { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${opts.epsg}` } } } : {}),
    features: features.map((f) => ({ type: 'Feature', properties: f.properties ?? {}, geometry: f.geometry })),
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/**
 * Writes a zipped shapefile set as Chinese survey tools deliver it: GBK attributes (GDAL recodes
 * with ENCODING=CP936), the .cpg deleted and the DBF language byte (29) set to 0x4D, and the
 * .prj GDAL writes for the EPSG code unless `prj` gives the text. Geometries are GeoJSON in that system.
 */
export function writeShapefileZip(
  dir: string,
  name: string,
  features: CandidateFeature[],
  opts: { epsg?: number; prj?: string; fields?: { name: string; type: 'string' | 'real'; width?: number }[] } = {},
): string {
  const epsg = opts.epsg ?? GK39;
  const setDir = join(dir, `${name}-set`);
  mkdirSync(setDir, { recursive: true });
  const shp = join(setDir, `${name}.shp`);
  const srs = gdal.SpatialReference.fromEPSG(epsg);
  const ds = gdal.open(shp, 'w', 'ESRI Shapefile');
  const layer = ds.layers.create(name, srs, gdal.wkbPolygon, ['ENCODING=CP936']);
  const fields: { name: string; type: 'string' | 'real'; width?: number }[] =
    opts.fields ??
    [...new Set(features.flatMap((f) => Object.keys(f.properties ?? {})))].map((n) => ({
      name: n,
      type: features.every((f) => typeof (f.properties?.[n] ?? 0) === 'number') ? ('real' as const) : ('string' as const),
    }));
  for (const f of fields) {
    const d = new gdal.FieldDefn(f.name, f.type === 'real' ? gdal.OFTReal : gdal.OFTString);
    d.width = f.width ?? (f.type === 'real' ? 15 : 100);
    if (f.type === 'real') d.precision = 2;
    layer.fields.add(d);
  }
  for (const f of features) {
    const feat = new gdal.Feature(layer);
    for (const [k, v] of Object.entries(f.properties ?? {})) if (v !== null) feat.fields.set(k, v);
    if (f.geometry) feat.setGeometry(gdal.Geometry.fromGeoJson(f.geometry));
    layer.features.add(feat);
  }
  ds.close();
  rmSync(join(setDir, `${name}.cpg`), { force: true });
  setDbfLanguageByte(join(setDir, `${name}.dbf`), 0x4d);
  if (opts.prj !== undefined) writeFileSync(join(setDir, `${name}.prj`), opts.prj);
  const zip = join(dir, `${name}.zip`);
  rmSync(zip, { force: true });
  execFileSync('zip', ['-q', '-X', '-j', zip, ...readdirSync(setDir).map((f) => join(setDir, f))]);
  return zip;
}

/** Sets byte 29 of a .dbf, the language driver id (0x4D = code page 936). */
export function setDbfLanguageByte(dbf: string, ldid: number): void {
  const fd = openSync(dbf, 'r+');
  try {
    writeSync(fd, Buffer.from([ldid]), 0, 1, 29);
  } finally {
    closeSync(fd);
  }
}

/** Byte 29 of a .dbf. */
export function dbfLanguageByte(dbf: string): number {
  const fd = openSync(dbf, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 29);
    return b[0]!;
  } finally {
    closeSync(fd);
  }
}

/** Zips the given files flat into dir/name. */
export function zipFiles(dir: string, name: string, files: string[]): string {
  const zip = join(dir, name);
  rmSync(zip, { force: true });
  execFileSync('zip', ['-q', '-X', '-j', zip, ...files]);
  return zip;
}

// ---------------------------------------------------------------- HTTP

export interface UploadFields {
  county?: string;
  township?: string;
  applicant?: string;
  intendedForestClass?: string;
  runChecks?: boolean;
  changeYear?: number;
  layerName?: string;
  encoding?: string;
}

/** POSTs a candidate upload (county defaults to 361123 unless set to null). */
export async function postCandidates(
  app: App,
  who: Caller,
  file: string | { content: Buffer; name: string },
  fields: Omit<UploadFields, 'county'> & { county?: string | null } = {},
) {
  const form: Record<string, string | number | boolean> = {};
  if (fields.county !== null) form.county = fields.county ?? COUNTY;
  for (const [k, v] of Object.entries(fields)) if (k !== 'county' && v !== undefined && v !== null) form[k] = v;
  const body = multipart(form, typeof file === 'string' ? { path: file } : file);
  return injectAs(app, who, { method: 'POST', url: '/api/v1/candidate-uploads', ...body });
}

/** Uploads, expects 201, returns the upload view. */
export async function uploadCandidates(app: App, who: Caller, file: string, fields: UploadFields = {}) {
  const res = await postCandidates(app, who, file, fields);
  if (res.statusCode !== 201) throw new Error(`candidate upload answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

export interface CheckView {
  code: string;
  label: string;
  status: string;
  message: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each check has its own figures (nested objects, arrays, numbers), read here as the JSON answer gives them
  figures: Record<string, any>;
  problems: { type: 'FeatureCollection'; features: { geometry: Geometry; properties: Record<string, unknown> }[] } | null;
}
export interface ParcelReportView {
  parcelId: string;
  parcelNo: string;
  status: string;
  townshipCode: string | null;
  applicant: string | null;
  areaOfRecord: { m2: number; mu: number; hectare: number } | null;
  checks: CheckView[];
}

/** The fields of a report's run that the tests read. */
interface RunView {
  id: string;
  checkedAt: string;
  parameterSetVersion: unknown;
  parameters: { changeYear?: number };
  layers: { dltbLatest: { year: number }; dltbChange: { year: number }; ldxbChange: { year: number } };
}

/** The upload's JSON report (latest run unless `run` is given). */
export async function getReport(app: App, who: Caller, uploadId: string, run?: string): Promise<{ run: RunView; summary: unknown; parcels: ParcelReportView[] }> {
  const res = await injectAs(app, who, `/api/v1/candidate-uploads/${uploadId}/report${run ? `?run=${run}` : ''}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** One parcel's report by DKBH. */
export function parcelByNo(report: { parcels: ParcelReportView[] }, parcelNo: string): ParcelReportView {
  const p = report.parcels.find((x) => x.parcelNo === parcelNo);
  if (!p) throw new Error(`no parcel ${parcelNo} in report (have ${report.parcels.map((x) => x.parcelNo).join(', ')})`);
  return p;
}

/** One check of a parcel. */
export function checkOf(report: { parcels: ParcelReportView[] }, parcelNo: string, code: string): CheckView {
  const c = parcelByNo(report, parcelNo).checks.find((x) => x.code === code);
  if (!c) throw new Error(`parcel ${parcelNo} has no ${code} check`);
  return c;
}

/** Uploads GeoJSON features (EPSG:4527 plane coordinates) with checks, returns the report. */
export async function checkFeatures(app: App, who: Caller, features: CandidateFeature[], fields: UploadFields = {}, name = `cand-${Math.random().toString(36).slice(2)}.geojson`) {
  const file = writeGeoJson(tempDir(), name, features, { epsg: GK39 });
  const upload = await uploadCandidates(app, who, file, fields);
  return { upload, report: await getReport(app, who, upload.id) };
}

// ---------------------------------------------------------------- test parcels from the layers

/** A geometry in EPSG:4527 (zone-39 plane, metres) as GeoJSON with millimetre coordinates. */
const plane = (expr: string) => `ST_AsGeoJSON(ST_RemoveRepeatedPoints(ST_Transform(${expr}, ${GK39}), 0.01), 3)::json`;
/** Buffer in metres: through the plane system and back. */
const bufferM = (expr: string, m: number) => `ST_Transform(ST_Buffer(ST_Transform(${expr}, ${GK39}), ${m}, 'join=mitre'), 4490)`;

export interface SurveyPolygon {
  bsm: string;
  dlbm: string;
  township: string;
  qsdwdm: string;
  qsxz: string;
  /** The polygon shrunk by ~0.5 m, in EPSG:4527, ready for a candidate file. */
  geometry: Polygon | MultiPolygon;
}

/**
 * DLTB polygons (2019 geometry, shrunk 0.5 m) chosen by the 2019 and 2023 classes of the same,
 * geometry-equal polygon: e.g. ('0602', '03%') restored mining land, ('0602', '0602') still mining.
 * Largest first; well inside the county (≥ 5 m from its boundary).
 */
export async function surveyPolygons(pool: pg.Pool, dlbm2019: string, dlbm2023: string, limit = 5): Promise<SurveyPolygon[]> {
  const { rows } = await pool.query(
    `WITH c AS (SELECT ST_Union(geom) AS g FROM survey.xzq WHERE county_code = $1 AND level = 'county')
     SELECT a.bsm, b.dlbm, left(b.zldwdm, 9) AS township, b.qsdwdm, b.qsxz, ${plane(bufferM('a.geom', -0.5))} AS geometry
       FROM survey.dltb a
       JOIN survey.dltb b ON b.county_code = a.county_code AND b.survey_year = 2023 AND b.bsm = a.bsm AND ST_Equals(a.geom, b.geom)
       CROSS JOIN c
      WHERE a.county_code = $1 AND a.survey_year = 2019 AND a.dlbm LIKE $2 AND b.dlbm LIKE $3
        AND ST_NumGeometries(a.geom) = 1 AND ST_NumInteriorRings(ST_GeometryN(a.geom, 1)) = 0
        AND ST_Area(a.geom::geography) BETWEEN 500 AND 60000
        AND ST_CoveredBy(${bufferM('a.geom', 5)}, c.g)
      ORDER BY ST_Area(a.geom) DESC, a.bsm LIMIT $4`,
    [COUNTY, dlbm2019, dlbm2023, limit],
  );
  return rows as SurveyPolygon[];
}

/** A 2019 polygon of one class next to one of another class (sharing a boundary of ≥ 20 m). */
export async function neighbourPair(
  pool: pg.Pool,
  where: { a: string; b: string; year?: number },
): Promise<{ a: SurveyPolygon & { dlmc: string; qsdwmc: string }; b: SurveyPolygon & { dlmc: string; qsdwmc: string }; union: Polygon | MultiPolygon } | undefined> {
  const year = where.year ?? 2019;
  const { rows } = await pool.query(
    `WITH c AS (SELECT ST_Union(geom) AS g FROM survey.xzq WHERE county_code = $1 AND level = 'county'),
     -- Polygons of a workable size, computed once (MATERIALIZED: the planner may have no
     -- statistics on a just-imported partition and would otherwise redo this per join row).
     d AS MATERIALIZED (
       SELECT bsm, dlbm, qsdwdm, qsxz, zldwdm, geom FROM survey.dltb
        WHERE county_code = $1 AND survey_year = $2 AND ST_NumGeometries(geom) = 1
          AND ST_Area(geom::geography) BETWEEN 500 AND 60000),
     touching AS MATERIALIZED (
       SELECT a.bsm AS a_bsm, b.bsm AS b_bsm, a.geom AS ag, b.geom AS bg
         FROM d a JOIN d b ON b.bsm <> a.bsm AND b.geom && a.geom
        WHERE (${where.a}) AND (${where.b}) AND ST_Intersects(a.geom, b.geom)
        ORDER BY a.bsm, b.bsm),
     pair AS (
       SELECT t.* FROM touching t CROSS JOIN c
        WHERE ST_Length(ST_Transform(ST_CollectionExtract(ST_Intersection(t.ag, t.bg), 2), ${GK39})) >= 20
          AND ST_CoveredBy(${bufferM('ST_Union(t.ag, t.bg)', 5)}, c.g)
        LIMIT 1)
     SELECT pair.a_bsm, pair.b_bsm, ${plane(bufferM('ST_Union(pair.ag, pair.bg)', -0.5))} AS union_geom FROM pair`,
    [COUNTY, year],
  );
  const r = rows[0];
  if (!r) return undefined;
  const one = async (bsm: string) =>
    (
      await pool.query(
        `SELECT bsm, dlbm, dlmc, left(zldwdm, 9) AS township, qsdwdm, qsdwmc, qsxz, ${plane(bufferM('geom', -0.5))} AS geometry
           FROM survey.dltb WHERE county_code = $1 AND survey_year = $2 AND bsm = $3`,
        [COUNTY, year, bsm],
      )
    ).rows[0];
  return { a: await one(r.a_bsm), b: await one(r.b_bsm), union: r.union_geom };
}

/** The county outline in EPSG:4527 (for parcels pushed across it). */
export async function countyBoundaryPolygon(pool: pg.Pool): Promise<{ bsm: string; geometry: Polygon | MultiPolygon; outward: Polygon | MultiPolygon } | undefined> {
  // A DLTB 2023 polygon touching the county boundary, and that polygon grown by 30 m: the growth
  // beyond the boundary lies outside the county.
  const { rows } = await pool.query(
    `WITH c AS (SELECT ST_Union(geom) AS g FROM survey.xzq WHERE county_code = $1 AND level = 'county')
     SELECT d.bsm, ${plane(bufferM('d.geom', -0.5))} AS geometry, ${plane(bufferM('d.geom', 30))} AS outward
       FROM survey.dltb d CROSS JOIN c
      WHERE d.county_code = $1 AND d.survey_year = 2023 AND ST_NumGeometries(d.geom) = 1
        AND ST_Length(ST_Transform(ST_CollectionExtract(ST_Intersection(d.geom, ST_Boundary(c.g)), 2), ${GK39})) >= 30
        AND ST_Area(d.geom::geography) BETWEEN 1000 AND 60000
      ORDER BY d.bsm LIMIT 1`,
    [COUNTY],
  );
  return rows[0];
}

// ---------------------------------------------------------------- plane-geometry helpers

/** Moves a plane geometry by (dx, dy) metres. */
export function translate<G extends Polygon | MultiPolygon>(g: G, dx: number, dy: number): G {
  const mv = (p: Position): Position => [p[0]! + dx, p[1]! + dy];
  if (g.type === 'Polygon') return { type: 'Polygon', coordinates: g.coordinates.map((r) => r.map(mv)) } as G;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the rule is wrong here: tsc needs it
  return { type: 'MultiPolygon', coordinates: (g as MultiPolygon).coordinates.map((p) => p.map((r) => r.map(mv))) } as G;
}

/** A closed ring from plane offsets around an origin. */
export function ringAt(origin: XY, offsets: XY[]): Position[] {
  const r = offsets.map(([dx, dy]) => [origin[0] + dx, origin[1] + dy]);
  const first = r[0]!;
  const last = r[r.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) r.push([...first]);
  return r;
}

/** Plane point inside a survey polygon, from PostGIS (ST_PointOnSurface), in EPSG:4527. */
export async function pointInside(pool: pg.Pool, bsm: string, year = 2019): Promise<XY> {
  const { rows } = await pool.query(
    `SELECT ST_X(p) AS x, ST_Y(p) AS y FROM (SELECT ST_Transform(ST_PointOnSurface(geom), ${GK39}) AS p FROM survey.dltb
      WHERE county_code = $1 AND survey_year = $2 AND bsm = $3) s`,
    [COUNTY, year, bsm],
  );
  return [rows[0].x, rows[0].y];
}

/** The largest axis-aligned square (side ≤ max) centred on a point that fits inside a survey polygon, in EPSG:4527. */
export async function squareInside(pool: pg.Pool, bsm: string, year = 2019, max = 60): Promise<{ centre: XY; side: number }> {
  const [x, y] = await pointInside(pool, bsm, year);
  for (let side = max; side >= 4; side = Math.floor(side * 0.8)) {
    const h = side / 2;
    const { rows } = await pool.query(
      `SELECT ST_CoveredBy(ST_Transform(ST_MakeEnvelope($4, $5, $6, $7, ${GK39}), 4490), geom) AS ok FROM survey.dltb
        WHERE county_code = $1 AND survey_year = $2 AND bsm = $3`,
      [COUNTY, year, bsm, x - h, y - h, x + h, y + h],
    );
    if (rows[0]?.ok) return { centre: [x, y], side };
  }
  throw new Error(`no square fits inside ${bsm}`);
}

// ---------------------------------------------------------------- independent figures (PostGIS geography)

/** A plane (EPSG:4527) GeoJSON geometry as an EPSG:4490 PostGIS expression over parameter $1. */
const PARCEL_SQL = `ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), ${GK39}), 4490)`;

/** Geodesic area (PostGIS geography) of a plane geometry, m². */
export async function geodesicArea(pool: pg.Pool, g: Polygon | MultiPolygon): Promise<number> {
  const { rows } = await pool.query(`SELECT ST_Area(${PARCEL_SQL}::geography) AS a`, [JSON.stringify(g)]);
  return rows[0].a;
}

/** Geodesic area of the part of a plane geometry on a DLTB polygon (by BSM and year), m². */
export async function areaOnDltb(pool: pg.Pool, g: Polygon | MultiPolygon, bsm: string, year: number): Promise<number> {
  const { rows } = await pool.query(
    `SELECT ST_Area(ST_Intersection(${PARCEL_SQL}, d.geom)::geography) AS a FROM survey.dltb d
      WHERE d.county_code = $2 AND d.survey_year = $3 AND d.bsm = $4`,
    [JSON.stringify(g), COUNTY, year, bsm],
  );
  return rows[0].a;
}

/** Geodesic area of the part of a plane geometry outside the county (XZQ), m². */
export async function areaOutsideCounty(pool: pg.Pool, g: Polygon | MultiPolygon): Promise<number> {
  const { rows } = await pool.query(
    `SELECT ST_Area(ST_Difference(${PARCEL_SQL}, (SELECT ST_Union(geom) FROM survey.xzq WHERE county_code = $2 AND level = 'county'))::geography) AS a`,
    [JSON.stringify(g), COUNTY],
  );
  return rows[0].a;
}

/** Geodesic area of the intersection of two plane geometries, m². */
export async function intersectionArea(pool: pg.Pool, a: Polygon | MultiPolygon, b: Polygon | MultiPolygon): Promise<number> {
  const { rows } = await pool.query(
    `SELECT ST_Area(ST_Intersection(${PARCEL_SQL}, ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($2), ${GK39}), 4490))::geography) AS a`,
    [JSON.stringify(a), JSON.stringify(b)],
  );
  return rows[0].a;
}

/** The county's township codes (XZQ). */
export async function townships(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query(`SELECT DISTINCT xzqdm FROM survey.xzq WHERE county_code = $1 AND level = 'township' ORDER BY 1`, [COUNTY]);
  return rows.map((r) => r.xzqdm as string);
}
