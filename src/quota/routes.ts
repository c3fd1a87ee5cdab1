import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { PERMISSIONS, requireRole, requireUser } from '../auth/plugin.js';
import { withScope } from '../auth/scope.js';
import { quotaArea } from '../domain/quota/five-hundred-mu.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { Problem } from '../http/problem.js';
import { ProblemSchema } from '../imports/schemas.js';
import * as repo from './repository.js';
import * as service from './service.js';
import { CountyCode, IdParams, IsoDate, Uuid, Year } from '../http/schemas.js';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };
const ok = { 200: Type.Any(), 201: Type.Any(), ...problems };
const Id = IdParams;
const County = Type.Object({ county: CountyCode() });
const Area = Type.Object(
  {
    unit: Type.Union([Type.Literal('m2'), Type.Literal('mu'), Type.Literal('hectare')], { description: 'm2 平方米（≤2位小数）、mu 亩或 hectare 公顷（≤6位小数）' }),
    // Bounded so the exact µ亩 amount fits a bigint.
    value: Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1e10 }), Type.String({ pattern: '^\\d{1,10}(\\.\\d+)?$', maxLength: 40 })]),
  },
  { additionalProperties: false },
);
const Document = Type.Object({ title: Type.String({ minLength: 1 }), number: Type.Optional(Type.String()), url: Type.Optional(Type.String()), date: Type.Optional(Type.String()) });

function issuanceView(i: repo.IssuanceRow) {
  return {
    id: i.id,
    countyCode: i.county_code,
    reserveYear: i.reserve_year,
    quotaYear: i.quota_year,
    batch: i.batch,
    parcels: i.parcels,
    reserve: quotaArea(i.reserve_umu),
    toCounty: quotaArea(i.county_umu),
    toPool: quotaArea(i.pooled_umu),
    rule: i.rule,
    issuedOn: i.issued_on,
    issuedAt: i.issued_at.toISOString(),
    links: { self: `/api/v1/quota/issuances/${i.id}` },
  };
}

export const quotaRoutes: FastifyPluginAsync<{ pool: pg.Pool; pilot: PilotPeriod }> = async (fastify, { pool, pilot }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/quota/issuances',
    {
      schema: {
        tags: ['quota'],
        summary: '按500亩规则下达新增定额（N年度省级储备库 → N+1年定额）',
        description:
          '按县汇总该储备年度已入省级储备库、尚未下达的地块面积（椭球面积）：小于500亩全部下达给县；不小于500亩下达给县500亩，其余纳入省级统筹。同一储备年度后续入库的地块再次下达时按累计面积计算，县级累计不超过500亩。',
        body: Type.Object({ reserveYear: Type.Integer({ minimum: 2019, maximum: 2100 }), county: Type.Optional(CountyCode()), issuedOn: Type.Optional(IsoDate('下达日期')) }),
        response: ok,
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      const made = await service.issue(pool, user, pilot, req.body);
      return reply.status(made.length ? 201 : 200).send({ items: made.map(issuanceView) });
    },
  );

  /** Quota is not a township's business (README, What a township sees); row-level security hides it too. */
  const quotaReader = (req: FastifyRequest, what: string) => {
    const user = requireUser(req);
    requireRole(user, PERMISSIONS.readQuota, what);
    return user;
  };

  app.get(
    '/quota/issuances',
    {
      schema: {
        tags: ['quota'],
        summary: '定额下达记录',
        querystring: Type.Object({ county: Type.Optional(CountyCode()), reserveYear: Type.Optional(Year()) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => withScope(pool, quotaReader(req, '查看定额下达记录'), async (tx) => ({ items: (await repo.issuances(tx, req.query)).map(issuanceView) })),
  );

  app.get(
    '/quota/issuances/:id',
    { schema: { tags: ['quota'], summary: '一次下达及其依据地块（可追溯到每个地块）', params: Id, response: { 200: Type.Any(), ...problems } } },
    async (req) =>
      withScope(pool, quotaReader(req, '查看定额下达记录'), async (tx) => {
        const i = (await repo.issuances(tx, { id: req.params.id }))[0];
        if (!i) throw new Problem(404, 'issuance-not-found', 'Issuance not found', `未找到定额下达记录：${req.params.id}（不存在或不在管辖范围内）`);
        const parcels = await repo.issuanceParcels(tx, i.id);
        return {
          ...issuanceView(i),
          parcelItems: parcels.map((p) => ({ parcelId: p.parcel_id, parcelNo: p.parcel_no, state: p.state, reserveYear: p.reserve_year, area: quotaArea(BigInt(p.area_umu)), areaM2OfRecord: p.area_m2 })),
        };
      }),
  );

  app.get(
    '/counties/:county/quota',
    { schema: { tags: ['quota'], summary: '县级定额账户：各年度下达、调入、使用、扣减、作废、结余', params: County, response: { 200: Type.Any(), ...problems } } },
    async (req) => service.countyQuota(pool, requireUser(req), pilot, req.params.county),
  );

  app.post(
    '/counties/:county/quota/draws',
    {
      schema: {
        tags: ['quota'],
        summary: '建设项目使用定额（不超过结余；并发请求依次处理，不会透支）',
        params: County,
        body: Type.Object({
          quotaYear: Type.Optional(Year({ description: '使用哪一年的定额，默认审核日期所在年' })),
          projectName: Type.String({ minLength: 1 }),
          approvalNo: Type.String({ minLength: 1, description: '使用林地审核同意书文号' }),
          approvedOn: IsoDate('审核同意日期'),
          area: Area,
        }),
        response: ok,
      },
    },
    async (req, reply) => {
      const r = await service.draw(pool, requireUser(req), pilot, req.params.county, req.body);
      return reply.status(201).send({ ...service.drawView(r.draw), balanceAfter: quotaArea(r.balance) });
    },
  );

  app.get(
    '/counties/:county/quota/draws',
    { schema: { tags: ['quota'], summary: '建设项目使用定额记录', params: County, response: { 200: Type.Any(), ...problems } } },
    async (req) => withScope(pool, quotaReader(req, '查看建设项目使用定额记录'), async (tx) => ({ items: (await repo.draws(tx, { county: req.params.county })).map(service.drawView) })),
  );

  app.post(
    '/quota/draws/:id/use',
    {
      schema: {
        tags: ['quota'],
        summary: '登记项目开工（用地不再闲置）或闲置林地收回',
        params: Id,
        body: Type.Object({ useStartedOn: Type.Optional(IsoDate('开工日期')), recoveredOn: Type.Optional(IsoDate('收回日期')), recoveryNote: Type.Optional(Type.String()) }),
        response: ok,
      },
    },
    async (req) => service.drawView(await service.recordUse(pool, requireUser(req), req.params.id, req.body)),
  );

  app.get(
    '/quota/idle-uses',
    {
      schema: {
        tags: ['quota'],
        summary: '批准后闲置两年以上、应收回的项目用地',
        querystring: Type.Object({ county: Type.Optional(CountyCode()), asOf: Type.Optional(IsoDate('截至日期，默认今天')) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => service.idleUses(pool, quotaReader(req, '查看闲置用地'), req.query),
  );

  app.post(
    '/quota/inspections',
    {
      schema: {
        tags: ['quota'],
        summary: '储备库地块年度核查：退化或灭失的扣减当年度定额（灭失地块出库）',
        body: Type.Object({
          parcelId: Uuid(),
          year: Type.Integer({ minimum: 2019, maximum: 2100 }),
          inspectedOn: Type.Optional(IsoDate('核查日期')),
          outcome: Type.Union([Type.Literal('intact'), Type.Literal('degraded'), Type.Literal('lost')], { description: 'intact 完好，degraded 林分质量下降或退化，lost 灭失' }),
          findings: Type.Optional(Type.String()),
          documents: Type.Optional(Type.Array(Document)),
        }),
        response: ok,
      },
    },
    async (req, reply) => {
      const r = await service.inspect(pool, requireUser(req), req.body);
      return reply.status(201).send({
        id: r.inspection.id,
        parcelId: r.inspection.parcel_id,
        parcelNo: r.inspection.parcel_no,
        countyCode: r.inspection.county_code,
        year: r.inspection.year,
        inspectedOn: r.inspection.inspected_on,
        outcome: r.inspection.outcome,
        findings: r.inspection.findings,
        deducted: r.deducted,
        balanceAfter: r.balance,
        overdrawn: r.overdrawn,
      });
    },
  );

  app.get(
    '/quota/inspections',
    {
      schema: {
        tags: ['quota'],
        summary: '年度核查记录',
        querystring: Type.Object({ county: Type.Optional(CountyCode()), year: Type.Optional(Year()) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) =>
      withScope(pool, quotaReader(req, '查看年度核查记录'), async (tx) => ({
        items: (await repo.inspections(tx, req.query)).map((n) => ({
          id: n.id,
          parcelId: n.parcel_id,
          parcelNo: n.parcel_no,
          countyCode: n.county_code,
          year: n.year,
          inspectedOn: n.inspected_on,
          outcome: n.outcome,
          findings: n.findings,
          area: quotaArea(n.area_umu),
        })),
      })),
  );

  app.post(
    '/quota/pool/requests',
    {
      schema: {
        tags: ['quota'],
        summary: '申请省级统筹定额',
        body: Type.Object({ county: CountyCode(), quotaYear: Year(), area: Area, purpose: Type.String({ minLength: 1 }) }),
        response: ok,
      },
    },
    async (req, reply) => {
      const r = await service.requestPool(pool, requireUser(req), req.body);
      return reply.status(201).send({ id: r.id, countyCode: r.county_code, quotaYear: r.quota_year, requested: quotaArea(r.amount_umu), purpose: r.purpose });
    },
  );

  app.post(
    '/quota/pool/allocations',
    {
      schema: {
        tags: ['quota'],
        summary: '省级统筹分配（优先本县，其次本市，再次省内其他县）',
        body: Type.Object({ quotaYear: Year() }),
        response: ok,
      },
    },
    async (req, reply) => reply.status(201).send(await service.allocate(pool, requireUser(req), pilot, req.body)),
  );

  app.get(
    '/quota/pool',
    {
      schema: {
        tags: ['quota'],
        summary: '省级统筹：按来源县的结余、申请与分配',
        querystring: Type.Object({ quotaYear: Type.Optional(Year()) }),
        response: { 200: Type.Any(), ...problems },
      },
    },
    async (req) => service.poolView(pool, quotaReader(req, '查看省级统筹定额'), req.query.quotaYear),
  );

  app.post(
    '/quota/lapse',
    {
      schema: {
        tags: ['quota'],
        summary: '试点期结束：未使用的新增定额自动作废（记入台账）',
        body: Type.Optional(Type.Object({})),
        response: ok,
      },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
      },
    },
    async (req, reply) => reply.status(201).send(await service.lapse(pool, requireUser(req), pilot)),
  );
};
