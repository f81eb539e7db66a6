// Compare Environments as a promotion check: grouped by application, promotion-relevant differences
// (images, replicas, values) first, differences that follow from the environments' own names folded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyField, environmentRewriter, promotionGroups, type EnvironmentsComparison, type ResourceChange } from '../../../src/core/compare';

const staging = { name: 'staging', namespaces: ['shop-staging'] };
const prod = { name: 'prod', namespaces: ['shop-prod'] };
const rewrite = environmentRewriter(staging, prod);

function change(kind: string, name: string, application: string, fields: ResourceChange['fields'], kindOfChange: ResourceChange['change'] = 'changed'): ResourceChange {
  return { key: `/${kind}/${name}`, id: { group: '', version: 'v1', kind, name, namespace: 'shop-prod' }, change: kindOfChange, fields, application, left: '', right: '', title: `${kind}/${name}` };
}

test('differences that follow from the environment names are told apart from real ones', () => {
  assert.equal(classifyField({ path: 'spec.rules[0].host', change: 'changed', before: 'staging.shop.example.com', after: 'prod.shop.example.com' }, rewrite), 'environment');
  assert.equal(classifyField({ path: 'metadata.labels.shop.example.com/environment', change: 'changed', before: 'staging', after: 'prod' }, rewrite), 'environment');
  assert.equal(classifyField({ path: 'data.DATABASE_URL', change: 'changed', before: 'postgres://db.shop-staging:5432/shop', after: 'postgres://db.shop-prod:5432/shop' }, rewrite), 'environment');
  assert.equal(classifyField({ path: 'spec.template.spec.containers[name=web].image', change: 'changed', before: 'web:1.4.0', after: 'web:1.5.0' }, rewrite), 'promotion');
  assert.equal(classifyField({ path: 'spec.replicas', change: 'changed', before: 2, after: 4 }, rewrite), 'promotion');
  assert.equal(classifyField({ path: 'data.LOG_LEVEL', change: 'changed', before: 'debug', after: 'info' }, rewrite), 'config');
  // A word that merely contains the name is not the name (`prodigy`, `staging-area` would be).
  assert.equal(classifyField({ path: 'data.MODE', change: 'changed', before: 'stagingarea', after: 'prodarea' }, rewrite), 'config');
});

test('grouped by application, promotion first, environment-only differences folded into one line', () => {
  const c: EnvironmentsComparison = {
    left: 'staging', right: 'prod', status: 'changed', counts: { added: 1, removed: 0, changed: 4 }, errors: [], warnings: [],
    resources: [
      change('Ingress', 'web', 'shop-web', [{ path: 'spec.rules[0].host', change: 'changed', before: 'staging.shop.example.com', after: 'prod.shop.example.com' }]),
      change('ConfigMap', 'web-config', 'shop-web', [{ path: 'data.LOG_LEVEL', change: 'changed', before: 'debug', after: 'info' }]),
      change('Deployment', 'web', 'shop-web', [
        { path: 'metadata.labels.shop.example.com/environment', change: 'changed', before: 'staging', after: 'prod' },
        { path: 'spec.template.spec.containers[name=web].image', change: 'changed', before: 'registry/web:1.4.0', after: 'registry/web:1.5.0' },
        { path: 'spec.replicas', change: 'changed', before: 2, after: 4 },
      ]),
      change('Service', 'cache', 'cache', [{ path: 'metadata.labels.env', change: 'changed', before: 'staging', after: 'prod' }]),
      change('PodDisruptionBudget', 'web', 'shop-web', [], 'added'),
    ],
  };
  const groups = promotionGroups(c, staging, prod);
  assert.deepEqual(groups.map((g) => g.application), ['shop-web', 'cache']);
  assert.deepEqual(
    groups[0].resources.map((r) => `${r.relevance} ${r.change.id.kind}/${r.change.id.name}: ${r.summary}`),
    [
      'promotion Deployment/web: image registry/web:1.4.0 → registry/web:1.5.0, replicas 2 → 4',
      'config ConfigMap/web-config: LOG_LEVEL debug → info',
      'config PodDisruptionBudget/web: only in prod',
      'environment Ingress/web: only environment names, namespaces and labels differ',
    ],
  );
  assert.deepEqual(groups[1].resources.map((r) => r.relevance), ['environment']);
});

test('what an environment runs of an image: pinned tags and digests, never latest', async () => {
  const { imageVersions } = await import('../../../src/core/compare');
  const { parseImage } = await import('../../../src/core/manifest/image');
  assert.deepEqual(parseImage('registry:5000/shop/web:1.2@sha256:abc'), { name: 'registry:5000/shop/web', tag: '1.2', digest: 'sha256:abc' });
  assert.deepEqual(parseImage('nginx'), { name: 'nginx' });
  const deploy = (image: string) => ({ kind: 'Deployment', spec: { template: { spec: { containers: [{ name: 'web', image }], initContainers: [{ name: 'init', image: 'busybox:1.36' }] } } } });
  assert.deepEqual(imageVersions([deploy('registry.example.com/shop/web:1.4.2'), deploy('registry.example.com/shop/web:latest')], 'registry.example.com/shop/web'), [{ tag: '1.4.2' }]);
  assert.deepEqual(imageVersions([deploy('registry.example.com/shop/web@sha256:0f')], 'registry.example.com/shop/web'), [{ digest: 'sha256:0f' }]);
  assert.deepEqual(imageVersions([deploy('busybox:1.36')], 'registry.example.com/shop/web'), []);
});

test("the two environments' copies of one application (two ids, one name) are one group", () => {
  const c: EnvironmentsComparison = {
    left: 'staging', right: 'prod', status: 'changed', counts: { added: 1, removed: 1, changed: 0 }, errors: [], warnings: [],
    resources: [
      change('Namespace', 'shop-prod', 'kustomize:apps/api/overlays/prod', [], 'added'),
      change('Namespace', 'shop-staging', 'kustomize:apps/api/overlays/staging', [], 'removed'),
    ],
  };
  const names: Record<string, string> = { 'kustomize:apps/api/overlays/prod': 'shop-api', 'kustomize:apps/api/overlays/staging': 'shop-api' };
  const groups = promotionGroups(c, staging, prod, (id) => names[id]);
  assert.deepEqual(groups.map((g) => [g.application, g.resources.length]), [['shop-api', 2]]);
});
