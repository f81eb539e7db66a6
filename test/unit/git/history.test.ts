// History on real temporary repositories: the commits behind a set of paths (Revert Commit…), the
// commits behind a line range that moved across commits (Show Resource History), and the versions of
// a file at a commit and its parent (the diff opened from that history).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { diffAtCommit, fileAtCommit, fileAtParent, GitRepoError, historyOfPaths, historyOfRange, linesOfRange, openRepo, repoPath } from '../../../src/core/git';
import { mapRangeToOld, parseHunks } from '../../../src/core/git/line-map';
import { cleanupAll, TempRepo, tempDir } from './temp-repo';

after(cleanupAll);

function isKind(kind: string) {
  return (e: unknown) => e instanceof GitRepoError && e.kind === kind && !e.message.includes('\n');
}

describe('historyOfPaths', () => {
  const r = TempRepo.init();
  r.write('apps/web/deploy.yaml', 'replicas: 1\n');
  r.write('apps/api/deploy.yaml', 'replicas: 1\n');
  const c1 = r.commit('add web and api', { author: 'Ada', email: 'ada@example.test' });
  r.write('apps/web/deploy.yaml', 'replicas: 2\n');
  const c2 = r.commit('scale web');
  r.write('apps/api/deploy.yaml', 'replicas: 3\n');
  const c3 = r.commit('scale api');
  r.write('apps/web/deploy.yaml', 'replicas: 4\n');
  r.write('apps/api/deploy.yaml', 'replicas: 4\n');
  r.write('README.md', 'hello\n');
  const c4 = r.commit('scale everything');
  r.git('mv', 'apps/web/deploy.yaml', 'apps/web/deployment.yaml');
  const c5 = r.commit('rename web deploy');
  r.git('rm', '-q', 'apps/api/deploy.yaml');
  const c6 = r.commit('drop api');

  test('commits touching a file, newest first, with author, date and every file touched', async () => {
    const repo = await openRepo(r.dir);
    const h = await historyOfPaths(repo, [r.path('apps/web/deploy.yaml')], { maxCount: 20 });
    assert.deepEqual(h.commits.map((c) => c.hash), [c5, c4, c2, c1]);
    assert.equal(h.limited, false);
    assert.equal(h.horizon, undefined);
    const first = h.commits[3];
    assert.equal(first.subject, 'add web and api');
    assert.deepEqual(first.author, { name: 'Ada', email: 'ada@example.test' });
    assert.equal(first.shortHash, c1.slice(0, first.shortHash.length));
    assert.deepEqual(first.parents, []);
    assert.equal(new Date(first.date).getTime(), first.time);
    const all = h.commits[1];
    assert.deepEqual(all.files.map((f) => `${f.status} ${f.path}`).sort(), ['A README.md', 'M apps/api/deploy.yaml', 'M apps/web/deploy.yaml']);
    assert.deepEqual(all.matched, ['apps/web/deploy.yaml']);
    const rename = h.commits[0];
    assert.deepEqual(rename.files, [{ status: 'R', oldPath: 'apps/web/deploy.yaml', path: 'apps/web/deployment.yaml' }]);
  });

  test('several paths (Application.sourcePaths), folders, deleted files', async () => {
    const repo = await openRepo(r.dir);
    const both = await historyOfPaths(repo, [r.path('apps/web/deployment.yaml'), r.path('apps/api/deploy.yaml')]);
    assert.deepEqual(both.commits.map((c) => c.hash), [c6, c5, c4, c3, c1]);
    const folder = await historyOfPaths(repo, [r.path('apps/api')]);
    assert.deepEqual(folder.commits.map((c) => c.hash), [c6, c4, c3, c1]);
    assert.deepEqual(folder.commits[0].files, [{ status: 'D', path: 'apps/api/deploy.yaml' }]);
    const whole = await historyOfPaths(repo, [r.dir]);
    assert.equal(whole.commits.length, 6);
  });

  test('maxCount and since limit the list', async () => {
    const repo = await openRepo(r.dir);
    const two = await historyOfPaths(repo, [r.path('apps')], { maxCount: 2 });
    assert.deepEqual(two.commits.map((c) => c.hash), [c6, c5]);
    assert.equal(two.limited, true);
    const all = await historyOfPaths(repo, [r.path('apps')]);
    const since = new Date(all.commits.find((c) => c.hash === c3)!.time);
    const recent = await historyOfPaths(repo, [r.path('apps')], { since });
    assert.deepEqual(recent.commits.map((c) => c.hash), [c6, c5, c4, c3]);
  });

  test('bad input is refused clearly', async () => {
    const repo = await openRepo(r.dir);
    await assert.rejects(historyOfPaths(repo, []), isKind('bad-input'));
    await assert.rejects(historyOfPaths(repo, ['/etc/passwd']), isKind('outside-repository'));
    await assert.rejects(historyOfPaths(repo, ['apps'], { maxCount: 0 }), isKind('bad-input'));
    await assert.rejects(historyOfPaths(repo, ['apps'], { since: 'not a date' }), isKind('bad-input'));
  });
});

describe('historyOfRange', () => {
  // Two resources in one file; commit 3 inserts a resource above both, moving their lines.
  const r = TempRepo.init();
  const a = (rev: string) => `kind: ConfigMap\nmetadata:\n  name: a\ndata:\n  rev: "${rev}"\n`;
  const b = (rev: string) => `kind: Secret\nmetadata:\n  name: b\ndata:\n  rev: "${rev}"\n`;
  const z = 'kind: ServiceAccount\nmetadata:\n  name: z\n';
  r.write('app.yaml', `${a('1')}---\n${b('1')}`);
  const c1 = r.commit('create a and b');
  r.write('app.yaml', `${a('2')}---\n${b('1')}`);
  const c2 = r.commit('bump a');
  r.write('app.yaml', `${z}---\n${a('2')}---\n${b('1')}`);
  const c3 = r.commit('add z on top');
  r.write('app.yaml', `${z}---\n${a('2')}---\n${b('2')}`);
  const c4 = r.commit('bump b');
  // Now: z = lines 1-3, a = 5-9, b = 11-15.

  test('follows a resource whose lines moved: only the commits that changed it', async () => {
    const repo = await openRepo(r.dir);
    const ha = await historyOfRange(repo, r.path('app.yaml'), 5, 9);
    assert.equal(ha.state, 'ok');
    assert.deepEqual(ha.headRange, { start: 5, end: 9 });
    assert.deepEqual(ha.commits.map((c) => c.hash), [c2, c1]);
    assert.deepEqual(ha.commits.map((c) => c.subject), ['bump a', 'create a and b']);
    assert.deepEqual(ha.commits[1].range, { start: 1, end: 5 }, 'a was at lines 1-5 when created');
    assert.equal(ha.commits[0].path, 'app.yaml');
    assert.equal(ha.commits[0].author.name, 'Test Author');
    const hb = await historyOfRange(repo, r.path('app.yaml'), 11, 15);
    assert.deepEqual(hb.commits.map((c) => c.hash), [c4, c1]);
    const hz = await historyOfRange(repo, r.path('app.yaml'), 1, 3);
    assert.deepEqual(hz.commits.map((c) => c.hash), [c3]);
    const one = await historyOfRange(repo, r.path('app.yaml'), 5, 9, { maxCount: 1 });
    assert.deepEqual(one.commits.map((c) => c.hash), [c2]);
    assert.equal(one.limited, true);
  });

  test('uncommitted edits above the range: editor lines are mapped back to HEAD', async () => {
    const repo = await openRepo(r.dir);
    const edited = `# a comment\n# another\n${z}---\n${a('2')}---\n${b('2')}`;
    // a is now at lines 7-11 of the unsaved buffer.
    const h = await historyOfRange(repo, r.path('app.yaml'), 7, 11, { contents: edited });
    assert.deepEqual(h.headRange, { start: 5, end: 9 });
    assert.deepEqual(h.commits.map((c) => c.hash), [c2, c1]);
    // The same through the file on disk.
    r.write('app.yaml', edited);
    try {
      const d = await historyOfRange(repo, r.path('app.yaml'), 7, 11);
      assert.deepEqual(d.commits.map((c) => c.hash), [c2, c1]);
      const fresh = await historyOfRange(repo, r.path('app.yaml'), 1, 2);
      assert.equal(fresh.state, 'range-not-committed');
      assert.match(fresh.message ?? '', /lines 1-2 of app.yaml are not committed yet/);
    } finally {
      r.git('checkout', '-q', '--', 'app.yaml');
    }
  });

  test('a file with no commits yet is stated, not an error', async () => {
    const repo = await openRepo(r.dir);
    r.write('new.yaml', 'a: 1\n');
    const untracked = await historyOfRange(repo, r.path('new.yaml'), 1, 1);
    assert.equal(untracked.state, 'file-not-committed');
    assert.equal(untracked.message, 'new.yaml has no commits yet (untracked)');
    r.git('add', 'new.yaml');
    const added = await historyOfRange(repo, r.path('new.yaml'), 1, 1);
    assert.equal(added.message, 'new.yaml has no commits yet (added but not committed)');
    r.git('rm', '-q', '--cached', 'new.yaml');
  });

  test('bad ranges and missing files are clear errors', async () => {
    const repo = await openRepo(r.dir);
    await assert.rejects(historyOfRange(repo, r.path('app.yaml'), 10, 99), (e: unknown) => isKind('bad-input')(e) && /outside app.yaml \(15 lines\)/.test((e as Error).message));
    await assert.rejects(historyOfRange(repo, r.path('app.yaml'), 0, 3), isKind('bad-input'));
    await assert.rejects(historyOfRange(repo, r.path('app.yaml'), 5, 4), isKind('bad-input'));
    await assert.rejects(historyOfRange(repo, r.path('nope.yaml'), 1, 1), isKind('not-found'));
  });
});

describe('fileAtCommit / fileAtParent', () => {
  test('both sides of a commit, through a rename and at the root commit', async () => {
    const r = TempRepo.init();
    const body = (v: number) => `kind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\ndata:\n  colour: blue\n  size: large\n  v: "${v}"\n`;
    r.write('base/cm.yaml', body(1));
    const c1 = r.commit('one');
    r.write('base/cm.yaml', body(2));
    const c2 = r.commit('two');
    r.git('mv', 'base/cm.yaml', 'base/configmap.yaml');
    r.write('base/configmap.yaml', body(3));
    const c3 = r.commit('rename and change');
    const repo = await openRepo(r.dir);

    const at2 = await fileAtCommit(repo, r.path('base/cm.yaml'), c2);
    assert.deepEqual(at2, { commit: c2, path: 'base/cm.yaml', exists: true, content: body(2) });
    const before2 = await fileAtParent(repo, r.path('base/cm.yaml'), c2.slice(0, 8));
    assert.deepEqual(before2, { commit: c1, path: 'base/cm.yaml', exists: true, content: body(1) });
    const root = await fileAtParent(repo, 'base/cm.yaml', c1);
    assert.equal(root.exists, false);
    const d3 = await diffAtCommit(repo, r.path('base/configmap.yaml'), c3);
    assert.deepEqual(d3.before, { commit: c2, path: 'base/cm.yaml', exists: true, content: body(2) });
    assert.equal(d3.after.content, body(3));
    const gone = await fileAtCommit(repo, 'base/cm.yaml', c3);
    assert.equal(gone.exists, false);
    await assert.rejects(fileAtCommit(repo, 'base/cm.yaml', 'deadbeef'), isKind('bad-revision'));
    await assert.rejects(fileAtCommit(repo, 'base/cm.yaml', '--all'), isKind('bad-revision'));
  });
});

describe('line mapping', () => {
  test('hunks map working lines to HEAD lines', () => {
    // HEAD 10 lines; working copy: 2 lines inserted after line 1, line 6 replaced by 2 lines, line 9 deleted.
    const diff = '@@ -1,0 +2,2 @@\n+x\n+y\n@@ -6 +8,2 @@\n-f\n+F\n+G\n@@ -9 +11,0 @@\n-i\n';
    const hunks = parseHunks(diff);
    assert.deepEqual(hunks, [
      { oldStart: 1, oldCount: 0, newStart: 2, newCount: 2 },
      { oldStart: 6, oldCount: 1, newStart: 8, newCount: 2 },
      { oldStart: 9, oldCount: 1, newStart: 11, newCount: 0 },
    ]);
    assert.deepEqual(mapRangeToOld(hunks, 4, 6), { start: 2, end: 4 }, 'unchanged lines shift by the insertion');
    assert.equal(mapRangeToOld(hunks, 2, 3), undefined, 'inserted lines have no HEAD counterpart');
    assert.deepEqual(mapRangeToOld(hunks, 8, 9), { start: 6, end: 6 }, 'a replaced block maps to the lines it replaced');
    assert.deepEqual(mapRangeToOld(hunks, 10, 12), { start: 7, end: 10 }, 'a deletion inside the range is included');
    assert.deepEqual(mapRangeToOld([], 3, 5), { start: 3, end: 5 });
  });

  test('editor ranges (0-based, end exclusive) become git lines', () => {
    assert.deepEqual(linesOfRange({ start: { line: 4, character: 0 }, end: { line: 9, character: 0 } }), { start: 5, end: 9 });
    assert.deepEqual(linesOfRange({ start: { line: 4, character: 0 }, end: { line: 8, character: 12 } }), { start: 5, end: 9 });
    assert.deepEqual(linesOfRange({ start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }), { start: 1, end: 1 });
  });

  test('repository paths work through a symlinked folder, and the root itself is not a file', async () => {
    const r = TempRepo.init();
    r.write('apps/cm.yaml', 'a: 1\n');
    const c = r.commit('one');
    const link = join(tempDir(), 'link');
    symlinkSync(r.dir, link);
    const repo = await openRepo(link);
    assert.equal(repo.root, r.dir);
    assert.equal(repoPath(repo, join(link, 'apps/cm.yaml')), 'apps/cm.yaml');
    assert.equal((await fileAtCommit(repo, join(link, 'apps/cm.yaml'), c)).content, 'a: 1\n');
    assert.throws(() => repoPath(repo, r.dir), isKind('outside-repository'));
  });
});
