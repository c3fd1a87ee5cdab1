/**
 * Candidate uploads: the area of record against an independent ellipsoidal computation, and the
 * formats parcels arrive in — zone-prefixed Gauss–Krüger shapefiles with GBK attributes and no
 * .cpg, GeoJSON in EPSG:4527 (crs member) and in EPSG:4490 / RFC 7946 longitude-latitude.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import geographiclib from 'geographiclib-geodesic';
import proj4 from 'proj4';
import type { Polygon, Position } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { resetCounty, testPool } from '../helpers/db.js';
import { testAdmin, type TestUser } from '../helpers/auth.js';
import { injectAs } from '../helpers/http.js';
import {
  COUNTY,
  ESRI_PRJ_GK39,
  GK39,
  buildCandidateApp,
  checkOf,
  dbfLanguageByte,
  deleteCandidates,
  getReport,
  importSurveyLayers,
  parcelByNo,
  ringAt,
  setDbfLanguageByte,
  squareInside,
  surveyPolygons,
  tempDir,
  uploadCandidates,
  writeGeoJson,
  writeShapefileZip,
  zipFiles,
  type SurveyPolygon,
} from '../helpers/candidates.js';

const pool = testPool();
let app: App;
let admin: TestUser;
let mining: SurveyPolygon[];

// The independent reference: proj4 for the inverse projection, geographiclib for the area.
const GK39_PROJ4 = '+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=39500000 +y_0=0 +ellps=GRS80 +units=m +no_defs';
const toLonLat = proj4(GK39_PROJ4, 'EPSG:4326');
const CGCS2000 = new geographiclib.Geodesic.Geodesic(6378137, 1 / 298.257222101);
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Plane ring → vertices at most `step` m apart (own code, not the service's). */
function densify(ring: Position[], step = 70): Position[] {
  const out: Position[] = [];
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = ring[i] as [number, number];
    const [x1, y1] = ring[i + 1] as [number, number];
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / step));
    for (let k = 0; k < n; k++) out.push([x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n]);
  }
  return out; // open ring
}

/** Ellipsoidal (CGCS2000) area of a plane polygon: densify, inverse-project, geodesic polygon area. */
function independentArea(rings: Position[][]): number {
  return rings.reduce((sum, ring, i) => {
    const pa = CGCS2000.Polygon(false);
    for (const p of densify(ring)) {
      const [lon, lat] = toLonLat.forward<[number, number]>(p as [number, number]);
      pa.AddPoint(lat, lon);
    }
    const a = Math.abs(pa.Compute(false, true).area as number);
    return sum + (i === 0 ? a : -a);
  }, 0);
}

/** A jagged 11-gon (edges well under 70 m) centred in a square that fits inside a survey polygon. */
async function jaggedParcel(bsm: string): Promise<Polygon> {
  const { centre, side } = await squareInside(pool, bsm, 2019, 60);
  const r = side / 2 - 1;
  const offsets = Array.from({ length: 11 }, (_, i) => {
    const a = (2 * Math.PI * i) / 11;
    const rr = r * (0.75 + 0.25 * Math.abs(Math.sin(2.3 * i)));
    return [Math.round(rr * Math.cos(a) * 1000) / 1000, Math.round(rr * Math.sin(a) * 1000) / 1000] as [number, number];
  });
  return { type: 'Polygon', coordinates: [ringAt([Math.round(centre[0] * 1000) / 1000, Math.round(centre[1] * 1000) / 1000], offsets)] };
}

/** A square with a square hole, sides ≤ 60 m. */
async function parcelWithHole(bsm: string): Promise<Polygon> {
  const { centre, side } = await squareInside(pool, bsm, 2019, 60);
  const c: [number, number] = [Math.round(centre[0] * 1000) / 1000, Math.round(centre[1] * 1000) / 1000];
  const h = side / 2 - 1;
  return {
    type: 'Polygon',
    coordinates: [ringAt(c, [[-h, -h], [h, -h], [h, h], [-h, h]]), ringAt(c, [[-h / 3, -h / 3], [-h / 3, h / 4], [h / 3, h / 4], [h / 3, -h / 3]])],
  };
}

beforeAll(async () => {
  await resetCounty(pool, COUNTY);
  await deleteCandidates(pool);
  app = await buildCandidateApp();
  admin = await testAdmin(pool);
  await importSurveyLayers(app, admin);
  mining = await surveyPolygons(pool, '0602', '0602', 4);
  expect(mining.length).toBeGreaterThanOrEqual(2);
});
afterAll(async () => {
  await app?.close();
  await deleteCandidates(pool);
  await resetCounty(pool, COUNTY);
  await pool.end();
});

describe('area of record = CGCS2000 ellipsoidal area, to 0.01 m²', () => {
  let jagged: Polygon;
  let holed: Polygon;
  let geojsonAreas: Record<string, number>;

  beforeAll(async () => {
    jagged = await jaggedParcel(mining[0]!.bsm);
    holed = await parcelWithHole(mining[1]!.bsm);
    for (const g of [jagged, holed]) {
      for (const ring of g.coordinates) {
        for (let i = 1; i < ring.length; i++) {
          expect(Math.hypot(ring[i]![0]! - ring[i - 1]![0]!, ring[i]![1]! - ring[i - 1]![1]!)).toBeLessThanOrEqual(70);
        }
      }
    }
  });

  it('GeoJSON in EPSG:4527 plane coordinates (crs member honoured): the report matches proj4 + geographiclib', async () => {
    const file = writeGeoJson(
      tempDir(),
      'plane-4527.geojson',
      [
        { geometry: jagged, properties: { DKBH: 'JAGGED' } },
        { geometry: holed, properties: { DKBH: 'HOLED' } },
      ],
      { epsg: GK39 },
    );
    const upload = await uploadCandidates(app, admin, file);
    // GDAL read the crs member: the upload is in zone 39 with prefix, not longitude/latitude.
    expect(upload.crs).toMatchObject({ epsg: GK39, kind: 'gauss-kruger', zone: 39, zonePrefixed: true, how: 'declared-epsg' });
    const report = await getReport(app, admin, upload.id);
    geojsonAreas = {};
    for (const [no, g] of [['JAGGED', jagged], ['HOLED', holed]] as const) {
      const ours = parcelByNo(report, no).areaOfRecord!.m2;
      const ref = round2(independentArea(g.coordinates));
      expect(Math.abs(ours - ref), `${no}: report ${ours} vs independent ${ref}`).toBeLessThanOrEqual(0.01);
      geojsonAreas[no] = ours;
      // The geodesic cross-check the report carries agrees too.
      expect(Math.abs(checkOf(report, no, 'area').figures.geodesicM2 - ref)).toBeLessThanOrEqual(0.02);
    }
    const hole = holed.coordinates[1]!;
    expect(geojsonAreas.HOLED).toBeLessThan(round2(independentArea([holed.coordinates[0]!])) - round2(independentArea([hole])) + 0.02);
    await deleteCandidates(pool);
  });

  it('the same parcels as a zipped GBK shapefile in zone-prefixed coordinates give the same areas', async () => {
    const zip = writeShapefileZip(
      tempDir(),
      'DKFW',
      [
        { geometry: jagged, properties: { DKBH: 'JAGGED' } },
        { geometry: holed, properties: { DKBH: 'HOLED' } },
      ],
      { prj: ESRI_PRJ_GK39 },
    );
    const upload = await uploadCandidates(app, admin, zip);
    expect(upload.crs).toMatchObject({ epsg: GK39, zonePrefixed: true });
    const report = await getReport(app, admin, upload.id);
    for (const no of ['JAGGED', 'HOLED']) {
      const ours = parcelByNo(report, no).areaOfRecord!.m2;
      expect(ours).toBe(geojsonAreas[no]);
      const g = no === 'JAGGED' ? jagged : holed;
      expect(Math.abs(ours - round2(independentArea(g.coordinates)))).toBeLessThanOrEqual(0.01);
    }
    await deleteCandidates(pool);
  });
});

describe('formats and encodings', () => {
  it('a zipped GBK shapefile without .cpg (DBF byte 29 = 0x4D) in zone-prefixed GK keeps its Chinese attributes intact', async () => {
    const m = mining[0]!;
    const dir = tempDir();
    const applicant = '岩瑞镇人民政府（郭坂村村民委员会）';
    const zip = writeShapefileZip(
      dir,
      'BCLD',
      [{ geometry: m.geometry, properties: { DKBH: '玉山-补-001', XZDM: m.township, SQDW: applicant, SBMJM: 12.5, NBLDL: '0301', BZ: '废弃矿山生态修复' } }],
      { prj: ESRI_PRJ_GK39 },
    );
    // The set really is what Chinese GIS tools deliver.
    expect(readdirSync(join(dir, 'BCLD-set')).sort()).toEqual(['BCLD.dbf', 'BCLD.prj', 'BCLD.shp', 'BCLD.shx']);
    expect(dbfLanguageByte(join(dir, 'BCLD-set', 'BCLD.dbf'))).toBe(0x4d);
    const upload = await uploadCandidates(app, admin, zip);
    expect(upload.source).toMatchObject({ format: 'shapefile', layer: 'BCLD' });
    expect(upload.encoding).toMatchObject({ encoding: 'CP936', source: 'ldid' });
    expect(upload.crs).toMatchObject({ epsg: GK39, zone: 39, zonePrefixed: true });
    // The ESRI .prj carries no EPSG code; GDAL may identify it, or the service reads the definition.
    expect(['declared-epsg', 'declared-definition']).toContain(upload.crs.how);

    const view = (await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}`)).json();
    expect(view.parcels).toHaveLength(1);
    expect(view.parcels[0]).toMatchObject({
      parcelNo: '玉山-补-001',
      applicant,
      townshipCode: m.township,
      intendedForestClass: '0301',
      declaredAreaM2: Math.round(((12.5 * 10000) / 15) * 100) / 100,
      srcSrid: GK39,
    });
    expect(view.parcels[0].attributes).toMatchObject({ SQDW: applicant, BZ: '废弃矿山生态修复', DKBH: '玉山-补-001' });
    const report = await getReport(app, admin, upload.id);
    expect(parcelByNo(report, '玉山-补-001').applicant).toBe(applicant);
    expect(checkOf(report, '玉山-补-001', 'source').status).toBe('pass');
    await deleteCandidates(pool);
  });

  it('a GBK shapefile with neither .cpg nor language byte is recognised as GBK from its content', async () => {
    const m = mining[1]!;
    const dir = tempDir();
    const applicant = '临湖镇人民政府';
    writeShapefileZip(dir, 'DKFW', [{ geometry: m.geometry, properties: { DKBH: '临湖-002', SQDW: applicant } }], { prj: ESRI_PRJ_GK39 });
    setDbfLanguageByte(join(dir, 'DKFW-set', 'DKFW.dbf'), 0);
    const zip = zipFiles(dir, 'no-ldid.zip', readdirSync(join(dir, 'DKFW-set')).map((f) => join(dir, 'DKFW-set', f)));
    const upload = await uploadCandidates(app, admin, zip);
    expect(upload.encoding).toMatchObject({ encoding: 'CP936', source: 'detected' });
    const view = (await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}`)).json();
    expect(view.parcels[0]).toMatchObject({ parcelNo: '临湖-002', applicant });
    await deleteCandidates(pool);
  });

  it('form fields fill in the township, applicant and intended class a file does not carry', async () => {
    const m = mining[0]!;
    const file = writeGeoJson(tempDir(), 'bare.geojson', [{ geometry: m.geometry, properties: {} }], { epsg: GK39 });
    const upload = await uploadCandidates(app, admin, file, { township: m.township, applicant: '冰溪街道办事处', intendedForestClass: '0305' });
    expect(upload).toMatchObject({ townshipCode: m.township, applicant: '冰溪街道办事处', intendedForestClass: '0305' });
    const view = (await injectAs(app, admin, `/api/v1/candidate-uploads/${upload.id}`)).json();
    expect(view.parcels[0]).toMatchObject({ townshipCode: m.township, applicant: '冰溪街道办事处', intendedForestClass: '0305', parcelNo: 'P0000' });
    const report = await getReport(app, admin, upload.id);
    expect(checkOf(report, 'P0000', 'jurisdiction').status).toBe('pass');
    await deleteCandidates(pool);
  });

  it('GeoJSON in EPSG:4490 (crs member) and RFC 7946 GeoJSON (no crs) are read as longitude/latitude, with the same area', async () => {
    const polygon = await jaggedParcel(mining[0]!.bsm);
    const ll: Polygon = {
      type: 'Polygon',
      coordinates: polygon.coordinates.map((r) => r.map((p) => (toLonLat.forward(p as [number, number]) as number[]).map((v) => Math.round(v * 1e10) / 1e10))),
    };
    const ref = round2(independentArea(polygon.coordinates));
    const dir = tempDir();
    const declared = await uploadCandidates(app, admin, writeGeoJson(dir, 'cgcs2000.geojson', [{ geometry: ll, properties: { DKBH: 'LL-4490', SQDW: '岩瑞镇人民政府' } }], { epsg: 4490 }));
    expect(declared.crs).toMatchObject({ epsg: 4490, kind: 'geographic', how: 'declared-epsg' });
    const r1 = await getReport(app, admin, declared.id);
    // Vertices 0.01 mm off after the round trip; edges straight in lon/lat instead of the plane: ≤ 0.01 m² here.
    expect(Math.abs(parcelByNo(r1, 'LL-4490').areaOfRecord!.m2 - ref)).toBeLessThanOrEqual(0.01);
    expect(checkOf(r1, 'LL-4490', 'area').figures.zoneEpsg).toBe(GK39); // area in the zone of the parcel
    expect(parcelByNo(r1, 'LL-4490').applicant).toBe('岩瑞镇人民政府');
    await deleteCandidates(pool);

    const rfc = await uploadCandidates(app, admin, writeGeoJson(dir, 'rfc7946.geojson', [{ geometry: ll, properties: { DKBH: 'LL-RFC' } }]));
    expect(rfc.crs).toMatchObject({ epsg: 4490, kind: 'geographic' });
    const r2 = await getReport(app, admin, rfc.id);
    expect(Math.abs(parcelByNo(r2, 'LL-RFC').areaOfRecord!.m2 - ref)).toBeLessThanOrEqual(0.01);
    await deleteCandidates(pool);
  });
});
