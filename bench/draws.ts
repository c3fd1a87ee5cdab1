/**
 * bench/draws — many simultaneous quota draws on one county, and what they do to everyone else.
 *
 * On its own database (default zhanbu_bench_draws on the server of DATABASE_URL, dropped and
 * re-created at each run) the app is started as the service runs it (its own pool of 10,
 * app.listen on 127.0.0.1:0) and driven over HTTP:
 *
 *   1. baseline: a client reads another county's quota account (GET /counties/361124/quota) in a
 *      loop, with nothing else running;
 *   2. storm: `--draws` draws (default 200) on county 361123 fired at once (Promise.all of fetch),
 *      while the same client keeps reading 361124; repeated `--rounds` times;
 *   3. overdraw: `--draws` draws that together ask for more than is left: exactly as many must
 *      succeed as the balance allows, the rest answer 409 quota-insufficient;
 *
 * and prints draw p50/p95/max, the unrelated read's p50/p95/max during the storms and at baseline,
 * and the final ledger check (sum drawn = what the successful answers add up to, balance ≥ 0,
 * one ledger entry per draw).
 *
 *   npm run bench:draws -- [--draws 200] [--rounds 3] [--db zhanbu_bench_draws] [--json]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { ensureUser, issueToken } from '../src/auth/repository.js';
import { DEFAULT_DATABASE_URL, loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';
import { seedReserve } from '../tests/helpers/procedure.js';

const { values } = parseArgs({
  options: {
    draws: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    db: { type: 'string', default: 'zhanbu_bench_draws' },
    json: { type: 'boolean', default: false },
  },
});
const DRAWS = Number(values.draws);
const ROUNDS = Math.max(1, Number(values.rounds));
const A = '361123'; // the county drawn on
const B = '361124'; // the unrelated county read meanwhile
// 333 333.33 m² of 2022 reserve = 499.999995 亩, all of it issued to the county for 2023.
const RESERVE_M2 = '333333.33';
const ISSUED_UMU = 499_999_995n;
// The storms together draw at most 60% of it in equal draws (0.5 亩 each for 3 rounds of 200): all
// fit. The overdraw round then asks for 1.5 × what is left, so about two thirds fit.
const STORM_UMU = [500_000n, (ISSUED_UMU * 6n) / 10n / BigInt(DRAWS * ROUNDS)].reduce((a, b) => (a < b ? a : b));

const log = (m: string) => console.error(`[bench/draws] ${m}`);
const now = () => performance.now();
const q = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const stats = (xs: number[]) => ({ n: xs.length, p50: q(xs, 0.5), p95: q(xs, 0.95), max: xs.length ? Math.max(...xs) : NaN });
const mu = (umu: bigint) => `${umu / 1_000_000n}.${String(umu % 1_000_000n).padStart(6, '0')}`;

async function freshDatabase(): Promise<string> {
  const base = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const url = new URL(base);
  url.pathname = `/${values.db}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${values.db!.replace(/"/g, '""')}" WITH (FORCE)`);
  await c.query(`CREATE DATABASE "${values.db!.replace(/"/g, '""')}"`);
  await c.end();
  const m = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migrate(m);
  await m.end();
  return url.toString();
}

/** Statements the app sends, by kind (to see how many transactions the draws took). */
const counts = new Map<string, number>();
function countStatements(pool: pg.Pool): pg.Pool {
  const kind = (text: string) =>
    /auth\.api_token/.test(text) ? 'token look-up' : /lock_balance|pg_advisory_xact_lock/.test(text) ? 'draw account lock' : /^\s*COMMIT/.test(text) ? 'commit' : undefined;
  const wrap = <T extends { query: (...a: any[]) => any }>(target: T, isPool: boolean): T =>
    new Proxy(target, {
      get(t, prop) {
        if (prop === 'query')
          return (...args: any[]) => {
            const k = kind(typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? ''));
            if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
            return (t.query as (...a: any[]) => any)(...args);
          };
        if (prop === 'connect' && isPool) return async () => wrap(await (t as unknown as pg.Pool).connect(), false);
        const v = Reflect.get(t, prop, t);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  return wrap(pool, true);
}
const snapshot = () => new Map(counts);
const delta = (before: Map<string, number>) => Object.fromEntries([...counts].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));

async function main() {
  const dbUrl = await freshDatabase();
  log(`database ${values.db} created and migrated`);
  const pool = countStatements(createPool(dbUrl)); // the service's pool: max 10
  const app = await buildApp({ config: { ...loadConfig({ DATABASE_URL: dbUrl }), workDir: `/tmp/zhanbu-bench-draws` }, pool });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  const tokenFor = async (login: string, role: 'province-admin' | 'county-forestry', code: string) =>
    issueToken(pool, (await ensureUser(pool, { login, name: login, role, adminCode: code })).id);
  const admin = await tokenFor('bench-admin', 'province-admin', '36');
  const drawer = await tokenFor('bench-361123', 'county-forestry', A);
  const reader = await tokenFor('bench-361124', 'county-forestry', B);
  await seedReserve(pool, A, 2022, [RESERVE_M2]);
  await seedReserve(pool, B, 2022, ['6666.67', '13333.33']);

  const call = async (token: string, method: string, path: string, body?: object) => {
    const t0 = now();
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as Record<string, any>;
    return { status: res.status, json, ms: now() - t0 };
  };
  const issued = await call(admin, 'POST', '/api/v1/quota/issuances', { reserveYear: 2022, issuedOn: '2023-01-10' });
  if (issued.status !== 201) throw new Error(`issuance answered ${issued.status}: ${JSON.stringify(issued.json)}`);

  const read = async () => {
    const r = await call(reader, 'GET', `/api/v1/counties/${B}/quota`);
    if (r.status !== 200) throw new Error(`read answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.ms;
  };
  /** Reads B one after the other until `until` resolves; latencies of the reads that started before. */
  const readWhile = async (until: Promise<unknown>) => {
    let done = false;
    void until.finally(() => (done = true));
    const out: number[] = [];
    while (!done) out.push(await read());
    return out;
  };

  // Warm up (connections, JIT of the JS, plans).
  for (let i = 0; i < 50; i++) await read();

  // 1. baseline: the read alone, as many reads as a storm would take.
  const baseline: number[] = [];
  for (let i = 0; i < 200; i++) baseline.push(await read());

  // Control: the same number of simultaneous requests that take no lock (reads of A's account), to
  // tell what the draws cost from what this many requests cost on this machine (HTTP, token look-up).
  // (The drawer's token used once first: 200 requests with a token unused for a minute all update its
  // last-use time at once, which is the token look-up's cost, not the draws'.)
  await call(drawer, 'GET', `/api/v1/counties/${A}/quota`);
  const controlT0 = now();
  const controlRun = Promise.all(Array.from({ length: DRAWS }, () => call(drawer, 'GET', `/api/v1/counties/${A}/quota`)));
  const controlReadsB = readWhile(controlRun);
  const control = await controlRun;
  const controlWall = now() - controlT0;
  const readDuringControl = await controlReadsB;
  if (control.some((c) => c.status !== 200)) throw new Error('control read failed');

  let no = 0;
  const fire = (amountUmu: bigint) =>
    Promise.all(
      Array.from({ length: DRAWS }, () => {
        const i = ++no;
        return call(drawer, 'POST', `/api/v1/counties/${A}/quota/draws`, {
          projectName: `压测项目${i}`,
          approvalNo: `赣林地审〔2023〕B${i}号`,
          approvedOn: '2023-07-01',
          quotaYear: 2023,
          area: { unit: 'mu', value: mu(amountUmu) },
        });
      }),
    );

  // 2. storms.
  const drawMs: number[] = [];
  const stormReads: number[] = [];
  const storms: { wallMs: number; ok: number; refused: number; statements: Record<string, number> }[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let expectDrawn = 0n;
  const answers: { status: number; json: Record<string, any> }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = now();
    const before = snapshot();
    loop.enable();
    const storm = fire(STORM_UMU);
    const reads = readWhile(storm);
    const res = await storm;
    const wall = now() - t0;
    loop.disable();
    stormReads.push(...(await reads));
    for (const x of res) {
      drawMs.push(x.ms);
      answers.push(x);
      if (x.status === 201) expectDrawn += STORM_UMU;
    }
    const ok = res.filter((x) => x.status === 201).length;
    storms.push({ wallMs: wall, ok, refused: res.length - ok, statements: delta(before) });
    log(`storm ${r + 1}: ${ok}/${res.length} drawn in ${wall.toFixed(0)} ms`);
  }

  // 3. overdraw: ask for 1.5 × what is left, in DRAWS equal draws (each rounded up to whole µ亩).
  const left = ISSUED_UMU - expectDrawn;
  const step = (left * 3n) / 2n / BigInt(DRAWS) + 1n;
  const fits = Number(left / step);
  const t0 = now();
  const over = fire(step);
  const overReads = readWhile(over);
  const overRes = await over;
  const overWall = now() - t0;
  stormReads.push(...(await overReads));
  const overOk = overRes.filter((x) => x.status === 201);
  const overRefused = overRes.filter((x) => x.status !== 201);
  const overMs = overRes.map((x) => x.ms);
  for (const x of overRes) answers.push(x);
  expectDrawn += BigInt(overOk.length) * step;

  // Afterwards, the read alone again (the storm left nothing behind).
  const after: number[] = [];
  for (let i = 0; i < 200; i++) after.push(await read());

  // Ledger check, in the owner's context.
  const { rows } = await pool.query<{ drawn: string; n: number; draws: number; bal: string; min_balance: string }>(
    `SELECT coalesce(-sum(amount_umu) FILTER (WHERE kind = 'drawn'), 0)::text AS drawn,
            count(*) FILTER (WHERE kind = 'drawn')::int AS n,
            (SELECT count(*)::int FROM quota.draw WHERE county_code = $1) AS draws,
            sum(amount_umu)::text AS bal,
            (SELECT min(s)::text FROM (SELECT sum(amount_umu) OVER (ORDER BY id) AS s FROM quota.entry WHERE county_code = $1 AND account = 'county' AND quota_year = 2023) x) AS min_balance
       FROM quota.entry WHERE county_code = $1 AND account = 'county' AND quota_year = 2023`,
    [A],
  );
  const ledger = rows[0]!;
  const okCount = answers.filter((a) => a.status === 201).length;
  const refusedCodes = [...new Set(answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.json.code}`))];
  const checks = {
    drawnMatchesAnswers: BigInt(ledger.drawn) === expectDrawn,
    oneEntryPerDraw: ledger.n === ledger.draws && ledger.draws === okCount,
    balanceExact: BigInt(ledger.bal) === ISSUED_UMU - expectDrawn,
    neverNegative: BigInt(ledger.min_balance) >= 0n,
    overdrawRoundExact: overOk.length === fits,
    refusalsAreInsufficient: overRefused.every((x) => x.status === 409 && x.json.code === 'quota-insufficient'),
  };

  const f = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(1).padStart(7));
  const row = (name: string, s: ReturnType<typeof stats>) => `${name.padEnd(44)} ${String(s.n).padStart(5)} ${f(s.p50)} ${f(s.p95)} ${f(s.max)}`;
  const out = {
    draws: stats(drawMs),
    overdrawDraws: stats(overMs),
    controlReads: { ...stats(control.map((c) => c.ms)), wallMs: controlWall },
    readBaseline: stats(baseline),
    readDuringStorm: stats(stormReads),
    readDuringControl: stats(readDuringControl),
    readAfter: stats(after),
    storms,
    eventLoopDelayDuringStormsMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    loadAverage: loadavg(),
    overdraw: { wallMs: overWall, asked: DRAWS, stepMu: mu(step), leftMu: mu(left), fits, ok: overOk.length, refused: overRefused.length },
    ledger: { drawnMu: mu(BigInt(ledger.drawn)), expectedMu: mu(expectDrawn), balanceMu: mu(BigInt(ledger.bal)), lowestRunningBalanceMu: mu(BigInt(ledger.min_balance)), entries: ledger.n, draws: ledger.draws },
    refusedCodes,
    checks,
  };
  if (values.json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(`\n${DRAWS} simultaneous draws on ${A} × ${ROUNDS} rounds (+1 overdraw round); reads of ${B}'s quota account meanwhile`);
    console.log(`${''.padEnd(44)} ${'n'.padStart(5)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}   (ms)`);
    console.log(row(`draw (storms, all fit)`, out.draws));
    console.log(row(`draw (overdraw round, ${overOk.length} fit / ${overRefused.length} refused)`, out.overdrawDraws));
    console.log(row(`control: ${DRAWS} simultaneous reads of ${A}`, out.controlReads));
    console.log(row(`read ${B} — baseline, nothing else running`, out.readBaseline));
    console.log(row(`read ${B} — during the draws`, out.readDuringStorm));
    console.log(row(`read ${B} — during the control reads`, out.readDuringControl));
    console.log(row(`read ${B} — after`, out.readAfter));
    console.log(`storm wall times: ${storms.map((s) => `${s.wallMs.toFixed(0)} ms`).join(', ')}; overdraw round ${overWall.toFixed(0)} ms`);
    console.log(`statements per storm: ${storms.map((s) => JSON.stringify(s.statements)).join(' ')}`);
    const el = out.eventLoopDelayDuringStormsMs;
    console.log(`event-loop delay during storms: p50 ${el.p50.toFixed(1)} ms, p99 ${el.p99.toFixed(1)} ms, max ${el.max.toFixed(1)} ms; load average ${out.loadAverage.map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
    console.log(`ledger: drawn ${out.ledger.drawnMu} 亩 (expected ${out.ledger.expectedMu}), balance ${out.ledger.balanceMu} 亩, lowest running balance ${out.ledger.lowestRunningBalanceMu} 亩, ${ledger.n} entries for ${ledger.draws} draws`);
    console.log(`refusals: ${refusedCodes.join(', ') || 'none'}`);
    console.log(`checks: ${Object.entries(checks).map(([k, v]) => `${k}=${v ? 'ok' : 'FAILED'}`).join(', ')}`);
  }
  await app.close();
  await pool.end();
  if (Object.values(checks).some((v) => !v)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
