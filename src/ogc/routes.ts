import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import {
  CollectionParams, CollectionView, CollectionsSchema, ConformanceSchema, FeatureCollectionSchema, FeatureParams, FeatureSchema, FormatQuery, ItemQuery, ItemsQuery,
  LandingSchema, OpenApiSchema, TileJsonSchema, TileMatrixSetSchema, TileMatrixSetsSchema, TileParams, problems,
} from './schemas.js';
import { MAX_ZOOM, getCollection, getItem, getTile, itemsPage, listCollections, type PageHead } from './service.js';
import {
  CONFORMANCE, GEOJSON, MVT, OPENAPI_30, collectionHtml, collectionView, collectionsHtml, collectionsView, conformanceHtml, itemHtml, itemsHtml, landing, landingHtml,
  openApi30, pageEnd, pageLinks, pageStart, tileJson, tileMatrixSets, webMercatorQuad,
} from './view.js';

/** The origin the client used, for absolute links (GDAL and QGIS follow them as given). */
function baseOf(req: FastifyRequest): string {
  const host = /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(req.host) ? req.host : '127.0.0.1';
  return `${req.protocol}://${host}`;
}

/** `f=html`, or a browser's Accept preferring HTML to JSON. */
function wantsHtml(req: FastifyRequest, f: string | undefined): boolean {
  if (f) return f === 'html';
  const accept = req.headers.accept ?? '';
  const html = accept.indexOf('text/html');
  const json = Math.min(...['application/json', 'application/geo+json'].map((t) => accept.indexOf(t)).filter((i) => i >= 0), Infinity);
  return html >= 0 && html < json;
}

const HTML = 'text/html; charset=utf-8';
const tags = ['ogc'];

export const ogcRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const raw = (reply: unknown) => reply as FastifyReply;

  app.get('/ogc', { schema: { tags, summary: 'OGC API入口页', querystring: FormatQuery, response: { 200: LandingSchema } } }, async (req, reply) => {
    requireUser(req);
    return wantsHtml(req, req.query.f) ? raw(reply).type(HTML).send(landingHtml(baseOf(req))) : landing(baseOf(req));
  });

  app.get('/ogc/conformance', { schema: { tags, summary: 'OGC API符合性声明', querystring: FormatQuery, response: { 200: ConformanceSchema } } }, async (req, reply) =>
    wantsHtml(req, req.query.f) ? raw(reply).type(HTML).send(conformanceHtml()) : { conformsTo: CONFORMANCE },
  );

  app.get('/ogc/api', { schema: { tags, summary: 'OGC API定义（OpenAPI 3.0）', response: { 200: OpenApiSchema } } }, async (req, reply) => {
    const list = await listCollections(pool, requireUser(req));
    return raw(reply).type(OPENAPI_30).send(JSON.stringify(openApi30(baseOf(req), list)));
  });

  app.get(
    '/ogc/collections',
    { schema: { tags, summary: '要素集合（仅管辖范围内的）', querystring: FormatQuery, response: { 200: CollectionsSchema } } },
    async (req, reply) => {
      const list = await listCollections(pool, requireUser(req));
      return wantsHtml(req, req.query.f) ? raw(reply).type(HTML).send(collectionsHtml(baseOf(req), list)) : collectionsView(baseOf(req), list);
    },
  );

  app.get(
    '/ogc/collections/:collectionId',
    { schema: { tags, summary: '一个要素集合', params: CollectionParams, querystring: FormatQuery, response: { 200: CollectionView, ...problems } } },
    async (req, reply) => {
      const c = await getCollection(pool, requireUser(req), req.params.collectionId);
      return wantsHtml(req, req.query.f) ? raw(reply).type(HTML).send(collectionHtml(baseOf(req), c)) : collectionView(baseOf(req), c);
    },
  );

  app.get(
    '/ogc/collections/:collectionId/items',
    {
      schema: {
        tags,
        summary: '要素（GeoJSON，分页，流式输出）',
        description: 'limit（1–10000，默认100）、bbox与bbox-crs、crs（CRS84、EPSG:4490、县的高斯–克吕格带号坐标系带或不带带号）、按字段相等筛选（如DLBM=0602），numberMatched、next/prev链接，Content-Crs响应头。',
        params: CollectionParams,
        querystring: ItemsQuery,
        response: { 200: FeatureCollectionSchema, ...problems },
      },
    },
    async (req, reply) => {
      const { collectionId } = req.params;
      const q = req.query;
      const query = req.query as Record<string, unknown>;
      const html = wantsHtml(req, q.f);
      const page = itemsPage(pool, requireUser(req), collectionId, { limit: q.limit, bbox: q.bbox, bboxCrs: q['bbox-crs'], crs: q.crs, datetime: q.datetime, after: q.after, before: q.before, raw: query });
      // The head is read before anything is sent: a refused parameter or an unknown collection is still a problem+json.
      const first = await page.next();
      const head = (first.value as { head: PageHead }).head;
      const base = baseOf(req);
      void reply.header('content-crs', `<${head.crs.uri}>`);
      if (html) {
        const features: { id: string; properties: Record<string, unknown> }[] = [];
        let links: ReturnType<typeof pageLinks> = [];
        for await (const v of page) {
          if ('feature' in v) features.push(JSON.parse(v.feature) as { id: string; properties: Record<string, unknown> });
          else if ('end' in v) links = pageLinks(base, collectionId, query, v.end);
        }
        return raw(reply).type(HTML).send(itemsHtml(base, head.collection, features, head, links));
      }
      async function* text() {
        yield pageStart(head);
        let sep = '';
        for await (const v of page) {
          if ('feature' in v) {
            yield sep + v.feature;
            sep = ',';
          } else if ('end' in v) yield pageEnd(base, collectionId, query, v.end);
        }
      }
      return raw(reply).type(GEOJSON).send(Readable.from(text()));
    },
  );

  app.get(
    '/ogc/collections/:collectionId/items/:featureId',
    { schema: { tags, summary: '一个要素（调查图层按BSM）', params: FeatureParams, querystring: ItemQuery, response: { 200: FeatureSchema, ...problems } } },
    async (req, reply) => {
      const { collectionId, featureId } = req.params;
      const r = await getItem(pool, requireUser(req), collectionId, featureId, req.query.crs);
      void reply.header('content-crs', `<${r.crs.uri}>`);
      if (wantsHtml(req, req.query.f)) return raw(reply).type(HTML).send(itemHtml(baseOf(req), r.collection, JSON.parse(r.text) as { id: string; properties: Record<string, unknown>; geometry: unknown }));
      const base = baseOf(req);
      const links = JSON.stringify([
        { href: `${base}/ogc/collections/${collectionId}/items/${encodeURIComponent(featureId)}`, rel: 'self', type: GEOJSON },
        { href: `${base}/ogc/collections/${collectionId}`, rel: 'collection', type: 'application/json' },
      ]);
      return raw(reply).type(GEOJSON).send(`${r.text.slice(0, -1)},"links":${links}}`);
    },
  );

  app.get('/ogc/tileMatrixSets', { schema: { tags, summary: '瓦片矩阵集', response: { 200: TileMatrixSetsSchema } } }, async (req) => tileMatrixSets(baseOf(req)));
  app.get('/ogc/tileMatrixSets/WebMercatorQuad', { schema: { tags, summary: 'WebMercatorQuad瓦片矩阵集', response: { 200: TileMatrixSetSchema } } }, async () => webMercatorQuad(MAX_ZOOM));

  app.get(
    '/ogc/collections/:collectionId/tiles/WebMercatorQuad',
    { schema: { tags, summary: '矢量瓦片的TileJSON（tiles为瓦片地址模板）', params: CollectionParams, response: { 200: TileJsonSchema, ...problems } } },
    async (req) => tileJson(baseOf(req), await getCollection(pool, requireUser(req), req.params.collectionId), MAX_ZOOM),
  );

  app.get(
    '/ogc/collections/:collectionId/tiles/WebMercatorQuad/:z/:y/:x',
    {
      schema: {
        tags,
        summary: '矢量瓦片（Mapbox Vector Tile，图层名为集合编号）',
        description: '按请求用ST_AsMVT生成；ETag随图层版本变化，If-None-Match相同时答304；空瓦片答204。Cache-Control: private, no-cache（浏览器保存，使用前以ETag确认）。',
        params: TileParams,
        response: { ...problems },
      },
    },
    async (req, reply) => {
      const { collectionId, z, x, y } = req.params;
      const t = await getTile(pool, requireUser(req), collectionId, z, x, y, req.headers['if-none-match']);
      // The browser may keep the tile, and asks again with its ETag: 304 until the layer changes.
      void reply.header('etag', t.etag).header('cache-control', 'private, no-cache').header('vary', 'Authorization, X-API-Key');
      if (t.status !== 200) return raw(reply).code(t.status).send();
      return raw(reply).type(MVT).send(t.body);
    },
  );
};
