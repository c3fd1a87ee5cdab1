/**
 * Runtime configuration, all from the environment so the same build runs anywhere. Every tunable
 * of the service is here (app.ts and the services read it from Config, never from process.env).
 */
import { fileURLToPath } from 'node:url';
import { JIANGXI_PILOT, type PilotPeriod } from './domain/quota/pilot-period.js';

export interface Config {
  /** The service's connection: the zhanbu_service login, never a superuser (README, "Security"). */
  databaseUrl: string;
  /**
   * The connection `npm run migrate` uses: a superuser (it then creates the roles too) or a login
   * that is a member of zhanbu_owner. Defaults to databaseUrl.
   */
  ownerDatabaseUrl: string;
  /** zhanbu_service's password, set by `npm run migrate` when it creates the roles as a superuser. */
  servicePassword?: string;
  host: string;
  port: number;
  /** Largest accepted upload, bytes. */
  maxUploadBytes: number;
  /** Largest total expanded size of an uploaded survey-layer zip, bytes (zip-bomb guard). */
  maxExpandedBytes: number;
  /** Largest total expanded size of a candidate-parcel zip, bytes: parcels are far smaller than survey layers. */
  maxCandidateExpandedBytes: number;
  /** Largest candidate-parcel upload, bytes, and most parcels in one upload. */
  maxCandidateUploadBytes: number;
  maxCandidateParcels: number;
  /** Largest GeoJSON parcel file checked structurally (parsed in memory on a worker); larger → 422 geojson-too-large. */
  maxGeoJsonStructureBytes: number;
  /** Where uploads and extracted archives are kept while an import runs. */
  workDir: string;
  /**
   * Bounds on geometry work (one upload must not freeze the service). Parcels beyond them are
   * refused before any repair (ST_MakeValid) or overlay runs.
   */
  maxParcelVertices: number;
  maxUploadVertices: number;
  maxParcelParts: number;
  /** A parcel (or an invalid survey polygon to be repaired) with more crossings is refused. */
  maxSelfIntersections: number;
  /** Worker threads for CPU-heavy geometry searches, and the time limit of one task, ms. */
  geometryWorkers: number;
  geometryTaskTimeoutMs: number;
  /** statement_timeout of candidate upload and check queries, ms. */
  checkStatementTimeoutMs: number;
  /** Longest wait for a database connection before answering 503 database-busy, ms. */
  dbAcquireTimeoutMs: number;
  /** Candidate uploads one user may have in progress at once, and survey imports (each kind counted apart; the next gets 429). */
  maxConcurrentUploadsPerUser: number;
  /** Largest JSON (or other non-multipart) request body, bytes (past it 413). */
  bodyLimitBytes: number;
  /** Connections of the service's database pool. */
  dbPoolSize: number;
  /** Hours an export's file is kept for download; then it is deleted from the work folder. */
  exportRetentionHours: number;
  /** The quota pilot period (ZHANBU_PILOT_START / ZHANBU_PILOT_END; Jiangxi 2022–2024 by default). */
  pilotPeriod: PilotPeriod;
  /** Lifetime of a web session (sign-in), hours; past it the user signs in again. */
  sessionHours: number;
  /** Failed sign-ins of one login, and of one client address, within loginWindowMinutes before further attempts are refused (429). */
  loginMaxFailuresPerLogin: number;
  loginMaxFailuresPerAddress: number;
  loginWindowMinutes: number;
  /** The built web workspace (web/dist), served at `/`. */
  webDir: string;
  /** Optional XYZ/WMTS base-map tile URL for the workspace (ZHANBU_BASEMAP_URL, its key included); unset: the county's own layers only, nothing reaches the internet. */
  basemapUrl?: string;
}

/** A malformed environment value: the service refuses to start rather than run on a silent default. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置错误（环境变量）：\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/zhanbu';

/** Reads the configuration; unset (or empty) variables take their defaults, malformed ones throw ConfigError listing every one. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const set = (name: string): string | undefined => (env[name] === undefined || env[name].trim() === '' ? undefined : env[name].trim());
  const int = (name: string, d: number, min = 1, max = Number.MAX_SAFE_INTEGER): number => {
    const v = set(name);
    if (v === undefined) return d;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) {
      problems.push(`${name}=“${v}”无效：应为${min}–${max}之间的整数（未设置时默认${d}）`);
      return d;
    }
    return n;
  };
  const databaseUrl = set('DATABASE_URL') ?? DEFAULT_DATABASE_URL;
  if (!/^postgres(ql)?:\/\//.test(databaseUrl) || !URL.canParse(databaseUrl)) {
    problems.push(`DATABASE_URL无效：应为postgres://用户@主机:端口/数据库形式的连接串`);
  }
  const pilotPeriod: PilotPeriod = {
    startYear: int('ZHANBU_PILOT_START', JIANGXI_PILOT.startYear, 1990, 2100),
    endYear: int('ZHANBU_PILOT_END', JIANGXI_PILOT.endYear, 1990, 2100),
  };
  if (pilotPeriod.endYear < pilotPeriod.startYear) {
    problems.push(`ZHANBU_PILOT_END=“${pilotPeriod.endYear}”无效：试点期结束年份早于开始年份${pilotPeriod.startYear}`);
  }
  const workDir = set('ZHANBU_WORK_DIR') ?? '/tmp/zhanbu';
  if (!workDir.startsWith('/')) problems.push(`ZHANBU_WORK_DIR=“${workDir}”无效：应为绝对路径`);
  const basemapUrl = (v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    if (!/^https?:\/\//.test(v) || !URL.canParse(v.replace(/[{}]/g, ''))) problems.push(`ZHANBU_BASEMAP_URL无效：应为http(s)://开头的瓦片地址，含{z}、{x}、{y}`);
    return v;
  };
  const config: Config = {
    databaseUrl,
    ownerDatabaseUrl: set('ZHANBU_OWNER_DATABASE_URL') ?? databaseUrl,
    servicePassword: set('ZHANBU_SERVICE_PASSWORD'),
    host: set('HOST') ?? '127.0.0.1',
    port: int('PORT', 3000, 1, 65535),
    maxUploadBytes: int('ZHANBU_MAX_UPLOAD_BYTES', 2 * 1024 ** 3),
    maxExpandedBytes: int('ZHANBU_MAX_EXPANDED_BYTES', 8 * 1024 ** 3),
    maxCandidateUploadBytes: int('ZHANBU_MAX_CANDIDATE_UPLOAD_BYTES', 100 * 1024 ** 2),
    maxCandidateExpandedBytes: int('ZHANBU_MAX_CANDIDATE_EXPANDED_BYTES', 512 * 1024 ** 2),
    maxCandidateParcels: int('ZHANBU_MAX_CANDIDATE_PARCELS', 10_000),
    maxGeoJsonStructureBytes: int('ZHANBU_MAX_GEOJSON_BYTES', 64 * 1024 ** 2),
    workDir,
    maxParcelVertices: int('ZHANBU_MAX_PARCEL_VERTICES', 20_000),
    maxUploadVertices: int('ZHANBU_MAX_UPLOAD_VERTICES', 1_000_000),
    maxParcelParts: int('ZHANBU_MAX_PARCEL_PARTS', 500),
    maxSelfIntersections: int('ZHANBU_MAX_SELF_INTERSECTIONS', 50),
    geometryWorkers: int('ZHANBU_GEOMETRY_WORKERS', 1, 1, 2),
    geometryTaskTimeoutMs: int('ZHANBU_GEOMETRY_TASK_TIMEOUT_MS', 10_000),
    checkStatementTimeoutMs: int('ZHANBU_CHECK_STATEMENT_TIMEOUT_MS', 120_000),
    dbAcquireTimeoutMs: int('ZHANBU_DB_ACQUIRE_TIMEOUT_MS', 10_000),
    maxConcurrentUploadsPerUser: int('ZHANBU_MAX_CONCURRENT_UPLOADS', 2),
    bodyLimitBytes: int('ZHANBU_BODY_LIMIT_BYTES', 10 * 1024 ** 2),
    dbPoolSize: int('ZHANBU_DB_POOL_SIZE', 10, 1, 1000),
    exportRetentionHours: int('ZHANBU_EXPORT_RETENTION_HOURS', 72, 1, 24 * 365),
    pilotPeriod,
    sessionHours: int('ZHANBU_SESSION_HOURS', 8, 1, 24 * 30),
    loginMaxFailuresPerLogin: int('ZHANBU_LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginMaxFailuresPerAddress: int('ZHANBU_LOGIN_MAX_FAILURES_PER_ADDRESS', 20, 1, 100_000),
    loginWindowMinutes: int('ZHANBU_LOGIN_WINDOW_MINUTES', 15, 1, 24 * 60),
    webDir: set('ZHANBU_WEB_DIR') ?? fileURLToPath(new URL('../web/dist', import.meta.url)),
    basemapUrl: basemapUrl(set('ZHANBU_BASEMAP_URL')),
  };
  if (!config.webDir.startsWith('/')) problems.push(`ZHANBU_WEB_DIR=“${config.webDir}”无效：应为绝对路径`);
  if (problems.length) throw new ConfigError(problems);
  return config;
}
