import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type pg from 'pg';
import type { Config } from '../config.js';
import { Problem, notFound } from '../http/problem.js';
import { parseBoolean, receiveUpload } from '../http/multipart-upload.js';
import { PerKeyLimiter } from '../http/concurrency.js';
import { geometryWorkers } from '../workers/geometry.js';
import { ProblemSchema } from '../imports/schemas.js';
import { resolveLayers, runChecks } from './checks.js';
import * as reports from './report-repository.js';
import { parcelReports, reportAsGeoJson, summarise } from './report.js';
import { getUpload, listParcels, type UploadRow } from './repository.js';
import { createCandidateUpload } from './upload.js';
import { PERMISSIONS, countyFieldInScope, requireCounty, requireRole, requireUser } from '../auth/plugin.js';
import { withScope } from '../auth/scope.js';
import { thresholdInRequest } from '../check-parameters/problems.js';
import { refuseUnknownProperties } from '../http/strict-body.js';
import type { FastifyRequest } from 'fastify';
import { IdParams, Uuid, Year } from '../http/schemas.js';

const Id = IdParams;
const problems = { 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema };

const CheckRunBody = Type.Object({
  changeYear: Type.Optional(Type.Integer({ minimum: 1990, maximum: 2100, description: '验收时的变更调查年份（地类变更检查）' })),
  baseYear: Type.Optional(Year({ description: '来源检查所用的基础调查年份，默认最早导入的年份' })),
  latestYear: Type.Optional(Year({ description: '现状林地与权属检查所用年份，默认最新导入的年份' })),
}, { additionalProperties: false, description: '检查阈值由省级发布的现行检查参数决定（GET /api/v1/check-parameters），不能在此指定' });
const CHECK_RUN_FIELDS = ['changeYear', 'baseYear', 'latestYear'] as const;
// Thresholds decide eligibility: they come from the parameter set the province published.
const refuseThresholds = refuseUnknownProperties(CHECK_RUN_FIELDS, { refused: thresholdInRequest });

const UploadForm = Type.Object({
  file: Type.String({ format: 'binary', description: '压缩的Shapefile、GeoJSON、GeoPackage或压缩的.gdb' }),
  county: Type.String({ pattern: '^\\d{6}$' }),
  township: Type.Optional(Type.String({ pattern: '^\\d{9}$', description: '乡镇代码（地块未带XZDM字段时使用）' })),
  applicant: Type.Optional(Type.String({ description: '申请单位（地块未带SQDW字段时使用）' })),
  intendedForestClass: Type.Optional(Type.String({ description: '拟补林地地类，如0301（地块未带NBLDL字段时使用）' })),
  layerName: Type.Optional(Type.String()),
  encoding: Type.Optional(Type.String()),
  runChecks: Type.Optional(Type.Boolean({ default: true })),
  changeYear: Type.Optional(Year()),
});

function uploadView(u: UploadRow) {
  return {
    id: u.id,
    countyCode: u.county_code,
    townshipCode: u.township_code,
    applicant: u.applicant,
    intendedForestClass: u.intended_forest_class,
    source: { name: u.source_name, format: u.source_format, layer: u.source_layer, bytes: Number(u.source_bytes), sha256: u.content_sha256 },
    crs: u.crs,
    encoding: u.encoding,
    parcelCount: u.parcel_count,
    warnings: u.warnings,
    createdAt: u.created_at.toISOString(),
    links: {
      self: `/api/v1/candidate-uploads/${u.id}`,
      report: `/api/v1/candidate-uploads/${u.id}/report`,
      geojson: `/api/v1/candidate-uploads/${u.id}/report?format=geojson`,
      checkRuns: `/api/v1/candidate-uploads/${u.id}/check-runs`,
    },
  };
}

export const candidateRoutes: FastifyPluginAsync<{ pool: pg.Pool; config: Config }> = async (fastify, { pool, config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const uploadSlots = new PerKeyLimiter(config.maxConcurrentUploadsPerUser, '拟补充林地上传');
  // Geometry worker threads start with the service, not on the first upload (they compile first).
  void geometryWorkers(config).warm();

  // Reads run in the user's scope (row-level security: another county's upload is not found);
  // uploads and checks, which need the system context (GDAL staging, province-wide overlaps), run
  // only after the county was checked against the user's jurisdiction.
  const scoped = <T>(req: FastifyRequest, fn: (db: pg.PoolClient) => Promise<T>) => withScope(pool, requireUser(req), (tx) => fn(tx.client));
  const loadUpload = async (db: pg.PoolClient, id: string) => {
    const u = await getUpload(db, id);
    if (!u) throw notFound('上传批次', id);
    return u;
  };

  async function report(db: pg.PoolClient, uploadId: string, runId: string | undefined, format: string | undefined, parcelId?: string) {
    const run = await reports.findRun(db, uploadId, runId);
    if (!run) throw new Problem(404, 'check-run-not-found', 'No check run', runId ? `未找到检查记录${runId}` : '该批次尚未运行检查');
    const parcels = parcelReports(await reports.runResults(db, run.id, parcelId));
    if (format === 'geojson') return reportAsGeoJson(run, parcels, await reports.parcelOutlines(db, uploadId, parcelId));
    return {
      run: { id: run.id, checkedAt: run.started_at.toISOString(), parameters: run.parameters, parameterSetVersion: run.parameter_set_version, layers: run.layers, runBy: run.run_by },
      summary: summarise(parcels),
      parcels,
    };
  }

  app.post(
    '/candidate-uploads',
    {
      schema: {
        tags: ['candidates'],
        summary: '上传拟补充林地地块并检查',
        description: '整体上传（全有或全无）；同一县（同一乡镇）同一文件再次上传返回原批次（200，duplicate=true），不会重复创建地块；其他乡镇上传的相同文件不视为重复。默认上传后立即运行全部检查。',
        consumes: ['multipart/form-data'],
        body: UploadForm,
        response: { 200: Type.Any(), 201: Type.Any(), ...problems },
      },
      // Token and role are checked in onRequest, before a byte of the upload is read.
      config: { roles: PERMISSIONS.uploadCandidates, action: '上传拟补充林地地块' },
      validatorCompiler: () => () => true,
    },
    // At most N uploads of one user at once, counted before the body is read.
    uploadSlots.wrap((req) => requireUser(req).id, async (req, reply) => {
      const { fields, file } = await receiveUpload(req, join(config.workDir, 'uploads'), config.maxCandidateUploadBytes, countyFieldInScope(requireUser(req)));
      try {
        const changeYear = fields.changeYear ? Number(fields.changeYear) : undefined;
        if (changeYear !== undefined && !(Number.isInteger(changeYear) && changeYear >= 1990 && changeYear <= 2100)) {
          throw new Problem(400, 'request-invalid', 'Invalid changeYear', `参数changeYear应为年份，实际为“${fields.changeYear}”`);
        }
        const run = fields.runChecks === undefined || parseBoolean(fields.runChecks, 'runChecks');
        const county = fields.county ?? '';
        const user = requireUser(req);
        requireRole(user, PERMISSIONS.uploadCandidates, '上传拟补充林地地块');
        if (/^\d{6}$/.test(county)) requireCounty(user, county);
        if (user.township && (fields.township || user.township) !== user.township) {
          throw new Problem(403, 'out-of-jurisdiction', 'Outside your jurisdiction', `乡镇用户只能上传本乡镇（${user.township}）的地块`);
        }
        const { upload, duplicate } = await createCandidateUpload(
          pool,
          config,
          { maxParcels: config.maxCandidateParcels },
          {
            county,
            township: fields.township || user.township || undefined,
            applicant: fields.applicant || undefined,
            intendedForestClass: fields.intendedForestClass || undefined,
            layerName: fields.layerName || undefined,
            encoding: fields.encoding || undefined,
            sourceName: file.name,
            uploadedBy: user.login,
            userTownship: user.township ?? undefined,
          },
          file,
          // Checks that cannot run (no survey layers, change year not imported) refuse the upload
          // before it is created, rather than answering an error after creating it.
          run ? async () => void (await resolveLayers(pool, county, { changeYear })) : undefined,
        );
        // A duplicate is checked only if it never was (e.g. its first checks failed); either way the
        // answer carries the latest run's summary when there is one.
        const checked = duplicate && (await reports.findRun(pool, upload.id)) !== undefined;
        if (run && !checked) await runChecks(pool, upload.id, { changeYear, runBy: user.login, bounds: config });
        const summary =
          run || checked ? ((await scoped(req, (db) => report(db, upload.id, undefined, 'json'))) as { summary: unknown }) : null;
        return reply
          .status(duplicate ? 200 : 201)
          .header('location', `/api/v1/candidate-uploads/${upload.id}`)
          .send({ ...uploadView(upload), duplicate, summary: summary?.summary ?? null });
      } finally {
        await rm(file.path, { force: true });
      }
    }),
  );

  app.get(
    '/candidate-uploads/:id',
    { schema: { tags: ['candidates'], summary: '上传批次及其地块', params: Id, response: { 200: Type.Any(), ...problems } } },
    async (req) => scoped(req, async (db) => {
      const u = await loadUpload(db, req.params.id);
      const parcels = await listParcels(db, u.id);
      return {
        ...uploadView(u),
        parcels: parcels.map((p) => ({
          id: p.id,
          fid: p.fid,
          parcelNo: p.parcel_no,
          townshipCode: p.township_code,
          applicant: p.applicant,
          declaredAreaM2: p.declared_area_m2 === null ? null : Number(p.declared_area_m2),
          intendedForestClass: p.intended_forest_class,
          attributes: p.attributes,
          srcSrid: p.src_srid,
          links: { report: `/api/v1/candidate-parcels/${p.id}/report` },
        })),
      };
    }),
  );

  app.post(
    '/candidate-uploads/:id/check-runs',
    {
      schema: {
        tags: ['candidates'],
        summary: '重新运行检查（新增一条带日期的结果，旧结果保留）',
        params: Id,
        body: Type.Optional(CheckRunBody),
        response: { 201: Type.Any(), ...problems },
      },
      config: { roles: PERMISSIONS.runChecks, action: '运行候选地块检查' },
      // A POST without a body (all defaults) is valid: validate it as {}.
      preValidation: async (req) => {
        if (req.body === undefined || req.body === null) (req as { body: unknown }).body = {};
        await refuseThresholds(req);
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      requireRole(user, PERMISSIONS.runChecks, '运行候选地块检查');
      const u = await scoped(req, (db) => loadUpload(db, req.params.id));
      const { changeYear, baseYear, latestYear } = req.body ?? {};
      // Which survey years a run reads decides what counts as mining land or already forest: the
      // county bureau that verifies may look back (and its choice is recorded with the run and the
      // verification); an applicant's run reads the county's survey layers as they stand.
      if (user.township && (baseYear !== undefined || latestYear !== undefined)) {
        throw new Problem(403, 'survey-years-not-permitted', 'Survey years not selectable', '乡镇用户的检查按本县现行调查图层进行，不能指定基础调查年份或现状年份（baseYear、latestYear）');
      }
      const { runId } = await runChecks(pool, u.id, { changeYear, baseYear, latestYear, runBy: user.login, bounds: config });
      return reply.status(201).send(await scoped(req, (db) => report(db, u.id, runId, 'json')));
    },
  );

  app.get(
    '/candidate-uploads/:id/check-runs',
    { schema: { tags: ['candidates'], summary: '检查记录（按时间倒序）', params: Id, response: { 200: Type.Any(), ...problems } } },
    async (req) => scoped(req, async (db) => {
      const u = await loadUpload(db, req.params.id);
      const runs = await reports.listRuns(db, u.id);
      return {
        items: runs.map((r) => ({
          id: r.id,
          checkedAt: r.started_at.toISOString(),
          parameters: r.parameters,
          parameterSetVersion: r.parameter_set_version,
          layers: r.layers,
          links: { report: `/api/v1/candidate-uploads/${u.id}/report?run=${r.id}` },
        })),
      };
    }),
  );

  const ReportQuery = Type.Object({
    run: Type.Optional(Uuid({ description: '检查记录编号，默认最新' })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('geojson')])),
  });

  app.get(
    '/candidate-uploads/:id/report',
    { schema: { tags: ['candidates'], summary: '批次检查报告（JSON或GeoJSON），含汇总', params: Id, querystring: ReportQuery, response: { 200: Type.Any(), ...problems } } },
    async (req, reply) => {
      const body = await scoped(req, async (db) => report(db, (await loadUpload(db, req.params.id)).id, req.query.run, req.query.format));
      if (req.query.format === 'geojson') void reply.type('application/geo+json');
      return body;
    },
  );

  app.get(
    '/candidate-parcels/:id/report',
    { schema: { tags: ['candidates'], summary: '单个地块的检查报告', params: Id, querystring: ReportQuery, response: { 200: Type.Any(), ...problems } } },
    async (req, reply) => {
      const body = await scoped(req, async (db) => {
        const p = await reports.getParcel(db, req.params.id);
        if (!p) throw notFound('地块', req.params.id);
        return report(db, p.upload_id, req.query.run, req.query.format, p.id);
      });
      if (req.query.format === 'geojson') void reply.type('application/geo+json');
      return body;
    },
  );
};
