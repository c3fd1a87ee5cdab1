import { Type, type Static } from '@fastify/type-provider-typebox';
import { CountyCode, CountyParams, IdParams, IsoDate, Nullable, ProblemSchema, Timestamp, Uuid, Year } from '../http/schemas.js';
import { Document, VerificationOverrideView } from '../procedure/schemas.js';

// ---------------------------------------------------------------- shared pieces

const DateText = (description?: string) => Type.String({ format: 'date', ...(description ? { description } : {}) });

/** Re-inspected parcels of a year by outcome (年度核查: 管护不到位、林分质量下降、退化、灭失), as the summaries count them. */
export const InspectionOutcomeCounts = {
  total: Type.Integer(),
  intact: Type.Integer(),
  inadequateCare: Type.Integer({ description: '管护不到位' }),
  qualityDeclined: Type.Integer({ description: '林分质量下降' }),
  degraded: Type.Integer({ description: '退化' }),
  lost: Type.Integer({ description: '灭失' }),
};

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


const AreaInput = Type.Object(
  {
    unit: Type.Union([Type.Literal('m2'), Type.Literal('mu'), Type.Literal('hectare')], { description: 'm2 平方米（≤2位小数）、mu 亩或 hectare 公顷（≤6位小数）' }),
    // Bounded so the exact µ亩 amount fits a bigint.
    value: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1e10 }), Type.String({ pattern: '^\\d{1,10}(\\.\\d+)?$', maxLength: 40 })]),
  },
  { additionalProperties: false },
);


const IssueBody = Type.Object({
  reserveYear: Type.Integer({ minimum: 2019, maximum: 2100 }),
  county: Type.Optional(CountyCode()),
  issuedOn: Type.Optional(IsoDate('下达日期')),
  nationalAllocationId: Type.Optional(Uuid({ description: '依据的国家下达林地定额记录；默认该定额年度下达日期前最近的一份' })),
});

const NationalAllocationBody = Type.Object({
  quotaYear: Year({ description: '定额年度' }),
  documentNo: Type.String({ minLength: 1, maxLength: 200, description: '国家下达林地定额的文件文号' }),
  documentDate: IsoDate('文件日期'),
  issuer: Type.Optional(Type.String({ maxLength: 200, description: '下达机关，默认国家林业和草原局' })),
  area: Type.Optional(AreaInput),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
});
const NationalAllocationQuery = Type.Object({ quotaYear: Type.Optional(Year()) });
const IssuanceQuery = Type.Object({ county: Type.Optional(CountyCode()), reserveYear: Type.Optional(Year()) });

const DrawBody = Type.Object({
  quotaYear: Type.Optional(Year({ description: '使用哪一年的定额，默认审核日期所在年' })),
  projectName: Type.String({ minLength: 1 }),
  approvalNo: Type.String({ minLength: 1, description: '使用林地审核同意书文号' }),
  approvedOn: IsoDate('审核同意日期'),
  area: AreaInput,
});

const UseBody = Type.Object({ useStartedOn: Type.Optional(IsoDate('开工日期')), recoveredOn: Type.Optional(IsoDate('收回日期')), recoveryNote: Type.Optional(Type.String()) });
const IdleUsesQuery = Type.Object({ county: Type.Optional(CountyCode()), asOf: Type.Optional(IsoDate('截至日期，默认今天')) });

const Outcome = Type.Union(
  [Type.Literal('intact'), Type.Literal('inadequate-care'), Type.Literal('quality-declined'), Type.Literal('degraded'), Type.Literal('lost')],
  { description: 'intact 完好，inadequate-care 管护不到位，quality-declined 林分质量下降，degraded 退化，lost 灭失' },
);
const InspectionBody = Type.Object({
  parcelId: Uuid(),
  year: Type.Integer({ minimum: 2019, maximum: 2100 }),
  inspectedOn: Type.Optional(IsoDate('核查日期')),
  outcome: Outcome,
  affectedArea: Type.Optional(Type.Object({ ...AreaInput.properties }, { additionalProperties: false, description: '受影响面积（管护不到位、林分质量下降、退化），默认地块全部面积' })),
  rectifyBy: Type.Optional(IsoDate('整改期限（管护不到位、林分质量下降、退化必填）')),
  findings: Type.Optional(Type.String()),
  documents: Type.Optional(Type.Array(Document)),
});
const InspectionQuery = Type.Object({ county: Type.Optional(CountyCode()), year: Type.Optional(Year()) });

const PoolRequestBody = Type.Object({ county: CountyCode(), quotaYear: Year(), area: AreaInput, purpose: Type.String({ minLength: 1 }) });
const AllocateBody = Type.Object({ quotaYear: Year() });
const PoolQuery = Type.Object({ quotaYear: Type.Optional(Year()) });

// ---------------------------------------------------------------- answers

const MicroMu = (description: string) => Type.String({ pattern: '^-?\\d+$', description: `${description}（微亩，整数文本）` });

/**
 * How the 500 亩 rule gave this batch (quota/service issue, domain/quota/five-hundred-mu
 * incrementalSplit), exact µ亩 as integer text. Written in full by every issuance (nationalAllocation
 * since migration 0016); optional because a stored record (jsonb) may hold less.
 */
const RuleView = Type.Object(
  {
    name: Type.Optional(Type.String({ description: '规则及依据' })),
    thresholdMicroMu: Type.Optional(MicroMu('500亩')),
    cumulativeReserveMicroMu: Type.Optional(MicroMu('该储备年度累计储备面积')),
    alreadyIssued: Type.Optional(
      Type.Object({ countyMicroMu: MicroMu('此前批次下达给县'), pooledMicroMu: MicroMu('此前批次纳入省级统筹') }, { description: '此前批次已下达' }),
    ),
    thisBatch: Type.Optional(
      Type.Object(
        { addedMicroMu: MicroMu('本批新增储备'), countyMicroMu: MicroMu('本批下达给县'), pooledMicroMu: MicroMu('本批纳入省级统筹') },
        { description: '本批次' },
      ),
    ),
    text: Type.Optional(Type.String({ description: '适用情形' })),
    nationalAllocation: Type.Optional(
      Type.Object({ documentNo: Type.String(), documentDate: Type.String({ format: 'date' }) }, { description: '依据的国家下达林地定额' }),
    ),
  },
  { description: '500亩规则的计算过程（微亩精确值）' },
);

const IssuanceView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  reserveYear: Type.Integer(),
  quotaYear: Type.Integer(),
  batch: Type.Integer({ description: '同一储备年度的第几批' }),
  parcels: Type.Integer({ description: '依据地块数' }),
  reserve: QuotaAreaView,
  toCounty: QuotaAreaView,
  toPool: QuotaAreaView,
  rule: RuleView,
  issuedOn: DateText(),
  issuedAt: Timestamp,
  nationalAllocation: Nullable(Type.Object({ id: Type.String({ format: 'uuid' }), documentNo: Type.String(), documentDate: DateText() }, { description: '依据的国家下达林地定额' })),
  debtSettled: QuotaAreaView,
  links: Type.Object({ self: Type.String() }),
});
export type IssuanceViewT = Static<typeof IssuanceView>;

const IssuanceList = Type.Object({ items: Type.Array(IssuanceView) });

export const IssuanceDetail = Type.Object({
  ...IssuanceView.properties,
  parcelItems: Type.Array(
    Type.Object({
      parcelId: Type.String({ format: 'uuid' }),
      parcelNo: Type.String(),
      state: Type.String(),
      stateLabel: Type.String(),
      reserveYear: Type.Integer(),
      area: QuotaAreaView,
      areaM2OfRecord: Type.String({ description: '地块面积（平方米，2位小数，原值）' }),
      verificationOverride: Nullable(VerificationOverrideView),
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
  debt: Type.Object({ ...QuotaAreaView.properties }, { description: '核查扣减超过当年度结余、待下次下达抵扣的欠扣' }),
});

export const DrawView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  quotaYear: Type.Integer(),
  projectName: Type.String(),
  approvalNo: Type.String(),
  approvedOn: DateText(),
  area: QuotaAreaView,
  // Stored as given (quota/service draw: the unit and the figure as text); optional: a stored record (jsonb) may hold less.
  areaAsGiven: Type.Object(
    {
      unit: Type.Optional(Type.String({ description: 'm2 平方米、mu 亩或 hectare 公顷' })),
      value: Type.Optional(Type.String({ description: '所填数值（文本）' })),
    },
    { description: '申请时填写的面积与单位' },
  ),
  useStartedOn: Nullable(DateText()),
  recoveredOn: Nullable(DateText()),
  recoveryNote: Nullable(Type.String()),
  drawnAt: Timestamp,
});
export type DrawViewT = Static<typeof DrawView>;

const DrawMade = Type.Object({ ...DrawView.properties, balanceAfter: QuotaAreaView });
const DrawList = Type.Object({ items: Type.Array(DrawView) });

export const IdleUseList = Type.Object({
  asOf: DateText(),
  items: Type.Array(Type.Object({ ...DrawView.properties, flag: Type.Literal('idle-over-two-years'), flagLabel: Type.String() })),
});

const InspectionBase = {
  id: Type.String({ format: 'uuid' }),
  parcelId: Type.String({ format: 'uuid' }),
  parcelNo: Type.String(),
  countyCode: Type.String(),
  year: Type.Integer(),
  inspectedOn: DateText(),
  outcome: Outcome,
  outcomeLabel: Type.String(),
  effect: Type.String({ description: '该结果的处理' }),
  findings: Nullable(Type.String()),
  area: QuotaAreaView,
  affected: QuotaAreaView,
  loss: Type.Object({ ...QuotaAreaView.properties }, { description: '本次新认定的损失（已扣过的面积不再扣减）' }),
  debt: Type.Object({ ...QuotaAreaView.properties }, { description: '其中超过当年度结余、转入欠扣的部分' }),
  rectifyBy: Nullable(DateText('整改期限')),
  verificationOverride: Nullable(VerificationOverrideView),
};
export const InspectionMade = Type.Object({
  ...InspectionBase,
  deducted: Type.Object({ ...QuotaAreaView.properties }, { description: '本次从当年度结余扣减' }),
  balanceAfter: QuotaAreaView,
  overdrawn: Type.Boolean({ description: '结余不会为负：始终为false' }),
});
export const InspectionList = Type.Object({ items: Type.Array(Type.Object(InspectionBase)) });

export const NationalAllocationView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  provincePrefix: Type.String(),
  quotaYear: Type.Integer(),
  documentNo: Type.String(),
  documentDate: DateText(),
  issuer: Type.String(),
  area: Nullable(QuotaAreaView),
  note: Nullable(Type.String()),
  enteredAt: Timestamp,
});

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

// ---------------------------------------------------------------- routes (what OpenAPI documents)

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };
const tags = ['quota'];

export const IssueRoute = {
  tags,
  summary: '按500亩规则下达新增定额（N年度省级储备库 → N+1年定额）',
  description:
    '须先登记国家下达新增林地定额（文号、日期），否则拒绝下达。按县汇总该储备年度已入省级储备库、尚未下达的地块面积（椭球面积）：小于500亩全部下达给县；不小于500亩下达给县500亩，其余纳入省级统筹。同一储备年度后续入库的地块再次下达时按累计面积计算，县级累计不超过500亩。',
  body: IssueBody,
  // 201 when something was issued, 200 when nothing was left to issue.
  response: { 200: IssuanceList, 201: IssuanceList, ...problems },
};
export const NationalAllocationRoute = {
  tags,
  summary: '登记国家下达新增林地定额（文号、日期）：新增定额在其后下达',
  body: NationalAllocationBody,
  response: { 201: NationalAllocationView, ...problems },
};
export const NationalAllocationsRoute = { tags, summary: '国家下达林地定额记录', querystring: NationalAllocationQuery, response: { 200: Type.Object({ items: Type.Array(NationalAllocationView) }), ...problems } };
export const IssuancesRoute = { tags, summary: '定额下达记录', querystring: IssuanceQuery, response: { 200: IssuanceList, ...problems } };
export const IssuanceRoute = { tags, summary: '一次下达及其依据地块（可追溯到每个地块）', params: IdParams, response: { 200: IssuanceDetail, ...problems } };
export const CountyQuotaRoute = { tags, summary: '县级定额账户：各年度下达、调入、使用、扣减、作废、结余', params: CountyParams, response: { 200: CountyQuotaView, ...problems } };
export const DrawRoute = {
  tags,
  summary: '建设项目使用定额（不超过结余；并发请求依次处理，不会透支）',
  params: CountyParams,
  body: DrawBody,
  response: { 201: DrawMade, ...problems },
};
export const DrawsRoute = { tags, summary: '建设项目使用定额记录', params: CountyParams, response: { 200: DrawList, ...problems } };
export const UseRoute = { tags, summary: '登记项目开工（用地不再闲置）或闲置林地收回', params: IdParams, body: UseBody, response: { 200: DrawView, ...problems } };
export const IdleUsesRoute = { tags, summary: '批准后闲置两年以上、应收回的项目用地', querystring: IdleUsesQuery, response: { 200: IdleUseList, ...problems } };
export const InspectRoute = {
  tags,
  summary: '储备库地块年度核查：管护不到位、林分质量下降、退化、灭失的扣减当年度定额（地块损失只扣一次；超过结余的转欠扣；灭失地块出库）',
  body: InspectionBody,
  response: { 201: InspectionMade, ...problems },
};
export const InspectionsRoute = { tags, summary: '年度核查记录', querystring: InspectionQuery, response: { 200: InspectionList, ...problems } };
export const PoolRequestRoute = { tags, summary: '申请省级统筹定额', body: PoolRequestBody, response: { 201: PoolRequestMade, ...problems } };
export const AllocateRoute = { tags, summary: '省级统筹分配（优先本县，其次本市，再次省内其他县）', body: AllocateBody, response: { 201: AllocationRound, ...problems } };
export const PoolRoute = { tags, summary: '省级统筹：按来源县的结余、申请与分配', querystring: PoolQuery, response: { 200: PoolView, ...problems } };
export const LapseRoute = { tags, summary: '试点期结束：未使用的新增定额自动作废（记入台账）', body: Type.Optional(Type.Object({})), response: { 201: LapseMade, ...problems } };
