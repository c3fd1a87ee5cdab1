import { Type, type Static } from '@fastify/type-provider-typebox';
import { CountyCode, ProblemSchema, SourceCrsView, SourceEncodingView, Year } from '../http/schemas.js';

export const LayerKindSchema = Type.Union([Type.Literal('dltb'), Type.Literal('ldxb'), Type.Literal('xzq')], {
  description: 'dltb 三调地类图斑；ldxb 森林资源一张图小班；xzq 行政区',
});

/** Multipart form fields of an import upload: documents the form for OpenAPI and validates it (http/multipart-upload.ts formValidator). */
export const ImportForm = Type.Object({
  file: Type.String({ format: 'binary', description: '压缩的Shapefile（.zip）、压缩的.gdb、GeoPackage、GeoJSON或FlatGeobuf' }),
  layer: LayerKindSchema,
  county: Type.String({ pattern: '^\\d{6}$', description: '县级行政区代码，如361123' }),
  year: Type.Integer({ minimum: 1990, maximum: 2100, description: '调查年份（基础调查2019，年度变更调查各年）' }),
  layerName: Type.Optional(Type.String({ description: '容器（gdb、gpkg）或压缩包中的图层名，默认DLTB/LDXB/XZQ' })),
  encoding: Type.Optional(Type.String({ description: '强制指定DBF编码（如GBK、UTF-8），优先于.cpg和语言标识' })),
  onRejects: Type.Optional(Type.Union([Type.Literal('refuse'), Type.Literal('keep')], { description: '有要素未通过检查时：refuse拒绝整个导入（默认），keep只导入通过的要素' })),
  repairGeometry: Type.Optional(Type.Boolean({ description: '修复无效几何并报告面积变化（默认否：无效几何作为拒绝要素）' })),
  replace: Type.Optional(Type.Boolean({ description: '替换该县该年份已有的图层' })),
  dropZ: Type.Optional(Type.Boolean({ description: '丢弃Z/M值（默认否：带Z的图层被拒绝）' })),
});

/**
 * The options an import ran with (repository ImportOptions), as the upload form gave them with the
 * defaults filled in. Optional because the stored record (jsonb, default {}) may hold fewer.
 */
const ImportOptionsView = Type.Partial(Type.Pick(ImportForm, ['layerName', 'encoding', 'onRejects', 'repairGeometry', 'replace', 'dropZ']), {
  description: '导入选项（表单所填，含默认值）',
});

export const ImportJobView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  layer: LayerKindSchema,
  layerLabel: Type.String(),
  countyCode: Type.String(),
  surveyYear: Type.Integer(),
  state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('refused'), Type.Literal('failed')]),
  stateLabel: Type.String(),
  phase: Type.Union([Type.String(), Type.Null()]),
  phaseLabel: Type.Union([Type.String(), Type.Null()]),
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  current: Type.Boolean({ description: '是否为该县该年份当前生效的图层' }),
  duplicate: Type.Optional(Type.Boolean({ description: '同一文件（内容哈希相同）已导入，未新建任何数据' })),
  source: Type.Object({
    name: Type.String(),
    format: Type.Union([Type.String(), Type.Null()]),
    layer: Type.Union([Type.String(), Type.Null()]),
    bytes: Type.Union([Type.Integer(), Type.Null()]),
    sha256: Type.String(),
  }),
  crs: Type.Union([SourceCrsView, Type.Null()]),
  encoding: Type.Union([SourceEncodingView, Type.Null()]),
  options: ImportOptionsView,
  counts: Type.Object({
    features: Type.Union([Type.Integer(), Type.Null()]),
    imported: Type.Union([Type.Integer(), Type.Null()]),
    rejected: Type.Union([Type.Integer(), Type.Null()]),
    repaired: Type.Union([Type.Integer(), Type.Null()]),
  }),
  repairedAreaChangeM2: Type.Union([Type.Number(), Type.Null()]),
  timingsMs: Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()]),
  quality: Type.Union([
    Type.Object(
      {
        findings: Type.Record(Type.String(), Type.Integer(), { description: '各质检规则的问题数（规则见/imports/{id}/quality）' }),
        total: Type.Integer(),
        xzq: Type.Boolean({ description: '是否有同年县级行政区XZQ可供检查缝隙与面积汇总' }),
      },
      { description: '图层质检（仅地类图斑）：只提示，不拒绝导入' },
    ),
    Type.Null(),
  ]),
  replaces: Type.Union([Type.String(), Type.Null()]),
  supersededBy: Type.Union([Type.String(), Type.Null()]),
  error: Type.Union([ProblemSchema, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  links: Type.Object({ self: Type.String(), rejects: Type.String(), repairs: Type.String(), quality: Type.String() }),
});
export type ImportJobViewT = Static<typeof ImportJobView>;

export const RejectView = Type.Object({
  fid: Type.Integer(),
  bsm: Type.Union([Type.String(), Type.Null()]),
  reasons: Type.Array(
    Type.Object(
      {
        code: Type.String({ description: '拒绝原因代码，如field-missing、geometry-invalid' }),
        field: Type.Union([Type.String(), Type.Null()], { description: '所涉字段（几何问题为null）' }),
        value: Type.Union([Type.String(), Type.Null()], { description: '字段原值（文本），几何无效时为问题位置（WKT）' }),
        message: Type.String(),
      },
      { description: '未通过的检查（imports/validation-sql.ts、repair-guard.ts）' },
    ),
  ),
});

export const Paging = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
  offset: Type.Integer({ minimum: 0, maximum: 2147483647, default: 0 }),
});

export const ImportListQuery = Type.Intersect([
  Type.Object({
    county: Type.Optional(CountyCode()),
    layer: Type.Optional(Type.String()),
    year: Type.Optional(Year()),
    state: Type.Optional(Type.String()),
  }),
  Paging,
]);
export type ImportListQueryT = Static<typeof ImportListQuery>;

export const ImportList = Type.Object({ items: Type.Array(ImportJobView) });

export const RejectList = Type.Object({ total: Type.Integer(), items: Type.Array(RejectView) });
export type RejectListT = Static<typeof RejectList>;

export const RepairView = Type.Object({
  fid: Type.Integer(),
  bsm: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  areaBeforeM2: Type.Union([Type.Number(), Type.Null()]),
  areaAfterM2: Type.Union([Type.Number(), Type.Null()]),
});

export const RepairList = Type.Object({
  total: Type.Integer(),
  areaChangeM2: Type.Union([Type.Number(), Type.Null()]),
  items: Type.Array(RepairView),
});
export type RepairListT = Static<typeof RepairList>;

export const QualityQuery = Type.Intersect([
  Type.Object({
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('geojson'), Type.Literal('xlsx')], { description: 'json（分页，默认）、geojson（问题位置，EPSG:4490）或xlsx' }),
    ),
  }),
  Paging,
]);

const Num = (description: string) => Type.Number({ description });
const NullableNum = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

/** The figures of a finding, by rule (imports/quality-repository.ts): each rule fills its own. */
const QualityFigures = Type.Object(
  {
    tbmj: Type.Optional(Num('图斑面积TBMJ（kcmj、tbdlmj、tbmj-area）')),
    kcxs: Type.Optional(NullableNum('扣除系数KCXS（kcmj）')),
    kcmj: Type.Optional(NullableNum('扣除地类面积KCMJ（kcmj、tbdlmj）')),
    tbdlmj: Type.Optional(NullableNum('图斑地类面积TBDLMJ（tbdlmj）')),
    expected: Type.Optional(Num('按公式应为（kcmj、tbdlmj）')),
    bsm: Type.Optional(Type.String({ description: '重复的标识码（bsm-duplicate）' })),
    zldwdm: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: '坐落单位代码（tbbh-duplicate）' })),
    tbbh: Type.Optional(Type.String({ description: '重复的图斑编号（tbbh-duplicate）' })),
    count: Type.Optional(Type.Integer({ description: '重复的图斑数（bsm-duplicate、tbbh-duplicate）或图斑总数（tbmj-total）' })),
    areaM2: Type.Optional(Num('重叠或缝隙的椭球面积，平方米（overlap、gap）')),
    xzqdm: Type.Optional(Type.String({ description: '行政区代码（xzq-sum）' })),
    tbmjSum: Type.Optional(Num('图斑面积合计（xzq-sum、tbmj-total）')),
    dcmj: Type.Optional(Num('行政区调查面积DCMJ（xzq-sum）')),
    officialM2: Type.Optional(Num('椭球面积（tbmj-area）')),
    officialSum: Type.Optional(Num('椭球面积合计（tbmj-total）')),
    differenceM2: Type.Optional(Num('差值，平方米（xzq-sum、tbmj-area、tbmj-total）')),
    toleranceM2: Type.Optional(Num('容差，平方米（tbmj-total）')),
  },
  { description: '问题的数据，各规则不同（括号内为所属规则）' },
);

export const QualityFindingView = Type.Object({
  seq: Type.Integer(),
  rule: Type.String(),
  ruleLabel: Type.String(),
  fids: Type.Union([Type.Array(Type.Integer()), Type.Null()]),
  bsms: Type.Union([Type.Array(Type.Union([Type.String(), Type.Null()])), Type.Null()]),
  message: Type.String(),
  figures: Type.Union([QualityFigures, Type.Null()]),
});
export type QualityFindingViewT = Static<typeof QualityFindingView>;

export const QualityReport = Type.Object({
  importId: Type.String(),
  summary: Type.Union([
    Type.Object({ findings: Type.Record(Type.String(), Type.Integer()), total: Type.Integer(), xzq: Type.Boolean() }),
    Type.Null(),
  ]),
  rules: Type.Array(Type.Object({ code: Type.String(), label: Type.String(), basis: Type.String() })),
  items: Type.Array(QualityFindingView),
});
export type QualityReportT = Static<typeof QualityReport>;
