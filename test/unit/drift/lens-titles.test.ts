// Lens titles: `live` while the watch is current, compact environment-led parts on a file that several
// environments share, and counts on a line that sets values of several resources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateLensTitle, lensProblem, lensTitle, type DriftResult } from '../../../src/core/drift';

const base = (kind: string, name: string) => ({ id: { group: 'apps', version: 'v1', kind, namespace: 'shop-dev', name }, key: `apps/${kind}/shop-dev/${name}`, checkedAt: 1_000_000, strategy: 'local' as const });
const drifted: DriftResult = {
  ...base('Deployment', 'web'),
  status: 'drifted',
  fields: [
    { path: 'spec.replicas', segments: ['spec', 'replicas'], change: 'changed', desired: 1, live: 5, manager: 'kubectl-edit' },
    { path: 'metadata.labels.x', segments: ['metadata', 'labels', 'x'], change: 'added', live: 'y', manager: 'kubectl-label' },
  ],
};
const inSync: DriftResult = { ...base('Deployment', 'api'), status: 'in-sync' };
const missing: DriftResult = { ...base('Deployment', 'worker'), status: 'missing' };

test('a live watch says live, not how long ago it was checked', () => {
  const now = 1_000_000 + 5 * 60_000;
  assert.equal(lensTitle(inSync, { now }), '✓ in sync · checked 5m ago');
  assert.equal(lensTitle(inSync, { now, live: true }), '✓ in sync · live');
  assert.match(lensTitle(drifted, { now, live: true }), /^⚠ drifted: spec\.replicas 1→5 \(kubectl-edit\) \+1 more · live$/);
  // A broken watch is never called live: the fault leads.
  assert.match(lensTitle(inSync, { now, live: true, fault: '? watch broken, reconnecting: reset' }), /^\? watch broken.* · last seen ✓ in sync$/);
});

test('on a file several environments share, each lens is led by its environment', () => {
  const now = 1_000_000;
  assert.equal(lensTitle(inSync, { now, live: true, environment: 'staging' }), 'staging ✓ in sync · live');
  assert.match(lensTitle(drifted, { now, live: true, environment: 'dev' }), /^dev ⚠ drifted: spec\.replicas 1→5 \(kubectl-edit\) \+1 more · live$/);
  assert.equal(lensTitle(missing, { now, environment: 'prod' }), 'prod ＋ not in cluster');
  assert.equal(lensProblem('context prod is not in the kubeconfig', 'prod'), 'prod ? context prod is not in the kubeconfig');
});

test('a line that sets values of several resources shows counts, worst first', () => {
  assert.equal(aggregateLensTitle([inSync, drifted, inSync, missing], 'dev'), 'dev ⚠ 1 drifted · ＋1 not in cluster · ✓ 2 in sync');
  assert.equal(aggregateLensTitle([inSync, inSync]), '✓ 2 in sync');
  assert.equal(aggregateLensTitle([inSync, undefined]), '✓ 1 in sync · … 1 reading');
  assert.equal(aggregateLensTitle([undefined], 'dev'), 'dev … reading the cluster');
});
