import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { AreaFiguresSchema } from '../candidates/schemas.js';
import { GeoJsonFeature } from '../http/geojson-schemas.js';
import { CountyParams, Int32, Nullable, ProblemSchema, TownshipCode, Year } from '../http/schemas.js';

export const Filters = Type.Object({
  year: Type.Optional(Year({ description: '现状调查年份（默认该县最新导入的地类图斑年份）：列出该年非林地图斑中，该年或此前任一调查（三调、年度变更调查）为采矿用地的部分' })),
  township: Type.Optional(TownshipCode({ description: '乡镇代码（坐落单位代码前9位）' })),
  minAreaM2: Type.Optional(Type.Number({ minimum: 0, maximum: 1e12, description: '可修复面积下限（平方米）' })),
  ownership: Type.Optional(Type.Union([Type.Literal('state'), Type.Literal('collective')], { description: 'state 国有 / collective 集体' })),
  qsxz: Type.Optional(Type.String({ pattern: '^\\d{2}(,\\d{2})*$', description: '权属性质代码，逗号分隔' })),
  czcsxm204: Type.Optional(Type.Boolean({ description: '仅城镇村属性码204（盐田及采矿用地）' })),
  bbox: Type.Optional(Type.String({ maxLength: 200, pattern: '^-?\\d{1,3}(\\.\\d+)?,-?\\d{1,3}(\\.\\d+)?,-?\\d{1,3}(\\.\\d+)?,-?\\d{1,3}(\\.\\d+)?$', description: 'minLon,minLat,maxLon,maxLat（EPSG:4490）' })),
});
export type FiltersT = Static<typeof Filters>;


export const SummaryQuery = Type.Intersect([Filters, Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv'), Type.Literal('xlsx')])) })]);

export const PageQuery = Type.Intersect([
  Filters,
  Type.Object({
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }),
    after: Type.Optional(Int32({ minimum: -1, description: '上一页最后一个要素的fid' })),
  }),
]);

const TownshipTotalView = Type.Object({
  township: Type.Union([Type.String(), Type.Null()], { description: '乡镇代码（坐落单位代码前9位）' }),
  name: Type.Union([Type.String(), Type.Null()]),
  parcels: Type.Integer(),
  area: AreaFiguresSchema,
});

/** format=json; csv and xlsx carry the same rows plus a county total. */
export const SummaryView = Type.Object({
  countyCode: Type.String(),
  surveyYear: Type.Integer(),
  filter: Type.Object(
    {
      county: Type.String(),
      year: Type.Integer(),
      township: Type.Optional(Type.String()),
      minAreaM2: Type.Optional(Type.Number()),
      ownership: Type.Optional(Type.String()),
      qsxz: Type.Optional(Type.Array(Type.String())),
      czcsxm204: Type.Optional(Type.Boolean()),
      bbox: Type.Optional(Type.Array(Type.Number())),
    },
    { description: '所用的筛选条件' },
  ),
  total: Type.Object({ parcels: Type.Integer(), area: AreaFiguresSchema }),
  townships: Type.Array(TownshipTotalView),
});


/** A page of restorable polygons (written as text: the geometry passes through from PostGIS unparsed). */
export const RestorablePage = Type.Object({
  type: Type.Literal('FeatureCollection'),
  numberReturned: Type.Integer(),
  surveyYear: Type.Integer(),
  links: Type.Array(Type.Object({ rel: Type.String(), type: Type.String(), href: Type.String() }), { description: 'rel=next给出下一页' }),
  features: Type.Array(
    GeoJsonFeature(
      Type.Object({
        BSM: Nullable(Type.String()),
        DLBM: Type.String(),
        DLMC: Nullable(Type.String()),
        QSXZ: Nullable(Type.String()),
        QSDWDM: Nullable(Type.String()),
        QSDWMC: Nullable(Type.String()),
        ZLDWDM: Nullable(Type.String()),
        ZLDWMC: Nullable(Type.String()),
        CZCSXM: Nullable(Type.String()),
        TBMJ: Nullable(Type.Number({ description: '图斑面积（平方米）' })),
        KXFMJ: Type.Number({ description: '可修复面积（平方米）' }),
        KXFMJ_MU: Type.Number({ description: '可修复面积（亩）' }),
        KXFMJ_HA: Type.Number({ description: '可修复面积（公顷）' }),
        BFFG: Type.Boolean({ description: '是否已被候选或储备地块部分覆盖' }),
      }),
    ),
  ),
});

/** A restoration route's schema: a county's restorable mining land, filtered by the query. */
export const restorationSchema = <Q extends TSchema, A extends TSchema>(summary: string, description: string, querystring: Q, answer: A) => ({
  tags: ['restoration'],
  summary,
  description,
  params: CountyParams,
  querystring,
  response: { 200: answer, 400: ProblemSchema, 422: ProblemSchema },
});
