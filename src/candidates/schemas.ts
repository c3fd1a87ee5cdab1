import { Type, type Static } from '@fastify/type-provider-typebox';
import { GeoJsonFeature, GeoJsonFeatureCollection } from '../http/geojson-schemas.js';
import { CheckThresholdsSchema } from '../check-parameters/schemas.js';
import { Nullable, SourceCrsView, SourceEncodingView, TownshipCode, Uuid, Year } from '../http/schemas.js';

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

export const ReportQuery = Type.Object({
  run: Type.Optional(Uuid({ description: '检查记录编号，默认最新' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('geojson'), Type.Literal('xlsx')], { description: 'json（默认）、geojson（地块与问题几何）或xlsx（表格，中文表头）' })),
});
export type ReportQueryT = Static<typeof ReportQuery>;

/** Free-form by nature: the description says what it holds and why it has no fixed shape. */
const Open = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

/**
 * What a run used (domain/checks/parameters CheckParameters): the thresholds in force and the survey
 * years asked for. The service records every threshold; all optional because a stored run (jsonb) may hold less.
 */
const RunParametersView = Type.Object(
  {
    ...Type.Partial(CheckThresholdsSchema).properties,
    baseYear: Type.Optional(Type.Integer({ description: '指定的基础调查年份（来源检查）' })),
    latestYear: Type.Optional(Type.Integer({ description: '指定的现状年份（现状林地与权属检查）' })),
    changeYear: Type.Optional(Type.Integer({ description: '指定的变更调查年份（地类变更检查）' })),
  },
  { description: '本次检查所用阈值（检查参数版本）与指定的调查年份' },
);

/** A survey layer version a run read (checks-repository LayerVersion). */
const LayerVersionRef = Type.Object({
  year: Type.Integer(),
  importId: Type.String({ format: 'uuid' }),
  importedAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: '导入完成时间（0015之前的检查记录无此项）' })),
});

/**
 * The survey layer versions a run read (candidates/checks.ts runChecks; dltbSource since migration
 * 0015). The service records them all; optional because a stored run (jsonb) may hold less.
 */
const RunLayersView = Type.Object(
  {
    dltbBase: Type.Optional(LayerVersionRef),
    dltbLatest: Type.Optional(LayerVersionRef),
    dltbSource: Type.Optional(Type.Array(LayerVersionRef, { description: '来源检查读取的基础调查与各年度变更调查（0015之前的检查记录无此项）' })),
    ldxbLatest: Type.Optional(Nullable(LayerVersionRef)),
    xzq: Type.Optional(Nullable(LayerVersionRef)),
    dltbChange: Type.Optional(Nullable(LayerVersionRef)),
    ldxbChange: Type.Optional(Nullable(LayerVersionRef)),
  },
  { description: '本次检查读取的调查图层版本' },
);

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
  crs: SourceCrsView,
  encoding: Nullable(SourceEncodingView),
  parcelCount: Type.Integer(),
  warnings: Type.Array(Type.Object({ code: Type.String({ description: 'z-m-dropped 已丢弃Z/M值；crs-inferred 坐标系为推断' }), message: Type.String() }), {
    description: '上传时的提示',
  }),
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
  attributes: Nullable(Open('上传文件中的全部属性：字段由上传者的文件决定')),
  srcSrid: Type.Integer(),
  links: Type.Object({ report: Type.String() }),
});
export type ParcelViewT = Static<typeof ParcelView>;

export const UploadDetailView = Type.Intersect([UploadView, Type.Object({ parcels: Type.Array(ParcelView) })]);

export const CheckRunSummaryView = Type.Object({
  id: Type.String(),
  checkedAt: Type.String({ format: 'date-time' }),
  parameters: RunParametersView,
  parameterSetVersion: Nullable(Type.Integer()),
  layers: RunLayersView,
  links: Type.Object({ report: Type.String() }),
});
export const CheckRunList = Type.Object({ items: Type.Array(CheckRunSummaryView) });

export const CheckView = Type.Object({
  code: Type.String(),
  label: Type.String(),
  status: Type.String(),
  statusLabel: Type.String(),
  message: Type.String(),
  // Each of the eight checks reports its own figures (candidates/checks.ts): open by design.
  figures: Open('检查的数据（面积、比例、图斑等），各项检查不同，见candidates/checks.ts'),
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
    parameters: RunParametersView,
    parameterSetVersion: Nullable(Type.Integer()),
    layers: RunLayersView,
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
          // A problem feature also carries what its check says of it (problem, reason, part, township…): GeoJSON properties, open.
          { additionalProperties: true, description: '地块或问题的属性；问题几何另带所属检查给出的属性（problem、reason、part等）' },
        ),
      ),
    ),
  },
  { description: 'GeoJSON检查报告（EPSG:4490）' },
);

export type ReportGeoJsonT = Static<typeof ReportGeoJson>;

/** One answer schema for both formats of a report (JSON or GeoJSON, chosen by ?format). */
export const ReportAnswer = Type.Union([ReportView, ReportGeoJson]);
