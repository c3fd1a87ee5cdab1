import { readFile } from 'node:fs/promises';
import type pg from 'pg';

/** Owns the schemas, tables and functions; migrations after 0007 run as it (migrations/roles.sql). */
export const OWNER_DB_ROLE = 'zhanbu_owner';
/** The service's login: no superuser, owns nothing, BYPASSRLS for background work. */
export const SERVICE_DB_ROLE = 'zhanbu_service';

const ROLES_SQL_FILE = new URL('../../migrations/roles.sql', import.meta.url).pathname;

/**
 * Creates or adjusts the cluster-wide roles (migrations/roles.sql) when the connection is a
 * superuser, and sets zhanbu_service's password when one is given; otherwise checks that the roles
 * exist. Idempotent.
 */
export async function ensureRoles(client: pg.PoolClient | pg.Client, servicePassword?: string): Promise<void> {
  const { rows } = await client.query<{ su: boolean; n: number }>(
    `SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
            (SELECT count(*)::int FROM pg_roles WHERE rolname IN ('zhanbu_owner', 'zhanbu_service', 'zhanbu_app')) AS n`,
  );
  if (rows[0]!.su) {
    await client.query(await readFile(ROLES_SQL_FILE, 'utf8'));
    if (servicePassword) await client.query(`ALTER ROLE ${SERVICE_DB_ROLE} PASSWORD ${client.escapeLiteral(servicePassword)}`);
  } else if (rows[0]!.n < 3) {
    throw new Error(
      'roles zhanbu_owner, zhanbu_service and zhanbu_app are missing; an administrator must run migrations/roles.sql once ' +
        '(README, "Security"), or run the migrations as a superuser',
    );
  }
}

/**
 * Why the service must not run on this connection, or null when it may: a superuser, or a login
 * that owns the schema or can become its owner, would turn any hole (an upload that makes GDAL
 * connect, an injected statement) into control of the database and its host.
 */
export async function unsafeServiceLogin(db: pg.Pool | pg.PoolClient): Promise<string | null> {
  const { rows } = await db.query<{ login: string; su: boolean; owns: boolean; can_own: boolean }>(
    `SELECT r.rolname AS login, r.rolsuper AS su,
            EXISTS (SELECT FROM pg_namespace n WHERE n.nspname IN ('survey', 'procedure', 'quota', 'audit') AND n.nspowner = r.oid) AS owns,
            CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = $1) THEN pg_has_role(r.oid, $1, 'USAGE') ELSE false END AS can_own
       FROM pg_roles r WHERE r.rolname = current_user`,
    [OWNER_DB_ROLE],
  );
  const r = rows[0]!;
  if (r.su) return `${r.login} is a superuser`;
  if (r.owns) return `${r.login} owns the schema`;
  if (r.can_own) return `${r.login} can act as ${OWNER_DB_ROLE}`;
  return null;
}
