/**
 * Candidate-parcel checks a–h end to end: files written to disk, uploaded through the HTTP API,
 * checked against the imported sample county (real PostGIS, real GDAL). For every check a parcel
 * that passes and one crafted to fail; test parcels are derived from the imported layers with SQL.
 */
import ExcelJS from 'exceljs';
import proj4 from 'proj4';
import type { Polygon } from 'geojson';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { CHECK_CODES } from '../../src/domain/checks/status.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { injectAs } from '../helpers/http.js';
import {
  COUNTY,
  areaOnDltb,
  areaOutsideCounty,
  buildCandidateApp,
  checkFeatures,
  checkOf,
  countyBoundaryPolygon,
  deleteCandidates,
  geodesicArea,
  getReport,
  importSurveyLayers,
  intersectionArea,
  neighbourPair,
  parcelByNo,
  ringAt,
  squareInside,
  surveyPolygons,
  townships,
  translate,
  uploadCandidates,
  writeGeoJson,
  tempDir,
  GK39,
  type SurveyPolygon,
} from '../helpers/candidates.js';

const pool = testPool();
let app: App;
let admin: TestUser;
const toLonLat = proj4('+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=39500000 +y_0=0 +ellps=GRS80 +units=m +no_defs', 'EPSG:4326');
const lonLat = (p: [number, number]) => toLonLat.forward<[number, number]>(p);

let stillMining: SurveyPolygon[];
let restored: SurveyPolygon[];

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  await deleteCandidates(pool);
  app = await buildCandidateApp();
  admin = await testAdmin(pool);
  await importSurveyLayers(app, admin);
  stillMining = await surveyPolygons(pool, '0602', '0602', 6);
  restored = await surveyPolygons(pool, '0602', '03%', 3);
  expect(stillMining.length).toBeGreaterThanOrEqual(2);
  expect(restored.length).toBeGreaterThanOrEqual(1);
});
afterAll(async () => {
  await app?.close();
  await deleteCandidates(pool);
  await resetCounty(pool, COUNTY);
  await pool.end();
});
// Double counting looks at every candidate parcel of any upload: each test starts from none.
beforeEach(async () => {
  await deleteCandidates(pool);
});

const statuses = (report: Awaited<ReturnType<typeof getReport>>, parcelNo: string) =>
  Object.fromEntries(parcelByNo(report, parcelNo).checks.map((c) => [c.code, c.status]));

describe('passing parcels', () => {
  it('a still-mining 0602 parcel declared in its own township passes every application-stage check', async () => {
    const m = stillMining[0]!;
    const declared = Math.round((await geodesicArea(pool, m.geometry)) * 100) / 100;
    const { upload, report } = await checkFeatures(app, admin, [
      { geometry: m.geometry, properties: { DKBH: 'PASS-1', XZDM: m.township, SQDW: '乡镇人民政府', SBMJ: declared } },
    ]);
    expect(upload.parcelCount).toBe(1);
    expect(upload.summary.byStatus).toMatchObject({ pass: 1, warn: 0, fail: 0 });
    expect(statuses(report, 'PASS-1')).toEqual({
      geometry: 'pass',
      area: 'pass',
      source: 'pass',
      'not-forest': 'pass',
      ownership: 'pass',
      jurisdiction: 'pass',
      overlap: 'pass',
      'land-class-change': 'not-run', // acceptance only, needs a change year
    });
    const p = parcelByNo(report, 'PASS-1');
    expect(p.status).toBe('pass');
    expect(p.townshipCode).toBe(m.township);
    expect(checkOf(report, 'PASS-1', 'source').figures.miningShare).toBeGreaterThan(0.999);
    expect(checkOf(report, 'PASS-1', 'ownership').figures.units).toEqual([
      expect.objectContaining({ qsdwdm: m.qsdwdm, qsxz: m.qsxz }),
    ]);
    expect(checkOf(report, 'PASS-1', 'overlap').figures.others).toEqual([]);
  });

  it('a restored parcel checked at acceptance (application-time survey 2019, change year 2023) passes every check', async () => {
    const r = restored[0]!;
    const file = writeGeoJson(tempDir(), 'restored.geojson', [{ geometry: r.geometry, properties: { DKBH: 'PASS-2', XZDM: r.township } }], { epsg: GK39 });
    const upload = await uploadCandidates(app, admin, file, { runChecks: false });
    expect(upload.summary).toBeNull();
    // With a change year, "not already forest" and ownership read the survey before it by default.
    const run = await injectAs(app, admin, { method: 'POST', url: `/api/v1/candidate-uploads/${upload.id}/check-runs`, payload: { changeYear: 2023 } });
    expect(run.statusCode, run.body).toBe(201);
    const report = run.json();
    expect(report.run.parameters).toMatchObject({ changeYear: 2023 });
    expect(report.run.layers.dltbLatest.year).toBe(2019);
    expect(Object.values(statuses(report, 'PASS-2'))).toEqual(Array(8).fill('pass'));
    const change = checkOf(report, 'PASS-2', 'land-class-change');
    expect(change.figures.forestDltbShare).toBeGreaterThan(0.999);
    expect(change.figures.forestXiaobanShare).toBeGreaterThan(0.999);
  });
});

describe('a. geometry', () => {
  // Shapes drawn in plane coordinates inside a still-mining polygon, so only the geometry is at fault.
  async function box() {
    const sq = await squareInside(pool, stillMining[0]!.bsm, 2019, 60);
    return { c: sq.centre, h: sq.side / 2 - 1 };
  }
  const poly = (ring: number[][]): Polygon => ({ type: 'Polygon', coordinates: [ring] });
  const near = (a: number[], b: number[], tol = 1e-7) => Math.abs(a[0]! - b[0]!) < tol && Math.abs(a[1]! - b[1]!) < tol;

  it('a bow-tie (self-intersection) fails with the crossing point as its location', async () => {
    const { c, h } = await box();
    const { report } = await checkFeatures(app, admin, [{ geometry: poly(ringAt(c, [[-h, -h], [h, h], [h, -h], [-h, h]])), properties: { DKBH: 'BOWTIE' } }]);
    const g = checkOf(report, 'BOWTIE', 'geometry');
    expect(g.status).toBe('fail');
    expect(g.message).toMatch(/自相交/);
    expect(g.figures.valid).toBe(false);
    expect(g.figures.invalidReason).toMatch(/Self-intersection/i);
    const crossing = lonLat(c);
    const points = g.problems!.features.filter((f) => f.geometry.type === 'Point').map((f) => (f.geometry as { coordinates: number[] }).coordinates);
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((p) => near(p, crossing))).toBe(true);
    expect(g.problems!.features.map((f) => f.properties.problem)).toContain('self-intersection');
    // The made-valid geometry (two triangles) is what the other checks measure.
    expect(g.figures.partCount).toBe(2);
    expect(checkOf(report, 'BOWTIE', 'area').status).toBe('pass');
  });

  it('a spike fails at the spike tip', async () => {
    const { c, h } = await box();
    const tip: [number, number] = [h + 40, 0.2];
    const { report } = await checkFeatures(app, admin, [
      { geometry: poly(ringAt(c, [[-h, -h], [h, -h], [h, 0], tip, [h, 0.4], [h, h], [-h, h]])), properties: { DKBH: 'SPIKE' } },
    ]);
    const g = checkOf(report, 'SPIKE', 'geometry');
    expect(g.status).toBe('fail');
    expect(g.message).toMatch(/尖刺/);
    const spikes = g.problems!.features.filter((f) => f.properties.problem === 'spike');
    expect(spikes).toHaveLength(1);
    expect(near((spikes[0]!.geometry as { coordinates: number[] }).coordinates, lonLat([c[0] + tip[0], c[1] + tip[1]]))).toBe(true);
  });

  it('a duplicate vertex warns at the vertex, and is not taken for a self-intersection', async () => {
    const { c, h } = await box();
    const { report } = await checkFeatures(app, admin, [
      { geometry: poly(ringAt(c, [[-h, -h], [h, -h], [h, -h], [h, h], [-h, h]])), properties: { DKBH: 'DUP' } },
    ]);
    const g = checkOf(report, 'DUP', 'geometry');
    expect(g.status).toBe('warn');
    expect(g.message).toMatch(/重复节点/);
    expect(g.message).not.toMatch(/自相交/);
    const dups = g.problems!.features.filter((f) => f.properties.problem === 'duplicate-vertex');
    expect(dups).toHaveLength(1);
    expect(near((dups[0]!.geometry as { coordinates: number[] }).coordinates, lonLat([c[0] + h, c[1] - h]))).toBe(true);
    expect(g.problems!.features.some((f) => f.properties.problem === 'self-intersection')).toBe(false);
  });

  it('a sliver fails with its area and shape index', async () => {
    const { c, h } = await box();
    const { report } = await checkFeatures(app, admin, [{ geometry: poly(ringAt(c, [[-h, -h], [h, -h], [h, -h + 0.3], [-h, -h + 0.3]])), properties: { DKBH: 'SLIVER' } }]);
    const g = checkOf(report, 'SLIVER', 'geometry');
    expect(g.status).toBe('fail');
    expect(g.message).toMatch(/碎片或狭长/);
    expect(g.figures.parts).toHaveLength(1);
    expect(g.figures.parts[0].thinness).toBeLessThan(0.05);
    expect(g.figures.parts[0].areaM2).toBeCloseTo(2 * h * 0.3, 0);
  });

  it('a multi-part parcel reports each part, and only the bad part fails', async () => {
    const { c, h } = await box();
    const { report } = await checkFeatures(app, admin, [
      {
        geometry: {
          type: 'MultiPolygon',
          coordinates: [[ringAt(c, [[-h, -h], [-1, -h], [-1, h], [-h, h]])], [ringAt(c, [[1, -h], [h, -h], [h, -h + 0.2], [1, -h + 0.2]])]],
        },
        properties: { DKBH: 'MULTI' },
      },
    ]);
    const g = checkOf(report, 'MULTI', 'geometry');
    expect(g.status).toBe('fail');
    expect(g.figures.partCount).toBe(2);
    expect(g.figures.parts.map((p: { part: number }) => p.part)).toEqual([1, 2]);
    expect(g.figures.parts[0].areaM2).toBeCloseTo((h - 1) * 2 * h, -1);
    expect(g.figures.parts[0].thinness).toBeGreaterThan(0.5);
    expect(g.figures.parts[1].thinness).toBeLessThan(0.05);
    expect(g.message).toMatch(/第2部分为碎片/);
    expect(g.message).not.toMatch(/第1部分/);
    // The area of record is the sum of the parts.
    const area = checkOf(report, 'MULTI', 'area').figures.areaOfRecord.m2;
    expect(area).toBeCloseTo(g.figures.parts[0].areaM2 + g.figures.parts[1].areaM2, 1);
  });
});

describe('b. area of record', () => {
  it('gives m², 亩 and 公顷 consistently, with the geodesic area beside it, and passes a declared area within tolerance', async () => {
    const m = stillMining[0]!;
    const geodesic = await geodesicArea(pool, m.geometry);
    const declaredMu = Math.round((geodesic / (10000 / 15)) * 10000) / 10000; // SBMJM, in 亩
    const { report } = await checkFeatures(app, admin, [{ geometry: m.geometry, properties: { DKBH: 'AREA-OK', SBMJM: declaredMu } }]);
    const a = checkOf(report, 'AREA-OK', 'area');
    expect(a.status).toBe('pass');
    const rec = a.figures.areaOfRecord;
    expect(rec.mu).toBeCloseTo(rec.m2 / (10000 / 15), 3);
    expect(rec.hectare).toBeCloseTo(rec.m2 / 10000, 3);
    expect(rec.mu / 15).toBeCloseTo(rec.hectare, 3);
    expect(a.figures.method).toMatch(/椭球面积/);
    expect(a.figures.zoneEpsg).toBe(GK39);
    // Geodesic cross-check: the same parcel by PostGIS geography and by the official procedure.
    expect(Math.abs(a.figures.geodesicM2 - rec.m2)).toBeLessThan(0.05);
    expect(Math.abs(geodesic - rec.m2)).toBeLessThan(0.05);
    expect(a.figures.declaredM2).toBeCloseTo((declaredMu * 10000) / 15, 2);
    expect(parcelByNo(report, 'AREA-OK').areaOfRecord).toEqual(rec);
  });

  it('warns when the declared SBMJ is far off, stating both figures and the difference', async () => {
    const m = stillMining[0]!;
    const { report } = await checkFeatures(app, admin, [{ geometry: m.geometry, properties: { DKBH: 'AREA-OFF', SBMJ: 100 } }]);
    const a = checkOf(report, 'AREA-OFF', 'area');
    expect(a.status).toBe('warn');
    const rec = a.figures.areaOfRecord.m2;
    expect(a.figures.declaredM2).toBe(100);
    expect(a.figures.declaredDifferenceM2).toBeCloseTo(100 - rec, 2);
    expect(a.message).toContain('申报面积100平方米');
    expect(a.message).toContain(String(rec));
    expect(parcelByNo(report, 'AREA-OFF').status).toBe('warn'); // a warning, never a failure
  });
});

describe('c. source (base survey 0602)', () => {
  it('fails a parcel straddling 0602 and a neighbour, listing the neighbour’s class and area', async () => {
    const pair = await neighbourPair(pool, { a: "a.dlbm = '0602'", b: "b.dlbm <> '0602' AND b.dlbm NOT LIKE '03%'" });
    expect(pair, 'the sample has a 0602 polygon next to another class').toBeDefined();
    const { a, b, union } = pair!;
    const { report } = await checkFeatures(app, admin, [{ geometry: union, properties: { DKBH: 'STRADDLE', XZDM: a.township } }]);
    const s = checkOf(report, 'STRADDLE', 'source');
    expect(s.status).toBe('fail');
    const onB = await areaOnDltb(pool, union, b.bsm, 2019);
    const outside = s.figures.outside.find((o: { dlbm: string }) => o.dlbm === b.dlbm);
    expect(outside, JSON.stringify(s.figures.outside)).toBeDefined();
    expect(Math.abs(outside.area.m2 - onB)).toBeLessThan(0.1);
    expect(outside.dlmc).toBeTruthy();
    expect(s.message).toContain(outside.dlmc);
    expect(s.message).toContain(String(outside.area.mu));
    expect(s.figures.miningShare).toBeLessThan(1);
    expect(Math.abs(s.figures.miningArea.m2 - (await areaOnDltb(pool, union, a.bsm, 2019)))).toBeLessThan(0.1);
    expect(s.problems!.features.map((f) => f.properties.dlbm)).toContain(b.dlbm);
    expect(s.problems!.features.every((f) => f.properties.check === 'source')).toBe(true);
  });
});

describe('d. not already forest', () => {
  it('fails a parcel on a 2023 forest polygon with the overlap area, in DLTB and in the one-map', async () => {
    const forest = (await surveyPolygons(pool, '03%', '03%', 1))[0];
    expect(forest, 'the sample has forest polygons').toBeDefined();
    const { report } = await checkFeatures(app, admin, [{ geometry: forest!.geometry, properties: { DKBH: 'FOREST', XZDM: forest!.township } }]);
    const f = checkOf(report, 'FOREST', 'not-forest');
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(/已是林地/);
    const area = parcelByNo(report, 'FOREST').areaOfRecord!.m2;
    expect(f.figures.dltbYear).toBe(2023);
    expect(Math.abs(f.figures.forestDltbArea.m2 - area)).toBeLessThan(0.05);
    expect(f.figures.forestXiaobanArea.m2).toBeGreaterThan(0);
    expect(f.message).toContain(String(f.figures.forestDltbArea.mu));
    const layers = f.problems!.features.map((x) => x.properties.layer);
    expect(layers).toContain('dltb');
    expect(layers).toContain('ldxb');
  });
});

describe('e. ownership', () => {
  it('warns on a parcel over two ownership units, listing both with their areas', async () => {
    const pair = await neighbourPair(pool, {
      year: 2023,
      a: "a.dlbm NOT LIKE '03%'",
      b: "b.dlbm NOT LIKE '03%' AND b.qsdwdm <> a.qsdwdm AND left(b.zldwdm, 9) = left(a.zldwdm, 9) AND (b.qsxz IN ('10', '20')) = (a.qsxz IN ('10', '20'))",
    });
    expect(pair, 'the sample has neighbouring polygons of two ownership units').toBeDefined();
    const { a, b, union } = pair!;
    const { report } = await checkFeatures(app, admin, [{ geometry: union, properties: { DKBH: 'TWO-UNITS', XZDM: a.township } }]);
    const o = checkOf(report, 'TWO-UNITS', 'ownership');
    expect(o.status).toBe('warn');
    expect(o.figures.rightsHolders).toBe(2);
    expect(o.figures.mixedStateCollective).toBe(false);
    const byUnit = Object.fromEntries(o.figures.units.map((u: { qsdwdm: string; area: { m2: number } }) => [u.qsdwdm, u.area.m2]));
    expect(Object.keys(byUnit).sort()).toEqual([a.qsdwdm, b.qsdwdm].sort());
    expect(Math.abs(byUnit[a.qsdwdm] - (await areaOnDltb(pool, union, a.bsm, 2023)))).toBeLessThan(0.1);
    expect(Math.abs(byUnit[b.qsdwdm] - (await areaOnDltb(pool, union, b.bsm, 2023)))).toBeLessThan(0.1);
    expect(o.message).toContain(a.qsdwmc);
    expect(o.message).toContain(b.qsdwmc);
    expect(o.problems!.features.map((f) => f.properties.qsdwdm).sort()).toEqual([a.qsdwdm, b.qsdwdm].sort());
  });

  it('flags state (QSXZ 10/20) and collective land mixed in one parcel', async () => {
    const pair = await neighbourPair(pool, {
      year: 2023,
      a: "a.dlbm NOT LIKE '03%' AND a.qsxz IN ('10', '20')",
      b: "b.dlbm NOT LIKE '03%' AND b.qsxz NOT IN ('10', '20') AND left(b.zldwdm, 9) = left(a.zldwdm, 9)",
    });
    // The sample county has state land next to collective land outside forest; a fixture without
    // it fails here rather than passing without checking anything.
    expect(pair, 'the sample has state land next to collective land outside forest').toBeDefined();
    const { report } = await checkFeatures(app, admin, [{ geometry: pair!.union, properties: { DKBH: 'MIXED', XZDM: pair!.a.township } }]);
    const o = checkOf(report, 'MIXED', 'ownership');
    expect(o.status).toBe('warn');
    expect(o.figures.mixedStateCollective).toBe(true);
    expect(o.message).toMatch(/国有与集体土地混合/);
    expect(o.figures.units.map((u: { qsxz: string }) => u.qsxz).sort()).toEqual([pair!.a.qsxz, pair!.b.qsxz].sort());
  });
});

describe('f. jurisdiction', () => {
  it('fails a parcel declared in township A that lies in township B', async () => {
    const m = stillMining[0]!;
    const other = (await townships(pool)).find((t) => t !== m.township);
    expect(other).toBeDefined();
    const { report } = await checkFeatures(app, admin, [{ geometry: m.geometry, properties: { DKBH: 'WRONG-TOWNSHIP', XZDM: other! } }]);
    const j = checkOf(report, 'WRONG-TOWNSHIP', 'jurisdiction');
    expect(j.status).toBe('fail');
    expect(j.figures.township).toBe(other);
    const area = parcelByNo(report, 'WRONG-TOWNSHIP').areaOfRecord!.m2;
    expect(Math.abs(j.figures.outsideTownship.m2 - area)).toBeLessThan(0.05);
    expect(j.figures.outsideCounty.m2).toBe(0);
    expect(j.figures.zldwTownships).toEqual([expect.objectContaining({ township: m.township })]);
    expect(j.message).toContain(other!);
    expect(j.message).toContain(m.township);
    expect(j.problems!.features.map((f) => f.properties.problem)).toEqual(['outside-township']);
  });

  it('fails a parcel pushed partly outside the county boundary, with the area outside', async () => {
    const edge = await countyBoundaryPolygon(pool);
    expect(edge, 'the sample has polygons on the county boundary').toBeDefined();
    const { report } = await checkFeatures(app, admin, [{ geometry: edge!.outward, properties: { DKBH: 'ACROSS' } }]);
    const j = checkOf(report, 'ACROSS', 'jurisdiction');
    expect(j.status).toBe('fail');
    expect(j.message).toMatch(/县界外/);
    const outside = await areaOutsideCounty(pool, edge!.outward);
    expect(outside).toBeGreaterThan(100);
    expect(Math.abs(j.figures.outsideCounty.m2 - outside)).toBeLessThan(0.1);
    expect(j.problems!.features.map((f) => f.properties.problem)).toContain('outside-county');
  });
});

describe('g. double counting', () => {
  it('fails two overlapping parcels of one upload, each naming the other with the overlap area', async () => {
    const m = stillMining[0]!;
    const moved = translate(m.geometry, 5, 5);
    const { report } = await checkFeatures(app, admin, [
      { geometry: m.geometry, properties: { DKBH: 'DUP-A' } },
      { geometry: moved, properties: { DKBH: 'DUP-B' } },
    ]);
    const overlap = await intersectionArea(pool, m.geometry, moved);
    for (const [self, other] of [['DUP-A', 'DUP-B'], ['DUP-B', 'DUP-A']] as const) {
      const o = checkOf(report, self, 'overlap');
      expect(o.status).toBe('fail');
      expect(o.figures.others).toHaveLength(1);
      expect(o.figures.others[0]).toMatchObject({ parcelNo: other, sameUpload: true, parcelId: parcelByNo(report, other).parcelId });
      expect(Math.abs(o.figures.others[0].area.m2 - overlap)).toBeLessThan(0.1);
      expect(o.message).toContain(other);
      expect(o.problems!.features[0]!.properties.otherParcelNo).toBe(other);
    }
  });

  it('fails a parcel of a later upload overlapping an earlier upload’s parcel, naming it and its upload', async () => {
    const m = stillMining[1]!;
    const first = await checkFeatures(app, admin, [{ geometry: m.geometry, properties: { DKBH: 'FIRST-1' } }], {}, 'first.geojson');
    expect(checkOf(first.report, 'FIRST-1', 'overlap').status).toBe('pass');
    const later = translate(m.geometry, -3, 2);
    const second = await checkFeatures(app, admin, [{ geometry: later, properties: { DKBH: 'SECOND-1' } }], {}, 'second.geojson');
    const o = checkOf(second.report, 'SECOND-1', 'overlap');
    expect(o.status).toBe('fail');
    expect(o.figures.others).toEqual([
      expect.objectContaining({ parcelNo: 'FIRST-1', uploadId: first.upload.id, sameUpload: false, source: 'first.geojson' }),
    ]);
    expect(Math.abs(o.figures.others[0].area.m2 - (await intersectionArea(pool, m.geometry, later)))).toBeLessThan(0.1);
    expect(o.message).toContain('FIRST-1');
    expect(o.message).toContain('first.geojson');
  });

  it('does not count parcels that only share an edge', async () => {
    const { c, h } = { c: (await squareInside(pool, stillMining[0]!.bsm, 2019, 40)).centre, h: 10 };
    const { report } = await checkFeatures(app, admin, [
      { geometry: { type: 'Polygon', coordinates: [ringAt(c, [[-h, -h], [0, -h], [0, h], [-h, h]])] }, properties: { DKBH: 'EDGE-L' } },
      { geometry: { type: 'Polygon', coordinates: [ringAt(c, [[0, -h], [h, -h], [h, h], [0, h]])] }, properties: { DKBH: 'EDGE-R' } },
    ]);
    expect(checkOf(report, 'EDGE-L', 'overlap').status).toBe('pass');
    expect(checkOf(report, 'EDGE-R', 'overlap').status).toBe('pass');
  });
});

describe('h. land-class change (acceptance, change year 2023)', () => {
  it('passes a restored parcel and fails a still-mining one, listing 采矿用地 as what the rest is', async () => {
    const r = restored[0]!;
    const m = stillMining[0]!;
    const { upload, report } = await checkFeatures(
      app,
      admin,
      [
        { geometry: r.geometry, properties: { DKBH: 'RESTORED' } },
        { geometry: m.geometry, properties: { DKBH: 'STILL-MINING' } },
      ],
      { changeYear: 2023 },
    );
    expect(report.run.parameters.changeYear).toBe(2023);
    expect(report.run.layers.dltbChange.year).toBe(2023);
    expect(report.run.layers.ldxbChange.year).toBe(2023);
    expect(checkOf(report, 'RESTORED', 'land-class-change').status).toBe('pass');
    const c = checkOf(report, 'STILL-MINING', 'land-class-change');
    expect(c.status).toBe('fail');
    expect(c.figures.forestDltbShare).toBe(0);
    expect(c.figures.rest).toEqual([expect.objectContaining({ dlbm: '0602', dlmc: '采矿用地' })]);
    expect(Math.abs(c.figures.rest[0].area.m2 - parcelByNo(report, 'STILL-MINING').areaOfRecord!.m2)).toBeLessThan(0.05);
    expect(c.message).toContain('采矿用地');
    expect(c.problems!.features.map((f) => f.properties.dlbm)).toEqual(['0602']);

    // A change year that was never imported is refused, not a 500.
    const bad = await injectAs(app, admin, { method: 'POST', url: `/api/v1/candidate-uploads/${upload.id}/check-runs`, payload: { changeYear: 2021 } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('change-year-not-imported');
  });
});

describe('GeoJSON report', () => {
  it('is a FeatureCollection with one parcel feature per parcel and problem features carrying their check', async () => {
    const m = stillMining[0]!;
    const pair = await neighbourPair(pool, { a: "a.dlbm = '0602'", b: "b.dlbm <> '0602' AND b.dlbm NOT LIKE '03%'" });
    expect(pair, 'the sample has a 0602 polygon next to another class').toBeDefined();
    const { upload, report } = await checkFeatures(app, admin, [
      { geometry: m.geometry, properties: { DKBH: 'GJ-PASS', XZDM: m.township } },
      { geometry: pair!.union, properties: { DKBH: 'GJ-FAIL', XZDM: pair!.a.township } },
    ]);
    const res = await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/report?format=geojson`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/geo\+json/);
    const fc = res.json();
    expect(fc.type).toBe('FeatureCollection');
    const parcels = fc.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'parcel');
    const problems = fc.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'problem');
    expect(parcels).toHaveLength(2);
    expect(parcels.map((f: { properties: { DKBH: string } }) => f.properties.DKBH).sort()).toEqual(['GJ-FAIL', 'GJ-PASS']);
    for (const f of parcels) {
      expect(['Polygon', 'MultiPolygon']).toContain(f.geometry.type);
      expect(f.properties.status).toBe(parcelByNo(report, f.properties.DKBH).status);
      expect(f.properties.runId).toBe(report.run.id);
    }
    expect(parcels.find((f: { properties: { DKBH: string } }) => f.properties.DKBH === 'GJ-FAIL').properties.failed).toContain('来源可靠（原为采矿用地）');
    expect(problems.length).toBeGreaterThan(0);
    const ids = new Set(report.parcels.map((p) => p.parcelId));
    for (const f of problems) {
      expect(CHECK_CODES).toContain(f.properties.check);
      expect(f.properties.checkLabel).toBeTruthy();
      expect(ids.has(f.properties.parcelId)).toBe(true);
      expect(f.geometry).toBeTruthy();
    }
    expect(problems.map((f: { properties: { check: string } }) => f.properties.check)).toContain('source');
    // Every problem of the JSON report is in the GeoJSON, and none of the passing parcel's.
    const jsonProblems = report.parcels.flatMap((p) => p.checks.flatMap((c) => c.problems?.features ?? []));
    expect(problems).toHaveLength(jsonProblems.length);
    expect(problems.some((f: { properties: { DKBH: string } }) => f.properties.DKBH === 'GJ-PASS')).toBe(false);

    // One parcel's report, JSON and GeoJSON.
    const one = await injectAs(app, admin, `/api/v1/candidate-parcels/${parcelByNo(report, 'GJ-FAIL').parcelId}/report?format=geojson`);
    expect(one.statusCode).toBe(200);
    const oneFc = one.json();
    expect(oneFc.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'parcel')).toHaveLength(1);
    expect(oneFc.features.every((f: { properties: { DKBH: string } }) => f.properties.DKBH === 'GJ-FAIL')).toBe(true);
  });
});

describe('XLSX report', () => {
  it('reads back with Chinese headers: one row per parcel with its eight checks, one row per check, and the run', async () => {
    const m = stillMining[1]!;
    const pair = await neighbourPair(pool, { a: "a.dlbm = '0602'", b: "b.dlbm <> '0602' AND b.dlbm NOT LIKE '03%'" });
    const { upload, report } = await checkFeatures(app, admin, [
      { geometry: m.geometry, properties: { DKBH: 'XL-PASS', XZDM: m.township } },
      { geometry: pair!.union, properties: { DKBH: '=XL-FAIL', XZDM: pair!.a.township } },
    ]);
    const res = await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}/report?format=xlsx`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/spreadsheetml/);
    expect(decodeURIComponent(String(res.headers['content-disposition']))).toContain('拟补充林地检查报告');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['地块检查结果', '检查明细', '检查记录']);

    const parcels = wb.getWorksheet('地块检查结果')!;
    const header = (parcels.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 8)).toEqual(['地块编号', '要素序号', '乡镇代码', '申请单位', '总体结论', '椭球面积（平方米）', '椭球面积（亩）', '椭球面积（公顷）']);
    expect(header).toContain('来源可靠（原为采矿用地）');
    expect(header).toHaveLength(8 + CHECK_CODES.length + 1);
    expect(parcels.rowCount).toBe(3);
    const rowOf = (no: string) => {
      for (let i = 2; i <= parcels.rowCount; i++) {
        const v = parcels.getRow(i).getCell(1).value;
        // A parcel number that looks like a formula is written as rich text, never as a formula.
        const text = typeof v === 'object' && v && 'richText' in v ? v.richText.map((t) => t.text).join('') : v;
        if (text === no) return parcels.getRow(i);
      }
      throw new Error(`no row ${no}`);
    };
    const fail = rowOf('=XL-FAIL');
    expect(fail.getCell(1).formula).toBeUndefined();
    expect(fail.getCell(5).value).toBe('不通过');
    expect(fail.getCell(8 + CHECK_CODES.indexOf('source') + 1).value).toBe('不通过');
    expect(fail.getCell(header.length).text).toContain('来源可靠');
    const pass = rowOf('XL-PASS');
    const passReport = parcelByNo(report, 'XL-PASS');
    expect(pass.getCell(5).value).toBe({ pass: '通过', warn: '警告', fail: '不通过' }[passReport.status as 'pass']);
    expect(pass.getCell(6).value).toBe(passReport.areaOfRecord!.m2);
    expect(pass.getCell(7).value).toBe(passReport.areaOfRecord!.mu);
    expect(pass.getCell(8).value).toBe(passReport.areaOfRecord!.hectare);

    const lines = wb.getWorksheet('检查明细')!;
    expect((lines.getRow(1).values as unknown[]).slice(1)).toEqual(['地块编号', '检查项', '结论', '说明', '问题图形数']);
    expect(lines.rowCount).toBe(1 + report.parcels.reduce((n, p) => n + p.checks.length, 0));
    const run = wb.getWorksheet('检查记录')!;
    expect(run.getRow(3).values).toEqual([undefined, '检查记录编号', report.run.id]);

    // One parcel's report as XLSX: its rows only.
    const one = await injectAs(app, admin, `/api/v1/candidate-parcels/${passReport.parcelId}/report?format=xlsx`);
    expect(one.statusCode).toBe(200);
    const owb = new ExcelJS.Workbook();
    await owb.xlsx.load(one.rawPayload as unknown as ArrayBuffer);
    expect(owb.getWorksheet('地块检查结果')!.rowCount).toBe(2);
    expect(owb.getWorksheet('地块检查结果')!.getRow(2).getCell(1).value).toBe('XL-PASS');
  });
});
