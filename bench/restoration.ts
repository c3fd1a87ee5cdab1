/**
 * bench/restoration — restorable mining land on the 200,000-polygon county, measured with an
 * HTTP load tool (autocannon) against the running service, beside two baselines measured the
 * same way in the same run: GET /health (the HTTP + one-query floor) and the plain PostGIS
 * statement behind the totals, timed directly.
 *
 *   npm run bench:restoration -- [--duration 10] [--connections 4]
 * Targets: county totals p95 < 200 ms; a 1,000-feature GeoJSON page p95 < 500 ms.
 * autocannon reports p90 and p97.5, not p95; p97.5 is printed as the (stricter) bound on p95.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { DEFAULT_DATABASE_URL } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { hashToken } from '../src/auth/tokens.js';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '4' } } });
const root = new URL('..', import.meta.url).pathname;
const dataDir = join(root, 'bench/.data/county-200000');
const baseUrl = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
const benchUrl = new URL(baseUrl);
benchUrl.pathname = '/zhanbu_bench';
const PORT = 3917;
const COUNTY = '361123';

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
}

async function ensureData(pool: pg.Pool) {
  if (!existsSync(join(dataDir, 'dltb-2019.shp.zip'))) {
    mkdirSync(dataDir, { recursive: true });
    console.log('generating the 200,000-polygon county …');
    sh(process.execPath, ['--import', 'tsx', 'src/fixtures/cli.ts', '--out', dataDir, '--features', '200000', '--formats', 'shp', '--quiet']);
  }
  for (const [layer, year, file] of [['dltb', 2019, 'dltb-2019.shp.zip'], ['xzq', 2019, 'xzq.shp.zip']] as const) {
    const { rowCount } = await pool.query(
      `SELECT 1 FROM public.import_job WHERE layer = $1 AND county_code = $2 AND survey_year = $3 AND state = 'succeeded' AND superseded_by IS NULL AND feature_count >= $4`,
      [layer, COUNTY, year, layer === 'dltb' ? 200000 : 1],
    );
    if (!rowCount) {
      console.log(`importing ${layer} ${year} …`);
      sh(process.execPath, ['--import', 'tsx', 'src/cli/import.ts', '--layer', layer, '--county', COUNTY, '--year', String(year), '--file', join(dataDir, file), '--replace'], {
        DATABASE_URL: benchUrl.toString(),
      });
    }
  }
}

// Every /api/ request is authenticated: the benchmark signs in as a county forestry user.
const TOKEN = 'zb_bench_restoration_000000000000000000000000000000';
async function ensureBenchUser(pool: pg.Pool) {
  await pool.query(
    `INSERT INTO auth.app_user (login, display_name, role, admin_code) VALUES ('bench-restoration', '基准测试：玉山县林业局', 'county-forestry', $1)
     ON CONFLICT (login) DO NOTHING`,
    [COUNTY],
  );
  await pool.query(
    `INSERT INTO auth.api_token (user_id, token_sha256, label) SELECT id, $1, 'bench' FROM auth.app_user WHERE login = 'bench-restoration'
     ON CONFLICT (token_sha256) DO NOTHING`,
    [hashToken(TOKEN)],
  );
}

async function load(path: string) {
  const r = await autocannon({
    url: `http://127.0.0.1:${PORT}${path}`,
    headers: { authorization: `Bearer ${TOKEN}` },
    connections: Number(values.connections),
    duration: Number(values.duration),
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${path}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p90: r.latency.p90, p97_5: r.latency.p97_5, p99: r.latency.p99, bytes: r.throughput.average };
}

async function main() {
  const admin = new pg.Client({ connectionString: new URL('/postgres', baseUrl).toString() });
  await admin.connect();
  if (!(await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'zhanbu_bench'`)).rowCount) await admin.query('CREATE DATABASE zhanbu_bench');
  await admin.end();
  const pool = new pg.Pool({ connectionString: benchUrl.toString(), max: 2 });
  await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
  await migrate(pool);
  await ensureData(pool);
  await ensureBenchUser(pool);
  const { rows: cnt } = await pool.query<{ n: number; mining: number }>(`SELECT count(*)::int AS n, count(*) FILTER (WHERE dlbm = '0602')::int AS mining FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019`, [COUNTY]);

  // The plain SQL behind the totals, timed directly (median of 20).
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await pool.query(`SELECT left(zldwdm, 9), count(*), sum(tbmj) FROM survey.dltb WHERE county_code = $1 AND survey_year = 2019 AND dlbm = '0602' GROUP BY 1`, [COUNTY]);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const sqlMedian = times[10]!;

  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: benchUrl.toString(), PORT: String(PORT), HOST: '127.0.0.1' },
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${PORT}/health`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const base = `/api/v1/counties/${COUNTY}/restorable-mining-land`;
    // Warm-up, then measure.
    await fetch(`http://127.0.0.1:${PORT}${base}/summary`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const health = await load('/health');
    const totals = await load(`${base}/summary`);
    const page = await load(`${base}?limit=1000`);
    const first = (await (await fetch(`http://127.0.0.1:${PORT}${base}?limit=1000`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      numberReturned: number;
    };

    console.log(`\nbench/restoration — county ${COUNTY}: ${cnt[0]!.n} DLTB polygons, ${cnt[0]!.mining} of them 0602; autocannon ${values.connections} connections × ${values.duration} s each`);
    console.log('request | requests | req/s | p50 ms | p90 ms | p97.5 ms (≥ p95) | p99 ms | target p95');
    for (const [label, r, target] of [
      ['GET /health (baseline: HTTP + one query)', health, '—'],
      ['county totals by township', totals, '< 200 ms'],
      [`GeoJSON page (${first.numberReturned} features)`, page, '< 500 ms'],
    ] as const) {
      console.log(`${label} | ${r.requests} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p90} | ${r.p97_5} | ${r.p99} | ${target}`);
    }
    console.log(`plain SQL behind the totals (direct, median of 20): ${sqlMedian.toFixed(1)} ms`);
  } finally {
    server.kill('SIGTERM');
    await pool.end();
  }
}

await main();
