import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  documentAtLine,
  parseManifests,
  rangeOfPath,
  readManifestFile,
  resourceKey,
} from '../../../src/core/manifest';

const dir = join(__dirname, '..', '..', 'fixtures', 'repos', 'manifests');
const fixture = (name: string) => readFileSync(join(dir, name));

test('multi-document file: ranges, shapes and identities of every document', () => {
  const f = parseManifests(fixture('multi.yaml'));
  assert.deepEqual(f.errors, []);
  assert.deepEqual(
    f.documents.map((d) => d.shape),
    ['resource', 'empty', 'empty', 'list', 'scalar', 'resource', 'mapping', 'resource'],
  );
  const [ns, , , list, scalar, role, , deploy] = f.documents;
  assert.deepEqual(ns.id, { group: '', version: 'v1', kind: 'Namespace', name: 'shop' });
  // The first document has no marker: it starts at its value (`apiVersion`, after the comment)
  // and ends where the `---` of the next one starts.
  assert.deepEqual(ns.range.start, { line: 1, character: 0 });
  assert.deepEqual(ns.contentRange.start, { line: 1, character: 0 });
  assert.deepEqual(ns.range.end, { line: 5, character: 0 });
  assert.deepEqual(list.value, ['just', 'a list']);
  assert.equal(list.id, undefined);
  assert.equal(scalar.value, 'just a scalar');
  assert.equal(resourceKey(role.id!), 'rbac.authorization.k8s.io/ClusterRole//view-all');
  assert.equal(resourceKey(deploy.id!), 'apps/Deployment/shop/web');
  assert.deepEqual(deploy.range.start, { line: 22, character: 0 }); // its `---`
  assert.deepEqual(deploy.contentRange.start, { line: 23, character: 0 });
  assert.equal(deploy.range.end.line, 35);
  const text = readFileSync(join(dir, 'multi.yaml'), 'utf8');
  assert.ok(text.slice(deploy.offsets[0], deploy.offsets[1]).startsWith('---\napiVersion: apps/v1'));
});

test('rangeOfPath finds a nested value and a key', () => {
  const f = parseManifests(fixture('multi.yaml'));
  const deploy = f.documents[7];
  const image = rangeOfPath(f, deploy, ['spec', 'template', 'spec', 'containers', 0, 'image']);
  assert.deepEqual(image, { start: { line: 34, character: 17 }, end: { line: 34, character: 27 } });
  const replicasKey = rangeOfPath(f, deploy, ['spec', 'replicas'], { key: true });
  assert.deepEqual(replicasKey, { start: { line: 29, character: 2 }, end: { line: 29, character: 10 } });
  assert.equal(rangeOfPath(f, deploy, ['spec', 'nope']), undefined);
  assert.equal(documentAtLine(f, 30), deploy);
  assert.equal(documentAtLine(f, 2), f.documents[0]);
  assert.equal(documentAtLine(f, 22), deploy);
});

test('BOM and CRLF: identities parsed, positions count neither the BOM nor the CR', () => {
  const f = parseManifests(fixture('bom-crlf.yaml'));
  assert.deepEqual(f.errors, []);
  assert.equal(f.documents.length, 2);
  assert.equal(f.text.charCodeAt(0), 'a'.charCodeAt(0));
  assert.equal(resourceKey(f.documents[0].id!), '/ConfigMap/demo/crlf');
  assert.deepEqual(f.documents[0].value, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crlf', namespace: 'demo' }, data: { k: 'v' } });
  assert.deepEqual(f.documents[1].range.start, { line: 7, character: 0 });
  const name = rangeOfPath(f, f.documents[0], ['metadata', 'name']);
  assert.deepEqual(name, { start: { line: 3, character: 8 }, end: { line: 3, character: 12 } });
});

test('syntax errors carry ranges and stay in their own document', () => {
  const f = parseManifests(fixture('syntax-error.yaml'));
  assert.equal(f.documents.length, 3);
  assert.deepEqual(f.documents[0].errors, []);
  assert.deepEqual(f.documents[2].errors, []);
  assert.equal(f.documents[2].id?.name, 'after-error');
  const errs = f.documents[1].errors;
  assert.ok(errs.length >= 2, JSON.stringify(errs));
  const dup = errs.find((e) => e.detail === 'DUPLICATE_KEY');
  assert.ok(dup, 'duplicate key reported');
  assert.equal(dup.range.start.line, 9);
  assert.ok(errs.every((e) => e.code === 'yaml-syntax' && e.range.start.line >= 5 && e.range.start.line <= 12));
  assert.equal(f.errors.length, errs.length);
});

test('aliases: resolved ones work, unresolved ones and alias bombs are errors, not crashes', () => {
  const f = parseManifests(fixture('aliases.yaml'));
  assert.deepEqual((f.documents[0].value as { extra: unknown }).extra, { a: '1' });
  assert.deepEqual(f.documents[0].errors, []);
  assert.ok(f.documents[1].errors.some((e) => e.code === 'alias' || e.code === 'yaml-syntax'), JSON.stringify(f.documents[1].errors));
  const bomb = f.documents[2];
  assert.equal(bomb.value, undefined);
  assert.ok(bomb.errors.some((e) => e.code === 'alias' && /alias/i.test(e.message)), JSON.stringify(bomb.errors));
  // A higher cap lets the same document through.
  const relaxed = parseManifests(fixture('aliases.yaml'), { maxAliasCount: -1 });
  assert.notEqual(relaxed.documents[2].value, undefined);
});

test('binary content is an error, not a crash', () => {
  const f = parseManifests(fixture('binary.yaml'));
  assert.equal(f.binary, true);
  assert.deepEqual(f.documents, []);
  assert.equal(f.errors[0].code, 'binary');
  assert.equal(parseManifests('a: 1\u0000').errors[0].code, 'binary');
  assert.equal(parseManifests(Buffer.from([0x61, 0x3a, 0x20, 0xc3, 0x28])).errors[0].code, 'encoding');
});

test('size limit: larger input is reported as too large and not parsed', async () => {
  const big = 'a: ' + 'x'.repeat(2000) + '\n';
  const f = parseManifests(big, { maxFileBytes: 1000 });
  assert.equal(f.tooLarge, true);
  assert.equal(f.errors[0].code, 'too-large');
  assert.match(f.errors[0].message, /^file is 2\.0 KB; files over 1000 bytes are not checked$/);
  assert.equal(parseManifests(big, { maxFileBytes: 5000 }).tooLarge, undefined);

  // A 50 MB file on disk is refused from its size alone, quickly, with the default 16 MB limit.
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-manifest-'));
  try {
    const file = join(tmp, 'huge.yaml');
    const chunk = Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n---\n'.repeat(20000));
    const fh = await fs.open(file, 'w');
    for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) await fh.write(chunk);
    await fh.close();
    const r = await readManifestFile(file);
    assert.equal(r.tooLarge, true);
    assert.match(r.errors[0].message, /MB; files over 16 MB are not checked/);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('readManifestFile reports unreadable paths as errors', async () => {
  const r = await readManifestFile(join(dir, 'does-not-exist.yaml'));
  assert.equal(r.errors[0].code, 'read-failed');
  const d = await readManifestFile(dir);
  assert.equal(d.errors[0].code, 'read-failed');
});

test('empty input gives no documents and no errors', () => {
  assert.deepEqual(parseManifests('').documents, []);
  assert.deepEqual(parseManifests('\ufeff').errors, []);
});
