/**
 * Quota draws under load (issue 8, item 7). 200 simultaneous draws on one county used to take a
 * pooled connection each and wait on the county's lock with it, so a read of another county waited
 * seconds for a connection. Now draws queue in process per account-year and are applied in batches
 * under the lock of the account-year's balance row (migrations/0011, src/quota/service.ts): exact,
 * never overdrawn, one connection per account-year. The timing itself is measured by
 * `npm run bench:draws`; here the read is answered while another transaction holds the county's
 * balance row, so no draw can be served (deterministic, no tight time limit).
 */
import type { QueryResult } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser, testAdmin } from '../helpers/auth.js';
import { testPool } from '../helpers/db.js';
import { expectProblem } from '../helpers/imports.js';
import { recordNationalAllocation, seedReserve, resetSeeded } from '../helpers/procedure.js';
import { injectAs } from '../helpers/http.js';

const pool = testPool(8);
let app: App;
const COUNTY = '361126';
const OTHER = '361124';
const u = {} as Record<'county' | 'colleague' | 'admin' | 'other' | 'township', TestUser>;

const clean = () => resetSeeded(pool);

beforeAll(async () => {
  await clean();
  app = await buildTestApp();
  await testAdmin(pool);
  u.admin = await createTestUser(pool, 'province-admin', '36');
  u.county = await createTestUser(pool, 'county-forestry', COUNTY);
  u.colleague = await createTestUser(pool, 'county-forestry', COUNTY);
  u.other = await createTestUser(pool, 'county-forestry', OTHER);
  u.township = await createTestUser(pool, 'township', `${COUNTY}100`);
  // 66 666.67 m² = 100.000005 亩 for COUNTY's 2023 account; 13 333.33 m² = 19.999995 亩 for OTHER's.
  await seedReserve(pool, COUNTY, 2022, ['66666.67']);
  await seedReserve(pool, OTHER, 2022, ['13333.33']);
  await recordNationalAllocation(app, u.admin, 2023);
  const res = await injectAs(app, u.admin, { method: 'POST', url: '/api/v1/quota/issuances', payload: { reserveYear: 2022, issuedOn: '2023-03-01' } });
  expect(res.statusCode, res.body).toBe(201);
});
afterAll(async () => {
  await app?.close();
  await clean();
  await pool.end();
});

const drawUrl = `/api/v1/counties/${COUNTY}/quota/draws`;
const draw = (user: TestUser, approvalNo: string, mu: string) =>
  injectAs(app, user, { method: 'POST', url: drawUrl, payload: { projectName: `项目${approvalNo}`, approvalNo, approvedOn: '2023-08-01', quotaYear: 2023, area: { unit: 'mu', value: mu } } });
const quota = async (user: TestUser, county: string) => {
  const res = await injectAs(app, user, { method: 'GET', url: `/api/v1/counties/${county}/quota` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const balanceRow = async (county: string) =>
  (await pool.query<{ b: string }>(`SELECT balance_umu::text AS b FROM quota.balance WHERE county_code = $1 AND account = 'county' AND quota_year = 2023`, [county])).rows[0]?.b;

describe('simultaneous draws on one county', () => {
  it('50 at once (two users) asking for more than the balance: exactly those that fit, the rest 409; a read of another county is not held up', async () => {
    // 100.000005 亩 and 50 draws of 3 亩 (150 亩): 33 fit (99 亩), 17 are refused, 1.000005 亩 is left.
    // The county's balance row is held by another transaction while the draws arrive, so none of
    // them can be served yet; the read of another county must be answered all the same (it used to
    // wait behind the draws for a pooled connection). Deterministic: no race between answers.
    const holder = await pool.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM quota.balance WHERE county_code = $1 AND account = 'county' AND quota_year = 2023 FOR UPDATE`, [COUNTY]);
    const answered: string[] = [];
    const t0 = Date.now();
    const draws = Array.from({ length: 50 }, (_, i) =>
      draw(i % 5 === 4 ? u.colleague : u.county, `赣林地审〔2023〕L${i + 1}号`, '3').then((r) => {
        answered.push('draw');
        return r;
      }),
    );
    let other: { q: { years: { quotaYear: number; county: { balance: { muExact: string } } }[] }; ms: number };
    try {
      other = await quota(u.other, OTHER).then((q) => ({ q, ms: Date.now() - t0 }));
      expect(answered, 'no draw can be served while the balance row is held').toEqual([]);
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    const results = await Promise.all(draws);

    const made = results.filter((r) => r.statusCode === 201);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(made).toHaveLength(33);
    expect(refused).toHaveLength(17);
    for (const r of refused) {
      const p = expectProblem(r, 409, 'quota-insufficient');
      expect(BigInt(p.balance.muExact.replace('.', ''))).toBeLessThan(3_000_000n); // what was left when its turn came
    }
    // Served one after the other: every successful draw saw a different balance, none below zero.
    const after = made.map((r) => r.json().balanceAfter.muExact as string);
    expect(new Set(after).size).toBe(33);
    expect(after.every((a) => !a.startsWith('-'))).toBe(true);
    expect(after).toContain('1.000005');

    const y = (await quota(u.county, COUNTY)).years.find((x: { quotaYear: number }) => x.quotaYear === 2023);
    expect(y.county).toMatchObject({ issued: { muExact: '100.000005' }, drawn: { muExact: '99.000000' }, balance: { muExact: '1.000005' } });
    expect(await balanceRow(COUNTY)).toBe('1000005');
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n, sum(amount_umu)::text AS s, min(balance_after_umu)::text AS low,
              (SELECT count(*)::int FROM quota.draw WHERE county_code = $1) AS draws,
              (SELECT count(*)::int FROM audit.event WHERE table_name = 'quota.draw' AND county_code = $1) AS draw_events,
              (SELECT count(*)::int FROM audit.event WHERE table_name = 'quota.entry' AND county_code = $1 AND data ->> 'kind' = 'drawn') AS entry_events,
              (SELECT count(DISTINCT actor_login)::int FROM quota.entry WHERE county_code = $1 AND kind = 'drawn') AS actors,
              (SELECT count(*)::int FROM quota.entry e JOIN quota.draw d ON d.id = e.draw_id
                WHERE e.county_code = $1 AND e.kind = 'drawn' AND e.actor_id = d.drawn_by) AS by_drawer
         FROM quota.entry WHERE county_code = $1 AND kind = 'drawn'`,
      [COUNTY],
    );
    // One ledger entry and one audit event each per draw, written as the user who drew.
    // Which user's draws come first is up to scheduling (each user's draws are a queue of their own):
    // the entries' actors are exactly the users whose draws succeeded, each entry its drawer's.
    const winners = new Set(results.flatMap((r, i) => (r.statusCode === 201 ? [i % 5 === 4 ? 'colleague' : 'county'] : [])));
    expect(rows[0]).toEqual({ n: 33, s: '-99000000', low: '1000005', draws: 33, draw_events: 33, entry_events: 33, actors: winners.size, by_drawer: 33 });

    // The unrelated read was answered while every draw waited, and well within a generous bound.
    expect(other.q.years.find((x) => x.quotaYear === 2023)!.county.balance.muExact).toBe('19.999995');
    expect(other.ms).toBeLessThan(10_000);
  });

  it('the same approval number drawn 10 times at once: one draw, nine 409 approval-no-exists naming it', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => draw(i % 2 ? u.colleague : u.county, '赣林地审〔2023〕同号', '0.1')));
    const made = results.filter((r) => r.statusCode === 201);
    expect(made).toHaveLength(1);
    const id = made[0]!.json().id;
    for (const r of results.filter((x) => x.statusCode !== 201)) expect(expectProblem(r, 409, 'approval-no-exists').drawId).toBe(id);
    expect(await balanceRow(COUNTY)).toBe('900005');
  });

  it('a draw the balance cannot cover is refused even when it is alone, and leaves nothing behind', async () => {
    const before = (await pool.query(`SELECT count(*)::int AS n FROM quota.draw`)).rows[0].n;
    const p = expectProblem(await draw(u.county, '赣林地审〔2023〕大', '0.900006'), 409, 'quota-insufficient');
    expect(p).toMatchObject({ balance: { muExact: '0.900005' }, requested: { muExact: '0.900006' } });
    expect((await pool.query(`SELECT count(*)::int AS n FROM quota.draw`)).rows[0].n).toBe(before);
    expect((await draw(u.county, '赣林地审〔2023〕尾', '0.900005')).statusCode).toBe(201);
    expect(await balanceRow(COUNTY)).toBe('0');
  });
});

describe('the balance rows (quota.balance)', () => {
  /** Runs SQL as the request role in a user's scope, as withScope does; rolled back. */
  async function asApp<T>(scope: { prefix: string; township?: string; role: string }, fn: (q: (sql: string, params?: unknown[]) => Promise<QueryResult['rows']>) => Promise<T>): Promise<T> {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('role', 'zhanbu_app', true), set_config('zhanbu.scope_prefix', $1, true), set_config('zhanbu.township', $2, true),
                            set_config('zhanbu.user_role', $3, true), set_config('zhanbu.user_login', 'test', true)`, [scope.prefix, scope.township ?? '', scope.role]);
      return await fn(async (sql, params) => (await c.query(sql, params)).rows);
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  }
  const denied = async (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: '42501' });

  it('are the sums of the ledger, for every account-year', async () => {
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM (SELECT county_code, account, quota_year, sum(amount_umu) AS s FROM quota.entry GROUP BY 1, 2, 3) e
         FULL JOIN quota.balance b USING (county_code, account, quota_year) WHERE b.balance_umu IS DISTINCT FROM e.s`,
    );
    expect(rows[0].n).toBe(0);
    expect((await pool.query(`SELECT count(*)::int AS n FROM quota.balance`)).rows[0].n).toBeGreaterThan(0);
  });

  it('the request role reads them in its jurisdiction only, never as a township, and cannot write them', async () => {
    const county = { prefix: COUNTY, role: 'county-forestry' };
    expect(await asApp(county, (q) => q(`SELECT DISTINCT county_code FROM quota.balance`))).toEqual([{ county_code: COUNTY }]);
    expect(await asApp({ prefix: COUNTY, township: `${COUNTY}100`, role: 'township' }, (q) => q(`SELECT * FROM quota.balance`))).toEqual([]);
    // Only the ledger's trigger writes them: a request cannot set its own balance.
    await denied(asApp(county, (q) => q(`UPDATE quota.balance SET balance_umu = 1000000000000 WHERE county_code = $1`, [COUNTY])));
    await denied(asApp(county, (q) => q(`INSERT INTO quota.balance VALUES ($1, 'county', 2024, 1000000000000)`, [COUNTY])));
    // Locking another county's balance row (holding its draws up) is refused, and so is a township's.
    await denied(asApp(county, (q) => q(`SELECT quota.lock_balance($1, 'county', 2023)`, [OTHER])));
    await denied(asApp({ prefix: COUNTY, township: `${COUNTY}100`, role: 'township' }, (q) => q(`SELECT quota.lock_balance($1, 'county', 2023)`, [COUNTY])));
    expect(await asApp(county, (q) => q(`SELECT quota.lock_balance($1, 'county', 2023)::text AS b`, [COUNTY]))).toEqual([{ b: '0' }]);
  });

  it('a ledger entry that says otherwise gets the true balance after it, and a drawn entry below zero is refused by the database', async () => {
    const admin = { prefix: '36', role: 'province-admin' };
    const rows = await asApp(admin, async (q) => {
      const [d] = await q(
        `INSERT INTO quota.draw (county_code, quota_year, project_name, approval_no, approved_on, area_umu, area_input, drawn_by)
         VALUES ($1, 2023, 'x', 'direct', '2023-08-01', 5, '{}', gen_random_uuid()) RETURNING id`,
        [OTHER],
      );
      return q(
        `INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, draw_id, actor_login, balance_after_umu)
         VALUES ($1, 'county', 2023, 'drawn', -5, $2, 'test', 999) RETURNING balance_after_umu::text AS b`,
        [OTHER, d.id],
      );
    });
    expect(rows).toEqual([{ b: '19999990' }]);
    await expect(
      asApp(admin, async (q) => {
        const [d] = await q(
          `INSERT INTO quota.draw (county_code, quota_year, project_name, approval_no, approved_on, area_umu, area_input, drawn_by)
           VALUES ($1, 2023, 'x', 'too-much', '2023-08-01', 19999996, '{}', gen_random_uuid()) RETURNING id`,
          [OTHER],
        );
        return q(`INSERT INTO quota.entry (county_code, account, quota_year, kind, amount_umu, draw_id, actor_login) VALUES ($1, 'county', 2023, 'drawn', -19999996, $2, 'test')`, [OTHER, d.id]);
      }),
    ).rejects.toMatchObject({ code: 'ZQ001', detail: '19999995' });
    expect(await balanceRow(OTHER)).toBe('19999995'); // both transactions rolled back
  });
});
