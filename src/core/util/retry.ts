// When something that failed may be tried again: per key (an application, an environment), the
// fingerprint of the inputs the failure had (file content hashes, tool path and version, kubeconfig)
// and a backoff — 30 s, doubling, capped at 5 minutes. The same inputs are tried again only when the
// backoff is over; other inputs at once, from the first step again. Whoever asks, however often, the
// failing work runs at most once per step: a loop of callers cannot become a loop of work.
// Pure: the clock is injected (tests pass their own).

export interface BackoffOptions {
  /** The delay after the first failure (ms). Default 30 s. */
  firstMs?: number;
  /** Each further failure of the same inputs multiplies the delay by this. Default 2. */
  factor?: number;
  /** The longest delay (ms). Default 5 minutes. */
  maxMs?: number;
  /** The clock. Default Date.now. */
  now?: () => number;
  /** Keys remembered at most (the oldest failure is forgotten first). Default 1000. */
  maxKeys?: number;
}

/** The delay before try `attempt + 1`, after `attempt` (≥ 1) failures of the same inputs. */
export function backoffDelay(attempt: number, options: Pick<BackoffOptions, 'firstMs' | 'factor' | 'maxMs'> = {}): number {
  const first = options.firstMs ?? 30_000;
  const factor = options.factor ?? 2;
  const max = options.maxMs ?? 5 * 60_000;
  if (!(attempt >= 1)) throw new Error(`a backoff counts failures from 1, got ${attempt}`);
  return Math.min(max, first * factor ** Math.min(attempt - 1, 64));
}

/** A failure remembered for a key: of which inputs, how many times in a row, and when it may be tried again. */
export interface RetryState<T = unknown> {
  fingerprint: string;
  /** Failures in a row with these inputs (1 after the first). */
  attempt: number;
  /** When the same inputs may be tried again (the clock's ms). */
  at: number;
  /** What the last failure was (the caller's own value: a result, a message). */
  failure: T;
}

export class RetrySchedule<T = unknown> {
  private readonly states = new Map<string, RetryState<T>>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly options: BackoffOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 1000;
    const first = options.firstMs ?? 30_000;
    const max = options.maxMs ?? 5 * 60_000;
    const factor = options.factor ?? 2;
    if (!(first > 0) || !(max >= first) || !(factor >= 1)) throw new Error(`a backoff needs firstMs > 0, maxMs ≥ firstMs and factor ≥ 1, got ${first}, ${max} and ${factor}`);
  }

  /**
   * The failure to answer with instead of trying again: there is one for these inputs and its
   * backoff is not over. Undefined when the work is due (never failed, other inputs, or time is up).
   */
  pending(key: string, fingerprint: string): RetryState<T> | undefined {
    const s = this.states.get(key);
    if (!s || s.fingerprint !== fingerprint || this.now() >= s.at) return undefined;
    return s;
  }

  /** Whether the work for these inputs may run now. */
  due(key: string, fingerprint: string): boolean {
    return this.pending(key, fingerprint) === undefined;
  }

  /** Records a failure of these inputs: the next step of the backoff, or its first step for other inputs. */
  failed(key: string, fingerprint: string, failure: T): RetryState<T> {
    const before = this.states.get(key);
    const attempt = before && before.fingerprint === fingerprint ? before.attempt + 1 : 1;
    const state: RetryState<T> = { fingerprint, attempt, at: this.now() + backoffDelay(attempt, this.options), failure };
    this.states.delete(key);
    this.states.set(key, state);
    while (this.states.size > this.maxKeys) this.states.delete(this.states.keys().next().value as string);
    return state;
  }

  /** It worked (or the key is gone): the next failure starts the backoff from its first step. */
  succeeded(key: string): void {
    this.states.delete(key);
  }

  /** The failure remembered for a key, whatever its inputs. */
  get(key: string): RetryState<T> | undefined {
    return this.states.get(key);
  }

  get size(): number {
    return this.states.size;
  }

  clear(): void {
    this.states.clear();
  }
}
