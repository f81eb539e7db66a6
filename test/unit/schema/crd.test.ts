// Custom resources validated against a CRD from the repository, including its CEL rules; the
// registry's order of sources; the hook for schemas from a live cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, covered, fixture } from './helpers';
import { SchemaRegistry, SchemaValidator, evaluateCel, schemasFromCrd } from '../../../src/core/schema';
import { parseManifests } from '../../../src/core/manifest';

function withCrd(): SchemaValidator {
  const v = new SchemaValidator();
  const crd = fixture('crd', 'widget-crd.yaml');
  assert.deepEqual(v.validateFile(crd.path, crd.text), [], 'the CRD itself is a valid apiextensions.k8s.io/v1 object');
  return v;
}

test('a CRD registers one schema per served version', () => {
  const crd = parseManifests(fixture('crd', 'widget-crd.yaml').text).documents[0].value;
  const schemas = schemasFromCrd(crd);
  assert.deepEqual(schemas.map((s) => `${s.group}/${s.version}/${s.kind}`), ['example.com/v1/Widget']);
  assert.deepEqual(schemas[0].celRules.map((r) => r.path.join('.')), ['spec', 'spec.parts.*']);
});

test('valid custom resources get nothing (int-or-string, free-form config, map of strings)', () => {
  const v = withCrd();
  const cr = fixture('crd', 'widgets-valid.yaml');
  assert.deepEqual(v.validateFile(cr.path, cr.text), []);
});

test('invalid custom resources: enum, unknown field, int-or-string, pattern, CEL rules with message, messageExpression and fieldPath', () => {
  const v = withCrd();
  const cr = fixture('crd', 'widgets-invalid.yaml');
  const f = v.validateFile(cr.path, cr.text);
  assert.deepEqual(brief(f), [
    'schema/cel 4:0-4:4',
    'schema/enum 5:8-5:12',
    'schema/unknown-field 8:2-8:8',
    'schema/type 9:8-9:11',
    'schema/constraint 11:12-11:16',
    'schema/cel 12:13-12:14',
    'schema/cel 18:0-18:4',
    'schema/unknown-kind 25:6-25:12',
  ]);
  assert.deepEqual(f.map((x) => covered(cr.text, x)), ['spec', 'huge', 'colour', '1.5', 'Bolt', '0', 'spec', 'Widget']);
  assert.equal(f[0].message, 'spec: minReplicas must not exceed maxReplicas');
  assert.equal(f[5].message, 'spec.parts[0].count: count must be positive');
  assert.equal(f[6].message, 'spec: legacy mode only supports small widgets, not large');
  assert.match(f[7].message, /example\.com\/v1alpha1.*known versions: example\.com\/v1/);
  assert.equal(f[7].severity, 'info');
});

test('custom resources are unknown until the CRD is registered, and again after its file is forgotten', () => {
  const v = new SchemaValidator();
  const cr = fixture('crd', 'widgets-valid.yaml');
  const before = v.validateFile(cr.path, cr.text);
  assert.deepEqual(brief(before), ['schema/unknown-kind 1:6-1:12'], 'one info per kind per file, though the file has two Widgets');
  const crd = fixture('crd', 'widget-crd.yaml');
  v.validateFile(crd.path, crd.text);
  assert.deepEqual(v.validateFile(cr.path, cr.text), []);
  v.forget(crd.path);
  assert.equal(v.validateFile(cr.path, cr.text).length, 1);
});

test('CEL: integers are CEL ints, transition rules (oldSelf) are skipped, the Kubernetes library works, unknown functions are not reported', () => {
  const schema = { type: 'object', properties: { n: { type: 'integer' }, ratio: { type: 'number' }, url: { type: 'string' } } };
  const rules = [
    { rule: 'self.n + 1 == 4', message: 'int arithmetic' },
    { rule: 'self.ratio > 0.25', message: 'double comparison' },
    { rule: 'self.n == oldSelf.n', message: 'transition' },
    { rule: 'isURL(self.url)', message: 'kubernetes library function' },
    { rule: 'notAKubernetesFunction(self.n)', message: 'unknown function' },
  ];
  const ok = evaluateCel({ n: 3, ratio: 0.5, url: 'https://example.com/x' }, [{ path: [], rules, schema }]);
  assert.deepEqual(ok.violations, []);
  assert.equal(ok.unsupported, 1);
  const bad = evaluateCel({ n: 4, ratio: 0.1, url: 'not a url' }, [{ path: [], rules, schema }]);
  assert.deepEqual(bad.violations.map((x) => x.message), ['int arithmetic', 'double comparison', 'kubernetes library function']);
});

test('CEL: a missing field is an error (as on the API server), the time budget is bounded', () => {
  const r = evaluateCel({}, [{ path: [], rules: [{ rule: 'self.size > 1', message: 'size' }], schema: {} }]);
  assert.equal(r.violations.length, 1);
  assert.match(r.violations[0].message, /^size \(.*no such key/i);
  const many = Array.from({ length: 2000 }, (_, i) => ({ x: i }));
  const slow = evaluateCel(many, [{ path: ['*'], rules: [{ rule: 'self.x >= 0 && [1,2,3].all(a, [1,2,3].exists(b, a == b))' }], schema: {} }], 5);
  assert.ok(slow.skippedForBudget > 0, 'budget of 5 ms stops the evaluation');
});

test('registerSchema (live cluster) wins over repository CRDs, which win over the bundle; objects are closed', () => {
  const reg = new SchemaRegistry();
  const v = new SchemaValidator({ registry: reg, learnCrds: false });
  const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\nextra: 1\n';
  assert.deepEqual(v.validateFile('/cm.yaml', text).map((f) => f.message), ['extra: unknown field']);
  reg.registerSchema('', 'v1', 'ConfigMap', {
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, data: { type: 'object', additionalProperties: { type: 'integer' } }, extra: { type: 'integer' } },
  }, { source: 'cluster', origin: 'cluster:test' });
  assert.equal(reg.resolve('', 'v1', 'ConfigMap')?.source, 'cluster');
  assert.deepEqual(v.validateFile('/cm.yaml', text).map((f) => f.message), ['data.a: expected integer, got string "b"']);
  assert.deepEqual(v.validateFile('/cm.yaml', text + 'more: 2\n').map((f) => f.message), ['data.a: expected integer, got string "b"', 'more: unknown field'], 'closed: no additionalProperties → false');
  reg.removeOrigin('cluster:test');
  assert.equal(reg.resolve('', 'v1', 'ConfigMap')?.source, 'bundled');
});

test('bundled CRDs: Argo CD, Flux and cert-manager kinds are known', () => {
  const reg = new SchemaRegistry();
  for (const [g, v, k] of [['argoproj.io', 'v1alpha1', 'Application'], ['kustomize.toolkit.fluxcd.io', 'v1', 'Kustomization'], ['helm.toolkit.fluxcd.io', 'v2', 'HelmRelease'], ['source.toolkit.fluxcd.io', 'v1', 'GitRepository'], ['cert-manager.io', 'v1', 'Certificate']]) {
    assert.equal(reg.resolve(g, v, k)?.source, 'bundled-crd', `${g}/${v} ${k}`);
  }
  const f = new SchemaValidator({ registry: reg }).validateFile('/cert.yaml', 'apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web\nspec:\n  secretName: web-tls\n  dnsNames: [shop.example.com]\n  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n  duration: 2160h\n  renewBefore: 360h\n  privateKey: {algorithm: ECDSA, size: 256}\n  usages: [digital signature]\n');
  assert.deepEqual(f, []);
});
