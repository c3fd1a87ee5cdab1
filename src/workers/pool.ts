import { Worker } from 'node:worker_threads';

/**
 * A small pool of worker threads for CPU-heavy JavaScript (geometry searches), so the request
 * thread keeps answering while they run. Each task has a time limit: a worker still busy when it
 * passes is terminated (a loop in JavaScript cannot be interrupted any other way) and replaced
 * on the next task. The queue is bounded, so a burst is refused rather than piled up.
 */
export class WorkerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`worker task exceeded ${timeoutMs} ms`);
    this.name = 'WorkerTimeoutError';
  }
}
export class WorkerBusyError extends Error {
  constructor() {
    super('worker queue full');
    this.name = 'WorkerBusyError';
  }
}

export interface WorkerPoolOptions {
  /** Threads (1–2 is plenty on a small machine: the request thread needs a core too). */
  size: number;
  /** Default time limit of one task, ms. */
  timeoutMs: number;
  /** Most tasks waiting for a thread before new ones are refused. */
  maxQueue?: number;
}

interface Task {
  message: unknown;
  timeoutMs: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

// A TypeScript worker starts through a small bootstrap that registers tsx (see ts-bootstrap.mjs).
const TS_BOOTSTRAP = new URL('./ts-bootstrap.mjs', import.meta.url);

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private running = 0;
  private readonly queue: Task[] = [];
  private closed = false;
  private readonly all = new Set<Worker>();
  private readonly ready = new WeakMap<Worker, Promise<void>>();

  constructor(
    private readonly file: URL,
    private readonly opts: WorkerPoolOptions,
  ) {}

  run<T>(message: unknown, timeoutMs = this.opts.timeoutMs): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool closed'));
    if (this.queue.length >= (this.opts.maxQueue ?? 64)) return Promise.reject(new WorkerBusyError());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ message, timeoutMs, resolve: resolve as (v: unknown) => void, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.reject(new Error('worker pool closed'));
    await Promise.all([...this.all].map((w) => w.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }

  /** Starts a thread; it is usable once it posts { ready: true } (a TypeScript worker compiles first). */
  private spawn(): Worker {
    const w = this.file.pathname.endsWith('.ts')
      ? new Worker(TS_BOOTSTRAP, { workerData: { entry: this.file.href } })
      : new Worker(this.file);
    this.all.add(w);
    // A thread that dies while idle is dropped (a running task has its own listeners).
    w.on('error', () => {});
    w.on('exit', () => {
      this.all.delete(w);
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    });
    this.ready.set(
      w,
      new Promise<void>((resolve, reject) => {
        const onMessage = (m: { ready?: boolean }) => {
          if (!m?.ready) return;
          w.off('message', onMessage);
          resolve();
        };
        w.on('message', onMessage);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
      }),
    );
    this.ready.get(w)!.catch(() => {});
    return w;
  }

  /** Starts the threads now, so the first task does not wait for them; resolves when they are ready. */
  warm(): Promise<void> {
    while (!this.closed && this.all.size < Math.max(1, this.opts.size)) {
      const w = this.spawn();
      w.unref();
      this.idle.push(w);
    }
    return Promise.all(this.idle.map((w) => this.ready.get(w)!)).then(
      () => undefined,
      () => undefined,
    );
  }

  private pump(): void {
    while (this.queue.length && this.running < Math.max(1, this.opts.size)) {
      const task = this.queue.shift()!;
      const worker = this.idle.pop() ?? this.spawn();
      this.running++;
      this.execute(worker, task);
    }
  }

  private execute(worker: Worker, task: Task): void {
    worker.ref();
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (healthy: boolean, fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      this.running--;
      if (healthy && !this.closed) {
        worker.unref(); // an idle thread must not keep the process alive
        this.idle.push(worker);
      } else {
        void worker.terminate();
      }
      fn();
      this.pump();
    };
    const onMessage = (m: { ok?: boolean; ready?: boolean; result?: unknown; error?: string }) => {
      if (m?.ready) return;
      finish(true, () => (m.ok ? task.resolve(m.result) : task.reject(new Error(m.error ?? 'worker task failed'))));
    };
    const onError = (err: Error) => finish(false, () => task.reject(err));
    const onExit = (code: number) => finish(false, () => task.reject(new Error(`worker exited (${code})`)));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    // The time limit is the task's own: it starts when the thread is ready, not while it starts up.
    this.ready.get(worker)!.then(
      () => {
        if (settled) return;
        timer = setTimeout(() => finish(false, () => task.reject(new WorkerTimeoutError(task.timeoutMs))), task.timeoutMs);
        worker.postMessage(task.message);
      },
      (err: Error) => finish(false, () => task.reject(err)),
    );
  }
}
