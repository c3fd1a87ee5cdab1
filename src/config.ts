/** Runtime configuration, all from the environment so the same build runs anywhere. */
export interface Config {
  databaseUrl: string;
  host: string;
  port: number;
  /** Largest accepted upload, bytes. */
  maxUploadBytes: number;
  /** Largest total expanded size of an uploaded zip, bytes (zip-bomb guard). */
  maxExpandedBytes: number;
  /** Largest candidate-parcel upload, bytes, and most parcels in one upload. */
  maxCandidateUploadBytes: number;
  maxCandidateParcels: number;
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
  /** Candidate uploads one user may have in progress at once (the next gets 429). */
  maxConcurrentUploadsPerUser: number;
}

const int = (v: string | undefined, d: number): number => (v && /^\d+$/.test(v) ? Number(v) : d);

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/zhanbu';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    host: env.HOST ?? '127.0.0.1',
    port: int(env.PORT, 3000),
    maxUploadBytes: int(env.ZHANBU_MAX_UPLOAD_BYTES, 2 * 1024 ** 3),
    maxExpandedBytes: int(env.ZHANBU_MAX_EXPANDED_BYTES, 8 * 1024 ** 3),
    maxCandidateUploadBytes: int(env.ZHANBU_MAX_CANDIDATE_UPLOAD_BYTES, 100 * 1024 ** 2),
    maxCandidateParcels: int(env.ZHANBU_MAX_CANDIDATE_PARCELS, 10_000),
    workDir: env.ZHANBU_WORK_DIR ?? '/tmp/zhanbu',
    maxParcelVertices: int(env.ZHANBU_MAX_PARCEL_VERTICES, 20_000),
    maxUploadVertices: int(env.ZHANBU_MAX_UPLOAD_VERTICES, 1_000_000),
    maxParcelParts: int(env.ZHANBU_MAX_PARCEL_PARTS, 500),
    maxSelfIntersections: int(env.ZHANBU_MAX_SELF_INTERSECTIONS, 50),
    geometryWorkers: Math.min(2, Math.max(1, int(env.ZHANBU_GEOMETRY_WORKERS, 1))),
    geometryTaskTimeoutMs: int(env.ZHANBU_GEOMETRY_TASK_TIMEOUT_MS, 10_000),
    checkStatementTimeoutMs: int(env.ZHANBU_CHECK_STATEMENT_TIMEOUT_MS, 120_000),
    dbAcquireTimeoutMs: int(env.ZHANBU_DB_ACQUIRE_TIMEOUT_MS, 10_000),
    maxConcurrentUploadsPerUser: int(env.ZHANBU_MAX_CONCURRENT_UPLOADS, 2),
  };
}
