/**
 * What a parcel's geometry may be before any work is spent on it. A geometry past these bounds
 * is refused as it arrives — before repair (ST_MakeValid) and overlays, whose cost in GEOS grows
 * with the crossings and cannot be cancelled once started (a 601-vertex star held a PostgreSQL
 * backend for over 12 minutes). A geometry that cannot be placed (empty, coordinates reversed or
 * absurd) is refused too: stored, it would be a parcel that can never be drawn.
 */

export interface GeometryLimits {
  maxParcelVertices: number;
  maxUploadVertices: number;
  maxParcelParts: number;
  maxSelfIntersections: number;
}

export type GeometryRefusalCode =
  | 'geometry-empty'
  | 'coordinates-swapped'
  | 'coordinates-out-of-range'
  | 'geometry-too-many-vertices'
  | 'geometry-too-many-parts'
  | 'geometry-too-complex';

export interface GeometryRefusal {
  code: GeometryRefusalCode;
  message: string;
}

export type BBox = [number, number, number, number];

export interface Window {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** China, generously (lon 73–136°E, lat 3–54°N): outside it, lon/lat coordinates are wrong. */
export const CHINA_LON_LAT: Window = { minX: 73, maxX: 136, minY: 3, maxY: 54 };

const inside = ([x0, y0, x1, y1]: BBox, w: Window) => x0 >= w.minX && x1 <= w.maxX && y0 >= w.minY && y1 <= w.maxY;

/** Latitude first (a common export mistake): outside China as given, inside read the other way round. */
export function latLonLooksSwapped(bbox: BBox): boolean {
  const [x0, y0, x1, y1] = bbox;
  return !inside(bbox, CHINA_LON_LAT) && inside([y0, x0, y1, x1], CHINA_LON_LAT);
}

/** The message for reversed lon/lat, shared by the upload refusal and the geometry check. */
export const latLonSwappedMessage = (x: number, y: number) => `坐标（${x.toFixed(6)}, ${y.toFixed(6)}）不在中国境内，经纬度可能颠倒（纬度在前）`;

/**
 * The coordinate window a parcel must lie in, by the kind of coordinate system it was declared
 * in: lon/lat around China, or a Gauss–Krüger zone's eastings (false easting ± 600 km) and
 * China's northings. The same windows decide whether a parcel is stored as drawable.
 */
export function coordinateWindow(crs: { kind: 'geographic' } | { kind: 'gauss-kruger'; falseEasting: number }): Window {
  if (crs.kind === 'geographic') return { minX: 70, maxX: 140, minY: 0, maxY: 56 };
  return { minX: crs.falseEasting - 600_000, maxX: crs.falseEasting + 600_000, minY: 0, maxY: 6_300_000 };
}

export interface FeatureShape {
  /** No geometry, or an empty one. */
  empty: boolean;
  vertices: number;
  parts: number;
  bbox: BBox | null;
}

const fmt = (v: number) => (Math.abs(v) < 1e9 ? v.toFixed(6).replace(/\.?0+$/, '') : v.toExponential(3));

/** The first reason a feature's geometry is refused from its shape alone (cheap, no geometry search). */
export function shapeRefusal(
  f: FeatureShape,
  crs: { kind: 'geographic' } | { kind: 'gauss-kruger'; falseEasting: number },
  limits: Pick<GeometryLimits, 'maxParcelVertices' | 'maxParcelParts'>,
): GeometryRefusal | undefined {
  if (f.empty || !f.bbox) return { code: 'geometry-empty', message: '几何为空（没有坐标）' };
  const b = f.bbox;
  const w = coordinateWindow(crs);
  if (!b.every(Number.isFinite) || !inside(b, w)) {
    const swapped = crs.kind === 'geographic' ? latLonLooksSwapped(b) : b.every(Number.isFinite) && inside([b[1], b[0], b[3], b[2]], w);
    if (swapped) {
      return {
        code: 'coordinates-swapped',
        message: crs.kind === 'geographic' ? latLonSwappedMessage(b[0], b[1]) : `坐标（${fmt(b[0])}, ${fmt(b[1])}）超出投影带范围，X、Y坐标可能颠倒（北坐标在前）`,
      };
    }
    const what = crs.kind === 'geographic' ? '经纬度应在东经70°–140°、北纬0°–56°之间' : `东坐标应在${w.minX}–${w.maxX}米、北坐标在0–6300000米之间`;
    return { code: 'coordinates-out-of-range', message: `坐标范围（${fmt(b[0])}, ${fmt(b[1])}）—（${fmt(b[2])}, ${fmt(b[3])}）超出声明坐标系的有效范围：${what}` };
  }
  if (f.vertices > limits.maxParcelVertices) {
    return { code: 'geometry-too-many-vertices', message: `节点${f.vertices}个，超过每个地块${limits.maxParcelVertices}个的上限` };
  }
  if (f.parts > limits.maxParcelParts) {
    return { code: 'geometry-too-many-parts', message: `由${f.parts}个部分组成，超过每个地块${limits.maxParcelParts}个的上限` };
  }
  return undefined;
}

/** Refusal for a geometry whose self-intersection search passed the limit or its work budget. */
export function crossingsRefusal(
  r: { count: number; complete: boolean; stoppedBy?: string },
  limits: Pick<GeometryLimits, 'maxSelfIntersections'>,
): GeometryRefusal | undefined {
  if (r.count > limits.maxSelfIntersections) {
    return { code: 'geometry-too-complex', message: `自相交超过${limits.maxSelfIntersections}处，无法作为地块处理（请检查节点顺序）` };
  }
  if (!r.complete) return { code: 'geometry-too-complex', message: '几何过于复杂，自相交检查未能在限定工作量内完成' };
  return undefined;
}
