// Drift on an environment of 1,000 resources across 10 kinds, server-side applied to the real
// kube-apiserver (current release) of test/harness/cluster.mjs, side by side with `kubectl diff --server-side`
// (kubectl of the same release, from setup) on the same objects and the same apiserver:
//   - full drift, cold (discovery + one LIST per type + compare), vs kubectl diff: ratio (target ≥ 10×, ≤ 0.5 s);
//   - a watch event → the updated drift result (target ≤ 50 ms);
//   - after scaling 3 Deployments with kubectl: the same resources drifted as kubectl diff says, none extra;
//   - memory of the live cache holding the 1,000 objects (target ≤ 100 MB);
//   - the same environment in a real VS Code (bench/host/drift.ts in the extension host): time to the
//     first full result, the host's heap and RSS growth, and an edit → the editor's drift result.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { connectToContext, LiveCache, type RawObject } from '../src/core/cluster';
import { EnvironmentDrift, checkEnvironmentDrift, desiredFromDocuments } from '../src/core/drift';
import { resourceIdOf, resourceKey } from '../src/core/manifest';
import { BENCH_NAMESPACE, MIX, environmentObjects } from './corpus';
import { median, report, type BenchRow } from './lib';

const execFileP = promisify(execFile);
const NS = BENCH_NAMESPACE;
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 5);
const KUBECTL_RUNS = Number(process.env.RECONCILE_BENCH_KUBECTL_RUNS ?? 3);

/** `apps.v1.Deployment.bench.deployment-1` (kubectl diff's file names) → resourceKey. */
function keyFromDiffName(s: string): string {
  const parts = s.split('.');
  const name = parts.pop()!;
  const namespace = parts.pop()!;
  const kind = parts.pop()!;
  parts.pop(); // version
  return resourceKey({ group: parts.join('.'), kind, namespace, name });
}

async function kubectlDiff(kubectl: string, kubeconfig: string, file: string): Promise<{ ms: number; drifted: Set<string> }> {
  const t0 = performance.now();
  let stdout = '';
  try {
    ({ stdout } = await execFileP(kubectl, ['diff', '--server-side', '--field-manager=reconcile', '--force-conflicts', '-f', file], { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 1 << 28 }));
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (err.code !== 1) throw new Error(`kubectl diff failed (${err.code}): ${err.stderr}`);
    stdout = err.stdout ?? '';
  }
  const ms = performance.now() - t0;
  const drifted = new Set<string>();
  for (const m of stdout.matchAll(/^diff -u -N \S+\/(\S+) \S+$/gm)) drifted.add(keyFromDiffName(m[1]));
  return { ms, drifted };
}

interface HostMemory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** What bench/host/drift.ts measured inside the extension host. */
interface HostResult {
  expected: number;
  counts: { total: number; inSync: number; drifted: number; missing: number; unknown: number; skipped: number; notInGit: number };
  firstFullMs: number;
  /** ms from ensure() to each step the service reported. */
  timeline: Record<string, number>;
  before: HostMemory;
  after: HostMemory;
  gcAvailable: boolean;
  editMs: number[];
  /** Of editMs, the apply request's own round trip. */
  applyMs: number[];
  /** The extension's last log lines. */
  log: string[];
  node: string;
  vscode: string;
}

/**
 * The objects as a Git repository would hold them (plain manifests, one file per kind) and a
 * .reconcile.yaml that maps them to the environment `bench` on the harness context.
 */
function writeWorkspace(dir: string, objects: RawObject[], context: string): void {
  mkdirSync(join(dir, 'manifests'), { recursive: true });
  const byKind = new Map<string, RawObject[]>();
  for (const o of objects) byKind.set(String(o.kind), [...(byKind.get(String(o.kind)) ?? []), o]);
  for (const [kind, list] of byKind) writeFileSync(join(dir, 'manifests', `${kind.toLowerCase()}.yaml`), list.map((o) => stringify(o)).join('---\n'));
  writeFileSync(join(dir, '.reconcile.yaml'), stringify({ environments: [{ name: 'bench', paths: ['manifests/**'], context, namespaces: [NS] }] }));
}

/** Starts VS Code on the workspace with the extension from source and runs bench/host/drift.ts in its extension host. */
async function measureInEditor(workspace: string, objects: number, kubeconfig: string, kubectl: string): Promise<HostResult> {
  const { startVSCode } = await import('../test/harness/vscode.mjs');
  const root = join(__dirname, '..');
  const host = join(root, 'out', 'bench', 'drift.js');
  if (!existsSync(host)) throw new Error(`${host} is missing: run \`node esbuild.js\` first`);
  const outFile = join(workspace, '..', 'editor.json');
  const vs = await startVSCode({
    workspace,
    extensionDevelopmentPath: root,
    extensionTestsPath: host,
    settings: { 'reconcile.tools.kubectl': kubectl },
    env: { RECONCILE_BENCH_OUT: outFile, RECONCILE_BENCH_OBJECTS: String(objects), KUBECONFIG: kubeconfig },
    log: () => {},
  });
  try {
    const code = await vs.waitForExit(240_000);
    if (code !== 0 || !existsSync(outFile)) throw new Error(`drift in VS Code failed (exit ${code})\n${vs.serverLog().slice(-3000)}`);
    return JSON.parse(readFileSync(outFile, 'utf8')) as HostResult;
  } finally {
    await vs.stop();
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  // By URL, as the unit tests do: the harness is plain JavaScript without type declarations.
  const harness = (name: string) => pathToFileURL(join(__dirname, '..', 'test', 'harness', name)).href;
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'etcd', 'kubeApiserver'] });
  const cluster = await startCluster({ controllerManager: false, log: () => {} });
  const scratch = mkdtempSync(join(tmpdir(), 'reconcile-bench-drift-'));
  const rows: BenchRow[] = [];
  try {
    const objects = environmentObjects();
    const file = join(scratch, 'environment.yaml');
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
    const kubectl = (...args: string[]) => execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, maxBuffer: 1 << 26 });
    await kubectl('create', 'namespace', NS);
    const tApply = performance.now();
    await kubectl('apply', '--server-side', '--field-manager=reconcile', '-f', file);
    console.log(`# applied ${objects.length} objects (${MIX.length} kinds) with kubectl apply --server-side in ${Math.round(performance.now() - tApply)} ms`);
    const desired = desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) })));
    const tConnect = performance.now();
    const client = await connectToContext({ files: [cluster.kubeconfig] });
    const connectMs = performance.now() - tConnect;

    // 1. Full drift, cold: a new cache each time (discovery, LISTs, compare).
    const ours: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      client.invalidateDiscovery();
      const t0 = performance.now();
      const r = await checkEnvironmentDrift(client, desired, { environment: 'bench' });
      ours.push(performance.now() - t0);
      if (r.counts.inSync !== objects.length) throw new Error(`expected ${objects.length} in sync, got ${JSON.stringify(r.counts)}`);
    }
    const peer: number[] = [];
    for (let i = 0; i < KUBECTL_RUNS; i++) {
      const d = await kubectlDiff(tools.kubectl, cluster.kubeconfig, file);
      if (d.drifted.size) throw new Error(`kubectl diff reports drift right after apply: ${[...d.drifted].slice(0, 5).join(', ')}`);
      peer.push(d.ms);
    }
    const m = median(ours);
    const p = median(peer);
    rows.push({ bench: 'drift', metric: `full drift cold, ${objects.length} objects / ${MIX.length} kinds (LIST + compare)`, value: m, unit: 'ms', target: '≤ 500 ms', ok: m <= 500 });
    rows.push({ bench: 'drift', metric: 'peer: kubectl diff --server-side, same objects', value: p, unit: 'ms', ratio: p / m, ratioLabel: 'kubectl/ours', target: 'ratio ≥ 10×', ok: p / m >= 10 });
    rows.push({ bench: 'drift', metric: 'full drift, the first run in the process (JIT cold)', value: ours[0], unit: 'ms' });
    rows.push({ bench: 'drift', metric: 'first connection to the context (kubeconfig + client-node auth, once; tsx, unbundled)', value: connectMs, unit: 'ms' });

    // 2. Memory of the live cache with the 1,000 objects, and a watch event → updated result.
    gc();
    const heap0 = process.memoryUsage().heapUsed;
    const cache = new LiveCache(client);
    const env = new EnvironmentDrift(cache, { environment: 'bench' });
    await env.setDesired(desired);
    gc();
    const heapMB = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
    const rssMB = process.memoryUsage().rss / 1024 / 1024;
    const stats = cache.stats();
    rows.push({ bench: 'drift', metric: `live cache + results, ${stats.objects} objects: JS heap growth`, value: heapMB, unit: 'MB', target: '≤ 100 MB', ok: heapMB <= 100 });
    rows.push({ bench: 'drift', metric: 'live cache: JSON size of the objects held (estimate)', value: stats.approxBytes / 1024 / 1024, unit: 'MB' });
    rows.push({ bench: 'drift', metric: 'process RSS with the cache filled (the bench process, not an extension host)', value: rssMB, unit: 'MB' });

    const latencies: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < 20; i++) {
      const key = `/ConfigMap/${NS}/configmap-${i}`;
      const done = new Promise<{ at: number; causeAt?: number }>((resolve) => {
        const sub = env.onDidChange((e) => {
          if (e.keys.includes(key)) {
            sub.dispose();
            resolve({ at: performance.now(), causeAt: e.causeAt });
          }
        });
      });
      const t0 = performance.now();
      await client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `configmap-${i}`, namespace: NS }, data: { LOG_LEVEL: `debug-${i}` } }, { fieldManager: 'bench-edit', force: true });
      const { at, causeAt } = await done;
      if (env.result(key)?.status !== 'drifted') throw new Error(`${key} not drifted after the edit`);
      latencies.push(at - (causeAt ?? at));
      endToEnd.push(at - t0);
    }
    const lat = median(latencies);
    rows.push({ bench: 'drift', metric: 'watch event → updated drift result (median of 20)', value: lat, unit: 'ms', target: '≤ 50 ms', ok: lat <= 50 });
    rows.push({ bench: 'drift', metric: 'edit request sent → updated drift result (incl. apiserver)', value: median(endToEnd), unit: 'ms' });
    // Put the ConfigMaps back (Git's value again, and the edit manager's field is released).
    for (let i = 0; i < 20; i++) {
      await client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `configmap-${i}`, namespace: NS } }, { fieldManager: 'bench-edit', force: true });
      await client.serverSideApply(objects.find((o) => (o.metadata as { name: string }).name === `configmap-${i}`)!, { fieldManager: 'reconcile', force: true });
    }

    // 3. Same verdicts as kubectl diff after scaling 3 Deployments.
    await kubectl('-n', NS, 'scale', 'deployment/deployment-3', 'deployment/deployment-50', 'deployment/deployment-149', '--replicas=4');
    const scaled = new Set([3, 50, 149].map((i) => `apps/Deployment/${NS}/deployment-${i}`));
    const t0 = Date.now();
    while (env.results().filter((r) => r.status === 'drifted').length < 3 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    const live = new Set(env.results().filter((r) => r.status !== 'in-sync').map((r) => r.key));
    const fresh = await checkEnvironmentDrift(client, desired, { environment: 'bench' });
    const freshSet = new Set(fresh.results.filter((r) => r.status !== 'in-sync').map((r) => r.key));
    const serverSide = await checkEnvironmentDrift(client, desired, { environment: 'bench', strategy: 'server-side', concurrency: 16 });
    const serverSet = new Set(serverSide.results.filter((r) => r.status !== 'in-sync').map((r) => r.key));
    const k = await kubectlDiff(tools.kubectl, cluster.kubeconfig, file);
    const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
    const verdictOk = same(live, k.drifted) && same(freshSet, k.drifted) && same(serverSet, k.drifted) && same(k.drifted, scaled);
    console.log(`# after scaling 3 Deployments: kubectl diff → ${[...k.drifted].sort().join(', ')}; ours (watch) → ${[...live].sort().join(', ')}; ours (cold) → ${[...freshSet].sort().join(', ')}; ours (server-side) → ${[...serverSet].sort().join(', ')}`);
    rows.push({ bench: 'drift', metric: 'resources drifted after scaling 3 Deployments (ours = kubectl diff, none extra)', value: live.size, unit: '', target: '3, same as kubectl', ok: verdictOk });
    rows.push({ bench: 'drift', metric: 'server-side dry-run strategy, 1,000 objects (16 at once)', value: serverSide.checkedAt - fresh.checkedAt, unit: 'ms' });
    env.dispose();
    cache.stop();
    client.dispose();

    // 4. The same environment in a real VS Code: the extension host's own numbers.
    const workspace = join(scratch, 'workspace');
    writeWorkspace(workspace, objects, cluster.context);
    const h = await measureInEditor(workspace, objects.length, cluster.kubeconfig, tools.kubectl);
    const mb = (n: number) => n / 1024 / 1024;
    const hostHeapMB = mb(h.after.heapUsed - h.before.heapUsed);
    const gcNote = h.gcAvailable ? 'after full GC' : 'no GC available';
    console.log(`# extension host (VS Code ${h.vscode}, Node ${h.node}): counts ${JSON.stringify(h.counts)}; heap ${mb(h.before.heapUsed).toFixed(1)} → ${mb(h.after.heapUsed).toFixed(1)} MB, RSS ${mb(h.before.rss).toFixed(0)} → ${mb(h.after.rss).toFixed(0)} MB, external ${mb(h.before.external).toFixed(1)} → ${mb(h.after.external).toFixed(1)} MB (${gcNote})`);
    rows.push({ bench: 'drift', metric: `drift in the extension host: JS heap growth for ${objects.length} objects (${gcNote})`, value: hostHeapMB, unit: 'MB', target: '≤ 100 MB', ok: hostHeapMB <= 100 });
    rows.push({ bench: 'drift', metric: 'extension host RSS growth (whole process)', value: mb(h.after.rss - h.before.rss), unit: 'MB' });
    rows.push({ bench: 'drift', metric: 'extension host RSS with the environment live', value: mb(h.after.rss), unit: 'MB' });
    console.log(`# editor, from ensure(): ${Object.entries(h.timeline).sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')}`);
    if (process.env.RECONCILE_BENCH_VERBOSE) console.log(h.log.map((l) => `#   ${l}`).join('\n'));
    rows.push({ bench: 'drift', metric: 'time to first full drift result in the editor (render + connect + LIST + compare)', value: h.firstFullMs, unit: 'ms' });
    const c = h.counts;
    const editorOk = c.total === objects.length && c.drifted === scaled.size && c.inSync === objects.length - scaled.size && c.missing + c.unknown + c.skipped + c.notInGit === 0;
    rows.push({ bench: 'drift', metric: 'resources drifted in the editor after scaling 3 Deployments (the rest in sync)', value: c.drifted, unit: '', target: '3, same as kubectl', ok: editorOk });
    rows.push({ bench: 'drift', metric: `editor: edit request sent → DriftService reports drift (incl. apiserver, median of ${h.editMs.length})`, value: median(h.editMs), unit: 'ms' });
    rows.push({ bench: 'drift', metric: 'editor: of which the apply request (sent → response)', value: median(h.applyMs), unit: 'ms' });
    report(rows, `${objects.length} objects; ours: median of ${RUNS} cold runs; kubectl diff: median of ${KUBECTL_RUNS}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await cluster.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

