// CRD validation ratcheting on the REAL kube-apiserver (current release, test/harness/cluster.mjs): a custom
// resource that a tightened CRD schema would now reject may still be updated as long as its invalid values stay
// as they are; changing them is refused. Reconcile's plan and sync follow the server (dry-run), while the
// offline check under the cluster's schema flags the old value — the one place where the two may differ.
// Starts and stops its own cluster (≈10 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectToContext, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { desiredFromDocuments } from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import { SchemaRegistry, SchemaValidator } from '../../../src/core/schema';
import { kubeconfigFetcher, loadClusterSchemas, registerClusterSchemas } from '../../../src/core/schema/live';
import { planEnvironment, syncPlan, syncResultLine } from '../../../src/core/sync';

const root = join(__dirname, '..', '..', '..');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;
const NS = 'ratchet';

let cluster: { kubeconfig: string; context: string; server: string; token: string; caFile: string; stop(): Promise<void> };
let client: ClusterClient;
const scratch = mkdtempSync(join(tmpdir(), 'reconcile-ratchet-'));

const crd = (size: Record<string, unknown>) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.ratchet.example.com' },
  spec: {
    group: 'ratchet.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string', ...size }, replicas: { type: 'integer' } } } } } },
    }],
  },
});
const widget = (size: string, replicas: number): RawObject => ({ apiVersion: 'ratchet.example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: NS }, spec: { size, replicas } });
const envOf = (objects: RawObject[]) => ({ set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) }))), failures: [] });

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const { apiCall } = await import(harness('cluster.mjs'));
  return apiCall(cluster, method, path, body);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
}, { timeout: 120_000 });

after(async () => {
  client?.dispose();
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('a CR made invalid by a tightened CRD: the plan updates its other fields (the server ratchets), changing the invalid value fails with the server\'s words', async () => {
  // 1. A loose CRD and a Widget whose size is long.
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };
  const first = await planEnvironment(client, envOf([ns, crd({}), widget('extra-large', 1)]), { environment: 'ratchet', namespaces: [NS] });
  assert.deepEqual(first.items.map((i) => `${i.action} ${i.id.kind}`), ['create Namespace', 'create CustomResourceDefinition', 'create Widget']);
  const created = await syncPlan(client, first);
  assert.equal(created.outcome, 'success', created.results.map(syncResultLine).join('\n'));

  // 2. The CRD is tightened (as a new release of an operator would): at most 5 characters.
  const tight = crd({ maxLength: 5 });
  const tightened = await planEnvironment(client, envOf([tight]), { environment: 'ratchet', namespaces: [NS] });
  assert.equal((await syncPlan(client, tightened)).outcome, 'success');
  await until('the tightened schema is served', async () => {
    const r = await call('POST', `/apis/ratchet.example.com/v1/namespaces/${NS}/widgets?dryRun=All`, { ...widget('too-long', 1), metadata: { name: 'probe', namespace: NS } });
    return r.status === 422;
  });

  // 3. Git changes replicas only: the server accepts the update although size is now invalid (ratcheting).
  const scaled = await planEnvironment(client, envOf([widget('extra-large', 3)]), { environment: 'ratchet', namespaces: [NS] });
  const item = scaled.items[0];
  assert.equal(item.action, 'update', JSON.stringify(item.failure));
  assert.deepEqual(item.fields?.map((f) => `${f.change} ${f.path}`), ['changed spec.replicas']);
  const applied = await syncPlan(client, scaled);
  assert.equal(applied.outcome, 'success', applied.results.map(syncResultLine).join('\n'));
  const live = await call('GET', `/apis/ratchet.example.com/v1/namespaces/${NS}/widgets/w`);
  assert.deepEqual(live.json.spec, { size: 'extra-large', replicas: 3 });

  // 4. Git changes size to another invalid value: the dry-run fails with the server's message, nothing is applied.
  const resized = await planEnvironment(client, envOf([widget('still-too-long', 3)]), { environment: 'ratchet', namespaces: [NS] });
  assert.equal(resized.items[0].action, 'failed');
  assert.match(resized.items[0].failure!.serverMessage!, /spec\.size: Too long: may not be (longer|more) than 5/);

  // 5. Offline, under the cluster's schema, the unchanged old value is flagged: it would not be accepted on a create.
  const fetcher = kubeconfigFetcher(cluster.kubeconfig, cluster.context);
  const registry = new SchemaRegistry();
  await until('the tightened Widget schema in /openapi/v3', async () => {
    const schemas = await loadClusterSchemas({ fetcher, cacheDir: join(scratch, 'cache'), context: cluster.context });
    registerClusterSchemas(registry, schemas);
    const v = new SchemaValidator({ registry, learnCrds: false });
    return v.validateFile(join(scratch, 'w.yaml'), 'apiVersion: ratchet.example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { size: extra-large, replicas: 3 }\n').length > 0;
  });
  const findings = new SchemaValidator({ registry, learnCrds: false }).validateFile(join(scratch, 'w.yaml'), 'apiVersion: ratchet.example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { size: extra-large, replicas: 3 }\n');
  assert.deepEqual(findings.map((f) => f.code), ['schema/constraint']);
  fetcher.dispose();
});
