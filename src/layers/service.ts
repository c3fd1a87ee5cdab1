import type pg from 'pg';
import { withScope, type AuthUser } from '../auth/scope.js';
import { Problem } from '../http/problem.js';
import * as repo from './repository.js';

// Reads in the user's scope: layers of counties outside the jurisdiction are not listed (row-level security).

export async function currentLayers(pool: pg.Pool, user: AuthUser, county?: string): Promise<repo.LayerVersionRow[]> {
  return withScope(pool, user, (tx) => repo.currentLayers(tx.client, county));
}

export async function landClassTotals(pool: pg.Pool, user: AuthUser, county: string, year: number): Promise<repo.LandClassTotal[]> {
  const rows = await withScope(pool, user, (tx) => repo.dltbTotalsByLandClass(tx.client, county, year));
  if (rows.length === 0) throw new Problem(404, 'layer-not-imported', 'Layer not imported', `${county}县${year}年地类图斑尚未导入`);
  return rows;
}
