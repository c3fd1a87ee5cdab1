/**
 * OGC API – Features and vector tiles (issue 12) against the running service: GDAL's OAPIF driver
 * (ogrinfo, ogr2ogr) reads the collections over HTTP with a bearer token; tiles are decoded with
 * @mapbox/vector-tile; jurisdiction and hostile parameters are answered as everywhere else.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { authUser, withScope } from '../../src/auth/scope.js';
import { CRS84 } from '../../src/ogc/crs.js';
import { itemStatement } from '../../src/ogc/repository.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, deleteTestUsers, testAdmin, type TestUser } from '../helpers/auth.js';
import { resetCounty, servicePool, testPool } from '../helpers/db.js';
import { expectProblem, injectAs, ok } from '../helpers/http.js';
import { importAndWait } from '../helpers/imports.js';
import { getReport, GK39, surveyPolygons, tempDir, uploadCandidates, writeGeoJson, type ParcelReportView } from '../helpers/candidates.js';
import { resetSeeded, seedCandidates, seedReserve } from '../helpers/procedure.js';

const run = promisify(execFile);
const FIX = new URL('../../fixtures/361123/', import.meta.url).pathname;
const COUNTY = '361123';
const DLTB = `dltb-${COUNTY}-2023`;
const pool = testPool();
let app: App;
let port = 0;
let admin: TestUser;
const u = {} as Record<'county' | 'township' | 'foreign' | 'foreignTownship', TestUser>;
let reserveIds: string[] = [];
let ownCandidate = '';
let otherTownshipCandidate = '';

const dbCount = async (where = 'true', params: unknown[] = []) =>
  (await pool.query(`SELECT count(*)::int AS n FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023 AND ${where}`, params)).rows[0].n as number;

async function clean() {
  await resetSeeded(pool);
  await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [COUNTY]);
  await resetCounty(pool, COUNTY);
}

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  admin = await testAdmin(pool);
  u.county = await createTestUser(pool, 'county-forestry', COUNTY);
  u.township = await createTestUser(pool, 'township', '361123100');
  u.foreign = await createTestUser(pool, 'county-forestry', '360111');
  u.foreignTownship = await createTestUser(pool, 'township', '360111100');
  await importAndWait(app, admin, { layer: 'dltb', year: 2023, file: join(FIX, 'dltb-2023.shp.zip') });
  await importAndWait(app, admin, { layer: 'dltb', year: 2019, file: join(FIX, 'dltb-2019.shp.zip') });
  await importAndWait(app, admin, { layer: 'xzq', year: 2019, file: join(FIX, 'xzq.shp.zip') });
  await importAndWait(app, admin, { layer: 'ldxb', year: 2023, file: join(FIX, 'ldxb-2023.shp.zip') });
  reserveIds = await seedReserve(pool, COUNTY, 2023, ['1234.56', '2000.00']);
  ownCandidate = (await seedCandidates(pool, COUNTY, 1, '361123100')).parcelIds[0]!;
  await pool.query(`UPDATE candidate.parcel SET applicant = '<script>alert(1)</script>某村' WHERE id = $1`, [ownCandidate]);
  otherTownshipCandidate = (await seedCandidates(pool, COUNTY, 1, '361123101')).parcelIds[0]!;
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
  await clean();
  await deleteTestUsers(pool);
  await pool.end();
});

const get = (who: TestUser, url: string, headers: Record<string, string> = {}) => injectAs(app, who, { method: 'GET', url, headers });

describe('landing page, conformance, collections', () => {
  it('links service-desc, service-doc, conformance and data; lists the classes implemented; HTML for a browser', async () => {
    const landing = await get(u.county, '/ogc');
    expect(landing.statusCode).toBe(200);
    const rels = (landing.json().links as { rel: string }[]).map((l) => l.rel);
    for (const r of ['self', 'service-desc', 'service-doc', 'conformance', 'data']) expect(rels).toContain(r);
    const conf = (await get(u.county, '/ogc/conformance')).json().conformsTo as string[];
    expect(conf).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core');
    expect(conf).toContain('http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs');
    const api = await get(u.county, '/ogc/api');
    expect(api.headers['content-type']).toMatch(/^application\/vnd\.oai\.openapi\+json; ?version="?3\.0/);
    expect(api.json().openapi).toBe('3.0.3');
    const html = await get(u.county, '/ogc/collections?f=html');
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.body).toContain('地类图斑');
    const browser = await get(u.county, `/ogc/collections/${DLTB}/items?limit=5`, { accept: 'text/html,application/xhtml+xml,*/*' });
    expect(browser.headers['content-type']).toMatch(/text\/html/);
  });

  it('lists the county’s collections with extents in CRS84, the CRS list (CRS84, 4490, zone with and without prefix) and storageCrs', async () => {
    const list = (await get(u.county, '/ogc/collections')).json().collections as { id: string; title: string; crs: string[]; storageCrs: string; extent: { spatial: { bbox: number[][] }; temporal?: { interval: string[][] } } }[];
    const ids = list.map((c) => c.id);
    for (const id of [DLTB, 'dltb-361123-2019', 'xzq-361123-2019', 'xiaoban-361123-2023', 'restorable-361123', 'candidates-361123', 'procedure-361123', 'reserve-361123']) expect(ids).toContain(id);
    const d = list.find((c) => c.id === DLTB)!;
    expect(d.title).toMatch(/2023年三调地类图斑/);
    expect(d.crs).toEqual(['http://www.opengis.net/def/crs/OGC/1.3/CRS84', 'http://www.opengis.net/def/crs/EPSG/0/4490', 'http://www.opengis.net/def/crs/EPSG/0/4527', 'http://www.opengis.net/def/crs/EPSG/0/4548']);
    expect(d.storageCrs).toBe('http://www.opengis.net/def/crs/EPSG/0/4490');
    const [x0, y0, x1, y1] = d.extent.spatial.bbox[0]!;
    expect(x0).toBeGreaterThan(117);
    expect(x1).toBeLessThan(119);
    expect(y0).toBeGreaterThan(28);
    expect(y1).toBeLessThan(29.5);
    expect(d.extent.temporal?.interval).toEqual([['2023-01-01T00:00:00Z', '2023-12-31T23:59:59Z']]);
  });
});

describe('HTML for a person, and the API key', () => {
  it('renders items and a feature as plain HTML, every value escaped; X-API-Key is accepted like a bearer token', async () => {
    const page = await get(u.county, `/ogc/collections/candidates-${COUNTY}/items?f=html`);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;某村');
    expect(page.body).not.toContain('<script>');
    const one = await get(u.county, `/ogc/collections/candidates-${COUNTY}/items/${ownCandidate}?f=html`);
    expect(one.body).toContain('申请单位');
    expect(one.body).not.toContain('<script>');
    const key = await injectAs(app, { headers: { 'x-api-key': u.county.token } }, { method: 'GET', url: `/ogc/collections/${DLTB}/items?limit=1` });
    expect(key.statusCode).toBe(200);
    expect(key.headers['cache-control']).toBe('no-store');
  });
});

describe('items', () => {
  it('pages with limit, numberMatched/numberReturned, next and prev links, Content-Crs; the pages together are the layer', async () => {
    const total = await dbCount();
    let url: string | undefined = `/ogc/collections/${DLTB}/items?limit=300`;
    const seen = new Set<string>();
    let pages = 0;
    let second: string | undefined;
    while (url) {
      const res = await get(u.county, url);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
      expect(res.headers['content-type']).toMatch(/application\/geo\+json/);
      expect(res.headers['content-crs']).toBe('<http://www.opengis.net/def/crs/OGC/1.3/CRS84>');
      const body = res.json();
      expect(body.numberMatched).toBe(total);
      expect(body.numberReturned).toBe(body.features.length);
      for (const f of body.features) seen.add(f.id);
      const next = (body.links as { rel: string; href: string }[]).find((l) => l.rel === 'next');
      if (pages === 1) {
        second = url;
        expect((body.links as { rel: string }[]).some((l) => l.rel === 'prev')).toBe(true);
      }
      url = next ? new URL(next.href).pathname + new URL(next.href).search : undefined;
      pages++;
    }
    expect(pages).toBe(Math.ceil(total / 300));
    expect(seen.size).toBe(total);
    // prev of the second page is the first page
    const p2 = (await get(u.county, second!)).json();
    const prev = (p2.links as { rel: string; href: string }[]).find((l) => l.rel === 'prev')!;
    const p1 = (await get(u.county, new URL(prev.href).pathname + new URL(prev.href).search)).json();
    const first = (await get(u.county, `/ogc/collections/${DLTB}/items?limit=300`)).json();
    expect(p1.features.map((f: { id: string }) => f.id)).toEqual(first.features.map((f: { id: string }) => f.id));
  });

  it('filters on the layer’s standard fields, properties and Chinese text exactly as stored', async () => {
    const body = (await get(u.county, `/ogc/collections/${DLTB}/items?DLBM=0602&limit=10000`)).json();
    expect(body.numberMatched).toBe(await dbCount(`dlbm = '0602'`));
    expect(body.features.length).toBe(body.numberMatched);
    const f = body.features[0];
    expect(f.properties.DLBM).toBe('0602');
    const { rows } = await pool.query(`SELECT dlmc, zldwmc, tbmj::text AS tbmj FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023 AND bsm = $1`, [f.id]);
    expect(f.properties.DLMC).toBe(rows[0].dlmc);
    expect(f.properties.ZLDWMC).toBe(rows[0].zldwmc);
    expect(f.properties.ZLDWMC).toMatch(/[\u4e00-\u9fff]/);
    expect(f.properties.TBMJ).toBe(Number(rows[0].tbmj));
    const one = await get(u.county, `/ogc/collections/${DLTB}/items/${encodeURIComponent(f.id)}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().properties).toEqual(f.properties);
  });

  it('answers in each CRS with its axis order: CRS84 lon/lat, EPSG:4490 lat/lon, the GK zone northing/easting to the mm', async () => {
    const { rows } = await pool.query(
      `SELECT bsm, ST_AsGeoJSON(geom, 9) AS ll, ST_AsGeoJSON(ST_Transform(geom, 4527), 4) AS gk, ST_AsGeoJSON(ST_Transform(geom, 4548), 4) AS gk0
         FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023 ORDER BY fid LIMIT 1`,
    );
    const r = rows[0];
    const first = (g: { coordinates: number[][][][] }) => g.coordinates[0]![0]![0]!;
    const item = (crs: string) => get(u.county, `/ogc/collections/${DLTB}/items/${r.bsm}?crs=${encodeURIComponent(crs)}`);
    const ll = first(JSON.parse(r.ll));
    const gk = first(JSON.parse(r.gk));
    const gk0 = first(JSON.parse(r.gk0));
    const a = await item('http://www.opengis.net/def/crs/OGC/1.3/CRS84');
    expect(first(a.json().geometry)).toEqual(ll);
    const b = await item('http://www.opengis.net/def/crs/EPSG/0/4490');
    expect(b.headers['content-crs']).toBe('<http://www.opengis.net/def/crs/EPSG/0/4490>');
    expect(first(b.json().geometry)).toEqual([ll[1], ll[0]]);
    const c = await item('http://www.opengis.net/def/crs/EPSG/0/4527');
    const [n, e] = first(c.json().geometry);
    expect(Math.abs(n! - gk[1]!)).toBeLessThan(0.001);
    expect(Math.abs(e! - gk[0]!)).toBeLessThan(0.001);
    expect(e!).toBeGreaterThan(39_000_000);
    const d = await item('http://www.opengis.net/def/crs/EPSG/0/4548');
    expect(first(d.json().geometry)[1]).toBeCloseTo(gk0[0]!, 3);
    expect(first(d.json().geometry)[1]!).toBeLessThan(1_000_000);
  });

  it('bbox in CRS84 and in the GK zone (bbox-crs, northing first) select what PostGIS selects', async () => {
    const { rows } = await pool.query(`SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT ST_Extent(geom) e FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023) t`);
    const { x0, y0, x1, y1 } = rows[0];
    const box = [x0, y0, x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3];
    const expected = await dbCount(`ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4490))`, box);
    expect(expected).toBeGreaterThan(10);
    const a = (await get(u.county, `/ogc/collections/${DLTB}/items?bbox=${box.join(',')}&limit=10000`)).json();
    expect(a.numberMatched).toBe(expected);
    expect(a.features.length).toBe(expected);
    const g = (await pool.query(`SELECT ST_XMin(b) x0, ST_YMin(b) y0, ST_XMax(b) x1, ST_YMax(b) y1 FROM (SELECT ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, 4490), 4527) b) t`, box)).rows[0];
    const gkExpected = await dbCount(`ST_Intersects(geom, ST_Transform(ST_MakeEnvelope($1, $2, $3, $4, 4527), 4490))`, [g.x0, g.y0, g.x1, g.y1]);
    const b = (await get(u.county, `/ogc/collections/${DLTB}/items?bbox=${[g.y0, g.x0, g.y1, g.x1].join(',')}&bbox-crs=${encodeURIComponent('http://www.opengis.net/def/crs/EPSG/0/4527')}&limit=10000`)).json();
    expect(b.numberMatched).toBe(gkExpected);
  });

  it('the one-map 小班 and the XZQ under their own field names', async () => {
    const xb = (await get(u.county, `/ogc/collections/xiaoban-${COUNTY}-2023/items?limit=1`)).json();
    const n = (await pool.query(`SELECT count(*)::int AS n FROM survey.ldxb WHERE county_code = '361123' AND survey_year = 2023`)).rows[0].n;
    expect(xb.numberMatched).toBe(n);
    expect(Object.keys(xb.features[0].properties)).toEqual(['SHENG', 'XIAN', 'XIANG', 'CUN', 'LIN_BAN', 'XIAO_BAN', 'DI_LEI', 'LD_QS', 'SEN_LIN_LB', 'BH_DJ', 'MIAN_JI']);
    const xzq = (await get(u.county, `/ogc/collections/xzq-${COUNTY}-2019/items?XZQDM=${COUNTY}`)).json();
    expect(xzq.numberMatched).toBe(1);
    expect(xzq.features[0].properties.XZQMC).toMatch(/玉山/);
  });

  it('one feature by id is the first polygon whose BSM (the fid where BSM is empty) is the id, exactly as before the BSM index', async () => {
    const base = `SELECT fid::text AS fid, bsm FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023`;
    // What the id always meant: coalesce(bsm, fid::text), the first polygon by fid.
    const expected = async (id: string) =>
      (await pool.query<{ fid: string; bsm: string | null }>(`${base} AND coalesce(bsm, fid::text) = $1 ORDER BY fid::bigint LIMIT 1`, [id])).rows[0];
    const answers = async (ids: string[]) => {
      for (const id of ids) {
        const res = await get(u.county, `/ogc/collections/${DLTB}/items/${encodeURIComponent(id)}`);
        const want = await expected(id);
        if (!want) {
          expectProblem(res, 404, 'feature-not-found');
          continue;
        }
        expect(res.statusCode, id).toBe(200);
        expect(res.json().id, id).toBe(id);
        expect(res.json().properties.BSM, id).toBe(want.bsm);
      }
    };
    const [low, high] = (await pool.query<{ fid: string; bsm: string }>(`(${base} AND dlbm <> '0602' ORDER BY fid::bigint LIMIT 1) UNION ALL (${base} AND dlbm <> '0602' ORDER BY fid::bigint DESC LIMIT 1)`)).rows;
    const f = high!.fid;
    const probes = [low!.bsm, high!.bsm, f, `0${f}`, `+${f}`, `${f}.0`, ` ${f}`, low!.fid, '-1', '0', '99999999999999999999', '-9223372036854775808', 'no-such-bsm'];
    const setBsm = (fid: string, bsm: string | null) => pool.query(`UPDATE survey.dltb SET bsm = $2 WHERE county_code = '361123' AND survey_year = 2023 AND fid = $1`, [fid, bsm]);
    try {
      await answers(probes);
      // A polygon without BSM answers by its fid, and only by its fid as PostgreSQL writes it.
      await setBsm(f, null);
      expect(await expected(f)).toMatchObject({ fid: f, bsm: null });
      await answers(probes);
      // Another polygon whose BSM is that text, earlier by fid: it comes first.
      await setBsm(low!.fid, f);
      expect(await expected(f)).toMatchObject({ fid: low!.fid, bsm: f });
      await answers(probes);
    } finally {
      await setBsm(f, high!.bsm);
      await setBsm(low!.fid, low!.bsm);
    }
    // XZQ by BSM; 小班 by fid only as written.
    const xzq = (await get(u.county, `/ogc/collections/xzq-${COUNTY}-2019/items?limit=1`)).json().features[0];
    expect((await get(u.county, `/ogc/collections/xzq-${COUNTY}-2019/items/${encodeURIComponent(xzq.id)}`)).json().properties).toEqual(xzq.properties);
    const xb = (await get(u.county, `/ogc/collections/xiaoban-${COUNTY}-2023/items?limit=1`)).json().features[0];
    expect((await get(u.county, `/ogc/collections/xiaoban-${COUNTY}-2023/items/${xb.id}`)).json().properties).toEqual(xb.properties);
    expectProblem(await get(u.county, `/ogc/collections/xiaoban-${COUNTY}-2023/items/0${xb.id}`), 404, 'feature-not-found');
  });

  it('one feature of DLTB and XZQ is found through the BSM index on every partition, in the user’s scope (row-level security)', async () => {
    // Every county-year table the imports above attached has its partition of the parent's index (migrations/0022).
    const bsmIndexes = new Set<string>();
    for (const layer of ['dltb', 'xzq']) {
      const { rows } = await pool.query<{ leaf: string; index: string | null }>(
        `SELECT t.relid::regclass::text AS leaf, i.relname AS index
           FROM pg_partition_tree('survey.${layer}') t
           LEFT JOIN (SELECT c.relname, x.indrelid FROM pg_partition_tree('survey.${layer}_bsm') p JOIN pg_index x ON x.indexrelid = p.relid JOIN pg_class c ON c.oid = p.relid) i
             ON i.indrelid = t.relid
          WHERE t.isleaf`,
      );
      expect(rows.filter((r) => r.leaf.startsWith(`survey.${layer}_${COUNTY}_`)).length, layer).toBeGreaterThan(0);
      expect(rows.filter((r) => r.index === null), layer).toEqual([]);
      for (const r of rows) bsmIndexes.add(r.index!);
    }
    // The repository's statement, explained in the county user's scope. The fixture county-year is
    // small enough for a scan to be cheapest: with scans off, the plan must still find the polygon
    // through an index condition on bsm (or fid), not by walking an index in fid order.
    const row = (await pool.query(`SELECT id, login, display_name, role, admin_code FROM auth.app_user WHERE id = $1`, [u.county.id])).rows[0];
    const { rows: ids } = await pool.query<{ bsm: string; fid: string }>(`SELECT bsm, fid::text FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023 ORDER BY fid LIMIT 1`);
    const crs = { uri: CRS84, srid: 4490, flip: false, digits: 9 };
    type Plan = { 'Node Type': string; 'Index Name'?: string; 'Index Cond'?: string; Plans?: Plan[] };
    const nodes = (p: Plan): Plan[] => [p, ...(p.Plans ?? []).flatMap(nodes)];
    const service = servicePool(1);
    const explain = (kind: 'dltb' | 'xzq', year: number, id: string) =>
      withScope(service, authUser(row), async (tx) => {
        await tx.client.query('SET LOCAL enable_seqscan = off');
        const st = itemStatement({ ref: { kind, county: COUNTY, year }, year, zone: 4527, crs }, id);
        const plan = (await tx.client.query(`EXPLAIN (FORMAT JSON) ${st.text}`, st.values)).rows[0]['QUERY PLAN'][0].Plan as Plan;
        return nodes(plan);
      });
    // Every scan of the county-year is an index scan whose condition is the id (bsm, or fid / bsm IS NULL
    // for the fid of a polygon without BSM), not a walk of the county-year in fid order.
    const byIndex = (plan: Plan[]) => {
      expect(plan.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      const scans = plan.filter((n) => n['Index Name'] !== undefined);
      expect(scans.some((n) => bsmIndexes.has(n['Index Name']!))).toBe(true);
      for (const n of scans) expect(n['Index Cond']).toMatch(/\(bsm = |\(bsm IS NULL\)|\(fid = /);
    };
    try {
      byIndex(await explain('dltb', 2023, ids[0]!.bsm));
      byIndex(await explain('dltb', 2023, ids[0]!.fid));
      // XZQ's 17 rows are one page: for a numeric BSM (which may also be a fid) one bitmap scan of the
      // county-year costs less than two; an id that is no fid leaves the BSM condition alone.
      byIndex(await explain('xzq', 2019, 'no-such-bsm'));
    } finally {
      await service.end();
    }
  });

  it('restorable land is /api/’s restorable-mining-land: the same features, remainders, official areas and BFFG, of the latest survey year — items, one item, extent, tiles', async () => {
    // A candidate parcel over the west half of a 2023 0602 polygon, and a polygon that is mining land
    // only in the 2019 base survey: both rules of the one definition are exercised.
    const { rows: [half] } = await pool.query(
      `SELECT bsm, ST_AsEWKT(ST_Multi(ST_Intersection(geom, ST_MakeEnvelope(ST_XMin(geom) - 1, ST_YMin(geom) - 1, (ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMax(geom) + 1, 4490)))) AS west,
              ST_X(ST_PointOnSurface(ST_Intersection(geom, ST_MakeEnvelope((ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMin(geom) - 1, ST_XMax(geom) + 1, ST_YMax(geom) + 1, 4490)))) AS lon,
              ST_Y(ST_PointOnSurface(ST_Intersection(geom, ST_MakeEnvelope((ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMin(geom) - 1, ST_XMax(geom) + 1, ST_YMax(geom) + 1, 4490)))) AS lat
         FROM survey.dltb WHERE county_code = $1 AND survey_year = 2023 AND dlbm = '0602' AND bsm IS NOT NULL ORDER BY ST_Area(geom) DESC LIMIT 1`,
      [COUNTY],
    );
    const covering = (await seedCandidates(pool, COUNTY, 1, '361123100')).parcelIds[0]!;
    await pool.query(`UPDATE candidate.parcel SET geom = $2::geometry, geom_original = $2::geometry WHERE id = $1`, [covering, half.west]);
    // Mining land only in 2019 (the fixture has none, so two 2023 polygons are made so): one restored to
    // forest by 2023, read here as bare land (wholly 0602 in 2019); one whose west half only was 0602 in 2019.
    const { rows: [whole] } = await pool.query(
      `SELECT b.fid, b.bsm, b.dlbm, b.dlmc FROM survey.dltb a
         JOIN survey.dltb b ON b.county_code = a.county_code AND b.survey_year = 2023 AND b.bsm = a.bsm AND ST_Equals(a.geom, b.geom)
        WHERE a.county_code = $1 AND a.survey_year = 2019 AND a.dlbm = '0602' AND b.dlbm LIKE '03%' ORDER BY b.fid LIMIT 1`,
      [COUNTY],
    );
    await pool.query(`UPDATE survey.dltb SET dlbm = '1206', dlmc = '裸土地' WHERE county_code = $1 AND survey_year = 2023 AND fid = $2`, [COUNTY, whole.fid]);
    const { rows: [partial] } = await pool.query(
      `SELECT a.fid, b.bsm, a.dlbm, a.dlmc, ST_AsEWKT(a.geom) AS geom FROM survey.dltb a
         JOIN survey.dltb b ON b.county_code = a.county_code AND b.survey_year = 2023 AND b.bsm = a.bsm AND ST_Equals(a.geom, b.geom)
        WHERE a.county_code = $1 AND a.survey_year = 2019 AND a.dlbm NOT LIKE '06%' AND left(a.dlbm, 2) NOT IN ('03', '10', '11') AND b.dlbm = a.dlbm
          AND ST_NumGeometries(a.geom) = 1 AND ST_Area(a.geom::geography) BETWEEN 2000 AND 60000
        ORDER BY a.fid LIMIT 1`,
      [COUNTY],
    );
    await pool.query(
      `UPDATE survey.dltb SET dlbm = '0602', dlmc = '采矿用地',
              geom = ST_Multi(ST_Intersection(geom, ST_MakeEnvelope(ST_XMin(geom) - 1, ST_YMin(geom) - 1, (ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMax(geom) + 1, 4490)))
        WHERE county_code = $1 AND survey_year = 2019 AND fid = $2`,
      [COUNTY, partial.fid],
    );
    type F = { id: string; geometry: { coordinates: unknown }; properties: { BSM: string; DLBM: string; KXFMJ: number; KXFMJ_MU: number; BFFG: boolean; TBMJ: number } };
    const api = await ok(await get(u.county, `/api/v1/counties/${COUNTY}/restorable-mining-land?limit=5000`));
    expect(api.surveyYear).toBe(2023);
    const ogc = (await get(u.county, `/ogc/collections/restorable-${COUNTY}/items?limit=10000`)).json();
    const figures = (fs: F[]) => fs.map((f) => [f.properties.BSM, f.properties.DLBM, f.properties.KXFMJ, f.properties.KXFMJ_MU, f.properties.BFFG]);
    expect(ogc.numberMatched).toBe(api.features.length);
    expect(figures(ogc.features)).toEqual(figures(api.features));
    const byBsm = (fs: F[], bsm: string) => fs.find((f) => f.properties.BSM === bsm)!.properties;
    expect(byBsm(ogc.features, whole.bsm)).toMatchObject({ DLBM: '1206', BFFG: false, KXFMJ: byBsm(ogc.features, whole.bsm).TBMJ });
    const westHalf = byBsm(ogc.features, partial.bsm);
    expect(westHalf).toMatchObject({ DLBM: partial.dlbm, BFFG: false });
    expect(westHalf.KXFMJ).toBeGreaterThan(westHalf.TBMJ * 0.25);
    expect(westHalf.KXFMJ).toBeLessThan(westHalf.TBMJ * 0.75);
    // The same remainder: every vertex to 1e-8° (the API writes 8 decimals).
    for (let i = 0; i < api.features.length; i++) {
      const a = JSON.stringify(api.features[i].geometry.coordinates).match(/-?\d+\.?\d*/g)!.map(Number);
      const o = JSON.stringify(ogc.features[i].geometry.coordinates).match(/-?\d+\.?\d*/g)!.map(Number);
      expect(o.length, api.features[i].properties.BSM).toBe(a.length);
      for (let k = 0; k < a.length; k++) expect(Math.abs(o[k]! - a[k]!)).toBeLessThan(1.5e-8);
    }
    const cut = (ogc.features as F[]).find((f) => f.properties.BSM === half.bsm)!;
    expect(cut.properties.BFFG).toBe(true);
    expect(cut.properties.KXFMJ).toBeLessThan(cut.properties.TBMJ * 0.75);
    expect(cut.properties.KXFMJ).toBeGreaterThan(cut.properties.TBMJ * 0.25);
    // One item, by BSM: the same feature.
    const one = (await get(u.county, `/ogc/collections/restorable-${COUNTY}/items/${encodeURIComponent(half.bsm)}`)).json();
    expect(one.properties).toEqual(cut.properties);
    // The collection: of 2023 (temporal extent, description); its extent bounds the remainders served.
    const col = (await get(u.county, `/ogc/collections/restorable-${COUNTY}`)).json();
    expect(col.extent.temporal.interval).toEqual([['2023-01-01T00:00:00Z', '2023-12-31T23:59:59Z']]);
    expect(col.description).toContain('2023年');
    const { rows: [e] } = await pool.query(
      `SELECT ST_XMin(x) x0, ST_YMin(x) y0, ST_XMax(x) x1, ST_YMax(x) y1 FROM (SELECT ST_Extent(ST_GeomFromGeoJSON(g)) x FROM unnest($1::text[]) g) t`,
      [(api.features as F[]).map((f) => JSON.stringify(f.geometry))],
    );
    (col.extent.spatial.bbox[0] as number[]).forEach((v, i) => expect(Math.abs(v - [e.x0, e.y0, e.x1, e.y1][i]!)).toBeLessThan(1e-7));
    // A datetime outside 2023 selects nothing; one meeting it, everything.
    expect((await get(u.county, `/ogc/collections/restorable-${COUNTY}/items?datetime=2019-06-01T00:00:00Z`)).json().numberMatched).toBe(0);
    expect((await get(u.county, `/ogc/collections/restorable-${COUNTY}/items?datetime=2023-01-01/..&limit=1`)).json().numberMatched).toBe(api.features.length);
    // The z16 tile over the uncovered half carries the polygon, flagged.
    const { x, y } = tileOf(half.lon, half.lat, 16);
    const res = await get(u.county, `/ogc/collections/restorable-${COUNTY}/tiles/WebMercatorQuad/16/${y}/${x}`);
    expect(res.statusCode).toBe(200);
    const layer = new VectorTile(new Pbf(res.rawPayload)).layers[`restorable-${COUNTY}`]!;
    const inTile = Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties);
    expect(inTile.find((f) => f.BSM === half.bsm)).toMatchObject({ BSM: half.bsm, DLBM: '0602', BFFG: true });
    // Read with row security off, the policies applied by the statement with the user's settings: the
    // parcel's township sees the cut, another township (which cannot see the parcel) does not.
    const own = (await get(u.township, `/ogc/collections/restorable-${COUNTY}/items/${encodeURIComponent(half.bsm)}`)).json();
    expect(own.properties).toEqual(cut.properties);
    const other = await createTestUser(pool, 'township', '361123101');
    const theirs = (await get(other, `/ogc/collections/restorable-${COUNTY}/items/${encodeURIComponent(half.bsm)}`)).json();
    expect(theirs.properties).toMatchObject({ BFFG: false, KXFMJ: cut.properties.TBMJ });
    const theirApi = await ok(await get(other, `/api/v1/counties/${COUNTY}/restorable-mining-land?limit=5000`));
    expect(byBsm(theirApi.features, half.bsm)).toMatchObject({ BFFG: false, KXFMJ: cut.properties.TBMJ });
    expectProblem(await get(u.foreign, `/ogc/collections/restorable-${COUNTY}/items/${encodeURIComponent(half.bsm)}`), 404, 'collection-not-found');
    // Hostile: the parcel withdrawn frees the land again — in both, at once (the tile's ETag changes with it).
    await pool.query(
      `INSERT INTO procedure.parcel (candidate_parcel_id, upload_id, county_code, township_code, parcel_no, state, created_by)
       SELECT id, upload_id, county_code, township_code, parcel_no, 'withdrawn', gen_random_uuid() FROM candidate.parcel WHERE id = $1`,
      [covering],
    );
    const freedApi = (await ok(await get(u.county, `/api/v1/counties/${COUNTY}/restorable-mining-land?limit=5000`))).features as F[];
    const freedOgc = (await get(u.county, `/ogc/collections/restorable-${COUNTY}/items?limit=10000`)).json().features as F[];
    expect(figures(freedOgc)).toEqual(figures(freedApi));
    expect(freedOgc.find((f) => f.properties.BSM === half.bsm)!.properties).toMatchObject({ BFFG: false, KXFMJ: cut.properties.TBMJ });
    const again = await get(u.county, `/ogc/collections/restorable-${COUNTY}/tiles/WebMercatorQuad/16/${y}/${x}`, { 'if-none-match': res.headers.etag as string });
    expect(again.statusCode).toBe(200);
    await pool.query(`UPDATE survey.dltb SET dlbm = $3, dlmc = $4 WHERE county_code = $1 AND survey_year = 2023 AND fid = $2`, [COUNTY, whole.fid, whole.dlbm, whole.dlmc]);
    await pool.query(`UPDATE survey.dltb SET dlbm = $3, dlmc = $4, geom = $5::geometry WHERE county_code = $1 AND survey_year = 2019 AND fid = $2`, [COUNTY, partial.fid, partial.dlbm, partial.dlmc, partial.geom]);
    await pool.query(`DELETE FROM procedure.parcel WHERE candidate_parcel_id = $1`, [covering]);
    await pool.query(`DELETE FROM candidate.upload WHERE id = (SELECT upload_id FROM candidate.parcel WHERE id = $1)`, [covering]);
  });

  it('the parcel layers: candidates with their status, reserve parcels with reserve year and areas in m², 亩 and 公顷', async () => {
    const res = (await get(u.county, `/ogc/collections/reserve-${COUNTY}/items`)).json();
    expect(res.features.map((f: { id: string }) => f.id).sort()).toEqual([...reserveIds].sort());
    const p = res.features.find((f: { id: string }) => f.id === reserveIds[0]).properties;
    expect(p).toMatchObject({ state: 'provincial-reserve', stateLabel: '省级储备库', reserveYear: 2023, areaM2: 1234.56, areaMu: 1.8518, areaHa: 0.1235 });
    const c = (await get(u.county, `/ogc/collections/candidates-${COUNTY}/items?status=unchecked`)).json();
    expect(c.features.map((f: { id: string }) => f.id)).toContain(ownCandidate);
    expect(c.features[0].properties.statusLabel).toBe('尚未检查');
  });

  it('refuses bad parameters with a 400 problem naming the parameter, unknown collections and features with 404, never a 500', async () => {
    const items = `/ogc/collections/${DLTB}/items`;
    for (const q of ['limit=0', 'limit=-1', 'limit=10001', 'limit=1000000000', 'limit=abc']) expectProblem(await get(u.county, `${items}?${q}`), 400, 'request-invalid');
    for (const bbox of ['1,2,3', '118,29,117,28', 'a,b,c,d', '118,29,118.1', '1e999,0,1,1', '-200,0,0,1'])
      expect(expectProblem(await get(u.county, `${items}?bbox=${bbox}`), 400, 'bbox-invalid').parameter).toBe('bbox');
    expect(expectProblem(await get(u.county, `${items}?crs=http://www.opengis.net/def/crs/EPSG/0/3857`), 400, 'crs-unsupported').parameter).toBe('crs');
    expect(expectProblem(await get(u.county, `${items}?bbox=1,2,3,4&bbox-crs=EPSG:4326`), 400, 'crs-unsupported').parameter).toBe('bbox-crs');
    expect(expectProblem(await get(u.county, `${items}?NOPE=1`), 400, 'parameter-unknown').parameter).toBe('NOPE');
    expect(expectProblem(await get(u.county, `${items}?status=fail`), 400, 'parameter-unknown').parameter).toBe('status');
    expectProblem(await get(u.county, `${items}?TBMJ=${encodeURIComponent("1 OR 1=1")}`), 400, 'filter-value-invalid');
    expectProblem(await get(u.county, `${items}?after=${encodeURIComponent("1; DROP TABLE survey.dltb")}`), 400, 'cursor-invalid');
    // SQL in a text filter is only text: nothing matches, nothing runs.
    const sql = await get(u.county, `${items}?DLBM=${encodeURIComponent("0602' OR '1'='1")}`);
    expect(sql.statusCode).toBe(200);
    expect(sql.json().numberMatched).toBe(0);
    expect(await dbCount()).toBeGreaterThan(0);
    expect(expectProblem(await get(u.county, `${items}?datetime=yesterday`), 400, 'datetime-invalid').parameter).toBe('datetime');
    expect((await get(u.county, `${items}?datetime=2023-01-01/..&limit=1`)).json().numberMatched).toBe(await dbCount());
    expect((await get(u.county, `${items}?datetime=../2022-12-31T23:59:59Z`)).json().numberMatched).toBe(0);
    expectProblem(await get(u.county, `/ogc/collections/dltb-361123-2031/items`), 404, 'collection-not-found');
    expectProblem(await get(u.county, `/ogc/collections/nonsense/items`), 400, 'request-invalid');
    expectProblem(await get(u.county, `${items}/no-such-bsm`), 404, 'feature-not-found');
    const tiles = `/ogc/collections/${DLTB}/tiles/WebMercatorQuad`;
    expectProblem(await get(u.county, `${tiles}/23/0/0`), 400, 'tile-out-of-range');
    expectProblem(await get(u.county, `${tiles}/3/8/0`), 400, 'tile-out-of-range');
    expectProblem(await get(u.county, `${tiles}/3/-1/0`), 400, 'request-invalid');
  });
});

describe('candidates: the latest check, as the candidates feature reports it', () => {
  type Item = { id: string; properties: { status: string; statusLabel: string; areaM2: number | null; areaMu: number | null; areaHa: number | null; uploadId: string } };
  /** Every parcel of the upload as /ogc serves it (items and single features) to `who`. */
  const ogcOf = async (who: TestUser, uploadId: string) => {
    const res = await get(who, `/ogc/collections/candidates-${COUNTY}/items?uploadId=${uploadId}&limit=1000`);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().features as Item[];
    for (const f of items) expect((await get(who, `/ogc/collections/candidates-${COUNTY}/items/${f.id}`)).json().properties).toEqual(f.properties);
    return new Map(items.map((f) => [f.id, f.properties]));
  };
  /** What the candidates feature says of each parcel: status and area of record of the latest run. */
  const expected = (ps: ParcelReportView[]) => new Map(ps.map((p) => [p.parcelId, { status: p.status, areaM2: p.areaOfRecord?.m2 ?? null, areaMu: p.areaOfRecord?.mu ?? null, areaHa: p.areaOfRecord?.hectare ?? null }]));
  const agree = (ogc: Map<string, Item['properties']>, want: ReturnType<typeof expected>) => {
    expect([...ogc.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [id, w] of want) {
      const o = ogc.get(id)!;
      expect({ status: o.status, areaM2: o.areaM2, areaMu: o.areaMu, areaHa: o.areaHa }, id).toEqual(w);
      expect(o.statusLabel).toBe({ pass: '通过', warn: '警告', fail: '不通过', 'not-run': '未检查' }[w.status]);
    }
  };

  it('gives every parcel the upload report’s status and area (m², 亩, 公顷 as stored), after a re-run too; the parcels’ township sees the same in both', async () => {
    // Parcels of one township, uploaded by the county (the upload has no township): still mining
    // land (passes or warns), already forest (fails).
    const mining = await surveyPolygons(pool, '0602', '0602', 6);
    const township = mining[0]!.township;
    const forest = (await surveyPolygons(pool, '03%', '03%', 20)).filter((s) => s.township === township).slice(0, 1);
    const chosen = [...mining.filter((s) => s.township === township).slice(0, 3), ...forest];
    expect(chosen.length).toBeGreaterThanOrEqual(2);
    const file = writeGeoJson(tempDir(), 'ogc-status.geojson', chosen.map((s, i) => ({ geometry: s.geometry, properties: { DKBH: `OGC-${i}`, XZDM: s.township } })), { epsg: GK39 });
    const upload = await uploadCandidates(app, u.county, file);
    expect(upload.townshipCode).toBeNull();
    const town = await createTestUser(pool, 'township', township);

    const first = await getReport(app, u.county, upload.id);
    expect(new Set(first.parcels.map((p) => p.status))).toContain('fail');
    expect(first.parcels.every((p) => p.areaOfRecord !== null)).toBe(true);
    agree(await ogcOf(u.county, upload.id), expected(first.parcels));
    // The parcels' township does not see the county's upload, but sees its parcels, their results
    // and (migrations/0021) the runs of those results: its parcel reports and /ogc agree with the
    // county's report, never a status it cannot show.
    const townSees = async (want: ParcelReportView[]) => {
      for (const p of want) {
        const r = (await get(town, `/api/v1/candidate-parcels/${p.parcelId}/report`)).json().parcels[0];
        expect({ status: r?.status, m2: r?.areaOfRecord?.m2 }, p.parcelId).toEqual({ status: p.status, m2: p.areaOfRecord?.m2 });
      }
      agree(await ogcOf(town, upload.id), expected(want));
    };
    await townSees(first.parcels);

    // An acceptance run (change year 2023): parcels still 0602 now fail the land-class change.
    const rerun = await injectAs(app, u.county, { method: 'POST', url: `/api/v1/candidate-uploads/${upload.id}/check-runs`, payload: { changeYear: 2023 } });
    expect(rerun.statusCode, rerun.body).toBe(201);
    const second = await getReport(app, u.county, upload.id);
    expect(second.run.id).not.toBe(first.run.id);
    expect(second.parcels.map((p) => p.status)).not.toEqual(first.parcels.map((p) => p.status));
    agree(await ogcOf(u.county, upload.id), expected(second.parcels));
    await townSees(second.parcels);
    // The status filter selects by the same status.
    const failing = (await get(u.county, `/ogc/collections/candidates-${COUNTY}/items?uploadId=${upload.id}&status=fail`)).json().features as Item[];
    expect(failing.map((f) => f.id).sort()).toEqual(second.parcels.filter((p) => p.status === 'fail').map((p) => p.parcelId).sort());
    await pool.query('DELETE FROM candidate.upload WHERE id = $1', [upload.id]);
  });
});

/** The z14 tile holding a lon/lat point. */
function tileOf(lon: number, lat: number, z: number) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const r = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
  return { x, y };
}

describe('vector tiles', () => {
  it('z14 over a known parcel: the layer is named as the collection and carries its id, land class and area; 304 with the ETag; 204 outside', async () => {
    const { rows } = await pool.query(
      `SELECT bsm, dlbm, dlmc, tbmj::float8 AS tbmj, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
         FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023 ORDER BY fid LIMIT 1`,
    );
    const p = rows[0];
    const { x, y } = tileOf(p.lon, p.lat, 14);
    const url = `/ogc/collections/${DLTB}/tiles/WebMercatorQuad/14/${y}/${x}`;
    const res = await get(u.county, url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    expect(res.headers['cache-control']).toBe('private, no-cache');
    const tile = new VectorTile(new Pbf(res.rawPayload));
    expect(Object.keys(tile.layers)).toEqual([DLTB]);
    const layer = tile.layers[DLTB]!;
    const features = Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties);
    expect(features.find((f) => f.BSM === p.bsm)).toEqual({ BSM: p.bsm, DLBM: p.dlbm, DLMC: p.dlmc, TBMJ: p.tbmj, ZLDWDM: expect.any(String) });
    const etag = res.headers.etag as string;
    const again = await get(u.county, url, { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const tj = (await get(u.county, `/ogc/collections/${DLTB}/tiles/WebMercatorQuad`)).json();
    expect(tj.tiles[0]).toMatch(new RegExp(`/ogc/collections/${DLTB}/tiles/WebMercatorQuad/\\{z\\}/\\{y\\}/\\{x\\}$`));
    expect(tj.vector_layers[0].id).toBe(DLTB);
    const empty = tileOf(100, 40, 14);
    expect((await get(u.county, `/ogc/collections/${DLTB}/tiles/WebMercatorQuad/14/${empty.y}/${empty.x}`)).statusCode).toBe(204);
    const tms = (await get(u.county, '/ogc/tileMatrixSets/WebMercatorQuad')).json();
    expect(tms.tileMatrices[14].matrixWidth).toBe(16384);
  });
});

describe('jurisdiction', () => {
  it('survey tiles are made outside the scope only because the survey tables have no policy but the county’s (src/ogc/repository.ts)', async () => {
    const { rows } = await pool.query(`SELECT tablename, policyname, qual FROM pg_policies WHERE schemaname = 'survey' ORDER BY tablename`);
    expect(rows).toEqual(
      ['dltb', 'ldxb', 'xzq'].map((t) => ({ tablename: t, policyname: `${t}_scope`, qual: 'zhanbu.in_scope((county_code)::text)' })),
    );
  });

  it('restorable land is read with row security off only because its statement applies these policies itself (src/restoration/repository.ts)', async () => {
    const { rows } = await pool.query(
      `SELECT schemaname, tablename, policyname, cmd, roles::text AS roles, qual FROM pg_policies
        WHERE (schemaname, tablename) IN (('candidate', 'parcel'), ('procedure', 'parcel'), ('survey', 'dltb')) ORDER BY schemaname, tablename`,
    );
    const parcels = '(zhanbu.in_scope((county_code)::text) AND zhanbu.township_visible((township_code)::text))';
    expect(rows).toEqual([
      { schemaname: 'candidate', tablename: 'parcel', policyname: 'parcel_scope', cmd: 'ALL', roles: '{zhanbu_app}', qual: parcels },
      { schemaname: 'procedure', tablename: 'parcel', policyname: 'scope', cmd: 'ALL', roles: '{zhanbu_app}', qual: parcels },
      { schemaname: 'survey', tablename: 'dltb', policyname: 'dltb_scope', cmd: 'ALL', roles: '{zhanbu_app}', qual: 'zhanbu.in_scope((county_code)::text)' },
    ]);
  });

  it('a tile is one read-only transaction that ends with it: on one connection, a survey tile (row security off) leaves nothing to the next request, which is in its own scope', async () => {
    // Two connections: the import service keeps one (its advisory lock), the requests share the other.
    const one = servicePool(2);
    const solo = await buildTestApp({ pool: one });
    try {
      const tileAt = async (who: TestUser, collection: string, parcel: string) => {
        const { rows } = await pool.query(`SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM candidate.parcel WHERE id = $1`, [parcel]);
        const { x, y } = tileOf(rows[0].lon, rows[0].lat, 14);
        return injectAs(solo, who, { method: 'GET', url: `/ogc/collections/${collection}/tiles/WebMercatorQuad/14/${y}/${x}` });
      };
      const ids = (res: { statusCode: number; rawPayload: Buffer }, layer: string) => {
        if (res.statusCode === 204) return [];
        const l = new VectorTile(new Pbf(res.rawPayload)).layers[layer];
        return l ? Array.from({ length: l.length }, (_, i) => l.feature(i).properties.id) : [];
      };
      const { rows } = await pool.query(`SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023 ORDER BY fid LIMIT 1`);
      const t = tileOf(rows[0].lon, rows[0].lat, 14);
      const survey = (who: TestUser, headers: Record<string, string> = {}) => injectAs(solo, who, { method: 'GET', url: `/ogc/collections/${DLTB}/tiles/WebMercatorQuad/14/${t.y}/${t.x}`, headers });
      // A DLTB tile (made outside row security), then on the same connection the township's parcels where the other township's lies.
      expect((await survey(u.township)).statusCode).toBe(200);
      expect(ids(await tileAt(u.township, `candidates-${COUNTY}`, otherTownshipCandidate), `candidates-${COUNTY}`)).not.toContain(otherTownshipCandidate);
      expect((await survey(u.county)).statusCode).toBe(200);
      expect(ids(await tileAt(u.township, `candidates-${COUNTY}`, ownCandidate), `candidates-${COUNTY}`)).toContain(ownCandidate);
      expect((await survey(u.county)).statusCode).toBe(200);
      expectProblem(await survey(u.foreign), 404, 'collection-not-found');
      // A 304 ends its transaction too (COMMIT without the tile).
      const first = await survey(u.county);
      expect((await survey(u.county, { 'if-none-match': first.headers.etag as string })).statusCode).toBe(304);
      // The connection is back as it was: the service's login, no transaction, no scope settings.
      const left = await one.query(`SELECT current_user AS "user", current_setting('role') AS role, coalesce(current_setting('zhanbu.scope_prefix', true), '') AS prefix,
                                           coalesce(current_setting('zhanbu.user_id', true), '') AS "userId", current_setting('max_parallel_workers_per_gather') <> '0' AS parallel,
                                           (SELECT count(*)::int FROM pg_stat_activity WHERE pid = pg_backend_pid() AND backend_xid IS NULL) AS clean`);
      expect(left.rows[0]).toEqual({ user: 'zhanbu_service', role: 'none', prefix: '', userId: '', parallel: true, clean: 1 });
    } finally {
      await solo.close();
      await one.end();
    }
  });

  it('another county (and its township) sees none of 361123’s collections and gets 404 on its items, features and tiles', async () => {
    for (const who of [u.foreign, u.foreignTownship]) {
      const list = (await get(who, '/ogc/collections')).json().collections as { id: string }[];
      expect(list.filter((c) => c.id.includes(COUNTY))).toEqual([]);
      for (const url of [`/ogc/collections/${DLTB}`, `/ogc/collections/${DLTB}/items`, `/ogc/collections/${DLTB}/items/1`, `/ogc/collections/reserve-${COUNTY}/items`, `/ogc/collections/${DLTB}/tiles/WebMercatorQuad`, `/ogc/collections/${DLTB}/tiles/WebMercatorQuad/14/13600/6800`]) {
        expectProblem(await get(who, url), 404, 'collection-not-found');
      }
    }
  });

  it('a township of 361123 reads the county’s survey layers but only its own candidate parcels', async () => {
    const ids = ((await get(u.township, '/ogc/collections')).json().collections as { id: string }[]).map((c) => c.id);
    expect(ids).toContain(DLTB);
    const c = await get(u.township, `/ogc/collections/candidates-${COUNTY}/items`);
    expect(c.body).toContain(ownCandidate);
    expect(c.body).not.toContain(otherTownshipCandidate);
  });
});

describe('GDAL reads it unmodified', () => {
  const gdal = (cmd: string, args: string[], token: string) =>
    run(cmd, ['--config', 'GDAL_HTTP_HEADERS', `Authorization: Bearer ${token}`, ...args], { env: { ...process.env, GDAL_HTTP_UNSAFESSL: 'NO' }, maxBuffer: 64 << 20 });

  it('ogrinfo lists the collections; ogr2ogr copies the DLTB through next links with every feature and Chinese text intact', async () => {
    const { stdout } = await gdal('ogrinfo', ['-ro', '-q', `OAPIF:http://127.0.0.1:${port}/ogc`], u.county.token);
    expect(stdout).toContain(DLTB);
    expect(stdout).toContain(`reserve-${COUNTY}`);
    const out = join(mkdtempSync(join(tmpdir(), 'ogc-')), 'dltb.geojson');
    await gdal('ogr2ogr', ['-f', 'GeoJSON', '-oo', 'PAGE_SIZE=150', out, `OAPIF:http://127.0.0.1:${port}/ogc/collections/${DLTB}`], u.county.token);
    const fc = JSON.parse(readFileSync(out, 'utf8')) as { features: { properties: Record<string, unknown>; geometry: { coordinates: number[][][][] } }[] };
    expect(fc.features.length).toBe(await dbCount());
    // A bbox read: ogr2ogr -spat sends bbox; what arrives is what PostGIS selects.
    const spat = join(mkdtempSync(join(tmpdir(), 'ogc-')), 'spat.geojson');
    const { rows: e } = await pool.query(`SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT ST_Extent(geom) e FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023) t`);
    const box = [e[0].x0, e[0].y0, (e[0].x0 + e[0].x1) / 2, (e[0].y0 + e[0].y1) / 2] as number[];
    await gdal('ogr2ogr', ['-f', 'GeoJSON', '-spat', ...box.map(String), spat, `OAPIF:http://127.0.0.1:${port}/ogc/collections/${DLTB}`], u.county.token);
    const inBox = (JSON.parse(readFileSync(spat, 'utf8')) as { features: unknown[] }).features.length;
    expect(inBox).toBe(await dbCount(`ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4490))`, box));
    expect(inBox).toBeLessThan(fc.features.length);
    const { rows } = await pool.query(`SELECT bsm, zldwmc, dlmc, qsdwmc, tbmj::float8 AS tbmj, ST_NPoints(geom) AS n, ST_AsGeoJSON(geom, 9) AS g FROM survey.dltb WHERE county_code = '361123' AND survey_year = 2023`);
    const byBsm = new Map(fc.features.map((f) => [f.properties.BSM, f]));
    for (const r of rows) {
      const f = byBsm.get(r.bsm);
      expect(f, r.bsm).toBeDefined();
      expect([f!.properties.ZLDWMC, f!.properties.DLMC, f!.properties.QSDWMC, f!.properties.TBMJ]).toEqual([r.zldwmc, r.dlmc, r.qsdwmc, r.tbmj]);
      // The geometry too: every vertex, to 1e-9° (0.1 mm).
      const got = f!.geometry.coordinates.flat(2);
      const want = (JSON.parse(r.g) as { coordinates: number[][][][] }).coordinates.flat(2);
      expect(got.length).toBe(r.n);
      for (let i = 0; i < want.length; i++) for (const k of [0, 1]) expect(Math.abs(got[i]![k]! - want[i]![k]!)).toBeLessThan(1e-9);
    }
  });
});
