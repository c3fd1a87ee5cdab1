import type pg from 'pg';
import { APP_DB_ROLE, type Scoped } from '../auth/scope.js';

type Db = pg.Pool | pg.PoolClient;

export interface RestorableFilter {
  county: string;
  year: number;
  township?: string;
  /** 'state' (QSXZ 10/20), 'collective' (30–34, 40), or explicit QSXZ codes. */
  ownership?: 'state' | 'collective';
  qsxz?: string[];
  /** Only polygons with CZCSXM 204 (盐田及采矿用地). */
  czcsxm204?: boolean;
  bbox?: [number, number, number, number];
}

export interface MiningPolygonRow {
  fid: number;
  bsm: string | null;
  dlbm: string;
  dlmc: string | null;
  qsxz: string | null;
  qsdwdm: string | null;
  qsdwmc: string | null;
  zldwdm: string | null;
  zldwmc: string | null;
  czcsxm: string | null;
  tbmj: string | null;
  zone_srid: number;
  /** The polygon's mining part still free of candidate/reserve parcels, in its zone (GeoJSON); null when it is all of the polygon. */
  remainder_plane: string | null;
  /** Same, in EPSG:4490 as GeoJSON text (8 decimals ≈ 1 mm), only when geometry was asked for. */
  geometry: string | null;
  /** The remainder is not the whole polygon (partly covered, or only partly mining land earlier). */
  cut: boolean;
  /** Candidate or reserve parcels cover part of the polygon (BFFG). */
  covered: boolean;
}

export async function dltbYears(db: Db, county: string): Promise<number[]> {
  const { rows } = await db.query<{ y: number }>(
    `SELECT survey_year AS y FROM public.import_job WHERE layer = 'dltb' AND county_code = $1 AND state = 'succeeded' AND superseded_by IS NULL ORDER BY 1`,
    [county],
  );
  return rows.map((r) => r.y);
}

/** Where the restorable-land SQL reads its county and "now" survey year (placeholders such as `$1`, `$2`). */
export interface RestorableParams {
  county: string;
  year: string;
  /**
   * A geometry (EPSG:4490) the caller keeps only rows meeting anyway (`geom && within`: a tile, a
   * bbox): the polygons meeting earlier 0602 are then looked for there only, not in the whole county.
   */
  within?: string;
}

/**
 * THE definition of restorable mining land, as SQL, for /api/v1/…/restorable-mining-land (below)
 * and the OGC collection `restorable-{county}` (src/ogc/repository.ts: items, single item, extent,
 * tiles), so the two can never differ. Jiangxi scheme §三(二)1 ("第三次全国国土调查及年度国土变更调查中确定的
 * 采矿用地") as the source and not-forest checks read it: the polygons of survey year `year` ("now",
 * by default the latest imported) that are not forest land (03xx) and are 0602 in that year or were
 * 0602 in any earlier survey imported (the base survey or a change survey), each with the part that
 * is or was mining land and is not yet covered by a candidate or reserve parcel; polygons with
 * nothing left are not rows. With a single survey year this is that year's 0602 minus the parcels.
 *
 * A sub-select (not a view or SQL function: those need a migration, and a function would hide the
 * conditions from the planner), with columns: the polygon's DLTB attributes in `year`, `county_code`,
 * `fid` (keyset order), `geom` (the stored polygon, GiST-indexed: bbox and tiles filter on it),
 * `covered` (parcels cover part of it), `cut` (the remainder is not the whole polygon: partly
 * covered, or only partly mining land earlier), `rest` (the remainder, EPSG:4490, when `cut`; null
 * when it is the whole polygon and TBMJ is its official area). Conditions a caller puts on `fid`,
 * `geom` or the attributes go down into the scan of survey.dltb (the sub-select is flattened).
 *
 * The rows are found from the small sets, not by testing every polygon of the county: this year's
 * 0602 (index on DLBM) and the polygons meeting an earlier year's 0602 (those few, each probing the
 * GiST index; under a tile or bbox, `within`), as a fid list: a page reads those few rows through
 * the DLBM and primary-key indexes (a bitmap OR) and sorts them by fid, a tile ANDs them with its GiST
 * scan. The geometry is cut (OFFSET 0 laterals: once per row, not once per use) only for the rows
 * that are served.
 *
 * Row-level security: the statement must run with row security off (runOutsideRowSecurity), and
 * applies the policies of what it reads itself, with the policies' own functions and the scope's
 * settings: survey.dltb `in_scope(county_code)`; candidate.parcel and procedure.parcel
 * `in_scope(county_code) AND township_visible(township_code)` (tests/integration/ogc.test.ts fails
 * if those policies change). Why: under RLS PostgreSQL may not use a condition whose operator is not
 * LEAKPROOF as an index condition, and PostGIS's `&&` is not, so every earlier-0602 probe became a
 * scan of the county's earlier 0602 (10 ms each): 331 s for a 1,000-feature page of a
 * 200,000-polygon county with two survey years (EXPLAIN ANALYZE, bench/tiles data).
 */
export function restorableLandSql(p: RestorableParams): string {
  const survey = (a: string) => `${a}.county_code = ${p.county} AND zhanbu.in_scope(${a}.county_code)`;
  const parcels = (a: string) => `zhanbu.in_scope(${a}.county_code) AND zhanbu.township_visible(${a}.township_code)`;
  // Overlapping by more than a shared edge.
  const overlap = (a: string, b: string) => `${a}.geom && ${b}.geom AND ST_Intersects(${a}.geom, ${b}.geom) AND NOT ST_Touches(${a}.geom, ${b}.geom)`;
  // 0602 of an earlier survey year overlapping d.
  const earlier = `FROM survey.dltb e WHERE ${survey('e')} AND e.survey_year < ${p.year} AND e.dlbm = '0602' AND ${overlap('e', 'd')}`;
  // The mining part: the whole polygon when it is 0602 now; else its overlap with earlier 0602.
  const part = `CASE WHEN d.dlbm = '0602' THEN d.geom ELSE (SELECT ST_CollectionExtract(ST_Intersection(d.geom, ST_Union(e.geom)), 3) ${earlier}) END`;
  // A parcel whose latest procedure was withdrawn, rejected or removed frees its land again.
  const live = `NOT EXISTS (SELECT 1 FROM procedure.parcel pp WHERE pp.candidate_parcel_id = pc.id AND ${parcels('pp')}
                               AND pp.state IN ('withdrawn', 'rejected', 'removed')
                               AND NOT EXISTS (SELECT 1 FROM procedure.parcel lp WHERE lp.candidate_parcel_id = pc.id AND ${parcels('lp')}
                                                  AND lp.state NOT IN ('withdrawn', 'rejected', 'removed')))`;
  return `SELECT d.county_code, d.fid, d.bsm, d.dlbm, d.dlmc, d.qsxz, d.qsdwdm, d.qsdwmc, d.zldwdm, d.zldwmc, d.czcsxm, d.tbmj, d.geom,
                 k.covered IS NOT NULL AS covered, x.cut, x.rest
            FROM survey.dltb d
            CROSS JOIN LATERAL (
              SELECT (SELECT ST_Union(pc.geom) FROM candidate.parcel pc
                       WHERE pc.county_code = d.county_code AND ${parcels('pc')} AND pc.geom && d.geom AND ST_Intersects(pc.geom, d.geom) AND ${live}) AS covered,
                     -- Mining land only earlier, and not wholly inside one earlier 0602 polygon.
                     d.dlbm <> '0602' AND EXISTS (SELECT 1 ${earlier} AND NOT ST_CoveredBy(d.geom, e.geom)) AS partial
              OFFSET 0) k
            CROSS JOIN LATERAL (
              SELECT k.covered IS NOT NULL OR k.partial AS cut,
                     CASE WHEN k.covered IS NOT NULL THEN ST_CollectionExtract(ST_Difference(${part}, k.covered), 3)
                          WHEN k.partial THEN ${part} END AS rest
              OFFSET 0) x
           WHERE ${survey('d')} AND d.survey_year = ${p.year} AND left(d.dlbm, 2) <> '03'
             AND (d.dlbm = '0602' OR d.fid = ANY (ARRAY(
                   SELECT n.fid FROM survey.dltb o JOIN survey.dltb n ON ${survey('n')} AND n.survey_year = ${p.year} AND ${overlap('o', 'n')}${p.within ? ` AND n.geom && ${p.within}` : ''}
                    WHERE ${survey('o')} AND o.survey_year < ${p.year} AND o.dlbm = '0602')))
             AND NOT (x.cut AND (x.rest IS NULL OR ST_IsEmpty(x.rest) OR ST_Area(x.rest) = 0))`;
}

/**
 * Runs fn, in a scoped transaction, with row security off: the role reset to the service's login
 * (BYPASSRLS) and set back to the scope's after; the scope's settings stay, so the policies' own
 * functions in restorableLandSql see the user's jurisdiction. If fn fails the transaction is aborted
 * and withScope rolls it back (the role with it): nothing else runs in it.
 */
export async function runOutsideRowSecurity<T>(tx: Scoped, fn: () => Promise<T>): Promise<T> {
  await tx.client.query(`SELECT set_config('role', 'none', true)`);
  const result = await fn();
  await tx.client.query(`SELECT set_config('role', $1, true)`, [APP_DB_ROLE]);
  return result;
}

/**
 * Restorable mining land (restorableLandSql) with the API's filters, attributes and filters being
 * the polygon's in `year`. Keyset-paged by fid (after, limit) so a page is a bounded index range scan.
 */
export async function miningPolygons(
  db: Db,
  f: RestorableFilter,
  zoneSrid: number,
  page: { after?: number; limit?: number; withGeometry: boolean },
): Promise<MiningPolygonRow[]> {
  const params: unknown[] = [f.county, f.year, zoneSrid];
  const where: string[] = [];
  const add = (sql: (p: string) => string, v: unknown) => {
    params.push(v);
    where.push(sql(`$${params.length}`));
  };
  if (f.township) add((p) => `left(r.zldwdm, 9) = ${p}`, f.township);
  if (f.ownership === 'state') where.push(`r.qsxz IN ('10', '20')`);
  if (f.ownership === 'collective') where.push(`r.qsxz IN ('30', '31', '32', '33', '34', '40')`);
  if (f.qsxz?.length) add((p) => `r.qsxz = ANY(${p}::text[])`, f.qsxz);
  if (f.czcsxm204) where.push(`r.czcsxm = '204'`);
  let bbox: string | undefined;
  if (f.bbox) {
    params.push(f.bbox);
    const p = `$${params.length}::float8[]`;
    bbox = `ST_MakeEnvelope((${p})[1], (${p})[2], (${p})[3], (${p})[4], 4490)`;
    where.push(`r.geom && ${bbox}`);
  }
  if (page.after !== undefined) add((p) => `r.fid > ${p}`, page.after);
  let limit = '';
  if (page.limit !== undefined) {
    params.push(page.limit);
    limit = `LIMIT $${params.length}`;
  }
  const { rows } = await db.query<MiningPolygonRow>(
    `SELECT r.fid, r.bsm, r.dlbm, r.dlmc, r.qsxz, r.qsdwdm, r.qsdwmc, r.zldwdm, r.zldwmc, r.czcsxm, r.tbmj, $3::int AS zone_srid, r.cut, r.covered,
            CASE WHEN r.cut THEN ST_AsGeoJSON(ST_Transform(r.rest, $3::int), 9) END AS remainder_plane,
            ${page.withGeometry ? `ST_AsGeoJSON(coalesce(r.rest, r.geom), 8)` : 'NULL'} AS geometry
       FROM (${restorableLandSql({ county: '$1', year: '$2', within: bbox })}) r
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY r.fid ${limit}`,
    params,
  );
  return rows;
}

/** Township names from the county's XZQ layer (latest year), code → name. */
export async function townshipNames(db: Db, county: string): Promise<Map<string, string>> {
  const { rows } = await db.query<{ xzqdm: string; xzqmc: string }>(
    `SELECT DISTINCT ON (xzqdm) xzqdm, xzqmc FROM survey.xzq
      WHERE county_code = $1 AND level = 'township' ORDER BY xzqdm, survey_year DESC`,
    [county],
  );
  return new Map(rows.map((r) => [r.xzqdm, r.xzqmc]));
}
