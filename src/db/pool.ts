import pg from 'pg';

// numeric → string by default; areas are parsed explicitly where needed. int8 counts → number.
pg.types.setTypeParser(20, (v) => Number(v));

export function createPool(databaseUrl: string, max = 10, opts: { acquireTimeoutMs?: number } = {}): pg.Pool {
  // JIT compilation costs more than it saves on our queries (PostGIS functions are not JIT-able):
  // it doubled the import's validation pass on a 200,000-feature layer.
  // A bounded wait for a connection: when every connection is busy, a request is answered 503
  // database-busy rather than queued without end.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: 'zhanbu',
    options: '-c jit=off',
    ...(opts.acquireTimeoutMs ? { connectionTimeoutMillis: opts.acquireTimeoutMs } : {}),
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => {});
  return pool;
}

/**
 * Runs fn in a transaction on one connection; rolls back on any error. With statementTimeoutMs,
 * every statement of the transaction is bounded (SET LOCAL statement_timeout).
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, opts: { statementTimeoutMs?: number } = {}): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (opts.statementTimeoutMs) await setStatementTimeout(client, opts.statementTimeoutMs);
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

/**
 * Bounds every statement of the caller's transaction (SET LOCAL: ends with it). A statement past
 * it fails with 57014, answered 503 by the problem handler.
 */
export async function setStatementTimeout(client: pg.PoolClient, ms: number): Promise<void> {
  await client.query(`SET LOCAL statement_timeout = ${Math.max(0, Math.floor(ms))}`);
}

/** A wait for a pool connection past connectionTimeoutMillis (pg-pool's own message). */
export const isPoolTimeout = (err: unknown): boolean =>
  err instanceof Error && /timeout exceeded when trying to connect|connection timeout/i.test(err.message);

/**
 * The database cannot be reached or is shutting down: refused connections, a dropped socket,
 * SQLSTATE class 08 (connection exception) and 57P01–57P03 (shutdown, cannot connect now).
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0[123]$/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE'].includes(code))) return true;
  return /^Connection terminated/.test(err.message);
}

/** Quotes an SQL identifier (table or column name taken from a file). */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
