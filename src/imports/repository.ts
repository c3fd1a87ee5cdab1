import type pg from 'pg';
import type { QualitySummary } from './quality.js';
import { isUuid, type SourceCrsViewT, type SourceEncodingViewT } from '../http/schemas.js';
import { dropStaging } from '../gdal/staging-repository.js';
import { ident } from '../db/pool.js';
import type { LayerKind } from '../layers/specs.js';
import type { ProblemBody } from '../http/problem.js';

export type ImportState = 'queued' | 'running' | 'succeeded' | 'refused' | 'failed';

export interface ImportJobRow {
  id: string;
  layer: LayerKind;
  county_code: string;
  survey_year: number;
  source_name: string;
  source_format: string | null;
  source_layer: string | null;
  source_bytes: number | null;
  content_sha256: string;
  options: ImportOptions;
  state: ImportState;
  phase: string | null;
  progress: number;
  crs: SourceCrsViewT | null;
  encoding: SourceEncodingViewT | null;
  feature_count: number | null;
  imported_count: number | null;
  rejected_count: number | null;
  repaired_count: number | null;
  repaired_area_change_m2: string | null;
  timings_ms: Record<string, number> | null;
  /** Layer-level quality checks (DLTB; migrations/0017): findings per rule. */
  quality: QualitySummary | null;
  error: ProblemBody | null;
  replaces: string | null;
  superseded_by: string | null;
  partition_table: string | null;
  requested_by: string | null;
  worker_id: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface ImportOptions {
  layerName?: string;
  encoding?: string;
  onRejects: 'refuse' | 'keep';
  repairGeometry: boolean;
  replace: boolean;
  dropZ: boolean;
}

type Db = pg.Pool | pg.PoolClient;

const JOB_COLUMNS = '*';

export async function getJob(db: Db, id: string): Promise<ImportJobRow | undefined> {
  if (!isUuid(id)) return undefined; // not an id: absent, not a cast error
  const { rows } = await db.query<ImportJobRow>(`SELECT ${JOB_COLUMNS} FROM public.import_job WHERE id = $1`, [id]);
  return rows[0];
}

export async function listJobs(
  db: Db,
  f: { county?: string; layer?: string; year?: number; state?: string; limit: number; offset: number },
): Promise<ImportJobRow[]> {
  const { rows } = await db.query<ImportJobRow>(
    `SELECT ${JOB_COLUMNS} FROM public.import_job
      WHERE ($1::text IS NULL OR county_code = $1) AND ($2::text IS NULL OR layer = $2)
        AND ($3::int IS NULL OR survey_year = $3) AND ($4::text IS NULL OR state = $4)
      ORDER BY created_at DESC LIMIT $5 OFFSET $6`,
    [f.county ?? null, f.layer ?? null, f.year ?? null, f.state ?? null, f.limit, f.offset],
  );
  return rows;
}

/** The layer version in force for a county and year, if any. */
export async function currentJob(db: Db, layer: LayerKind, county: string, year: number): Promise<ImportJobRow | undefined> {
  const { rows } = await db.query<ImportJobRow>(
    `SELECT ${JOB_COLUMNS} FROM public.import_job
      WHERE layer = $1 AND county_code = $2 AND survey_year = $3 AND state = 'succeeded' AND superseded_by IS NULL`,
    [layer, county, year],
  );
  return rows[0];
}

/** An import of the same layer-year still queued or running. */
export async function pendingJob(db: Db, layer: LayerKind, county: string, year: number): Promise<ImportJobRow | undefined> {
  const { rows } = await db.query<ImportJobRow>(
    `SELECT ${JOB_COLUMNS} FROM public.import_job
      WHERE layer = $1 AND county_code = $2 AND survey_year = $3 AND state IN ('queued', 'running')
      ORDER BY created_at LIMIT 1`,
    [layer, county, year],
  );
  return rows[0];
}

export interface NewJob {
  id: string;
  layer: LayerKind;
  county: string;
  year: number;
  sourceName: string;
  sourceFormat: string;
  sourceLayer: string;
  sourceBytes: number;
  sha256: string;
  options: ImportOptions;
  crs: SourceCrsViewT;
  encoding: SourceEncodingViewT;
  featureCount: number;
  requestedBy?: string;
  workerId: string;
}

export async function insertJob(db: Db, j: NewJob): Promise<ImportJobRow> {
  const { rows } = await db.query<ImportJobRow>(
    `INSERT INTO public.import_job (id, layer, county_code, survey_year, source_name, source_format, source_layer,
        source_bytes, content_sha256, options, crs, encoding, feature_count, requested_by, worker_id, state, phase)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'queued', 'queued') RETURNING *`,
    [j.id, j.layer, j.county, j.year, j.sourceName, j.sourceFormat, j.sourceLayer, j.sourceBytes, j.sha256,
      j.options, j.crs, j.encoding, j.featureCount, j.requestedBy ?? null, j.workerId],
  );
  return rows[0]!;
}

export async function setProgress(db: Db, id: string, phase: string, progress: number): Promise<void> {
  await db.query(
    `UPDATE public.import_job SET phase = $2, progress = $3,
        state = CASE WHEN state = 'queued' THEN 'running' ELSE state END,
        started_at = coalesce(started_at, now())
      WHERE id = $1 AND state IN ('queued', 'running')`,
    [id, phase, Math.max(0, Math.min(1, progress))],
  );
}

export async function finishJob(
  db: Db,
  id: string,
  state: Exclude<ImportState, 'queued' | 'running'>,
  f: {
    timings?: Record<string, number>; error?: ProblemBody; imported?: number; rejected?: number; repaired?: number; repairedAreaChange?: number;
    partitionTable?: string; replaces?: string; quality?: QualitySummary;
  },
): Promise<void> {
  await db.query(
    `UPDATE public.import_job SET state = $2, phase = $2, progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END,
        error = $3, imported_count = $4, rejected_count = $5, repaired_count = $6, repaired_area_change_m2 = $7,
        partition_table = $8, replaces = $9, timings_ms = $10, quality = $11, finished_at = now()
      WHERE id = $1`,
    [id, state, f.error ?? null, f.imported ?? null, f.rejected ?? null, f.repaired ?? null,
      f.repairedAreaChange ?? null, f.partitionTable ?? null, f.replaces ?? null, f.timings ?? null, f.quality ?? null],
  );
}

/** Evaluates every rule on every staged feature once; failures land in a small side table. */
export async function collectRejects(db: Db, rejectsTable: string, rejectsSelect: string, params: unknown[]): Promise<number> {
  await db.query(`CREATE UNLOGGED TABLE staging.${ident(rejectsTable)} AS ${rejectsSelect}`, params);
  await db.query(`ALTER TABLE staging.${ident(rejectsTable)} ADD PRIMARY KEY (fid)`);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.${ident(rejectsTable)}`);
  return rows[0]!.n;
}

/** The staged feature's identifier (its BSM column, as text) in the statements over staging table `s`. */
export const sourceIdExpression = (column: string | undefined): string => (column ? `s.${ident(column)}::text` : 'NULL::text');

/**
 * Repairs invalid polygons (only when asked): ST_MakeValid keeps every vertex, the polygonal part
 * is kept, and the area before and after is recorded (geodesic, on CGCS2000) so the change is visible.
 */
export async function collectRepairs(
  db: Db,
  sourceTable: string,
  repairsTable: string,
  idExpr: string,
  /** Features rejected with this code are not repaired (see repair-guard.ts). */
  skip?: { rejectsTable: string; skipCode: string },
): Promise<{ count: number; areaChange: number }> {
  const skipSql = skip
    ? `AND NOT EXISTS (SELECT 1 FROM staging.${ident(skip.rejectsTable)} r WHERE r.fid = s.ogc_fid AND r.reasons @> jsonb_build_array(jsonb_build_object('code', '${skip.skipCode.replace(/'/g, "''")}')))`
    : '';
  await db.query(`CREATE UNLOGGED TABLE staging.${ident(repairsTable)} AS
    SELECT fid, bsm, reason, fixed,
           round(ST_Area(ST_Transform(before, 4490)::geography)::numeric, 2) AS area_before_m2,
           round(coalesce(ST_Area(ST_Transform(fixed, 4490)::geography), 0)::numeric, 2) AS area_after_m2
      FROM (SELECT s.ogc_fid AS fid, ${idExpr} AS bsm, ST_IsValidReason(s.geom) AS reason, s.geom AS before,
                   NULLIF(ST_Multi(ST_CollectionExtract(ST_MakeValid(s.geom), 3)), ST_GeomFromText('MULTIPOLYGON EMPTY')) AS fixed
              FROM staging.${ident(sourceTable)} s
             WHERE GeometryType(s.geom) IN ('POLYGON', 'MULTIPOLYGON') AND NOT ST_IsEmpty(s.geom) AND NOT ST_IsValid(s.geom) ${skipSql}) q`);
  await db.query(`ALTER TABLE staging.${ident(repairsTable)} ADD PRIMARY KEY (fid)`);
  const { rows } = await db.query<{ n: number; change: string | null }>(
    `SELECT count(*)::int AS n, sum(area_after_m2 - area_before_m2) AS change FROM staging.${ident(repairsTable)}`,
  );
  return { count: rows[0]!.n, areaChange: Number(rows[0]!.change ?? 0) };
}

export async function saveRejects(db: Db, jobId: string, rejectsTable: string): Promise<void> {
  await db.query(
    `INSERT INTO public.import_reject (import_id, fid, bsm, reasons)
     SELECT $1, fid, bsm, reasons FROM staging.${ident(rejectsTable)}`,
    [jobId],
  );
}

export async function saveRepairs(db: Db, jobId: string, repairsTable: string): Promise<void> {
  await db.query(
    `INSERT INTO public.import_repair (import_id, fid, bsm, reason, area_before_m2, area_after_m2)
     SELECT $1, fid, bsm, reason, area_before_m2, area_after_m2 FROM staging.${ident(repairsTable)}`,
    [jobId],
  );
}

export interface WriteLayerArgs {
  jobId: string;
  layer: LayerKind;
  county: string;
  year: number;
  sourceTable: string;
  rejectsTable: string;
  repairsTable?: string;
  insertColumns: string[];
  /** Mapping expressions over staging row `s`; they take no parameters. */
  insertExpressions: string[];
}

/** Serialises writers of one layer-year; held until the transaction ends. */
export async function lockLayerYear(client: pg.PoolClient, layer: LayerKind, county: string, year: number): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${layer}:${county}:${year}`]);
}

/**
 * Builds the new layer-year as a fresh table, then swaps it in as the county-year partition
 * (replacing any previous one). Runs inside the caller's transaction: all or nothing. The service
 * owns nothing in `survey`: the table is created, analysed and attached by the schema's owner
 * through SECURITY DEFINER functions that build its name from the running import (migrations/0007).
 */
export async function writeLayerYear(client: pg.PoolClient, a: WriteLayerArgs): Promise<{ table: string; rows: number }> {
  const { rows } = await client.query<{ t: string }>('SELECT survey.create_layer_year($1, $2, $3, $4) AS t', [a.layer, a.county, a.year, a.jobId]);
  const qualified = rows[0]!.t;
  const geom = a.repairsTable ? 'coalesce(p.fixed, s.geom)' : 's.geom';
  const join = a.repairsTable ? `LEFT JOIN staging.${ident(a.repairsTable)} p ON p.fid = s.ogc_fid` : '';
  const result = await client.query(
    `INSERT INTO ${qualified} (county_code, survey_year, import_id, fid, ${a.insertColumns.join(', ')}, geom)
     SELECT $1, $2, $3, s.ogc_fid, ${a.insertExpressions.join(', ')},
            ST_Multi(ST_Transform(ST_Force2D(${geom}), 4490))
       FROM staging.${ident(a.sourceTable)} s ${join}
      WHERE NOT EXISTS (SELECT 1 FROM staging.${ident(a.rejectsTable)} r WHERE r.fid = s.ogc_fid)`,
    [a.county, a.year, a.jobId],
  );
  // ATTACH builds the partition's indexes (GiST, primary key): give the builds room.
  await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  // Analyses the new table (the planner needs its statistics) and swaps it in.
  await client.query('SELECT survey.attach_layer_year($1, $2, $3, $4)', [a.layer, a.county, a.year, a.jobId]);
  return { table: qualified, rows: result.rowCount ?? 0 };
}

export async function supersede(client: pg.PoolClient, oldId: string, newId: string): Promise<void> {
  await client.query(`UPDATE public.import_job SET superseded_by = $2, partition_table = NULL WHERE id = $1`, [oldId, newId]);
}

/** A live worker process holds pg_advisory_lock(WORKER_LOCK_CLASS, hashtext(worker_id)) on its own session. */
export const WORKER_LOCK_CLASS = 7_361_124;

export async function holdWorkerLock(client: pg.PoolClient, workerId: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [WORKER_LOCK_CLASS, workerId]);
}

/** Gives the lock back before its session returns to a shared pool (the session outlives the worker). */
export async function releaseWorkerLock(client: pg.PoolClient, workerId: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [WORKER_LOCK_CLASS, workerId]);
}

/** Whether the worker (service instance) with this id still holds its lock, i.e. still runs. */
export async function workerAlive(db: Db, workerId: string): Promise<boolean> {
  const { rows } = await db.query<{ alive: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                       AND l.classid::bigint = $1
                       AND l.objid::bigint = (hashtext($2)::bigint & 4294967295)) AS alive`,
    [WORKER_LOCK_CLASS, workerId],
  );
  return rows[0]!.alive;
}

/**
 * Imports left queued/running by a process that is gone (its advisory lock is free): nothing of
 * theirs was committed, so they are marked failed and their staging tables dropped.
 */
export async function failInterrupted(db: Db, problem: ProblemBody): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE public.import_job j SET state = 'failed', phase = 'failed', error = $1, finished_at = now()
      WHERE state IN ('queued', 'running')
        AND NOT EXISTS (SELECT 1 FROM pg_locks l
                         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                           AND l.classid::bigint = $2
                           AND l.objid::bigint = (hashtext(coalesce(j.worker_id, ''))::bigint & 4294967295))
      RETURNING id`,
    [problem, WORKER_LOCK_CLASS],
  );
  for (const r of rows) await dropStaging(db, r.id);
  return rows.map((r) => r.id);
}

export interface RejectRow {
  fid: number;
  bsm: string | null;
  reasons: { code: string; field: string | null; value: string | null; message: string }[];
}

export async function listRejects(db: Db, jobId: string, limit: number, offset: number): Promise<RejectRow[]> {
  const { rows } = await db.query<RejectRow>(
    `SELECT fid, bsm, reasons FROM public.import_reject WHERE import_id = $1 ORDER BY fid LIMIT $2 OFFSET $3`,
    [jobId, limit, offset],
  );
  return rows;
}

export interface RepairRow {
  fid: number;
  bsm: string | null;
  reason: string;
  areaBeforeM2: number | null;
  areaAfterM2: number | null;
}

export async function listRepairs(db: Db, jobId: string, limit: number, offset: number): Promise<RepairRow[]> {
  const { rows } = await db.query<RepairRow>(
    `SELECT fid, bsm, reason, area_before_m2::float8 AS "areaBeforeM2", area_after_m2::float8 AS "areaAfterM2"
       FROM public.import_repair WHERE import_id = $1 ORDER BY fid LIMIT $2 OFFSET $3`,
    [jobId, limit, offset],
  );
  return rows;
}

/**
 * Adds features to an import's rejects table (fid, bsm, reasons) with one reason; a feature
 * already rejected for something else keeps its reasons and gains this one.
 */
export async function addRejects(db: Db, sourceTable: string, rejectsTable: string, idExpr: string, fids: number[], reason: RejectRow['reasons'][number]): Promise<number> {
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
