import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests, quickParse } from '../../../src/core/manifest';

const dir = join(__dirname, '..', '..', 'fixtures', 'repos', 'manifests');

test('quickParse agrees with parseManifests on values, shapes, identities and start lines', () => {
  for (const name of ['multi.yaml', 'bom-crlf.yaml']) {
    const text = readFileSync(join(dir, name), 'utf8');
    const full = parseManifests(text);
    const quick = quickParse(text);
    assert.ok(quick, name);
    assert.deepEqual(quick.map((d) => d.shape), full.documents.map((d) => d.shape), name);
    assert.deepEqual(quick.map((d) => d.value), full.documents.map((d) => d.value ?? null), name);
    assert.deepEqual(quick.map((d) => d.id), full.documents.map((d) => d.id), name);
    assert.deepEqual(quick.map((d) => d.range.start.line), full.documents.map((d) => d.range.start.line), name);
    // (an empty document between two markers ends at its marker for `yaml`; at the next line here)
    const ends = (ds: Array<{ shape: string; range: { end: { line: number } } }>) => ds.filter((d) => d.shape !== 'empty').map((d) => d.range.end.line);
    assert.deepEqual(ends(quick), ends(full.documents), name);
  }
});

test('quickParse declines what it cannot do exactly: aliases, syntax errors, directives, marker content', () => {
  assert.equal(quickParse(readFileSync(join(dir, 'aliases.yaml'), 'utf8')), undefined);
  assert.equal(quickParse(readFileSync(join(dir, 'syntax-error.yaml'), 'utf8')), undefined);
  assert.equal(quickParse('%YAML 1.2\n---\na: 1\n'), undefined);
  assert.equal(quickParse('--- |\n  text\n'), undefined);
  assert.equal(quickParse('a: 1\u0000'), undefined);
});

test('quickParse keeps YAML 1.2 core types (no timestamps) like parseManifests', () => {
  const text = 'date: 2024-01-02\non: yes\nn: 010\n';
  assert.deepEqual(quickParse(text)![0].value, parseManifests(text).documents[0].value);
  assert.deepEqual(quickParse('# only a comment\n'), []);
  assert.deepEqual(quickParse(''), []);
  assert.equal(quickParse('# c\n---\na: 1\n')!.length, 1);
});
