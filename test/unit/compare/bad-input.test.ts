// Bad input for the branch compare: each gets a specific one-line error, and the repository is left
// exactly as it was (no worktree, branch or file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRevisions, GitError } from '../../../src/core/compare';
import { realTools } from '../render/real-tools';
import { buildCompareRepo, gitIn, repoState } from './test-repo';

const tools = (() => {
  const t = realTools();
  return { kubectl: t.kubectl, helm: t.helm };
})();
const env = { PATH: process.env.PATH };

function gitError(code: string, message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof GitError, `expected a GitError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return true;
  };
}

test('a folder that is not a git repository', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-not-a-repo-'));
  try {
    await assert.rejects(compareRevisions(dir, { tools, env }), gitError('not-a-repo', /is not in a git repository/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a base or head revision that does not exist', async () => {
  const repo = buildCompareRepo();
  try {
    const before = repoState(repo.dir);
    await assert.rejects(compareRevisions(repo.dir, { tools, env, base: 'no-such-branch' }), gitError('bad-revision', /base revision 'no-such-branch' does not exist/));
    await assert.rejects(compareRevisions(repo.dir, { tools, env, base: 'main', head: 'deadbeef' }), gitError('bad-revision', /head revision 'deadbeef' does not exist/));
    await assert.rejects(compareRevisions(repo.dir, { tools, env, base: '--output=/tmp/x' }), gitError('bad-revision', /is not a revision/));
    assert.deepEqual(repoState(repo.dir), before);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('no default branch: the base must be named; with a detached HEAD the message says so', async () => {
  const repo = buildCompareRepo();
  try {
    repo.git('branch', '-m', 'main', 'trunk');
    const before = repoState(repo.dir);
    await assert.rejects(compareRevisions(repo.dir, { tools, env }), gitError('no-default-branch', /neither origin\/HEAD, main nor master exists; name the branch to compare with \(--base <rev>\)/));
    repo.git('checkout', '-q', '--detach', 'feature');
    const detached = repoState(repo.dir);
    await assert.rejects(compareRevisions(repo.dir, { tools, env }), gitError('no-default-branch', /HEAD is detached and .* has no default branch/));
    assert.deepEqual(repoState(repo.dir), detached);
    // Naming the base works, detached or not.
    const r = await compareRevisions(repo.dir, { tools, env, base: 'trunk', envs: ['perf'] });
    assert.equal(r.base.sha, repo.main);
    assert.equal(r.head.ref, 'HEAD');
    repo.git('checkout', '-q', 'feature');
    assert.deepEqual(repoState(repo.dir), before);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('a detached HEAD with a default branch: the merge-base with it', async () => {
  const repo = buildCompareRepo();
  try {
    repo.git('checkout', '-q', '--detach', 'feature');
    const r = await compareRevisions(repo.dir, { tools, env, envs: ['dev'] });
    assert.equal(r.base.sha, repo.main);
    assert.equal(r.head.sha, repo.feature);
    assert.equal(r.environments[0].status, 'changed');
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('a shallow clone that cannot see the merge-base says to fetch more history', async () => {
  const repo = buildCompareRepo();
  const clone = mkdtempSync(join(tmpdir(), 'reconcile-shallow-'));
  try {
    // Two diverging commits on main after the fork, and a depth-1 clone of feature only.
    repo.git('checkout', '-q', 'main');
    repo.write('plain/perf/load.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: load-test\ndata:\n  value: "1"\n');
    repo.commit('2024-02-03T09:00:00Z', 'main moves on');
    gitIn(clone, ['clone', '-q', '--depth', '1', '--no-single-branch', `file://${repo.dir}`, 'c']);
    const dir = join(clone, 'c');
    gitIn(dir, ['checkout', '-q', 'feature']);
    const before = repoState(dir);
    await assert.rejects(compareRevisions(dir, { tools, env }), gitError('no-merge-base', /shallow clone, fetch more history \(git fetch --deepen=<n> or --unshallow\)/));
    await assert.rejects(compareRevisions(dir, { tools, env, base: repo.main }), gitError('bad-revision', /does not exist .*shallow clone/));
    assert.deepEqual(repoState(dir), before);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(clone, { recursive: true, force: true });
  }
});

test('a repository without commits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-empty-repo-'));
  try {
    gitIn(dir, ['init', '-q', '-b', 'main']);
    await assert.rejects(compareRevisions(dir, { tools, env }), gitError('no-commits', /has no commits yet/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
