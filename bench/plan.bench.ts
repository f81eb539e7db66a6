// Plan (preview) and sync against the real kube-apiserver (current release) of test/harness/cluster.mjs:
//   - the plan of an environment of 1,000 resources (10 kinds), applied beforehand with kubectl, side by
//     side with `kubectl diff --server-side` (kubectl of the same release, from setup) on the same objects: ratio
//     (target: no slower; aim 2× faster through bounded concurrency);
//   - after scaling 3 Deployments with kubectl: the plan's updates are the resources kubectl diff lists;
//   - a sync of 200 resources into a namespace the plan creates: time and requests made, and
//     `kubectl apply --server-side` of the same objects for reference.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { connectToContext, type RawObject } from '../src/core/cluster';
import { desiredFromDocuments } from '../src/core/drift';
import { resourceIdOf, resourceKey } from '../src/core/manifest';
import { planEnvironment, syncPlan, type Plan } from '../src/core/sync';
import { median, report, type BenchRow } from './lib';

const execFileP = promisify(execFile);
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 5);
const KUBECTL_RUNS = Number(process.env.RECONCILE_BENCH_KUBECTL_RUNS ?? 3);
const CONCURRENCY = Number(process.env.RECONCILE_BENCH_PLAN_CONCURRENCY ?? 8);

/** One object of `kind`, number `i`, in namespace `ns`, marked as the environment's. */
function object(kind: string, i: number, ns: string): RawObject {
  const name = `${kind.toLowerCase()}-${i}`;
  const metadata = { name, namespace: ns, labels: { 'app.kubernetes.io/name': name, 'reconcile.dev/environment': 'bench' } };
  const pod = (image: string) => ({
    metadata: { labels: { 'app.kubernetes.io/name': name } },
    spec: { containers: [{ name: 'main', image, ports: [{ containerPort: 8080, name: 'http' }], env: [{ name: 'INDEX', value: String(i) }], resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } } }] },
  });
  const selector = { matchLabels: { 'app.kubernetes.io/name': name } };
  switch (kind) {
    case 'ConfigMap':
      return { apiVersion: 'v1', kind, metadata, data: { 'config.yaml': `n: ${i}\nflag: ${i % 3 === 0}\n`, MODE: 'bench' } };
    case 'Secret':
      return { apiVersion: 'v1', kind, metadata, type: 'Opaque', stringData: { token: `token-${i}` } };
    case 'Service':
      return { apiVersion: 'v1', kind, metadata, spec: { selector: selector.matchLabels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] } };
    case 'Deployment':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { replicas: 1, selector, template: pod(`registry.example.com/app:2.${i % 5}`) } };
    case 'StatefulSet':
      return { apiVersion: 'apps/v1', kind, metadata, spec: { serviceName: name, selector, template: pod('registry.example.com/db:1.0') } };
    case 'ServiceAccount':
      return { apiVersion: 'v1', kind, metadata };
    case 'CronJob':
      return { apiVersion: 'batch/v1beta1', kind, metadata, spec: { schedule: `${i % 60} 3 * * *`, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'registry.example.com/job:1.0' }] } } } } } };
    case 'Role':
      return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: [`secret-${i}`], verbs: ['get'] }] };
    case 'RoleBinding':
      return { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` }, subjects: [{ kind: 'ServiceAccount', name: `serviceaccount-${i}`, namespace: ns }] };
    case 'PersistentVolumeClaim':
      return { apiVersion: 'v1', kind, metadata, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${1 + (i % 3)}Gi` } } } };
  }
  throw new Error(`no generator for ${kind}`);
}

/** `total` objects across the kinds, in these proportions. */
function environment(ns: string, total: number): RawObject[] {
  const mix: Array<[string, number]> = [
    ['ConfigMap', 0.25],
    ['Secret', 0.1],
    ['Service', 0.15],
    ['Deployment', 0.15],
    ['ServiceAccount', 0.1],
    ['StatefulSet', 0.05],
    ['CronJob', 0.05],
    ['Role', 0.05],
    ['RoleBinding', 0.05],
    ['PersistentVolumeClaim', 0.05],
  ];
  const out: RawObject[] = [];
  for (const [kind, share] of mix) for (let i = 0; i < Math.round(total * share); i++) out.push(object(kind, i, ns));
  return out;
}

function envOf(objects: RawObject[]) {
  return { set: desiredFromDocuments(objects.map((o) => ({ object: o, id: resourceIdOf(o) }))), failures: [] };
}

/** `kubectl diff --server-side`: its time, and the resources it says would change. */
async function kubectlDiff(kubectl: string, kubeconfig: string, file: string): Promise<{ ms: number; changed: Set<string> }> {
  const t0 = performance.now();
  let stdout = '';
  try {
    ({ stdout } = await execFileP(kubectl, ['diff', '--server-side', '--field-manager=reconcile', '-f', file], { env: { ...process.env, KUBECONFIG: kubeconfig }, maxBuffer: 1 << 28 }));
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    if (err.code !== 1) throw new Error(`kubectl diff failed (${err.code}): ${err.stderr}`);
    stdout = err.stdout ?? '';
  }
  const ms = performance.now() - t0;
  const changed = new Set<string>();
  // `diff -u -N /tmp/LIVE-…/apps.v1.Deployment.ns.name /tmp/MERGED-…/…`
  for (const m of stdout.matchAll(/^diff -u -N \S+\/(\S+) \S+$/gm)) {
    const parts = m[1].split('.');
    const name = parts.pop()!;
    const namespace = parts.pop()!;
    const kind = parts.pop()!;
    parts.pop();
    changed.add(resourceKey({ group: parts.join('.'), kind, namespace, name }));
  }
  return { ms, changed };
}

async function main(): Promise<void> {
  const harness = (name: string) => pathToFileURL(join(__dirname, '..', 'test', 'harness', name)).href;
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'etcd', 'kubeApiserver'] });
  const cluster = await startCluster({ controllerManager: false, log: () => {} });
  const scratch = mkdtempSync(join(tmpdir(), 'reconcile-bench-plan-'));
  const rows: BenchRow[] = [];
  try {
    const kubectl = (...args: string[]) => execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, maxBuffer: 1 << 26 });
    const client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });

    // 1. Preview of 1,000 resources, applied beforehand by kubectl: ours vs kubectl diff --server-side.
    const NS = 'bench-plan';
    const objects = environment(NS, 1000);
    const file = join(scratch, 'environment.yaml');
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
    await kubectl('create', 'namespace', NS);
    await kubectl('apply', '--server-side', '--field-manager=reconcile', '-f', file);
    const env = envOf(objects);
    const opts = { environment: 'bench', namespaces: [NS], concurrency: CONCURRENCY };
    const ours: number[] = [];
    let plan: Plan | undefined;
    for (let i = 0; i < RUNS; i++) {
      client.invalidateDiscovery();
      const t0 = performance.now();
      plan = await planEnvironment(client, env, opts);
      ours.push(performance.now() - t0);
      if (plan.counts.unchanged !== objects.length) throw new Error(`expected ${objects.length} unchanged right after kubectl apply, got ${JSON.stringify(plan.counts)}`);
    }
    const peer: number[] = [];
    for (let i = 0; i < KUBECTL_RUNS; i++) {
      const d = await kubectlDiff(tools.kubectl, cluster.kubeconfig, file);
      if (d.changed.size) throw new Error(`kubectl diff lists changes right after apply: ${[...d.changed].slice(0, 3).join(', ')}`);
      peer.push(d.ms);
    }
    const m = median(ours);
    const p = median(peer);
    rows.push({ bench: 'plan', metric: `preview of ${objects.length} resources / 10 kinds (LIST + ${CONCURRENCY} dry-runs at once), all unchanged`, value: m, unit: 'ms' });
    rows.push({ bench: 'plan', metric: 'peer: kubectl diff --server-side, same objects', value: p, unit: 'ms', ratio: p / m, ratioLabel: 'kubectl/ours', target: 'ratio ≥ 1× (aim 2×)', ok: p / m >= 1 });
    rows.push({ bench: 'plan', metric: 'requests of one preview (discovery, LISTs, dry-runs)', value: plan!.requests, unit: '' });

    // 2. Same verdict as kubectl diff after scaling 3 Deployments.
    await kubectl('-n', NS, 'scale', 'deployment/deployment-2', 'deployment/deployment-70', 'deployment/deployment-149', '--replicas=3');
    const scaled = await planEnvironment(client, env, opts);
    const updates = new Set(scaled.items.filter((i) => i.action === 'update').map((i) => i.key));
    const k = await kubectlDiff(tools.kubectl, cluster.kubeconfig, file);
    const same = updates.size === k.changed.size && [...updates].every((x) => k.changed.has(x));
    console.log(`# after scaling 3 Deployments: plan updates ${[...updates].sort().join(', ')}; kubectl diff ${[...k.changed].sort().join(', ')}`);
    rows.push({ bench: 'plan', metric: 'updates after scaling 3 Deployments (same resources as kubectl diff)', value: updates.size, unit: '', target: '3, as kubectl diff', ok: same && updates.size === 3 });

    // 3. A sync of 200 resources into a namespace the plan creates: time and requests.
    const SYNC_NS = 'bench-sync';
    const small = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYNC_NS } } as RawObject, ...environment(SYNC_NS, 200).slice(0, 199)];
    const smallPlan = await planEnvironment(client, envOf(small), { environment: 'bench-sync', namespaces: [SYNC_NS], concurrency: CONCURRENCY });
    if (smallPlan.counts.create !== small.length) throw new Error(`expected ${small.length} creates, got ${JSON.stringify(smallPlan.counts)}`);
    const outcome = await syncPlan(client, smallPlan);
    if (outcome.outcome !== 'success' || outcome.counts.applied !== small.length) throw new Error(`sync: ${outcome.outcome} ${outcome.reason ?? ''} ${JSON.stringify(outcome.counts)}`);
    rows.push({ bench: 'plan', metric: `sync of ${small.length} resources (server-side apply, one at a time in sync order)`, value: outcome.durationMs, unit: 'ms' });
    rows.push({ bench: 'plan', metric: `requests made by that sync (${outcome.requests.apply} applies, ${outcome.requests.get} reads, ${outcome.requests.discovery} discovery)`, value: outcome.requests.total, unit: '' });
    rows.push({ bench: 'plan', metric: `plan before that sync (${small.length} creates, namespace created by the plan)`, value: smallPlan.durationMs, unit: 'ms' });
    const refFile = join(scratch, 'sync.yaml');
    writeFileSync(refFile, small.map((o) => stringify(JSON.parse(JSON.stringify(o).replaceAll(SYNC_NS, 'bench-sync-kubectl')))).join('---\n'));
    const t0 = performance.now();
    await kubectl('apply', '--server-side', '--field-manager=reconcile', '-f', refFile);
    const kubectlApply = performance.now() - t0;
    rows.push({ bench: 'plan', metric: `peer: kubectl apply --server-side, the same ${small.length} objects`, value: kubectlApply, unit: 'ms', ratio: kubectlApply / outcome.durationMs, ratioLabel: 'kubectl/ours' });
    const after = await planEnvironment(client, envOf(small), { environment: 'bench-sync', namespaces: [SYNC_NS] });
    rows.push({ bench: 'plan', metric: `unchanged after the sync (of ${small.length})`, value: after.counts.unchanged, unit: '', target: String(small.length), ok: after.counts.unchanged === small.length });
    client.dispose();
    report(rows, `${objects.length} objects; ours: median of ${RUNS} runs; kubectl diff: median of ${KUBECTL_RUNS}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await cluster.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
