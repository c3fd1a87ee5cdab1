import gdal from 'gdal-async';
import { openUploadAsync } from './open-upload.js';
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
  sourceEpsg: number;
  dropZ: boolean;
}

/**
 * Copies the source layer as-is into an unlogged staging table with GDAL's own writer (COPY),
 * off the event loop. Names are kept (LAUNDER=NO) so 三调 fields map by name; types are kept loose
 * (PRECISION=NO) so nothing is truncated before validation; the source CRS is assigned, not
 * transformed — transformation, validation and typing happen set-based in PostGIS afterwards.
 *
 * No GDAL progress callback: each call hops from GDAL's thread to the event loop and measured
 * twice as slow on a 200,000-feature layer. Progress is read from pg_stat_progress_copy instead.
 * A single reader: two readers splitting the layer by OFFSET were slower on two cores.
 */
export async function stageLayer(located: LocatedSource, opts: StageOptions): Promise<void> {
  const ds = await openUploadAsync(located);
  const args = [
    '-f', 'PostgreSQL',
    '-nln', `staging.${opts.table}`,
    '-lco', 'SPATIAL_INDEX=NONE',
    '-lco', 'UNLOGGED=ON',
    '-lco', 'GEOMETRY_NAME=geom',
    '-lco', 'FID=ogc_fid',
    '-lco', 'LAUNDER=NO',
    '-lco', 'PRECISION=NO',
    '-nlt', 'GEOMETRY',
    '-a_srs', `EPSG:${opts.sourceEpsg}`,
    '-preserve_fid',
    ...(opts.dropZ ? ['-dim', 'XY'] : []),
    opts.layerName,
  ];
  try {
    const out = await gdal.vectorTranslateAsync(gdalPgConnection(opts.databaseUrl), ds, args);
    out.close();
  } catch (err) {
    const msg = (err as Error).message;
    if (/PQconnectdb|connection to server|could not connect/i.test(msg)) throw err; // the database, not the file
    throw badInput('file-corrupt', 'File could not be read completely', `读取文件时出错，文件可能已损坏或被截断：${msg}`);
  } finally {
    ds.close();
  }
}

export interface StagedOutput {
  databaseUrl: string;
  /** Scratch table in schema staging that the SQL reads. */
  table: string;
  sql: string;
  /** File or folder GDAL writes. */
  target: string;
  driver: string;
  layerName: string;
  epsg: number;
  creationOptions: string[];
}

/**
 * Writes the result of a SELECT over a staging table to a file with GDAL, streaming (never the
 * whole layer in Node's memory), off the event loop.
 */
export async function writeStagedLayer(o: StagedOutput): Promise<void> {
  const src = await gdal.openAsync(`${gdalPgConnection(o.databaseUrl)} tables=staging.${o.table}`, 'r', ['PostgreSQL']);
  try {
    const out = await gdal.vectorTranslateAsync(o.target, src, [
      '-f', o.driver,
      '-sql', o.sql,
      '-nln', o.layerName,
      '-nlt', 'MULTIPOLYGON',
      '-a_srs', `EPSG:${o.epsg}`,
      ...o.creationOptions.flatMap((c) => ['-lco', c]),
    ]);
    out.close();
  } finally {
    src.close();
  }
}
