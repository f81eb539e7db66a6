import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { kubeconfigPaths, readKubeconfig } from '../../../src/core/cluster/kubeconfig';

const dir = mkdtempSync(join(tmpdir(), 'reconcile-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('kubeconfigPaths: setting, then $KUBECONFIG (deduplicated), then ~/.kube/config', () => {
  assert.deepEqual(kubeconfigPaths('~/k.yaml', { KUBECONFIG: '/a' }, '/home/u'), ['/home/u/k.yaml']);
  assert.deepEqual(kubeconfigPaths('', { KUBECONFIG: ['/a', '', '/b', '/a'].join(delimiter) }, '/home/u'), ['/a', '/b']);
  assert.deepEqual(kubeconfigPaths(undefined, {}, '/home/u'), ['/home/u/.kube/config']);
});

test('readKubeconfig merges files: first current-context and first context of a name win', async () => {
  const a = write('a.yaml', `apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c1, user: u1, namespace: shop-dev}
`);
  const b = write('b.yaml', `current-context: prod
contexts:
- name: dev
  context: {cluster: other}
- name: prod
  context: {cluster: c2, user: u2}
`);
  const s = await readKubeconfig([a, b]);
  assert.equal(s.currentContext, 'dev');
  assert.deepEqual(s.contexts.map((c) => [c.name, c.cluster, c.namespace, c.file]), [
    ['dev', 'c1', 'shop-dev', a],
    ['prod', 'c2', undefined, b],
  ]);
  assert.deepEqual(s.problems, []);
});

test('readKubeconfig reports missing, malformed and non-kubeconfig files without failing', async () => {
  const bad = write('bad.yaml', 'contexts: [\n');
  const scalar = write('scalar.yaml', 'just text');
  const good = write('good.yaml', 'contexts:\n- name: x\n  context: {cluster: y}\n');
  const s = await readKubeconfig([join(dir, 'missing.yaml'), bad, scalar, good]);
  assert.deepEqual(s.contexts.map((c) => c.name), ['x']);
  assert.equal(s.currentContext, undefined);
  assert.deepEqual(s.problems.map((p) => [p.file, p.message.split(':')[0]]), [
    [join(dir, 'missing.yaml'), 'file does not exist'],
    [bad, 'not valid YAML'],
    [scalar, 'not a kubeconfig (expected a mapping with contexts)'],
  ]);
});
