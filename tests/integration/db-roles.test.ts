/**
 * The database roles (issue 8, items 2 and 11): the service connects as zhanbu_service, which is no
 * superuser, owns nothing in the schema and cannot become its owner; the audit log is written only
 * by its trigger, so neither a user's scope (zhanbu_app) nor the service's login can forge an event.
 */
import type { QueryResult } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authUser, withScope, type AuthUser } from '../../src/auth/scope.js';
import { unsafeServiceLogin } from '../../src/db/roles.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestUser, type TestUser } from '../helpers/auth.js';
import { servicePool, testPool } from '../helpers/db.js';
import { injectAs } from '../helpers/http.js';

const admin = testPool(2);
const service = servicePool(3);
// A county no other test file writes to: events and rows here cannot disturb theirs.
const COUNTY = '369901';
let user: AuthUser;
let forestry: TestUser;
let userIds: string[] = [];

/** The SQLSTATE a statement fails with, or 'ok'. */
async function sqlState(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

const ROLLBACK = new Error('rollback');
/** Runs fn in the user's scope and rolls everything back (nothing is left for other tests). */
async function inScopeThenRollback(fn: (q: (sql: string, params?: unknown[]) => Promise<QueryResult>) => Promise<void>): Promise<void> {
  await withScope(service, user, async (tx) => {
    await fn((sql, params) => tx.client.query(sql, params));
    throw ROLLBACK;
  }).catch((err) => {
    if (err !== ROLLBACK) throw err;
  });
}

beforeAll(async () => {
  const u = (forestry = await createTestUser(admin, 'county-forestry', COUNTY));
  userIds = [u.id];
  user = authUser({ id: u.id, login: u.login, display_name: 'test', role: u.role, admin_code: u.adminCode });
});

afterAll(async () => {
  await admin.query('DELETE FROM auth.app_user WHERE id = ANY ($1)', [userIds]);
  await service.end();
  await admin.end();
});

describe('the service connects without superuser rights', () => {
  it('every connection of the app under test is the zhanbu_service login', async () => {
    const app = await buildTestApp();
    try {
      expect((await injectAs(app, forestry, { method: 'GET', url: '/api/v1/me' })).statusCode).toBe(200);
      const { rows } = await admin.query<{ usename: string }>(
        `SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'zhanbu%'`,
      );
      expect(rows.map((r) => r.usename)).toEqual(['zhanbu_service']);
    } finally {
      await app.close();
    }
  });

  it('is not a superuser, owns neither survey nor procedure, and cannot SET ROLE to the owner', async () => {
    const { rows } = await service.query<{ login: string; su: boolean; createrole: boolean; createdb: boolean; owns: string[] }>(
      `SELECT r.rolname AS login, r.rolsuper AS su, r.rolcreaterole AS createrole, r.rolcreatedb AS createdb,
              ARRAY(SELECT nspname::text FROM pg_namespace WHERE nspowner = r.oid ORDER BY 1) AS owns
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(rows[0]).toEqual({ login: 'zhanbu_service', su: false, createrole: false, createdb: false, owns: [] });
    const { rows: owners } = await service.query<{ nspname: string; owner: string }>(
      `SELECT nspname, nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname IN ('survey', 'procedure') ORDER BY 1`,
    );
    expect(owners).toEqual([
      { nspname: 'procedure', owner: 'zhanbu_owner' },
      { nspname: 'survey', owner: 'zhanbu_owner' },
    ]);
    expect(await sqlState(() => service.query('SET ROLE zhanbu_owner'))).toBe('42501');
    expect(await sqlState(() => service.query('SET ROLE postgres'))).toBe('42501');
    expect(await unsafeServiceLogin(service)).toBeNull();
    expect(await unsafeServiceLogin(admin)).toMatch(/superuser/); // what server.ts refuses to start with
  });

  it('owns no table, index, view or sequence outside staging (pg_class count 0), nor any function', async () => {
    // A staging table of its own (with a TOAST table, which lives in pg_toast) while the check runs.
    const t = `owner_probe_${process.pid}`;
    await service.query(`CREATE TABLE staging.${t} (x text)`);
    try {
      const { rows } = await admin.query<{ rel: string; kind: string; schema: string }>(
        `SELECT c.oid::regclass::text AS rel, c.relkind::text AS kind, c.relnamespace::regnamespace::text AS schema
           FROM pg_class c
          WHERE c.relowner = 'zhanbu_service'::regrole AND c.relnamespace <> 'staging'::regnamespace
            -- a staging table's TOAST table and its index (in pg_toast) are part of that table
            AND NOT (c.relnamespace = 'pg_toast'::regnamespace AND EXISTS (
                  SELECT 1 FROM pg_class p WHERE p.relnamespace = 'staging'::regnamespace
                     AND p.reltoastrelid IN (c.oid, (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid))))`,
      );
      expect(rows).toEqual([]);
      const { rows: staged } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class WHERE relowner = 'zhanbu_service'::regrole AND relnamespace = 'staging'::regnamespace`,
      );
      expect(staged[0]!.n).toBeGreaterThan(0); // the probe table: the check does see what the service owns
      const { rows: procs } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_proc WHERE proowner = 'zhanbu_service'::regrole`);
      expect(procs[0]!.n).toBe(0);
    } finally {
      await service.query(`DROP TABLE staging.${t}`);
    }
  });

  it('creates tables in staging only; no DDL on the schema', async () => {
    const t = `roles_probe_${process.pid}`;
    expect(await sqlState(() => service.query(`CREATE TABLE staging.${t} (x int)`))).toBe('ok');
    await service.query(`DROP TABLE staging.${t}`);
    expect(await sqlState(() => service.query(`CREATE TABLE survey.${t} (x int)`))).toBe('42501');
    expect(await sqlState(() => service.query(`CREATE TABLE public.${t} (x int)`))).toBe('42501');
    expect(await sqlState(() => service.query('ALTER TABLE procedure.parcel DISABLE ROW LEVEL SECURITY'))).toBe('42501');
    expect(await sqlState(() => service.query('DROP TABLE quota.entry'))).toBe('42501');
    expect(await sqlState(() => service.query('TRUNCATE audit.event'))).toBe('42501');
  });

  it('makes survey partitions only through the owner functions, for a running import of that layer-year', async () => {
    // The old swap function takes any table name: not callable by the service.
    expect(await sqlState(() => service.query(`SELECT survey.swap_layer_year('dltb', $1, 2019, 'auth.app_user'::regclass)`, [COUNTY]))).toBe('42501');
    expect(await sqlState(() => service.query(`SELECT survey.ensure_county_partition('dltb', $1)`, [COUNTY]))).toBe('42501');
    // The new ones build the name themselves and refuse anything but a running import's layer-year.
    const bogus = '00000000-0000-0000-0000-000000000000';
    expect(await sqlState(() => service.query(`SELECT survey.create_layer_year('dltb', $1, 2019, $2)`, [COUNTY, bogus]))).toBe('22023');
    expect(await sqlState(() => service.query(`SELECT survey.create_layer_year('dltb; DROP TABLE quota.entry', $1, 2019, $2)`, [COUNTY, bogus]))).toBe('22023');
    expect(await sqlState(() => service.query(`SELECT survey.attach_layer_year('xzq', $1, 2019, $2)`, [COUNTY, bogus]))).toBe('22023');
    // Nor from a user's scope.
    await inScopeThenRollback(async (q) => {
      expect(await sqlState(() => q(`SELECT survey.create_layer_year('dltb', $1, 2019, $2)`, [COUNTY, bogus]))).toBe('42501');
    });
  });
});

describe('the audit log cannot be forged', () => {
  const forged = `INSERT INTO audit.event (at, actor_login, actor_role, county_code, table_name, operation, row_key, data)
                  VALUES ('2020-01-01T00:00:00Z', 'somebody-else', 'province-admin', '361124', 'quota.entry', 'INSERT', '1', '{}')`;

  it('a user scope (zhanbu_app) cannot insert a backdated event for another county', async () => {
    await inScopeThenRollback(async (q) => {
      expect(await sqlState(() => q(forged))).toBe('42501');
    });
    // Not even for its own county and time.
    await inScopeThenRollback(async (q) => {
      expect(
        await sqlState(() =>
          q(`INSERT INTO audit.event (actor_login, county_code, table_name, operation, data) VALUES ($1, $2, 'quota.draw', 'INSERT', '{}')`, [user.login, COUNTY]),
        ),
      ).toBe('42501');
    });
  });

  it('the service login cannot insert, change or delete events', async () => {
    expect(await sqlState(() => service.query(forged))).toBe('42501');
    expect(await sqlState(() => service.query(`UPDATE audit.event SET at = '2020-01-01' WHERE id = -1`))).toBe('42501');
    expect(await sqlState(() => service.query('DELETE FROM audit.event WHERE id = -1'))).toBe('42501');
    expect(await sqlState(() => service.query(`SELECT nextval('audit.event_id_seq')`))).toBe('42501');
  });

  it('nobody but the owner can hang the audit trigger on a table of their own to compose events', async () => {
    const t = `forge_${process.pid}`;
    await service.query(`CREATE TABLE staging.${t} (id uuid, county_code text)`);
    try {
      expect(
        await sqlState(() => service.query(`CREATE TRIGGER forge AFTER INSERT ON staging.${t} FOR EACH ROW EXECUTE FUNCTION audit.record_change()`)),
      ).toBe('42501');
    } finally {
      await service.query(`DROP TABLE staging.${t}`);
    }
  });

  it('a change in a user scope is logged by the trigger with the database time, the user and the row county', async () => {
    await inScopeThenRollback(async (q) => {
      const { rows: ins } = await q(
        `INSERT INTO quota.pool_request (county_code, quota_year, amount_umu, purpose, requested_by)
         VALUES ($1, 2024, 1000000, 'roles test', $2) RETURNING id`,
        [COUNTY, user.id],
      );
      const { rows } = await q(
        `SELECT actor_id, actor_login, actor_role, county_code, table_name, operation,
                at >= now() AND at <= clock_timestamp() AS at_now
           FROM audit.event WHERE table_name = 'quota.pool_request' AND row_key = $1`,
        [ins[0].id],
      );
      expect(rows).toEqual([
        { actor_id: user.id, actor_login: user.login, actor_role: 'county-forestry', county_code: COUNTY, table_name: 'quota.pool_request', operation: 'INSERT', at_now: true },
      ]);
    });
  });

  it('background work (the service login outside a scope) is logged as system:zhanbu_service', async () => {
    const client = await service.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE auth.app_user SET display_name = 'renamed by the system' WHERE id = $1`, [user.id]);
      const { rows } = await client.query(`SELECT actor_login, actor_id FROM audit.event WHERE table_name = 'auth.app_user' AND row_key = $1 AND operation = 'UPDATE'`, [
        user.id,
      ]);
      expect(rows).toEqual([{ actor_login: 'system:zhanbu_service', actor_id: null }]);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});
