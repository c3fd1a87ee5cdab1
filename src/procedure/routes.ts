import type { FastifyPluginAsync, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import type { Static, TSchema, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import type { AuthUser } from '../auth/scope.js';
import { surveyNotAtAcceptance } from '../http/errors.js';
import { refuseNamedProperties } from '../http/strict-body.js';
import { thresholdInRequest } from '../check-parameters/problems.js';
import { IdParams } from '../http/schemas.js';
import {
  AcceptBody,
  AfforestBody,
  ApplyBody,
  ChangeBody,
  ConfirmBody,
  ConsentBody,
  EndBody,
  ObjectionBody,
  ObjectionDecisionBody,
  ObjectionParams,
  OverrideApprovalBody,
  ProcedureDetailView,
  ProcedureList,
  ProcedureQuery,
  problems,
  PublicizeBody,
  ReserveBody,
  SurveyChangeBody,
  RightsHolderBody,
  HolderParams,
  HolderRemovalBody,
  VerifyBody,
} from './schemas.js';
import type { CheckBounds } from '../candidates/checks.js';
import * as service from './service.js';
import { procedureDetailView, procedureView } from './view.js';

/**
 * An act on one parcel: `POST /procedures/:id/<path>`, answered with the parcel's detail as it now
 * stands. `run` is declared as a method so that the table can hold entries of different bodies.
 */
interface Act<B extends TSchema = TSchema, P extends TSchema = TSchema> {
  /** The state machine's action (or the record) this route performs; the path unless `path` says otherwise. */
  action: string;
  path?: string;
  summary: string;
  description?: string;
  params?: P;
  body: B;
  /** 201 where the act creates a record (an objection, a consent). */
  status?: 200 | 201;
  preValidation?: preValidationAsyncHookHandler;
  /** `bounds`: the work limits of a check run, for the acts that may run the candidate checks. */
  run(pool: pg.Pool, user: AuthUser, id: string, body: Static<B>, params: Static<P>, bounds: CheckBounds): Promise<service.ProcedureDetail>;
}

/** Checks the entry's types against its own schemas, then erases them for the table. */
const act = <B extends TSchema, P extends TSchema = typeof IdParams>(a: Act<B, P>) => a as unknown as Act;

/**
 * The single-place 公示 form of before (`place`, `from`, `to`, without either place): set aside, so
 * that the guard refuses it naming both places it lacks (422 publicity-place), as it always has,
 * rather than as three unknown properties. Mixed with the new form, they are unknown properties.
 */
async function oldPublicityForm(req: FastifyRequest): Promise<void> {
  const b = req.body as Record<string, unknown> | null;
  if (b === null || typeof b !== 'object' || Array.isArray(b) || 'naturalVillage' in b || 'villageCommittee' in b) return;
  for (const k of ['place', 'from', 'to']) delete b[k];
}

const ACTS: Act[] = [
  act({
    action: 'verify',
    summary: '核实：依据候选地块检查a–g（无不通过项，或县级填写核实意见）',
    description:
      '默认采用该批次最新一次检查；checkRunId指定检查记录，rerunChecks立即重新检查。检查不通过时：来源可靠（采矿用地）与重复申报不得越过；其他检查项须事先经县级人民政府批准（override-approvals：检查项、理由、证明材料），override.reason可写县级林业主管部门的核实意见。',
    body: VerifyBody,
    // A re-run takes survey years only; thresholds are the province's parameter set in force.
    preValidation: refuseNamedProperties(thresholdInRequest, ['rerunChecks']),
    run: (pool, user, id, body, _params, bounds) => service.verify(pool, user, id, body, bounds),
  }),
  act({
    action: 'override-approval',
    path: 'override-approvals',
    summary: '县级人民政府批准越过核实检查项（来源可靠、重复申报除外）：检查项、理由与证明材料',
    body: OverrideApprovalBody,
    status: 201,
    run: service.approveOverride,
  }),
  act({
    action: 'publicize',
    summary: '公示：在地块所在自然村、村委会所在地两处公示，分别登记地点与公示期',
    description: 'naturalVillage（地块所在自然村）与villageCommittee（村委会所在地）均须登记：名称与起止日期；异议自较早的开始日期起受理，确认须在两处公示均结束之后。',
    body: PublicizeBody,
    preValidation: oldPublicityForm,
    run: service.publicize,
  }),
  act({ action: 'objection', path: 'objections', summary: '登记公示异议', body: ObjectionBody, status: 201, run: service.recordObjection }),
  act({
    action: 'uphold-objection',
    path: 'objections/:objectionId/decision',
    summary: '认定公示异议：成立（地块终止办理）或不成立',
    params: ObjectionParams,
    body: ObjectionDecisionBody,
    run: (pool, user, id, body, { objectionId }) => service.decideObjection(pool, user, id, objectionId, body),
  }),
  act({
    action: 'rights-holder',
    path: 'rights-holders',
    summary: '县级增补相关权利人：土地承包经营权人、使用权人、采矿权人（附权利证明）',
    description: '核实后、确认前由县级林业主管部门登记；权属单位由核实时的权属检查列出。确认前每个权利人均须登记同意。',
    body: RightsHolderBody,
    status: 201,
    run: service.addRightsHolder,
  }),
  act({
    action: 'rights-holder-removal',
    path: 'rights-holders/:holderId/removal',
    summary: '县级删除增补有误的权利人（确认前，须说明理由；权属检查列出的权属单位不能删除）',
    description: '记录保留（删除时间、经办人、理由），并记入审计日志；删除后可重新增补。',
    params: HolderParams,
    body: HolderRemovalBody,
    run: (pool, user, id, body, { holderId }) => service.removeRightsHolder(pool, user, id, holderId, body),
  }),
  act({
    action: 'consent',
    path: 'consents',
    summary: '登记权利人同意（每个相关权利人：谁、何种权利、日期、同意书）',
    description: 'holderId指定权利人（见详情holders）；权属单位也可用qsdwdm指定。',
    body: ConsentBody,
    status: 201,
    run: service.recordConsent,
  }),
  act({ action: 'confirm', summary: '确认：县级人民政府批准（公示期满、异议不成立、权利人均已同意）', body: ConfirmBody, run: service.confirm }),
  act({
    action: 'afforest',
    summary: '造林：林地地类、树种、日期、面积与修复主体（谁修复、谁受益），林业、自然资源部门参加人员',
    body: AfforestBody,
    run: service.afforest,
  }),
  act({
    action: 'accept',
    summary: '验收：县级林业、自然资源等部门联合验收（日期、两部门参加人员、实测面积、成活率或覆盖度、验收材料）',
    description: '经县级林业、自然资源等部门联合验收合格的，县级自然资源主管部门在年度土地变更调查更新数据库中进行地类变更。验收不以变更调查已显示林地为前提。乔木林、竹林等按造林成活率（≥85%），灌木林地按覆盖度（≥40%）。',
    body: AcceptBody,
    // A client of the old rule (acceptance on the change survey) learns where the survey went, rather than having it ignored.
    preValidation: refuseNamedProperties((k) => (k === 'changeYear' || k === 'checkRunId' ? surveyNotAtAcceptance(k) : undefined)),
    run: service.accept,
  }),
  act({
    action: 'survey-change',
    summary: '变更（县级自然资源主管部门）：该年度土地变更调查地类图斑已由采矿用地变更为林地',
    description: '依据该年度变更调查的地类变更检查（h）；未指定checkRunId时立即运行检查。变更调查年份不早于验收年份。',
    body: SurveyChangeBody,
    run: (pool, user, id, body, _params, bounds) => service.surveyChange(pool, user, id, body, bounds),
  }),
  act({
    action: 'change',
    summary: '变更（县级林业部门）：森林资源管理“一张图”年度更新中由非林地变更为林地',
    description: '默认采用年度变更调查地类变更的年份与检查记录；该年度地类图斑与“一张图”均须显示林地。',
    body: ChangeBody,
    run: (pool, user, id, body, _params, bounds) => service.change(pool, user, id, body, bounds),
  }),
  act({ action: 'reserve', summary: '入库：纳入县级补充林地储备库（登记储备年度）', body: ReserveBody, run: service.reserve }),
  act({ action: 'withdraw', summary: '撤回（入库前）', body: EndBody, run: (pool, user, id, body) => service.end(pool, user, id, 'withdraw', body) }),
  act({ action: 'reject', summary: '否决（入库前）', body: EndBody, run: (pool, user, id, body) => service.end(pool, user, id, 'reject', body) }),
];

export const procedureRoutes: FastifyPluginAsync<{ pool: pg.Pool; checkBounds: CheckBounds }> = async (fastify, { pool, checkBounds }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/procedures',
    {
      schema: {
        tags: ['procedure'],
        summary: '申请：乡镇对候选地块提出补充林地申请',
        description: '由乡镇人民政府办理；同一候选地块同时只能在一个办理流程中。',
        body: ApplyBody,
        response: { 201: ProcedureDetailView, ...problems },
      },
    },
    async (req, reply) => {
      const d = await service.apply(pool, requireUser(req), req.body);
      return reply.status(201).header('location', `/api/v1/procedures/${d.parcel.id}`).send(procedureDetailView(d));
    },
  );

  app.get(
    '/procedures',
    { schema: { tags: ['procedure'], summary: '办理中的地块（仅管辖范围内）', querystring: ProcedureQuery, response: { 200: ProcedureList, ...problems } } },
    async (req) => {
      const user = requireUser(req);
      return { items: (await service.list(pool, user, req.query)).map((p) => procedureView(p, user)) };
    },
  );

  app.get(
    '/procedures/:id',
    {
      schema: {
        tags: ['procedure'],
        summary: '地块办理详情：状态、经办记录（谁、何时、依据）、异议、权利人同意、可办理的操作',
        params: IdParams,
        response: { 200: ProcedureDetailView, ...problems },
      },
    },
    async (req) => procedureDetailView(await service.show(pool, requireUser(req), req.params.id)),
  );

  for (const a of ACTS) {
    const status = a.status ?? 200;
    app.post(
      `/procedures/:id/${a.path ?? a.action}`,
      {
        schema: {
          tags: ['procedure'],
          summary: a.summary,
          ...(a.description ? { description: a.description } : {}),
          params: a.params ?? IdParams,
          body: a.body,
          // Typed loosely here (the status is the entry's); the schema is the same for every act.
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the rule is wrong here: tsc needs it
          response: { [status]: ProcedureDetailView, ...problems } as Record<number, TSchema>,
        },
        ...(a.preValidation ? { preValidation: a.preValidation } : {}),
      },
      async (req, reply) => {
        const params = req.params as { id: string };
        return reply.status(status).send(procedureDetailView(await a.run(pool, requireUser(req), params.id, req.body, params, checkBounds)));
      },
    );
  }
};
