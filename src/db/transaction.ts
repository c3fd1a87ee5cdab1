import type pg from 'pg';

/** What a transaction's function may use besides its connection. */
export interface TxControl {
  /** The results of the opening message's statements (BEGIN first): a read sent with BEGIN saves a round trip. */
  readonly opened: pg.QueryResult[];
  /**
   * Sends `sql; COMMIT` as one message (simple protocol: literal values only, no parameters), so the
   * transaction's last statements and its end cost one round trip; returns the results of `sql`'s
   * statements. An error stops the message before COMMIT and the transaction is rolled back as usual.
   */
  commitWith(sql: string): Promise<pg.QueryResult[]>;
}

const results = (r: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] => (Array.isArray(r) ? r : [r]);

/**
 * One transaction on a pooled connection: `begin` (BEGIN and any settings, one message), fn, COMMIT;
 * ROLLBACK when fn throws. A connection whose transaction could not be ended is destroyed instead
 * of going back to the pool, where the next request would inherit it.
 */
export async function inTransaction<T>(pool: pg.Pool, begin: string, fn: (client: pg.PoolClient, control: TxControl) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  let committed = false;
  try {
    const opened = results(await client.query(begin));
    const control: TxControl = {
      opened,
      async commitWith(sql) {
        const r = results(await client.query(`${sql}; COMMIT`));
        committed = true;
        return r.slice(0, -1);
      },
    };
    const result = await fn(client, control);
    if (!committed) await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken ? new Error('connection left in an unknown transaction state') : undefined);
  }
}

/**
 * inTransaction for an answer streamed while it is read: the transaction stays open while the
 * caller pulls values and ends when the generator finishes (COMMIT) or is closed early — a client
 * that hangs up, an error — (ROLLBACK).
 */
export async function* streamInTransaction<T>(pool: pg.Pool, begin: string, fn: (client: pg.PoolClient) => AsyncGenerator<T>): AsyncGenerator<T> {
  const client = await pool.connect();
  let done = false;
  let broken = false;
  try {
    await client.query(begin);
    yield* fn(client);
    await client.query('COMMIT');
    done = true;
  } finally {
    if (!done) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
    }
    client.release(broken ? new Error('connection left in an unknown transaction state') : undefined);
  }
}
