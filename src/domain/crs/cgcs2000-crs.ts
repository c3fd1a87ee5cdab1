/**
 * Which CGCS2000 coordinate system a file is in (DOMAIN.md §7): the EPSG table, identification from
 * a .prj (via GDAL's proj4 string) and zone inference from prefixed eastings for files without one.
 */
export {
  crsFromEpsg,
  epsgForZone,
  type CrsIdentification,
  type CrsInfo,
} from './crs-info.js';
export { identifyCrsFromProj4 } from './identify-proj4.js';
export { inferZoneFromPrefixedEastings } from './infer-zone.js';
