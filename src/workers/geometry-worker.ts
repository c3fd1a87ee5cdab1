/**
 * Worker thread for geometry searches that cost too much CPU for the request thread. It takes
 * GeoJSON text (parsed here, not on the request thread) and answers plain data.
 */
import { parentPort } from 'node:worker_threads';
import { ringsOf, selfIntersections, type SelfIntersectionOptions } from '../domain/geometry/self-intersections.js';

export interface SelfIntersectionTask {
  task: 'self-intersections';
  items: { key: string; geojson: string }[];
  options: SelfIntersectionOptions;
}

export interface SelfIntersectionAnswer {
  key: string;
  count: number;
  complete: boolean;
  stoppedBy?: string;
  points: [number, number][];
}

function run(msg: SelfIntersectionTask): SelfIntersectionAnswer[] {
  if (msg.task !== 'self-intersections') throw new Error(`unknown task ${String((msg as { task?: unknown }).task)}`);
  return msg.items.map(({ key, geojson }) => {
    const r = selfIntersections(ringsOf(JSON.parse(geojson) as { type: string; coordinates: unknown }), msg.options);
    return { key, count: r.count, complete: r.complete, ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}), points: r.points };
  });
}

parentPort?.on('message', (msg: SelfIntersectionTask) => {
  try {
    parentPort!.postMessage({ ok: true, result: run(msg) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
parentPort?.postMessage({ ready: true });
