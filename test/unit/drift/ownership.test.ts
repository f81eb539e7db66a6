// The ownership mark names the repository: repositoryIdentity() on real git repositories (remotes in
// every URL form, none, worktrees), and ownershipMark() with and without the repository annotation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markRepository, normalizeObject, ownershipMark, repositoryIdentity, REPOSITORY_ANNOTATION } from '../../../src/core/drift';

const scratch = realpathSync(mkdtempSync(join(tmpdir(), 'reconcile-ownership-')));
after(() => rmSync(scratch, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
}

function repo(name: string, remote?: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'clusters', 'prod'), { recursive: true });
  git(dir, 'init', '-q');
  if (remote) git(dir, 'remote', 'add', 'origin', remote);
  return dir;
}

test('repositoryIdentity: https, ssh and scp forms of one remote are one identity; read from any folder inside', () => {
  const https = repo('https', 'https://user:secret@GitHub.com/Org/GitOps.git');
  const scp = repo('scp', 'git@github.com:org/gitops.git');
  const ssh = repo('ssh', 'ssh://git@github.com:22/org/gitops/');
  assert.equal(repositoryIdentity(https), 'github.com/org/gitops');
  assert.equal(repositoryIdentity(join(https, 'clusters', 'prod')), 'github.com/org/gitops');
  assert.equal(repositoryIdentity(scp), 'github.com/org/gitops');
  assert.equal(repositoryIdentity(ssh), 'github.com/org/gitops');
  assert.ok(!repositoryIdentity(https).includes('secret'), 'credentials never reach the mark');
});

test('repositoryIdentity: no remote → local/<top folder name>; a local remote → its path; no repository → the folder name', () => {
  const lonely = repo('platform-config');
  assert.equal(repositoryIdentity(join(lonely, 'clusters', 'prod')), 'local/platform-config');
  const withLocal = repo('with-local', '/srv/git/shop.git');
  assert.equal(repositoryIdentity(withLocal), '/srv/git/shop');
  const plain = join(scratch, 'not-a-repo');
  mkdirSync(plain);
  // The scratch dir is under the system temp dir, which is no repository.
  assert.equal(repositoryIdentity(plain), 'local/not-a-repo');
});

test('repositoryIdentity: a linked worktree has its repository\'s identity', () => {
  const main = repo('main-wt', 'https://example.com/team/deploy.git');
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'init'], { cwd: main });
  const wt = join(scratch, 'linked-wt');
  git(main, 'worktree', 'add', '-q', wt);
  assert.equal(repositoryIdentity(wt), 'example.com/team/deploy');
});

const cm = (labels: Record<string, string>, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'x', namespace: 'prod', labels, ...(annotations ? { annotations } : {}) },
});

test('ownershipMark: another repository\'s object is never ours; an object without the annotation is judged as before', () => {
  const own = { environment: 'prod', repository: 'github.com/org/a' };
  const label = { 'reconcile.dev/environment': 'prod' };
  assert.equal(ownershipMark(cm(label, { [REPOSITORY_ANNOTATION]: 'github.com/org/a' }), own), 'label reconcile.dev/environment=prod');
  assert.equal(ownershipMark(cm(label, { [REPOSITORY_ANNOTATION]: 'github.com/org/b' }), own), undefined);
  assert.equal(ownershipMark(cm(label), own), 'label reconcile.dev/environment=prod', 'objects applied before the annotation still count');
  assert.equal(ownershipMark(cm({ 'app.kubernetes.io/instance': 'web-prod' }, { [REPOSITORY_ANNOTATION]: 'github.com/org/b' }), { ...own, argoApps: ['web-prod'] }), undefined, 'other marks too');
  // Without a repository of its own (a caller that does not know it), the annotation is not consulted.
  assert.equal(ownershipMark(cm(label, { [REPOSITORY_ANNOTATION]: 'github.com/org/b' }), { environment: 'prod' }), 'label reconcile.dev/environment=prod');
});

test('markRepository adds the annotation without changing the input; the annotation is never drift', () => {
  const o = cm({ a: 'b' }, { keep: 'me' });
  const marked = markRepository(o, { repository: 'github.com/org/a' });
  assert.deepEqual((marked.metadata as { annotations: object }).annotations, { keep: 'me', [REPOSITORY_ANNOTATION]: 'github.com/org/a' });
  assert.deepEqual(o.metadata.annotations, { keep: 'me' });
  assert.equal(markRepository(o, {}), o);
  assert.deepEqual(normalizeObject(marked, { group: '', kind: 'ConfigMap' }), normalizeObject(o, { group: '', kind: 'ConfigMap' }));
});
