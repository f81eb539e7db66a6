// Argo CD directory applications: recurse, include, exclude and skip-file-rendering, as Argo CD's
// Directory guide describes them (fixtures/argocd-directory/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { discover } from '../../../src/core/repo';

const root = join(__dirname, '..', '..', 'fixtures', 'argocd-directory');

test('include/exclude with recurse keep deployment.yaml and env-use2/configmap.yaml; a skip-file-rendering file is left out', async () => {
  const m = await discover(root);
  const files = (env: string, name: string) => {
    const a = m.environments.find((e) => e.name === env)!.applications.find((x) => x.name === name)!;
    assert.equal(a.renderer.kind, 'plain');
    return a.renderer.kind === 'plain' ? a.renderer.files.map((f) => relative(root, f).split('\\').join('/')) : [];
  };
  assert.deepEqual(files('prod', 'guestbook'), ['guestbook/deployment.yaml', 'guestbook/env-use2/configmap.yaml']);
  // Without directory options: the root's manifest files only (.yaml, .yml, .json).
  assert.deepEqual(files('staging', 'root-only'), ['guestbook/config.json', 'guestbook/deployment.yaml']);
});
