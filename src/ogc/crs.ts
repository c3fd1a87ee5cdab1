/**
 * Coordinate reference systems of the OGC API (Features Part 2, CRS by reference) and their axis
 * order. PostGIS keeps x = longitude / easting; EPSG defines CGCS2000 geographic (4490) as
 * latitude, longitude and the Gauss–Krüger zones (4513–4554) as northing (X), easting (Y), so those
 * answers and bboxes are flipped. CRS84 is longitude, latitude. Pure: no SQL.
 */
export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const epsgUri = (code: number): string => `http://www.opengis.net/def/crs/EPSG/0/${code}`;
export const CGCS2000_GEOGRAPHIC = 4490;

export interface OutputCrs {
  uri: string;
  /** SRID of the coordinates (4490 for CRS84: CGCS2000 and WGS 84 agree at the cm level and PROJ applies no shift). */
  srid: number;
  /** First axis is latitude / northing. */
  flip: boolean;
  /** Decimals written: 1e-9° ≈ 0.1 mm, 1e-4 m = 0.1 mm. */
  digits: number;
}

/** The CRS a county's collections offer: CRS84, CGCS2000 and the survey's Gauss–Krüger zone with and without the zone prefix. */
export function supportedCrs(zonePrefixed: number): string[] {
  return [CRS84, epsgUri(CGCS2000_GEOGRAPHIC), epsgUri(zonePrefixed), epsgUri(zonePrefixed + 21)];
}

/** The CRS a `crs` / `bbox-crs` value names, if the collection offers it (undefined: 400 crs-unsupported). */
export function parseCrs(value: string, zonePrefixed: number): OutputCrs | undefined {
  const v = value.trim();
  if (v === CRS84 || v === 'OGC:CRS84' || v === '[OGC:CRS84]') return { uri: CRS84, srid: CGCS2000_GEOGRAPHIC, flip: false, digits: 9 };
  const m = /^(?:https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/|\[?EPSG:)(\d{4,5})\]?$/.exec(v);
  if (!m) return undefined;
  const code = Number(m[1]);
  if (code === CGCS2000_GEOGRAPHIC) return { uri: epsgUri(code), srid: code, flip: true, digits: 9 };
  if (code === zonePrefixed || code === zonePrefixed + 21) return { uri: epsgUri(code), srid: code, flip: true, digits: 4 };
  return undefined;
}

export type Bbox = [number, number, number, number];

/**
 * A `bbox` in the axis order of its CRS, as PostGIS wants it (x = longitude / easting first), or
 * the reason it is refused. 4 numbers, or 6 with heights (ignored: every layer is 2D).
 */
export function parseBbox(text: string, crs: OutputCrs): { bbox: Bbox } | { error: string } {
  const parts = text.split(',');
  if (parts.length !== 4 && parts.length !== 6) return { error: 'bbox应为4个（或含高程的6个）以逗号分隔的数' };
  if (!parts.every((s) => /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(s))) return { error: 'bbox中含有非数字的值' };
  const n = parts.map(Number);
  const [a0, a1, b0, b1] = parts.length === 4 ? [n[0]!, n[1]!, n[2]!, n[3]!] : [n[0]!, n[1]!, n[3]!, n[4]!];
  if (![a0, a1, b0, b1].every(Number.isFinite)) return { error: 'bbox中的数超出范围' };
  const [minX, minY, maxX, maxY] = crs.flip ? [a1, a0, b1, b0] : [a0, a1, b0, b1];
  if (minX > maxX || minY > maxY) return { error: '下界大于上界（bbox的顺序为：左下角坐标，右上角坐标，按坐标系的轴顺序）' };
  if (crs.srid === CGCS2000_GEOGRAPHIC && (minX < -180 || maxX > 180 || minY < -90 || maxY > 90)) return { error: '经度应在−180…180之间，纬度应在−90…90之间' };
  return { bbox: [minX, minY, maxX, maxY] };
}

