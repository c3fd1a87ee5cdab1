import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';

const pool = createPool(loadConfig().databaseUrl, 1);
try {
  const applied = await migrate(pool, (m) => console.log(`[migrate] ${m}`));
  console.log(applied.length ? `[migrate] ${applied.length} migration(s) applied` : '[migrate] schema is up to date');
} catch (err) {
  console.error(`[migrate] ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
