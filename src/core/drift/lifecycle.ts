// The lifecycle of one environment's live drift, as one small state machine:
//
//   rendering → connecting → live
//       │            └──────→ error          (the cluster could not be connected to)
//       └───────────────────→ render-failed  (nothing rendered)
//   live | render-failed | error → rendering (refresh(): inputs changed)
//   any → stopped                              (stop(): nothing shows the environment any more)
//
// It owns what the environment holds open: the session (client, live cache, drift engine: whatever
// connect() returns, disposed exactly once), a debounce timer for refreshes and periodic timers. Every
// refresh is a run with its own AbortSignal; a newer refresh or stop() aborts the older run, and each
// transition is checked against that signal, so a superseded run changes nothing and a session it
// connected after being superseded is disposed at once instead of leaking.
// A failed connect is retried with a backoff (util/retry.ts: 30 s, doubling, capped at 5 minutes) and
// at once when its inputs change (connectInputs(): the kubeconfig's content and the context); a refresh
// before that answers with the same error and connects nothing, so a caller that refreshes in a loop
// cannot make a loop of connects (issue #20).
// Pure: no vscode, no cluster; the editor's DriftService supplies render/connect/update.
import { RetrySchedule, type BackoffOptions } from '../util/retry';

export type LifecyclePhase =
  | { phase: 'rendering' }
  | { phase: 'connecting' }
  | { phase: 'live' }
  | { phase: 'render-failed'; message: string }
  | { phase: 'error'; message: string }
  | { phase: 'stopped' };

export interface LifecycleSession {
  dispose(): void;
}

export type RenderOutcome<D> = { ok: true; desired: D } | { ok: false; message: string };

export interface LifecycleDeps<D, S extends LifecycleSession> {
  /** Renders the environment; `ok: false` when nothing could be compared (every application failed). */
  render(signal: AbortSignal): Promise<RenderOutcome<D>>;
  /** Connects to the cluster and makes the session (client, cache, drift). The lifecycle owns it from then on. */
  connect(signal: AbortSignal): Promise<S>;
  /** Hands the desired objects to the session; resolves once its first reads settled. */
  update(session: S, desired: D, signal: AbortSignal): Promise<void>;
  /** Each state change (after the fact). */
  onState?(state: LifecyclePhase): void;
  /** A fingerprint of what connect() depends on (kubeconfig content, context): a failed connect is tried again at once when it changes. */
  connectInputs?(): Promise<string> | string;
}

export interface LifecycleOptions {
  /** When a failed connect is tried again with the same inputs (default: 30 s, doubling, capped at 5 minutes). */
  retry?: BackoffOptions;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class EnvironmentLifecycle<D, S extends LifecycleSession> {
  private current: LifecyclePhase = { phase: 'rendering' };
  private sessionValue: S | undefined;
  private run: AbortController | undefined;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private readonly intervals = new Set<ReturnType<typeof setInterval>>();
  private readonly connects: RetrySchedule<string>;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTime: number | undefined;
  /** Runs started (refresh() calls that were not no-ops); a cheap observable for tests. */
  runs = 0;

  constructor(
    private readonly deps: LifecycleDeps<D, S>,
    options: LifecycleOptions = {},
  ) {
    this.connects = new RetrySchedule<string>(options.retry);
    this.now = options.retry?.now ?? Date.now;
  }

  private readonly now: () => number;

  /** When a failed connect will be tried again (the backoff clock's ms), while one is waiting. */
  get nextRetry(): number | undefined {
    return this.retryTime;
  }

  get state(): LifecyclePhase {
    return this.current;
  }

  /** The connected session, once there is one (kept across re-renders, disposed by stop()). */
  get session(): S | undefined {
    return this.sessionValue;
  }

  get stopped(): boolean {
    return this.current.phase === 'stopped';
  }

  /**
   * Renders again and brings the environment to live (connecting first when not connected yet),
   * render-failed or error. Aborts the previous run. Resolves when this run ended or was superseded.
   */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = undefined;
    this.run?.abort();
    const run = new AbortController();
    this.run = run;
    this.runs++;
    const { signal } = run;
    if (!this.to(signal, { phase: 'rendering' })) return;
    let rendered: RenderOutcome<D>;
    try {
      rendered = await this.deps.render(signal);
    } catch (e) {
      rendered = { ok: false, message: messageOf(e) };
    }
    if (!rendered.ok) {
      // The session (if any) stays: its watches keep going, and a fixed render goes straight back to live.
      this.to(signal, { phase: 'render-failed', message: rendered.message });
      return;
    }
    let session = this.sessionValue;
    if (!session) {
      let inputs = '';
      try {
        inputs = (await this.deps.connectInputs?.()) ?? '';
      } catch (e) {
        inputs = `<unreadable> ${messageOf(e)}`;
      }
      if (signal.aborted || this.stopped) return;
      const waiting = this.connects.pending('connect', inputs);
      if (waiting) {
        // It failed with these inputs a moment ago: the same answer, no connect, a retry when the backoff is over.
        if (this.to(signal, { phase: 'error', message: waiting.failure })) this.retryAt(waiting.at);
        return;
      }
      if (!this.to(signal, { phase: 'connecting' })) return;
      try {
        session = await this.deps.connect(signal);
      } catch (e) {
        if (signal.aborted || this.stopped) return;
        const failed = this.connects.failed('connect', inputs, messageOf(e));
        this.to(signal, { phase: 'error', message: messageOf(e) });
        this.retryAt(failed.at);
        return;
      }
      if (signal.aborted) {
        // Superseded (or stopped) while connecting: this session is nobody's.
        session.dispose();
        return;
      }
      this.connects.succeeded('connect');
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.retryTime = undefined;
      this.sessionValue = session;
    }
    if (!this.to(signal, { phase: 'live' })) return;
    try {
      await this.deps.update(session, rendered.desired, signal);
    } catch (e) {
      this.to(signal, { phase: 'error', message: messageOf(e) });
    }
  }

  /** Refreshes after `ms` unless refreshed or stopped before (inputs come in bursts). */
  schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.refresh();
    }, ms);
  }

  /** Refreshes when a failed connect's backoff is over (one timer, owned like the others). */
  private retryAt(at: number): void {
    clearTimeout(this.retryTimer);
    this.retryTime = at;
    const now = this.now();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryTime = undefined;
      void this.refresh();
    }, Math.max(0, at - now) + 50);
  }

  /** Calls `fn` every `ms` while the environment is not stopped (a timer the lifecycle owns). */
  every(ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.intervals.add(setInterval(fn, ms));
  }

  /** Aborts the running refresh, clears every timer and disposes the session. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.run?.abort();
    this.run = undefined;
    clearTimeout(this.debounce);
    this.debounce = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryTime = undefined;
    for (const t of this.intervals) clearInterval(t);
    this.intervals.clear();
    const session = this.sessionValue;
    this.sessionValue = undefined;
    this.current = { phase: 'stopped' };
    session?.dispose();
    this.deps.onState?.(this.current);
  }

  /** One transition, taken only while the run that asks for it is current. */
  private to(signal: AbortSignal, next: LifecyclePhase): boolean {
    if (signal.aborted || this.stopped) return false;
    this.current = next;
    this.deps.onState?.(next);
    return true;
  }
}
