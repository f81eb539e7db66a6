// Argo CD `source.kustomize` applied as its repo-server applies it (`kustomize edit` of the source's
// kustomization, then `kustomize build`), rendered with the real kubectl. Each expectation follows a rule
// of Argo CD's Kustomize guide, cited in fixtures/argocd-kustomize/README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { realRenderer } from '../render/golden-cases';

const root = join(__dirname, '..', '..', 'fixtures', 'argocd-kustomize');

test('namePrefix, nameSuffix, namespace, images, replicas, commonLabels, commonAnnotations, patches and components', async () => {
  const m = await discover(root);
  const app = m.environments.flatMap((e) => e.applications).find((a) => a.name === 'web-prod')!;
  assert.deepEqual(app.errors, []);
  const r = await realRenderer().renderApplication(app);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  assert.deepEqual(r.documents.map((d) => `${d.id?.kind}/${d.id?.namespace}/${d.id?.name}`), ['Deployment/shop-prod/prod-web-v2']);
  const d = r.documents[0].object as {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: { spec: { containers: Array<{ image: string; env: unknown }> } } };
  };
  assert.equal(d.spec.replicas, 3);
  assert.equal(d.spec.template.spec.containers[0].image, 'registry.example.com/web:2.0.0');
  assert.deepEqual(d.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'prod' }]);
  assert.deepEqual(d.spec.selector.matchLabels, { app: 'web', team: 'shop' });
  assert.equal(d.metadata.labels.team, 'shop');
  assert.equal(d.metadata.labels.debug, 'on');
  assert.equal(d.metadata.annotations.owner, 'shop');
  // The object still maps back to the repository's base document.
  assert.equal(r.documents[0].source?.file, join(root, 'apps/web/base/deployment.yaml'));
});
