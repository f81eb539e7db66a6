import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { allApps, app, files, fixtures, layout, rel, renderer } from './helpers';

const root = join(fixtures, 'argocd');

test('argocd: Applications, ApplicationSets (list, git directories) and app of apps, by environment', async () => {
  const m = await discover(root);
  assert.deepEqual(layout(m), {
    dev: ['podinfo-dev'],
    prod: ['demo-prod', 'podinfo-prod'],
    'prod-cluster': ['guestbook', 'ingress-nginx', 'root'],
    staging: ['guestbook-staging', 'legacy-staging'],
    default: ['fleet'],
  });
});

test('argocd: helm source with valueFiles, values and parameters', async () => {
  const m = await discover(root);
  const demo = app(m, 'prod', 'demo-prod');
  assert.equal(demo.sourceKind, 'argocd');
  assert.deepEqual(renderer(m, demo), {
    kind: 'helm',
    chartDir: 'charts/demo',
    releaseName: 'demo',
    valueFiles: ['charts/demo/values-prod.yaml'],
    namespace: 'demo',
    values: { message: 'from-application' },
    set: { extra: 'a,b' },
    includeCrds: true, // helm.md "Helm --skip-crds": crds/ are rendered unless skipCrds
  });
  assert.deepEqual(demo.destination, { name: 'prod-cluster', namespace: 'demo', server: undefined });
  assert.equal(rel(m, demo.definedBy!.file), 'argocd/apps/demo.yaml');
  assert.equal(demo.definedBy!.range.start.line, 0);
  assert.ok(files(m, demo).includes('argocd/apps/demo.yaml'));
  // The chart's own per-environment app for prod is the same render: only the Argo CD one is kept.
  assert.ok(!allApps(m).some((a) => a.sourceKind === 'helm'));
});

test('argocd: kustomize source with its kustomize options applied (kustomize.md: namePrefix), remote chart pulled at render time', async () => {
  const m = await discover(root);
  const p = app(m, 'prod', 'podinfo-prod');
  assert.deepEqual(renderer(m, p), {
    kind: 'kustomize',
    dir: 'apps/podinfo/overlays/prod',
    flux: {
      root: m.root,
      files: ['apps/podinfo/base/deployment.yaml', 'apps/podinfo/base/kustomization.yaml', 'apps/podinfo/overlays/prod/kustomization.yaml'],
      label: 'Application podinfo-prod',
      namePrefix: 'prod-',
    },
  });
  assert.deepEqual(p.errors, []);
  // No second, standalone kustomize application for the same overlay.
  assert.ok(!allApps(m).some((a) => a.sourceKind === 'kustomize'));
  const nginx = app(m, 'prod-cluster', 'ingress-nginx');
  // helm.md: repoURL + chart + targetRevision is a chart of a Helm repository, rendered with `helm template`.
  assert.equal(nginx.renderer.kind, 'helm');
  assert.deepEqual(nginx.renderer.kind === 'helm' && nginx.renderer.remoteChart, { repoURL: 'https://kubernetes.github.io/ingress-nginx', chart: 'ingress-nginx', version: '4.11.0' });
  assert.equal(nginx.remote, undefined); // followed now, so not listed as "remote input (not followed)"
});

test('argocd: ApplicationSet generators — list with {{env}}, git directories with goTemplate {{.path.basename}}', async () => {
  const m = await discover(root);
  const dev = app(m, 'dev', 'podinfo-dev');
  assert.equal(dev.id, 'argocd:argocd/podinfo/podinfo-dev');
  assert.deepEqual(renderer(m, dev), { kind: 'kustomize', dir: 'apps/podinfo/overlays/dev' });
  assert.deepEqual(dev.destination, { name: 'dev-cluster', namespace: 'podinfo-dev', server: undefined });
  assert.equal(rel(m, dev.definedBy!.file), 'argocd/appsets/list.yaml');
  const gb = app(m, 'staging', 'guestbook-staging');
  assert.deepEqual(renderer(m, gb), { kind: 'plain', files: ['apps/guestbook/deployment.yaml', 'apps/guestbook/service.yaml'] });
  assert.equal(gb.namespace, 'guestbook');
  // apps/podinfo is excluded by the generator
  assert.ok(!m.environments.find((e) => e.name === 'staging')!.applications.some((a) => a.name.startsWith('podinfo')));
});

test('argocd: an unsupported generator is an explicit notice on the ApplicationSet, never silence', async () => {
  const m = await discover(root);
  const notice = m.errors.find((e) => e.code === 'unsupported' && /clusterDecisionResource/.test(e.message));
  assert.ok(notice, JSON.stringify(m.errors));
  assert.equal(rel(m, notice.location!.file), 'argocd/appsets/unsupported.yaml');
  assert.equal(notice.location!.range.start.line, 7);
  const fleet = app(m, 'default', 'fleet');
  assert.equal(fleet.renderer.kind, 'unsupported');
  assert.match(fleet.errors[0].message, /generator 'clusterDecisionResource' is not supported/);
});

test('argocd: app of apps — children link to the root Application and inherit its environment', async () => {
  const m = await discover(root);
  const rootApp = app(m, 'prod-cluster', 'root');
  assert.deepEqual(renderer(m, rootApp), { kind: 'plain', files: ['argocd/apps/demo.yaml', 'argocd/apps/guestbook.yaml'] });
  const gb = app(m, 'prod-cluster', 'guestbook'); // no environment of its own: the parent's
  assert.equal(gb.parent, rootApp.id);
  assert.equal(app(m, 'prod', 'demo-prod').parent, rootApp.id); // its own (values-prod.yaml), parent kept
});

test('argocd: destination cluster names map to kubeconfig contexts', async () => {
  const m = await discover(root, { kubeContexts: ['kind-prod-cluster', 'staging', 'ci-dev-cluster'] });
  const ctx = Object.fromEntries(m.environments.map((e) => [e.name, [e.context, e.contextSource]]));
  assert.deepEqual(ctx, {
    dev: ['ci-dev-cluster', 'argocd'],
    prod: ['kind-prod-cluster', 'argocd'],
    'prod-cluster': ['kind-prod-cluster', 'argocd'],
    staging: ['staging', 'argocd'],
    default: [undefined, undefined],
  });
});

test('argocd: template substitution — fasttemplate keys, path parameters, goTemplate fields; other expressions are reported', async () => {
  const { substitute } = await import('../../../src/core/repo/argocd');
  const unsupported = new Set<string>();
  const fast = { path: 'apps/web', 'path.basename': 'web', 'path[0]': 'apps', name: 'dev' };
  assert.deepEqual(
    substitute({ name: '{{path.basename}}-{{ name }}', p: '{{path}}', seg: '{{path[0]}}', keep: '{{unknown}}', '{{name}}-key': 1 }, fast, false, unsupported),
    { name: 'web-dev', p: 'apps/web', seg: 'apps', keep: '{{unknown}}', 'dev-key': 1 },
  );
  const go = { path: { path: 'apps/web', basename: 'web' }, env: 'prod' };
  assert.deepEqual(substitute(['{{.path.path}}', '{{ .env }}-{{.path.basename}}', '{{ upper .env }}'], go, true, unsupported), ['apps/web', 'prod-web', '{{ upper .env }}']);
  assert.deepEqual([...unsupported], ['{{ upper .env }}']);
});

test('argocd: git files generator reads each matching JSON/YAML file into parameters', async () => {
  const { promises: fs } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-appset-files-'));
  try {
    for (const [cluster, ns] of [['east', 'shop-east'], ['west', 'shop-west']]) {
      await fs.mkdir(join(tmp, 'config', cluster), { recursive: true });
      await fs.writeFile(join(tmp, 'config', cluster, 'config.json'), JSON.stringify({ cluster: { name: cluster }, namespace: ns }));
    }
    await fs.mkdir(join(tmp, 'app'));
    await fs.writeFile(join(tmp, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n');
    await fs.writeFile(
      join(tmp, 'appset.yaml'),
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: ApplicationSet',
        'metadata: {name: by-file, namespace: argocd}',
        'spec:',
        '  generators:',
        '    - git:',
        '        repoURL: https://git.example.com/x.git',
        '        revision: HEAD',
        '        files:',
        '          - path: "config/**/config.json"',
        '  template:',
        "    metadata: {name: 'app-{{cluster.name}}'}",
        '    spec:',
        '      source: {repoURL: https://git.example.com/x.git, path: app}',
        "      destination: {name: '{{cluster.name}}', namespace: '{{namespace}}'}",
        '',
      ].join('\n'),
    );
    const m = await discover(tmp);
    assert.deepEqual(layout(m), { east: ['app-east'], west: ['app-west'] });
    assert.deepEqual(app(m, 'west', 'app-west').destination, { name: 'west', namespace: 'shop-west', server: undefined });
    assert.deepEqual(m.errors, []);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
