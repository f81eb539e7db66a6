// Bad input: each gets a clear finding or a size-limit notice, never a hang or a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { brief, covered, fixture, fixtures, validate } from './helpers';
import { join } from 'node:path';
import { SchemaValidator } from '../../../src/core/schema';

test('a 50 MB file: one size-limit finding, quickly', () => {
  const big = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n' + '  k: "' + 'x'.repeat(50 * 1024 * 1024) + '"\n';
  const t0 = performance.now();
  const f = new SchemaValidator().validateFile('/big.yaml', big);
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(f.map((x) => [x.code, x.severity]), [['yaml/too-large', 'warning']]);
  assert.match(f[0].message, /^file is 50\.0 MB; files over 16 MB are not checked$/);
});

test('an alias bomb is capped', () => {
  const { text } = fixture('bad', 'alias-bomb.yaml');
  const t0 = performance.now();
  const f = validate(['bad', 'alias-bomb.yaml']);
  assert.ok(performance.now() - t0 < 2000);
  assert.deepEqual(brief(f), ['yaml/alias 0:0-0:14']);
  assert.equal(covered(text, f[0]), 'apiVersion: v1');
});

test('10,000-deep nesting (flow or block): refused before parsing, at the line that passes the limit, no stack overflow', () => {
  const v = new SchemaValidator();
  const flow = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: ${'['.repeat(10000)}${']'.repeat(10000)}\n`;
  const f1 = v.validateFile('/deep.yaml', flow);
  // `data:` and `x:` are two block levels: the 511th bracket is the 513th level
  assert.deepEqual(brief(f1), ['yaml/too-deep 5:515-5:516'], 'at the bracket that goes one level too deep');
  assert.equal(f1[0].message, 'nesting deeper than 512 levels at line 6; not checked');
  const block = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x:\n    ${'- '.repeat(10000)}x\n`;
  const f2 = v.validateFile('/deep2.yaml', block);
  assert.deepEqual(f2.map((x) => x.code), ['yaml/too-deep']);
  assert.equal(f2[0].message, 'nesting deeper than 512 levels at line 7; not checked');
  // The whole file is refused (the same limit as the CLI and discovery), not only the deep document.
  const f3 = v.validateFile('/deep3.yaml', `${block}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: {n: 1}\n`);
  assert.deepEqual(f3.map((x) => x.code), ['yaml/too-deep']);
  // Nesting under the limit still validates.
  const ok = v.validateFile('/ok.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata:\n  x: ${'['.repeat(400)}${']'.repeat(400)}\n`);
  assert.deepEqual(ok.map((x) => x.code), ['schema/type']);
});

test('binary content, BOM + CRLF, tabs, empty files and documents', () => {
  assert.deepEqual(brief(new SchemaValidator().validateFile(join(fixtures, 'bad', 'binary.yaml'), readFileSync(join(fixtures, 'bad', 'binary.yaml'), 'latin1'))), ['yaml/binary 2:0-2:1'], 'at the first NUL byte');
  // BOM and CRLF: ranges as the editor counts them (no BOM, no \r).
  const bom = validate(['bad', 'bom-crlf.yaml']);
  assert.deepEqual(brief(bom), ['schema/type 5:9-5:10']);
  const tabs = validate(['bad', 'tabs.yaml']);
  assert.deepEqual(brief(tabs), ['yaml/syntax 3:0-3:1']);
  assert.match(tabs[0].message, /[Tt]abs/);
  assert.deepEqual(validate(['bad', 'empty.yaml']), []);
  assert.deepEqual(validate(['bad', 'empty-documents.yaml']), []);
});

test('a document that is a list or a scalar: a warning among Kubernetes objects, nothing in a patch file', () => {
  const f = validate(['bad', 'list-and-scalar.yaml']);
  assert.deepEqual(brief(f), ['yaml/not-an-object 5:0-5:5', 'yaml/not-an-object 8:0-8:13']);
  assert.deepEqual(f.map((x) => x.severity), ['warning', 'warning']);
  assert.match(f[0].message, /is a list, not a Kubernetes object/);
  assert.deepEqual(validate(['bad', 'json6902-patch.yaml']), []);
});

test('kind without apiVersion: a clear finding naming where the kind is served', () => {
  const f = validate(['bad', 'kind-without-apiversion.yaml']);
  assert.deepEqual(brief(f), ['schema/missing-api-version 0:0-0:4']);
  assert.equal(f[0].message, 'kind Deployment without apiVersion (Deployment is served by apps/v1)');
});

test('strategic-merge patches (partial: true): no missing required fields, other errors still reported', () => {
  const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n';
  const v = new SchemaValidator();
  assert.deepEqual(v.validateFile('/p.yaml', text).map((x) => x.message), ['spec: missing required field "selector"', 'spec: missing required field "template"', 'spec.replicas: expected integer, got string "three"']);
  assert.deepEqual(v.validateFile('/p.yaml', text, { partial: true }).map((x) => x.code), ['schema/type']);
});
