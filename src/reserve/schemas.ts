import { Type } from '@fastify/type-provider-typebox';
import { CountyCode, IsoDate, Nullable, Uuid, Year } from '../http/schemas.js';
import { AreaView, Common, DocumentsView, ParticipantsBody, ReserveParcelView, VerificationOverrideView } from '../procedure/schemas.js';

// ---------------------------------------------------------------- requests


export const CountyReserveQuery = Type.Object({ year: Type.Optional(Year()) });

export const SubmitBody = Type.Object({ reserveYear: Type.Integer({ minimum: 2019, maximum: 2100 }), submittedOn: Type.Optional(IsoDate('报送日期')), ...Common });

export const ApproveBody = Type.Object({ approvedOn: Type.Optional(IsoDate('审核日期')), ...Common });

export const SubmissionQuery = Type.Object({ county: Type.Optional(CountyCode()), year: Type.Optional(Year()) });

export const AuditLevel = Type.Union([Type.Literal('city'), Type.Literal('province')]);

export const DrawAuditBody = Type.Object({ level: AuditLevel });

export const AuditResultBody = Type.Object({
  parcelId: Uuid(),
  result: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
  reason: Type.Optional(Type.String()),
  inspectedOn: Type.Optional(IsoDate('核查日期')),
  ...Common,
});

/**
 * Optional in the schema (an unknown audit is 404 first); completing requires the participants of
 * both departments: "市级林业、自然资源部门抽查……省级林业、自然资源部门抽查" (001 §三(三)2).
 */
export const CompleteAuditBody = Type.Optional(Type.Object({ participants: Type.Optional(ParticipantsBody), ...Common }));

// ---------------------------------------------------------------- answers

const Participant = Type.Object({ name: Type.String(), unit: Type.Optional(Type.String()), title: Type.Optional(Type.String()) });

const submissionFields = {
  id: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  reserveYear: Type.Integer(),
  submittedOn: Type.String({ format: 'date' }),
  dueOn: Type.String({ format: 'date', description: '应报送日期（次年9月15日）' }),
  late: Type.Boolean(),
  lateLabel: Nullable(Type.String()),
  parcels: Type.Integer({ description: '报送地块数' }),
  area: AreaView,
  state: Type.Union(
    [Type.Literal('county-review'), Type.Literal('city-review'), Type.Literal('province-review'), Type.Literal('provincial-reserve'), Type.Literal('returned')],
    { description: 'county-review 待县政府审核；city-review 市级审核；province-review 省级审核；provincial-reserve 省级储备库；returned 抽查有不合格地块，已退回县级' },
  ),
  stateLabel: Type.String(),
  approval: Nullable(
    Type.Object({ approvedOn: Type.String({ format: 'date' }), approvedAt: Type.String({ format: 'date-time' }), approvedBy: Type.String({ format: 'uuid' }), approverName: Nullable(Type.String()) }, {
      description: '县级人民政府审核（经县（市、区）政府审核后报市级）',
    }),
  ),
  returned: Nullable(Type.Object({ returnedAt: Type.String({ format: 'date-time' }), reason: Type.String() })),
  notes: Nullable(Type.String()),
  documents: DocumentsView,
  createdAt: Type.String({ format: 'date-time' }),
  links: Type.Object({ self: Type.String() }),
};
export const SubmissionView = Type.Object(submissionFields);

export const SubmissionList = Type.Object({ items: Type.Array(SubmissionView) });

const SampleView = Type.Object({
  parcelId: Type.String({ format: 'uuid' }),
  parcelNo: Type.String(),
  drawOrder: Type.Integer(),
  area: AreaView,
  result: Nullable(Type.Union([Type.Literal('pass'), Type.Literal('fail')])),
  reason: Nullable(Type.String()),
  inspectedOn: Nullable(Type.String({ format: 'date' })),
  notes: Nullable(Type.String()),
  documents: DocumentsView,
  verificationOverride: Nullable(VerificationOverrideView),
  recordedAt: Nullable(Type.String({ format: 'date-time' })),
});

const auditFields = {
  id: Type.String({ format: 'uuid' }),
  submissionId: Type.String({ format: 'uuid' }),
  countyCode: Type.String(),
  level: AuditLevel,
  seed: Type.String({ description: '随机种子（系统生成，128位）' }),
  algorithm: Type.String(),
  minSharePct: Type.Integer({ description: '样本面积下限（%）' }),
  populationArea: AreaView,
  sampledArea: AreaView,
  sampledShare: Type.Number({ description: '样本面积占比' }),
  population: Type.Array(Type.Object({ areaM2: Type.String({ description: '地块面积（平方米，2位小数，原值）' }), parcelId: Type.String({ format: 'uuid' }) }), {
    description: '抽样总体（规范顺序），与种子一起可复现样本',
  }),
  drawnAt: Type.String({ format: 'date-time' }),
  completedAt: Nullable(Type.String({ format: 'date-time' })),
  participants: Nullable(
    Type.Object(
      { forestry: Type.Array(Participant), naturalResources: Type.Array(Participant), others: Type.Optional(Type.Array(Participant)) },
      { description: '现场核查的林业、自然资源部门参加人员（完成抽查时登记）' },
    ),
  ),
  samples: Type.Array(SampleView),
  links: Type.Object({ self: Type.String() }),
};
export const AuditView = Type.Object(auditFields);

export const SubmissionDetailView = Type.Object({ ...submissionFields, audits: Type.Array(AuditView) });

export const CompletedAuditView = Type.Object({
  ...auditFields,
  moved: Type.Integer({ description: '转入下一级的地块数' }),
  returned: Type.Integer({ description: '样本有不合格地块时退回县级储备库的地块数' }),
  submission: SubmissionView,
});

export const CountyReserveView = Type.Object({
  countyCode: Type.String(),
  years: Type.Array(
    Type.Object({
      reserveYear: Type.Integer(),
      parcels: Type.Integer(),
      area: AreaView,
      items: Type.Array(ReserveParcelView),
    }),
  ),
});
