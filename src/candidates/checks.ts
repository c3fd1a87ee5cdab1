import type { Feature, FeatureCollection, Geometry } from 'geojson';
import type pg from 'pg';
import { officialAreaGkMulti, roundArea } from '../domain/area/ellipsoidal-area.js';
import { isForestLand, isForestXiaoban, landClass, MINING_LAND } from '../domain/land-classes.js';
import { areaFigures } from '../domain/units.js';
import { boundaryTolerance, thresholdsOf, type CheckParameters } from '../domain/checks/parameters.js';
import { inForce as parameterSetInForce } from '../check-parameters/repository.js';
import {
  CHECK_LABELS,
  changeStatus,
  declaredAreaStatus,
  notForestStatus,
  ownershipStatus,
  sourceStatus,
  type CheckCode,
  type CheckStatus,
} from '../domain/checks/status.js';
import { sourceAcrossSurveys } from '../domain/checks/source.js';
import { duplicateVertices, ringPerimeter, spikeVertices, thinness, type XY } from '../domain/geometry/vertex-checks.js';
import { withTransaction } from '../db/pool.js';
import type { Config } from '../config.js';
import { CHINA_LON_LAT as CHINA, latLonLooksSwapped, latLonSwappedMessage } from '../domain/geometry/bounds.js';
import { countCrossings, type SelfIntersectionAnswer } from '../workers/geometry.js';
import { badInput } from '../http/problem.js';
import * as sql from './checks-repository.js';
import { officialAreaOfPlane, planePointToLonLat, planeToLonLat, polygonsOf, zoneOfEpsg } from '../domain/area/plane-geometry.js';
import { getUpload, type UploadRow } from './repository.js';

export interface CheckResult {
  parcelId: string;
  code: CheckCode;
  status: CheckStatus;
  message: string;
  figures: Record<string, unknown>;
  problems: FeatureCollection | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1e6) / 1e6 : 0);
const fmtMu = (m2: number) => `${areaFigures(m2).mu}亩（${areaFigures(m2).m2}平方米）`;


function problemFeature(check: CheckCode, geometry: Geometry, props: Record<string, unknown>): Feature {
  return { type: 'Feature', geometry, properties: { check, checkLabel: CHECK_LABELS[check], ...props } };
}
const collection = (features: Feature[]): FeatureCollection | null => (features.length ? { type: 'FeatureCollection', features } : null);

interface ParcelContext {
  id: string;
  parcelNo: string;
  zoneSrid: number;
  areaM2: number; // area of record, unrounded
  declaredM2: number | null;
  township: string | null;
}

/**
 * Gives each piece its geometry and area of record, once: a whole-parcel piece is the parcel
 * (its outline and area), a cut piece is measured. Pieces shared by several groupings (the latest
 * year serves four checks) are measured only the first time.
 */
function measurePieces(rows: sql.PieceRow[], parcels: Map<string, { plane: string; zoneSrid: number; areaM2: number }>): sql.PieceRow[] {
  for (const r of rows) {
    if (r.area !== undefined) continue;
    const parcel = r.whole ? parcels.get(r.parcel_id) : undefined;
    if (parcel) {
      r.piece = parcel.plane;
      r.zone_srid = parcel.zoneSrid;
      r.area = parcel.areaM2;
    } else {
      r.area = officialAreaOfPlane(r.piece, zoneOfEpsg(r.zone_srid));
    }
  }
  return rows;
}

/** Sums the area of record of pieces by a key; keeps the pieces of each group for reporting. */
function groupPieces(rows: sql.PieceRow[], key: (r: sql.PieceRow) => string) {
  const byParcel = new Map<string, Map<string, { area: number; rows: sql.PieceRow[] }>>();
  for (const r of rows) {
    const area = r.area ?? officialAreaOfPlane(r.piece, zoneOfEpsg(r.zone_srid));
    if (area <= 0) continue;
    const groups = byParcel.get(r.parcel_id) ?? new Map<string, { area: number; rows: sql.PieceRow[] }>();
    byParcel.set(r.parcel_id, groups);
    const k = key(r);
    const g = groups.get(k) ?? { area: 0, rows: [] };
    g.area += area;
    g.rows.push(r);
    groups.set(k, g);
  }
  return byParcel;
}

function piecesAsFeatures(check: CheckCode, rows: sql.PieceRow[], props: Record<string, unknown>): Feature[] {
  return rows.filter((r) => r.piece).map((r) => problemFeature(check, planeToLonLat(r.piece!, zoneOfEpsg(r.zone_srid)), props));
}

// ---------------------------------------------------------------- a. geometry, b. area

function geometryCheck(g: sql.ParcelGeometryRow, p: CheckParameters, warnings: UploadRow['warnings'], crossings: SelfIntersectionAnswer | undefined): CheckResult {
  const base = { parcelId: g.id, code: 'geometry' as const };
  const problems: Feature[] = [];
  const findings: string[] = [];
  let status: CheckStatus = 'pass';
  const fail = (msg: string) => {
    status = 'fail';
    findings.push(msg);
  };
  const warn = (msg: string) => {
    if (status === 'pass') status = 'warn';
    findings.push(msg);
  };
  if (g.empty) return { ...base, status: 'fail', message: '几何为空', figures: { empty: true }, problems: null };
  if (g.srid !== 4490) {
    const [x0, y0, x1, y1] = g.bbox ?? [0, 0, 0, 0];
    const swapped = y0 >= CHINA.minX && y1 <= CHINA.maxX && x0 >= CHINA.minY && x1 <= CHINA.maxY;
    return {
      ...base,
      status: 'fail',
      message: swapped
        ? `坐标超出声明坐标系的有效范围（${x0.toFixed(3)}, ${y0.toFixed(3)}），经纬度可能颠倒（纬度在前）`
        : `坐标（${x0.toFixed(3)}, ${y0.toFixed(3)}）—（${x1.toFixed(3)}, ${y1.toFixed(3)}）超出声明坐标系的有效范围或不在中国境内`,
      figures: { bbox: g.bbox, latLonSwapped: swapped },
      problems: null,
    };
  }
  if (g.geometry_type !== 'POLYGON' && g.geometry_type !== 'MULTIPOLYGON') {
    return { ...base, status: 'fail', message: `几何类型为${g.geometry_type}，地块必须是面`, figures: { geometryType: g.geometry_type }, problems: null };
  }
  const [x0, y0, x1, y1] = g.bbox!;
  let latLonSwapped = false;
  if (x0 < CHINA.minX || x1 > CHINA.maxX || y0 < CHINA.minY || y1 > CHINA.maxY) {
    // Latitude first (a common export mistake) puts the parcel outside China; read the other way round it is inside.
    latLonSwapped = latLonLooksSwapped([x0, y0, x1, y1]);
    fail(latLonSwapped ? latLonSwappedMessage(x0, y0) : '坐标不在中国境内');
  }
  const zone = g.zone_srid ? zoneOfEpsg(g.zone_srid) : undefined;
  if (zone && (Math.abs(x0 - zone.centralMeridian) > 3 || Math.abs(x1 - zone.centralMeridian) > 3)) {
    fail(`坐标超出投影带（中央经线${zone.centralMeridian}°E）的使用范围`);
  } else if (zone && (Math.abs(x0 - zone.centralMeridian) > 1.6 || Math.abs(x1 - zone.centralMeridian) > 1.6)) {
    warn(`地块位于投影带（中央经线${zone.centralMeridian}°E）边缘之外`);
  }
  if (g.valid === false) {
    fail(`几何无效（OGC）：${g.invalid_reason}`);
    if (g.invalid_location) problems.push(problemFeature('geometry', JSON.parse(g.invalid_location) as Geometry, { problem: 'invalid', reason: g.invalid_reason }));
  }
  // Self-intersections with their locations, searched on a worker thread (see runChecks).
  if (crossings && crossings.count > 0) {
    fail(crossings.complete ? `自相交${crossings.count}处` : `自相交至少${crossings.count}处`);
    for (const pt of crossings.points) problems.push(problemFeature('geometry', { type: 'Point', coordinates: pt }, { problem: 'self-intersection' }));
  }
  const parts: { part: number; areaM2: number; thinness: number }[] = [];
  if (g.plane && zone) {
    // Vertex defects are looked for as drawn; part shapes on the valid geometry the checks use.
    polygonsOf(JSON.parse(g.plane) as Geometry).forEach((poly, i) => {
      for (const ring of poly) {
        const dups = duplicateVertices(ring as XY[], p.duplicateVertexM);
        const spikes = spikeVertices(ring as XY[], p.spikeAngleDeg);
        if (dups.length) {
          warn(`第${i + 1}部分有${dups.length}个重复节点（间距<${p.duplicateVertexM * 1000}毫米）`);
          for (const d of dups) problems.push(problemFeature('geometry', planePointToLonLat(d, zone), { problem: 'duplicate-vertex', part: i + 1 }));
        }
        if (spikes.length) {
          fail(`第${i + 1}部分有${spikes.length}处尖刺（夹角<${p.spikeAngleDeg}°）`);
          for (const s of spikes) problems.push(problemFeature('geometry', planePointToLonLat(s, zone), { problem: 'spike', part: i + 1 }));
        }
      }
    });
  }
  if (g.valid_plane && zone) {
    polygonsOf(JSON.parse(g.valid_plane) as Geometry).forEach((poly, i) => {
      const area = officialAreaGkMulti([poly], zone);
      const t = thinness(area, ringPerimeter(poly[0] as XY[]));
      parts.push({ part: i + 1, areaM2: roundArea(area), thinness: Math.round(t * 1e4) / 1e4 });
      if (area < p.sliverMinAreaM2 || t < p.sliverThinness) fail(`第${i + 1}部分为碎片或狭长多边形（面积${roundArea(area)}平方米，形状指数${t.toFixed(3)}）`);
    });
  }
  for (const w of warnings.filter((x) => x.code === 'z-m-dropped')) warn(w.message);
  return {
    ...base,
    status,
    message: findings.length ? findings.join('；') : `几何有效，共${parts.length}个部分`,
    figures: { parts, partCount: parts.length, valid: g.valid, invalidReason: g.invalid_reason, ...(latLonSwapped ? { latLonSwapped } : {}) },
    problems: collection(problems),
  };
}

function areaCheck(c: ParcelContext, geodesicM2: number | null, p: CheckParameters): CheckResult {
  const record = areaFigures(c.areaM2);
  const status = declaredAreaStatus(record.m2, c.declaredM2, p);
  const diff = c.declaredM2 === null ? null : round2(c.declaredM2 - record.m2);
  return {
    parcelId: c.id,
    code: 'area',
    status,
    message:
      status === 'warn'
        ? `申报面积${c.declaredM2}平方米与椭球面积${record.m2}平方米相差${diff}平方米，超过${p.declaredAreaTolerance * 100}%`
        : `椭球面积${record.m2}平方米（${record.mu}亩，${record.hectare}公顷）`,
    figures: {
      areaOfRecord: record,
      method: 'CGCS2000椭球面积：高斯-克吕格平面边按70米加密后反算经纬度，梯形级数求和（国土调查办发〔2008〕32号）',
      zoneEpsg: c.zoneSrid,
      geodesicM2: geodesicM2 === null ? null : round2(geodesicM2),
      geodesicDifferenceM2: geodesicM2 === null ? null : round2(geodesicM2 - c.areaM2),
      declaredM2: c.declaredM2,
      declaredDifferenceM2: diff,
    },
    problems: null,
  };
}

// ---------------------------------------------------------------- c, d, e, h: overlays

/** The pieces of a parcel grouped by base land class, for the list of what is not mining land. */
function outsideList(entries: [string, { area: number; rows: sql.PieceRow[] }][]) {
  return entries
    .filter(([dlbm]) => dlbm !== MINING_LAND)
    .map(([dlbm, g]) => ({ dlbm, dlmc: landClass(dlbm)?.name ?? (g.rows[0]?.dlmc as string | null) ?? null, area: areaFigures(g.area) }))
    .sort((a, b) => b.area.m2 - a.area.m2);
}

/** What the source check may read beyond the base survey: the later surveys and the new 0602 of each (sql.miningAcrossSurveys). */
interface AcrossSurveys {
  versions: sql.LayerVersion[];
  rows: sql.PieceRow[];
}

const pct = (part: number, whole: number) => `${(share(part, whole) * 100).toFixed(2)}%`;

/**
 * c. Source (来源可靠): 0602 in the base survey, or — for a parcel the base survey alone does not make
 * eligible — in the base survey or any later change survey read (domain/checks/source.ts). The
 * figures say which survey year made it eligible (`eligibleYear`, `miningByYear`).
 */
function sourceCheck(c: ParcelContext, groups: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined, base: sql.LayerVersion, p: CheckParameters, across?: AcrossSurveys): CheckResult {
  const baseYear = base.year;
  const baseMining = groups?.get(MINING_LAND)?.area ?? 0;
  const baseStatus = sourceStatus(c.areaM2, baseMining, p);
  const yearFigure = (v: sql.LayerVersion, newM2: number, cumulativeM2: number) => ({
    year: v.year,
    survey: v.year === baseYear ? '第三次全国国土调查' : '年度国土变更调查',
    importId: v.importId,
    importedAt: v.importedAt ?? null,
    newArea: areaFigures(newM2),
    cumulativeArea: areaFigures(cumulativeM2),
    cumulativeShare: share(cumulativeM2, c.areaM2),
  });
  if (baseStatus === 'pass' || !across || across.versions.length < 2) {
    const outside = outsideList([...(groups?.entries() ?? [])]);
    const covered = [...(groups?.values() ?? [])].reduce((s, g) => s + g.area, 0);
    if (c.areaM2 - covered > boundaryTolerance(c.areaM2, p)) outside.push({ dlbm: '', dlmc: '无调查数据', area: areaFigures(c.areaM2 - covered) });
    const features = [...(groups?.entries() ?? [])]
      .filter(([dlbm]) => dlbm !== MINING_LAND)
      .flatMap(([dlbm, g]) => piecesAsFeatures('source', g.rows, { dlbm, dlmc: landClass(dlbm)?.name ?? null, year: baseYear }));
    const later = across && across.versions.length > 1 ? `及${across.versions.slice(1).map((v) => v.year).join('、')}年年度国土变更调查` : '';
    return {
      parcelId: c.id,
      code: 'source',
      status: baseStatus,
      message:
        baseStatus === 'pass'
          ? `${baseYear}年三调中${pct(baseMining, c.areaM2)}位于采矿用地（0602），由${baseYear}年第三次全国国土调查确定为采矿用地`
          : `${baseYear}年三调${later}中仅${pct(baseMining, c.areaM2)}位于采矿用地；其余：${outside.map((o) => `${o.dlmc ?? o.dlbm}${o.area.mu}亩`).join('、')}`,
      figures: {
        baseYear,
        eligibleYear: baseStatus === 'pass' ? baseYear : null,
        surveyYears: across?.versions.map((v) => v.year) ?? [baseYear],
        miningByYear: [yearFigure(base, baseMining, baseMining)],
        miningArea: areaFigures(baseMining),
        miningShare: share(baseMining, c.areaM2),
        minShare: p.sourceMinShare,
        outside,
      },
      problems: baseStatus === 'pass' ? null : collection(features),
    };
  }
  const newByYear = new Map<number, number>();
  const outsideGroups = new Map<string, { area: number; rows: sql.PieceRow[] }>();
  for (const row of across.rows) {
    if (row.parcel_id !== c.id || !(row.area! > 0)) continue;
    if (row.outside) {
      const k = String(row.dlbm ?? '').toUpperCase();
      const g = outsideGroups.get(k) ?? { area: 0, rows: [] };
      g.area += row.area!;
      g.rows.push(row);
      outsideGroups.set(k, g);
    } else {
      newByYear.set(Number(row.year), (newByYear.get(Number(row.year)) ?? 0) + row.area!);
    }
  }
  const r = sourceAcrossSurveys(c.areaM2, across.versions.map((v) => ({ year: v.year, newM2: newByYear.get(v.year) ?? 0 })), p);
  const outside = outsideList([...outsideGroups.entries()]);
  const accounted = r.miningM2 + outside.reduce((s, o) => s + o.area.m2, 0);
  if (c.areaM2 - accounted > boundaryTolerance(c.areaM2, p)) outside.push({ dlbm: '', dlmc: '无调查数据', area: areaFigures(c.areaM2 - accounted) });
  const laterYears = r.years.filter((y) => y.year !== baseYear && y.newM2 > 0).map((y) => y.year);
  const byYear = across.versions.map((v, i) => yearFigure(v, r.years[i]!.newM2, r.years[i]!.cumulativeM2));
  return {
    parcelId: c.id,
    code: 'source',
    status: r.status,
    message:
      r.status === 'pass'
        ? `${baseYear}年三调中仅${pct(r.years[0]!.newM2, c.areaM2)}位于采矿用地；计入${laterYears.join('、')}年年度国土变更调查确定的采矿用地后共${pct(r.miningM2, c.areaM2)}，由${r.eligibleYear}年年度国土变更调查确定为采矿用地`
        : `${baseYear}年三调及${across.versions.slice(1).map((v) => v.year).join('、')}年年度国土变更调查中合计仅${pct(r.miningM2, c.areaM2)}为采矿用地；其余：${outside.map((o) => `${o.dlmc ?? o.dlbm}${o.area.mu}亩`).join('、')}`,
    figures: {
      baseYear,
      eligibleYear: r.eligibleYear,
      surveyYears: across.versions.map((v) => v.year),
      miningByYear: byYear,
      miningArea: areaFigures(r.miningM2),
      miningShare: share(r.miningM2, c.areaM2),
      minShare: p.sourceMinShare,
      outside,
    },
    problems:
      r.status === 'pass'
        ? null
        : collection([...outsideGroups.entries()].flatMap(([dlbm, g]) => piecesAsFeatures('source', g.rows, { dlbm, dlmc: landClass(dlbm)?.name ?? null, year: baseYear }))),
  };
}

/** The forest part of a parcel's pieces, grouped by land class (DLTB DLBM or one-map DI_LEI). */
function forestPieces(groups: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined, isForest: (code: string) => boolean) {
  let area = 0;
  const rows: sql.PieceRow[] = [];
  for (const [code, g] of groups ?? []) {
    if (!isForest(code)) continue;
    area += g.area;
    rows.push(...g.rows);
  }
  return { area, rows };
}

function notForestCheck(
  c: ParcelContext,
  dltb: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined,
  xb: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined,
  years: { dltb?: number; ldxb?: number },
  p: CheckParameters,
): CheckResult {
  const f = forestPieces(dltb, isForestLand);
  const x = forestPieces(xb, isForestXiaoban);
  const status = notForestStatus(c.areaM2, f.area, x.area, p);
  return {
    parcelId: c.id,
    code: 'not-forest',
    status,
    message:
      status === 'pass'
        ? `与${years.dltb ?? '—'}年地类图斑林地、${years.ldxb ?? '—'}年一张图小班均无重叠`
        : `已是林地：与${years.dltb}年地类图斑林地重叠${fmtMu(f.area)}，与${years.ldxb ?? '—'}年一张图小班重叠${fmtMu(x.area)}`,
    figures: { dltbYear: years.dltb ?? null, ldxbYear: years.ldxb ?? null, forestDltbArea: areaFigures(f.area), forestXiaobanArea: areaFigures(x.area) },
    problems:
      status === 'pass'
        ? null
        : collection([
            ...piecesAsFeatures('not-forest', f.rows, { layer: 'dltb', year: years.dltb }),
            ...piecesAsFeatures('not-forest', x.rows, { layer: 'ldxb', year: years.ldxb }),
          ]),
  };
}

function ownershipCheck(c: ParcelContext, groups: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined, year: number, p: CheckParameters): CheckResult {
  const parts = [...(groups?.values() ?? [])].map((g) => ({
    qsdwdm: (g.rows[0]?.qsdwdm as string | null) ?? null,
    qsdwmc: (g.rows[0]?.qsdwmc as string | null) ?? null,
    qsxz: (g.rows[0]?.qsxz as string | null) ?? null,
    areaM2: g.area,
  }));
  const r = ownershipStatus(parts, c.areaM2, p);
  const units = r.units.map((u) => ({ qsdwdm: u.qsdwdm, qsdwmc: u.qsdwmc, qsxz: u.qsxz, area: areaFigures(u.areaM2) }));
  return {
    parcelId: c.id,
    code: 'ownership',
    status: r.status,
    message:
      r.status === 'fail'
        ? `${year}年地类图斑中找不到该地块的权属单位`
        : r.status === 'pass'
          ? `权属单位：${units[0]!.qsdwmc}（${units[0]!.qsdwdm}）`
          : `涉及${units.length}个权属单位${r.mixed ? '，国有与集体土地混合' : ''}：${units.map((u) => `${u.qsdwmc}${u.area.mu}亩`).join('、')}；须每个权利人同意`,
    figures: { year, units, mixedStateCollective: r.mixed, rightsHolders: units.length },
    problems:
      r.status === 'warn'
        ? collection([...(groups?.values() ?? [])].flatMap((g) => piecesAsFeatures('ownership', g.rows, { qsdwdm: g.rows[0]?.qsdwdm, qsdwmc: g.rows[0]?.qsdwmc, qsxz: g.rows[0]?.qsxz })))
        : null,
  };
}

function changeCheck(
  c: ParcelContext,
  dltb: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined,
  xb: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined,
  year: number,
  hasXb: boolean,
  p: CheckParameters,
): CheckResult {
  const f = forestPieces(dltb, isForestLand);
  const x = forestPieces(xb, isForestXiaoban);
  const status = hasXb ? changeStatus(c.areaM2, f.area, x.area, p) : 'fail';
  const rest = [...(dltb?.entries() ?? [])]
    .filter(([dlbm]) => !isForestLand(dlbm))
    .map(([dlbm, g]) => ({ dlbm, dlmc: landClass(dlbm)?.name ?? null, area: areaFigures(g.area) }));
  return {
    parcelId: c.id,
    code: 'land-class-change',
    status,
    message: !hasXb
      ? `${year}年一张图小班未导入，无法确认变更`
      : status === 'pass'
        ? `${year}年地类图斑中${(share(f.area, c.areaM2) * 100).toFixed(2)}%为林地，一张图中${(share(x.area, c.areaM2) * 100).toFixed(2)}%为林地小班`
        : `${year}年仅${(share(f.area, c.areaM2) * 100).toFixed(2)}%变更为林地（一张图${(share(x.area, c.areaM2) * 100).toFixed(2)}%）；其余现为：${rest.map((r) => `${r.dlmc ?? r.dlbm}${r.area.mu}亩`).join('、') || '无调查数据'}`,
    figures: {
      changeYear: year,
      forestDltbArea: areaFigures(f.area),
      forestDltbShare: share(f.area, c.areaM2),
      forestXiaobanArea: areaFigures(x.area),
      forestXiaobanShare: share(x.area, c.areaM2),
      minShare: p.changeMinShare,
      rest,
    },
    problems: status === 'pass' ? null : collection([...(dltb?.entries() ?? [])].filter(([d]) => !isForestLand(d)).flatMap(([dlbm, g]) => piecesAsFeatures('land-class-change', g.rows, { dlbm, year }))),
  };
}

// ---------------------------------------------------------------- f. jurisdiction, g. overlap

function jurisdictionCheck(c: ParcelContext, j: sql.JurisdictionRow | undefined, zl: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined, county: string, p: CheckParameters): CheckResult {
  const tol = boundaryTolerance(c.areaM2, p);
  const zone = zoneOfEpsg(c.zoneSrid);
  const outCounty = officialAreaOfPlane(j?.outside_county, zone);
  const outTownship = officialAreaOfPlane(j?.outside_township, zone);
  const zlTownships = [...(zl?.entries() ?? [])].filter(([, g]) => g.area > tol).map(([code, g]) => ({ township: code, area: areaFigures(g.area) }));
  const findings: string[] = [];
  let status: CheckStatus = 'pass';
  if (!j?.county_found) {
    status = 'warn';
    findings.push('未导入县级行政区界线，仅按坐落单位代码判断');
  } else if (outCounty > tol) {
    status = 'fail';
    findings.push(`有${fmtMu(outCounty)}在${county}县界外（跨县界）`);
  }
  if (c.township) {
    if (j && j.township_found && outTownship > tol) {
      status = 'fail';
      findings.push(`有${fmtMu(outTownship)}不在申报乡镇${c.township}内`);
    } else if (j && !j.township_found) {
      if (status === 'pass') status = 'warn';
      findings.push(`行政区图层中没有乡镇${c.township}`);
    }
    const foreign = zlTownships.filter((z) => z.township !== c.township);
    if (foreign.length) {
      status = 'fail';
      findings.push(`坐落单位代码属于其他乡镇：${foreign.map((f) => `${f.township}（${f.area.mu}亩）`).join('、')}`);
    }
  } else {
    if (status === 'pass') status = 'warn';
    findings.push('未申报乡镇代码');
  }
  const problems: Feature[] = [];
  if (j?.outside_county && outCounty > tol) problems.push(problemFeature('jurisdiction', planeToLonLat(j.outside_county, zone), { problem: 'outside-county' }));
  if (j?.outside_township && outTownship > tol) problems.push(problemFeature('jurisdiction', planeToLonLat(j.outside_township, zone), { problem: 'outside-township', township: c.township }));
  return {
    parcelId: c.id,
    code: 'jurisdiction',
    status,
    message: findings.length ? findings.join('；') : `位于${county}县${c.township}乡镇内`,
    figures: { county, township: c.township, outsideCounty: areaFigures(outCounty), outsideTownship: areaFigures(outTownship), zldwTownships: zlTownships },
    problems: collection(problems),
  };
}

/** Key of the one group that stands for every overlapping parcel outside the report's readership. */
const UNDISCLOSED = 'undisclosed';

function overlapCheck(c: ParcelContext, groups: Map<string, { area: number; rows: sql.PieceRow[] }> | undefined, p: CheckParameters): CheckResult {
  const tol = Math.min(boundaryTolerance(c.areaM2, p), 1);
  const named = [...(groups?.entries() ?? [])].filter(([k, g]) => k !== UNDISCLOSED && g.area > tol).map(([, g]) => g);
  const others = named.map((g) => ({
    parcelId: g.rows[0]!.other_id as string,
    parcelNo: g.rows[0]!.other_parcel_no as string,
    uploadId: g.rows[0]!.other_upload_id as string,
    source: g.rows[0]!.other_source as string,
    sameUpload: g.rows[0]!.same_upload as boolean,
    area: areaFigures(g.area),
  }));
  // Parcels outside the jurisdiction of this report's readers: that they overlap and by how much,
  // nothing else — no id, number, file, applicant or geometry (checks-repository.candidateOverlaps).
  const outsideArea = groups?.get(UNDISCLOSED)?.area ?? 0;
  const outside = outsideArea > tol ? { area: areaFigures(outsideArea) } : null;
  const findings = [
    ...(others.length ? [`与其他地块重叠（重复申报）：${others.map((o) => `${o.parcelNo}${o.sameUpload ? '（同批）' : `（${o.source}）`}${o.area.mu}亩`).join('、')}`] : []),
    ...(outside ? [`与管辖范围外的已申报地块重叠${fmtMu(outsideArea)}（重复申报；对方地块信息不予显示）`] : []),
  ];
  return {
    parcelId: c.id,
    code: 'overlap',
    status: findings.length ? 'fail' : 'pass',
    message: findings.length ? findings.join('；') : '与其他候选或储备地块无重叠',
    figures: { others, outsideJurisdiction: outside },
    problems: others.length
      ? collection(named.flatMap((g) => piecesAsFeatures('overlap', g.rows, { otherParcelId: g.rows[0]!.other_id, otherParcelNo: g.rows[0]!.other_parcel_no })))
      : null,
  };
}

function notRun(parcelId: string, code: CheckCode, message: string): CheckResult {
  return { parcelId, code, status: 'not-run', message, figures: {}, problems: null };
}

// ---------------------------------------------------------------- the run

/**
 * What a caller may choose about a run: the survey years it reads and who ran it. The thresholds
 * are never among them: a run uses the parameter set in force (province-published, versioned).
 */
export interface RunOptions {
  baseYear?: number;
  latestYear?: number;
  changeYear?: number;
  runBy?: string;
  /**
   * Count only change surveys imported before this moment for the source check (an application's
   * time: "年度国土变更调查中确定的采矿用地" as the surveys stood when the land was applied for).
   */
  surveysImportedBefore?: Date;
  /** Work bounds (statement timeout, geometry workers), from the app's Config. */
  bounds: CheckBounds;
}

export type CheckBounds = Pick<Config, 'checkStatementTimeoutMs' | 'geometryWorkers' | 'geometryTaskTimeoutMs'>;

/** Most self-intersection points reported per parcel. */
const MAX_REPORTED_CROSSINGS = 1000;

/**
 * The survey-layer versions a run reads; refuses (422) when the county has no DLTB or the change
 * year asked for was not imported. Exported so an upload can be refused before anything is created.
 */
export async function resolveLayers(db: pg.Pool, county: string, p: Pick<CheckParameters, 'baseYear' | 'latestYear' | 'changeYear'>) {
  const versions = await sql.layerVersions(db, county);
  const dltbYears = versions.dltb.map((v) => v.year);
  const pick = (list: sql.LayerVersion[], year: number | undefined, which: 'first' | 'last') =>
    year !== undefined ? list.find((v) => v.year === year) : which === 'first' ? list[0] : list[list.length - 1];
  const base = pick(versions.dltb, p.baseYear, 'first');
  // "Not already forest" and ownership describe the land before restoration: at acceptance (a
  // change year given) they read the latest survey before that year, not the year that shows the
  // new forest — otherwise a restored parcel would fail one check while passing the other.
  const before = (list: sql.LayerVersion[]) =>
    p.changeYear === undefined ? list[list.length - 1] : [...list].reverse().find((v) => v.year < p.changeYear!);
  const latest = p.latestYear !== undefined ? pick(versions.dltb, p.latestYear, 'last') : (before(versions.dltb) ?? base);
  const xbLatest = p.latestYear !== undefined ? pick(versions.ldxb, p.latestYear, 'last') : before(versions.ldxb);
  const xzq = pick(versions.xzq, undefined, 'last');
  // Source: the base survey and every later change survey up to the latest year read.
  const sourceVersions = base && latest ? versions.dltb.filter((v) => v.year >= base.year && v.year <= latest.year) : [];
  const change = p.changeYear !== undefined ? versions.dltb.find((v) => v.year === p.changeYear) : undefined;
  const xbChange = p.changeYear !== undefined ? versions.ldxb.find((v) => v.year === p.changeYear) : undefined;
  if (!base || !latest) {
    throw badInput('survey-layers-missing', 'Survey layers not imported', `${county}县尚未导入三调地类图斑，无法检查（已导入年份：${dltbYears.join('、') || '无'}）`);
  }
  if (p.changeYear !== undefined && !change) {
    throw badInput('change-year-not-imported', 'Change-survey year not imported', `${county}县${p.changeYear}年地类图斑尚未导入（已导入：${dltbYears.join('、')}）`);
  }
  return { base, latest, xbLatest, xzq, change, xbChange, sourceVersions };
}

/**
 * Runs every check on every parcel of an upload against the county's current survey layers and
 * stores the results as a new dated run (earlier runs stay readable).
 */
export async function runChecks(pool: pg.Pool, uploadId: string, opts: RunOptions): Promise<{ runId: string; results: CheckResult[] }> {
  const upload = await getUpload(pool, uploadId);
  if (!upload) throw badInput('upload-not-found', 'Upload not found', `未找到上传批次${uploadId}`);
  const county = upload.county_code;
  const { bounds } = opts;
  const parameterSet = await parameterSetInForce(pool);
  const p: CheckParameters = { ...thresholdsOf(parameterSet.parameters), baseYear: opts.baseYear, latestYear: opts.latestYear, changeYear: opts.changeYear };
  const { base, latest, xbLatest, xzq, change, xbChange, sourceVersions: allSourceVersions } = await resolveLayers(pool, county, p);
  const before = opts.surveysImportedBefore;
  const sourceVersions = allSourceVersions.filter((v) => v.year === base.year || !before || (v.importedAt != null && new Date(v.importedAt) <= before));
  // Each query in its own transaction with a statement timeout: a run is bounded in the database.
  const timed = <T>(fn: (db: pg.PoolClient) => Promise<T>) => withTransaction(pool, fn, { statementTimeoutMs: bounds.checkStatementTimeoutMs });

  // Fetch everything first — each a set-based query over the whole upload, all at once on the
  // pool's connections (they are independent reads) — then evaluate.
  const dltbYears = new Map<number, Promise<sql.PieceRow[]>>();
  const dltb = (year: number) => dltbYears.get(year) ?? dltbYears.set(year, timed((db) => sql.dltbPieces(db, uploadId, county, year))).get(year)!;
  const xbYears = new Map<number, Promise<sql.PieceRow[]>>();
  const ldxb = (year: number) => xbYears.get(year) ?? xbYears.set(year, timed((db) => sql.ldxbPieces(db, uploadId, county, year))).get(year)!;
  const none = Promise.resolve([] as sql.PieceRow[]);
  const [geoms, parcelRows, baseRows, latestRows, xbRows, changeRows, xbChangeRows, jRows, overlapRows] = await Promise.all([
    timed((db) => sql.parcelGeometries(db, uploadId)),
    sql.parcelFacts(pool, uploadId),
    dltb(base.year),
    dltb(latest.year),
    xbLatest ? ldxb(xbLatest.year) : none,
    change ? dltb(change.year) : none,
    xbChange ? ldxb(xbChange.year) : none,
    xzq ? timed((db) => sql.jurisdiction(db, uploadId, county, xzq.year)) : Promise.resolve([] as sql.JurisdictionRow[]),
    timed((db) => sql.candidateOverlaps(db, uploadId)),
  ]);
  const parcels = new Map(parcelRows.map((r) => [r.id, r]));
  // Self-intersections (CPU-bound, up to quadratic) on a worker thread with a time limit.
  const polygonal = geoms.filter((g) => g.lonlat && (g.geometry_type === 'POLYGON' || g.geometry_type === 'MULTIPOLYGON'));
  const crossings = new Map(
    (await countCrossings(bounds, polygonal.map((g) => ({ key: g.id, geojson: g.lonlat! })), MAX_REPORTED_CROSSINGS, MAX_REPORTED_CROSSINGS)).map((c) => [c.key, c]),
  );
  // Each parcel's area of record (of the valid polygonal geometry the overlays use), once.
  const measured = new Map<string, { plane: string; zoneSrid: number; areaM2: number }>();
  for (const g of geoms) {
    if (g.valid_plane && g.zone_srid) {
      measured.set(g.id, { plane: g.valid_plane, zoneSrid: g.zone_srid, areaM2: officialAreaOfPlane(g.valid_plane, zoneOfEpsg(g.zone_srid)) });
    }
  }
  for (const rows of [baseRows, latestRows, xbRows, changeRows, xbChangeRows, overlapRows]) measurePieces(rows, measured);

  const byDlbm = (r: sql.PieceRow) => (r.dlbm ?? '').toUpperCase();
  const baseByClass = groupPieces(baseRows, byDlbm);
  const latestByClass = latest.year === base.year ? baseByClass : groupPieces(latestRows, byDlbm);
  const latestByOwner = groupPieces(latestRows, (r) => `${r.qsdwdm ?? ''}|${r.qsxz ?? ''}`);
  const latestByZlTownship = groupPieces(latestRows, (r) => (r.zldwdm ?? '').slice(0, 9));
  const xbByDiLei = groupPieces(xbRows, (r) => r.di_lei ?? '');
  const changeByClass = change?.year === latest.year ? latestByClass : groupPieces(changeRows, byDlbm);
  const xbChangeByDiLei = groupPieces(xbChangeRows, (r) => r.di_lei ?? '');
  const overlapByOther = groupPieces(overlapRows, (r) => (r.undisclosed ? UNDISCLOSED : String(r.other_id)));
  const jById = new Map(jRows.map((r) => [r.parcel_id, r]));

  // Source across the change surveys, only for parcels the base survey alone does not make eligible.
  let across: AcrossSurveys | undefined;
  if (sourceVersions.length > 1) {
    const short = geoms
      .filter((g) => measured.has(g.id))
      .filter((g) => sourceStatus(measured.get(g.id)!.areaM2, baseByClass.get(g.id)?.get(MINING_LAND)?.area ?? 0, p) !== 'pass')
      .map((g) => g.id);
    const rows = short.length
      ? await timed((db) => sql.miningAcrossSurveys(db, uploadId, county, short, sourceVersions.map((v) => v.year), base.year))
      : [];
    across = { versions: sourceVersions, rows: measurePieces(rows, measured) };
  }

  const results: CheckResult[] = [];
  for (const g of geoms) {
    results.push(geometryCheck(g, p, upload.warnings, crossings.get(g.id)));
    const row = parcels.get(g.id)!;
    if (!g.valid_plane || !g.zone_srid || g.geodesic_m2 === null) {
      for (const code of ['area', 'source', 'not-forest', 'ownership', 'jurisdiction', 'overlap', 'land-class-change'] as const) {
        results.push(notRun(g.id, code, '几何不可用（为空、非面或坐标超出范围），未能检查'));
      }
      continue;
    }
    // The area of record is of the polygonal, valid geometry the overlays used.
    const zone = zoneOfEpsg(g.zone_srid);
    const ctx: ParcelContext = {
      id: g.id,
      parcelNo: g.parcel_no,
      zoneSrid: g.zone_srid,
      areaM2: measured.get(g.id)?.areaM2 ?? officialAreaOfPlane(g.valid_plane, zone),
      declaredM2: row.declared_area_m2 === null ? null : Number(row.declared_area_m2),
      township: row.township_code,
    };
    results.push(areaCheck(ctx, g.geodesic_m2, p));
    results.push(sourceCheck(ctx, baseByClass.get(g.id), base, p, across));
    results.push(notForestCheck(ctx, latestByClass.get(g.id), xbByDiLei.get(g.id), { dltb: latest.year, ldxb: xbLatest?.year }, p));
    results.push(ownershipCheck(ctx, latestByOwner.get(g.id), latest.year, p));
    results.push(jurisdictionCheck(ctx, jById.get(g.id), latestByZlTownship.get(g.id), county, p));
    results.push(overlapCheck(ctx, overlapByOther.get(g.id), p));
    results.push(
      change
        ? changeCheck(ctx, changeByClass.get(g.id), xbChangeByDiLei.get(g.id), change.year, !!xbChange, p)
        : notRun(g.id, 'land-class-change', '未指定变更调查年份（验收时检查）'),
    );
  }

  const layers: sql.RunLayers = {
    dltbBase: base,
    dltbLatest: latest,
    dltbSource: sourceVersions,
    ldxbLatest: xbLatest ?? null,
    xzq: xzq ?? null,
    dltbChange: change ?? null,
    ldxbChange: xbChange ?? null,
  };
  const runId = await timed(async (client) => {
    const id = await sql.insertRun(client, uploadId, p, parameterSet.version, layers, opts.runBy);
    await sql.insertResults(client, id, results);
    return id;
  });
  return { runId, results };
}
