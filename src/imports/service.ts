import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { runQualityChecks, type QualitySummary } from './quality.js';
import { findings, type FindingRow } from './quality-repository.js';
import type { Config } from '../config.js';
import { prepareWorkDir } from '../work-dir.js';
import { withTransaction } from '../db/pool.js';
import { Problem, badInput, conflict, notFound } from '../http/problem.js';
import { LAYER_SPECS, type LayerKind } from '../layers/specs.js';
import { isCountyCode } from '../domain/ownership.js';
import { inspectLayer } from '../gdal/inspect.js';
import { locateSource } from '../gdal/source.js';
import { stageLayer } from '../gdal/stage.js';
import { buildValidationSql } from './validation-repository.js';
import { rejectUnrepairable, UNREPAIRABLE } from './repair-guard.js';
import * as staging from '../gdal/staging-repository.js';
import { PERMISSIONS, requireCounty, requireRole } from '../auth/plugin.js';
import { withScope, type AuthUser } from '../auth/scope.js';
import * as repo from './repository.js';
import type { ImportJobRow, ImportOptions, RejectRow, RepairRow } from './repository.js';
import type { ImportListQueryT } from './schemas.js';

export interface ImportRequest {
  layer: LayerKind;
  county: string;
  year: number;
  sourceName: string;
  options: ImportOptions;
  requestedBy?: string;
}

export interface SubmitResult {
  job: ImportJobRow;
  /** The same file was already imported for this layer-year: nothing new was created. */
  duplicate: boolean;
}

/** Test seam: lets tests inject a failure at a named point of a running import. */
export interface ImportHooks {
  beforeCommit?: (job: ImportJobRow) => Promise<void> | void;
}

export const PHASE_LABELS: Record<string, string> = {
  queued: '排队中',
  loading: '读取文件',
  validating: '逐要素检查',
  writing: '写入图层',
  checking: '图层质检',
  succeeded: '导入成功',
  refused: '已拒绝',
  failed: '失败',
};

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function checkRequest(r: ImportRequest): void {
  if (!isCountyCode(r.county)) {
    throw badInput('county-code-invalid', 'Invalid county code', `县级行政区代码“${r.county}”无效，应为6位数字（GB/T 2260），如361123`);
  }
  if (!Number.isInteger(r.year) || r.year < 1990 || r.year > 2100) {
    throw badInput('survey-year-invalid', 'Invalid survey year', `调查年份“${r.year}”无效`);
  }
}

/**
 * Imports survey layers: quick checks up front (so a bad file is answered at once), then the
 * long part — load, validate, write — in the background, one import at a time per process.
 */
export class ImportService {
  readonly workerId = randomUUID();
  private queue: Promise<void> = Promise.resolve();
  private lockClient?: pg.PoolClient;
  private progressWriters = new Map<string, number>();
  private instanceDir?: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly config: Config,
    private readonly hooks: ImportHooks = {},
  ) {}

  /**
   * Holds this process's worker lock, fails imports that a dead process left behind, and removes
   * what dead processes left in the work folder; this instance then works in a private folder of
   * its own (see work-dir.ts). The lock is taken first, so no other starting instance takes this
   * one's folder for a leftover.
   */
  async start(): Promise<void> {
    this.lockClient = await this.pool.connect();
    await repo.holdWorkerLock(this.lockClient, this.workerId);
    await repo.failInterrupted(
      this.pool,
      new Problem(500, 'import-interrupted', 'Import interrupted', '导入过程中服务停止，本次导入未写入任何数据，请重新提交').toBody(),
    );
    try {
      const work = await prepareWorkDir(this.config.workDir, this.workerId, (id) => repo.workerAlive(this.pool, id));
      this.instanceDir = work.dir;
    } catch (err) {
      // A service that cannot start must not keep its lock (nor the pool's connection).
      await repo.releaseWorkerLock(this.lockClient, this.workerId).catch(() => {});
      this.lockClient.release();
      this.lockClient = undefined;
      throw err;
    }
  }

  /** This instance's private work folder (uploads, extracted archives); set by start(). */
  get workDir(): string {
    if (!this.instanceDir) throw new Error('ImportService.start() has not run');
    return this.instanceDir;
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => {});
    if (this.instanceDir) await rm(this.instanceDir, { recursive: true, force: true }).catch(() => {});
    this.instanceDir = undefined;
    if (this.lockClient) await repo.releaseWorkerLock(this.lockClient, this.workerId).catch(() => {});
    this.lockClient?.release();
    this.lockClient = undefined;
  }

  /** Resolves when every queued import has finished (tests, CLI). */
  idle(): Promise<void> {
    return this.queue;
  }

  /**
   * A user's upload: the role and the county's jurisdiction are checked here, because the import
   * pipeline writes partitions in the system context.
   */
  async submitFor(user: AuthUser, req: ImportRequest, uploadPath: string, sha256: string): Promise<SubmitResult> {
    requireRole(user, PERMISSIONS.importLayers, '导入调查图层');
    if (/^\d{6}$/.test(req.county)) requireCounty(user, req.county);
    return this.submit({ ...req, requestedBy: user.login }, uploadPath, sha256);
  }

  /**
   * Accepts a file for import. The file at uploadPath is moved into the import's work folder.
   * Answers at once with a duplicate, a conflict, or a problem; otherwise queues the import.
   */
  async submit(req: ImportRequest, uploadPath: string, sha256?: string): Promise<SubmitResult> {
    checkRequest(req);
    const spec = LAYER_SPECS[req.layer];
    const hash = sha256 ?? (await sha256File(uploadPath));
    const bytes = (await stat(uploadPath)).size;

    const current = await repo.currentJob(this.pool, req.layer, req.county, req.year);
    if (current?.content_sha256 === hash) {
      await rm(uploadPath, { force: true });
      return { job: current, duplicate: true };
    }
    const pending = await repo.pendingJob(this.pool, req.layer, req.county, req.year);
    if (pending) {
      await rm(uploadPath, { force: true });
      if (pending.content_sha256 === hash) return { job: pending, duplicate: true };
      throw conflict('import-in-progress', 'Another import of this layer-year is running', `${req.county}县${req.year}年${spec.label}正在导入（${pending.id}），请等待其完成后再提交`, {
        importId: pending.id,
      });
    }
    if (current && !req.options.replace) {
      await rm(uploadPath, { force: true });
      throw conflict('layer-year-exists', 'Layer-year already imported', `${req.county}县${req.year}年${spec.label}已导入（${current.id}）；如需用新文件替换，请设置replace=true`, {
        currentImportId: current.id,
      });
    }

    const id = randomUUID();
    const workDir = join(this.workDir, id);
    await mkdir(workDir, { recursive: true });
    try {
      const upload = join(workDir, 'upload');
      await rename(uploadPath, upload).catch(async () => {
        // Different filesystems: copy through a stream.
        const { copyFile } = await import('node:fs/promises');
        await copyFile(uploadPath, upload);
        await rm(uploadPath, { force: true });
      });
      const located = await locateSource(upload, {
        workDir,
        maxExpandedBytes: this.config.maxExpandedBytes,
        sourceName: req.sourceName,
        layerName: req.options.layerName,
        defaultNames: spec.defaultLayerNames,
        encoding: req.options.encoding,
      });
      const inspected = await inspectLayer(located, spec, { layerName: req.options.layerName, dropZ: req.options.dropZ });
      const job = await repo.insertJob(this.pool, {
        id,
        layer: req.layer,
        county: req.county,
        year: req.year,
        sourceName: req.sourceName,
        sourceFormat: located.format,
        sourceLayer: inspected.layerName,
        sourceBytes: bytes,
        sha256: hash,
        options: req.options,
        crs: { ...inspected.crs.info, how: inspected.crs.how, note: inspected.crs.note ?? null },
        encoding: located.encoding,
        featureCount: inspected.featureCount,
        requestedBy: req.requestedBy,
        workerId: this.workerId,
      });
      const run = () => this.run(job, located, inspected.layerName, inspected.crs.info.epsg, workDir);
      this.queue = this.queue.then(run, run);
      return { job, duplicate: false };
    } catch (err) {
      await rm(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  private progress(id: string, phase: string, fraction: number): void {
    // At most a few writes a second: progress is for people, not a hot path.
    const now = Date.now();
    if (now - (this.progressWriters.get(id) ?? 0) < 300 && fraction < 1) return;
    this.progressWriters.set(id, now);
    void repo.setProgress(this.pool, id, phase, fraction).catch(() => {});
  }

  private async run(job: ImportJobRow, located: Awaited<ReturnType<typeof locateSource>>, layerName: string, epsg: number, workDir: string): Promise<void> {
    const spec = LAYER_SPECS[job.layer];
    const src = staging.stagingName(job.id, 'src');
    const rej = staging.stagingName(job.id, 'rej');
    const fix = staging.stagingName(job.id, 'fix');
    const opts = job.options;
    const timings: Record<string, number> = {};
    let t0 = performance.now();
    const lap = (phase: string) => {
      const now = performance.now();
      timings[phase] = Math.round(now - t0);
      t0 = now;
    };
    try {
      await repo.setProgress(this.pool, job.id, 'loading', 0.01);
      const total = Math.max(1, job.feature_count ?? 1);
      const poll = setInterval(() => {
        void staging
          .stagingCopyProgress(this.pool, src)
          .then((n) => n !== undefined && this.progress(job.id, 'loading', 0.01 + 0.59 * Math.min(1, n / total)))
          .catch(() => {});
      }, 500);
      try {
        await stageLayer(located, { databaseUrl: this.config.databaseUrl, table: src, layerName, sourceEpsg: epsg, dropZ: opts.dropZ });
      } finally {
        clearInterval(poll);
      }
      lap('loading');
      await repo.setProgress(this.pool, job.id, 'validating', 0.6);
      const columns = await staging.stagingColumns(this.pool, src);
      const v = buildValidationSql(spec, src, columns, { countyCode: job.county_code, repair: opts.repairGeometry });
      let rejected = await repo.collectRejects(this.pool, rej, v.rejectsSelect, v.params);
      let repaired = { count: 0, areaChange: 0 };
      if (opts.repairGeometry) {
        const idCol = columns.find((c) => c.name.toUpperCase() === spec.idField);
        const idExpr = repo.sourceIdExpression(idCol?.name);
        // Polygons too tangled to repair in bounded time are rejected first, never given to ST_MakeValid.
        rejected += await rejectUnrepairable(this.pool, this.config, { sourceTable: src, rejectsTable: rej, idExpr });
        repaired = await repo.collectRepairs(this.pool, src, fix, idExpr, { rejectsTable: rej, skipCode: UNREPAIRABLE });
      }
      lap('validating');
      if (rejected > 0 && (opts.onRejects === 'refuse' || rejected >= total)) {
        await repo.saveRejects(this.pool, job.id, rej);
        const all = rejected >= total;
        const problem = badInput(
          all ? 'all-features-rejected' : 'features-rejected',
          all ? 'Every feature was rejected' : 'Some features were rejected',
          all
            ? `全部${total}个要素均未通过检查，未导入任何数据；原因见拒绝清单`
            : `${total}个要素中有${rejected}个未通过检查，按要求整个导入已拒绝、未写入任何数据；原因见拒绝清单。如需跳过这些要素、导入其余要素，请设置onRejects=keep重新提交`,
          { rejected, total, rejectsUrl: `/api/v1/imports/${job.id}/rejects` },
        );
        await repo.finishJob(this.pool, job.id, 'refused', { error: problem.toBody(), rejected, imported: 0, timings });
        return;
      }

      this.progress(job.id, 'writing', 0.75);
      // All or nothing: the partition swap, the rejects and the job's outcome commit together.
      await withTransaction(this.pool, async (client) => {
        await repo.lockLayerYear(client, job.layer, job.county_code, job.survey_year);
        const current = await repo.currentJob(client, job.layer, job.county_code, job.survey_year);
        if (current && !opts.replace) {
          throw conflict('layer-year-exists', 'Layer-year already imported', `${job.county_code}县${job.survey_year}年${spec.label}已由另一导入写入（${current.id}）；如需替换请设置replace=true`);
        }
        const written = await repo.writeLayerYear(client, {
          jobId: job.id,
          layer: job.layer,
          county: job.county_code,
          year: job.survey_year,
          sourceTable: src,
          rejectsTable: rej,
          repairsTable: opts.repairGeometry ? fix : undefined,
          insertColumns: v.insertColumns,
          insertExpressions: v.insertExpressions,
        });
        await repo.saveRejects(client, job.id, rej);
        if (opts.repairGeometry) await repo.saveRepairs(client, job.id, fix);
        if (current) await repo.supersede(client, current.id, job.id);
        lap('writing');
        // 质检 of the layer as a whole: findings warn, they never refuse the import.
        let quality: QualitySummary | undefined;
        if (job.layer === 'dltb') {
          this.progress(job.id, 'checking', 0.9);
          quality = await runQualityChecks(client, job, epsg);
          lap('checking');
        }
        await repo.finishJob(client, job.id, 'succeeded', {
          timings,
          imported: written.rows,
          rejected,
          repaired: repaired.count,
          repairedAreaChange: Math.round(repaired.areaChange * 100) / 100,
          partitionTable: written.table,
          replaces: current?.id,
          quality,
        });
        await this.hooks.beforeCommit?.(job);
      });
    } catch (err) {
      const problem =
        err instanceof Problem
          ? err
          : new Problem(500, 'import-failed', 'Import failed', `导入失败，未写入任何数据：${(err as Error).message}`);
      await repo.finishJob(this.pool, job.id, 'failed', { error: problem.toBody(), timings }).catch(() => {});
    } finally {
      this.progressWriters.delete(job.id);
      await staging.dropStaging(this.pool, job.id).catch(() => {});
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    }
  }
}

// Reads run in the user's scope: another county's import is not found (row-level security).

export async function listImports(pool: pg.Pool, user: AuthUser, q: ImportListQueryT): Promise<ImportJobRow[]> {
  return withScope(pool, user, (tx) => repo.listJobs(tx.client, q));
}

async function loadJob(db: pg.PoolClient, id: string): Promise<ImportJobRow> {
  const job = await repo.getJob(db, id);
  if (!job) throw notFound('导入记录', id);
  return job;
}

export async function importJob(pool: pg.Pool, user: AuthUser, id: string): Promise<ImportJobRow> {
  return withScope(pool, user, (tx) => loadJob(tx.client, id));
}

export async function importRejects(pool: pg.Pool, user: AuthUser, id: string, page: { limit: number; offset: number }): Promise<{ job: ImportJobRow; items: RejectRow[] }> {
  return withScope(pool, user, async (tx) => {
    const job = await loadJob(tx.client, id);
    return { job, items: await repo.listRejects(tx.client, job.id, page.limit, page.offset) };
  });
}

export async function importRepairs(pool: pg.Pool, user: AuthUser, id: string, page: { limit: number; offset: number }): Promise<{ job: ImportJobRow; items: RepairRow[] }> {
  return withScope(pool, user, async (tx) => {
    const job = await loadJob(tx.client, id);
    return { job, items: await repo.listRepairs(tx.client, job.id, page.limit, page.offset) };
  });
}

export async function importQuality(pool: pg.Pool, user: AuthUser, id: string, page: { limit: number; offset: number }): Promise<{ job: ImportJobRow; items: FindingRow[] }> {
  return withScope(pool, user, async (tx) => {
    const job = await loadJob(tx.client, id);
    return { job, items: await findings(tx.client, job.id, page) };
  });
}

/** Every finding of an import, page by page (each page read in the user's scope): for files, never all at once. */
export async function* allQualityFindings(pool: pg.Pool, user: AuthUser, id: string): AsyncGenerator<FindingRow> {
  for (let offset = 0; ; offset += 1000) {
    const { items } = await importQuality(pool, user, id, { limit: 1000, offset });
    yield* items;
    if (items.length < 1000) return;
  }
}
