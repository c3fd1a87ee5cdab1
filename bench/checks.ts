/**
 * bench/checks — the candidate-parcel checks against one plain PostGIS overlay.
 *
 * Uses the 200,000-polygon county of bench/import (bench/.data/county-200000, generated once with
 * the fixture CLI: DLTB 2019 and 2023, the 2023 one-map 小班, XZQ) in database zhanbu_bench;
 * imports whichever of the four layers is missing there. Then builds 1,000 candidate parcels
 * from the data with SQL (0602 polygons shrunk 0.5 m, 0602 polygons joined with a neighbour, and
 * polygons of other classes spread over the county), writes them as a GeoJSON file, uploads it
 * through the HTTP API (runChecks=false) and times:
 *
 *   - runChecks on the upload: all eight checks, set-based over the 1,000 parcels (changeYear 2023);
 *   - the baseline: one statement that intersects the same parcels with DLTB 2019 and sums the
 *     geodesic areas of the pieces;
 *   - runChecks on 50 single-parcel uploads, for the latency of checking one parcel (p50/p95).
 *
 * Every SQL statement runChecks issues is timed (through an instrumented pool) and printed as a
 * breakdown; what is not SQL is the evaluation in JavaScript (areas of record of the pieces, etc.).
 *
 *   npx tsx bench/checks.ts [--parcels 1000] [--singles 50] [--repeat 3] [--features 200000] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildApp, type App } from '../src/app.js';
import { ensureUser, issueToken, revokeTokens } from '../src/auth/repository.js';
import { runChecks } from '../src/candidates/checks.js';
import * as sql from '../src/candidates/checks-repository.js';
import { DEFAULT_DATABASE_URL, loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { multipart } from '../tests/helpers/multipart.js';

const { values } = parseArgs({
  options: {
    parcels: { type: 'string', default: '1000' },
    singles: { type: 'string', default: '50' },
    repeat: { type: 'string', default: '3' },
    features: { type: 'string', default: '200000' },
    keep: { type: 'boolean', default: false },
  },
});
const PARCELS = Number(values.parcels);
const SINGLES = Number(values.singles);
const REPEAT = Math.max(1, Number(values.repeat));
const FEATURES = Number(values.features);
const COUNTY = '361123';
const CHANGE_YEAR = 2023;

const root = new URL('..', import.meta.url).pathname;
const dataDir = join(root, 'bench/.data', `county-${FEATURES}`);
const LAYERS = [
  { layer: 'dltb', year: 2019, file: 'dltb-2019.shp.zip' },
  { layer: 'dltb', year: 2023, file: 'dltb-2023.shp.zip' },
  { layer: 'ldxb', year: 2023, file: 'ldxb-2023.shp.zip' },
  { layer: 'xzq', year: 2019, file: 'xzq.shp.zip' },
] as const;

const baseUrl = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
const benchUrl = new URL(baseUrl);
benchUrl.pathname = '/zhanbu_bench';

const log = (m: string) => console.error(`[bench/checks] ${m}`);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

// ---------------------------------------------------------------- instrumented pool

interface QueryStat {
  calls: number;
  ms: number;
  rows: number;
  /** hrtime (ms) of the first start and the last end, to find the wall time of concurrent phases. */
  start: number;
  end: number;
}
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** What a statement of runChecks is, from its text (checks-repository.ts and checks.ts). */
function label(text: string, params: unknown[] | undefined): string {
  if (/FROM candidate\.upload WHERE id/.test(text)) return 'getUpload';
  if (/public\.import_job/.test(text)) return 'layerVersions';
  if (/ST_IsValidDetail/.test(text)) return 'parcelGeometries';
  if (/SELECT id, parcel_no, declared_area_m2/.test(text)) return 'parcel attributes';
  if (/JOIN survey\.dltb/.test(text)) return `dltbPieces(${String(params?.[2])})`;
  if (/JOIN survey\.ldxb/.test(text)) return `ldxbPieces(${String(params?.[2])})`;
  if (/survey\.xzq/.test(text)) return 'jurisdiction';
  if (/JOIN candidate\.parcel o/.test(text)) return 'candidateOverlaps';
  if (/FROM candidate\.check_parameter_set/.test(text)) return 'parameterSetInForce';
  if (/INSERT INTO candidate\.check_run/.test(text)) return 'insertRun';
  if (/INSERT INTO candidate\.check_result/.test(text)) return 'insertResults';
  if (/^\s*(BEGIN|COMMIT|ROLLBACK)/.test(text) || /SET finished_at/.test(text)) return 'transaction';
  return text.replace(/\s+/g, ' ').slice(0, 40);
}

/** A pool whose queries (and those of its clients) are timed into `stats`. */
function instrumented(pool: pg.Pool, stats: Map<string, QueryStat>): pg.Pool {
  const timed =
    (q: (...a: unknown[]) => Promise<pg.QueryResult>) =>
    async (...args: unknown[]) => {
      const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
      const key = label(text, args[1] as unknown[] | undefined);
      const start = now();
      const res = await q(...args);
      const end = now();
      const s = stats.get(key) ?? { calls: 0, ms: 0, rows: 0, start, end };
      s.calls++;
      s.ms += end - start;
      s.start = Math.min(s.start, start);
      s.end = Math.max(s.end, end);
      s.rows += res.rowCount ?? res.rows?.length ?? 0;
      stats.set(key, s);
      return res;
    };
  const wrapClient = (client: pg.PoolClient) =>
    new Proxy(client, {
      get(target, prop) {
        if (prop === 'query') return timed(target.query.bind(target) as never);
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') return timed(target.query.bind(target) as never);
      if (prop === 'connect') return async () => wrapClient(await target.connect());
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

// ---------------------------------------------------------------- data

async function ensureLayers(pool: pg.Pool) {
  if (LAYERS.some((l) => !existsSync(join(dataDir, l.file)))) {
    mkdirSync(dataDir, { recursive: true });
    log(`generating a ${FEATURES}-polygon county (all four layers) in ${dataDir} …`);
    run(process.execPath, ['--import', 'tsx', 'src/fixtures/cli.ts', '--out', dataDir, '--features', String(FEATURES), '--formats', 'shp']);
  }
  for (const l of LAYERS) {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT j.id FROM public.import_job j
        WHERE j.county_code = $1 AND j.layer = $2 AND j.survey_year = $3 AND j.state = 'succeeded' AND j.superseded_by IS NULL`,
      [COUNTY, l.layer, l.year],
    );
    const present =
      rows.length > 0 &&
      (await pool.query<{ e: boolean }>(`SELECT EXISTS (SELECT 1 FROM survey.${l.layer} WHERE county_code = $1 AND survey_year = $2) AS e`, [COUNTY, l.year])).rows[0]!.e;
    if (present) continue;
    log(`importing ${l.layer} ${l.year} from ${l.file} …`);
    const t0 = process.hrtime.bigint();
    run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/import.ts', '--layer', l.layer, '--county', COUNTY, '--year', String(l.year), '--file', join(dataDir, l.file), '--replace', '--json'],
      { DATABASE_URL: benchUrl.toString() },
    );
    log(`  imported in ${(ms(t0) / 1000).toFixed(1)} s`);
  }
}

/**
 * Candidate parcels as GeoJSON features in EPSG:4527: 0602 polygons shrunk 0.5 m (55%), 0602
 * polygons joined with a neighbour of another class (15%, they fail the source check), and
 * polygons of other classes anywhere in the county (30%, spread out). `exclude` keeps sets apart.
 */
async function candidateFeatures(pool: pg.Pool, n: number, seed: string, exclude: string[] = []) {
  const nMining = Math.round(n * 0.55);
  const nPairs = Math.round(n * 0.15);
  const { rows } = await pool.query<{ kind: string; bsm: string; township: string; geometry: { coordinates?: unknown[] } | null }>(
    `WITH d AS (SELECT bsm, dlbm, zldwdm, geom FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND NOT (bsm = ANY($6::text[]))),
     mining AS (SELECT * FROM d WHERE dlbm = '0602' ORDER BY md5(bsm || $5) LIMIT $2),
     pair_a AS (SELECT * FROM d WHERE dlbm = '0602' AND bsm NOT IN (SELECT bsm FROM mining) ORDER BY md5(bsm || $5) LIMIT $3),
     pairs AS (
       SELECT a.bsm, a.zldwdm, ST_Union(a.geom, n.geom) AS geom
         FROM pair_a a CROSS JOIN LATERAL (
           SELECT b.geom FROM survey.dltb b
            WHERE b.county_code = $1 AND b.survey_year = 2019 AND b.dlbm <> '0602' AND b.geom && a.geom AND ST_Intersects(b.geom, a.geom)
            ORDER BY b.bsm LIMIT 1) n),
     others AS (SELECT * FROM d WHERE dlbm <> '0602' ORDER BY md5(bsm || $5) LIMIT $4),
     chosen AS (
       SELECT 'M' AS kind, bsm, zldwdm, geom FROM mining
       UNION ALL SELECT 'S', bsm, zldwdm, geom FROM pairs
       UNION ALL SELECT 'O', bsm, zldwdm, geom FROM others)
     SELECT kind, bsm, left(zldwdm, 9) AS township,
            ST_AsGeoJSON(ST_RemoveRepeatedPoints(ST_Buffer(ST_Transform(geom, 4527), -0.5, 'join=mitre'), 0.01), 3)::json AS geometry
       FROM chosen`,
    // Some picks drop out (slivers that vanish when shrunk, 0602 polygons with no neighbour):
    // take more of the other classes and cut the list to n.
    [COUNTY, nMining, nPairs, Math.max(0, n - nMining - nPairs) + Math.ceil(n * 0.1) + 10, seed, exclude],
  );
  return rows
    .filter((r) => r.geometry && r.geometry.coordinates?.length)
    .slice(0, n)
    .map((r, i) => ({
      type: 'Feature',
      properties: { DKBH: `${seed}-${r.kind}-${String(i).padStart(4, '0')}`, XZDM: r.township, SQDW: '乡镇人民政府', BSM: r.bsm },
      geometry: r.geometry,
    }));
}

function writeCollection(dir: string, name: string, features: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4527' } }, features }));
  return path;
}

/** A bearer token of the county forestry bureau user the bench uploads as (made on first use). */
async function benchToken(pool: pg.Pool): Promise<string> {
  const user = await ensureUser(pool, { login: 'bench-checks', name: '基准测试（候选地块检查）', role: 'county-forestry', adminCode: COUNTY });
  await revokeTokens(pool, user.id, 'bench-checks');
  return issueToken(pool, user.id, { label: 'bench-checks' });
}

async function upload(app: App, token: string, path: string): Promise<{ id: string; parcelCount: number }> {
  const body = multipart({ county: COUNTY, runChecks: false }, { path });
  const res = await app.inject({ method: 'POST', url: '/api/v1/candidate-uploads', payload: body.payload, headers: { ...body.headers, authorization: `Bearer ${token}` } });
  if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

// ---------------------------------------------------------------- main

async function main() {
  const admin = new pg.Client({ connectionString: new URL('/postgres', baseUrl).toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['zhanbu_bench']);
  if (!exists.rowCount) await admin.query('CREATE DATABASE zhanbu_bench');
  await admin.end();
  // The service's own pool settings (jit=off), for the checks and the baseline alike.
  const pool = createPool(benchUrl.toString(), 4);
  await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
  await migrate(pool);
  await ensureLayers(pool);
  // Fresh partitions may not have statistics yet (the import does not ANALYZE); without them the
  // planner guesses 1 row per table. Autovacuum would get there; the bench does not wait for it.
  await pool.query('ANALYZE survey.dltb_361123');
  await pool.query('ANALYZE survey.ldxb_361123');
  await pool.query('ANALYZE survey.xzq_361123');

  const counts = (
    await pool.query<{ d19: number; d23: number; xb: number; xzq: number }>(
      `SELECT (SELECT count(*) FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019)::int AS d19,
              (SELECT count(*) FROM survey.dltb WHERE county_code = $1 AND survey_year = 2023)::int AS d23,
              (SELECT count(*) FROM survey.ldxb WHERE county_code = $1)::int AS xb,
              (SELECT count(*) FROM survey.xzq WHERE county_code = $1)::int AS xzq`,
      [COUNTY],
    )
  ).rows[0]!;

  await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [COUNTY]);
  const work = mkdtempSync(join(tmpdir(), 'zhanbu-bench-checks-'));
  const config = { ...loadConfig({ DATABASE_URL: benchUrl.toString() }), workDir: work, maxCandidateParcels: Math.max(10_000, PARCELS) };
  const app = await buildApp({ config, pool });

  // The set: PARCELS parcels in one upload.
  let t0 = process.hrtime.bigint();
  const features = await candidateFeatures(pool, PARCELS, 'B');
  const file = writeCollection(join(root, 'bench/.data'), `candidates-${PARCELS}.geojson`, features);
  const buildMs = ms(t0);
  t0 = process.hrtime.bigint();
  const token = await benchToken(pool);
  const set = await upload(app, token, file);
  const uploadMs = ms(t0);
  await pool.query('ANALYZE candidate.parcel');
  log(`${set.parcelCount} parcels built in ${buildMs.toFixed(0)} ms, uploaded (runChecks=false) in ${uploadMs.toFixed(0)} ms`);

  // Singles: SINGLES further parcels, one upload each.
  const singleFeatures = await candidateFeatures(pool, SINGLES, 'S', features.map((f) => f.properties.BSM));
  const singles: string[] = [];
  for (const f of singleFeatures) singles.push((await upload(app, token, writeCollection(work, `${f.properties.DKBH}.geojson`, [f]))).id);

  const baselineSql = `SELECT p.id, sum(ST_Area(ST_Intersection(p.geom, d.geom)::geography))
      FROM candidate.parcel p JOIN survey.dltb d ON d.county_code = '361123' AND d.survey_year = 2019 AND ST_Intersects(p.geom, d.geom)
     WHERE p.upload_id = $1 GROUP BY p.id`;
  // The baseline on the service's session settings (jit=off, like the checks), and in a session
  // with PostgreSQL's defaults, as someone would type it into psql (JIT compiles this statement).
  const defaultsPool = new pg.Pool({ connectionString: benchUrl.toString(), max: 1 });
  const baseline = async (p: pg.Pool = pool) => {
    const t = process.hrtime.bigint();
    await p.query(baselineSql, [set.id]);
    return ms(t);
  };
  const stats = new Map<string, QueryStat>();
  const timedPool = instrumented(pool, stats);
  const checks = async (uploadId: string, p: pg.Pool = pool) => {
    const t = process.hrtime.bigint();
    await runChecks(p, uploadId, { changeYear: CHANGE_YEAR, runBy: 'bench', bounds: config });
    return ms(t);
  };

  // Warm-up (caches, JIT of the JS), then alternate the two REPEAT times.
  log('warming up …');
  await baseline();
  await baseline(defaultsPool);
  await checks(set.id);
  const baselineMs: number[] = [];
  const defaultsMs: number[] = [];
  const checksMs: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    baselineMs.push(await baseline());
    defaultsMs.push(await baseline(defaultsPool));
    checksMs.push(await checks(set.id));
    log(`  run ${i + 1}: baseline ${baselineMs.at(-1)!.toFixed(0)} ms (JIT on: ${defaultsMs.at(-1)!.toFixed(0)} ms), runChecks ${checksMs.at(-1)!.toFixed(0)} ms`);
  }
  await defaultsPool.end();
  // One more, instrumented, for the breakdown; then each read alone.
  const instrumentedMs = await checks(set.id, timedPool);
  const soloReads: [string, () => Promise<unknown>][] = [
    ['parcelGeometries', () => sql.parcelGeometries(pool, set.id)],
    ['dltbPieces(2019)', () => sql.dltbPieces(pool, set.id, COUNTY, 2019)],
    ['dltbPieces(2023)', () => sql.dltbPieces(pool, set.id, COUNTY, 2023)],
    ['ldxbPieces(2023)', () => sql.ldxbPieces(pool, set.id, COUNTY, 2023)],
    ['jurisdiction', () => sql.jurisdiction(pool, set.id, COUNTY, 2019)],
    ['candidateOverlaps', () => sql.candidateOverlaps(pool, set.id)],
  ];
  const alone: string[] = [];
  for (const [k, fn] of soloReads) {
    const t = process.hrtime.bigint();
    await fn();
    alone.push(`${k} ${ms(t).toFixed(0)}`);
  }

  const singleMs: number[] = [];
  for (const id of singles) singleMs.push(await checks(id));

  await app.close();
  if (!values.keep) await pool.query('DELETE FROM candidate.upload WHERE county_code = $1', [COUNTY]);
  else log(`kept the uploads; the set is ${set.id}`);
  await pool.end();

  const b = median(baselineMs);
  const c = median(checksMs);
  const perSec = (set.parcelCount / c) * 1000;
  console.log(
    `\nbench/checks — ${set.parcelCount} candidate parcels in one upload, county ${COUNTY}: DLTB ${counts.d19} (2019) + ${counts.d23} (2023) polygons, ${counts.xb} 小班, ${counts.xzq} XZQ`,
  );
  console.log(`median of ${REPEAT} runs after a warm-up; machine: ${cpus().length} CPUs\n`);
  console.log('what | time | per parcel | parcels/s');
  console.log(`runChecks, all 8 checks, set-based (changeYear ${CHANGE_YEAR}) | ${c.toFixed(0)} ms | ${(c / set.parcelCount).toFixed(2)} ms (run time ÷ parcels) | ${perSec.toFixed(0)}`);
  const bj = median(defaultsMs);
  console.log(`baseline: one statement, parcels ∩ DLTB 2019, Σ geodesic area (jit=off, as the service) | ${b.toFixed(0)} ms | ${(b / set.parcelCount).toFixed(2)} ms | ${((set.parcelCount / b) * 1000).toFixed(0)}`);
  console.log(`the same baseline in a default session (JIT on) | ${bj.toFixed(0)} ms | ${(bj / set.parcelCount).toFixed(2)} ms | ${((set.parcelCount / bj) * 1000).toFixed(0)}`);
  console.log(
    `ratio runChecks ÷ baseline: ${(c / b).toFixed(2)} against jit=off, ${(c / bj).toFixed(2)} against the default session (target ≤ 3: ${c / b <= 3 ? 'met' : 'MISSED'} / ${c / bj <= 3 ? 'met' : 'MISSED'}); parcels/s target ≥ 100: ${perSec >= 100 ? 'met' : 'MISSED'}`,
  );
  console.log(
    `\nsingle-parcel uploads (${singleMs.length} uploads of one parcel, runChecks each): p50 ${quantile(singleMs, 0.5).toFixed(0)} ms, p95 ${quantile(singleMs, 0.95).toFixed(0)} ms, max ${Math.max(...singleMs).toFixed(0)} ms — the latency of checking one parcel`,
  );

  // runChecks reads everything at once (concurrent statements), evaluates in JavaScript, then
  // writes the run in one transaction: the phases are the wall times between those points.
  const reads = ['getUpload', 'layerVersions'];
  const writes = ['insertRun', 'insertResults', 'transaction'];
  const fetch = [...stats.entries()].filter(([k]) => !reads.includes(k) && !writes.includes(k));
  const fetchWall = Math.max(...fetch.map(([, s]) => s.end)) - Math.min(...fetch.map(([, s]) => s.start));
  const write = [...stats.entries()].filter(([k]) => writes.includes(k));
  const writeWall = Math.max(...write.map(([, s]) => s.end)) - Math.min(...write.map(([, s]) => s.start));
  const setupMs = reads.reduce((t, k) => t + (stats.get(k)?.ms ?? 0), 0);
  const jsMs = instrumentedMs - fetchWall - writeWall - setupMs;
  console.log(`\nbreakdown of one instrumented runChecks over the ${set.parcelCount} parcels (${instrumentedMs.toFixed(0)} ms):`);
  console.log('phase | wall ms | share');
  console.log(`upload and layer versions | ${setupMs.toFixed(0)} | ${((setupMs / instrumentedMs) * 100).toFixed(0)}%`);
  console.log(`reads: ${fetch.length} set-based statements at once | ${fetchWall.toFixed(0)} | ${((fetchWall / instrumentedMs) * 100).toFixed(0)}%`);
  console.log(`JavaScript: areas of record of pieces, grouping, kinks, messages, JSON | ${jsMs.toFixed(0)} | ${((jsMs / instrumentedMs) * 100).toFixed(0)}%`);
  console.log(`write: the run and its ${stats.get('insertResults')?.rows ?? 0} results, one transaction | ${writeWall.toFixed(0)} | ${((writeWall / instrumentedMs) * 100).toFixed(0)}%`);
  console.log('\nstatement | calls | ms (the reads overlap: each is its own elapsed time) | rows');
  for (const [k, s] of [...stats.entries()].sort((x, y) => y[1].ms - x[1].ms)) {
    console.log(`${k} | ${s.calls} | ${s.ms.toFixed(0)} | ${s.rows}`);
  }
  console.log(`\nthe same reads one at a time, ms: ${alone.join(' | ')}`);
}

await main();
