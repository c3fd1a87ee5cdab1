import type pg from 'pg';
import { ident } from '../db/pool.js';

/**
 * Reads of a staged layer (candidate upload or survey import) for the geometry bounds: cheap per-feature measures (no GEOS
 * work beyond reading coordinates), and the invalid polygons whose crossings are then counted.
 */
type Db = pg.Pool | pg.PoolClient;

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

/**
 * Adds features to an import's rejects table (fid, bsm, reasons) with one reason; a feature
 * already rejected for something else keeps its reasons and gains this one.
 */
export async function addRejects(db: Db, sourceTable: string, rejectsTable: string, idExpr: string, fids: number[], reason: Record<string, unknown>): Promise<number> {
  if (fids.length === 0) return 0;
  // Returns how many features were not rejected before (xmax = 0: inserted, not updated).
  const { rows } = await db.query<{ inserted: boolean }>(
    `INSERT INTO staging.${ident(rejectsTable)} (fid, bsm, reasons)
     SELECT s.ogc_fid, ${idExpr}, jsonb_build_array($2::jsonb) FROM staging.${ident(sourceTable)} s WHERE s.ogc_fid = ANY($1::int[])
     ON CONFLICT (fid) DO UPDATE SET reasons = staging.${ident(rejectsTable)}.reasons || EXCLUDED.reasons
     RETURNING (xmax = 0) AS inserted`,
    [fids, JSON.stringify(reason)],
  );
  return rows.filter((r) => r.inserted).length;
}
