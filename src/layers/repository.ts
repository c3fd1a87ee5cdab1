import type pg from 'pg';
import { crsFromEpsg } from '../domain/crs/cgcs2000-crs.js';
import type { SourceCrsViewT } from '../http/schemas.js';

export interface LayerVersionRow {
  layer: string;
  county_code: string;
  survey_year: number;
  import_id: string;
  source_name: string;
  feature_count: number;
  imported_count: number | null;
  crs: SourceCrsViewT | null;
  finished_at: Date;
}

/** The layer versions in force (one per layer, county and year). */
export async function currentLayers(db: pg.Pool | pg.PoolClient, county?: string): Promise<LayerVersionRow[]> {
  const { rows } = await db.query<LayerVersionRow>(
    `SELECT layer, county_code, survey_year, id AS import_id, source_name, feature_count, imported_count, crs, finished_at
       FROM public.import_job
      WHERE state = 'succeeded' AND superseded_by IS NULL AND ($1::text IS NULL OR county_code = $1)
      ORDER BY county_code, layer, survey_year`,
    [county ?? null],
  );
  return rows;
}

export interface LandClassTotal {
  dlbm: string;
  dlmc: string | null;
  parcels: number;
  tbmj_m2: number;
}

/** Parcel count and TBMJ (the survey's area of record) by land class for a county-year. */
export async function dltbTotalsByLandClass(db: pg.Pool | pg.PoolClient, county: string, year: number): Promise<LandClassTotal[]> {
  const { rows } = await db.query<LandClassTotal>(
    `SELECT dlbm, max(dlmc) AS dlmc, count(*)::int AS parcels, coalesce(sum(tbmj), 0)::float8 AS tbmj_m2
       FROM survey.dltb WHERE county_code = $1 AND survey_year = $2
      GROUP BY dlbm ORDER BY dlbm`,
    [county, year],
  );
  return rows;
}

/**
 * The prefixed Gauss–Krüger zone (EPSG 4513–4533) a county-year's DLTB was surveyed in: its
 * official areas (TBMJ) live in that plane. A layer imported in lon/lat gets the 3-degree zone
 * nearest its centre. Undefined when the layer-year is not imported.
 */
export async function surveyZoneEpsg(db: pg.Pool | pg.PoolClient, county: string, year: number): Promise<number | undefined> {
  const { rows } = await db.query<{ epsg: number | null }>(
    `SELECT (crs->>'epsg')::int AS epsg FROM public.import_job
      WHERE layer = 'dltb' AND county_code = $1 AND survey_year = $2 AND state = 'succeeded' AND superseded_by IS NULL`,
    [county, year],
  );
  const r = rows[0];
  if (!r) return undefined;
  const info = r.epsg ? crsFromEpsg(r.epsg) : undefined;
  if (info?.kind === 'gauss-kruger') return info.zonePrefixed ? info.epsg : info.epsg - 21; // 4534+i ↔ 4513+i
  // Only a layer imported in lon/lat needs its extent read (one pass over the county-year).
  const { rows: c } = await db.query<{ lon: number | null }>(
    `SELECT ST_X(ST_Centroid(ST_Extent(geom)::geometry)) AS lon FROM survey.dltb WHERE county_code = $1 AND survey_year = $2`,
    [county, year],
  );
  return 4513 + Math.round((c[0]?.lon ?? 117) / 3) - 25;
}

/** The lowest township code the county's imported boundaries (XZQ) know, if any. */
export async function firstTownship(db: pg.Pool | pg.PoolClient, county: string): Promise<string | undefined> {
  const { rows } = await db.query<{ code: string | null }>(
    `SELECT min(xzqdm) AS code FROM survey.xzq WHERE county_code = $1 AND level = 'township'`,
    [county],
  );
  return rows[0]?.code ?? undefined;
}
