// Rendered output is validated whatever its size (issue 15 point 2, "no silent gaps"): an
// environment of ≈6 MB (kube-prometheus style: big CRDs and their resources) is read document by
// document, and a wrong value deep inside is reported on its line; past the input limits
// (manifest/limits.ts: 16 MB, 10,000 documents) the output gets one finding that says it was not
// checked, and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRendered } from '../../../src/core/check/environment-checks';
import type { Application } from '../../../src/core/repo';
import { SchemaRegistry, validateRenderedText } from '../../../src/core/schema';
import { writeCrdHeavyFolder } from '../../fixtures/crd-heavy/generate';

const BROKEN = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: grafana', '  namespace: monitoring', 'spec:', '  replicas: "three"', '  selector:', '    matchLabels: {app: grafana}', '  template:', '    metadata:', '      labels: {app: grafana}', '    spec:', '      containers:', '        - name: grafana', '          image: grafana/grafana:12.0.0', ''].join('\n');

/** The generated kube-prometheus-style folder as one rendered stream, with the broken Deployment near the end. */
function bigRender(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-rendered-'));
  try {
    writeCrdHeavyFolder(dir, { targetBytes: 5_900_000 });
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();
    const docs = files.map((f) => readFileSync(join(dir, f), 'utf8').trimEnd() + '\n');
    docs.splice(docs.length - 1, 0, BROKEN);
    return docs.join('---\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a rendered environment over 5.5 MB is validated: an injected replicas: "three" is reported on its line', () => {
  const text = bigRender();
  assert.ok(Buffer.byteLength(text) > 5.5 * 1024 * 1024, `${Buffer.byteLength(text)} bytes`);
  const line = text.split('\n').indexOf('  replicas: "three"');
  const f = validateRenderedText(text, new SchemaRegistry()).filter((x) => !(x.code === 'schema/cel' && x.severity === 'info'));
  assert.deepEqual(f.map((x) => `${x.code} ${x.range.start.line} ${x.message}`), [`schema/type ${line} spec.replicas: expected integer, got string "three"`]);
});

test('check --env\'s checkRendered reports it too, on the application (the rendered object has no source here)', () => {
  const text = bigRender();
  const app = { name: 'monitoring', id: 'monitoring', root: '/repo/monitoring', renderer: { kind: 'plain', files: ['/repo/monitoring/all.yaml'] }, sourcePaths: [] } as unknown as Application;
  const f = checkRendered('prod', app, text, [], new SchemaRegistry()).filter((x) => x.severity === 'error');
  assert.deepEqual(f.map((x) => `${x.code} ${x.file} ${x.message}`), ['schema/type /repo/monitoring/all.yaml [prod] spec.replicas: expected integer, got string "three"']);
});

test('past the input limits the output is not checked, and the finding says why (size, number of documents)', () => {
  const r = new SchemaRegistry();
  const huge = `${'# padding\n'.repeat(1_700_000)}${BROKEN}`;
  const big = validateRenderedText(huge, r);
  assert.deepEqual(big.map((x) => `${x.code} ${x.severity}`), ['yaml/too-large warning']);
  assert.match(big[0].message, /^rendered output not checked: it is 16\.\d MB; files over 16 MB are not checked$/);
  const many = Array.from({ length: 10_001 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n`).join('---\n');
  const m = validateRenderedText(many, r);
  assert.deepEqual(m.map((x) => `${x.code} ${x.severity}`), ['yaml/too-many-documents warning']);
  assert.match(m[0].message, /^rendered output not checked: it holds more than 10,000 YAML documents/);
});
