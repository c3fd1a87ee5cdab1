import gdal from 'gdal-async';
import { badInput } from '../http/problem.js';
import type { LocatedSource } from './source.js';

/** GDAL's "PG:" connection string for a postgres:// URL. */
export function gdalPgConnection(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  const q = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const parts = [
    u.hostname && `host=${q(decodeURIComponent(u.hostname))}`,
    u.port && `port=${u.port}`,
    `dbname=${q(decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres')}`,
    u.username && `user=${q(decodeURIComponent(u.username))}`,
    u.password && `password=${q(decodeURIComponent(u.password))}`,
    `application_name='zhanbu-import'`,
  ].filter(Boolean);
  // A socket directory can come as ?host=/path.
  const hostParam = u.searchParams.get('host');
  if (hostParam) parts.push(`host=${q(hostParam)}`);
  return 'PG:' + parts.join(' ');
}

export interface StageOptions {
  databaseUrl: string;
  table: string; // unqualified, in schema staging
  layerName: string;
  featureCount: number;
  sourceEpsg: number;
  dropZ: boolean;
  onProgress?: (fraction: number) => void;
}

// GDAL uses COPY only for tables it creates unless told otherwise; the parallel readers append.
gdal.config.set('PG_USE_COPY', 'YES');

/** Below this many features a second reader costs more than it saves. */
const PARALLEL_MIN_FEATURES = 50_000;

async function openSource(located: LocatedSource): Promise<gdal.Dataset> {
  try {
    return await gdal.openAsync(located.datasetPath, 'r');
  } catch (err) {
    throw badInput('file-unreadable', 'File cannot be opened', `文件无法打开：${(err as Error).message}`);
  }
}

async function translate(located: LocatedSource, opts: StageOptions, args: string[], onProgress: (f: number) => void): Promise<void> {
  const ds = await openSource(located);
  try {
    const out = await gdal.vectorTranslateAsync(gdalPgConnection(opts.databaseUrl), ds, args, {
      progress_cb: (complete: number) => onProgress(complete),
    });
    out.close();
  } catch (err) {
    const msg = (err as Error).message;
    if (/PQconnectdb|connection to server|could not connect/i.test(msg)) throw err; // the database, not the file
    throw badInput('file-corrupt', 'File could not be read completely', `读取文件时出错，文件可能已损坏或被截断：${msg}`);
  } finally {
    ds.close();
  }
}

/**
 * Copies the source layer as-is into an unlogged staging table with GDAL's own writer (COPY),
 * off the event loop. Names are kept (LAUNDER=NO) so 三调 fields map by name; types are kept loose
 * (PRECISION=NO) so nothing is truncated before validation; the source CRS is assigned, not
 * transformed — transformation, validation and typing happen set-based in PostGIS afterwards.
 * A large shapefile is read by two GDAL readers at once (disjoint FID ranges via OFFSET, which the
 * Shapefile driver seeks to directly), using the second core while PostgreSQL parses the COPY.
 */
export async function stageLayer(located: LocatedSource, opts: StageOptions): Promise<void> {
  const common = [
    '-f', 'PostgreSQL',
    '-nln', `staging.${opts.table}`,
    '-nlt', 'GEOMETRY',
    '-a_srs', `EPSG:${opts.sourceEpsg}`,
    '-preserve_fid',
    ...(opts.dropZ ? ['-dim', 'XY'] : []),
  ];
  const create = ['-lco', 'SPATIAL_INDEX=NONE', '-lco', 'UNLOGGED=ON', '-lco', 'GEOMETRY_NAME=geom', '-lco', 'FID=ogc_fid', '-lco', 'LAUNDER=NO', '-lco', 'PRECISION=NO'];
  const layerRef = `"${opts.layerName.replace(/"/g, '\\"')}"`;
  const progress = opts.onProgress ?? (() => {});

  if (located.format !== 'shapefile' || opts.featureCount < PARALLEL_MIN_FEATURES) {
    await translate(located, opts, [...common, ...create, opts.layerName], progress);
    return;
  }
  // Create the empty table first, then fill it from two readers.
  await translate(located, opts, [...common, ...create, '-sql', `SELECT * FROM ${layerRef} LIMIT 0`], () => {});
  const half = Math.ceil(opts.featureCount / 2);
  const done = [0, 0];
  const part = (i: number, sql: string) =>
    translate(located, opts, [...common, '-append', '-sql', sql], (f) => {
      done[i] = f;
      progress((done[0]! + done[1]!) / 2);
    });
  // allSettled: a failing reader must not leave the other still writing when we clean up.
  const results = await Promise.allSettled([
    part(0, `SELECT * FROM ${layerRef} LIMIT ${half}`),
    part(1, `SELECT * FROM ${layerRef} LIMIT ${opts.featureCount - half} OFFSET ${half}`),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
