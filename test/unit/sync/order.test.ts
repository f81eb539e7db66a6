// Sync order: Namespaces, CRDs, other cluster-scoped objects, then namespaced ones by sync wave, kind
// order (Argo CD / Helm-like) and name; webhook configurations and APIServices last. Pure, no cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawObject } from '../../../src/core/cluster';
import { resourceIdOf } from '../../../src/core/manifest';
import { phaseOf, stepOf, syncOrder, waveOf, type Orderable } from '../../../src/core/sync';

function obj(apiVersion: string, kind: string, name: string, namespace?: string, wave?: string | number): Orderable {
  const object: RawObject = { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(wave !== undefined ? { annotations: { 'argocd.argoproj.io/sync-wave': wave } } : {}) } };
  return { id: resourceIdOf(object)!, object };
}

const label = (x: Orderable) => `${x.id.kind}/${x.id.namespace ? `${x.id.namespace}/` : ''}${x.id.name}`;

/** A deterministic shuffle (the order must not depend on the input order). */
function shuffle<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

test('Namespaces, then CRDs, then other cluster-scoped objects, then namespaced ones by wave, kind and name', () => {
  const expected = [
    obj('v1', 'Namespace', 'a-ns'),
    obj('v1', 'Namespace', 'b-ns', undefined, '5'), // waves do not move Namespaces out of their phase
    obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
    obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'early', undefined, '-1'),
    obj('storage.k8s.io/v1', 'StorageClass', 'fast'),
    obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
    obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'reader'),
    obj('example.com/v1', 'ClusterWidget', 'global'), // a cluster-scoped custom resource: after the built-in kinds
    obj('v1', 'ConfigMap', 'pre', 'app', '-2'),
    obj('apps/v1', 'Deployment', 'migrate', 'app', '-1'),
    obj('v1', 'ServiceAccount', 'app', 'app'),
    obj('v1', 'Secret', 'creds', 'app'),
    obj('v1', 'ConfigMap', 'a-settings', 'app'),
    obj('v1', 'ConfigMap', 'b-settings', 'app'),
    obj('v1', 'PersistentVolumeClaim', 'data', 'app'),
    obj('rbac.authorization.k8s.io/v1', 'Role', 'app', 'app'),
    obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'app', 'app'),
    obj('v1', 'Service', 'app', 'app'),
    obj('apps/v1', 'Deployment', 'app', 'app'),
    obj('autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'app', 'app'),
    obj('apps/v1', 'StatefulSet', 'db', 'app'),
    obj('batch/v1beta1', 'CronJob', 'nightly', 'app'),
    obj('networking.k8s.io/v1', 'Ingress', 'app', 'app'),
    obj('example.com/v1', 'Widget', 'w', 'app'),
    obj('v1', 'ConfigMap', 'late', 'app', '3'),
    obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'policy'),
  ];
  for (const seed of [1, 7, 42, 1234]) {
    assert.deepEqual(syncOrder(shuffle(expected, seed)).map(label), expected.map(label), `seed ${seed}`);
  }
});

test('the input is not changed; equal items keep a total order by namespace and name', () => {
  const input = [obj('v1', 'ConfigMap', 'b', 'y'), obj('v1', 'ConfigMap', 'a', 'y'), obj('v1', 'ConfigMap', 'z', 'x')];
  const before = input.map(label);
  assert.deepEqual(syncOrder(input).map(label), ['ConfigMap/x/z', 'ConfigMap/y/a', 'ConfigMap/y/b']);
  assert.deepEqual(input.map(label), before);
});

test('sync waves: integers (quoted or not, signed); anything else is wave 0', () => {
  const w = (v: unknown) => waveOf({ metadata: { annotations: { 'argocd.argoproj.io/sync-wave': v } } });
  assert.equal(w('3'), 3);
  assert.equal(w('-2'), -2);
  assert.equal(w('+4'), 4);
  assert.equal(w(' 5 '), 5);
  assert.equal(w(7), 7);
  assert.equal(w('1.5'), 0);
  assert.equal(w('soon'), 0);
  assert.equal(w(''), 0);
  assert.equal(waveOf({ metadata: {} }), 0);
  assert.equal(waveOf(undefined), 0);
  // An explicit wave on the item wins over its object's annotation (plan items carry it).
  const a = { ...obj('v1', 'ConfigMap', 'a', 'n', '9'), wave: -1 };
  const b = obj('v1', 'ConfigMap', 'b', 'n');
  assert.deepEqual(syncOrder([b, a]).map(label), ['ConfigMap/n/a', 'ConfigMap/n/b']);
});

test('phases and steps: a step is a phase, and within cluster-scoped and namespaced objects a wave', () => {
  assert.equal(phaseOf({ group: '', kind: 'Namespace' }), 'namespaces');
  assert.equal(phaseOf({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' }), 'crds');
  assert.equal(phaseOf({ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }), 'cluster');
  assert.equal(phaseOf({ group: '', kind: 'ConfigMap', namespace: 'x' }), 'namespaced');
  assert.equal(phaseOf({ group: 'apiregistration.k8s.io', kind: 'APIService' }), 'last');
  assert.equal(stepOf(obj('v1', 'Namespace', 'a', undefined, '3')), 'namespaces');
  assert.equal(stepOf(obj('v1', 'ConfigMap', 'a', 'n', '3')), 'namespaced:3');
  assert.equal(stepOf(obj('v1', 'ConfigMap', 'a', 'n')), 'namespaced:0');
  assert.equal(stepOf(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r', undefined, '-1')), 'cluster:-1');
});
