import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redHatKubernetesGlobs, schemaDeferred } from '../../../src/core/schema/deferral';

test('redHatKubernetesGlobs: only the entries that map a Kubernetes schema', () => {
  assert.deepEqual(redHatKubernetesGlobs(undefined), []);
  assert.deepEqual(redHatKubernetesGlobs(['x']), []);
  assert.deepEqual(
    redHatKubernetesGlobs({
      kubernetes: ['k8s/**/*.yaml', ' '],
      'https://raw.example.com/yannh/kubernetes-json-schema/master/v1.30.0-standalone-strict/all.json': 'manifests/*.yaml',
      'https://json.schemastore.org/chart.json': 'Chart.yaml',
    }),
    ['k8s/**/*.yaml', 'manifests/*.yaml'],
  );
});

test('schemaDeferred: file-name globs match anywhere, path globs relative to the workspace folder', () => {
  const root = '/ws';
  assert.equal(schemaDeferred('/ws/apps/web/deploy.yaml', [root], []), false);
  assert.equal(schemaDeferred('/ws/apps/web/deploy.yaml', [root], ['*.yaml']), true);
  assert.equal(schemaDeferred('/ws/apps/web/deploy.yaml', [root], ['apps/**/*.yaml']), true);
  assert.equal(schemaDeferred('/ws/apps/web/deploy.yaml', [root], ['/apps/**']), true);
  assert.equal(schemaDeferred('/ws/charts/x/values.yaml', [root], ['apps/**/*.yaml']), false);
  assert.equal(schemaDeferred('/ws/apps/web/deploy.yml', [root], ['*.yaml']), false);
});
