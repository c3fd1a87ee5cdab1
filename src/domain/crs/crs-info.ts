/** CGCS2000 coordinate systems the service accepts, by EPSG code. */

export type CrsInfo =
  | {
      epsg: 4490;
      kind: 'geographic';
      label: string;
      /** Set when the file said WGS 84 and is treated as CGCS2000 (see module comment). */
      assumedFrom?: 'wgs84';
    }
  | {
      epsg: number;
      kind: 'gauss-kruger';
      /** 3-degree zone number 25..45 */
      zone: number;
      centralMeridian: number;
      zonePrefixed: boolean;
      falseEasting: number;
      label: string;
      assumedFrom?: 'wgs84';
    };

export type CrsIdentification =
  | { ok: true; crs: CrsInfo }
  | { ok: false; code: string; message: string };

export const EPSG_CGCS2000_GEOGRAPHIC = 4490;
const EPSG_PREFIXED_FIRST = 4513; // zone 25
const EPSG_PLAIN_FIRST = 4534; // CM 75°E
export const CHINA_ZONE_MIN = 25;
export const CHINA_ZONE_MAX = 45;

export const LABEL_4490 = 'CGCS2000 经纬度 (EPSG:4490)';
export const LABEL_4490_FROM_WGS84 =
  'WGS 84 经纬度，按 CGCS2000 经纬度 (EPSG:4490) 处理：两者椭球相同，坐标相差约1米以内，不影响面积';

function gkLabel(zone: number, prefixed: boolean, epsg: number): string {
  return prefixed
    ? `CGCS2000 3度带高斯-克吕格 第${zone}带（中央经线${3 * zone}°E，东坐标含带号）(EPSG:${epsg})`
    : `CGCS2000 3度带高斯-克吕格 中央经线${3 * zone}°E（东坐标不含带号）(EPSG:${epsg})`;
}

/** EPSG code of a CGCS2000 3-degree GK system: zone 39 → 4527 (prefixed) or 4548. */
export function epsgForZone(zone: number, prefixed: boolean): number {
  if (!Number.isInteger(zone) || zone < CHINA_ZONE_MIN || zone > CHINA_ZONE_MAX) {
    throw new RangeError(`no CGCS2000 3-degree GK EPSG code for zone ${zone} (25..45)`);
  }
  return (prefixed ? EPSG_PREFIXED_FIRST : EPSG_PLAIN_FIRST) + zone - CHINA_ZONE_MIN;
}

export function crsFromEpsg(epsg: number): CrsInfo | undefined {
  if (epsg === EPSG_CGCS2000_GEOGRAPHIC) return { epsg: 4490, kind: 'geographic', label: LABEL_4490 };
  if (!Number.isInteger(epsg)) return undefined;
  let prefixed: boolean;
  let zone: number;
  if (epsg >= EPSG_PREFIXED_FIRST && epsg < EPSG_PLAIN_FIRST) {
    prefixed = true;
    zone = CHINA_ZONE_MIN + epsg - EPSG_PREFIXED_FIRST;
  } else if (epsg >= EPSG_PLAIN_FIRST && epsg <= EPSG_PLAIN_FIRST + CHINA_ZONE_MAX - CHINA_ZONE_MIN) {
    prefixed = false;
    zone = CHINA_ZONE_MIN + epsg - EPSG_PLAIN_FIRST;
  } else {
    return undefined;
  }
  return {
    epsg,
    kind: 'gauss-kruger',
    zone,
    centralMeridian: 3 * zone,
    zonePrefixed: prefixed,
    falseEasting: prefixed ? zone * 1e6 + 500000 : 500000,
    label: gkLabel(zone, prefixed, epsg),
  };
}

