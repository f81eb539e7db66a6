// Accept Live into Git: each drifted value is written where Git sets it (the overlay's replicas: entry,
// its images: newTag, the base document), never Secret data, never structure.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { planAcceptLive, yamlScalar } from '../../../src/core/drift/accept';
import type { DriftResult } from '../../../src/core/drift';
import { mapKustomizeSources } from '../../../src/core/render/source-map';
import type { RenderedDocument } from '../../../src/core/render/types';

const root = path.join(__dirname, '..', '..', 'fixtures', 'source-map-transformers');
const overlay = path.join(root, 'overlays', 'dev');

/** The dev overlay's web and worker Deployments as kustomize renders them, with their source map. */
function rendered(name: 'web' | 'worker') {
  const object = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `dev-${name}`, namespace: 'shop-dev', labels: { env: 'dev' } },
    spec: {
      ...(name === 'web' ? { replicas: 1 } : {}),
      selector: { matchLabels: { app: name, env: 'dev' } },
      template: { metadata: { labels: { app: name, env: 'dev' } }, spec: { containers: [{ name, image: `registry.example.com/shop/${name}:${name === 'web' ? '1.2.0' : '2.0.0'}` }] } },
    },
  };
  const doc = { id: { group: 'apps', version: 'v1', kind: 'Deployment', name: `dev-${name}`, namespace: 'shop-dev' }, object } as unknown as RenderedDocument;
  mapKustomizeSources(overlay, [doc], root);
  return { value: object as Record<string, unknown>, source: doc.source, patchedBy: doc.patchedBy, application: { id: 'web', root: overlay } };
}

const id = { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'shop-dev', name: 'dev-web' };
const base = { id, key: 'apps/Deployment/shop-dev/dev-web', checkedAt: 0, strategy: 'local' as const };

test('writes each live value at the line that sets it: replicas entry, images newTag; not structure', () => {
  const result: DriftResult = {
    ...base,
    status: 'drifted',
    fields: [
      { path: 'spec.replicas', segments: ['spec', 'replicas'], change: 'changed', desired: 1, live: 3 },
      { path: 'spec.template.spec.containers[name=web].image', segments: ['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'image'], change: 'changed', desired: 'registry.example.com/shop/web:1.2.0', live: 'registry.example.com/shop/web:1.3.1' },
      { path: 'metadata.labels.debug', segments: ['metadata', 'labels', 'debug'], change: 'added', live: 'true' },
    ],
  };
  const plan = planAcceptLive(result, rendered('web'));
  const kfile = path.join(overlay, 'kustomization.yaml');
  const lines = fs.readFileSync(kfile, 'utf8').split('\n');
  assert.deepEqual(plan.edits.map((e) => [path.relative(root, e.file), lines[e.range.start.line].trim(), e.newText]), [
    ['overlays/dev/kustomization.yaml', 'count: 1', '3'],
    ['overlays/dev/kustomization.yaml', 'newTag: 1.2.0', '1.3.1'],
  ]);
  assert.deepEqual(plan.skipped.map((s) => s.field), ['metadata.labels.debug']);
});

test('a value the base sets is written in the base', () => {
  const result: DriftResult = {
    ...base,
    id: { ...id, name: 'dev-worker' },
    key: 'apps/Deployment/shop-dev/dev-worker',
    status: 'drifted',
    fields: [{ path: 'spec.template.spec.containers[name=worker].name', segments: ['spec', 'template', 'spec', 'containers', { index: 0 }, 'name'], change: 'changed', desired: 'worker', live: 'worker-2' }],
  };
  const plan = planAcceptLive(result, rendered('worker'));
  assert.equal(plan.edits.length, 1);
  assert.equal(path.relative(root, plan.edits[0].file), 'base/deployment.yaml');
  assert.equal(fs.readFileSync(plan.edits[0].file, 'utf8').split('\n')[plan.edits[0].range.start.line].trim(), '- name: worker');
  assert.equal(plan.edits[0].newText, 'worker-2');
});

test('never touches Secret values', () => {
  const result: DriftResult = {
    id: { group: '', version: 'v1', kind: 'Secret', namespace: 'shop-dev', name: 'db' }, key: '/Secret/shop-dev/db', checkedAt: 0, strategy: 'local',
    status: 'drifted',
    fields: [{ path: 'data.password', segments: ['data', 'password'], change: 'changed', desired: '*** (changed)', live: '*** (changed)', masked: true }],
  };
  const plan = planAcceptLive(result, { value: {} });
  assert.equal(plan.edits.length, 0);
  assert.match(plan.skipped[0].why, /Secret values are never written/);
});

test('scalars are written so that YAML reads them back as the same value', () => {
  assert.equal(yamlScalar(5), '5');
  assert.equal(yamlScalar('web:1.2'), 'web:1.2');
  assert.equal(yamlScalar('yes'), '"yes"');
  assert.equal(yamlScalar('1.10'), '"1.10"');
  assert.equal(yamlScalar('a: b'), '"a: b"');
  assert.equal(yamlScalar({}), undefined);
});
