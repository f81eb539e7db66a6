// A counting semaphore: at most `limit` holders at once, the others wait in FIFO order.
import { whenAborted } from './abort';

export class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new Error(`semaphore limit must be at least 1, got ${limit}`);
  }

  get inUse(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Waits for a slot. Rejects if the signal aborts while waiting (the slot is then not taken).
   * `urgent`: someone waits for it now (an expanded tree node): it goes before the queued ones.
   * `onQueued` gets a function that moves this waiter to the front later (an urgent caller joining it).
   */
  acquire(signal?: AbortSignal, opts: { urgent?: boolean; onQueued?: (promote: () => void) => void } = {}): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        stopWaiting();
        this.active++;
        resolve(this.releaser());
      };
      // Every waiter under one signal shares one abort listener (a plan queues hundreds of dry-runs).
      const stopWaiting = whenAborted(signal, () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(abortError(signal!));
      });
      if (opts.urgent) this.waiting.unshift(grant);
      else this.waiting.push(grant);
      opts.onQueued?.(() => {
        const i = this.waiting.indexOf(grant);
        if (i > 0) {
          this.waiting.splice(i, 1);
          this.waiting.unshift(grant);
        }
      });
    });
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal, opts: { urgent?: boolean; onQueued?: (promote: () => void) => void } = {}): Promise<T> {
    const release = await this.acquire(signal, opts);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      const next = this.waiting.shift();
      if (next) next();
    };
  }
}

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const e = new Error(typeof reason === 'string' ? reason : 'aborted');
  e.name = 'AbortError';
  return e;
}
