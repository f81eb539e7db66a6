// validateFile caches each document's findings by the hash of its text: an edit re-validates only
// the document it touched, and findings of later documents move with their lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaValidator, splitDocuments } from '../../../src/core/schema';

const cm = (name: string, value: string) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  key: ${value}\n`;

test('splitDocuments: one chunk per --- line, with its first line', () => {
  const chunks = splitDocuments('a: 1\n---\nb: 2\n--- # c\nc: 3\n---x: no marker\n')!;
  assert.deepEqual(chunks.map((c) => [c.startLine, c.text]), [[0, 'a: 1\n'], [1, '---\nb: 2\n'], [3, '--- # c\nc: 3\n---x: no marker\n']]);
  assert.equal(splitDocuments('%YAML 1.2\n---\na: 1\n'), undefined, 'directives: parsed whole');
});

test('an edit in one document of a 20,000-line file re-validates only that document', () => {
  const docs = Array.from({ length: 2860 }, (_, i) => cm(`c${i}`, '"v"'));
  const text = docs.join('');
  assert.ok(text.split('\n').length > 20000);
  const v = new SchemaValidator();
  assert.deepEqual(v.validateFile('/big.yaml', text), []);
  assert.deepEqual([v.lastStats.documents, v.lastStats.validated, v.lastStats.reused], [2860, 2860, 0]);
  v.validateFile('/big.yaml', text);
  assert.deepEqual([v.lastStats.validated, v.lastStats.reused], [0, 2860], 'unchanged: everything from the cache');
  docs[1000] = cm('c1000', '42');
  const edited = docs.join('');
  const f = v.validateFile('/big.yaml', edited);
  assert.deepEqual([v.lastStats.validated, v.lastStats.reused], [1, 2859]);
  console.log(`  one-document edit in 20,000 lines: ${v.lastStats.ms.toFixed(1)} ms (reported, not asserted)`);
  assert.equal(f.length, 1);
  assert.equal(f[0].range.start.line, 1000 * 7 + 6, 'absolute line of the edited document');
});

test('findings of unchanged documents move when lines are inserted above them', () => {
  const v = new SchemaValidator();
  const a = cm('a', '"ok"');
  const b = cm('b', '1');
  assert.equal(v.validateFile('/f.yaml', a + b)[0].range.start.line, 13);
  const longer = a.replace('\ndata:\n', '\ndata:\n  extra: "x"\n  more: "y"\n');
  const f = v.validateFile('/f.yaml', longer + b);
  assert.equal(v.lastStats.reused, 1);
  assert.equal(f[0].range.start.line, 15);
  assert.equal(f[0].message, 'data.key: expected string, got number 1');
});

test('a registry change (a CRD registered) invalidates cached results', () => {
  const v = new SchemaValidator();
  const cr = 'apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec: {size: 3}\n';
  assert.deepEqual(v.validateFile('/cr.yaml', cr).map((x) => x.code), ['schema/unknown-kind']);
  v.registry.registerSchema('example.com', 'v1', 'Thing', { type: 'object', properties: { apiVersion: {}, kind: {}, metadata: {}, spec: { type: 'object', properties: { size: { type: 'string' } } } } }, { source: 'repo', origin: '/crd.yaml' });
  assert.deepEqual(v.validateFile('/cr.yaml', cr).map((x) => x.message), ['spec.size: expected string, got number 3']);
});
