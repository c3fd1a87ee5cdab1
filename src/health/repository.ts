import type pg from 'pg';

/** PostGIS's library version: answers only when the database is up and the extension loaded. */
export async function postgisVersion(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ v: string }>('SELECT postgis_lib_version() AS v');
  return rows[0]!.v;
}
