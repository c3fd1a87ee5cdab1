/**
 * bench/import — the layer import against ogr2ogr on the same file.
 *
 * Generates (once, cached in bench/.data) a 200,000-polygon 三调 DLTB county as a zipped GBK
 * shapefile set, imports it with zhanbu's CLI (full validation, transform to EPSG:4490,
 * partition swap), then loads the same zip with `ogr2ogr -f PostgreSQL` (its defaults) into a
 * scratch table, and prints both throughputs, the ratio and peak RSS side by side.
 *
 *   npm run bench:import -- [--features 200000] [--runs 1]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_DATABASE_URL } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { gdalPgConnection } from '../src/gdal/stage.js';

const { values } = parseArgs({
  options: { features: { type: 'string', default: '200000' }, runs: { type: 'string', default: '1' } },
});
const features = Number(values.features);
const runs = Number(values.runs);
const root = new URL('..', import.meta.url).pathname;
const dataDir = join(root, 'bench/.data', `county-${features}`);
const zip = join(dataDir, 'dltb-2019.shp.zip');

const baseUrl = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
const benchUrl = new URL(baseUrl);
benchUrl.pathname = '/zhanbu_bench';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  // GNU time's %M is the peak resident set of the command, in KiB; %e the wall seconds.
  const r = spawnSync('/usr/bin/time', ['-f', 'BENCH_TIME %e %M', cmd, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /BENCH_TIME ([\d.]+) (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { seconds: Number(m[1]), peakRssMb: Number(m[2]) / 1024, stdout: r.stdout };
}

async function main() {
  if (!existsSync(zip)) {
    mkdirSync(dataDir, { recursive: true });
    console.log(`generating a ${features}-polygon county in ${dataDir} …`);
    const g = run(process.execPath, ['--import', 'tsx', 'src/fixtures/cli.ts', '--out', dataDir, '--features', String(features), '--formats', 'shp']);
    console.log(`  generated in ${g.seconds.toFixed(1)} s (peak RSS ${g.peakRssMb.toFixed(0)} MB)`);
  }
  const zipMb = statSync(zip).size / 1024 ** 2;

  // A database of its own, so the benchmark never touches demo or test data.
  const admin = new pg.Client({ connectionString: new URL('/postgres', baseUrl).toString() });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', ['zhanbu_bench']);
  if (!exists.rowCount) await admin.query('CREATE DATABASE zhanbu_bench');
  await admin.end();
  const pool = new pg.Pool({ connectionString: benchUrl.toString(), max: 2 });
  await pool.query('CREATE EXTENSION IF NOT EXISTS postgis');
  await migrate(pool);

  const rows: { run: number; ours: ReturnType<typeof run>; ogr: ReturnType<typeof run>; timings: Record<string, number>; imported: number }[] = [];
  for (let i = 1; i <= runs; i++) {
    // Start from an empty county each run, or the import would (rightly) see a duplicate.
    await pool.query('DROP TABLE IF EXISTS survey.dltb_361123 CASCADE');
    await pool.query("DELETE FROM public.import_job WHERE county_code = '361123'");
    const ours = run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/import.ts', '--layer', 'dltb', '--county', '361123', '--year', '2019', '--file', zip, '--json'],
      { DATABASE_URL: benchUrl.toString() },
    );
    const job = JSON.parse(ours.stdout.slice(ours.stdout.indexOf('{'))) as {
      state: string;
      error?: unknown;
      timingsMs?: Record<string, number>;
      counts: { imported: number };
    };
    if (job.state !== 'succeeded') throw new Error(`import did not succeed: ${JSON.stringify(job.error)}`);
    await pool.query('DROP TABLE IF EXISTS public.bench_ogr2ogr_scratch');
    const ogr = run('ogr2ogr', ['-f', 'PostgreSQL', gdalPgConnection(benchUrl.toString()), `/vsizip/${zip}`, '-nln', 'bench_ogr2ogr_scratch', '-overwrite']);
    rows.push({ run: i, ours, ogr, timings: job.timingsMs ?? {}, imported: job.counts.imported });
  }
  const { rows: cnt } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM public.bench_ogr2ogr_scratch');
  await pool.query('DROP TABLE IF EXISTS public.bench_ogr2ogr_scratch');
  await pool.end();

  console.log(`\nbench/import — ${features} DLTB polygons, zipped GBK shapefile ${zipMb.toFixed(1)} MB, EPSG:4527 (zone 39, prefixed)`);
  console.log('run | zhanbu import s | zhanbu f/s | ogr2ogr s | ogr2ogr f/s | ratio | zhanbu peak RSS MB | ogr2ogr peak RSS MB | zhanbu phases (load / validate / write, ms)');
  for (const r of rows) {
    const fOurs = r.imported / r.ours.seconds;
    const fOgr = cnt[0]!.n / r.ogr.seconds;
    console.log(
      `${r.run} | ${r.ours.seconds.toFixed(2)} | ${fOurs.toFixed(0)} | ${r.ogr.seconds.toFixed(2)} | ${fOgr.toFixed(0)} | ${(fOurs / fOgr).toFixed(2)} | ${r.ours.peakRssMb.toFixed(0)} | ${r.ogr.peakRssMb.toFixed(0)} | ${r.timings.loading ?? '?'} / ${r.timings.validating ?? '?'} / ${r.timings.writing ?? '?'}`,
    );
  }
  console.log('ratio = zhanbu features/s ÷ ogr2ogr features/s, both end to end on the same zip (target ≥ 1.0); zhanbu peak RSS target < 300 MB.');
  console.log('zhanbu also validates every feature (DLBM, QSDWDM/ZLDWDM, QSXZ, OGC validity), transforms to EPSG:4490 and builds the GiST index; ogr2ogr only copies.');
}

await main();
