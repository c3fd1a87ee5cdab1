import { Type, type Static, type TSchema } from '@fastify/type-provider-typebox';
import { CountyCode, IsoDate, Uuid, Year } from '../http/schemas.js';

// ---------------------------------------------------------------- shared pieces

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const DateText = (description?: string) => Type.String({ format: 'date', ...(description ? { description } : {}) });
const Timestamp = Type.String({ format: 'date-time' });

/** An exact amount (integer µ亩) as people read it: each figure rounded once from the exact value. */
export const QuotaAreaView = Type.Object(
  {
    m2: Type.Number({ description: '平方米（2位小数）' }),
    mu: Type.Number({ description: '亩（4位小数）' }),
    hectare: Type.Number({ description: '公顷（4位小数）' }),
    muExact: Type.String({ description: '精确值（亩，6位小数）' }),
  },
  { description: '面积：由微亩精确值分别四舍五入' },
);

export const PilotPeriodView = Type.Object({ startYear: Type.Integer(), endYear: Type.Integer() });

// ---------------------------------------------------------------- requests

export const CountyParams = Type.Object({ county: CountyCode() });

export const AreaInput = Type.Object(
  {
    unit: Type.Union([Type.Literal('m2'), Type.Literal('mu'), Type.Literal('hectare')], { description: 'm2 平方米（≤2位小数）、mu 亩或 hectare 公顷（≤6位小数）' }),
    // Bounded so the exact µ亩 amount fits a bigint.
    value: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1e10 }), Type.String({ pattern: '^\\d{1,10}(\\.\\d+)?$', maxLength: 40 })]),
  },
  { additionalProperties: false },
);

const DocumentRef = Type.Object({ title: Type.String({ minLength: 1 }), number: Type.Optional(Type.String()), url: Type.Optional(Type.String()), date: Type.Optional(Type.String()) });

export const IssueBody = Type.Object({ reserveYear: Type.Integer({ minimum: 2019, maximum: 2100 }), county: Type.Optional(CountyCode()), issuedOn: Type.Optional(IsoDate('下达日期')) });
export const IssuanceQuery = Type.Object({ county: Type.Optional(CountyCode()), reserveYear: Type.Optional(Year()) });

export const DrawBody = Type.Object({
  quotaYear: Type.Optional(Year({ description: '使用哪一年的定额，默认审核日期所在年' })),
  projectName: Type.String({ minLength: 1 }),
  approvalNo: Type.String({ minLength: 1, description: '使用林地审核同意书文号' }),
  approvedOn: IsoDate('审核同意日期'),
  area: AreaInput,
});

export const UseBody = Type.Object({ useStartedOn: Type.Optional(IsoDate('开工日期')), recoveredOn: Type.Optional(IsoDate('收回日期')), recoveryNote: Type.Optional(Type.String()) });
export const IdleUsesQuery = Type.Object({ county: Type.Optional(CountyCode()), asOf: Type.Optional(IsoDate('截至日期，默认今天')) });

export const InspectionBody = Type.Object({
  parcelId: Uuid(),
  year: Type.Integer({ minimum: 2019, maximum: 2100 }),
  inspectedOn: Type.Optional(IsoDate('核查日期')),
  outcome: Type.Union([Type.Literal('intact'), Type.Literal('degraded'), Type.Literal('lost')], { description: 'intact 完好，degraded 林分质量下降或退化，lost 灭失' }),
  findings: Type.Optional(Type.String()),
  documents: Type.Optional(Type.Array(DocumentRef)),
});
export const InspectionQuery = Type.Object({ county: Type.Optional(CountyCode()), year: Type.Optional(Year()) });

export const PoolRequestBody = Type.Object({ county: CountyCode(), quotaYear: Year(), area: AreaInput, purpose: Type.String({ minLength: 1 }) });
export const AllocateBody = Type.Object({ quotaYear: Year() });
export const PoolQuery = Type.Object({ quotaYear: Type.Optional(Year()) });

// ---------------------------------------------------------------- answers

export const IssuanceView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  reserveYear: Type.Integer(),
  quotaYear: Type.Integer(),
  batch: Type.Integer({ description: '同一储备年度的第几批' }),
  parcels: Type.Integer({ description: '依据地块数' }),
  reserve: QuotaAreaView,
  toCounty: QuotaAreaView,
  toPool: QuotaAreaView,
  rule: Type.Record(Type.String(), Type.Unknown(), { description: '500亩规则的计算过程（微亩精确值）' }),
  issuedOn: DateText(),
  issuedAt: Timestamp,
  links: Type.Object({ self: Type.String() }),
});
export type IssuanceViewT = Static<typeof IssuanceView>;

export const IssuanceList = Type.Object({ items: Type.Array(IssuanceView) });

export const IssuanceDetail = Type.Object({
  ...IssuanceView.properties,
  parcelItems: Type.Array(
    Type.Object({
      parcelId: Type.String({ format: 'uuid' }),
      parcelNo: Type.String(),
      state: Type.String(),
      reserveYear: Type.Integer(),
      area: QuotaAreaView,
      areaM2OfRecord: Type.String({ description: '地块面积（平方米，2位小数，原值）' }),
    }),
  ),
});

const CountyFigures = Type.Object({
  issued: QuotaAreaView,
  allocatedIn: QuotaAreaView,
  drawn: QuotaAreaView,
  deducted: QuotaAreaView,
  lapsed: QuotaAreaView,
  balance: QuotaAreaView,
});
const PoolFigures = Type.Object({ pooled: QuotaAreaView, allocatedOut: QuotaAreaView, lapsed: QuotaAreaView, balance: QuotaAreaView });

export const CountyQuotaView = Type.Object({
  countyCode: Type.String(),
  pilotPeriod: PilotPeriodView,
  lapsed: Type.Boolean({ description: '试点期满定额是否已作废' }),
  years: Type.Array(
    Type.Object({
      quotaYear: Type.Integer(),
      reserveYear: Type.Integer(),
      validUntil: DateText('定额有效期至'),
      county: CountyFigures,
      pool: PoolFigures,
      overdrawn: Type.Boolean(),
    }),
  ),
  balance: QuotaAreaView,
});

export const DrawView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  quotaYear: Type.Integer(),
  projectName: Type.String(),
  approvalNo: Type.String(),
  approvedOn: DateText(),
  area: QuotaAreaView,
  // Stored as given (jsonb): open, so whatever a row holds is answered as it is.
  areaAsGiven: Type.Object(
    { unit: Type.Optional(Type.String()), value: Type.Optional(Type.String()) },
    { additionalProperties: true, description: '申请时填写的面积与单位' },
  ),
  useStartedOn: Nullable(DateText()),
  recoveredOn: Nullable(DateText()),
  recoveryNote: Nullable(Type.String()),
  drawnAt: Timestamp,
});
export type DrawViewT = Static<typeof DrawView>;

export const DrawMade = Type.Object({ ...DrawView.properties, balanceAfter: QuotaAreaView });
export const DrawList = Type.Object({ items: Type.Array(DrawView) });

export const IdleUseList = Type.Object({
  asOf: DateText(),
  items: Type.Array(Type.Object({ ...DrawView.properties, flag: Type.Literal('idle-over-two-years'), flagLabel: Type.String() })),
});

const Outcome = Type.Union([Type.Literal('intact'), Type.Literal('degraded'), Type.Literal('lost')]);
const InspectionBase = {
  id: Type.String({ format: 'uuid' }),
  parcelId: Type.String({ format: 'uuid' }),
  parcelNo: Type.String(),
  countyCode: Type.String(),
  year: Type.Integer(),
  inspectedOn: DateText(),
  outcome: Outcome,
  findings: Nullable(Type.String()),
};
export const InspectionMade = Type.Object({ ...InspectionBase, deducted: QuotaAreaView, balanceAfter: QuotaAreaView, overdrawn: Type.Boolean() });
export const InspectionList = Type.Object({ items: Type.Array(Type.Object({ ...InspectionBase, area: QuotaAreaView })) });

export const PoolRequestMade = Type.Object({
  id: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  quotaYear: Type.Integer(),
  requested: QuotaAreaView,
  purpose: Type.String(),
});

const Tier = Type.String({ description: 'same-county 本县，same-city 本市，province 省内其他县' });

export const AllocationRound = Type.Object({
  roundId: Type.String({ format: 'uuid' }),
  quotaYear: Type.Integer(),
  allocations: Type.Array(
    Type.Object({ id: Type.String({ format: 'uuid' }), requestId: Type.String({ format: 'uuid' }), county: Type.String(), origin: Type.String(), tier: Tier, amount: QuotaAreaView }),
  ),
});

export const PoolView = Type.Object({
  balances: Type.Array(Type.Object({ originCounty: Type.String(), quotaYear: Type.Integer(), balance: QuotaAreaView })),
  requests: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      countyCode: Type.String(),
      quotaYear: Type.Integer(),
      purpose: Type.String(),
      requested: QuotaAreaView,
      allocated: QuotaAreaView,
      outstanding: QuotaAreaView,
      requestedAt: Timestamp,
    }),
  ),
  allocations: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      roundId: Type.String({ format: 'uuid' }),
      quotaYear: Type.Integer(),
      countyCode: Type.String(),
      originCounty: Type.String(),
      requestId: Type.String({ format: 'uuid' }),
      tier: Tier,
      amount: QuotaAreaView,
      allocatedAt: Timestamp,
    }),
  ),
});

export const LapseMade = Type.Object({
  lapseId: Type.String({ format: 'uuid' }),
  period: PilotPeriodView,
  lapsed: Type.Array(Type.Object({ countyCode: Type.String(), account: Type.Union([Type.Literal('county'), Type.Literal('pool')]), quotaYear: Type.Integer(), amount: QuotaAreaView })),
});
