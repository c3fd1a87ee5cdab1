import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import type { Config } from '../config.js';
import { withTransaction } from '../db/pool.js';
import { isCountyCode } from '../domain/ownership.js';
import { describeParcels, townshipViolations } from '../domain/parcel-township.js';
import { badInput, notFound, Problem } from '../http/problem.js';
import { inspectLayer } from '../gdal/inspect.js';
import { dropStaging, stagingColumns, stagingName } from '../gdal/staging-repository.js';
import { locateSource } from '../gdal/source.js';
import { stageLayer } from '../gdal/stage.js';
import { checkGeoJsonStructure } from './geojson-structure.js';
import { guardStagedGeometry } from './geometry-guard.js';
import * as repo from './repository.js';
import * as reports from './report-repository.js';
import { resolveLayers, runChecks } from './checks.js';
import { parcelReports, summarise, type ParcelReport, type UploadSummary } from './report.js';
import type { CheckRunBodyT, ReportQueryT, UploadForm } from './schemas.js';
import { PERMISSIONS, requireCounty, requireRole } from '../auth/plugin.js';
import { withScope, type AuthUser } from '../auth/scope.js';
import type { ReceivedFile } from '../http/multipart-upload.js';
import type { Static } from '@fastify/type-provider-typebox';

export interface CandidateUploadRequest {
  county: string;
  township?: string;
  applicant?: string;
  intendedForestClass?: string;
  layerName?: string;
  encoding?: string;
  sourceName: string;
  uploadedBy?: string;
  /** The uploading user's township, for a township user: every parcel must be of it. */
  userTownship?: string;
}

export interface CandidateLimits {
  maxParcels: number;
}

/**
 * Takes an uploaded file of candidate parcels: the same format, archive, coordinate-system and
 * encoding handling as survey imports, then one transaction that creates the upload and its
 * parcels. The same file in the same scope (county and township) is the same upload (never
 * duplicate parcels); another township's identical file is its own upload.
 */
export async function createCandidateUpload(
  pool: pg.Pool,
  config: Config,
  limits: CandidateLimits,
  req: CandidateUploadRequest,
  file: { path: string; sha256: string; bytes: number },
  /** Runs before anything is read or created for a new (non-duplicate) upload; may throw to refuse it. */
  beforeCreate?: () => Promise<void>,
): Promise<{ upload: repo.UploadRow; duplicate: boolean }> {
  if (!isCountyCode(req.county)) {
    throw badInput('county-code-invalid', 'Invalid county code', `县级行政区代码“${req.county}”无效，应为6位数字，如361123`);
  }
  if (req.township && !(/^\d{9}$/.test(req.township) && req.township.startsWith(req.county))) {
    throw badInput('township-code-invalid', 'Invalid township code', `乡镇代码“${req.township}”应为本县（${req.county}）的9位代码`);
  }
  const existing = await repo.uploadByHash(pool, req.county, req.township ?? null, file.sha256);
  if (existing) return { upload: existing, duplicate: true };
  await beforeCreate?.();

  const id = randomUUID();
  const workDir = join(config.workDir, `candidate-${id}`);
  await mkdir(workDir, { recursive: true });
  const table = stagingName(id, 'src');
  try {
    const located = await locateSource(file.path, {
      workDir,
      maxExpandedBytes: config.maxCandidateExpandedBytes,
      sourceName: req.sourceName,
      layerName: req.layerName,
      defaultNames: ['DKFW', 'BCLD', 'PARCELS'],
      encoding: req.encoding,
    });
    if (located.format === 'geojson') await checkGeoJsonStructure(config, located.datasetPath);
    // Z/M are dropped with a warning rather than refused: a parcel outline is 2D.
    const inspected = await inspectLayer(located, { label: '拟补充林地地块', defaultLayerNames: ['DKFW', 'BCLD', 'PARCELS'] }, {
      layerName: req.layerName,
      dropZ: true,
    });
    if (inspected.featureCount > limits.maxParcels) {
      throw new Problem(413, 'too-many-parcels', 'Too many parcels in one upload', `一次上传${inspected.featureCount}个地块，超过上限${limits.maxParcels}个；请分批上传`, {
        parcels: inspected.featureCount,
        limit: limits.maxParcels,
      });
    }
    const warnings: { code: string; message: string }[] = [];
    if (inspected.hasZ || inspected.hasM) {
      warnings.push({ code: 'z-m-dropped', message: `图层为${inspected.geometryType}，已丢弃Z/M值，按二维面检查` });
    }
    if (inspected.crs.note) warnings.push({ code: 'crs-inferred', message: inspected.crs.note });
    const info = inspected.crs.info;
    await stageLayer(located, {
      databaseUrl: config.databaseUrl,
      table,
      layerName: inspected.layerName,
      sourceEpsg: info.epsg,
      dropZ: true,
    });
    const columns = (await stagingColumns(pool, table)).map((c) => c.name);
    // Bounds first: nothing unplaceable or pathological reaches ST_MakeValid below.
    await guardStagedGeometry(pool, config, { table, columns, crs: info });
    let duplicate = false;
    const upload = await withTransaction(pool, async (client) => {
      const created = await repo.insertUploadWithParcels(
        client,
        {
          county: req.county,
          township: req.township,
          applicant: req.applicant,
          intendedForestClass: req.intendedForestClass,
          sourceName: req.sourceName,
          sourceFormat: located.format,
          sourceLayer: inspected.layerName,
          sourceBytes: file.bytes,
          sha256: file.sha256,
          crs: { ...info, how: inspected.crs.how, note: inspected.crs.note ?? null },
          encoding: located.encoding,
          warnings,
          uploadedBy: req.uploadedBy,
        },
        { table, columns, srid: info.epsg, gk: info.kind === 'gauss-kruger' ? { falseEasting: info.falseEasting } : undefined },
      );
      // Parcels take their township from the file's XZDM: checked here, so a refusal rolls back all.
      checkFiledTownships(await repo.filedTownships(client, created.id), req.county, req.userTownship);
      return created;
    }, { statementTimeoutMs: config.checkStatementTimeoutMs }).catch(async (err: { code?: string }) => {
      // Two identical uploads at the same moment: the loser returns the winner's upload.
      if (err.code === '23505') {
        const winner = await repo.uploadByHash(pool, req.county, req.township ?? null, file.sha256);
        if (winner) {
          duplicate = true;
          return winner;
        }
      }
      throw err;
    });
    return { upload, duplicate };
  } finally {
    await dropStaging(pool, id).catch(() => {});
    await rm(workDir, { recursive: true, force: true }).catch(() => {});
  }
}

/** Refuses the whole upload when a parcel is filed outside the county (422) or outside the user's township (403). */
function checkFiledTownships(parcels: { fid: number; parcelNo: string; township: string | null }[], county: string, userTownship?: string): void {
  const v = townshipViolations(parcels, county, userTownship);
  const listed = (ps: typeof parcels) => ps.slice(0, 100).map((p) => ({ fid: p.fid, parcelNo: p.parcelNo, township: p.township }));
  if (v.outsideCounty.length) {
    throw badInput(
      'parcel-township-outside-county',
      'Parcel filed under another county',
      `${describeParcels(v.outsideCounty)}的乡镇代码（XZDM）不属于本县（${county}），整个上传已拒绝；请核对地块的XZDM字段`,
      { parcels: listed(v.outsideCounty) },
    );
  }
  if (v.otherTownship.length) {
    throw new Problem(
      403,
      'parcel-township-out-of-jurisdiction',
      'Parcel filed under another township',
      `乡镇用户只能上传本乡镇（${userTownship}）的地块：${describeParcels(v.otherTownship)}属于其他乡镇，整个上传已拒绝`,
      { parcels: listed(v.otherTownship), township: userTownship },
    );
  }
}

// ---------------------------------------------------------------- the API's operations

/** The validated form fields of an upload (county and township are checked by createCandidateUpload). */
export type UploadFields = Omit<Static<typeof UploadForm>, 'file' | 'county' | 'township'> & { county: string; township?: string };

/**
 * A user's upload: role, county and township jurisdiction first; then the upload (or the existing
 * duplicate) and, unless asked not to, its checks. Uploads and checks need the system context
 * (GDAL staging, province-wide overlaps), so they run only after the county was checked against
 * the user's jurisdiction; the summary is read back in the user's scope.
 */
export async function submitUpload(
  pool: pg.Pool,
  config: Config,
  user: AuthUser,
  form: UploadFields,
  file: ReceivedFile,
): Promise<{ upload: repo.UploadRow; duplicate: boolean; summary: UploadSummary | null }> {
  requireRole(user, PERMISSIONS.uploadCandidates, '上传拟补充林地地块');
  const { county, changeYear } = form;
  const run = form.runChecks ?? true;
  if (/^\d{6}$/.test(county)) requireCounty(user, county);
  if (user.township && (form.township || user.township) !== user.township) {
    throw new Problem(403, 'out-of-jurisdiction', 'Outside your jurisdiction', `乡镇用户只能上传本乡镇（${user.township}）的地块`);
  }
  const { upload, duplicate } = await createCandidateUpload(
    pool,
    config,
    { maxParcels: config.maxCandidateParcels },
    {
      county,
      township: form.township || user.township || undefined,
      applicant: form.applicant,
      intendedForestClass: form.intendedForestClass,
      layerName: form.layerName,
      encoding: form.encoding,
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
  const summary = run || checked ? summarise((await withScope(pool, user, (tx) => latestReport(tx.client, upload.id, undefined))).parcels) : null;
  return { upload, duplicate, summary };
}

// Reads run in the user's scope (row-level security): another county's upload is not found.

async function loadUpload(db: pg.PoolClient, id: string): Promise<repo.UploadRow> {
  const u = await repo.getUpload(db, id);
  if (!u) throw notFound('上传批次', id);
  return u;
}

export interface LoadedReport {
  uploadId: string;
  run: reports.RunRow;
  parcels: ParcelReport[];
  /** The parcels' outlines, for a GeoJSON report only. */
  outlines?: Map<string, GeoJSON.Geometry | null>;
}

async function latestReport(db: pg.PoolClient, uploadId: string, runId: string | undefined, opts: { parcelId?: string; geojson?: boolean } = {}): Promise<LoadedReport> {
  const run = await reports.findRun(db, uploadId, runId);
  if (!run) throw new Problem(404, 'check-run-not-found', 'No check run', runId ? `未找到检查记录${runId}` : '该批次尚未运行检查');
  const parcels = parcelReports(await reports.runResults(db, run.id, opts.parcelId));
  const outlines = opts.geojson ? await reports.parcelOutlines(db, uploadId, opts.parcelId) : undefined;
  return { uploadId, run, parcels, outlines };
}

export async function uploadWithParcels(pool: pg.Pool, user: AuthUser, id: string): Promise<{ upload: repo.UploadRow; parcels: repo.ParcelRow[] }> {
  return withScope(pool, user, async (tx) => {
    const upload = await loadUpload(tx.client, id);
    return { upload, parcels: await repo.listParcels(tx.client, upload.id) };
  });
}

/**
 * A new dated run of every check (earlier runs stay). Which survey years a run reads decides what
 * counts as mining land or already forest: the county bureau that verifies may look back (its choice
 * is recorded with the run and the verification); an applicant's run reads the county's survey
 * layers as they stand.
 */
export async function rerunChecks(pool: pg.Pool, config: Config, user: AuthUser, id: string, body: CheckRunBodyT): Promise<LoadedReport> {
  requireRole(user, PERMISSIONS.runChecks, '运行候选地块检查');
  const u = await withScope(pool, user, (tx) => loadUpload(tx.client, id));
  const { changeYear, baseYear, latestYear } = body;
  if (user.township && (baseYear !== undefined || latestYear !== undefined)) {
    throw new Problem(403, 'survey-years-not-permitted', 'Survey years not selectable', '乡镇用户的检查按本县现行调查图层进行，不能指定基础调查年份或现状年份（baseYear、latestYear）');
  }
  const { runId } = await runChecks(pool, u.id, { changeYear, baseYear, latestYear, runBy: user.login, bounds: config });
  return withScope(pool, user, (tx) => latestReport(tx.client, u.id, runId));
}

export async function checkRuns(pool: pg.Pool, user: AuthUser, id: string): Promise<{ upload: repo.UploadRow; runs: reports.RunRow[] }> {
  return withScope(pool, user, async (tx) => {
    const upload = await loadUpload(tx.client, id);
    return { upload, runs: await reports.listRuns(tx.client, upload.id) };
  });
}

export async function uploadReport(pool: pg.Pool, user: AuthUser, id: string, q: ReportQueryT): Promise<LoadedReport> {
  return withScope(pool, user, async (tx) => latestReport(tx.client, (await loadUpload(tx.client, id)).id, q.run, { geojson: q.format === 'geojson' }));
}

export async function parcelReport(pool: pg.Pool, user: AuthUser, parcelId: string, q: ReportQueryT): Promise<LoadedReport> {
  return withScope(pool, user, async (tx) => {
    const p = await reports.getParcel(tx.client, parcelId);
    if (!p) throw notFound('地块', parcelId);
    return latestReport(tx.client, p.upload_id, q.run, { parcelId: p.id, geojson: q.format === 'geojson' });
  });
}
