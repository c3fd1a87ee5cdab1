/**
 * OGC API – Features and vector tiles over every layer, in the user's scope (row-level security):
 * a collection is listed and served only when the jurisdiction covers its county; a collection
 * outside it is a 404 like one that does not exist. Item pages are streamed from a PostgreSQL
 * cursor in batches, inside the scoped transaction, so a page is never built whole in memory.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { withReadScope, withScope, withScopeStream, type AuthUser, type Scoped } from '../auth/scope.js';
import { surveyZoneEpsg } from '../layers/repository.js';
import { notFoundInScope } from '../http/errors.js';
import { isUuid } from '../http/schemas.js';
import * as problems from './problems.js';
import { COUNTY_KINDS, IMPORT_LAYER, PROPERTIES, SURVEY_KINDS, collectionId, parseCollectionId, type CollectionKind, type CollectionRef } from './collections.js';
import { CRS84, parseBbox, parseCrs, type OutputCrs } from './crs.js';
import * as repo from './repository.js';
import { featureText } from './view.js';

export interface CollectionInfo {
  ref: CollectionRef;
  id: string;
  countyName?: string;
  /** The import in force (survey layers); restorable land: the DLTB imports of every year it reads, joined (its tiles' version). */
  importId: string | null;
  /** The year the source reads: survey year, or for restorable land the latest imported (its "now", as /api/ reads it by default). */
  year: number | null;
  /** Prefixed Gauss–Krüger zone of the county's survey (EPSG 4513–4533). */
  zone: number;
  extent: [number, number, number, number] | null;
  years: { min: number; max: number } | null;
}

// A survey layer's extent and zone never change for one import: computed once per import id.
const surveyExtents = new Map<string, [number, number, number, number] | null>();
const zones = new Map<string, number>();

/** The county's survey zone: its DLTB's (that year's, else the latest), else zone 39 (117°E, where the fixtures lie). */
async function zoneOf(tx: Scoped, county: string, year: number | null, dltb: Layers): Promise<number> {
  const l = dltb.find((d) => d.survey_year === year) ?? dltb.at(-1);
  if (!l) return 4527;
  if (!zones.has(l.import_id)) zones.set(l.import_id, (await surveyZoneEpsg(tx.client, county, l.survey_year)) ?? 4527);
  return zones.get(l.import_id)!;
}

type Layers = repo.SurveyLayerRow[];

/** A collection's facts; its extent (a pass over the layer for the parcel layers) only when a view shows it. */
async function describe(tx: Scoped, ref: CollectionRef, layers: Layers, opts: { names?: Map<string, string>; extent: boolean }): Promise<CollectionInfo> {
  const dltb = layers.filter((l) => l.layer === 'dltb' && l.county_code === ref.county);
  let importId: string | null = null;
  let year: number | null = null;
  if (ref.year !== undefined) {
    year = ref.year;
    importId = layers.find((l) => l.layer === IMPORT_LAYER[ref.kind as (typeof SURVEY_KINDS)[number]] && l.county_code === ref.county && l.survey_year === ref.year)?.import_id ?? null;
  } else if (ref.kind === 'restorable') {
    // "Now" is the latest survey year imported, earlier years tell what was mining land (src/restoration).
    year = dltb.at(-1)?.survey_year ?? null;
    importId = dltb.length ? dltb.map((l) => l.import_id).join('+') : null;
  }
  const zone = await zoneOf(tx, ref.county, year, dltb);
  const base = { ref, year, zone };
  let extent: [number, number, number, number] | null = null;
  if (opts.extent && importId && ref.kind !== 'restorable') {
    if (!surveyExtents.has(importId)) surveyExtents.set(importId, await repo.extentOf(tx, base));
    extent = surveyExtents.get(importId)!;
  } else if (opts.extent) {
    extent = await repo.extentOf(tx, base);
  }
  let years: CollectionInfo['years'] = year !== null ? { min: year, max: year } : null;
  if (ref.kind === 'reserve' && opts.extent) {
    const r = await repo.reserveYears(tx, ref.county);
    years = r.min !== null && r.max !== null ? { min: r.min, max: r.max } : null;
  }
  return { ref, id: collectionId(ref), countyName: opts.names?.get(ref.county), importId, year, zone, extent, years };
}

/** The collections of the scope: survey layers in force, and per county the parcel layers. */
async function refsInScope(tx: Scoped): Promise<{ refs: CollectionRef[]; layers: Layers }> {
  const layers = await repo.surveyLayers(tx);
  const refs: CollectionRef[] = [];
  const kindOf = { dltb: 'dltb', xzq: 'xzq', ldxb: 'xiaoban' } as Record<string, CollectionKind>;
  for (const l of layers) refs.push({ kind: kindOf[l.layer]!, county: l.county_code, year: l.survey_year });
  const counties = [...new Set([...layers.map((l) => l.county_code), ...(await repo.parcelCounties(tx))])].sort();
  for (const county of counties) {
    for (const kind of COUNTY_KINDS) {
      if (kind === 'restorable' && !layers.some((l) => l.layer === 'dltb' && l.county_code === county)) continue;
      refs.push({ kind, county });
    }
  }
  const order = (r: CollectionRef) => `${r.county}/${[...SURVEY_KINDS, ...COUNTY_KINDS].indexOf(r.kind)}/${r.year ?? ''}`;
  return { refs: refs.sort((a, b) => order(a).localeCompare(order(b))), layers };
}

export async function listCollections(pool: pg.Pool, user: AuthUser): Promise<CollectionInfo[]> {
  return withScope(pool, user, async (tx) => {
    const { refs, layers } = await refsInScope(tx);
    const names = await repo.countyNames(tx);
    const out: CollectionInfo[] = [];
    for (const ref of refs) out.push(await describe(tx, ref, layers, { names, extent: true }));
    return out;
  });
}

/**
 * The collection an id names, in the scope; 404 collection-not-found otherwise (absent and out of
 * scope alike). One query for the county's facts: tiles and pages pay little for it.
 */
async function resolve(tx: Scoped, id: string, view = false, facts?: repo.CountyFacts): Promise<CollectionInfo> {
  const ref = parseCollectionId(id);
  if (ref) {
    const { layers, hasUploads } = facts ?? (await repo.countyFacts(tx, ref.county));
    const exists =
      ref.year !== undefined
        ? layers.some((l) => l.layer === IMPORT_LAYER[ref.kind as (typeof SURVEY_KINDS)[number]] && l.survey_year === ref.year)
        : ref.kind === 'restorable'
          ? layers.some((l) => l.layer === 'dltb')
          : layers.length > 0 || hasUploads;
    if (exists) return describe(tx, ref, layers, { names: view ? await repo.countyNames(tx) : undefined, extent: view });
  }
  throw notFoundInScope('要素集合', id, 'collection-not-found');
}

/** A collection with its title, extent and temporal extent (collection page, TileJSON). */
export async function getCollection(pool: pg.Pool, user: AuthUser, id: string): Promise<CollectionInfo> {
  return withScope(pool, user, (tx) => resolve(tx, id, true));
}

// ---------------------------------------------------------------- items

/** Query parameters of /items that are not property filters. */
const ITEM_PARAMS = new Set(['f', 'limit', 'bbox', 'bbox-crs', 'crs', 'datetime', 'after', 'before']);

export interface ItemsRequest {
  limit: number;
  bbox?: string;
  bboxCrs?: string;
  crs?: string;
  datetime?: string;
  after?: string;
  before?: string;
  /** Every query parameter, for the property filters. */
  raw: Record<string, unknown>;
}

const unsupportedCrs = (parameter: 'crs' | 'bbox-crs', value: string, c: CollectionInfo) =>
  problems.crsUnsupported(parameter, `${parameter}不是该集合支持的坐标系：${value}（支持：CRS84、EPSG:4490、EPSG:${c.zone}、EPSG:${c.zone + 21}）`);

function outputCrs(c: CollectionInfo, value: string | undefined, parameter: 'crs' | 'bbox-crs'): OutputCrs {
  const crs = parseCrs(value ?? CRS84, c.zone);
  if (!crs) throw unsupportedCrs(parameter, value ?? '', c);
  return crs;
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** The property filters (`DLBM=0602`): only the collection's own fields; a value of their type. */
function filtersOf(kind: CollectionKind, raw: Record<string, unknown>): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const [name, v] of Object.entries(raw)) {
    if (ITEM_PARAMS.has(name)) continue;
    const def = PROPERTIES[kind].find((p) => p.name === name && p.filter);
    if (!def) {
      throw problems.parameterUnknown(name, `未知的查询参数或该图层没有可筛选的字段“${name}”（可筛选字段：${PROPERTIES[kind].filter((p) => p.filter).map((p) => p.name).join('、')}）`);
    }
    if (typeof v !== 'string') throw problems.filterValueInvalid(name, `筛选条件${name}只能给出一个值`);
    if (v.length > 200) throw problems.filterValueInvalid(name, `筛选条件${name}的值过长`);
    const ok = def.type === 'string' || (def.type === 'boolean' ? /^(true|false)$/.test(v) : def.type === 'integer' ? /^-?\d{1,9}$/.test(v) : NUMBER.test(v) && v.length <= 40);
    if (!ok) throw problems.filterValueInvalid(name, `筛选条件${name}应为${def.type === 'boolean' ? 'true或false' : def.type === 'integer' ? '整数' : '数值'}，实际为“${v}”`);
    out.push({ name, value: v });
  }
  return out;
}

function cursorOf(kind: CollectionKind, parameter: 'after' | 'before', v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const numeric = kind === 'dltb' || kind === 'xzq' || kind === 'xiaoban' || kind === 'restorable';
  const ok = numeric ? /^-?\d{1,18}$/.test(v) : isUuid(v);
  if (!ok) throw problems.cursorInvalid(parameter, `${parameter}不是有效的分页位置：请使用上一页links中的next/prev链接`);
  return v;
}

function itemsQuery(c: CollectionInfo, r: ItemsRequest, extra: number): repo.ItemsQuery {
  const crs = outputCrs(c, r.crs, 'crs');
  let bbox: repo.ItemsQuery['bbox'];
  if (r.bbox !== undefined) {
    const bc = outputCrs(c, r.bboxCrs, 'bbox-crs');
    const parsed = parseBbox(r.bbox, bc);
    if ('error' in parsed) throw problems.bboxInvalid(`bbox无效：${parsed.error}（实际为“${r.bbox}”）`);
    bbox = { box: parsed.bbox, srid: bc.srid };
  } else if (r.bboxCrs !== undefined) {
    outputCrs(c, r.bboxCrs, 'bbox-crs');
  }
  if (r.after !== undefined && r.before !== undefined) throw problems.cursorInvalid('before', 'after与before不能同时给出');
  const years = r.datetime === undefined ? undefined : yearsOf(r.datetime);
  if (years === null) throw problems.datetimeInvalid(`datetime应为RFC 3339时间或时间段（如2023-06-01T00:00:00Z、2023-01-01/2023-12-31、../2023-12-31），实际为“${r.datetime}”`);
  const y = dataYear(c);
  return {
    // A survey layer is of its year, restorable land of the year it reads as now: a datetime that misses
    // the year selects nothing. The parcel layers carry no time of reference and ignore it.
    none: years !== undefined && y !== undefined && (y < years.from || y > years.to),
    ref: c.ref,
    year: c.year,
    zone: c.zone,
    crs,
    bbox,
    filters: filtersOf(c.ref.kind, r.raw),
    after: cursorOf(c.ref.kind, 'after', r.after),
    before: cursorOf(c.ref.kind, 'before', r.before),
    limit: r.limit + extra,
  };
}

/** The survey year a collection's features are of (survey layers; restorable land: the latest imported). */
const dataYear = (c: CollectionInfo): number | undefined => c.ref.year ?? (c.ref.kind === 'restorable' ? (c.year ?? undefined) : undefined);

const DATE = /^(\d{4})-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The years a `datetime` (an instant, or an interval with `..` or empty for an open end) covers; null when malformed. */
function yearsOf(v: string): { from: number; to: number } | null {
  const parts = v.split('/');
  if (parts.length > 2) return null;
  const year = (s: string, open: number): number | null => {
    if (parts.length === 2 && (s === '..' || s === '')) return open;
    const m = DATE.exec(s);
    return m ? Number(m[1]) : null;
  };
  const from = year(parts[0]!, -Infinity);
  const to = parts.length === 2 ? year(parts[1]!, Infinity) : from;
  if (from === null || to === null || from > to) return null;
  return { from, to };
}

export interface PageHead {
  collection: CollectionInfo;
  crs: OutputCrs;
  numberMatched: number;
}

export interface PageEnd {
  numberReturned: number;
  /** Keyset positions of the next and previous pages, when there are such pages. */
  next?: string;
  prev?: string;
}

const BATCH = 500;

/**
 * One page of items: first the head (collection, CRS, numberMatched), then each feature as GeoJSON
 * text, then the end (numberReturned, next/prev), read from a cursor BATCH rows at a time in one
 * transaction. The collection is resolved in the user's scope; a survey collection is then read on
 * the service's login (repo.withSurveyRead: the same rows, and bbox pages through the GiST index),
 * a parcel collection in the user's scope, whose township policies decide its rows.
 */
export async function* itemsPage(pool: pg.Pool, user: AuthUser, id: string, r: ItemsRequest): AsyncGenerator<{ head: PageHead } | { feature: string } | { end: PageEnd }> {
  const c = await withScope(pool, user, (tx) => resolve(tx, id));
  // after/first pages read one row more than asked, to know whether a next page exists.
  const x = itemsQuery(c, r, r.before === undefined ? 1 : 0);
  const read = (db: repo.Reader) => readPage(db, c, x, r);
  if (c.ref.year !== undefined) yield* repo.withSurveyRead(pool, read);
  else yield* withScopeStream(pool, user, read);
}

async function* readPage(db: repo.Reader, c: CollectionInfo, x: repo.ItemsQuery, r: ItemsRequest): AsyncGenerator<{ head: PageHead } | { feature: string } | { end: PageEnd }> {
  const numberMatched = await repo.countItems(db, x);
  await repo.openItemsCursor(db, 'items', x);
  yield { head: { collection: c, crs: x.crs, numberMatched } };
  let n = 0;
  let first: string | undefined;
  let last: string | undefined;
  let more = false;
  for (;;) {
    const rows = await repo.fetchItems(db, 'items', BATCH);
    for (const row of rows) {
      if (n === r.limit) {
        more = true;
        break;
      }
      first ??= row.key;
      last = row.key;
      n++;
      yield { feature: featureText(c, row) };
    }
    if (more || rows.length < BATCH) break;
  }
  const end: PageEnd = { numberReturned: n };
  if (last !== undefined && (more || r.before !== undefined)) end.next = last;
  if (first !== undefined && (r.after !== undefined || r.before !== undefined) && (await repo.existsBefore(db, x, first))) end.prev = first;
  yield { end };
}

export async function getItem(pool: pg.Pool, user: AuthUser, id: string, featureId: string, crsValue?: string): Promise<{ collection: CollectionInfo; crs: OutputCrs; text: string }> {
  return withScope(pool, user, async (tx) => {
    const c = await resolve(tx, id);
    const crs = outputCrs(c, crsValue, 'crs');
    const row = featureId.length <= 100 ? await repo.itemById(tx, { ref: c.ref, year: c.year, zone: c.zone, crs }, featureId) : undefined;
    if (!row) throw notFoundInScope(`${id}中的要素`, featureId, 'feature-not-found');
    return { collection: c, crs, text: featureText(c, row) };
  });
}

// ---------------------------------------------------------------- tiles

/** Deepest zoom served (WebMercatorQuad goes to 24; a parcel is a few pixels at 10, whole at 16–18). */
export const MAX_ZOOM = 22;

export type TileAnswer = { status: 304; etag: string } | { status: 204; etag: string } | { status: 200; etag: string; body: Buffer };

/**
 * A vector tile made on request: its ETag names the collection's version (the import in force, or a
 * digest of the parcels, check runs and transitions), the tile and the scope (a township's tile of
 * the same collection differs); a matching If-None-Match is answered 304 without making the tile.
 * One read-only transaction of two round trips (a parcel layer: three): the scope opened with the
 * county's facts in the same message, then the tile made and the transaction committed in one more
 * (repo.tileAndCommit) — per tile, the service adds the token look-up and these to the statement.
 */
export async function getTile(pool: pg.Pool, user: AuthUser, id: string, z: number, x: number, y: number, ifNoneMatch?: string): Promise<TileAnswer> {
  if (z > MAX_ZOOM || x >= 2 ** z || y >= 2 ** z) {
    throw problems.tileOutOfRange(`瓦片${z}/${x}/${y}不在WebMercatorQuad瓦片矩阵内（z为0–${MAX_ZOOM}，x、y为0–2^z−1）`);
  }
  const ref = parseCollectionId(id);
  if (!ref) throw notFoundInScope('要素集合', id, 'collection-not-found');
  return withReadScope(pool, user, repo.countyFactsSql(ref.county), async (tx, facts, control): Promise<TileAnswer> => {
    const c = await resolve(tx, id, false, repo.countyFactsOf(facts));
    const version = await repo.collectionVersion(tx, c.ref, c.importId);
    const etag = `"${createHash('sha256').update([version, id, z, x, y, user.prefix, user.township ?? ''].join('|')).digest('base64url').slice(0, 32)}"`;
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return { status: 304, etag };
    return answer(await repo.tileAndCommit(tx, control, c, id, z, x, y), etag);
  });
}

const answer = (body: Buffer, etag: string): TileAnswer => (body.length === 0 ? { status: 204, etag } : { status: 200, etag, body });
