import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { app, files, fixtures, layout, rel, renderer } from './helpers';

const root = join(fixtures, 'flux');

test('flux + kustomize in one repo: clusters/<name> names the environment; Flux objects are not kustomize kustomizations', async () => {
  const m = await discover(root);
  assert.deepEqual(layout(m), {
    dev: ['standalone'], // a kustomize overlay no Flux object uses
    prod: ['apps', 'flux-system', 'podinfo'],
    staging: ['apps', 'flux-system', 'kube-prometheus-stack', 'monitoring-config', 'podinfo'],
  });
  const ctx = Object.fromEntries(m.environments.map((e) => [e.name, [e.context, e.contextSource]]));
  assert.deepEqual(ctx, { dev: [undefined, undefined], prod: ['prod', 'flux'], staging: ['staging', 'flux'] });
  // flux-system renders the cluster folder through its kustomization.yaml (kustomize's kind), and
  // is the parent of the Flux objects listed there.
  const fs = app(m, 'staging', 'flux-system');
  assert.equal(fs.sourceKind, 'flux');
  assert.deepEqual(renderer(m, fs), { kind: 'kustomize', dir: 'clusters/staging' });
  assert.equal(app(m, 'staging', 'apps').parent, fs.id);
  assert.equal(app(m, 'staging', 'monitoring-config').parent, fs.id);
});

test('flux: Kustomization path with a kustomization renders it with the Flux fields; without one, a kustomization is generated as Flux does', async () => {
  const m = await discover(root);
  const apps = app(m, 'staging', 'apps');
  const spec = renderer(m, apps) as { kind: string; dir: string; flux: { files: string[]; postBuild: unknown; root?: string } };
  assert.equal(spec.kind, 'kustomize');
  assert.equal(spec.dir, 'apps/staging');
  // postBuild substitution is applied by the render now (no "not applied" warning any more)
  assert.deepEqual(spec.flux.postBuild, { vars: { cluster_name: 'staging' }, unknown: [] });
  assert.ok(spec.flux.files.includes('apps/base/podinfo/podinfo-values.yaml'));
  assert.ok(files(m, apps).includes('apps/base/podinfo/podinfo-values.yaml'));
  assert.deepEqual(apps.errors, []);
  const mon = app(m, 'staging', 'monitoring-config');
  assert.deepEqual(renderer(m, mon), {
    kind: 'kustomize',
    dir: 'infrastructure/monitoring',
    flux: {
      root,
      files: ['infrastructure/monitoring/alerts.yaml', 'infrastructure/monitoring/dashboards.yaml'],
      generate: ['./alerts.yaml', './dashboards.yaml'],
      targetNamespace: 'monitoring',
      label: 'Kustomization flux-system/monitoring-config',
    },
  });
  assert.equal(mon.namespace, 'monitoring');
});

test('flux: HelmRelease with a local chart and valuesFrom ConfigMaps (generator and manifest) merged in order, then spec.values', async () => {
  const m = await discover(root);
  for (const env of ['staging', 'prod']) {
    // The HelmRelease lives in a base that both clusters include: one application per environment.
    const hr = app(m, env, 'podinfo');
    assert.equal(hr.id, `flux:apps/base/podinfo/release.yaml#HelmRelease/podinfo/podinfo@${env}`);
    assert.equal(hr.parent, app(m, env, 'apps').id);
    assert.deepEqual(renderer(m, hr), {
      kind: 'helm',
      chartDir: 'charts/podinfo',
      releaseName: 'podinfo',
      valueFiles: [],
      namespace: 'podinfo',
      includeCrds: true, // helm-controller installs crds/ by default
      values: {
        replicaCount: 2, // podinfo-values (configMapGenerator → podinfo-values.yaml)
        ui: {
          message: 'overridden-by-values-below?', // podinfo-extra (ConfigMap, valuesKey extra.yaml) wins over the first
          logo: 'https://example.com/logo.png',
          color: '#34577c', // spec.values wins over valuesFrom
        },
      },
    });
    assert.ok(files(m, hr).includes('apps/base/podinfo/podinfo-values.yaml'));
    assert.ok(files(m, hr).includes('apps/base/podinfo/extra-values.yaml'));
    assert.ok(files(m, hr).includes('charts/podinfo/templates/deployment.yaml'));
    // The optional Secret is noted, not read.
    assert.deepEqual(hr.errors.map((e) => [e.code, e.severity]), [['unsupported', 'info']]);
    assert.equal(rel(m, hr.errors[0].location!.file), 'apps/base/podinfo/release.yaml');
  }
});

test('flux: HelmRelease from a HelmRepository is a remote chart, pulled at render time (src/core/remote)', async () => {
  const m = await discover(root);
  const kps = app(m, 'staging', 'kube-prometheus-stack');
  assert.equal(kps.renderer.kind, 'helm');
  assert.deepEqual(kps.renderer.kind === 'helm' && kps.renderer.remoteChart, { repoURL: 'https://prometheus-community.github.io/helm-charts', chart: 'kube-prometheus-stack', version: '61.x' });
  assert.equal(kps.remote, undefined);
  assert.equal(kps.namespace, 'monitoring');
});

test('flux: a cluster folder name maps to a kubeconfig context when contexts are known', async () => {
  const m = await discover(root, { kubeContexts: ['kind-staging', 'admin@prod', 'prod-admin', 'dev'] });
  const ctx = Object.fromEntries(m.environments.map((e) => [e.name, [e.context, e.contextSource]]));
  assert.deepEqual(ctx, { dev: ['dev', 'kubeconfig'], prod: ['prod', 'flux'], staging: ['kind-staging', 'flux'] });
});

test('flux: a Flux Kustomization in a file named kustomization.yaml is not taken for a kustomize one', async () => {
  const { promises: fs } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-flux-named-'));
  try {
    await fs.mkdir(join(tmp, 'deploy'));
    await fs.mkdir(join(tmp, 'manifests'));
    await fs.writeFile(
      join(tmp, 'deploy', 'kustomization.yaml'),
      'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec:\n  path: ./manifests\n  sourceRef: {kind: GitRepository, name: flux-system}\n',
    );
    await fs.writeFile(join(tmp, 'manifests', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    const m = await discover(tmp);
    assert.deepEqual(layout(m), { default: ['app'] });
    const a = app(m, 'default', 'app');
    assert.equal(a.sourceKind, 'flux');
    assert.deepEqual(renderer(m, a), { kind: 'plain', files: ['manifests/cm.yaml'] });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
