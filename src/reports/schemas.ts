import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { CountyYearParams, DateText, IsoDate, Nullable, ProblemSchema, SubmittedReport, Timestamp, TownshipCode, Uuid, Year } from '../http/schemas.js';
import { InspectionOutcomeCounts, QuotaAreaView } from '../quota/schemas.js';
import { VerificationOverrideView } from '../procedure/schemas.js';
import { TableFormatQuery, tableRoute } from '../http/tabular-schemas.js';


// ---------------------------------------------------------------- requests

const CityYearParams = Type.Object({ city: Type.String({ pattern: '^\\d{4}00$', description: '设区市代码，如361100' }), year: Year({ minimum: 2019 }) });
const YearParams = Type.Object({ year: Year({ minimum: 2019 }) });

const AreaInput = Type.Object(
  {
    unit: Type.Union([Type.Literal('m2'), Type.Literal('mu'), Type.Literal('hectare')], { description: 'm2 平方米（≤2位小数）、mu 亩或 hectare 公顷（≤6位小数）' }),
    value: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1e10 }), Type.String({ pattern: '^\\d{1,10}(\\.\\d+)?$', maxLength: 40 })]),
  },
  { additionalProperties: false },
);

const ArrangementBody = Type.Object({
  arrangedOn: Type.Optional(IsoDate('编制日期，默认今天')),
  notes: Type.Optional(Type.String({ maxLength: 4000 })),
  projects: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 500, description: '拟使用林地的项目' }),
      township: Type.Optional(TownshipCode()),
      area: AreaInput,
      quotaSource: Type.Optional(Type.Union([Type.Literal('county'), Type.Literal('pool')], { description: 'county 本县新增定额（默认），pool 申请省级统筹' })),
      note: Type.Optional(Type.String({ maxLength: 2000 })),
    }),
    { maxItems: 1000 },
  ),
  supplementary: Type.Array(
    Type.Object({
      name: Type.String({ minLength: 1, maxLength: 500, description: '补充林地' }),
      kind: Type.Union([Type.Literal('reserve'), Type.Literal('restoration')], { description: 'reserve 储备库地块（列出地块，取椭球面积），restoration 拟修复（填写面积）' }),
      township: Type.Optional(TownshipCode()),
      area: Type.Optional(AreaInput),
      parcelIds: Type.Optional(Type.Array(Uuid(), { maxItems: 10000 })),
      note: Type.Optional(Type.String({ maxLength: 2000 })),
    }),
    { maxItems: 1000 },
  ),
});
const SubmitBody = Type.Optional(Type.Object({ submittedOn: Type.Optional(IsoDate('上报日期')) }));

// ---------------------------------------------------------------- answers


const Area = QuotaAreaView;

const Arrangement = Type.Object({
  countyCode: Type.String(),
  year: Type.Integer(),
  version: Type.Integer({ description: '第几版（修订后以最新版为准）' }),
  dueOn: DateText,
  arrangedOn: DateText,
  late: Type.Boolean(),
  notes: Nullable(Type.String()),
  arrangedAt: Timestamp,
  projects: Type.Array(
    Type.Object({
      name: Type.String(),
      townshipCode: Nullable(Type.String()),
      quotaSource: Type.Union([Type.Literal('county'), Type.Literal('pool')]),
      quotaSourceLabel: Type.String(),
      area: Area,
      note: Nullable(Type.String()),
    }),
  ),
  supplementary: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: Type.Union([Type.Literal('reserve'), Type.Literal('restoration')]),
      kindLabel: Type.String(),
      townshipCode: Nullable(Type.String()),
      area: Area,
      parcelIds: Type.Array(Type.String()),
      parcels: Type.Array(
        Type.Object({
          id: Type.String({ format: 'uuid' }),
          parcelNo: Type.String(),
          state: Type.String(),
          stateLabel: Type.String(),
          verificationOverride: Nullable(VerificationOverrideView),
        }),
        { description: '储备库地块（当前状态；核实时经县级人民政府批准越过的检查项）' },
      ),
      note: Nullable(Type.String()),
    }),
  ),
  figures: Type.Object({
    available: Type.Object({ ...Area.properties }, { description: '本年度可用新增定额（本年度及以前年度县级结余）' }),
    debt: Type.Object({ ...Area.properties }, { description: '待下次下达抵扣的核查欠扣' }),
    plannedCounty: Type.Object({ ...Area.properties }, { description: '拟使用本县定额' }),
    plannedPool: Type.Object({ ...Area.properties }, { description: '拟申请省级统筹' }),
    surplus: Type.Object({ ...Area.properties }, { description: '可用定额减拟使用本县定额' }),
    withinQuota: Type.Boolean({ description: '拟使用本县定额不超过可用定额' }),
    supplementReserve: Area,
    supplementRestoration: Area,
  }),
});
export type ArrangementT = Static<typeof Arrangement>;

const InspectionCounts = Type.Object({
  ...InspectionOutcomeCounts,
  loss: Type.Object({ ...Area.properties }, { description: '认定的损失（扣减，含欠扣）' }),
});

/** A county's year: the reserve of the year, its quota account of the year, its inspections. */
const CountyYear = Type.Object({
  countyCode: Type.String(),
  cityCode: Type.String(),
  reserve: Type.Object({ parcels: Type.Integer(), countyReserve: Area, provincialReserve: Area }),
  quota: Type.Object({ issued: Area, allocatedIn: Area, drawn: Area, deducted: Area, lapsed: Area, balance: Area }),
  inspections: InspectionCounts,
  debt: Type.Object({ ...Area.properties }, { description: '未抵扣的欠扣' }),
});
export type CountyYearT = Static<typeof CountyYear>;

const CityReport = Type.Object({
  cityCode: Type.String(),
  year: Type.Integer(),
  dueOn: DateText,
  submission: Nullable(Type.Object({ submittedOn: DateText, late: Type.Boolean(), submittedAt: Timestamp })),
  counties: Type.Array(
    Type.Object({
      ...CountyYear.properties,
      summary: Nullable(Type.Object({ submittedOn: DateText, late: Type.Boolean() }, { description: '县级年度试点工作总结（1月初）' })),
      arrangement: Nullable(
        Type.Object(
          { year: Type.Integer(), version: Type.Integer(), arrangedOn: DateText, plannedCounty: Area, plannedPool: Area, supplement: Area },
          { description: '下一年度使用林地统筹安排' },
        ),
      ),
    }),
  ),
  total: CountyYear,
  arrangementTotal: Type.Object({ plannedCounty: Area, plannedPool: Area, supplement: Area }, { description: '各县下一年度统筹安排合计' }),
});
export type CityReportT = Static<typeof CityReport>;

const CityReportSubmitted = SubmittedReport('cityCode', CityReport);

const Audit = Type.Object({
  countyCode: Type.String(),
  level: Type.Union([Type.Literal('city'), Type.Literal('province')]),
  levelLabel: Type.String(),
  reserveYear: Type.Integer(),
  submissionState: Type.String(),
  submissionStateLabel: Type.String(),
  population: Area,
  sampled: Area,
  sharePct: Type.Number({ description: '抽查面积占比（%，2位小数）' }),
  samples: Type.Integer(),
  failed: Type.Integer(),
  failedArea: Area,
  completed: Type.Boolean(),
});

const Evaluation = Type.Object({
  scope: Type.String(),
  year: Type.Integer(),
  generatedAt: Timestamp,
  counties: Type.Array(Type.Object({ ...CountyYear.properties, audits: Type.Array(Audit) })),
  total: CountyYear,
  inspections: Type.Array(
    Type.Object({
      countyCode: Type.String(),
      parcelNo: Type.String(),
      inspectedOn: DateText,
      outcome: Type.String(),
      outcomeLabel: Type.String(),
      effect: Type.String(),
      area: Area,
      affected: Area,
      loss: Area,
      debt: Area,
      rectifyBy: Nullable(DateText),
      findings: Nullable(Type.String()),
      verificationOverride: Nullable(VerificationOverrideView),
    }),
  ),
});
export type EvaluationT = Static<typeof Evaluation>;

// ---------------------------------------------------------------- routes

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };
const tags = ['reports'];

const tabularRoute = <P extends TSchema, T extends TSchema>(summary: string, params: P, table: T) => tableRoute(tags, summary, { params, querystring: TableFormatQuery }, table);

export const ArrangeRoute = {
  tags,
  summary: '编制（修订）年度使用林地统筹安排：对本年度拟使用林地的项目、面积和补充林地作出统筹安排',
  params: CountyYearParams({ minimum: 2019 }),
  body: ArrangementBody,
  response: { 201: Arrangement, ...problems },
};
export const ArrangementRoute = tabularRoute('县级年度使用林地统筹安排（最新版），JSON/CSV/XLSX', CountyYearParams({ minimum: 2019 }), Arrangement);
export const CityReportRoute = tabularRoute('设区市年度试点工作报告（梳理汇总各县，2月初报省级），JSON/CSV/XLSX', CityYearParams, CityReport);
export const SubmitCityReportRoute = {
  tags,
  summary: '设区市上报年度试点工作报告（截止次年2月10日，逾期标记；上报时冻结快照）',
  params: CityYearParams,
  body: SubmitBody,
  response: { 201: CityReportSubmitted, ...problems },
};
export const EvaluationRoute = tabularRoute(
  '试点评估报告（核查考评）：各县储备、抽查、年度核查、扣减与欠扣、定额，JSON/CSV/XLSX',
  YearParams,
  Evaluation,
);
