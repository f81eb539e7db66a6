// The working tree on real temporary repositories: status (dirty or not, which files), stash, and
// "Discard Local Changes" — which restores tracked files and never deletes an untracked one unasked.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { discardFileChanges, GitRepoError, openRepo, stash, status } from '../../../src/core/git';
import { cleanupAll, TempRepo } from './temp-repo';

after(cleanupAll);

function isKind(kind: string, text?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof GitRepoError, String(e));
    assert.equal(e.kind, kind, e.message);
    if (text) assert.match(e.message, text);
    return true;
  };
}

function base() {
  const r = TempRepo.init();
  r.write('a.yaml', 'a: 1\n');
  r.write('b.yaml', 'b: 1\n');
  r.write('dir/c.yaml', 'c: 1\n');
  r.write('.gitignore', '*.log\n');
  r.commit('one');
  return r;
}

describe('status', () => {
  test('clean, then every kind of change', async () => {
    const r = base();
    const repo = await openRepo(r.dir);
    const clean = await status(repo);
    assert.deepEqual({ dirty: clean.dirty, clean: clean.clean, files: clean.files, branch: clean.branch }, { dirty: false, clean: true, files: [], branch: 'main' });

    r.write('a.yaml', 'a: 2\n');
    r.write('new.yaml', 'n: 1\n');
    r.git('add', 'new.yaml');
    r.git('rm', '-q', 'b.yaml');
    r.git('mv', 'dir/c.yaml', 'dir/c2.yaml');
    r.write('scratch.txt', 'x\n');
    r.write('debug.log', 'ignored\n');
    const s = await status(repo);
    assert.equal(s.dirty, true);
    assert.equal(s.clean, false);
    const kinds = Object.fromEntries(s.files.map((f) => [f.path, f.kind]));
    assert.deepEqual(kinds, { 'a.yaml': 'modified', 'new.yaml': 'added', 'b.yaml': 'deleted', 'dir/c2.yaml': 'renamed', 'scratch.txt': 'untracked' });
    assert.equal(s.files.find((f) => f.path === 'dir/c2.yaml')?.from, 'dir/c.yaml');
    assert.equal(s.files.find((f) => f.path === 'a.yaml')?.absolutePath, r.path('a.yaml'));
    assert.deepEqual(s.untracked, ['scratch.txt']);
    assert.deepEqual(s.changed.map((f) => f.path).sort(), ['a.yaml', 'b.yaml', 'dir/c2.yaml', 'new.yaml']);
  });

  test('untracked files alone do not make the tree dirty', async () => {
    const r = base();
    r.write('scratch.txt', 'x\n');
    const s = await status(await openRepo(r.dir));
    assert.equal(s.dirty, false);
    assert.equal(s.clean, false);
  });
});

describe('stash', () => {
  test('nothing to stash is said clearly; untracked files only when asked', async () => {
    const r = base();
    const repo = await openRepo(r.dir);
    r.write('scratch.txt', 'x\n');
    await assert.rejects(stash(repo, 'try'), isKind('nothing-to-stash', /1 untracked file left as they are/));
    await assert.rejects(stash(repo, '  '), isKind('bad-input'));
    const s = await stash(repo, 'with untracked', { includeUntracked: true });
    assert.deepEqual(s.files, ['scratch.txt']);
    assert.equal(existsSync(r.path('scratch.txt')), false);
    assert.equal(r.git('rev-parse', 'stash@{0}').trim(), s.hash);
    r.git('stash', 'pop', '-q');
    assert.equal(r.read('scratch.txt'), 'x\n');
  });
});

describe('discardFileChanges', () => {
  test('a modified (and staged) file goes back to HEAD; other files are untouched', async () => {
    const r = base();
    r.write('a.yaml', 'a: staged\n');
    r.git('add', 'a.yaml');
    r.write('a.yaml', 'a: staged then edited\n');
    r.write('b.yaml', 'b: keep me\n');
    const repo = await openRepo(r.dir);
    assert.deepEqual(await discardFileChanges(repo, r.path('a.yaml')), { path: 'a.yaml', action: 'restored' });
    assert.equal(r.read('a.yaml'), 'a: 1\n');
    assert.equal(r.read('b.yaml'), 'b: keep me\n');
    assert.equal(r.statusText(), ' M b.yaml\n');
  });

  test('a deleted tracked file comes back; an unchanged file is left alone', async () => {
    const r = base();
    r.git('rm', '-q', 'dir/c.yaml');
    const repo = await openRepo(r.dir);
    assert.equal((await discardFileChanges(repo, r.path('dir/c.yaml'))).action, 'restored');
    assert.equal(r.read('dir/c.yaml'), 'c: 1\n');
    assert.equal((await discardFileChanges(repo, r.path('a.yaml'))).action, 'unchanged');
    assert.equal(r.statusText(), '');
  });

  test('an untracked or never-committed file is refused unless deletion is asked for', async () => {
    const r = base();
    r.write('scratch.yaml', 'mine\n');
    r.write('added.yaml', 'staged new\n');
    r.git('add', 'added.yaml');
    r.write('debug.log', 'ignored\n');
    const repo = await openRepo(r.dir);
    await assert.rejects(discardFileChanges(repo, r.path('scratch.yaml')), isKind('untracked', /scratch\.yaml is untracked: .*would delete it/));
    await assert.rejects(discardFileChanges(repo, r.path('added.yaml')), isKind('untracked', /new \(never committed\)/));
    await assert.rejects(discardFileChanges(repo, r.path('debug.log')), isKind('untracked', /ignored by git/));
    assert.equal(r.read('scratch.yaml'), 'mine\n');
    assert.equal(r.read('added.yaml'), 'staged new\n');
    assert.deepEqual(await discardFileChanges(repo, r.path('scratch.yaml'), { deleteUntracked: true }), { path: 'scratch.yaml', action: 'deleted' });
    assert.equal(existsSync(r.path('scratch.yaml')), false);
    assert.equal((await discardFileChanges(repo, r.path('added.yaml'), { deleteUntracked: true })).action, 'deleted');
    assert.equal(existsSync(r.path('added.yaml')), false);
    assert.equal(r.git('ls-files', 'added.yaml'), '');
  });

  test('folders, missing files and paths outside the repository are refused', async () => {
    const r = base();
    const repo = await openRepo(r.dir);
    await assert.rejects(discardFileChanges(repo, r.path('dir')), isKind('not-a-file'));
    await assert.rejects(discardFileChanges(repo, r.path('nope.yaml')), isKind('not-found'));
    await assert.rejects(discardFileChanges(repo, '/etc/hosts'), isKind('outside-repository'));
  });

  test('a file in conflict is refused', async () => {
    const r = base();
    r.write('a.yaml', 'a: 2\n');
    const c2 = r.commit('two');
    r.write('a.yaml', 'a: 3\n');
    r.commit('three');
    try {
      r.git('revert', '--no-edit', c2);
    } catch {
      // the conflict is the point
    }
    const repo = await openRepo(r.dir);
    await assert.rejects(discardFileChanges(repo, r.path('a.yaml')), isKind('conflicted', /abort the revert/));
    r.git('revert', '--abort');
  });
});
