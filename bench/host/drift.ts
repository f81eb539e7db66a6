// Runs inside the real VS Code extension host (extensionTestsPath) for bench/drift.bench.ts.
// The workspace holds the bench's 1,000 objects as plain manifests, mapped by .reconcile.yaml to the
// environment `bench` on the harness cluster. Measures, in the extension host itself:
//   - the time from DriftService.ensure() to the first full result (every object known, none unknown);
//   - the growth of the host's JS heap (after a full GC) and RSS for that environment: rendered
//     manifests, live cache, drift results, lens anchors, everything the extension keeps;
//   - an edit made through the environment's client → the DriftService reporting it drifted.
// Writes the numbers as JSON to RECONCILE_BENCH_OUT.
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import type { ReconcileApi } from '../../src/extension';

const ENV = 'bench';
const EDITS = 10;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A full GC, when V8 lets us expose it at run time (it does in Node 20); otherwise nothing. */
function collector(): { gc: () => void; available: boolean } {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    return { gc: () => (gc(), gc()), available: true };
  } catch {
    return { gc: () => {}, available: false };
  }
}

function memory(gc: () => void): Memory {
  gc();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, external, arrayBuffers };
}

export async function run(): Promise<void> {
  const out = process.env.RECONCILE_BENCH_OUT;
  if (!out) throw new Error('RECONCILE_BENCH_OUT is not set');
  const expected = Number(process.env.RECONCILE_BENCH_OBJECTS);
  if (!Number.isInteger(expected) || expected <= 0) throw new Error('RECONCILE_BENCH_OBJECTS is not set');
  const { gc, available: gcAvailable } = collector();

  const ext = vscode.extensions.getExtension<ReconcileApi>('reconcile-dev.reconcile');
  if (!ext) throw new Error('extension reconcile-dev.reconcile not found');
  const api = await ext.activate();
  const models = await api.repo.models();
  const env = api.repo.findEnvironment(ENV);
  if (!env || env.applications.length === 0) {
    const found = models.flatMap((m) => m.model.environments.map((e) => `${e.name} (${e.applications.length} apps)`));
    const errors = models.flatMap((m) => m.model.errors.map((e) => e.message));
    throw new Error(`environment ${ENV} with applications not discovered; found: ${found.join(', ') || 'none'}; errors: ${errors.join('; ') || 'none'}`);
  }
  // Let activation's own asynchronous work (language client start, tree, status bar) settle first.
  await sleep(3000);
  const before = memory(gc);

  // Where the time to the first result goes: the phases as the service reports them.
  const t0 = performance.now();
  const timeline: Record<string, number> = {};
  const mark = (what: string) => (timeline[what] ??= performance.now() - t0);
  const watchPhases = api.drift.onDidChange((e) => {
    if (e !== api.drift.keyOf(ENV)) return; // events carry the environment's key (folder and name)
    mark(`phase ${api.drift.phase(ENV)?.phase}`);
    if (api.drift.client(ENV)) mark('client connected');
    const c = api.drift.counts(ENV);
    if (c && c.total > 0) mark('first results');
    if (c && c.total >= expected && c.unknown === 0) mark('full result');
  });
  await api.drift.ensure(ENV);
  mark('ensure() resolved');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const c = api.drift.counts(ENV);
    if (c && c.total >= expected && c.unknown === 0) break;
    const problem = api.drift.problem(ENV);
    if (problem) throw new Error(`drift of ${ENV}: ${problem}`);
    if (Date.now() > deadline) throw new Error(`no full drift result for ${ENV} after 120 s: ${JSON.stringify(c)} (${JSON.stringify(api.drift.phase(ENV))})`);
    await api.drift.ensure(ENV);
    await sleep(5);
  }
  const firstFullMs = timeline['full result'] ?? performance.now() - t0;
  watchPhases.dispose();
  const counts = api.drift.counts(ENV)!;
  await sleep(1000);
  const after = memory(gc);

  // An edit through the environment's own client → the service reports the object drifted.
  const client = api.drift.client(ENV);
  if (!client) throw new Error(`no client for ${ENV}`);
  const namespace = env.namespaces[0] ?? 'default';
  const editMs: number[] = [];
  const applyMs: number[] = [];
  for (let i = 0; i < EDITS; i++) {
    const name = `configmap-${i}`;
    const key = `/ConfigMap/${namespace}/${name}`;
    if (api.drift.result(ENV, key)?.status !== 'in-sync') throw new Error(`${key} is not in sync before the edit: ${api.drift.result(ENV, key)?.status}`);
    const seen = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => (sub.dispose(), reject(new Error(`${key}: no drift reported 10 s after the edit`))), 10_000);
      const sub = api.drift.onDidChange((e) => {
        if (e === api.drift.keyOf(ENV) && api.drift.result(ENV, key)?.status === 'drifted') {
          clearTimeout(timer);
          sub.dispose();
          resolve(performance.now());
        }
      });
    });
    const sent = performance.now();
    await client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { LOG_LEVEL: `editor-${i}` } }, { fieldManager: 'bench-edit', force: true });
    applyMs.push(performance.now() - sent);
    editMs.push((await seen) - sent);
  }

  fs.writeFileSync(
    out,
    JSON.stringify({ expected, counts, firstFullMs, timeline, before, after, gcAvailable, editMs, applyMs, log: api.log.recent.slice(-40), node: process.version, vscode: vscode.version }),
  );
}
