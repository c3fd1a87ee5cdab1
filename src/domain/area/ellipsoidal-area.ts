/**
 * The area of record (椭球面积, TBMJ): plane edges densified to ≤ 70 m, vertices inverse-projected
 * from Gauss–Krüger to CGCS2000 latitude/longitude, area summed from ellipsoidal trapezoids
 * (国土调查办发〔2008〕32号; DOMAIN.md §6). Never a spherical area.
 *
 * Coordinates are taken as ArrayLike so both [x, y] tuples and GeoJSON number[] positions fit.
 * Longitudes are assumed not to cross ±180° (China).
 */
import { DEG } from './cgcs2000.js';
import { DEFAULT_DENSIFY_METRES, isClosed, pieceCount } from './densify.js';
import { gkForwardRadInto, gkInverseRadInto, nearestCentralMeridian3, type GaussKrugerZone } from './gauss-kruger.js';
import { RingAccumulator } from './trapezoid.js';
import { roundTo } from '../units.js';

export { densifyPlaneRing } from './densify.js';

export type Coord = ArrayLike<number>;
export type Ring = ArrayLike<Coord>;
export type Polygon = ArrayLike<Ring>;
export type MultiPolygon = ArrayLike<Polygon>;

export interface GkAreaOptions {
  /** Maximum plane edge length in metres before inverse projection; default 70. 0 = no densification. */
  densify?: number;
}

export interface GeographicAreaOptions extends GkAreaOptions {
  /** Plane in which to densify. Default: the 3-degree zone whose CM is nearest the bbox centre. */
  zone?: GaussKrugerZone;
}

const acc = new RingAccumulator();
const ll = new Float64Array(2);
const xy = new Float64Array(2);

/** Vertices to visit: a closing repeat of the first vertex is skipped. */
function openLength(ring: Ring): number {
  return isClosed(ring) ? ring.length - 1 : ring.length;
}

/**
 * Signed ellipsoidal area (m²) of a ring of [lon, lat] degrees, counter-clockwise positive.
 * Edges are taken as straight in lon/lat (as the official method does); densify first for long
 * edges. Closed or open rings are both accepted.
 */
export function ellipsoidalRingArea(ring: Ring): number {
  const n = openLength(ring);
  acc.begin();
  for (let i = 0; i < n; i++) {
    const p = ring[i] as Coord;
    acc.add((p[0] as number) * DEG, (p[1] as number) * DEG);
  }
  return acc.end();
}

/** Signed area of one plane ring: densify, inverse-project each point, sum trapezoids. */
function gkRingArea(ring: Ring, lon0: number, fe: number, fn: number, maxSegment: number): number {
  const n = openLength(ring);
  acc.begin();
  for (let i = 0; i < n; i++) {
    const p = ring[i] as Coord;
    const q = ring[i + 1 < n ? i + 1 : 0] as Coord;
    const x1 = p[0] as number;
    const y1 = p[1] as number;
    const dx = (q[0] as number) - x1;
    const dy = (q[1] as number) - y1;
    gkInverseRadInto(ll, x1, y1, lon0, fe, fn);
    acc.add(ll[0] as number, ll[1] as number);
    const k = pieceCount(dx, dy, maxSegment);
    for (let j = 1; j < k; j++) {
      const t = j / k;
      gkInverseRadInto(ll, x1 + dx * t, y1 + dy * t, lon0, fe, fn);
      acc.add(ll[0] as number, ll[1] as number);
    }
  }
  return acc.end();
}

/**
 * Official area (m², unrounded) of a polygon in Gauss–Krüger plane coordinates: outer ring then
 * holes, x = easting including the false easting, y = northing. |outer| − Σ|holes|, so ring
 * orientation does not matter.
 */
export function officialAreaGk(polygon: Polygon, zone: GaussKrugerZone, opts?: GkAreaOptions): number {
  const maxSegment = opts?.densify ?? DEFAULT_DENSIFY_METRES;
  const lon0 = zone.centralMeridian * DEG;
  const fe = zone.falseEasting;
  const fn = zone.falseNorthing ?? 0;
  let area = 0;
  for (let r = 0; r < polygon.length; r++) {
    const a = Math.abs(gkRingArea(polygon[r] as Ring, lon0, fe, fn, maxSegment));
    area += r === 0 ? a : -a;
  }
  return area;
}

/** Sum of officialAreaGk over the parts of a multipolygon. */
export function officialAreaGkMulti(multi: MultiPolygon, zone: GaussKrugerZone, opts?: GkAreaOptions): number {
  let area = 0;
  for (let i = 0; i < multi.length; i++) area += officialAreaGk(multi[i] as Polygon, zone, opts);
  return area;
}

/**
 * Signed area of one lon/lat ring densified in a GK plane: forward-project each vertex, cut each
 * plane edge into ≤ maxSegment pieces and inverse-project only the inserted points (the vertices
 * keep their own lon/lat). For a ring that came from the same plane this reproduces gkRingArea.
 */
function geographicRingArea(ring: Ring, lon0: number, fe: number, fn: number, maxSegment: number): number {
  const n = openLength(ring);
  if (n < 3) return 0;
  acc.begin();
  const p0 = ring[0] as Coord;
  const lon0v = (p0[0] as number) * DEG;
  const lat0v = (p0[1] as number) * DEG;
  gkForwardRadInto(xy, lon0v, lat0v, lon0, fe, fn);
  const x0 = xy[0] as number;
  const y0 = xy[1] as number;
  let lonP = lon0v;
  let latP = lat0v;
  let xP = x0;
  let yP = y0;
  for (let i = 0; i < n; i++) {
    let lonQ: number;
    let latQ: number;
    let xQ: number;
    let yQ: number;
    if (i + 1 < n) {
      const q = ring[i + 1] as Coord;
      lonQ = (q[0] as number) * DEG;
      latQ = (q[1] as number) * DEG;
      gkForwardRadInto(xy, lonQ, latQ, lon0, fe, fn);
      xQ = xy[0] as number;
      yQ = xy[1] as number;
    } else {
      lonQ = lon0v;
      latQ = lat0v;
      xQ = x0;
      yQ = y0;
    }
    acc.add(lonP, latP);
    const dx = xQ - xP;
    const dy = yQ - yP;
    const k = pieceCount(dx, dy, maxSegment);
    for (let j = 1; j < k; j++) {
      const t = j / k;
      gkInverseRadInto(ll, xP + dx * t, yP + dy * t, lon0, fe, fn);
      acc.add(ll[0] as number, ll[1] as number);
    }
    lonP = lonQ;
    latP = latQ;
    xP = xQ;
    yP = yQ;
  }
  return acc.end();
}

/** Longitude of the centre of the outer rings' bounding box, degrees. */
function bboxCentreLon(multi: MultiPolygon): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < multi.length; i++) {
    const outer = (multi[i] as Polygon)[0];
    if (!outer) continue;
    for (let j = 0; j < outer.length; j++) {
      const lon = (outer[j] as Coord)[0] as number;
      if (lon < min) min = lon;
      if (lon > max) max = lon;
    }
  }
  return (min + max) / 2;
}

function geographicPolygonArea(polygon: Polygon, lon0: number, maxSegment: number): number {
  // False easting/northing do not affect the result; 500 000 keeps eastings positive.
  let area = 0;
  for (let r = 0; r < polygon.length; r++) {
    const a = Math.abs(geographicRingArea(polygon[r] as Ring, lon0, 500000, 0, maxSegment));
    area += r === 0 ? a : -a;
  }
  return area;
}

/**
 * Official area (m², unrounded) of a polygon already in EPSG:4490 [lon, lat] degrees. Densified in
 * the GK plane of opts.zone, else of the 3-degree zone whose central meridian (3·round(lon/3)) is
 * nearest the centre of the outer ring's bounding box, so that plane → 4490 → here gives the
 * plane figure back.
 */
export function officialAreaGeographic(polygon: Polygon, opts?: GeographicAreaOptions): number {
  const maxSegment = opts?.densify ?? DEFAULT_DENSIFY_METRES;
  const cm = opts?.zone ? opts.zone.centralMeridian : nearestCentralMeridian3(bboxCentreLon([polygon]));
  return geographicPolygonArea(polygon, cm * DEG, maxSegment);
}

/**
 * Sum over the parts of a multipolygon in [lon, lat] degrees. One plane for all parts: the given
 * zone, else the zone nearest the centre of the bounding box of all outer rings.
 */
export function officialAreaGeographicMulti(multi: MultiPolygon, opts?: GeographicAreaOptions): number {
  const maxSegment = opts?.densify ?? DEFAULT_DENSIFY_METRES;
  const cm = opts?.zone ? opts.zone.centralMeridian : nearestCentralMeridian3(bboxCentreLon(multi));
  const lon0 = cm * DEG;
  let area = 0;
  for (let i = 0; i < multi.length; i++) area += geographicPolygonArea(multi[i] as Polygon, lon0, maxSegment);
  return area;
}

/** The area as recorded: m² to 0.01, half away from zero. */
export function roundArea(m2: number): number {
  return roundTo(m2, 2);
}
