import type pg from 'pg';
import { APP_DB_ROLE } from '../auth/scope.js';
import { ident } from '../db/pool.js';
import { RIGHT_KINDS } from '../domain/procedure/rights-holders.js';
import { STATES } from '../domain/procedure/state-machine.js';

type Db = pg.Pool | pg.PoolClient;

/**
 * Runs the statements that read what an export contains: in the requesting user's scope (a
 * withScope transaction, so row-level security decides which parcels and survey rows go in) or,
 * for the command line, in the system context.
 */
export type ScopedReader = <T>(fn: (db: Db) => Promise<T>) => Promise<T>;

/**
 * Fills a scratch table from a SELECT run under the user's row-level security. GDAL streams the
 * table through its own PostgreSQL connection, which cannot see a transaction's temporary table,
 * so the table must be a real one in schema staging. zhanbu_app may not create tables there (it owns
 * nothing, so every policy applies to it); instead the system context creates the table empty from
 * the same SELECT (WITH NO DATA: planned, never run, so it reads no rows) and grants INSERT on that
 * one table to zhanbu_app, and the rows are then written by INSERT … SELECT in the scoped
 * transaction. What lands in the table is exactly what the user may read; everything after (areas,
 * identifiers, GDAL) works on that table only.
 */
async function buildScratch(system: Db, read: ScopedReader, table: string, select: string, params: unknown[]): Promise<void> {
  const t = `staging.${ident(table)}`;
  await system.query(`CREATE UNLOGGED TABLE ${t} AS ${select} WITH NO DATA`, params);
  await system.query(`GRANT INSERT ON ${t} TO ${ident(APP_DB_ROLE)}`);
  await read((db) => db.query(`INSERT INTO ${t} ${select}`, params));
  await system.query(`ALTER TABLE ${t} ADD PRIMARY KEY (seq)`);
}

/** The procedure's states in order (migrations/0003); an export applies parcels at or past one. */
export const PROCEDURE_ORDER = [
  'applied', 'verified', 'publicized', 'confirmed', 'afforested', 'accepted', 'survey-changed', 'changed',
  'county-reserve', 'county-review', 'city-review', 'province-review', 'provincial-reserve',
] as const;
export const isParcelSelection = (s: string): boolean => s === 'candidates' || (PROCEDURE_ORDER as readonly string[]).includes(s);

/**
 * Which parcels an export applies, as SQL: (parcel_id, parcel_no, forest_class, state,
 * reserve_year, township_code, applicant, upload_id, record_area_m2, verification_override, prior_restoration,
 * restorer_name, other_holders, geom in EPSG:4490).
 * A procedure state selects the parcels that reached it (withdrawn, rejected and removed ones
 * never count); 'candidates' takes every candidate parcel of the county (a planning preview).
 */
export function parcelSourceSql(parcels: string): string {
  if (parcels === 'candidates') {
    return `SELECT p.id AS parcel_id, p.parcel_no, coalesce(NULLIF(p.intended_forest_class, ''), '0301') AS forest_class,
                   'candidate'::text AS state, NULL::int AS reserve_year, p.township_code, p.applicant, p.upload_id,
                   NULL::numeric AS record_area_m2, NULL::jsonb AS verification_override, NULL::jsonb AS prior_restoration,
                   NULL::text AS restorer_name, NULL::text AS other_holders, p.geom
              FROM candidate.parcel p WHERE p.county_code = $1 AND p.geom IS NOT NULL`;
  }
  const from = PROCEDURE_ORDER.indexOf(parcels as (typeof PROCEDURE_ORDER)[number]);
  if (from < 0) throw new Error(`unknown parcel selection ${parcels}`);
  const states = PROCEDURE_ORDER.slice(from).map((x) => `'${x}'`).join(', ');
  return `SELECT pp.id AS parcel_id, pp.parcel_no,
                 coalesce(NULLIF(pp.forest_class, ''), NULLIF(cp.intended_forest_class, ''), '0301') AS forest_class,
                 pp.state, pp.reserve_year::int AS reserve_year, pp.township_code, pp.applicant, pp.upload_id,
                 pp.area_m2 AS record_area_m2, pp.verification_override, pp.prior_restoration,
                 coalesce(pp.restorer->>'name', pp.prior_restoration->'restorer'->>'name') AS restorer_name,
                 -- The rights holders besides the owners (contract, use, mining), as the county added them and did not remove.
                 (SELECT string_agg(CASE h.kind ${Object.entries(RIGHT_KINDS).map(([k, label]) => `WHEN '${k}' THEN '${label}'`).join(' ')} END || h.name || '（' || h.holder_code || '）', '、'
                                    ORDER BY array_position(ARRAY['contract', 'use', 'mining'], h.kind), h.added_at)
                    FROM procedure.rights_holder h WHERE h.parcel_id = pp.id AND h.kind <> 'owner' AND h.removed_at IS NULL) AS other_holders,
                 cp.geom
            FROM procedure.parcel pp JOIN candidate.parcel cp ON cp.id = pp.candidate_parcel_id
           WHERE pp.county_code = $1 AND pp.state IN (${states}) AND cp.geom IS NOT NULL`;
}

/** Plane output geometry expression for a target CRS, from mm-snapped prefixed-zone coordinates. */
export function outputGeometrySql(col: string, zoneSrid: number, targetSrid: number): string {
  if (targetSrid === zoneSrid) return col;
  if (targetSrid === 4490) return `ST_SnapToGrid(ST_Transform(${col}, 4490), 0.000000001)`;
  // Unprefixed twin of the zone (4534–4554): the same plane without the zone number.
  const zone = zoneSrid - 4513 + 25;
  return `ST_SetSRID(ST_Translate(${col}, ${-zone * 1e6}, 0), ${targetSrid})`;
}

/**
 * The updated DLTB for a county-year in a scratch table: every polygon untouched by the parcels
 * as it is, and each touched polygon split along the parcels — one forest piece per parcel and
 * the remainder. Geometry is kept in the survey's prefixed zone, snapped to the millimetre as
 * survey files are, in column gplane; TBMJ of the pieces is filled in afterwards (it is the
 * official ellipsoidal area, computed outside SQL).
 */
export async function buildDltbScratch(db: Db, read: ScopedReader, table: string, county: string, year: number, zoneSrid: number, parcels: string): Promise<void> {
  await buildScratch(db, read, table, `WITH p AS (${parcelSourceSql(parcels)}),
     d AS (SELECT * FROM survey.dltb WHERE county_code = $1 AND survey_year = $2),
     touch AS (
       SELECT d.fid, p.parcel_id, p.parcel_no, p.forest_class, p.geom AS pgeom
         FROM d JOIN p ON p.geom && d.geom AND ST_Intersects(p.geom, d.geom) AND NOT ST_Touches(p.geom, d.geom)
        -- Overlaps below 0.01 m² are floating-point noise along shared boundaries, not a change.
        WHERE ST_Area(ST_Intersection(p.geom, d.geom)::geography) >= 0.01),
     hit AS (SELECT fid, ST_Union(pgeom) AS cover FROM touch GROUP BY fid),
     pieces AS (
       SELECT d.fid, NULL::uuid AS parcel_id, NULL::text AS parcel_no, NULL::text AS forest_class, ''::text AS change, d.geom AS g
         FROM d WHERE NOT EXISTS (SELECT 1 FROM hit WHERE hit.fid = d.fid)
       UNION ALL
       SELECT t.fid, t.parcel_id, t.parcel_no, t.forest_class, 'N', ST_CollectionExtract(ST_Intersection(d.geom, t.pgeom), 3)
         FROM touch t JOIN d USING (fid)
       UNION ALL
       SELECT h.fid, NULL, NULL, NULL, 'S', ST_CollectionExtract(ST_Difference(d.geom, h.cover), 3)
         FROM hit h JOIN d USING (fid))
     SELECT row_number() OVER (ORDER BY pc.fid, pc.change DESC, pc.parcel_no) AS seq, pc.fid AS src_fid, pc.parcel_id, pc.parcel_no,
            pc.forest_class, pc.change, d.bsm, d.ysdm, d.tbybh, d.tbbh, d.dlbm, d.dlmc, d.qsxz, d.qsdwdm, d.qsdwmc, d.zldwdm, d.zldwmc,
            d.tbmj, d.kcdlbm, d.kcxs, d.kcmj, d.tbdlmj, d.gdlx, d.gdpdjb, d.xzdwkd, d.tbxhdm, d.tbxhmc, d.zzsxdm, d.zzsxmc, d.gddb,
            d.frdbs, d.czcsxm, d.sjnf, d.mssm, d.hdmc, d.bz, NULL::text AS ybsm,
            -- Pieces are snapped onto the original's (mm) outline first, so the cut leaves no
            -- millimetre slivers against it; then everything is rounded to the mm as survey files are.
            ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(
              CASE WHEN pc.change = '' THEN ST_Transform(pc.g, $3::int)
                   ELSE ST_Snap(ST_Transform(pc.g, $3::int), ST_SnapToGrid(ST_Transform(d.geom, $3::int), 0.001), 0.002) END,
              0.001)), 3)) AS gplane
       FROM pieces pc JOIN d USING (fid)
      WHERE NOT ST_IsEmpty(pc.g)`,
    [county, year, zoneSrid],
  );
  await db.query(`DELETE FROM staging.${ident(table)} WHERE ST_IsEmpty(gplane)`);
}

export interface ChangedPieceRow {
  seq: number;
  src_fid: number;
  change: 'N' | 'S';
  /** The parcel's forest class, on new pieces. */
  forest_class: string | null;
  tbmj: string | null;
  kcxs: string | null;
  bsm: string | null;
  plane: string;
}

export async function changedPieces(db: Db, table: string): Promise<ChangedPieceRow[]> {
  const { rows } = await db.query<ChangedPieceRow>(
    `SELECT seq, src_fid, change, forest_class, tbmj, kcxs, bsm, ST_AsGeoJSON(gplane, 3) AS plane
       FROM staging.${ident(table)} WHERE change <> '' ORDER BY src_fid, seq`,
  );
  return rows;
}

/** The largest numeric BSM suffix of a county-year, so new polygons get fresh identifiers. */
export async function maxBsm(db: Db, county: string, year: number): Promise<bigint> {
  const { rows } = await db.query<{ m: string | null }>(
    `SELECT max(bsm) AS m FROM survey.dltb WHERE county_code = $1 AND survey_year = $2 AND bsm ~ '^\\d{18}$'`,
    [county, year],
  );
  return rows[0]!.m ? BigInt(rows[0]!.m) : BigInt(`${county}${year}00000000`);
}

export interface PieceUpdate {
  seq: number;
  bsm: string;
  ybsm: string | null;
  dlbm: string;
  dlmc: string;
  tbmj: number;
  kcdlbm: string | null;
  kcxs: number | null;
  kcmj: number;
  tbdlmj: number;
}

export async function updatePieces(db: Db, table: string, u: PieceUpdate[]): Promise<void> {
  if (!u.length) return;
  await db.query(
    // A remainder keeps its land class and deduction code; a new forest piece takes the parcel's class.
    `UPDATE staging.${ident(table)} t SET bsm = v.bsm, ybsm = v.ybsm,
            dlbm = CASE WHEN t.change = 'N' THEN v.dlbm ELSE t.dlbm END,
            dlmc = CASE WHEN t.change = 'N' THEN v.dlmc ELSE t.dlmc END,
            kcdlbm = CASE WHEN t.change = 'N' THEN NULL ELSE t.kcdlbm END,
            tbmj = v.tbmj, kcxs = v.kcxs, kcmj = v.kcmj, tbdlmj = v.tbdlmj
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::numeric[], $9::numeric[], $10::numeric[])
            AS v(seq, bsm, ybsm, dlbm, dlmc, tbmj, kcdlbm, kcxs, kcmj, tbdlmj)
      WHERE t.seq = v.seq`,
    [
      u.map((x) => x.seq), u.map((x) => x.bsm), u.map((x) => x.ybsm), u.map((x) => x.dlbm), u.map((x) => x.dlmc),
      u.map((x) => x.tbmj), u.map((x) => x.kcdlbm), u.map((x) => x.kcxs), u.map((x) => x.kcmj), u.map((x) => x.tbdlmj),
    ],
  );
}

/** SELECT GDAL writes the DLTB from: 三调 names and widths, change flag and source parcel. */
export function dltbOutputSql(table: string, zoneSrid: number, targetSrid: number): string {
  const t = (c: string, w: number) => `${c}::varchar(${w}) AS "${c.toUpperCase()}"`;
  return `SELECT ${[
    t('bsm', 18), t('ysdm', 10), t('tbybh', 8), t('tbbh', 8), t('dlbm', 5), t('dlmc', 60), t('qsxz', 2), t('qsdwdm', 19),
    t('qsdwmc', 254), t('zldwdm', 19), t('zldwmc', 254), `tbmj::numeric(15,2) AS "TBMJ"`, t('kcdlbm', 5), `kcxs::numeric(6,4) AS "KCXS"`,
    `kcmj::numeric(15,2) AS "KCMJ"`, `tbdlmj::numeric(15,2) AS "TBDLMJ"`, t('gdlx', 2), t('gdpdjb', 2), `xzdwkd::numeric(5,1) AS "XZDWKD"`,
    t('tbxhdm', 6), t('tbxhmc', 20), t('zzsxdm', 6), t('zzsxmc', 20), t('gddb', 2), t('frdbs', 1), t('czcsxm', 4), `sjnf::integer AS "SJNF"`,
    t('mssm', 2), t('hdmc', 100), t('bz', 254), `change::varchar(1) AS "BGBJ"`, t('ybsm', 18), `parcel_no::varchar(30) AS "LYDKBH"`,
    `parcel_id::varchar(36) AS "LYDKID"`,
  ].join(', ')}, ${outputGeometrySql('gplane', zoneSrid, targetSrid)} AS geom
    FROM staging.${ident(table)} ORDER BY seq`;
}

export async function scratchRows(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.${ident(table)}`);
  return rows[0]!.n;
}

/** Bytes of a scratch table (the writing phase's progress is the output's size against it). */
export async function scratchBytes(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ b: number }>(`SELECT pg_table_size(to_regclass('staging.' || quote_ident($1)))::bigint AS b`, [table]);
  return Number(rows[0]?.b ?? 0);
}

export async function scratchCount(db: Db, table: string): Promise<{ features: number; changed: number; added: number; parcels: number }> {
  const { rows } = await db.query<{ features: number; changed: number; added: number; parcels: number }>(
    `SELECT count(*)::int AS features, count(*) FILTER (WHERE change = 'S')::int AS changed,
            count(*) FILTER (WHERE change = 'N')::int AS added, count(DISTINCT parcel_id)::int AS parcels
       FROM staging.${ident(table)}`,
  );
  return rows[0]!; // an aggregate without GROUP BY: always one row
}

/**
 * Parcels with what the one-map and the reserve layer need: the village and ownership they lie in
 * (the DLTB polygon of the year covering most of each parcel) and the area of record from the
 * latest check run, if any.
 */
function parcelsWithContextSql(parcels: string): string {
  return `WITH p AS (${parcelSourceSql(parcels)})
    SELECT p.*, o.zldwdm, o.qsdwdm, o.qsdwmc, o.qsxz,
           coalesce(p.record_area_m2,
             (SELECT (r.figures->'areaOfRecord'->>'m2')::numeric FROM candidate.check_result r JOIN candidate.check_run cr ON cr.id = r.run_id
               WHERE r.parcel_id = p.parcel_id AND r.check_code = 'area' ORDER BY cr.started_at DESC LIMIT 1)) AS area_m2
      FROM p LEFT JOIN LATERAL (
        SELECT d.zldwdm, d.qsdwdm, d.qsdwmc, d.qsxz FROM survey.dltb d
         WHERE d.county_code = $1 AND d.survey_year = $2 AND d.geom && p.geom AND ST_Intersects(d.geom, p.geom)
         ORDER BY ST_Area(ST_Intersection(d.geom, p.geom)) DESC LIMIT 1) o ON true`;
}

/** One-map 小班 of the year (when imported) plus a new 小班 per parcel (非林地 → 林地). */
export async function buildLdxbScratch(db: Db, read: ScopedReader, table: string, county: string, year: number, zoneSrid: number, parcels: string): Promise<void> {
  await buildScratch(db, read, table, `WITH np AS (${parcelsWithContextSql(parcels)}),
     rows AS (
       SELECT 'existing'::text AS src, NULL::uuid AS parcel_id, x.sheng, x.xian, x.xiang, x.cun, x.lin_ban, x.xiao_ban, x.di_lei,
              x.ld_qs, x.sen_lin_lb, x.bh_dj, x.mian_ji, NULL::text AS bgyy, NULL::text AS parcel_no, x.geom
         FROM survey.ldxb x WHERE x.county_code = $1 AND x.survey_year = $2
       UNION ALL
       SELECT 'new', np.parcel_id, left($1, 2), $1, coalesce(np.township_code, left(np.zldwdm, 9)), left(np.zldwdm, 12), NULL,
              'N' || lpad((row_number() OVER (ORDER BY np.parcel_no))::text, 4, '0'), np.forest_class,
              CASE WHEN np.qsxz IN ('10', '20') THEN '1' ELSE '2' END, NULL, NULL, NULL::numeric,
              '矿山生态修复补充林地', np.parcel_no, np.geom
         FROM np)
     SELECT row_number() OVER (ORDER BY src, xiao_ban) AS seq, rows.*,
            ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(ST_Transform(geom, $3::int), 0.001)), 3)) AS gplane
       FROM rows`,
    [county, year, zoneSrid],
  );
}

/** The reserve layer: one row per parcel with state, year, areas and ownership. */
export async function buildReserveScratch(db: Db, read: ScopedReader, table: string, county: string, year: number, zoneSrid: number, parcels: string): Promise<void> {
  await buildScratch(db, read, table, `SELECT row_number() OVER (ORDER BY np.parcel_no) AS seq, np.*,
            ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SnapToGrid(ST_Transform(np.geom, $3::int), 0.001)), 3)) AS gplane
       FROM (${parcelsWithContextSql(parcels)}) np`,
    [county, year, zoneSrid],
  );
}

/** Rows whose area is not yet known (new 小班, parcels never checked), as plane GeoJSON. */
export async function rowsNeedingArea(db: Db, table: string, where: string): Promise<{ seq: number; plane: string }[]> {
  const { rows } = await db.query<{ seq: number; plane: string }>(`SELECT seq, ST_AsGeoJSON(gplane, 3) AS plane FROM staging.${ident(table)} WHERE ${where}`);
  return rows;
}

export async function setAreas(db: Db, table: string, column: string, values: { seq: number; value: number }[]): Promise<void> {
  if (!values.length) return;
  await db.query(
    `UPDATE staging.${ident(table)} t SET ${ident(column)} = v.value FROM unnest($1::bigint[], $2::numeric[]) AS v(seq, value) WHERE t.seq = v.seq`,
    [values.map((v) => v.seq), values.map((v) => v.value)],
  );
}

export function ldxbOutputSql(table: string, zoneSrid: number, targetSrid: number): string {
  const t = (c: string, w: number) => `${c}::varchar(${w}) AS "${c.toUpperCase()}"`;
  return `SELECT ${[
    t('sheng', 2), t('xian', 6), t('xiang', 9), t('cun', 12), t('lin_ban', 10), t('xiao_ban', 10), t('di_lei', 20), t('ld_qs', 10),
    t('sen_lin_lb', 10), t('bh_dj', 10), `mian_ji::numeric(14,4) AS "MIAN_JI"`, t('bgyy', 60), `parcel_no::varchar(30) AS "LYDKBH"`,
    `(src = 'new')::int::smallint AS "XZBJ"`,
  ].join(', ')}, ${outputGeometrySql('gplane', zoneSrid, targetSrid)} AS geom FROM staging.${ident(table)} ORDER BY seq`;
}

/** The state's Chinese label (ZTMC beside the code ZT), from the state machine's one list; labels are literals of ours, never input. */
const stateLabelSql = (col: string) =>
  `CASE ${col} ${Object.entries(STATES).map(([code, label]) => `WHEN '${code}' THEN '${label}'`).join(' ')} ELSE ${col} END`;

export function reserveOutputSql(table: string, zoneSrid: number, targetSrid: number): string {
  return `SELECT parcel_no::varchar(30) AS "DKBH", state::varchar(20) AS "ZT", ${stateLabelSql('state')}::varchar(60) AS "ZTMC", reserve_year::integer AS "RKNF",
                 township_code::varchar(9) AS "XZDM", applicant::varchar(100) AS "SQDW", forest_class::varchar(5) AS "LDDL",
                 area_m2::numeric(15,2) AS "MJ", round(area_m2 * 15 / 10000, 4)::numeric(15,4) AS "MJ_MU",
                 round(area_m2 / 10000, 4)::numeric(15,4) AS "MJ_GQ", qsxz::varchar(2) AS "QSXZ", qsdwdm::varchar(19) AS "QSDWDM",
                 qsdwmc::varchar(254) AS "QSDWMC", zldwdm::varchar(19) AS "ZLDWDM", parcel_id::varchar(36) AS "DKID",
                 -- An override at 核实 (county government's approval, src/domain/procedure/overrides.ts): flag, checks, reason, document number.
                 (verification_override IS NOT NULL)::int::smallint AS "SFYG",
                 (SELECT string_agg(c, ',') FROM jsonb_array_elements_text(verification_override->'checks') c)::varchar(100) AS "YGJC",
                 (verification_override->>'reason')::varchar(254) AS "YGLY",
                 (SELECT string_agg(d->>'number', ';') FROM jsonb_array_elements(verification_override->'documents') d)::varchar(254) AS "YGWH",
                 -- Restored before the application (§三(三)1): flag and date; the restoring party (谁修复、谁受益); the other rights holders.
                 (prior_restoration IS NOT NULL)::int::smallint AS "SQQXF", (prior_restoration->>'restoredOn')::varchar(10) AS "XFRQ",
                 restorer_name::varchar(100) AS "XFZT", other_holders::varchar(254) AS "QTQLR",
                 ${outputGeometrySql('gplane', zoneSrid, targetSrid)} AS geom
            FROM staging.${ident(table)} ORDER BY seq`;
}
