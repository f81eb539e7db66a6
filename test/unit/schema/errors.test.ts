// Each error class, with the exact range it underlines and the message it gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, covered, fixture, validate } from './helpers';
import { SchemaValidator } from '../../../src/core/schema';

test('Deployment: required, unknown field, type, enum, quantity format, required in a list item', () => {
  const { text } = fixture('errors', 'deployment.yaml');
  const f = validate(['errors', 'deployment.yaml']);
  assert.deepEqual(brief(f), [
    'schema/required 7:0-7:4',
    'schema/type 8:12-8:15',
    'schema/unknown-field 9:2-9:9',
    'schema/enum 20:27-20:36',
    'schema/format 26:19-26:25',
    'schema/required 28:10-28:15',
  ]);
  assert.deepEqual(f.map((x) => covered(text, x)), ['spec', '"3"', 'selectr', 'Sometimes', '1 core', 'image']);
  assert.deepEqual(f.map((x) => x.message), [
    'spec: missing required field "selector"',
    'spec.replicas: expected integer, got string "3"',
    'spec.selectr: unknown field (did you mean "selector"?)',
    'spec.template.spec.containers[0].imagePullPolicy: must be one of Always, IfNotPresent, Never (got "Sometimes")',
    'spec.template.spec.containers[0].resources.limits.cpu: "1 core" is not a quantity such as 500m, 128Mi, 1.5 or 2Gi',
    'spec.template.spec.containers[1]: missing required field "name"',
  ]);
  for (const x of f) {
    assert.equal(x.severity, 'error');
    assert.equal(x.source, 'schema');
    assert.equal(x.docs, `docs/rules/${x.code.replace('/', '-')}.md`);
    assert.ok(x.file?.endsWith('deployment.yaml'));
  }
});

test('Service and ConfigMap: enum, int-or-string, strings in string maps (YAML 1.1 booleans as kubectl reads them)', () => {
  const { text } = fixture('errors', 'service-and-configmap.yaml');
  const f = validate(['errors', 'service-and-configmap.yaml']);
  assert.deepEqual(brief(f), ['schema/enum 5:8-5:19', 'schema/type 8:18-8:24', 'schema/type 15:24-15:28', 'schema/type 17:11-17:15']);
  assert.deepEqual(f.map((x) => covered(text, x)), ['LoadBalancr', '8080.5', '9090', 'true']);
  assert.equal(f[1].message, 'spec.ports[0].targetPort: expected integer or string, got number 8080.5');
  assert.equal(f[2].message, 'metadata.annotations["prometheus.io/port"]: expected string, got number 9090');
  assert.equal(f[3].message, 'data.enabled: expected string, got boolean true');
});

test('int-or-string and quantity formats', () => {
  const { text } = fixture('errors', 'int-or-string-and-quantity.yaml');
  const f = validate(['errors', 'int-or-string-and-quantity.yaml']);
  // maxSurge 25% and port: http are valid int-or-string values; cpu 0.5 and memory 1.5Gi are valid quantities.
  assert.deepEqual(brief(f), ['schema/type 11:22-11:26', 'schema/format 22:22-22:27', 'schema/format 25:19-25:23']);
  assert.deepEqual(f.map((x) => covered(text, x)), ['true', '128MB', 'lots']);
  assert.equal(f[0].message, 'spec.strategy.rollingUpdate.maxUnavailable: expected integer or string, got boolean true');
});

test('duplicate keys and YAML syntax errors come from the parser, per document', () => {
  const { text } = fixture('errors', 'duplicate-and-syntax.yaml');
  const f = validate(['errors', 'duplicate-and-syntax.yaml']);
  assert.deepEqual(brief(f), ['yaml/duplicate-key 4:2-4:6', 'yaml/syntax 12:0-12:1']);
  assert.equal(covered(text, f[0]), 'name');
  assert.equal(f[0].message, 'duplicate key "name": a mapping may hold each key once');
  assert.match(f[1].message, /Flow sequence/);
  // The third document (a valid Secret) is unaffected by the broken second one.
});

test('an unknown field suggests the nearest known one only when it is close', () => {
  const v = new SchemaValidator();
  const f = v.validateFile('/x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  lables: {}\n  zzzzzz: 1\n');
  assert.deepEqual(f.map((x) => x.message), ['metadata.lables: unknown field (did you mean "labels"?)', 'metadata.zzzzzz: unknown field']);
});

test('valid input gets nothing: null values, empty maps, YAML 1.1 booleans on boolean fields, quoted numbers in strings', () => {
  const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  creationTimestamp: null
  annotations:
    port: "9090"
spec:
  replicas:
  paused: no
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      automountServiceAccountToken: yes
      containers:
        - name: web
          image: nginx
          resources: {}
          ports: [{containerPort: 80, name: http}]
      volumes:
        - name: tmp
          emptyDir: {}
`;
  assert.deepEqual(new SchemaValidator().validateFile('/web.yaml', text), []);
});
