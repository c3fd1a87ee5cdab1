import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireUser } from '../auth/plugin.js';
import { attachment } from '../reports/tabular.js';
import { IdParams, ProblemSchema } from '../http/schemas.js';
import { ExportBody, ExportJobView } from './schemas.js';
import type { ExportService } from './service.js';
import { exportJobView } from './view.js';

export const exportRoutes: FastifyPluginAsync<{ exports: ExportService }> = async (fastify, { exports }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/exports',
    {
      schema: {
        tags: ['exports'],
        summary: '导出更新后的地类图层（后台执行，返回导出编号）',
        description: '导出内容按请求用户的管辖范围读取（行级安全）。乡镇用户只能导出本乡镇的储备库地块（layer=reserve）；地类图斑和一张图为全县图层，乡镇用户导出返回403。',
        body: ExportBody,
        response: { 202: ExportJobView, 400: ProblemSchema, 403: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const user = requireUser(req);
      const job = await exports.submit(
        { county: b.county, year: b.year, layer: b.layer, format: b.format, crs: b.crs ?? 'zone-prefixed', parcels: b.parcels ?? 'changed', requestedBy: user.login },
        user,
      );
      return reply.status(202).header('location', `/api/v1/exports/${job.id}`).send(exportJobView(job));
    },
  );

  app.get(
    '/exports/:id',
    { schema: { tags: ['exports'], summary: '导出状态与进度', params: IdParams, response: { 200: ExportJobView, 404: ProblemSchema } } },
    async (req) => exportJobView(await exports.job(requireUser(req), req.params.id)),
  );

  app.get('/exports/:id/file', { schema: { tags: ['exports'], summary: '下载导出文件', params: IdParams } }, async (req, reply) => {
    const f = await exports.download(requireUser(req), req.params.id);
    return reply.type(f.mime).header('content-disposition', attachment(f.name)).header('content-length', String(f.bytes)).send(createReadStream(f.path));
  });
};
