import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ImportHooks } from '../../src/imports/service.js';
import { ensureTestAdmin, withDefaultToken } from './auth.js';
import { serviceDatabaseUrl } from './db.js';

/**
 * The app on the test database; requests without a token are sent as the test province administrator (helpers/auth.ts).
 * The app connects as the service's own login (serviceDatabaseUrl: no superuser, owns nothing) with a pool of its own,
 * closed with the app; `pool` (privileged) only creates the test administrator.
 */
export async function buildTestApp(pool: pg.Pool, opts: { hooks?: ImportHooks; maxUploadBytes?: number; maxExpandedBytes?: number } = {}): Promise<App> {
  const base = loadConfig({ DATABASE_URL: serviceDatabaseUrl() });
  const config = {
    ...base,
    workDir: mkdtempSync(join(tmpdir(), 'zhanbu-test-')),
    ...(opts.maxUploadBytes ? { maxUploadBytes: opts.maxUploadBytes } : {}),
    ...(opts.maxExpandedBytes ? { maxExpandedBytes: opts.maxExpandedBytes } : {}),
  };
  return withDefaultToken(await buildApp({ config, importHooks: opts.hooks }), await ensureTestAdmin(pool));
}
