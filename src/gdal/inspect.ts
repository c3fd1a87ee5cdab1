import gdal from 'gdal-async';
import {
  crsFromEpsg,
  identifyCrsFromProj4,
  inferZoneFromPrefixedEastings,
  type CrsInfo,
} from '../domain/crs/cgcs2000-crs.js';
import { badInput } from '../http/problem.js';
import { openUploadAsync } from './open-upload.js';
import type { LocatedSource } from './source.js';

export interface SourceCrs {
  info: CrsInfo;
  /** How it was found: the file declared it, or it was inferred from zone-prefixed eastings. */
  how: 'declared-epsg' | 'declared-definition' | 'inferred-from-eastings';
  note?: string;
}

export interface InspectedLayer {
  layerName: string;
  featureCount: number;
  geometryType: string;
  hasZ: boolean;
  hasM: boolean;
  fields: { name: string; type: string }[];
  extent?: { minX: number; maxX: number; minY: number; maxY: number };
  crs: SourceCrs;
}

const WKB_25D = 0x80000000;

/** Flat type (1..7), and Z/M flags, from either the old 2.5D bit or ISO codes (1003, 2003, 3003). */
export function geometryTypeParts(t: number): { flat: number; z: boolean; m: boolean } {
  const u = t >>> 0;
  const old25d = (u & WKB_25D) !== 0;
  const iso = u & 0x7fffffff;
  const flat = iso % 1000;
  const thousands = Math.floor(iso / 1000);
  return { flat, z: old25d || thousands === 1 || thousands === 3, m: thousands === 2 || thousands === 3 };
}

const FLAT_NAMES = ['Unknown', 'Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection'];

/** What inspection needs to know about the kind of layer expected. */
export interface ExpectedLayer {
  label: string;
  defaultLayerNames: string[];
}

async function pickLayer(ds: gdal.Dataset, spec: ExpectedLayer, requested?: string): Promise<gdal.Layer> {
  const layers: gdal.Layer[] = [];
  const n = await ds.layers.countAsync();
  for (let i = 0; i < n; i++) layers.push(await ds.layers.getAsync(i));
  if (layers.length === 0) throw badInput('layer-not-found', 'No layer in dataset', '文件中没有任何图层');
  const names = layers.map((l) => l.name);
  const wanted = requested ? [requested] : spec.defaultLayerNames;
  for (const w of wanted) {
    const hit = layers.find((l) => l.name.toLowerCase() === w.toLowerCase());
    if (hit) return hit;
  }
  if (!requested && layers.length === 1) return layers[0]!;
  throw badInput(
    'layer-not-found',
    'Layer not found',
    requested
      ? `文件中没有名为“${requested}”的图层；现有图层：${names.join('、')}`
      : `文件中有${names.length}个图层（${names.join('、')}），没有默认的${spec.defaultLayerNames[0]}图层，请用layerName参数指定`,
    { layers: names },
  );
}

function identifyCrs(layer: gdal.Layer, located: LocatedSource, extent: InspectedLayer['extent']): SourceCrs {
  const srs = layer.srs;
  if (!srs) {
    if (!extent) throw badInput('crs-missing', 'No coordinate system', '文件没有坐标系信息（缺少.prj），且无法从坐标推断');
    const inferred = inferZoneFromPrefixedEastings(extent);
    if (!inferred.ok) {
      throw badInput('crs-missing', 'No coordinate system and none can be inferred', `缺少坐标系定义（.prj文件）：${inferred.message}`, {
        reason: inferred.code,
      });
    }
    return {
      info: inferred.crs,
      how: 'inferred-from-eastings',
      note: `文件缺少.prj，由带号前缀的东坐标推断为${inferred.crs.label}`,
    };
  }
  const authority = srs.getAuthorityName(null);
  const code = srs.getAuthorityCode(null);
  if (authority === 'EPSG' && code) {
    const info = crsFromEpsg(Number(code));
    if (info) return { info, how: 'declared-epsg' };
  }
  const result = identifyCrsFromProj4(srs.toProj4(), {
    datumName: srs.getAttrValue('DATUM') ?? undefined,
    projcsName: srs.getAttrValue('PROJCS') ?? undefined,
  });
  if (!result.ok) throw badInput(result.code, 'Unsupported coordinate system', result.message);
  return { info: result.crs, how: 'declared-definition' };
}

/**
 * Opens the dataset with GDAL and checks what can be checked before loading a single feature:
 * the layer exists and is not empty, holds polygons, and is in a CGCS2000 system we can place.
 *
 * Opening is where GDAL does the work (the GeoJSON driver parses the whole file: ~1 s for 50 MB;
 * a GeoPackage may count its rows), so the open, the layer look-up and the count run on libuv's
 * thread pool (gdal-async's …Async calls), never on the request thread. What is left synchronous
 * reads metadata GDAL already holds; nothing else uses this dataset meanwhile, so those getters
 * never wait on gdal-async's dataset lock.
 */
export async function inspectLayer(located: LocatedSource, spec: ExpectedLayer, opts: { layerName?: string; dropZ?: boolean }): Promise<InspectedLayer> {
  const ds = await openUploadAsync(located);
  try {
    const layer = await pickLayer(ds, spec, located.format === 'shapefile' ? undefined : opts.layerName);
    const { flat, z, m } = geometryTypeParts(layer.geomType);
    const typeName = (FLAT_NAMES[flat] ?? `type ${flat}`) + (z ? ' Z' : '') + (m ? ' M' : '');
    // Unknown (0) is a generic geometry column (GeoJSON, some gpkg): checked per feature.
    if (flat !== 0 && flat !== 3 && flat !== 6) {
      throw badInput('geometry-type-not-polygon', 'Layer is not polygons', `图层“${layer.name}”的几何类型是${typeName}，${spec.label}必须是面（Polygon/MultiPolygon）`, {
        geometryType: typeName,
      });
    }
    if ((z || m) && !opts.dropZ) {
      throw badInput('geometry-has-z', 'Layer has Z or M coordinates', `图层“${layer.name}”是带${z ? 'Z（高程）' : 'M'}值的${typeName}；${spec.label}应为二维面。如确认可丢弃Z/M值，请设置dropZ=true重新提交`, {
        geometryType: typeName,
      });
    }
    let featureCount = await layer.features.countAsync(true);
    if (featureCount < 0) featureCount = 0;
    if (featureCount === 0) throw badInput('layer-empty', 'Layer is empty', `图层“${layer.name}”中没有要素`);
    let extent: InspectedLayer['extent'];
    try {
      const e = layer.getExtent(false); // header extent; forcing it would read every geometry
      extent = { minX: e.minX, maxX: e.maxX, minY: e.minY, maxY: e.maxY };
    } catch {
      extent = undefined;
    }
    const fields = layer.fields.map((f) => ({ name: f.name, type: f.type }));
    return {
      layerName: layer.name,
      featureCount,
      geometryType: typeName,
      hasZ: z,
      hasM: m,
      fields,
      extent,
      crs: identifyCrs(layer, located, extent),
    };
  } finally {
    ds.close();
  }
}
