/** Runtime configuration, all from the environment so the same build runs anywhere. */
export interface Config {
  databaseUrl: string;
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
  /** Where uploads and extracted archives are kept while an import runs. */
  workDir: string;
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
    maxCandidateExpandedBytes: int(env.ZHANBU_MAX_CANDIDATE_EXPANDED_BYTES, 512 * 1024 ** 2),
    maxCandidateParcels: int(env.ZHANBU_MAX_CANDIDATE_PARCELS, 10_000),
    workDir: env.ZHANBU_WORK_DIR ?? '/tmp/zhanbu',
  };
}
