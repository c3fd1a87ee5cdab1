/**
 * Identifies a file's CRS from GDAL's proj4 rendering of its .prj (DOMAIN.md §7). Accepted: EPSG:4490 (lon/lat) and
 * the 3-degree Gauss–Krüger systems EPSG:4513–4533 (zones 25–45, zone number prefixed to the
 * easting) and 4534–4554 (CM 75°E–135°E, false easting 500 000). Everything else is refused with a
 * stable English code and a Chinese message for the user.
 *
 * Datum policy:
 * - GRS80 and the CGCS2000 ellipsoid share a and f, so +ellps=GRS80 (what GDAL writes for ESRI's
 *   D_China_2000) or +a=6378137 +rf=298.257222101 is CGCS2000.
 * - WGS 84 (+datum=WGS84, +ellps=WGS84 or a WGS 84 datum name) is accepted and treated as CGCS2000,
 *   flagged `assumedFrom: 'wgs84'`: RFC 7946 GeoJSON is always WGS 84 lon/lat, the ellipsoids differ
 *   by 0.1 mm in b, and the frames differ by under about 1 m in China (plate motion since the
 *   CGCS2000 epoch 2000.0): a shift that changes no area.
 * - Any other named datum (NAD83, ETRS89, … even on GRS80), a non-zero +towgs84 or a grid shift
 *   is refused: in a Chinese survey file it means the .prj is wrong, and silently accepting it
 *   would hide that.
 * - Beijing 1954 (Krassowsky) and Xi'an 1980 (IAG-75, a = 6378140) get their own codes.
 * - A central meridian that is a multiple of 3 with false easting 500 000 is accepted even if the
 *   file calls itself a 6-degree zone: the projection is then identical to the 3-degree system with
 *   that CM. A 6-degree zone number prefixed to the easting is refused (crs-gk-6deg).
 */
import { ellipsoidOf, getNumber, getString, parseProj4, type Proj4Params } from './proj4-params.js';
import {
  CHINA_ZONE_MAX,
  CHINA_ZONE_MIN,
  LABEL_4490,
  LABEL_4490_FROM_WGS84,
  crsFromEpsg,
  epsgForZone,
  type CrsIdentification,
} from './crs-info.js';

const fail = (code: string, message: string): CrsIdentification => ({ ok: false, code, message });

const ACCEPTED_SCOPE = '本系统只接受 CGCS2000 经纬度 (EPSG:4490) 或 CGCS2000 3度带高斯-克吕格投影 (EPSG:4513–4554)';

const BEIJING54 = (): CrsIdentification =>
  fail(
    'crs-beijing54',
    `坐标系为北京1954坐标系（克拉索夫斯基椭球），${ACCEPTED_SCOPE}，请先转换为 CGCS2000 后再上传`,
  );
const XIAN80 = (): CrsIdentification =>
  fail(
    'crs-xian80',
    `坐标系为西安1980坐标系（1975国际椭球，长半轴6378140米），${ACCEPTED_SCOPE}，请先转换为 CGCS2000 后再上传`,
  );

type DatumClass = 'cgcs2000' | 'wgs84' | 'beijing54' | 'xian80' | 'unspecified' | 'other';

/** Classifies a WKT/ESRI datum or CRS name (D_China_2000, WGS_1984, Beijing_1954, …). */
function classifyName(name: string): DatumClass {
  const s = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (s === '') return 'unspecified';
  if (/beijing/.test(s)) return 'beijing54';
  if (/xian/.test(s)) return 'xian80';
  if (/china2000|cgcs2000|cgcs|chinageodetic/.test(s)) return 'cgcs2000';
  if (/wgs84|wgs1984|worldgeodeticsystem1984/.test(s)) return 'wgs84';
  if (/unknown|unnamed|notspecified|^dgrs1980$|^grs1980$|^grs80$|^dgrs80$/.test(s)) return 'unspecified';
  return 'other';
}

const near = (x: number, y: number, tol: number): boolean => Math.abs(x - y) <= tol;

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}

function projectionName(proj: string): string {
  switch (proj) {
    case 'utm':
      return 'UTM投影';
    case 'merc':
    case 'webmerc':
      return '墨卡托投影';
    case 'lcc':
      return '兰勃特等角圆锥投影';
    case 'aea':
      return '阿尔伯斯等积圆锥投影';
    case 'geocent':
    case 'cart':
      return '地心直角坐标';
    default:
      return `${proj}投影`;
  }
}

/** Ellipsoid and datum checks common to lon/lat and GK: an error, or whether it is WGS 84. */
function checkDatum(
  p: Proj4Params,
  hints: { datumName?: string; projcsName?: string } | undefined,
): { error: CrsIdentification } | { wgs84: boolean } {
  const ell = ellipsoidOf(p);
  if (!ell) return { error: fail('crs-ellipsoid-unknown', '坐标系定义中没有椭球参数，无法确认是 CGCS2000') };
  if (near(ell.a, 6378245, 0.5) || ell.name === 'krass') return { error: BEIJING54() };
  if (near(ell.a, 6378140, 0.5) || ell.name === 'iau76') return { error: XIAN80() };
  if (!near(ell.a, 6378137, 0.001) || !near(ell.rf, 298.2572229, 2e-6)) {
    const what = ell.rf === Infinity ? `球体（半径${fmt(ell.a)}米）` : `长半轴${fmt(ell.a)}米、扁率倒数${fmt(ell.rf)}`;
    return {
      error: fail(
        'crs-ellipsoid-not-cgcs2000',
        Number.isFinite(ell.a)
          ? `椭球为${what}，不是 CGCS2000 椭球（长半轴6378137米、扁率倒数298.257222101）`
          : `椭球“${ell.name ?? ''}”不是 CGCS2000 椭球`,
      ),
    };
  }
  let wgs84 = ell.name === 'wgs84';

  const datum = getString(p, 'datum');
  if (datum !== undefined && datum.toLowerCase() !== 'wgs84') {
    return {
      error: fail('crs-datum-not-cgcs2000', `大地基准为 ${datum}，不是 CGCS2000。${ACCEPTED_SCOPE}`),
    };
  }
  const towgs84 = getString(p, 'towgs84');
  if (towgs84 !== undefined && towgs84.split(',').some((v) => Number(v) !== 0)) {
    return {
      error: fail(
        'crs-datum-not-cgcs2000',
        `坐标系带有基准转换参数（+towgs84=${towgs84}），说明不是 CGCS2000 基准。${ACCEPTED_SCOPE}`,
      ),
    };
  }
  const nadgrids = getString(p, 'nadgrids');
  if (nadgrids !== undefined && nadgrids !== '@null') {
    return {
      error: fail('crs-datum-not-cgcs2000', `坐标系带有格网基准转换（+nadgrids=${nadgrids}），不是 CGCS2000 基准`),
    };
  }
  const pm = getString(p, 'pm');
  if (pm !== undefined && pm.toLowerCase() !== 'greenwich' && Number(pm) !== 0) {
    return { error: fail('crs-unsupported', `本初子午线为 ${pm}，不是格林尼治。${ACCEPTED_SCOPE}`) };
  }

  if (hints?.datumName !== undefined) {
    const c = classifyName(hints.datumName);
    if (c === 'beijing54') return { error: BEIJING54() };
    if (c === 'xian80') return { error: XIAN80() };
    if (c === 'wgs84') wgs84 = true;
    if (c === 'other') {
      return {
        error: fail('crs-datum-not-cgcs2000', `大地基准为“${hints.datumName}”，不是 CGCS2000。${ACCEPTED_SCOPE}`),
      };
    }
  }
  return { wgs84 };
}

/** Zone/CM named in an ESRI or EPSG projected CRS name, to check against the parameters. */
function centralMeridianFromName(name: string): number | undefined {
  const cm = /\bCM[\s_]*(\d+(?:\.\d+)?)\s*E\b/i.exec(name) ?? /_CM_(\d+(?:\.\d+)?)E/i.exec(name);
  if (cm?.[1]) return Number(cm[1]);
  const zone = /zone[\s_]*(\d+)/i.exec(name);
  if (zone?.[1]) {
    const z = Number(zone[1]);
    if (/\b6[\s_-]*degree/i.test(name) || /_6_degree/i.test(name)) return 6 * z - 3;
    if (/degree/i.test(name) || /GK|Gauss/i.test(name)) return 3 * z;
  }
  return undefined;
}

/**
 * Identifies the CRS from GDAL's OSR toProj4() output for the file's .prj. `hints` are the datum
 * and projected CRS names from the same .prj (OSR GetAttrValue('DATUM') / ('PROJCS')), used to
 * catch Beijing 1954 / Xi'an 1980 / foreign datums and names that contradict the parameters.
 */
export function identifyCrsFromProj4(
  proj4: string,
  hints?: { datumName?: string; projcsName?: string },
): CrsIdentification {
  if (proj4.trim() === '') return fail('crs-missing', '缺少坐标系定义（.prj 文件为空或无法读取），无法确定坐标系');
  const p = parseProj4(proj4);
  const proj = getString(p, 'proj')?.toLowerCase();
  if (!proj) return fail('crs-unparseable', `无法识别的坐标系定义：${proj4.trim()}`);

  if (hints?.projcsName !== undefined) {
    const c = classifyName(hints.projcsName);
    if (c === 'beijing54') return BEIJING54();
    if (c === 'xian80') return XIAN80();
  }

  const geographic = proj === 'longlat' || proj === 'latlong' || proj === 'lonlat' || proj === 'latlon';
  const tmerc = proj === 'tmerc' || proj === 'etmerc';
  const k = getNumber(p, 'k') ?? getNumber(p, 'k_0') ?? 1;

  if (proj === 'utm' || (tmerc && near(k, 0.9996, 1e-9))) {
    return fail(
      'crs-unsupported',
      `坐标系为UTM投影（比例因子0.9996），不是高斯-克吕格投影。${ACCEPTED_SCOPE}`,
    );
  }
  if (proj === 'merc' || proj === 'webmerc') {
    const a = getNumber(p, 'a');
    const b = getNumber(p, 'b');
    const web = proj === 'webmerc' || getString(p, 'nadgrids') === '@null' || (a === 6378137 && b === 6378137);
    return fail(
      'crs-unsupported',
      `坐标系为${web ? 'Web墨卡托投影（网络地图投影）' : '墨卡托投影'}，面积变形大，不能用于计算图斑面积。${ACCEPTED_SCOPE}`,
    );
  }
  if (!geographic && !tmerc) {
    return fail('crs-unsupported', `坐标系为${projectionName(proj)}，不是高斯-克吕格投影。${ACCEPTED_SCOPE}`);
  }

  const datum = checkDatum(p, hints);
  if ('error' in datum) return datum.error;
  const assumed = datum.wgs84 ? ({ assumedFrom: 'wgs84' } as const) : {};

  if (geographic) {
    return {
      ok: true,
      crs: { epsg: 4490, kind: 'geographic', label: datum.wgs84 ? LABEL_4490_FROM_WGS84 : LABEL_4490, ...assumed },
    };
  }

  // Gauss–Krüger parameters (PROJ defaults: k = 1, lat_0 = lon_0 = x_0 = y_0 = 0, metres).
  const lat0 = getNumber(p, 'lat_0') ?? 0;
  const cm = getNumber(p, 'lon_0') ?? 0;
  const x0 = getNumber(p, 'x_0') ?? 0;
  const y0 = getNumber(p, 'y_0') ?? 0;
  if (![k, lat0, cm, x0, y0].every(Number.isFinite)) {
    return fail('crs-unparseable', `无法识别的坐标系定义：${proj4.trim()}`);
  }
  const units = getString(p, 'units');
  const toMeter = getNumber(p, 'to_meter');
  if ((units !== undefined && units !== 'm') || (toMeter !== undefined && toMeter !== 1)) {
    return fail(
      'crs-units-not-metre',
      `投影坐标单位不是米（${units !== undefined ? `单位 ${units}` : `每单位 ${fmt(toMeter ?? Number.NaN)} 米`}），CGCS2000 高斯-克吕格坐标应以米为单位`,
    );
  }
  if (!near(k, 1, 1e-12)) {
    return fail('crs-scale-not-one', `比例因子为 ${fmt(k)}，CGCS2000 高斯-克吕格投影的比例因子应为 1`);
  }
  if (!near(lat0, 0, 1e-12)) {
    return fail('crs-lat0-not-zero', `起始纬度为 ${fmt(lat0)}°，CGCS2000 高斯-克吕格投影的起始纬度应为 0°`);
  }
  if (!near(y0, 0, 1e-6)) {
    return fail(
      'crs-false-northing-not-zero',
      `北向偏移（False Northing）为 ${fmt(y0)} 米，CGCS2000 高斯-克吕格投影应为 0`,
    );
  }
  // +axis=neu only restates EPSG's northing-first order (file coordinates stay x = east); a west-
  // or south-pointing axis is a different system.
  const axis = getString(p, 'axis');
  if (p.values.has('south') || (axis !== undefined && /[ws]/i.test(axis))) {
    return fail('crs-unsupported', `坐标轴方向不是东、北向。${ACCEPTED_SCOPE}`);
  }
  const zone = Math.round(cm / 3);
  if (!near(cm, 3 * zone, 1e-9)) {
    return fail(
      'crs-not-gauss-kruger-3deg',
      `中央经线为 ${fmt(cm)}°，不是3度带的中央经线（3的倍数，如114°、117°），可能是地方独立坐标系。${ACCEPTED_SCOPE}`,
    );
  }

  let prefixed: boolean;
  if (near(x0, 500000, 1e-6)) {
    prefixed = false;
  } else if (near(x0, zone * 1e6 + 500000, 1e-6)) {
    prefixed = true;
  } else {
    const z6 = (cm + 3) / 6;
    if (Number.isInteger(z6) && near(x0, z6 * 1e6 + 500000, 1e-6)) {
      return fail(
        'crs-gk-6deg',
        `坐标系为6度带高斯-克吕格投影（第${z6}带，中央经线${fmt(cm)}°，东坐标含6度带带号），本系统只接受3度带，请转换为 CGCS2000 3度带后再上传`,
      );
    }
    return fail(
      'crs-false-easting-mismatch',
      `东向偏移（False Easting）${fmt(x0)} 米与中央经线 ${fmt(cm)}° 不符：${fmt(cm)}° 为3度带第${zone}带，` +
        `东向偏移应为 ${zone * 1e6 + 500000}（东坐标含带号）或 500000（不含带号）`,
    );
  }

  if (zone < CHINA_ZONE_MIN || zone > CHINA_ZONE_MAX) {
    return fail(
      'crs-zone-outside-china',
      `中央经线 ${fmt(cm)}°（3度带第${zone}带）不在中国范围内（第25–45带，中央经线75°E–135°E）`,
    );
  }

  if (hints?.projcsName !== undefined) {
    const named = centralMeridianFromName(hints.projcsName);
    if (named !== undefined && !near(named, cm, 1e-9)) {
      return fail(
        'crs-name-mismatch',
        `坐标系名称“${hints.projcsName}”对应中央经线 ${fmt(named)}°，但参数中的中央经线为 ${fmt(cm)}°，.prj 文件自相矛盾，请核实`,
      );
    }
  }

  const info = crsFromEpsg(epsgForZone(zone, prefixed));
  if (!info || info.kind !== 'gauss-kruger') throw new Error('unreachable: EPSG table out of step');
  return {
    ok: true,
    crs: datum.wgs84 ? { ...info, label: `${info.label}；原文件标注为 WGS 84 基准，按 CGCS2000 处理`, ...assumed } : info,
  };
}
