import type { Geometry, MultiPolygon as GjMultiPolygon, Position } from 'geojson';
import { officialAreaGkMulti } from './ellipsoidal-area.js';
import { gkToGeographic, type GaussKrugerZone } from './gauss-kruger.js';
import { crsFromEpsg } from '../crs/cgcs2000-crs.js';

/** The Gauss–Krüger zone of an EPSG code (4513–4554). */
export function zoneOfEpsg(epsg: number): GaussKrugerZone {
  const info = crsFromEpsg(epsg);
  if (!info || info.kind !== 'gauss-kruger') throw new Error(`EPSG:${epsg} is not a CGCS2000 Gauss–Krüger zone`);
  return { centralMeridian: info.centralMeridian, falseEasting: info.falseEasting };
}

/** Polygons of a Polygon/MultiPolygon GeoJSON geometry (others: none). */
export function polygonsOf(g: Geometry | null | undefined): Position[][][] {
  if (!g) return [];
  if (g.type === 'Polygon') return [g.coordinates];
  if (g.type === 'MultiPolygon') return g.coordinates;
  if (g.type === 'GeometryCollection') return g.geometries.flatMap(polygonsOf);
  return [];
}

/** Area of record (m², unrounded) of a plane GeoJSON geometry in the given zone. */
export function officialAreaOfPlane(geojson: string | null | undefined, zone: GaussKrugerZone): number {
  if (!geojson) return 0;
  const polys = polygonsOf(JSON.parse(geojson) as Geometry);
  return polys.length ? officialAreaGkMulti(polys, zone) : 0;
}

/** Degrees to 9 decimals (0.1 mm): report geometry, not arithmetic; halves the stored JSON. */
const deg9 = (v: number) => Math.round(v * 1e9) / 1e9;

/** A plane GeoJSON geometry back in EPSG:4490 lon/lat, for reports (exact inverse, no PROJ). */
export function planeToLonLat(geojson: string, zone: GaussKrugerZone): GjMultiPolygon {
  const polys = polygonsOf(JSON.parse(geojson) as Geometry);
  return {
    type: 'MultiPolygon',
    coordinates: polys.map((poly) =>
      poly.map((ring) =>
        ring.map(([x, y]) => {
          const [lon, lat] = gkToGeographic(x!, y!, zone);
          return [deg9(lon), deg9(lat)];
        }),
      ),
    ),
  };
}

/** A plane point in EPSG:4490. */
export function planePointToLonLat(p: ArrayLike<number>, zone: GaussKrugerZone): Geometry {
  return { type: 'Point', coordinates: gkToGeographic(p[0]!, p[1]!, zone) };
}

