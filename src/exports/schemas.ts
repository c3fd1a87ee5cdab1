import { Type, type Static } from '@fastify/type-provider-typebox';
import { CountyCode, Nullable, ProblemSchema, Year } from '../http/schemas.js';

export const ExportBody = Type.Object({
  county: CountyCode(),
  year: Year({ description: '导出的地类图斑年份' }),
  layer: Type.Union([Type.Literal('dltb'), Type.Literal('ldxb'), Type.Literal('reserve')], { description: 'dltb 更新后的地类图斑；ldxb 一张图小班；reserve 补充林地储备库地块' }),
  format: Type.Union([Type.Literal('shapefile'), Type.Literal('gpkg'), Type.Literal('filegdb'), Type.Literal('geojson'), Type.Literal('flatgeobuf')]),
  crs: Type.Optional(Type.Union([Type.Literal('4490'), Type.Literal('zone'), Type.Literal('zone-prefixed')], { description: '4490经纬度；zone 不带带号的高斯-克吕格；zone-prefixed 带带号，默认' })),
  parcels: Type.Optional(Type.String({ description: '应用哪些地块：程序状态（默认changed，即已完成地类变更的地块及之后状态），或candidates（全部候选地块，规划预览）' })),
});


export const ExportJobView = Type.Object({
  id: Type.String(),
  countyCode: Type.String(),
  surveyYear: Type.Integer(),
  layer: Type.String(),
  format: Type.String(),
  formatLabel: Type.String(),
  crs: Type.String({ description: '如EPSG:4527' }),
  parcels: Type.String(),
  state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  stateLabel: Type.String(),
  phase: Nullable(Type.String()),
  phaseLabel: Nullable(Type.String()),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  counts: Nullable(Type.Record(Type.String(), Type.Number(), { description: '要素数、变更图斑数等' })),
  file: Nullable(Type.Object({ name: Type.String(), bytes: Type.Number() })),
  error: Nullable(ProblemSchema),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  /** When the file was deleted after the retention time (ZHANBU_EXPORT_RETENTION_HOURS); a download then answers 410. */
  expiredAt: Nullable(Type.String({ format: 'date-time' })),
  links: Type.Object({ self: Type.String(), download: Type.String() }),
});
export type ExportJobViewT = Static<typeof ExportJobView>;
