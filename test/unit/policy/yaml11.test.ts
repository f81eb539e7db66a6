// The policy rules read booleans as kubectl does (sigs.k8s.io/yaml: YAML 1.1): plain `on`, `yes`,
// `y` (any case form) are true and `off`, `no`, `n` false, so `privileged: on` is a privileged
// container. Quoted words stay strings. Checked for every word on privileged, hostNetwork/hostPID/
// hostIPC, allowPrivilegeEscalation, runAsNonRoot and (through an admission policy)
// readOnlyRootFilesystem, on each way a file is read: the fast parse, the full parser (files with
// anchors), a ParsedText shared with the schema engine, and checkFiles (CI); and on admission params.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../../src/core/findings';
import { ParsedText } from '../../../src/core/manifest/parsed-text';
import { checkFile, checkFiles, loadPolicies, type PolicyOptions } from '../../../src/core/policy';

const TRUE_WORDS = ['on', 'On', 'ON', 'yes', 'Yes', 'YES', 'y', 'Y', 'true', 'True', 'TRUE'];
const FALSE_WORDS = ['off', 'Off', 'OFF', 'no', 'No', 'NO', 'n', 'N', 'false', 'False', 'FALSE'];
/** Not booleans for kubectl either: quoted words, and words YAML 1.1 does not know. */
const STRINGS = ['"on"', "'yes'", '"true"', '"n"', 'oN', 'yES', 'enabled'];

type Field = 'privileged' | 'hostNetwork' | 'hostPID' | 'hostIPC' | 'allowPrivilegeEscalation' | 'runAsNonRoot' | 'readOnlyRootFilesystem';

/** A Pod that the restricted level accepts, with one field set to `word` (the line holding it is returned too). */
function pod(field: Field, word: string, withAnchors = false): { text: string; line: number } {
  const set = (f: Field, dflt: string) => (f === field ? word : dflt);
  const lines = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: p',
    '  namespace: apps',
    'spec:',
    ...(['hostNetwork', 'hostPID', 'hostIPC'] as Field[]).filter((f) => f === field).map((f) => `  ${f}: ${word}`),
    '  securityContext:',
    '    runAsNonRoot: true',
    '    seccompProfile: {type: RuntimeDefault}',
    '  containers:',
    '  - name: c',
    '    image: nginx:1.27',
    '    resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}',
    '    securityContext:',
    `      allowPrivilegeEscalation: ${set('allowPrivilegeEscalation', 'false')}`,
    '      capabilities: {drop: [ALL]}',
    ...(['privileged', 'runAsNonRoot', 'readOnlyRootFilesystem'] as Field[]).filter((f) => f === field).map((f) => `      ${f}: ${word}`),
  ];
  if (withAnchors) lines.push('---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: &m {name: cm, namespace: apps}', 'data: {a: "1"}');
  const line = lines.map((l) => l.trimStart().startsWith(`${field}: `)).lastIndexOf(true);
  return { text: lines.join('\n') + '\n', line };
}

// Requires readOnlyRootFilesystem: true on every container (no built-in rule reads it).
const READ_ONLY_POLICY = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: read-only-root}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "object.spec.containers.all(c, has(c.securityContext) && has(c.securityContext.readOnlyRootFilesystem) && c.securityContext.readOnlyRootFilesystem == true)"
    message: containers need a read-only root filesystem
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: read-only-root}
spec:
  policyName: read-only-root
  validationActions: [Deny]
`;

const WAYS: Array<[string, (file: string, text: string, options: PolicyOptions) => Finding[]]> = [
  ['fast parse', (file, text, options) => checkFile(file, text, options)],
  ['shared ParsedText', (file, text, options) => checkFile(file, text, options, new ParsedText(text))],
  ['checkFiles (CI)', (file, text, options) => checkFiles([{ file, text }], options)],
];

function findings(field: Field, word: string, way: (typeof WAYS)[number][1], withAnchors = false): { list: Finding[]; line: number } {
  const { text, line } = pod(field, word, withAnchors);
  const options: PolicyOptions = field === 'readOnlyRootFilesystem' ? { policies: loadPolicies([{ file: '/repo/policies/ro.yaml', text: READ_ONLY_POLICY }]) } : {};
  return { list: way('/repo/pod.yaml', text, options), line };
}

const codes = (list: Finding[]) => list.map((f) => `${f.range.start.line}:${f.code}`).sort();

test('yaml 1.1: the compliant pod gives no finding, so each case below tests one field', () => {
  for (const [name, way] of WAYS) {
    for (const field of ['privileged', 'hostNetwork', 'hostPID', 'hostIPC'] as Field[]) {
      assert.deepEqual(findings(field, 'false', way).list, [], `${name} ${field}: false`);
    }
    assert.deepEqual(findings('allowPrivilegeEscalation', 'false', way).list, [], name);
    assert.deepEqual(findings('runAsNonRoot', 'true', way).list, [], name);
    assert.deepEqual(findings('readOnlyRootFilesystem', 'true', way).list, [], name);
  }
});

for (const withAnchors of [false, true]) {
  const how = withAnchors ? ' (a file with anchors: the full parser)' : '';
  test(`yaml 1.1: privileged and host namespaces are flagged for every true word, never for false words or strings${how}`, () => {
    for (const [name, way] of WAYS) {
      for (const [field, code] of [['privileged', 'pss/privileged'], ['hostNetwork', 'pss/host-namespaces'], ['hostPID', 'pss/host-namespaces'], ['hostIPC', 'pss/host-namespaces']] as const) {
        for (const w of TRUE_WORDS) {
          const { list, line } = findings(field, w, way, withAnchors);
          assert.deepEqual(codes(list), [`${line}:${code}`], `${name}: ${field}: ${w}`);
          assert.match(list[0].message, field === 'privileged' ? /is privileged/ : new RegExp(`${field} is true`));
        }
        for (const w of [...FALSE_WORDS, ...STRINGS]) assert.deepEqual(codes(findings(field, w, way, withAnchors).list), [], `${name}: ${field}: ${w}`);
      }
    }
  });

  test(`yaml 1.1: allowPrivilegeEscalation and runAsNonRoot: false words are false, true words true, strings are neither${how}`, () => {
    for (const [name, way] of WAYS) {
      for (const w of TRUE_WORDS) {
        const { list, line } = findings('allowPrivilegeEscalation', w, way, withAnchors);
        assert.deepEqual(codes(list), [`${line}:pss/privilege-escalation`], `${name}: allowPrivilegeEscalation: ${w}`);
        assert.match(list[0].message, /sets allowPrivilegeEscalation: true/);
        assert.deepEqual(findings('runAsNonRoot', w, way, withAnchors).list, [], `${name}: runAsNonRoot: ${w}`);
      }
      for (const w of FALSE_WORDS) {
        assert.deepEqual(findings('allowPrivilegeEscalation', w, way, withAnchors).list, [], `${name}: allowPrivilegeEscalation: ${w}`);
        const { list, line } = findings('runAsNonRoot', w, way, withAnchors);
        assert.deepEqual(codes(list), [`${line}:pss/run-as-non-root`], `${name}: runAsNonRoot: ${w}`);
        assert.match(list[0].message, /sets runAsNonRoot: false/);
      }
      for (const w of STRINGS) {
        const ape = findings('allowPrivilegeEscalation', w, way, withAnchors);
        assert.deepEqual(ape.list.map((f) => f.message), ["container 'c' does not set allowPrivilegeEscalation: false"], `${name}: allowPrivilegeEscalation: ${w}`);
        // a string is not `true`: the pod-level runAsNonRoot no longer covers a container that overrides it
        assert.deepEqual(codes(findings('runAsNonRoot', w, way, withAnchors).list).map((c) => c.split(':').slice(1).join(':')), ['pss/run-as-non-root'], `${name}: runAsNonRoot: ${w}`);
      }
    }
  });

  test(`yaml 1.1: an admission policy sees readOnlyRootFilesystem: yes as true and no as false${how}`, () => {
    for (const [name, way] of WAYS) {
      for (const w of TRUE_WORDS) assert.deepEqual(findings('readOnlyRootFilesystem', w, way, withAnchors).list, [], `${name}: ${w}`);
      for (const w of [...FALSE_WORDS, ...STRINGS]) {
        const { list } = findings('readOnlyRootFilesystem', w, way, withAnchors);
        assert.deepEqual(list.map((f) => [f.code, f.severity]), [['vap/read-only-root', 'error']], `${name}: ${w}`);
      }
    }
  });
}

test('yaml 1.1: the quick fix for allowPrivilegeEscalation: on replaces the word with false', () => {
  const { text, line } = pod('allowPrivilegeEscalation', 'on');
  const [f] = checkFile('/repo/pod.yaml', text, {});
  assert.equal(f.code, 'pss/privilege-escalation');
  const edit = f.fixes!.find((x) => x.title.startsWith('Set allowPrivilegeEscalation'))!.edits[0];
  assert.deepEqual([edit.range.start.line, edit.newText], [line, 'false']);
  assert.equal(text.split('\n')[line].slice(edit.range.start.character, edit.range.end.character), 'on');
});

test('yaml 1.1: admission params in the policy files are read as kubectl reads them (enforce: on is true)', () => {
  const policyText = (enforce: string) => `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: policy.example.com/v1, kind: ReplicaRule}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "params.spec.enforce == false || object.spec.replicas >= 2"
    message: at least 2 replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas}
spec:
  policyName: replicas
  validationActions: [Deny]
  paramRef: {name: rule, parameterNotFoundAction: Deny}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: replicarules.policy.example.com}
spec:
  group: policy.example.com
  scope: Cluster
  names: {kind: ReplicaRule, plural: replicarules}
---
apiVersion: policy.example.com/v1
kind: ReplicaRule
metadata: {name: rule}
spec: {enforce: ${enforce}}
`;
  const deployment = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: a}\nspec:\n  replicas: 1\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: "nginx:1.27"}]\n';
  const vap = (enforce: string) =>
    checkFile('/repo/d.yaml', deployment, { policies: loadPolicies([{ file: '/repo/policies/p.yaml', text: policyText(enforce) }]) })
      .filter((f) => f.code.startsWith('vap/'))
      .map((f) => f.message);
  for (const w of TRUE_WORDS) assert.deepEqual(vap(w), ['replicas: at least 2 replicas'], w);
  for (const w of FALSE_WORDS) assert.deepEqual(vap(w), [], w);
});
