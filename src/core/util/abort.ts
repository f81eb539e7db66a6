// Waiting on an AbortSignal without piling listeners onto it. Many operations often share one
// signal (a plan dry-runs hundreds of objects under the Preview's cancel button, an environment
// renders all its applications under one drift pass); one `addEventListener('abort')` each puts
// hundreds of listeners on that signal at once, which Node reports as
// `MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]` and which holds every
// waiter's closure until the signal dies. Here a signal carries at most one listener, whatever the
// number of waiters, and it is removed as soon as the last waiter leaves.

interface Waiters {
  readonly fns: Set<{ fn: () => void }>;
  readonly listener: () => void;
}

const waitersOf = new WeakMap<AbortSignal, Waiters>();

/**
 * Calls `fn` once when `signal` aborts (not if it already has: check `signal.aborted` first, as with
 * `addEventListener`). Returns the function that stops waiting; call it when the operation ends,
 * aborted or not. Any number of waiters share one listener on the signal.
 */
export function whenAborted(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal || signal.aborted) return () => {};
  let w = waitersOf.get(signal);
  if (!w) {
    const fns = new Set<{ fn: () => void }>();
    const listener = () => {
      waitersOf.delete(signal);
      const all = [...fns];
      fns.clear();
      let first: unknown;
      let failed = false;
      for (const e of all) {
        try {
          e.fn();
        } catch (err) {
          // Like EventTarget: one waiter's error does not keep the others from hearing of the abort.
          if (!failed) (failed = true), (first = err);
        }
      }
      if (failed) throw first;
    };
    w = { fns, listener };
    waitersOf.set(signal, w);
    signal.addEventListener('abort', listener, { once: true });
  }
  const entry = { fn };
  w.fns.add(entry);
  const waiters = w;
  return () => {
    if (!waiters.fns.delete(entry) || waiters.fns.size > 0) return;
    signal.removeEventListener('abort', waiters.listener);
    if (waitersOf.get(signal) === waiters) waitersOf.delete(signal);
  };
}

/**
 * Waits `ms`. Resolves `true` when the time is up, `false` as soon as `signal` aborts (at once when it
 * already has); never rejects, so each caller says what an abort means to it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      stopWaiting();
      resolve(true);
    }, ms);
    const stopWaiting = whenAborted(signal, () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
