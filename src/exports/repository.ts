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

/**
 * Output geometry expression for a target CRS, from mm-rounded prefixed-zone coordinates. The last
 * step prints and re-reads the coordinates (ST_AsEWKT with 3 decimals, 9 for degrees): GEOS rounds
 * by multiplying with the grid size, which lands one ulp beside the double a reader of
 * "39620889.638" gets; through text every vertex is exactly the double of its millimetre value,
 * so untouched polygons come out bit for bit as they came in, and shared vertices stay shared.
 */
export function outputGeometrySql(col: string, zoneSrid: number, targetSrid: number): string {
  const text = (g: string, digits: number) => `ST_GeomFromEWKT(ST_AsEWKT(${g}, ${digits}))`;
  if (targetSrid === zoneSrid) return text(col, 3);
  if (targetSrid === 4490) return text(`ST_ReducePrecision(ST_Transform(${col}, 4490), 0.000000001)`, 9);
  // Unprefixed twin of the zone (4534–4554): the same plane without the zone number.
  const zone = zoneSrid - 4513 + 25;
  return text(`ST_SetSRID(ST_Translate(${col}, ${-zone * 1e6}, 0), ${targetSrid})`, 3);
}

/**
 * Width below which a face of the overlay is a needle, not land: a strip narrower than this between
 * a parcel edge and a survey edge is a digitising artefact (a parcel drawn "along" the edge) and is
 * merged into its neighbour, as desktop tools' Eliminate does. 1 cm: ten grid steps, far below
 * anything a 1:2000 survey can resolve (0.1 mm on the map is 0.2 m).
 */
export const NEEDLE_WIDTH_M = 0.01;

/**
 * The updated DLTB for a county-year in a scratch table. Polygons farther than 2 mm from every
 * parcel are written as they are (rounded to the mm grid of the survey file). The others, with the
 * parcels, are overlaid once, all together, on the mm grid of the survey's prefixed zone:
 *
 * 1. parcels are snapped onto the survey's vertices, then onto its edges, within NEEDLE_WIDTH_M;
 *    then every boundary (survey polygons and parcels, in plane metres) is noded in one snap-rounded
 *    union with grid size 0.001 (GEOS OverlayNG), so every vertex is a grid vertex and every cut
 *    edge exists once — the pieces on either side of it, and the neighbour beyond a cut survey edge,
 *    share it vertex for vertex;
 * 2. the noded lines are polygonised into faces; each face belongs to the survey polygon covering
 *    most of it and to the parcel covering most of it (if any, the lowest parcel number first);
 * 3. faces narrower than NEEDLE_WIDTH_M take the class of the neighbouring face (same survey
 *    polygon) they share the longest edge with — no needles;
 * 4. faces are dissolved per survey polygon and class; a source polygon that was single is written
 *    as one feature per part (a 图斑 is one polygon), the largest remainder part first.
 *
 * A polygon none of whose faces went to a parcel (a parcel touching it at a vertex or along an edge)
 * is unchanged; it is written as it came, or from its faces when a cut inserted a vertex on its edge
 * (`moved`). TBMJ of changed and moved polygons is filled in afterwards from `gsrc` and the pieces
 * (the official ellipsoidal area, computed outside SQL; service.ts, pieceUpdates).
 */
export async function buildDltbScratch(db: Db, read: ScopedReader, table: string, county: string, year: number, zoneSrid: number, parcels: string): Promise<void> {
  const needle = NEEDLE_WIDTH_M / 2;
  await buildScratch(db, read, table, `WITH p AS (${parcelSourceSql(parcels)}),
     d AS (SELECT * FROM survey.dltb WHERE county_code = $1 AND survey_year = $2),
     pp AS (SELECT parcel_id, parcel_no, forest_class, geom, ST_Transform(geom, $3::int) AS g FROM p),
     -- Survey polygons within 2 mm of a parcel: the only ones the noding can alter (a hot pixel
     -- reaches at most 0.71 mm from a vertex).
     a AS (
       SELECT d.fid, ST_ReducePrecision(ST_Transform(d.geom, $3::int), 0.001) AS g, ST_NumGeometries(d.geom) = 1 AS single
         FROM d WHERE d.fid IN (SELECT n.fid FROM pp JOIN d n ON n.geom && ST_Expand(pp.geom, 0.0000001)
                                                         AND ST_DWithin(pp.g, ST_Transform(n.geom, $3::int), 0.002))),
     -- Parcels snapped onto the survey's outlines within the needle width — vertex to vertex
     -- (ST_Snap), then each remaining vertex onto the nearest survey edge — so a parcel edge drawn a
     -- few millimetres beside a survey edge runs on it instead of leaving a strip beside it.
     ps AS (
       SELECT pp.parcel_id, pp.parcel_no, coalesce(ST_Snap(pp.g, r.ref, ${NEEDLE_WIDTH_M}), pp.g) AS g, ST_Boundary(r.ref) AS edges
         FROM pp CROSS JOIN LATERAL (SELECT ST_Collect(a.g) AS ref FROM a WHERE a.g && ST_Expand(pp.g, ${NEEDLE_WIDTH_M * 2})) r),
     plines AS (
       SELECT ST_MakeLine(array_agg(CASE WHEN ps.edges IS NOT NULL AND ST_DWithin(v.geom, ps.edges, ${NEEDLE_WIDTH_M})
                                         THEN ST_ClosestPoint(ps.edges, v.geom) ELSE v.geom END ORDER BY v.path[3])) AS l
         FROM ps CROSS JOIN LATERAL ST_DumpPoints(ST_Multi(ps.g)) v GROUP BY ps.parcel_id, v.path[1], v.path[2]),
     noded AS (
       SELECT ST_UnaryUnion(ST_Collect(ARRAY(SELECT ST_Boundary(g) FROM a UNION ALL SELECT l FROM plines)), 0.001) AS lines
        WHERE EXISTS (SELECT 1 FROM a)),
     face AS (SELECT f.path[1] AS id, f.geom AS g FROM noded, ST_Dump(ST_Polygonize(ARRAY[noded.lines])) f),
     fa AS (
       SELECT f.id, f.g, o.fid,
              (SELECT ps.parcel_id FROM ps WHERE ps.g && f.g AND ST_Area(ST_Intersection(ST_MakeValid(ps.g), f.g)) > 0.5 * ST_Area(f.g)
                ORDER BY ps.parcel_no, ps.parcel_id LIMIT 1) AS parcel_id,
              ST_Area(f.g) < ${needle} * ST_Perimeter(f.g) AND ST_IsEmpty(ST_Buffer(f.g, -${needle})) AS thin
         FROM face f
         CROSS JOIN LATERAL (SELECT a.fid, ST_Area(ST_Intersection(a.g, f.g)) AS shared FROM a WHERE a.g && f.g
                              ORDER BY 2 DESC LIMIT 1) o
        WHERE o.shared > 0.5 * ST_Area(f.g)),
     fe AS (
       SELECT x.fid, x.g, CASE WHEN NOT x.thin THEN x.parcel_id ELSE coalesce((
                SELECT n.parcel_id FROM fa n WHERE n.fid = x.fid AND n.id <> x.id AND NOT n.thin AND n.g && x.g
                 ORDER BY ST_Length(ST_Intersection(ST_Boundary(n.g), ST_Boundary(x.g))) DESC LIMIT 1), x.parcel_id) END AS parcel_id
         FROM fa x),
     changed AS (SELECT DISTINCT fid FROM fe WHERE parcel_id IS NOT NULL),
     dissolved AS (
       SELECT fe.fid, fe.parcel_id, ST_UnaryUnion(ST_Collect(fe.g), 0.001) AS g FROM fe GROUP BY fe.fid, fe.parcel_id),
     pieces AS (
       -- Untouched (or only touched at their edges): as they are, or as reassembled from their faces.
       SELECT d.fid, NULL::uuid AS parcel_id, ''::text AS change, 1 AS part,
              x.g IS NOT NULL AND ST_NPoints(x.g) <> ST_NPoints(d.geom) AS moved,
              -- As they came (vertex order too) unless the cuts inserted vertices on their edges.
              CASE WHEN x.g IS NULL OR ST_NPoints(x.g) = ST_NPoints(d.geom) THEN ST_MakeValid(ST_SnapToGrid(ST_Transform(d.geom, $3::int), 0.001))
                   ELSE x.g END AS g
         FROM d LEFT JOIN changed c ON c.fid = d.fid LEFT JOIN dissolved x ON x.fid = d.fid
        WHERE c.fid IS NULL
       UNION ALL
       SELECT x.fid, x.parcel_id, CASE WHEN x.parcel_id IS NULL THEN 'S' ELSE 'N' END,
              (row_number() OVER (PARTITION BY x.fid, x.parcel_id ORDER BY ST_Area(pt.geom) DESC, ST_XMin(pt.geom), ST_YMin(pt.geom)))::int,
              false, pt.geom
         FROM dissolved x JOIN a USING (fid) JOIN changed c USING (fid)
         CROSS JOIN LATERAL (SELECT geom FROM ST_Dump(x.g) WHERE a.single UNION ALL SELECT x.g WHERE NOT a.single) pt)
     SELECT row_number() OVER (ORDER BY pc.fid, pc.change DESC, pp.parcel_no, pc.part) AS seq, pc.fid AS src_fid, pc.parcel_id, pp.parcel_no,
            pp.forest_class, pc.change, pc.part, d.bsm, d.ysdm, d.tbybh, d.tbbh, d.dlbm, d.dlmc, d.qsxz, d.qsdwdm, d.qsdwmc, d.zldwdm, d.zldwmc,
            d.tbmj, d.kcdlbm, d.kcxs, d.kcmj, d.tbdlmj, d.gdlx, d.gdpdjb, d.xzdwkd, d.tbxhdm, d.tbxhmc, d.zzsxdm, d.zzsxmc, d.gddb,
            d.frdbs, d.czcsxm, d.sjnf, d.mssm, d.hdmc, d.bz, d.extra, NULL::text AS ybsm, pc.moved,
            ST_Multi(ST_CollectionExtract(pc.g, 3)) AS gplane,
            -- The source as it was (on the grid), where the overlay changed it: its official area is
            -- what the pieces' (or the moved neighbour's) TBMJ is reckoned from.
            CASE WHEN pc.change <> '' OR pc.moved THEN a.g END AS gsrc
       FROM pieces pc JOIN d USING (fid) LEFT JOIN pp ON pp.parcel_id = pc.parcel_id LEFT JOIN a ON a.fid = pc.fid
      WHERE pc.g IS NOT NULL AND NOT ST_IsEmpty(pc.g)`,
    [county, year, zoneSrid],
  );
  await db.query(`DELETE FROM staging.${ident(table)} WHERE ST_IsEmpty(gplane)`);
}

export interface ChangedPieceRow {
  seq: number;
  src_fid: number;
  /** N new forest piece, S remainder, '' a neighbour whose shared edge got a cut's vertex. */
  change: 'N' | 'S' | '';
  /** Part of a remainder split into several (1: the largest, which keeps the source's BSM). */
  part: number;
  /** The parcel's forest class, on new pieces. */
  forest_class: string | null;
  tbmj: string | null;
  kcxs: string | null;
  bsm: string | null;
  plane: string;
  /** The source polygon before the overlay, plane GeoJSON. */
  src_plane: string;
}

export async function changedPieces(db: Db, table: string): Promise<ChangedPieceRow[]> {
  const { rows } = await db.query<ChangedPieceRow>(
    `SELECT seq, src_fid, change, part, forest_class, tbmj, kcxs, bsm, ST_AsGeoJSON(gplane, 3) AS plane, ST_AsGeoJSON(gsrc, 3) AS src_plane
       FROM staging.${ident(table)} WHERE gsrc IS NOT NULL ORDER BY src_fid, seq`,
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

/**
 * Writes the changed pieces' attributes. A remainder keeps its land class, deduction code and
 * 城镇村属性码; a new forest piece takes the parcel's class and loses CZCSXM (restored land is no
 * longer 盐田及采矿用地, 204, nor inside any 城镇村 extent). Every changed piece carries the year of
 * the change as SJNF.
 */
export async function updatePieces(db: Db, table: string, u: PieceUpdate[], changeYear: number): Promise<void> {
  if (!u.length) return;
  await db.query(
    `UPDATE staging.${ident(table)} t SET bsm = v.bsm, ybsm = v.ybsm,
            dlbm = CASE WHEN t.change = 'N' THEN v.dlbm ELSE t.dlbm END,
            dlmc = CASE WHEN t.change = 'N' THEN v.dlmc ELSE t.dlmc END,
            kcdlbm = CASE WHEN t.change = 'N' THEN NULL ELSE t.kcdlbm END,
            czcsxm = CASE WHEN t.change = 'N' THEN NULL ELSE t.czcsxm END,
            tbmj = v.tbmj, kcxs = v.kcxs, kcmj = v.kcmj, tbdlmj = v.tbdlmj, sjnf = CASE WHEN t.change <> '' THEN $11 ELSE t.sjnf END
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::numeric[], $9::numeric[], $10::numeric[])
            AS v(seq, bsm, ybsm, dlbm, dlmc, tbmj, kcdlbm, kcxs, kcmj, tbdlmj)
      WHERE t.seq = v.seq`,
    [
      u.map((x) => x.seq), u.map((x) => x.bsm), u.map((x) => x.ybsm), u.map((x) => x.dlbm), u.map((x) => x.dlmc),
      u.map((x) => x.tbmj), u.map((x) => x.kcdlbm), u.map((x) => x.kcxs), u.map((x) => x.kcmj), u.map((x) => x.tbdlmj), changeYear,
    ],
  );
}

/**
 * New 图斑 (those with a YBSM) get new numbers: after the largest 图斑编号 of their 坐落单位, in
 * order, so numbers stay unique within each unit. TBYBH (the pre-number) takes the same value.
 */
export async function numberNewPieces(db: Db, table: string): Promise<void> {
  const t = `staging.${ident(table)}`;
  await db.query(
    `WITH top AS (SELECT zldwdm, max(tbbh::bigint) AS n FROM ${t} WHERE ybsm IS NULL AND tbbh ~ '^\\d{1,8}$' GROUP BY zldwdm),
          numbered AS (
            SELECT s.seq, (coalesce(top.n, 0) + row_number() OVER (PARTITION BY s.zldwdm ORDER BY s.seq))::text AS tbbh
              FROM ${t} s LEFT JOIN top ON top.zldwdm IS NOT DISTINCT FROM s.zldwdm WHERE s.ybsm IS NOT NULL)
     UPDATE ${t} x SET tbbh = numbered.tbbh, tbybh = numbered.tbbh FROM numbered WHERE x.seq = numbered.seq`,
  );
}

/**
 * DLTB fields with the types and widths of the 三调 database standard (国土调查数据库标准, 地类图斑属性
 * 结构描述表; README, "Exports"): character fields C(n) in GBK bytes, TBMJ/KCMJ/TBDLMJ N(15,2),
 * KCXS N(6,4), XZDWKD N(5,1), GDDB N(2) and SJNF N(4) numeric. QSDWMC/ZLDWMC are C255 in the
 * standard; a DBF field holds at most 254 bytes.
 */
const DLTB_STANDARD_FIELDS: readonly string[] = [
  'bsm:C18', 'ysdm:C10', 'tbybh:C18', 'tbbh:C8', 'dlbm:C5', 'dlmc:C60', 'qsxz:C2', 'qsdwdm:C19', 'qsdwmc:C254', 'zldwdm:C19',
  'zldwmc:C254', 'tbmj:N15.2', 'kcdlbm:C5', 'kcxs:N6.4', 'kcmj:N15.2', 'tbdlmj:N15.2', 'gdlx:C2', 'gdpdjb:C2', 'xzdwkd:N5.1',
  'tbxhdm:C6', 'tbxhmc:C20', 'zzsxdm:C6', 'zzsxmc:C20', 'gddb:N2', 'frdbs:C1', 'czcsxm:C4', 'sjnf:N4', 'mssm:C2', 'hdmc:C100', 'bz:C254',
];
/** The export's own fields after the standard ones: change flag, source BSM, source parcel. */
const DLTB_EXPORT_FIELDS = ['BGBJ', 'YBSM', 'LYDKBH', 'LYDKID'];

function standardFieldSql(def: string): string {
  const [col, type] = def.split(':') as [string, string];
  const name = col.toUpperCase();
  const m = /^([CN])(\d+)(?:\.(\d+))?$/.exec(type)!;
  if (m[1] === 'C') return `${col}::varchar(${m[2]}) AS "${name}"`;
  // Text columns holding numbers (GDDB is stored as read) become numbers; anything else is left empty.
  const value = col === 'gddb' ? `CASE WHEN btrim(${col}) ~ '^\\d{1,${m[2]}}$' THEN btrim(${col})::numeric END` : col;
  return `${value}::numeric(${m[2]}, ${m[3] ?? 0}) AS "${name}"`;
}

/**
 * The fields a county's file had beyond the standard (kept in survey.dltb.extra by the import),
 * written back after the export's own: text as C(n) with n the longest value in GBK bytes (at most
 * 254), whole numbers as integers, other numbers as reals. Names clashing with a standard or export
 * field are left out (the standard's value wins). The widths the file declared are not kept by
 * the import, so they are recomputed from the values.
 */
export async function extraFieldsSql(db: Db, table: string): Promise<string[]> {
  const taken = new Set([...DLTB_STANDARD_FIELDS.map((f) => f.split(':')[0]!.toUpperCase()), ...DLTB_EXPORT_FIELDS, 'GEOM', 'SHAPE']);
  const { rows } = await db.query<{ key: string; texts: number; numbers: number; fractions: number; width: number | null }>(
    `SELECT e.key, count(*) FILTER (WHERE jsonb_typeof(e.value) NOT IN ('number', 'null'))::int AS texts,
            count(*) FILTER (WHERE jsonb_typeof(e.value) = 'number')::int AS numbers,
            count(*) FILTER (WHERE jsonb_typeof(e.value) = 'number' AND (e.value)::numeric <> trunc((e.value)::numeric))::int AS fractions,
            max(length(e.value #>> '{}') + length(regexp_replace(e.value #>> '{}', '[\\x01-\\x7f]', '', 'g')))::int AS width
       FROM staging.${ident(table)} s CROSS JOIN LATERAL jsonb_each(s.extra) e
      GROUP BY e.key ORDER BY min(s.seq), e.key`,
  );
  // Names come from the county's file (Chinese ones too): quoted as a literal and as an identifier.
  return rows
    .filter((r) => !taken.has(r.key.toUpperCase()) && r.key.length > 0 && ![...r.key].some((c) => c.charCodeAt(0) < 32))
    .map((r) => {
      const v = `(extra->>'${r.key.replace(/'/g, "''")}')`;
      const as = `AS "${r.key.replace(/"/g, '""')}"`;
      if (r.texts > 0 || r.numbers === 0) return `${v}::varchar(${Math.min(254, Math.max(1, r.width ?? 1))}) ${as}`;
      return r.fractions > 0 ? `${v}::float8 ${as}` : `${v}::bigint ${as}`;
    });
}

/** SELECT GDAL writes the DLTB from: the standard's fields, the export's own, the file's extra fields. */
export function dltbOutputSql(table: string, zoneSrid: number, targetSrid: number, extras: string[] = []): string {
  return `SELECT ${[
    ...DLTB_STANDARD_FIELDS.map(standardFieldSql),
    `change::varchar(1) AS "BGBJ"`, `ybsm::varchar(18) AS "YBSM"`, `parcel_no::varchar(30) AS "LYDKBH"`, `parcel_id::varchar(36) AS "LYDKID"`,
    ...extras,
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
            ST_Multi(ST_CollectionExtract(ST_ReducePrecision(ST_Transform(geom, $3::int), 0.001), 3)) AS gplane
       FROM rows`,
    [county, year, zoneSrid],
  );
}

/** The reserve layer: one row per parcel with state, year, areas and ownership. */
export async function buildReserveScratch(db: Db, read: ScopedReader, table: string, county: string, year: number, zoneSrid: number, parcels: string): Promise<void> {
  await buildScratch(db, read, table, `SELECT row_number() OVER (ORDER BY np.parcel_no) AS seq, np.*,
            ST_Multi(ST_CollectionExtract(ST_ReducePrecision(ST_Transform(np.geom, $3::int), 0.001), 3)) AS gplane
       FROM (${parcelsWithContextSql(parcels)}) np`,
    [county, year, zoneSrid],
  );
}

/** Which rows of a scratch layer still need an area of record: the new 小班, or reserve parcels never checked. */
const NEEDING_AREA = { 'new-xiaoban': `src = 'new'`, 'reserve-unchecked': 'area_m2 IS NULL' } as const;

/** Rows whose area is not yet known, as plane GeoJSON. */
export async function rowsNeedingArea(db: Db, table: string, which: keyof typeof NEEDING_AREA): Promise<{ seq: number; plane: string }[]> {
  const { rows } = await db.query<{ seq: number; plane: string }>(`SELECT seq, ST_AsGeoJSON(gplane, 3) AS plane FROM staging.${ident(table)} WHERE ${NEEDING_AREA[which]}`);
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
