import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Config } from '../config.js';
import { formValidator, receiveUpload } from '../http/multipart-upload.js';
import { PerKeyLimiter } from '../http/concurrency.js';
import { geometryWorkers } from '../workers/geometry.js';
import { PERMISSIONS, countyFieldInScope, requireUser } from '../auth/plugin.js';
import { thresholdInRequest } from '../check-parameters/problems.js';
import { refuseNamedProperties, emptyBodyAsObject } from '../http/strict-body.js';
import { IdParams, ProblemSchema } from '../http/schemas.js';
import {
  CheckRunBody,
  CheckRunList,
  ReportAnswer,
  ReportQuery,
  type ReportQueryT,
  ReportView,
  UploadCreatedView,
  UploadDetailView,
  UploadForm,
} from './schemas.js';
import { checkRuns, parcelReport, rerunChecks, submitUpload, uploadReport, uploadWithParcels, type LoadedReport } from './service.js';
import { checkRunListView, parcelView, reportAnswer, reportTables, reportView, uploadView } from './view.js';
import { sendTables } from '../reports/tabular.js';

const problems = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema };

// Thresholds decide eligibility: they come from the parameter set the province published.
const refuseThresholds = refuseNamedProperties(thresholdInRequest);
// County and township are checked by the service with their own codes (422 county-code-invalid, township-code-invalid).
const uploadForm = formValidator(UploadForm, ['file', 'county', 'township']);

/** A report as JSON, as GeoJSON (with its media type) when its outlines were loaded, or as an XLSX workbook. */
async function sendReport(reply: FastifyReply, r: LoadedReport, format: ReportQueryT['format']) {
  if (format === 'xlsx') return sendTables(reply, 'xlsx', reportTables(r.uploadId, r.run, r.parcels), undefined);
  if (r.outlines) void reply.type('application/geo+json');
  return reportAnswer(r.run, r.parcels, r.outlines);
}

export const candidateRoutes: FastifyPluginAsync<{ pool: pg.Pool; config: Config }> = async (fastify, { pool, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const uploadSlots = new PerKeyLimiter(config.maxConcurrentUploadsPerUser, '拟补充林地上传');
  // Geometry worker threads start with the service, not on the first upload (they compile first).
  void geometryWorkers(config).warm();

  app.post(
    '/candidate-uploads',
    {
      schema: {
        tags: ['candidates'],
        summary: '上传拟补充林地地块并检查',
        description: '整体上传（全有或全无）；同一县（同一乡镇）同一文件再次上传返回原批次（200，duplicate=true），不会重复创建地块；其他乡镇上传的相同文件不视为重复。默认上传后立即运行全部检查。',
        consumes: ['multipart/form-data'],
        body: UploadForm,
        response: { 200: UploadCreatedView, 201: UploadCreatedView, ...problems },
      },
      // Token and role are checked in onRequest, before a byte of the upload is read.
      config: { roles: PERMISSIONS.uploadCandidates, action: '上传拟补充林地地块' },
      // The body is a multipart stream: its fields are validated with UploadForm once received.
      validatorCompiler: () => () => true,
    },
    // At most N uploads of one user at once, counted before the body is read.
    uploadSlots.wrap((req) => requireUser(req).id, async (req, reply) => {
      const user = requireUser(req);
      const { fields, file } = await receiveUpload(req, join(config.workDir, 'uploads'), config.maxCandidateUploadBytes, countyFieldInScope(user));
      try {
        const form = { ...uploadForm(fields), county: fields.county ?? '', township: fields.township || undefined };
        const { upload, duplicate, summary } = await submitUpload(pool, config, user, form, file);
        return reply
          .status(duplicate ? 200 : 201)
          .header('location', `/api/v1/candidate-uploads/${upload.id}`)
          .send({ ...uploadView(upload), duplicate, summary });
      } finally {
        await rm(file.path, { force: true });
      }
    }),
  );

  app.get(
    '/candidate-uploads/:id',
    { schema: { tags: ['candidates'], summary: '上传批次及其地块', params: IdParams, response: { 200: UploadDetailView, ...problems } } },
    async (req) => {
      const { upload, parcels } = await uploadWithParcels(pool, requireUser(req), req.params.id);
      return { ...uploadView(upload), parcels: parcels.map(parcelView) };
    },
  );

  app.post(
    '/candidate-uploads/:id/check-runs',
    {
      schema: {
        tags: ['candidates'],
        summary: '重新运行检查（新增一条带日期的结果，旧结果保留）',
        params: IdParams,
        body: Type.Optional(CheckRunBody),
        response: { 201: ReportView, ...problems },
      },
      config: { roles: PERMISSIONS.runChecks, action: '运行候选地块检查' },
      // A POST without a body (all defaults) is valid: validate it as {}.
      preValidation: [emptyBodyAsObject, refuseThresholds],
    },
    async (req, reply) => {
      const r = await rerunChecks(pool, config, requireUser(req), req.params.id, req.body ?? {});
      return reply.status(201).send(reportView(r.run, r.parcels));
    },
  );

  app.get(
    '/candidate-uploads/:id/check-runs',
    { schema: { tags: ['candidates'], summary: '检查记录（按时间倒序）', params: IdParams, response: { 200: CheckRunList, ...problems } } },
    async (req) => {
      const { upload, runs } = await checkRuns(pool, requireUser(req), req.params.id);
      return checkRunListView(upload.id, runs);
    },
  );

  app.get(
    '/candidate-uploads/:id/report',
    {
      schema: {
        tags: ['candidates'],
        summary: '批次检查报告（JSON、GeoJSON或XLSX），含汇总',
        params: IdParams,
        querystring: ReportQuery,
        response: { 200: ReportAnswer, ...problems },
      },
    },
    async (req, reply) => {
      const r = await uploadReport(pool, requireUser(req), req.params.id, req.query);
      return sendReport(reply, r, req.query.format);
    },
  );

  app.get(
    '/candidate-parcels/:id/report',
    {
      schema: { tags: ['candidates'], summary: '单个地块的检查报告（JSON、GeoJSON或XLSX）', params: IdParams, querystring: ReportQuery, response: { 200: ReportAnswer, ...problems } },
    },
    async (req, reply) => sendReport(reply, await parcelReport(pool, requireUser(req), req.params.id, req.query), req.query.format),
  );
};
