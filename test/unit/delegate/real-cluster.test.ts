// Delegation against the REAL kube-apiserver (current release) from test/harness/cluster.mjs, with minimal Argo CD
// and Flux CRDs (test/fixtures/delegate/crds.yaml): examples/' own Argo CD and Flux definitions plus
// look-alikes (test/fixtures/delegate/managers.yaml) are created, then
//   - no CRD → not managed; the managers of examples/' dev environment found, look-alikes left out;
//   - statuses read (status subresource written with kubectl);
//   - sync / refresh / reconcile requests appear on the objects, with their own field managers;
//   - 403 (viewer context) reported as forbidden, never as "not managed".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { connectToContext, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import {
  DELEGATE_FIELD_MANAGERS,
  DelegateError,
  directApplyWarning,
  findManagers,
  requestArgoRefresh,
  requestArgoSync,
  requestFluxReconcile,
  statusLine,
  type Manager,
  type ManagerScan,
} from '../../../src/core/delegate';
import { discover, type Environment } from '../../../src/core/repo';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const examples = join(root, 'examples');
const fixtures = join(root, 'test', 'fixtures', 'delegate');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

let cluster: { kubeconfig: string; context: string; viewerContext: string; stop(): Promise<void> };
let client: ClusterClient;
let viewer: ClusterClient;
let kubectlPath: string;
let dev: Environment;

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
  for (const o of objects.filter((x) => x.kind === 'Namespace')) await client.serverSideApply(o, { fieldManager: 'test-setup' });
  for (const o of objects.filter((x) => x.kind === 'CustomResourceDefinition')) {
    await client.serverSideApply(o, { fieldManager: 'test-setup' });
    const spec = o.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
    for (let i = 0; ; i++) {
      client.invalidateDiscovery();
      if (await client.resolve(`${spec.group}/${spec.versions[0].name}`, spec.names.kind)) break;
      if (i > 100) throw new Error(`CRD ${spec.names.kind} not served`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const o of objects.filter((x) => x.kind !== 'Namespace' && x.kind !== 'CustomResourceDefinition')) await client.serverSideApply(o, { fieldManager: 'test-setup' });
}

async function getObject(resource: string, namespace: string, name: string): Promise<RawObject> {
  return JSON.parse(await kubectl('get', resource, '-n', namespace, name, '-o', 'json', '--show-managed-fields'));
}

async function patchStatus(resource: string, namespace: string, name: string, status: unknown): Promise<void> {
  await kubectl('patch', resource, '-n', namespace, name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
}

const refs = (s: ManagerScan) => s.managers.map((m) => `${m.kind} ${m.namespace}/${m.name}`);
const byName = (s: ManagerScan, name: string): Manager => {
  const m = s.managers.find((x) => x.name === name);
  assert.ok(m, `${name} in ${refs(s).join(', ')}`);
  return m;
};
const id = (suffix: string) => dev.applications.find((a) => a.id.endsWith(suffix))!.id;

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  kubectlPath = loadTools({ require: ['kubectl', 'etcd', 'kubeApiserver'] }).kubectl;
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  viewer = await connectToContext({ files: [cluster.kubeconfig], context: cluster.viewerContext });
  dev = (await discover(examples)).environments.find((e) => e.name === 'dev')!;
});

after(async () => {
  client?.dispose();
  viewer?.dispose();
  await cluster?.stop();
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

test('no CRD: not managed, every kind "not-served"', async () => {
  const scan = await findManagers(client, dev, { root: examples });
  assert.deepEqual(scan.managers, []);
  assert.deepEqual(scan.kinds.map((k) => `${k.kind} ${k.state}`), ['Application not-served', 'Kustomization not-served', 'HelmRelease not-served']);
  assert.ok(scan.repoURLs.includes('git.example.com/shop/gitops'), scan.repoURLs.join(', '));
});

test('the managers of examples/ dev are found; staging, prod, forks and unrelated objects are not', async () => {
  await apply([
    ...docs(join(fixtures, 'crds.yaml')),
    ...docs(join(examples, 'argocd', 'cache.applications.yaml')),
    ...docs(join(examples, 'clusters', 'dev', 'flux-system', 'gotk-sync.yaml')),
    ...docs(join(examples, 'clusters', 'dev', 'apps.yaml')),
    ...docs(join(examples, 'clusters', 'dev', 'cache.yaml')),
    ...docs(join(fixtures, 'managers.yaml')),
  ]);
  const scan = await findManagers(client, dev, { root: examples });
  assert.deepEqual(scan.kinds.map((k) => `${k.kind} ${k.state}`), ['Application listed', 'Kustomization listed', 'HelmRelease listed', 'GitRepository listed']);
  assert.deepEqual(refs(scan), [
    'Application argocd/shop-cache-dev',
    'Application argocd/shop-web-dev',
    'Application argocd/worker-multi-source',
    'HelmRelease flux-system/cache',
    'Kustomization flux-system/flux-system',
    'Kustomization flux-system/shop-api',
    'Kustomization flux-system/shop-web',
    'Kustomization flux-system/shop-worker',
  ]);
  // The shared chart is told apart by its value files: the dev Application renders what both the
  // Argo CD and the Flux definitions of dev render.
  assert.deepEqual(byName(scan, 'shop-cache-dev').applications, [id('shop-cache-dev'), id('HelmRelease/flux-system/cache')].sort());
  assert.deepEqual(byName(scan, 'shop-cache-dev').matchedBy, ['path', 'name']);
  assert.deepEqual(byName(scan, 'shop-web-dev').applications, [id('Kustomization/flux-system/shop-web')]);
  assert.deepEqual(byName(scan, 'shop-web-dev').matchedBy, ['path']);
  assert.deepEqual(byName(scan, 'worker-multi-source').applications, [id('Kustomization/flux-system/shop-worker')]);
  assert.deepEqual(byName(scan, 'shop-api').matchedBy, ['path', 'name']);
  assert.deepEqual(byName(scan, 'cache').matchedBy, ['path', 'name']);
  for (const m of scan.managers) {
    assert.equal(m.repo, 'matched', `${m.name}: ${m.notes.join('; ')}`);
    assert.deepEqual(m.notes, [], m.name);
  }
  assert.deepEqual(scan.skipped.map((s) => `${s.ref.kind} ${s.ref.namespace}/${s.ref.name}`).sort(), ['Application argocd/fork-web-dev', 'Kustomization other/api-from-fork']);
  assert.match(scan.skipped.find((s) => s.ref.name === 'fork-web-dev')!.reason, /someone\/fork\.git is another repository than this one/);
});

test('when the repository URL cannot be known, sources are matched on the path only, and it says so', async () => {
  const bare: Environment = { ...dev, applications: dev.applications.map((a) => ({ ...a, definedBy: undefined, alsoDefinedBy: undefined })) };
  const scan = await findManagers(client, bare, { root: examples, readGitRemotes: false });
  assert.deepEqual(scan.repoURLs, []);
  const fork = byName(scan, 'fork-web-dev');
  assert.equal(fork.repo, 'unchecked');
  assert.match(fork.notes.join('\n'), /repository not checked: the URL of this repository is unknown .*matched on the path only/);
  assert.deepEqual(scan.skipped, []);
  // Given the URL (as the editor's git extension would), the fork is left out again.
  const told = await findManagers(client, bare, { root: examples, readGitRemotes: false, repoURLs: ['ssh://git@git.example.com:22/shop/gitops'] });
  assert.ok(!refs(told).includes('Application argocd/fork-web-dev'));
  assert.equal(byName(told, 'shop-web-dev').repo, 'matched');
});

test('statuses: Argo CD sync, health, revision and operation; Flux Ready and last applied revision', async () => {
  const commit = '3f2a9c1d0b8e7f6a5d4c3b2a1908f7e6d5c4b3a2';
  await patchStatus('applications.argoproj.io', 'argocd', 'shop-web-dev', {
    sync: { status: 'OutOfSync', revision: commit },
    health: { status: 'Progressing', message: 'Deployment web: 1 of 2 updated replicas are available' },
    operationState: { phase: 'Failed', message: 'one or more objects failed to apply', startedAt: '2024-05-01T10:00:00Z' },
  });
  await patchStatus('applications.argoproj.io', 'argocd', 'shop-cache-dev', { sync: { status: 'Synced', revision: commit }, health: { status: 'Healthy' }, operationState: { phase: 'Succeeded' } });
  await patchStatus('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'shop-api', {
    conditions: [{ type: 'Ready', status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: main@sha1:${commit}`, lastTransitionTime: '2024-05-01T10:00:00Z' }],
    lastAppliedRevision: `main@sha1:${commit}`,
    lastAttemptedRevision: `main@sha1:${commit}`,
  });
  await patchStatus('helmreleases.helm.toolkit.fluxcd.io', 'flux-system', 'cache', {
    conditions: [{ type: 'Ready', status: 'False', reason: 'InstallFailed', message: 'namespaces "shop-dev" not found', lastTransitionTime: '2024-05-01T10:00:00Z' }],
    history: [{ chartName: 'cache', chartVersion: '0.3.1' }],
  });
  const scan = await findManagers(client, dev, { root: examples });
  const web = byName(scan, 'shop-web-dev');
  assert.deepEqual(web.status, {
    engine: 'argocd',
    sync: 'OutOfSync',
    health: 'Progressing',
    healthMessage: 'Deployment web: 1 of 2 updated replicas are available',
    revision: commit,
    operation: { phase: 'Failed', message: 'one or more objects failed to apply', startedAt: '2024-05-01T10:00:00Z' },
    pendingOperation: false,
    automated: true,
    selfHeal: true,
  });
  assert.equal(statusLine(web), 'OutOfSync · Progressing · 3f2a9c1d0b8e · last sync Failed: one or more objects failed to apply');
  assert.equal(statusLine(byName(scan, 'shop-cache-dev')), 'Synced · Healthy · 3f2a9c1d0b8e');
  const api = byName(scan, 'shop-api');
  assert.equal(api.status.engine, 'flux');
  assert.deepEqual(api.status.engine === 'flux' && api.status.ready, { status: 'True', reason: 'ReconciliationSucceeded', message: `Applied revision: main@sha1:${commit}`, lastTransitionTime: '2024-05-01T10:00:00Z' });
  assert.equal(statusLine(api), 'Ready · main@sha1:3f2a9c1d0b8e');
  assert.equal(statusLine(byName(scan, 'cache')), 'not ready (InstallFailed): namespaces "shop-dev" not found · 0.3.1');
  assert.equal(statusLine(byName(scan, 'shop-worker')), 'not reconciled yet');
});

test('Ask Argo CD to sync: the operation appears on the Application; a second request is refused while it is pending; refresh keeps it', async () => {
  const ref = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' as const, name: 'shop-web-dev', namespace: 'argocd' };
  const before = await getObject('applications.argoproj.io', 'argocd', 'shop-web-dev');
  const r = await requestArgoSync(client, ref, { revision: 'main' });
  const live = await getObject('applications.argoproj.io', 'argocd', 'shop-web-dev');
  assert.deepEqual(live.operation, { sync: { revision: 'main' }, initiatedBy: { username: 'reconcile' }, info: [{ name: 'Reason', value: 'requested from Reconcile' }] });
  assert.deepEqual(r.object.operation, live.operation);
  assert.deepEqual(live.spec, before.spec, 'nothing else changed');
  const managed = (live.metadata as { managedFields: { manager: string; operation: string; fieldsV1: { f: Record<string, unknown> } }[] }).managedFields;
  const mine = managed.find((m) => m.manager === DELEGATE_FIELD_MANAGERS.argoSync)!;
  assert.equal(mine.operation, 'Apply');
  assert.deepEqual(Object.keys(mine.fieldsV1).filter((k) => k.startsWith('f:')), ['f:operation']);

  await assert.rejects(requestArgoSync(client, ref), (e: unknown) => e instanceof DelegateError && e.code === 'operation-in-progress' && e.message === 'Argo CD application argocd/shop-web-dev already has an operation in progress (started by reconcile): wait for it to finish');
  const scan = await findManagers(client, dev, { root: examples });
  assert.equal(byName(scan, 'shop-web-dev').status.engine === 'argocd' && (byName(scan, 'shop-web-dev').status as { pendingOperation: boolean }).pendingOperation, true);
  assert.match(statusLine(byName(scan, 'shop-web-dev')), / · sync requested$/);

  await requestArgoRefresh(client, ref);
  const refreshed = await getObject('applications.argoproj.io', 'argocd', 'shop-web-dev');
  assert.equal((refreshed.metadata as { annotations: Record<string, string> }).annotations['argocd.argoproj.io/refresh'], 'normal');
  assert.deepEqual(refreshed.operation, live.operation, 'the refresh did not take the sync request back');
  await requestArgoRefresh(client, ref, { hard: true });
  assert.equal((((await getObject('applications.argoproj.io', 'argocd', 'shop-web-dev')).metadata as { annotations: Record<string, string> }).annotations)['argocd.argoproj.io/refresh'], 'hard');

  // Argo CD clears the operation when it is done (simulated as its controller does, with an update).
  await kubectl('patch', 'applications.argoproj.io', '-n', 'argocd', 'shop-web-dev', '--type=json', '-p', '[{"op":"remove","path":"/operation"}]');
  await requestArgoSync(client, ref);
  assert.deepEqual((await getObject('applications.argoproj.io', 'argocd', 'shop-web-dev')).operation, { sync: {}, initiatedBy: { username: 'reconcile' }, info: [{ name: 'Reason', value: 'requested from Reconcile' }] });
});

test('Ask Flux to reconcile: requestedAt appears (RFC 3339), a repeat in the same instant still counts, --force on a HelmRelease, suspended refused', async () => {
  const ks = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' as const, name: 'shop-api', namespace: 'flux-system' };
  const specBefore = (await getObject('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'shop-api')).spec;
  const now = new Date('2024-05-01T12:34:56.789Z');
  const r = await requestFluxReconcile(client, ks, { now });
  assert.equal(r.requested, '2024-05-01T12:34:56.789Z');
  let live = await getObject('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'shop-api');
  assert.equal((live.metadata as { annotations: Record<string, string> }).annotations['reconcile.fluxcd.io/requestedAt'], '2024-05-01T12:34:56.789Z');
  assert.deepEqual(live.spec, specBefore);
  const again = await requestFluxReconcile(client, ks, { now });
  assert.equal(again.requested, '2024-05-01T12:34:56.790Z');
  const real = await requestFluxReconcile(client, ks);
  assert.match(String(real.requested), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  live = await getObject('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'shop-api');
  assert.equal((live.metadata as { annotations: Record<string, string> }).annotations['reconcile.fluxcd.io/requestedAt'], real.requested);
  const scan = await findManagers(client, dev, { root: examples });
  assert.match(statusLine(byName(scan, 'shop-api')), / · reconcile requested$/);

  const hr = { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' as const, name: 'cache', namespace: 'flux-system' };
  await requestFluxReconcile(client, hr, { force: true, now });
  const annotations = ((await getObject('helmreleases.helm.toolkit.fluxcd.io', 'flux-system', 'cache')).metadata as { annotations: Record<string, string> }).annotations;
  assert.equal(annotations['reconcile.fluxcd.io/requestedAt'], '2024-05-01T12:34:56.789Z');
  assert.equal(annotations['reconcile.fluxcd.io/forceAt'], '2024-05-01T12:34:56.789Z');

  await kubectl('patch', 'kustomizations.kustomize.toolkit.fluxcd.io', '-n', 'flux-system', 'shop-worker', '--type=merge', '-p', '{"spec":{"suspend":true}}');
  await assert.rejects(
    requestFluxReconcile(client, { ...ks, name: 'shop-worker' }),
    (e: unknown) => e instanceof DelegateError && e.code === 'suspended' && e.message === 'Flux Kustomization flux-system/shop-worker is suspended: resume it first (flux resume kustomization shop-worker -n flux-system)',
  );
  const worker = await getObject('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'shop-worker');
  assert.equal((worker.metadata as { annotations?: Record<string, string> }).annotations?.['reconcile.fluxcd.io/requestedAt'], undefined);
  await kubectl('patch', 'kustomizations.kustomize.toolkit.fluxcd.io', '-n', 'flux-system', 'shop-worker', '--type=merge', '-p', '{"spec":{"suspend":false}}');
});

test('requests never create a missing object, and retry when the object changes between read and write', async () => {
  const gone = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' as const, name: 'no-such', namespace: 'flux-system' };
  await assert.rejects(requestFluxReconcile(client, gone), (e: Error & { kind?: string }) => e.kind === 'not-found');
  await assert.rejects(kubectl('get', 'kustomizations.kustomize.toolkit.fluxcd.io', '-n', 'flux-system', 'no-such'), /NotFound/);

  // A client whose first write comes after someone else changed the object: the precondition fails
  // (409), the request reads the object again and succeeds, and the other change is kept.
  let writes = 0;
  const racing: ClusterClient = Object.create(client, {
    serverSideApply: {
      value: async (obj: RawObject, opts: Parameters<ClusterClient['serverSideApply']>[1]) => {
        writes++;
        if (writes === 1) await kubectl('annotate', 'kustomizations.kustomize.toolkit.fluxcd.io', '-n', 'flux-system', 'shop-web', 'example.com/touched=yes');
        return client.serverSideApply(obj, opts);
      },
    },
  });
  const r = await requestFluxReconcile(racing, { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'shop-web', namespace: 'flux-system' });
  assert.equal(writes, 2);
  const annotations = ((await getObject('kustomizations.kustomize.toolkit.fluxcd.io', 'flux-system', 'shop-web')).metadata as { annotations: Record<string, string> }).annotations;
  assert.equal(annotations['reconcile.fluxcd.io/requestedAt'], r.requested);
  assert.equal(annotations['example.com/touched'], 'yes');
});

test('a HelmRelease whose chart no longer comes from Git is still tied to dev by its name', async () => {
  await kubectl('patch', 'helmreleases.helm.toolkit.fluxcd.io', '-n', 'flux-system', 'cache', '--type=merge', '-p', JSON.stringify({ spec: { chart: { spec: { chart: 'cache', version: '0.3.x', sourceRef: { kind: 'HelmRepository', name: 'shop-charts' }, valuesFiles: null } } } }));
  const scan = await findManagers(client, dev, { root: examples });
  const cache = byName(scan, 'cache');
  assert.deepEqual(cache.matchedBy, ['name']);
  assert.equal(cache.repo, 'unchecked');
  assert.deepEqual(cache.applications, [id('HelmRelease/flux-system/cache')]);
  assert.deepEqual(cache.notes, ['repository not checked: no Git source (matched by name)']);
});

test('direct apply warning names each manager and whether it will revert', async () => {
  await kubectl('patch', 'helmreleases.helm.toolkit.fluxcd.io', '-n', 'flux-system', 'cache', '--type=merge', '-p', '{"spec":{"driftDetection":{"mode":"enabled"}}}');
  const scan = await findManagers(client, dev, { root: examples });
  const lines = directApplyWarning(scan.managers)!.split('\n');
  assert.equal(lines.length, scan.managers.length);
  assert.ok(lines.includes('Argo CD application argocd/shop-web-dev syncs automatically with self-heal: it will revert a direct apply within minutes unless the change is committed to Git (or self-heal is turned off).'), lines.join('\n'));
  assert.ok(lines.includes('Argo CD application argocd/worker-multi-source is synced by hand: a direct apply shows there as OutOfSync, and its next sync will revert it unless the change is committed to Git.'));
  assert.ok(lines.includes('Flux Kustomization flux-system/shop-api reconciles (every 2m): it will revert a direct apply at its next reconciliation unless the change is committed to Git (or it is suspended).'));
  assert.ok(lines.includes('Flux HelmRelease flux-system/cache reconciles (every 2m): it will revert a direct apply at its next reconciliation unless the change is committed to Git (or it is suspended).'));
  assert.equal(directApplyWarning([]), undefined);
});

test('403: the viewer context sees "forbidden", never "not managed"; a namespace it may read is read', async () => {
  const scan = await findManagers(viewer, dev, { root: examples });
  assert.deepEqual(scan.managers, []);
  assert.deepEqual(scan.kinds.map((k) => `${k.kind} ${k.state} ${k.errorKind}`), ['Application forbidden forbidden', 'Kustomization forbidden forbidden', 'HelmRelease forbidden forbidden']);
  assert.equal(scan.kinds[0].message, 'no permission to list applications.argoproj.io (cluster-wide)');

  await apply([
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'app-reader', namespace: 'argocd' }, rules: [{ apiGroups: ['argoproj.io'], resources: ['applications'], verbs: ['list'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'viewer-reads-apps', namespace: 'argocd' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'app-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }] },
  ]);
  let partial: ManagerScan | undefined;
  for (let i = 0; i < 50; i++) {
    partial = await findManagers(viewer, dev, { root: examples });
    if (partial.kinds[0].state === 'listed') break;
    await new Promise((r) => setTimeout(r, 100)); // RBAC is eventually consistent
  }
  assert.deepEqual({ ...partial!.kinds[0] }, { engine: 'argocd', kind: 'Application', apiVersion: 'argoproj.io/v1alpha1', state: 'listed', namespaces: ['argocd'], message: 'no permission to list applications.argoproj.io (cluster-wide); read argocd only' });
  assert.deepEqual(refs(partial!), ['Application argocd/shop-cache-dev', 'Application argocd/shop-web-dev', 'Application argocd/worker-multi-source']);
  assert.equal(partial!.kinds[1].state, 'forbidden');
});
