/**
 * Zone inference for a file without .prj: only when the eastings carry a 3-degree zone prefix
 * (zone·1e6 + 500 000 ± offset) and every coordinate is plausible for China in that zone.
 */
import { geographicToGk, gkToGeographic } from '../area/gauss-kruger.js';
import { CHINA_ZONE_MAX, CHINA_ZONE_MIN, crsFromEpsg, epsgForZone, type CrsIdentification } from './crs-info.js';

/** Northings of China's extent, 3°N–54°N (meridian arc ≈ 331.9 km and 5 985 km, plus margin). */
export const CHINA_MIN_NORTHING = 330_000;
export const CHINA_MAX_NORTHING = 6_000_000;

/**
 * Largest accepted |easting − false easting|: 3° of longitude at the extent's southern edge, twice
 * the nominal 1.5° half-width, because county data often runs past the zone edge (a county that
 * straddles two zones is kept in one). About 333 km at 3°N, 295 km at 28°N, 196 km at 54°N.
 */
const MAX_OFFSET_DEGREES = 3;

const fail = (code: string, message: string): CrsIdentification => ({ ok: false, code, message });

const NEED_PRJ = '请提供 .prj 文件';

export function inferZoneFromPrefixedEastings(extent: {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}): CrsIdentification {
  const { minX, maxX, minY, maxY } = extent;
  if (![minX, maxX, minY, maxY].every(Number.isFinite) || minX > maxX || minY > maxY) {
    return fail('crs-extent-invalid', `数据范围无效，无法推断坐标系，${NEED_PRJ}`);
  }
  if (minX >= -180 && maxX <= 180 && minY >= -90 && maxY <= 90) {
    return fail('crs-lonlat-without-prj', '坐标看起来是经纬度，但缺少.prj文件，无法确定坐标系');
  }
  const zoneOf = (v: number): number => Math.floor(v / 1e6);
  const inChinaZone = (z: number): boolean => z >= CHINA_ZONE_MIN && z <= CHINA_ZONE_MAX;

  // X and Y swapped (northing first, as EPSG axis order has it).
  if (
    zoneOf(minY) === zoneOf(maxY) &&
    inChinaZone(zoneOf(minY)) &&
    minX >= CHINA_MIN_NORTHING &&
    maxX <= CHINA_MAX_NORTHING
  ) {
    return fail('crs-axes-swapped', `X、Y坐标似乎颠倒（X像北坐标，Y像带号东坐标），无法推断坐标系，${NEED_PRJ}`);
  }
  if (minX >= 0 && maxX < 1e6) {
    return fail('crs-easting-without-zone', '东坐标不含带号，无法推断投影带，请提供.prj文件');
  }
  if (minX < 0 || maxX >= 100e6) {
    return fail('crs-coordinates-implausible', `东坐标超出高斯-克吕格坐标的取值范围，无法推断坐标系，${NEED_PRJ}`);
  }
  const zone = zoneOf(minX);
  if (zoneOf(maxX) !== zone) {
    return fail('crs-multiple-zones', `范围跨越多个投影带（第${zone}带至第${zoneOf(maxX)}带），无法推断坐标系，${NEED_PRJ}`);
  }
  if (!inChinaZone(zone)) {
    const sixDegree = zone >= 13 && zone <= 23 ? '（若为6度带第13–23带坐标，请先转换为 CGCS2000 3度带）' : '';
    return fail(
      'crs-zone-outside-china',
      `东坐标带号为${zone}，不在中国范围的3度带（第25–45带）内，无法推断坐标系${sixDegree}`,
    );
  }
  if (minY < CHINA_MIN_NORTHING || maxY > CHINA_MAX_NORTHING) {
    return fail(
      'crs-northing-outside-china',
      `北坐标（${Math.round(minY)}–${Math.round(maxY)} 米）超出中国范围（约330千米–6000千米，北纬3°–54°），` +
        `可能不是 CGCS2000 高斯-克吕格坐标，${NEED_PRJ}`,
    );
  }
  const crs = crsFromEpsg(epsgForZone(zone, true));
  if (!crs || crs.kind !== 'gauss-kruger') throw new Error('unreachable: EPSG table out of step');
  const zoneDef = { centralMeridian: crs.centralMeridian, falseEasting: crs.falseEasting };
  const [, southLat] = gkToGeographic(crs.falseEasting, minY, zoneDef);
  const [edgeEasting] = geographicToGk(crs.centralMeridian + MAX_OFFSET_DEGREES, southLat, zoneDef);
  const maxOffset = edgeEasting - crs.falseEasting;
  const offset = Math.max(Math.abs(minX - crs.falseEasting), Math.abs(maxX - crs.falseEasting));
  if (offset > maxOffset) {
    return fail(
      'crs-easting-outside-zone',
      `东坐标距第${zone}带中央经线最远 ${Math.round(offset / 1000)} 千米，超出该带范围（约 ${Math.round(maxOffset / 1000)} 千米），` +
        `可能不是该带坐标，${NEED_PRJ}`,
    );
  }
  return { ok: true, crs };
}
