// `reconcile drift` against the REAL kube-apiserver (current release) from test/harness/cluster.mjs: examples/' dev
// environment is rendered with the real kubectl/helm from setup and applied (as test/unit/drift/real-cluster
// does), then the CLI runs on it — in sync (0), drifted after kubectl (1, text/json/md), and every way it
// cannot verify drift (2): unknown environment, no context, render failure, unreachable cluster, RBAC.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main';
import { connectToContext, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { desiredFromDocuments, toApplyPayload } from '../../../src/core/drift';
import { createRenderer } from '../../../src/core/render';
import { discover } from '../../../src/core/repo';
import { sink } from './io';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const examples = join(root, 'examples');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

let cluster: { kubeconfig: string; context: string; viewerContext: string; server: string; stop(): Promise<void> };
let client: ClusterClient;
let tools: { kubectl: string; helm: string };
let devCount = 0;
let scratch: string;

async function drift(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main(['drift', ...argv, '--kubectl', tools.kubectl, '--helm', tools.helm], { out, err, env: { PATH: '', KUBECONFIG: cluster.kubeconfig }, cwd: examples });
  return { code, out: out.text, err: err.text };
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  return stdout;
}

async function applyAll(objects: RawObject[]): Promise<void> {
  const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  for (const o of first) await client.serverSideApply(toApplyPayload(o), { fieldManager: 'reconcile', force: true });
  for (const crd of first.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string }[] };
    for (let i = 0; ; i++) {
      client.invalidateDiscovery();
      if (await client.resolve(`${spec.group}/${spec.versions[0].name}`, spec.names.kind)) break;
      if (i > 100) throw new Error(`CRD ${spec.names.kind} not served`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  for (const o of objects.filter((x) => !first.includes(x))) await client.serverSideApply(toApplyPayload(o), { fieldManager: 'reconcile', force: true });
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  tools = loadTools({ require: ['kubectl', 'helm', 'etcd', 'kubeApiserver'] });
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-drift-cli-'));
  const dev = (await discover(examples)).environments.find((e) => e.name === 'dev')!;
  const renderer = createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true });
  const documents = [];
  for (const app of dev.applications) {
    const r = await renderer.renderApplication(app);
    assert.ok(r.ok, `render ${app.id}: ${!r.ok && r.error.message}`);
    documents.push(...r.documents);
  }
  const set = desiredFromDocuments(documents);
  devCount = set.objects.length;
  // The Flux kinds examples/ renders (clusters/dev) need their CRDs on a bare apiserver.
  const crds = parseAllDocuments(readFileSync(join(root, 'test', 'fixtures', 'drift', 'cluster', 'flux-crds.yaml'), 'utf8')).map((d) => d.toJS() as RawObject);
  await applyAll([...crds, ...set.objects.map((d) => d.object)]);
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

test('in sync right after applying: exit 0, both strategies, every format', async () => {
  assert.ok(devCount >= 20, `${devCount} objects`);
  const text = await drift('.', '--env', 'dev', '--kubeconfig', cluster.kubeconfig);
  assert.equal(text.code, 0, text.out + text.err);
  assert.equal(text.err, '');
  const [headline, ...rest] = text.out.trimEnd().split('\n');
  assert.equal(headline, `Drift of dev (context reconcile-local), local comparison: ${devCount} resources — ${devCount} in sync, 0 drifted, 0 missing, 0 unknown, 0 not in Git`);
  // examples/ deploys the cache chart twice in dev (Flux HelmRelease and Argo CD Application, with
  // different values): the engine says which definition it compared. Nothing else is listed.
  assert.deepEqual(rest, ['warning: Deployment shop-dev/cache is defined twice with different content (/work/main/examples/charts/cache/templates/deployment.yaml) (/work/main/examples/charts/cache/templates/deployment.yaml): the first definition is compared'.replaceAll('/work/main', root)]);
  const server = await drift('--env', 'dev', '--strategy', 'server-side');
  assert.equal(server.code, 0, server.out + server.err);
  assert.match(server.out, new RegExp(`^Drift of dev \\(context reconcile-local\\), server-side dry-run: ${devCount} resources — ${devCount} in sync,`));
  const json = await drift('--env', 'dev', '--format', 'json');
  assert.equal(json.code, 0);
  const report = JSON.parse(json.out);
  assert.equal(report.environment, 'dev');
  assert.equal(report.context, 'reconcile-local');
  assert.equal(report.counts.inSync, devCount);
  const md = await drift('--env', 'dev', '--format', 'md');
  assert.equal(md.code, 0);
  assert.match(md.out, /^## Drift: dev \(`reconcile-local`\)\n/);
  assert.ok(md.out.includes(`| ${devCount} | 0 | 0 | 0 | 0 | 0 |`), md.out);
});

test('drifted after kubectl scale and set image: exit 1, the fields and their managers in text, json and md', async () => {
  await kubectl('-n', 'shop-dev', 'scale', 'deployment/worker', '--replicas=3');
  await kubectl('-n', 'shop-dev', 'set', 'image', 'deployment/web', 'web=registry.example.com/shop/web:1.9.0');
  const text = await drift('--env', 'dev');
  assert.equal(text.code, 1, text.out + text.err);
  const lines = text.out.split('\n');
  assert.equal(lines[0], `Drift of dev (context reconcile-local), local comparison: ${devCount} resources — ${devCount - 2} in sync, 2 drifted, 0 missing, 0 unknown, 0 not in Git`);
  assert.equal(lines[1], '⚠ Deployment shop-dev/web: drifted');
  assert.match(lines[2], /^ {4}spec\.template\.spec\.containers\[name=web\]\.image: "registry\.example\.com\/shop\/web:latest" → "registry\.example\.com\/shop\/web:1\.9\.0" — kubectl-set \(Update, \d{4}-\d\d-\d\dT[\d:]+Z\)$/);
  assert.equal(lines[3], '⚠ Deployment shop-dev/worker: drifted');
  // A write through /scale is recorded in managedFields (1.22+), without a time: kubectl with subresource scale.
  assert.equal(lines[4], '    spec.replicas: 1 → 3 — kubectl (Update /scale)');
  assert.deepEqual(lines.slice(5).map((l) => l.replace(/ \(.*$/, '')), ['warning: Deployment shop-dev/cache is defined twice with different content', '']);

  const json = await drift('--env', 'dev', '--format', 'json');
  assert.equal(json.code, 1);
  const report = JSON.parse(json.out);
  assert.deepEqual({ drifted: report.counts.drifted, inSync: report.counts.inSync }, { drifted: 2, inSync: devCount - 2 });
  const fields = report.results
    .filter((r: { status: string }) => r.status === 'drifted')
    .flatMap((r: { resource: { kind: string; namespace: string; name: string }; fields: { path: string; desired: unknown; live: unknown; manager: string; subresource?: string }[] }) =>
      r.fields.map((f) => [`${r.resource.kind} ${r.resource.namespace}/${r.resource.name}`, f.path, f.desired, f.live, f.manager, f.subresource ?? '-']),
    );
  assert.equal(report.exitCode, 1);
  assert.deepEqual(fields, [
    ['Deployment shop-dev/web', 'spec.template.spec.containers[name=web].image', 'registry.example.com/shop/web:latest', 'registry.example.com/shop/web:1.9.0', 'kubectl-set', '-'],
    ['Deployment shop-dev/worker', 'spec.replicas', 1, 3, 'kubectl', 'scale'],
  ]);

  const mdFile = join(scratch, 'drift.md');
  const md = await drift('--env', 'dev', '--format', 'md', '--output', mdFile);
  assert.equal(md.code, 1);
  assert.equal(md.out, '', 'the report went to --output');
  const mdText = readFileSync(mdFile, 'utf8');
  assert.ok(mdText.includes(`| ${devCount - 2} | 2 | 0 | 0 | 0 | 0 |`), mdText);
  assert.match(mdText, /^\| ⚠ \| Deployment shop-dev\/web \| `spec\.template\.spec\.containers\[name=web\]\.image: "registry\.example\.com\/shop\/web:latest" → "registry\.example\.com\/shop\/web:1\.9\.0" — kubectl-set \(Update, [^`]+\)` \|$/m);
  assert.match(mdText, /^\| ⚠ \| Deployment shop-dev\/worker \| `spec\.replicas: 1 → 3 — kubectl \(Update \/scale\)` \|$/m);
});

test('usage errors exit 2: unknown environment, bad format or strategy, no --env', async () => {
  const unknown = await drift('--env', 'qa');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^reconcile: no environment 'qa' \(found: dev, staging, prod\)\n/);
  for (const argv of [['--env', 'dev', '--format', 'sarif'], ['--env', 'dev', '--strategy', 'fast'], []]) {
    const r = await drift(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, /^reconcile: (--format must be one of text, json, md|--strategy must be one of local, server-side|drift needs --env E)/, argv.join(' '));
    assert.equal(r.out, '');
  }
});

test('an environment without a context is a usage error naming --context and .reconcile.yaml; a context the kubeconfig lacks is one line', async () => {
  const repo = join(scratch, 'no-context');
  mkdirSync(join(repo, 'apps', 'x', 'overlays', 'qa'), { recursive: true });
  writeFileSync(join(repo, 'apps', 'x', 'overlays', 'qa', 'kustomization.yaml'), 'resources: [cm.yaml]\n');
  writeFileSync(join(repo, 'apps', 'x', 'overlays', 'qa', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n');
  const r = await drift(repo, '--env', 'qa');
  assert.equal(r.code, 2);
  assert.equal(r.err.split('\n')[0], "reconcile: environment 'qa' has no cluster context: pass --context C, or set `context:` for it in .reconcile.yaml");
  // staging maps to context "staging" in .reconcile.yaml, which the harness kubeconfig does not have.
  const staging = await drift('--env', 'staging');
  assert.equal(staging.code, 2);
  assert.equal(staging.err, `reconcile: no context "staging" in the kubeconfig (${cluster.kubeconfig})\n`);
});

test('an application that fails to render: exit 2 with the render error, never "in sync"', async () => {
  const repo = join(scratch, 'broken');
  mkdirSync(join(repo, 'apps', 'x', 'overlays', 'dev'), { recursive: true });
  writeFileSync(join(repo, '.reconcile.yaml'), 'environments:\n  - name: dev\n    paths: ["apps/*/overlays/dev"]\n    context: reconcile-local\n    namespaces: [shop-dev]\n');
  writeFileSync(join(repo, 'apps', 'x', 'overlays', 'dev', 'kustomization.yaml'), 'resources: [missing.yaml]\n');
  const r = await drift(repo, '--env', 'dev');
  assert.equal(r.code, 2, r.out + r.err);
  assert.equal(r.out, '');
  assert.match(r.err, /^reconcile: dev\/x: /);
  assert.match(r.err, /missing\.yaml/);
  assert.match(r.err, /reconcile: drift of dev not checked: 1 application did not render\n$/);
});

test('an unreachable cluster is one line and exit 2', async () => {
  const port = await closedPort();
  const kubeconfig = join(scratch, 'closed.kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: closed, cluster: {server: "https://127.0.0.1:' + port + '", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: abc}}]',
      'contexts: [{name: reconcile-local, context: {cluster: closed, user: u}}]',
      'current-context: reconcile-local',
      '',
    ].join('\n'),
  );
  const r = await drift('--env', 'dev', '--kubeconfig', kubeconfig);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.equal(r.err, `reconcile: cannot read the cluster of dev (context reconcile-local): connection refused (https://127.0.0.1:${port})\n`);
  // The real server with a token it does not know: 401.
  writeFileSync(kubeconfig, readFileSync(kubeconfig, 'utf8').replace(`https://127.0.0.1:${port}`, cluster.server));
  const bad = await drift('--env', 'dev', '--kubeconfig', kubeconfig);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, `reconcile: cannot read the cluster of dev (context reconcile-local): not authorized: the credentials of this context were rejected by ${cluster.server}\n`);
});

test('RBAC: no right at all is one line; a context that may read only ConfigMaps gets the report with "no permission to read" and exit 2', async () => {
  const none = await drift('--env', 'dev', '--context', cluster.viewerContext);
  assert.equal(none.code, 2);
  assert.equal(none.out, '');
  assert.match(none.err, new RegExp(`^reconcile: cannot read the cluster of dev \\(context reconcile-local-viewer\\): no permission to read any of its ${devCount} resources \\(e\\.g\\. no permission to list [^)]+\\)\\n$`));

  await applyAll([
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'configmap-reader', namespace: 'shop-dev' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'viewer-reads-configmaps', namespace: 'shop-dev' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }] },
  ]);
  // RBAC reaches the authorizer through a watch: wait until the viewer may list ConfigMaps.
  const viewer = await connectToContext({ files: [cluster.kubeconfig], context: cluster.viewerContext });
  try {
    const cm = (await client.resolve('v1', 'ConfigMap'))!;
    for (let i = 0; ; i++) {
      const ok = await viewer.list(cm, 'shop-dev').then(() => true, () => false);
      if (ok) break;
      if (i > 50) throw new Error('the RoleBinding never took effect');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    viewer.dispose();
  }
  const some = await drift('--env', 'dev', '--context', cluster.viewerContext);
  assert.equal(some.code, 2, some.out + some.err);
  assert.equal(some.err, '');
  const lines = some.out.split('\n');
  assert.match(lines[0], /^Drift of dev \(context reconcile-local-viewer\), local comparison: \d+ resources — [1-9]\d* in sync, 0 drifted, 0 missing, [1-9]\d* unknown, 0 not in Git$/);
  assert.ok(lines.includes('? Deployment shop-dev/web: no permission to read deployments.apps'), some.out);
  assert.ok(!some.out.includes('ConfigMap shop-dev/'), 'the ConfigMaps it may read are in sync');
});
