import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { serviceDatabaseUrl, testDatabaseUrl } from './db.js';

/**
 * Creates the test database when missing, then applies migrations once for the whole run, as the
 * privileged TEST_DATABASE_URL (which also creates the cluster's roles and gives zhanbu_service the
 * password of serviceDatabaseUrl, if it has one).
 */
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
  await migrate(pool, { servicePassword: decodeURIComponent(new URL(serviceDatabaseUrl()).password) || undefined });
  await pool.end();
}
