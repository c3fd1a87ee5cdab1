import pg from 'pg';

/** The database tests use: TEST_DATABASE_URL, else DATABASE_URL, else a local zhanbu_test. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/zhanbu_test';
}

/**
 * The connection the app under test uses: the zhanbu_service login (not a superuser, owns nothing),
 * on the test database. TEST_SERVICE_DATABASE_URL, else TEST_DATABASE_URL with that user and
 * ZHANBU_SERVICE_PASSWORD (none needed with trust authentication).
 */
export function serviceDatabaseUrl(): string {
  if (process.env.TEST_SERVICE_DATABASE_URL) return process.env.TEST_SERVICE_DATABASE_URL;
  const u = new URL(testDatabaseUrl());
  u.username = 'zhanbu_service';
  u.password = process.env.ZHANBU_SERVICE_PASSWORD ?? '';
  return u.toString();
}

/** A pool on the service's login, for tests of what the service itself may do. */
export function servicePool(max = 5): pg.Pool {
  return new pg.Pool({ connectionString: serviceDatabaseUrl(), max });
}

/**
 * A privileged pool (TEST_DATABASE_URL, a superuser) for fixtures and resets: dropping partitions,
 * seeding rows, creating users. The app under test never uses it (buildTestApp).
 */
export function testPool(max = 5): pg.Pool {
  return new pg.Pool({ connectionString: testDatabaseUrl(), max });
}

/** Removes everything a county's imports wrote, so each test file starts from nothing. */
export async function resetCounty(pool: pg.Pool, county: string): Promise<void> {
  for (const layer of ['dltb', 'ldxb', 'xzq']) {
    await pool.query(`DROP TABLE IF EXISTS survey.${layer}_${county} CASCADE`);
  }
  await pool.query('DELETE FROM public.import_job WHERE county_code = $1', [county]);
}
