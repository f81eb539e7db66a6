// Flux HelmReleases whose charts are remote (a HelmRepository, an OCIRepository chartRef, a HelmChart
// chartRef), rendered with the real helm from the harness's repository and registry on 127.0.0.1.
// Rules followed: fixtures/remote-flux/README.md.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { discover, type RepoModel } from '../../../src/core/repo';
import { createRenderer } from '../../../src/core/render';
import { realTools } from '../render/real-tools';

const root = join(__dirname, '..', '..', '..');
type Repo = { url: string; oci?: string; helmEnv: Record<string, string>; stop(): Promise<void> };
let repo: Repo;
let scratch: string;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-flux-remote-'));
  const { startChartRepository } = (await import(pathToFileURL(join(root, 'test', 'harness', 'charts.mjs')).href)) as { startChartRepository(o: unknown): Promise<Repo> };
  repo = await startChartRepository({ charts: [{ dir: join(root, 'test', 'fixtures', 'remote-charts', 'web'), versions: ['0.9.1', '1.0.0', '1.2.0', '1.2.4', '1.3.0'] }], oci: true });
});

after(async () => {
  await repo?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function model(): Promise<RepoModel> {
  const dir = join(scratch, 'repo');
  cpSync(join(root, 'test', 'fixtures', 'remote-flux'), dir, { recursive: true });
  const f = join(dir, 'clusters', 'prod', 'sources.yaml');
  writeFileSync(f, readFileSync(f, 'utf8').replace('CHART_REPO_URL', repo.url).replace('OCI_REGISTRY', repo.oci!.replace(/^oci:\/\//, '')));
  return discover(dir);
}

const data = async (m: RepoModel, name: string) => {
  const app = m.environments.flatMap((e) => e.applications).find((a) => a.name === name)!;
  const cache = join(scratch, 'cache');
  const r = await createRenderer({ tools: { helm: realTools().helm }, trusted: true, env: { ...process.env, ...repo.helmEnv }, remoteCacheDir: cache }).renderApplication(app);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  const cms = r.documents.filter((d) => d.id?.kind === 'ConfigMap');
  assert.equal(cms.length, 1);
  return { app, cm: cms[0].object as { metadata: { name: string; namespace: string }; data: Record<string, string> }, crd: r.documents.some((d) => d.id?.kind === 'CustomResourceDefinition') };
};

test('HelmRelease with a HelmRepository chart and a version range: the highest match, with its values and targetNamespace', async () => {
  const m = await model();
  const { app, cm, crd } = await data(m, 'web');
  assert.equal(app.environment, 'prod');
  assert.equal(cm.metadata.name, 'shop-web-web'); // release <targetNamespace>-<name>
  assert.equal(cm.metadata.namespace, 'shop');
  assert.deepEqual(cm.data, { chartVersion: '1.2.4', message: 'from-the-helmrelease', replicas: '1' }); // ~1.2: 1.2.4, not 1.3.0
  assert.ok(crd, 'install.crds Create: crds/ rendered');
});

test('HelmRelease chartRef to an OCIRepository (ref.semver, insecure) and to a HelmChart', async () => {
  const m = await model();
  const oci = await data(m, 'web-oci');
  assert.equal(oci.cm.data.chartVersion, '1.3.0'); // >=1.0.0 <2 against the registry's tags
  assert.equal(oci.cm.metadata.name, 'web-oci-web');
  const hc = await data(m, 'web-helmchart');
  assert.equal(hc.cm.data.chartVersion, '0.9.1');
});

test('chart.spec.valuesFiles are the chart values: the chart\'s values.yaml defaults they do not set are gone', async () => {
  const { cm } = await data(await model(), 'web-valuesfiles');
  assert.deepEqual(cm.data, { chartVersion: '1.0.0', message: 'from-the-chart-values-extra', replicas: null }); // the default replicas: 1 is dropped
});
