import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import yazl from 'yazl';
import { withScope, type AuthUser } from '../auth/scope.js';
import type { Config } from '../config.js';
import { adjustPieceAreas } from '../domain/area/area-adjustment.js';
import { landClass } from '../domain/land-classes.js';
import { isCountyCode } from '../domain/ownership.js';
import { roundTo } from '../domain/units.js';
import { Problem, badInput, notFound } from '../http/problem.js';
import { officialAreaOfPlane, zoneOfEpsg } from '../domain/area/plane-geometry.js';
import { dropStaging, stagingName } from '../gdal/staging-repository.js';
import { surveyZoneEpsg } from '../layers/repository.js';
import { writeStagedLayer } from '../gdal/stage.js';
import { FORMATS, type ExportFormat } from './formats.js';
import * as repo from './repository.js';
import * as jobs from './jobs-repository.js';
import { STATE_LABELS } from './view.js';

export type ExportLayer = 'dltb' | 'ldxb' | 'reserve';
export type ExportCrs = '4490' | 'zone' | 'zone-prefixed';

export interface ExportRequest {
  county: string;
  year: number;
  layer: ExportLayer;
  format: ExportFormat;
  crs: ExportCrs;
  parcels: string;
  requestedBy?: string;
}

/**
 * Whose export it is: a user, whose jurisdiction (row-level security, migrations/0009) decides what
 * goes in it, or 'system' for the command line run by an operator on the server.
 */
export type ExportRequester = AuthUser | 'system';

/** The layers a township may export: its own parcels only. DLTB and the one-map are county-wide layers. */
const TOWNSHIP_LAYERS: readonly ExportLayer[] = ['reserve'];

const LAYER_NAMES: Record<ExportLayer, string> = { dltb: 'DLTB', ldxb: 'LDXB', reserve: 'BCLDCBK' };

async function surveyZone(db: pg.Pool | pg.PoolClient, county: string, year: number): Promise<number> {
  const zone = await surveyZoneEpsg(db, county, year);
  if (zone === undefined) throw badInput('survey-year-not-imported', 'Survey year not imported', `${county}县${year}年地类图斑尚未导入，无法导出`);
  return zone;
}

function targetSrid(zoneSrid: number, crs: ExportCrs): number {
  if (crs === '4490') return 4490;
  return crs === 'zone-prefixed' ? zoneSrid : zoneSrid + 21;
}

/**
 * Changed pieces' attributes (README, "Attributes of a change"): official area per piece, 平差 to
 * the source's TBMJ moved by what the overlay's cut vertices on its outline added or took (the
 * neighbour across that edge gets it: the layer's total stays); a fresh BSM for every new 图斑 (a
 * forest piece, or a remainder part beyond the largest), with the source's BSM as YBSM; deductions
 * only where the land class keeps them. A neighbour that only got a cut's vertex on its edge keeps
 * everything but TBMJ (and KCMJ/TBDLMJ), which follows that vertex.
 */
function pieceUpdates(rows: repo.ChangedPieceRow[], zoneSrid: number, nextBsm: () => string): repo.PieceUpdate[] {
  const zone = zoneOfEpsg(zoneSrid);
  const bySource = new Map<number, repo.ChangedPieceRow[]>();
  for (const r of rows) bySource.set(r.src_fid, [...(bySource.get(r.src_fid) ?? []), r]);
  const out: repo.PieceUpdate[] = [];
  const groups = [...bySource.values()].map((pieces) => {
    const areas = pieces.map((p) => officialAreaOfPlane(p.plane, zone));
    const moved = areas.reduce((a, b) => a + b, 0) - officialAreaOfPlane(pieces[0]!.src_plane, zone);
    return { pieces, areas, original: Number(pieces[0]!.tbmj ?? 0), moved };
  });
  // What moved between polygons nets out: the groups' new totals are 平差'd to their old total, so
  // the layer's TBMJ (and the XZQ's 调查面积 it adds up to) stays to the cent.
  const targets = adjustPieceAreas(
    roundTo(groups.reduce((a, g) => a + g.original, 0), 2),
    groups.map((g) => g.original + g.moved),
  );
  for (const [k, { pieces, areas }] of groups.entries()) {
    const adjusted = adjustPieceAreas(targets[k]!, areas);
    pieces.forEach((p, i) => {
      const tbmj = adjusted[i]!;
      const isNew = p.change === 'N';
      const keepsBsm = (p.change === '' || (p.change === 'S' && p.part === 1)) && p.bsm !== null;
      // Forest land has no 田坎 deduction (KCXS applies to cropland only); a remainder keeps its coefficient.
      const kcxs = isNew ? null : p.kcxs === null ? null : Number(p.kcxs);
      const kcmj = kcxs ? roundTo(tbmj * kcxs, 2) : 0;
      const dlbm = isNew ? (p.forest_class ?? '0301') : '';
      out.push({
        seq: p.seq,
        bsm: keepsBsm ? p.bsm! : nextBsm(),
        ybsm: keepsBsm ? null : p.bsm,
        dlbm,
        dlmc: isNew ? (landClass(dlbm)?.name ?? '') : '',
        tbmj,
        kcdlbm: null,
        kcxs,
        kcmj,
        tbdlmj: roundTo(tbmj - kcmj, 2),
      });
    });
  }
  return out;
}

async function zipFolder(dir: string, zipPath: string, prefix = ''): Promise<void> {
  const zip = new yazl.ZipFile();
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${rel}${e.name}/`);
      else zip.addFile(join(d, e.name), `${prefix}${rel}${e.name}`);
    }
  };
  await walk(dir, '');
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
}

/**
 * Exports updated land-class layers. The county's layer is prepared set-based in PostGIS in a
 * scratch table, changed pieces get their official areas in TypeScript, then GDAL streams the
 * scratch table into the requested format (never the whole county in Node's memory). The job row
 * and every read of the exported data run in the requester's scope (row-level security), so an
 * export holds only what its requester may read (repository.ts, buildScratch).
 */
export class ExportService {
  private queue: Promise<void> = Promise.resolve();
  constructor(
    private readonly pool: pg.Pool,
    private readonly config: Config,
  ) {}

  idle(): Promise<void> {
    return this.queue;
  }

  private sweeper?: NodeJS.Timeout;

  /**
   * Deletes the files of exports finished more than the retention time before `now` (their jobs
   * stay, marked expired: a download answers 410). Returns the ids swept.
   */
  async sweep(now = new Date()): Promise<string[]> {
    const ids = await jobs.expireExports(this.pool, new Date(now.getTime() - this.config.exportRetentionHours * 3_600_000));
    for (const id of ids) await rm(join(this.config.workDir, 'exports', id), { recursive: true, force: true });
    return ids;
  }

  /** Sweeps every hour (and once now) until stop(). */
  startRetention(): void {
    const run = () => void this.sweep().catch(() => {});
    run();
    this.sweeper = setInterval(run, 3_600_000);
    this.sweeper.unref();
  }

  stopRetention(): void {
    clearInterval(this.sweeper);
  }

  /** Runs fn in the requester's scope (row-level security), or in the system context for 'system'. */
  private reader(as: ExportRequester): repo.ScopedReader {
    return (fn) => (as === 'system' ? fn(this.pool) : withScope(this.pool, as, (tx) => fn(tx.client)));
  }

  /**
   * An export job read in the user's scope: an export of another county, or (for a township) of
   * the county or another township, is as absent as one that does not exist (404).
   */
  async job(user: AuthUser, id: string): Promise<jobs.ExportJobRow> {
    const j = await withScope(this.pool, user, (tx) => jobs.getExportJob(tx.client, id));
    if (!j) throw notFound('导出记录', id);
    return j;
  }

  /** The finished file of an export (409 while it is not ready). */
  async download(user: AuthUser, id: string): Promise<{ job: jobs.ExportJobRow; path: string; name: string; bytes: number; mime: string }> {
    const j = await this.job(user, id);
    if (j.expired_at) {
      throw new Problem(410, 'export-expired', 'Export expired', `导出文件已超过保留期（${this.config.exportRetentionHours}小时）并已删除，请重新导出`, {
        expiredAt: j.expired_at.toISOString(),
      });
    }
    if (j.state !== 'succeeded' || !j.file_path) {
      throw new Problem(409, 'export-not-ready', 'Export not ready', `导出尚未完成（${STATE_LABELS[j.state]}）`);
    }
    return { job: j, path: j.file_path, name: j.file_name!, bytes: Number(j.file_bytes), mime: FORMATS[j.format as ExportFormat].mime };
  }

  async submit(req: ExportRequest, as: ExportRequester): Promise<jobs.ExportJobRow> {
    const township = as === 'system' ? null : as.township;
    if (township && !TOWNSHIP_LAYERS.includes(req.layer)) {
      throw new Problem(
        403,
        'role-not-permitted',
        'Role not permitted',
        `乡镇用户只能导出本乡镇的补充林地储备库地块（layer=reserve）；${LAYER_NAMES[req.layer]}为全县图层，由县级林业主管部门导出`,
        { role: 'township', allowed: TOWNSHIP_LAYERS },
      );
    }
    if (!isCountyCode(req.county)) throw badInput('county-code-invalid', 'Invalid county code', `县级行政区代码“${req.county}”无效`);
    if (!repo.isParcelSelection(req.parcels)) {
      throw badInput(
        'parcel-selection-invalid',
        'Unknown parcel selection',
        `parcels参数“${req.parcels}”无效：可用程序状态（${repo.PROCEDURE_ORDER.join('、')}，表示达到该状态及之后的地块）或candidates（全部候选地块，规划预览）`,
      );
    }
    // The job row is written in the requester's scope: its policy admits only a county in the
    // jurisdiction and, for a township, its own township and the reserve layer.
    const read = this.reader(as);
    const { job, zoneSrid } = await read(async (db) => {
      const zoneSrid = await surveyZone(db, req.county, req.year);
      const job = await jobs.insertExportJob(db, { ...req, crsEpsg: targetSrid(zoneSrid, req.crs), township });
      return { job, zoneSrid };
    });
    const run = () => this.run(job, zoneSrid, read);
    this.queue = this.queue.then(run, run);
    return job;
  }

  /** Builds the layer's scratch table, fills in areas of record, and returns the SELECT GDAL writes. */
  private async prepare(job: jobs.ExportJobRow, table: string, zoneSrid: number, read: repo.ScopedReader): Promise<string> {
    const { county_code: county, survey_year: year, parcels } = job;
    const zone = zoneOfEpsg(zoneSrid);
    if (job.layer === 'dltb') {
      await repo.buildDltbScratch(this.pool, read, table, county, year, zoneSrid, parcels);
      await jobs.setProgress(this.pool, job.id, 'computing', 0.3);
      const changed = await repo.changedPieces(this.pool, table);
      let bsm = await read((db) => repo.maxBsm(db, county, year));
      const nextBsm = () => (bsm = bsm + 1n).toString().padStart(18, '0');
      await repo.updatePieces(this.pool, table, pieceUpdates(changed, zoneSrid, nextBsm), new Date(job.created_at).getUTCFullYear());
      await repo.numberNewPieces(this.pool, table);
      return repo.dltbOutputSql(table, zoneSrid, job.crs_epsg, await repo.extraFieldsSql(this.pool, table));
    }
    if (job.layer === 'ldxb') {
      await repo.buildLdxbScratch(this.pool, read, table, county, year, zoneSrid, parcels);
      await jobs.setProgress(this.pool, job.id, 'computing', 0.3);
      // MIAN_JI of a new 小班 in hectares, from the official ellipsoidal area.
      const rows = await repo.rowsNeedingArea(this.pool, table, 'new-xiaoban');
      await repo.setAreas(this.pool, table, 'mian_ji', rows.map((r) => ({ seq: r.seq, value: roundTo(officialAreaOfPlane(r.plane, zone) / 10000, 4) })));
      return repo.ldxbOutputSql(table, zoneSrid, job.crs_epsg);
    }
    await repo.buildReserveScratch(this.pool, read, table, county, year, zoneSrid, parcels);
    await jobs.setProgress(this.pool, job.id, 'computing', 0.3);
    const rows = await repo.rowsNeedingArea(this.pool, table, 'reserve-unchecked');
    await repo.setAreas(this.pool, table, 'area_m2', rows.map((r) => ({ seq: r.seq, value: roundTo(officialAreaOfPlane(r.plane, zone), 2) })));
    return repo.reserveOutputSql(table, zoneSrid, job.crs_epsg);
  }

  private async run(job: jobs.ExportJobRow, zoneSrid: number, read: repo.ScopedReader): Promise<void> {
    const dir = join(this.config.workDir, 'exports', job.id);
    const table = stagingName(job.id, 'src');
    const spec = FORMATS[job.format as ExportFormat];
    const layerName = LAYER_NAMES[job.layer as ExportLayer];
    try {
      await mkdir(join(dir, 'out'), { recursive: true });
      await jobs.setProgress(this.pool, job.id, 'preparing', 0.05);
      const outputSql = await this.prepare(job, table, zoneSrid, read);
      const counts = job.layer === 'dltb' ? await repo.scratchCount(this.pool, table) : { features: await repo.scratchRows(this.pool, table) };

      await jobs.setProgress(this.pool, job.id, 'writing', 0.4);
      const target = join(dir, spec.target(layerName));
      const sizeTimer = setInterval(() => {
        // Progress from the output's growth against the scratch table's size: rough, monotone.
        void Promise.all([stat(target).catch(() => ({ size: 0 })), repo.scratchBytes(this.pool, table)])
          .then(([s, b]) => jobs.setProgress(this.pool, job.id, 'writing', 0.4 + 0.5 * Math.min(0.99, s.size / Math.max(1, b))))
          .catch(() => {});
      }, 1000);
      try {
        await writeStagedLayer({
          databaseUrl: this.config.databaseUrl,
          table,
          sql: outputSql,
          target,
          driver: spec.driver,
          layerName,
          epsg: job.crs_epsg,
          creationOptions: job.crs_epsg === 4490 ? spec.lco : [...spec.lco, ...(spec.planeLco ?? [])],
        });
      } finally {
        clearInterval(sizeTimer);
      }
      if (spec.cpg) await writeFile(target.replace(/\.shp$/, '.cpg'), spec.cpg);

      await jobs.setProgress(this.pool, job.id, 'packaging', 0.95);
      const base = `${job.township_code ?? job.county_code}_${job.survey_year}_${layerName}_${job.crs_epsg}`;
      const fileName = spec.download(base);
      let filePath = target;
      if (spec.zip) {
        filePath = join(dir, fileName);
        if (job.format === 'filegdb') await zipFolder(target, filePath, 'export.gdb/');
        else await zipFolder(join(dir, 'out'), filePath);
      }
      const bytes = (await stat(filePath)).size;
      await jobs.finishExport(this.pool, job.id, 'succeeded', { counts, fileName, filePath, fileBytes: bytes });
    } catch (err) {
      const problem = err instanceof Problem ? err : new Problem(500, 'export-failed', 'Export failed', `导出失败：${(err as Error).message}`);
      await jobs.finishExport(this.pool, job.id, 'failed', { error: problem.toBody() });
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    } finally {
      await dropStaging(this.pool, job.id).catch(() => {});
    }
  }
}

