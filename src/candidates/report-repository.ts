import type pg from 'pg';
import { isUuid } from '../http/schemas.js';
import type { CheckParameters } from '../domain/checks/parameters.js';
import type { RunLayers } from './checks-repository.js';

type Db = pg.Pool | pg.PoolClient;

export interface RunRow {
  id: string;
  upload_id: string;
  parameters: CheckParameters;
  /** The province-published parameter set the run used (null: a run from before versioning). */
  parameter_set_version: number | null;
  layers: RunLayers;
  started_at: Date;
  finished_at: Date | null;
  run_by: string | null;
}

export async function listRuns(db: Db, uploadId: string): Promise<RunRow[]> {
  const { rows } = await db.query<RunRow>('SELECT * FROM candidate.check_run WHERE upload_id = $1 AND finished_at IS NOT NULL ORDER BY started_at DESC', [uploadId]);
  return rows;
}

/** Newest first: what makes a finished run its upload's latest (runs started in one transaction: by id, so the choice is stable). */
const latestFirst = (run: string) => `${run}.started_at DESC, ${run}.id DESC`;

/**
 * THE latest check of a parcel, as SQL, for the reports here (findRun) and the OGC collection
 * `candidates-{county}` (src/ogc/repository.ts), so the two can never differ: the latest finished
 * run of the parcel's upload (`upload`, an SQL expression) and, of its results for `parcel`, the
 * overall status (worstStatus: fail > warn > pass; not-run only when every check is) and the area
 * of record as the area check stored it (m², 亩, 公顷: the report's figures, not recomputed).
 * One row, or none when the upload has no finished run visible in the scope.
 */
export function latestParcelCheckSql(parcel: string, upload: string): string {
  return `SELECT CASE WHEN bool_or(r.status = 'fail') THEN 'fail' WHEN bool_or(r.status = 'warn') THEN 'warn'
                      WHEN bool_or(r.status = 'pass') THEN 'pass' ELSE 'not-run' END AS status,
                 max((r.figures->'areaOfRecord'->>'m2')::numeric) FILTER (WHERE r.check_code = 'area') AS area_m2,
                 max((r.figures->'areaOfRecord'->>'mu')::numeric) FILTER (WHERE r.check_code = 'area') AS area_mu,
                 max((r.figures->'areaOfRecord'->>'hectare')::numeric) FILTER (WHERE r.check_code = 'area') AS area_ha
            FROM candidate.check_result r
           WHERE r.parcel_id = ${parcel}
             AND r.run_id = (SELECT lr.id FROM candidate.check_run lr WHERE lr.upload_id = ${upload} AND lr.finished_at IS NOT NULL ORDER BY ${latestFirst('lr')} LIMIT 1)
          HAVING count(*) > 0`;
}

/** The run asked for, or the upload's latest finished run. */
export async function findRun(db: Db, uploadId: string, runId?: string): Promise<RunRow | undefined> {
  if (runId !== undefined && !isUuid(runId)) return undefined; // not a run id: 404, not a cast error
  const { rows } = await db.query<RunRow>(
    `SELECT * FROM candidate.check_run r WHERE r.upload_id = $1 AND r.finished_at IS NOT NULL AND ($2::uuid IS NULL OR r.id = $2)
      ORDER BY ${latestFirst('r')} LIMIT 1`,
    [uploadId, runId ?? null],
  );
  return rows[0];
}

export interface ResultRow {
  parcel_id: string;
  parcel_no: string;
  fid: number;
  township_code: string | null;
  applicant: string | null;
  check_code: string;
  status: string;
  message: string;
  figures: Record<string, unknown>;
  problems: GeoJSON.FeatureCollection | null;
}

export async function runResults(db: Db, runId: string, parcelId?: string): Promise<ResultRow[]> {
  const { rows } = await db.query<ResultRow>(
    `SELECT r.parcel_id, p.parcel_no, p.fid, p.township_code, p.applicant, r.check_code, r.status, r.message, r.figures, r.problems
       FROM candidate.check_result r JOIN candidate.parcel p ON p.id = r.parcel_id
      WHERE r.run_id = $1 AND ($2::uuid IS NULL OR r.parcel_id = $2)
      ORDER BY p.fid, r.check_code`,
    [runId, parcelId ?? null],
  );
  return rows;
}

/** Parcel outlines (EPSG:4490 GeoJSON) for the GeoJSON report. */
export async function parcelOutlines(db: Db, uploadId: string, parcelId?: string): Promise<Map<string, GeoJSON.Geometry | null>> {
  const { rows } = await db.query<{ id: string; g: string | null }>(
    `SELECT id, ST_AsGeoJSON(coalesce(geom, CASE WHEN ST_SRID(geom_original) = 4490 THEN geom_original END), 9) AS g
       FROM candidate.parcel WHERE upload_id = $1 AND ($2::uuid IS NULL OR id = $2)`,
    [uploadId, parcelId ?? null],
  );
  return new Map(rows.map((r) => [r.id, r.g ? (JSON.parse(r.g) as GeoJSON.Geometry) : null]));
}

export async function getParcel(db: Db, id: string) {
  if (!isUuid(id)) return undefined; // not an id: absent, not a cast error
  const { rows } = await db.query<{ id: string; upload_id: string; county_code: string }>('SELECT id, upload_id, county_code FROM candidate.parcel WHERE id = $1', [id]);
  return rows[0];
}
