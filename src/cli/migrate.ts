/**
 * Applies the migrations: `npm run migrate`. Connects with ZHANBU_OWNER_DATABASE_URL (else
 * DATABASE_URL): a superuser, which also creates the cluster-wide roles (migrations/roles.sql) and
 * sets zhanbu_service's password from ZHANBU_SERVICE_PASSWORD, or a login that is a member of
 * zhanbu_owner, when an administrator made the roles beforehand.
 */
import { loadConfig } from '../config.js';
import { createPool } from '../db/pool.js';
import { migrate } from '../db/migrate.js';
import { ensureRoles } from '../db/roles.js';

const config = loadConfig();
const pool = createPool(config.ownerDatabaseUrl, 1);
try {
  const client = await pool.connect();
  try {
    // A superuser creates the roles; any other login only finds out, clearly, whether they exist.
    await ensureRoles(client, config.servicePassword);
  } finally {
    client.release();
  }
  const applied = await migrate(pool, { log: (m) => console.log(`[migrate] ${m}`), servicePassword: config.servicePassword });
  console.log(applied.length ? `[migrate] ${applied.length} migration(s) applied` : '[migrate] schema is up to date');
} catch (err) {
  console.error(`[migrate] ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
