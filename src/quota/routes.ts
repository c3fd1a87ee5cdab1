import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { quotaArea } from '../domain/units.js';
import { IdParams } from '../http/schemas.js';
import { ProblemSchema } from '../imports/schemas.js';
import {
  AllocateBody,
  AllocationRound,
  CountyParams,
  CountyQuotaView,
  DrawBody,
  DrawList,
  DrawMade,
  DrawView,
  IdleUseList,
  IdleUsesQuery,
  InspectionBody,
  InspectionList,
  InspectionMade,
  InspectionQuery,
  IssuanceDetail,
  IssuanceList,
  IssuanceQuery,
  IssueBody,
  LapseMade,
  PoolQuery,
  PoolRequestBody,
  PoolRequestMade,
  PoolView,
  UseBody,
} from './schemas.js';
import * as service from './service.js';
import * as view from './view.js';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };

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
        body: IssueBody,
        // 201 when something was issued, 200 when nothing was left to issue.
        response: { 200: IssuanceList, 201: IssuanceList, ...problems },
      },
    },
    async (req, reply) => {
      const made = await service.issue(pool, requireUser(req), pilot, req.body);
      return reply.status(made.length ? 201 : 200).send({ items: made.map(view.issuanceView) });
    },
  );

  app.get(
    '/quota/issuances',
    { schema: { tags: ['quota'], summary: '定额下达记录', querystring: IssuanceQuery, response: { 200: IssuanceList, ...problems } } },
    async (req) => ({ items: (await service.listIssuances(pool, requireUser(req), req.query)).map(view.issuanceView) }),
  );

  app.get(
    '/quota/issuances/:id',
    { schema: { tags: ['quota'], summary: '一次下达及其依据地块（可追溯到每个地块）', params: IdParams, response: { 200: IssuanceDetail, ...problems } } },
    async (req) => view.issuanceDetailView(await service.issuance(pool, requireUser(req), req.params.id)),
  );

  app.get(
    '/counties/:county/quota',
    { schema: { tags: ['quota'], summary: '县级定额账户：各年度下达、调入、使用、扣减、作废、结余', params: CountyParams, response: { 200: CountyQuotaView, ...problems } } },
    async (req) => view.countyQuotaView(await service.countyQuota(pool, requireUser(req), pilot, req.params.county)),
  );

  app.post(
    '/counties/:county/quota/draws',
    {
      schema: {
        tags: ['quota'],
        summary: '建设项目使用定额（不超过结余；并发请求依次处理，不会透支）',
        params: CountyParams,
        body: DrawBody,
        response: { 201: DrawMade, ...problems },
      },
    },
    async (req, reply) => {
      const r = await service.draw(pool, requireUser(req), pilot, req.params.county, req.body);
      return reply.status(201).send({ ...view.drawView(r.draw), balanceAfter: quotaArea(r.balance) });
    },
  );

  app.get(
    '/counties/:county/quota/draws',
    { schema: { tags: ['quota'], summary: '建设项目使用定额记录', params: CountyParams, response: { 200: DrawList, ...problems } } },
    async (req) => ({ items: (await service.listDraws(pool, requireUser(req), req.params.county)).map(view.drawView) }),
  );

  app.post(
    '/quota/draws/:id/use',
    {
      schema: { tags: ['quota'], summary: '登记项目开工（用地不再闲置）或闲置林地收回', params: IdParams, body: UseBody, response: { 200: DrawView, ...problems } },
    },
    async (req) => view.drawView(await service.recordUse(pool, requireUser(req), req.params.id, req.body)),
  );

  app.get(
    '/quota/idle-uses',
    { schema: { tags: ['quota'], summary: '批准后闲置两年以上、应收回的项目用地', querystring: IdleUsesQuery, response: { 200: IdleUseList, ...problems } } },
    async (req) => view.idleUsesView(await service.idleUses(pool, requireUser(req), req.query)),
  );

  app.post(
    '/quota/inspections',
    {
      schema: {
        tags: ['quota'],
        summary: '储备库地块年度核查：退化或灭失的扣减当年度定额（灭失地块出库）',
        body: InspectionBody,
        response: { 201: InspectionMade, ...problems },
      },
    },
    async (req, reply) => reply.status(201).send(view.inspectionMadeView(await service.inspect(pool, requireUser(req), req.body))),
  );

  app.get(
    '/quota/inspections',
    { schema: { tags: ['quota'], summary: '年度核查记录', querystring: InspectionQuery, response: { 200: InspectionList, ...problems } } },
    async (req) => view.inspectionListView(await service.listInspections(pool, requireUser(req), req.query)),
  );

  app.post(
    '/quota/pool/requests',
    { schema: { tags: ['quota'], summary: '申请省级统筹定额', body: PoolRequestBody, response: { 201: PoolRequestMade, ...problems } } },
    async (req, reply) => reply.status(201).send(view.poolRequestMadeView(await service.requestPool(pool, requireUser(req), req.body))),
  );

  app.post(
    '/quota/pool/allocations',
    {
      schema: { tags: ['quota'], summary: '省级统筹分配（优先本县，其次本市，再次省内其他县）', body: AllocateBody, response: { 201: AllocationRound, ...problems } },
    },
    async (req, reply) => reply.status(201).send(view.allocationRoundView(await service.allocate(pool, requireUser(req), pilot, req.body))),
  );

  app.get(
    '/quota/pool',
    { schema: { tags: ['quota'], summary: '省级统筹：按来源县的结余、申请与分配', querystring: PoolQuery, response: { 200: PoolView, ...problems } } },
    async (req) => view.poolView(await service.poolState(pool, requireUser(req), req.query.quotaYear)),
  );

  app.post(
    '/quota/lapse',
    {
      schema: {
        tags: ['quota'],
        summary: '试点期结束：未使用的新增定额自动作废（记入台账）',
        body: Type.Optional(Type.Object({})),
        response: { 201: LapseMade, ...problems },
      },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
      },
    },
    async (req, reply) => reply.status(201).send(view.lapseView(await service.lapse(pool, requireUser(req), pilot))),
  );
};
