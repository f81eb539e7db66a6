// Branch compare on a real temp git repository, rendered with the real kubectl (kustomize) from setup:
// added / removed / changed / unchanged / not-rendered environments, a render failure at one revision,
// Secret masking, the default base, the work tree as head, cancellation — and the user's repository
// left exactly as it was every time (no worktree, branch, file or config left behind).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compareRevisions, GitError, WORKTREE, WORKTREE_PREFIX, type EnvironmentComparison, type RevisionComparison } from '../../../src/core/compare';
import { realTools } from '../render/real-tools';
import { buildCompareRepo, PLAINTEXT, repoState } from './test-repo';

const tools = (() => {
  const t = realTools();
  return { kubectl: t.kubectl, helm: t.helm };
})();
const env = { PATH: process.env.PATH };

function byName(r: RevisionComparison, name: string): EnvironmentComparison {
  const e = r.environments.find((x) => x.name === name);
  if (!e) throw new Error(`no environment ${name} in ${r.environments.map((x) => x.name).join(', ')}`);
  return e;
}

function summary(e: EnvironmentComparison): string[] {
  return e.resources.map((r) => `${r.change} ${r.id.kind}/${r.id.namespace ?? ''}/${r.id.name}`);
}

test('every kind of environment change, Secret values masked, and the repository left as it was', async () => {
  const repo = buildCompareRepo();
  try {
    const before = repoState(repo.dir);
    const worktreesSeen: string[] = [];
    const r = await compareRevisions(repo.dir, {
      tools,
      env,
      onProgress: (p) => {
        // While comparing, git knows the temporary worktrees: their folders, from .git/worktrees/*/gitdir.
        if (p.phase === 'discover') {
          const admin = join(repo.dir, '.git', 'worktrees');
          for (const id of readdirSync(admin)) worktreesSeen.push(dirname(readFileSync(join(admin, id, 'gitdir'), 'utf8').trim()));
        }
      },
    });
    // base: the merge-base with main (HEAD is on feature)
    assert.equal(r.base.sha, repo.main);
    assert.equal(r.base.ref, 'main');
    assert.equal(r.head.sha, repo.feature);
    assert.equal(r.head.ref, 'feature');
    assert.deepEqual(
      r.environments.map((e) => [e.name, e.status]),
      [
        ['dev', 'changed'],
        ['staging', 'render-failed'],
        ['prod', 'unchanged'],
        ['perf', 'inputs-unchanged'],
        ['old', 'removed'],
        ['qa', 'added'],
      ],
    );

    const dev = byName(r, 'dev');
    assert.deepEqual(summary(dev), ['removed ConfigMap/web-dev/legacy', 'added ConfigMap/web-dev/web-settings', 'changed Deployment/web-dev/web', 'changed Secret/web-dev/web-credentials']);
    assert.deepEqual(dev.counts, { added: 1, removed: 1, changed: 2 });
    const deploy = dev.resources.find((x) => x.id.kind === 'Deployment')!;
    assert.deepEqual(deploy.fields, [{ path: 'spec.replicas', change: 'changed', before: 1, after: 2 }]);
    assert.equal(deploy.application, 'kustomize:apps/web/overlays/dev');
    assert.match(deploy.left, /replicas: 1/);
    assert.match(deploy.right, /replicas: 2/);
    const secret = dev.resources.find((x) => x.id.kind === 'Secret')!;
    assert.deepEqual(secret.fields, [{ path: 'data.password', change: 'changed', before: '*** (changed)', after: '*** (changed)', masked: true }]);
    assert.match(secret.left, /password: "\*\*\* \(changed\)"/);
    assert.match(secret.left, /username: "\*\*\* \(unchanged\)"/);
    assert.match(secret.right, /password: "\*\*\* \(changed\)"/);
    const everything = JSON.stringify(r);
    for (const p of PLAINTEXT) {
      assert.ok(!everything.includes(p), `the plaintext ${p} leaked`);
      assert.ok(!everything.includes(Buffer.from(p).toString('base64')), `the base64 of ${p} leaked`);
    }
    assert.deepEqual(dev.changedInputs, ['apps/web/overlays/dev/kustomization.yaml', 'apps/web/overlays/dev/legacy.yaml', 'apps/web/overlays/dev/secret.yaml', 'apps/web/overlays/dev/settings.yaml']);
    assert.equal(dev.resources.find((x) => x.id.name === 'web-settings')!.source?.path, 'apps/web/overlays/dev/settings.yaml');

    const staging = byName(r, 'staging');
    assert.equal(staging.resources.length, 0);
    assert.equal(staging.errors.length, 1);
    assert.equal(staging.errors[0].side, 'head');
    assert.equal(staging.errors[0].application, 'kustomize:apps/web/overlays/staging');
    assert.match(staging.errors[0].message, /missing\.yaml/);

    const prod = byName(r, 'prod');
    assert.deepEqual(prod.changedInputs, ['apps/web/overlays/prod/kustomization.yaml']);
    assert.equal(prod.resources.length, 0);
    assert.deepEqual(byName(r, 'perf').changedInputs, []);
    assert.deepEqual(summary(byName(r, 'qa')), ['added Deployment/web-qa/web', 'added Service/web-qa/web']);
    assert.equal(byName(r, 'qa').resources[0].left, '');
    assert.deepEqual(summary(byName(r, 'old')), ['removed ConfigMap//old-thing']);

    // Both revisions were checked out in temporary worktrees, and they are gone.
    assert.equal(worktreesSeen.length, 2, `worktrees seen while comparing: ${worktreesSeen.join(', ')}`);
    for (const w of worktreesSeen) assert.ok(!existsSync(w), `${w} was left behind`);
    assert.deepEqual(repoState(repo.dir), before);
    assert.ok(!existsSync(join(repo.dir, '.git', 'worktrees')) || readdirSync(join(repo.dir, '.git', 'worktrees')).length === 0);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('--env limits the environments; an unknown one is a clear error', async () => {
  const repo = buildCompareRepo();
  try {
    const r = await compareRevisions(repo.dir, { tools, env, base: 'main', head: 'feature', envs: ['dev', 'perf'] });
    assert.deepEqual(r.environments.map((e) => `${e.name}:${e.status}`), ['dev:changed', 'perf:inputs-unchanged']);
    await assert.rejects(compareRevisions(repo.dir, { tools, env, base: 'main', envs: ['nope'] }), /no environment 'nope' at either revision \(found: dev, staging, prod, perf, old, qa\)/);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('the work tree as head: uncommitted edits are compared and left untouched', async () => {
  const repo = buildCompareRepo();
  try {
    const file = join(repo.dir, 'plain/perf/load.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"100"', '"250"'));
    writeFileSync(join(repo.dir, 'plain/perf/extra.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n');
    const before = repoState(repo.dir);
    const r = await compareRevisions(repo.dir, { tools, env, base: 'HEAD', head: WORKTREE });
    assert.equal(r.head.sha, 'WORKTREE');
    assert.deepEqual(
      r.environments.filter((e) => e.status !== 'inputs-unchanged').map((e) => [e.name, e.status, summary(e)]),
      [['perf', 'changed', ['added ConfigMap//extra', 'changed ConfigMap//load-test']]],
    );
    assert.deepEqual(byName(r, 'perf').resources[1].fields, [{ path: 'data.value', change: 'changed', before: '100', after: '250' }]);
    assert.deepEqual(repoState(repo.dir), before);
    assert.match(readFileSync(file, 'utf8'), /"250"/);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('same commit on both sides: nothing rendered, nothing changed, and said so', async () => {
  const repo = buildCompareRepo();
  try {
    let renders = 0;
    const r = await compareRevisions(repo.dir, { tools, env, base: 'feature', head: 'feature', onProgress: (p) => (p.phase === 'render' && p.done ? renders++ : undefined) });
    assert.ok(r.environments.every((e) => e.status === 'inputs-unchanged'));
    assert.equal(renders, 0);
    assert.ok(r.notes.some((n) => /same commit/.test(n)), r.notes.join('\n'));
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('cancelling stops the comparison and still removes the worktrees', async () => {
  const repo = buildCompareRepo();
  try {
    const before = repoState(repo.dir);
    const controller = new AbortController();
    await assert.rejects(
      compareRevisions(repo.dir, { tools, env, signal: controller.signal, onProgress: (p) => (p.phase === 'render' ? controller.abort() : undefined) }),
      (e: unknown) => e instanceof GitError && e.code === 'aborted',
    );
    assert.deepEqual(repoState(repo.dir), before);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('a subfolder of the repository is compared on its own, paths relative to it', async () => {
  const repo = buildCompareRepo('deploy/gitops');
  try {
    const r = await compareRevisions(join(repo.dir, 'deploy', 'gitops'), { tools, env, base: 'main', envs: ['dev', 'perf'] });
    assert.equal(r.path, 'deploy/gitops');
    assert.deepEqual(r.environments.map((e) => `${e.name}:${e.status}`), ['dev:changed', 'perf:inputs-unchanged']);
    const dev = byName(r, 'dev');
    assert.ok(dev.changedInputs.includes('apps/web/overlays/dev/secret.yaml'), dev.changedInputs.join(', '));
    assert.equal(dev.resources.find((x) => x.id.name === 'web-settings')!.source?.path, 'apps/web/overlays/dev/settings.yaml');
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('an entry left by a killed comparison is dropped; the user\'s own stale worktree is not touched', async () => {
  const repo = buildCompareRepo();
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  try {
    // A comparison killed before clean-up: its worktree entry stays, its temp folder is gone.
    const killed = mkdtempSync(join(tmpdir(), WORKTREE_PREFIX));
    repo.git('worktree', 'add', '--detach', '--quiet', join(killed, 'base'), 'main');
    rmSync(killed, { recursive: true, force: true });
    // The user's own worktree whose folder was deleted: theirs to prune.
    const theirs = mkdtempSync(join(tmpdir(), 'users-worktree-'));
    repo.git('worktree', 'add', '--detach', '--quiet', join(theirs, 'wt'), 'main');
    rmSync(theirs, { recursive: true, force: true });
    const before = repo.git('worktree', 'list', '--porcelain');
    assert.match(before, /users-worktree-/);
    assert.ok(before.includes(join(killed, 'base')), before);
    await compareRevisions(repo.dir, { tools, env, base: 'main', envs: ['perf'] });
    const after = repo.git('worktree', 'list', '--porcelain');
    assert.ok(!after.includes(killed), after);
    assert.match(after, /users-worktree-.*\n(.*\n)*prunable/);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});
