import { Type } from '@fastify/type-provider-typebox';
import { STATE_CODES } from '../domain/procedure/state-machine.js';
import { CountyCode, Int32, IsoDate, Nullable, ProblemSchema, Uuid, Year } from '../http/schemas.js';

export const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };

// ---------------------------------------------------------------- requests

export const Document = Type.Object(
  {
    title: Type.String({ minLength: 1, description: '文件名称' }),
    number: Type.Optional(Type.String({ description: '文号' })),
    url: Type.Optional(Type.String()),
    date: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Fields every act may carry. */
export const Common = {
  notes: Type.Optional(Type.String({ description: '办理意见' })),
  documents: Type.Optional(Type.Array(Document, { description: '依据文件' })),
};

const Participant = Type.Object(
  { name: Type.String({ description: '姓名' }), unit: Type.Optional(Type.String({ description: '单位' })), title: Type.Optional(Type.String({ description: '职务' })) },
  { additionalProperties: false },
);
/**
 * Who of each department took part in a joint act ("林业、自然资源等部门"). Optional in the schema so
 * that a parcel out of scope is 404 and a wrong state 409 before it; the guard requires both departments.
 */
export const ParticipantsBody = Type.Object(
  {
    forestry: Type.Array(Participant, { maxItems: 50, description: '林业部门参加人员' }),
    naturalResources: Type.Array(Participant, { maxItems: 50, description: '自然资源部门参加人员' }),
    others: Type.Optional(Type.Array(Participant, { maxItems: 50, description: '其他参加人员（“等部门”：乡镇、县政府等）' })),
  },
  { additionalProperties: false, description: '林业、自然资源等部门参加人员（两部门均须登记）' },
);
const Joint = { participants: Type.Optional(ParticipantsBody) };

/** A reserve, quota or change-survey year as the procedure bodies accept it. */
const ActYear = () => Type.Integer({ minimum: 2019, maximum: 2100 });

const Restorer = Type.Object({ name: Type.String(), kind: Type.String({ description: '企业、政府、个人等' }), contact: Type.Optional(Type.String()) }, { additionalProperties: false });

/** §三(三)1 "已经实施生态修复，恢复森林植被的采矿用地": mining land restored before the application, with evidence. */
const PriorRestorationBody = Type.Object(
  {
    restoredOn: IsoDate('修复（造林）日期，不晚于申请日期'),
    restorer: Restorer,
    documents: Type.Array(Document, { description: '证明材料（至少一份写明文件名称和编号）' }),
  },
  { additionalProperties: false, description: '申请前已实施生态修复、恢复森林植被的采矿用地' },
);

export const ApplyBody = Type.Object({
  candidateParcelId: Uuid(),
  appliedOn: Type.Optional(IsoDate('申请日期')),
  priorRestoration: Type.Optional(PriorRestorationBody),
  ...Common,
});

export const ProcedureQuery = Type.Object({
  county: Type.Optional(CountyCode()),
  state: Type.Optional(Type.Union(STATE_CODES.map((s) => Type.Literal(s)))),
  reserveYear: Type.Optional(Year()),
  submissionId: Type.Optional(Uuid()),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
  offset: Int32({ minimum: 0, default: 0 }),
});

export const VerifyBody = Type.Object({
  checkRunId: Type.Optional(Uuid()),
  rerunChecks: Type.Optional(Type.Object({ baseYear: Type.Optional(Year()), latestYear: Type.Optional(Year()) })),
  override: Type.Optional(
    Type.Object(
      { reason: Type.Optional(Type.String({ description: '县级林业主管部门的核实意见（越过检查项须事先经县级人民政府批准：override-approvals）' })) },
      { description: '检查不通过时：依据县级人民政府的批准（来源可靠、重复申报两项不得越过）' },
    ),
  ),
  verifiedOn: Type.Optional(IsoDate('核实日期')),
  ...Joint,
  ...Common,
});

export const OverrideApprovalBody = Type.Object({
  checks: Type.Array(Type.String(), { minItems: 1, description: '批准越过的检查项（来源可靠source、重复申报overlap不得越过）' }),
  reason: Type.String({ description: '批准理由（至少10个字）' }),
  documents: Type.Array(Document, { description: '证明材料（至少一份写明文件名称和文号）' }),
  approvedOn: Type.Optional(IsoDate('批准日期')),
});

const PublicityAtBody = (label: string) =>
  Type.Object({ name: Type.String({ description: `${label}名称` }), from: IsoDate('公示开始'), to: IsoDate('公示结束') }, { additionalProperties: false, description: `在${label}的公示` });

/** "在地块所在自然村、村委会所在地进行公示": both places, each with its own period (both required: 422 naming the missing one). */
export const PublicizeBody = Type.Object(
  { naturalVillage: Type.Optional(PublicityAtBody('地块所在自然村')), villageCommittee: Type.Optional(PublicityAtBody('村委会所在地')), ...Common },
  { additionalProperties: false },
);

export const ObjectionBody = Type.Object({ receivedOn: IsoDate('收到日期'), objector: Type.String({ minLength: 1 }), content: Type.String({ minLength: 1 }) });

export const ObjectionParams = Type.Object({ id: Uuid(), objectionId: Uuid() });
export const ObjectionDecisionBody = Type.Object({
  decision: Type.Union([Type.Literal('upheld'), Type.Literal('dismissed')]),
  reason: Type.String(),
  decidedOn: Type.Optional(IsoDate('认定日期')),
});

export const ConsentBody = Type.Object({
  holderId: Type.Optional(Uuid()),
  qsdwdm: Type.Optional(Type.String({ description: '权属单位代码（仅用于权属检查列出的权属单位；其他权利人用holderId）' })),
  signatory: Type.String({ minLength: 1 }),
  consentedOn: IsoDate('同意日期'),
  document: Document,
});

export const RightsHolderBody = Type.Object(
  {
    kind: Type.String({ description: '权利类型：contract 土地承包经营权人、use 土地使用权人、mining 采矿权人' }),
    code: Type.String({ description: '统一社会信用代码、身份证号、采矿许可证号或承包合同编号' }),
    name: Type.String({ description: '权利人名称' }),
    document: Document,
  },
  { additionalProperties: false },
);

export const HolderParams = Type.Object({ id: Uuid(), holderId: Uuid() });
export const HolderRemovalBody = Type.Object({ reason: Type.String({ description: '删除理由（如登记有误）' }) }, { additionalProperties: false });

export const ConfirmBody = Type.Object({ confirmedOn: Type.Optional(IsoDate('批准日期')), ...Common });

export const AfforestBody = Type.Object({
  forestClass: Type.String({ description: '三调林地地类，如0301' }),
  species: Type.Array(Type.String()),
  plantedOn: Type.Optional(IsoDate('造林日期（申请时登记为已实施修复的地块：默认为登记的修复日期）')),
  areaM2: Type.Number({ minimum: 0, maximum: 1e10, description: '造林面积（平方米）' }),
  restorer: Type.Optional(Restorer),
  ...Joint,
  ...Common,
});

const Pct = (description: string) => Type.Optional(Type.Number({ minimum: 0, maximum: 100, description }));
export const AcceptBody = Type.Object({
  acceptedOn: Type.Optional(IsoDate('验收日期')),
  measuredAreaM2: Type.Optional(Type.Number({ minimum: 0, maximum: 1e10, description: '验收实测面积（平方米）' })),
  survivalRatePct: Pct('造林成活率（%），乔木林、竹林等：≥85%为合格（GB/T 15776《造林技术规程》）'),
  coveragePct: Pct('灌木覆盖度（%），灌木林地：≥40%（GB/T 21010-2017灌木林地定义）'),
  ...Joint,
  ...Common,
});

export const SurveyChangeBody = Type.Object({
  changeYear: ActYear(),
  checkRunId: Type.Optional(Uuid()),
  changedOn: Type.Optional(IsoDate('地类变更日期')),
  ...Common,
});

export const ChangeBody = Type.Object({ changeYear: Type.Optional(ActYear()), checkRunId: Type.Optional(Uuid()), changedOn: Type.Optional(IsoDate('变更日期')), ...Common });

export const ReserveBody = Type.Object({ reserveYear: ActYear(), reservedOn: Type.Optional(IsoDate('入库日期')), ...Common });

export const EndBody = Type.Object({ reason: Type.String(), ...Common });

// ---------------------------------------------------------------- answers

const DateText = Nullable(Type.String({ format: 'date' }));

/** An exact area in the units the rules use (quotaArea): m², 亩, 公顷 and the exact 亩 text. */
export const AreaView = Type.Object({
  m2: Type.Number(),
  mu: Type.Number(),
  hectare: Type.Number(),
  muExact: Type.String({ description: '精确亩数（6位小数）' }),
});

// Stored JSON is written from the request schemas above (Document, Restorer, ParticipantsBody) or
// built by the service from them (domain/procedure): every property it can hold is listed, since
// the serializer drops what is not. Listed in jsonb's key order (shorter keys first), the order the
// answers have always had: the serializer writes listed properties in the schema's order.
export const DocumentView = Type.Object(
  {
    url: Type.Optional(Type.String()),
    date: Type.Optional(Type.String()),
    title: Type.Optional(Type.String({ description: '文件名称' })),
    number: Type.Optional(Type.String({ description: '文号' })),
  },
  { description: '依据文件（请求中的Document）' },
);
export const DocumentsView = Type.Array(DocumentView);

const RestorerView = Type.Object(
  { kind: Type.String({ description: '企业、政府、个人等' }), name: Type.String(), contact: Type.Optional(Type.String()) },
  { description: '修复主体（谁修复、谁受益）' },
);

const ParticipantView = Type.Object({ name: Type.String({ description: '姓名' }), unit: Type.Optional(Type.String({ description: '单位' })), title: Type.Optional(Type.String({ description: '职务' })) });
/** Who took part in a joint act, as recorded (domain/procedure/joint-acts cleanParticipants). */
const ParticipantsView = Type.Object(
  {
    others: Type.Optional(Type.Array(ParticipantView, { description: '其他参加人员' })),
    forestry: Type.Array(ParticipantView, { description: '林业部门参加人员' }),
    naturalResources: Type.Array(ParticipantView, { description: '自然资源部门参加人员' }),
  },
  { description: '参加人员：forestry 林业部门，naturalResources 自然资源部门，others 其他' },
);

/** Who recorded or approved an act: the user at the time. */
const ActorRef = Type.Object({ login: Type.String(), role: Type.String(), name: Type.Optional(Nullable(Type.String())) });

/** The joint acceptance (service accept: domain/procedure/joint-acts AcceptanceRecord, its date, documents and recorder). */
const AcceptanceView = Type.Object(
  {
    acceptedOn: Type.String({ format: 'date' }),
    participants: ParticipantsView,
    measuredAreaM2: Type.Number({ description: '验收实测面积（平方米）' }),
    measure: Type.Object(
      {
        kind: Type.Union([Type.Literal('survival'), Type.Literal('coverage')], { description: 'survival 成活率；coverage 灌木覆盖度' }),
        label: Type.String(),
        pct: Type.Number({ description: '实测（%）' }),
        thresholdPct: Type.Number({ description: '合格线（%）' }),
        source: Type.String({ description: '标准依据' }),
      },
      { description: '验收指标' },
    ),
    documents: DocumentsView,
    recordedBy: ActorRef,
  },
  { description: '林业、自然资源部门联合验收' },
);

/** The county government's approval of failed checks, recorded before 核实 (domain/procedure/overrides OverrideApproval). */
const OverrideApprovalView = Type.Object(
  {
    checks: Type.Array(Type.String(), { description: '批准越过的检查项' }),
    reason: Type.String(),
    documents: DocumentsView,
    approvedBy: ActorRef,
    approvedOn: Type.String({ format: 'date' }),
  },
  { description: '县级人民政府批准越过检查项（核实前登记）' },
);

/** An override at 核实 (the county government's approval of failed checks), shown wherever the parcel is listed. */
export const VerificationOverrideView = Type.Object(
  {
    ...OverrideApprovalView.properties,
    verifiedBy: Type.String(),
    note: Nullable(Type.String()),
  },
  { description: '核实时经县级人民政府批准越过的检查项、理由与证明材料' },
);

export const PriorRestorationView = Type.Object(
  {
    restoredOn: Type.String({ format: 'date' }),
    restorer: RestorerView,
    documents: DocumentsView,
  },
  { description: '申请时登记的已实施生态修复（试点方案三(三)1）' },
);

const rightsHolderFields = { qsdwdm: Nullable(Type.String({ description: '权属单位代码' })), qsdwmc: Nullable(Type.String({ description: '权属单位名称' })) };
const RightsHolderView = Type.Object(rightsHolderFields, { description: '权利人（核实时权属检查列出）' });

const procedureFields = {
  id: Type.String({ format: 'uuid' }),
  candidateParcelId: Type.String({ format: 'uuid' }),
  uploadId: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  townshipCode: Nullable(Type.String()),
  parcelNo: Type.String(),
  applicant: Nullable(Type.String()),
  state: Type.Enum(STATE_CODES),
  stateLabel: Type.String(),
  stateSince: Type.String({ format: 'date-time' }),
  version: Type.Integer(),
  areaOfRecord: Nullable(AreaView),
  verificationRunId: Nullable(Type.String()),
  rightsHolders: Nullable(Type.Array(RightsHolderView)),
  publicity: Nullable(
    Type.Object({
      from: DateText,
      to: DateText,
      place: Nullable(Type.String()),
      places: Type.Array(
        Type.Object({ kind: Type.String(), kindLabel: Type.String(), name: Type.String(), from: Type.String({ format: 'date' }), to: Type.String({ format: 'date' }) }),
        { description: '公示地点：地块所在自然村、村委会所在地，各自的公示期' },
      ),
    }),
  ),
  appliedOn: DateText,
  priorRestoration: Nullable(PriorRestorationView),
  confirmedOn: DateText,
  afforestation: Nullable(
    Type.Object({
      forestClass: Nullable(Type.String()),
      species: Nullable(Type.Array(Type.String())),
      plantedOn: DateText,
      area: Nullable(AreaView),
      restorer: Nullable(RestorerView),
    }),
  ),
  changeYear: Nullable(Type.Integer()),
  acceptanceRunId: Nullable(Type.String({ description: '0014之前的验收所依据的检查记录（此后验收不再依据变更调查）' })),
  acceptedOn: DateText,
  acceptance: Nullable(AcceptanceView),
  surveyChangedOn: DateText,
  changeRunId: Nullable(Type.String()),
  changedOn: DateText,
  reserveYear: Nullable(Type.Integer()),
  reservedOn: DateText,
  submissionId: Nullable(Type.String()),
  endReason: Nullable(Type.String()),
  verificationOverride: Nullable(VerificationOverrideView),
  overrideApproval: Nullable(OverrideApprovalView),
  createdAt: Type.String({ format: 'date-time' }),
};
const ProcedureLinks = Type.Object({ self: Type.String(), auditLog: Type.String(), candidateReport: Type.String() });
const AvailableActions = Type.Array(Type.Object({ action: Type.String(), label: Type.String() }), { description: '当前用户可办理的操作' });

/** A parcel in a reserve listing: the procedure without what the reader may do. */
export const ReserveParcelView = Type.Object({ ...procedureFields, links: ProcedureLinks });
/** A parcel's procedure as the user sees it, with the actions the user may take now. */
export const ProcedureView = Type.Object({ ...procedureFields, availableActions: AvailableActions, links: ProcedureLinks });

export const ProcedureList = Type.Object({ items: Type.Array(ProcedureView) });

const TransitionView = Type.Object({
  seq: Type.Integer(),
  action: Type.String(),
  actionLabel: Type.String(),
  from: Nullable(Type.String()),
  to: Type.String(),
  actor: Type.Object({ id: Type.String(), login: Type.String(), name: Nullable(Type.String()), role: Type.String(), roleLabel: Type.String({ description: '角色名称' }) }),
  at: Type.String({ format: 'date-time' }),
  effectiveOn: DateText,
  notes: Nullable(Type.String()),
  documents: DocumentsView,
  // What an act rests on differs per action (procedure/service.ts: the check run and outcomes at 核实,
  // the periods at 公示, the acceptance at 验收, …) and is kept as recorded: open by design.
  evidence: Type.Record(Type.String(), Type.Unknown(), {
    description: '办理依据，各操作不同：申请（候选地块、检查记录、已实施修复）、核实（检查记录、各项检查结论、越过检查项、参加人员、面积、权利人）、公示（期间与地点）、造林、验收（联合验收记录）、变更、入库、终止（理由）等',
  }),
});

const ObjectionView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  receivedOn: Type.String({ format: 'date' }),
  objector: Type.String(),
  content: Type.String(),
  decision: Nullable(Type.Union([Type.Literal('upheld'), Type.Literal('dismissed')])),
  decisionReason: Nullable(Type.String()),
  decidedOn: DateText,
});

const HolderFields = {
  holderId: Nullable(Type.String({ format: 'uuid' })),
  rightKind: Nullable(Type.String({ description: 'owner 权属单位、contract 土地承包经营权人、use 土地使用权人、mining 采矿权人' })),
  rightKindLabel: Nullable(Type.String()),
};

const HolderView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.String(),
  kindLabel: Type.String(),
  code: Type.String(),
  name: Type.String(),
  source: Type.String({ description: 'ownership-check 核实时权属检查列出；county 县级增补' }),
  qsxz: Nullable(Type.String()),
  document: Nullable(DocumentView),
  consented: Type.Boolean(),
});

const ConsentView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ...HolderFields,
  qsdwdm: Type.String(),
  qsdwmc: Nullable(Type.String()),
  signatory: Type.String(),
  consentedOn: Type.String({ format: 'date' }),
  document: DocumentView,
});

/** A parcel's procedure with its history: the answer of the detail and of every act on it. */
export const ProcedureDetailView = Type.Object({
  ...ProcedureView.properties,
  consentStatus: Type.Array(Type.Object({ ...rightsHolderFields, ...HolderFields, consented: Type.Boolean() }), { description: '每个权利人是否已同意（确认前须全部同意）' }),
  holders: Type.Array(HolderView, { description: '相关权利人：权属单位（核实时权属检查列出）与县级增补的承包经营权人、使用权人、采矿权人' }),
  removedHolders: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      kind: Type.String(),
      kindLabel: Type.String(),
      code: Type.String(),
      name: Type.String(),
      document: Nullable(DocumentView),
      removedAt: Type.String({ format: 'date-time' }),
      removedBy: Type.String(),
      removalReason: Type.String(),
    }),
    { description: '确认前由县级删除的增补权利人（登记有误），及删除理由' },
  ),
  history: Type.Array(TransitionView),
  objections: Type.Array(ObjectionView),
  consents: Type.Array(ConsentView),
});
