// No false errors (issue 15 point 1, the schema validator's part): Flux `${VAR}` placeholders are
// unknown values; kustomize's strategic-merge directives make a document a patch; YAML that is no
// Kubernetes object gets one note per file and no schema check; half an object (kind without
// apiVersion, or the reverse) is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SchemaValidator } from '../../../src/core/schema';
import { covered, fixture, repoRoot } from './helpers';

const dir = join(repoRoot, 'test', 'fixtures', 'schema-precision');
const read = (name: string) => ({ path: join(dir, name), text: readFileSync(join(dir, name), 'utf8') });
const view = (text: string, fs: ReturnType<SchemaValidator['validateFile']>) => fs.map((f) => `${f.code} ${f.severity} ${f.range.start.line + 1}:${covered(text, f)}`);

test('Flux placeholders (${VAR}, ${VAR:=default}, ${VAR:-x}) satisfy any type, enum or pattern; real errors next to them are still found', () => {
  const { path, text } = read('flux-placeholders.yaml');
  const f = new SchemaValidator().validateFile(path, text);
  assert.deepEqual(view(text, f), ['schema/type error 11:ten'], 'only revisionHistoryLimit: ten (an integer field) is wrong');
});

test('Flux placeholders in a custom resource: the CRD\'s CEL rules do not fail on a value not known yet', () => {
  const v = new SchemaValidator();
  const crd = fixture('crd', 'widget-crd.yaml');
  v.validateFile(crd.path, crd.text);
  const text = [
    'apiVersion: example.com/v1',
    'kind: Widget',
    'metadata:',
    '  name: w',
    'spec:',
    '  size: ${SIZE:=small}',
    '  minReplicas: ${MIN}',
    '  maxReplicas: 3',
    '  parts:',
    '    - name: bolt',
    '      count: ${BOLTS}',
    '---',
    'apiVersion: example.com/v1',
    'kind: Widget',
    'metadata:',
    '  name: broken',
    'spec:',
    '  size: small',
    '  minReplicas: 5',
    '  maxReplicas: 3',
    '',
  ].join('\n');
  assert.deepEqual(view(text, v.validateFile('/repo/w.yaml', text)), ['schema/cel error 17:spec'], 'the second Widget breaks its rule; the first is unknown');
});

test('kustomize directives ($patch, $setElementOrder/…, $retainKeys) are allowed in any document, which is then a patch: no missing required fields; unknown fields still found', () => {
  const { path, text } = read('patch-directives.yaml');
  const f = new SchemaValidator().validateFile(path, text);
  assert.deepEqual(view(text, f), ['schema/unknown-field error 18:imagePulPolicy']);
  // the same document without its directives is an object, and is incomplete
  const plain = text.split('---')[0].replace(/^\s*(?:- )?\$(?:setElementOrder\/containers|patch|retainKeys):.*\n(?:\s+- (?:name: (?:app|sidecar)|type)\n)*/gm, '');
  assert.ok(!plain.includes('$'), plain);
  assert.ok(new SchemaValidator().validateFile('/repo/d.yaml', plain).some((x) => x.code === 'schema/required'));
});

test('a patch file named by a kustomization may use the directives too', () => {
  const { path, text } = read('patch-directives.yaml');
  const f = new SchemaValidator().validateFile(path, text, { partial: true });
  assert.deepEqual(view(text, f), ['schema/unknown-field error 18:imagePulPolicy']);
});

test('YAML that is no Kubernetes object: one note per file, nothing validated (Grafana\'s apiVersion: 1, an application config)', () => {
  const v = new SchemaValidator();
  const g = read('grafana-datasource.yaml');
  const gf = v.validateFile(g.path, g.text);
  assert.deepEqual(view(g.text, gf), ['yaml/not-kubernetes info 2:apiVersion']);
  assert.match(gf[0].message, /apiVersion is 1, not a string/);
  const c = read('app-config.yaml');
  const cf = v.validateFile(c.path, c.text);
  assert.deepEqual(cf.map((x) => `${x.code} ${x.severity} ${x.range.start.line + 1}`), ['yaml/not-kubernetes info 2']);
  assert.match(cf[0].message, /neither apiVersion nor kind/);
});

test('known configuration files are neither notes nor errors: values.yaml, Chart.yaml, a kustomization without kind, CI and Compose files', () => {
  const v = new SchemaValidator();
  assert.deepEqual(v.validateFile('/repo/chart/values.yaml', 'replicaCount: 1\nimage:\n  tag: 1.0\n'), []);
  assert.deepEqual(v.validateFile('/repo/chart/values-prod.yaml', 'replicaCount: 3\n'), []);
  assert.deepEqual(v.validateFile('/repo/chart/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 1.0.0\n'), []);
  assert.deepEqual(v.validateFile('/repo/app/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nresources:\n  - deployment.yaml\n'), []);
  assert.deepEqual(v.validateFile('/repo/.github/workflows/ci.yaml', 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n'), []);
  assert.deepEqual(v.validateFile('/repo/docker-compose.yml', 'services:\n  web:\n    image: nginx\n'), []);
});

test('half an object is an error: kind without apiVersion, apiVersion (any group) without kind', () => {
  const { path, text } = read('half-objects.yaml');
  const f = new SchemaValidator().validateFile(path, text);
  assert.deepEqual(view(text, f), ['schema/missing-api-version error 1:kind', 'schema/missing-api-version error 5:apiVersion', 'schema/missing-api-version error 9:apiVersion']);
  assert.match(f[1].message, /apiVersion example\.com\/v1 without kind/);
});
