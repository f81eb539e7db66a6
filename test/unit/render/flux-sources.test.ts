// Flux sources that are this repository but not its working tree: a GitRepository at another branch
// or tag (read with git at that revision, never from the working tree, no false "path does not
// exist"), and an ExternalArtifact an ArtifactGenerator makes from this repository's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import { realRenderer, repoRoot } from './golden-cases';

const fixtures = join(repoRoot, 'test', 'fixtures');

function only(m: RepoModel, name: string): Application {
  const all = m.environments.flatMap((e) => e.applications).filter((a) => a.name === name);
  assert.equal(all.length, 1, `${name}: ${m.environments.flatMap((e) => e.applications.map((a) => `${e.name}/${a.name}`)).join(', ')}`);
  return all[0];
}

test('flux ExternalArtifact from an ArtifactGenerator of this repository: rendered from its copy rules (globs, a renamed file, exclude)', async () => {
  const root = join(fixtures, 'flux-artifacts');
  const m = await discover(root);
  const a = only(m, 'podinfo');
  assert.ok(!a.errors.some((e) => e.code === 'remote' || e.severity === 'error'), JSON.stringify(a.errors));
  assert.ok(!m.environments.some((e) => e.applications.some((x) => x.name === 'overlay')), 'the copied sub-kustomization is part of the artifact render');
  const r = await realRenderer().renderApplication(a);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  assert.deepEqual(r.documents.map((d) => `${d.id?.kind}/${d.id?.namespace}/${d.id?.name}`).sort(), [
    'ConfigMap/podinfo/shared-labels', // @repo/shared/labels.yaml → @artifact/common/shared-labels.yaml
    'Deployment/podinfo/podinfo', // @repo/teams/podinfo/deploy/** → @artifact/
    'Service/podinfo/podinfo', // the overlay sub-folder, listed as Flux generates
  ]);
});

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
}

test('flux GitRepository of this repository at another branch or tag: rendered from that revision with git, not from the working tree', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flux-ref-test-'));
  try {
    cpSync(join(fixtures, 'flux-fleet'), dir, { recursive: true });
    sh(dir, 'init', '--quiet', '--initial-branch=main');
    sh(dir, 'remote', 'add', 'origin', 'https://example.com/fleet.git');
    sh(dir, 'add', '-A');
    sh(dir, 'commit', '--quiet', '-m', 'base');
    // On the branch `release` (not checked out) and its tag, apps/release-only exists; on main it does not.
    sh(dir, 'checkout', '--quiet', '-b', 'release');
    mkdirSync(join(dir, 'apps', 'release-only'));
    writeFileSync(join(dir, 'apps', 'release-only', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: only-on-release\ndata:\n  v: "1"\n');
    sh(dir, 'add', '-A');
    sh(dir, 'commit', '--quiet', '-m', 'release');
    sh(dir, 'tag', 'v1.0.0');
    sh(dir, 'checkout', '--quiet', 'main');
    writeFileSync(
      join(dir, 'clusters', 'staging', 'release.yaml'),
      [
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: GitRepository',
        'metadata: { name: release, namespace: flux-system }',
        'spec: { interval: 1m, url: "https://example.com/fleet.git", ref: { branch: release } }',
        '---',
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: GitRepository',
        'metadata: { name: tagged, namespace: flux-system }',
        'spec: { interval: 1m, url: "https://example.com/fleet.git", ref: { tag: v1.0.0 } }',
        '---',
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata: { name: from-branch, namespace: flux-system }',
        'spec: { interval: 1m, path: ./apps/release-only, prune: true, targetNamespace: rel, sourceRef: { kind: GitRepository, name: release } }',
        '---',
        'apiVersion: kustomize.toolkit.fluxcd.io/v1',
        'kind: Kustomization',
        'metadata: { name: from-tag, namespace: flux-system }',
        'spec: { interval: 1m, path: ./apps/release-only, prune: true, sourceRef: { kind: GitRepository, name: tagged } }',
        '',
      ].join('\n'),
    );
    const k = readFileSync(join(dir, 'clusters', 'staging', 'kustomization.yaml'), 'utf8');
    writeFileSync(join(dir, 'clusters', 'staging', 'kustomization.yaml'), k + '  - release.yaml\n');
    sh(dir, 'add', '-A');
    sh(dir, 'commit', '--quiet', '-m', 'main');
    const m = await discover(dir);
    for (const name of ['from-branch', 'from-tag']) {
      const a = only(m, name);
      assert.ok(!a.errors.some((e) => e.code === 'missing-path'), `${name}: no false "path does not exist": ${JSON.stringify(a.errors)}`);
      const r = await realRenderer().renderApplication(a);
      assert.ok(r.ok, `${name}: ${JSON.stringify(!r.ok && r.error)}`);
      assert.deepEqual(r.documents.map((d) => `${d.id?.kind}/${d.id?.namespace ?? ''}/${d.id?.name}`), [name === 'from-branch' ? 'ConfigMap/rel/only-on-release' : 'ConfigMap//only-on-release']);
    }
    assert.equal(sh(dir, 'status', '--porcelain'), '', 'the working tree and index are untouched');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
