/**
 * Worker thread for geometry work that costs too much CPU for the request thread: self-intersection
 * searches (GeoJSON text, parsed here) and the structural check of an uploaded GeoJSON file (read
 * and parsed here: tens of megabytes never cross the thread boundary). It answers plain data.
 */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { geoJsonStructureFault, type GeoJsonStructureFault } from '../domain/geojson/structure.js';
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

export interface GeoJsonStructureTask {
  task: 'geojson-structure';
  /** A file in the service's work folder (its size already checked). */
  path: string;
}

/** null when the structure is sound (undefined does not survive every message path). */
export type GeoJsonStructureAnswer = GeoJsonStructureFault | null;

type Task = SelfIntersectionTask | GeoJsonStructureTask;

function run(msg: Task): SelfIntersectionAnswer[] | GeoJsonStructureAnswer {
  switch (msg.task) {
    case 'self-intersections':
      return msg.items.map(({ key, geojson }) => {
        const r = selfIntersections(ringsOf(JSON.parse(geojson) as { type: string; coordinates: unknown }), msg.options);
        return { key, count: r.count, complete: r.complete, ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}), points: r.points };
      });
    case 'geojson-structure':
      return geoJsonStructureFault(readFileSync(msg.path, 'utf8')) ?? null;
    default:
      throw new Error(`unknown task ${String((msg as { task?: unknown }).task)}`);
  }
}

parentPort?.on('message', (msg: Task) => {
  try {
    parentPort!.postMessage({ ok: true, result: run(msg) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
parentPort?.postMessage({ ready: true });
