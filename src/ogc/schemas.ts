import { Type } from '@fastify/type-provider-typebox';
import { ProblemSchema } from '../http/schemas.js';

/** `f`: the rendering (OGC API – Features: JSON by default, HTML for a person; Accept text/html too). */
const Format = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('html')], { description: 'json（默认）或html' }));
export const FormatQuery = Type.Object({ f: Format });

export const CollectionParams = Type.Object({
  collectionId: Type.String({ maxLength: 40, pattern: '^[a-z]+-\\d{6}(-\\d{4})?$', description: '集合编号：dltb-361123-2023、xzq-…-年、xiaoban-…-年、restorable-361123、candidates-…、procedure-…、reserve-…' }),
});
export const FeatureParams = Type.Intersect([CollectionParams, Type.Object({ featureId: Type.String({ minLength: 1, maxLength: 100, description: '要素编号（调查图层为BSM）' }) })]);

const Crs = (description: string) => Type.Optional(Type.String({ maxLength: 200, description }));

/** Property filters (`DLBM=0602`) are further parameters, checked against the collection's fields by the service. */
export const ItemsQuery = Type.Object(
  {
    f: Format,
    limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100, description: '每页要素数（1–10000）' }),
    bbox: Type.Optional(Type.String({ maxLength: 400, description: '范围：按bbox-crs的轴顺序（CRS84：经度,纬度；EPSG:4490：纬度,经度；高斯–克吕格：北坐标,东坐标）' })),
    'bbox-crs': Crs('bbox的坐标系，默认CRS84'),
    crs: Crs('输出坐标系，默认CRS84'),
    datetime: Type.Optional(Type.String({ maxLength: 100, description: '时间或时间段（RFC 3339）：调查图层按其年份筛选，地块图层不按时间筛选' })),
    after: Type.Optional(Type.String({ maxLength: 64, description: '分页位置（由next链接给出）' })),
    before: Type.Optional(Type.String({ maxLength: 64, description: '分页位置（由prev链接给出）' })),
  },
  { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())], { description: '属性筛选（相等），如DLBM=0602' }) },
);
export const ItemQuery = Type.Object({ f: Format, crs: Crs('输出坐标系，默认CRS84') });

export const TileParams = Type.Intersect([
  CollectionParams,
  Type.Object({
    z: Type.Integer({ minimum: 0, maximum: 30, description: '缩放级别（瓦片矩阵）' }),
    x: Type.Integer({ minimum: 0, maximum: 1073741823, description: '列' }),
    y: Type.Integer({ minimum: 0, maximum: 1073741823, description: '行' }),
  }),
]);

const LinkSchema = Type.Object({ href: Type.String(), rel: Type.String(), type: Type.String(), title: Type.Optional(Type.String()) });
const Links = Type.Array(LinkSchema);

export const LandingSchema = Type.Object({ title: Type.String(), description: Type.String(), links: Links });
export const ConformanceSchema = Type.Object({ conformsTo: Type.Array(Type.String()) });

const CollectionSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  itemType: Type.String(),
  extent: Type.Object({
    spatial: Type.Object({ bbox: Type.Array(Type.Array(Type.Number())), crs: Type.String() }),
    temporal: Type.Optional(Type.Object({ interval: Type.Array(Type.Array(Type.String())), trs: Type.String() })),
  }),
  crs: Type.Array(Type.String()),
  storageCrs: Type.String(),
  links: Links,
});
export const CollectionView = CollectionSchema;
export const CollectionsSchema = Type.Object({ links: Links, collections: Type.Array(CollectionSchema) });

const Feature = Type.Object({
  type: Type.Literal('Feature'),
  id: Type.String(),
  geometry: Type.Union([Type.Object({ type: Type.String(), coordinates: Type.Array(Type.Unknown()) }), Type.Null()]),
  properties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
});
/** Documentation of the streamed page (written as text; the serializer is not involved). */
export const FeatureCollectionSchema = Type.Object({
  type: Type.Literal('FeatureCollection'),
  numberMatched: Type.Integer(),
  numberReturned: Type.Integer(),
  timeStamp: Type.String(),
  links: Links,
  features: Type.Array(Feature),
});
export const FeatureSchema = Feature;

const TileMatrix = Type.Object({
  id: Type.String(),
  scaleDenominator: Type.Number(),
  cellSize: Type.Number(),
  cornerOfOrigin: Type.String(),
  pointOfOrigin: Type.Array(Type.Number()),
  tileWidth: Type.Integer(),
  tileHeight: Type.Integer(),
  matrixWidth: Type.Integer(),
  matrixHeight: Type.Integer(),
});
export const TileMatrixSetSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  uri: Type.String(),
  crs: Type.String(),
  orderedAxes: Type.Array(Type.String()),
  wellKnownScaleSet: Type.String(),
  tileMatrices: Type.Array(TileMatrix),
});
export const TileMatrixSetsSchema = Type.Object({
  tileMatrixSets: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), uri: Type.String(), links: Links })),
});
export const TileJsonSchema = Type.Object({
  tilejson: Type.String(),
  name: Type.String(),
  description: Type.String(),
  scheme: Type.String(),
  tiles: Type.Array(Type.String()),
  minzoom: Type.Integer(),
  maxzoom: Type.Integer(),
  bounds: Type.Array(Type.Number()),
  center: Type.Array(Type.Number()),
  vector_layers: Type.Array(
    Type.Object({ id: Type.String(), description: Type.String(), minzoom: Type.Integer(), maxzoom: Type.Integer(), fields: Type.Record(Type.String(), Type.String()) }),
  ),
  links: Links,
});
/** The OpenAPI 3.0 document (its own schema is the OpenAPI specification's). */
export const OpenApiSchema = Type.Object(
  { openapi: Type.String(), info: Type.Object({ title: Type.String(), version: Type.String() }), paths: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: true, description: 'OpenAPI 3.0文档：其结构由OpenAPI规范定义，此处不重述' },
);

export const problems = { 400: ProblemSchema, 404: ProblemSchema };
