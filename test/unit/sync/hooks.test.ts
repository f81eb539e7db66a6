// Hooks and phases in the plan and the sync (against the fake apiserver; the same against the real
// kube-apiserver in hooks-real-cluster.test.ts): PreSync hooks, then the Sync phase wave by wave, then
// PostSync; SyncFail only when the sync fails; Helm tests never; BeforeHookCreation and HookSucceeded
// honoured; Helm's install/upgrade events; notes that say health is not checked between waves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClusterError, connectToContext, type ApplyOptions, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { desiredFromDocuments, type DesiredObject } from '../../../src/core/drift';
import { parseManifests, resourceIdOf } from '../../../src/core/manifest';
import { CountingClient, phaseGroups, planEnvironment, planJson, planText, syncPlan, type Plan } from '../../../src/core/sync';

const dir = join(__dirname, '..', '..', 'fixtures', 'hooks-sync');
const NS = 'default';

function env(file: string, deployer?: DesiredObject['deployer']) {
  const objects = parseManifests(readFileSync(join(dir, file), 'utf8').replace(/namespace: NS/g, `namespace: ${NS}`)).documents.map((d) => d.value as RawObject);
  return { set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object)! })), () => deployer), failures: [] };
}

/** The counting client records every write (dry-runs left out); this one can also refuse one apply. */
class Recorder extends CountingClient {
  constructor(inner: ClusterClient, private readonly failApply?: string) {
    super(inner);
  }
  get log(): string[] {
    return this.writes.map((w) => w.replace(` ${NS}/`, '/'));
  }
  override async serverSideApply(obj: RawObject, opts: ApplyOptions): Promise<RawObject> {
    const name = String((obj.metadata as { name: string }).name);
    if (!opts.dryRun && name === this.failApply) {
      this.writes.push(`apply ${String(obj.kind)} ${NS}/${name}`);
      throw new ClusterError('invalid', `rejected by the server: ${name} is refused by this test`, { status: 422, reason: 'Invalid' });
    }
    return super.serverSideApply(obj, opts);
  }
}

let fake: { kubeconfig: string; stop(): Promise<void> };
let client: ClusterClient;
before(async () => {
  const mod = await import(pathToFileURL(join(__dirname, '..', '..', 'harness', 'fake-apiserver.mjs')).href);
  fake = await mod.startFakeApiserver({ objects: [] });
  client = await connectToContext({ files: [fake.kubeconfig] });
});
after(async () => {
  client?.dispose();
  await fake?.stop();
});

const names = (plan: Plan, action: string) => plan.items.filter((i) => i.action === action).map((i) => i.id.name);

test('Argo CD: plan lists hooks under their phase; sync runs PreSync, waves -1, 0, 1, PostSync; SyncFail and tests not run', async () => {
  const plan = await planEnvironment(client, env('argo.yaml'), { environment: 'hooks' });
  assert.deepEqual(plan.items.filter((i) => i.action !== 'prune').map((i) => `${i.phase}:${i.wave}:${i.id.name}`), [
    'PreSync:0:pre-hook',
    'Sync:-1:first',
    'Sync:0:middle',
    'Sync:1:last',
    'PostSync:0:post-hook',
    'SyncFail:0:fail-hook',
    'Test:0:test-hook',
  ]);
  assert.deepEqual(names(plan, 'skip'), ['test-hook']);
  assert.equal(plan.counts.skip, 1);
  assert.deepEqual(phaseGroups(plan).map((g) => `${g.title}: ${g.items.map((i) => i.id.name).join(',')}`), [
    'PreSync: pre-hook',
    'Sync, wave -1: first',
    'Sync, wave 0: middle',
    'Sync, wave 1: last',
    'PostSync: post-hook',
    'SyncFail (only when the sync fails): fail-hook',
    'Tests, not run by sync: test-hook',
  ]);
  const text = planText(plan);
  assert.match(text, /PreSync\n {4}\+ ConfigMap default\/pre-hook — PreSync hook \(Argo CD, wave 0, delete policy HookSucceeded\)/);
  assert.match(text, /Tests, not run by sync\n {4}⊘ ConfigMap default\/test-hook — Test hook .*\n {8}.*tests, not run by sync/);
  assert.equal(JSON.parse(planJson(plan)).items.find((i: { key: string }) => i.key.endsWith('/pre-hook')).hook.deletePolicy[0], 'HookSucceeded');

  const rec = new Recorder(client);
  const outcome = await syncPlan(rec, plan);
  assert.equal(outcome.outcome, 'success', outcome.reason);
  assert.deepEqual(rec.log, ['apply ConfigMap/pre-hook', 'delete ConfigMap/pre-hook', 'apply ConfigMap/first', 'apply ConfigMap/middle', 'apply ConfigMap/last', 'apply ConfigMap/post-hook']);
  assert.deepEqual(outcome.notes, [
    'PreSync applied; hook completion (health) is not checked yet, so wave -1 starts when the apply returns',
    'wave -1 applied; health is not checked yet, so wave 0 starts when the apply returns',
    'wave 0 applied; health is not checked yet, so wave 1 starts when the apply returns',
    'wave 1 applied; health is not checked yet, so PostSync starts when the apply returns',
  ]);
  const r = (name: string) => outcome.results.find((x) => x.id.name === name)!;
  assert.match(r('pre-hook').message ?? '', /deleted after it succeeded \(HookSucceeded/);
  assert.equal(r('fail-hook').status, 'skipped');
  assert.match(r('fail-hook').message ?? '', /only when the sync fails/);
  assert.equal(r('test-hook').status, 'skipped');

  // Again: the PreSync hook is created again (it was deleted); the PostSync hook in the cluster is deleted
  // first (BeforeHookCreation, Argo CD's default) and created again; the rest is unchanged.
  const again = await planEnvironment(client, env('argo.yaml'), { environment: 'hooks' });
  assert.deepEqual(names(again, 'create'), ['pre-hook', 'post-hook', 'fail-hook']);
  assert.match(again.items.find((i) => i.id.name === 'post-hook')!.note ?? '', /deleted first \(BeforeHookCreation\)/);
  assert.deepEqual(names(again, 'prune'), [], 'hooks in the cluster are never prune candidates');
  const rec2 = new Recorder(client);
  const second = await syncPlan(rec2, again);
  assert.equal(second.outcome, 'success', second.reason);
  assert.deepEqual(rec2.log, ['apply ConfigMap/pre-hook', 'delete ConfigMap/pre-hook', 'delete ConfigMap/post-hook', 'apply ConfigMap/post-hook']);
});

test('Argo CD: a failure in the Sync phase stops the later waves and PostSync, and runs the SyncFail hook', async () => {
  const plan = await planEnvironment(client, env('argo.yaml'), { environment: 'hooks' });
  // Make every object a change, so that the Sync phase applies again.
  for (const i of plan.items) if (i.action === 'unchanged') i.action = 'update';
  const rec = new Recorder(client, 'middle');
  const outcome = await syncPlan(rec, plan);
  assert.equal(outcome.outcome, 'partial');
  assert.deepEqual(rec.log, ['apply ConfigMap/pre-hook', 'delete ConfigMap/pre-hook', 'apply ConfigMap/first', 'apply ConfigMap/middle', 'apply ConfigMap/fail-hook', 'delete ConfigMap/fail-hook']);
  const r = (name: string) => outcome.results.find((x) => x.id.name === name)!;
  assert.equal(r('middle').status, 'failed');
  assert.equal(r('last').status, 'skipped');
  assert.match(r('post-hook').message ?? '', /PostSync hooks run only after a successful sync/);
  assert.equal(r('fail-hook').status, 'applied');
  assert.ok(outcome.notes.includes('the sync failed at ConfigMap middle: SyncFail hooks run'), outcome.notes.join('\n'));
});

test('Helm (Flux helm-controller): install runs pre-install hooks by weight, upgrade runs pre-upgrade ones', async () => {
  const install = await planEnvironment(client, env('helm.yaml', 'flux-helm'), { environment: 'helm' });
  assert.deepEqual(install.items.filter((i) => i.action !== 'prune').map((i) => `${i.action}:${i.phase}:${i.wave}:${i.id.name}`), [
    'create:PreSync:-1:both',
    'create:PreSync:2:install-only',
    'create:Sync:0:release-config',
    'create:PostSync:0:after',
    'skip:PreSync:0:upgrade-only',
  ]);
  assert.match(install.items.find((i) => i.id.name === 'upgrade-only')!.note ?? '', /Helm does not run it on an install/);
  const rec = new Recorder(client);
  const first = await syncPlan(rec, install);
  assert.equal(first.outcome, 'success', first.reason);
  assert.deepEqual(rec.log, ['apply ConfigMap/both', 'delete ConfigMap/both', 'apply ConfigMap/install-only', 'apply ConfigMap/release-config', 'apply ConfigMap/after']);

  const upgrade = await planEnvironment(client, env('helm.yaml', 'flux-helm'), { environment: 'helm' });
  assert.deepEqual(upgrade.items.filter((i) => i.action !== 'prune').map((i) => `${i.action}:${i.phase}:${i.id.name}`), [
    'create:PreSync:both',
    'create:PreSync:upgrade-only',
    'unchanged:Sync:release-config',
    'create:PostSync:after',
    'skip:PreSync:install-only',
  ]);
  const rec2 = new Recorder(client);
  const second = await syncPlan(rec2, upgrade);
  assert.equal(second.outcome, 'success', second.reason);
  assert.deepEqual(rec2.log, ['apply ConfigMap/both', 'delete ConfigMap/both', 'apply ConfigMap/upgrade-only', 'delete ConfigMap/after', 'apply ConfigMap/after']);
});
