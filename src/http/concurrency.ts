import type { FastifyReply, FastifyRequest } from 'fastify';
import { tooManyConcurrentRequests } from './errors.js';

/**
 * At most `max` requests of one kind in progress per key (a user): the next is answered 429 with
 * Retry-After at once, before its body is read. One user cannot fill the disk, the GDAL threads
 * and the database connections with parallel uploads.
 */
export class PerKeyLimiter {
  private readonly inFlight = new Map<string, number>();

  constructor(
    readonly max: number,
    private readonly what: string,
  ) {}

  /** Takes a slot for key, or throws 429; the returned function gives it back (once). */
  acquire(key: string): () => void {
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.max) {
      throw tooManyConcurrentRequests(`您已有${n}个${this.what}正在处理（上限${this.max}个），请等其完成后再提交`, {
        limit: this.max,
        retryAfter: 10,
      });
    }
    this.inFlight.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
    };
  }

  /** Wraps a route handler: the slot is held from before the body is read until the handler ends. */
  wrap<R extends FastifyRequest, P extends FastifyReply, T>(key: (req: R) => string, handler: (req: R, reply: P) => Promise<T>) {
    return async (req: R, reply: P): Promise<T> => {
      const release = this.acquire(key(req));
      try {
        return await handler(req, reply);
      } finally {
        release();
      }
    };
  }
}
