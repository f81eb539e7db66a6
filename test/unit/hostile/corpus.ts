// The hostile-input corpus, generated at test time into a temporary folder (nothing big is
// committed): syntax errors, alias bombs, 10,000-level nesting, binary data, invalid UTF-8,
// BOM/CRLF/tabs, 6 MB and 50 MB files, 100,000 documents, Helm templates, symbolic link loops,
// kustomizations that point outside the repository, and hostile file names. Each input says what
// it is and which finding (code, and where useful a message) it must get.
import { mkdirSync, openSync, closeSync, writeSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Category = 'syntax' | 'alias' | 'deep' | 'binary' | 'encoding' | 'text-forms' | 'size' | 'documents' | 'helm' | 'link-loops' | 'outside' | 'names';

export interface Input {
  category: Category;
  /** Unique name; for file inputs, also the folder that holds the file. */
  name: string;
  /** The file (absolute) for file inputs; the repository folder for repository inputs. */
  path: string;
  /** The finding code `reconcile check` and the language server must give (file inputs). */
  code?: RegExp;
  /** Text the message must hold (e.g. the byte offset of invalid UTF-8). */
  message?: RegExp;
  /** What `reconcile envs` must say about a repository input. */
  envs?: RegExp;
  /** What `reconcile render --env hostile` must say (stderr) about a Helm input. */
  render?: RegExp;
  /** 0-based line of the finding, when it matters (BOM, CRLF). */
  line?: number;
  /** Very large input: run in a process of its own (and not opened twice). */
  big?: boolean;
}

const MB = 1024 * 1024;
const dep = (body: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n${body}`;
const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n${data}`;
const VALID = cm('  a: "1"\n');

/** Syntax errors the YAML parser reports (its codes: BAD_INDENT, MISSING_CHAR, TAB_AS_INDENT…). */
const SYNTAX: Record<string, string> = {
  'unclosed-flow-seq': dep('spec:\n  ports: [80, 443\n  replicas: 1\n'),
  'unclosed-flow-map': dep('spec:\n  selector: {app: web\n'),
  'unterminated-double-quote': dep('spec:\n  image: "nginx\n'),
  'unterminated-single-quote': dep("spec:\n  image: 'nginx\n"),
  'bad-dedent': dep('spec:\n    replicas: 1\n  paused: true\n   minReadySeconds: 3\n'),
  'tab-indent': dep('spec:\n\treplicas: 1\n'),
  'duplicate-key': dep('spec:\n  replicas: 1\n  replicas: 2\n'),
  'seq-on-key-line': dep('spec:\n  containers: - name: web\n'),
  'map-on-one-line': dep('spec: replicas: 1\n'),
  'bad-escape': dep('spec:\n  image: "ngin\\qx"\n'),
  'stray-brace': dep('spec: }\n'),
  'seq-then-map': '- a\nb: c\n',
  'key-without-colon': dep('spec\n  replicas: 1\n'),
  'long-implicit-key': dep(`${'k'.repeat(1100)}: 1\n`),
  'bad-block-indicator': dep('data:\n  script: |0\n    echo\n'),
  'reserved-at': dep('spec:\n  image: @nginx\n'),
  'reserved-backtick': dep('spec:\n  image: `nginx`\n'),
  'nested-unclosed': dep('spec:\n  x: [[[1, 2]\n'),
  'two-strings': dep('spec:\n  image: "a" "b"\n'),
  'flow-missing-comma': dep('spec:\n  args: [a b: c d: e\n'),
  'colon-in-flow-key': dep('spec: {a: b: c}\n'),
  'doc-end-then-text': dep('spec: {}\n...\ntext after end\n: x\n'),
  'two-anchors': dep('spec: &a &b 1\n'),
  'two-tags': dep('spec: !!str !!int 1\n'),
  'unclosed-flow-at-eof': '[',
  'only-colons': ':\n:\n: :\n',
  'dash-in-map': dep('spec:\n  replicas: 1\n  - x\n'),
  'quote-in-key': dep('"spec: 1\n'),
  'directive-after-content': 'a: 1\n%YAML 1.2\n---\nb: 2\n',
  'invalid-indent-seq': dep('spec:\n  containers:\n  - name: a\n   image: b\n'),
  'multiline-implicit-key': dep('spec:\n  "multi\n  line": 1\n'),
};

/** A tiny deterministic generator (the corpus is the same on every run). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function generateCorpus(root: string): Input[] {
  const inputs: Input[] = [];
  const file = (category: Category, name: string, content: string | Buffer, fileName = 'input.yaml', extra: Partial<Input> = {}): Input => {
    const dir = join(root, 'files', category, name);
    mkdirSync(dir, { recursive: true });
    const p = join(dir, fileName);
    writeFileSync(p, content);
    const input: Input = { category, name, path: p, ...extra };
    inputs.push(input);
    return input;
  };

  // ——— syntax errors: each alone, after a valid document, and with CRLF line ends
  for (const [name, text] of Object.entries(SYNTAX)) {
    // A key over 1024 characters is a syntax error for YAML 1.2 parsers but not for kubectl's reader: an unknown field.
    const code = name === 'duplicate-key' || name === 'only-colons' ? /^yaml\/(duplicate-key|syntax)$/ : name === 'long-implicit-key' ? /^schema\/unknown-field$/ : /^yaml\/syntax$/;
    file('syntax', name, text, 'input.yaml', { code });
    file('syntax', `${name}-second-doc`, `${VALID}---\n${text}`, 'input.yaml', { code });
    file('syntax', `${name}-crlf`, text.replace(/\n/g, '\r\n'), 'input.yaml', { code });
    file('syntax', `${name}-bom`, `\ufeff${text}`, 'input.yaml', { code });
  }

  // ——— alias bombs (billion laughs) of several widths and depths, and aliases without anchors
  const laughs = (width: number, depth: number, flow: boolean) => {
    const lines = ['a0: &a0 lol'];
    for (let i = 1; i <= depth; i++) {
      const refs = Array.from({ length: width }, () => `*a${i - 1}`);
      lines.push(flow ? `a${i}: &a${i} [${refs.join(', ')}]` : `a${i}: &a${i}\n${refs.map((r) => `  - ${r}`).join('\n')}`);
    }
    return `${lines.join('\n')}\n`;
  };
  const ALIAS = { code: /^yaml\/alias$/, message: /alias expansion exceeds 100 aliases|[Aa]lias|anchor/ };
  for (const [w, d] of [[2, 10], [3, 8], [5, 6], [9, 9], [10, 10], [20, 4], [100, 2], [2, 30]] as const) {
    file('alias', `laughs-${w}x${d}-block`, laughs(w, d, false), 'input.yaml', ALIAS);
    file('alias', `laughs-${w}x${d}-flow`, laughs(w, d, true), 'input.yaml', ALIAS);
  }
  file('alias', 'laughs-in-configmap', cm(`  x: &x ${'[' + '"lol",'.repeat(9) + '"lol"]'}\n  y: &y [${Array(10).fill('*x').join(',')}]\n  z: &z [${Array(10).fill('*y').join(',')}]\n  w: [${Array(10).fill('*z').join(',')}]\n`), 'input.yaml', ALIAS);
  file('alias', 'laughs-second-doc', `${VALID}---\n${laughs(10, 10, true)}`, 'input.yaml', ALIAS);
  file('alias', 'laughs-merge-keys', `base: &b {a: 1, b: 2}\n${Array.from({ length: 150 }, (_, i) => `k${i}: {<<: *b}`).join('\n')}\n`, 'input.yaml', ALIAS);
  file('alias', 'unknown-alias', cm('  a: *nowhere\n'), 'input.yaml', ALIAS);
  file('alias', 'unknown-alias-flow', 'x: [*nowhere, 1]\n', 'input.yaml', ALIAS);

  // ——— nesting 600 to 10,000 levels deep, in every form the parsers recurse on
  const DEEP = { code: /^yaml\/too-deep$/, message: /nesting deeper than 512 levels/ };
  for (const n of [600, 1000, 5000, 10_000]) {
    file('deep', `flow-seq-${n}`, cm(`  x: ${'['.repeat(n)}${']'.repeat(n)}\n`), 'input.yaml', DEEP);
    file('deep', `flow-map-${n}`, `x: ${'{a: '.repeat(n)}1${'}'.repeat(n)}\n`, 'input.yaml', DEEP);
    file('deep', `compact-seq-${n}`, `x:\n  ${'- '.repeat(n)}x\n`, 'input.yaml', DEEP);
    file('deep', `json-${n}`, `${'{"a":'.repeat(n)}1${'}'.repeat(n)}\n`, 'input.json.yaml', DEEP);
  }
  for (const n of [600, 1000]) {
    file('deep', `block-map-${n}`, `${Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} 1\n`, 'input.yaml', DEEP);
    file('deep', `block-seq-same-indent-${n}`, `${Array.from({ length: n }, (_, i) => `${' '.repeat(2 * i)}- k:`).join('\n')} 1\n`, 'input.yaml', DEEP);
  }
  file('deep', 'deep-second-doc', `${VALID}---\n${'['.repeat(10_000)}${']'.repeat(10_000)}\n`, 'input.yaml', DEEP);
  file('deep', 'deep-unclosed', `x: ${'['.repeat(10_000)}\n`, 'input.yaml', DEEP);
  file('deep', 'deep-mixed', `x: ${'[{a: '.repeat(5000)}1${'}]'.repeat(5000)}\n`, 'input.yaml', DEEP);
  file('deep', 'deep-crlf', `x:\r\n  ${'- '.repeat(10_000)}x\r\n`, 'input.yaml', DEEP);

  // ——— binary data (NUL bytes)
  const BINARY = { code: /^yaml\/binary$/, message: /NUL bytes/ };
  const rnd = prng(12);
  for (let i = 0; i < 8; i++) {
    const b = Buffer.alloc(512 + i * 997);
    for (let k = 0; k < b.length; k++) b[k] = Math.floor(rnd() * 256);
    b[100] = 0;
    file('binary', `random-${i}`, b, 'input.yaml', BINARY);
  }
  const headers: Record<string, number[]> = {
    png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d],
    gzip: [0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03],
    elf: [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0],
    zip: [0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0],
    sqlite: [...Buffer.from('SQLite format 3'), 0],
  };
  for (const [name, h] of Object.entries(headers)) file('binary', name, Buffer.concat([Buffer.from(h), Buffer.from(VALID)]), 'input.yaml', BINARY);
  file('binary', 'utf16le', Buffer.from(VALID, 'utf16le'), 'input.yaml', BINARY);
  file('binary', 'utf16be', Buffer.from(VALID, 'utf16le').swap16(), 'input.yaml', BINARY);
  file('binary', 'nul-at-end', `${VALID}\u0000`, 'input.yaml', BINARY);
  file('binary', 'nul-in-value', cm('  a: "x\u0000y"\n'), 'input.yaml', BINARY);
  file('binary', 'nul-in-second-doc', `${VALID}---\n${cm('  b: \u0000\n')}`, 'input.yaml', BINARY);
  file('binary', 'only-nul', Buffer.alloc(64), 'input.yaml', BINARY);
  file('binary', 'nul-in-comment', `# \u0000\n${VALID}`, 'input.yaml', BINARY);

  // ——— invalid UTF-8: the offset of the first bad byte is part of the expected message
  const bad: Record<string, number[]> = {
    'lone-continuation': [0x80],
    'byte-ff': [0xff],
    'byte-fe': [0xfe],
    'overlong-slash': [0xc0, 0xaf],
    'overlong-3': [0xe0, 0x80, 0xaf],
    surrogate: [0xed, 0xa0, 0x80],
    'above-10ffff': [0xf4, 0x90, 0x80, 0x80],
    'f5-lead': [0xf5, 0x80, 0x80, 0x80],
    'truncated-2': [0xc3],
    'truncated-3': [0xe2, 0x82],
    'latin1-e-acute': [0xe9],
  };
  const ENC = (offset: number): Partial<Input> => ({ code: /^yaml\/encoding$/, message: new RegExp(`invalid UTF-8 at byte offset ${offset}\\b`) });
  for (const [name, bytes] of Object.entries(bad)) {
    const before = Buffer.from(cm('  greeting: caf'));
    file('encoding', `${name}-in-value`, Buffer.concat([before, Buffer.from(bytes), Buffer.from('\n')]), 'input.yaml', ENC(before.length));
    const comment = Buffer.from('# owner: ');
    file('encoding', `${name}-in-comment`, Buffer.concat([comment, Buffer.from(bytes), Buffer.from(`\n${VALID}`)]), 'input.yaml', ENC(comment.length));
  }
  {
    const head = Buffer.from(`${VALID}---\n${cm('  ok: "é ü ✓ 𝄞"\n')}---\n${cm('  k')}`);
    file('encoding', 'after-valid-multibyte', Buffer.concat([head, Buffer.from([0xe9]), Buffer.from(': v\n')]), 'input.yaml', ENC(head.length));
    const bom = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('a: ')]);
    file('encoding', 'after-bom', Buffer.concat([bom, Buffer.from([0xff, 0xfe])]), 'input.yaml', ENC(bom.length));
    const crlf = Buffer.from(VALID.replace(/\n/g, '\r\n') + '  b: ');
    file('encoding', 'crlf', Buffer.concat([crlf, Buffer.from([0xc0, 0x80]), Buffer.from('\r\n')]), 'input.yaml', ENC(crlf.length));
    const key = Buffer.from(cm('  '));
    file('encoding', 'in-key', Buffer.concat([key, Buffer.from([0xe9]), Buffer.from('t\xe9: 1\n', 'latin1')]), 'input.yaml', ENC(key.length));
    const late = Buffer.from(VALID.repeat(2000));
    file('encoding', 'late-in-big-file', Buffer.concat([late, Buffer.from([0xfa])]), 'input.yaml', ENC(late.length));
  }

  // ——— BOM, CRLF, CR, tabs, odd spaces: parsed, with the deliberate error on the right line
  const typeError = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: three\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: "nginx:1.25"}]\n';
  const TYPE = (line: number): Partial<Input> => ({ code: /^schema\/type$/, message: /spec\.replicas: expected integer/, line });
  const BOM = '\ufeff';
  const forms: Array<[string, string, Partial<Input>]> = [
    ['bom', BOM + typeError, TYPE(5)],
    ['crlf', typeError.replace(/\n/g, '\r\n'), TYPE(5)],
    ['bom-crlf', BOM + typeError.replace(/\n/g, '\r\n'), TYPE(5)],
    ['mixed-line-ends', typeError.replace(/\n/g, (_m, i: number) => (i % 2 ? '\r\n' : '\n')), TYPE(5)],
    ['no-final-newline', typeError.trimEnd(), TYPE(5)],
    ['trailing-spaces', typeError.replace(/\n/g, '   \n'), TYPE(5)],
    ['trailing-tabs', typeError.replace(/\n/g, '\t\n'), TYPE(5)],
    ['tab-after-colon', typeError.replace('replicas: three', 'replicas:\tthree'), TYPE(5)],
    ['comments-between', typeError.replace(/\n/g, '\n# note\n'), TYPE(10)],
    ['blank-lines-before', `\n\n\n${typeError}`, TYPE(8)],
    ['bom-blank-lines', `${BOM}\n\n${typeError}`, TYPE(7)],
    ['second-doc-crlf', `${VALID}---\n${typeError}`.replace(/\n/g, '\r\n'), TYPE(12)],
    ['doc-marker-comment', `--- # the web app\n${typeError}`, TYPE(6)],
    ['bom-crlf-second-doc', BOM + `${VALID}---\n${typeError}`.replace(/\n/g, '\r\n'), TYPE(12)],
    ['unicode-values', typeError.replace('name: web\nspec', 'name: web\n  annotations: {note: "héllo wörld ✓ 𝄞 ‮rtl"}\nspec'), TYPE(6)],
    ['nbsp-in-value', typeError.replace('replicas: three', 'replicas: three\u00a0'), TYPE(5)],
    ['zero-width-in-value', typeError.replace('replicas: three', 'replicas: th\u200bree'), TYPE(5)],
    ['line-separator', typeError.replace('name: web\nspec', 'name: web\n  annotations: {a: "x\u2028y"}\nspec'), TYPE(6)],
    ['tab-indent', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: c\n', { code: /^yaml\/syntax$/, message: /[Tt]ab/, line: 3 }],
    ['tab-indent-crlf', 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n\tname: c\r\n', { code: /^yaml\/syntax$/, message: /[Tt]ab/, line: 3 }],
    ['tab-indent-bom', `${BOM}apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: c\n`, { code: /^yaml\/syntax$/, message: /[Tt]ab/, line: 3 }],
    ['tab-indent-seq', 'apiVersion: v1\nkind: List\nitems:\n\t- a\n', { code: /^yaml\/syntax$/, message: /[Tt]ab/, line: 3 }],
    ['cr-only', typeError.replace(/\n/g, '\r'), { code: /^yaml\/syntax$|^schema\// }],
    ['crlf-duplicate-key', 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\ndata:\r\n  a: "1"\r\n  a: "2"\r\n', { code: /^yaml\/duplicate-key$/, line: 5 }],
    ['bom-crlf-unknown-field', `${BOM}apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\ncolour: red\r\n`, { code: /^schema\/unknown-field$/, line: 3 }],
    ['crlf-type-error-in-list', 'apiVersion: v1\r\nkind: Service\r\nmetadata: {name: s}\r\nspec:\r\n  ports:\r\n  - port: eighty\r\n', { code: /^schema\/type$/, line: 5 }],
    ['bom-unknown-field', `${BOM}apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ncolour: red\n`, { code: /^schema\/unknown-field$/, line: 3 }],
    ['crlf-unknown-field', 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\ncolour: red\r\n', { code: /^schema\/unknown-field$/, line: 3 }],
    ['tabs-in-block-scalar', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  s: |\n    a\tb\n  count: 1\n', { code: /^schema\/type$/, line: 6 }],
    ['bom-tab-indent-second-doc', `${BOM}${VALID}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: c\n`, { code: /^yaml\/syntax$/, message: /[Tt]ab/, line: 10 }],
  ];
  for (const [name, text, extra] of forms) file('text-forms', name, text, 'input.yaml', extra);

  // ——— size: 6.5 MB of Deployments (the stack overflow: now checked), 50 MB, and one byte over 16 MB
  const TOO_LARGE = (mb: string): Partial<Input> => ({ code: /^yaml\/too-large$/, message: new RegExp(`file is ${mb} MB; files over 16 MB are not checked$`), big: true });
  const deployment = (i: number) => `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${i}\n  namespace: shop\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n          resources: {requests: {cpu: 100m}}\n`;
  // 1,000 Deployments (≈6,000 policy findings: the push that overflowed the stack) and then ConfigMaps
  // of 100 keys, as a real CRD or operator bundle this big would be: checked, the first Deployment's
  // unknown field found.
  const configMap = (i: number) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-${i}\n  namespace: shop\ndata:\n${Array.from({ length: 100 }, (_, j) => `  key-${j}: "value ${j} of ${i}, padded to look like real configuration"\n`).join('')}`;
  writeBig(file('size', '6.5mb', '', 'input.yaml', { code: /^schema\/unknown-field$/, message: /colour/, big: true }).path, 6.5 * MB, (i) =>
    i === 0 ? deployment(i).replace('kind: Deployment\n', 'kind: Deployment\ncolour: red\n') : i < 1000 ? deployment(i) : configMap(i),
  );
  writeBig(file('size', '50mb', '', 'input.yaml', TOO_LARGE('50')).path, 50 * MB, deployment);
  writeBig(file('size', '16mb-plus-1', '', 'input.yaml', TOO_LARGE('16\\.0')).path, 16 * MB + 1, () => `# ${'x'.repeat(1021)}\n`);

  // ——— documents: 100,000 and 10,001 (refused) and 10,000 (checked)
  const MANY = { code: /^yaml\/too-many-documents$/, message: /more than 10,000 YAML documents/, big: true };
  const doc = (i: number) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\ndata: {count: ${i}}\n`;
  file('documents', '100000-docs', Array.from({ length: 100_000 }, (_, i) => `---\na: ${i}\n`).join(''), 'input.yaml', MANY);
  file('documents', '100000-configmaps', Array.from({ length: 100_000 }, (_, i) => doc(i)).join('').slice(0, 5 * MB - 1), 'input.yaml', MANY);
  file('documents', '10001-docs', Array.from({ length: 10_001 }, (_, i) => doc(i)).join(''), 'input.yaml', MANY);
  file('documents', '10000-docs', Array.from({ length: 10_000 }, (_, i) => doc(i)).join(''), 'input.yaml', { code: /^schema\/type$/, message: /data\.count: expected string/, big: true });

  // ——— Helm templates: charts whose templates fail, loop or print hostile YAML (rendered by helm)
  const charts: Record<string, [string, RegExp]> = {
    'unclosed-action': ['kind: ConfigMap\nname: {{ .Values.name\n', /helm template failed|parse error|unclosed action/],
    'unknown-function': ['x: {{ nosuchfunc 1 }}\n', /function "nosuchfunc" not defined/],
    'fail-call': ['{{ fail "hostile chart says no" }}\n', /hostile chart says no/],
    'required-value': ['x: {{ required "need .Values.secret" .Values.secret }}\n', /need \.Values\.secret/],
    'self-include': ['{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}\n', /executing "loop" at <include "loop" \.>/],
    'bad-end': ['{{ end }}\n', /unexpected \{\{end\}\}|parse error/],
    'invalid-yaml-output': ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [\n', /YAML|yaml|parse/],
    'deep-output': [`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: {{ repeat 10000 "[" }}{{ repeat 10000 "]" }}\n`, /nesting deeper than 512 levels|YAML|yaml/],
    'alias-bomb-output': [`apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n${laughs(10, 10, true).replace(/^/gm, '  ')}`, /alias|YAML|yaml/],
    'many-docs-output': ['{{ range until 20000 }}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c{{ . }}}\n{{ end }}', /more than 10,000 YAML documents|YAML|yaml/],
    'nil-pointer': ['x: {{ .Values.a.b.c.d }}\n', /nil pointer|can't evaluate|executing/],
    'bad-tojson': ['x: {{ toJson }}\n', /wrong number of args|executing|parse error/],
    'tpl-injection': ['x: {{ tpl "{{ fail \\"via tpl\\" }}" . }}\n', /via tpl/],
    'include-missing': ['x: {{ include "nope" . }}\n', /no template "nope"/],
    'non-yaml-text': ['this is not yaml: : : [\n', /YAML|yaml|parse/],
    'range-non-list': ['{{ range .Values.name }}{{ end }}\n', /range can't iterate over hostile-env/],
    'template-nul': ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: n}\ndata:\n  a: "{{ printf "%c" 0 }}"\n', /NUL|binary|YAML|yaml/],
    'divide-by-zero': ['x: {{ div 1 0 }}\n', /divide by zero/],
    'values-type-clash': ['x: {{ .Values.name.sub }}\n', /can't evaluate field sub/],
    'index-out-of-range': ['x: {{ index (list 1 2) 5 }}\n', /out of range/],
  };
  for (const [name, [template, render]] of Object.entries(charts)) {
    const dir = join(root, 'helm', name);
    mkdirSync(join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
    writeFileSync(join(dir, 'values.yaml'), 'name: hostile\nnotalist: {}\n');
    writeFileSync(join(dir, 'values-hostile.yaml'), 'name: hostile-env\n');
    writeFileSync(join(dir, 'templates', 'hostile.yaml'), template);
    inputs.push({ category: 'helm', name, path: dir, render });
  }

  // ——— repositories: symbolic link loops, references outside the repository, hostile names
  const repo = (category: Category, name: string, extra: Partial<Input>): string => {
    const dir = join(root, 'repos', category, name);
    mkdirSync(join(dir, 'manifests'), { recursive: true });
    writeFileSync(join(dir, 'manifests', 'web.yaml'), typeError);
    inputs.push({ category, name, path: dir, ...extra });
    return dir;
  };
  const LOOP = { envs: /symbolic link that loops|links back to/, code: /^repo\/link-loop$/ };
  {
    let d = repo('link-loops', 'dir-to-root', LOOP);
    symlinkSync('..', join(d, 'manifests', 'up'));
    d = repo('link-loops', 'dir-to-self', LOOP);
    symlinkSync('.', join(d, 'manifests', 'self'));
    d = repo('link-loops', 'file-self-loop', LOOP);
    symlinkSync('loop.yaml', join(d, 'manifests', 'loop.yaml'));
    d = repo('link-loops', 'file-pair-loop', LOOP);
    symlinkSync('b.yaml', join(d, 'manifests', 'a.yaml'));
    symlinkSync('a.yaml', join(d, 'manifests', 'b.yaml'));
    d = repo('link-loops', 'deep-dir-to-root', LOOP);
    mkdirSync(join(d, 'manifests', 'x', 'y', 'z'), { recursive: true });
    symlinkSync('../../../..', join(d, 'manifests', 'x', 'y', 'z', 'root'));
    d = repo('link-loops', 'dir-to-grandparent', LOOP);
    mkdirSync(join(d, 'a', 'b', 'c'), { recursive: true });
    symlinkSync('../..', join(d, 'a', 'b', 'c', 'up'));
    d = repo('link-loops', 'dir-link-chain-loop', LOOP);
    symlinkSync('l2', join(d, 'l1'));
    symlinkSync('l3', join(d, 'l2'));
    symlinkSync('l1', join(d, 'l3'));
    d = repo('link-loops', 'kustomize-through-loop', LOOP);
    mkdirSync(join(d, 'app', 'overlays', 'dev'), { recursive: true });
    writeFileSync(join(d, 'app', 'overlays', 'dev', 'kustomization.yaml'), 'resources:\n  - ../../../manifests/web.yaml\n');
    symlinkSync('..', join(d, 'app', 'overlays', 'dev', 'back'));
  }
  // kustomizations that point outside the repository: a real folder beside it, absolute paths, a link
  const outside = join(root, 'outside-target');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'kustomization.yaml'), 'resources:\n  - secret.yaml\n');
  writeFileSync(join(outside, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\nstringData: {password: hunter2hunter2}\n');
  const OUT = { envs: /points outside the repository/ };
  const kust = (name: string, entries: string, setup?: (dir: string) => void) => {
    const d = repo('outside', name, OUT);
    mkdirSync(join(d, 'app', 'overlays', 'dev'), { recursive: true });
    mkdirSync(join(d, 'app', 'base'), { recursive: true });
    writeFileSync(join(d, 'app', 'base', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
    writeFileSync(join(d, 'app', 'base', 'cm.yaml'), VALID);
    writeFileSync(join(d, 'app', 'overlays', 'dev', 'kustomization.yaml'), entries);
    setup?.(d);
  };
  const up = '../../../../../../outside-target'; // from repos/outside/<name>/app/overlays/dev
  kust('resources-dir-up', `resources:\n  - ../../base\n  - ${up}\n`);
  kust('resources-file-up', `resources:\n  - ../../base\n  - ${up}/secret.yaml\n`);
  kust('resources-absolute', `resources:\n  - ../../base\n  - ${outside}\n`);
  kust('resources-etc-passwd', 'resources:\n  - ../../base\n  - /etc/passwd\n');
  kust('bases-up', `bases:\n  - ${up}\nresources:\n  - ../../base\n`);
  kust('components-up', `resources:\n  - ../../base\ncomponents:\n  - ${up}\n`);
  kust('patch-file-up', `resources:\n  - ../../base\npatches:\n  - path: ${up}/secret.yaml\n`);
  kust('strategic-merge-up', `resources:\n  - ../../base\npatchesStrategicMerge:\n  - ${up}/secret.yaml\n`);
  kust('json6902-up', `resources:\n  - ../../base\npatchesJson6902:\n  - target: {version: v1, kind: ConfigMap, name: c}\n    path: /etc/hostname\n`);
  kust('generator-file-up', `resources:\n  - ../../base\nconfigMapGenerator:\n  - name: g\n    files:\n      - /etc/hostname\n`);
  kust('generator-env-up', `resources:\n  - ../../base\nconfigMapGenerator:\n  - name: g\n    envs:\n      - ${up}/secret.yaml\n`);
  kust('link-inside-to-outside', 'resources:\n  - ../../base\n  - ../../../escape\n', (d) => symlinkSync(outside, join(d, 'escape')));
  kust('link-file-to-outside', 'resources:\n  - ../../base\n  - ../../../escape.yaml\n', (d) => symlinkSync(join(outside, 'secret.yaml'), join(d, 'escape.yaml')));
  kust('dot-dot-inside-name', `resources:\n  - ../../base/../../../../../outside-target\n`);
  kust('crds-up', `resources:\n  - ../../base\ncrds:\n  - ${up}/secret.yaml\n`);

  // hostile file and folder names: the deliberate schema error is reported under the exact name
  const names = [
    '-rf.yaml', '--help.yaml', '--output=pwned.yaml', '$(touch PWNED).yaml', '`touch PWNED`.yaml', "it's.yaml", 'quote".yaml', 'semi;colon.yaml',
    'new\nline.yaml', 'tab\there.yaml', 'space name.yaml', ' leading-space.yaml', 'UPPER.YAML', 'back\\slash.yaml', 'rtl-\u202eevil.yaml', 'zero\u200bwidth.yaml',
    'emoji-🚀.yaml', 'ünïcödé.yaml', 'pipe|x.yaml', 'amp&x.yaml', 'star*.yaml', 'question?.yaml', 'brackets[0].yaml', 'percent%s%n.yaml',
    '${HOME}.yaml', 'CON.yaml', `${'a'.repeat(240)}.yaml`, 'dots..yaml', '-.yaml', '#hash.yaml',
  ];
  for (const [i, n] of names.entries()) {
    const d = join(root, 'files', 'names', `n${String(i).padStart(2, '0')}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, n), typeError);
    inputs.push({ category: 'names', name: JSON.stringify(n), path: join(d, n), code: /^schema\/type$/, message: /spec\.replicas: expected integer/, line: 5 });
  }
  return inputs;
}

/** Writes `bytes` bytes of repeated chunks (streamed: a 50 MB file is never held as one string). */
function writeBig(file: string, bytes: number, chunk: (i: number) => string): void {
  const fd = openSync(file, 'w');
  try {
    let written = 0;
    let buf: Buffer[] = [];
    let pending = 0;
    for (let i = 0; written + pending < bytes; i++) {
      let b = Buffer.from(chunk(i));
      if (written + pending + b.length > bytes) b = b.subarray(0, bytes - written - pending);
      buf.push(b);
      pending += b.length;
      if (pending > MB) {
        writeSync(fd, Buffer.concat(buf));
        written += pending;
        buf = [];
        pending = 0;
      }
    }
    if (pending) writeSync(fd, Buffer.concat(buf));
  } finally {
    closeSync(fd);
  }
}
