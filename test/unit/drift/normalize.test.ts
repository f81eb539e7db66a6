// Normalizers and field knowledge: quantities, int-or-string, list-map keys, managedFields tries,
// jq-like paths and JSON pointers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalQuantity,
  compareObjects,
  deleteJq,
  formatPath,
  listRule,
  normalizeObject,
  ownersOf,
  parseJqPath,
  parseJsonPointer,
  deletePointer,
  compileIgnoreRules,
  toApplyPayload,
  isQuantityPath,
  sameScalar,
} from '../../../src/core/drift';

test('quantities: equal values in any spelling have one canonical form, different values do not', () => {
  const same: Array<[unknown, unknown]> = [
    ['100m', '0.1'],
    ['1Gi', '1024Mi'],
    ['1000m', '1'],
    [0.5, '500m'],
    ['1e3', '1k'],
    ['1.5Gi', '1536Mi'],
    ['0', '0m'],
    ['1E', '1e18'],
    [1073741824, '1Gi'],
    ['.5', '500m'],
    ['250u', '0.25m'],
  ];
  for (const [a, b] of same) assert.equal(canonicalQuantity(a), canonicalQuantity(b), `${a} == ${b}`);
  const different: Array<[unknown, unknown]> = [
    ['1G', '1Gi'],
    ['100m', '1'],
    ['128974848', '129e6'],
    ['1Mi', '1M'],
  ];
  for (const [a, b] of different) assert.notEqual(canonicalQuantity(a), canonicalQuantity(b), `${a} != ${b}`);
  for (const bad of ['abc', '1Gb', '', '1.2.3', null, {}]) assert.equal(canonicalQuantity(bad), undefined, String(bad));
});

test('quantity and int-or-string comparisons apply where the schema says, not elsewhere', () => {
  assert.ok(isQuantityPath('Deployment', ['spec', 'template', 'spec', 'containers', '[]', 'resources', 'limits', 'cpu']));
  assert.ok(isQuantityPath('PersistentVolumeClaim', ['spec', 'resources', 'requests', 'storage']));
  assert.ok(isQuantityPath('ResourceQuota', ['spec', 'hard', 'requests.cpu']));
  assert.ok(!isQuantityPath('ConfigMap', ['data', 'cpu']));
  assert.ok(sameScalar('Deployment', ['spec', 'template', 'spec', 'containers', '[]', 'resources', 'requests', 'memory'], '1Gi', '1024Mi'));
  assert.ok(!sameScalar('ConfigMap', ['data', 'memory'], '1Gi', '1024Mi'));
  assert.ok(sameScalar('Service', ['spec', 'ports', '[]', 'targetPort'], '8080', 8080));
  assert.ok(sameScalar('Deployment', ['spec', 'strategy', 'rollingUpdate', 'maxSurge'], '1', 1));
  assert.ok(!sameScalar('Deployment', ['spec', 'strategy', 'rollingUpdate', 'maxSurge'], '25%', 1));
  assert.ok(!sameScalar('ConfigMap', ['data', 'x'], '8080', 8080));
});

test('list rules: built-in lists that are maps, sets, and ordered lists (custom resources are ordered)', () => {
  const pod = ['spec', 'template', 'spec'];
  assert.deepEqual(listRule('apps', 'Deployment', [...pod, 'containers']), { type: 'map', keys: ['name'] });
  assert.deepEqual(listRule('apps', 'Deployment', [...pod, 'containers', '[]', 'ports']), { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } });
  assert.deepEqual(listRule('', 'Service', ['spec', 'ports']), { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } });
  assert.deepEqual(listRule('batch', 'CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'initContainers', '[]', 'env']), { type: 'map', keys: ['name'] });
  assert.deepEqual(listRule('apps', 'StatefulSet', [...pod, 'containers', '[]', 'volumeMounts']), { type: 'map', keys: ['mountPath'] });
  assert.deepEqual(listRule('apps', 'Deployment', [...pod, 'tolerations']), { type: 'set' });
  assert.deepEqual(listRule('', 'Pod', ['spec', 'imagePullSecrets']), { type: 'map', keys: ['name'] });
  assert.deepEqual(listRule('apps', 'Deployment', [...pod, 'containers', '[]', 'args']), { type: 'ordered' });
  assert.deepEqual(listRule('example.com', 'Widget', ['spec', 'containers']), { type: 'ordered' });
});

test('normalizeObject drops status, server metadata and last-applied; folds Secret stringData into hashed data', () => {
  const n = normalizeObject(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        uid: 'u',
        resourceVersion: '1',
        generation: 2,
        creationTimestamp: '2024-01-01T00:00:00Z',
        selfLink: '/x',
        managedFields: [{}],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"p":"c2VjcmV0"}}' },
      },
      data: { a: Buffer.from('hunter2-value').toString('base64') },
      stringData: { b: 'plain-value' },
      status: { x: 1 },
    },
    { group: '', kind: 'Secret', namespace: 'ns' },
  );
  assert.deepEqual(Object.keys(n.metadata as object).sort(), ['name', 'namespace']);
  assert.equal(n.status, undefined);
  assert.equal(n.stringData, undefined);
  const data = n.data as Record<string, string>;
  assert.deepEqual(Object.keys(data).sort(), ['a', 'b']);
  const text = JSON.stringify(n);
  for (const leak of ['hunter2-value', 'plain-value', Buffer.from('hunter2-value').toString('base64'), 'c2VjcmV0']) assert.ok(!text.includes(leak), leak);
  // Equal bytes give equal hashes whichever way they were written.
  const m = normalizeObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { a: 'hunter2-value' }, data: { b: Buffer.from('plain-value').toString('base64') } }, { group: '', kind: 'Secret' });
  assert.deepEqual(m.data, n.data);
});

test('toApplyPayload: numeric quantities become strings, numeric int-or-string strings numbers (built-in kinds only)', () => {
  const p = toApplyPayload({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    spec: { replicas: 2, strategy: { rollingUpdate: { maxSurge: '1', maxUnavailable: '25%' } }, template: { spec: { containers: [{ resources: { requests: { cpu: 0.5, memory: 1073741824 } }, ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: '8080' } }, env: [{ name: 'PORT', value: '8080' }] }] } } },
  });
  assert.deepEqual(p.spec, { replicas: 2, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } }, template: { spec: { containers: [{ resources: { requests: { cpu: '0.5', memory: '1073741824' } }, ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 8080 } }, env: [{ name: 'PORT', value: '8080' }] }] } } });
  const cr = { apiVersion: 'example.com/v1', kind: 'Widget', spec: { resources: { limits: { memory: 5 } }, port: '80' } };
  assert.deepEqual(toApplyPayload(cr), cr);
});

test('managedFields: owners through f:, k:{…} with defaulted keys, v: set values, and atomic ancestors', () => {
  const live = {
    metadata: {
      finalizers: ['a/b'],
      managedFields: [
        {
          manager: 'reconcile',
          operation: 'Apply',
          time: '2024-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:spec': {
              'f:selector': {},
              'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } } } },
            },
          },
        },
        { manager: 'x', operation: 'Update', time: '2024-01-02T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} } } } },
        { manager: 'empty', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} },
      ],
    },
  };
  const names = (path: Parameters<typeof ownersOf>[1]) => ownersOf(live, path).map((e) => e.manager);
  assert.deepEqual(names(['spec', 'selector', 'matchLabels', 'app']), ['reconcile'], 'atomic selector');
  assert.deepEqual(names(['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }]), ['reconcile']);
  assert.deepEqual(names(['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'image']), []);
  assert.deepEqual(names(['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'ports', { index: 0, key: { containerPort: 8080, protocol: 'TCP' } }, 'containerPort']), ['reconcile']);
  assert.deepEqual(names(['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'ports', { index: 0, key: { containerPort: 8080, protocol: 'TCP' } }, 'protocol']), [], 'a defaulted field belongs to nobody');
  assert.deepEqual(names(['metadata', 'finalizers', { index: 0, value: 'a/b' }]), ['x']);
  assert.deepEqual(names(['spec']), [], 'owning something below is not owning the node');
});

test('compareObjects (subset): a field only the cluster has is drift only when a non-controller manager set it', () => {
  const desired = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
  const mf = (manager: string, operation: string, fieldsV1: object) => ({ manager, operation, fieldsType: 'FieldsV1', fieldsV1 });
  const live = (managedFields: object[], extra: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields }, data: { a: '1', ...extra } });
  const run = (l: ReturnType<typeof live>, opts: Partial<Parameters<typeof compareObjects>[3]> = {}) =>
    compareObjects(desired, normalizeObject(l, { group: '', kind: 'ConfigMap' }), l, { group: '', kind: 'ConfigMap', mode: 'subset', ...opts }).map((f) => `${f.change} ${f.path} ${f.manager ?? '-'}`);
  // Nobody owns it: a default.
  assert.deepEqual(run(live([mf('reconcile', 'Apply', { 'f:data': { 'f:a': {} } })], { b: '2' })), []);
  // A person added it.
  assert.deepEqual(run(live([mf('reconcile', 'Apply', { 'f:data': { 'f:a': {} } }), mf('kubectl-edit', 'Update', { 'f:data': { 'f:b': {} } })], { b: '2' })), ['added data.b kubectl-edit']);
  // A controller added it.
  assert.deepEqual(run(live([mf('reconcile', 'Apply', { 'f:data': { 'f:a': {} } }), mf('kube-controller-manager', 'Update', { 'f:data': { 'f:b': {} } })], { b: '2' })), []);
  // The manager that also wrote Git's values (it created the object with client-side apply).
  assert.deepEqual(run(live([mf('kubectl-client-side-apply', 'Update', { 'f:data': { 'f:a': {}, 'f:b': {} } })], { b: '2' })), []);
  // Git no longer has a field its applier set: drift (apply would remove it).
  assert.deepEqual(run(live([mf('reconcile', 'Apply', { 'f:data': { 'f:a': {}, 'f:b': {} } })], { b: '2' })), ['added data.b reconcile']);
  // Ignored managers, configured appliers.
  assert.deepEqual(run(live([mf('kubectl-edit', 'Update', { 'f:data': { 'f:b': {} } })], { b: '2' }), { ignoredManagers: new Set(['kubectl-edit']) }), []);
  assert.deepEqual(run(live([mf('argocd-controller', 'Update', { 'f:data': { 'f:b': {} } })], { b: '2' }), { appliers: new Set(['argocd-controller']) }), []);
});

test('jq-like paths: the supported subset parses, selects and deletes; the rest is reported', () => {
  const obj = () => ({
    metadata: { annotations: { 'a.b/c': 'x', keep: 'y' } },
    spec: {
      replicas: 3,
      containers: [
        { name: 'a', image: 'i1', env: [{ name: 'X' }] },
        { name: 'b', image: 'i2' },
      ],
    },
  });
  const del = (expr: string) => {
    const o = obj();
    deleteJq(o, parseJqPath(expr));
    return o;
  };
  assert.equal(del('.spec.replicas').spec.replicas, undefined);
  assert.deepEqual(del('.metadata.annotations["a.b/c"]').metadata.annotations, { keep: 'y' });
  assert.deepEqual(del('.metadata.annotations."a.b/c"').metadata.annotations, { keep: 'y' });
  assert.deepEqual(del('.spec.containers[] | select(.name == "b") | .image').spec.containers, [{ name: 'a', image: 'i1', env: [{ name: 'X' }] }, { name: 'b' }]);
  assert.deepEqual(del('.spec.containers[] | select(.name != "b") | .image').spec.containers, [{ name: 'a', env: [{ name: 'X' }] }, { name: 'b', image: 'i2' }]);
  assert.deepEqual(del('.spec.containers[].image').spec.containers, [{ name: 'a', env: [{ name: 'X' }] }, { name: 'b' }]);
  assert.deepEqual(del('.spec.containers[] | select(.env)').spec.containers, [{ name: 'b', image: 'i2' }]);
  assert.deepEqual(del('.spec.containers[0].env').spec.containers[0], { name: 'a', image: 'i1' });
  for (const bad of ['.spec | length', 'spec.replicas', '.spec.containers[] | select(.name | startswith("a"))', '.a // .b']) {
    assert.throws(() => parseJqPath(bad), Error, bad);
  }
  const compiled = compileIgnoreRules([{ jsonPointers: ['spec/x'], jqPathExpressions: ['.a | keys'], managedFieldsManagers: [] }]);
  assert.deepEqual(compiled.problems.map((p) => p.expression), ['spec/x', '.a | keys']);
});

test('JSON pointers with escapes, into maps and lists', () => {
  assert.deepEqual(parseJsonPointer('/metadata/annotations/a~1b~0c'), ['metadata', 'annotations', 'a/b~c']);
  const o = { metadata: { annotations: { 'a/b~c': '1', d: '2' } }, l: [1, 2, 3] };
  deletePointer(o, parseJsonPointer('/metadata/annotations/a~1b~0c'));
  deletePointer(o, parseJsonPointer('/l/1'));
  deletePointer(o, parseJsonPointer('/no/such/path'));
  assert.deepEqual(o, { metadata: { annotations: { d: '2' } }, l: [1, 3] });
});

test('formatPath names fields, list-map items by key, positions, and odd keys', () => {
  assert.equal(formatPath(['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'api' } }, 'image']), 'spec.template.spec.containers[name=api].image');
  assert.equal(formatPath(['metadata', 'annotations', 'example.com/x']), 'metadata.annotations["example.com/x"]');
  assert.equal(formatPath(['spec', 'ports', { index: 1, key: { port: 80, protocol: 'TCP' } }]), 'spec.ports[port=80,protocol=TCP]');
  assert.equal(formatPath(['spec', 'args', { index: 2 }]), 'spec.args[2]');
});
