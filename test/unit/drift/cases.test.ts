// Fixture pairs (test/fixtures/drift/cases/<case>/desired.yaml + live.json from a real kube-apiserver:
// 1.20.2, and 1.37.2 for `scaled`) through the local comparison, against expected.json; then the same fixtures with ignore rules,
// diff documents and formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ApiResourceInfo, RawObject } from '../../../src/core/cluster';
import { compareLocal, compileIgnoreRules, diffDocuments, driftReport, summaryLine, type DesiredObject, type DriftResult } from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import type { IgnoreRule } from '../../../src/core/repo';

const dir = join(__dirname, '..', '..', 'fixtures', 'drift', 'cases');

function load(name: string): { desired: DesiredObject; live: RawObject; type: ApiResourceInfo; expected: { status: string; fields?: Record<string, unknown>[] } } {
  const object = parse(readFileSync(join(dir, name, 'desired.yaml'), 'utf8')) as RawObject;
  const id = resourceIdOf(object)!;
  const live = JSON.parse(readFileSync(join(dir, name, 'live.json'), 'utf8')) as RawObject;
  const type: ApiResourceInfo = { group: id.group, version: id.version, kind: id.kind, resource: `${id.kind.toLowerCase()}s`, namespaced: true, verbs: ['list', 'watch'] };
  const expected = JSON.parse(readFileSync(join(dir, name, 'expected.json'), 'utf8'));
  return { desired: { object, id }, live, type, expected };
}

const cases = readdirSync(dir).sort();

test('there are fixture cases, in sync and drifted', () => {
  assert.ok(cases.length >= 10, `${cases.length} cases`);
  const statuses = new Set(cases.map((c) => load(c).expected.status));
  assert.deepEqual([...statuses].sort(), ['drifted', 'in-sync']);
});

for (const name of cases) {
  test(`case ${name}`, () => {
    const { desired, live, type, expected } = load(name);
    const r = compareLocal(desired, { state: 'found', object: live, type });
    assert.equal(r.status, expected.status, r.status === 'drifted' ? JSON.stringify(r.fields, null, 1) : undefined);
    if (r.status === 'drifted') {
      const got = r.fields.map((f) => {
        const o: Record<string, unknown> = { path: f.path, change: f.change };
        if ('desired' in f) o.desired = f.desired;
        if ('live' in f) o.live = f.live;
        if (f.manager) o.manager = f.manager;
        if (f.operation) o.operation = f.operation;
        if (f.subresource) o.subresource = f.subresource;
        if (f.masked) o.masked = true;
        return o;
      });
      assert.deepEqual(got, expected.fields);
      // Every entry has a time, but for writes through /scale: kube-apiserver 1.37 records none there.
      for (const f of r.fields) if (f.manager) assert.match(f.time ?? (f.subresource === 'scale' ? 'none' : ''), /^(\d{4}-\d\d-\d\dT|none$)/);
    }
  });
}

test('the same live object is Missing / Unknown / Skipped according to the lookup and annotations', () => {
  const { desired, live, type } = load('edited');
  assert.equal(compareLocal(desired, { state: 'absent', type }).status, 'missing');
  const ns = compareLocal(desired, { state: 'not-served', apiVersion: 'apps/v1', kind: 'Deployment' });
  assert.equal(ns.status, 'missing');
  assert.match(summaryLine(ns), /^＋ not in cluster \(the cluster does not serve Deployment in apps\/v1\)$/);
  const pending = compareLocal(desired, { state: 'pending' });
  assert.equal(pending.status, 'unknown');
  const disabled = structuredClone(desired);
  (disabled.object.metadata as Record<string, unknown>).annotations = { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' };
  const skipped = compareLocal(disabled, { state: 'found', object: live, type });
  assert.equal(skipped.status, 'skipped');
  assert.match(summaryLine(skipped), /Flux reconciliation is disabled/);
  // On the live side too.
  const liveDisabled = structuredClone(live);
  ((liveDisabled.metadata as Record<string, unknown>).annotations as Record<string, string>)['kustomize.toolkit.fluxcd.io/reconcile'] = 'disabled';
  assert.equal(compareLocal(desired, { state: 'found', object: liveDisabled, type }).status, 'skipped');
});

test('ignore rules: JSON pointer, jq path with select(), field manager; per kind/name/environment', () => {
  const { desired, live, type } = load('edited');
  const run = (rules: Partial<IgnoreRule>[], environment?: string) => {
    const ignore = compileIgnoreRules(rules.map((r) => ({ jsonPointers: [], jqPathExpressions: [], managedFieldsManagers: [], ...r })));
    assert.deepEqual(ignore.problems, []);
    const r = compareLocal(desired, { state: 'found', object: live, type }, { ignore, environment });
    return r.status === 'drifted' ? r.fields.map((f) => f.path) : [];
  };
  const all = run([]);
  assert.equal(all.length, 4);
  assert.deepEqual(run([{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]), all.filter((p) => p !== 'spec.replicas'));
  assert.deepEqual(
    run([{ group: 'apps', kind: 'Deployment', jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "web") | .image'] }]),
    all.filter((p) => !p.endsWith('.image')),
  );
  assert.deepEqual(run([{ jqPathExpressions: ['.metadata.annotations["example.com/owner"]'] }]), all.filter((p) => !p.startsWith('metadata.annotations')));
  assert.deepEqual(run([{ managedFieldsManagers: ['kubectl-set'] }]), ['spec.replicas', 'metadata.annotations["example.com/owner"]']);
  // Rules for another kind, name or environment do not apply.
  assert.deepEqual(run([{ kind: 'StatefulSet', jsonPointers: ['/spec/replicas'] }]), all);
  assert.deepEqual(run([{ kind: 'Deployment', name: 'other', jsonPointers: ['/spec/replicas'] }]), all);
  assert.deepEqual(run([{ kind: 'Deployment', name: 'edit*', jsonPointers: ['/spec/replicas'] }]), all.filter((p) => p !== 'spec.replicas'));
  assert.deepEqual(run([{ jsonPointers: ['/spec/replicas'], environments: ['prod'] }], 'dev'), all);
  assert.deepEqual(run([{ jsonPointers: ['/spec/replicas'], environments: ['dev'] }], 'dev'), all.filter((p) => p !== 'spec.replicas'));
  // Everything ignored: in sync.
  assert.deepEqual(run([{ managedFieldsManagers: ['kubectl-set', 'kubectl-edit', 'kubectl-annotate'] }]), []);
});

test('a Secret value never appears in results, summaries, reports or diff documents', () => {
  const { desired, live, type } = load('secret-changed');
  const r = compareLocal(desired, { state: 'found', object: live, type });
  assert.equal(r.status, 'drifted');
  assert.equal(summaryLine(r), '⚠ drifted: data.password changed (kubectl-edit)');
  const report = { environment: 'dev', strategy: 'local' as const, results: [r], notInGit: [], ignoredExtraneous: [], counts: { total: 1, inSync: 0, drifted: 1, missing: 0, unknown: 0, skipped: 0, notInGit: 0 }, warnings: [], checkedAt: 0 };
  const docs = diffDocuments(r, 'dev');
  const everything = [JSON.stringify(r), summaryLine(r), driftReport(report, 'text'), driftReport(report, 'json'), driftReport(report, 'md'), docs.live, docs.desired].join('\n');
  const secrets = ['not-a-real-password', 's3cr3t-CHANGED-value', 'extra-value', 'shop_api'];
  for (const s of secrets) {
    assert.ok(!everything.includes(s), `${s} leaked`);
    assert.ok(!everything.includes(Buffer.from(s).toString('base64')), `${s} (base64) leaked`);
  }
  assert.match(docs.live, /password: "\*\*\* \(changed\)"/);
  assert.match(docs.desired, /password: "\*\*\* \(changed\)"/);
  assert.match(docs.live, /username: "\*\*\* \(unchanged\)"/);
  assert.match(docs.desired, /extra: "\*\*\* \(unchanged\)"/);
  assert.equal(docs.title, 'Secret/db2 — live ↔ Git (dev)');
});

test('diff documents show Git\'s fields on the live side, in Git\'s spelling where equal, plus the drift', () => {
  const q = load('quantities');
  const docs = diffDocuments(compareLocal(q.desired, { state: 'found', object: q.live, type: q.type }));
  assert.equal(docs.live, docs.desired, 'an in-sync object shows no difference at all');
  assert.doesNotMatch(docs.live, /terminationMessagePath|managedFields|resourceVersion|status:/);
  const e = load('edited');
  const r: DriftResult = compareLocal(e.desired, { state: 'found', object: e.live, type: e.type });
  const d = diffDocuments(r);
  assert.match(d.live, /replicas: 5/);
  assert.match(d.desired, /replicas: 2/);
  assert.match(d.live, /example\.com\/owner: team-a/);
  assert.match(d.live, /- name: B\n\s+value: "2"/);
  assert.doesNotMatch(d.desired, /name: B/);
  assert.doesNotMatch(d.live, /imagePullPolicy|dnsPolicy|deployment\.kubernetes\.io\/revision/);
});
