import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import { Problem } from '../http/problem.js';
import { CountyParams, IdParams } from '../http/schemas.js';
import { refuseNamedProperties, emptyBodyAsObject } from '../http/strict-body.js';
import { problems } from '../procedure/schemas.js';
import {
  ApproveBody,
  AuditResultBody,
  AuditView,
  CompleteAuditBody,
  CompletedAuditView,
  CountyReserveQuery,
  CountyReserveView,
  DrawAuditBody,
  SubmissionDetailView,
  SubmissionList,
  SubmissionQuery,
  SubmissionView,
  SubmitBody,
} from './schemas.js';
import * as service from './service.js';
import { auditView, countyReserveView, submissionView } from './view.js';

const tags = ['reserve'];

export const reserveRoutes: FastifyPluginAsync<{ pool: pg.Pool }> = async (fastify, { pool }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/counties/:county/reserve',
    {
      schema: {
        tags,
        summary: '县级补充林地储备库（按储备年度）',
        params: CountyParams,
        querystring: CountyReserveQuery,
        response: { 200: CountyReserveView, ...problems },
      },
    },
    async (req) => countyReserveView(req.params.county, await service.countyReserve(pool, requireUser(req), req.params.county, req.query.year)),
  );

  app.post(
    '/counties/:county/reserve-submissions',
    {
      schema: {
        tags,
        summary: '县级林业主管部门报送县级储备库（待县级人民政府审核后报市级；应于次年9月15日前，逾期标记）',
        params: CountyParams,
        body: SubmitBody,
        response: { 201: SubmissionView, ...problems },
      },
    },
    async (req, reply) => {
      const s = await service.submitReserve(pool, requireUser(req), req.params.county, req.body);
      return reply.status(201).header('location', `/api/v1/reserve-submissions/${s.id}`).send(submissionView(s));
    },
  );

  app.get(
    '/reserve-submissions',
    { schema: { tags, summary: '储备库报送记录（管辖范围内）', querystring: SubmissionQuery, response: { 200: SubmissionList, ...problems } } },
    async (req) => ({ items: (await service.listSubmissions(pool, requireUser(req), req.query)).map(submissionView) }),
  );

  app.get(
    '/reserve-submissions/:id',
    { schema: { tags, summary: '报送记录与抽查', params: IdParams, response: { 200: SubmissionDetailView, ...problems } } },
    async (req) => {
      const { submission, audits } = await service.submissionDetail(pool, requireUser(req), req.params.id);
      return { ...submissionView(submission), audits: audits.map(auditView) };
    },
  );

  app.post(
    '/reserve-submissions/:id/approve',
    {
      schema: {
        tags,
        summary: '县级人民政府审核储备库报送（经县（市、区）政府审核后报市级；记录审核人与时间）',
        params: IdParams,
        body: ApproveBody,
        response: { 200: SubmissionView, ...problems },
      },
      // An empty request approves as of today.
      preValidation: emptyBodyAsObject,
    },
    async (req) => submissionView(await service.approveSubmission(pool, requireUser(req), req.params.id, req.body ?? {})),
  );

  app.post(
    '/reserve-submissions/:id/audits',
    {
      schema: {
        tags,
        summary: '抽取核查样本：市级≥30%面积，省级≥15%面积（系统生成随机种子并记录，可复现）',
        params: IdParams,
        description: '随机种子由系统生成（128位随机数）并与总体一并记录，任何人可据此复现样本；请求中不能指定种子。',
        body: DrawAuditBody,
        response: { 201: AuditView, ...problems },
      },
      preValidation: refuseNamedProperties((k) =>
        k === 'seed' ? new Problem(400, 'seed-not-accepted', 'The sampling seed is drawn by the server', '抽样随机种子由系统生成并记录，不能在请求中指定') : undefined,
      ),
    },
    async (req, reply) => {
      const drawn = await service.drawAudit(pool, requireUser(req), req.params.id, req.body);
      return reply.status(201).header('location', `/api/v1/audits/${drawn.audit.id}`).send(auditView(drawn));
    },
  );

  app.get(
    '/audits/:id',
    { schema: { tags, summary: '抽查样本、结果与复现所需的种子和总体', params: IdParams, response: { 200: AuditView, ...problems } } },
    async (req) => auditView(await service.showAudit(pool, requireUser(req), req.params.id)),
  );

  app.post(
    '/audits/:id/results',
    {
      schema: {
        tags,
        summary: '登记样本地块核查结果（不合格须写明原因，地块出库）',
        params: IdParams,
        body: AuditResultBody,
        response: { 200: AuditView, ...problems },
      },
    },
    async (req) => auditView(await service.recordAuditResult(pool, requireUser(req), req.params.id, req.body)),
  );

  app.post(
    '/audits/:id/complete',
    {
      schema: {
        tags,
        summary: '完成抽查：样本均已登记结果；全部合格则转入下一级（省级审核或省级储备库），有不合格则退回县级重新报送（核查无误后报省级）',
        params: IdParams,
        body: CompleteAuditBody,
        response: { 200: CompletedAuditView, ...problems },
      },
      // An empty request completes the audit without notes.
      preValidation: emptyBodyAsObject,
    },
    async (req) => {
      const r = await service.completeAudit(pool, requireUser(req), req.params.id, req.body ?? {});
      return { ...auditView(r), moved: r.moved, returned: r.returned, submission: submissionView(r.submission) };
    },
  );
};
