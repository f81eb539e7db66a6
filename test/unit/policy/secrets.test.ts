// Secrets committed to Git: every kind has a fixture under test/fixtures/policy/secrets/ with
// `# expect:` markers; values.txt lists every fake secret value of the fixtures, and no finding
// (message, fix, anything in its JSON) and no console output may contain any of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../../src/core/findings';
import { checkEnvironment, checkFile, checkFiles, looksRandom, scanText } from '../../../src/core/policy';
import { envObjects, fixture, markers, positions, read } from './helpers';

const dir = fixture('secrets');
const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
const values = read(join(dir, 'values.txt')).split('\n').filter(Boolean);

/** Runs `fn` with console output captured. */
function captureConsole<T>(fn: () => T): { result: T; output: string } {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const saved = methods.map((m) => console[m]);
  let output = '';
  for (const m of methods) console[m] = (...args: unknown[]) => void (output += args.map(String).join(' ') + '\n');
  try {
    return { result: fn(), output };
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]));
  }
}

function assertNoValues(findings: readonly Finding[], output: string): void {
  const json = JSON.stringify(findings);
  for (const v of values) {
    assert.ok(!json.includes(v), `a finding contains the secret value ${v.slice(0, 3)}…`);
    assert.ok(!output.includes(v), 'console output contains a secret value');
  }
}

test('values.txt lists values that are really in the fixtures (the no-value check is not vacuous)', () => {
  const all = files.map((f) => read(join(dir, f))).join('\n');
  assert.ok(values.length >= 20);
  for (const v of values) assert.ok(all.includes(v), `${v.slice(0, 4)}… is not in any fixture`);
});

for (const f of files.filter((x) => !x.endsWith('.json'))) {
  test(`secrets: ${f} gives exactly the marked findings, without their values`, () => {
    const file = join(dir, f);
    const text = read(file);
    const { result, output } = captureConsole(() => checkFile(file, text));
    assert.deepEqual(positions(result), markers(text), JSON.stringify(result.map((x) => `${x.range.start.line + 1} ${x.code} ${x.message}`), null, 1));
    assert.equal(output, '', 'checks log nothing');
    assertNoValues(result, output);
    for (const x of result) {
      assert.equal(x.source, 'secret');
      // certain findings are errors; the entropy heuristic is a warning
      assert.equal(x.severity, x.code === 'secret/high-entropy' ? 'warning' : 'error');
    }
  });
}

test('secrets: a GCP service account key file is one cloud credential at its private_key line', () => {
  const file = join(dir, 'gcp-service-account.json');
  const text = read(file);
  const findings = checkFile(file, text);
  const line = text.split('\n').findIndex((l) => l.includes('"private_key"'));
  assert.deepEqual(positions(findings), [{ line, code: 'secret/cloud-credential' }]);
  assert.match(findings[0].message, /GCP service account/);
  assertNoValues(findings, '');
});

test('secrets: findings carry the exact range of the value (the line and the columns)', () => {
  const file = join(dir, 'aws-values.yaml');
  const text = read(file);
  const [id, key] = checkFile(file, text);
  const lines = text.split('\n');
  const idValue = values.find((v) => v.startsWith('AKIA'))!;
  assert.equal(lines[id.range.start.line].slice(id.range.start.character, id.range.end.character), idValue);
  assert.equal(key.range.end.character - key.range.start.character, 40);
});

test('secrets: a plaintext Secret is reported once (its private key and password are not reported again); SOPS and SealedSecrets are not', () => {
  const file = join(dir, 'plaintext-and-encrypted.yaml');
  const findings = checkFile(file, read(file));
  assert.deepEqual(findings.map((f) => f.code), ['secret/plaintext']);
  assert.match(findings[0].message, /Secret tls is committed with 2 plaintext values \(password, tls\.key\)/);
});

test('secrets: checkFiles (the CI path) finds the same as checkFile for every fixture', () => {
  const inputs = files.map((f) => ({ file: join(dir, f), text: read(join(dir, f)) }));
  const { result, output } = captureConsole(() => checkFiles(inputs));
  const one = inputs.flatMap((i) => checkFile(i.file, i.text));
  assert.deepEqual(result.map((f) => `${f.file}:${f.range.start.line}:${f.code}`).sort(), one.map((f) => `${f.file}:${f.range.start.line}:${f.code}`).sort());
  assertNoValues(result, output);
});

test('secrets: in a rendered environment a plaintext Secret is reported (with the fix), never its values', () => {
  const file = join(dir, 'plaintext-and-encrypted.yaml');
  const { result, output } = captureConsole(() => checkEnvironment({ name: 'dev' }, envObjects(file), {}));
  assert.deepEqual(result.map((f) => f.code), ['secret/plaintext']);
  assert.ok(result[0].message.startsWith('[dev] '));
  assert.ok(result[0].fixes?.some((x) => x.title === 'Replace with ExternalSecret'));
  assertNoValues(result, output);
});

test('secrets: high-entropy detection needs length, randomness and a suspicious key', () => {
  assert.equal(looksRandom('changeme'), false);
  assert.equal(looksRandom('correct horse battery staple'), false);
  assert.equal(looksRandom('${DATABASE_PASSWORD}'), false);
  assert.equal(looksRandom('{{ .Values.password }}'), false);
  assert.equal(looksRandom('aaaaaaaaaaaaaaaaaaaaaaaa'), false);
  assert.equal(looksRandom('q8Zr2LxW9vNf4TkP7mYs3HdB'), true);
  assert.equal(looksRandom('0b8a1d2e3f4a5b6c7d8e9f0a1b2c'), true);
  assert.deepEqual(scanText('name: q8Zr2LxW9vNf4TkP7mYs3HdB\n'), []);
  assert.deepEqual(scanText('password: q8Zr2LxW9vNf4TkP7mYs3HdB\n').map((s) => s.code), ['secret/high-entropy']);
  assert.deepEqual(scanText('# password: q8Zr2LxW9vNf4TkP7mYs3HdB\n'), []);
  assert.deepEqual(scanText('passwordFile: /etc/app/q8Zr2LxW9vNf4TkP7mYs3HdB\n'), []);
});

test('secrets: .reconcile.yaml can disable a secret rule, and the suppression annotation works on content findings', () => {
  const file = join(dir, 'tokens.yaml');
  const text = read(file);
  assert.deepEqual(checkFile(file, text, { config: { rules: { 'secret/cloud-credential': { disable: true } }, policyPaths: [] } }), []);
  const suppressed = text.replace('  namespace: team\n', '  namespace: team\n  annotations:\n    reconcile.dev/ignore: "secret/cloud-credential: fixture tokens are revoked test values"\n');
  assert.deepEqual(checkFile(file, suppressed), []);
});
