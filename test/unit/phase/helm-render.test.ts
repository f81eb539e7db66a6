// From `helm template` to phases: the real helm renders a chart's hooks and its test pod (it keeps them,
// as Argo CD's repo-server and Flux's helm-controller get them too); renderEnvironment() records which
// engine applies each application, so the same objects are Helm hooks under a Flux HelmRelease and Argo CD
// hooks under an Argo CD Application; drift never reports them missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareLocal, renderEnvironment } from '../../../src/core/drift';
import { classify, describe } from '../../../src/core/phase';
import { createRenderer } from '../../../src/core/render';
import type { Application, Environment } from '../../../src/core/repo';

const root = join(__dirname, '..', '..', '..');
const chartDir = join(root, 'test', 'fixtures', 'hooks-helm', 'chart');

function app(id: string, sourceKind: Application['sourceKind']): Application {
  return { id, name: 'hooked', environment: 'dev', sourceKind, root: chartDir, sourcePaths: [], renderer: { kind: 'helm', chartDir, releaseName: 'r', valueFiles: [] }, errors: [] };
}

async function render(a: Application) {
  const { loadTools } = await import(pathToFileURL(join(root, 'test', 'harness', 'tools.mjs')).href);
  const tools = loadTools({ require: ['helm'] });
  const env: Environment = { name: 'dev', namespaces: ['default'], protected: false, applications: [a], errors: [] };
  const rendered = await renderEnvironment(env, createRenderer({ tools: { helm: tools.helm }, trusted: true }));
  assert.deepEqual(rendered.failures.map((f) => f.error.message), []);
  return rendered.set.objects;
}

const summary = (objects: Awaited<ReturnType<typeof render>>) =>
  Object.fromEntries(objects.map((d) => [d.id.name, `${d.deployer}: ${describe(classify(d.object, d.deployer))}`]));

test('a Flux HelmRelease: Helm hooks by event and weight, the test pod not run by sync', async () => {
  const objects = await render(app('flux:clusters/dev#HelmRelease/apps/hooked', 'flux'));
  assert.deepEqual(summary(objects), {
    'r-config': 'flux-helm: Sync',
    'r-upgraded': 'flux-helm: PostSync hook (Helm, weight 0, helm.sh/hook: post-upgrade, delete policy BeforeHookCreation)',
    'r-test-connection': 'flux-helm: Test hook (Helm, weight 0, helm.sh/hook: test, delete policy BeforeHookCreation)',
    'r-db-init': 'flux-helm: PreSync hook (Helm, weight -5, helm.sh/hook: pre-install, delete policy BeforeHookCreation,HookSucceeded)',
  });
  // Not in the cluster: only the ordinary ConfigMap is missing.
  const type = { group: '', version: 'v1', kind: 'X', resource: 'x', namespaced: true, verbs: [] };
  assert.deepEqual(objects.map((d) => `${d.id.name}:${compareLocal(d, { state: 'absent', type }).status}`), ['r-config:missing', 'r-upgraded:skipped', 'r-test-connection:skipped', 'r-db-init:skipped']);
});

test('the same chart under an Argo CD Application: Helm hooks as Argo CD maps them (weight = wave)', async () => {
  const objects = await render(app('argocd:hooked', 'argocd'));
  assert.deepEqual(summary(objects), {
    'r-config': 'argocd: Sync',
    'r-upgraded': 'argocd: PostSync hook (Argo CD, wave 0, helm.sh/hook: post-upgrade, delete policy BeforeHookCreation)',
    'r-test-connection': 'argocd: Test hook (Argo CD, wave 0, helm.sh/hook: test, delete policy BeforeHookCreation)',
    'r-db-init': 'argocd: PreSync hook (Argo CD, wave -5, helm.sh/hook: pre-install, delete policy BeforeHookCreation,HookSucceeded)',
  });
});
