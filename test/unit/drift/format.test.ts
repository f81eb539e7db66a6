// One-line summaries (lens, tree), CLI reports in three formats, and the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterError } from '../../../src/core/cluster';
import { countResults, driftExitCode, driftReport, summaryLine, type DriftResult, type EnvironmentDriftReport, type NotInGit } from '../../../src/core/drift';

const id = (kind: string, name: string, group = '', namespace = 'shop-dev') => ({ group, version: 'v1', kind, namespace, name });
const base = (kind: string, name: string, group = '') => {
  const i = id(kind, name, group);
  return { id: i, key: `${group}/${kind}/${i.namespace}/${name}`, checkedAt: 1_000_000, strategy: 'local' as const };
};

const drifted: DriftResult = {
  ...base('Deployment', 'api', 'apps'),
  status: 'drifted',
  fields: [
    { path: 'spec.replicas', segments: ['spec', 'replicas'], change: 'changed', desired: 3, live: 5, manager: 'kubectl-edit', operation: 'Update', time: '2024-05-01T10:00:00Z' },
    { path: 'metadata.annotations.owner', segments: ['metadata', 'annotations', 'owner'], change: 'added', live: 'team a', manager: 'kubectl-annotate', operation: 'Update' },
    { path: 'metadata.labels.tier', segments: ['metadata', 'labels', 'tier'], change: 'missing', desired: 'web' },
  ],
};
const secret: DriftResult = {
  ...base('Secret', 'db'),
  status: 'drifted',
  fields: [{ path: 'data.password', segments: ['data', 'password'], change: 'changed', desired: '*** (changed)', live: '*** (changed)', manager: 'kubectl-edit', masked: true }],
};
const inSync: DriftResult = { ...base('ConfigMap', 'settings'), status: 'in-sync' };
const missing: DriftResult = { ...base('Service', 'web'), status: 'missing' };
const forbidden = new ClusterError('forbidden', 'no permission to list deployments.apps in shop-dev', { status: 403 });
const unknown: DriftResult = { ...base('Deployment', 'worker', 'apps'), status: 'unknown', reason: { kind: forbidden.kind, message: forbidden.message } };
const unreachable: DriftResult = { ...base('Deployment', 'web', 'apps'), status: 'unknown', reason: { kind: 'unreachable', message: 'connection refused (https://127.0.0.1:6443)' } };
const skipped: DriftResult = { ...base('ConfigMap', 'flux'), status: 'skipped', reason: 'Flux reconciliation is disabled (kustomize.toolkit.fluxcd.io/reconcile: disabled)' };
const extra: NotInGit = { id: id('ConfigMap', 'stray'), key: '/ConfigMap/shop-dev/stray', reason: 'label reconcile.dev/environment=dev' };

function report(results: DriftResult[], notInGit: NotInGit[] = []): EnvironmentDriftReport {
  return { environment: 'dev', context: 'kind-dev', strategy: 'local', results, notInGit, ignoredExtraneous: [], counts: countResults(results, notInGit.length), warnings: [], checkedAt: Date.UTC(2024, 4, 1) };
}

test('summary lines say what the lens and tree show', () => {
  assert.equal(summaryLine(inSync), '✓ in sync');
  assert.equal(summaryLine(inSync, { now: 1_012_000 }), '✓ in sync · checked 12s ago');
  assert.equal(summaryLine(drifted), '⚠ drifted: spec.replicas 3→5 (kubectl-edit) +2 more');
  assert.equal(summaryLine(secret), '⚠ drifted: data.password changed (kubectl-edit)');
  assert.equal(summaryLine(missing), '＋ not in cluster');
  assert.equal(summaryLine(unknown), '? no permission to read deployments.apps');
  assert.equal(summaryLine(unreachable), '? cluster unreachable: connection refused (https://127.0.0.1:6443)');
  assert.equal(summaryLine({ ...unreachable, reason: { kind: 'tls', message: 'TLS: a self-signed server certificate that is not trusted' } }), '? cluster unreachable: TLS: a self-signed server certificate that is not trusted');
  assert.equal(summaryLine({ ...unreachable, reason: { kind: 'unauthorized', message: 'not authorized: the credentials of this context were rejected' } }), '? not authorized: the credentials of this context were rejected');
  assert.equal(summaryLine({ ...unreachable, reason: { kind: 'server', message: 'server error 503' } }), '? cluster error: server error 503');
  assert.equal(summaryLine({ ...unreachable, reason: { kind: 'pending', message: 'reading the cluster' } }), '… reading the cluster');
  assert.equal(summaryLine(skipped), '⊘ skipped: Flux reconciliation is disabled (kustomize.toolkit.fluxcd.io/reconcile: disabled)');
});

test('exit codes: 0 in sync, 1 drifted / missing / not in Git, 2 when something could not be read', () => {
  assert.equal(driftExitCode(report([inSync, skipped])), 0);
  assert.equal(driftExitCode(report([inSync, drifted])), 1);
  assert.equal(driftExitCode(report([inSync, missing])), 1);
  assert.equal(driftExitCode(report([inSync], [extra])), 1);
  assert.equal(driftExitCode(report([inSync, drifted, unreachable])), 2);
});

test('text report: headline with counts, every resource not in sync with its fields and managers, not-in-Git', () => {
  const text = driftReport(report([inSync, drifted, missing, unknown, secret], [extra]), 'text');
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'Drift of dev (context kind-dev), local comparison: 5 resources — 1 in sync, 2 drifted, 1 missing, 1 unknown, 1 not in Git');
  assert.ok(lines.includes('? Deployment shop-dev/worker: no permission to read deployments.apps'));
  assert.ok(lines.includes('⚠ Deployment shop-dev/api: drifted'));
  assert.ok(lines.includes('    spec.replicas: 3 → 5 — kubectl-edit (Update, 2024-05-01T10:00:00Z)'));
  assert.ok(lines.includes('    metadata.annotations.owner: ∅ → "team a" — kubectl-annotate (Update)'));
  assert.ok(lines.includes('    metadata.labels.tier: "web" → ∅ — no field manager recorded'));
  assert.ok(lines.includes('    data.password: changed (value hidden) — kubectl-edit'));
  assert.ok(lines.includes('＋ Service shop-dev/web: not in cluster'));
  assert.ok(lines.includes('− ConfigMap shop-dev/stray: not in Git (label reconcile.dev/environment=dev)'));
  assert.ok(!lines.some((l) => l.includes('settings')), 'in-sync resources are only counted');
});

test('json report: parseable, with counts, exit code, fields and reasons', () => {
  const json = JSON.parse(driftReport(report([inSync, drifted, unknown], [extra]), 'json'));
  assert.equal(json.exitCode, 2);
  assert.deepEqual(json.counts, { total: 3, inSync: 1, drifted: 1, missing: 0, unknown: 1, skipped: 0, notInGit: 1 });
  const api = json.results.find((r: { resource: { name: string } }) => r.resource.name === 'api');
  assert.equal(api.status, 'drifted');
  assert.equal(api.fields[0].manager, 'kubectl-edit');
  assert.equal(api.fields[0].segments, undefined);
  assert.equal(json.results.find((r: { status: string }) => r.status === 'unknown').reason.kind, 'forbidden');
  assert.equal(json.notInGit[0].reason, 'label reconcile.dev/environment=dev');
});

test('markdown report: a counts table and one row per resource not in sync', () => {
  const md = driftReport(report([inSync, drifted, missing], [extra]), 'md');
  assert.match(md, /^## Drift: dev \(`kind-dev`\)$/m);
  assert.match(md, /^\| 1 \| 1 \| 1 \| 1 \| 0 \| 0 \|$/m);
  assert.match(md, /^\| ⚠ \| Deployment shop-dev\/api \| `spec\.replicas: 3 → 5 — kubectl-edit \(Update, 2024-05-01T10:00:00Z\)`<br>/m);
  assert.match(md, /^\| ＋ \| Service shop-dev\/web \| ＋ not in cluster \|$/m);
  assert.match(md, /^\| − \| ConfigMap shop-dev\/stray \| not in Git: label reconcile\.dev\/environment=dev \|$/m);
  assert.doesNotMatch(md, /settings/);
});
