// Multi-document files mixing kinds, removed and deprecated apiVersions, Helm templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, covered, fixture, validate } from './helpers';
import { API_LIFECYCLE, SchemaRegistry, SchemaValidator, apiStatus, isHelmTemplate } from '../../../src/core/schema';

test('a file mixing kinds: each document against its own schema, one info per unknown kind', () => {
  const { text } = fixture('errors', 'multi-mixed.yaml');
  const f = validate(['errors', 'multi-mixed.yaml']);
  // Namespace, Ingress and the Flux Kustomization (prune: yes is a YAML 1.1 boolean) are valid.
  // (The CRD-less custom resource is VictoriaMetrics' VMServiceScrape: the Prometheus operator's kinds are bundled.)
  assert.deepEqual(brief(f), ['schema/type 33:20-33:24', 'schema/unknown-kind 42:6-42:21']);
  assert.deepEqual(f.map((x) => covered(text, x)), ['many', 'VMServiceScrape']);
  assert.equal(f[0].message, 'spec.jobTemplate.spec.backoffLimit: expected integer, got string "many"');
  assert.match(f[1].message, /no schema is known for VMServiceScrape \(operator\.victoriametrics\.com\/v1beta1\).*CustomResourceDefinition.*cluster/);
});

test('removed apiVersions name their replacement (or say there is none); deprecated ones warn', () => {
  const { text } = fixture('deprecated', 'old-apis.yaml');
  const f = validate(['deprecated', 'old-apis.yaml']);
  assert.deepEqual(brief(f), [
    'schema/removed-api 0:12-0:30',
    'schema/removed-api 11:12-11:26',
    'schema/removed-api 17:12-17:25',
    'schema/removed-api 23:12-23:37',
    'schema/removed-api 28:12-28:31',
    'schema/removed-api 33:12-33:26',
    'schema/removed-api 38:12-38:48',
    'schema/deprecated-api 43:12-43:14',
  ]);
  assert.equal(covered(text, f[0]), 'extensions/v1beta1');
  assert.match(f[0].message, /^extensions\/v1beta1 Deployment was removed in Kubernetes 1\.16 \(target 1\.37\); use apps\/v1/);
  assert.match(f[1].message, /^policy\/v1beta1 PodSecurityPolicy was removed in Kubernetes 1\.25 .*there is no replacement: use Pod Security Admission/);
  assert.match(f[2].message, /batch\/v1beta1 CronJob .*use batch\/v1$/);
  assert.match(f[3].message, /networking\.k8s\.io\/v1beta1 Ingress .*use networking\.k8s\.io\/v1/);
  assert.match(f[4].message, /autoscaling\/v2beta2 .*use autoscaling\/v2$/);
  assert.match(f[5].message, /policy\/v1beta1 PodDisruptionBudget .*use policy\/v1/);
  assert.match(f[6].message, /flowcontrol\.apiserver\.k8s\.io\/v1beta3 FlowSchema was removed in Kubernetes 1\.32/);
  assert.equal(f[7].severity, 'warning');
  assert.match(f[7].message, /v1 Endpoints is deprecated since Kubernetes 1\.33; use discovery\.k8s\.io\/v1 EndpointSlice/);
  // A rename-only replacement comes with a quick fix.
  assert.deepEqual(f[2].fixes?.[0].edits.map((e) => e.newText), ['batch/v1']);
  assert.equal(f[0].fixes, undefined, 'extensions → apps/v1 needs more than a rename');
});

test('the lifecycle table depends on the target version', () => {
  assert.equal(apiStatus('batch', 'v1beta1', 'CronJob', '1.20').status, 'ok');
  assert.equal(apiStatus('batch', 'v1beta1', 'CronJob', '1.22').status, 'deprecated');
  assert.equal(apiStatus('batch', 'v1beta1', 'CronJob', '1.25').status, 'removed');
  assert.equal(apiStatus('apps', 'v1', 'Deployment', '1.36').status, 'ok');
  for (const e of API_LIFECYCLE) assert.ok(e.replacement || e.note, `${e.group}/${e.version}: replacement or advice`);
});

test('kubernetesVersion selects the bundled schemas: MutatingAdmissionPolicy v1 is served from 1.36, not 1.34', () => {
  const text = 'apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingAdmissionPolicy\nmetadata:\n  name: m\nspec:\n  failurePolicy: Fail\n';
  assert.deepEqual(new SchemaValidator({ kubernetesVersion: '1.36' }).validateFile('/m.yaml', text), []);
  const old = new SchemaValidator({ kubernetesVersion: '1.34' }).validateFile('/m.yaml', text);
  assert.deepEqual(old.map((x) => [x.code, x.severity]), [['schema/unknown-kind', 'info']]);
  // A version of a built-in group that the target does not serve, where another version is known: an error.
  const v2 = new SchemaValidator({ kubernetesVersion: '1.34' }).validateFile('/d.yaml', 'apiVersion: apps/v2\nkind: Deployment\nmetadata: {name: d}\n');
  assert.deepEqual(v2.map((x) => [x.code, x.severity, x.message]), [['schema/unknown-kind', 'error', 'apps/v2 does not serve Deployment in Kubernetes 1.34; use apps/v1']]);
  assert.deepEqual(SchemaRegistry.bundledVersions(), ['1.34', '1.35', '1.36', '1.37']);
  assert.equal(new SchemaRegistry({ kubernetesVersion: '1.40' }).kubernetesVersion, '1.37', 'a newer request uses the newest bundled');
  // Fields added after 1.34 are unknown there: PodSpec.schedulingGroup (1.36).
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  schedulingGroup: {}\n  containers: [{name: a, image: b}]\n';
  assert.deepEqual(new SchemaValidator({ kubernetesVersion: '1.34' }).validateFile('/p.yaml', pod).map((x) => x.code), ['schema/unknown-field']);
});

test('Kubernetes 1.37 (from the real kube-apiserver v1.37.2) is bundled and the default: its new fields and enums are known', () => {
  const deployment = (protocol: string, mode: string) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: d }\nspec:\n  selector: { matchLabels: { app: d } }\n  template:\n    metadata: { labels: { app: d } }\n    spec:\n      containers:\n        - name: c\n          image: nginx\n          readinessProbe: { httpGet: { port: 8080, protocol: ${protocol} } }\n          livenessProbe: { grpc: { port: 9090, mode: ${mode} } }\n`;
  const codes = (v: SchemaValidator, t: string) => v.validateFile('/d.yaml', t).map((x) => x.code);
  assert.equal(new SchemaRegistry().kubernetesVersion, '1.37');
  assert.deepEqual(codes(new SchemaValidator(), deployment('HTTP2', 'TLS')), []);
  assert.deepEqual(codes(new SchemaValidator(), deployment('HTTP3', 'Plaintext')), ['schema/enum']);
  assert.deepEqual(codes(new SchemaValidator({ kubernetesVersion: '1.36' }), deployment('HTTP2', 'TLS')), ['schema/unknown-field', 'schema/unknown-field'], '1.36 has no such fields');
});

test('Helm templates are not validated as YAML; Argo CD placeholders in valid YAML are', () => {
  const chart = fixture('helm', 'chart', 'templates', 'deployment.yaml');
  assert.ok(isHelmTemplate(chart.path, chart.text));
  assert.deepEqual(new SchemaValidator().validateFile(chart.path, chart.text), []);
  const plain = fixture('helm', 'chart', 'templates', 'plain-looking.yaml');
  assert.ok(isHelmTemplate(plain.path, plain.text), 'templates/ of a chart, even without actions');
  assert.deepEqual(new SchemaValidator().validateFile(plain.path, plain.text), []);
  const outside = fixture('helm', 'outside-chart.yaml');
  assert.ok(isHelmTemplate(outside.path, outside.text), '{{ }} where YAML expects a value');
  assert.deepEqual(new SchemaValidator().validateFile(outside.path, outside.text), []);
  const values = fixture('helm', 'chart', 'values.yaml');
  assert.equal(isHelmTemplate(values.path, values.text), false);
  const appset = fixture('helm', 'applicationset-placeholders.yaml');
  assert.equal(isHelmTemplate(appset.path, appset.text), false);
  assert.deepEqual(brief(new SchemaValidator().validateFile(appset.path, appset.text)), ['schema/type 13:12-13:13'], 'validated: the number in data is caught');
});

test('validateManifestFile (already parsed text, e.g. rendered output) gives the same findings as validateFile', async () => {
  const { parseManifests } = await import('../../../src/core/manifest');
  const { validateManifestFile } = await import('../../../src/core/schema');
  const { path, text } = fixture('errors', 'multi-mixed.yaml');
  const viaFile = new SchemaValidator().validateFile(path, text);
  const viaParsed = validateManifestFile(parseManifests(text), new SchemaRegistry(), { filePath: path });
  assert.deepEqual(brief(viaParsed), brief(viaFile));
  assert.deepEqual(viaParsed.map((x) => x.message), viaFile.map((x) => x.message));
});
