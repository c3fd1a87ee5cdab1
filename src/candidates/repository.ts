import type pg from 'pg';
import { isUuid, type SourceCrsViewT, type SourceEncodingViewT } from '../http/schemas.js';
import { ident } from '../db/pool.js';

type Db = pg.Pool | pg.PoolClient;

export interface UploadRow {
  id: string;
  county_code: string;
  township_code: string | null;
  applicant: string | null;
  intended_forest_class: string | null;
  source_name: string;
  source_format: string;
  source_layer: string | null;
  source_bytes: number;
  content_sha256: string;
  crs: SourceCrsViewT;
  encoding: SourceEncodingViewT | null;
  parcel_count: number;
  warnings: { code: string; message: string }[];
  uploaded_by: string | null;
  created_at: Date;
}

/**
 * The upload of the same file in the same scope: county and township (none for a county-level
 * upload), as the unique key of migration 0008. Looking wider would hand a township another
 * township's upload and its check summary.
 */
export async function uploadByHash(db: Db, county: string, township: string | null, sha256: string): Promise<UploadRow | undefined> {
  const { rows } = await db.query<UploadRow>(
    'SELECT * FROM candidate.upload WHERE county_code = $1 AND township_code IS NOT DISTINCT FROM $2 AND content_sha256 = $3',
    [county, township, sha256],
  );
  return rows[0];
}

export async function getUpload(db: Db, id: string): Promise<UploadRow | undefined> {
  if (!isUuid(id)) return undefined; // not an id: absent, not a cast error
  const { rows } = await db.query<UploadRow>('SELECT * FROM candidate.upload WHERE id = $1', [id]);
  return rows[0];
}

export interface NewUpload {
  county: string;
  township?: string;
  applicant?: string;
  intendedForestClass?: string;
  sourceName: string;
  sourceFormat: string;
  sourceLayer: string;
  sourceBytes: number;
  sha256: string;
  crs: SourceCrsViewT;
  encoding: SourceEncodingViewT;
  warnings: { code: string; message: string }[];
  uploadedBy?: string;
}

/**
 * Plausible coordinate windows per source CRS kind, so garbage coordinates become a failed
 * geometry check instead of an error out of ST_Transform. Geographic: China ± a margin;
 * Gauss–Krüger: the zone's easting range and China's northings.
 */
function plausibleSql(srid: number, gk: { falseEasting: number } | undefined): string {
  if (!gk) return `ST_XMin(s.geom) >= 70 AND ST_XMax(s.geom) <= 140 AND ST_YMin(s.geom) >= 0 AND ST_YMax(s.geom) <= 56`;
  const fe = gk.falseEasting;
  return `ST_XMin(s.geom) >= ${fe - 600000} AND ST_XMax(s.geom) <= ${fe + 600000} AND ST_YMin(s.geom) >= 0 AND ST_YMax(s.geom) <= 6300000 /* ${srid} */`;
}

/**
 * Creates the upload and its parcels from the staged layer in the caller's transaction. Each
 * parcel keeps the geometry exactly as uploaded (2D, in EPSG:4490) and a valid polygonal version
 * for the spatial checks; attributes are kept whole, with the known ones (DKBH, XZDM, SQDW, SBMJ,
 * NBLDL) also in columns.
 */
export async function insertUploadWithParcels(
  client: pg.PoolClient,
  u: NewUpload,
  staging: { table: string; columns: string[]; srid: number; gk?: { falseEasting: number } },
): Promise<UploadRow> {
  const { rows } = await client.query<UploadRow>(
    `INSERT INTO candidate.upload (county_code, township_code, applicant, intended_forest_class, source_name, source_format,
        source_layer, source_bytes, content_sha256, crs, encoding, parcel_count, warnings, uploaded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13) RETURNING *`,
    [u.county, u.township ?? null, u.applicant ?? null, u.intendedForestClass ?? null, u.sourceName, u.sourceFormat,
      u.sourceLayer, u.sourceBytes, u.sha256, u.crs, u.encoding, JSON.stringify(u.warnings), u.uploadedBy ?? null],
  );
  const upload = rows[0]!;
  const byUpper = new Map(staging.columns.map((c) => [c.toUpperCase(), c]));
  const col = (...names: string[]) => {
    for (const n of names) {
      const c = byUpper.get(n);
      if (c) return `NULLIF(btrim(s.${ident(c)}::text), '')`;
    }
    return 'NULL::text';
  };
  const attrCols = staging.columns.filter((c) => c !== 'ogc_fid' && c !== 'geom');
  const attrs = attrCols.length
    ? attrCols
        .reduce<string[][]>((chunks, c, i) => {
          if (i % 50 === 0) chunks.push([]);
          chunks[chunks.length - 1]!.push(`'${c.replace(/'/g, "''")}', s.${ident(c)}`);
          return chunks;
        }, [])
        .map((pairs) => `jsonb_build_object(${pairs.join(', ')})`)
        .join(' || ')
    : `'{}'::jsonb`;
  const number = (e: string) => `CASE WHEN ${e} ~ '^\\s*\\d+(\\.\\d+)?\\s*$' AND ${e}::float8 < 1e12 THEN ${e}::numeric END`;
  const sbmj = col('SBMJ');
  const sbmjMu = col('SBMJM');
  const township = col('XZDM', 'XZQDM');
  const original = `CASE WHEN s.geom IS NOT NULL AND NOT ST_IsEmpty(s.geom) AND ${plausibleSql(staging.srid, staging.gk)}
                         THEN ST_Transform(ST_Force2D(s.geom), 4490) END`;
  const res = await client.query(
    `INSERT INTO candidate.parcel (upload_id, county_code, fid, parcel_no, township_code, applicant, declared_area_m2,
        intended_forest_class, attributes, src_srid, geom_original, geom)
     SELECT $1, $2, s.ogc_fid, coalesce(${col('DKBH', 'BH', 'BSM')}, 'P' || lpad((s.ogc_fid)::text, 4, '0')),
            CASE WHEN ${township} ~ '^\\d{9}$' THEN ${township} ELSE $3 END,
            coalesce(${col('SQDW', 'SQR')}, $4),
            coalesce(round(${number(sbmj)}, 2), round(${number(sbmjMu)} * 10000 / 15, 2)),
            coalesce(${col('NBLDL')}, $5),
            ${attrs}, $6,
            coalesce(o.g, s.geom, 'GEOMETRYCOLLECTION EMPTY'::geometry),
            CASE WHEN o.g IS NOT NULL AND GeometryType(o.g) IN ('POLYGON', 'MULTIPOLYGON')
                 THEN NULLIF(ST_Multi(ST_CollectionExtract(ST_MakeValid(o.g), 3)), 'MULTIPOLYGON EMPTY'::geometry) END
       FROM staging.${ident(staging.table)} s
       CROSS JOIN LATERAL (SELECT ${original} AS g) o`,
    [upload.id, u.county, u.township ?? null, u.applicant ?? null, u.intendedForestClass ?? null, staging.srid],
  );
  await client.query('UPDATE candidate.upload SET parcel_count = $2 WHERE id = $1', [upload.id, res.rowCount]);
  return { ...upload, parcel_count: res.rowCount ?? 0 };
}

export interface ParcelRow {
  id: string;
  upload_id: string;
  county_code: string;
  fid: number;
  parcel_no: string;
  township_code: string | null;
  applicant: string | null;
  declared_area_m2: string | null;
  intended_forest_class: string | null;
  attributes: Record<string, unknown> | null;
  src_srid: number;
}

export async function listParcels(db: Db, uploadId: string): Promise<ParcelRow[]> {
  const { rows } = await db.query<ParcelRow>(
    `SELECT id, upload_id, county_code, fid, parcel_no, township_code, applicant, declared_area_m2,
            intended_forest_class, attributes, src_srid
       FROM candidate.parcel WHERE upload_id = $1 ORDER BY fid`,
    [uploadId],
  );
  return rows;
}

/** Each parcel of an upload with the township it was filed under (for the jurisdiction rule). */
export async function filedTownships(db: Db, uploadId: string): Promise<{ fid: number; parcelNo: string; township: string | null }[]> {
  const { rows } = await db.query<{ fid: number; parcelNo: string; township: string | null }>(
    `SELECT fid, parcel_no AS "parcelNo", township_code AS township FROM candidate.parcel WHERE upload_id = $1 ORDER BY fid`,
    [uploadId],
  );
  return rows;
}
