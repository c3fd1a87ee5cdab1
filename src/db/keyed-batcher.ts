/**
 * Groups work that serialises on one database row into one transaction per group: items submitted
 * under a key wait in process (holding no connection) while the key's current batch runs, then the
 * next batch takes everything that queued meanwhile (up to `maxBatch`), in order. One batch at a time
 * per key, so a key never holds more than one pooled connection.
 *
 * Why: quota draws of one county-year must be applied one after the other, and each transaction
 * keeps the balance row locked until its commit is on disk. One commit per draw made 200 simultaneous
 * draws take 200 commit flushes in a row (with a slow disk, seconds), each with a pooled connection
 * waiting for its turn and every other request queuing behind them. One commit per batch does the
 * same work in a handful of flushes, on one connection.
 */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export class KeyedBatcher<I, O> {
  private readonly queues = new Map<string, { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[]>();
  private readonly running = new Set<string>();

  /**
   * @param flush runs one batch: one outcome per item, in order. If it throws, every item of the
   *   batch fails with that error.
   */
  constructor(
    private readonly flush: (key: string, items: I[]) => Promise<Settled<O>[]>,
    readonly maxBatch = 100,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  submit(key: string, item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const q = this.queues.get(key) ?? [];
      this.queues.set(key, q);
      q.push({ item, resolve, reject });
      if (!this.running.has(key)) void this.drain(key);
    });
  }

  /** Items waiting for a key (not counting the batch running). */
  waiting(key: string): number {
    return this.queues.get(key)?.length ?? 0;
  }

  private async drain(key: string): Promise<void> {
    this.running.add(key);
    try {
      for (let q = this.queues.get(key); q?.length; q = this.queues.get(key)) {
        const batch = q.splice(0, this.maxBatch);
        if (!q.length) this.queues.delete(key);
        let outcomes: Settled<O>[];
        try {
          outcomes = await this.flush(key, batch.map((b) => b.item));
          if (outcomes.length !== batch.length) throw new Error(`batch of ${batch.length} answered ${outcomes.length} outcomes`);
        } catch (error) {
          outcomes = batch.map(() => ({ ok: false, error }));
        }
        batch.forEach((b, i) => {
          const o = outcomes[i]!;
          if (o.ok) b.resolve(o.value);
          else b.reject(o.error);
        });
      }
    } finally {
      this.running.delete(key);
    }
  }
}
