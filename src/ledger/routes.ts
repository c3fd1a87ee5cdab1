import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import type { PilotPeriod } from '../domain/quota/pilot-period.js';
import { IdParams } from '../http/schemas.js';
import { ProblemSchema } from '../imports/schemas.js';
import { sendTables } from '../reports/tabular.js';
import {
  AnnualSummaryAnswer,
  AnnualSummarySubmitted,
  AuditLog,
  AuditQuery,
  CountyLedgerAnswer,
  CountyParams,
  CountyYearParams,
  ForestStockAnswer,
  FormatQuery,
  ParcelAuditQuery,
  ProvinceQuery,
  ProvinceSummaryAnswer,
  SubmitBody,
} from './schemas.js';
import * as service from './service.js';
import * as view from './view.js';

const problems = { 400: ProblemSchema, 401: ProblemSchema, 403: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 422: ProblemSchema };

export const ledgerRoutes: FastifyPluginAsync<{ pool: pg.Pool; pilot: PilotPeriod }> = async (fastify, { pool, pilot }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/counties/:county/ledger',
    {
      schema: {
        tags: ['ledger'],
        summary: '县级台账：储备年度、下达、统筹、使用、扣减、作废、结余（亩与公顷），JSON/CSV/XLSX',
        description: 'XLSX含三张表：台账（按年度）、明细（每笔台账记录及其依据）、地块（储备库地块及下达批次）。CSV为台账表。',
        params: CountyParams,
        querystring: FormatQuery,
        response: { 200: CountyLedgerAnswer, ...problems },
      },
    },
    async (req, reply) => {
      const l = view.countyLedgerView(await service.countyLedger(pool, requireUser(req), pilot, req.params.county));
      return sendTables(reply, req.query.format, view.countyLedgerTables(l), l);
    },
  );

  app.get(
    '/ledger/province',
    {
      schema: {
        tags: ['ledger'],
        summary: '全省（或本市）汇总：各县储备、下达、统筹、使用、扣减、作废、结余，JSON/CSV/XLSX',
        querystring: ProvinceQuery,
        response: { 200: ProvinceSummaryAnswer, ...problems },
      },
    },
    async (req, reply) => {
      const s = view.provinceSummaryView(await service.provinceSummary(pool, requireUser(req), pilot, req.query.quotaYear));
      return sendTables(reply, req.query.format, view.provinceSummaryTables(s), s);
    },
  );

  app.get(
    '/counties/:county/annual-summary/:year',
    {
      schema: {
        tags: ['ledger'],
        summary: '县级年度试点工作总结（次年1月初上报），JSON/CSV/XLSX',
        params: CountyYearParams,
        querystring: FormatQuery,
        response: { 200: AnnualSummaryAnswer, ...problems },
      },
    },
    async (req, reply) => {
      const a = view.annualSummaryView(await service.annualSummary(pool, requireUser(req), pilot, req.params.county, req.params.year));
      return sendTables(reply, req.query.format, view.annualSummaryTables(a), a);
    },
  );

  app.post(
    '/counties/:county/annual-summary/:year/submit',
    {
      schema: {
        tags: ['ledger'],
        summary: '上报年度试点工作总结（截止次年1月10日，逾期标记；上报时冻结快照）',
        params: CountyYearParams,
        body: SubmitBody,
        response: { 201: AnnualSummarySubmitted, ...problems },
      },
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
      },
    },
    async (req, reply) => reply.status(201).send(await service.submitAnnualSummary(pool, requireUser(req), pilot, req.params.county, req.params.year, req.body ?? {})),
  );

  app.get(
    '/counties/:county/forest-stock',
    {
      schema: {
        tags: ['ledger'],
        summary: '林地保有量动态平衡：储备库补充林地与建设项目占用（按年度），JSON/CSV/XLSX',
        params: CountyParams,
        querystring: FormatQuery,
        response: { 200: ForestStockAnswer, ...problems },
      },
    },
    async (req, reply) => {
      const s = view.forestStockView(await service.forestStock(pool, requireUser(req), req.params.county));
      return sendTables(reply, req.query.format, view.forestStockTables(s), s);
    },
  );

  app.get(
    '/audit-log',
    { schema: { tags: ['ledger'], summary: '审计日志（只增不改）：每一项变更的操作人、时间与内容', querystring: AuditQuery, response: { 200: AuditLog, ...problems } } },
    async (req) => view.auditLogView(await service.auditLog(pool, requireUser(req), req.query)),
  );

  app.get(
    '/procedures/:id/audit-log',
    {
      schema: { tags: ['procedure'], summary: '一个地块的审计日志', params: IdParams, querystring: ParcelAuditQuery, response: { 200: AuditLog, ...problems } },
    },
    async (req) => view.auditLogView(await service.auditLog(pool, requireUser(req), { parcelId: req.params.id, limit: req.query.limit, parcelMustExist: true })),
  );
};
