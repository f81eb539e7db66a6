// The bundle knows the common operators' kinds (issue 15 point 3): Flux, Argo CD and cert-manager
// from their released CRDs (Flux's inline-embedded healthCheckExprs[].current/failed included),
// External Secrets, Sealed Secrets, the Prometheus operator, Gateway API, Kyverno, Argo Rollouts,
// KEDA and Istio networking. One valid object of each checks clean; one broken field in each is found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaRegistry, SchemaValidator } from '../../../src/core/schema';
import { repoRoot } from './helpers';

const dir = join(repoRoot, 'test', 'fixtures', 'schema-bundle');
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

test('one valid object of each operator kind: no findings (Flux healthCheckExprs[].current/failed validate)', () => {
  const f = new SchemaValidator().validateFile(join(dir, 'operators.yaml'), read('operators.yaml'));
  assert.deepEqual(f.map((x) => `${x.code} ${x.range.start.line + 1} ${x.message}`), []);
});

test('one broken field in each operator kind is found, at its line', () => {
  const f = new SchemaValidator().validateFile(join(dir, 'operators-invalid.yaml'), read('operators-invalid.yaml'));
  assert.deepEqual(f.map((x) => `${x.code} ${x.range.start.line + 1} ${x.message}`), [
    'schema/required 12 spec.healthCheckExprs[0]: missing required field "current"',
    'schema/unknown-field 14 spec.healthCheckExprs[0].currnt: unknown field (did you mean "current"?)',
    'schema/required 25 spec.data[0].remoteRef: missing required field "key"',
    'schema/unknown-field 26 spec.data[0].remoteRef.keyy: unknown field (did you mean "key"?)',
    'schema/required 32 spec: missing required field "encryptedData"',
    'schema/unknown-field 33 spec.encryptedDatta: unknown field (did you mean "encryptedData"?)',
    'schema/enum 44 spec.endpoints[0].scheme: must be one of HTTP, HTTPS, http, https (got "gopher")',
    "schema/cel 53 spec.rules[0].matches[0].path: type must be one of ['Exact', 'PathPrefix', 'RegularExpression']",
    'schema/enum 54 spec.rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression (got "Glob")',
    'schema/unknown-field 68 spec.rules[0].validatte: unknown field (did you mean "validate"?)',
    'schema/type 76 spec.replicas: expected integer, got string "three"',
    'schema/type 85 spec.minReplicaCount: expected integer, got string "zero"',
    'schema/unknown-field 93 spec.hostz: unknown field (did you mean "hosts"?)',
  ]);
});

test('released CRDs keep their x-kubernetes markers and CEL rules; schema defaults feed CEL as the API server applies them', () => {
  const r = new SchemaRegistry();
  const route = r.lookup('gateway.networking.k8s.io/v1/HTTPRoute', 'gateway.networking.k8s.io', 'v1', 'HTTPRoute');
  assert.equal(route?.source, 'bundled-crd');
  assert.ok((route?.celRules.length ?? 0) > 5, 'HTTPRoute has CEL rules');
  const hr = r.lookup('helm.toolkit.fluxcd.io/v2/HelmRelease', 'helm.toolkit.fluxcd.io', 'v2', 'HelmRelease');
  assert.match(JSON.stringify(hr?.schema), /x-kubernetes-preserve-unknown-fields/, 'spec.values is free-form');
  const ks = r.lookup('kustomize.toolkit.fluxcd.io/v1/Kustomization', 'kustomize.toolkit.fluxcd.io', 'v1', 'Kustomization');
  assert.ok(ks?.celRules.length, 'Kustomization keeps its x-kubernetes-validations');
  // hover still has the CRD's descriptions
  const js = r.jsonSchemaFor('kustomize.toolkit.fluxcd.io', 'v1', 'Kustomization', { descriptions: true }) as { properties: { spec: { properties: { healthCheckExprs: { items: { properties: { current: { description?: string } } } } } } } };
  assert.match(js.properties.spec.properties.healthCheckExprs.items.properties.current.description ?? '', /CEL expression/);
});
