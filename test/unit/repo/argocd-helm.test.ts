// Argo CD `source.helm` on a chart of this repository, rendered with the real helm; each expectation
// follows a rule of Argo CD's Helm guide (fixtures/argocd-helm-local/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { realRenderer } from '../render/golden-cases';

const root = join(__dirname, '..', '..', 'fixtures', 'argocd-helm-local');

async function data(name: string): Promise<{ name: string; namespace: string; data: Record<string, string> }> {
  const m = await discover(root);
  const app = m.environments.flatMap((e) => e.applications).find((a) => a.name === name)!;
  assert.deepEqual(app.errors, []);
  const r = await realRenderer().renderApplication(app);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  const o = r.documents[0].object as { metadata: { name: string; namespace: string }; data: Record<string, string> };
  return { name: o.metadata.name, namespace: o.metadata.namespace, data: o.data };
}

test('value file globs in place and lexical, an explicit file where listed; fileParameters, releaseName, helm.namespace, kubeVersion, apiVersions', async () => {
  const d = await data('web');
  assert.equal(d.name, 'storefront');
  assert.equal(d.namespace, 'shop-helm');
  // envs/*.yaml → a, z (b is listed explicitly after the glob, so it comes last and wins)
  assert.deepEqual(d.data, { winner: 'b', banner: 'Welcome to the shop', kubeVersion: 'v1.29.0', serviceMonitor: 'true' });
});

test('envs/**/*.yaml walks a folder before its sub-folders; a glob matching nothing is skipped with ignoreMissingValueFiles', async () => {
  const d = await data('web-nested');
  assert.equal(d.data.winner, 'nested-c'); // a, b, z, then nested/c
});
