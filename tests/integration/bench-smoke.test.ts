import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { testDatabaseUrl } from '../helpers/db.js';

/**
 * The benchmarks' figures are read by people, not asserted; but a benchmark that no longer runs is
 * found only when someone needs its figures (bench:draws broke when issuances began to require the
 * national allocation). The quick one runs here, small, and its own ledger checks must pass.
 */
describe('benchmarks still run', () => {
  it('bench:draws, 20 draws for one round: the ledger checks pass (exit 0)', async () => {
    const url = new URL(testDatabaseUrl());
    const db = `${url.pathname.slice(1)}_bench_draws`;
    url.pathname = '/postgres';
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'bench/draws.ts', '--draws', '20', '--rounds', '1', '--db', db], {
      env: { ...process.env, DATABASE_URL: url.toString() },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/checks: .*drawnMatchesAnswers=ok/);
    expect(stdout).not.toMatch(/=FAIL|=false/i);
    const c = new pg.Client({ connectionString: url.toString() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).finally(() => c.end());
  }, 150_000);
});
