import pg from 'pg';

/** The database tests use: TEST_DATABASE_URL, else DATABASE_URL, else a local zhanbu_test. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/zhanbu_test';
}

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
