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
 * The HTTP client (every request, and its timing) runs on a worker thread of its own (CLIENT below,
 * plain JavaScript), not on the server's event loop: 200 fetches and their JSON parsing on the
 * server's thread would be counted in the server's latency, and the two could not use two cores.
 * The event-loop delay printed is the server thread's. During the storms the server also notes where
 * each draw's time goes (arrival → auth → validation → handler → answer, from Fastify hooks added
 * after the app's own) and the round trip of every statement the app sends (and the waits for a
 * pooled connection), to tell the database's part from the event loop's.
 *
 *   npm run bench:draws -- [--draws 200] [--rounds 3] [--db zhanbu_bench_draws] [--json]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
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
const q = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
};
const stats = (xs: number[]) => ({ n: xs.length, p50: q(xs, 0.5), p95: q(xs, 0.95), max: xs.length ? Math.max(...xs) : NaN });
const mu = (umu: bigint) => `${umu / 1_000_000n}.${String(umu % 1_000_000n).padStart(6, '0')}`;

/**
 * The load generator, on its own thread (plain JavaScript, eval'd: no TypeScript loader needed in
 * the worker). Messages {id, op, ...} → {id, result} or {id, error}. Timings are taken here.
 *   call   {req}                       one request → {status, json, ms}
 *   reads  {n}                         n reads of the reader's path one after the other → ms[]
 *   burst  {reqs}                      every request fired at once while the reader reads in a loop
 *                                      → {results: [{status, code, ms}], wallMs, reads: ms[]}
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { base, readToken, readPath } = workerData;
const call = async ({ token, method, path, body }) => {
  const t0 = performance.now();
  const res = await fetch(base + path, {
    method,
    headers: { authorization: 'Bearer ' + token, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  return { status: res.status, json, ms: performance.now() - t0 };
};
const read = async () => {
  const r = await call({ token: readToken, method: 'GET', path: readPath });
  if (r.status !== 200) throw new Error('read answered ' + r.status + ': ' + JSON.stringify(r.json));
  return r.ms;
};
const ops = {
  call: (m) => call(m.req),
  reads: async (m) => {
    const out = [];
    for (let i = 0; i < m.n; i++) out.push(await read());
    return out;
  },
  burst: async (m) => {
    const t0 = performance.now();
    let done = false;
    const all = Promise.all(m.reqs.map(call)).finally(() => (done = true));
    const reads = [];
    const reader = (async () => { while (!done) reads.push(await read()); })();
    const results = await all;
    const wallMs = performance.now() - t0;
    await reader;
    return { results: results.map((r) => ({ status: r.status, code: r.json && r.json.code, ms: r.ms })), wallMs, reads };
  },
};
parentPort.on('message', (m) => {
  ops[m.op](m).then(
    (result) => parentPort.postMessage({ id: m.id, result }),
    (err) => parentPort.postMessage({ id: m.id, error: String(err && err.stack || err) }),
  );
});
`;

type Req = { token: string; method: string; path: string; body?: object };
type Answer = { status: number; json: Record<string, unknown>; ms: number };
type Burst = { results: { status: number; code?: string; ms: number }[]; wallMs: number; reads: number[] };

function startClient(workerData: { base: string; readToken: string; readPath: string }) {
  const worker = new Worker(CLIENT, { eval: true, workerData });
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id)!;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`client: ${m.error}`));
    else p.resolve(m.result);
  });
  worker.on('error', (e) => pending.forEach((p) => p.reject(e)));
  const ask = <T>(op: string, m: object): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve: (v) => resolve(v as T), reject });
      worker.postMessage({ id, op, ...m });
    });
  return {
    call: (req: Req) => ask<Answer>('call', { req }),
    reads: (n: number) => ask<number[]>('reads', { n }),
    burst: (reqs: Req[]) => ask<Burst>('burst', { reqs }),
    close: () => worker.terminate(),
  };
}

async function freshDatabase(): Promise<string> {
  const base = new URL(process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const url = new URL(base);
  url.pathname = `/${values.db}`;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${values.db.replace(/"/g, '""')}" WITH (FORCE)`);
  await c.query(`CREATE DATABASE "${values.db.replace(/"/g, '""')}"`);
  await c.end();
  const m = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migrate(m);
  await m.end();
  return url.toString();
}

/** Statements the app sends, by kind (to see how many transactions the draws took). */
const counts = new Map<string, number>();
/** While `tracing`: round-trip times of the app's statements (by first words) and waits for a pooled connection. */
const timings = new Map<string, number[]>();
let tracing = false;
const timed = (k: string, ms: number) => {
  if (!tracing) return;
  const xs = timings.get(k);
  if (xs) xs.push(ms);
  else timings.set(k, [ms]);
};
const statementName = (text: string) =>
  /lock_balance/.test(text) ? 'lock_balance' : /^BEGIN; SELECT set_config\('role'/.test(text) ? 'BEGIN + set_config (scope)' : /set_config\('role'/.test(text) ? 'set_config (scope)' : /INSERT INTO quota\.draw/.test(text) ? 'insert draws' : /quota\.lapse WHERE period_end/.test(text) ? 'draw state' : /auth\.api_token/.test(text) ? 'token look-up' : text.trim().split(/\s+/).slice(0, 2).join(' ').slice(0, 30);
function countStatements(pool: pg.Pool): pg.Pool {
  const kind = (text: string) =>
    /auth\.api_token/.test(text) ? 'token look-up' : /lock_balance|pg_advisory_xact_lock/.test(text) ? 'draw account lock' : /^\s*COMMIT/.test(text) ? 'commit' : undefined;
  const wrap = <T extends pg.Pool | pg.PoolClient>(target: T, isPool: boolean): T =>
    new Proxy(target, {
      get(t, prop) {
        if (prop === 'query')
          return (...args: unknown[]) => {
            const first = args[0];
            const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
            const k = kind(text);
            if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
            const r = (t.query as (...a: unknown[]) => unknown)(...args);
            if (tracing && r instanceof Promise) {
              const t0 = performance.now();
              r.then(() => timed(statementName(text), performance.now() - t0), () => {});
            }
            return r;
          };
        if (prop === 'connect' && isPool)
          return async () => {
            const t0 = performance.now();
            const c = await (t as unknown as pg.Pool).connect();
            timed('(wait for a pooled connection)', performance.now() - t0);
            return wrap(c, false);
          };
        const v: unknown = Reflect.get(t, prop, t);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
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
  // Where a draw's time goes on the server (these hooks run after the app's own, so each mark is
  // the end of a phase): arrival → auth (onRequest hooks: headers, token) → body validation →
  // handler (scope checks, batcher wait, batch transaction) → answer written.
  const phases = new Map<string, number[]>();
  const mark = (k: string, ms: number) => {
    const xs = phases.get(k);
    if (xs) xs.push(ms);
    else phases.set(k, [ms]);
  };
  type Marks = { t0: number; auth?: number; valid?: number; send?: number };
  const marks = new WeakMap<object, Marks>();
  app.server.prependListener('request', (raw) => marks.set(raw, { t0: performance.now() }));
  const isDraw = (req: { method: string; routeOptions: { url?: string } }) => tracing && req.method === 'POST' && /\/quota\/draws$/.test(req.routeOptions.url ?? '');
  app.addHook('onRequest', async (req) => {
    const m = marks.get(req.raw);
    if (m) m.auth = performance.now();
  });
  app.addHook('preHandler', async (req) => {
    const m = marks.get(req.raw);
    if (m) m.valid = performance.now();
  });
  app.addHook('onSend', async (req) => {
    const m = marks.get(req.raw);
    if (m) m.send = performance.now();
  });
  app.addHook('onResponse', async (req) => {
    const m = marks.get(req.raw);
    if (!m || !isDraw(req) || m.auth === undefined || m.valid === undefined || m.send === undefined) return;
    const end = performance.now();
    mark('1 arrival → auth done (onRequest hooks)', m.auth - m.t0);
    mark('2 body read + validation', m.valid - m.auth);
    mark('3 handler (checks, batcher wait, batch tx)', m.send - m.valid);
    mark('4 serialise + write answer', end - m.send);
    mark('server total', end - m.t0);
  });
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

  const client = startClient({ base, readToken: reader, readPath: `/api/v1/counties/${B}/quota` });
  // Quota is issued only after the national allocation of its year (国家下达新增林地定额后).
  const allocation = await client.call({
    token: admin,
    method: 'POST',
    path: '/api/v1/quota/national-allocations',
    body: { quotaYear: 2023, documentNo: '林资发〔2023〕1号', documentDate: '2023-01-05' },
  });
  if (allocation.status !== 201) throw new Error(`national allocation answered ${allocation.status}: ${JSON.stringify(allocation.json)}`);
  const issued = await client.call({ token: admin, method: 'POST', path: '/api/v1/quota/issuances', body: { reserveYear: 2022, issuedOn: '2023-01-10' } });
  if (issued.status !== 201) throw new Error(`issuance answered ${issued.status}: ${JSON.stringify(issued.json)}`);

  // Warm up (connections, JIT of the JS, plans).
  await client.reads(50);

  // 1. baseline: the read alone, as many reads as a storm would take.
  const baseline = await client.reads(200);

  // Control: the same number of simultaneous requests that take no lock (reads of A's account), to
  // tell what the draws cost from what this many requests cost on this machine (HTTP, token look-up).
  // (The drawer's token used once first: 200 requests with a token unused for a minute all update its
  // last-use time at once, which is the token look-up's cost, not the draws'.)
  const readA: Req = { token: drawer, method: 'GET', path: `/api/v1/counties/${A}/quota` };
  await client.call(readA);
  const controlRun = await client.burst(Array.from({ length: DRAWS }, () => readA));
  const control = controlRun.results;
  const controlWall = controlRun.wallMs;
  const readDuringControl = controlRun.reads;
  if (control.some((c) => c.status !== 200)) throw new Error('control read failed');

  let no = 0;
  const fire = (amountUmu: bigint) =>
    client.burst(
      Array.from({ length: DRAWS }, () => {
        const i = ++no;
        return {
          token: drawer,
          method: 'POST',
          path: `/api/v1/counties/${A}/quota/draws`,
          body: {
            projectName: `压测项目${i}`,
            approvalNo: `赣林地审〔2023〕B${i}号`,
            approvedOn: '2023-07-01',
            quotaYear: 2023,
            area: { unit: 'mu', value: mu(amountUmu) },
          },
        };
      }),
    );

  // 2. storms.
  const drawMs: number[] = [];
  const stormReads: number[] = [];
  const storms: { wallMs: number; ok: number; refused: number; statements: Record<string, number> }[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 }); // the server's thread (this one)
  let expectDrawn = 0n;
  const answers: { status: number; code?: string }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = snapshot();
    loop.enable();
    tracing = true;
    const { results: res, wallMs: wall, reads } = await fire(STORM_UMU);
    tracing = false;
    loop.disable();
    stormReads.push(...reads);
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
  const { results: overRes, wallMs: overWall, reads: overReads } = await fire(step);
  stormReads.push(...overReads);
  const overOk = overRes.filter((x) => x.status === 201);
  const overRefused = overRes.filter((x) => x.status !== 201);
  const overMs = overRes.map((x) => x.ms);
  for (const x of overRes) answers.push(x);
  expectDrawn += BigInt(overOk.length) * step;

  // Afterwards, the read alone again (the storm left nothing behind).
  const after = await client.reads(200);
  await client.close();

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
  const refusedCodes = [...new Set(answers.filter((a) => a.status !== 201).map((a) => `${a.status} ${a.code}`))];
  const checks = {
    drawnMatchesAnswers: BigInt(ledger.drawn) === expectDrawn,
    oneEntryPerDraw: ledger.n === ledger.draws && ledger.draws === okCount,
    balanceExact: BigInt(ledger.bal) === ISSUED_UMU - expectDrawn,
    neverNegative: BigInt(ledger.min_balance) >= 0n,
    overdrawRoundExact: overOk.length === fits,
    refusalsAreInsufficient: overRefused.every((x) => x.status === 409 && x.code === 'quota-insufficient'),
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
    drawPhasesOnServer: Object.fromEntries([...phases].sort().map(([k, v]) => [k, stats(v)])),
    statementTimesDuringStorms: Object.fromEntries([...timings].map(([k, v]) => [k, stats(v)])),
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
    console.log(`where a draw's time goes on the server (storms):`);
    for (const [k, v] of Object.entries(out.drawPhasesOnServer)) console.log(row(`  ${k}`, v));
    console.log(`statement round trips during the storms (all requests):`);
    for (const [k, v] of Object.entries(out.statementTimesDuringStorms)) console.log(row(`  ${k}`, v));
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
