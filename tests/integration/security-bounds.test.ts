/**
 * One upload must not freeze the service (issue 8, item 6). The app listens on a real port and is
 * driven over HTTP while the worst inputs of the attack run — a 601-vertex star polygon (its repair
 * once held a PostgreSQL backend for 12 minutes), nine 100-vertex stars, a 60,000-vertex polygon:
 * each is refused 422 quickly, before any repair, and /health answers within a second throughout.
 * Also: a third concurrent upload of one user is 429; an exhausted pool is 503 database-busy; a
 * statement past the timeout is 503; survey imports reject (never repair) such polygons.
 */
import http from 'node:http';
import { mkdtempSync, openAsBlob, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import gdal from 'gdal-async';
import type { MultiPolygon, Polygon, Position } from 'geojson';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createPool } from '../../src/db/pool.js';
import { geometryWorkers } from '../../src/workers/geometry.js';
import { createTestUser, type TestUser, testAdmin } from '../helpers/auth.js';
import { COUNTY, deleteCandidates, tempDir, uploadCount, writeGeoJson } from '../helpers/candidates.js';
import { resetCounty, testDatabaseUrl, testPool } from '../helpers/db.js';
import { shapefileZip } from '../helpers/fixture-variants.js';
import { importAndWait } from '../helpers/imports.js';
import { injectAs } from '../helpers/http.js';

const pool = testPool();
let appPool: pg.Pool;
let app: App;
let base: string;
let dir: string;
const users: TestUser[] = [];

const LON = 118.25;
const LAT = 28.68;

/** A {n/k} star around Yushan: n vertices on a circle, each joined to the one k steps on (every edge crosses most others). */
function star(n: number, cx = LON, cy = LAT, r = 0.005, k = Math.floor((n - 1) / 2)): Polygon {
  const ring: Position[] = Array.from({ length: n }, (_, i) => [cx + r * Math.cos((2 * Math.PI * i * k) / n), cy + r * Math.sin((2 * Math.PI * i * k) / n)]);
  return { type: 'Polygon', coordinates: [[...ring, ring[0]!]] };
}
function circle(n: number, cx = LON, cy = LAT, r = 0.005): Polygon {
  const ring: Position[] = Array.from({ length: n }, (_, i) => [cx + r * Math.cos((2 * Math.PI * i) / n), cy + r * Math.sin((2 * Math.PI * i) / n)]);
  return { type: 'Polygon', coordinates: [[...ring, ring[0]!]] };
}
const square = (lon = LON, lat = LAT, d = 0.0005): Polygon => ({
  type: 'Polygon',
  coordinates: [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]],
});

async function newApp(config: Partial<Config>, appPoolOf: pg.Pool): Promise<{ app: App; base: string }> {
  const a = await buildApp({ config: { ...loadConfig({ DATABASE_URL: testDatabaseUrl() }), workDir: mkdtempSync(join(tmpdir(), 'zhanbu-bounds-')), ...config }, pool: appPoolOf });
  await a.listen({ host: '127.0.0.1', port: 0 });
  return { app: a, base: `http://127.0.0.1:${(a.server.address() as AddressInfo).port}` };
}

/** POSTs a candidate upload over HTTP (no checks: the bounds come before them). */
/** The fields of an upload's answer (the upload, or a problem) that these tests read. */
interface UploadAnswer {
  code: string;
  detail: string;
  parcels: { parcelNo: string }[];
  errors: string[];
}

async function upload(user: TestUser, file: string, url = base) {
  const form = new FormData();
  form.set('county', COUNTY);
  form.set('runChecks', 'false');
  // A file-backed Blob, read as it is sent: a 35 MB readFileSync would block the event loop this
  // test shares with the server, and count against the server's /health times.
  form.set('file', await openAsBlob(file), basename(file));
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/candidate-uploads`, { method: 'POST', body: form, headers: user.headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as UploadAnswer, ms: performance.now() - t0 };
}

/**
 * Polls /health until stopped; each answer's time. The client shares the server's event loop, so
 * a time is counted from when the request was due (50 ms after the last answer), not from when
 * the client got to send it: a loop blocked between two polls delays the next one and counts.
 */
function pollHealth(url = base) {
  const times: number[] = [];
  let running = true;
  const done = (async () => {
    let due = performance.now();
    while (running) {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) });
      await res.text();
      const end = performance.now();
      times.push(end - due);
      due = end + 50;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return times;
    },
  };
}

/** POSTs a survey import over HTTP (the layer of a shapefile zip, for COUNTY). */
async function importOver(user: TestUser, file: string, url = base) {
  const form = new FormData();
  form.set('layer', 'dltb');
  form.set('county', COUNTY);
  form.set('year', '2019');
  form.set('file', await openAsBlob(file), basename(file));
  const res = await fetch(`${url}/api/v1/imports`, { method: 'POST', body: form, headers: user.headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as UploadAnswer & { duplicate?: boolean } };
}

/** Starts a multipart upload, sends its headers and the start of the body, and holds it open. */
function heldUpload(user: TestUser, url = base, path = '/api/v1/candidate-uploads') {
  const boundary = '----zhanbuheld';
  const req = http.request(`${url}${path}`, {
    method: 'POST',
    headers: { ...user.headers, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': '100000' },
  });
  const answered = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
  });
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="county"\r\n\r\n${COUNTY}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.geojson"\r\n\r\n{"type":`);
  return { answered, abort: () => req.destroy() };
}

const makeValidRunning = async () =>
  (
    await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE '%MakeValid%'`,
    )
  ).rows[0]!.n;

beforeAll(async () => {
  await deleteCandidates(pool);
  appPool = createPool(testDatabaseUrl(), 10, { acquireTimeoutMs: 5000 });
  ({ app, base } = await newApp({}, appPool));
  // The service starts its geometry threads at start-up; wait for them as a running service would have.
  await geometryWorkers(loadConfig()).warm();
  for (let i = 0; i < 4; i++) users.push(await createTestUser(pool, 'county-forestry', COUNTY));
  dir = tempDir('zhanbu-bounds-files-');
});
afterAll(async () => {
  await app?.close();
  await appPool?.end();
  await deleteCandidates(pool);
  if (users.length) await pool.query('DELETE FROM auth.app_user WHERE id = ANY($1::uuid[])', [users.map((u) => u.id)]);
  await pool.end();
});

describe('pathological geometry is refused before any repair, and the service keeps answering', () => {
  it('a 601-vertex star is refused 422 geometry-too-complex, naming the parcel, within 3 s (an unbounded repair of it ran for minutes)', async () => {
    const file = writeGeoJson(dir, 'star601.geojson', [{ geometry: star(601), properties: { DKBH: 'STAR601' } }]);
    const r = await upload(users[0]!, file);
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ code: 'geometry-too-complex', parcels: [{ parcelNo: 'STAR601', code: 'geometry-too-complex' }] });
    expect(r.body.detail).toContain('STAR601');
    // Receiving, opening and staging the file included; generous for a loaded CI machine (~0.2 s alone).
    expect(r.ms).toBeLessThan(3000);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('an upload whose parcels together pass the per-upload vertex limit is refused 422 upload-too-many-vertices; nothing is stored', async () => {
    const small = await newApp({ maxUploadVertices: 200 }, appPool);
    try {
      // Three 100-vertex circles (101 points with the closing one): each well within a parcel's limit, 303 together.
      const three = Array.from({ length: 3 }, (_, i) => ({ geometry: circle(100, LON + 0.002 * i, LAT, 0.0008), properties: { DKBH: `V${i}` } }));
      const r = await upload(users[0]!, writeGeoJson(dir, 'three-circles.geojson', three), small.base);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(r.body).toMatchObject({ code: 'upload-too-many-vertices', vertices: 303, limit: 200 });
      expect(r.body.detail).toMatch(/303.*200/);
      expect(await uploadCount(pool)).toBe(0);
      // One of them alone is within the limit.
      const one = await upload(users[0]!, writeGeoJson(dir, 'one-circle.geojson', three.slice(0, 1)), small.base);
      expect(one.status, JSON.stringify(one.body)).toBe(201);
    } finally {
      await small.app.close();
      await deleteCandidates(pool);
    }
  });

  it('a MultiPolygon with more parts than a parcel may have is refused 422 geometry-too-many-parts, naming the parcel; nothing is stored', async () => {
    const limit = loadConfig().maxParcelParts;
    // limit + 1 small squares side by side in a grid (no part touches another).
    const parts: MultiPolygon = {
      type: 'MultiPolygon',
      coordinates: Array.from({ length: limit + 1 }, (_, i) => square(LON + 0.0002 * (i % 40), LAT + 0.0002 * Math.floor(i / 40), 0.0001).coordinates),
    };
    const r = await upload(users[0]!, writeGeoJson(dir, 'many-parts.geojson', [{ geometry: parts, properties: { DKBH: 'PARTS' } }]));
    expect(r.status, JSON.stringify(r.body)).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ code: 'geometry-too-many-parts', parcels: [{ parcelNo: 'PARTS', code: 'geometry-too-many-parts' }] });
    expect(r.body.detail).toContain(`${limit + 1}个部分`);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('/health answers within 1 s each time (not stalled) while the 601-vertex star, nine 100-vertex stars and a 60,000-vertex polygon are uploaded', async () => {
    const files = {
      star601: writeGeoJson(dir, 'star601b.geojson', [{ geometry: star(601, LON + 0.01), properties: { DKBH: 'S601' } }]),
      nine: writeGeoJson(
        dir,
        'nine-stars.geojson',
        Array.from({ length: 9 }, (_, i) => ({ geometry: star(100, LON + 0.02 * i, LAT + 0.03), properties: { DKBH: `S100-${i}` } })),
      ),
      big: writeGeoJson(dir, 'big60k.geojson', [{ geometry: circle(60_000), properties: { DKBH: 'BIG' } }]),
    };
    const health = pollHealth();
    await new Promise((r) => setTimeout(r, 200));
    const [a, b, c] = await Promise.all([upload(users[0]!, files.star601), upload(users[1]!, files.nine), upload(users[2]!, files.big)]);
    await new Promise((r) => setTimeout(r, 200));
    const times = await health.stop();

    expect(a).toMatchObject({ status: 422, body: { code: 'geometry-too-complex' } });
    expect(b).toMatchObject({ status: 422, body: { code: 'geometry-too-complex', refused: 9 } });
    expect(b.body.parcels.map((p: { parcelNo: string }) => p.parcelNo).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `S100-${i}`));
    expect(c).toMatchObject({ status: 422, body: { code: 'geometry-too-many-vertices', parcels: [{ parcelNo: 'BIG' }] } });
    for (const r of [a, b, c]) expect(r.ms).toBeLessThan(5000);
    expect(times.length).toBeGreaterThan(3);
    expect(Math.max(...times)).toBeLessThan(1000);
    // Nothing was handed to ST_MakeValid, and nothing was created.
    expect(await makeValidRunning()).toBe(0);
    expect(await uploadCount(pool)).toBe(0);
  });

  it('/health answers within 1 s each time (not stalled) while two ~35 MB GeoJSON uploads are parsed, validated and opened by GDAL', async () => {
    // 12,000 parcels of 75 vertices: past the parcel limit (413 once GDAL has counted them), so the
    // test covers receiving, the depth scan, the structural check and GDAL's open — the steps that
    // used to run on the request thread (~2 s of JSON.parse and validation, ~1 s of GDAL parsing) —
    // without staging 12,000 parcels. The second file is the same with its last ring left open.
    const feature = (i: number, open = false) => {
      const cx = LON + 0.001 * (i % 100);
      const cy = LAT + 0.001 * Math.floor(i / 100);
      const ring = circle(75, cx, cy, 0.0004).coordinates[0]!;
      return JSON.stringify({ type: 'Feature', properties: { DKBH: `L${i}` }, geometry: { type: 'Polygon', coordinates: [open ? ring.slice(0, -1) : ring] } });
    };
    const n = 12_000;
    const body = Array.from({ length: n - 1 }, (_, i) => feature(i)).join(',\n');
    const bigFile = join(dir, 'large.geojson');
    const brokenFile = join(dir, 'large-unclosed.geojson');
    writeFileSync(bigFile, `{"type":"FeatureCollection","features":[${body},\n${feature(n - 1)}]}`);
    writeFileSync(brokenFile, `{"type":"FeatureCollection","features":[${body},\n${feature(n - 1, true)}]}`);
    expect(statSync(bigFile).size).toBeGreaterThan(30 * 1024 ** 2);

    const health = pollHealth();
    await new Promise((r) => setTimeout(r, 200));
    const [big, broken] = await Promise.all([upload(users[0]!, bigFile), upload(users[1]!, brokenFile)]);
    await new Promise((r) => setTimeout(r, 200));
    const times = await health.stop();

    expect(big.status, JSON.stringify(big.body)).toBe(413);
    expect(big.body).toMatchObject({ code: 'too-many-parcels', parcels: n });
    // The structural check's answer is the same as on the request thread: code, count, the errors.
    expect(broken.status, JSON.stringify(broken.body)).toBe(422);
    expect(broken.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(broken.body.code).toBe('geojson-invalid');
    expect(broken.body.detail).toContain('共1处');
    expect(broken.body.errors.join(' ')).toMatch(/first and last positions/);
    expect(times.length).toBeGreaterThan(3);
    expect(Math.max(...times)).toBeLessThan(1000);
    expect(await uploadCount(pool)).toBe(0);
  }, 30_000);

  it('a few self-intersections (a bow-tie) are still accepted: the geometry check reports them', async () => {
    const bowtie: Polygon = { type: 'Polygon', coordinates: [[[LON, LAT], [LON + 0.0005, LAT + 0.0005], [LON + 0.0005, LAT], [LON, LAT + 0.0005], [LON, LAT]]] };
    const r = await upload(users[0]!, writeGeoJson(dir, 'bowtie.geojson', [{ geometry: bowtie, properties: { DKBH: 'BOWTIE' } }]));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    await deleteCandidates(pool);
  });

  it('a third concurrent upload by the same user is 429 with Retry-After; the slots come back when uploads end', async () => {
    const user = users[3]!;
    const held = [heldUpload(user), heldUpload(user)];
    // The slot is taken when the handler starts, before the body is read: give the two time to get there.
    await new Promise((r) => setTimeout(r, 500));
    const third = await upload(user, writeGeoJson(dir, 'third.geojson', [{ geometry: square(), properties: { DKBH: 'THIRD' } }]));
    expect(third.status, JSON.stringify(third.body)).toBe(429);
    expect(third.body.code).toBe('too-many-concurrent-requests');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user is not affected.
    const other = await upload(users[0]!, writeGeoJson(dir, 'other.geojson', [{ geometry: square(LON + 0.001), properties: { DKBH: 'OTHER' } }]));
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    for (const h of held) h.abort();
    await Promise.all(held.map((h) => h.answered));
    await new Promise((r) => setTimeout(r, 200));
    const after = await upload(user, writeGeoJson(dir, 'after.geojson', [{ geometry: square(LON + 0.002), properties: { DKBH: 'AFTER' } }]));
    expect(after.status, JSON.stringify(after.body)).toBe(201);
    await deleteCandidates(pool);
  });

  it('survey imports too: a third concurrent import by the same user is 429 before its body is read; the slots come back when imports end', async () => {
    await resetCounty(pool, COUNTY);
    const user = users[3]!;
    const file = shapefileZip({ limit: 5 });
    // Two imports of up to 2 GiB each, held open mid-body.
    const held = [heldUpload(user, base, '/api/v1/imports'), heldUpload(user, base, '/api/v1/imports')];
    const release = async () => {
      for (const h of held) h.abort();
      await Promise.all(held.map((h) => h.answered));
      await app.imports.idle();
    };
    try {
      await new Promise((r) => setTimeout(r, 500));
      const third = await importOver(user, file);
      expect(third.status, JSON.stringify(third.body)).toBe(429);
      expect(third.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(third.body.code).toBe('too-many-concurrent-requests');
      expect(third.body.detail).toMatch(/图层导入.*上限\d+个/);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      // Another user is not affected.
      const other = await importOver(users[0]!, file);
      expect(other.status, JSON.stringify(other.body)).toBe(202);
      await release();
      await new Promise((r) => setTimeout(r, 200));
      // The slots are back: the same file is now read and found to be the import just made.
      const after = await importOver(user, file);
      expect(after.status, JSON.stringify(after.body)).toBe(200);
      expect(after.body.duplicate).toBe(true);
    } finally {
      // Held requests left open would keep the server from closing.
      await release();
      await resetCounty(pool, COUNTY);
    }
  });
});

describe('database bounds', () => {
  it('all connections busy past the acquisition timeout: 503 database-busy with Retry-After', async () => {
    // Two connections: the import service keeps one for its worker lock, the test takes the other.
    const small = createPool(testDatabaseUrl(), 2, { acquireTimeoutMs: 300 });
    const busy = await newApp({}, small);
    // Take the last free connection (the app's start-up reads may hold it a moment).
    let hold: pg.PoolClient | undefined;
    for (let i = 0; !hold && i < 50; i++) hold = await small.connect().catch(() => undefined);
    if (!hold) throw new Error('could not take the connection');
    try {
      const t0 = performance.now();
      const res = await fetch(`${busy.base}/api/v1/candidate-uploads/00000000-0000-4000-8000-000000000000`, { headers: users[0]!.headers });
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status, JSON.stringify(body)).toBe(503);
      expect(body.code).toBe('database-busy');
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(performance.now() - t0).toBeLessThan(3000);
    } finally {
      hold.release();
      await busy.app.close();
      await small.end();
    }
  });

  it('an upload statement past the statement timeout: 503 database-timeout, nothing created', async () => {
    const timed = await newApp({ checkStatementTimeoutMs: 1 }, appPool);
    try {
      const many = Array.from({ length: 300 }, (_, i) => ({ geometry: circle(400, LON + 0.002 * (i % 20), LAT + 0.002 * Math.floor(i / 20), 0.0008), properties: { DKBH: `T${i}` } }));
      const r = await upload(users[0]!, writeGeoJson(dir, 'slow.geojson', many), timed.base);
      expect(r.status, JSON.stringify(r.body)).toBe(503);
      expect(r.body.code).toBe('database-timeout');
      expect(await uploadCount(pool)).toBe(0);
    } finally {
      await timed.app.close();
    }
  });
});

describe('survey imports with repairGeometry', () => {
  it('a polygon crossing itself hundreds of times is rejected (geometry-too-complex), never repaired; ordinary defects are still repaired', async () => {
    await resetCounty(pool, COUNTY);
    const admin = await testAdmin(pool);
    const file = shapefileZip({
      limit: 20,
      mutateGeometry: (g, k) => {
        if (k !== 3 && k !== 5) return g;
        const e = g.getEnvelope();
        const cx = (e.minX + e.maxX) / 2;
        const cy = (e.minY + e.maxY) / 2;
        const r = Math.min(e.maxX - e.minX, e.maxY - e.minY) / 2;
        if (k === 5) {
          // A bow-tie: one crossing, repaired as before.
          return gdal.Geometry.fromGeoJson({ type: 'Polygon', coordinates: [[[e.minX, e.minY], [e.maxX, e.maxY], [e.maxX, e.minY], [e.minX, e.maxY], [e.minX, e.minY]]] });
        }
        const s = star(601, cx, cy, r);
        return gdal.Geometry.fromGeoJson(s);
      },
    });
    const t0 = performance.now();
    const { job } = await importAndWait(app, admin, { file, fields: { repairGeometry: true, onRejects: 'keep' } });
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(job, JSON.stringify(job)).toMatchObject({ state: 'succeeded', counts: { imported: 19, rejected: 1, repaired: 1 } });
    const rej = (await injectAs(app, admin, `/api/v1/imports/${job.id}/rejects`)).json();
    expect(rej.items).toHaveLength(1);
    expect(rej.items[0].reasons.map((x: { code: string }) => x.code)).toContain('geometry-too-complex');
    expect(await makeValidRunning()).toBe(0);
    await resetCounty(pool, COUNTY);
  });
});
