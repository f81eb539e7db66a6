// The default Kubernetes version is the cluster's when one is known (issue 15 point 3): the OpenAPI
// documents of a cluster carry its release (info.version); registering its schemas makes the
// registry target that version's bundled built-in schemas, unless a version was chosen (setting, flag).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaRegistry, SchemaValidator, loadClusterSchemas, registerClusterSchemas, type OpenApiFetcher } from '../../../src/core/schema';

/** A cluster without /openapi/v3 whose /openapi/v2 holds one CRD kind, served as release `version`. */
function fakeCluster(version: string): OpenApiFetcher {
  const doc = {
    swagger: '2.0',
    info: { title: 'Kubernetes', version },
    paths: {},
    definitions: {
      'com.example.v1.Widget': {
        type: 'object',
        properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, spec: { type: 'object', properties: { size: { type: 'string' } } } },
        'x-kubernetes-group-version-kind': [{ group: 'example.com', version: 'v1', kind: 'Widget' }],
      },
    },
  };
  return {
    server: 'https://127.0.0.1:1',
    get: async (path: string) => (path === '/openapi/v2' ? { status: 200, body: JSON.stringify(doc) } : { status: 404, body: '' }),
  };
}

// PodSpec.schedulingGroup exists from 1.36 on
const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  schedulingGroup: {}\n  containers: [{name: a, image: b}]\n';

test('a cluster\'s schemas carry its version; registering them makes it the target when none was chosen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-cluster-version-'));
  try {
    const result = await loadClusterSchemas({ fetcher: fakeCluster('v1.34.5'), cacheDir: dir, context: 'old' });
    assert.equal(result.kubernetesVersion, '1.34');
    const v = new SchemaValidator();
    assert.equal(v.registry.kubernetesVersion, '1.37', 'the newest bundled until a cluster is known');
    assert.deepEqual(v.validateFile('/p.yaml', pod), []);
    registerClusterSchemas(v.registry, result);
    assert.equal(v.registry.kubernetesVersion, '1.34');
    assert.deepEqual(v.validateFile('/p.yaml', pod).map((x) => x.code), ['schema/unknown-field'], '1.34 has no schedulingGroup');
    assert.equal(v.registry.resolve('example.com', 'v1', 'Widget')?.source, 'cluster');
    // a version chosen by the user stays
    const chosen = new SchemaRegistry({ kubernetesVersion: '1.36' });
    registerClusterSchemas(chosen, result);
    assert.equal(chosen.kubernetesVersion, '1.36');
    // a cluster newer than the bundle: the newest bundled
    const r = new SchemaRegistry();
    assert.equal(r.adoptClusterVersion('v1.39.0'), false);
    assert.equal(r.kubernetesVersion, '1.37');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
