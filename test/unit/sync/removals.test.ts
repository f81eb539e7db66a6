// The JSON patch with which a sync removes fields other managers set and Git lacks: fields found by
// their drift path (list items by merge key or value, never by a stale index), each value tested
// before it is removed, later list items first, nothing removed twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawObject } from '../../../src/core/cluster';
import type { DriftField } from '../../../src/core/drift';
import { locate, removalForSync, removalPatch, withoutFields } from '../../../src/core/sync';

const deployment = (): RawObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', 'example.com/team': 'ops' }, finalizers: ['a', 'example.com/hold'] },
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'DEBUG', value: '1' }, { name: 'TRACE', value: 'yes' }] },
          { name: 'sidecar', image: 'busybox' },
          { name: 'debugger', image: 'busybox' },
        ],
      },
    },
  },
});

const field = (path: string, segments: DriftField['segments'], live: unknown): DriftField => ({ path, segments, change: 'added', live, manager: 'someone' });
const team = field('metadata.labels["example.com/team"]', ['metadata', 'labels', 'example.com/team'], 'ops');
const debug = field('…env[name=DEBUG]', ['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'env', { index: 1, key: { name: 'DEBUG' } }], { name: 'DEBUG', value: '1' });
const trace = field('…env[name=TRACE]', ['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'env', { index: 2, key: { name: 'TRACE' } }], { name: 'TRACE', value: 'yes' });
const sidecar = field('…containers[name=sidecar]', ['spec', 'template', 'spec', 'containers', { index: 1, key: { name: 'sidecar' } }], { name: 'sidecar', image: 'busybox' });
const debugger_ = field('…containers[name=debugger]', ['spec', 'template', 'spec', 'containers', { index: 2, key: { name: 'debugger' } }], { name: 'debugger', image: 'busybox' });
const hold = field('metadata.finalizers[1]', ['metadata', 'finalizers', { index: 1, value: 'example.com/hold' }], 'example.com/hold');

test('locate: list items by merge key or value wherever they are now, map keys with slashes', () => {
  const d = deployment();
  assert.deepEqual(locate(d, team.segments)?.at, ['metadata', 'labels', 'example.com/team']);
  // The item moved since its path was taken (index 1 → 0): found by its key, not by the stale index.
  const moved = deployment();
  const env = ((moved.spec as any).template.spec.containers[0].env as unknown[]);
  env.splice(0, 1);
  assert.deepEqual(locate(moved, debug.segments)?.at, ['spec', 'template', 'spec', 'containers', 0, 'env', 0]);
  assert.equal(locate(moved, field('x', ['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'env', { index: 0, key: { name: 'A' } }], null).segments), undefined);
  assert.deepEqual(locate(d, hold.segments)?.at, ['metadata', 'finalizers', 1]);
});

test('removalPatch: tests before removes, later items of one list first, pointers escaped, inner fields covered by outer ones', () => {
  const d = deployment();
  const inner = field('…containers[name=sidecar].image', [...sidecar.segments, 'image'], 'busybox');
  const p = removalPatch(d, [debug, sidecar, team, trace, debugger_, inner, hold, team]);
  assert.deepEqual(p.ops, [
    { op: 'test', path: '/metadata/finalizers/1', value: 'example.com/hold' },
    { op: 'test', path: '/metadata/labels/example.com~1team', value: 'ops' },
    { op: 'test', path: '/spec/template/spec/containers/2', value: { name: 'debugger', image: 'busybox' } },
    { op: 'test', path: '/spec/template/spec/containers/1', value: { name: 'sidecar', image: 'busybox' } },
    { op: 'test', path: '/spec/template/spec/containers/0/env/2', value: { name: 'TRACE', value: 'yes' } },
    { op: 'test', path: '/spec/template/spec/containers/0/env/1', value: { name: 'DEBUG', value: '1' } },
    { op: 'remove', path: '/metadata/finalizers/1' },
    { op: 'remove', path: '/metadata/labels/example.com~1team' },
    { op: 'remove', path: '/spec/template/spec/containers/2' },
    { op: 'remove', path: '/spec/template/spec/containers/1' },
    { op: 'remove', path: '/spec/template/spec/containers/0/env/2' },
    { op: 'remove', path: '/spec/template/spec/containers/0/env/1' },
  ]);
  assert.deepEqual(p.gone, []);
  const after = withoutFields(d, [debug, sidecar, team, trace, debugger_, hold]);
  assert.deepEqual(after.metadata, { name: 'web', labels: { app: 'web' }, finalizers: ['a'] });
  assert.deepEqual((after.spec as any).template.spec.containers, [{ name: 'web', image: 'nginx', env: [{ name: 'A', value: '1' }] }]);
  assert.equal((d.metadata as any).labels['example.com/team'], 'ops', 'the input is not changed');
  // A field the server defaults again shows the value it goes back to.
  const policy = { ...field('…imagePullPolicy', ['spec', 'template', 'spec', 'containers', { index: 0, key: { name: 'web' } }, 'imagePullPolicy'], 'Never'), change: 'changed' as const, desired: 'IfNotPresent' };
  (d.spec as any).template.spec.containers[0].imagePullPolicy = 'Never';
  assert.equal((withoutFields(d, [policy, team]).spec as any).template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
});

test('removalForSync: a field whose value changed since the plan is left alone; a field already gone needs nothing', () => {
  const d = deployment();
  (d.metadata as any).labels['example.com/team'] = 'platform';
  const gone = field('metadata.labels.gone', ['metadata', 'labels', 'gone'], 'x');
  const r = removalForSync(d, [team, debug, gone]);
  assert.deepEqual(r.changed.map((f) => f.path), ['metadata.labels["example.com/team"]']);
  assert.deepEqual(r.patch.removes.map((f) => f.path), ['…env[name=DEBUG]']);
  assert.deepEqual(r.patch.gone.map((f) => f.path), ['metadata.labels.gone']);
  assert.deepEqual(removalPatch(d, [gone]).ops, []);
});
