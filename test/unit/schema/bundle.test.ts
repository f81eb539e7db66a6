// The bundled schemas: reproducible from the npm packages, strict (closed objects), small, with
// descriptions kept apart for hover; every finding code has its docs page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './helpers';
import { ALL_SCHEMA_CODES, SchemaRegistry, bundledDescription, docsFor, loadBundledSchemas } from '../../../src/core/schema';

const bundled = join(repoRoot, 'src', 'core', 'schema', 'bundled');

test('scripts/build-schemas.mjs --check: the committed bundle is what the packages and the CRD modules generate', (t) => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build-schemas.mjs'), '--check'], { cwd: repoRoot, encoding: 'utf8' });
  // exit 3: the released CRDs' Go modules are not in this machine's module cache (see CRD_MODULES)
  if (r.status === 3) return t.skip(r.stderr.trim());
  assert.equal(r.status, 0, r.stderr);
});

/** Calls `fn` on every (sub)schema of a bundled definition. */
function eachSchema(s: unknown, where: string, fn: (o: Record<string, unknown>, where: string) => void): void {
  if (!s || typeof s !== 'object' || Array.isArray(s)) return;
  const o = s as Record<string, unknown>;
  fn(o, where);
  for (const [k, v] of Object.entries((o.properties as Record<string, unknown>) ?? {})) eachSchema(v, `${where}.${k}`, fn);
  eachSchema(o.items, `${where}[]`, fn);
  eachSchema(o.additionalProperties, `${where}{}`, fn);
  for (const k of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(o[k])) (o[k] as unknown[]).forEach((x, i) => eachSchema(x, `${where}.${k}[${i}]`, fn));
}

function bundledDefinitions(): [string, unknown][] {
  return ['kubernetes.json', 'crds.json'].flatMap((f) => Object.entries(JSON.parse(readFileSync(join(bundled, f), 'utf8')).definitions as Record<string, unknown>).map(([n, s]) => [`${f}:${n}`, s] as [string, unknown]));
}

test('every object schema in the bundle is closed unless it preserves unknown fields; no descriptions', () => {
  const open: string[] = [];
  const described: string[] = [];
  for (const [name, def] of bundledDefinitions()) {
    eachSchema(def, name, (o, where) => {
      if (o.properties !== undefined && o.additionalProperties !== false) open.push(where);
      if (o.type === 'object' && o.properties === undefined && o.additionalProperties === undefined && o['x-kubernetes-preserve-unknown-fields'] !== true) open.push(where);
      if (typeof o.description === 'string') described.push(where);
    });
  }
  assert.deepEqual(open, []);
  assert.deepEqual(described, []);
});

test('four minor versions ending with the newest (1.37); built-in kinds and CRD kinds', () => {
  const b = loadBundledSchemas();
  assert.deepEqual(b.versions, ['1.34', '1.35', '1.36', '1.37']);
  assert.equal(b.latest, '1.37');
  for (const v of b.versions) {
    const kinds = b.builtinKinds(v);
    for (const k of ['apps/v1/Deployment', '/v1/Service', '/v1/ConfigMap', 'batch/v1/CronJob', 'networking.k8s.io/v1/Ingress', 'policy/v1/PodDisruptionBudget', 'autoscaling/v2/HorizontalPodAutoscaler', 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy', 'apiextensions.k8s.io/v1/CustomResourceDefinition']) {
      assert.ok(kinds.includes(k), `${v}: ${k}`);
    }
    assert.ok(!kinds.includes('extensions/v1beta1/Deployment'), 'removed APIs are not bundled');
  }
  for (const k of ['argoproj.io/v1alpha1/Application', 'argoproj.io/v1alpha1/ApplicationSet', 'kustomize.toolkit.fluxcd.io/v1/Kustomization', 'helm.toolkit.fluxcd.io/v2/HelmRelease', 'cert-manager.io/v1/ClusterIssuer']) {
    assert.ok(b.crdKinds().includes(k), k);
  }
});

test('sizes: what validation loads stays small; descriptions are a separate file', () => {
  const kib = (f: string) => statSync(join(bundled, f)).size / 1024;
  assert.ok(kib('kubernetes.json') < 400, `kubernetes.json ${kib('kubernetes.json')} KiB`);
  // the CRDs of Argo CD, Flux, cert-manager, Gateway API and Istio networking as released (ApplicationSet
  // alone is ≈380 KiB: every generator repeats the template), External Secrets, Sealed Secrets, the
  // Prometheus operator, Kyverno, Argo Rollouts and KEDA from their npm models
  assert.ok(kib('crds.json') < 1600, `crds.json ${kib('crds.json')} KiB`);
  const manifest = JSON.parse(readFileSync(join(bundled, 'manifest.json'), 'utf8'));
  assert.equal(manifest.sources['kubernetes-models'], '5.1.0');
});

test('descriptions for hover, read lazily; a self-contained JSON schema per kind for yaml-language-server', () => {
  assert.match(bundledDescription('IoK8sApiAppsV1DeploymentSpec', 'replicas') ?? '', /Number of desired pods/);
  const s = new SchemaRegistry().jsonSchemaFor('apps', 'v1', 'Deployment', { descriptions: true }) as { $ref: string; definitions: Record<string, { properties?: Record<string, { description?: string }> }> };
  assert.equal(s.$ref, '#/definitions/IoK8sApiAppsV1Deployment');
  assert.match(s.definitions.IoK8sApiAppsV1DeploymentSpec.properties!.replicas.description ?? '', /Number of desired pods/);
  assert.ok(Object.keys(s.definitions).length > 50);
});

test('every finding code has a docs page', () => {
  for (const code of ALL_SCHEMA_CODES) {
    const page = join(repoRoot, docsFor(code));
    assert.ok(existsSync(page), page);
    assert.match(readFileSync(page, 'utf8'), new RegExp(`^# \`${code}\``, 'm'));
  }
});
