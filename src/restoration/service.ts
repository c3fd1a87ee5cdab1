import type pg from 'pg';
import { areaFigures, type AreaFigures } from '../domain/units.js';
import { surveyZoneEpsg } from '../layers/repository.js';
import { badInput } from '../http/problem.js';
import { officialAreaOfPlane, zoneOfEpsg } from '../domain/area/plane-geometry.js';
import * as repo from './repository.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';

export interface RestorableQuery extends Omit<repo.RestorableFilter, 'year'> {
  year?: number;
  /** Polygons whose restorable area is below this (m²) are left out. */
  minAreaM2?: number;
}

export interface RestorablePolygon {
  row: repo.MiningPolygonRow;
  /** Mining area not yet covered by candidate or reserve parcels: TBMJ when it is the whole polygon, else the official area of the rest. */
  restorableM2: number;
  township: string | null;
}

async function resolve(db: pg.PoolClient, q: RestorableQuery): Promise<{ filter: repo.RestorableFilter; zoneSrid: number }> {
  const years = await repo.dltbYears(db, q.county);
  if (years.length === 0) {
    throw badInput('survey-layers-missing', 'Survey layers not imported', `${q.county}县尚未导入三调地类图斑`);
  }
  // "Now" is the latest survey year imported: earlier years count for what was mining land.
  const year = q.year ?? years[years.length - 1]!;
  if (!years.includes(year)) {
    throw badInput('survey-year-not-imported', 'Survey year not imported', `${q.county}县${year}年地类图斑尚未导入（已导入：${years.join('、')}）`);
  }
  return { filter: { ...q, year }, zoneSrid: (await surveyZoneEpsg(db, q.county, year))! };
}

function measure(row: repo.MiningPolygonRow): RestorablePolygon {
  const restorableM2 = row.cut ? officialAreaOfPlane(row.remainder_plane, zoneOfEpsg(row.zone_srid)) : Number(row.tbmj ?? 0);
  return { row, restorableM2, township: row.zldwdm ? row.zldwdm.slice(0, 9) : null };
}

export interface TownshipTotal {
  township: string | null;
  name: string | null;
  parcels: number;
  area: AreaFigures;
}

// Reads run in the user's scope; restorable land itself with row security off, its statement applying the
// tables' policies (repo.restorableLandSql).

/** County totals of restorable mining land, by township (ZLDWDM's first 9 digits). */
export async function restorableSummary(pool: pg.Pool, user: AuthUser, q: RestorableQuery) {
  return withScope(pool, user, (tx) => summaryOf(tx, q));
}

async function summaryOf(tx: Scoped, q: RestorableQuery) {
  const { filter, zoneSrid } = await resolve(tx.client, q);
  const rows = await repo.runOutsideRowSecurity(tx, () => repo.miningPolygons(tx.client, filter, zoneSrid, { withGeometry: false }));
  const names = await repo.townshipNames(tx.client, q.county);
  const byTownship = new Map<string | null, { parcels: number; m2: number }>();
  let parcels = 0;
  let m2 = 0;
  for (const r of rows) {
    const p = measure(r);
    if (p.restorableM2 <= 0 || (q.minAreaM2 !== undefined && p.restorableM2 < q.minAreaM2)) continue;
    const t = byTownship.get(p.township) ?? { parcels: 0, m2: 0 };
    t.parcels++;
    t.m2 += p.restorableM2;
    byTownship.set(p.township, t);
    parcels++;
    m2 += p.restorableM2;
  }
  const townships: TownshipTotal[] = [...byTownship.entries()]
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([code, t]) => ({ township: code, name: code ? (names.get(code) ?? null) : null, parcels: t.parcels, area: areaFigures(t.m2) }));
  return { countyCode: q.county, surveyYear: filter.year, filter: { ...q, year: filter.year }, total: { parcels, area: areaFigures(m2) }, townships };
}

/**
 * One page of restorable polygons in fid order. Polygons under the minimum area are skipped,
 * so the page is filled from further rows; `next` is the last fid examined.
 */
export async function restorablePage(pool: pg.Pool, user: AuthUser, q: RestorableQuery, page: { after?: number; limit: number }) {
  return withScope(pool, user, (tx) => pageOf(tx, q, page));
}

async function pageOf(tx: Scoped, q: RestorableQuery, page: { after?: number; limit: number }) {
  const { filter, zoneSrid } = await resolve(tx.client, q);
  const items: RestorablePolygon[] = [];
  let after = page.after;
  let exhausted = false;
  while (items.length < page.limit && !exhausted) {
    const want = page.limit - items.length;
    const rows = await repo.runOutsideRowSecurity(tx, () => repo.miningPolygons(tx.client, filter, zoneSrid, { after, limit: want, withGeometry: true }));
    if (rows.length < want) exhausted = true;
    for (const r of rows) {
      after = r.fid;
      const p = measure(r);
      if (p.restorableM2 <= 0 || (q.minAreaM2 !== undefined && p.restorableM2 < q.minAreaM2)) continue;
      items.push(p);
    }
  }
  return { surveyYear: filter.year, items, next: exhausted ? undefined : after };
}
