import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourceKey, resourceIdOf, resourceKey, resourceLabel, splitApiVersion } from '../../../src/core/manifest';

test('splitApiVersion: core and named groups', () => {
  assert.deepEqual(splitApiVersion('v1'), { group: '', version: 'v1' });
  assert.deepEqual(splitApiVersion('apps/v1'), { group: 'apps', version: 'v1' });
  assert.deepEqual(splitApiVersion('argoproj.io/v1alpha1'), { group: 'argoproj.io', version: 'v1alpha1' });
});

test('resourceIdOf: objects, partial objects and non-objects', () => {
  assert.deepEqual(resourceIdOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } }), {
    group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'shop',
  });
  assert.deepEqual(resourceIdOf({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'x-' } }), { group: '', version: 'v1', kind: 'Pod', name: '' });
  assert.equal(resourceIdOf({ kind: 'Pod' }), undefined);
  assert.equal(resourceIdOf(['apiVersion']), undefined);
  assert.equal(resourceIdOf('kind: Pod'), undefined);
  assert.equal(resourceIdOf(null), undefined);
});

test('resourceKey is group/kind/namespace/name, version-independent, and round-trips', () => {
  const a = resourceIdOf({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } })!;
  const b = resourceIdOf({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' } })!;
  assert.equal(resourceKey(a), 'apps/Deployment/shop/web');
  assert.equal(resourceKey(a), resourceKey(b));
  assert.equal(resourceKey({ group: '', kind: 'Namespace', name: 'shop' }), '/Namespace//shop');
  assert.deepEqual(parseResourceKey('apps/Deployment/shop/web'), { group: 'apps', version: '', kind: 'Deployment', namespace: 'shop', name: 'web' });
  assert.deepEqual(parseResourceKey('/Namespace//shop'), { group: '', version: '', kind: 'Namespace', name: 'shop' });
  assert.equal(parseResourceKey('nonsense'), undefined);
  assert.equal(resourceLabel(a), 'Deployment web (shop)');
});
