/**
 * bench/tiles — vector tiles and item pages of the OGC API on the 200,000-polygon county.
 *
 * A fixed list of ~300 tile addresses from z10 to z16 over the county (the same list every run:
 * every tile at z10–z13, a seeded sample at z14–z16) is fetched through the running service (HTTP,
 * bearer token, scoped transaction, collection lookup, ETag), and in the same run, tile by tile,
 * the same ST_AsMVT statement (src/ogc/repository.ts tileStatement) is executed directly with pg.
 * Then 1,000-feature item pages at seeded positions, and single features by BSM at seeded positions:
 * through the service, and the repository's statement (itemById) in the same user's scope directly
 * with pg. Prints p50/p95 of each and their ratio.
 *
 *   npm run bench:tiles -- [--features 200000] [--pages 40] [--items 200] [--zooms 10-16] [--client http|fetch]
 * Targets: ratio (service / direct) ≤ 1.2; tile p95 < 100 ms at z14; a 1,000-feature page p95 < 300 ms.
 * Requests are sequential (one at a time): this measures latency, not throughput. The tiles are fetched
 * with node:http on one kept-alive connection (`--client fetch`: the global fetch, undici, which itself
 * adds about 0.7 ms a request on this host): the direct side uses pg's lean client likewise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';
import pg from 'pg';
import { DEFAULT_DATABASE_URL } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { authUser, withScope } from '../src/auth/scope.js';
import { hashToken } from '../src/auth/tokens.js';
import { parseCrs, CRS84 } from '../src/ogc/crs.js';
import { itemById, tileStatement } from '../src/ogc/repository.js';

const { values } = parseArgs({ options: { features: { type: 'string', default: '200000' }, pages: { type: 'string', default: '40' }, items: { type: 'string', default: '200' }, zooms: { type: 'string', default: '10-16' }, client: { type: 'string', default: 'http' } } });
// `--zooms 14-16`: only those zooms of the fixed list (the same tiles), for quick iterations.
const [minZoom, maxZoom] = values.zooms.split('-').map(Number) as [number, number];
const features = Number(values.features);
const root = new URL('..', import.meta.url).pathname;
const dataDir = join(root, 'bench/.data', `county-${features}`);
const baseUrl = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
const benchUrl = new URL(baseUrl);
benchUrl.pathname = '/zhanbu_bench_tiles';
const PORT = 3918;
const COUNTY = '361123';
const YEAR = 2019;
const COLLECTION = `dltb-${COUNTY}-${YEAR}`;
const TOKEN = 'zb_bench_tiles_00000000000000000000000000000000000';

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}

/** The service's own login on the bench database (it refuses to run as a superuser). */
function serviceUrl(): string {
  const u = new URL(benchUrl);
  u.username = 'zhanbu_service';
  const file = join(root, '.secrets/zhanbu_service.password');
  u.password = process.env.ZHANBU_SERVICE_PASSWORD ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');
  return u.toString();
}

async function ensureData(pool: pg.Pool) {
  if (!existsSync(join(dataDir, 'dltb-2019.shp.zip'))) {
    mkdirSync(dataDir, { recursive: true });
    console.log(`generating the ${features}-polygon county …`);
    sh(process.execPath, ['--import', 'tsx', 'src/fixtures/cli.ts', '--out', dataDir, '--features', String(features), '--formats', 'shp', '--quiet']);
  }
  const { rowCount } = await pool.query(
    `SELECT 1 FROM public.import_job WHERE layer = 'dltb' AND county_code = $1 AND survey_year = $2 AND state = 'succeeded' AND superseded_by IS NULL AND feature_count >= $3`,
    [COUNTY, YEAR, features],
  );
  if (!rowCount) {
    console.log('importing the DLTB …');
    sh(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', '--layer', 'dltb', '--county', COUNTY, '--year', String(YEAR), '--file', join(dataDir, 'dltb-2019.shp.zip'), '--replace'], {
      DATABASE_URL: benchUrl.toString(),
    });
  }
  await pool.query(
    `INSERT INTO auth.app_user (login, display_name, role, admin_code) VALUES ('bench-tiles', '基准测试：玉山县林业局', 'county-forestry', $1) ON CONFLICT (login) DO NOTHING`,
    [COUNTY],
  );
  await pool.query(
    `INSERT INTO auth.api_token (user_id, token_sha256, label) SELECT id, $1, 'bench' FROM auth.app_user WHERE login = 'bench-tiles' ON CONFLICT (token_sha256) DO NOTHING`,
    [hashToken(TOKEN)],
  );
}

/** A small seeded generator (mulberry32): the same sample every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tileX = (lon: number, z: number) => Math.floor(((lon + 180) / 360) * 2 ** z);
const tileY = (lat: number, z: number) => {
  const r = (lat * Math.PI) / 180;
  return Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z);
};

/** Every tile over the extent at z10–z13, then 60 seeded ones at each of z14–z16. */
function tileList(e: { x0: number; y0: number; x1: number; y1: number }): { z: number; x: number; y: number }[] {
  const next = random(12);
  const out: { z: number; x: number; y: number }[] = [];
  for (let z = 10; z <= 16; z++) {
    const [xa, xb, ya, yb] = [tileX(e.x0, z), tileX(e.x1, z), tileY(e.y1, z), tileY(e.y0, z)];
    const all: { z: number; x: number; y: number }[] = [];
    for (let x = xa; x <= xb; x++) for (let y = ya; y <= yb; y++) all.push({ z, x, y });
    if (z <= 13) out.push(...all);
    else for (let i = 0; i < 60; i++) out.push(all[Math.floor(next() * all.length)]!);
  }
  return out;
}

/** Features in a tile (decoded after the clock stopped), to check both ways made the same tile. */
const featureCount = (b: Buffer): number => (b.length ? (new VectorTile(new Pbf(b)).layers[COLLECTION]?.length ?? 0) : 0);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function main() {
  const admin = new pg.Client({ connectionString: new URL('/postgres', baseUrl).toString() });
  await admin.connect();
  if (!(await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'zhanbu_bench_tiles'`)).rowCount) await admin.query('CREATE DATABASE zhanbu_bench_tiles');
  await admin.end();
  const pool = new pg.Pool({ connectionString: benchUrl.toString(), max: 2 });
  await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
  await migrate(pool);
  await ensureData(pool);
  await pool.query('ANALYZE survey.dltb');
  const { rows: ext } = await pool.query<{ x0: number; y0: number; x1: number; y1: number; n: number; zone: number }>(
    `SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1, n, (SELECT (crs->>'epsg')::int FROM public.import_job WHERE layer = 'dltb' AND county_code = $1 AND survey_year = $2 AND state = 'succeeded' AND superseded_by IS NULL) AS zone
       FROM (SELECT ST_Extent(geom) e, count(*)::int n FROM survey.dltb WHERE county_code = $1 AND survey_year = $2) t`,
    [COUNTY, YEAR],
  );
  const e = ext[0]!;
  const loadAtStart = loadavg();
  const tiles = tileList(e).filter((t) => t.z >= minZoom && t.z <= (maxZoom ?? minZoom));
  // The direct runs use the service's login and the service's planner settings (jit off, no parallel workers: src/ogc/repository.ts).
  const direct = new pg.Pool({ connectionString: serviceUrl(), max: 1, options: '-c jit=off -c max_parallel_workers_per_gather=0' });

  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: serviceUrl(), PORT: String(PORT), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; i < 150; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const headers = { authorization: `Bearer ${TOKEN}` };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string): Promise<{ status: number; body: Buffer }> =>
      values.client === 'fetch'
        ? fetch(`http://127.0.0.1:${PORT}${path}`, { headers }).then(async (res) => ({ status: res.status, body: Buffer.from(await res.arrayBuffer()) }))
        : new Promise((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port: PORT, path, headers, agent }, (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
                res.on('error', reject);
              })
              .on('error', reject);
          });
    const viaService = async (t: { z: number; x: number; y: number }) => {
      const t0 = performance.now();
      const res = await get(`/ogc/collections/${COLLECTION}/tiles/WebMercatorQuad/${t.z}/${t.y}/${t.x}`);
      const ms = performance.now() - t0;
      if (res.status !== 200 && res.status !== 204) throw new Error(`tile ${t.z}/${t.x}/${t.y}: ${res.status}`);
      return { ms, bytes: res.body.byteLength, features: featureCount(res.body) };
    };
    const ref = { ref: { kind: 'dltb' as const, county: COUNTY, year: YEAR }, year: YEAR, zone: e.zone ?? 4527 };
    const viaPg = async (t: { z: number; x: number; y: number }) => {
      const t0 = performance.now();
      const r = await direct.query<{ mvt: Buffer }>(tileStatement(ref, COLLECTION, t.z, t.x, t.y));
      const ms = performance.now() - t0;
      const body = r.rows[0]?.mvt ?? Buffer.alloc(0);
      return { ms, bytes: body.length, features: featureCount(body) };
    };
    // Warm-up: one pass of each (the county's pages into shared buffers, the plans made).
    for (const t of tiles) {
      await viaPg(t);
      await viaService(t);
    }
    const byZoom = new Map<number, { svc: number[]; pg: number[]; bytes: number; features: number; mismatch: number }>();
    for (const t of tiles) {
      const d = await viaPg(t);
      const s = await viaService(t);
      const m = byZoom.get(t.z) ?? { svc: [], pg: [], bytes: 0, features: 0, mismatch: 0 };
      m.svc.push(s.ms);
      m.pg.push(d.ms);
      m.bytes += s.bytes;
      m.features += s.features;
      if (s.features !== d.features) m.mismatch++;
      byZoom.set(t.z, m);
    }
    // Item pages of 1,000 features at seeded positions, and the first page.
    const next = random(7);
    const { rows: fids } = await pool.query<{ max: string }>(`SELECT max(fid)::text AS max FROM survey.dltb WHERE county_code = $1 AND survey_year = $2`, [COUNTY, YEAR]);
    const maxFid = Number(fids[0]!.max);
    const pages: number[] = [];
    let pageBytes = 0;
    for (let i = 0; i < Number(values.pages) + 3; i++) {
      const after = i === 0 ? '' : `&after=${Math.floor(next() * (maxFid - 1000))}`;
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${PORT}/ogc/collections/${COLLECTION}/items?limit=1000${after}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`items: ${res.status} ${text.slice(0, 200)}`);
      if (i >= 3) pages.push(performance.now() - t0); // three warm-up pages
      pageBytes = text.length;
    }
    // 1,000-feature pages inside a bbox (about a z14 tile) at seeded places of the county.
    const boxed: number[] = [];
    for (let i = 0; i < 23; i++) {
      const x0 = e.x0 + next() * (e.x1 - e.x0 - 0.02);
      const y0 = e.y0 + next() * (e.y1 - e.y0 - 0.02);
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${PORT}/ogc/collections/${COLLECTION}/items?limit=1000&bbox=${x0},${y0},${x0 + 0.02},${y0 + 0.02}`, { headers });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`items bbox: ${res.status} ${text.slice(0, 200)}`);
      if (i >= 3) boxed.push(performance.now() - t0);
    }
    // Single features by BSM at seeded positions (a few warm-up), each through the service and then
    // the repository's statement in the same user's scope directly with pg.
    const { rows: userRows } = await pool.query<Parameters<typeof authUser>[0]>(`SELECT id, login, display_name, role, admin_code FROM auth.app_user WHERE login = 'bench-tiles'`);
    const user = authUser(userRows[0]!);
    const picks = Array.from({ length: Number(values.items) + 5 }, () => 1 + Math.floor(next() * maxFid));
    const { rows: bsmRows } = await pool.query<{ fid: string; id: string }>(
      `SELECT fid::text, coalesce(bsm, fid::text) AS id FROM survey.dltb WHERE county_code = $1 AND survey_year = $2 AND fid = ANY($3::bigint[])`,
      [COUNTY, YEAR, picks],
    );
    const idOf = new Map(bsmRows.map((r) => [Number(r.fid), r.id]));
    const crs84 = parseCrs(CRS84, e.zone ?? 4527)!;
    const item = { svc: [] as number[], pg: [] as number[], differ: 0 };
    for (const [i, fid] of picks.entries()) {
      const id = idOf.get(fid);
      if (id === undefined) continue;
      let t0 = performance.now();
      const res = await get(`/ogc/collections/${COLLECTION}/items/${encodeURIComponent(id)}`);
      const s = performance.now() - t0;
      if (res.status !== 200) throw new Error(`item ${id}: ${res.status} ${res.body.toString().slice(0, 200)}`);
      t0 = performance.now();
      const row = await withScope(direct, user, (tx) => itemById(tx, { ...ref, crs: crs84 }, id));
      const d = performance.now() - t0;
      if (i < 5) continue;
      item.svc.push(s);
      item.pg.push(d);
      if ((JSON.parse(res.body.toString()) as { id: string }).id !== row?.id) item.differ++;
    }

    console.log(`\nbench/tiles — ${COLLECTION}: ${e.n} polygons; ${tiles.length} tiles z${minZoom}–z${maxZoom ?? minZoom} (every tile at z10–13, 60 seeded at z14–16), sequential, after one warm-up pass; HTTP client: ${values.client === 'fetch' ? 'fetch' : 'node:http'}`);
    console.log('zoom | tiles | service p50 ms | service p95 ms | direct ST_AsMVT p50 ms | direct p95 ms | ratio p50 | ratio p95 | mean tile KiB | mean features | feature count differs');
    const all = { svc: [] as number[], pg: [] as number[] };
    for (const [z, m] of [...byZoom.entries()].sort((a, b) => a[0] - b[0])) {
      all.svc.push(...m.svc);
      all.pg.push(...m.pg);
      console.log(
        `z${z} | ${m.svc.length} | ${pct(m.svc, 50).toFixed(1)} | ${pct(m.svc, 95).toFixed(1)} | ${pct(m.pg, 50).toFixed(1)} | ${pct(m.pg, 95).toFixed(1)} | ${(pct(m.svc, 50) / pct(m.pg, 50)).toFixed(2)} | ${(pct(m.svc, 95) / pct(m.pg, 95)).toFixed(2)} | ${(m.bytes / m.svc.length / 1024).toFixed(1)} | ${Math.round(m.features / m.svc.length)} | ${m.mismatch}`,
      );
    }
    console.log(`all | ${all.svc.length} | ${pct(all.svc, 50).toFixed(1)} | ${pct(all.svc, 95).toFixed(1)} | ${pct(all.pg, 50).toFixed(1)} | ${pct(all.pg, 95).toFixed(1)} | ${(pct(all.svc, 50) / pct(all.pg, 50)).toFixed(2)} | ${(pct(all.svc, 95) / pct(all.pg, 95)).toFixed(2)} | | | `);
    console.log(`targets: ratio ≤ 1.2; z14 service p95 < 100 ms`);
    console.log(`items, limit=1000 (${pages.length} pages at seeded positions, ~${(pageBytes / 1024).toFixed(0)} KiB each): p50 ${pct(pages, 50).toFixed(1)} ms, p95 ${pct(pages, 95).toFixed(1)} ms (target p95 < 300 ms)`);
    console.log(`items, limit=1000 inside a 0.02° bbox (${boxed.length} places): p50 ${pct(boxed, 50).toFixed(1)} ms, p95 ${pct(boxed, 95).toFixed(1)} ms`);
    console.log(
      `one feature by BSM (${item.svc.length} at seeded positions): service p50 ${pct(item.svc, 50).toFixed(1)} ms, p95 ${pct(item.svc, 95).toFixed(1)} ms; itemById in the scope directly p50 ${pct(item.pg, 50).toFixed(1)} ms, p95 ${pct(item.pg, 95).toFixed(1)} ms; id differs ${item.differ}`,
    );
    console.log(`load average (1, 5, 15 min) at the start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}; at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    agent.destroy();
  } finally {
    server.kill('SIGTERM');
    await direct.end();
    await pool.end();
  }
}

await main();
