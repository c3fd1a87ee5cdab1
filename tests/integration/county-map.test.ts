/**
 * 辖区各县储备与定额地图 (issue 13, "City and province users get their counties as a table and a
 * choropleth of reserve and quota"): each county's outline from its XZQ with its reserve and quota
 * figures, only for the counties in the user's scope. XZQ outlines are seeded in SQL in a survey
 * year of their own (2030), so they are each county's latest; the partitions are dropped afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { expectProblem, injectAs, ok } from '../helpers/http.js';
import { resetSeeded, seedReserve } from '../helpers/procedure.js';

const pool = testPool(2);
let app: App;
const u = {} as Record<'admin' | 'city' | 'otherCity' | 'yushan' | 'township', TestUser>;
const YEAR = 2030;
const SEEDED = ['361123', '361124', '360111'];

/** A lon/lat square (EPSG:4490) of `size` degrees at (x, y), as EWKT. */
const square = (x: number, y: number, size = 0.1) =>
  `SRID=4490;MULTIPOLYGON(((${x} ${y},${x + size} ${y},${x + size} ${y + size},${x} ${y + size},${x} ${y})))`;

async function seedXzq(county: string, rows: { code: string; name: string; level: 'county' | 'township'; geom: string }[]) {
  await pool.query(`SELECT survey.ensure_county_partition('xzq', $1)`, [county]);
  await pool.query(`CREATE TABLE IF NOT EXISTS survey.xzq_${county}_${YEAR} PARTITION OF survey.xzq_${county} FOR VALUES IN (${YEAR})`);
  for (const [i, r] of rows.entries()) {
    await pool.query(`INSERT INTO survey.xzq (county_code, survey_year, import_id, fid, xzqdm, xzqmc, level, geom) VALUES ($1, $2, gen_random_uuid(), $3, $4, $5, $6, $7)`, [
      county,
      YEAR,
      i + 1,
      r.code,
      r.name,
      r.level,
      r.geom,
    ]);
  }
}

interface CountyFeature {
  id: string;
  geometry: { type: string; coordinates: number[][][] | number[][][][] } | null;
  properties: { countyCode: string; name: string | null; surveyYear: number | null; reserveParcels: number; countyReserve: { muExact: string; mu: number; m2: number } };
}
const map = async (who: TestUser, query = '') => {
  const res = await injectAs(app, who, `/api/v1/ledger/province/map${query}`);
  expect(res.headers['content-type']).toMatch(/application\/geo\+json/);
  return (await ok(res)) as { type: string; features: CountyFeature[] };
};
const byCode = (fc: { features: CountyFeature[] }) => new Map(fc.features.map((f) => [f.properties.countyCode, f]));

beforeAll(async () => {
  await resetSeeded(pool);
  app = await buildTestApp();
  u.admin = await createTestUser(pool, 'province-admin', '36');
  u.city = await createTestUser(pool, 'city', '361100');
  u.otherCity = await createTestUser(pool, 'city', '360100');
  u.yushan = await createTestUser(pool, 'county-forestry', '361123');
  u.township = await createTestUser(pool, 'township', '361123100');
  // 2022 reserves: 100.000005 亩 in 玉山, 19.999995 亩 in 广丰, 600 亩 in 青山湖.
  await seedReserve(pool, '361123', 2022, ['66666.67']);
  await seedReserve(pool, '361124', 2022, ['13333.33']);
  await seedReserve(pool, '360111', 2022, ['400000.00']);
  await seedXzq('361123', [{ code: '361123', name: '玉山县', level: 'county', geom: square(118.1, 28.6) }]);
  // 广丰: no county polygon, two adjacent townships — the outline is their union.
  await seedXzq('361124', [
    { code: '361124100', name: '永丰街道', level: 'township', geom: square(118.2, 28.4) },
    { code: '361124101', name: '五都镇', level: 'township', geom: square(118.3, 28.4) },
  ]);
  await seedXzq('360111', [{ code: '360111', name: '青山湖区', level: 'county', geom: square(115.9, 28.6) }]);
});

afterAll(async () => {
  for (const c of SEEDED) await pool.query(`DROP TABLE IF EXISTS survey.xzq_${c}_${YEAR}`);
  await resetSeeded(pool);
  await app?.close();
  await pool.end();
});

describe('GET /api/v1/ledger/province/map', () => {
  it('gives a city its counties’ outlines with their reserve and quota, and none of another city’s', async () => {
    const fc = await map(u.city);
    expect(fc.type).toBe('FeatureCollection');
    const c = byCode(fc);
    expect([...c.keys()].every((k) => k.startsWith('3611'))).toBe(true);
    const yushan = c.get('361123')!;
    expect(yushan.properties).toMatchObject({ name: '玉山县', surveyYear: YEAR, reserveParcels: 1 });
    expect(yushan.properties.countyReserve).toMatchObject({ muExact: '100.000005', mu: 100, m2: 66666.67 });
    expect(yushan.geometry!.type).toMatch(/Polygon/);
    // 广丰's townships merged into one polygon spanning both (0.2° wide).
    const guangfeng = c.get('361124')!;
    expect(guangfeng.properties.name).toBeNull();
    expect(guangfeng.properties.countyReserve.muExact).toBe('19.999995');
    const ring = (guangfeng.geometry!.type === 'Polygon' ? guangfeng.geometry!.coordinates : (guangfeng.geometry!.coordinates as number[][][][])[0]!)[0] as number[][];
    const xs = ring.map((p) => p[0]!);
    expect(Math.max(...xs) - Math.min(...xs)).toBeCloseTo(0.2, 6);
    expect(guangfeng.geometry!.type === 'Polygon' || (guangfeng.geometry!.coordinates as unknown[]).length === 1).toBe(true);
    expect(c.has('360111')).toBe(false);

    const other = byCode(await map(u.otherCity));
    expect(other.get('360111')!.properties.countyReserve.muExact).toBe('600.000000');
    expect([...other.keys()].some((k) => k.startsWith('3611'))).toBe(false);
  });

  it('gives a province every county, a county only itself, and a quota year’s figures when asked', async () => {
    const all = byCode(await map(u.admin));
    for (const c of SEEDED) expect(all.has(c)).toBe(true);
    expect([...byCode(await map(u.yushan)).keys()]).toEqual(['361123']);
    // No quota year 2031 has figures: outlines stay, figures are zero.
    const empty = byCode(await map(u.admin, '?quotaYear=2031'));
    expect(empty.get('361123')!.properties).toMatchObject({ reserveParcels: 0, countyReserve: { muExact: '0.000000' } });
    expect(empty.get('361123')!.geometry).not.toBeNull();
  });

  it('refuses a township user (403, in Chinese) and a malformed year (400)', async () => {
    expectProblem(await injectAs(app, u.township, '/api/v1/ledger/province/map'), 403, 'role-not-permitted');
    const bad = await injectAs(app, u.city, '/api/v1/ledger/province/map?quotaYear=abc');
    expect(bad.statusCode).toBe(400);
  });
});
