import type pg from 'pg';
import type { CheckParameters } from '../domain/checks/parameters.js';

/**
 * SQL of the candidate checks. Every overlay runs set-based over all parcels of an upload,
 * joined to the survey layers through their GiST indexes; what comes back is the cut pieces in
 * each parcel's Gauss–Krüger zone (full precision) so the area of record can be computed from them.
 */
type Db = pg.Pool | pg.PoolClient;

/** Each parcel with the EPSG of the zone its official area is computed in. */
const PARCELS = `
  SELECT p.id, p.geom,
         CASE WHEN p.src_srid BETWEEN 4513 AND 4554 THEN p.src_srid
              ELSE 4513 + (round(ST_X(ST_Centroid(p.geom)) / 3)::int - 25) END AS zone_srid
    FROM candidate.parcel p
   WHERE p.upload_id = $1 AND p.geom IS NOT NULL`;

/**
 * A cut piece: `whole` when the parcel lies entirely on the other polygon (most do) — then no
 * geometry is cut, transformed or sent, and the piece is the parcel itself (its area of record and
 * outline are already known) — else the polygonal part of the intersection, in the parcel's zone,
 * as GeoJSON. Use with the lateral `covered(a, b)` in FROM.
 */
const piece = (a: string, b: string) =>
  `w.whole, CASE WHEN w.whole THEN NULL ELSE ST_AsGeoJSON(ST_Transform(ST_CollectionExtract(ST_Intersection(${a}, ${b}), 3), p.zone_srid), 9) END`;
const covered = (a: string, b: string) => `CROSS JOIN LATERAL (SELECT ST_CoveredBy(${a}, ${b}) AS whole) w`;

export interface LayerVersion {
  year: number;
  importId: string;
  /** When the layer's import finished (ISO text): the source check counts only surveys imported before an application. */
  importedAt?: string | null;
}

/** The survey layer versions a run read, as stored with it (candidate.check_run.layers; dltbSource since 0015). */
export interface RunLayers {
  dltbBase: LayerVersion;
  dltbLatest: LayerVersion;
  dltbSource?: LayerVersion[];
  ldxbLatest: LayerVersion | null;
  xzq: LayerVersion | null;
  dltbChange: LayerVersion | null;
  ldxbChange: LayerVersion | null;
}

/** The county's current survey layer versions, by layer and year. */
export async function layerVersions(db: Db, county: string): Promise<{ dltb: LayerVersion[]; ldxb: LayerVersion[]; xzq: LayerVersion[] }> {
  const { rows } = await db.query<{ layer: 'dltb' | 'ldxb' | 'xzq'; survey_year: number; id: string; finished_at: Date | null }>(
    `SELECT layer, survey_year, id, finished_at FROM public.import_job
      WHERE county_code = $1 AND state = 'succeeded' AND superseded_by IS NULL ORDER BY survey_year`,
    [county],
  );
  const out = { dltb: [] as LayerVersion[], ldxb: [] as LayerVersion[], xzq: [] as LayerVersion[] };
  for (const r of rows) out[r.layer].push({ year: r.survey_year, importId: r.id, importedAt: r.finished_at?.toISOString() ?? null });
  return out;
}

export interface ParcelGeometryRow {
  id: string;
  parcel_no: string;
  zone_srid: number | null;
  srid: number;
  geometry_type: string;
  empty: boolean;
  valid: boolean | null;
  invalid_reason: string | null;
  invalid_location: string | null; // GeoJSON point, EPSG:4490
  plane: string | null; // geom_original in its zone, GeoJSON
  valid_plane: string | null; // the valid polygonal geometry the overlays use, in its zone
  lonlat: string | null; // geom_original in EPSG:4490, GeoJSON
  geodesic_m2: number | null; // of the valid polygonal geometry
  bbox: [number, number, number, number] | null; // of geom_original, as stored
}

/** What the geometry and area checks need: the parcel as uploaded, in its zone and in 4490. */
export async function parcelGeometries(db: Db, uploadId: string): Promise<ParcelGeometryRow[]> {
  const { rows } = await db.query<ParcelGeometryRow>(
    `WITH p AS (
       SELECT p.id, p.parcel_no, p.geom, p.geom_original AS g, ST_SRID(p.geom_original) AS srid,
              CASE WHEN p.src_srid BETWEEN 4513 AND 4554 THEN p.src_srid
                   WHEN ST_SRID(p.geom_original) = 4490 AND NOT ST_IsEmpty(p.geom_original)
                   THEN 4513 + (round(ST_X(ST_PointOnSurface(ST_Envelope(p.geom_original))) / 3)::int - 25) END AS zone_srid
         FROM candidate.parcel p WHERE p.upload_id = $1)
     SELECT p.id, p.parcel_no, p.srid,
            CASE WHEN p.srid = 4490 AND p.zone_srid BETWEEN 4513 AND 4554 THEN p.zone_srid END AS zone_srid,
            GeometryType(p.g) AS geometry_type, ST_IsEmpty(p.g) AS empty,
            CASE WHEN NOT ST_IsEmpty(p.g) THEN ST_IsValid(p.g) END AS valid,
            CASE WHEN NOT ST_IsEmpty(p.g) AND NOT ST_IsValid(p.g) THEN (ST_IsValidDetail(p.g)).reason END AS invalid_reason,
            CASE WHEN NOT ST_IsEmpty(p.g) AND NOT ST_IsValid(p.g) AND p.srid = 4490
                 THEN ST_AsGeoJSON((ST_IsValidDetail(p.g)).location, 9) END AS invalid_location,
            CASE WHEN p.srid = 4490 AND p.zone_srid BETWEEN 4513 AND 4554 AND NOT ST_IsEmpty(p.g)
                 THEN ST_AsGeoJSON(ST_Transform(p.g, p.zone_srid), 9) END AS plane,
            CASE WHEN p.geom IS NOT NULL AND p.zone_srid BETWEEN 4513 AND 4554
                 THEN ST_AsGeoJSON(ST_Transform(p.geom, p.zone_srid), 9) END AS valid_plane,
            CASE WHEN p.srid = 4490 AND NOT ST_IsEmpty(p.g) THEN ST_AsGeoJSON(p.g, 9) END AS lonlat,
            CASE WHEN p.geom IS NOT NULL THEN ST_Area(p.geom::geography) END AS geodesic_m2,
            CASE WHEN NOT ST_IsEmpty(p.g) THEN ARRAY[ST_XMin(p.g), ST_YMin(p.g), ST_XMax(p.g), ST_YMax(p.g)] END AS bbox
       FROM p ORDER BY p.parcel_no`,
    [uploadId],
  );
  return rows;
}

/** What the checks need of each parcel beyond its geometry: number, declared area, township. */
export async function parcelFacts(db: Db, uploadId: string) {
  const { rows } = await db.query<{ id: string; parcel_no: string; declared_area_m2: string | null; township_code: string | null }>(
    'SELECT id, parcel_no, declared_area_m2, township_code FROM candidate.parcel WHERE upload_id = $1',
    [uploadId],
  );
  return rows;
}

export interface PieceRow {
  parcel_id: string;
  zone_srid: number;
  /** The parcel lies entirely on the other polygon: the piece is the parcel. */
  whole: boolean;
  piece: string | null; // GeoJSON in the zone; null when whole (filled in by the checks)
  /** Area of record of the piece, m² (set once by the checks). */
  area?: number;
  // Attributes of the polygon the piece lies on (text columns; which ones depends on the query).
  dlbm?: string; // survey.dltb
  dlmc?: string | null;
  qsdwdm?: string | null;
  qsdwmc?: string | null;
  qsxz?: string | null;
  zldwdm?: string | null;
  di_lei?: string | null; // survey.ldxb
  other_id?: string | null; // candidateOverlaps: null when undisclosed
  undisclosed?: boolean;
  [key: string]: unknown;
}

/** Pieces of each parcel on a survey layer's year, with the named attributes of the polygon each lies on. */
async function surveyPieces(db: Db, table: 'survey.dltb' | 'survey.ldxb', columns: string, uploadId: string, county: string, year: number): Promise<PieceRow[]> {
  const { rows } = await db.query<PieceRow>(
    `WITH p AS (${PARCELS})
     SELECT p.id AS parcel_id, p.zone_srid, ${columns},
            ${piece('p.geom', 's.geom')} AS piece
       FROM p JOIN ${table} s
         ON s.county_code = $2 AND s.survey_year = $3 AND s.geom && p.geom AND ST_Intersects(p.geom, s.geom)
       ${covered('p.geom', 's.geom')}`,
    [uploadId, county, year],
  );
  return rows;
}

/** Pieces of each parcel on a DLTB year, with the attributes of the polygon each lies on. */
export const dltbPieces = (db: Db, uploadId: string, county: string, year: number): Promise<PieceRow[]> =>
  surveyPieces(db, 'survey.dltb', 's.bsm, s.dlbm, s.dlmc, s.qsdwdm, s.qsdwmc, s.qsxz, s.zldwdm', uploadId, county, year);

/** Pieces of each parcel on the forest one-map 小班 of a year. */
export const ldxbPieces = (db: Db, uploadId: string, county: string, year: number): Promise<PieceRow[]> =>
  surveyPieces(db, 'survey.ldxb', 's.lin_ban, s.xiao_ban, s.di_lei', uploadId, county, year);

/**
 * Source across surveys (domain/checks/source.ts), for the parcels the base survey alone does not
 * make eligible: per parcel and survey year, the piece first shown as 0602 in that year (0602 of the
 * year minus 0602 of every earlier year read), and (`outside`) the pieces never 0602 in any year,
 * by their base-survey land class. Cut pieces only (`whole` false): these parcels are seldom whole.
 */
export async function miningAcrossSurveys(db: Db, uploadId: string, county: string, parcelIds: string[], years: number[], baseYear: number): Promise<PieceRow[]> {
  const { rows } = await db.query<PieceRow>(
    `WITH p0 AS (${PARCELS}),
     p AS (SELECT * FROM p0 WHERE id = ANY($3::uuid[])),
     m AS MATERIALIZED (
       SELECT p.id, s.survey_year AS y, ST_Union(ST_CollectionExtract(ST_Intersection(p.geom, s.geom), 3)) AS g
         FROM p JOIN survey.dltb s ON s.county_code = $2 AND s.survey_year = ANY($4::int[]) AND upper(s.dlbm) = '0602'
              AND s.geom && p.geom AND ST_Intersects(p.geom, s.geom)
        GROUP BY p.id, s.survey_year),
     n AS (
       SELECT m.id, m.y, CASE WHEN e.g IS NULL THEN m.g ELSE ST_CollectionExtract(ST_Difference(m.g, e.g), 3) END AS g
         FROM m LEFT JOIN LATERAL (SELECT ST_Union(m2.g) AS g FROM m m2 WHERE m2.id = m.id AND m2.y < m.y) e ON true),
     u AS (SELECT id, ST_Union(g) AS g FROM m GROUP BY id),
     o AS (
       SELECT p.id, s.dlbm, s.dlmc,
              CASE WHEN u.g IS NULL THEN ST_CollectionExtract(ST_Intersection(p.geom, s.geom), 3)
                   ELSE ST_CollectionExtract(ST_Difference(ST_Intersection(p.geom, s.geom), u.g), 3) END AS g
         FROM p JOIN survey.dltb s ON s.county_code = $2 AND s.survey_year = $5 AND upper(s.dlbm) <> '0602'
              AND s.geom && p.geom AND ST_Intersects(p.geom, s.geom)
         LEFT JOIN u ON u.id = p.id)
     SELECT n.id AS parcel_id, p.zone_srid, n.y AS year, NULL::text AS dlbm, NULL::text AS dlmc, false AS outside, false AS whole,
            ST_AsGeoJSON(ST_Transform(n.g, p.zone_srid), 9) AS piece
       FROM n JOIN p ON p.id = n.id WHERE NOT ST_IsEmpty(n.g)
     UNION ALL
     SELECT o.id, p.zone_srid, NULL::int, o.dlbm, o.dlmc, true, false, ST_AsGeoJSON(ST_Transform(o.g, p.zone_srid), 9)
       FROM o JOIN p ON p.id = o.id WHERE NOT ST_IsEmpty(o.g)`,
    [uploadId, county, parcelIds, years, baseYear],
  );
  return rows;
}

export interface JurisdictionRow {
  parcel_id: string;
  zone_srid: number;
  township_code: string | null;
  outside_county: string | null; // GeoJSON in zone, null when nothing is outside
  outside_township: string | null;
  township_found: boolean;
  county_found: boolean;
}

/** The parts of each parcel outside its county and its declared township (XZQ). */
export async function jurisdiction(db: Db, uploadId: string, county: string, xzqYear: number): Promise<JurisdictionRow[]> {
  const { rows } = await db.query<JurisdictionRow>(
    // The county outline and each declared township's outline are built once (a union only when
    // there are several rows: unioning one 8,000-vertex outline costs seconds), parcels are visited
    // township by township, and the outline is the FIRST argument of ST_Covers, the one PostGIS
    // prepares and caches (ST_CoveredBy(parcel, outline) prepares nothing here: 200× slower).
    `WITH p AS (${PARCELS}),
     c AS MATERIALIZED (
       SELECT CASE WHEN n = 1 THEN g1 ELSE ST_UnaryUnion(gc) END AS geom
         FROM (SELECT count(*) AS n, (array_agg(geom))[1] AS g1, ST_Collect(geom) AS gc FROM survey.xzq
                WHERE county_code = $2 AND survey_year = $3 AND level = 'county') s
        WHERE n > 0),
     t AS MATERIALIZED (
       SELECT xzqdm, CASE WHEN count(*) = 1 THEN (array_agg(x.geom))[1] ELSE ST_UnaryUnion(ST_Collect(x.geom)) END AS geom
         FROM survey.xzq x
        WHERE x.county_code = $2 AND x.survey_year = $3
          AND x.xzqdm IN (SELECT DISTINCT township_code FROM candidate.parcel WHERE upload_id = $1 AND township_code IS NOT NULL)
        GROUP BY x.xzqdm),
     q AS MATERIALIZED (
       SELECT p.id, p.zone_srid, p.geom, cp.township_code FROM p JOIN candidate.parcel cp ON cp.id = p.id
        ORDER BY cp.township_code)
     SELECT q.id AS parcel_id, q.zone_srid, q.township_code,
            c.geom IS NOT NULL AS county_found,
            t.geom IS NOT NULL AS township_found,
            CASE WHEN c.geom IS NOT NULL AND NOT ST_Covers(c.geom, q.geom)
                 THEN ST_AsGeoJSON(ST_Transform(ST_CollectionExtract(ST_Difference(q.geom, c.geom), 3), q.zone_srid), 9) END AS outside_county,
            CASE WHEN t.geom IS NOT NULL AND NOT ST_Covers(t.geom, q.geom)
                 THEN ST_AsGeoJSON(ST_Transform(ST_CollectionExtract(ST_Difference(q.geom, t.geom), 3), q.zone_srid), 9) END AS outside_township
       FROM q LEFT JOIN c ON true
       LEFT JOIN t ON t.xzqdm = q.township_code`,
    [uploadId, county, xzqYear],
  );
  return rows;
}

/**
 * Overlaps of each parcel with every other candidate parcel, in any upload and year.
 *
 * The report is stored with the run and read by everyone who may read the parcel: its county, and
 * its township's users when it has a township (its own or its upload's). Another parcel is
 * therefore named (id, number, upload, file) and its overlap drawn only when it lies in that same
 * county and township. Overlaps with any other parcel (a neighbouring county's, another township's)
 * come back as ONE row per parcel with no identifier, the union of those parcels cut to this
 * parcel: enough to measure the overlap's area, nothing to tell whose it is. The checks report
 * its area and never its geometry (`undisclosed`).
 */
export async function candidateOverlaps(db: Db, uploadId: string): Promise<PieceRow[]> {
  const { rows } = await db.query<PieceRow>(
    `WITH p AS (${PARCELS}),
     s AS (
       SELECT cp.id, cp.county_code, cp.township_code AS parcel_township, up.township_code AS upload_township
         FROM candidate.parcel cp JOIN candidate.upload up ON up.id = cp.upload_id
        WHERE cp.upload_id = $1),
     hit AS MATERIALIZED (
       SELECT p.id, p.zone_srid, p.geom, o.id AS other_id, o.geom AS other_geom,
              (o.county_code = s.county_code
                 AND (s.parcel_township IS NULL OR o.township_code = s.parcel_township)
                 AND (s.upload_township IS NULL OR o.township_code = s.upload_township)) AS disclosed
         FROM p JOIN s ON s.id = p.id
         JOIN candidate.parcel o ON o.id <> p.id AND o.geom && p.geom AND ST_Intersects(p.geom, o.geom)
              AND NOT ST_Touches(p.geom, o.geom))
     SELECT p.id AS parcel_id, p.zone_srid, o.id AS other_id, o.parcel_no AS other_parcel_no, o.upload_id AS other_upload_id,
            u.source_name AS other_source, (o.upload_id = $1) AS same_upload, false AS undisclosed,
            ${piece('p.geom', 'o.geom')} AS piece
       FROM hit p
       JOIN candidate.parcel o ON o.id = p.other_id
       JOIN candidate.upload u ON u.id = o.upload_id
       ${covered('p.geom', 'o.geom')}
      WHERE p.disclosed
     UNION ALL
     SELECT p.id, p.zone_srid, NULL::uuid, NULL::text, NULL::uuid, NULL::text, false, true,
            ${piece('p.geom', 'p.others')}
       FROM (SELECT id, zone_srid, (array_agg(geom))[1] AS geom, ST_Union(other_geom) AS others
               FROM hit WHERE NOT disclosed GROUP BY id, zone_srid) p
       ${covered('p.geom', 'p.others')}`,
    [uploadId],
  );
  return rows;
}

export async function insertRun(db: Db, uploadId: string, parameters: CheckParameters, parameterSetVersion: number, layers: RunLayers, runBy?: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO candidate.check_run (upload_id, parameters, parameter_set_version, layers, run_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [uploadId, parameters, parameterSetVersion, layers, runBy ?? null],
  );
  return rows[0]!.id;
}

export interface ResultInsert {
  parcelId: string;
  code: string;
  status: string;
  message: string;
  figures: unknown;
  problems: unknown;
}

export async function insertResults(db: Db, runId: string, results: ResultInsert[]): Promise<void> {
  // One statement for the whole run, the rows as one JSON document (jsonb_to_recordset): about a
  // third faster than unnest of parallel arrays, whose jsonb[] literal pg escapes element by element.
  await db.query(
    `INSERT INTO candidate.check_result (run_id, parcel_id, check_code, status, message, figures, problems)
     SELECT $1, r.parcel_id, r.code, r.status, r.message, coalesce(r.figures, '{}'), r.problems
       FROM jsonb_to_recordset($2::jsonb) AS r(parcel_id uuid, code text, status text, message text, figures jsonb, problems jsonb)`,
    [runId, JSON.stringify(results.map((r) => ({ parcel_id: r.parcelId, code: r.code, status: r.status, message: r.message, figures: r.figures, problems: r.problems ?? null })))],
  );
  await db.query('UPDATE candidate.check_run SET finished_at = now() WHERE id = $1', [runId]);
}
