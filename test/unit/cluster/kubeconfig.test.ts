import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { kubeconfigPaths, loadKubeconfigFiles, mergedKubeconfigText, readKubeconfig } from '../../../src/core/cluster/kubeconfig';

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

test('loadKubeconfigFiles: kubectl\'s merge of clusters, users and contexts; file references are relative to their own file', async () => {
  const sub = join(dir, 'sub');
  mkdirSync(sub, { recursive: true });
  const a = write('merge-a.yaml', `current-context: prod
clusters:
- name: c1
  cluster: {server: "https://one:6443", certificate-authority: ca.crt}
users:
- name: u1
  user: {client-certificate: certs/u1.crt, client-key: /abs/u1.key, exec: {command: ./bin/get-token, apiVersion: client.authentication.k8s.io/v1}}
`);
  const b = join(sub, 'merge-b.yaml');
  writeFileSync(b, `current-context: dev
clusters:
- name: c1
  cluster: {server: "https://other:6443"}
- name: c2
  cluster: {server: "https://two:6443", certificate-authority: ../ca2.crt}
users:
- name: u2
  user: {tokenFile: token, exec: {command: kubelogin}}
contexts:
- name: prod
  context: {cluster: c2, user: u1}
`);
  const m = await loadKubeconfigFiles([a, join(dir, 'nope.yaml'), b]);
  assert.equal(m.currentContext, 'prod');
  assert.deepEqual(m.clusters.map((c) => [c.name, c.value.server, c.value['certificate-authority'], c.file]), [
    ['c1', 'https://one:6443', join(dir, 'ca.crt'), a],
    ['c2', 'https://two:6443', join(dir, 'ca2.crt'), b],
  ]);
  const [u1, u2] = m.users;
  assert.deepEqual([u1.value['client-certificate'], u1.value['client-key'], (u1.value.exec as { command: string }).command], [join(dir, 'certs', 'u1.crt'), '/abs/u1.key', join(dir, 'bin', 'get-token')]);
  assert.deepEqual([u2.value.tokenFile, (u2.value.exec as { command: string }).command], [join(sub, 'token'), 'kubelogin'], 'a command on $PATH stays as it is');
  assert.deepEqual(m.contexts.map((c) => [c.name, c.value.cluster, c.file]), [['prod', 'c2', b]]);
  assert.deepEqual(m.problems.map((p) => p.message), ['file does not exist']);
  // The same merge, as client-node reads it (what connections use).
  const doc = JSON.parse(mergedKubeconfigText(m));
  assert.equal(doc['current-context'], 'prod');
  assert.deepEqual(doc.clusters.map((c: { name: string }) => c.name), ['c1', 'c2']);
});
