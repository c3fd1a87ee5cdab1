import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { ensureRoles, OWNER_DB_ROLE } from './roles.js';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url).pathname;

/** Migration files are `NNNN_name.sql`, applied in version order. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.slice(5, -4),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

// Any constant works; it only has to be the same for every runner of this project.
const MIGRATION_LOCK = 7_361_123;

/**
 * 0001–0006 were always applied by the connecting role (a superuser) and 0007 hands what they made
 * to zhanbu_owner, so up to 0007 migrations run as the connecting role; every later one runs as
 * zhanbu_owner (SET LOCAL ROLE), so what it creates belongs to the owner and gets the service's
 * privileges by default (migrations/README.md).
 */
export const LAST_LEGACY_VERSION = '0007';

export interface MigrateOptions {
  log?: (msg: string) => void;
  /** Set as zhanbu_service's password when the runner creates the roles (superuser only). */
  servicePassword?: string;
  /** Folder of the migration files (tests). */
  dir?: string;
}

/**
 * Pending migrations numbered below the highest applied one: a file added "in the past" (a branch
 * that took a number while a later one was merged and applied). Applying it now would run it after
 * migrations that were written without it, in an order no other database saw; it must be renumbered.
 */
export function migrationsBehind(migrations: readonly Migration[], applied: Iterable<string>): Migration[] {
  const done = new Set(applied);
  const highest = [...done].sort().at(-1) ?? '';
  return migrations.filter((m) => m.version < highest && !done.has(m.version));
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so two
 * runners (say the service and a test setup) never interleave. Safe to run any number of times.
 * An applied migration whose file has since changed is an error: history must not be rewritten;
 * so is a pending one numbered below the highest applied (migrationsBehind).
 *
 * With nothing pending it only reads, so the service's own login can call it; applying needs a
 * superuser or a login that is a member of zhanbu_owner (ZHANBU_OWNER_DATABASE_URL).
 */
export async function migrate(pool: pg.Pool, logOrOpts: ((msg: string) => void) | MigrateOptions = {}): Promise<string[]> {
  const opts: MigrateOptions = typeof logOrOpts === 'function' ? { log: logOrOpts } : logOrOpts;
  const log = opts.log ?? (() => {});
  const migrations = await loadMigrations(opts.dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const done = new Map<string, string>();
    const { rows: exists } = await client.query<{ t: string | null }>(`SELECT to_regclass('public.schema_migrations')::text AS t`);
    if (exists[0]!.t) {
      const { rows } = await client
        .query<{ version: string; checksum: string }>('SELECT version, checksum FROM public.schema_migrations')
        .catch((err: { code?: string; message: string }) => {
          // A database from before 0007 grants the service login nothing.
          if (err.code !== '42501') throw err;
          throw new Error(`${err.message}: migrations are applied by a superuser or zhanbu_owner; run \`npm run migrate\` with ZHANBU_OWNER_DATABASE_URL set to such a connection`);
        });
      for (const r of rows) done.set(r.version, r.checksum);
    }
    for (const m of migrations) {
      const prior = done.get(m.version);
      if (prior !== undefined && prior !== m.checksum) {
        throw new Error(`migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
      }
    }
    const behind = migrationsBehind(migrations, done.keys());
    if (behind.length) {
      const highest = [...done.keys()].sort().at(-1);
      throw new Error(
        `migration(s) ${behind.map((m) => `${m.version}_${m.name}`).join(', ')} are numbered below ${highest}, the highest already applied; ` +
          `the runner applies migrations in number order only: renumber the file(s) above ${highest} (migrations/README.md, "Numbering")`,
      );
    }
    const pending = migrations.filter((m) => !done.has(m.version));
    if (pending.length === 0) return applied;

    const { rows: who } = await client.query<{ su: boolean; owner: boolean }>(
      `SELECT rolsuper AS su,
              CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = $1) THEN pg_has_role(current_user, $1, 'USAGE') ELSE false END AS owner
         FROM pg_roles WHERE rolname = current_user`,
      [OWNER_DB_ROLE],
    );
    if (!who[0]!.su && !who[0]!.owner) {
      throw new Error(
        `${pending.length} migration(s) pending (${pending.map((m) => m.version).join(', ')}) and this connection can act as neither a superuser nor ${OWNER_DB_ROLE}; ` +
          'run `npm run migrate` with ZHANBU_OWNER_DATABASE_URL set to such a connection',
      );
    }
    await ensureRoles(client, opts.servicePassword);
    if (!exists[0]!.t) {
      await client.query(`CREATE TABLE public.schema_migrations (
        version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    for (const m of pending) {
      await client.query('BEGIN');
      try {
        if (m.version > LAST_LEGACY_VERSION) await client.query(`SET LOCAL ROLE ${OWNER_DB_ROLE}`);
        await client.query(m.sql);
        await client.query('INSERT INTO public.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(`${m.version}_${m.name}`);
      log(`applied ${m.version}_${m.name}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return applied;
}
