// Running a tool as a child process: an argument array (never a shell), a timeout, cancellation
// through an AbortSignal, and a cap on output (the process is killed when it is exceeded).
// Behind an interface so tests can count and fake runs.
import { spawn } from 'node:child_process';
import { whenAborted } from '../util/abort';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Kill the process after this long. Default: no limit. */
  timeoutMs?: number;
  /** Kill the process when stdout grows past this. Default: no limit. */
  maxOutputBytes?: number;
}

export interface RunResult {
  /** null when the process was killed by a signal or did not start. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** At most 1 MB is kept. */
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  outputTooLarge: boolean;
  /** The process did not start (ENOENT, EACCES…). */
  spawnError?: Error;
  durationMs: number;
}

export interface ProcessRunner {
  run(command: string, args: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

const MAX_STDERR = 1024 * 1024;

/** The real runner: child_process.spawn with shell: false, in its own process group on POSIX. */
export const spawnRunner: ProcessRunner = {
  run(command, args, opts = {}) {
    const started = performance.now();
    return new Promise<RunResult>((resolve) => {
      const result: RunResult = { exitCode: null, signal: null, stdout: '', stderr: '', timedOut: false, aborted: false, outputTooLarge: false, durationMs: 0 };
      if (opts.signal?.aborted) {
        result.aborted = true;
        resolve(result);
        return;
      }
      const posix = process.platform !== 'win32';
      let child: ReturnType<typeof spawn>;
      try {
        child = spawn(command, [...args], {
          cwd: opts.cwd,
          env: opts.env,
          shell: false,
          windowsHide: true,
          detached: posix, // own process group: a kill reaches the tool's children (git, plugins)
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (e) {
        result.spawnError = e as Error;
        result.durationMs = performance.now() - started;
        resolve(result);
        return;
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let done = false;
      const kill = () => {
        try {
          if (posix && child.pid) process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          try {
            child.kill('SIGKILL');
          } catch {
            /* already gone */
          }
        }
      };
      const timer = opts.timeoutMs && opts.timeoutMs > 0 ? setTimeout(() => ((result.timedOut = true), kill()), opts.timeoutMs) : undefined;
      const stopWaiting = whenAborted(opts.signal, () => {
        result.aborted = true;
        kill();
      });
      child.stdout!.on('data', (b: Buffer) => {
        if (result.outputTooLarge) return;
        outBytes += b.length;
        if (opts.maxOutputBytes !== undefined && outBytes > opts.maxOutputBytes) {
          result.outputTooLarge = true;
          out.length = 0;
          kill();
          return;
        }
        out.push(b);
      });
      child.stderr!.on('data', (b: Buffer) => {
        if (errBytes >= MAX_STDERR) return;
        errBytes += b.length;
        err.push(b);
      });
      const finish = () => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        stopWaiting();
        result.stdout = Buffer.concat(out).toString('utf8');
        result.stderr = Buffer.concat(err).toString('utf8').slice(0, MAX_STDERR);
        result.durationMs = performance.now() - started;
        resolve(result);
      };
      child.on('error', (e) => {
        result.spawnError = e;
        finish();
      });
      child.on('close', (code, sig) => {
        result.exitCode = code;
        result.signal = sig;
        finish();
      });
    });
  },
};
