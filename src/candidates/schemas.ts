import { Type, type Static } from '@fastify/type-provider-typebox';
import { GeoJsonFeature, GeoJsonFeatureCollection } from '../http/geojson-schemas.js';
import { TownshipCode, Uuid, Year } from '../http/schemas.js';

/** Multipart form of a candidate upload: documents the form for OpenAPI and validates it (http/multipart-upload.ts formValidator). */
export const UploadForm = Type.Object({
  file: Type.String({ format: 'binary', description: '压缩的Shapefile、GeoJSON、GeoPackage或压缩的.gdb' }),
  county: Type.String({ pattern: '^\\d{6}$' }),
  township: Type.Optional(TownshipCode({ description: '乡镇代码（地块未带XZDM字段时使用）' })),
  applicant: Type.Optional(Type.String({ description: '申请单位（地块未带SQDW字段时使用）' })),
  intendedForestClass: Type.Optional(Type.String({ description: '拟补林地地类，如0301（地块未带NBLDL字段时使用）' })),
  layerName: Type.Optional(Type.String()),
  encoding: Type.Optional(Type.String()),
  runChecks: Type.Optional(Type.Boolean({ default: true })),
  changeYear: Type.Optional(Year()),
});

export const CheckRunBody = Type.Object(
  {
    changeYear: Type.Optional(Type.Integer({ minimum: 1990, maximum: 2100, description: '验收时的变更调查年份（地类变更检查）' })),
    baseYear: Type.Optional(Year({ description: '来源检查所用的基础调查年份，默认最早导入的年份' })),
    latestYear: Type.Optional(Year({ description: '现状林地与权属检查所用年份，默认最新导入的年份' })),
  },
  { additionalProperties: false, description: '检查阈值由省级发布的现行检查参数决定（GET /api/v1/check-parameters），不能在此指定' },
);
export type CheckRunBodyT = Static<typeof CheckRunBody>;
export const CHECK_RUN_FIELDS = ['changeYear', 'baseYear', 'latestYear'] as const;

export const ReportQuery = Type.Object({
  run: Type.Optional(Uuid({ description: '检查记录编号，默认最新' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('geojson'), Type.Literal('xlsx')], { description: 'json（默认）、geojson（地块与问题几何）或xlsx（表格，中文表头）' })),
});
export type ReportQueryT = Static<typeof ReportQuery>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Open = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const AreaFiguresSchema = Type.Object({ m2: Type.Number(), mu: Type.Number({ description: '亩' }), hectare: Type.Number({ description: '公顷' }) });

const StatusCounts = Type.Object({ pass: Type.Integer(), warn: Type.Integer(), fail: Type.Integer(), 'not-run': Type.Integer() });

export const UploadSummaryView = Type.Object({
  parcels: Type.Integer(),
  byStatus: StatusCounts,
  byCheck: Type.Record(Type.String(), StatusCounts, { description: '每项检查的结果计数' }),
  area: Type.Object({ total: AreaFiguresSchema, passed: AreaFiguresSchema, warned: AreaFiguresSchema, failed: AreaFiguresSchema }),
});

export const UploadView = Type.Object({
  id: Type.String(),
  countyCode: Type.String(),
  townshipCode: Nullable(Type.String()),
  applicant: Nullable(Type.String()),
  intendedForestClass: Nullable(Type.String()),
  source: Type.Object({ name: Type.String(), format: Type.String(), layer: Nullable(Type.String()), bytes: Type.Number(), sha256: Type.String() }),
  crs: Open('源坐标系及其判定方式'),
  encoding: Nullable(Open('属性编码及其判定方式')),
  parcelCount: Type.Integer(),
  warnings: Type.Array(Type.Object({ code: Type.String(), message: Type.String() }, { additionalProperties: true })),
  createdAt: Type.String({ format: 'date-time' }),
  links: Type.Object({ self: Type.String(), report: Type.String(), geojson: Type.String(), checkRuns: Type.String() }),
});
export type UploadViewT = Static<typeof UploadView>;

export const UploadCreatedView = Type.Intersect([
  UploadView,
  Type.Object({
    duplicate: Type.Boolean({ description: '同一范围已上传过同一文件：返回原批次，未新建地块' }),
    summary: Nullable(UploadSummaryView),
  }),
]);

/** Where and by whom a parcel was filed (XZDM, SQDW, or the upload's fields). */
const Filing = { townshipCode: Nullable(Type.String()), applicant: Nullable(Type.String()) };

export const ParcelView = Type.Object({
  id: Type.String(),
  fid: Type.Integer(),
  parcelNo: Type.String(),
  ...Filing,
  declaredAreaM2: Nullable(Type.Number()),
  intendedForestClass: Nullable(Type.String()),
  attributes: Nullable(Open('上传文件中的全部属性')),
  srcSrid: Type.Integer(),
  links: Type.Object({ report: Type.String() }),
});
export type ParcelViewT = Static<typeof ParcelView>;

export const UploadDetailView = Type.Intersect([UploadView, Type.Object({ parcels: Type.Array(ParcelView) })]);

export const CheckRunSummaryView = Type.Object({
  id: Type.String(),
  checkedAt: Type.String({ format: 'date-time' }),
  parameters: Open('本次检查所用阈值与年份'),
  parameterSetVersion: Nullable(Type.Integer()),
  layers: Open('本次检查读取的调查图层版本'),
  links: Type.Object({ report: Type.String() }),
});
export const CheckRunList = Type.Object({ items: Type.Array(CheckRunSummaryView) });

export const CheckView = Type.Object({
  code: Type.String(),
  label: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  message: Type.String(),
  // Each check reports its own figures: open by design.
  figures: Open('检查的数据（面积、比例、图斑等），各项检查不同'),
  problems: Nullable(GeoJsonFeatureCollection),
});

export const ParcelReportView = Type.Object({
  parcelId: Type.String(),
  parcelNo: Type.String(),
  fid: Type.Integer(),
  ...Filing,
  status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail'), Type.Literal('not-run')]),
  areaOfRecord: Nullable(AreaFiguresSchema),
  checks: Type.Array(CheckView),
});

export const ReportView = Type.Object({
  run: Type.Object({
    id: Type.String(),
    checkedAt: Type.String({ format: 'date-time' }),
    parameters: Open('本次检查所用阈值与年份'),
    parameterSetVersion: Nullable(Type.Integer()),
    layers: Open('本次检查读取的调查图层版本'),
    runBy: Nullable(Type.String()),
  }),
  summary: UploadSummaryView,
  parcels: Type.Array(ParcelReportView),
});

/** format=geojson: each parcel (kind=parcel) with its overall status, then each problem geometry (kind=problem). */
export const ReportGeoJson = Type.Object(
  {
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(
      GeoJsonFeature(
        Type.Object(
          {
            kind: Type.Union([Type.Literal('parcel'), Type.Literal('problem')]),
            parcelId: Type.String(),
            DKBH: Type.String(),
            status: Type.String(),
            statusLabel: Type.Optional(Type.String()),
            areaM2: Type.Optional(Nullable(Type.Number())),
            areaMu: Type.Optional(Nullable(Type.Number())),
            failed: Type.Optional(Type.Array(Type.String(), { description: '未通过的检查' })),
            runId: Type.Optional(Type.String()),
            checkedAt: Type.Optional(Type.String({ format: 'date-time' })),
            message: Type.Optional(Type.String({ description: '问题几何：所属检查的结论' })),
            check: Type.Optional(Type.String({ description: '问题几何：检查代码' })),
            checkLabel: Type.Optional(Type.String()),
          },
          { additionalProperties: true },
        ),
      ),
    ),
  },
  { description: 'GeoJSON检查报告（EPSG:4490）' },
);

export type ReportGeoJsonT = Static<typeof ReportGeoJson>;

/** One answer schema for both formats of a report (JSON or GeoJSON, chosen by ?format). */
export const ReportAnswer = Type.Union([ReportView, ReportGeoJson]);
