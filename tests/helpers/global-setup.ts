import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { testDatabaseUrl } from './db.js';

/** Creates the test database when missing, then applies migrations once for the whole run. */
export default async function setup(): Promise<void> {
  const url = new URL(testDatabaseUrl());
  const dbName = url.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const a = new pg.Client({ connectionString: admin.toString() });
  await a.connect();
  const { rowCount } = await a.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
  if (!rowCount) await a.query(`CREATE DATABASE "${dbName.replace(/"/g, '""')}"`);
  await a.end();
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migrate(pool);
  await pool.end();
}
