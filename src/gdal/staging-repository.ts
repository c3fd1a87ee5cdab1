import type pg from 'pg';
import { ident } from '../db/pool.js';

/**
 * The staging schema, where GDAL copies an uploaded layer (stage.ts) for imports, candidate uploads
 * and exports: table names, columns, copy progress, clean-up, and reads of the staged geometry for
 * the bounds (cheap per-feature measures, no GEOS work beyond reading coordinates; the invalid
 * polygons whose crossings are then counted).
 */
type Db = pg.Pool | pg.PoolClient;

/** A column of the staging table as GDAL created it. */
export interface StagingColumn {
  name: string;
  /** information_schema data_type, e.g. 'character varying', 'double precision', 'integer'. */
  dataType: string;
}

/** The staging table of a job (import, candidate upload, export): one prefix per job, so dropStaging finds them all. */
export const stagingName = (jobId: string, part: 'src' | 'rej' | 'fix'): string => `imp_${jobId.replace(/-/g, '').slice(0, 16)}_${part}`;

/** Rows GDAL's COPY into a staging table has sent so far (PostgreSQL's own progress view). */
export async function stagingCopyProgress(db: Db, table: string): Promise<number | undefined> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT tuples_processed::bigint AS n FROM pg_stat_progress_copy
      WHERE relid = to_regclass('staging.' || quote_ident($1))`,
    [table],
  );
  return rows[0]?.n;
}

export async function stagingColumns(db: Db, table: string): Promise<StagingColumn[]> {
  const { rows } = await db.query<{ name: string; data_type: string }>(
    `SELECT column_name AS name, data_type FROM information_schema.columns
      WHERE table_schema = 'staging' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => ({ name: r.name, dataType: r.data_type }));
}

export async function dropStaging(db: Db, jobId: string): Promise<void> {
  const prefix = stagingName(jobId, 'src').replace(/_src$/, '');
  const { rows } = await db.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' AND tablename LIKE $1 || '\\_%'`,
    [prefix],
  );
  for (const r of rows) await db.query(`DROP TABLE IF EXISTS staging.${ident(r.t)} CASCADE`);
}

export interface StagedShapeRow {
  fid: number;
  parcel_no: string;
  empty: boolean;
  vertices: number;
  parts: number;
  bbox: [number, number, number, number] | null;
}

/** The parcel number as the upload will store it (DKBH, BH or BSM, else P + fid). */
function parcelNoSql(columns: string[]): string {
  const byUpper = new Map(columns.map((c) => [c.toUpperCase(), c]));
  const named = ['DKBH', 'BH', 'BSM'].map((n) => byUpper.get(n)).filter((c): c is string => !!c);
  return `coalesce(${[...named.map((c) => `NULLIF(btrim(s.${ident(c)}::text), '')`), `'P' || lpad(s.ogc_fid::text, 4, '0')`].join(', ')})`;
}

export async function stagedShapes(db: Db, table: string, columns: string[]): Promise<StagedShapeRow[]> {
  const { rows } = await db.query<StagedShapeRow>(
    `SELECT s.ogc_fid AS fid, ${parcelNoSql(columns)} AS parcel_no,
            (s.geom IS NULL OR ST_IsEmpty(s.geom)) AS empty,
            coalesce(ST_NPoints(s.geom), 0) AS vertices,
            coalesce(ST_NumGeometries(s.geom), 0) AS parts,
            CASE WHEN s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom)
                 THEN ARRAY[ST_XMin(s.geom), ST_YMin(s.geom), ST_XMax(s.geom), ST_YMax(s.geom)] END AS bbox
       FROM staging.${ident(table)} s ORDER BY s.ogc_fid`,
  );
  return rows;
}

/**
 * Invalid polygons of the staged layer, as GeoJSON text (full precision). ST_IsValid stops at the
 * first defect, so it is cheap even on the shapes that make ST_MakeValid run for minutes.
 */
export async function invalidStagedPolygons(db: Db, table: string, fids?: number[]): Promise<{ fid: number; geojson: string }[]> {
  const { rows } = await db.query<{ fid: number; geojson: string }>(
    `SELECT s.ogc_fid AS fid, ST_AsGeoJSON(s.geom, 15) AS geojson
       FROM staging.${ident(table)} s
      WHERE GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_IsEmpty(s.geom) AND NOT ST_IsValid(s.geom)
        AND ($1::int[] IS NULL OR s.ogc_fid = ANY($1::int[]))`,
    [fids ?? null],
  );
  return rows;
}
