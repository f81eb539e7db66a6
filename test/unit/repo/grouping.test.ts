// A repository where no environments are found: one `default` environment, shown grouped by the
// namespace each application's manifests name (not one flat list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { discover, namespaceGroups } from '../../../src/core/repo';

test('the default environment is grouped by namespace; named environments stay flat', async () => {
  const m = await discover(path.join(__dirname, '..', '..', 'fixtures', 'repos', 'no-environments'));
  assert.deepEqual(m.environments.map((e) => e.name), ['default']);
  const env = m.environments[0];
  assert.deepEqual(namespaceGroups(env, env.applications)?.map((g) => [g.namespace, g.apps.map((a) => a.name)]), [
    ['payments', ['payments']],
    ['shop', ['shop']],
    ['', ['tools']],
  ]);
  assert.equal(namespaceGroups({ name: 'dev' }, env.applications), undefined);
  assert.equal(namespaceGroups(env, env.applications.slice(0, 1)), undefined, 'one namespace: nothing to group');
});
