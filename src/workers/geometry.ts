import type { Config } from '../config.js';
import type { SelfIntersectionOptions } from '../domain/geometry/self-intersections.js';
import type { GeoJsonStructureAnswer, GeoJsonStructureTask, SelfIntersectionAnswer, SelfIntersectionTask } from './geometry-worker.js';
import { Problem } from '../http/problem.js';
import { WorkerBusyError, WorkerPool, WorkerTimeoutError } from './pool.js';

export type { GeoJsonStructureAnswer, SelfIntersectionAnswer } from './geometry-worker.js';

type WorkerConfig = Pick<Config, 'geometryWorkers' | 'geometryTaskTimeoutMs'>;

// One pool per process (threads are the scarce thing, not the apps built on them); rebuilt if
// the configuration asks for another size or time limit.
let shared: { key: string; pool: WorkerPool } | undefined;

export function geometryWorkers(c: WorkerConfig): WorkerPool {
  const key = `${c.geometryWorkers}/${c.geometryTaskTimeoutMs}`;
  if (shared?.key !== key) {
    void shared?.pool.close();
    shared = { key, pool: new WorkerPool(new URL('./geometry-worker.ts', import.meta.url), { size: c.geometryWorkers, timeoutMs: c.geometryTaskTimeoutMs }) };
  }
  return shared.pool;
}

/** Self-intersections of each geometry (GeoJSON text), searched off the request thread. */
export function selfIntersectionsOffThread(
  c: WorkerConfig,
  items: { key: string; geojson: string }[],
  options: SelfIntersectionOptions,
): Promise<SelfIntersectionAnswer[]> {
  if (items.length === 0) return Promise.resolve([]);
  const task: SelfIntersectionTask = { task: 'self-intersections', items, options };
  return geometryWorkers(c).run<SelfIntersectionAnswer[]>(task);
}

/** The structural check of a GeoJSON file (read and parsed on the thread), with its own time limit. */
export function geoJsonStructureOffThread(c: WorkerConfig, path: string, timeoutMs: number): Promise<GeoJsonStructureAnswer> {
  const task: GeoJsonStructureTask = { task: 'geojson-structure', path };
  return geometryWorkers(c).run<GeoJsonStructureAnswer>(task, timeoutMs);
}

/** Most pair tests of one geometry's self-intersection search (a few tenths of a second). */
const PAIR_BUDGET = 20_000_000;

/**
 * Self-intersections of each geometry on a worker thread, stopping past `limit` per geometry.
 * A search past its time limit is answered 422 geometry-too-complex; a full queue 503.
 */
export async function countCrossings(config: WorkerConfig, items: { key: string; geojson: string }[], limit: number, maxPoints = 0): Promise<SelfIntersectionAnswer[]> {
  try {
    return await selfIntersectionsOffThread(config, items, { limit, maxPairTests: PAIR_BUDGET, maxPoints });
  } catch (err) {
    if (err instanceof WorkerTimeoutError) {
      throw new Problem(422, 'geometry-too-complex', 'Geometry too complex', `几何自相交检查超过${err.timeoutMs / 1000}秒仍未完成：几何过于复杂`);
    }
    if (err instanceof WorkerBusyError) {
      throw new Problem(503, 'server-busy', 'Server busy', '几何检查任务排队已满，请稍后重试', { retryAfter: 5 });
    }
    throw err;
  }
}
