// Remote charts rendered with the user's own helm: Argo CD chart sources from a Helm HTTP repository and
// an OCI registry served on 127.0.0.1 by test/harness/charts.mjs; version ranges, the cache (pulled once,
// used offline and said to be), the one note when nothing can be fetched, trust, and credentials that
// never show. Each Application follows a rule of Argo CD's documentation (fixtures/argocd-remote/README.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import { createRenderer, type RenderResult } from '../../../src/core/render';
import { main } from '../../../src/cli/main';
import { realTools } from '../render/real-tools';
import { sink } from '../cli/io';

const root = join(__dirname, '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures');
type Repo = { url: string; oci?: string; helmEnv: Record<string, string>; requests: string[]; stop(): Promise<void>; stopRegistry(): Promise<void> };
const harness = async (): Promise<{ startChartRepository(o: unknown): Promise<Repo> }> => import(pathToFileURL(join(root, 'test', 'harness', 'charts.mjs')).href);

let repo: Repo;
let scratch: string;
const tools = () => realTools();

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-remote-test-'));
  const { startChartRepository } = await harness();
  repo = await startChartRepository({ charts: [{ dir: join(fixtures, 'remote-charts', 'web'), versions: ['0.9.0', '1.0.0', '1.2.0', '1.3.0-rc.1', '2.0.0'] }], oci: true });
});

after(async () => {
  await repo?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A copy of fixtures/argocd-remote with the harness's addresses written in. */
function repository(name: string, url = repo.url, oci = repo.oci!.replace(/^oci:\/\//, '')): string {
  const dir = join(scratch, name);
  cpSync(join(fixtures, 'argocd-remote'), dir, { recursive: true });
  for (const f of readdirSync(join(dir, 'apps'))) {
    const p = join(dir, 'apps', f);
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll('CHART_REPO_URL', url).replaceAll('OCI_REGISTRY', oci));
  }
  return dir;
}

function find(m: RepoModel, name: string): Application {
  const a = m.environments.flatMap((e) => e.applications).find((x) => x.name === name);
  if (!a) throw new Error(`no application ${name}`);
  return a;
}

const env = (cache: string) => ({ ...process.env, ...repo.helmEnv, RECONCILE_REMOTE_CACHE: cache });
const renderer = (cache: string, trusted = true) => createRenderer({ tools: { helm: tools().helm }, trusted, env: env(cache), remoteCacheDir: cache });

function objects(r: RenderResult): Record<string, Record<string, unknown>> {
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  return Object.fromEntries(r.documents.map((d) => [`${d.id?.kind}/${d.id?.name}`, d.object]));
}

test('a chart of a Helm repository with a version range renders the highest matching release, pulled once into the cache', async () => {
  const m = await discover(repository('range'));
  const cache = join(scratch, 'cache-range');
  const app = find(m, 'web-range');
  const tgzBefore = repo.requests.filter((p) => p.endsWith('.tgz')).length;
  const out = objects(await renderer(cache).renderApplication(app));
  const cm = out['ConfigMap/web-range-web'];
  assert.deepEqual(cm.data, { chartVersion: '1.2.0', message: 'from-the-chart-values-extra', replicas: '1' }); // >=1.0.0 <2: 1.2.0, not 1.3.0-rc.1 or 2.0.0
  assert.ok(out['CustomResourceDefinition/widgets.example.com'], 'crds/ are rendered unless skipCrds');
  assert.ok(!out['Pod/web-range-web-test'], 'skipTests leaves the test pod out');
  assert.equal(repo.requests.filter((p) => p.endsWith('.tgz')).length, tgzBefore + 1);
  // A new renderer (a new session) over the same cache: the exact version is not pulled again.
  const exact = find(m, 'web-missing');
  const r2 = await renderer(cache).renderApplication(exact);
  assert.equal((objects(r2)['ConfigMap/web-missing-web'].data as Record<string, string>).chartVersion, '1.0.0');
  const again = await renderer(cache).renderApplication(exact);
  assert.ok(again.ok);
  assert.equal(repo.requests.filter((p) => p.endsWith('web-1.0.0.tgz')).length, 1, 'pulled once');
  assert.match(again.notes?.join('\n') ?? '', /web@1\.0\.0/);
});

test('ignoreMissingValueFiles leaves a values file the chart does not have out; without it the render says which file is missing', async () => {
  const m = await discover(repository('missing'));
  const app = find(m, 'web-missing');
  const cache = join(scratch, 'cache-missing');
  assert.equal((objects(await renderer(cache).renderApplication(app))['ConfigMap/web-missing-web'].data as Record<string, string>).message, 'from-the-chart-values-extra');
  const strict = { ...app, renderer: { ...app.renderer, remoteChart: { ...(app.renderer as { remoteChart: object }).remoteChart, ignoreMissingValueFiles: false } } } as Application;
  const r = await renderer(cache).renderApplication(strict);
  assert.ok(!r.ok);
  assert.match(r.error.message, /values file "values-not-in-the-chart\.yaml" does not exist in chart .*web@1\.0\.0/);
});

test('multiple sources: $values names a file of the ref source; releaseName from helm', async () => {
  const m = await discover(repository('values-ref'));
  const app = find(m, 'web-values-ref');
  const out = objects(await renderer(join(scratch, 'cache-ref')).renderApplication(app));
  assert.deepEqual(out['ConfigMap/shop-web'].data, { chartVersion: '1.0.0', message: 'from-the-values-repository', replicas: '1' });
  assert.equal(out['ConfigMap/shop-web'].metadata && (out['ConfigMap/shop-web'].metadata as Record<string, unknown>).namespace, 'shop');
});

test('skipCrds, and value precedence: parameters > valuesObject, which replaces values', async () => {
  const m = await discover(repository('precedence'));
  const out = objects(await renderer(join(scratch, 'cache-prec')).renderApplication(find(m, 'web-skip-crds')));
  assert.deepEqual(out['ConfigMap/web-skip-crds-web'].data, { chartVersion: '2.0.0', message: 'from-values-object', replicas: '3' }); // ~2.0; no certificate: values ignored
  assert.ok(!out['CustomResourceDefinition/widgets.example.com']);
  assert.ok(out['Pod/web-skip-crds-web-test'], 'tests are rendered unless skipTests');
});

test('a chart of an OCI registry (repoURL without scheme) resolves ^1 against the registry tags', async () => {
  const m = await discover(repository('oci'));
  const app = find(m, 'web-oci');
  assert.equal(app.renderer.kind === 'helm' && app.renderer.remoteChart?.repoURL, repo.oci);
  const r = await renderer(join(scratch, 'cache-oci')).renderApplication(app);
  assert.equal((objects(r)['ConfigMap/web-oci-web'].data as Record<string, string>).chartVersion, '1.2.0');
  assert.match(r.ok ? r.notes!.join('\n') : '', /oci:\/\/127\.0\.0\.1:\d+\/charts\/web@1\.2\.0 \(sha256:/);
});

test('offline: the last pull is used and marked "cached from"; with nothing cached, one note says what and why', async () => {
  const { startChartRepository } = await harness();
  const own = await startChartRepository({ charts: [{ dir: join(fixtures, 'remote-charts', 'web'), versions: ['1.0.0', '1.1.0'] }] });
  const dir = repository('offline', own.url);
  const cache = join(scratch, 'cache-offline');
  const m = await discover(dir);
  const app = find(m, 'web-range');
  const first = await renderer(cache).renderApplication(app);
  assert.equal((objects(first)['ConfigMap/web-range-web'].data as Record<string, string>).chartVersion, '1.1.0');
  await own.stop(); // no network from here on
  const r = await renderer(cache).renderApplication(app);
  assert.equal((objects(r)['ConfigMap/web-range-web'].data as Record<string, string>).chartVersion, '1.1.0');
  assert.match(r.ok ? r.notes!.join('\n') : '', /chart .*web@1\.1\.0 cached from \d{4}-\d\d-\d\d \d\d:\d\d UTC \(not fetched now: /);
  // Nothing cached for this chart: the render is one note, naming the chart and the reason.
  const none = await renderer(join(scratch, 'cache-empty')).renderApplication(app);
  assert.ok(!none.ok);
  assert.equal(none.error.code, 'remote-unavailable');
  assert.match(none.error.message, /^could not fetch chart http:\/\/127\.0\.0\.1:\d+\/charts web@>=1\.0\.0 <2: .*(ECONNREFUSED|connection refused)/);
  // `reconcile check --env` reports it as a note, not an error (exit 0); `render` likewise.
  const out = sink();
  const err = sink();
  const code = await main(['check', dir, '--env', 'prod', '--format', 'json', '--helm', tools().helm], { out, err, env: env(join(scratch, 'cache-empty-cli')), cwd: dir });
  const findings = (JSON.parse(out.text) as Array<{ code: string; severity: string; message: string }>).filter((f) => f.code === 'render/remote-unavailable');
  assert.ok(findings.length >= 4, out.text);
  assert.ok(findings.every((f) => f.severity === 'info'), JSON.stringify(findings));
  assert.equal(code, 0, err.text + out.text);
});

test('untrusted workspace: nothing is fetched, and the note says why', async () => {
  const m = await discover(repository('untrusted'));
  const before = repo.requests.length;
  const r = await renderer(join(scratch, 'cache-untrusted'), false).renderApplication(find(m, 'web-range'));
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'remote-unavailable');
  assert.match(r.error.message, /remote sources are fetched only in trusted workspaces/);
  assert.equal(repo.requests.length, before);
});

test('credentials written in a repoURL never show: every message has them redacted', async () => {
  const { startChartRepository } = await harness();
  const locked = await startChartRepository({ charts: [{ dir: join(fixtures, 'remote-charts', 'web'), versions: ['1.0.0'] }], auth: { user: 'robot', password: 'right-horse' } });
  try {
    const secretUrl = locked.url.replace('http://', 'http://robot:Sup3r-S3cret@');
    const m = await discover(repository('secret', secretUrl));
    const texts: string[] = [];
    for (const name of ['web-range', 'web-missing']) {
      const r = await renderer(join(scratch, 'cache-secret')).renderApplication(find(m, name));
      texts.push(JSON.stringify(r));
      assert.ok(!r.ok);
      assert.match(r.error.message, /http:\/\/\*\*\*@127\.0\.0\.1/);
    }
    const out = sink();
    const err = sink();
    await main(['render', repository('secret-cli', secretUrl), '--env', 'prod', '--helm', tools().helm], { out, err, env: env(join(scratch, 'cache-secret-cli')), cwd: scratch });
    texts.push(out.text, err.text);
    for (const t of texts) {
      assert.ok(!t.includes('Sup3r-S3cret'), t);
      assert.ok(!t.includes('robot:'), t);
    }
    // The user's own credentials: the repository added to their helm (`helm repo add --username --password`)
    // is pulled by its name, so helm sends them; Reconcile neither reads nor shows them.
    const helmHome = join(scratch, 'user-helm');
    const userEnv = { ...process.env, HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_DATA_HOME: join(helmHome, 'data'), RECONCILE_REMOTE_CACHE: join(scratch, 'cache-user') };
    // (asynchronously: the repository is served by this process)
    await new Promise<void>((resolve, reject) => {
      const child = execFile(tools().helm, ['repo', 'add', 'private', locked.url, '--username', 'robot', '--password-stdin'], { env: userEnv }, (e) => (e ? reject(e) : resolve()));
      child.stdin!.end('right-horse');
    });
    const plain = await discover(repository('user-creds', locked.url));
    const r = await createRenderer({ tools: { helm: tools().helm }, trusted: true, env: userEnv, remoteCacheDir: join(scratch, 'cache-user') }).renderApplication(find(plain, 'web-range'));
    assert.equal((objects(r)['ConfigMap/web-range-web'].data as Record<string, string>).chartVersion, '1.0.0');
    assert.ok(!JSON.stringify(r).includes('right-horse'));
  } finally {
    await locked.stop();
  }
});
