import type { Config } from '../config.js';
import type { SelfIntersectionOptions } from '../domain/geometry/self-intersections.js';
import type { SelfIntersectionAnswer, SelfIntersectionTask } from './geometry-worker.js';
import { WorkerPool } from './pool.js';

export type { SelfIntersectionAnswer } from './geometry-worker.js';

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
