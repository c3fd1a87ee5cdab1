import { mkdtempSync } from 'node:fs';
import type pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { ImportHooks } from '../../src/imports/service.js';
import { serviceDatabaseUrl } from './db.js';

/**
 * The app on the test database, as the service runs it: every request needs a token (send it with
 * helpers/http.ts `injectAs`). The app connects as the service's own login (serviceDatabaseUrl: no
 * superuser, owns nothing) with a pool of its own, closed with the app.
 */
export async function buildTestApp(opts: { hooks?: ImportHooks; maxUploadBytes?: number; maxExpandedBytes?: number; pool?: pg.Pool } = {}): Promise<App> {
  const base = loadConfig({ DATABASE_URL: serviceDatabaseUrl() });
  const config = {
    ...base,
    workDir: mkdtempSync(join(tmpdir(), 'zhanbu-test-')),
    ...(opts.maxUploadBytes ? { maxUploadBytes: opts.maxUploadBytes } : {}),
    ...(opts.maxExpandedBytes ? { maxExpandedBytes: opts.maxExpandedBytes } : {}),
  };
  // opts.pool: a pool of the caller's (the service's login), which the caller ends.
  return buildApp({ config, importHooks: opts.hooks, ...(opts.pool ? { pool: opts.pool } : {}) });
}
