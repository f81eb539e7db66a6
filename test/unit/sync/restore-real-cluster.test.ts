// Restore Cluster to Git restores, against the REAL kube-apiserver from test/harness/cluster.mjs, changed
// with kubectl from setup (its own field managers: kubectl-label, kubectl-annotate, kubectl-set,
// kubectl-patch) and with server-side applies of another manager:
//   - fields other managers added that Git lacks (labels, annotations, env vars, containers) are shown by
//     the plan as "will be removed", exactly the fields drift reports; after Restore (the plan of the
//     drifted resources and the sync that the editor's *Restore Cluster to Git* runs) drift reports nothing;
//   - a field the server will not let go of (an immutable one) is shown as "cannot be restored by apply:
//     owned by X", the others of the same object are removed, and drift then reports just that field;
//   - `kind: List` documents (ConfigMapList, RoleList, a List with nested Lists) are their items in render,
//     drift, plan and sync, and `reconcile drift` exits 0 / 1 / 2 as for any other object.
// Written for kube-apiserver 1.20 and current Kubernetes alike: no assertion depends on how a version
// spells managedFields beyond the managers' names.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { main } from '../../../src/cli/main';
import { connectToContext, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { checkEnvironmentDrift, desiredFromDocuments, driftExitCode, renderEnvironment, type DriftResult, type EnvironmentDriftReport } from '../../../src/core/drift';
import { resourceIdOf, resourceKey } from '../../../src/core/manifest';
import { createRenderer } from '../../../src/core/render';
import { discover } from '../../../src/core/repo';
import { planDiff, planEnvironment, planExitCode, planJson, planText, syncPlan, syncSummary, type Plan, type PlanItem } from '../../../src/core/sync';
import { sink } from '../cli/io';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const listsRepo = join(root, 'test', 'fixtures', 'lists', 'repo');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

let cluster: { kubeconfig: string; context: string; server: string; stop(): Promise<void> };
let client: ClusterClient;
let tools: { kubectl: string; helm: string };
let scratch: string;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  return stdout;
}

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main([...argv, '--kubectl', tools.kubectl, '--helm', tools.helm], { out, err, env: { PATH: '', KUBECONFIG: cluster.kubeconfig }, cwd });
  return { code, out: out.text, err: err.text };
}

const envOf = (objects: RawObject[]) => ({ set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) }))), failures: [] });
const opts = (environment: string) => ({ environment, context: cluster?.context, pruneKinds: [] });

/** Per drifted resource, its fields as `change path (manager)`. */
function driftFields(report: EnvironmentDriftReport): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of report.results) if (r.status === 'drifted') out[r.key] = r.fields.map((f) => `${f.change} ${f.path} (${f.manager ?? '-'})`).sort();
  return out;
}

/** Per updated item of the plan, its fields in the same words. */
function planFields(plan: Plan): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const i of plan.items) if (i.action === 'update') out[i.key] = (i.fields ?? []).map((f) => `${f.change} ${f.path} (${f.manager ?? '-'})`).sort();
  return out;
}

const notInSync = (report: EnvironmentDriftReport) => report.results.filter((r) => r.status !== 'in-sync').map((r: DriftResult) => `${r.status} ${r.key} ${JSON.stringify('fields' in r ? r.fields : 'reason' in r ? r.reason : '')}`);

/** What the editor's Restore Cluster to Git does: a plan of the drifted resources only (no prune), then the sync. */
async function restore(objects: RawObject[], environment: string, report: EnvironmentDriftReport) {
  const drifted = new Set(report.results.filter((r) => r.status === 'drifted' || r.status === 'missing').map((r) => r.key));
  const input = envOf(objects);
  input.set.objects = input.set.objects.filter((d) => drifted.has(resourceKey(d.id)));
  const plan = await planEnvironment(client, input, opts(environment));
  const outcome = await syncPlan(client, plan, {});
  return { plan, outcome };
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  tools = loadTools({ require: ['kubectl', 'helm', 'etcd', 'kubeApiserver'] });
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-restore-test-'));
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

const NS = 'restore-fields';
const WEB = `apps/Deployment/${NS}/web`;
const SETTINGS = `/ConfigMap/${NS}/settings`;
const restoreObjects = (): RawObject[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'fast' }] }] } },
    },
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: NS }, data: { mode: 'fast' } },
];

test('labels, annotations, env vars and containers other managers added: the plan removes exactly what drift reports, and after Restore drift reports nothing', async () => {
  const objects = restoreObjects();
  const created = await syncPlan(client, await planEnvironment(client, envOf(objects), opts('restore')));
  assert.equal(created.outcome, 'success', syncSummary('restore', created));

  await kubectl('-n', NS, 'label', 'deployment/web', 'team=ops');
  await kubectl('-n', NS, 'annotate', 'configmap/settings', 'example.com/note=hand-made');
  await kubectl('-n', NS, 'set', 'env', 'deployment/web', 'DEBUG=1');
  // A container another tool added with server-side apply, and one added with a JSON patch.
  await client.serverSideApply(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: NS }, spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } },
    { fieldManager: 'sidecar-injector' },
  );
  await kubectl('-n', NS, 'patch', 'deployment/web', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'debugger', image: 'busybox:1.36' } }]));

  const expected = {
    [WEB]: [
      'added metadata.labels.team (kubectl-label)',
      'added spec.template.spec.containers[name=debugger] (kubectl-patch)',
      'added spec.template.spec.containers[name=sidecar] (sidecar-injector)',
      'added spec.template.spec.containers[name=web].env[name=DEBUG] (kubectl-set)',
    ],
    [SETTINGS]: ['added metadata.annotations["example.com/note"] (kubectl-annotate)'],
  };
  const before = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'restore' });
  assert.deepEqual(driftFields(before), expected, 'drift (local)');
  assert.equal(driftExitCode(before), 1);
  const beforeServer = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'restore', strategy: 'server-side' });
  assert.deepEqual(driftFields(beforeServer), expected, 'drift (server-side)');

  // The plan says the same, field by field: each "will be removed".
  const plan = await planEnvironment(client, envOf(objects), opts('restore'));
  assert.deepEqual(planFields(plan), expected, 'plan');
  assert.equal(plan.counts.update, 2);
  assert.equal(planExitCode(plan), 1);
  const text = planText(plan);
  assert.match(text, /^ {6}metadata\.labels\.team: ops → ∅ \(will be removed; now set by kubectl-label\)$/m);
  assert.match(text, /^ {6}spec\.template\.spec\.containers\[name=web\]\.env\[name=DEBUG\]: \{…\} → ∅ \(will be removed; now set by kubectl-set\)$/m);
  assert.match(text, /^ {6}metadata\.annotations\["example\.com\/note"\]: hand-made → ∅ \(will be removed; now set by kubectl-annotate\)$/m);
  assert.ok(!text.includes('cannot be restored'), text);
  // The diff of what a sync leaves: the live side has the added fields, the side after the sync has none.
  const webDiff = planDiff(plan, plan.items.find((i) => i.key === WEB)!);
  assert.match(webDiff.live, /team: ops/);
  assert.match(webDiff.live, /name: sidecar/);
  assert.doesNotMatch(webDiff.desired, /team: ops|name: sidecar|name: debugger|name: DEBUG/);

  // Why a sync needs more than server-side apply: a forced apply that includes another manager's field
  // with its value only shares the field, and an apply without it then leaves it in place.
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: NS }, data: { mode: 'fast' } };
  await client.serverSideApply({ ...cm, metadata: { ...cm.metadata, annotations: { 'example.com/note': 'hand-made' } } }, { fieldManager: 'reconcile', force: true });
  const naive = await client.serverSideApply(cm, { fieldManager: 'reconcile', force: true });
  assert.deepEqual((naive.metadata as { annotations?: unknown }).annotations, { 'example.com/note': 'hand-made' }, 'the server keeps a field another manager still owns');

  // Restore: only the drifted resources, as the editor's command does.
  const { plan: restorePlan, outcome } = await restore(objects, 'restore', before);
  assert.deepEqual(restorePlan.items.map((i) => `${i.action} ${i.key}`).sort(), [`update ${SETTINGS}`, `update ${WEB}`]);
  assert.equal(outcome.outcome, 'success', syncSummary('restore', outcome));
  assert.equal(outcome.requests.patch, 2, JSON.stringify(outcome.requests));
  const webResult = outcome.results.find((r) => r.key === WEB)!;
  assert.match(webResult.message!, /^updated; removed what other managers set: /);

  // Drift reports nothing, with either strategy; the live objects lack every added field.
  for (const strategy of ['local', 'server-side'] as const) {
    const afterReport = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'restore', strategy });
    assert.deepEqual(notInSync(afterReport), [], strategy);
    assert.equal(driftExitCode(afterReport), 0);
  }
  const deployments = await client.resolve('apps/v1', 'Deployment');
  const web = await client.get(deployments!, NS, 'web');
  assert.deepEqual((web.metadata as { labels: unknown }).labels, { app: 'web' });
  const pod = (web.spec as { template: { spec: { containers: Array<{ name: string; env?: unknown }> } } }).template.spec;
  assert.deepEqual(pod.containers.map((c) => c.name), ['web']);
  assert.deepEqual(pod.containers[0].env, [{ name: 'MODE', value: 'fast' }]);
  const again = await planEnvironment(client, envOf(objects), opts('restore'));
  assert.deepEqual(again.items.filter((i) => i.action !== 'unchanged').map((i) => `${i.action} ${i.key} ${JSON.stringify(i.fields ?? i.kept)}`), []);
});

test('a field the server will not let go of: "cannot be restored by apply: owned by X"; the others are removed and drift then reports just it', async () => {
  const ns = 'restore-kept';
  const objects: RawObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: ns }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  ];
  const created = await syncPlan(client, await planEnvironment(client, envOf(objects), opts('kept')));
  assert.equal(created.outcome, 'success', syncSummary('kept', created));
  // spec.volumeName may be set once (as a binder does) and never removed again: the server refuses.
  await kubectl('-n', ns, 'patch', 'pvc/data', '--type=merge', '-p', '{"spec":{"volumeName":"pv-elsewhere"}}');
  await kubectl('-n', ns, 'label', 'pvc/data', 'team=ops');
  const key = `/PersistentVolumeClaim/${ns}/data`;

  const before = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'kept' });
  assert.deepEqual(driftFields(before), { [key]: ['added metadata.labels.team (kubectl-label)', 'added spec.volumeName (kubectl-patch)'] });

  const plan = await planEnvironment(client, envOf(objects), opts('kept'));
  const item = plan.items.find((i) => i.key === key) as PlanItem;
  assert.equal(item.action, 'update');
  assert.deepEqual(planFields(plan), { [key]: ['added metadata.labels.team (kubectl-label)'] });
  assert.deepEqual(item.kept?.map((k) => `${k.path} ${JSON.stringify(k.live)} ${k.manager}`), ['spec.volumeName "pv-elsewhere" kubectl-patch']);
  assert.match(item.kept![0].reason, /^the server refuses to remove it: .*immutable/);
  const text = planText(plan);
  assert.match(text, /^ {6}! spec\.volumeName: pv-elsewhere — cannot be restored by apply: owned by kubectl-patch \(the server refuses to remove it: .*immutable[^\n]*\)$/m);
  assert.equal(JSON.parse(planJson(plan)).items.find((i: { key: string }) => i.key === key).kept[0].manager, 'kubectl-patch');

  const { outcome } = await restore(objects, 'kept', before);
  assert.equal(outcome.outcome, 'success', syncSummary('kept', outcome));
  // Exactly what the plan said: the label is gone, the volume name stays.
  const afterReport = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'kept' });
  assert.deepEqual(driftFields(afterReport), { [key]: ['added spec.volumeName (kubectl-patch)'] });
  // Nothing left that a sync could change: the plan says unchanged, and still names the field it cannot restore.
  const again = await planEnvironment(client, envOf(objects), opts('kept'));
  const left = again.items.find((i) => i.key === key)!;
  assert.equal(left.action, 'unchanged');
  assert.deepEqual(left.kept?.map((k) => k.path), ['spec.volumeName']);
  assert.match(planText(again), /^= unchanged PersistentVolumeClaim restore-kept\/data\n {6}! spec\.volumeName: pv-elsewhere — cannot be restored by apply: owned by kubectl-patch/m);
});

test('a field whose removal brings back the server default: the plan shows the value it goes back to, and drift is clean after', async () => {
  const ns = 'restore-default';
  const objects: RawObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: ns },
      spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx:1.27' }] } } },
    },
  ];
  const created = await syncPlan(client, await planEnvironment(client, envOf(objects), opts('default')));
  assert.equal(created.outcome, 'success', syncSummary('default', created));
  // Git leaves imagePullPolicy to the server (IfNotPresent for a tagged image); someone sets it.
  await kubectl('-n', ns, 'patch', 'deployment/api', '--field-manager=kubectl-edit', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/imagePullPolicy', value: 'Never' }]));
  const key = `apps/Deployment/${ns}/api`;
  const field = 'spec.template.spec.containers[name=api].imagePullPolicy';
  const before = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'default' });
  assert.deepEqual(driftFields(before), { [key]: [`added ${field} (kubectl-edit)`] });
  const plan = await planEnvironment(client, envOf(objects), opts('default'));
  assert.deepEqual(planFields(plan), { [key]: [`changed ${field} (kubectl-edit)`] });
  assert.match(planText(plan), new RegExp(`^ {6}${field.replace(/[.[\]]/g, '\\$&')}: Never → IfNotPresent \\(now set by kubectl-edit\\)$`, 'm'));
  const diff = planDiff(plan, plan.items.find((i) => i.key === key)!);
  assert.match(diff.live, /imagePullPolicy: Never/);
  assert.match(diff.desired, /imagePullPolicy: IfNotPresent/);
  const { outcome } = await restore(objects, 'default', before);
  assert.equal(outcome.outcome, 'success', syncSummary('default', outcome));
  // The server's default is back, written by the removal patch's manager, which drift counts as the cluster's own.
  const after = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'default' });
  assert.deepEqual(notInSync(after), []);
  const deployments = await client.resolve('apps/v1', 'Deployment');
  const live = await client.get(deployments!, ns, 'api');
  assert.equal((live.spec as { template: { spec: { containers: Array<{ imagePullPolicy: string }> } } }).template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('kind: List documents (ConfigMapList, RoleList, nested Lists) are their items in render, plan, sync and drift; reconcile drift exits 0, 1 and 2', async () => {
  const env = (await discover(listsRepo)).environments.find((e) => e.name === 'lists')!;
  assert.ok(env, 'the lists environment');
  const rendered = await renderEnvironment(env, createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true }));
  assert.deepEqual(rendered.failures, []);
  const keys = rendered.set.objects.map((d) => resourceKey(d.id)).sort();
  assert.deepEqual(keys, [
    '/ConfigMap//settings',
    '/ConfigMap/lists-dev/flags',
    '/Namespace//lists-dev',
    '/ServiceAccount//robot',
    'rbac.authorization.k8s.io/Role//reader',
    'rbac.authorization.k8s.io/Role//writer',
    'rbac.authorization.k8s.io/RoleBinding//robot-reads',
  ]);

  const plan = await planEnvironment(client, rendered, { environment: 'lists', context: cluster.context, defaultNamespace: 'lists-dev' });
  assert.deepEqual(plan.items.filter((i) => i.action !== 'create').map((i) => `${i.action} ${i.key} ${i.failure?.message ?? ''}`), []);
  assert.equal(plan.counts.create, 7);
  const synced = await syncPlan(client, plan);
  assert.equal(synced.outcome, 'success', syncSummary('lists', synced));

  const report = await checkEnvironmentDrift(client, rendered.set, { environment: 'lists', defaultNamespace: 'lists-dev' });
  assert.equal(report.counts.inSync, 7, JSON.stringify(notInSync(report)));
  assert.equal(report.counts.skipped + report.counts.unknown, 0);

  // The CLI: rendered items, in sync (0), drifted (1).
  const render = await cli(listsRepo, 'render', '--env', 'lists');
  assert.equal(render.code, 0, render.err);
  assert.ok(!/kind: (ConfigMap|Role)?List/.test(render.out), render.out);
  assert.equal((render.out.match(/^kind: /gm) ?? []).length, 7, render.out);
  const inSync = await cli(listsRepo, 'drift', '--env', 'lists');
  assert.equal(inSync.code, 0, inSync.out + inSync.err);
  assert.match(inSync.out, /^Drift of lists \(context reconcile-local\), local comparison: 7 resources — 7 in sync, 0 drifted, 0 missing, 0 unknown, 0 not in Git$/m);
  await kubectl('-n', 'lists-dev', 'patch', 'role/writer', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/rules/0/verbs/-', value: 'delete' }]));
  const drifted = await cli(listsRepo, 'drift', '--env', 'lists');
  assert.equal(drifted.code, 1, drifted.out + drifted.err);
  assert.match(drifted.out, /Role lists-dev\/writer/);

  // An object that cannot be compared (generateName) is never "in sync": exit 2.
  const repo = join(scratch, 'lists-generate-name');
  cpSync(listsRepo, repo, { recursive: true });
  writeFileSync(join(repo, 'envs', 'lists', 'job.yaml'), 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: batch/v1\n    kind: Job\n    metadata: {generateName: migrate-}\n    spec: {template: {spec: {restartPolicy: Never, containers: [{name: m, image: "busybox:1.36"}]}}}\n');
  const unverifiable = await cli(repo, 'drift', '--env', 'lists');
  assert.equal(unverifiable.code, 2, unverifiable.out + unverifiable.err);
  assert.match(unverifiable.out, /only generateName migrate-: the server names it when it is created, so it cannot be compared/);
});

test('a List item that is not a Kubernetes object: no drift (exit 2) and no plan, with the file and the item named', async () => {
  const repo = join(scratch, 'lists-bad-item');
  cpSync(listsRepo, repo, { recursive: true });
  writeFileSync(join(repo, 'envs', 'lists', 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMapList\nitems:\n  - metadata: {name: nameless}\n');
  const r = await cli(repo, 'drift', '--env', 'lists');
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(r.err, /did not render/);
  const p = await cli(repo, 'plan', '--env', 'lists');
  assert.equal(p.code, 2, p.out + p.err);
  assert.match(p.err + p.out, /items\[0\] of ConfigMapList is not a Kubernetes object/);
});
