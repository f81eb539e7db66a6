// Revert on real temporary repositories: a new commit undoes the old one (history kept); a dirty tree
// is refused and left alone; stash then revert; a conflict is left for the merge editor and then
// aborted (exactly the previous state) or continued; merges, empty reverts and failures that must
// not leave a half-reverted tree.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import {
  abortRevert,
  continueRevert,
  DirtyTreeError,
  GitRepoError,
  openRepo,
  revertCommit,
  revertInProgress,
  stash,
  status,
  UnresolvedConflictError,
} from '../../../src/core/git';
import { cleanupAll, TempRepo } from './temp-repo';

after(cleanupAll);

function isKind(kind: string, text?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof GitRepoError, String(e));
    assert.equal(e.kind, kind, e.message);
    if (text) assert.match(e.message, text);
    assert.equal(e.message.includes('\n'), false, `one line: ${e.message}`);
    return true;
  };
}

/** Everything a failed or aborted operation must leave exactly as it was. */
function snapshot(r: TempRepo, files: string[]) {
  return {
    head: r.head(),
    status: r.statusText(),
    index: r.indexText(),
    files: Object.fromEntries(files.map((f) => [f, readFileSync(r.path(f))])),
    revertHead: revertHeadOf(r),
  };
}

function revertHeadOf(r: TempRepo): string | undefined {
  try {
    return r.git('rev-parse', '-q', '--verify', 'REVERT_HEAD').trim();
  } catch {
    return undefined;
  }
}

/** deploy.yaml: replicas 1 → 2 (c2, also touches service.yaml) → 3 (c3); other.yaml changed in c4. */
function scaledRepo() {
  const r = TempRepo.init();
  r.write('deploy.yaml', 'kind: Deployment\nname: web\nreplicas: 1\nimage: web:1\n');
  r.write('service.yaml', 'kind: Service\nport: 80\n');
  r.write('other.yaml', 'a: 1\n');
  const c1 = r.commit('create web');
  r.write('deploy.yaml', 'kind: Deployment\nname: web\nreplicas: 2\nimage: web:1\n');
  r.write('service.yaml', 'kind: Service\nport: 8080\n');
  const c2 = r.commit('scale web to 2, port 8080');
  r.write('deploy.yaml', 'kind: Deployment\nname: web\nreplicas: 3\nimage: web:1\n');
  const c3 = r.commit('scale web to 3');
  r.write('other.yaml', 'a: 2\n');
  const c4 = r.commit('change other');
  return { r, c1, c2, c3, c4 };
}

describe('revertCommit', () => {
  test('creates a new commit that undoes the old one; history is kept', async () => {
    const { r, c3, c4 } = scaledRepo();
    const repo = await openRepo(r.dir);
    const res = await revertCommit(repo, c4.slice(0, 9));
    assert.equal(res.status, 'reverted');
    if (res.status !== 'reverted') return;
    assert.equal(res.commit, r.head());
    assert.equal(res.subject, 'Revert "change other"');
    assert.equal(res.reverted.hash, c4);
    assert.equal(res.detached, false);
    assert.equal(r.git('rev-parse', 'HEAD^').trim(), c4, 'the revert is a new commit on top');
    assert.equal(r.read('other.yaml'), 'a: 1\n');
    assert.equal(r.git('rev-list', '--count', 'HEAD').trim(), '5');
    // An older commit, with a later commit on top of the same file (no conflict on other lines).
    const res2 = await revertCommit(repo, c3);
    assert.equal(res2.status, 'reverted');
    assert.equal(r.read('deploy.yaml'), 'kind: Deployment\nname: web\nreplicas: 2\nimage: web:1\n');
    assert.equal((await status(repo)).dirty, false);
  });

  test('a dirty tree is refused with the files named, and nothing changes', async () => {
    const { r, c2 } = scaledRepo();
    r.write('other.yaml', 'a: edited but not committed\n');
    r.write('service.yaml', 'kind: Service\nport: 9999\n');
    r.git('add', 'service.yaml');
    r.write('notes.txt', 'untracked work\n');
    const before = snapshot(r, ['other.yaml', 'service.yaml', 'notes.txt', 'deploy.yaml']);
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, c2), (e: unknown) => {
      assert.ok(e instanceof DirtyTreeError);
      assert.equal(e.kind, 'dirty-tree');
      assert.deepEqual([...e.files].sort(), ['other.yaml', 'service.yaml']);
      assert.match(e.message, /uncommitted changes in 2 files: .*other\.yaml/);
      assert.match(e.message, /service\.yaml/);
      assert.match(e.message, /commit or stash/);
      return true;
    });
    assert.deepEqual(snapshot(r, ['other.yaml', 'service.yaml', 'notes.txt', 'deploy.yaml']), before);
  });

  test('stash, then revert; the stashed work comes back', async () => {
    const { r, c4 } = scaledRepo();
    r.write('deploy.yaml', 'kind: Deployment\nname: web\nreplicas: 3\nimage: web:2\n');
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, c4), DirtyTreeError);
    const s = await stash(repo, 'reconcile: before reverting change other');
    assert.deepEqual(s.files, ['deploy.yaml']);
    assert.equal(s.ref, 'stash@{0}');
    assert.match(r.git('stash', 'list'), /reconcile: before reverting change other/);
    assert.equal((await status(repo)).dirty, false);
    const res = await revertCommit(repo, c4);
    assert.equal(res.status, 'reverted');
    assert.equal(r.read('other.yaml'), 'a: 1\n');
    r.git('stash', 'pop', '-q');
    assert.equal(r.read('deploy.yaml'), 'kind: Deployment\nname: web\nreplicas: 3\nimage: web:2\n');
  });

  test('a conflict is left for the merge editor, explained; abort restores exactly the previous state', async () => {
    const { r, c2, c4 } = scaledRepo();
    r.write('notes.txt', 'untracked, must survive\n');
    const files = ['deploy.yaml', 'service.yaml', 'other.yaml', 'notes.txt'];
    const before = snapshot(r, files);
    const repo = await openRepo(r.dir);
    const res = await revertCommit(repo, c2);
    assert.equal(res.status, 'conflict');
    if (res.status !== 'conflict') return;
    assert.deepEqual(res.files, ['deploy.yaml']);
    assert.deepEqual(res.absoluteFiles, [r.path('deploy.yaml')]);
    assert.equal(res.head, c4);
    assert.match(res.message, /conflicts in 1 file: deploy\.yaml — resolve them, then continue the revert; or abort it/);
    assert.match(r.read('deploy.yaml'), /^<<<<<<< /m, 'the conflict is in the file for the merge editor');
    assert.equal(revertHeadOf(r), c2);

    const state = await revertInProgress(repo);
    assert.equal(state.inProgress, true);
    assert.equal(state.reverting?.hash, c2);
    assert.deepEqual(state.conflicted, ['deploy.yaml']);
    await assert.rejects(revertCommit(repo, c4), isKind('in-progress', /a revert is in progress/));
    await assert.rejects(continueRevert(repo), (e: unknown) => e instanceof UnresolvedConflictError && e.files.includes('deploy.yaml'));

    const aborted = await abortRevert(repo);
    assert.equal(aborted.head, c4);
    assert.deepEqual(snapshot(r, files), before);
    assert.equal((await revertInProgress(repo)).inProgress, false);
    await assert.rejects(abortRevert(repo), isKind('no-revert'));
    await assert.rejects(continueRevert(repo), isKind('no-revert'));
  });

  test('continue after resolving commits the revert with the resolution', async () => {
    const { r, c2, c4 } = scaledRepo();
    const repo = await openRepo(r.dir);
    const res = await revertCommit(repo, c2);
    assert.equal(res.status, 'conflict');
    // Resolved in the editor, not staged: continueRevert stages it.
    r.write('deploy.yaml', 'kind: Deployment\nname: web\nreplicas: 1\nimage: web:1\n');
    const done = await continueRevert(repo);
    assert.equal(done.status, 'reverted');
    if (done.status !== 'reverted') return;
    assert.equal(done.commit, r.head());
    assert.equal(r.git('rev-parse', 'HEAD^').trim(), c4);
    assert.equal(done.subject, 'Revert "scale web to 2, port 8080"');
    assert.equal(r.git('show', 'HEAD:deploy.yaml'), 'kind: Deployment\nname: web\nreplicas: 1\nimage: web:1\n');
    assert.equal(r.git('show', 'HEAD:service.yaml'), 'kind: Service\nport: 80\n', 'the non-conflicting part is reverted too');
    assert.equal(revertHeadOf(r), undefined);
    assert.equal(r.statusText(), '');
  });

  test('a resolution that keeps everything ends the revert as empty, HEAD unchanged', async () => {
    const { r, c2, c4 } = scaledRepo();
    const repo = await openRepo(r.dir);
    await revertCommit(repo, c2);
    r.git('checkout', '-q', 'HEAD', '--', 'deploy.yaml', 'service.yaml');
    const res = await continueRevert(repo);
    assert.equal(res.status, 'empty');
    assert.equal(r.head(), c4);
    assert.equal(revertHeadOf(r), undefined);
    assert.equal(r.statusText(), '');
  });

  test('reverting what is already undone is "empty" and changes nothing', async () => {
    const { r, c4 } = scaledRepo();
    const repo = await openRepo(r.dir);
    assert.equal((await revertCommit(repo, c4)).status, 'reverted');
    const head = r.head();
    const res = await revertCommit(repo, c4);
    assert.equal(res.status, 'empty');
    assert.match((res as { message: string }).message, /already undone/);
    assert.equal(r.head(), head);
    assert.equal(r.statusText(), '');
  });

  test('a merge commit is reverted against its first parent (mainline 1) unless told otherwise', async () => {
    const r = TempRepo.init();
    r.write('base.yaml', 'b: 1\n');
    r.commit('base');
    r.git('checkout', '-q', '-b', 'feature');
    r.write('feature.yaml', 'f: 1\n');
    r.commit('add feature');
    r.git('checkout', '-q', 'main');
    r.write('base.yaml', 'b: 2\n');
    const mainSide = r.commit('main change');
    r.gitAt(undefined, {}, 'merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
    const merge = r.head();
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, mainSide, { mainline: 1 }), isKind('bad-input', /not a merge commit/));
    await assert.rejects(revertCommit(repo, merge, { mainline: 3 }), isKind('bad-input', /from 1 to 2/));
    const res = await revertCommit(repo, merge);
    assert.equal(res.status, 'reverted');
    assert.equal(res.mainline, 1);
    assert.equal(r.git('ls-files', 'feature.yaml').trim(), '', 'what the merged branch brought is undone');
    assert.equal(r.read('base.yaml'), 'b: 2\n', 'the mainline side is kept');
  });

  test('untracked files in the way: refused with the files named, nothing changed', async () => {
    const r = TempRepo.init();
    r.write('keep.yaml', 'k: 1\n');
    r.write('gone.yaml', 'g: 1\n');
    r.commit('one');
    r.git('rm', '-q', 'gone.yaml');
    const rm = r.commit('remove gone');
    r.write('gone.yaml', 'my new untracked work\n');
    const before = snapshot(r, ['gone.yaml', 'keep.yaml']);
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, rm), (e: unknown) => {
      isKind('failed', /untracked files would be overwritten: gone\.yaml/)(e);
      assert.deepEqual((e as GitRepoError).files, ['gone.yaml']);
      return true;
    });
    assert.deepEqual(snapshot(r, ['gone.yaml', 'keep.yaml']), before);
  });

  test('a commit that git cannot write (hook failure) is rolled back: never a half-reverted tree', async () => {
    const { r, c4 } = scaledRepo();
    const hook = r.path('.git/hooks/prepare-commit-msg');
    writeFileSync(hook, '#!/bin/sh\necho "policy: no reverts today" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const before = snapshot(r, ['other.yaml']);
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, c4), isKind('failed', /hook failed|policy/));
    assert.deepEqual(snapshot(r, ['other.yaml']), before);
  });

  test('no identity: refused before touching anything', async () => {
    const { r, c4 } = scaledRepo();
    r.git('config', '--unset', 'user.name');
    r.git('config', '--unset', 'user.email');
    r.git('config', 'user.useConfigOnly', 'true');
    const before = snapshot(r, ['other.yaml']);
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, c4), isKind('identity', /user\.name and user\.email/));
    assert.deepEqual(snapshot(r, ['other.yaml']), before);
  });

  test('an unknown commit is a clear error', async () => {
    const { r } = scaledRepo();
    const repo = await openRepo(r.dir);
    await assert.rejects(revertCommit(repo, '0123456789abcdef'), isKind('bad-revision', /no commit 0123456789abcdef/));
    await assert.rejects(revertCommit(repo, '--hard'), isKind('bad-revision'));
  });
});
