/**
 * The migration runner (src/db/migrate.ts): a migration numbered below the highest applied one (a file
 * added "in the past") is refused with a message naming it, before anything is applied.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, migrationsBehind, MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { testPool } from '../helpers/db.js';

const pool = testPool(2);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await pool.end();
});

/** A copy of the project's migrations plus extra files. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'zhanbu-migrations-'));
  dirs.push(dir);
  for (const f of readdirSync(MIGRATIONS_DIR)) if (f.endsWith('.sql')) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
  for (const [f, sql] of Object.entries(extra)) writeFileSync(join(dir, f), sql);
  return dir;
}

describe('migration numbering', () => {
  it('migrationsBehind names pending files numbered below the highest applied, and only those', async () => {
    const all = await loadMigrations();
    const m = (version: string) => ({ version, name: 'x', sql: '', checksum: '' });
    // A pending file above the highest applied one (whatever that is now) is not behind.
    const above = String(Number(all.at(-1)!.version) + 1).padStart(4, '0');
    expect(migrationsBehind([...all, m('0004'), m(above)], all.map((x) => x.version)).map((x) => x.version)).toEqual(['0004']);
    expect(migrationsBehind([m('0001'), m('0002')], [])).toEqual([]);
    expect(migrationsBehind([m('0001'), m('0002'), m('0003')], ['0001', '0003']).map((x) => x.version)).toEqual(['0002']);
  });

  it('refuses a migration added below the highest applied one, naming it and the fix, and applies nothing', async () => {
    const before = (await pool.query('SELECT version FROM public.schema_migrations ORDER BY version')).rows;
    const highest = before.at(-1)!.version as string;
    const dir = migrationsWith({ '0004_added_in_the_past.sql': 'CREATE TABLE public.should_never_exist (id int);' });
    await expect(migrate(pool, { dir })).rejects.toThrow(new RegExp(`0004_added_in_the_past are numbered below ${highest}, the highest already applied.*renumber`));
    expect((await pool.query('SELECT version FROM public.schema_migrations ORDER BY version')).rows).toEqual(before);
    expect((await pool.query(`SELECT to_regclass('public.should_never_exist') AS t`)).rows[0].t).toBeNull();
  });

  it('with the project’s own files there is nothing behind and nothing pending', async () => {
    expect(await migrate(pool)).toEqual([]);
  });
});
