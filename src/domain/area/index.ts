/** The area of record (椭球面积) on CGCS2000: Gauss–Krüger projection and the official trapezoid sum. */
export * from './cgcs2000.js';
export {
  geographicToGk,
  gkToGeographic,
  nearestCentralMeridian3,
  zoneFromNumber,
  type GaussKrugerZone,
} from './gauss-kruger.js';
export {
  densifyPlaneRing,
  DEFAULT_DENSIFY_METRES,
  ellipsoidalRingArea,
  officialAreaGeographic,
  officialAreaGeographicMulti,
  officialAreaGk,
  officialAreaGkMulti,
  roundArea,
  type Coord,
  type GeographicAreaOptions,
  type GkAreaOptions,
  type MultiPolygon,
  type Polygon,
  type Ring,
} from './ellipsoidal-area.js';
