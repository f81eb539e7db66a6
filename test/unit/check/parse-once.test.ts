// Parse once: the schema checks and the policy engine given one ParsedText of a file report exactly
// what each reports when it parses the file itself (every finding, range, message and fix), the
// documents' values are really shared, and the cases where js-yaml's core schema and kubectl's
// YAML 1.1 reading differ, or the texts the two engines load differ, fall back to a parse of their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchemaChecks } from '../../../src/core/check/file-checks';
import { loadPolicyContext } from '../../../src/core/check/policy-context';
import type { Finding } from '../../../src/core/findings';
import { ParsedText } from '../../../src/core/manifest/parsed-text';
import { checkFile, type PolicyOptions } from '../../../src/core/policy';
import { SchemaValidator } from '../../../src/core/schema';

const repoRoot = join(__dirname, '..', '..', '..');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

/** Texts where the two readings or the two engines' documents differ, and other corners. */
const EDGE: Record<string, string> = {
  'yaml11.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\ndata:\n  A: on\n  B: yes\n  "C": "no"\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: yes\n  containers:\n  - name: c\n    image: nginx\n    securityContext:\n      privileged: on\n',
  'yaml11-key.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: k, namespace: x}\ndata:\n  on: "1"\n  ? [a, n]\n  : "2"\n',
  'quoted-words.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: q\n  namespace: x\ndata: {A: "yes", B: "true", C: true, D: "off"}\n',
  'nulls-keep.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n  labels: null\ndata:\n  A: |+\n    keep\n\n\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations:\nspec:\n  replicas: 1\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:latest\n        resources: null\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  x: >+\n    folded\n\n',
  'crlf.yaml': 'apiVersion: v1\r\nkind: Secret\r\nmetadata:\r\n  name: s\r\ndata:\r\n  password: aGVsbG8=\r\n---\r\napiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: svc\r\nspec:\r\n  selector: {app: nope}\r\n  ports: [{port: 80, bogus: 1}]\r\n',
  'bom.yaml': '\ufeff# leading comment\n\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bom\n  unknownField: 1\n',
  'anchors.yaml': '# only comments first\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: anch\ndata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: *m\n',
  'mixed.yaml': '# header\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  replicas: "2"\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: busybox\n        env:\n        - name: API_TOKEN\n          value: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n---\n- a\n- b\n---\njust a scalar\n---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old}\n---\nkind: Deployment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\ndata: {a: 1, a: 2}\n',
  'formfeed.yaml': 'a: 1\n---\f\nb: 2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: ff}\ndata: {on: 1}\n',
  'cr-marker.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cr}\ndata: {a: 1}\r---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cr2}\n',
  'single.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nomarker\ndata:\n  k: 1\n',
  'no-final-newline.yaml': '---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: "x"}]}',
  'directive.yaml': '%YAML 1.2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: dir}\ndata: {a: 1}\n...\n',
  'deep.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\ndata: {a: 1}\n---\nx: ${'['.repeat(600)}${']'.repeat(600)}\n`,
  'helm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  password: "{{ .Values.password }}"\n',
};

function both(checks: SchemaChecks, file: string, text: string, options: PolicyOptions, parsed?: ParsedText, policyFirst = false): Finding[] {
  if (policyFirst) {
    const p = checkFile(file, text, options, parsed);
    return [...checks.check(file, text, parsed), ...p];
  }
  return [...checks.check(file, text, parsed), ...checkFile(file, text, options, parsed)];
}

test('parse once: every fixture and example gives the same findings as each engine parsing on its own', () => {
  const policy = loadPolicyContext(join(repoRoot, 'examples'));
  const files = [...yamlFiles(join(repoRoot, 'examples')), ...yamlFiles(join(repoRoot, 'test', 'fixtures'))];
  assert.ok(files.length > 100, `found ${files.length} files`);
  const alone = new SchemaChecks({});
  const once = new SchemaChecks({});
  const onceStable = new SchemaChecks({}, { filesDoNotChange: true });
  const reversed = new SchemaChecks({});
  let findings = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const expected = both(alone, file, text, policy.options);
    findings += expected.length;
    assert.deepEqual(both(once, file, text, policy.options, new ParsedText(text)), expected, file);
    assert.deepEqual(both(onceStable, file, text, policy.options, new ParsedText(text)), expected, `${file} (files do not change)`);
    assert.deepEqual(both(reversed, file, text, policy.options, new ParsedText(text), true), expected, `${file} (policy first)`);
  }
  assert.ok(findings > 300, `the corpus has findings to compare (${findings})`);
});

test('parse once: corner cases (YAML 1.1 words, nulls, keep chomping, CRLF, BOM, anchors, odd markers) match too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-parse-once-'));
  try {
    const policy = loadPolicyContext(join(repoRoot, 'examples'));
    for (const [name, text] of Object.entries(EDGE)) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const expected = both(new SchemaChecks({}), file, text, policy.options);
      assert.deepEqual(both(new SchemaChecks({}), file, text, policy.options, new ParsedText(text)), expected, name);
      assert.deepEqual(both(new SchemaChecks({}), file, text, policy.options, new ParsedText(text), true), expected, `${name} (policy first)`);
    }
    // the YAML 1.1 reading still applies with a shared parse: `on` is a boolean for the schema
    const f = both(new SchemaChecks({}), join(dir, 'yaml11.yaml'), EDGE['yaml11.yaml'], policy.options, new ParsedText(EDGE['yaml11.yaml']));
    assert.deepEqual(f.filter((x) => x.code === 'schema/type').map((x) => x.message), ['data.A: expected string, got boolean true', 'data.B: expected string, got boolean true']);
    // a parse of another text is never used
    const other = new ParsedText('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: {a: 1}\n');
    const text = EDGE['single.yaml'];
    assert.deepEqual(new SchemaChecks({}).check(join(dir, 'single.yaml'), text, other), new SchemaChecks({}).check(join(dir, 'single.yaml'), text));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const deployment = (i: number) =>
  `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${i}\n  namespace: shop\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web-${i}}}\n  template:\n    metadata: {labels: {app: web-${i}}}\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:1.${i}.0\n        resources: {requests: {cpu: 100m}, limits: {memory: 128Mi}}\n        env:\n        - {name: MODE, value: null}\n`;

test('parse once: the schema engine takes the values the file parse made, and never changes them', () => {
  const text = Array.from({ length: 20 }, (_, i) => deployment(i)).join('');
  const parsed = new ParsedText(text);
  const v = new SchemaValidator();
  const f = v.validateFile('/repo/web.yaml', text, { parsed });
  assert.ok(parsed.quickDone, 'the file was parsed once, for both engines');
  assert.deepEqual([v.lastStats.documents, v.lastStats.validated, v.lastStats.shared], [20, 20, 20]);
  assert.deepEqual(f, new SchemaValidator().validateFile('/repo/web.yaml', text));
  // validation strips nulls (the API server drops them), on its own copy: the policy engine still sees them
  const env = ((parsed.quick()![3].value as any).spec.template.spec.containers[0].env as Array<Record<string, unknown>>)[0];
  assert.deepEqual(env, { name: 'MODE', value: null });
  // YAML 1.1 words: the file parse reads them as kubectl does (A: on is true), so the schema engine takes it too
  const words = `${deployment(0)}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {A: on}\n`;
  const wordsParsed = new ParsedText(words);
  const wf = v.validateFile('/repo/words.yaml', words, { parsed: wordsParsed });
  assert.deepEqual([v.lastStats.validated, v.lastStats.shared], [2, 2]);
  assert.deepEqual((wordsParsed.quick()![1].value as any).data, { A: true });
  assert.deepEqual(wf, new SchemaValidator().validateFile('/repo/words.yaml', words));
  assert.deepEqual(wf.map((x) => x.message), ['data.A: expected string, got boolean true']);
  // blank lines before a `|+` block are read by the schema engine itself
  const keep = `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  A: |+\n    x\n\n${deployment(1)}`;
  v.validateFile('/repo/keep.yaml', keep, { parsed: new ParsedText(keep) });
  assert.deepEqual([v.lastStats.validated, v.lastStats.shared], [2, 1]);
});

test('parse once: an edit in a big open file parses only the edited document for the schema engine', () => {
  const docs = Array.from({ length: 200 }, (_, i) => deployment(i));
  const v = new SchemaValidator();
  const text = docs.join('');
  v.validateFile('/repo/big.yaml', text, { parsed: new ParsedText(text) });
  docs[120] = docs[120].replace('replicas: 2', 'replicas: "3"');
  const edited = docs.join('');
  const parsed = new ParsedText(edited);
  const f = v.validateFile('/repo/big.yaml', edited, { parsed });
  assert.deepEqual([v.lastStats.validated, v.lastStats.reused], [1, 199]);
  assert.equal(parsed.quickDone, false, 'the schema engine did not parse the whole file for one document');
  assert.deepEqual(f.map((x) => x.message), ['spec.replicas: expected integer, got string "3"']);
  // the policy engine parses it (its rules need every document), and a second schema pass reuses that parse
  checkFile('/repo/big.yaml', edited, {}, parsed);
  assert.ok(parsed.quickDone);
});
