// Flux HelmReleases rendered as helm-controller installs them (real helm and kubectl): values merged
// as helm-controller merges them (chart values < chart.spec.valuesFiles < valuesFrom in order <
// spec.values), Secret values never read, kustomize postRenderers (patches and images), the chart's
// crds/ unless install.crds and upgrade.crds are Skip, targetNamespace, and values substituted by the
// postBuild of the Kustomization that applies the HelmRelease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import type { RenderResult } from '../../../src/core/render';
import { realRenderer, repoRoot } from './golden-cases';

const root = join(repoRoot, 'test', 'fixtures', 'flux-fleet');

function find(m: RepoModel, env: string, name: string): Application {
  const a = m.environments.find((e) => e.name === env)?.applications.find((x) => x.name === name);
  if (!a) throw new Error(`no application ${name} in ${env}`);
  return a;
}
type Obj = { kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: any };
function objects(r: RenderResult): Obj[] {
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  return r.documents.map((d) => d.object as unknown as Obj);
}
const env = (dep: Obj) => Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));

test('flux HelmRelease: valuesFrom ConfigMaps in order then spec.values, Secret left out (said), post-renderer patch and image, crds/ included by default', async () => {
  const m = await discover(root);
  const a = find(m, 'production', 'hello');
  assert.ok(a.errors.some((e) => /Secret 'hello-secret-values' are never read/.test(e.message)), JSON.stringify(a.errors));
  const objs = objects(await realRenderer().renderApplication(a));
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['CustomResourceDefinition/widgets.example.com', 'Deployment/hello', 'Service/hello']);
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  assert.equal(dep.spec.replicas, 2); // valuesFrom[0] (values.yaml of hello-values)
  assert.deepEqual(env(dep), { MESSAGE: 'from-second-configmap-key', FEATURES: 'from-configmap' }); // valuesFrom[2] wins over [0]; lists replaced
  assert.equal(dep.spec.template.spec.containers[0].image, 'registry.example.com/hello:1.2.0'); // spec.values tag, post-renderer newName
  assert.equal(dep.metadata.annotations?.['example.com/post-rendered'], 'true'); // post-renderer patch
  assert.equal(objs.find((o) => o.kind === 'Service')!.metadata.namespace, 'web'); // the Kustomization's targetNamespace
});

test('flux HelmRelease: install.crds Skip (upgrade Skip) leaves crds/ out; its own targetNamespace names the release', async () => {
  const m = await discover(root);
  const objs = objects(await realRenderer().renderApplication(find(m, 'production', 'hello-edge')));
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort(), ['Deployment//edge-hello-edge', 'Service/edge/edge-hello-edge']);
  assert.equal(env(objs.find((o) => o.kind === 'Deployment')!).MESSAGE, 'edge');
});

test('flux HelmRelease: chart valuesFiles, valuesFrom targetPath, CreateReplace CRDs, and values substituted by the parent Kustomization postBuild', async () => {
  const m = await discover(root);
  const hello = objects(await realRenderer().renderApplication(find(m, 'staging', 'hello')));
  assert.ok(hello.some((o) => o.kind === 'CustomResourceDefinition'));
  const dep = hello.find((o) => o.kind === 'Deployment')!;
  assert.equal(dep.spec.replicas, 2); // values-staging.yaml
  assert.equal(env(dep).MESSAGE, 'from-target-path'); // valuesFrom targetPath over the values file
  assert.equal(dep.spec.template.spec.containers[0].image, 'ghcr.io/example/hello:1.3.0-rc.1');
  const greeter = objects(await realRenderer().renderApplication(find(m, 'staging', 'greeter')));
  const g = greeter.find((o) => o.kind === 'Deployment')!;
  assert.equal(g.metadata.name, 'greeter-stg');
  assert.equal(g.spec.replicas, 3); // ${greeter_replicas:=1} → "3" → 3
  assert.deepEqual(env(g), { MESSAGE: 'hi from staging', FEATURES: 'a,b' });
  assert.ok(!greeter.some((o) => o.kind === 'CustomResourceDefinition'));
});

test('flux HelmRelease: chart.spec.valuesFiles without values.yaml replace the chart defaults (as source-controller packages the chart)', async () => {
  const m = await discover(root);
  const objs = objects(await realRenderer().renderApplication(find(m, 'staging', 'minimal')));
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  assert.equal(dep.spec.template.spec.containers[0].image, 'ghcr.io/example/hello:0.9.0');
  assert.deepEqual(env(dep), { MESSAGE: null, FEATURES: '' }); // values.yaml's message and features do not apply (`quote` of nothing prints nothing)
});
