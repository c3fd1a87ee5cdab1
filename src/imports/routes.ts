import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Config } from '../config.js';
import { Problem, notFound } from '../http/problem.js';
import { parseBoolean, receiveUpload } from '../http/multipart-upload.js';
import { isLayerKind } from '../layers/specs.js';
import * as repo from './repository.js';
import { ImportForm, ImportJobView, Paging, ProblemSchema, RejectView } from './schemas.js';
import type { ImportRequest, ImportService } from './service.js';
import { importJobView } from './view.js';
import { PERMISSIONS, countyFieldInScope, requireCounty, requireRole, requireUser } from '../auth/plugin.js';
import { withScope } from '../auth/scope.js';
import { CountyCode, IdParams, Year } from '../http/schemas.js';

function parseForm(fields: Record<string, string>, sourceName: string): ImportRequest {
  const layer = fields.layer ?? '';
  if (!isLayerKind(layer)) {
    throw new Problem(400, 'request-invalid', 'Invalid layer', `参数layer应为dltb（地类图斑）、ldxb（一张图小班）或xzq（行政区），实际为“${layer}”`);
  }
  const county = fields.county ?? '';
  const yearText = fields.year ?? '';
  if (!/^\d{4}$/.test(yearText)) throw new Problem(400, 'request-invalid', 'Invalid year', `参数year应为四位年份，实际为“${yearText}”`);
  const onRejects = fields.onRejects || 'refuse';
  if (onRejects !== 'refuse' && onRejects !== 'keep') {
    throw new Problem(400, 'request-invalid', 'Invalid onRejects', `参数onRejects应为refuse或keep，实际为“${onRejects}”`);
  }
  return {
    layer,
    county,
    year: Number(yearText),
    sourceName,
    options: {
      layerName: fields.layerName || undefined,
      encoding: fields.encoding || undefined,
      onRejects,
      repairGeometry: parseBoolean(fields.repairGeometry, 'repairGeometry'),
      replace: parseBoolean(fields.replace, 'replace'),
      dropZ: parseBoolean(fields.dropZ, 'dropZ'),
    },
  };
}

export const importRoutes: FastifyPluginAsync<{ pool: pg.Pool; imports: ImportService; config: Config }> = async (
  fastify,
  { pool, imports, config },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const problems = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema };

  app.post(
    '/imports',
    {
      schema: {
        tags: ['imports'],
        summary: '上传并导入一个图层',
        description:
          '上传文件立即做格式、压缩包安全、图层、几何类型、坐标系与编码检查，不通过则返回problem+json；通过后返回202与导入编号，后台逐要素检查并整体写入（全有或全无）。同一文件重复提交返回200与已有导入（duplicate=true）。',
        consumes: ['multipart/form-data'],
        body: ImportForm,
        response: { 200: ImportJobView, 202: ImportJobView, ...problems },
      },
      // Token and role are checked in onRequest, before a byte of the upload is read.
      config: { roles: PERMISSIONS.importLayers, action: '导入调查图层' },
      // The body is a multipart stream read below; the schema documents it for OpenAPI.
      validatorCompiler: () => () => true,
    },
    async (req, reply) => {
      const { fields, file } = await receiveUpload(req, join(config.workDir, 'uploads'), config.maxUploadBytes, countyFieldInScope(requireUser(req)));
      try {
        const request = parseForm(fields, file.name);
        // The import pipeline writes partitions (system context): the county is checked here.
        const user = requireUser(req);
        requireRole(user, PERMISSIONS.importLayers, '导入调查图层');
        if (/^\d{6}$/.test(request.county)) requireCounty(user, request.county);
        request.requestedBy = user.login;
        const { job, duplicate } = await imports.submit(request, file.path, file.sha256);
        const view = { ...importJobView(job), duplicate };
        return reply
          .status(duplicate ? 200 : 202)
          .header('location', view.links.self)
          .send(view);
      } finally {
        await rm(file.path, { force: true });
      }
    },
  );

  app.get(
    '/imports',
    {
      schema: {
        tags: ['imports'],
        summary: '导入记录列表',
        querystring: Type.Intersect([
          Type.Object({
            county: Type.Optional(CountyCode()),
            layer: Type.Optional(Type.String()),
            year: Type.Optional(Year()),
            state: Type.Optional(Type.String()),
          }),
          Paging,
        ]),
        response: { 200: Type.Object({ items: Type.Array(ImportJobView) }), ...problems },
      },
    },
    async (req) => {
      const rows = await withScope(pool, requireUser(req), (tx) => repo.listJobs(tx.client, req.query));
      return { items: rows.map((r) => importJobView(r)) };
    },
  );

  const ById = IdParams;
  // Reads run in the user's scope: another county's import is not found (row-level security).
  const load = async (db: pg.PoolClient, id: string) => {
    const job = await repo.getJob(db, id);
    if (!job) throw notFound('导入记录', id);
    return job;
  };

  app.get(
    '/imports/:id',
    { schema: { tags: ['imports'], summary: '导入状态、进度、计数与错误', params: ById, response: { 200: ImportJobView, ...problems } } },
    async (req) => importJobView(await withScope(pool, requireUser(req), (tx) => load(tx.client, req.params.id))),
  );

  app.get(
    '/imports/:id/rejects',
    {
      schema: {
        tags: ['imports'],
        summary: '未通过检查的要素（标识码与原因）',
        params: ById,
        querystring: Paging,
        response: { 200: Type.Object({ total: Type.Integer(), items: Type.Array(RejectView) }), ...problems },
      },
    },
    async (req) =>
      withScope(pool, requireUser(req), async (tx) => {
        const job = await load(tx.client, req.params.id);
        const items = await repo.listRejects(tx.client, job.id, req.query.limit, req.query.offset);
        return { total: job.rejected_count ?? items.length, items: items as never };
      }),
  );

  app.get(
    '/imports/:id/repairs',
    {
      schema: {
        tags: ['imports'],
        summary: '已修复的几何及面积变化',
        params: ById,
        querystring: Paging,
        response: {
          200: Type.Object({
            total: Type.Integer(),
            areaChangeM2: Type.Union([Type.Number(), Type.Null()]),
            items: Type.Array(
              Type.Object({
                fid: Type.Integer(),
                bsm: Type.Union([Type.String(), Type.Null()]),
                reason: Type.String(),
                areaBeforeM2: Type.Union([Type.Number(), Type.Null()]),
                areaAfterM2: Type.Union([Type.Number(), Type.Null()]),
              }),
            ),
          }),
          ...problems,
        },
      },
    },
    async (req) =>
      withScope(pool, requireUser(req), async (tx) => {
        const job = await load(tx.client, req.params.id);
        const items = await repo.listRepairs(tx.client, job.id, req.query.limit, req.query.offset);
        return {
          total: job.repaired_count ?? 0,
          areaChangeM2: job.repaired_area_change_m2 === null ? null : Number(job.repaired_area_change_m2),
          items: items as never,
        };
      }),
  );
};
