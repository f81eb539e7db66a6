// Hooks in drift: a hook (Argo CD or Helm, Helm tests included) is never "missing" — it is created by a
// sync in its phase and deleted by its policy — and a hook object in the cluster is never "not in Git".
// Ordinary objects beside them still are, and under Flux's kustomize-controller (no hooks) the same
// annotations make nothing special. Against the fake apiserver (LIST, as `reconcile drift` reads).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectToContext, type RawObject } from '../../../src/core/cluster';
import { checkEnvironmentDrift, compareLocal, desiredFromDocuments, type DesiredObject } from '../../../src/core/drift';
import { parseManifests, resourceIdOf } from '../../../src/core/manifest';

const dir = join(__dirname, '..', '..', 'fixtures', 'hooks-drift');
const load = (f: string) => parseManifests(readFileSync(join(dir, f), 'utf8')).documents.map((d) => d.value as RawObject);
const git = load('git.yaml');
const live = load('live.yaml');
const desired = (deployer?: DesiredObject['deployer']) => desiredFromDocuments(git.map((object) => ({ object, id: resourceIdOf(object)! })), () => deployer);

let fake: { kubeconfig: string; stop(): Promise<void> };
before(async () => {
  const mod = await import(pathToFileURL(join(__dirname, '..', '..', 'harness', 'fake-apiserver.mjs')).href);
  fake = await mod.startFakeApiserver({ objects: live });
});
after(async () => {
  await fake?.stop();
});

const type = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, verbs: ['list'] };

test('a hook absent from the cluster is skipped with its phase, never missing; an ordinary object is missing', () => {
  const set = desired();
  const by = (name: string) => set.objects.find((d) => d.id.name === name)!;
  const presync = compareLocal(by('presync-marker'), { state: 'absent', type });
  assert.equal(presync.status, 'skipped');
  assert.match(presync.status === 'skipped' ? presync.reason : '', /^PreSync hook \(Argo CD, wave 0, delete policy HookSucceeded\): .*not in the cluster now/);
  const test_ = compareLocal(by('test-fixture'), { state: 'absent', type });
  assert.equal(test_.status, 'skipped');
  assert.match(test_.status === 'skipped' ? test_.reason : '', /tests, not run by sync/);
  assert.equal(compareLocal(by('app-config'), { state: 'absent', type }).status, 'missing');
});

test('environment drift: 0 missing and 0 not-in-Git for hooks; the ordinary leftover is not in Git', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig] });
  try {
    const report = await checkEnvironmentDrift(client, desired(), { environment: 'dev' });
    const status = Object.fromEntries(report.results.map((r) => [r.id.name, r.status]));
    assert.deepEqual(status, { 'app-config': 'in-sync', 'presync-marker': 'skipped', 'post-install-note': 'skipped', 'test-fixture': 'skipped' });
    assert.equal(report.counts.missing, 0);
    assert.deepEqual(report.notInGit.map((n) => n.id.name), ['leftover']);
    // The same with the server-side strategy.
    const exact = await checkEnvironmentDrift(client, desired(), { environment: 'dev', strategy: 'server-side' });
    assert.equal(exact.counts.missing, 0);
    assert.equal(exact.counts.drifted, 0, JSON.stringify(exact.results));
  } finally {
    client.dispose();
  }
});

test("under Flux's kustomize-controller the annotations are no hooks: the objects are compared as any other", async () => {
  const client = await connectToContext({ files: [fake.kubeconfig] });
  try {
    const report = await checkEnvironmentDrift(client, desired('flux-kustomize'), { environment: 'dev' });
    const status = Object.fromEntries(report.results.map((r) => [r.id.name, r.status]));
    assert.deepEqual(status, { 'app-config': 'in-sync', 'presync-marker': 'missing', 'post-install-note': 'drifted', 'test-fixture': 'missing' });
  } finally {
    client.dispose();
  }
});
