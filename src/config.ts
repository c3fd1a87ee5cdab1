/** Runtime configuration, all from the environment so the same build runs anywhere. */
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
  /** Largest total expanded size of an uploaded zip, bytes (zip-bomb guard). */
  maxExpandedBytes: number;
  /** Largest candidate-parcel upload, bytes, and most parcels in one upload. */
  maxCandidateUploadBytes: number;
  maxCandidateParcels: number;
  /** Where uploads and extracted archives are kept while an import runs. */
  workDir: string;
}

const int = (v: string | undefined, d: number): number => (v && /^\d+$/.test(v) ? Number(v) : d);

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/zhanbu';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    ownerDatabaseUrl: env.ZHANBU_OWNER_DATABASE_URL ?? env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    servicePassword: env.ZHANBU_SERVICE_PASSWORD || undefined,
    host: env.HOST ?? '127.0.0.1',
    port: int(env.PORT, 3000),
    maxUploadBytes: int(env.ZHANBU_MAX_UPLOAD_BYTES, 2 * 1024 ** 3),
    maxExpandedBytes: int(env.ZHANBU_MAX_EXPANDED_BYTES, 8 * 1024 ** 3),
    maxCandidateUploadBytes: int(env.ZHANBU_MAX_CANDIDATE_UPLOAD_BYTES, 100 * 1024 ** 2),
    maxCandidateParcels: int(env.ZHANBU_MAX_CANDIDATE_PARCELS, 10_000),
    workDir: env.ZHANBU_WORK_DIR ?? '/tmp/zhanbu',
  };
}
