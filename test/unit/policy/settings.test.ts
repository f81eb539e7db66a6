// `.reconcile.yaml` policy settings (parsed by src/core/repo), Pod Security namespace labels,
// and the reconcile.dev/ignore annotation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseRepoConfig } from '../../../src/core/repo';
import { checkEnvironment, checkFile, isDisabled, parseSuppressions, pssSeverityFromLabels, resolveSeverity } from '../../../src/core/policy';
import { envObjects, fixture, read } from './helpers';

const dir = fixture('config');
const { config, errors } = parseRepoConfig(read(join(dir, '.reconcile.yaml')), join(dir, '.reconcile.yaml'));

test('settings: the fixture .reconcile.yaml parses without errors', () => {
  assert.deepEqual(errors, []);
  assert.deepEqual(config.policy.policyPaths, ['policies']);
});

test('settings: rules are switched off, re-rated per rule family and per environment', () => {
  const p = config.policy;
  assert.equal(resolveSeverity(p, { code: 'practice/image-tag' }), undefined);
  assert.equal(resolveSeverity(p, { code: 'pss/privileged', level: 'baseline' }), 'info');
  assert.equal(resolveSeverity(p, { code: 'pss/privileged', level: 'baseline', environment: 'prod' }), 'error');
  assert.equal(resolveSeverity(p, { code: 'practice/probes', environment: 'dev' }), undefined);
  assert.equal(resolveSeverity(p, { code: 'practice/probes', environment: 'prod' }), 'warning');
  assert.equal(resolveSeverity(p, { code: 'practice/resources' }), 'hint');
  assert.equal(resolveSeverity(undefined, { code: 'pss/run-as-non-root', level: 'restricted' }), 'warning');
  assert.equal(resolveSeverity(undefined, { code: 'vap/x', severity: 'info' }), 'info');
  assert.equal(isDisabled(p, 'practice/probes', 'dev'), true);
  assert.equal(isDisabled(p, 'practice/probes', 'prod'), false);
});

test('settings: checkFile applies them (file in dev, then in prod)', () => {
  const file = join(dir, 'workload.yaml');
  const text = read(file);
  const show = (env: string) => checkFile(file, text, { config: config.policy, environment: { name: env } }).map((f) => `${f.code}:${f.severity}`).sort();
  assert.deepEqual(show('dev'), ['practice/resources:hint', 'pss/capabilities:info', 'pss/privilege-escalation:info', 'pss/run-as-non-root:info', 'pss/seccomp:info']);
  assert.deepEqual(show('prod'), ['practice/probes:warning', 'practice/resources:hint', 'pss/capabilities:error', 'pss/privilege-escalation:error', 'pss/run-as-non-root:error', 'pss/seccomp:error']);
});

test('settings: Pod Security labels of the namespace set PSS severities (enforce → error, warn → warning, audit → info, unlisted level → none)', () => {
  assert.equal(pssSeverityFromLabels('baseline', { 'pod-security.kubernetes.io/enforce': 'restricted' }), 'error');
  assert.equal(pssSeverityFromLabels('restricted', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' }), 'warning');
  assert.equal(pssSeverityFromLabels('baseline', { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'baseline' }), 'info');
  assert.equal(pssSeverityFromLabels('restricted', { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/audit': 'baseline' }), null);
  assert.equal(pssSeverityFromLabels('restricted', { team: 'a' }), undefined);
  const file = join(dir, 'namespaces.yaml');
  const found = checkEnvironment({ name: 'dev' }, envObjects(file), {}).filter((f) => f.code.startsWith('pss/'));
  const show = found.map((f) => `${f.range.start.line + 1} ${f.code}:${f.severity}`);
  // strict (enforce restricted): every check is an error; relaxed (enforce privileged, audit baseline): baseline as info, restricted not at all
  assert.deepEqual(show, [
    '29 pss/host-namespaces:error',
    '31 pss/capabilities:error',
    '31 pss/privilege-escalation:error',
    '31 pss/run-as-non-root:error',
    '31 pss/seccomp:error',
    '51 pss/host-namespaces:info',
  ]);
});

test('suppression: entries, families, missing reasons and the TODO placeholder', () => {
  assert.deepEqual(parseSuppressions('pss/seccomp, pss/capabilities: legacy image; practice/probes: batch'), [
    { rules: ['pss/seccomp', 'pss/capabilities'], reason: 'legacy image' },
    { rules: ['practice/probes'], reason: 'batch' },
  ]);
  assert.deepEqual(parseSuppressions('practice/pdb'), [{ rules: ['practice/pdb'], reason: undefined }]);
  assert.deepEqual(parseSuppressions('practice/pdb:'), [{ rules: ['practice/pdb'], reason: undefined }]);
  const file = join(dir, 'workload.yaml');
  const base = read(file);
  const annotate = (v: string) => base.replace('  namespace: team\n', `  namespace: team\n  annotations:\n    reconcile.dev/ignore: "${v}"\n`);
  const codes = (t: string) => checkFile(file, t).map((f) => f.code).sort();
  assert.deepEqual(codes(annotate('pss/*: migrating to the restricted level in Q3; practice/*: prototype')), []);
  assert.deepEqual(codes(annotate('pss/*, practice/*')), ['policy/suppression-reason']);
  assert.deepEqual(codes(annotate('pss/*: TODO later; practice/*: prototype')), ['policy/suppression-reason']);
  assert.ok(codes(annotate('practice/image-tag: pinned by CI')).includes('pss/seccomp'), 'only the named rules are suppressed');
});
