import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { PERMISSIONS, requireRole, requireUser } from '../auth/plugin.js';
import { withScope, type AuthUser, type Scoped } from '../auth/scope.js';
import { availableActions, ACTIONS, RESERVE_STATES, STATES, STATE_CODES } from '../domain/procedure/state-machine.js';
import { m2ToMicroMu, quotaArea } from '../domain/quota/five-hundred-mu.js';
import { Problem } from '../http/problem.js';
import { refuseUnknownProperties } from '../http/strict-body.js';
import { thresholdInRequest } from '../check-parameters/problems.js';
import { ProblemSchema } from '../imports/schemas.js';
import * as repo from './repository.js';
import * as reserve from './reserve.js';
import * as service from './service.js';
import { CountyCode, IdParams, Int32, IsoDate, Uuid, Year } from '../http/schemas.js';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };
const Id = IdParams;
const Document = Type.Object(
  {
    title: Type.String({ minLength: 1, description: '文件名称' }),
    number: Type.Optional(Type.String({ description: '文号' })),
    url: Type.Optional(Type.String()),
    date: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const Common = {
  notes: Type.Optional(Type.String({ description: '办理意见' })),
  documents: Type.Optional(Type.Array(Document, { description: '依据文件' })),
};
const ok = { 200: Type.Any(), 201: Type.Any(), ...problems };

const area = (m2: string | null) => (m2 === null ? null : { ...quotaArea(m2ToMicroMu(m2)) });

export function procedureView(p: repo.ProcedureRow, user?: AuthUser) {
  return {
    id: p.id,
    candidateParcelId: p.candidate_parcel_id,
    uploadId: p.upload_id,
    countyCode: p.county_code,
    townshipCode: p.township_code,
    parcelNo: p.parcel_no,
    applicant: p.applicant,
    state: p.state,
    stateLabel: STATES[p.state],
    stateSince: p.state_since.toISOString(),
    version: p.version,
    areaOfRecord: area(p.area_m2),
    verificationRunId: p.verification_run_id,
    rightsHolders: p.rights_holders,
    publicity: p.publicity_from ? { from: p.publicity_from, to: p.publicity_to, place: p.publicity_place } : null,
    confirmedOn: p.confirmed_on,
    afforestation: p.afforested_on
      ? { forestClass: p.forest_class, species: p.species, plantedOn: p.afforested_on, area: area(p.afforested_area_m2), restorer: p.restorer }
      : null,
    changeYear: p.change_year,
    acceptanceRunId: p.acceptance_run_id,
    acceptedOn: p.accepted_on,
    changedOn: p.changed_on,
    reserveYear: p.reserve_year,
    reservedOn: p.reserved_on,
    submissionId: p.submission_id,
    endReason: p.end_reason,
    createdAt: p.created_at.toISOString(),
    ...(user ? { availableActions: availableActions(p.state, user.role).map((a) => ({ action: a, label: ACTIONS[a].label })) } : {}),
    links: { self: `/api/v1/procedures/${p.id}`, auditLog: `/api/v1/procedures/${p.id}/audit-log`, candidateReport: `/api/v1/candidate-parcels/${p.candidate_parcel_id}/report` },
  };
}

async function detail(tx: Scoped, p: repo.ProcedureRow) {
  const [history, objections, consents] = await Promise.all([repo.transitions(tx, p.id), repo.objections(tx, p.id), repo.consents(tx, p.id)]);
  return {
    ...procedureView(p, tx.user),
    consentStatus: (p.rights_holders ?? []).map((h) => ({ ...h, consented: consents.some((c) => c.qsdwdm === h.qsdwdm) })),
    history: history.map((t) => ({
      seq: t.seq,
      action: t.action,
      actionLabel: (ACTIONS as Record<string, { label: string }>)[t.action]?.label ?? t.action,
      from: t.from_state,
      to: t.to_state,
      actor: { id: t.actor_id, login: t.actor_login, name: t.actor_name, role: t.actor_role },
      at: t.at.toISOString(),
      effectiveOn: t.effective_on,
      notes: t.notes,
      documents: t.documents,
      evidence: t.evidence,
    })),
    objections: objections.map((o) => ({
      id: o.id,
      receivedOn: o.received_on,
      objector: o.objector,
      content: o.content,
      decision: o.decision,
      decisionReason: o.decision_reason,
      decidedOn: o.decided_on,
    })),
    consents: consents.map((c) => ({ id: c.id, qsdwdm: c.qsdwdm, qsdwmc: c.qsdwmc, signatory: c.signatory, consentedOn: c.consented_on, document: c.document })),
  };
}

export const procedureRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const show = (user: AuthUser, id: string) =>
    withScope(pool, user, async (tx) => {
      const p = await repo.getProcedure(tx, id);
      if (!p) throw service.procedureNotFound(id);
      return detail(tx, p);
    });
  const answer = async (user: AuthUser, row: repo.ProcedureRow) => show(user, row.id);

  app.post(
    '/procedures',
    {
      schema: {
        tags: ['procedure'],
        summary: '申请：乡镇对候选地块提出补充林地申请',
        description: '由乡镇人民政府办理；同一候选地块同时只能在一个办理流程中。',
        body: Type.Object({ candidateParcelId: Uuid(), appliedOn: Type.Optional(IsoDate('申请日期')), ...Common }),
        response: ok,
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      const p = await service.apply(pool, user, req.body);
      return reply.status(201).header('location', `/api/v1/procedures/${p.id}`).send(await answer(user, p));
    },
  );

  app.get(
    '/procedures',
    {
      schema: {
        tags: ['procedure'],
        summary: '办理中的地块（仅管辖范围内）',
        querystring: Type.Object({
          county: Type.Optional(CountyCode()),
          state: Type.Optional(Type.Union(STATE_CODES.map((s) => Type.Literal(s)))),
          reserveYear: Type.Optional(Year()),
          submissionId: Type.Optional(Uuid()),
          limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
          offset: Int32({ minimum: 0, default: 0 }),
        }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => {
      const user = requireUser(req);
      return withScope(pool, user, async (tx) => ({ items: (await repo.listProcedures(tx, req.query)).map((p) => procedureView(p, user)) }));
    },
  );

  app.get(
    '/procedures/:id',
    { schema: { tags: ['procedure'], summary: '地块办理详情：状态、经办记录（谁、何时、依据）、异议、权利人同意、可办理的操作', params: Id, response: { 200: Type.Any(), ...problems } } },
    async (req) => show(requireUser(req), req.params.id),
  );

  app.post(
    '/procedures/:id/verify',
    {
      schema: {
        tags: ['procedure'],
        summary: '核实：依据候选地块检查a–g（无不通过项，或县级填写核实意见）',
        description: '默认采用该批次最新一次检查；checkRunId指定检查记录，rerunChecks立即重新检查。检查不通过时须由县级林业主管部门在override.reason中写明核实意见。',
        params: Id,
        body: Type.Object({
          checkRunId: Type.Optional(Uuid()),
          rerunChecks: Type.Optional(Type.Object({ baseYear: Type.Optional(Year()), latestYear: Type.Optional(Year()) })),
          override: Type.Optional(Type.Object({ reason: Type.String({ description: '核实意见：为何检查不通过仍可补充' }) })),
          verifiedOn: Type.Optional(IsoDate('核实日期')),
          ...Common,
        }),
        response: ok,
      },
      // A re-run takes survey years only; thresholds are the province's parameter set in force.
      preValidation: refuseUnknownProperties('any', { nested: { rerunChecks: ['baseYear', 'latestYear'] }, refused: thresholdInRequest }),
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.verify(pool, user, req.params.id, req.body));
    },
  );

  app.post(
    '/procedures/:id/publicize',
    {
      schema: {
        tags: ['procedure'],
        summary: '公示：登记公示期与地点（地块所在自然村、村委会所在地）',
        params: Id,
        body: Type.Object({ from: IsoDate('公示开始'), to: IsoDate('公示结束'), place: Type.String(), ...Common }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.publicize(pool, user, req.params.id, req.body));
    },
  );

  app.post(
    '/procedures/:id/objections',
    {
      schema: {
        tags: ['procedure'],
        summary: '登记公示异议',
        params: Id,
        body: Type.Object({ receivedOn: IsoDate('收到日期'), objector: Type.String({ minLength: 1 }), content: Type.String({ minLength: 1 }) }),
        response: ok,
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      await service.recordObjection(pool, user, req.params.id, req.body);
      return reply.status(201).send(await show(user, req.params.id));
    },
  );

  app.post(
    '/procedures/:id/objections/:objectionId/decision',
    {
      schema: {
        tags: ['procedure'],
        summary: '认定公示异议：成立（地块终止办理）或不成立',
        params: Type.Object({ id: Uuid(), objectionId: Uuid() }),
        body: Type.Object({ decision: Type.Union([Type.Literal('upheld'), Type.Literal('dismissed')]), reason: Type.String(), decidedOn: Type.Optional(IsoDate('认定日期')) }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      await service.decideObjection(pool, user, req.params.id, req.params.objectionId, req.body);
      return show(user, req.params.id);
    },
  );

  app.post(
    '/procedures/:id/consents',
    {
      schema: {
        tags: ['procedure'],
        summary: '登记权利人同意（权属检查列出的每个权属单位）',
        params: Id,
        body: Type.Object({ qsdwdm: Type.String(), signatory: Type.String({ minLength: 1 }), consentedOn: IsoDate('同意日期'), document: Document }),
        response: ok,
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      await service.recordConsent(pool, user, req.params.id, req.body);
      return reply.status(201).send(await show(user, req.params.id));
    },
  );

  app.post(
    '/procedures/:id/confirm',
    {
      schema: {
        tags: ['procedure'],
        summary: '确认：县级人民政府批准（公示期满、异议不成立、权利人均已同意）',
        params: Id,
        body: Type.Object({ confirmedOn: Type.Optional(IsoDate('批准日期')), ...Common }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.confirm(pool, user, req.params.id, req.body));
    },
  );

  app.post(
    '/procedures/:id/afforest',
    {
      schema: {
        tags: ['procedure'],
        summary: '造林：林地地类、树种、日期、面积与修复主体（谁修复、谁受益）',
        params: Id,
        body: Type.Object({
          forestClass: Type.String({ description: '三调林地地类，如0301' }),
          species: Type.Array(Type.String()),
          plantedOn: IsoDate('造林日期'),
          areaM2: Type.Number({ minimum: 0, maximum: 1e10, description: '造林面积（平方米）' }),
          restorer: Type.Object({ name: Type.String(), kind: Type.String({ description: '企业、政府、个人等' }), contact: Type.Optional(Type.String()) }),
          ...Common,
        }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.afforest(pool, user, req.params.id, req.body));
    },
  );

  app.post(
    '/procedures/:id/accept',
    {
      schema: {
        tags: ['procedure'],
        summary: '验收：该年度变更调查的地类变更检查须通过',
        description: '未指定checkRunId时按changeYear立即运行检查。',
        params: Id,
        body: Type.Object({ changeYear: Type.Integer({ minimum: 2019, maximum: 2100 }), checkRunId: Type.Optional(Uuid()), acceptedOn: Type.Optional(IsoDate('验收日期')), ...Common }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.accept(pool, user, req.params.id, req.body));
    },
  );

  app.post(
    '/procedures/:id/change',
    {
      schema: {
        tags: ['procedure'],
        summary: '变更：该年度地类图斑与“一张图”均已变更为林地',
        description: '默认采用验收时的变更调查年份与检查记录。',
        params: Id,
        body: Type.Object({ changeYear: Type.Optional(Type.Integer({ minimum: 2019, maximum: 2100 })), checkRunId: Type.Optional(Uuid()), changedOn: Type.Optional(IsoDate('变更日期')), ...Common }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.change(pool, user, req.params.id, req.body));
    },
  );

  app.post(
    '/procedures/:id/reserve',
    {
      schema: {
        tags: ['procedure'],
        summary: '入库：纳入县级补充林地储备库（登记储备年度）',
        params: Id,
        body: Type.Object({ reserveYear: Type.Integer({ minimum: 2019, maximum: 2100 }), reservedOn: Type.Optional(IsoDate('入库日期')), ...Common }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      return answer(user, await service.reserve(pool, user, req.params.id, req.body));
    },
  );

  for (const action of ['withdraw', 'reject'] as const) {
    app.post(
      `/procedures/:id/${action}`,
      {
        schema: {
          tags: ['procedure'],
          summary: action === 'withdraw' ? '撤回（入库前）' : '否决（入库前）',
          params: Id,
          body: Type.Object({ reason: Type.String(), ...Common }),
          response: ok,
        },
      },
      async (req) => {
        const user = requireUser(req);
        return answer(user, await service.end(pool, user, req.params.id, action, req.body));
      },
    );
  }

  // ---------------------------------------------------------------- reserve submissions and audits

  const submissionView = (s: reserve.SubmissionRow) => ({
    id: s.id,
    countyCode: s.county_code,
    reserveYear: s.reserve_year,
    submittedOn: s.submitted_on,
    dueOn: s.due_on,
    late: s.late,
    lateLabel: s.late ? `逾期（应于${s.due_on}前报送）` : null,
    parcels: s.parcel_count,
    area: area(s.area_m2),
    state: s.state,
    notes: s.notes,
    documents: s.documents,
    createdAt: s.created_at.toISOString(),
    links: { self: `/api/v1/reserve-submissions/${s.id}` },
  });
  const auditView = (a: reserve.AuditRow, samples: reserve.SampleRow[]) => ({
    id: a.id,
    submissionId: a.submission_id,
    countyCode: a.county_code,
    level: a.level,
    seed: a.seed,
    algorithm: a.algorithm,
    minSharePct: a.min_share_pct,
    populationArea: area(a.population_m2),
    sampledArea: area(a.sampled_m2),
    sampledShare: Number(a.population_m2) > 0 ? Math.round((Number(a.sampled_m2) / Number(a.population_m2)) * 1e6) / 1e6 : 0,
    population: a.population,
    drawnAt: a.drawn_at.toISOString(),
    completedAt: a.completed_at?.toISOString() ?? null,
    samples: samples.map((s) => ({
      parcelId: s.parcel_id,
      parcelNo: s.parcel_no,
      drawOrder: s.draw_order,
      area: area(s.area_m2),
      result: s.result,
      reason: s.reason,
      inspectedOn: s.inspected_on,
      notes: s.notes,
      documents: s.documents,
      recordedAt: s.recorded_at?.toISOString() ?? null,
    })),
    links: { self: `/api/v1/audits/${a.id}` },
  });
  /** Submissions and audits are the county's and the auditors' (README, What a township sees); row-level security hides them too. */
  const reserveReader = (req: FastifyRequest, what: string) => {
    const user = requireUser(req);
    requireRole(user, PERMISSIONS.readReserve, what);
    return user;
  };
  const showAudit = (user: AuthUser, id: string) =>
    withScope(pool, user, async (tx) => {
      const a = await reserve.getAudit(tx, id);
      if (!a) throw new Problem(404, 'audit-not-found', 'Audit not found', `未找到抽查记录：${id}（不存在或不在管辖范围内）`);
      return auditView(a, await reserve.samplesOf(tx, a.id));
    });

  app.get(
    '/counties/:county/reserve',
    {
      schema: {
        tags: ['reserve'],
        summary: '县级补充林地储备库（按储备年度）',
        params: Type.Object({ county: CountyCode() }),
        querystring: Type.Object({ year: Type.Optional(Year()) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => {
      const user = requireUser(req);
      return withScope(pool, user, async (tx) => {
        const rows = (await repo.listProcedures(tx, { county: req.params.county, reserveYear: req.query.year, limit: 100000, offset: 0 })).filter((p) =>
          RESERVE_STATES.includes(p.state),
        );
        const byYear = new Map<number, repo.ProcedureRow[]>();
        for (const p of rows) byYear.set(p.reserve_year!, [...(byYear.get(p.reserve_year!) ?? []), p]);
        return {
          countyCode: req.params.county,
          years: [...byYear].sort(([a], [b]) => a - b).map(([year, ps]) => ({
            reserveYear: year,
            parcels: ps.length,
            area: quotaArea(ps.reduce((s, p) => s + m2ToMicroMu(p.area_m2!), 0n)),
            items: ps.map((p) => procedureView(p)),
          })),
        };
      });
    },
  );

  app.post(
    '/counties/:county/reserve-submissions',
    {
      schema: {
        tags: ['reserve'],
        summary: '县级储备库报市级审核（应于次年9月15日前，逾期标记）',
        params: Type.Object({ county: CountyCode() }),
        body: Type.Object({ reserveYear: Type.Integer({ minimum: 2019, maximum: 2100 }), submittedOn: Type.Optional(IsoDate('报送日期')), ...Common }),
        response: ok,
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      const s = await reserve.submitReserve(pool, user, req.params.county, req.body);
      return reply.status(201).header('location', `/api/v1/reserve-submissions/${s.id}`).send(submissionView(s));
    },
  );

  app.get(
    '/reserve-submissions',
    {
      schema: {
        tags: ['reserve'],
        summary: '储备库报送记录（管辖范围内）',
        querystring: Type.Object({ county: Type.Optional(CountyCode()), year: Type.Optional(Year()) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => {
      const user = reserveReader(req, '查看储备库报送记录');
      return withScope(pool, user, async (tx) => ({ items: (await reserve.listSubmissions(tx, req.query)).map(submissionView) }));
    },
  );

  app.get(
    '/reserve-submissions/:id',
    { schema: { tags: ['reserve'], summary: '报送记录与抽查', params: Id, response: { 200: Type.Any(), ...problems } } },
    async (req) => {
      const user = reserveReader(req, '查看储备库报送记录');
      return withScope(pool, user, async (tx) => {
        const s = await reserve.getSubmission(tx, req.params.id);
        if (!s) throw new Problem(404, 'submission-not-found', 'Submission not found', `未找到储备库报送记录：${req.params.id}（不存在或不在管辖范围内）`);
        const audits = await reserve.auditsOf(tx, s.id);
        return { ...submissionView(s), audits: await Promise.all(audits.map(async (a) => auditView(a, await reserve.samplesOf(tx, a.id)))) };
      });
    },
  );

  app.post(
    '/reserve-submissions/:id/audits',
    {
      schema: {
        tags: ['reserve'],
        summary: '抽取核查样本：市级≥30%面积，省级≥15%面积（系统生成随机种子并记录，可复现）',
        params: Id,
        description: '随机种子由系统生成（128位随机数）并与总体一并记录，任何人可据此复现样本；请求中不能指定种子。',
        body: Type.Object({ level: Type.Union([Type.Literal('city'), Type.Literal('province')]) }),
        response: ok,
      },
      preValidation: refuseUnknownProperties(['level'], {
        refused: (k) =>
          k === 'seed'
            ? new Problem(400, 'seed-not-accepted', 'The sampling seed is drawn by the server', '抽样随机种子由系统生成并记录，不能在请求中指定')
            : undefined,
      }),
    },
    async (req, reply) => {
      const user = requireUser(req);
      const r = await reserve.drawAudit(pool, user, req.params.id, req.body);
      return reply.status(201).header('location', `/api/v1/audits/${r.audit.id}`).send(auditView(r.audit, r.samples));
    },
  );

  app.get(
    '/audits/:id',
    { schema: { tags: ['reserve'], summary: '抽查样本、结果与复现所需的种子和总体', params: Id, response: { 200: Type.Any(), ...problems } } },
    async (req) => showAudit(reserveReader(req, '查看抽查记录'), req.params.id),
  );

  app.post(
    '/audits/:id/results',
    {
      schema: {
        tags: ['reserve'],
        summary: '登记样本地块核查结果（不合格须写明原因，地块出库）',
        params: Id,
        body: Type.Object({
          parcelId: Uuid(),
          result: Type.Union([Type.Literal('pass'), Type.Literal('fail')]),
          reason: Type.Optional(Type.String()),
          inspectedOn: Type.Optional(IsoDate('核查日期')),
          ...Common,
        }),
        response: ok,
      },
    },
    async (req) => {
      const user = requireUser(req);
      await reserve.recordAuditResult(pool, user, req.params.id, req.body);
      return showAudit(user, req.params.id);
    },
  );

  app.post(
    '/audits/:id/complete',
    {
      schema: {
        tags: ['reserve'],
        summary: '完成抽查：样本均已登记结果，其余地块转入下一级（省级审核或省级储备库）',
        params: Id,
        body: Type.Optional(Type.Object({ ...Common })),
        response: ok,
      },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
      },
    },
    async (req) => {
      const user = requireUser(req);
      const r = await reserve.completeAudit(pool, user, req.params.id, req.body ?? {});
      return { ...(await showAudit(user, req.params.id)), moved: r.moved, submission: submissionView(r.submission) };
    },
  );
};
