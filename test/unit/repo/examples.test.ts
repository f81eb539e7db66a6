// Discovers the examples/ GitOps repository (written for the demo) and checks the environments
// and applications a user would see in the Environments view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { app, files, layout, rel, renderer } from './helpers';

const root = join(__dirname, '..', '..', '..', 'examples');

test('examples/: dev, staging and prod with their applications', async () => {
  assert.ok(existsSync(join(root, '.reconcile.yaml')), 'examples/ is missing');
  const m = await discover(root);
  assert.deepEqual(layout(m), {
    dev: ['cache', 'flux-system', 'shop-api', 'shop-cache-dev', 'shop-web', 'shop-worker'],
    staging: ['cache', 'flux-system', 'policies', 'shop-api', 'shop-cache-staging', 'shop-web', 'shop-worker'],
    prod: ['cache', 'flux-system', 'policies', 'shop-api', 'shop-cache-prod', 'shop-web', 'shop-worker'],
  });
  const envs = m.environments.map((e) => [e.name, e.context, e.contextSource, e.namespaces, e.protected]);
  assert.deepEqual(envs, [
    ['dev', 'reconcile-local', 'reconcile.yaml', ['shop-dev'], false],
    ['staging', 'staging', 'reconcile.yaml', ['shop-staging'], false],
    ['prod', 'prod', 'reconcile.yaml', ['shop-prod'], true],
  ]);
  // The only model-level notice: the ApplicationSet's templatePatch is not applied.
  assert.deepEqual(m.errors.map((e) => [e.code, rel(m, e.location!.file)]), [['unsupported', 'argocd/shop-apps.applicationset.yaml']]);
});

test('examples/: each overlay is one application, defined by Flux and by the Argo CD ApplicationSet', async () => {
  const m = await discover(root);
  for (const env of ['dev', 'staging', 'prod']) {
    for (const name of ['api', 'web', 'worker']) {
      const a = app(m, env, `shop-${name}`);
      assert.equal(a.sourceKind, 'flux');
      assert.deepEqual(renderer(m, a), { kind: 'kustomize', dir: `apps/${name}/overlays/${env}` });
      assert.equal(rel(m, a.definedBy!.file), `clusters/${env}/apps.yaml`);
      assert.deepEqual(a.alsoDefinedBy?.map((l) => rel(m, l.file)), ['argocd/shop-apps.applicationset.yaml']);
      assert.equal(a.namespace, `shop-${env}`);
      assert.ok(files(m, a).includes(`apps/${name}/base/kustomization.yaml`));
      assert.deepEqual(a.errors, []);
    }
    // api/dev and every staging/prod overlay include the monitoring component
    assert.equal(files(m, app(m, env, 'shop-api')).includes('components/monitoring/pod-scrape-annotations.yaml'), true);
    assert.equal(files(m, app(m, env, 'shop-web')).includes('components/monitoring/kustomization.yaml'), env !== 'dev');
  }
});

test('examples/: the cache chart per environment, from Flux (values + valuesFrom ConfigMap) and from Argo CD', async () => {
  const m = await discover(root);
  for (const env of ['dev', 'staging', 'prod']) {
    const flux = app(m, env, 'cache');
    const r = renderer(m, flux) as { kind: string; valueFiles: string[]; namespace: string; releaseName: string; values: { podAnnotations: Record<string, string> } };
    assert.equal(r.kind, 'helm');
    assert.equal(r.releaseName, 'cache');
    assert.equal(r.namespace, `shop-${env}`);
    assert.deepEqual(r.valueFiles, ['charts/cache/values.yaml', `charts/cache/values-${env}.yaml`]);
    assert.equal(r.values.podAnnotations['shop.example.com/cluster'], `${env}-eu-1`);
    assert.ok(!files(m, flux).some((f) => /values-(dev|staging|prod)\.yaml$/.test(f) && !f.endsWith(`values-${env}.yaml`)));
    const argo = app(m, env, `shop-cache-${env}`);
    assert.equal(argo.sourceKind, 'argocd');
    assert.equal(argo.destination?.server, `https://${env}.k8s.example.com:6443`);
  }
  const prodArgo = renderer(m, app(m, 'prod', 'shop-cache-prod')) as { values: { tolerations: unknown[] } };
  assert.equal(prodArgo.values.tolerations.length, 1);
});

test('examples/: Flux parents — flux-system holds the cluster folder; policies only in staging and prod', async () => {
  const m = await discover(root);
  for (const env of ['dev', 'staging', 'prod']) {
    const fs = app(m, env, 'flux-system');
    assert.deepEqual(renderer(m, fs), { kind: 'kustomize', dir: `clusters/${env}` });
    for (const child of ['shop-api', 'cache']) assert.equal(app(m, env, child).parent, fs.id);
  }
  assert.deepEqual(renderer(m, app(m, 'prod', 'policies')), { kind: 'kustomize', dir: 'policies' });
});
