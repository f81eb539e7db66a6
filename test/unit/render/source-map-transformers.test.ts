// The kustomization's own value-setting fields (replicas, images, namespace, namePrefix, commonLabels,
// commonAnnotations) are mapped to the objects they change, so the drift lens and findings show on them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { mapKustomizeSources } from '../../../src/core/render/source-map';
import type { RenderedDocument } from '../../../src/core/render/types';

const root = path.join(__dirname, '..', '..', 'fixtures', 'source-map-transformers');
const overlay = path.join(root, 'overlays', 'dev');
const kfile = path.join(overlay, 'kustomization.yaml');

function doc(group: string, version: string, kind: string, name: string): RenderedDocument {
  return { id: { group, version, kind, name, namespace: 'shop-dev' }, object: {} } as unknown as RenderedDocument;
}

/** Lines (1-based) of the overlay's kustomization.yaml among a document's patchedBy. */
function overlayLines(d: RenderedDocument): number[] {
  return (d.patchedBy ?? []).filter((p) => p.file === kfile).map((p) => p.range.start.line + 1).sort((a, b) => a - b);
}

test('replicas, images, namespace, namePrefix, commonLabels and commonAnnotations point at the objects they change', () => {
  const web = doc('apps', 'v1', 'Deployment', 'dev-web');
  const worker = doc('apps', 'v1', 'Deployment', 'dev-worker');
  const svc = doc('', 'v1', 'Service', 'dev-web');
  mapKustomizeSources(overlay, [web, worker, svc], root);
  assert.equal(web.source?.file, path.join(root, 'base', 'deployment.yaml'));
  // namespace (3), namePrefix (4), commonLabels (5), commonAnnotations (7) change everything built here.
  // replicas entry `web` (12) only the web Deployment; images entry for web (15) and for worker (17).
  assert.deepEqual(overlayLines(web), [3, 4, 5, 7, 12, 15]);
  assert.deepEqual(overlayLines(worker), [3, 4, 5, 7, 17]);
  // A Service has no replicas and no containers.
  assert.deepEqual(overlayLines(svc), [3, 4, 5, 7]);
});

test('a Helm values key that a template reads points at what the template renders', async () => {
  const { mapHelmSources } = await import('../../../src/core/render/source-map');
  const chart = path.join(__dirname, '..', '..', '..', 'examples', 'charts', 'cache');
  const yaml = '---\n# Source: cache/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cache\n---\n# Source: cache/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: cache\n';
  const second = yaml.indexOf('---', 4);
  const deployment = { ...doc('apps', 'v1', 'Deployment', 'cache'), offsets: [0, second] as [number, number] };
  const service = { ...doc('', 'v1', 'Service', 'cache'), offsets: [second, yaml.length] as [number, number] };
  const values = path.join(chart, 'values.yaml');
  const dev = path.join(chart, 'values-dev.yaml');
  mapHelmSources(chart, yaml, [deployment, service], [values, dev]);
  assert.equal(deployment.source?.file, path.join(chart, 'templates', 'deployment.yaml'));
  const lines = (d: RenderedDocument, file: string) => (d.patchedBy ?? []).filter((p) => p.file === file).map((p) => fs.readFileSync(file, 'utf8').split('\n')[p.range.start.line].trim().split(':')[0]);
  // values-dev.yaml sets `resources:`, which templates/deployment.yaml reads with toYaml.
  assert.deepEqual(lines(deployment, dev), ['resources']);
  assert.ok(lines(deployment, values).includes('replicaCount'), 'the chart default the template reads');
  assert.ok(!lines(service, dev).includes('resources'), 'the Service template does not read resources');
});
