/**
 * All SQL of the OGC API. Every function takes a `Scoped` transaction: row-level security confines
 * what it reads to the user's jurisdiction (a township sees its own parcels), so a collection of
 * another county is simply empty, and the service answers 404 for it.
 *
 * Each collection is a source: a sub-select exposing `_key` (keyset order), `_id` (the feature
 * id), `_g` (the stored geometry, EPSG:4490, GiST-indexed: bbox and tiles filter on it so PostgreSQL
 * pushes the condition into the index scan), `geom` (the geometry served) and one column per
 * property under its published name. Filters are equality on those columns, always as parameters.
 */
import pg from 'pg';
import type { Scoped } from '../auth/scope.js';
import { latestParcelCheckSql } from '../candidates/report-repository.js';
import { streamInTransaction, type TxControl } from '../db/transaction.js';
import { RESERVE_STATES } from '../domain/procedure/state-machine.js';
import { restorableLandSql, runOutsideRowSecurity } from '../restoration/repository.js';
import { PROPERTIES, type CollectionKind, type CollectionRef } from './collections.js';
import type { Bbox, OutputCrs } from './crs.js';

/**
 * A read-only transaction on the service's login (no row-level security) for a survey collection
 * the user's scope has just admitted: see tileAndCommit for why and why it reads the same
 * rows. Only withSurveyRead makes one, and the item functions refuse it for a parcel collection.
 */
export interface SurveyRead {
  readonly client: pg.PoolClient;
  readonly surveyOnly: true;
}
export type Reader = Scoped | SurveyRead;

const SURVEY = new Set<CollectionKind>(['dltb', 'xzq', 'xiaoban']);

function clientFor(db: Reader, kind: CollectionKind): pg.PoolClient {
  if ('surveyOnly' in db && !SURVEY.has(kind)) throw new Error(`${kind} must be read in the user's scope`);
  return db.client;
}

/**
 * A statement of a collection's source. Restorable land is read in the user's transaction with row
 * security off, its statement applying the tables' policies itself (see restorableLandSql for why).
 */
async function run<R extends pg.QueryResultRow>(db: Reader, kind: CollectionKind, text: string, params: unknown[]): Promise<pg.QueryResult<R>> {
  const client = clientFor(db, kind);
  if (kind !== 'restorable') return client.query<R>(text, params);
  return runOutsideRowSecurity(db as Scoped, () => client.query<R>(text, params));
}

export function withSurveyRead<T>(pool: pg.Pool, fn: (db: SurveyRead) => AsyncGenerator<T>): AsyncGenerator<T> {
  return streamInTransaction(pool, 'BEGIN READ ONLY', (client) => fn({ client, surveyOnly: true }));
}

const q = (name: string) => '"' + name.replace(/"/g, '""') + '"';
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The survey layers in force in the scope (one per layer, county and year). */
export interface SurveyLayerRow {
  layer: string;
  county_code: string;
  survey_year: number;
  import_id: string;
}

export async function surveyLayers(tx: Scoped): Promise<SurveyLayerRow[]> {
  const { rows } = await tx.client.query<SurveyLayerRow>(
    `SELECT layer, county_code, survey_year, id AS import_id FROM public.import_job
      WHERE state = 'succeeded' AND superseded_by IS NULL AND layer IN ('dltb', 'xzq', 'ldxb')
      ORDER BY county_code, layer, survey_year`,
  );
  return rows;
}

/** What the scope has of one county: its survey layers in force, and whether it has candidate uploads. */
export interface CountyFacts {
  layers: SurveyLayerRow[];
  hasUploads: boolean;
}

/**
 * The statement of countyFacts with the county as a literal (checked: six digits), so it can travel
 * in the message that opens the scope (withReadScope); countyFactsOf reads its result.
 */
export function countyFactsSql(county: string): string {
  if (!/^\d{6}$/.test(county)) throw new Error(`not a county code: ${county}`);
  return `SELECT (SELECT json_agg(json_build_object('layer', layer, 'county_code', county_code, 'survey_year', survey_year, 'import_id', id) ORDER BY layer, survey_year)
                    FROM public.import_job WHERE county_code = '${county}' AND state = 'succeeded' AND superseded_by IS NULL AND layer IN ('dltb', 'xzq', 'ldxb')) AS layers,
                 EXISTS (SELECT 1 FROM candidate.upload WHERE county_code = '${county}') AS has_uploads`;
}

export function countyFactsOf(result: pg.QueryResult): CountyFacts {
  const row = result.rows[0] as { layers: SurveyLayerRow[] | null; has_uploads: boolean } | undefined;
  return { layers: row?.layers ?? [], hasUploads: row?.has_uploads ?? false };
}

/** countyFacts in one round trip of its own. */
export async function countyFacts(tx: Scoped, county: string): Promise<CountyFacts> {
  return countyFactsOf(await tx.client.query(countyFactsSql(county)));
}

/** Counties with candidate uploads in the scope (a county with parcels but no survey layer still has its parcel collections). */
export async function parcelCounties(tx: Scoped): Promise<string[]> {
  const { rows } = await tx.client.query<{ c: string }>(`SELECT DISTINCT county_code AS c FROM candidate.upload ORDER BY 1`);
  return rows.map((r) => r.c);
}

/** County names from the imported XZQ (latest year). */
export async function countyNames(tx: Scoped): Promise<Map<string, string>> {
  const { rows } = await tx.client.query<{ county_code: string; xzqmc: string }>(
    `SELECT DISTINCT ON (county_code) county_code, xzqmc FROM survey.xzq WHERE level = 'county' AND xzqmc IS NOT NULL ORDER BY county_code, survey_year DESC`,
  );
  return new Map(rows.map((r) => [r.county_code, r.xzqmc]));
}

const surveyColumns = (kind: CollectionKind, alias: string) =>
  PROPERTIES[kind].filter((p) => !p.derived && p.name !== 'BFFG').map((p) => `${alias}.${q(p.name.toLowerCase())} AS ${q(p.name)}`).join(', ');

/**
 * The source sub-select of a collection. $1 is the county; $2 the survey year (survey layers; for
 * restorable land the year it reads as "now", the latest imported); $3 the prefixed Gauss–Krüger zone
 * (restorable land, whose remainder is measured in the survey's plane).
 */
function source(kind: CollectionKind, within?: string): string {
  // Every source names $2 and $3, so their types are known even where a layer does not use them.
  return `SELECT * FROM (${sourceOf(kind, within)}) src WHERE num_nulls($2::int, $3::int) >= 0`;
}

/** `within`: a geometry (EPSG:4490) the caller keeps only features meeting anyway (a tile's envelope); restorable land looks for earlier 0602 there only. */
function sourceOf(kind: CollectionKind, within?: string): string {
  switch (kind) {
    case 'dltb':
    case 'xzq':
    case 'xiaoban': {
      const table = kind === 'xiaoban' ? 'survey.ldxb' : `survey.${kind}`;
      const id = kind === 'xiaoban' ? 'd.fid::text' : 'coalesce(d.bsm, d.fid::text)';
      return `SELECT d.fid AS _key, ${id} AS _id, d.geom AS _g, d.geom AS geom, NULL::text AS _plane, ${surveyColumns(kind, 'd')}
                FROM ${table} d WHERE d.county_code = $1 AND d.survey_year = $2`;
    }
    case 'restorable':
      // Restorable land as /api/v1/…/restorable-mining-land reads it: the one definition, src/restoration.
      return `SELECT r.fid AS _key, coalesce(r.bsm, r.fid::text) AS _id, r.geom AS _g,
                     CASE WHEN r.cut THEN ST_Multi(r.rest) ELSE r.geom END AS geom,
                     CASE WHEN r.cut THEN ST_AsGeoJSON(ST_Transform(r.rest, $3::int), 9) END AS _plane,
                     ${surveyColumns('restorable', 'r')}, r.covered AS "BFFG"
                FROM (${restorableLandSql({ county: '$1', year: '$2', within })}) r`;
    case 'candidates':
      // Status and area of the latest check as the upload's report gives them: the one definition, src/candidates.
      return `SELECT p.id::text AS _key, p.id::text AS _id, p.geom AS _g, p.geom AS geom, NULL::text AS _plane,
                     p.id::text AS "id", p.parcel_no AS "parcelNo", p.township_code::text AS "townshipCode", p.applicant AS "applicant",
                     p.upload_id::text AS "uploadId", coalesce(s.status, 'unchecked') AS "status",
                     s.area_m2 AS "areaM2", s.area_mu AS "areaMu", s.area_ha AS "areaHa"
                FROM candidate.parcel p
                LEFT JOIN LATERAL (${latestParcelCheckSql('p.id', 'p.upload_id')}) s ON true
               WHERE p.county_code = $1 AND p.geom IS NOT NULL`;
    case 'procedure':
    case 'reserve':
      return `SELECT pp.id::text AS _key, pp.id::text AS _id, cp.geom AS _g, cp.geom AS geom, NULL::text AS _plane,
                     pp.id::text AS "id", pp.parcel_no AS "parcelNo", pp.township_code::text AS "townshipCode",
                     ${kind === 'procedure' ? 'pp.applicant AS "applicant", ' : ''}pp.state AS "state",
                     ${kind === 'procedure' ? `to_char(pp.state_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "stateSince"` : `pp.reserve_year::int AS "reserveYear", pp.reserved_on::text AS "reservedOn", pp.forest_class AS "forestClass"`},
                     pp.area_m2 AS "areaM2"
                FROM procedure.parcel pp JOIN candidate.parcel cp ON cp.id = pp.candidate_parcel_id
               WHERE pp.county_code = $1 AND cp.geom IS NOT NULL
                 ${kind === 'reserve' ? `AND pp.state IN (${RESERVE_STATES.map(lit).join(', ')})` : ''}`;
  }
}

export interface ItemsQuery {
  ref: CollectionRef;
  /** The year the source reads ($2): the survey year, or for restorable land the latest imported (its "now"). */
  year: number | null;
  zone: number;
  crs: OutputCrs;
  bbox?: { box: Bbox; srid: number };
  /** The request selects nothing (a datetime outside a survey layer's year). */
  none?: boolean;
  filters: { name: string; value: string }[];
  after?: string;
  before?: string;
  limit: number;
}

/** The WHERE of a request (filters and bbox, no keyset), its parameters after $1–$3. */
function conditions(x: ItemsQuery, params: unknown[]): string[] {
  const where: string[] = x.none ? ['false'] : [];
  const props = PROPERTIES[x.ref.kind];
  for (const f of x.filters) {
    const def = props.find((p) => p.name === f.name && p.filter)!;
    params.push(f.value);
    const cast = def.type === 'string' ? '::text' : def.type === 'boolean' ? '::boolean' : '::numeric';
    where.push(`s.${q(def.name)} = $${params.length}${cast}`);
  }
  if (x.bbox) {
    params.push(...x.bbox.box, x.bbox.srid);
    const n = params.length;
    const env = `ST_MakeEnvelope($${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n}::int)`;
    const in4490 = `CASE WHEN $${n}::int = 4490 THEN ${env} ELSE ST_Transform(ST_Segmentize(${env}, greatest($${n - 2}::float8 - $${n - 4}::float8, $${n - 1}::float8 - $${n - 3}::float8) / 32 + 1e-6), 4490) END`;
    where.push(`s._g && ${in4490} AND ST_Intersects(s._g, ${in4490})`);
  }
  return where;
}

const baseParams = (x: Pick<ItemsQuery, 'ref' | 'year' | 'zone'>): unknown[] => [x.ref.county, x.year, x.zone];

/** numberMatched: the features the filters and bbox select. */
export async function countItems(db: Reader, x: ItemsQuery): Promise<number> {
  const params = baseParams(x);
  const where = conditions(x, params);
  const { rows } = await run<{ n: number }>(db, x.ref.kind, `SELECT count(*)::int AS n FROM (${source(x.ref.kind)}) s ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`, params);
  return rows[0]!.n;
}

export interface FeatureRow {
  key: string;
  id: string;
  /** json_build_object of the properties, as PostgreSQL wrote it (numbers exactly as stored). */
  props: string;
  geometry: string | null;
  /** Restorable land: the remainder in the survey's plane (GeoJSON), to measure its official area. */
  plane: string | null;
}

function featureSelect(kind: CollectionKind, crs: OutputCrs): string {
  const props = PROPERTIES[kind].filter((p) => !p.derived).map((p) => `${lit(p.name)}, s.${q(p.name)}`).join(', ');
  const g = crs.srid === 4490 ? 's.geom' : `ST_Transform(s.geom, ${crs.srid})`;
  return `s._key::text AS key, s._id AS id, json_build_object(${props})::text AS props,
          ST_AsGeoJSON(${crs.flip ? `ST_FlipCoordinates(${g})` : g}, ${crs.digits}) AS geometry, s._plane AS plane`;
}

/**
 * Declares a cursor over one page (keyset on `_key`: after → ascending, before → the page that ends
 * there), so the rows reach the client in batches and a 10,000-feature page never sits in memory.
 */
export async function openItemsCursor(db: Reader, name: string, x: ItemsQuery): Promise<void> {
  const params = baseParams(x);
  const where = conditions(x, params);
  const keyType = x.ref.kind === 'dltb' || x.ref.kind === 'xzq' || x.ref.kind === 'xiaoban' || x.ref.kind === 'restorable' ? 'bigint' : 'text';
  let order = 'ASC';
  if (x.after !== undefined) {
    params.push(x.after);
    where.push(`s._key > $${params.length}::${keyType}`);
  } else if (x.before !== undefined) {
    params.push(x.before);
    where.push(`s._key < $${params.length}::${keyType}`);
    order = 'DESC';
  }
  params.push(x.limit);
  const page = `SELECT s.* FROM (${source(x.ref.kind)}) s ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s._key ${order} LIMIT $${params.length}`;
  // The cursor is planned, and its permissions checked, when declared: its fetches read what DECLARE admitted.
  await run(db, x.ref.kind, `DECLARE ${q(name)} NO SCROLL CURSOR FOR SELECT ${featureSelect(x.ref.kind, x.crs)} FROM (${page}) s ORDER BY s._key`, params);
}

export async function fetchItems(db: Reader, name: string, n: number): Promise<FeatureRow[]> {
  const { rows } = await db.client.query<FeatureRow>(`FETCH ${Math.floor(n)} FROM ${q(name)}`);
  return rows;
}

/** Whether a feature precedes the page (for its prev link). */
export async function existsBefore(db: Reader, x: ItemsQuery, key: string): Promise<boolean> {
  const params = baseParams(x);
  const where = conditions(x, params);
  const keyType = x.ref.kind === 'candidates' || x.ref.kind === 'procedure' || x.ref.kind === 'reserve' ? 'text' : 'bigint';
  params.push(key);
  where.push(`s._key < $${params.length}::${keyType}`);
  const { rows } = await run(db, x.ref.kind, `SELECT 1 FROM (${source(x.ref.kind)}) s WHERE ${where.join(' AND ')} LIMIT 1`, params);
  return rows.length > 0;
}

/** `id` if it is a bigint as PostgreSQL writes one (`fid::text`), else null: no fid has that text. */
function asFid(id: string): string | null {
  if (!/^(0|-?[1-9]\d{0,18})$/.test(id)) return null;
  const n = BigInt(id);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? id : null;
}

/**
 * The statement of itemById: the feature whose `_id` is `id`, the first by `_key`. The survey layers
 * write the test `_id = id` with leakproof operators only (texteq, int8eq): `_id` is
 * `coalesce(bsm, fid::text)` and `fid::text` (int8out) is not leakproof, and in the user's scope,
 * under row-level security, PostgreSQL takes a condition into an index scan only if it is — so
 * `_id = id` scanned the county-year, and this finds the polygon through the BSM index
 * (migrations/0022) and the primary key on fid. The same rows: the fid is compared with the id when
 * the id is exactly a fid's text (asFid), else with NULL.
 */
export function itemStatement(x: Pick<ItemsQuery, 'ref' | 'year' | 'zone' | 'crs'>, id: string): { text: string; values: unknown[] } {
  const kind = x.ref.kind;
  const [byId, values] =
    kind === 'dltb' || kind === 'xzq'
      ? [`(s."BSM" = $4 OR (s."BSM" IS NULL AND s._key = $5::bigint))`, [id, asFid(id)]]
      : kind === 'xiaoban'
        ? [`s._key = $4::bigint`, [asFid(id)]]
        : [`s._id = $4`, [id]];
  return { text: `SELECT ${featureSelect(kind, x.crs)} FROM (${source(kind)}) s WHERE ${byId} ORDER BY s._key LIMIT 1`, values: [...baseParams(x), ...values] };
}

/** One feature by its id (BSM for the survey layers: the first polygon carrying it, by fid where it has none; 小班: fid). */
export async function itemById(tx: Scoped, x: Pick<ItemsQuery, 'ref' | 'year' | 'zone' | 'crs'>, id: string): Promise<FeatureRow | undefined> {
  const st = itemStatement(x, id);
  const { rows } = await run<FeatureRow>(tx, x.ref.kind, st.text, st.values);
  return rows[0];
}

/** Spatial extent (CRS84: lon/lat) of the geometry a collection serves (restorable land: the remainders), null when it has no features. */
export async function extentOf(tx: Scoped, x: Pick<ItemsQuery, 'ref' | 'year' | 'zone'>): Promise<[number, number, number, number] | null> {
  const { rows } = await run<{ x0: number | null; y0: number; x1: number; y1: number }>(
    tx,
    x.ref.kind,
    `SELECT ST_XMin(e) AS x0, ST_YMin(e) AS y0, ST_XMax(e) AS x1, ST_YMax(e) AS y1
       FROM (SELECT ST_Extent(s.geom) AS e FROM (${source(x.ref.kind)}) s) t`,
    baseParams(x),
  );
  const r = rows[0];
  return r && r.x0 !== null ? [r.x0, r.y0, r.x1, r.y1] : null;
}

/** Reserve years present (the reserve's temporal extent). */
export async function reserveYears(tx: Scoped, county: string): Promise<{ min: number | null; max: number | null }> {
  const { rows } = await tx.client.query<{ min: number | null; max: number | null }>(
    `SELECT min(reserve_year)::int AS min, max(reserve_year)::int AS max FROM procedure.parcel WHERE county_code = $1 AND state IN (${RESERVE_STATES.map(lit).join(', ')})`,
    [county],
  );
  return rows[0] ?? { min: null, max: null };
}

/**
 * The version of what a collection shows, for tile ETags: the import in force for a survey layer;
 * for the parcel layers a digest of what changes them (parcels, finished check runs, transitions).
 */
export async function collectionVersion(tx: Scoped, ref: CollectionRef, importId: string | null): Promise<string> {
  if (ref.kind === 'dltb' || ref.kind === 'xzq' || ref.kind === 'xiaoban') return importId ?? 'none';
  const { rows } = await tx.client.query<{ v: string }>(
    `SELECT concat_ws('/', $2::text,
       (SELECT count(*) || ':' || coalesce(max(created_at)::text, '') FROM candidate.parcel WHERE county_code = $1),
       (SELECT count(*) || ':' || coalesce(max(r.finished_at)::text, '') FROM candidate.check_run r JOIN candidate.upload u ON u.id = r.upload_id WHERE u.county_code = $1),
       (SELECT count(*) || ':' || coalesce(sum(version), 0) || ':' || coalesce(max(state_since)::text, '') FROM procedure.parcel WHERE county_code = $1)) AS v`,
    [ref.county, importId ?? ''],
  );
  return rows[0]!.v;
}

/**
 * One Mapbox Vector Tile of a collection: the features whose stored geometry meets the tile
 * (through the GiST index), projected to Web Mercator, simplified to half a pixel (ST_Simplify:
 * the same tiles as ST_SimplifyPreserveTopology here, at half its cost; ST_AsMVTGeom makes the
 * result valid) and clipped with a 64-unit buffer by ST_AsMVTGeom; the MVT layer is named after the
 * collection. Run without parallel workers (NO_PARALLEL): a tile is a small index range, and on a
 * busy two-core host a parallel plan made z14 tiles 3–5 times slower. The statement is exported as
 * text and values so bench/tiles runs exactly it, directly.
 */
export function tileStatement(x: Pick<ItemsQuery, 'ref' | 'year' | 'zone'>, layerName: string, z: number, col: number, row: number): { text: string; values: unknown[] } {
  const attrs = PROPERTIES[x.ref.kind].filter((p) => p.tile).map((p) => `s.${q(p.name)}${p.type === 'number' ? '::float8' : ''} AS ${q(p.name)}`);
  return {
    text: `WITH b AS (SELECT ST_TileEnvelope($4::int, $5::int, $6::int) AS env,
                       ST_Transform(ST_TileEnvelope($4::int, $5::int, $6::int, margin => 64.0 / 4096), 4490) AS env4490)
     SELECT ST_AsMVT(t, $7::text, 4096, 'geom') AS mvt FROM (
       SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(s.geom, 3857), (ST_XMax(b.env) - ST_XMin(b.env)) / 4096 / 2), b.env, 4096, 64, true) AS geom,
              ${attrs.join(', ')}
         FROM (${source(x.ref.kind, `ST_Transform(ST_TileEnvelope($4::int, $5::int, $6::int, margin => 64.0 / 4096), 4490)`)}) s, b
        WHERE s._g && b.env4490
       OFFSET 0) t  -- keeps \`t.geom IS NOT NULL\` out of the scan, where it would compute ST_AsMVTGeom a second time
     WHERE t.geom IS NOT NULL`,
    values: [...baseParams(x), z, col, row, layerName],
  };
}

/**
 * A statement with its values written in as literals, for a message of several statements (the
 * simple protocol carries no parameters). Only what a tile statement takes: integers, NULL and
 * strings (pg's escapeLiteral: quotes and backslashes doubled); anything else is refused.
 */
function withLiterals(st: { text: string; values: unknown[] }): string {
  return st.text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = st.values[Number(n) - 1];
    if (v === null) return 'NULL';
    if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
    if (typeof v === 'string') return pg.escapeLiteral(v);
    throw new Error(`tile statement: $${n} is not an integer, a string or NULL`);
  });
}

/** Planner setting of every tile statement (see tileStatement). */
const NO_PARALLEL = `set_config('max_parallel_workers_per_gather', '0', true)`;

/**
 * One vector tile of a collection the user's scope has just resolved, made and the transaction
 * committed in one message: the planner setting, the tile statement with literal values, COMMIT.
 *
 * The survey layers and restorable land are made with row security off (`role` back to the
 * service's login for the rest of the transaction, as runOutsideRowSecurity does). Why: under RLS,
 * PostgreSQL may not use a qual whose operator is not LEAKPROOF as an index condition before the
 * policy, and PostGIS's `&&` is not, so in the user's scope every tile became a scan of the whole
 * county-year (130 ms on 200,000 polygons, whatever the zoom). The result is the same rows: the
 * survey tables' only policy is `in_scope(county_code)` (migrations/0003), the statement is pinned
 * to the county ($1) the scope admitted in this same transaction, and tests/integration/ogc.test.ts
 * fails if those tables ever get another policy; restorable land's statement applies the policies
 * of what it reads itself (restorableLandSql). The parcel layers, which have township policies, are
 * made in the user's scope. Nothing runs after the role change but the tile and COMMIT.
 */
export async function tileAndCommit(
  tx: Scoped,
  control: TxControl,
  x: Pick<ItemsQuery, 'ref' | 'year' | 'zone'>,
  layerName: string,
  z: number,
  col: number,
  row: number,
): Promise<Buffer> {
  const outside = SURVEY.has(x.ref.kind) || x.ref.kind === 'restorable';
  const settings = `SELECT ${outside ? `set_config('role', 'none', true), ` : ''}${NO_PARALLEL}`;
  const results = await control.commitWith(`${settings}; ${withLiterals(tileStatement(x, layerName, z, col, row))}`);
  const mvt = (results.at(-1)?.rows[0] as { mvt?: Buffer | null } | undefined)?.mvt;
  return mvt ?? Buffer.alloc(0);
}
