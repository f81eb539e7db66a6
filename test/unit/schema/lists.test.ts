// List documents (issue 15 point 2): the items of `kind: List` (and of ConfigMapList…, nested Lists
// flattened) are validated as the objects they are, each finding on the item's own line, both when
// a file is checked and when rendered output is (validateManifestFile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests } from '../../../src/core/manifest';
import { SchemaRegistry, SchemaValidator, validateManifestFile } from '../../../src/core/schema';
import { covered, repoRoot } from './helpers';

const file = join(repoRoot, 'test', 'fixtures', 'schema-lists', 'list.yaml');
const text = readFileSync(file, 'utf8');
const expected = [
  'schema/type 16:three spec.replicas: expected integer, got string "three"',
  'schema/type 35:eighty spec.ports[0].port: expected integer, got string "eighty"',
  'schema/unknown-field 44:datta datta: unknown field (did you mean "data"?)',
];

test('the items of a List are validated, findings at the item\'s line (a file being checked)', () => {
  const f = new SchemaValidator().validateFile(file, text);
  assert.deepEqual(f.map((x) => `${x.code} ${x.range.start.line + 1}:${covered(text, x)} ${x.message}`), expected);
});

test('the items of a List are validated in rendered output too', () => {
  const f = validateManifestFile(parseManifests(text), new SchemaRegistry());
  assert.deepEqual(f.map((x) => `${x.code} ${x.range.start.line + 1}:${covered(text, x)} ${x.message}`), expected);
});
