// App of apps through Helm (Argo CD's cluster-bootstrapping layout, fixtures/argocd-app-of-apps/README.md):
// the parent chart is rendered with the real helm, its Applications become applications under it, a child
// that is an app of apps itself is followed too, values-*.yaml of the chart name no environment, and
// Jsonnet / config management plugin children say "not supported" instead of disappearing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover, discoverWithChildren, type Application, type RepoModel } from '../../../src/core/repo';
import { createRenderer } from '../../../src/core/render';
import { realRenderer } from '../render/golden-cases';

const root = join(__dirname, '..', '..', 'fixtures', 'argocd-app-of-apps');
const apps = (m: RepoModel) => m.environments.flatMap((e) => e.applications);
const byName = (m: RepoModel, name: string): Application => {
  const a = apps(m).find((x) => x.name === name);
  if (!a) throw new Error(`no application ${name}: ${apps(m).map((x) => `${x.environment}/${x.name}`).join(', ')}`);
  return a;
};
const rel = (p: string) => p.slice(root.length + 1);

test('the Applications an app-of-apps chart renders are its children, at the paths they name, in its environment', async () => {
  const m = await discoverWithChildren(root, { renderer: realRenderer() });
  const layout = Object.fromEntries(m.environments.map((e) => [e.name, e.applications.map((a) => a.name).sort()]));
  // values-staging.yaml of the chart makes up no 'staging'; ledger and dashboards come from values-prod.yaml.
  assert.deepEqual(layout, { prod: ['api', 'billing', 'dashboards', 'ledger', 'root', 'team', 'web'] });
  const rootApp = byName(m, 'root');
  for (const child of ['web', 'api', 'ledger', 'dashboards', 'team']) assert.equal(byName(m, child).parent, rootApp.id, child);
  assert.equal(byName(m, 'billing').parent, byName(m, 'team').id, 'a child of a child');
  const web = byName(m, 'web');
  assert.deepEqual(web.renderer.kind === 'plain' && web.renderer.files.map(rel), ['apps/web/deployment.yaml']);
  assert.equal(web.namespace, 'web');
  assert.equal(rel(web.definedBy!.file), 'charts/apps/templates/applications.yaml');
  const api = byName(m, 'api');
  assert.equal(api.renderer.kind === 'kustomize' && rel(api.renderer.dir), 'apps/api');
  // No second, standalone application for the folders the children render.
  assert.ok(!apps(m).some((a) => a.sourceKind !== 'argocd'), apps(m).map((a) => `${a.sourceKind}:${a.name}`).join(', '));
});

test('Jsonnet and config management plugin children are "not supported: <why>", never dropped', async () => {
  const m = await discoverWithChildren(root, { renderer: realRenderer() });
  const dashboards = byName(m, 'dashboards');
  assert.equal(dashboards.renderer.kind, 'unsupported');
  assert.match(dashboards.renderer.kind === 'unsupported' ? dashboards.renderer.reason : '', /^Jsonnet: Reconcile does not evaluate Jsonnet \(apps\/dashboards\/main\.jsonnet\)/);
  const billing = byName(m, 'billing');
  assert.match(billing.renderer.kind === 'unsupported' ? billing.renderer.reason : '', /config management plugin 'sops-kustomize'/);
  assert.ok(billing.errors.some((e) => /not supported: config management plugin/.test(e.message)));
});

test('without rendering the parent (discover alone) the children are unknown; the chart still makes up no environment', async () => {
  const m = await discover(root);
  assert.ok(!m.environments.some((e) => e.name === 'staging'), m.environments.map((e) => e.name).join(', '));
  assert.ok(!apps(m).some((a) => a.parent === byName(m, 'root').id));
  assert.ok(!apps(m).some((a) => a.sourceKind === 'argocd' && a.name === 'ledger'));
});

test('a parent that cannot render says its children are not shown, and why', async () => {
  const untrusted = createRenderer({ trusted: false });
  const m = await discoverWithChildren(root, { renderer: untrusted });
  const rootApp = byName(m, 'root');
  assert.ok(rootApp.errors.some((e) => /the Argo CD Applications this chart renders are not shown: it did not render \(helm is not run in an untrusted workspace/.test(e.message)), JSON.stringify(rootApp.errors));
});

test('app of apps deeper than the limit stops there and says so', async () => {
  const m = await discoverWithChildren(root, { renderer: realRenderer(), maxDepth: 1 });
  assert.deepEqual(apps(m).filter((a) => a.sourceKind === 'argocd').map((a) => a.name).sort(), ['api', 'dashboards', 'ledger', 'root', 'team', 'web']); // billing (team's child) not followed
  const team = byName(m, 'team');
  assert.ok(team.errors.some((e) => e.code === 'depth-limit' && /deeper than 1 levels/.test(e.message)), JSON.stringify(team.errors));
});

test('app of apps through kustomize: the children are the Applications as the parent renders them (patched)', async () => {
  const kroot = join(__dirname, '..', '..', 'fixtures', 'argocd-app-of-apps-kustomize');
  const m = await discoverWithChildren(kroot, { renderer: realRenderer() });
  const web = apps(m).find((a) => a.sourceKind === 'argocd' && a.name === 'web')!;
  assert.equal(web.parent, apps(m).find((a) => a.name === 'root')!.id);
  assert.equal(web.environment, 'prod');
  assert.equal(web.renderer.kind === 'kustomize' && web.renderer.dir, join(kroot, 'services/web/overlays/prod'));
  // discover alone reads the file as written
  const written = (await discover(kroot)).environments.flatMap((e) => e.applications).find((a) => a.sourceKind === 'argocd' && a.name === 'web')!;
  assert.equal(written.renderer.kind === 'kustomize' && written.renderer.dir, join(kroot, 'services/web/overlays/dev'));
});
