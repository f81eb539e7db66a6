// Quick fixes: each is applied to the text and the result re-checked — the YAML still parses
// without errors, the finding is gone, and nothing else in the file changed meaning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Finding } from '../../../src/core/findings';
import { parseManifests } from '../../../src/core/manifest';
import { checkEnvironment, checkFile, IGNORE_ANNOTATION, REASON_PLACEHOLDER, type PolicyOptions } from '../../../src/core/policy';
import { applyFix, envObjects, fixture, read, repoRoot } from './helpers';

const dir = fixture('fixes');

function yamlOk(text: string): void {
  const mf = parseManifests(text);
  assert.deepEqual(mf.errors.filter((e) => e.severity === 'error').map((e) => e.message), []);
}

function key(f: Finding): string {
  return `${f.code}|${f.message}`;
}

/** Applies the fix titled like `title` on the finding `code` and re-checks. */
function fixOnce(file: string, text: string, code: string, title: RegExp, options: PolicyOptions = {}): { text: string; before: Finding[]; after: Finding[]; finding: Finding } {
  const before = checkFile(file, text, options);
  const finding = before.find((f) => f.code === code && f.fixes?.some((x) => title.test(x.title)));
  assert.ok(finding, `no ${code} finding with a fix ${title} in ${JSON.stringify(before.map((f) => [f.code, f.message, f.fixes?.map((x) => x.title)]))}`);
  const fix = finding.fixes!.find((x) => title.test(x.title))!;
  const next = applyFix(text, file, fix);
  yamlOk(next);
  const after = checkFile(file, next, options);
  const n = (l: Finding[]) => l.filter((f) => key(f) === key(finding)).length;
  assert.equal(n(after), n(before) - 1, `${finding.message} is still reported after "${fix.title}":\n${next}`);
  return { text: next, before, after, finding };
}

test('fix: "Add a resources skeleton" — for `resources: {}`, for a partial block, and for a container without one; every container ends with requests and limits', () => {
  const file = join(dir, 'no-resources.yaml');
  let text = read(file);
  const count = () => checkFile(file, text).filter((f) => f.code === 'practice/resources').length;
  assert.equal(count(), 3);
  for (let i = 0; i < 3; i++) text = fixOnce(file, text, 'practice/resources', /resources skeleton/).text;
  assert.equal(count(), 0);
  const obj = parseYaml(text) as { spec: { template: { spec: { containers: Array<{ resources: unknown; name: string }>; initContainers: Array<{ resources: unknown; image: string }> } } } };
  for (const c of [...obj.spec.template.spec.containers, ...obj.spec.template.spec.initContainers]) {
    assert.deepEqual(Object.keys(c.resources as object).sort(), ['limits', 'requests']);
  }
  assert.deepEqual(obj.spec.template.spec.containers[1].resources, { requests: { cpu: '10m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } }, 'existing values are kept');
  assert.ok(text.includes('image: registry.example.com/team/migrate:1.0.0 # runs once\n'), 'comments stay where they were');
  assert.deepEqual(checkFile(file, text), [], 'nothing else is reported');
});

test('fix: allowPrivilegeEscalation: false and runAsNonRoot: true (pod securityContext created, container override replaced), seccomp and drop ALL — until the pod is restricted', () => {
  const file = join(dir, 'insecure.yaml');
  let text = read(file);
  const codes = () => checkFile(file, text).map((f) => f.code).sort();
  assert.deepEqual(codes(), ['pss/capabilities', 'pss/capabilities', 'pss/privilege-escalation', 'pss/privilege-escalation', 'pss/run-as-non-root', 'pss/seccomp']);
  text = fixOnce(file, text, 'pss/run-as-non-root', /runAsNonRoot: true/).text;
  text = fixOnce(file, text, 'pss/privilege-escalation', /allowPrivilegeEscalation: false/).text;
  text = fixOnce(file, text, 'pss/privilege-escalation', /allowPrivilegeEscalation: false/).text;
  text = fixOnce(file, text, 'pss/seccomp', /RuntimeDefault/).text;
  text = fixOnce(file, text, 'pss/capabilities', /Drop ALL/).text;
  text = fixOnce(file, text, 'pss/capabilities', /Drop ALL/).text;
  assert.deepEqual(checkFile(file, text), []);
  const sts = parseYaml(text) as { spec: { template: { spec: { securityContext: unknown; containers: Array<{ securityContext: unknown }> } } } };
  assert.deepEqual(sts.spec.template.spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  assert.deepEqual(sts.spec.template.spec.containers[1].securityContext, { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } });
});

test('fix: "Replace with ExternalSecret" replaces only the Secret document, keeps the keys and drops every value', () => {
  const file = join(dir, 'secrets.yaml');
  const text = read(file);
  const { text: next, after } = fixOnce(file, text, 'secret/plaintext', /Replace with ExternalSecret/);
  assert.deepEqual(after, []);
  assert.ok(!next.includes('c2hvcC1wYXltZW50cw==') && !next.includes('pk_fake_4b9f2c8e1d7a6b3c'), 'no value survives');
  assert.ok(next.startsWith('# Three documents') && next.includes('# credentials for the payment provider\napiVersion: external-secrets.io/v1'), 'comments before the document stay');
  const docs = parseAllDocuments(next).map((d) => d.toJS() as { kind: string; spec?: { target: { name: string }; data: Array<{ secretKey: string }> }; metadata: { name: string; namespace: string; labels?: unknown } });
  assert.deepEqual(docs.map((d) => d.kind), ['ConfigMap', 'ExternalSecret', 'ServiceAccount']);
  const es = docs[1];
  assert.deepEqual([es.metadata.name, es.metadata.namespace, es.spec!.target.name], ['payments', 'team', 'payments']);
  assert.deepEqual(es.spec!.data.map((d) => d.secretKey).sort(), ['api-key', 'api-user']);
  assert.deepEqual(es.metadata.labels, { 'app.kubernetes.io/name': 'payments' });
});

test('fix: "Replace with ExternalSecret" on the examples repository\'s deliberate plaintext Secret', () => {
  const file = join(repoRoot, 'examples', 'apps', 'api', 'overlays', 'dev', 'secret.yaml');
  const { text: next, after } = fixOnce(file, read(file), 'secret/plaintext', /Replace with ExternalSecret/);
  assert.deepEqual(after, []);
  assert.ok(!next.includes('not-a-real-password') && !next.includes('shop_api'));
  assert.ok(next.startsWith('# deliberate: plaintext Secret committed to Git'));
});

test('fix: "Suppress for this resource" adds the annotation (new annotations map, existing map, existing suppression) and the finding goes away', () => {
  const file = join(dir, 'annotations.yaml');
  let text = read(file);
  const tags = () => checkFile(file, text).filter((f) => f.code === 'practice/image-tag').length;
  assert.equal(tags(), 3);
  for (let i = 0; i < 3; i++) text = fixOnce(file, text, 'practice/image-tag', /Suppress practice\/image-tag/).text;
  assert.equal(tags(), 0);
  const docs = parseAllDocuments(text).map((d) => (d.toJS() as { metadata: { annotations: Record<string, string> } }).metadata.annotations);
  assert.deepEqual(docs.map((a) => a[IGNORE_ANNOTATION]), [
    `practice/image-tag: ${REASON_PLACEHOLDER}`,
    `practice/image-tag: ${REASON_PLACEHOLDER}`,
    `practice/probes: batch worker without endpoints; practice/image-tag: ${REASON_PLACEHOLDER}`,
  ]);
  assert.equal(docs[1].owner, 'team-a');
  // the placeholder is not a reason: each suppression asks for one
  const reasons = checkFile(file, text).filter((f) => f.code === 'policy/suppression-reason');
  assert.equal(reasons.length, 3);
  assert.ok(reasons.every((f) => f.severity === 'warning'));
  // with a reason written, nothing is left
  assert.deepEqual(checkFile(file, text.split(REASON_PLACEHOLDER).join('pinned by the release pipeline')), []);
});

test('fix: "Add namespace" on a rendered environment edits the source document, and the environment check is clean afterwards', () => {
  const file = join(dir, 'no-namespace.yaml');
  let text = read(file);
  const env = { name: 'dev', namespaces: ['team'] };
  const run = () => checkEnvironment(env, envObjects(file, text), { readFile: (f) => (f === file ? text : undefined) });
  const before = run();
  assert.deepEqual(before.map((f) => f.code), ['gitops/namespace', 'gitops/namespace']);
  for (let i = 0; i < 2; i++) {
    const f = run().find((x) => x.code === 'gitops/namespace')!;
    const fix = f.fixes!.find((x) => /Add namespace: team/.test(x.title))!;
    text = applyFix(text, file, fix);
    yamlOk(text);
  }
  assert.deepEqual(run(), []);
  const docs = parseAllDocuments(text).map((d) => (d.toJS() as { metadata: { namespace: string } }).metadata.namespace);
  assert.deepEqual(docs, ['team', 'team']);
  // with several namespaces the fix is not certain, and is not offered
  const many = checkEnvironment({ name: 'dev', namespaces: ['a', 'b'] }, envObjects(file, read(file)), {});
  assert.ok(many.every((f) => !f.fixes?.some((x) => /Add namespace/.test(x.title))));
});

test('fix: no fix is offered where it would not be certain (flow-style securityContext with content)', () => {
  const file = join(dir, 'insecure.yaml');
  const text = read(file).replace('          securityContext:\n            allowPrivilegeEscalation: true\n            runAsNonRoot: false\n', '          securityContext: {allowPrivilegeEscalation: true, runAsNonRoot: false}\n');
  const f = checkFile(file, text).find((x) => x.code === 'pss/privilege-escalation' && /exporter/.test(x.message))!;
  assert.deepEqual(f.fixes?.map((x) => x.title), ['Suppress pss/privilege-escalation for this resource']);
});
