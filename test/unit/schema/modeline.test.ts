// Schema modelines (# yaml-language-server: $schema=…, # reconcile: ignore-schema): which document
// gets which schema, known URLs mapped to bundled kinds, the user's own schemas (relative path or URL,
// fetched once from a real HTTP server on 127.0.0.1, then used offline from the cache).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { knownSchemaUrl, ModelineSchemas, modelinesOf, validateWithUserSchema } from '../../../src/core/schema/modeline';

const dir = path.join(__dirname, '..', '..', 'fixtures', 'modeline');
const file = path.join(dir, 'widgets.yaml');
const text = fs.readFileSync(file, 'utf8');

test('modelines are bound to the document they precede; known URLs name a kind and version', () => {
  const m = modelinesOf(text);
  assert.equal(m.ignoreSchema, false);
  assert.deepEqual(m.documents.map((d) => [d.target, d.from, d.to, d.known?.kind ?? null]), [
    ['./widget.schema.json', 0, 6, null],
    ['./widget.schema.json', 7, 15, null],
    ['https://raw.githubusercontent.com/yannh/kubernetes-json-schema/master/v1.33.0-standalone-strict/deployment-apps-v1.json', 16, 24, 'deployment'],
  ]);
  assert.equal(modelinesOf('# reconcile: ignore-schema\napiVersion: v1\nkind: ConfigMap\n').ignoreSchema, true);
  assert.deepEqual(knownSchemaUrl('https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/helm.toolkit.fluxcd.io/helmrelease_v2.json'), { group: 'helm.toolkit.fluxcd.io', version: 'v2', kind: 'helmrelease' });
  assert.deepEqual(knownSchemaUrl('https://raw.githubusercontent.com/fluxcd-community/flux2-schemas/main/kustomization-kustomize-v1.json'), { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kind: 'kustomization' });
  assert.deepEqual(knownSchemaUrl('https://kubernetesjsonschema.dev/v1.18.0-standalone-strict/service-v1.json'), { group: '', version: 'v1', kind: 'service' });
  assert.equal(knownSchemaUrl('https://schemas.example.com/widget.json'), undefined);
});

test("a document is validated against the user's schema, with findings at its lines", () => {
  const m = modelinesOf(text).documents;
  const store = new ModelineSchemas({ readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) });
  const got = store.get(m[1].target, file, false);
  assert.ok('schema' in got, JSON.stringify(got));
  assert.deepEqual(validateWithUserSchema(file, text, m[0], got.schema), []);
  const bad = validateWithUserSchema(file, text, m[1], got.schema);
  const lines = text.split('\n');
  assert.deepEqual(bad.map((f) => [lines[f.range.start.line].trim(), /must be equal to one of the allowed values|must NOT have additional properties \(colour\)/.test(f.message)]).sort(), [
    ['colour: red', true],
    ['size: huge', true],
  ]);
  assert.ok(bad.every((f) => f.code === 'schema/modeline' && f.severity === 'error'));
  const missing = store.get('./nope.json', file, true);
  assert.ok('error' in missing && /cannot be read/.test(missing.error));
});

test('a URL schema is fetched once (trusted only), cached on disk, and used offline after', async () => {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    res.end(fs.readFileSync(path.join(dir, 'widget.schema.json')));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/widget.json`;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-modeline-'));
  try {
    const io = {
      cacheDir,
      readFile: (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
      writeFile: (f: string, t: string) => fs.writeFileSync(f, t),
      fetchText: async (u: string) => (await fetch(u)).text(),
    };
    let fetched!: () => void;
    const done = new Promise<void>((r) => (fetched = r));
    const store = new ModelineSchemas({ ...io, onFetched: () => fetched() });
    const untrusted = store.get(url, file, false);
    assert.ok('error' in untrusted && /not trusted/.test(untrusted.error));
    assert.deepEqual(store.get(url, file, true), { pending: true });
    await done;
    assert.ok('schema' in store.get(url, file, true));
    assert.equal(hits, 1);
    // Another session, offline: the cached copy is used, nothing is fetched.
    const offline = new ModelineSchemas({ ...io, fetchText: async () => { throw new Error('offline'); } });
    assert.ok('schema' in offline.get(url, file, true));
    assert.equal(hits, 1);
  } finally {
    server.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});
