// Rendering with the real kubectl (the release scripts/setup builds, with its kustomize) and helm 4 from scripts/setup: failures
// reported in the tool's words with the file they concern, and objects mapped back to sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import { resourcesOf } from '../../../src/core/render';
import { fixturesDir, realRenderer, repoRoot } from './golden-cases';
import { realTools } from './real-tools';

function find(m: RepoModel, id: string): Application {
  const a = m.environments.flatMap((e) => e.applications).find((x) => x.id === id);
  if (!a) throw new Error(`no application ${id}: ${m.environments.flatMap((e) => e.applications).map((x) => x.id).join(', ')}`);
  return a;
}
const rel = (root: string, p: string) => relative(root, p).split('\\').join('/');

test('tool versions are discoverable: kubectl of the built release with its kustomize v5, helm 4.1', async () => {
  const r = realRenderer();
  const k = await r.toolVersion('kustomize-or-kubectl');
  assert.ok(!('code' in k), JSON.stringify(k));
  assert.equal(k.name, 'kubectl');
  const { kubernetesVersion } = JSON.parse(readFileSync(realTools().file, 'utf8')) as { kubernetesVersion: string };
  assert.match(kubernetesVersion, /^v1\.\d+\.\d+$/);
  assert.equal(k.version?.replace(/ \(kustomize v5\.\d+\.\d+\)$/, ''), kubernetesVersion, k.version);
  const h = await r.toolVersion('helm');
  assert.ok(!('code' in h));
  assert.match(h.version ?? '', /^v4\.1\.\d+/);
});

test('kustomize render maps objects to base documents through prefixes, suffixes and namespaces, with the patches that changed them', async () => {
  const root = join(fixturesDir, 'kustomize-nested');
  const m = await discover(root);
  const r = realRenderer();
  const dev = await r.renderApplication(find(m, 'kustomize:apps/shop/overlays/dev'));
  assert.ok(dev.ok, JSON.stringify(!dev.ok && dev.error));
  assert.equal(dev.tool?.name, 'kubectl');
  const show = (res: typeof dev) =>
    Object.fromEntries(
      resourcesOf(res).map((x) => [
        `${x.id.kind}/${x.id.namespace ?? ''}/${x.id.name}`,
        [x.source ? `${rel(root, x.source.file)}:${x.source.range.start.line}` : '?', ...(x.patchedBy ?? []).map((p) => `${rel(root, p.file)}:${p.range.start.line}`)],
      ]),
    );
  // The overlay's `namespace:` (line 2) and `namePrefix:` (line 3), and common/labels' `labels:` entry
  // (line 4), change the objects they build: their lines are among the changes, after the patches.
  const overlay = ['apps/shop/overlays/dev/kustomization.yaml:2', 'apps/shop/overlays/dev/kustomization.yaml:3'];
  assert.deepEqual(show(dev), {
    'ConfigMap/shop-dev/dev-settings': ['common/labels/settings.yaml:0', 'common/labels/kustomization.yaml:4', ...overlay],
    'ConfigMap/shop-dev/dev-shop-config-m7tbbtkd9d': ['apps/shop/base/kustomization.yaml:7', ...overlay], // the configMapGenerator entry
    'Service/shop-dev/dev-shop': ['apps/shop/base/service.yaml:0', ...overlay],
    'Deployment/shop-dev/dev-shop': ['apps/shop/base/deployment.yaml:0', 'components/probe/kustomization.yaml:4', 'apps/shop/overlays/dev/replicas.yaml:0', ...overlay],
  });
  const prod = await r.renderApplication(find(m, 'kustomize:apps/shop/overlays/prod'));
  assert.ok(prod.ok);
  const prodOverlay = ['apps/shop/overlays/prod/kustomization.yaml:2', 'apps/shop/overlays/prod/kustomization.yaml:3']; // namespace, nameSuffix
  assert.deepEqual(show(prod), {
    'ConfigMap/shop-prod/settings-prod': ['common/labels/settings.yaml:0', 'common/labels/kustomization.yaml:4', 'apps/shop/overlays/prod/kustomization.yaml:15', ...prodOverlay], // inline JSON6902 with target
    'ConfigMap/shop-prod/shop-config-prod-m7tbbtkd9d': ['apps/shop/base/kustomization.yaml:7', ...prodOverlay],
    'Service/shop-prod/shop-prod': ['apps/shop/base/service.yaml:0', 'apps/shop/overlays/prod/service-patch.yaml:0', ...prodOverlay], // patchesJson6902 file
    'Deployment/shop-prod/shop-prod': ['apps/shop/base/deployment.yaml:0', 'apps/shop/overlays/prod/resources.yaml:0', ...prodOverlay], // patchesStrategicMerge
  });
  // kustomize's deprecation warnings come back as warnings, not errors
  assert.ok(prod.warnings?.some((w) => /patchesStrategicMerge.*deprecated/.test(w)), JSON.stringify(prod.warnings));
});

test('helm render maps objects to their templates (# Source comments)', async () => {
  const root = join(fixturesDir, 'helm');
  const m = await discover(root);
  const res = await realRenderer().renderApplication(find(m, 'helm:charts/web@dev'));
  assert.ok(res.ok);
  assert.equal(res.tool?.name, 'helm');
  const byKind = Object.fromEntries(res.documents.map((d) => [d.id!.kind, [d.id!.name, rel(root, d.source!.file)]]));
  assert.deepEqual(byKind, { Service: ['web-web', 'charts/web/templates/service.yaml'], Deployment: ['web-web', 'charts/web/templates/deployment.yaml'] });
  const deploy = res.documents.find((d) => d.id!.kind === 'Deployment')!.object as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(deploy.spec.template.spec.containers[0].image, 'registry.example.com/web:1.5.0-dev');
});

test('a remote base is reported clearly when rendering offline: the tool, its message, the kustomization and entry', async () => {
  const root = join(fixturesDir, 'kustomize-remote');
  const m = await discover(root);
  const t0 = performance.now();
  const res = await realRenderer().renderApplication(find(m, 'kustomize:overlays/dev'), { timeoutMs: 30_000 });
  assert.ok(!res.ok);
  assert.ok(performance.now() - t0 < 30_000);
  assert.equal(res.error.code, 'tool-failed');
  assert.equal(res.error.tool, 'kubectl');
  assert.match(res.error.message, /^kubectl kustomize failed: .*https:\/\/github\.com\/kubernetes-sigs\/kustomize\/\/examples\/helloWorld\?ref=v5\.6\.0/);
  assert.match(res.error.stderr ?? '', /helloWorld/);
  assert.equal(rel(root, res.error.file!), 'overlays/dev/kustomization.yaml');
  assert.equal(res.error.location?.range.start.line, 5);
});

test('kustomize failures name the kustomization and the entry: missing path, cycle, binary resource', async () => {
  const root = join(fixturesDir, 'kustomize-broken');
  const m = await discover(root);
  const r = realRenderer();
  const cases: Array<[string, string, number, RegExp]> = [
    ['kustomize:missing', 'missing/kustomization.yaml', 4, /does-not-exist/],
    ['kustomize:cycle/a', 'cycle/a/kustomization.yaml', 3, /cycle detected/],
    ['kustomize:binary', 'binary/data.yaml', 0, /control characters are not allowed/],
  ];
  for (const [id, file, line, msg] of cases) {
    const res = await r.renderApplication(find(m, id));
    assert.ok(!res.ok, id);
    assert.equal(res.error.code, 'tool-failed', id);
    assert.match(res.error.message, msg, id);
    assert.equal(rel(root, res.error.file!), file, id);
    assert.equal(res.error.location?.range.start.line, line, id);
  }
});

test('helm failures name the file: a template error (with line), a values file YAML error, missing dependencies', async () => {
  const root = join(fixturesDir, 'helm');
  const m = await discover(root);
  const r = realRenderer();
  const tpl = await r.renderApplication(find(m, 'helm:charts/broken-template@dev'));
  assert.ok(!tpl.ok);
  assert.equal(tpl.error.tool, 'helm');
  assert.match(tpl.error.message, /^helm template failed: broken-template\/templates\/configmap\.yaml:7:12 .*no template "no-such-template"/);
  assert.equal(rel(root, tpl.error.file!), 'charts/broken-template/templates/configmap.yaml');
  assert.deepEqual(tpl.error.location?.range.start, { line: 6, character: 11 });
  const vals = await r.renderApplication(find(m, 'helm:charts/bad-values@dev'));
  assert.ok(!vals.ok);
  assert.match(vals.error.message, /failed to parse .*values-dev\.yaml/);
  assert.equal(rel(root, vals.error.file!), 'charts/bad-values/values-dev.yaml');
  assert.equal(vals.error.location?.range.start.line, 2);
  const deps = await r.renderApplication(find(m, 'helm:charts/umbrella'));
  assert.ok(!deps.ok);
  assert.match(deps.error.message, /helm dependency build/);
  assert.equal(rel(root, deps.error.file!), 'charts/umbrella/Chart.yaml');
});

test('examples/: every application that can be rendered locally renders', async () => {
  const m = await discover(join(repoRoot, 'examples'));
  const r = realRenderer();
  const apps = m.environments.flatMap((e) => e.applications);
  assert.ok(apps.length >= 20);
  const results = await Promise.all(apps.map(async (a) => [a.id, await r.renderApplication(a)] as const));
  const failed = results.filter(([, x]) => !x.ok).map(([id, x]) => `${id}: ${!x.ok && x.error.message}`);
  assert.deepEqual(failed, []);
  for (const [, x] of results) assert.ok(x.ok && x.documents.length > 0);
});
