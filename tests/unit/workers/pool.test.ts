import { afterAll, describe, expect, it } from 'vitest';
import { WorkerBusyError, WorkerPool, WorkerTimeoutError } from '../../../src/workers/pool.js';
import { selfIntersectionsOffThread } from '../../../src/workers/geometry.js';

const pool = new WorkerPool(new URL('./spin-worker.mjs', import.meta.url), { size: 1, timeoutMs: 300, maxQueue: 3 });
afterAll(() => pool.close());

describe('worker pool', () => {
  it('runs tasks and answers', async () => {
    expect(await pool.run('hello')).toBe('hello');
    await expect(pool.run('throw')).rejects.toThrow(/asked to fail/);
  });

  it('terminates a task past its time limit, and the next task gets a fresh worker', async () => {
    const t0 = performance.now();
    await expect(pool.run('spin')).rejects.toBeInstanceOf(WorkerTimeoutError);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await pool.run('after')).toBe('after');
  });

  it('refuses tasks beyond the queue bound rather than piling them up', async () => {
    const tasks = Array.from({ length: 4 }, () => pool.run('spin', 200).catch((e: Error) => e));
    const overflow = await pool.run('x').catch((e: Error) => e);
    expect(overflow).toBeInstanceOf(WorkerBusyError);
    for (const e of await Promise.all(tasks)) expect(e).toBeInstanceOf(WorkerTimeoutError);
  });

  it('the geometry worker (TypeScript, loaded through tsx) counts self-intersections off the request thread', async () => {
    const bowtie = JSON.stringify({ type: 'Polygon', coordinates: [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]] });
    const [r] = await selfIntersectionsOffThread({ geometryWorkers: 1, geometryTaskTimeoutMs: 10_000 }, [{ key: 'a', geojson: bowtie }], { limit: 10 });
    expect(r).toMatchObject({ key: 'a', count: 1, complete: true, points: [[5, 5]] });
  });
});
