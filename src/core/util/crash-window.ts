// Whether a process that keeps dying may be restarted, by crashes within a time window — the rule of
// vscode-eslint's and vscode-languageclient's error handlers: restart, unless it died more than `max`
// times within `windowMs`. A server that crashes once a day is restarted all week; one that crashes in
// a loop stops soon. (A lifetime count stops a long session's server for good after a few rare crashes.)

export interface CrashWindowOptions {
  /** Crashes allowed within the window; one more and the process is not restarted. Default 5. */
  max?: number;
  /** Default 3 minutes. */
  windowMs?: number;
  /** The clock (tests pass their own). Default Date.now. */
  now?: () => number;
}

export class CrashWindow {
  readonly max: number;
  readonly windowMs: number;
  private readonly now: () => number;
  /** When the crashes within the window happened, oldest first. */
  private readonly times: number[] = [];

  constructor(options: CrashWindowOptions = {}) {
    this.max = options.max ?? 5;
    this.windowMs = options.windowMs ?? 3 * 60_000;
    this.now = options.now ?? Date.now;
    if (!(this.max >= 1) || !(this.windowMs > 0)) throw new Error(`a crash window needs max ≥ 1 and windowMs > 0, got ${this.max} and ${this.windowMs}`);
  }

  /** Records a crash now; true when the process may be restarted. */
  crashed(): boolean {
    const t = this.now();
    this.times.push(t);
    while (this.times.length > 0 && t - this.times[0] > this.windowMs) this.times.shift();
    return this.times.length <= this.max;
  }

  /** Crashes within the window as of the last one. */
  get recent(): number {
    return this.times.length;
  }
}
