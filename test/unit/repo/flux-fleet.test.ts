// Discovery of the flux-fleet fixture (Flux's documented layout): dependsOn on the model, and which
// Flux Kustomizations get a Flux build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { app, layout } from './helpers';

const root = join(__dirname, '..', '..', 'fixtures', 'flux-fleet');

test('flux-fleet: dependsOn of Kustomizations is on the applications (namespace/name, own namespace by default)', async () => {
  const m = await discover(root);
  assert.deepEqual(layout(m), { production: ['apps', 'flux-system', 'hello', 'hello-edge', 'infra-configs', 'infra-controllers', 'releases'], staging: ['apps', 'flux-system', 'greeter', 'hello', 'infra-controllers', 'minimal', 'monitoring', 'releases'] });
  assert.deepEqual(app(m, 'production', 'apps').dependsOn, ['flux-system/infra-configs']);
  assert.deepEqual(app(m, 'production', 'infra-configs').dependsOn, ['flux-system/infra-controllers']);
  assert.equal(app(m, 'production', 'infra-controllers').dependsOn, undefined);
});

test('flux-fleet: a Kustomization with no Flux field renders its kustomization as it is; one with fields gets a Flux build', async () => {
  const m = await discover(root);
  const fsys = app(m, 'production', 'flux-system').renderer;
  assert.equal(fsys.kind === 'kustomize' && fsys.flux, undefined);
  const apps = app(m, 'production', 'apps').renderer;
  assert.ok(apps.kind === 'kustomize' && apps.flux);
  assert.deepEqual(apps.flux.components, ['../components/ha']);
  assert.deepEqual(apps.flux.images, [{ name: 'ghcr.io/stefanprodan/podinfo', newTag: '6.7.1' }]);
  assert.ok(apps.flux.files.includes(join(root, 'apps/components/ha/pdb.yaml')), 'the component is copied for the build');
  assert.deepEqual(app(m, 'production', 'apps').errors, []);
});

test('flux-fleet: a HelmRelease is read as its Kustomization applies it (targetNamespace, postBuild substitution of its values)', async () => {
  const m = await discover(root);
  const g = app(m, 'staging', 'greeter').renderer;
  assert.ok(g.kind === 'helm');
  assert.equal(g.namespace, 'web-stg');
  assert.deepEqual(g.values, { replicaCount: 3, message: 'hi from staging', features: ['a', 'b'] }); // ${greeter_replicas:=1} with "3", ${greeting}
  assert.equal(g.includeCrds, undefined); // install.crds: Skip (upgrade Skip by default)
  const minimal = app(m, 'staging', 'minimal').renderer;
  assert.ok(minimal.kind === 'helm');
  assert.deepEqual(minimal.values, { message: null, features: null }); // chart defaults the valuesFiles do not set are dropped
});
