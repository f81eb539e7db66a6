// Plain manifests are read with the fast loader (manifest/quick.ts) when it can read them: the objects,
// identities, source ranges and texts must be exactly what the full parse (with kubectl's YAML 1.1
// reading) gives, for every YAML file of the fixtures and the examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifests } from '../../../src/core/manifest/parse';
import { isListDocument } from '../../../src/core/manifest/list';
import { asKubectlReads } from '../../../src/core/policy/kubectl-reads';
import { createRenderer } from '../../../src/core/render';
import { quickPlainParts } from '../../../src/core/render/renderer';

const root = join(__dirname, '..', '..', '..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => /\.ya?ml$/.test(f) && statSync(f).isFile())
    .sort();
}

/** What renderPlain's full parse makes of a file: the resource documents, their texts and sources. */
function fullParts(file: string) {
  const mf = asKubectlReads(parseManifests(readFileSync(file)));
  if (mf.errors.some((e) => e.severity === 'error') || mf.documents.some((d) => isListDocument(d.value))) return undefined;
  return mf.documents
    .filter((d) => d.shape === 'resource')
    .map((d) => {
      let text = mf.text.slice(d.offsets[0], d.offsets[1]).replace(/^---[^\n]*\n/, '');
      if (!text.endsWith('\n')) text += '\n';
      return { text, object: d.value, id: d.id, source: { file, range: d.range } };
    });
}

test('plain render: the fast loader gives exactly what the full parse gives, for every fixture and example file', async () => {
  const files = [...yamlFiles(join(root, 'test', 'fixtures')), ...yamlFiles(join(root, 'examples'))];
  let fast = 0;
  let resources = 0;
  for (const file of files) {
    const quick = await quickPlainParts(file);
    if (!quick) continue;
    fast++;
    const full = fullParts(file);
    assert.ok(full, `${file}: the fast loader read a file the full parse refuses`);
    assert.deepEqual(
      quick.map((p) => ({ text: p.text, object: p.document.object, id: p.document.id, source: p.document.source })),
      full,
      file,
    );
    resources += quick.length;
  }
  // Most files are ordinary YAML: the fast path is the common one.
  assert.ok(fast > files.length / 2, `fast path for ${fast} of ${files.length} files`);
  assert.ok(resources > 300, `${resources} resources compared`);
});

test('plain render falls back to the full parse where the fast loader cannot place things: anchors, Lists, syntax errors', async () => {
  const fixtures = join(root, 'test', 'fixtures');
  const syntax = join(fixtures, 'repos', 'manifests', 'syntax-error.yaml');
  assert.equal(await quickPlainParts(syntax), undefined);
  const r = await createRenderer({ trusted: false, env: { PATH: '' } }).render({ kind: 'plain', files: [syntax] });
  assert.ok(!r.ok && r.error.code === 'invalid-input' && r.error.location!.range.start.line === 9);
  const withList = yamlFiles(fixtures).find((f) => /^kind: \w*List$/m.test(readFileSync(f, 'utf8')) && /^items:/m.test(readFileSync(f, 'utf8')));
  assert.ok(withList, 'a fixture with a List document');
  assert.equal(await quickPlainParts(withList), undefined);
});
