// Drift against the REAL kube-apiserver (the current release, + kube-controller-manager) from
// test/harness/cluster.mjs, mutated with the kubectl of the same release from setup. One cluster for the whole file.
//   - zero false positives: examples/' dev environment and test/fixtures/drift/cluster/*.yaml, both strategies;
//   - exact changes with the right field manager; a Secret value never appears anywhere;
//   - delete → Missing; a labelled extra object → not in Git; ignore rules; RBAC (viewer context).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { connectToContext, LiveCache, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import {
  checkEnvironmentDrift,
  desiredFromDocuments,
  diffDocuments,
  driftExitCode,
  driftReport,
  EnvironmentDrift,
  ownershipOf,
  summaryLine,
  toApplyPayload,
  type DesiredSet,
  type DriftResult,
  type EnvironmentDriftReport,
} from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import { createRenderer } from '../../../src/core/render';
import { discover, type Environment } from '../../../src/core/repo';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'drift', 'cluster');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

interface Cluster {
  kubeconfig: string;
  context: string;
  viewerContext: string;
  stop(): Promise<void>;
}

let cluster: Cluster;
let client: ClusterClient;
let kubectlPath: string;
let devEnv: Environment;
let devSet: DesiredSet;
let kindsSet: DesiredSet;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(kubectlPath, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  return stdout;
}

function docs(file: string): RawObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as RawObject)
    .filter((o) => o && typeof o === 'object');
}

async function apply(objects: RawObject[]): Promise<void> {
  for (const o of objects) await client.serverSideApply(toApplyPayload(o), { fieldManager: 'reconcile', force: true });
}

/** Applies namespaces and CRDs first, waits until the CRDs are served, then the rest. */
async function applyAll(objects: RawObject[]): Promise<void> {
  const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  await apply(first);
  for (const crd of first.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
    for (let i = 0; ; i++) {
      client.invalidateDiscovery();
      if (await client.resolve(`${spec.group}/${spec.versions[0].name}`, spec.names.kind)) break;
      if (i > 100) throw new Error(`CRD ${spec.names.kind} not served`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await apply(objects.filter((o) => !first.includes(o)));
}

function setOf(objects: RawObject[]): DesiredSet {
  return desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) })));
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'helm', 'etcd', 'kubeApiserver', 'kubeControllerManager'] });
  kubectlPath = tools.kubectl;
  cluster = await startCluster({ controllerManager: true, log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  // examples/ dev, rendered with the real kubectl (kustomize) and helm.
  const model = await discover(join(root, 'examples'));
  devEnv = model.environments.find((e) => e.name === 'dev')!;
  const renderer = createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true });
  const rendered = [];
  for (const app of devEnv.applications) {
    const r = await renderer.renderApplication(app);
    assert.ok(r.ok, `render ${app.id}: ${!r.ok && r.error.message}`);
    rendered.push(...r.documents);
  }
  devSet = desiredFromDocuments(rendered);
  kindsSet = setOf(docs(join(fixtures, 'defaulted-kinds.yaml')));
  await applyAll([...docs(join(fixtures, 'flux-crds.yaml')), ...devSet.objects.map((d) => d.object), ...kindsSet.objects.map((d) => d.object)]);
  // Let the controllers do their part (ReplicaSets, revisions, ServiceAccount tokens, HPA status, Job pods…).
  await new Promise((r) => setTimeout(r, 3000));
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

function notInSync(report: EnvironmentDriftReport): string[] {
  return report.results.filter((r) => r.status !== 'in-sync').map((r) => `${r.key}: ${summaryLine(r)}${r.status === 'drifted' ? ` ${JSON.stringify(r.fields)}` : ''}`);
}

test('zero false positives: examples/ dev environment, both strategies', async () => {
  assert.ok(devSet.objects.length >= 20, `${devSet.objects.length} objects`);
  const kinds = new Set(devSet.objects.map((d) => d.id.kind));
  for (const k of ['Namespace', 'Deployment', 'Service', 'Ingress', 'ConfigMap', 'Secret', 'HorizontalPodAutoscaler', 'ServiceAccount', 'HelmRelease', 'Kustomization', 'GitRepository']) assert.ok(kinds.has(k), k);
  for (const strategy of ['local', 'server-side'] as const) {
    const report = await checkEnvironmentDrift(client, devSet, { environment: 'dev', strategy, ownership: ownershipOf(devEnv) });
    assert.deepEqual(notInSync(report), [], strategy);
    assert.equal(report.counts.inSync, devSet.objects.length);
    assert.deepEqual(report.notInGit, []);
    assert.equal(driftExitCode(report), 0);
  }
});

test('zero false positives: defaulted-heavy kinds (workloads with a gRPC probe, Services, Ingress, CronJob, PDB policy/v1, HPA autoscaling/v2, PVC, RBAC, CRD + CR, quotas), both strategies', async () => {
  const kinds = new Set(kindsSet.objects.map((d) => `${d.id.group}/${d.id.version}/${d.id.kind}`));
  for (const k of ['apps/v1/Deployment', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet', '/v1/Service', 'networking.k8s.io/v1/Ingress', 'batch/v1/CronJob', 'policy/v1/PodDisruptionBudget', 'autoscaling/v2/HorizontalPodAutoscaler', 'batch/v1/Job', '/v1/PersistentVolumeClaim', 'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding', 'rbac.authorization.k8s.io/v1/ClusterRole', 'apiextensions.k8s.io/v1/CustomResourceDefinition', 'example.com/v1/Widget', '/v1/Secret', '/v1/ConfigMap']) {
    assert.ok(kinds.has(k), k);
  }
  for (const strategy of ['local', 'server-side'] as const) {
    const report = await checkEnvironmentDrift(client, kindsSet, { environment: 'kinds', strategy });
    assert.deepEqual(notInSync(report), [], strategy);
    assert.equal(report.counts.inSync, kindsSet.objects.length);
  }
});

const NS = 'drift-changes';
const SECRET_VALUES = ['original-password-value', 'CHANGED-password-value'];
const changes = (): RawObject[] => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }], resources: { requests: { cpu: 0.1, memory: '64Mi' } } }] } },
    },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'scaled', namespace: NS },
    spec: { replicas: 2, selector: { matchLabels: { app: 'scaled' } }, template: { metadata: { labels: { app: 'scaled' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: NS }, data: { LOG_LEVEL: 'info', MODE: 'a' } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'doomed', namespace: NS }, data: { x: 'y' } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: NS }, type: 'Opaque', stringData: { password: SECRET_VALUES[0], user: 'app' } },
];

/** Waits until the results satisfy `pred` (they are kept current by the watches). */
async function until(env: EnvironmentDrift, pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`not ${what} within ${ms} ms:\n${notInSync(env.report()).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function fieldsOf(r: DriftResult | undefined): string[] {
  return r?.status === 'drifted' ? r.fields.map((f) => `${f.change} ${f.path} ${f.manager ?? '-'}/${f.operation ?? '-'}${f.subresource ? ` /${f.subresource}` : ''}`).sort() : [];
}

test('exact changes made with kubectl: exactly those fields, with their field managers; Secret values never shown; Missing; not in Git', async () => {
  const objects = changes();
  await applyAll(objects);
  const set = setOf(objects.filter((o) => o.kind !== 'Namespace'));
  const cache = new LiveCache(client);
  const env = new EnvironmentDrift(cache, { environment: 'dev', ownership: ownershipOf(devEnv) });
  try {
    await env.setDesired(set);
    await until(env, () => env.results().every((r) => r.status === 'in-sync'), 'in sync after apply');

    await kubectl('-n', NS, 'scale', 'deployment/scaled', '--replicas=5');
    await kubectl('-n', NS, 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":4}}');
    await kubectl('-n', NS, 'set', 'image', 'deployment/web', 'web=nginx:1.26');
    await kubectl('-n', NS, 'set', 'env', 'deployment/web', 'B=2');
    await kubectl('-n', NS, 'annotate', 'deployment/web', 'example.com/note=hand-edited');
    await kubectl('-n', NS, 'patch', 'configmap/settings', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"data":{"LOG_LEVEL":"debug"}}');
    await kubectl('-n', NS, 'patch', 'secret/creds', '--field-manager=kubectl-edit', '--type=merge', '-p', JSON.stringify({ stringData: { password: SECRET_VALUES[1] } }));

    const web = `apps/Deployment/${NS}/web`;
    const expectedWeb = [
      'added metadata.annotations["example.com/note"] kubectl-annotate/Update',
      'added spec.template.spec.containers[name=web].env[name=B] kubectl-set/Update',
      'changed spec.replicas kubectl-edit/Update',
      'changed spec.template.spec.containers[name=web].image kubectl-set/Update',
    ];
    // A write through the /scale subresource is recorded in managedFields (since 1.22): kubectl, with
    // subresource scale, now owns replicas (1.20 recorded nothing and left it to the applier).
    const expectedScaled = ['changed spec.replicas kubectl/Update /scale'];
    const expectedSettings = ['changed data.LOG_LEVEL kubectl-edit/Update'];
    const expectedCreds = ['changed data.password kubectl-edit/Update'];
    await until(env, () => fieldsOf(env.result(web)).length === 4 && env.result(`/Secret/${NS}/creds`)?.status === 'drifted' && env.result(`/ConfigMap/${NS}/settings`)?.status === 'drifted' && env.result(`apps/Deployment/${NS}/scaled`)?.status === 'drifted', 'drifted');

    const local = env.report();
    const server = await checkEnvironmentDrift(client, set, { environment: 'dev', strategy: 'server-side', ownership: ownershipOf(devEnv) });
    for (const report of [local, server]) {
      const by = (key: string) => report.results.find((r) => r.key === key);
      assert.deepEqual(fieldsOf(by(web)), expectedWeb, report.strategy);
      assert.deepEqual(fieldsOf(by(`apps/Deployment/${NS}/scaled`)), expectedScaled, report.strategy);
      assert.deepEqual(fieldsOf(by(`/ConfigMap/${NS}/settings`)), expectedSettings, report.strategy);
      assert.deepEqual(fieldsOf(by(`/Secret/${NS}/creds`)), expectedCreds, report.strategy);
      assert.equal(by(`/ConfigMap/${NS}/doomed`)?.status, 'in-sync', report.strategy);
      const replicas = (by(web) as Extract<DriftResult, { status: 'drifted' }>).fields.find((f) => f.path === 'spec.replicas')!;
      assert.deepEqual([replicas.desired, replicas.live], [2, 4]);
      assert.equal(summaryLine(by(web)!), '⚠ drifted: spec.replicas 2→4 (kubectl-edit) +3 more');
      assert.equal(summaryLine(by(`/Secret/${NS}/creds`)!), '⚠ drifted: data.password changed (kubectl-edit)');
      assert.equal(driftExitCode(report), 1);
      // The Secret's values appear nowhere: results, summaries, reports, diff documents.
      const texts = [
        JSON.stringify(report),
        ...report.results.map((r) => summaryLine(r)),
        driftReport(report, 'text'),
        driftReport(report, 'json'),
        driftReport(report, 'md'),
        ...report.results.flatMap((r) => Object.values(diffDocuments(r, 'dev'))),
      ].join('\n');
      for (const v of [...SECRET_VALUES, 'app']) {
        assert.ok(!texts.includes(Buffer.from(v).toString('base64')), `${v} (base64) leaked (${report.strategy})`);
        if (v !== 'app') assert.ok(!texts.includes(v), `${v} leaked (${report.strategy})`);
      }
    }
    const docs = diffDocuments(env.result(`/Secret/${NS}/creds`)!, 'dev');
    assert.match(docs.live, /password: "\*\*\* \(changed\)"/);
    assert.match(docs.live, /user: "\*\*\* \(unchanged\)"/);
    const webDocs = diffDocuments(env.result(web)!, 'dev');
    assert.equal(webDocs.title, 'Deployment/web — live ↔ Git (dev)');
    assert.match(webDocs.live, /image: nginx:1\.26/);
    assert.match(webDocs.desired, /image: nginx:1\.25/);
    assert.match(webDocs.live, /cpu: 0\.1/, 'equal quantities shown as Git spells them');
    assert.doesNotMatch(webDocs.live, /terminationMessagePath|managedFields|deployment\.kubernetes\.io\/revision/);

    // Ignore rules: a JSON pointer, a jq path with select(), a field manager.
    const ignored = await checkEnvironmentDrift(client, set, {
      environment: 'dev',
      ignoreRules: [
        { group: 'apps', kind: 'Deployment', name: 'web', jsonPointers: ['/spec/replicas'], jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "web") | .image'], managedFieldsManagers: ['kubectl-annotate'] },
        { kind: 'ConfigMap', jsonPointers: [], jqPathExpressions: ['.data.LOG_LEVEL'], managedFieldsManagers: [], environments: ['dev'] },
        { kind: 'Secret', jsonPointers: ['/data/password'], jqPathExpressions: [], managedFieldsManagers: [], environments: ['prod'] },
      ],
    });
    const by = (key: string) => ignored.results.find((r) => r.key === key);
    assert.deepEqual(fieldsOf(by(web)), ['added spec.template.spec.containers[name=web].env[name=B] kubectl-set/Update']);
    assert.equal(by(`/ConfigMap/${NS}/settings`)?.status, 'in-sync');
    assert.equal(by(`/Secret/${NS}/creds`)?.status, 'drifted', 'a rule for another environment does not apply');

    // Delete → Missing.
    await kubectl('-n', NS, 'delete', 'configmap/doomed', '--wait=false');
    await until(env, () => env.result(`/ConfigMap/${NS}/doomed`)?.status === 'missing', 'missing');
    assert.equal(summaryLine(env.result(`/ConfigMap/${NS}/doomed`)!), '＋ not in cluster');

    // Extra objects carrying the environment's marks → not in Git (IgnoreExtraneous excluded; children of
    // other objects, like ReplicaSets, never listed).
    await kubectl('-n', NS, 'create', 'configmap', 'stray', '--from-literal=a=b');
    await kubectl('-n', NS, 'label', 'configmap/stray', 'reconcile.dev/environment=dev');
    await kubectl('-n', NS, 'create', 'configmap', 'argo-tracked', '--from-literal=a=b');
    await kubectl('-n', NS, 'label', 'configmap/argo-tracked', 'app.kubernetes.io/instance=shop-cache-dev');
    await kubectl('-n', NS, 'create', 'configmap', 'flux-owned', '--from-literal=a=b');
    await kubectl('-n', NS, 'label', 'configmap/flux-owned', 'kustomize.toolkit.fluxcd.io/name=shop-api', 'kustomize.toolkit.fluxcd.io/namespace=flux-system');
    await kubectl('-n', NS, 'create', 'configmap', 'extraneous', '--from-literal=a=b');
    await kubectl('-n', NS, 'annotate', 'configmap/extraneous', 'argocd.argoproj.io/compare-options=IgnoreExtraneous');
    await kubectl('-n', NS, 'label', 'configmap/extraneous', 'reconcile.dev/environment=dev');
    await kubectl('-n', NS, 'create', 'configmap', 'unrelated', '--from-literal=a=b');
    await until(env, () => env.notInGit().length === 3 && env.report().ignoredExtraneous.length === 1, 'three not in Git');
    const extra = Object.fromEntries(env.notInGit().map((n) => [n.id.name, n.reason]));
    assert.deepEqual(extra, {
      stray: 'label reconcile.dev/environment=dev',
      'argo-tracked': 'Argo CD application shop-cache-dev (label app.kubernetes.io/instance)',
      'flux-owned': 'Flux Kustomization flux-system/shop-api',
    });
    assert.equal(env.report().ignoredExtraneous[0].id.name, 'extraneous');
    assert.match(driftReport(env.report(), 'text'), /^− ConfigMap drift-changes\/stray: not in Git \(label reconcile\.dev\/environment=dev\)$/m);
  } finally {
    env.dispose();
    cache.stop();
  }
});

test('RBAC: a context that may list only ConfigMaps sees the other kinds as "no permission to read", never missing', async () => {
  await applyAll([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'configmap-reader', namespace: NS }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'viewer-reads-configmaps', namespace: NS }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }] },
    ...changes().filter((o) => o.kind !== 'Namespace'),
  ]);
  const viewer = await connectToContext({ files: [cluster.kubeconfig], context: cluster.viewerContext, timeoutMs: 2000 });
  try {
    const set = setOf(changes().filter((o) => o.kind !== 'Namespace'));
    const report = await checkEnvironmentDrift(viewer, set, { environment: 'dev' });
    const by = (key: string) => report.results.find((r) => r.key === key)!;
    assert.equal(by(`/ConfigMap/${NS}/settings`).status, 'in-sync');
    for (const key of [`apps/Deployment/${NS}/web`, `apps/Deployment/${NS}/scaled`]) {
      assert.equal(by(key).status, 'unknown');
      assert.equal(summaryLine(by(key)), '? no permission to read deployments.apps');
    }
    assert.equal(summaryLine(by(`/Secret/${NS}/creds`)), '? no permission to read secrets');
    assert.equal(report.counts.missing, 0);
    assert.equal(driftExitCode(report), 2);
    // The cache says the same; RBAC is not an outage.
    const cache = new LiveCache(viewer);
    try {
      await cache.track(set.objects.map((d) => d.id));
      const h = cache.health();
      assert.equal(h.state, 'healthy');
      assert.deepEqual(h.streams.filter((s) => s.state === 'forbidden').map((s) => s.type).sort(), ['deployments.apps/v1', 'secrets/v1']);
      assert.equal(h.streams.find((s) => s.state === 'forbidden')!.error!.kind, 'forbidden');
    } finally {
      cache.stop();
    }
  } finally {
    viewer.dispose();
  }
});

test('the client over the real apiserver: discovery, get, list, 404/409/422 classified, delete', async () => {
  const cm = (await client.resolve('v1', 'ConfigMap'))!;
  assert.deepEqual({ ...cm, verbs: undefined }, { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, verbs: undefined });
  assert.equal(await client.resolve('v1', 'NoSuchKind'), undefined);
  assert.equal(await client.resources('no.such.group', 'v1'), undefined);
  const listed = await client.list(cm, NS);
  assert.ok(listed.items.every((o) => o.apiVersion === 'v1' && o.kind === 'ConfigMap'));
  assert.match(listed.resourceVersion, /^\d+$/);
  await assert.rejects(client.get(cm, NS, 'no-such'), (e: Error & { kind?: string }) => e.kind === 'not-found' && e.message === 'not found: configmaps "no-such" in drift-changes');
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad', namespace: NS }, spec: { ports: [{ port: 80, targetPort: 'not a name!', protocol: 'TCP' }] } };
  await assert.rejects(client.serverSideApply(svc, { fieldManager: 'reconcile', dryRun: true }), (e: Error & { kind?: string; details?: { causes?: unknown[] } }) => e.kind === 'invalid' && /^rejected by the server: spec\.ports\[0\]\.targetPort/.test(e.message) && (e.details?.causes?.length ?? 0) > 0);
  // A field-manager conflict without force.
  await assert.rejects(
    client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: NS }, data: { LOG_LEVEL: 'warn' } }, { fieldManager: 'someone-else', dryRun: true }),
    (e: Error & { kind?: string }) => e.kind === 'conflict',
  );
  await client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'to-delete', namespace: NS }, data: { a: 'b' } }, { fieldManager: 'reconcile' });
  await client.delete(cm, NS, 'to-delete');
  await assert.rejects(client.get(cm, NS, 'to-delete'), (e: Error & { kind?: string }) => e.kind === 'not-found');
});
