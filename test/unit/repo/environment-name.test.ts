import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentFromPath, fluxClusterFromPath, isProductionName, matchContext, normalizeRepoUrl } from '../../../src/core/repo';

test('environmentFromPath: the usual layouts', () => {
  assert.deepEqual(environmentFromPath('apps/web/overlays/dev'), { env: 'dev', app: 'web' });
  assert.deepEqual(environmentFromPath('web/envs/staging'), { env: 'staging', app: 'web' });
  assert.deepEqual(environmentFromPath('environments/prod/web'), { env: 'prod' });
  assert.deepEqual(environmentFromPath('clusters/eu-1/apps'), { env: 'eu-1' });
  assert.deepEqual(environmentFromPath('web/prod'), { env: 'prod', app: 'web' });
  assert.deepEqual(environmentFromPath('web/blue', new Set(['blue'])), { env: 'blue', app: 'web' });
  assert.equal(environmentFromPath('web/blue'), undefined);
  assert.equal(environmentFromPath('apps/web'), undefined);
  assert.equal(environmentFromPath('overlays'), undefined);
});

test('fluxClusterFromPath: only files inside clusters/<name>/', () => {
  assert.equal(fluxClusterFromPath('clusters/dev/apps.yaml'), 'dev');
  assert.equal(fluxClusterFromPath('clusters/dev/flux-system/gotk-sync.yaml'), 'dev');
  assert.equal(fluxClusterFromPath('clusters/apps.yaml'), undefined);
  assert.equal(fluxClusterFromPath('apps/dev/x.yaml'), undefined);
});

test('matchContext: exact, kind-/k3d- prefixes, then *-name; ambiguity is reported', () => {
  assert.deepEqual(matchContext('dev', ['kind-dev', 'dev']), { context: 'dev' });
  assert.deepEqual(matchContext('dev', ['kind-dev', 'gke_p_z_dev-x']), { context: 'kind-dev' });
  assert.deepEqual(matchContext('dev', ['team-dev', 'k8s']), { context: 'team-dev' });
  assert.deepEqual(matchContext('dev', ['a-dev', 'b_dev']), { context: 'a-dev', ambiguous: ['a-dev', 'b_dev'] });
  assert.equal(matchContext('dev', ['development', 'devel']), undefined);
});

test('isProductionName and normalizeRepoUrl', () => {
  for (const n of ['prod', 'production', 'prod-eu', 'eu.prod', 'live']) assert.ok(isProductionName(n), n);
  for (const n of ['dev', 'staging', 'product', 'preprod']) assert.ok(!isProductionName(n), n);
  assert.equal(normalizeRepoUrl('git@github.com:Org/Repo.git'), 'github.com/org/repo');
  assert.equal(normalizeRepoUrl('https://github.com/org/repo'), 'github.com/org/repo');
  assert.equal(normalizeRepoUrl('ssh://git@git.example.com:2222/org/repo.git'), 'git.example.com:2222/org/repo');
});
