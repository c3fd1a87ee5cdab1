import type pg from 'pg';

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
  cut: boolean;
}

export async function dltbYears(db: Db, county: string): Promise<number[]> {
  const { rows } = await db.query<{ y: number }>(
    `SELECT survey_year AS y FROM public.import_job WHERE layer = 'dltb' AND county_code = $1 AND state = 'succeeded' AND superseded_by IS NULL ORDER BY 1`,
    [county],
  );
  return rows.map((r) => r.y);
}

/**
 * Restorable mining land as the source and not-forest checks read it (Jiangxi scheme §三(二)1:
 * "第三次全国国土调查及年度国土变更调查中确定的采矿用地"): the polygons of survey year `year` (the
 * latest, "now") that are not forest land (03xx) and are 0602 in that year or were 0602 in any
 * earlier survey imported (the base survey or a change survey), each with the part that is or was
 * mining land and is not yet covered by any candidate or reserve parcel. Attributes and filters are
 * the polygon's in `year`. With a single survey year this is that year's 0602 minus the parcels.
 * Keyset-paged by fid (after, limit) so a page is a bounded index range scan; geometry is cut in
 * PostGIS only for polygons that are partly mining land or touched by parcels.
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
  if (f.township) add((p) => `left(d.zldwdm, 9) = ${p}`, f.township);
  if (f.ownership === 'state') where.push(`d.qsxz IN ('10', '20')`);
  if (f.ownership === 'collective') where.push(`d.qsxz IN ('30', '31', '32', '33', '34', '40')`);
  if (f.qsxz?.length) add((p) => `d.qsxz = ANY(${p}::text[])`, f.qsxz);
  if (f.czcsxm204) where.push(`d.czcsxm = '204'`);
  if (f.bbox) add((p) => `d.geom && ST_MakeEnvelope((${p}::float8[])[1], (${p}::float8[])[2], (${p}::float8[])[3], (${p}::float8[])[4], 4490)`, f.bbox);
  if (page.after !== undefined) add((p) => `d.fid > ${p}`, page.after);
  let limit = '';
  if (page.limit !== undefined) {
    params.push(page.limit);
    limit = `LIMIT $${params.length}`;
  }
  // 0602 of an earlier survey year overlapping d (more than a shared edge).
  const earlier = (d: string) =>
    `FROM survey.dltb e WHERE e.county_code = $1 AND e.survey_year < $2 AND e.dlbm = '0602'
        AND e.geom && ${d}.geom AND ST_Intersects(e.geom, ${d}.geom) AND NOT ST_Touches(e.geom, ${d}.geom)`;
  const { rows } = await db.query<MiningPolygonRow>(
    `WITH m AS (
       SELECT d.fid, d.bsm, d.dlbm, d.dlmc, d.qsxz, d.qsdwdm, d.qsdwmc, d.zldwdm, d.zldwmc, d.czcsxm, d.tbmj, d.geom,
              d.dlbm = '0602' AS mining_now
         FROM survey.dltb d
        WHERE d.county_code = $1 AND d.survey_year = $2 AND left(d.dlbm, 2) <> '03'
          AND (d.dlbm = '0602' OR EXISTS (SELECT 1 ${earlier('d')}))
          ${where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY d.fid ${limit}),
     g AS (
       -- The mining part: the whole polygon when it is 0602 now; else its overlap with earlier 0602.
       SELECT m.fid, CASE WHEN m.mining_now THEN m.geom
                          ELSE (SELECT ST_CollectionExtract(ST_Intersection(m.geom, ST_Union(e.geom)), 3) ${earlier('m')}) END AS part,
              NOT m.mining_now AND NOT EXISTS (SELECT 1 ${earlier('m')} AND NOT ST_CoveredBy(m.geom, e.geom)) AS whole_earlier
         FROM m),
     c AS (
       SELECT m.fid, ST_Union(p.geom) AS covered
         FROM m JOIN candidate.parcel p ON p.county_code = $1 AND p.geom && m.geom AND ST_Intersects(p.geom, m.geom)
        -- A parcel whose latest procedure was withdrawn, rejected or removed frees its land again.
        WHERE NOT EXISTS (SELECT 1 FROM procedure.parcel pp WHERE pp.candidate_parcel_id = p.id
                             AND pp.state IN ('withdrawn', 'rejected', 'removed')
                             AND NOT EXISTS (SELECT 1 FROM procedure.parcel live WHERE live.candidate_parcel_id = p.id
                                                AND live.state NOT IN ('withdrawn', 'rejected', 'removed')))
        GROUP BY m.fid),
     r AS (
       SELECT m.*, (c.covered IS NOT NULL OR NOT (m.mining_now OR g.whole_earlier)) AS cut,
              CASE WHEN c.covered IS NOT NULL THEN ST_CollectionExtract(ST_Difference(g.part, c.covered), 3)
                   WHEN NOT (m.mining_now OR g.whole_earlier) THEN g.part END AS rest
         FROM m JOIN g USING (fid) LEFT JOIN c USING (fid))
     SELECT fid, bsm, dlbm, dlmc, qsxz, qsdwdm, qsdwmc, zldwdm, zldwmc, czcsxm, tbmj, $3::int AS zone_srid, cut,
            CASE WHEN cut THEN ST_AsGeoJSON(ST_Transform(rest, $3::int), 9) END AS remainder_plane,
            ${page.withGeometry ? `ST_AsGeoJSON(CASE WHEN cut THEN rest ELSE geom END, 8)` : 'NULL'} AS geometry
       FROM r ORDER BY fid`,
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
