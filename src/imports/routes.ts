import { Readable } from 'node:stream';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Config } from '../config.js';
import { formValidator, receiveUpload } from '../http/multipart-upload.js';
import { PerKeyLimiter } from '../http/concurrency.js';
import { ImportForm, ImportJobView, ImportList, ImportListQuery, Paging, QualityQuery, QualityReport, RejectList, RepairList } from './schemas.js';
import { allQualityFindings, importJob, importQuality, importRejects, importRepairs, listImports, type ImportService } from './service.js';
import { importJobView, qualityFeature, qualityFindingView, qualityReportView, rejectListView, repairListView } from './view.js';
import { attachment, sheet, xlsxStream } from '../reports/tabular.js';
import { XLSX_TYPE } from '../http/tabular-schemas.js';
import { PERMISSIONS, countyFieldInScope, requireUser } from '../auth/plugin.js';
import { IdParams, ProblemSchema } from '../http/schemas.js';

// The county is checked by the service (422 county-code-invalid, as for the command line).
const importForm = formValidator(ImportForm, ['file', 'county']);

export const importRoutes: FastifyPluginAsync<{ pool: pg.Pool; imports: ImportService; config: Config }> = async (
  fastify,
  { pool, imports, config },
) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const problems = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema };
  // Each import may stream up to maxUploadBytes to disk before the service looks at it: bound how many one user sends at once.
  const importSlots = new PerKeyLimiter(config.maxConcurrentUploadsPerUser, '图层导入');

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
      // The body is a multipart stream: its fields are validated with ImportForm once received.
      validatorCompiler: () => () => true,
    },
    // At most N imports of one user at once, counted before the body is read.
    importSlots.wrap((req) => requireUser(req).id, async (req, reply) => {
      const user = requireUser(req);
      const { fields, file } = await receiveUpload(req, join(config.workDir, 'uploads'), config.maxUploadBytes, countyFieldInScope(user));
      try {
        const form = importForm(fields);
        const { job, duplicate } = await imports.submitFor(
          user,
          {
            layer: form.layer,
            county: fields.county ?? '',
            year: form.year,
            sourceName: file.name,
            options: {
              layerName: form.layerName,
              encoding: form.encoding,
              onRejects: form.onRejects ?? 'refuse',
              repairGeometry: form.repairGeometry ?? false,
              replace: form.replace ?? false,
              dropZ: form.dropZ ?? false,
            },
          },
          file.path,
          file.sha256,
        );
        const view = { ...importJobView(job), duplicate };
        return reply
          .status(duplicate ? 200 : 202)
          .header('location', view.links.self)
          .send(view);
      } finally {
        await rm(file.path, { force: true });
      }
    }),
  );

  app.get(
    '/imports',
    { schema: { tags: ['imports'], summary: '导入记录列表', querystring: ImportListQuery, response: { 200: ImportList, ...problems } } },
    async (req) => ({ items: (await listImports(pool, requireUser(req), req.query)).map((r) => importJobView(r)) }),
  );

  app.get(
    '/imports/:id',
    { schema: { tags: ['imports'], summary: '导入状态、进度、计数与错误', params: IdParams, response: { 200: ImportJobView, ...problems } } },
    async (req) => importJobView(await importJob(pool, requireUser(req), req.params.id)),
  );

  app.get(
    '/imports/:id/rejects',
    {
      schema: { tags: ['imports'], summary: '未通过检查的要素（标识码与原因）', params: IdParams, querystring: Paging, response: { 200: RejectList, ...problems } },
    },
    async (req) => {
      const { job, items } = await importRejects(pool, requireUser(req), req.params.id, req.query);
      return rejectListView(job, items);
    },
  );

  app.get(
    '/imports/:id/repairs',
    { schema: { tags: ['imports'], summary: '已修复的几何及面积变化', params: IdParams, querystring: Paging, response: { 200: RepairList, ...problems } } },
    async (req) => {
      const { job, items } = await importRepairs(pool, requireUser(req), req.params.id, req.query);
      return repairListView(job, items);
    },
  );

  app.get(
    '/imports/:id/quality',
    {
      schema: {
        tags: ['imports'],
        summary: '图层质检报告（地类图斑）',
        description:
          '导入后对整个图层的质检：TBMJ与椭球面积、KCMJ/TBDLMJ计算、图斑重叠与缝隙、BSM重复、坐落单位内TBBH重复、按行政区汇总面积。format=json分页返回，geojson返回问题位置（EPSG:4490），xlsx返回表格。只提示，不拒绝导入。',
        params: IdParams,
        querystring: QualityQuery,
        response: { 200: QualityReport, ...problems },
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      const { format = 'json', limit, offset } = req.query;
      const { job, items } = await importQuality(pool, user, req.params.id, format === 'json' ? { limit, offset } : { limit: 1, offset: 0 });
      if (format === 'json') return qualityReportView(job, items);
      const name = `${job.county_code}_${job.survey_year}_质检_${job.id.slice(0, 8)}`;
      // XLSX and GeoJSON go out as streams (the serializer passes them through).
      const raw = reply as FastifyReply;
      if (format === 'xlsx') {
        const rows = allQualityFindings(pool, user, job.id);
        const views = (async function* () {
          for await (const f of rows) yield qualityFindingView(f);
        })();
        return raw
          .type(XLSX_TYPE)
          .header('content-disposition', attachment(`${name}.xlsx`))
          .send(
            xlsxStream([
              sheet({
                name: '质检问题',
                columns: [
                  { header: '序号', value: (f) => f.seq },
                  { header: '规则', value: (f) => f.ruleLabel, width: 28 },
                  { header: '规则代码', value: (f) => f.rule, width: 16 },
                  { header: '标识码', value: (f) => f.bsms?.filter(Boolean).join('、') ?? '', width: 40 },
                  { header: '说明', value: (f) => f.message, width: 80 },
                ],
                rows: views,
              }),
            ]),
          );
      }
      // GeoJSON, streamed feature by feature.
      const body = Readable.from(
        (async function* () {
          yield '{"type":"FeatureCollection","features":[';
          let first = true;
          for await (const f of allQualityFindings(pool, user, job.id)) {
            yield (first ? '' : ',') + qualityFeature(f);
            first = false;
          }
          yield ']}';
        })(),
      );
      return raw.type('application/geo+json').header('content-disposition', attachment(`${name}.geojson`)).send(body);
    },
  );
};
