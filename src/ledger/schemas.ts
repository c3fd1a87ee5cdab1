import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { CountyCode, CountyParams, CountyYearParams, DateText, IdParams, IsoDate, Nullable, ProblemSchema, SafeInteger, SubmittedReport, Timestamp, Uuid, Year } from '../http/schemas.js';
import { GeoJsonFeature } from '../http/geojson-schemas.js';
import { DrawView, InspectionOutcomeCounts, PilotPeriodView, QuotaAreaView } from '../quota/schemas.js';
import { TableFormatQuery, tableRoute } from '../http/tabular-schemas.js';
import { DocumentView, PriorRestorationView, VerificationOverrideView } from '../procedure/schemas.js';


// ---------------------------------------------------------------- requests

const FormatQuery = TableFormatQuery;
const ProvinceQuery = Type.Object({ quotaYear: Type.Optional(Year()), format: TableFormatQuery.properties.format });
const SubmitBody = Type.Optional(Type.Object({ submittedOn: Type.Optional(IsoDate('上报日期')) }));

const AuditQuery = Type.Object({
  parcelId: Type.Optional(Uuid()),
  county: Type.Optional(CountyCode()),
  table: Type.Optional(Type.String({ maxLength: 100 })),
  after: Type.Optional(SafeInteger({ minimum: 0 })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
});
const ParcelAuditQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000 }) });

// ---------------------------------------------------------------- answers

/** One ledger line: a county's reserve of year N and its quota account for year N+1. */
const LedgerLine = Type.Object({
  countyCode: Type.String(),
  cityCode: Type.String(),
  // A summary over every year (a county ledger's total, the province summary without quotaYear) has no single year.
  reserveYear: Nullable(Type.Integer({ description: '储备年度（N）；全部年度合计时为null' })),
  quotaYear: Nullable(Type.Integer({ description: '定额年度（N+1）；全部年度合计时为null' })),
  reserveParcels: Type.Integer(),
  countyReserve: QuotaAreaView,
  provincialReserve: QuotaAreaView,
  issuedBasis: QuotaAreaView,
  issued: QuotaAreaView,
  pooled: QuotaAreaView,
  allocatedIn: QuotaAreaView,
  allocatedOut: QuotaAreaView,
  drawn: QuotaAreaView,
  deducted: QuotaAreaView,
  lapsed: QuotaAreaView,
  balance: QuotaAreaView,
  poolBalance: QuotaAreaView,
  overdrawn: Type.Boolean(),
});
export type LedgerLineT = Static<typeof LedgerLine>;

const EntryKind = Type.Union(
  [
    Type.Literal('issued'),
    Type.Literal('pooled'),
    Type.Literal('allocated-in'),
    Type.Literal('allocated-out'),
    Type.Literal('drawn'),
    Type.Literal('deducted'),
    Type.Literal('lapsed'),
  ],
  { description: '下达、纳入统筹、统筹调入、统筹调出、使用、核查扣减、作废' },
);

const CountyLedger = Type.Object({
  countyCode: Type.String(),
  pilotPeriod: PilotPeriodView,
  generatedAt: Timestamp,
  rounding: Type.String(),
  lines: Type.Array(LedgerLine),
  total: LedgerLine,
  entries: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: Timestamp,
      account: Type.Union([Type.Literal('county'), Type.Literal('pool')]),
      quotaYear: Type.Integer(),
      kind: EntryKind,
      kindLabel: Type.String(),
      amount: QuotaAreaView,
      reserveYear: Nullable(Type.Integer()),
      issuanceId: Nullable(Type.String()),
      drawId: Nullable(Type.String()),
      inspectionId: Nullable(Type.String()),
      allocationId: Nullable(Type.String()),
      lapseId: Nullable(Type.String()),
      counterpartyCounty: Nullable(Type.String()),
      reference: Nullable(Type.String({ description: '依据（下达批次、项目、核查、统筹、作废）' })),
      note: Nullable(Type.String()),
      actor: Type.String(),
    }),
  ),
  parcels: Type.Array(
    Type.Object({
      id: Type.String(),
      parcelNo: Type.String(),
      townshipCode: Nullable(Type.String()),
      state: Type.String(),
      stateLabel: Type.String(),
      reserveYear: Nullable(Type.Integer()),
      area: Nullable(QuotaAreaView),
      issuanceId: Nullable(Type.String()),
      issuanceBatch: Nullable(Type.Integer()),
      quotaYear: Nullable(Type.Integer()),
      verificationOverride: Nullable(VerificationOverrideView),
      priorRestoration: Nullable(PriorRestorationView),
      otherRightsHolders: Type.Array(
        Type.Object({ kind: Type.String(), kindLabel: Type.String(), code: Type.String(), name: Type.String(), document: Nullable(DocumentView) }),
        { description: '权属单位以外的相关权利人：土地承包经营权人、使用权人、采矿权人（县级增补）' },
      ),
    }),
  ),
});
export type CountyLedgerT = Static<typeof CountyLedger>;

const ProvinceSummary = Type.Object({
  scope: Type.String({ description: '管辖范围代码' }),
  quotaYear: Nullable(Type.Integer()),
  pilotPeriod: PilotPeriodView,
  generatedAt: Timestamp,
  rounding: Type.String(),
  counties: Type.Array(LedgerLine),
  cities: Type.Array(LedgerLine),
  total: LedgerLine,
});
export type ProvinceSummaryT = Static<typeof ProvinceSummary>;

const Counted = { parcels: Type.Integer(), area: QuotaAreaView };

const AnnualSummary = Type.Object({
  countyCode: Type.String(),
  year: Type.Integer(),
  dueOn: DateText,
  submission: Nullable(Type.Object({ submittedOn: DateText, dueOn: DateText, late: Type.Boolean(), submittedAt: Timestamp })),
  pilotPeriod: PilotPeriodView,
  procedure: Type.Object({
    actions: Type.Array(Type.Object({ action: Type.String(), actionLabel: Type.String(), ...Counted })),
    states: Type.Array(Type.Object({ state: Type.String(), stateLabel: Type.String(), ...Counted })),
  }),
  reserve: Type.Object({
    reserveYear: Type.Integer(),
    parcels: Type.Integer(),
    countyReserve: QuotaAreaView,
    provincialReserve: QuotaAreaView,
    submissions: Type.Array(
      Type.Object({
        id: Type.String({ format: 'uuid' }),
        reserveYear: Type.Integer(),
        submittedOn: DateText,
        dueOn: DateText,
        late: Type.Boolean(),
        state: Type.String(),
        stateLabel: Type.String(),
        approvedOn: Nullable(DateText),
        returned: Nullable(Type.Object({ returnedOn: DateText, reason: Type.String() }, { description: '抽查有不合格地块，退回县级（核查无误后报省级）' })),
        failedParcels: Type.Array(
          Type.Object({
            parcelId: Type.String({ format: 'uuid' }),
            parcelNo: Type.String(),
            level: Type.String(),
            levelLabel: Type.String(),
            reason: Nullable(Type.String()),
            inspectedOn: Nullable(DateText),
            area: QuotaAreaView,
            verificationOverride: Nullable(VerificationOverrideView),
          }),
          { description: '抽查不合格（已出库）的地块' },
        ),
        ...Counted,
      }),
      { description: '本年报送或本年退回的储备库报送' },
    ),
  }),
  quota: LedgerLine,
  draws: Type.Array(DrawView),
  inspections: Type.Object({
    ...InspectionOutcomeCounts,
    deducted: Type.Object({ ...QuotaAreaView.properties }, { description: '认定的损失（含转入欠扣的部分）' }),
    debt: Type.Object({ ...QuotaAreaView.properties }, { description: '其中超过当年度结余、转入欠扣的部分' }),
  }),
  idleUses: Type.Array(DrawView),
});
export type AnnualSummaryT = Static<typeof AnnualSummary>;

const AnnualSummarySubmitted = SubmittedReport('countyCode', AnnualSummary);

const ForestStock = Type.Object({
  countyCode: Type.String(),
  surveyForest: Nullable(Type.Object({ year: Type.Integer(), area: Nullable(QuotaAreaView), source: Type.String() })),
  years: Type.Array(
    Type.Object({
      year: Type.Integer(),
      addedByReserve: QuotaAreaView,
      removedFromReserve: QuotaAreaView,
      occupiedByProjects: QuotaAreaView,
      net: QuotaAreaView,
      cumulativeNet: QuotaAreaView,
      balanced: Type.Boolean({ description: '累计净变化不小于0' }),
    }),
  ),
  note: Type.String(),
});
export type ForestStockT = Static<typeof ForestStock>;

/** Row JSON as the audit trigger records it (audit.record_change, migration 0007): its shape is the audited table's, any of them. */
const RowJson = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const AuditLog = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      at: Timestamp,
      actor: Type.Object({ id: Nullable(Type.String()), login: Type.String(), role: Nullable(Type.String()) }),
      countyCode: Nullable(Type.String()),
      table: Type.String(),
      operation: Type.String(),
      rowKey: Nullable(Type.String()),
      parcelId: Nullable(Type.String()),
      data: RowJson('所记录的行（新增、更新后；删除时为删除前），字段即该表的列，各表不同'),
      previous: Nullable(RowJson('更新时改变了的列的原值（新增、删除时为null）')),
    }),
  ),
  next: Nullable(Type.Integer({ description: '下一页：作为after参数传入' })),
});

// ---------------------------------------------------------------- routes (what OpenAPI documents)

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };
const tags = ['ledger'];

const reportRoute = <R extends { params?: TSchema; querystring: TSchema }, J extends TSchema>(summary: string, request: R, json: J, description?: string) =>
  tableRoute(tags, summary, request, json, description);

export const CountyLedgerRoute = reportRoute(
  '县级台账：储备年度、下达、统筹、使用、扣减、作废、结余（亩与公顷），JSON/CSV/XLSX',
  { params: CountyParams, querystring: FormatQuery },
  CountyLedger,
  'XLSX含三张表：台账（按年度）、明细（每笔台账记录及其依据）、地块（储备库地块及下达批次）。CSV为台账表。',
);
export const ProvinceSummaryRoute = reportRoute('全省（或本市）汇总：各县储备、下达、统筹、使用、扣减、作废、结余，JSON/CSV/XLSX', { querystring: ProvinceQuery }, ProvinceSummary);
export const AnnualSummaryRoute = reportRoute('县级年度试点工作总结（次年1月初上报），JSON/CSV/XLSX', { params: CountyYearParams({ minimum: 2019 }), querystring: FormatQuery }, AnnualSummary);
export const ForestStockRoute = reportRoute('林地保有量动态平衡：储备库补充林地与建设项目占用（按年度），JSON/CSV/XLSX', { params: CountyParams, querystring: FormatQuery }, ForestStock);
const submitSummary = '上报年度试点工作总结（截止次年1月10日，逾期标记；上报时冻结快照）';
export const SubmitAnnualSummaryRoute = { tags, summary: submitSummary, params: CountyYearParams({ minimum: 2019 }), body: SubmitBody, response: { 201: AnnualSummarySubmitted, ...problems } };
export const AuditLogRoute = { tags, summary: '审计日志（只增不改）：每一项变更的操作人、时间与内容', querystring: AuditQuery, response: { 200: AuditLog, ...problems } };
export const ParcelAuditLogRoute = { tags: ['procedure'], summary: '一个地块的审计日志', params: IdParams, querystring: ParcelAuditQuery, response: { 200: AuditLog, ...problems } };

const CountyMapQuery = Type.Object({ quotaYear: Type.Optional(Year()) });
const CountyMap = Type.Object({
  type: Type.Literal('FeatureCollection'),
  quotaYear: Nullable(Type.Integer()),
  generatedAt: Timestamp,
  features: Type.Array(
    GeoJsonFeature(
      // The province summary's own figures of the county (a ledger line's), beside its XZQ name.
      Type.Object({
        ...Type.Pick(LedgerLine, ['countyCode']).properties,
        name: Nullable(Type.String({ description: '县级行政区名称（XZQ）' })),
        surveyYear: Nullable(Type.Integer({ description: '轮廓所用XZQ的年份；未导入XZQ时为null（几何为null）' })),
        ...Type.Pick(LedgerLine, ['reserveParcels', 'countyReserve', 'issued', 'drawn', 'balance']).properties,
      }),
    ),
  ),
});
export type CountyMapT = Static<typeof CountyMap>;
export const CountyMapRoute = {
  tags,
  summary: '辖区各县储备与定额地图：各县轮廓（XZQ，约20米简化，EPSG:4490）及储备面积、下达定额、使用、结余',
  querystring: CountyMapQuery,
  response: { 200: CountyMap, ...problems },
};
