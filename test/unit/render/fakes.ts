// Test doubles for the renderer: a process runner that records calls and answers from a script,
// and fake tool executables (node scripts) for the real runner.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ProcessRunner, RunOptions, RunResult } from '../../../src/core/render';

export interface RecordedRun {
  command: string;
  args: string[];
  opts: RunOptions;
}

/** Answers every run with `answer(command, args)` after `delayMs`; counts concurrency. */
export class FakeRunner implements ProcessRunner {
  readonly runs: RecordedRun[] = [];
  active = 0;
  maxActive = 0;
  private gate: Promise<void> | undefined;

  /** Runs that render wait until the returned function is called (no timing in the tests). */
  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((r) => (release = r));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  constructor(
    private readonly answer: (command: string, args: string[]) => Partial<RunResult> = () => ({}),
    private readonly delayMs = 0,
  ) {}

  /** Runs that render (not `version`). */
  get renders(): RecordedRun[] {
    return this.runs.filter((r) => r.args[0] !== 'version');
  }

  async run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.runs.push({ command, args: [...args], opts });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const base: RunResult = { exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, aborted: false, outputTooLarge: false, durationMs: 0 };
      if (args[0] === 'version') {
        return { ...base, stdout: command.endsWith('helm') ? 'v4.0.0+gfake\n' : command.endsWith('kubectl') ? '{"clientVersion":{"gitVersion":"v1.33.0"},"kustomizeVersion":"v5.6.0"}' : 'v5.6.0\n' };
      }
      if (this.gate) await this.gate;
      if (this.delayMs) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.delayMs);
          opts.signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
        });
        if (opts.signal?.aborted) return { ...base, exitCode: null, aborted: true };
      }
      return { ...base, ...this.answer(command, [...args]) };
    } finally {
      this.active--;
    }
  }
}

/** Writes an executable node script named `name` into `dir`. */
export async function fakeTool(dir: string, name: string, body: string): Promise<string> {
  const p = join(dir, name);
  await fs.writeFile(p, `#!${process.execPath}\n${body}\n`, { mode: 0o755 });
  return p;
}

export const CONFIGMAP = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
