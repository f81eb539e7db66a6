// End to end, as a user meets it: the CLI as whole processes (`node dist/cli.js …`, the production
// bundle), interleaved with the peer on the same inputs in the same run, medians of RUNS runs, peak RSS
// of each process (/usr/bin/time). The in-process benches (drift, plan, …) time the cores alone; these
// rows add Node's start, loading the bundle, discovery, kubeconfig, rendering and the report.
//   1. start-up: `node -e 0` (Node alone, the floor), `reconcile --help`, `reconcile envs examples/`;
//   2. drift of environments of 3, 33, 1,000 and 5,000 objects (the bench corpus' kinds), server-side
//      applied to the real kube-apiserver of test/harness/cluster.mjs, 3 Deployments scaled with kubectl
//      in the two big ones, beside `kubectl diff --server-side` (kubectl of the same release) on the same
//      files; both must report the same drifted resources;
//   3. plan of the 1,000-object environment beside the same kubectl diff.
//   node bench/run.mjs e2e   (RECONCILE_BENCH_E2E_RUNS runs each, default 5; RECONCILE_BENCH_E2E_SIZES=3,33,1000,5000)
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { RawObject } from '../src/core/cluster';
import { resourceKey } from '../src/core/manifest';
import { MIX, make } from './corpus';
import { median, report, type BenchRow } from './lib';

const execFileP = promisify(execFile);
const RUNS = Number(process.env.RECONCILE_BENCH_E2E_RUNS ?? 5);
const SIZES = (process.env.RECONCILE_BENCH_E2E_SIZES ?? '3,33,1000,5000').split(',').filter(Boolean).map(Number);
const root = join(__dirname, '..');
/** The CLI as `npm run bench` built it, copied (below) so that a rebuild of dist/ meanwhile cannot change or break it. */
let cli = join(root, 'dist', 'cli.js');
const TIME = '/usr/bin/time';
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

interface Run {
  ms: number;
  /** Peak resident set of the process, MB. */
  rssMb: number;
  /** CPU time of the process (user + system), ms: less skewed than wall time by other work on a shared machine. */
  cpuMs: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a process to its end under /usr/bin/time: wall ms (from here), peak RSS, exit code and output. */
async function timed(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = root): Promise<Run> {
  const rssFile = join(tmpdir(), `reconcile-e2e-rss-${process.pid}`);
  const t0 = performance.now();
  let r: { code: number; stdout: string; stderr: string };
  try {
    const { stdout, stderr } = await execFileP(TIME, ['-f', '%M %U %S', '-o', rssFile, bin, ...args], { env, cwd, maxBuffer: 1 << 28 });
    r = { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    r = { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
  const ms = performance.now() - t0;
  // time(1) writes "Command exited with non-zero status N" before the figure when the command fails
  const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  rmSync(rssFile, { force: true });
  return { ms, rssMb: kb / 1024, cpuMs: (user + sys) * 1000, ...r };
}

/** Runs each command RUNS times, one after the other in every round, so that load spikes of the shared machine fall on all of them. */
async function interleaved(commands: Array<() => Promise<Run>>): Promise<Run[][]> {
  const out: Run[][] = commands.map(() => []);
  for (let r = 0; r < RUNS; r++) for (let i = 0; i < commands.length; i++) out[i].push(await commands[i]());
  return out;
}

const ms = (runs: Run[]) => median(runs.map((r) => r.ms));
const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuMs));
const rss = (runs: Run[]) => Math.max(...runs.map((r) => r.rssMb));
const list = (runs: Run[]) => runs.map((r) => r.ms.toFixed(0)).join(', ');

// ---------------------------------------------------------------------------------------------
// 1. start-up

async function startupRows(): Promise<BenchRow[]> {
  const examples = join(root, 'examples');
  const [bare, help, envs] = await interleaved([
    () => timed(process.execPath, ['-e', '0']),
    () => timed(process.execPath, [cli, '--help']),
    () => timed(process.execPath, [cli, 'envs', examples]),
  ]);
  for (const [name, runs, ok] of [['--help', help, 0], ['envs', envs, 0]] as const) {
    if (runs.some((r) => r.code !== ok)) throw new Error(`reconcile ${name} exited ${runs.map((r) => r.code).join(',')}: ${runs[0].stderr}`);
  }
  console.log(`# start-up runs (ms wall): node -e 0 ${list(bare)}; --help ${list(help)}; envs ${list(envs)}; ${cpus().length} cores, load average ${load()}`);
  return [
    { bench: 'e2e', metric: 'node -e 0 (Node alone, the floor of any CLI run), whole process', value: ms(bare), unit: 'ms' },
    { bench: 'e2e', metric: 'reconcile --help, whole process', value: ms(help), unit: 'ms', target: '≤ 150 ms', ok: ms(help) <= 150 },
    { bench: 'e2e', metric: 'reconcile envs examples/, whole process', value: ms(envs), unit: 'ms', target: '≤ 300 ms', ok: ms(envs) <= 300 },
    { bench: 'e2e', metric: 'reconcile envs examples/, peak RSS', value: rss(envs), unit: 'MB' },
    { bench: 'e2e', metric: 'CPU time (user + system): node -e 0', value: cpu(bare), unit: 'ms' },
    { bench: 'e2e', metric: 'CPU time: reconcile --help', value: cpu(help), unit: 'ms' },
    { bench: 'e2e', metric: 'CPU time: reconcile envs examples/', value: cpu(envs), unit: 'ms' },
  ];
}

// ---------------------------------------------------------------------------------------------
// 2, 3. drift and plan beside kubectl diff

/** `n` objects of the corpus' kinds in namespace `ns`: MIX's proportions (every kind once for small n). */
function objectsOf(n: number, ns: string): RawObject[] {
  const total = MIX.reduce((s, [, c]) => s + c, 0);
  const counts = MIX.map(([kind, c]) => [kind, Math.floor((c * n) / total)] as [string, number]);
  for (let i = 0, left = n - counts.reduce((s, [, c]) => s + c, 0); left > 0; i = (i + 1) % counts.length, left--) counts[i][1]++;
  const out: RawObject[] = [];
  for (const [kind, c] of counts) {
    for (let i = 0; i < c; i++) {
      const o = make(kind, i);
      const metadata = o.metadata as { namespace: string; labels: Record<string, string> };
      metadata.namespace = ns;
      metadata.labels['reconcile.dev/environment'] = ns;
      if (kind === 'RoleBinding') (o.subjects as Array<{ namespace: string }>)[0].namespace = ns;
      // headless: the test apiserver's service range holds a few hundred addresses, not 750
      if (kind === 'Service') (o.spec as Record<string, unknown>).clusterIP = 'None';
      out.push(o);
    }
  }
  return out;
}

/** `apps.v1.Deployment.bench.deployment-1` (kubectl diff's file names) → resourceKey. */
function kubectlDrifted(stdout: string): Set<string> {
  const out = new Set<string>();
  for (const m of stdout.matchAll(/^diff -u -N \S+\/(\S+) \S+$/gm)) {
    const parts = m[1].split('.');
    const name = parts.pop()!;
    const namespace = parts.pop()!;
    const kind = parts.pop()!;
    parts.pop(); // version
    out.add(resourceKey({ group: parts.join('.'), kind, namespace, name }));
  }
  return out;
}

type Id = { group: string; kind: string; namespace?: string; name: string };

function driftDrifted(json: string): Set<string> {
  const r = JSON.parse(json) as { results: Array<{ resource: Id; status: string }>; notInGit: Array<{ resource: Id }> };
  return new Set([...r.results.filter((x) => x.status !== 'in-sync').map((x) => resourceKey(x.resource)), ...r.notInGit.map((x) => resourceKey(x.resource))]);
}

function planChanged(json: string): Set<string> {
  const r = JSON.parse(json) as { items: Array<{ resource: Id; action: string }> };
  return new Set(r.items.filter((i) => i.action !== 'unchanged').map((i) => resourceKey(i.resource)));
}

const same = (x: Set<string>, y: Set<string>) => x.size === y.size && [...x].every((k) => y.has(k));

async function clusterRows(): Promise<BenchRow[]> {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'etcd', 'kubeApiserver'] });
  const scratch = mkdtempSync(join(tmpdir(), 'reconcile-bench-e2e-'));
  const cluster = await startCluster({ log: () => {} });
  const rows: BenchRow[] = [];
  try {
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfig };
    const kubectl = (...args: string[]) => execFileP(tools.kubectl, args, { env, maxBuffer: 1 << 28 });
    const kubectlVersion = JSON.parse((await kubectl('version', '--client', '-o', 'json')).stdout).clientVersion.gitVersion as string;
    const byRatio: Record<number, number> = {};
    for (const n of SIZES) {
      const ns = `e2e-${n}`;
      const repo = join(scratch, ns);
      const manifests = join(repo, 'manifests');
      mkdirSync(manifests, { recursive: true });
      const objects = objectsOf(n, ns);
      const byKind = new Map<string, RawObject[]>();
      for (const o of objects) byKind.set(String(o.kind), [...(byKind.get(String(o.kind)) ?? []), o]);
      for (const [kind, l] of byKind) writeFileSync(join(manifests, `${kind.toLowerCase()}.yaml`), l.map((o) => stringify(o)).join('---\n'));
      writeFileSync(join(repo, '.reconcile.yaml'), stringify({ environments: [{ name: ns, paths: ['manifests/**'], context: cluster.context, namespaces: [ns] }] }));
      await kubectl('create', 'namespace', ns);
      const tApply = performance.now();
      await kubectl('apply', '--server-side', '--field-manager=reconcile', '-f', manifests);
      const scaled = new Set<string>();
      if (n >= 1000) {
        const names = [3, 50, 149].map((i) => `deployment-${i}`);
        await kubectl('-n', ns, 'scale', ...names.map((x) => `deployment/${x}`), '--replicas=4');
        for (const x of names) scaled.add(resourceKey({ group: 'apps', kind: 'Deployment', namespace: ns, name: x }));
      }
      console.log(`# ${ns}: ${objects.length} objects applied in ${((performance.now() - tApply) / 1000).toFixed(1)} s${scaled.size ? `, ${scaled.size} Deployments scaled` : ''}`);

      const expectExit = scaled.size ? 1 : 0;
      const driftArgs = [cli, 'drift', repo, '--env', ns, '--format', 'json'];
      const planArgs = [cli, 'plan', repo, '--env', ns, '--format', 'json'];
      const diffArgs = ['diff', '--server-side', '--field-manager=reconcile', '--force-conflicts', '-f', manifests];
      const withPlan = n === 1000;
      const commands = [() => timed(process.execPath, driftArgs, env), () => timed(tools.kubectl, diffArgs, env)];
      if (withPlan) commands.push(() => timed(process.execPath, planArgs, env));
      const [ours, theirs, plans] = await interleaved(commands);
      for (const r of ours) if (r.code !== expectExit) throw new Error(`reconcile drift ${ns} exited ${r.code} (expected ${expectExit}): ${r.stderr.slice(0, 2000)}`);
      for (const r of theirs) if (r.code !== expectExit) throw new Error(`kubectl diff ${ns} exited ${r.code} (expected ${expectExit}): ${r.stderr.slice(0, 2000)}`);
      for (const r of plans ?? []) if (r.code !== expectExit) throw new Error(`reconcile plan ${ns} exited ${r.code} (expected ${expectExit}): ${r.stderr.slice(0, 2000)}`);
      const k = kubectlDrifted(theirs[0].stdout);
      const d = driftDrifted(ours[0].stdout);
      const agree = same(k, scaled) && same(d, scaled) && (!plans || same(planChanged(plans[0].stdout), scaled));
      console.log(`# ${ns} runs (ms wall): reconcile drift ${list(ours)}; kubectl diff ${list(theirs)}${plans ? `; reconcile plan ${list(plans)}` : ''}; load average ${load()}`);
      if (!agree) console.log(`#   drifted: kubectl ${[...k].join(' ')}; reconcile drift ${[...d].join(' ')}${plans ? `; plan ${[...planChanged(plans[0].stdout)].join(' ')}` : ''}`);
      const m = ms(ours);
      const p = ms(theirs);
      byRatio[n] = m;
      const target = n <= 50 ? `faster than kubectl (ratio > 1)` : n === 1000 ? '≤ 1,000 ms and ≥ 10× kubectl' : n === 5000 ? '≤ 3,000 ms' : undefined;
      const ok = n <= 50 ? p / m > 1 : n === 1000 ? m <= 1000 && p / m >= 10 : n === 5000 ? m <= 3000 : undefined;
      rows.push({ bench: 'e2e', metric: `reconcile drift, ${n} objects, whole process`, value: m, unit: 'ms', ratio: p / m, ratioLabel: 'kubectl/ours', ...(target ? { target, ok } : {}) });
      rows.push({ bench: 'e2e', metric: `peer: kubectl diff --server-side ${kubectlVersion}, same ${n} objects and apiserver`, value: p, unit: 'ms' });
      rows.push({ bench: 'e2e', metric: `CPU time (user + system), ${n} objects: reconcile drift (kubectl diff: ${cpu(theirs).toFixed(0)} ms)`, value: cpu(ours), unit: 'ms' });
      rows.push({
        bench: 'e2e',
        metric: `reconcile drift, ${n} objects, peak RSS (kubectl diff: ${rss(theirs).toFixed(0)} MB)`,
        value: rss(ours),
        unit: 'MB',
        ...(n === 5000 ? { target: '≤ 150 MB', ok: rss(ours) <= 150 } : {}),
      });
      if (plans) {
        rows.push({ bench: 'e2e', metric: `reconcile plan, ${n} objects, whole process`, value: ms(plans), unit: 'ms', ratio: p / ms(plans), ratioLabel: 'kubectl/ours', target: '≥ 3× kubectl', ok: p / ms(plans) >= 3 });
        rows.push({ bench: 'e2e', metric: `reconcile plan, ${n} objects, peak RSS`, value: rss(plans), unit: 'MB' });
      }
      rows.push({ bench: 'e2e', metric: `${n} objects: drift${plans ? ', plan' : ''} and kubectl diff report the same ${scaled.size} changed`, value: Number(agree), unit: '', target: 'yes', ok: agree });
      await kubectl('delete', 'namespace', ns, '--wait=false');
    }
    if (byRatio[1000] && byRatio[5000]) {
      const growth = byRatio[5000] / byRatio[1000];
      rows.push({ bench: 'e2e', metric: 'reconcile drift 5,000 ÷ 1,000 objects (whole process)', value: growth, unit: '×', target: '≤ 5 (no worse than linear)', ok: growth <= 5 });
    }
  } finally {
    await cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

async function main(): Promise<void> {
  const copy = mkdtempSync(join(tmpdir(), 'reconcile-bench-cli-'));
  cpSync(join(root, 'dist', 'cli.js'), join(copy, 'cli.js'));
  cpSync(join(root, 'dist', 'cli'), join(copy, 'cli'), { recursive: true });
  cpSync(join(root, 'dist', 'schemas'), join(copy, 'schemas'), { recursive: true });
  cli = join(copy, 'cli.js');
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  const rows = await startupRows();
  if (SIZES.length) rows.push(...(await clusterRows()));
  report(rows, `end to end: whole processes (node dist/cli.js, kubectl), median of ${RUNS} interleaved runs; ${cpus().length} cores, load average ${load()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
