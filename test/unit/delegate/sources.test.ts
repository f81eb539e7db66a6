// Source matching without a cluster: repository URLs in their https/ssh/scp forms, source paths, the
// git remotes of a real temporary repository (and of a worktree), and URLs from Argo CD/Flux objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitRemoteUrls, normalizeRepoURL, normalizeSourcePath, repoURLsOfObjects } from '../../../src/core/delegate';

test('repository URLs: https, ssh and scp-like forms of one repository are equal; other repositories are not', () => {
  const same = [
    'https://git.example.com/shop/gitops.git',
    'https://git.example.com/shop/gitops',
    'https://user@Git.Example.com/shop/gitops.git/',
    'ssh://git@git.example.com:22/shop/gitops.git',
    'git@git.example.com:shop/gitops.git',
    'git.example.com:shop/gitops',
  ];
  for (const u of same) assert.equal(normalizeRepoURL(u), 'git.example.com/shop/gitops', u);
  assert.equal(normalizeRepoURL('https://git.example.com/someone/fork.git'), 'git.example.com/someone/fork');
  assert.equal(normalizeRepoURL('oci://ghcr.io/shop/manifests'), 'ghcr.io/shop/manifests');
  for (const bad of ['', '   ', 'just-a-word', './relative/path']) assert.equal(normalizeRepoURL(bad), undefined, bad);
});

test('source paths: ./, trailing and doubled slashes, the root', () => {
  assert.equal(normalizeSourcePath('./apps/web/overlays/dev/'), 'apps/web/overlays/dev');
  assert.equal(normalizeSourcePath('apps//web/./overlays/dev'), 'apps/web/overlays/dev');
  assert.equal(normalizeSourcePath('/charts/cache'), 'charts/cache');
  for (const r of ['', './', '.', '/', undefined]) assert.equal(normalizeSourcePath(r), '.', String(r));
});

test('git remotes of a real repository, from a subfolder and from a worktree; none outside a repository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-remotes-'));
  try {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'deploy', 'apps'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: dir } });
    git('init', '-q');
    git('remote', 'add', 'origin', 'git@git.example.com:shop/gitops.git');
    git('remote', 'add', 'mirror', 'https://mirror.example.com/shop/gitops');
    assert.deepEqual(gitRemoteUrls(join(repo, 'deploy', 'apps')), ['git@git.example.com:shop/gitops.git', 'https://mirror.example.com/shop/gitops']);
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'init');
    git('worktree', 'add', '-q', join(dir, 'wt'));
    assert.deepEqual(gitRemoteUrls(join(dir, 'wt')), ['git@git.example.com:shop/gitops.git', 'https://mirror.example.com/shop/gitops']);
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    assert.deepEqual(gitRemoteUrls(outside).filter((u) => u.includes('example.com')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('URLs named by Argo CD Applications/ApplicationSets (single and multi-source) and Flux GitRepositories', () => {
  const urls = repoURLsOfObjects([
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', spec: { source: { repoURL: 'https://a.example.com/x.git', path: 'p' } } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', spec: { sources: [{ repoURL: 'https://b.example.com/y' }, { repoURL: 'https://charts.example.com', chart: 'c' }] } },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', spec: { template: { spec: { source: { repoURL: 'git@c.example.com:z.git' } } } } },
    { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', spec: { url: 'ssh://git@d.example.com/w' } },
    { apiVersion: 'v1', kind: 'ConfigMap', data: { repoURL: 'https://not.example.com/a-repo' } },
    null,
  ]);
  assert.deepEqual(urls, ['https://a.example.com/x.git', 'https://b.example.com/y', 'https://charts.example.com', 'git@c.example.com:z.git', 'ssh://git@d.example.com/w']);
});
