import { describe, expect, it } from 'vitest';
import { KeyedBatcher, type Settled } from '../../src/db/keyed-batcher.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('KeyedBatcher', () => {
  it('runs the first item alone, then everything that queued meanwhile as one batch, in order; one batch per key at a time', async () => {
    const batches: string[][] = [];
    let inFlight = 0;
    let most = 0;
    const b = new KeyedBatcher<string, string>(async (key, items) => {
      inFlight++;
      most = Math.max(most, inFlight);
      batches.push(items.map((i) => `${key}:${i}`));
      await tick();
      inFlight--;
      return items.map((i) => ({ ok: true, value: i.toUpperCase() }));
    });
    const out = await Promise.all(['a', 'b', 'c', 'd'].map((i) => b.submit('k', i)));
    expect(out).toEqual(['A', 'B', 'C', 'D']);
    expect(batches).toEqual([['k:a'], ['k:b', 'k:c', 'k:d']]);
    expect(most).toBe(1);
    expect(b.waiting('k')).toBe(0);
  });

  it('keys are independent: each has its own batch in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const b = new KeyedBatcher<number, number>(async (_key, items) => {
      most = Math.max(most, ++inFlight);
      await tick();
      inFlight--;
      return items.map((value) => ({ ok: true, value }));
    });
    await Promise.all([b.submit('x', 1), b.submit('y', 2), b.submit('z', 3)]);
    expect(most).toBe(3);
  });

  it('caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const b = new KeyedBatcher<number, number>(async (_k, items) => {
      sizes.push(items.length);
      await tick();
      return items.map((value) => ({ ok: true, value }));
    }, 3);
    await Promise.all(Array.from({ length: 8 }, (_, i) => b.submit('k', i)));
    expect(sizes).toEqual([1, 3, 3, 1]);
  });

  it('settles each item with its own outcome; a batch that throws fails all its items, and the next batch still runs', async () => {
    let n = 0;
    const b = new KeyedBatcher<number, number>(async (_k, items): Promise<Settled<number>[]> => {
      if (n++ === 1) throw new Error('connection lost');
      await tick();
      return items.map((i) => (i % 2 ? { ok: false, error: new Error(`odd ${i}`) } : { ok: true, value: i }));
    });
    const first = b.submit('k', 2);
    const second = [b.submit('k', 3), b.submit('k', 4)];
    await expect(first).resolves.toBe(2);
    await expect(second[0]).rejects.toThrow('connection lost');
    await expect(second[1]).rejects.toThrow('connection lost');
    await expect(b.submit('k', 5)).rejects.toThrow('odd 5');
    await expect(b.submit('k', 6)).resolves.toBe(6);
  });

  it('fails the items when the batch answers the wrong number of outcomes', async () => {
    const b = new KeyedBatcher<number, number>(async () => []);
    await expect(b.submit('k', 1)).rejects.toThrow('answered 0 outcomes');
  });
});
