import type pg from 'pg';
import { isUuid } from '../http/schemas.js';
import type { ProblemBody } from '../http/problem.js';

type Db = pg.Pool | pg.PoolClient;

export interface ExportJobRow {
  id: string;
  county_code: string;
  survey_year: number;
  layer: string;
  format: string;
  crs_epsg: number;
  parcels: string;
  state: 'queued' | 'running' | 'succeeded' | 'failed';
  phase: string | null;
  progress: number;
  counts: Record<string, number> | null;
  file_name: string | null;
  file_path: string | null;
  file_bytes: number | null;
  error: ProblemBody | null;
  requested_by: string | null;
  /** A township user's export: its township (only that township's parcels are in it). */
  township_code: string | null;
  created_at: Date;
  finished_at: Date | null;
  /** When the file was deleted after the retention time (migrations/0017). */
  expired_at: Date | null;
}

export async function insertExportJob(
  db: Db,
  j: { county: string; year: number; layer: string; format: string; crsEpsg: number; parcels: string; requestedBy?: string; township?: string | null },
): Promise<ExportJobRow> {
  const { rows } = await db.query<ExportJobRow>(
    `INSERT INTO public.export_job (county_code, survey_year, layer, format, crs_epsg, parcels, requested_by, township_code, phase)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued') RETURNING *`,
    [j.county, j.year, j.layer, j.format, j.crsEpsg, j.parcels, j.requestedBy ?? null, j.township ?? null],
  );
  return rows[0]!;
}

export async function getExportJob(db: Db, id: string): Promise<ExportJobRow | undefined> {
  if (!isUuid(id)) return undefined; // not an id: absent, not a cast error
  const { rows } = await db.query<ExportJobRow>('SELECT * FROM public.export_job WHERE id = $1', [id]);
  return rows[0];
}

export async function setProgress(db: Db, id: string, phase: string, progress: number): Promise<void> {
  await db.query(`UPDATE public.export_job SET state = 'running', phase = $2, progress = greatest(progress, $3) WHERE id = $1 AND state IN ('queued', 'running')`, [id, phase, progress]);
}

export async function finishExport(
  db: Db,
  id: string,
  state: 'succeeded' | 'failed',
  f: { counts?: unknown; fileName?: string; filePath?: string; fileBytes?: number; error?: ProblemBody },
): Promise<void> {
  await db.query(
    `UPDATE public.export_job SET state = $2, phase = $2, progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END,
            counts = $3, file_name = $4, file_path = $5, file_bytes = $6, error = $7, finished_at = now() WHERE id = $1`,
    [id, state, f.counts ?? null, f.fileName ?? null, f.filePath ?? null, f.fileBytes ?? null, f.error ?? null],
  );
}

/**
 * Marks exports finished before `before` as expired and returns their ids, so their folders can be
 * deleted. Runs in the system context (the retention sweep), across counties.
 */
export async function expireExports(db: Db, before: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE public.export_job SET expired_at = now(), file_path = NULL
      WHERE state = 'succeeded' AND expired_at IS NULL AND finished_at < $1 RETURNING id`,
    [before],
  );
  return rows.map((r) => r.id);
}
