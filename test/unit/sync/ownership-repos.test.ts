// Two repositories with a `prod` environment on one REAL cluster (test/harness/cluster.mjs): each
// sync marks what it applies with its repository, so neither sees the other's objects as prune
// candidates or "not in Git"; objects that carry only the old mark (the environment label) still count,
// and the repository annotation never shows as a change.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { connectToContext, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { checkEnvironmentDrift, desiredFromDocuments, REPOSITORY_ANNOTATION } from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import { planEnvironment, syncPlan, type Plan, type PlanItem } from '../../../src/core/sync';

const root = join(__dirname, '..', '..', '..');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;
const NS = 'two-repos-prod';
const REPO_A = 'github.com/org/shop-gitops';
const REPO_B = 'github.com/org/payments-gitops';

let cluster: { kubeconfig: string; context: string; stop(): Promise<void> };
let client: ClusterClient;

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
});

const prodLabel = { 'reconcile.dev/environment': 'prod' };
const ns: RawObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } };
const cm = (name: string): RawObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels: prodLabel }, data: { owner: name } });
const envOf = (objects: RawObject[]) => ({ set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) }))), failures: [] });
const keys = (plan: Plan, action: PlanItem['action']) => plan.items.filter((i) => i.action === action).map((i) => i.key).sort();
const own = (repository: string) => ({ environment: 'prod', repository });

async function sync(objects: RawObject[], repository: string): Promise<void> {
  const plan = await planEnvironment(client, envOf(objects), { environment: 'prod', ownership: own(repository), namespaces: [NS] });
  // Fields another manager owns (the legacy object's, applied as kubectl) are taken over, as after the editor's confirmation.
  const outcome = await syncPlan(client, plan, { force: plan.items.filter((i) => i.conflicts?.length).map((i) => i.key) });
  assert.equal(outcome.outcome, 'success', JSON.stringify(outcome.results.filter((r) => r.status === 'failed')));
}

async function annotationOf(name: string): Promise<unknown> {
  const type = (await client.resolve('v1', 'ConfigMap'))!;
  const o = await client.get(type, NS, name);
  return ((o.metadata as { annotations?: Record<string, unknown> }).annotations ?? {})[REPOSITORY_ANNOTATION];
}

test('two repositories with prod on one cluster: neither sees the other\'s objects as prune candidates or not in Git', async () => {
  const gitA = [ns, cm('shop-a'), cm('shop-b')];
  const gitB = [cm('payments')];
  await sync(gitA, REPO_A);
  await sync(gitB, REPO_B);
  assert.equal(await annotationOf('shop-a'), REPO_A, 'the sync marked what it applied with its repository');
  assert.equal(await annotationOf('payments'), REPO_B);

  // Each plans as unchanged: its own mark is no change, the other's objects are not its prune candidates.
  const planA = await planEnvironment(client, envOf(gitA), { environment: 'prod', ownership: own(REPO_A), namespaces: [NS] });
  assert.deepEqual(keys(planA, 'prune'), []);
  assert.deepEqual(keys(planA, 'unchanged'), [`/ConfigMap/${NS}/shop-a`, `/ConfigMap/${NS}/shop-b`, `/Namespace//${NS}`]);
  const planB = await planEnvironment(client, envOf(gitB), { environment: 'prod', ownership: own(REPO_B), namespaces: [NS] });
  assert.deepEqual(keys(planB, 'prune'), [], 'repository A\'s objects carry prod\'s label but are not B\'s');
  assert.deepEqual(keys(planB, 'unchanged'), [`/ConfigMap/${NS}/payments`]);
  // The same without the repository (how every plan was made before): B would prune A's objects.
  const blind = await planEnvironment(client, envOf(gitB), { environment: 'prod', namespaces: [NS] });
  assert.deepEqual(keys(blind, 'prune'), [`/ConfigMap/${NS}/shop-a`, `/ConfigMap/${NS}/shop-b`]);

  // Drift: not in Git is scoped the same way.
  const driftB = await checkEnvironmentDrift(client, envOf(gitB).set, { environment: 'prod', ownership: own(REPO_B), defaultNamespace: NS });
  assert.deepEqual(driftB.notInGit.map((n) => n.key), []);
  assert.deepEqual(driftB.results.map((r) => r.status), ['in-sync']);

  // A removes shop-b from Git: it is A's prune candidate, and still not B's.
  const planA2 = await planEnvironment(client, envOf([ns, cm('shop-a')]), { environment: 'prod', ownership: own(REPO_A), namespaces: [NS] });
  assert.deepEqual(keys(planA2, 'prune'), [`/ConfigMap/${NS}/shop-b`]);
  const driftA2 = await checkEnvironmentDrift(client, envOf([ns, cm('shop-a')]).set, { environment: 'prod', ownership: own(REPO_A), defaultNamespace: NS });
  assert.deepEqual(driftA2.notInGit.map((n) => n.key), [`/ConfigMap/${NS}/shop-b`]);
});

test('objects with only the old mark (the environment label, applied before the annotation) still count, and are marked when next applied', async () => {
  const legacy = { ...cm('legacy'), data: { v: '1' } };
  await client.serverSideApply(legacy, { fieldManager: 'kubectl' });
  const gitA = [ns, cm('shop-a'), cm('shop-b')];
  const planA = await planEnvironment(client, envOf(gitA), { environment: 'prod', ownership: own(REPO_A), namespaces: [NS] });
  assert.ok(keys(planA, 'prune').includes(`/ConfigMap/${NS}/legacy`), 'the label alone still marks prod\'s objects');
  const item = planA.items.find((i) => i.key === `/ConfigMap/${NS}/legacy`)!;
  assert.equal(item.ownership, 'label reconcile.dev/environment=prod');

  // Once in A's Git and synced with a change, it carries A's mark and B no longer sees it.
  await sync([...gitA, { ...legacy, data: { v: '2' } }], REPO_A);
  assert.equal(await annotationOf('legacy'), REPO_A);
  const planB = await planEnvironment(client, envOf([cm('payments')]), { environment: 'prod', ownership: own(REPO_B), namespaces: [NS] });
  assert.deepEqual(keys(planB, 'prune'), []);
});
