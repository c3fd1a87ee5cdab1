import type pg from 'pg';

/**
 * One transaction on a pooled connection: `begin` (BEGIN and any settings, one message), fn, COMMIT;
 * ROLLBACK when fn throws. A connection whose transaction could not be ended is destroyed instead
 * of going back to the pool, where the next request would inherit it.
 */
export async function inTransaction<T>(pool: pg.Pool, begin: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
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
