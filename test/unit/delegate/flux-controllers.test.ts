// Delegation and drift against REAL Flux controllers (source-controller, kustomize-controller and
// helm-controller built from their Go modules by scripts/setup) on the real kube-apiserver of
// test/harness/cluster.mjs. examples/ is served over Git HTTP (test/harness/flux.mjs) and bootstrapped the
// way `flux bootstrap` leaves a cluster: its clusters/dev/flux-system/gotk-sync.yaml (pointed at the local
// server) is applied, and Flux applies the rest of clusters/dev (the app Kustomizations and the cache
// HelmRelease) itself. In the served copy, intervals are 60m, so that nothing happens unless asked, and
// nothing waits for Pods (there is no kubelet).
//   - "Managed by Flux" shows the controllers' real Ready conditions and revisions;
//   - drift of the whole dev environment is zero although Flux wrote its field manager, labels and
//     inventory everywhere, with both strategies;
//   - "Ask Flux to Reconcile" on a drifted object: kustomize-controller re-applies it, drift is gone,
//     and Reconcile applied nothing;
//   - a broken manifest in the served repository: Ready False with the controller's own message; fixed: Ready;
//   - charts served offline: HelmRepository (index.yaml), HelmRepository of type oci and OCIRepository.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { connectToContext, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { DELEGATE_FIELD_MANAGERS, findManagers, requestFluxReconcile, statusLine, type Manager, type ManagerScan } from '../../../src/core/delegate';
import { checkEnvironmentDrift, desiredFromDocuments, ownershipOf, summaryLine, type DesiredSet, type EnvironmentDriftReport } from '../../../src/core/drift';
import { createRenderer } from '../../../src/core/render';
import { discover, type Environment } from '../../../src/core/repo';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

interface FluxEnv {
  version: string;
  dir: string;
  git: { url: string; repoDir: string; commit(message: string, files?: Record<string, string | null>): Promise<string>; head(): Promise<string> };
  charts: { url: string; oci: string; charts: { name: string; version: string }[] };
  logs: Record<string, string>;
  stop(): Promise<void>;
}

let cluster: { kubeconfig: string; context: string; stop(): Promise<void> };
let flux: FluxEnv;
let client: ClusterClient;
let tools: { kubectl: string; helm: string; flux: string };
let dev: Environment;
let head: string;

const KS = 'kustomizations.kustomize.toolkit.fluxcd.io';
const ks = (name: string) => ({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' as const, name, namespace: 'flux-system' });

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  return stdout;
}

async function getJson(resource: string, namespace: string, name: string): Promise<RawObject> {
  return JSON.parse(await kubectl('get', resource, '-n', namespace, name, '-o', 'json', '--show-managed-fields'));
}

type Condition = { type: string; status: string; reason?: string; message?: string };
const conditionsOf = (o: RawObject): Condition[] => ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []);
const ready = (o: RawObject) => conditionsOf(o).find((c) => c.type === 'Ready');

/** Polls until `check` returns a value (not undefined); the error names what was awaited and the last state. */
async function until<T>(what: string, check: () => Promise<T | undefined>, describe: () => Promise<string> = async () => '', ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) {
      const logs = Object.entries(flux.logs).map(([n, f]) => `--- ${n} ---\n${readFileSync(f, 'utf8').trimEnd().split('\n').slice(-8).join('\n')}`).join('\n');
      throw new Error(`not ${what} within ${ms / 1000} s; ${await describe().catch((e) => String(e))}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the object's Ready condition has `status` and, if given, its last applied revision / message match. */
async function untilReady(resource: string, name: string, status: 'True' | 'False', extra: (o: RawObject) => boolean = () => true): Promise<RawObject> {
  let last: RawObject | undefined;
  return until(`${resource} ${name} Ready=${status}`, async () => {
    last = await getJson(resource, 'flux-system', name);
    return ready(last)?.status === status && extra(last) ? last : undefined;
  }, async () => `last: ${JSON.stringify(last?.status)}`);
}

async function scan(): Promise<ManagerScan> {
  return findManagers(client, dev, { root: flux.git.repoDir, readGitRemotes: false });
}
const manager = (s: ManagerScan, name: string): Manager => {
  const m = s.managers.find((x) => x.name === name);
  assert.ok(m, `${name} in ${s.managers.map((x) => x.name).join(', ')}`);
  return m;
};

/** The dev environment of the served repository, rendered with the real kubectl (kustomize) and helm. */
async function desiredDev(): Promise<DesiredSet> {
  const renderer = createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true });
  const rendered = [];
  for (const app of dev.applications) {
    const r = await renderer.renderApplication(app);
    assert.ok(r.ok, `render ${app.id}: ${!r.ok && r.error.message}`);
    rendered.push(...r.documents);
  }
  return desiredFromDocuments(rendered);
}

function notInSync(report: EnvironmentDriftReport): string[] {
  return report.results.filter((r) => r.status !== 'in-sync').map((r) => `${r.key}: ${summaryLine(r)}${r.status === 'drifted' ? ` ${JSON.stringify(r.fields)}` : ''}`);
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { startFlux } = await import(harness('flux.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  tools = loadTools({ require: ['kubectl', 'helm', 'flux'] });
  cluster = await startCluster({ log: () => {} });
  flux = await startFlux(cluster, { log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });

  // The served copy of examples/ syncs from the local server; nothing runs on a timer, nothing waits for Pods.
  const file = (rel: string) => readFileSync(join(flux.git.repoDir, rel), 'utf8');
  const slow = (s: string) => s.replace(/^(\s*)interval: \S+$/gm, '$1interval: 60m');
  head = await flux.git.commit('sync from the local Git server; intervals 60m; no waiting for Pods', {
    'clusters/dev/flux-system/gotk-sync.yaml': slow(file('clusters/dev/flux-system/gotk-sync.yaml'))
      .replace('url: https://git.example.com/shop/gitops.git', `url: ${flux.git.url}`)
      .replace(/\n  secretRef:\n    name: flux-system/, ''),
    'clusters/dev/apps.yaml': slow(file('clusters/dev/apps.yaml')).replace(/wait: true/g, 'wait: false'),
    // The chart as it is in Git: with reconcileStrategy Revision, or with valuesFiles merged into it,
    // source-controller versions the chart 0.3.1+<commit or generation>, which changes the helm.sh/chart
    // label and every checksum over it (Reconcile renders the chart's own version).
    'clusters/dev/cache.yaml': slow(file('clusters/dev/cache.yaml'))
      .replace('reconcileStrategy: Revision', 'reconcileStrategy: ChartVersion')
      .replace(/\n      valuesFiles:\n(        - \S+\n)+/, '\n')
      .replace('  install:\n', '  install:\n    disableWait: true\n')
      .replace('  upgrade:\n', '  upgrade:\n    disableWait: true\n'),
  });
  dev = (await discover(flux.git.repoDir)).environments.find((e) => e.name === 'dev')!;
  // Bootstrap: what `flux bootstrap` applies; Flux does the rest.
  await kubectl('apply', '--server-side', '--field-manager=flux-bootstrap', '-f', join(flux.git.repoDir, 'clusters/dev/flux-system/gotk-sync.yaml'));
});

after(async () => {
  client?.dispose();
  await flux?.stop();
  await cluster?.stop();
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

test('Managed by Flux: the controllers\' real Ready conditions and revisions after bootstrap', async () => {
  const revision = `main@sha1:${head}`;
  await untilReady('gitrepositories.source.toolkit.fluxcd.io', 'flux-system', 'True', (o) => (o.status as { artifact?: { revision?: string } }).artifact?.revision === revision);
  for (const name of ['flux-system', 'shop-api', 'shop-web', 'shop-worker']) {
    await untilReady(KS, name, 'True', (o) => (o.status as { lastAppliedRevision?: string }).lastAppliedRevision === revision);
  }
  await untilReady('helmreleases.helm.toolkit.fluxcd.io', 'cache', 'True');

  const s = await scan();
  assert.deepEqual(s.managers.map((m) => `${m.kind} ${m.namespace}/${m.name} ${m.repo}`), [
    'HelmRelease flux-system/cache matched',
    'Kustomization flux-system/flux-system matched',
    'Kustomization flux-system/shop-api matched',
    'Kustomization flux-system/shop-web matched',
    'Kustomization flux-system/shop-worker matched',
  ]);
  const web = manager(s, 'shop-web');
  assert.ok(web.status.engine === 'flux');
  assert.equal(web.status.ready?.status, 'True');
  assert.equal(web.status.ready?.reason, 'ReconciliationSucceeded');
  assert.equal(web.status.ready?.message, `Applied revision: ${revision}`);
  assert.equal(web.status.lastAppliedRevision, revision);
  assert.equal(statusLine(web), `Ready · main@sha1:${head.slice(0, 12)}`);
  const cache = manager(s, 'cache');
  assert.match(statusLine(cache), /^Ready · 0\.3\.1/);
  assert.ok(cache.status.engine === 'flux' && /Helm install succeeded|Helm upgrade succeeded/.test(cache.status.ready?.message ?? ''), JSON.stringify(cache.status));
});

test('drift ignores what Flux writes: field manager kustomize-controller, its labels, its inventory (both strategies)', async () => {
  // What Flux wrote is really there.
  const deployment = await getJson('deployments.apps', 'shop-dev', 'web');
  const meta = deployment.metadata as { labels: Record<string, string>; managedFields: { manager: string; operation: string }[] };
  assert.equal(meta.labels['kustomize.toolkit.fluxcd.io/name'], 'shop-web');
  assert.equal(meta.labels['kustomize.toolkit.fluxcd.io/namespace'], 'flux-system');
  assert.ok(meta.managedFields.some((m) => m.manager === 'kustomize-controller' && m.operation === 'Apply'), JSON.stringify(meta.managedFields));
  const inventory = ((await getJson(KS, 'flux-system', 'shop-web')).status as { inventory?: { entries?: { id: string }[] } }).inventory?.entries ?? [];
  assert.ok(inventory.some((e) => e.id === 'shop-dev_web_apps_Deployment'), JSON.stringify(inventory));

  const set = await desiredDev();
  const kinds = new Set(set.objects.map((d) => d.id.kind));
  for (const k of ['Namespace', 'Deployment', 'Service', 'Ingress', 'ConfigMap', 'Secret', 'HelmRelease', 'Kustomization', 'GitRepository']) assert.ok(kinds.has(k), k);
  for (const strategy of ['local', 'server-side'] as const) {
    const report = await checkEnvironmentDrift(client, set, { environment: 'dev', strategy, ownership: ownershipOf(dev) });
    assert.deepEqual(notInSync(report), [], strategy);
    assert.equal(report.counts.inSync, set.objects.length, strategy);
  }
});

test('Ask Flux to Reconcile on a drifted object: kustomize-controller re-applies it, drift is gone, Reconcile applied nothing', async () => {
  await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":5}}');
  const set = await desiredDev();
  const webOnly = { ...set, objects: set.objects.filter((d) => d.id.kind === 'Deployment' && d.id.name === 'web') };
  const drifted = await checkEnvironmentDrift(client, webOnly, { environment: 'dev', ownership: ownershipOf(dev) });
  assert.deepEqual(drifted.results.map((r) => r.status === 'drifted' && r.fields.map((f) => `${f.path} ${f.manager}`)), [['spec.replicas kubectl-edit']]);

  const before = await getJson(KS, 'flux-system', 'shop-web');
  const { requested } = await requestFluxReconcile(client, ks('shop-web'));
  const after = await until('the reconcile request handled', async () => {
    const o = await getJson(KS, 'flux-system', 'shop-web');
    return (o.status as { lastHandledReconcileAt?: string }).lastHandledReconcileAt === requested && ready(o)?.status === 'True' ? o : undefined;
  });
  assert.equal((after.status as { lastAppliedRevision: string }).lastAppliedRevision, (before.status as { lastAppliedRevision: string }).lastAppliedRevision, 'the same revision, re-applied');

  const live = await getJson('deployments.apps', 'shop-dev', 'web');
  assert.equal((live.spec as { replicas: number }).replicas, 1);
  const managers = (live.metadata as { managedFields: { manager: string; fieldsV1: { 'f:spec'?: Record<string, unknown> } }[] }).managedFields;
  assert.ok(managers.find((m) => m.manager === 'kustomize-controller')?.fieldsV1['f:spec']?.['f:replicas'], 'replicas is kustomize-controller\'s again');
  assert.ok(!managers.some((m) => m.manager === 'reconcile'), 'Reconcile applied nothing');
  assert.ok(!managers.some((m) => m.manager === DELEGATE_FIELD_MANAGERS.fluxReconcile), 'the request touched only the Kustomization');
  const report = await checkEnvironmentDrift(client, webOnly, { environment: 'dev', ownership: ownershipOf(dev) });
  assert.deepEqual(notInSync(report), []);
});

test('a broken manifest in the served repository: Ready False with the controller\'s message; fixed: Ready with the new revision', async () => {
  const path = 'apps/web/base/kustomization.yaml';
  const good = readFileSync(join(flux.git.repoDir, path), 'utf8');
  const broken = await flux.git.commit('web: a resource that does not exist', { [path]: good.replace('resources:\n', 'resources:\n  - no-such-file.yaml\n') });
  // The real flux CLI pulls the new commit (it waits for source-controller).
  await execFileP(tools.flux, ['reconcile', 'source', 'git', 'flux-system', '-n', 'flux-system', '--kubeconfig', cluster.kubeconfig, '--timeout', '2m']);
  await requestFluxReconcile(client, ks('shop-web'));
  const failed = await untilReady(KS, 'shop-web', 'False', (o) => (o.status as { lastAttemptedRevision?: string }).lastAttemptedRevision === `main@sha1:${broken}`);
  const condition = ready(failed)!;
  assert.equal(condition.reason, 'BuildFailed');
  assert.match(condition.message ?? '', /no-such-file\.yaml/);

  const web = manager(await scan(), 'shop-web');
  assert.ok(web.status.engine === 'flux');
  assert.equal(web.status.ready?.message, condition.message, 'the controller\'s own message');
  assert.equal(web.status.lastAttemptedRevision, `main@sha1:${broken}`);
  assert.equal(statusLine(web), `not ready (BuildFailed): ${condition.message} · main@sha1:${head.slice(0, 12)}`);

  const fixed = await flux.git.commit('web: fixed', { [path]: good });
  await execFileP(tools.flux, ['reconcile', 'source', 'git', 'flux-system', '-n', 'flux-system', '--kubeconfig', cluster.kubeconfig, '--timeout', '2m']);
  await requestFluxReconcile(client, ks('shop-web'));
  await untilReady(KS, 'shop-web', 'True', (o) => (o.status as { lastAppliedRevision?: string }).lastAppliedRevision === `main@sha1:${fixed}`);
  assert.equal(statusLine(manager(await scan(), 'shop-web')), `Ready · main@sha1:${fixed.slice(0, 12)}`);
});

test('charts served offline: HelmRepository (index.yaml), HelmRepository of type oci and OCIRepository are Ready with the chart', async () => {
  const chart = flux.charts.charts.find((c) => c.name === 'cache');
  assert.deepEqual(chart, { name: 'cache', version: '0.3.1' });
  const sources: RawObject[] = [
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts-http', namespace: 'flux-system' }, spec: { interval: '60m', url: flux.charts.url } },
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts-oci', namespace: 'flux-system' }, spec: { interval: '60m', type: 'oci', insecure: true, url: flux.charts.oci } },
    ...['charts-http', 'charts-oci'].map((repo) => ({
      apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmChart', metadata: { name: `cache-from-${repo}`, namespace: 'flux-system' },
      spec: { interval: '60m', chart: 'cache', version: '0.3.x', sourceRef: { kind: 'HelmRepository', name: repo } },
    })),
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'cache-oci', namespace: 'flux-system' }, spec: { interval: '60m', insecure: true, url: `${flux.charts.oci}/cache`, ref: { tag: '0.3.1' }, layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' } } },
  ];
  for (const o of sources) await client.serverSideApply(o, { fieldManager: 'test-setup' });
  await untilReady('helmrepositories.source.toolkit.fluxcd.io', 'charts-http', 'True');
  for (const repo of ['charts-http', 'charts-oci']) {
    const c = await untilReady('helmcharts.source.toolkit.fluxcd.io', `cache-from-${repo}`, 'True');
    assert.equal((c.status as { artifact: { revision: string } }).artifact.revision, '0.3.1', repo);
  }
  const oci = await untilReady('ocirepositories.source.toolkit.fluxcd.io', 'cache-oci', 'True');
  assert.match((oci.status as { artifact: { revision: string } }).artifact.revision, /^0\.3\.1@sha256:[0-9a-f]{64}$/);
});

test('a HelmRelease whose chart comes from a HelmRepository (HTTP and OCI): after helm-controller installed it, Reconcile renders the same chart with its own helm pull and reports 0 drift', async () => {
  // The release as a repository holds it; the chart repository is the one the harness serves (as in the test above).
  const repo = mkdtempSync(join(tmpdir(), 'reconcile-remote-flux-'));
  const remoteCache = mkdtempSync(join(tmpdir(), 'reconcile-remote-cache-'));
  try {
    const release = (name: string, source: string) => ({
      apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name, namespace: 'flux-system' },
      spec: {
        interval: '60m', releaseName: name, targetNamespace: 'remote-charts',
        chart: { spec: { chart: 'cache', version: '0.3.x', sourceRef: { kind: 'HelmRepository', name: source } } },
        install: { createNamespace: true, disableWait: true }, upgrade: { disableWait: true },
        values: { config: { maxmemory: '96mb', loglevel: 'warning' } },
      },
    });
    const objects = [
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts-http', namespace: 'flux-system' }, spec: { interval: '60m', url: flux.charts.url } },
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'HelmRepository', metadata: { name: 'charts-oci', namespace: 'flux-system' }, spec: { interval: '60m', type: 'oci', insecure: true, url: flux.charts.oci } },
      release('cache-http', 'charts-http'),
      release('cache-oci', 'charts-oci'),
    ];
    mkdirSync(join(repo, 'clusters', 'remote'), { recursive: true });
    writeFileSync(join(repo, 'clusters', 'remote', 'releases.yaml'), objects.map((o) => JSON.stringify(o, null, 2)).join('\n---\n'));
    for (const o of objects) await client.serverSideApply(o as RawObject, { fieldManager: 'test-setup' });
    for (const name of ['cache-http', 'cache-oci']) {
      await until(`helmreleases ${name} installed`, async () => {
        const hr = await getJson('helmreleases.helm.toolkit.fluxcd.io', 'flux-system', name);
        return ready(hr)?.status === 'True' ? hr : undefined;
      }, async () => JSON.stringify((await getJson('helmreleases.helm.toolkit.fluxcd.io', 'flux-system', name)).status));
    }
    // Reconcile: discover the releases, pull the charts with the user's helm (trusted), render, compare.
    const model = await discover(repo);
    const apps = model.environments.flatMap((e) => e.applications).filter((a) => a.name.startsWith('cache-'));
    assert.deepEqual(apps.map((a) => a.name).sort(), ['cache-http', 'cache-oci']);
    const renderer = createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true, remoteCacheDir: remoteCache });
    const rendered = [];
    for (const app of apps) {
      const r = await renderer.renderApplication(app);
      assert.ok(r.ok, `render ${app.id}: ${!r.ok && r.error.message}`);
      assert.ok(r.documents.some((d) => d.id?.kind === 'Deployment'), `${app.name} renders the chart's Deployment`);
      rendered.push(...r.documents);
    }
    const set = desiredFromDocuments(rendered);
    for (const strategy of ['local', 'server-side'] as const) {
      const report = await checkEnvironmentDrift(client, set, { environment: 'remote', strategy, defaultNamespace: 'remote-charts' });
      assert.deepEqual(notInSync(report), [], `${strategy}: no false drift on what helm-controller installed`);
      assert.equal(report.counts.inSync, set.objects.length);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
    rmSync(remoteCache, { recursive: true, force: true });
  }
});
