import type pg from 'pg';
import type { Config } from '../config.js';
import { crossingsRefusal, shapeRefusal, type GeometryLimits, type GeometryRefusal } from '../domain/geometry/bounds.js';
import { Problem } from '../http/problem.js';
import { countCrossings } from '../workers/geometry.js';
import { invalidStagedPolygons, stagedShapes } from '../gdal/staging-repository.js';

const TITLES: Record<GeometryRefusal['code'], string> = {
  'geometry-empty': 'Empty geometry',
  'coordinates-swapped': 'Coordinates look reversed',
  'coordinates-out-of-range': 'Coordinates out of range',
  'geometry-too-many-vertices': 'Too many vertices',
  'geometry-too-many-parts': 'Too many parts',
  'geometry-too-complex': 'Geometry too complex',
};

type Refused = GeometryRefusal & { fid: number; parcelNo: string };

function refuse(refused: Refused[]): Problem {
  const first = refused[0]!;
  const more = refused.length > 1 ? `；另有${refused.length - 1}个地块也不符合要求，见parcels` : '';
  return new Problem(422, first.code, TITLES[first.code], `地块${first.parcelNo}：${first.message}${more}。整批未导入`, {
    parcels: refused.slice(0, 100).map((r) => ({ fid: r.fid, parcelNo: r.parcelNo, code: r.code, message: r.message })),
    refused: refused.length,
  });
}

/** The bounds of Config as geometry limits. */
export const geometryLimits = (c: Config): GeometryLimits => ({
  maxParcelVertices: c.maxParcelVertices,
  maxUploadVertices: c.maxUploadVertices,
  maxParcelParts: c.maxParcelParts,
  maxSelfIntersections: c.maxSelfIntersections,
});

/**
 * Refuses (422, naming the parcels) a staged candidate layer whose geometry cannot be placed or
 * would cost unbounded work: empty, coordinates reversed or out of range, too many vertices or
 * parts, or more self-intersections than allowed. Runs before the parcels are created, i.e.
 * before ST_MakeValid ever sees them; the crossing search runs on a worker thread with a time limit.
 */
export async function guardStagedGeometry(
  db: pg.Pool,
  config: Config,
  staged: { table: string; columns: string[]; crs: { kind: 'geographic' } | { kind: 'gauss-kruger'; falseEasting: number } },
): Promise<void> {
  const limits = geometryLimits(config);
  const shapes = await stagedShapes(db, staged.table, staged.columns);
  const refused: Refused[] = [];
  let vertices = 0;
  for (const s of shapes) {
    vertices += s.vertices;
    const r = shapeRefusal({ ...s, bbox: s.bbox?.map(Number) as [number, number, number, number] | null }, staged.crs, limits);
    if (r) refused.push({ ...r, fid: s.fid, parcelNo: s.parcel_no });
  }
  if (refused.length) throw refuse(refused);
  if (vertices > limits.maxUploadVertices) {
    throw new Problem(422, 'upload-too-many-vertices', 'Too many vertices in one upload', `本次上传共${vertices}个节点，超过每批${limits.maxUploadVertices}个的上限；请分批上传`, {
      vertices,
      limit: limits.maxUploadVertices,
    });
  }
  const invalid = await invalidStagedPolygons(db, staged.table);
  const counted = await countCrossings(config, invalid.map((g) => ({ key: String(g.fid), geojson: g.geojson })), limits.maxSelfIntersections);
  const byFid = new Map(shapes.map((s) => [String(s.fid), s]));
  for (const c of counted) {
    const r = crossingsRefusal(c, limits);
    if (r) refused.push({ ...r, fid: Number(c.key), parcelNo: byFid.get(c.key)?.parcel_no ?? c.key });
  }
  if (refused.length) throw refuse(refused);
}
