// Issue 20 "Flux namespaces misread": a HelmRelease (or any Flux object) with no namespace of its own,
// in the files of a Flux Kustomization that sets targetNamespace, is in that namespace — as the
// Kustomization's namespace transformer puts it there. Its release, its render's namespace and the
// environment checks follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkEnvironment, environmentObjects } from '../../../src/core/policy';
import type { RenderedDocument } from '../../../src/core/render';
import { discover } from '../../../src/core/repo';
import { FILE_START } from '../../../src/core/manifest/range';
import { app, renderer } from './helpers';

const root = join(__dirname, '..', '..', 'fixtures', 'flux-fleet');

test('flux targetNamespace: a HelmRelease without a namespace in a Kustomization with targetNamespace is in that namespace', async () => {
  const m = await discover(root);
  const hello = app(m, 'production', 'hello');
  assert.equal(hello.namespace, 'web');
  assert.equal(hello.id, 'flux:apps/releases/hello.yaml#HelmRelease/web/hello');
  const spec = renderer(m, hello) as { namespace?: string; releaseName: string };
  assert.equal(spec.namespace, 'web');
  assert.equal(spec.releaseName, 'hello');
  // its own targetNamespace wins, and names the release <targetNamespace>-<name>
  const edge = renderer(m, app(m, 'production', 'hello-edge')) as { namespace?: string; releaseName: string };
  assert.deepEqual([edge.namespace, edge.releaseName], ['edge', 'edge-hello-edge']);
});

test('flux targetNamespace: no "has no namespace" finding for the objects of such a HelmRelease', async () => {
  const m = await discover(root);
  const hello = app(m, 'production', 'hello');
  // What `helm template` prints for a template without metadata.namespace.
  const doc: RenderedDocument = { object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hello' } }, id: { group: 'apps', version: 'v1', kind: 'Deployment', name: 'hello' }, range: FILE_START };
  const findings = checkEnvironment({ name: 'production', namespaces: ['web', 'edge', 'apps'] }, environmentObjects([{ application: hello, documents: [doc] }]), { repo: { root } });
  assert.deepEqual(findings.filter((f) => f.code === 'gitops/namespace').map((f) => f.message), []);
});
