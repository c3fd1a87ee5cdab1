/**
 * withScope opens a scoped transaction in one round trip (BEGIN and the scope settings in one
 * message, issue 8 item 7: fewer round trips per request under a burst). The settings travel as
 * quoted literals, so a hostile value in the user's row (a login with quotes, backslashes or SQL)
 * must arrive exactly as it is and change nothing else.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { withScope, type AuthUser } from '../../src/auth/scope.js';
import { servicePool } from '../helpers/db.js';

const pool = servicePool(1); // one connection: what the next transaction sees is what this one left

afterAll(async () => {
  await pool.end();
});

const settings = `SELECT current_user AS role, current_setting('zhanbu.scope_prefix', true) AS prefix, current_setting('zhanbu.township', true) AS township,
                         current_setting('zhanbu.user_id', true) AS id, current_setting('zhanbu.user_login', true) AS login, current_setting('zhanbu.user_role', true) AS user_role`;

const user = (login: string, township: string | null = null): AuthUser => ({
  id: '00000000-0000-4000-8000-000000000007',
  login,
  name: 'scope test',
  role: township ? 'township' : 'county-forestry',
  adminCode: township ?? '361123',
  prefix: '361123',
  township,
});

/** The pool, counting the statements its clients send. */
function counting(p: pg.Pool, sent: string[]): pg.Pool {
  return {
    connect: async () => {
      const c = await p.connect();
      const query = c.query.bind(c) as (...a: unknown[]) => unknown;
      return Object.assign(Object.create(c) as pg.PoolClient, {
        query: (...a: unknown[]) => {
          sent.push(typeof a[0] === 'string' ? a[0] : String((a[0] as { text?: string }).text));
          return query(...a);
        },
        release: (e?: Error) => c.release(e),
      });
    },
  } as unknown as pg.Pool;
}

describe('withScope', () => {
  it('opens the transaction in the user scope with one statement, and the settings end with it', async () => {
    const sent: string[] = [];
    const seen = await withScope(counting(pool, sent), user('bench-361123', null), async (tx) => {
      expect(sent).toHaveLength(1); // BEGIN and the settings: one round trip
      return (await tx.client.query(settings)).rows[0];
    });
    expect(seen).toEqual({ role: 'zhanbu_app', prefix: '361123', township: '', id: '00000000-0000-4000-8000-000000000007', login: 'bench-361123', user_role: 'county-forestry' });
    expect(sent.at(-1)).toBe('COMMIT');
    // Transaction-local: the connection goes back to the pool as the service login, with no scope.
    const after = (await pool.query(settings)).rows[0];
    expect(after.role).not.toBe('zhanbu_app');
    expect(after.prefix || '').toBe('');
    expect(after.login || '').toBe('');
  });

  it('a hostile login (quotes, backslashes, SQL) is set exactly as it is and cannot widen the scope', async () => {
    for (const login of [
      `x', true), set_config('zhanbu.scope_prefix', '36', true); --`,
      `a\\'; SET ROLE postgres; --`,
      `\\\\'\\'' ; COMMIT; SELECT 1; '`,
      `杨'"\\n	end`,
    ]) {
      const seen = await withScope(pool, user(login, '361123100'), async (tx) => (await tx.client.query(settings)).rows[0]);
      expect(seen).toEqual({ role: 'zhanbu_app', prefix: '361123', township: '361123100', id: '00000000-0000-4000-8000-000000000007', login, user_role: 'township' });
    }
    expect((await pool.query(settings)).rows[0].role).not.toBe('zhanbu_app');
  });

  it('rolls back when fn throws, and the connection is clean for the next transaction', async () => {
    await expect(
      withScope(pool, user('rollback'), async (tx) => {
        await tx.client.query(`SELECT set_config('zhanbu.user_role', 'province-admin', true)`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const seen = await withScope(pool, user('next'), async (tx) => (await tx.client.query(settings)).rows[0]);
    expect(seen.user_role).toBe('county-forestry');
    expect(seen.login).toBe('next');
  });
});
