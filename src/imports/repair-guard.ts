import type pg from 'pg';
import type { Config } from '../config.js';
import { crossingsRefusal } from '../domain/geometry/bounds.js';
import { Problem } from '../http/problem.js';
import { countCrossings, type SelfIntersectionAnswer } from '../workers/geometry.js';
import { invalidStagedPolygons } from '../gdal/staging-repository.js';
import { addRejects } from './repository.js';

/** The reason code of a polygon rejected rather than repaired; collectRepairs skips these. */
export const UNREPAIRABLE = 'geometry-too-complex';

/** GeoJSON text per worker task: a few hundred thousand vertices, well inside the time limit. */
const CHUNK_CHARS = 8 * 1024 * 1024;

/**
 * Before repairGeometry runs ST_MakeValid (which cannot be cancelled once in GEOS, and on a
 * polygon crossing itself thousands of times runs for many minutes): each invalid polygon's
 * crossings are counted on a worker thread, and one with more than the limit — or whose search
 * did not finish within its budget or time — is rejected, never repaired. Returns how many
 * features this newly rejected.
 */
export async function rejectUnrepairable(
  db: pg.Pool,
  config: Config,
  t: { sourceTable: string; rejectsTable: string; idExpr: string },
): Promise<number> {
  const invalid = await invalidStagedPolygons(db, t.sourceTable);
  const chunks: { key: string; geojson: string }[][] = [[]];
  let chars = 0;
  for (const g of invalid) {
    if (chars > CHUNK_CHARS && chunks[chunks.length - 1]!.length) {
      chunks.push([]);
      chars = 0;
    }
    chunks[chunks.length - 1]!.push({ key: String(g.fid), geojson: g.geojson });
    chars += g.geojson.length;
  }
  const limit = config.maxSelfIntersections;
  const tooComplex = (key: string) => ({ key, count: limit + 1, complete: false, points: [] });
  const search = async (items: { key: string; geojson: string }[]): Promise<SelfIntersectionAnswer[]> => {
    try {
      return await countCrossings(config, items, limit);
    } catch (err) {
      if (!(err instanceof Problem && err.code === 'geometry-too-complex')) throw err;
      if (items.length === 1) return [tooComplex(items[0]!.key)];
      // A chunk past its time limit: each polygon on its own, so only the culprit is rejected.
      const out: SelfIntersectionAnswer[] = [];
      for (const one of items) out.push(...(await search([one])));
      return out;
    }
  };
  const refused: number[] = [];
  for (const chunk of chunks) {
    for (const a of await search(chunk)) if (crossingsRefusal(a, config)) refused.push(Number(a.key));
  }
  return addRejects(db, t.sourceTable, t.rejectsTable, t.idExpr, refused, {
    code: UNREPAIRABLE,
    field: null,
    value: null,
    message: `几何自相交超过${limit}处（或过于复杂），不予自动修复，请在源数据中修正`,
  });
}
