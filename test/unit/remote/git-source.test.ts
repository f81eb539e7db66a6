// Argo CD sources in another Git repository, cloned with the user's git into the cache and rendered by
// what their folder holds (fixtures/argocd-other-repo/README.md cites the rule each follows). The other
// repository is a real Git repository on disk, named by a file:// URL: no network.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import { createRenderer, type RenderResult } from '../../../src/core/render';
import { realTools } from '../render/real-tools';

const fixture = join(__dirname, '..', '..', 'fixtures', 'argocd-other-repo');
let scratch: string;
let other: string;
let here: string;

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd }).toString();

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-git-source-'));
  other = join(scratch, 'other');
  cpSync(join(fixture, 'other'), other, { recursive: true });
  git(other, 'init', '-q', '-b', 'main');
  git(other, 'add', '-A');
  git(other, 'commit', '-q', '-m', 'v1');
  git(other, 'tag', 'v1');
  git(other, 'tag', 'v1.0.3');
  // main moves on after the tag
  const dep = join(other, 'guestbook-kustomize', 'deployment.yaml');
  writeFileSync(dep, readFileSync(dep, 'utf8').replace('guestbook:1.0.0', 'guestbook:2.0.0'));
  git(other, 'commit', '-q', '-am', 'v2');
  git(other, 'tag', 'v1.1.0');
  here = repository('here', `file://${other}`);
});

after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of this/ as a Git clone whose origin is not the other repository. */
function repository(name: string, url: string): string {
  const dir = join(scratch, name);
  cpSync(join(fixture, 'this'), dir, { recursive: true });
  for (const f of [join(dir, 'argocd', 'apps.yaml'), join(dir, 'clusters', 'prod', 'other-repo.yaml')]) writeFileSync(f, readFileSync(f, 'utf8').replaceAll('OTHER_REPO_URL', url));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'remote', 'add', 'origin', 'https://git.example.com/platform/gitops.git');
  return dir;
}

const find = (m: RepoModel, name: string): Application => m.environments.flatMap((e) => e.applications).find((a) => a.name === name)!;
const renderer = (cache: string, trusted = true) => createRenderer({ trusted, tools: { kubectl: realTools().kubectl, helm: realTools().helm }, env: process.env, remoteCacheDir: cache });
function ok(r: RenderResult): Extract<RenderResult, { ok: true }> {
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  return r;
}

test('a kustomization of another repository at a tag, with the source kustomize options', async () => {
  const m = await discover(here);
  const app = find(m, 'guestbook');
  assert.equal(app.renderer.kind, 'unsupported');
  assert.equal(app.renderer.kind === 'unsupported' && app.renderer.remoteGit?.revision, 'v1');
  const r = ok(await renderer(join(scratch, 'cache')).renderApplication(app));
  const d = r.documents[0].object as { metadata: { name: string }; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(d.metadata.name, 'prod-guestbook');
  assert.equal(d.spec.template.spec.containers[0].image, 'registry.example.com/guestbook:1.0.0'); // v1, not main
  assert.match(r.notes!.join('\n'), /other \(guestbook-kustomize\) at v1: commit [0-9a-f]{12}/);
});

test('a semver constraint on tags: the highest matching tag', async () => {
  const r = ok(await renderer(join(scratch, 'cache')).renderApplication(find(await discover(here), 'guestbook-semver')));
  const d = r.documents[0].object as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
  assert.equal(d.spec.template.spec.containers[0].image, 'registry.example.com/guestbook:1.0.0'); // v1.0.3, not v1.1.0
});

test('a folder of manifests of another repository: recurse and exclude', async () => {
  const r = ok(await renderer(join(scratch, 'cache')).renderApplication(find(await discover(here), 'manifests')));
  assert.deepEqual(r.documents.map((d) => d.id?.name).sort(), ['a', 'b']);
});

test("a chart of another repository with its own values file and a $values file of this repository", async () => {
  const r = ok(await renderer(join(scratch, 'cache')).renderApplication(find(await discover(here), 'web')));
  assert.deepEqual((r.documents[0].object as { data: unknown }).data, { message: 'from-this-repository', tier: 'prod' });
});

test('Flux: a Kustomization of another repository (generated kustomization, targetNamespace, namePrefix) at a tag', async () => {
  const app = find(await discover(here), 'other-manifests');
  assert.equal(app.renderer.kind === 'unsupported' && app.renderer.remoteGit?.revision, 'v1');
  const r = ok(await renderer(join(scratch, 'cache')).renderApplication(app));
  assert.deepEqual(r.documents.map((d) => `${d.id?.namespace}/${d.id?.name}`).sort(), ['team-a/a-a', 'team-a/a-b', 'team-a/a-skip-me']);
});

test('Flux: a HelmRelease of a chart in another repository, valuesFiles as paths in the source', async () => {
  const r = ok(await renderer(join(scratch, 'cache')).renderApplication(find(await discover(here), 'other-web')));
  const cm = r.documents[0].object as { metadata: { name: string; namespace: string }; data: unknown };
  assert.equal(cm.metadata.name, 'team-a-other-web');
  assert.deepEqual(cm.data, { message: 'from-values-prod', tier: 'from-the-helmrelease' });
});

test('offline: the last fetch is used and marked; with nothing fetched, one note; untrusted: not fetched', async () => {
  const cache = join(scratch, 'cache-offline');
  const m = await discover(here);
  ok(await renderer(cache).renderApplication(find(m, 'manifests')));
  const moved = `${other}-away`;
  renameSync(other, moved);
  try {
    const r = ok(await renderer(cache).renderApplication(find(m, 'manifests')));
    assert.match(r.notes!.join('\n'), /cached from \d{4}-\d\d-\d\d \d\d:\d\d UTC \(not fetched now: /);
    const none = await renderer(join(scratch, 'cache-none')).renderApplication(find(m, 'manifests'));
    assert.ok(!none.ok && none.error.code === 'remote-unavailable', JSON.stringify(none));
    assert.match(none.error.message, /^could not fetch file:\/\/.*other \(manifests\) at main: /);
  } finally {
    renameSync(moved, other);
  }
  const untrusted = await renderer(join(scratch, 'cache-u'), false).renderApplication(find(m, 'manifests'));
  assert.ok(!untrusted.ok && /remote sources are fetched only in trusted workspaces/.test(untrusted.error.message));
});

test('credentials in the repoURL never show', async () => {
  const dir = repository('secret', 'https://robot:Sup3r-S3cret@127.0.0.1:9/platform/other.git');
  const m = await discover(dir);
  const app = find(m, 'manifests');
  assert.ok(!JSON.stringify(app.renderer.kind === 'unsupported' && app.renderer.reason).includes('Sup3r-S3cret'));
  const r = await renderer(join(scratch, 'cache-secret')).renderApplication(app);
  assert.ok(!r.ok);
  assert.ok(!JSON.stringify(r).includes('Sup3r-S3cret'), JSON.stringify(r));
  assert.match(r.error.message, /https:\/\/\*\*\*@127\.0\.0\.1:9/);
});

test("Flux multi-tenancy: a tenant's Kustomization of the tenant's own repository renders its objects into the tenant namespace", async () => {
  const mt = join(__dirname, '..', '..', 'fixtures', 'flux-multi-tenancy');
  const tenant = join(scratch, 'dev-team');
  cpSync(join(mt, 'dev-team'), tenant, { recursive: true });
  git(tenant, 'init', '-q', '-b', 'main');
  git(tenant, 'add', '-A');
  git(tenant, 'commit', '-q', '-m', 'podinfo for staging');
  const platform = join(scratch, 'platform');
  cpSync(join(mt, 'platform'), platform, { recursive: true });
  const sync = join(platform, 'tenants', 'base', 'dev-team', 'sync.yaml');
  writeFileSync(sync, readFileSync(sync, 'utf8').replace('TENANT_REPO_URL', `file://${tenant}`));
  git(platform, 'init', '-q', '-b', 'main');
  git(platform, 'remote', 'add', 'origin', 'https://git.example.com/platform/fleet.git');
  const m = await discover(platform);
  const app = find(m, 'dev-team');
  assert.ok(app, `the tenant's Kustomization is an application: ${m.environments.flatMap((e) => e.applications.map((a) => a.name)).join(', ')}`);
  assert.equal(app.environment, 'staging');
  const r = ok(await renderer(join(scratch, 'mt-cache')).renderApplication(app));
  assert.deepEqual(r.documents.map((d) => `${d.id?.kind} ${d.id?.namespace}/${d.id?.name}`).sort(), ['Deployment apps/podinfo', 'Service apps/podinfo']);
});
