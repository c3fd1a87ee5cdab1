import pg from 'pg';

// numeric → string by default; areas are parsed explicitly where needed. int8 counts → number.
pg.types.setTypeParser(20, (v) => Number(v));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  // JIT compilation costs more than it saves on our queries (PostGIS functions are not JIT-able):
  // it doubled the import's validation pass on a 200,000-feature layer.
  const pool = new pg.Pool({ connectionString: databaseUrl, max, application_name: 'zhanbu', options: '-c jit=off' });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/** Runs fn in a transaction on one connection; rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Quotes an SQL identifier (table or column name taken from a file). */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
