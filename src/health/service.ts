import gdal from 'gdal-async';
import type pg from 'pg';
import { postgisVersion } from './repository.js';

/** Whether the database answers, with PostGIS's version or the error (the error is shown to province administrators only). */
export async function probeDatabase(pool: pg.Pool): Promise<{ ok: true; postgis: string } | { ok: false; error: string }> {
  try {
    return { ok: true, postgis: await postgisVersion(pool) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export const gdalVersion = (): string => gdal.version;
