// openRepo and repoState on real temporary repositories: not a repository, no git binary, a bare
// repository, a detached HEAD, a shallow clone (and how far back it sees), a repository with no commits.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  GitRepoError,
  historyOfPaths,
  historyOfRange,
  lastChangeOfRange,
  formatLastChange,
  openRepo,
  repoPath,
  repoState,
  revertCommit,
  status,
} from '../../../src/core/git';
import { cleanupAll, TempRepo, tempDir } from './temp-repo';

after(cleanupAll);

function kindOf(kind: string, text?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof GitRepoError, `expected GitRepoError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    if (text) assert.match(e.message, text);
    assert.equal(e.message.includes('\n'), false, 'one-line message');
    return true;
  };
}

describe('openRepo', () => {
  test('opens from a nested folder or a file; root is the top level', async () => {
    const r = TempRepo.init();
    r.write('apps/web/deploy.yaml', 'a: 1\n');
    r.commit('init');
    const fromDir = await openRepo(r.path('apps/web'));
    assert.equal(fromDir.root, r.dir);
    const fromFile = await openRepo(r.path('apps/web/deploy.yaml'));
    assert.equal(fromFile.root, r.dir);
    assert.equal(repoPath(fromFile, r.path('apps/web/deploy.yaml')), 'apps/web/deploy.yaml');
    assert.equal(repoPath(fromFile, 'apps/web/deploy.yaml'), 'apps/web/deploy.yaml');
    assert.throws(() => repoPath(fromFile, '/etc/hosts'), kindOf('outside-repository', /\/etc\/hosts/));
  });

  test('a folder that is not in a repository is a clear error', async () => {
    const d = tempDir();
    await assert.rejects(openRepo(d), kindOf('not-a-repository', new RegExp(`not a git repository: ${d}`)));
  });

  test('a folder that does not exist is a clear error', async () => {
    await assert.rejects(openRepo(join(tempDir(), 'missing')), kindOf('not-found', /does not exist/));
  });

  test('a missing git binary is reported as such', async () => {
    const r = TempRepo.init();
    await assert.rejects(openRepo(r.dir, { binary: join(r.dir, 'no-such-git') }), kindOf('git-missing', /not found or not executable/));
  });

  test('a bare repository has no work tree', async () => {
    const d = tempDir();
    execFileSync('git', ['init', '-q', '--bare', d]);
    await assert.rejects(openRepo(d), kindOf('no-work-tree'));
  });
});

describe('repoState', () => {
  test('a branch: not detached, not shallow, no warnings', async () => {
    const r = TempRepo.init();
    r.write('a.yaml', 'a: 1\n');
    const c = r.commit('one');
    const s = await repoState(await openRepo(r.dir));
    assert.deepEqual({ head: s.head, branch: s.branch, detached: s.detached, unborn: s.unborn, isShallow: s.isShallow, warnings: s.warnings }, {
      head: c,
      branch: 'main',
      detached: false,
      unborn: false,
      isShallow: false,
      warnings: [],
    });
  });

  test('a detached HEAD is reported, and a revert there says so', async () => {
    const r = TempRepo.init();
    r.write('a.yaml', 'a: 1\n');
    r.commit('one');
    r.write('a.yaml', 'a: 2\n');
    const two = r.commit('two');
    r.git('checkout', '-q', '--detach', 'HEAD');
    const repo = await openRepo(r.dir);
    const s = await repoState(repo);
    assert.equal(s.detached, true);
    assert.equal(s.branch, undefined);
    assert.equal(s.head, two);
    assert.match(s.warnings.join('\n'), /detached/);
    const st = await status(repo);
    assert.equal(st.detached, true);
    const res = await revertCommit(repo, two);
    assert.equal(res.status, 'reverted');
    assert.equal(res.detached, true);
    assert.match(res.warnings.join('\n'), /detached .*no branch/);
    assert.equal(r.read('a.yaml'), 'a: 1\n');
  });

  test('a shallow clone says how far back history goes', async () => {
    const src = TempRepo.init();
    const hashes: string[] = [];
    for (let i = 1; i <= 5; i++) {
      src.write('app/cm.yaml', `n: ${i}\n`);
      src.write(`app/only-${i}.yaml`, `x: ${i}\n`);
      hashes.push(src.commit(`change ${i}`));
    }
    const dst = join(tempDir(), 'clone');
    execFileSync('git', ['clone', '-q', '--depth', '2', `file://${src.dir}`, dst]);
    const repo = await openRepo(dst);
    const s = await repoState(repo);
    assert.equal(s.isShallow, true);
    assert.ok(s.shallow);
    assert.equal(s.shallow.oldest.hash, hashes[3], 'the oldest visible commit is the second newest');
    assert.deepEqual(s.shallow.boundary, [hashes[3]]);
    assert.match(s.shallow.message, /shallow clone: history goes back only to .*change 4/);
    assert.ok(s.warnings.includes(s.shallow.message));

    const h = await historyOfPaths(repo, [join(dst, 'app')], { maxCount: 10 });
    assert.deepEqual(h.commits.map((c) => c.hash), [hashes[4], hashes[3]]);
    assert.equal(h.horizon?.oldest.hash, hashes[3]);

    // only-1.yaml came from commit 1, which this clone cannot see: the boundary commit is named, "or earlier".
    const change = await lastChangeOfRange(repo, join(dst, 'app/only-1.yaml'), 1, 1);
    assert.equal(change.commit?.hash, hashes[3]);
    assert.equal(change.commit?.beyondHorizon, true);
    assert.match(formatLastChange(change), / or earlier — change 4$/);
    const recent = await lastChangeOfRange(repo, join(dst, 'app/only-5.yaml'), 1, 1);
    assert.equal(recent.commit?.beyondHorizon, false);
  });

  test('a repository with no commits: unborn, empty history, not committed, revert refused', async () => {
    const r = TempRepo.init();
    r.write('a.yaml', 'a: 1\nb: 2\n');
    const repo = await openRepo(r.dir);
    const s = await repoState(repo);
    assert.equal(s.unborn, true);
    assert.equal(s.head, undefined);
    assert.equal(s.branch, 'main');
    assert.equal(s.detached, false);
    assert.deepEqual((await historyOfPaths(repo, [r.path('a.yaml')])).commits, []);
    const rh = await historyOfRange(repo, r.path('a.yaml'), 1, 2);
    assert.equal(rh.state, 'no-commits');
    assert.match(rh.message ?? '', /no commits yet/);
    const lc = await lastChangeOfRange(repo, r.path('a.yaml'), 1, 2);
    assert.equal(lc.uncommittedLines, 2);
    assert.equal(formatLastChange(lc), 'not committed yet');
    const st = await status(repo);
    assert.deepEqual(st.untracked, ['a.yaml']);
    assert.equal(st.dirty, false);
    await assert.rejects(revertCommit(repo, 'HEAD'), kindOf('no-commits', /no commits yet/));
  });
});
