/**
 * Answers of the OGC API: landing page, conformance, collections, features (GeoJSON text, the
 * geometry and the survey properties passed through from PostgreSQL unparsed), TileJSON, the
 * WebMercatorQuad tile matrix set, and a plain HTML rendering of each for a person in a browser.
 */
import { STATUS_LABEL } from '../candidates/report.js';
import { officialAreaOfPlane, zoneOfEpsg } from '../domain/area/plane-geometry.js';
import { STATES } from '../domain/procedure/state-machine.js';
import { areaFigures } from '../domain/units.js';
import { ID_LABEL, PROPERTIES, collectionDescription, collectionTitle } from './collections.js';
import { CRS84, epsgUri, supportedCrs } from './crs.js';
import type { FeatureRow } from './repository.js';
import type { CollectionInfo, PageEnd, PageHead } from './service.js';

export const GEOJSON = 'application/geo+json';
export const OPENAPI_30 = 'application/vnd.oai.openapi+json;version=3.0';
export const MVT = 'application/vnd.mapbox-vector-tile';

/** The conformance classes really implemented (no OGC API – Tiles class: the tile set is described by TileJSON, not by OGC tileset metadata). */
export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
  'http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs',
];

export interface Link {
  href: string;
  rel: string;
  type: string;
  title?: string;
}

export function landing(base: string) {
  return {
    title: 'zhanbu 占补 — 林地占补平衡 OGC API',
    description: '三调地类图斑、行政区、一张图小班、可修复采矿用地、候选地块、程序地块与储备库地块，按用户管辖范围提供（OGC API – Features 与矢量瓦片）。',
    links: [
      { href: `${base}/ogc`, rel: 'self', type: 'application/json', title: '本页（JSON）' },
      { href: `${base}/ogc?f=html`, rel: 'alternate', type: 'text/html', title: '本页（HTML）' },
      { href: `${base}/ogc/api`, rel: 'service-desc', type: OPENAPI_30, title: 'API定义（OpenAPI 3.0）' },
      { href: `${base}/docs`, rel: 'service-doc', type: 'text/html', title: 'API文档' },
      { href: `${base}/ogc/conformance`, rel: 'conformance', type: 'application/json', title: '符合性声明' },
      { href: `${base}/ogc/collections`, rel: 'data', type: 'application/json', title: '要素集合' },
      { href: `${base}/ogc/tileMatrixSets`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes', type: 'application/json', title: '瓦片矩阵集' },
    ] satisfies Link[],
  };
}

const interval = (c: CollectionInfo): [string, string][] | undefined =>
  c.years ? [[`${c.years.min}-01-01T00:00:00Z`, `${c.years.max}-12-31T23:59:59Z`]] : undefined;

export function collectionView(base: string, c: CollectionInfo) {
  const self = `${base}/ogc/collections/${c.id}`;
  const t = interval(c);
  return {
    id: c.id,
    title: collectionTitle(c.ref, c.countyName),
    description: `${collectionDescription(c.ref, c.year)}要素编号：${ID_LABEL[c.ref.kind]}。`,
    itemType: 'feature',
    extent: {
      spatial: { bbox: c.extent ? [c.extent] : [], crs: CRS84 },
      ...(t ? { temporal: { interval: t, trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian' } } : {}),
    },
    crs: supportedCrs(c.zone),
    storageCrs: epsgUri(4490),
    links: [
      { href: self, rel: 'self', type: 'application/json', title: '本集合' },
      { href: `${self}?f=html`, rel: 'alternate', type: 'text/html', title: '本集合（HTML）' },
      { href: `${self}/items`, rel: 'items', type: GEOJSON, title: '要素（GeoJSON）' },
      { href: `${self}/items?f=html`, rel: 'items', type: 'text/html', title: '要素（HTML）' },
      { href: `${self}/tiles/WebMercatorQuad`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector', type: 'application/json', title: '矢量瓦片（TileJSON）' },
    ] satisfies Link[],
  };
}

export function collectionsView(base: string, list: CollectionInfo[]) {
  return {
    links: [
      { href: `${base}/ogc/collections`, rel: 'self', type: 'application/json', title: '要素集合' },
      { href: `${base}/ogc/collections?f=html`, rel: 'alternate', type: 'text/html', title: '要素集合（HTML）' },
    ] satisfies Link[],
    collections: list.map((c) => collectionView(base, c)),
  };
}

/** Properties computed here rather than in SQL: areas of record in 亩 and 公顷 (exact rounding of src/domain/units), Chinese labels. */
function derive(c: CollectionInfo, p: Record<string, unknown>, row: FeatureRow): Record<string, unknown> {
  switch (c.ref.kind) {
    case 'restorable': {
      // The remainder's official ellipsoidal area, as /restorable-mining-land measures it; TBMJ when untouched.
      const m2 = row.plane ? officialAreaOfPlane(row.plane, zoneOfEpsg(c.zone)) : Number(p.TBMJ ?? 0);
      const a = areaFigures(m2);
      return { ...p, KXFMJ: a.m2, KXFMJ_MU: a.mu, KXFMJ_HA: a.hectare };
    }
    case 'candidates':
      return { ...p, statusLabel: STATUS_LABEL[String(p.status)] ?? '尚未检查' };
    case 'procedure':
    case 'reserve': {
      const a = p.areaM2 === null ? null : areaFigures(Number(p.areaM2));
      return { ...p, stateLabel: STATES[p.state as keyof typeof STATES] ?? p.state, areaMu: a?.mu ?? null, areaHa: a?.hectare ?? null };
    }
    default:
      return p;
  }
}

/** One feature as GeoJSON text; survey properties go out exactly as PostgreSQL wrote them. */
export function featureText(c: CollectionInfo, row: FeatureRow): string {
  const derived = PROPERTIES[c.ref.kind].some((p) => p.derived);
  const props = derived ? JSON.stringify(derive(c, JSON.parse(row.props) as Record<string, unknown>, row)) : row.props;
  return `{"type":"Feature","id":${JSON.stringify(row.id)},"geometry":${row.geometry ?? 'null'},"properties":${props}}`;
}

/** Query string of a page link: the request's own parameters, the keyset position replaced. */
export function pageHref(base: string, id: string, query: Record<string, unknown>, position: { after?: string; before?: string }, f?: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (k !== 'after' && k !== 'before' && k !== 'f' && (typeof v === 'string' || typeof v === 'number')) params.set(k, String(v));
  if (position.after !== undefined) params.set('after', position.after);
  if (position.before !== undefined) params.set('before', position.before);
  if (f) params.set('f', f);
  const s = params.toString();
  return `${base}/ogc/collections/${id}/items${s ? `?${s}` : ''}`;
}

export function pageStart(head: PageHead): string {
  return `{"type":"FeatureCollection","numberMatched":${head.numberMatched},"timeStamp":${JSON.stringify(new Date().toISOString())},"features":[`;
}

export function pageLinks(base: string, id: string, query: Record<string, unknown>, end: PageEnd): Link[] {
  const links: Link[] = [
    { href: pageHref(base, id, query, { after: typeof query.after === 'string' ? query.after : undefined, before: typeof query.before === 'string' ? query.before : undefined }), rel: 'self', type: GEOJSON, title: '本页' },
    { href: `${base}/ogc/collections/${id}`, rel: 'collection', type: 'application/json', title: '所属集合' },
  ];
  if (end.next !== undefined) links.push({ href: pageHref(base, id, query, { after: end.next }), rel: 'next', type: GEOJSON, title: '下一页' });
  if (end.prev !== undefined) links.push({ href: pageHref(base, id, query, { before: end.prev }), rel: 'prev', type: GEOJSON, title: '上一页' });
  return links;
}

export function pageEnd(base: string, id: string, query: Record<string, unknown>, end: PageEnd): string {
  return `],"numberReturned":${end.numberReturned},"links":${JSON.stringify(pageLinks(base, id, query, end))}}`;
}

// ---------------------------------------------------------------- tiles

const WEB_MERCATOR_EXTENT = 20037508.3427892;

/** OGC Two-Dimensional Tile Matrix Set 2.0: WebMercatorQuad, levels 0 to maxZoom. */
export function webMercatorQuad(maxZoom: number) {
  return {
    id: 'WebMercatorQuad',
    title: 'Google Maps Compatible for the World',
    uri: 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad',
    crs: 'http://www.opengis.net/def/crs/EPSG/0/3857',
    orderedAxes: ['X', 'Y'],
    wellKnownScaleSet: 'http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible',
    tileMatrices: Array.from({ length: maxZoom + 1 }, (_, z) => ({
      id: String(z),
      scaleDenominator: 559082264.0287178 / 2 ** z,
      cellSize: 156543.03392804097 / 2 ** z,
      cornerOfOrigin: 'topLeft',
      pointOfOrigin: [-WEB_MERCATOR_EXTENT, WEB_MERCATOR_EXTENT],
      tileWidth: 256,
      tileHeight: 256,
      matrixWidth: 2 ** z,
      matrixHeight: 2 ** z,
    })),
  };
}

export function tileMatrixSets(base: string) {
  return {
    tileMatrixSets: [
      {
        id: 'WebMercatorQuad',
        title: 'Google Maps Compatible for the World',
        uri: 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad',
        links: [{ href: `${base}/ogc/tileMatrixSets/WebMercatorQuad`, rel: 'self', type: 'application/json', title: 'WebMercatorQuad' }],
      },
    ],
  };
}

/** TileJSON 3.0 of a collection: the tile URL template (z/x/y), its bounds, and the one vector layer named as the collection. */
export function tileJson(base: string, c: CollectionInfo, maxZoom: number) {
  const e = c.extent ?? [-180, -85.0511, 180, 85.0511];
  const fields = Object.fromEntries(PROPERTIES[c.ref.kind].filter((p) => p.tile).map((p) => [p.name, p.type === 'string' ? 'String' : p.type === 'boolean' ? 'Boolean' : 'Number']));
  return {
    tilejson: '3.0.0',
    name: c.id,
    description: collectionTitle(c.ref, c.countyName),
    scheme: 'xyz',
    tiles: [`${base}/ogc/collections/${c.id}/tiles/WebMercatorQuad/{z}/{y}/{x}`],
    minzoom: 0,
    maxzoom: maxZoom,
    bounds: e,
    center: [(e[0] + e[2]) / 2, (e[1] + e[3]) / 2, 14],
    vector_layers: [{ id: c.id, description: collectionDescription(c.ref, c.year), minzoom: 0, maxzoom: maxZoom, fields }],
    links: [
      { href: `${base}/ogc/tileMatrixSets/WebMercatorQuad`, rel: 'http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme', type: 'application/json', title: 'WebMercatorQuad' },
      { href: `${base}/ogc/collections/${c.id}`, rel: 'collection', type: 'application/json', title: '所属集合' },
    ] satisfies Link[],
  };
}

// ---------------------------------------------------------------- HTML

const text = (s: unknown): string => {
  if (s === null || s === undefined) return '';
  if (typeof s === 'string') return s;
  if (typeof s === 'number' || typeof s === 'boolean') return String(s);
  return JSON.stringify(s);
};
const esc = (s: unknown): string => text(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

/** A plain page: no script, no style (the API's CSP allows none), Chinese labels. */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}

const linkList = (links: Link[]) => `<ul>${links.map((l) => `<li><a href="${esc(l.href)}">${esc(l.title ?? l.rel)}</a> <small>(${esc(l.rel)}, ${esc(l.type)})</small></li>`).join('')}</ul>`;

export const landingHtml = (base: string) => {
  const l = landing(base);
  return htmlPage(l.title, `<p>${esc(l.description)}</p>${linkList(l.links.map((x) => (x.type === 'application/json' ? { ...x, href: `${x.href}?f=html` } : x)))}`);
};

export const conformanceHtml = () => htmlPage('符合性声明', `<ul>${CONFORMANCE.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`);

function collectionBlock(base: string, c: CollectionInfo): string {
  const v = collectionView(base, c);
  const bbox = v.extent.spatial.bbox[0];
  return `<h2><a href="${esc(`${base}/ogc/collections/${c.id}?f=html`)}">${esc(v.title)}</a></h2><p>${esc(v.description)}</p>
<dl><dt>编号</dt><dd>${esc(c.id)}</dd><dt>范围（CRS84）</dt><dd>${bbox ? esc(bbox.map((n) => n.toFixed(6)).join(', ')) : '无要素'}</dd>
<dt>坐标系</dt><dd>${v.crs.map(esc).join('<br>')}</dd></dl>${linkList(v.links)}`;
}

export const collectionsHtml = (base: string, list: CollectionInfo[]) => htmlPage('要素集合', list.length ? list.map((c) => collectionBlock(base, c)).join('') : '<p>管辖范围内没有要素集合。</p>');
export const collectionHtml = (base: string, c: CollectionInfo) => htmlPage(collectionTitle(c.ref, c.countyName), collectionBlock(base, c));

interface ParsedFeature {
  id: string;
  properties: Record<string, unknown>;
}

export function itemsHtml(base: string, c: CollectionInfo, features: ParsedFeature[], head: PageHead, links: Link[]): string {
  const props = PROPERTIES[c.ref.kind];
  const rows = features
    .map((f) => `<tr><td><a href="${esc(`${base}/ogc/collections/${c.id}/items/${encodeURIComponent(f.id)}?f=html`)}">${esc(f.id)}</a></td>${props.map((p) => `<td>${esc(f.properties[p.name])}</td>`).join('')}</tr>`)
    .join('');
  const nav = links.filter((l) => l.rel === 'next' || l.rel === 'prev').map((l) => ({ ...l, href: l.href.replace(/([?&])f=[^&]*/, '$1').replace(/[?&]$/, '') + (l.href.includes('?') ? '&' : '?') + 'f=html' }));
  return htmlPage(
    collectionTitle(c.ref, c.countyName),
    `<p>共${head.numberMatched}个要素，本页${features.length}个。坐标系：${esc(head.crs.uri)}</p>${linkList(nav)}
<table border="1"><thead><tr><th>${esc(ID_LABEL[c.ref.kind])}</th>${props.map((p) => `<th title="${esc(p.name)}">${esc(p.title)}<br><small>${esc(p.name)}</small></th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`,
  );
}

export function itemHtml(base: string, c: CollectionInfo, f: ParsedFeature & { geometry: unknown }): string {
  const props = PROPERTIES[c.ref.kind];
  return htmlPage(
    `${collectionTitle(c.ref, c.countyName)}：${f.id}`,
    `<table border="1">${props.map((p) => `<tr><th>${esc(p.title)}（${esc(p.name)}）</th><td>${esc(f.properties[p.name])}</td></tr>`).join('')}</table>
<p><a href="${esc(`${base}/ogc/collections/${c.id}/items/${encodeURIComponent(f.id)}`)}">GeoJSON</a> · <a href="${esc(`${base}/ogc/collections/${c.id}/items?f=html`)}">返回要素列表</a></p>`,
  );
}

/**
 * The OpenAPI 3.0 definition of the OGC API (service-desc): what GDAL, QGIS and the OGC test suite
 * read to learn the paths and parameters. The whole service's 3.1 document stays at /openapi.json.
 */
export function openApi30(base: string, list: CollectionInfo[]) {
  const param = (name: string, description: string, schema: object, where = 'query', required = false) => ({ name, in: where, required, description, schema });
  const collectionId = param('collectionId', '集合编号，如dltb-361123-2023', { type: 'string', enum: list.map((c) => c.id) }, 'path', true);
  const json = (description: string, type = 'application/json') => ({ description, content: { [type]: { schema: { type: 'object' } } } });
  const problem = { description: 'RFC 9457 problem+json', content: { 'application/problem+json': { schema: { type: 'object' } } } };
  const fmt = param('f', 'json（默认）或html', { type: 'string', enum: ['json', 'html'] });
  return {
    openapi: '3.0.3',
    info: { title: 'zhanbu 占补 OGC API – Features', version: '1.0.0', description: '按用户管辖范围提供的要素集合与矢量瓦片。每个请求都需要访问令牌（Authorization: Bearer 或 X-API-Key）。' },
    servers: [{ url: `${base}/ogc` }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/': { get: { summary: '入口页', parameters: [fmt], responses: { 200: json('入口页') } } },
      '/conformance': { get: { summary: '符合性声明', parameters: [fmt], responses: { 200: json('符合性类') } } },
      '/collections': { get: { summary: '要素集合', parameters: [fmt], responses: { 200: json('集合列表') } } },
      '/collections/{collectionId}': { get: { summary: '一个要素集合', parameters: [collectionId, fmt], responses: { 200: json('集合'), 404: problem } } },
      '/collections/{collectionId}/items': {
        get: {
          summary: '要素（分页，按游标读取）',
          parameters: [
            collectionId,
            param('limit', '每页要素数（1–10000，默认100）', { type: 'integer', minimum: 1, maximum: 10000, default: 100 }),
            { ...param('bbox', '范围：按bbox-crs的轴顺序给出左下角、右上角', { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 6 }), style: 'form', explode: false },
            param('bbox-crs', 'bbox的坐标系（默认CRS84）', { type: 'string', format: 'uri' }),
            param('crs', '输出坐标系（默认CRS84）', { type: 'string', format: 'uri' }),
            param('after', '分页位置（next链接给出）', { type: 'string' }),
            param('before', '分页位置（prev链接给出）', { type: 'string' }),
            fmt,
          ],
          responses: { 200: json('要素集合（GeoJSON）', GEOJSON), 400: problem, 404: problem },
        },
      },
      '/collections/{collectionId}/items/{featureId}': {
        get: {
          summary: '一个要素（调查图层按BSM）',
          parameters: [collectionId, param('featureId', '要素编号', { type: 'string' }, 'path', true), param('crs', '输出坐标系', { type: 'string', format: 'uri' }), fmt],
          responses: { 200: json('要素（GeoJSON）', GEOJSON), 404: problem },
        },
      },
      '/collections/{collectionId}/tiles/WebMercatorQuad': { get: { summary: 'TileJSON', parameters: [collectionId], responses: { 200: json('TileJSON') } } },
      '/collections/{collectionId}/tiles/WebMercatorQuad/{z}/{y}/{x}': {
        get: {
          summary: '矢量瓦片（Mapbox Vector Tile）',
          parameters: [collectionId, ...['z', 'x', 'y'].map((n) => param(n, n, { type: 'integer', minimum: 0 }, 'path', true))],
          responses: { 200: { description: 'MVT', content: { [MVT]: { schema: { type: 'string', format: 'binary' } } } }, 204: { description: '空瓦片' }, 304: { description: '未变化' } },
        },
      },
      '/tileMatrixSets': { get: { summary: '瓦片矩阵集', responses: { 200: json('列表') } } },
      '/tileMatrixSets/WebMercatorQuad': { get: { summary: 'WebMercatorQuad', responses: { 200: json('瓦片矩阵集') } } },
    },
  };
}
