// Rendered environments: a violation that an overlay introduced is shown on the overlay's
// change (images/replicas entries, JSON6902 and strategic-merge patches), one that the base
// already had on the base resource; messages start with `[<env>] `.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Finding } from '../../../src/core/findings';
import { parseManifests, rangeOfPath, type SourceLocation } from '../../../src/core/manifest';
import { checkEnvironment, loadPolicies, mergeFindings, type EnvironmentObject } from '../../../src/core/policy';
import { fixture, read } from './helpers';

const dir = fixture('env');
const baseFile = join(dir, 'base', 'deployment.yaml');
const kustFile = join(dir, 'overlays', 'prod', 'kustomization.yaml');
const patchFile = join(dir, 'overlays', 'prod', 'privileged.yaml');

/** What `kustomize build overlays/prod` gives, with the sources the renderer maps. */
function rendered(): EnvironmentObject[] {
  const base = parseManifests(read(baseFile));
  const kust = parseManifests(read(kustFile));
  const [deploy, svc] = base.documents;
  const d = structuredClone(deploy.value) as Record<string, any>;
  d.metadata.namespace = 'shop-prod';
  d.spec.replicas = 1;
  const c = d.spec.template.spec.containers[0];
  c.image = 'registry.example.com/shop/web:latest';
  delete c.resources.limits;
  c.securityContext.privileged = true;
  const s = structuredClone(svc.value) as Record<string, any>;
  s.metadata.namespace = 'shop-prod';
  const app = { id: 'kustomize:overlays/prod', root: join(dir, 'overlays', 'prod'), deployer: 'direct' };
  const jsonPatch: SourceLocation = { file: kustFile, range: rangeOfPath(kust, kust.documents[0], ['patches', 1])! };
  const smp: SourceLocation = { file: patchFile, range: parseManifests(read(patchFile)).documents[0].range };
  return [
    { object: d, source: { file: baseFile, range: deploy.range }, patchedBy: [smp, jsonPatch], application: app },
    { object: s, source: { file: baseFile, range: svc.range }, application: app },
  ];
}

const at = (f: Finding) => `${f.file!.slice(dir.length + 1)}:${f.range.start.line + 1}`;
const lineOf = (file: string, needle: string) => read(file).split('\n').findIndex((l) => l.includes(needle)) + 1;

test('environment: each finding points at the change that introduced it, or at the base', () => {
  const findings = checkEnvironment({ name: 'prod', protected: true, namespaces: ['shop-prod'] }, rendered(), {});
  const show = findings.map((f) => `${at(f)} ${f.code} ${f.message}`);
  assert.deepEqual(show, [
    `base/deployment.yaml:${lineOf(baseFile, '- name: web')} practice/probes [prod] container 'web' is behind Service web but has no readinessProbe`,
    `overlays/prod/kustomization.yaml:${lineOf(kustFile, 'newTag: latest')} practice/image-tag [prod] image of container 'web' uses the mutable :latest tag; pin a version or digest`,
    `overlays/prod/kustomization.yaml:${lineOf(kustFile, 'count: 1')} practice/single-replica-protected [prod] replicas is 1 in a protected environment`,
    `overlays/prod/kustomization.yaml:${lineOf(kustFile, 'path: /spec/template/spec/containers/0/resources/limits')} practice/resources [prod] container 'web' has no limits.cpu, limits.memory`,
    `overlays/prod/privileged.yaml:${lineOf(patchFile, 'privileged: true')} pss/privileged [prod] container 'web' is privileged: it has full access to the node`,
  ], JSON.stringify(show, null, 1));
  for (const f of findings) assert.equal(f.environment, 'prod');
  // the JSON6902 finding points at the pointer itself
  const res = findings.find((f) => f.code === 'practice/resources')!;
  const line = read(kustFile).split('\n')[res.range.start.line];
  assert.equal(line.slice(res.range.start.character, res.range.end.character), '/spec/template/spec/containers/0/resources/limits');
});

test('environment: an admission policy without fieldPath is traced to the overlay change that makes it fail', () => {
  const policies = loadPolicies([{ file: join(dir, 'latest-policy.yaml') }]);
  const findings = checkEnvironment({ name: 'prod' }, rendered(), { policies }).filter((f) => f.code === 'vap/no-latest');
  assert.deepEqual(findings.map((f) => `${at(f)} ${f.severity} ${f.message}`), [`overlays/prod/kustomization.yaml:${lineOf(kustFile, 'newTag: latest')} warning [prod] no-latest: images must not use :latest`]);
  // when the base itself violates, the base resource is shown
  const objs = rendered();
  const baseText = read(baseFile).replace('web:1.8.3', 'web:latest');
  const inBase = checkEnvironment({ name: 'prod' }, objs, { policies, readFile: (f) => (f === baseFile ? baseText : undefined) }).filter((f) => f.code === 'vap/no-latest');
  assert.deepEqual(inBase.map(at), [`base/deployment.yaml:${lineOf(baseFile, 'name: web')}`]);
});

test('environment: fixes edit the base document when the finding is there; overlay findings offer none but the suppression', () => {
  const findings = checkEnvironment({ name: 'prod', protected: true }, rendered(), {});
  const probes = findings.find((f) => f.code === 'practice/probes')!;
  assert.deepEqual(probes.fixes?.map((x) => x.title), ['Suppress practice/probes for this resource']);
  assert.ok(probes.fixes![0].edits.every((e) => e.file === baseFile));
  const privileged = findings.find((f) => f.code === 'pss/privileged')!;
  assert.ok(privileged.fixes!.every((x) => x.edits.every((e) => e.file === baseFile)), 'the suppression goes on the base resource');
});

test('environment: objects rendered from a Helm template point at the template line of the field', () => {
  const tmpl = join(dir, 'chart', 'templates', 'deployment.yaml');
  const object = parseYaml('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache, namespace: shop}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: cache}}\n  template:\n    metadata: {labels: {app: cache}}\n    spec:\n      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n      containers:\n        - name: redis\n          image: redis:7.2\n          livenessProbe: {tcpSocket: {port: 6379}}\n          resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1, memory: 1Gi}}\n          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n        - name: metrics\n          image: exporter:1.0\n          resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1, memory: 1Gi}}\n          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n');
  const findings = checkEnvironment({ name: 'prod' }, [{ object, source: { file: tmpl, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }, application: { id: 'helm', deployer: 'direct' } }], {});
  assert.deepEqual(findings.map((f) => `${f.range.start.line + 1} ${f.code}`), [`${lineOf(tmpl, '- name: metrics')} practice/probes`]);
});

test('environment: mergeFindings drops environment findings that repeat a file finding', () => {
  const file = { code: 'secret/plaintext', severity: 'error', message: 'Secret x', file: '/r/s.yaml', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 4 } }, source: 'secret' } as Finding;
  const env = { ...file, message: '[dev] Secret x', environment: 'dev' } as Finding;
  const other = { ...env, code: 'practice/pdb' } as Finding;
  assert.deepEqual(mergeFindings([file], [env, other]), [file, other]);
});

test('environment: the rendered objects are the documents of the base with the overlay applied (fixture sanity)', () => {
  const docs = parseAllDocuments(read(kustFile)).map((d) => d.toJS());
  assert.equal(docs.length, 1);
  assert.equal(rendered()[0].object.kind, 'Deployment');
});
