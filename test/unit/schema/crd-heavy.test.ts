// Big CRDs (issue 15, "speed on big CRDs"): a repository of kube-prometheus-style CRDs, whose
// Prometheus, Alertmanager… schemas each inline whole Kubernetes types, and their custom resources.
// What made them slow is checked structurally, never by the clock: a CRD file learnt twice (once
// up front by the CLI, once when the file itself is validated) is registered once, and the large
// subschemas the CRDs repeat (a Container, a PodSpec's parts, a PVC template) are compiled once and
// shared, with the findings inside them unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { SchemaRegistry, SchemaValidator } from '../../../src/core/schema';
import { crdHeavyCrds, writeCrdHeavyFolder } from '../../fixtures/crd-heavy/generate';
import { brief, covered } from './helpers';

const crdText = (kind: string): string => dump(crdHeavyCrds().find((c) => ((c.spec as { names: { kind: string } }).names.kind === kind))!, { noRefs: true, lineWidth: -1 });

test('the same CRD text from the same file registers once: no new generation, compiled validators kept', () => {
  const r = new SchemaRegistry();
  const text = crdText('Prometheus');
  const kinds = r.registerCrdsFromText(text, '/repo/crds/prometheus.yaml');
  assert.deepEqual(kinds.map((k) => `${k.group}/${k.version}/${k.kind}`), ['monitoring.coreos.com/v1/Prometheus']);
  const compiled = r.resolve('monitoring.coreos.com', 'v1', 'Prometheus');
  assert.ok(compiled?.validate);
  const generation = r.generation;
  assert.deepEqual(r.registerCrdsFromText(text, '/repo/crds/prometheus.yaml'), kinds);
  assert.equal(r.generation, generation, 'nothing changed, so nothing is invalidated');
  assert.equal(r.resolve('monitoring.coreos.com', 'v1', 'Prometheus'), compiled, 'the compiled validator is kept');
  // a changed text does replace it
  r.registerCrdsFromText(text.replace('minimum: 0', 'minimum: 1'), '/repo/crds/prometheus.yaml');
  assert.notEqual(r.generation, generation);
  assert.notEqual(r.resolve('monitoring.coreos.com', 'v1', 'Prometheus'), compiled);
});

test('the large subschemas that CRDs repeat are compiled once, shared between kinds', () => {
  const r = new SchemaRegistry();
  r.registerCrdsFromText(crdText('Prometheus'), 'p.yaml');
  r.registerCrdsFromText(crdText('PrometheusAgent'), 'pa.yaml');
  r.registerCrdsFromText(crdText('ThanosRuler'), 't.yaml');
  r.resolve('monitoring.coreos.com', 'v1', 'Prometheus');
  const afterOne = r.compileStats();
  assert.ok(afterOne.sharedSubschemas >= 10, `containers, volumes, affinity… are shared (${afterOne.sharedSubschemas})`);
  r.resolve('monitoring.coreos.com', 'v1', 'PrometheusAgent');
  const afterTwo = r.compileStats();
  // PrometheusAgent's spec is Prometheus's: everything large it has is already there
  assert.equal(afterTwo.sharedSubschemas, afterOne.sharedSubschemas + 0);
  r.resolve('monitoring.coreos.com', 'v1', 'ThanosRuler');
  const afterThree = r.compileStats();
  assert.ok(afterThree.sharedSubschemas - afterTwo.sharedSubschemas < afterOne.sharedSubschemas / 2, `ThanosRuler reuses most of them (+${afterThree.sharedSubschemas - afterTwo.sharedSubschemas})`);
});

test('findings inside shared subschemas: same paths, messages and ranges as before (enum, unknown field, type, int-or-string, CEL)', () => {
  const v = new SchemaValidator();
  for (const k of ['Prometheus', 'Alertmanager']) assert.deepEqual(v.validateFile(`/repo/crds/${k}.yaml`, crdText(k)), [], `the ${k} CRD is a valid CRD`);
  const text = [
    'apiVersion: monitoring.coreos.com/v1',
    'kind: Alertmanager',
    'metadata:',
    '  name: main',
    'spec:',
    '  replicas: -1',
    '  containers:',
    '    - name: reloader',
    '      imagePullPolicy: Sometimes',
    '      imagePulPolicy: Always',
    '      ports:',
    '        - containerPort: web',
    '  initContainers:',
    '    - name: init',
    '      readinessProbe:',
    '        httpGet: { port: 8080, path: /ready }',
    '      resources: { requests: { cpu: lots } }',
    '---',
    'apiVersion: monitoring.coreos.com/v1',
    'kind: Prometheus',
    'metadata:',
    '  name: k8s',
    'spec:',
    '  containers:',
    '    - name: sidecar',
    '      imagePullPolicy: Sometimes',
    '',
  ].join('\n');
  const f = v.validateFile('/repo/monitoring/alertmanager.yaml', text);
  assert.deepEqual(
    f.map((x) => `${x.code} ${covered(text, x)} ${x.message}`),
    [
      'schema/cel spec spec: replicas must not be negative',
      'schema/constraint -1 spec.replicas: must be >= 0 (got -1)',
      'schema/enum Sometimes spec.containers[0].imagePullPolicy: must be one of Always, IfNotPresent, Never (got "Sometimes")',
      'schema/unknown-field imagePulPolicy spec.containers[0].imagePulPolicy: unknown field (did you mean "imagePullPolicy"?)',
      'schema/type web spec.containers[0].ports[0].containerPort: expected integer, got string "web"',
      'schema/constraint lots spec.initContainers[0].resources.requests.cpu: must match pattern "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$" (got "lots")',
      'schema/enum Sometimes spec.containers[0].imagePullPolicy: must be one of Always, IfNotPresent, Never (got "Sometimes")',
    ],
  );
  assert.deepEqual(brief(f).slice(-1), ['schema/enum 25:23-25:32']);
});

test('a generated kube-prometheus-style folder is valid as generated (the bench workload checks clean)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-crd-heavy-'));
  try {
    const made = writeCrdHeavyFolder(dir, { targetBytes: 2_400_000 });
    assert.ok(made.crdBytes > 1_500_000 && made.resources > 100, JSON.stringify(made));
    const v = new SchemaValidator();
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();
    const findings = files.flatMap((f) => v.validateFile(join(dir, f), readFileSync(join(dir, f), 'utf8')));
    assert.deepEqual(findings.filter((x) => !(x.code === 'schema/cel' && x.severity === 'info')).map((x) => `${x.file}: ${x.message}`), []);
    // CustomResourceDefinition and the six kinds the resources use (no ThanosRuler, no PrometheusAgent)
    assert.equal(v.registry.compileStats().kinds, 7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
