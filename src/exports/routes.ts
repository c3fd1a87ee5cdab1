import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import { requireUser } from '../auth/plugin.js';
import { withScope } from '../auth/scope.js';
import { Problem, notFound } from '../http/problem.js';
import type { FastifyRequest } from 'fastify';
import { ProblemSchema } from '../imports/schemas.js';
import { attachment } from '../reports/tabular.js';
import { FORMATS, type ExportFormat } from './formats.js';
import { getExportJob, type ExportJobRow } from './jobs-repository.js';
import type { ExportService } from './service.js';
import { CountyCode, IdParams, Year } from '../http/schemas.js';

const STATE_LABELS: Record<string, string> = { queued: '排队中', running: '导出中', succeeded: '完成', failed: '失败' };
const PHASE_LABELS: Record<string, string> = { queued: '排队中', preparing: '叠加地块、分割图斑', computing: '计算椭球面积', writing: '写出文件', packaging: '打包', succeeded: '完成', failed: '失败' };

function view(j: ExportJobRow) {
  return {
    id: j.id,
    countyCode: j.county_code,
    surveyYear: j.survey_year,
    layer: j.layer,
    format: j.format,
    formatLabel: FORMATS[j.format as ExportFormat]?.label ?? j.format,
    crs: `EPSG:${j.crs_epsg}`,
    parcels: j.parcels,
    state: j.state,
    stateLabel: STATE_LABELS[j.state],
    phase: j.phase,
    phaseLabel: j.phase ? (PHASE_LABELS[j.phase] ?? j.phase) : null,
    progress: j.progress,
    counts: j.counts,
    file: j.file_name ? { name: j.file_name, bytes: Number(j.file_bytes) } : null,
    error: j.error,
    createdAt: j.created_at.toISOString(),
    finishedAt: j.finished_at?.toISOString() ?? null,
    links: { self: `/api/v1/exports/${j.id}`, download: `/api/v1/exports/${j.id}/file` },
  };
}

const ExportBody = Type.Object({
  county: CountyCode(),
  year: Year({ description: '导出的地类图斑年份' }),
  layer: Type.Union([Type.Literal('dltb'), Type.Literal('ldxb'), Type.Literal('reserve')], { description: 'dltb 更新后的地类图斑；ldxb 一张图小班；reserve 补充林地储备库地块' }),
  format: Type.Union([Type.Literal('shapefile'), Type.Literal('gpkg'), Type.Literal('filegdb'), Type.Literal('geojson'), Type.Literal('flatgeobuf')]),
  crs: Type.Optional(Type.Union([Type.Literal('4490'), Type.Literal('zone'), Type.Literal('zone-prefixed')], { description: '4490经纬度；zone 不带带号的高斯-克吕格；zone-prefixed 带带号，默认' })),
  parcels: Type.Optional(Type.String({ description: '应用哪些地块：程序状态（默认changed，即已完成地类变更的地块及之后状态），或candidates（全部候选地块，规划预览）' })),
});

export const exportRoutes: FastifyPluginAsync<{ pool: pg.Pool; exports: ExportService }> = async (fastify, { pool, exports }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const Id = IdParams;
  /**
   * Read in the user's scope: an export of another county, or (for a township) of the county or
   * another township, is as absent as one that does not exist (404).
   */
  const load = async (req: FastifyRequest, id: string) => {
    const j = await withScope(pool, requireUser(req), (tx) => getExportJob(tx.client, id));
    if (!j) throw notFound('导出记录', id);
    return j;
  };

  app.post(
    '/exports',
    {
      schema: {
        tags: ['exports'],
        summary: '导出更新后的地类图层（后台执行，返回导出编号）',
        description: '导出内容按请求用户的管辖范围读取（行级安全）。乡镇用户只能导出本乡镇的储备库地块（layer=reserve）；地类图斑和一张图为全县图层，乡镇用户导出返回403。',
        body: ExportBody,
        response: { 202: Type.Any(), 400: ProblemSchema, 403: ProblemSchema, 422: ProblemSchema },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const user = requireUser(req);
      const job = await exports.submit({
        county: b.county,
        year: b.year,
        layer: b.layer,
        format: b.format,
        crs: b.crs ?? 'zone-prefixed',
        parcels: b.parcels ?? 'changed',
        requestedBy: user.login,
      }, user);
      return reply.status(202).header('location', `/api/v1/exports/${job.id}`).send(view(job));
    },
  );

  app.get('/exports/:id', { schema: { tags: ['exports'], summary: '导出状态与进度', params: Id, response: { 200: Type.Any(), 404: ProblemSchema } } }, async (req) => {
    return view(await load(req, req.params.id));
  });

  app.get('/exports/:id/file', { schema: { tags: ['exports'], summary: '下载导出文件', params: Id } }, async (req, reply) => {
    const j = await load(req, req.params.id);
    if (j.state !== 'succeeded' || !j.file_path) {
      throw new Problem(409, 'export-not-ready', 'Export not ready', `导出尚未完成（${STATE_LABELS[j.state]}）`);
    }
    return reply
      .type(FORMATS[j.format as ExportFormat].mime)
      .header('content-disposition', attachment(j.file_name!))
      .header('content-length', String(j.file_bytes))
      .send(createReadStream(j.file_path));
  });
};
