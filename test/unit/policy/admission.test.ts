// The repository's ValidatingAdmissionPolicies evaluated offline: matching (resource rules,
// exclusions, namespace and object selectors, matchConditions), params (a ConfigMap by name, a
// custom resource by selector), variables, messageExpression, the three actions, broken policies
// (fields the API server does not know, such as a validation's fieldPath) and a runaway expression.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkEnvironment, checkFile, findPolicyFiles, loadPolicies, policyProblems } from '../../../src/core/policy';
import { envObjects, fixture, markers, positions, read } from './helpers';

const dir = fixture('vap');
const policyFiles = ['min-replicas.yaml', 'params.yaml', 'registries.yaml'].map((f) => join(dir, 'policies', f));
const objectsFile = join(dir, 'objects.yaml');

test('admission: policies, bindings, the CRD and parameter objects load without problems', () => {
  const set = loadPolicies(policyFiles.map((file) => ({ file })));
  assert.deepEqual([...set.policies.keys()].sort(), ['allowed-registries', 'min-replicas']);
  assert.equal(set.bindings.length, 4);
  assert.deepEqual(set.params.map((p) => `${p.value.kind}/${(p.value.metadata as { name: string }).name}`).sort(), ['ConfigMap/replica-limits', 'RegistryPolicy/shop-registries']);
  assert.deepEqual(set.problems, []);
  assert.equal(set.crds.get('policy.example.com/RegistryPolicy')?.resource, 'registrypolicies');
});

test('admission: exactly the matching objects violate, at their name, with the action as severity (Deny error, Warn warning, Audit info)', () => {
  const policies = loadPolicies(policyFiles.map((file) => ({ file })));
  const text = read(objectsFile);
  const findings = checkEnvironment({ name: 'all' }, envObjects(objectsFile), { policies }).filter((f) => f.code.startsWith('vap/'));
  assert.deepEqual(positions(findings), markers(text));
  const bySeverity = Object.fromEntries(findings.filter((f) => f.code === 'vap/min-replicas').map((f) => [f.message, f.severity]));
  assert.deepEqual(bySeverity, {
    '[all] min-replicas: Deployment web has 1 replica(s); at least 2 are required': 'error',
    '[all] min-replicas: Deployment api has 1 replica(s); at least 2 are required': 'warning',
    '[all] min-replicas: StatefulSet db has 1 replica(s); at least 2 are required': 'info',
  });
  const reg = findings.find((f) => f.code === 'vap/allowed-registries')!;
  assert.equal(reg.message, '[all] allowed-registries: images must come from an allowed registry');
  assert.equal(reg.severity, 'error', 'Deny + Audit: the most severe action');
  for (const f of findings) assert.equal(f.docs, 'docs/rules/vap.md');
});

test('admission: the same checks run on a single file while editing (namespaces from the file)', () => {
  const policies = loadPolicies(policyFiles.map((file) => ({ file })));
  const text = read(objectsFile);
  const findings = checkFile(objectsFile, text, { policies }).filter((f) => f.code.startsWith('vap/'));
  assert.deepEqual(positions(findings), markers(text));
});

test('admission: params change the outcome (minReplicas 1 → nothing; no RegistryPolicy matching the selector → a problem on the binding)', () => {
  const params = read(policyFiles[1]).replace('minReplicas: "2"', 'minReplicas: "1"').replace('team: shop', 'team: other');
  const policies = loadPolicies([{ file: policyFiles[0] }, { file: policyFiles[1], text: params }, { file: policyFiles[2] }]);
  const findings = checkEnvironment({ name: 'all' }, envObjects(objectsFile), { policies }).filter((f) => f.code.startsWith('vap/'));
  assert.deepEqual(findings.map((f) => [f.code, f.file, f.range.start.line + 1, f.message]), [
    ['vap/invalid', policyFiles[2], 33, '[all] ValidatingAdmissionPolicyBinding allowed-registries: no params found for policy allowed-registries (RegistryPolicy matching the selector); the API server would reject every matching request'],
  ]);
});

test('admission: .reconcile.yaml can change the severity of a policy or switch it off, and the annotation suppresses it', () => {
  const policies = loadPolicies(policyFiles.map((file) => ({ file })));
  const objs = envObjects(objectsFile);
  const off = checkEnvironment({ name: 'all' }, objs, { policies, config: { rules: { 'vap/min-replicas': { disable: true } }, policyPaths: [] } });
  assert.deepEqual(off.filter((f) => f.code.startsWith('vap/')).map((f) => f.code), ['vap/allowed-registries']);
  const hint = checkEnvironment({ name: 'all' }, objs, { policies, config: { rules: { 'vap/*': { severity: 'hint' } }, policyPaths: [] } });
  assert.ok(hint.filter((f) => f.code.startsWith('vap/')).every((f) => f.severity === 'hint'));
  const annotated = read(objectsFile).replace('  namespace: shop-prod\nspec:\n  replicas: 1\n', '  namespace: shop-prod\n  annotations:\n    reconcile.dev/ignore: "vap/min-replicas: scaled by the on-call runbook"\nspec:\n  replicas: 1\n');
  const supp = checkFile(objectsFile, annotated, { policies }).filter((f) => f.code === 'vap/min-replicas');
  assert.equal(supp.length, 2);
});

test('admission: a broken policy gets findings on the policy file at the expression (the syntax error at its column)', () => {
  const file = join(dir, 'broken', 'broken.yaml');
  const text = read(file);
  const set = loadPolicies([{ file }]);
  const problems = policyProblems(set);
  const show = problems.map((f) => `${f.range.start.line + 1}:${f.range.start.character + 1}-${f.range.end.line + 1}:${f.range.end.character + 1} ${f.code} ${f.message}`);
  assert.deepEqual(show, [
    '12:47-12:48 vap/invalid ValidatingAdmissionPolicy broken-syntax: invalid CEL (syntax error): Unexpected token: EOF',
    '13:20-13:53 vap/invalid ValidatingAdmissionPolicy broken-syntax: invalid CEL (type error): found no matching overload for \'dyn.frobnicate()\'',
    '15:9-15:26 vap/invalid ValidatingAdmissionPolicy broken-syntax: variables.missing is not defined (defined: none)',
    '22:15-22:29 vap/invalid ValidatingAdmissionPolicyBinding to-nowhere: policy \'does-not-exist\' is not defined in the policy files (defined: broken-syntax, needs-params)',
    '45:11-45:26 vap/invalid ValidatingAdmissionPolicyBinding needs-params: no params found for policy needs-params (ConfigMap policy-params/not-in-the-repo); the API server would reject every matching request',
  ], JSON.stringify(show, null, 1));
  const lines = text.split('\n');
  assert.equal(lines[11].slice(46, 47), '&', 'the syntax error points at the end of the expression');
  assert.equal(lines[12].slice(19, 52), 'object.spec.replicas.frobnicate()', 'the type error points at the call');
  assert.equal(lines[14].slice(8, 25), 'variables.missing');
  assert.ok(problems.every((p) => p.severity === 'error' && p.file === file && p.docs === 'docs/rules/vap-invalid.md'));
  // params whose namespace is the object's are looked up when objects are checked
  const perObject = loadPolicies([{ file, text: text.replace('    namespace: policy-params\n', '') }]);
  assert.ok(!policyProblems(perObject).some((f) => /no params/.test(f.message)));
  const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'team' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0.0' }] } } } };
  const found = checkEnvironment({ name: 'dev' }, [{ object }], { policies: perObject }).filter((f) => /no params/.test(f.message));
  assert.deepEqual(found.map((f) => [f.code, f.file, f.range.start.line + 1]), [['vap/invalid', file, 45]]);
  assert.match(found[0].message, /no params found for policy needs-params \(ConfigMap team\/not-in-the-repo\)/);
});

test('admission: editing a policy file re-checks it with the edited text (a fixed expression stops being reported)', () => {
  const file = join(dir, 'broken', 'broken.yaml');
  const text = read(file);
  const set = loadPolicies([{ file }]);
  const before = checkFile(file, text, { policies: set }).filter((f) => f.code === 'vap/invalid');
  assert.equal(before.length, 5);
  const fixed = text.replace('object.spec.replicas >= 2 &&"', 'object.spec.replicas >= 2"');
  const after = checkFile(file, fixed, { policies: set }).filter((f) => f.code === 'vap/invalid');
  assert.equal(after.length, 4);
  assert.ok(!after.some((f) => /syntax error/.test(f.message)));
});

test('admission: a runaway expression is stopped by the budget and reported on the policy, quickly', () => {
  const file = join(dir, 'runaway', 'runaway.yaml');
  const policies = loadPolicies([{ file }]);
  const env = Array.from({ length: 300 }, (_, i) => ({ name: `VAR_${i}`, value: String(i) }));
  const object = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'team' }, spec: { replicas: 2, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'big', image: 'registry.example.com/big:1', env }] } } } };
  const findings = checkEnvironment({ name: 'dev' }, [{ object, source: { file: '/repo/big.yaml', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } }], { policies, celBudget: { maxMillis: 60_000 } }).filter((f) => f.code.startsWith('vap/'));
  assert.deepEqual(findings.map((f) => [f.code, f.file, f.range.start.line + 1, f.severity]), [['vap/budget', file, 15, 'error']]);
  assert.match(findings[0].message, /runaway: evaluation stopped after 1,000,000 steps \(budget exceeded\)/);
  // a time budget stops it too
  const timed = checkEnvironment({ name: 'dev' }, [{ object }], { policies, celBudget: { maxSteps: Number.MAX_SAFE_INTEGER, maxMillis: 30 } }).filter((f) => f.code.startsWith('vap/'));
  assert.match(timed[0].message, /evaluation stopped after 30 ms/);
  // a small object passes under the same policy
  const small = structuredClone(object);
  small.spec.template.spec.containers[0].env = env.slice(0, 5);
  assert.deepEqual(checkEnvironment({ name: 'dev' }, [{ object: small }], { policies }).filter((f) => f.code.startsWith('vap/')), []);
});

test('admission: policy files are found in the configured paths, or next to any ValidatingAdmissionPolicy', () => {
  const found = findPolicyFiles(dir).map((f) => f.slice(dir.length + 1)).sort();
  assert.deepEqual(found, ['broken/broken.yaml', 'policies/min-replicas.yaml', 'policies/params.yaml', 'policies/registries.yaml', 'runaway/runaway.yaml']);
  assert.deepEqual(findPolicyFiles(dir, ['policies']).map((f) => f.slice(dir.length + 1)), ['policies/min-replicas.yaml', 'policies/params.yaml', 'policies/registries.yaml']);
  assert.deepEqual(findPolicyFiles(dir, ['runaway/*.yaml']).map((f) => f.slice(dir.length + 1)), ['runaway/runaway.yaml']);
});

test('admission: fields the API server does not know are reported on the policy (a validation has no fieldPath: only CRD rules do; the server refuses the policy)', () => {
  const text = read(policyFiles[0])
    .replace('      reason: Invalid\n', '      reason: Invalid\n      fieldPath: spec.replicas\n')
    .replace('  failurePolicy: Fail\n', '  failurePolicy: Fail\n  validationAction: Deny\n')
    .replace('  validationActions: [Deny]\n', '  validationActions: [Deny]\n  namespace: prod\n');
  const set = loadPolicies([{ file: policyFiles[0], text }, { file: policyFiles[1] }]);
  const lines = text.split('\n');
  assert.deepEqual(policyProblems(set).map((f) => [f.code, lines[f.range.start.line].slice(f.range.start.character, f.range.end.character), f.message]), [
    ['vap/invalid', 'validationAction', 'ValidatingAdmissionPolicy min-replicas: spec.validationAction is not a field of ValidatingAdmissionPolicy (known: paramKind, matchConstraints, validations, failurePolicy, auditAnnotations, matchConditions, variables); the API server refuses it'],
    ['vap/invalid', 'fieldPath', 'ValidatingAdmissionPolicy min-replicas: spec.validations[0].fieldPath is not a field of ValidatingAdmissionPolicy (known: expression, message, reason, messageExpression); the API server refuses it'],
    ['vap/invalid', 'namespace', 'ValidatingAdmissionPolicyBinding min-replicas-prod: spec.namespace is not a field of ValidatingAdmissionPolicyBinding (known: policyName, paramRef, validationActions, matchResources); the API server refuses it'],
  ]);
});

test('admission: matchConditions see no namespace (namespaceObject is null there, as on the API server): reading it is an error, has() is false', () => {
  const policy = (name: string, condition: string) => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ${name}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  matchConditions: [{name: mc, expression: "${condition}"}]
  validations: [{expression: "has(object.data)", message: "needs data"}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ${name}}
spec: {policyName: ${name}, validationActions: [Deny]}
`;
  const policies = loadPolicies([
    { file: '/repo/policies/by-name.yaml', text: policy('by-name', "namespaceObject.metadata.name != 'lab'") },
    { file: '/repo/policies/known.yaml', text: policy('known', 'has(namespaceObject.metadata)') },
    { file: '/repo/policies/unknown.yaml', text: policy('unknown', 'namespaceObject == null') },
  ]);
  const objects = [{ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } } }, { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'empty', namespace: 'team' } } }];
  const findings = checkEnvironment({ name: 'dev' }, objects, { policies }).filter((f) => f.code.startsWith('vap/'));
  assert.deepEqual(findings.map((f) => `${f.code} ${f.message}`).sort(), [
    '[dev] by-name: expression could not be evaluated: matchCondition mc: No such key: metadata',
    '[dev] unknown: needs data',
  ].map((m, i) => `${['vap/by-name', 'vap/unknown'][i]} ${m}`));
});

test('admission: what else the API server refuses is vap/invalid: variables in a matchCondition, an unknown failurePolicy, Deny with Warn', () => {
  const text = read(policyFiles[0])
    .replace('  failurePolicy: Fail\n', '  failurePolicy: Always\n')
    .replace(`expression: "!has(object.metadata.labels)`, `expression: "variables.replicas > 0 && !has(object.metadata.labels)`)
    .replace('  validationActions: [Warn]\n', '  validationActions: [Deny, Warn]\n');
  const set = loadPolicies([{ file: policyFiles[0], text }, { file: policyFiles[1] }]);
  const lines = text.split('\n');
  assert.deepEqual(policyProblems(set).map((f) => [lines[f.range.start.line].slice(f.range.start.character, f.range.end.character), f.message]), [
    ['Always', "ValidatingAdmissionPolicy min-replicas: failurePolicy must be Fail or Ignore, not 'Always'"],
    ['variables', "ValidatingAdmissionPolicy min-replicas: matchConditions cannot use variables (the API server evaluates them without the policy's variables and refuses the policy)"],
    ['[Deny, Warn]', 'ValidatingAdmissionPolicyBinding min-replicas-staging: validationActions must not contain both Deny and Warn (the API server refuses the binding)'],
  ]);
});
