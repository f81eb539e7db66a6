// Hooks and phases against the REAL kube-apiserver (test/harness/cluster.mjs, no controller manager):
// an environment with a PreSync ConfigMap hook (HookSucceeded), wave -1, 0 and 1 resources, PostSync
// hooks (a ConfigMap with Argo CD's default BeforeHookCreation, a Job with HookSucceeded), a SyncFail
// hook and a Helm test hook. The writes the sync sends are recorded by the counting client, in order;
// then drift: 0 missing (the PreSync hook that HookSucceeded deleted included), hooks never not-in-Git
// and never prune candidates, while an ordinary labelled leftover is both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectToContext, isClusterError, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { checkEnvironmentDrift, desiredFromDocuments } from '../../../src/core/drift';
import { parseManifests, resourceIdOf } from '../../../src/core/manifest';
import { CountingClient, planEnvironment, planText, syncPlan } from '../../../src/core/sync';

const root = join(__dirname, '..', '..', '..');
const dir = join(root, 'test', 'fixtures', 'hooks-sync');
const NS = 'hooks-real';
const ownership = { environment: 'hooks' };

function load(...files: string[]): RawObject[] {
  return files.flatMap((f) => parseManifests(readFileSync(join(dir, f), 'utf8').replace(/namespace: NS/g, `namespace: ${NS}`)).documents.map((d) => d.value as RawObject));
}
const envOf = (objects: RawObject[]) => ({ set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object)! }))), failures: [] });
const named = (objects: RawObject[], ...drop: string[]) => objects.filter((o) => !drop.includes(String((o.metadata as { name: string }).name)));

let cluster: { kubeconfig: string; context: string; stop(): Promise<void> };
let client: ClusterClient;

before(async () => {
  const { startCluster } = await import(pathToFileURL(join(root, 'test', 'harness', 'cluster.mjs')).href);
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  await client.serverSideApply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, { fieldManager: 'test' });
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
});

async function exists(apiVersion: string, kind: string, name: string): Promise<boolean> {
  const type = (await client.resolve(apiVersion, kind))!;
  try {
    await client.get(type, NS, name);
    return true;
  } catch (e) {
    if (isClusterError(e) && e.kind === 'not-found') return false;
    throw e;
  }
}

test('sync runs PreSync, waves -1/0/1, PostSync in order on the real apiserver; drift after it: 0 missing, hooks never not-in-Git', async () => {
  const objects = load('argo.yaml', 'argo-job.yaml');
  const plan = await planEnvironment(client, envOf(objects), { environment: 'hooks', ownership });
  assert.deepEqual(plan.items.map((i) => `${i.action} ${i.phase}:${i.wave} ${i.id.kind}/${i.id.name}`), [
    'create PreSync:0 ConfigMap/pre-hook',
    'create Sync:-1 ConfigMap/first',
    'create Sync:0 ConfigMap/middle',
    'create Sync:1 ConfigMap/last',
    'create PostSync:0 ConfigMap/post-hook',
    'create PostSync:0 Job/smoke-test',
    'create SyncFail:0 ConfigMap/fail-hook',
    'skip Test:0 ConfigMap/test-hook',
  ]);
  const text = planText(plan);
  for (const heading of ['PreSync', 'Sync, wave -1', 'Sync, wave 0', 'Sync, wave 1', 'PostSync', 'SyncFail (only when the sync fails)', 'Tests, not run by sync']) {
    assert.ok(text.includes(`\n  ${heading}\n`), `${heading} in\n${text}`);
  }

  const counting = new CountingClient(client);
  const outcome = await syncPlan(counting, plan);
  assert.equal(outcome.outcome, 'success', outcome.reason);
  assert.deepEqual(counting.writes, [
    `apply ConfigMap ${NS}/pre-hook`,
    `delete ConfigMap ${NS}/pre-hook`,
    `apply ConfigMap ${NS}/first`,
    `apply ConfigMap ${NS}/middle`,
    `apply ConfigMap ${NS}/last`,
    `apply ConfigMap ${NS}/post-hook`,
    `apply Job ${NS}/smoke-test`,
  ]);
  assert.ok(outcome.notes.includes('wave -1 applied; health is not checked yet, so wave 0 starts when the apply returns'), outcome.notes.join('\n'));
  assert.ok(outcome.notes.includes('wave 1 applied; health is not checked yet, so PostSync starts when the apply returns'), outcome.notes.join('\n'));
  const r = (name: string) => outcome.results.find((x) => x.id.name === name)!;
  assert.match(r('smoke-test').message ?? '', /not deleted after success \(HookSucceeded\): whether the Job succeeded is not checked yet \(no health\)/);
  assert.deepEqual(
    await Promise.all([['v1', 'ConfigMap', 'pre-hook'], ['v1', 'ConfigMap', 'post-hook'], ['batch/v1', 'Job', 'smoke-test'], ['v1', 'ConfigMap', 'fail-hook'], ['v1', 'ConfigMap', 'test-hook']].map(([a, k, n]) => exists(a, k, n))),
    [false, true, true, false, false],
  );

  // Drift right after the sync: the hooks HookSucceeded deleted and those never run are not missing.
  for (const strategy of ['local', 'server-side'] as const) {
    const report = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'hooks', ownership, strategy });
    assert.equal(report.counts.missing, 0, `${strategy}: ${JSON.stringify(report.results.filter((x) => x.status === 'missing'))}`);
    assert.equal(report.counts.drifted, 0, strategy);
    assert.deepEqual(Object.fromEntries(report.results.map((x) => [x.id.name, x.status])), {
      'pre-hook': 'skipped',
      first: 'in-sync',
      middle: 'in-sync',
      last: 'in-sync',
      'post-hook': 'skipped',
      'fail-hook': 'skipped',
      'test-hook': 'skipped',
      'smoke-test': 'skipped',
    });
    assert.deepEqual(report.notInGit, [], strategy);
  }

  // Git drops the PostSync hooks and `last`: the hook objects left in the cluster are neither not-in-Git
  // nor prune candidates; `last`, an ordinary object with the environment's label, is both.
  const fewer = named(objects, 'post-hook', 'smoke-test', 'last');
  const report = await checkEnvironmentDrift(client, envOf(fewer).set, { environment: 'hooks', ownership });
  assert.deepEqual(report.notInGit.map((n) => n.id.name), ['last']);
  const prunePlan = await planEnvironment(client, envOf(fewer), { environment: 'hooks', ownership });
  assert.deepEqual(prunePlan.items.filter((i) => i.action === 'prune').map((i) => i.id.name), ['last']);
});

test('a second sync: the PreSync hook is created again, the PostSync ConfigMap deleted first (BeforeHookCreation), the named Job left as it is', async () => {
  const objects = load('argo.yaml', 'argo-job.yaml');
  const plan = await planEnvironment(client, envOf(objects), { environment: 'hooks', ownership });
  const action = (name: string) => plan.items.find((i) => i.id.name === name)!.action;
  assert.deepEqual(['pre-hook', 'post-hook', 'smoke-test', 'first', 'middle', 'last'].map(action), ['create', 'create', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
  const counting = new CountingClient(client);
  const outcome = await syncPlan(counting, plan);
  assert.equal(outcome.outcome, 'success', outcome.reason);
  assert.deepEqual(counting.writes, [`apply ConfigMap ${NS}/pre-hook`, `delete ConfigMap ${NS}/pre-hook`, `delete ConfigMap ${NS}/post-hook`, `apply ConfigMap ${NS}/post-hook`]);
  const report = await checkEnvironmentDrift(client, envOf(objects).set, { environment: 'hooks', ownership });
  assert.equal(report.counts.missing, 0);
});
