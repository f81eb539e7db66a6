// Running the CLI and the language server as whole processes for the hostile-input test: each run
// is measured from outside (wall time from spawn to exit) and inside (peak RSS from
// process.resourceUsage() at exit, written by a preloaded script), and killed after 60 s (a hang).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const HANG_MS = 60_000;

export interface Run {
  label: string;
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident set size in bytes (undefined when the process died before it could say). */
  maxRss?: number;
  hung: boolean;
}

/** Bundles the CLI and the language server as esbuild.js does (into `dir`, not dist/, which others build). */
export async function bundle(repoRoot: string, dir: string): Promise<{ cli: string; server: string; measure: string; env: NodeJS.ProcessEnv }> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning', absWorkingDir: repoRoot } as const;
  await Promise.all([
    esbuild.build({ ...common, entryPoints: { cli: join(repoRoot, 'src/cli/main.ts') }, outdir: dir, external: ['vscode'] }),
    esbuild.build({ ...common, entryPoints: { server: join(repoRoot, 'src/server/server.ts') }, outdir: dir, mainFields: ['module', 'main'] }),
  ]);
  const measure = join(dir, 'measure.js');
  writeFileSync(
    measure,
    "process.on('exit', () => { const f = process.env.HOSTILE_RUSAGE; if (f) require('fs').writeFileSync(f, String(process.resourceUsage().maxRSS * 1024)); });\n",
  );
  const env = { ...process.env, RECONCILE_SCHEMA_DIR: join(repoRoot, 'src', 'core', 'schema', 'bundled'), KUBECONFIG: join(dir, 'no-kubeconfig') };
  return { cli: join(dir, 'cli.js'), server: join(dir, 'server.js'), measure, env };
}

let runs = 0;

/** Runs `node -r measure.js cli.js …args` to its end (or kills it after HANG_MS). */
export function runCli(b: { cli: string; measure: string; env: NodeJS.ProcessEnv }, label: string, args: string[], tmp: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  const rusage = join(tmp, `rusage-${process.pid}-${++runs}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-r', b.measure, b.cli, ...args], { env: { ...b.env, ...extraEnv, HOSTILE_RUSAGE: rusage }, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, label, args, t0, rusage);
}

function collect(child: ChildProcess, label: string, args: string[], t0: number, rusage: string): Promise<Run> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, HANG_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const maxRss = existsSync(rusage) ? Number(readFileSync(rusage, 'utf8')) : undefined;
      resolve({ label, args, code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms, maxRss, hung });
    });
  });
}

/** Runs tasks with at most `n` at a time (the machine is shared). */
export async function pool<T>(tasks: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]();
      }
    }),
  );
  return results;
}

/** Peak RSS of a live process (Linux: VmHWM), in bytes. */
export function peakRssOf(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const mb = (n: number | undefined) => (n === undefined ? '?' : `${(n / (1024 * 1024)).toFixed(0)} MB`);
