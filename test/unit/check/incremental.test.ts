// An editor's checks of a big open file reuse the previous version's work: quickParse takes the
// documents whose text did not change from the previous parse (ParsedText chained to the previous
// version's), and the policy engine reuses each object's rule results (PolicyFileCache) while
// nothing they read changed. Held to the definition: after every edit of long random edit
// sequences — on files whose documents depend on each other (Services and the workloads they
// select, HPAs, Namespaces whose labels pick admission bindings and severities, CRDs, params,
// duplicates, suppressions, secrets) — the findings are exactly those of a check from scratch, and
// quickParse's documents are those of a parse from scratch (and of the line-splitting parser it
// replaced).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_SCHEMA, load, type Schema } from 'js-yaml';
import { isAlias, parseAllDocuments, visit } from 'yaml';
import { ParsedText } from '../../../src/core/manifest/parsed-text';
import { quickParse, type LoadedDocument, type QuickDocument } from '../../../src/core/manifest/quick';
import { resourceIdOf } from '../../../src/core/manifest/identity';
import { checkFile, loadPolicies, PolicyFileCache, type PolicyOptions } from '../../../src/core/policy';
import { KUBECTL_SCHEMA } from '../../../src/core/schema/yaml11';

const repoRoot = join(__dirname, '..', '..', '..');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

/**
 * The line-splitting quickParse that the offset-walking one replaced (the definition of its
 * documents). It refused every text that looks like it has an anchor or alias (`anchorHeuristic`).
 */
function referenceQuickParse(text: string, schema: Schema, anchorHeuristic = true): QuickDocument[] | undefined {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if ((anchorHeuristic && /(?:^|[\s[{,])[&*][^\s,\]}]/.test(text)) || /^%/m.test(text) || text.includes('\u0000')) return undefined;
  const shapeOf = (v: unknown) => (v === null || v === undefined ? 'empty' : Array.isArray(v) ? 'list' : typeof v === 'object' ? (resourceIdOf(v) ? 'resource' : 'mapping') : 'scalar') as QuickDocument['shape'];
  const lines = text.split('\n');
  if (!text.startsWith('---') && !text.includes('\n---') && !text.includes('\n...')) {
    let value: unknown;
    try {
      value = load(text, { schema });
    } catch {
      return undefined;
    }
    if ((value === null || value === undefined) && !/\S/.test(text.replace(/#.*$/gm, ''))) return [];
    let first = 0;
    while (first < lines.length - 1 && /^\s*(#.*)?\r?$/.test(lines[first])) first++;
    const d: QuickDocument = { index: 0, value: value ?? null, range: { start: { line: first, character: 0 }, end: { line: lines.length - 1, character: lines[lines.length - 1].length } }, shape: shapeOf(value) };
    if (d.shape === 'resource') d.id = resourceIdOf(value);
    return [d];
  }
  const docs: QuickDocument[] = [];
  let start = 0;
  let hasMarker = false;
  const flush = (endLine: number) => {
    const chunk = lines.slice(start, endLine).join('\n');
    let value: unknown;
    try {
      value = load(chunk, { schema });
    } catch {
      return false;
    }
    let first = start;
    if (!hasMarker) {
      while (first < endLine && /^\s*(#.*)?\r?$/.test(lines[first])) first++;
      if (first === endLine) first = start;
    }
    const shape = shapeOf(value);
    if (shape === 'empty' && !hasMarker && !/\S/.test(chunk.replace(/#.*$/gm, ''))) return true;
    const d: QuickDocument = { index: docs.length, value: value ?? null, range: { start: { line: first, character: 0 }, end: { line: endLine, character: 0 } }, shape };
    if (shape === 'resource') d.id = resourceIdOf(value);
    docs.push(d);
    return true;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('---') && (l.length === 3 || /\s/.test(l[3]))) {
      if ((i > start || hasMarker) && !flush(i)) return undefined;
      start = i;
      hasMarker = true;
      if (/^---\s*\S/.test(l) && !/^---\s*#/.test(l)) return undefined;
    } else if (l.startsWith('...') && /^\.\.\.\s*$/.test(l)) return undefined;
  }
  const last = lines.length - 1;
  if (lines.slice(start).some((l) => /\S/.test(l)) || hasMarker) {
    if (!flush(lines.length)) return undefined;
    const d = docs[docs.length - 1];
    if (d && d.range.end.line === lines.length) d.range.end = { line: last, character: lines[last].length };
  }
  return docs;
}

/** Deterministic pseudo-random numbers (no time, no Math.random: a failure replays). */
function random(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

const LINE_POOL = [
  '---', '--- # c', '---\t', '---x', '--- |', '--- {a: 1}', '...', '... ', '....', '# comment', '', '  ', '\r', 'a: 1', 'a: 1\r', 'b: [1, 2]',
  'c: on', 'd: "yes"', 'e: n', 'f:', '  - x', 'kind: ConfigMap', 'apiVersion: v1', 'metadata: {name: x}', 'g: |+', '  keep', 'h: {', '\ufeffi: 1',
  '- item', 'j: &a 1', 'j2: *a', 'j3: [*a]', 's: "0 3 * * *"', "s2: '* *'", '# *note* &x', 'k: 010', 'l: 2024-01-02', '%YAML 1.2', 'm: "unterminated', 'n: ---', ' ---', 'o: ~',
];

test('quickParse: the offset-walking parser gives the documents of the line-splitting one, with either schema', () => {
  const texts = [...yamlFiles(join(repoRoot, 'examples')), ...yamlFiles(join(repoRoot, 'test', 'fixtures'))].map((f) => readFileSync(f, 'utf8'));
  const rnd = random(7);
  for (let i = 0; i < 1500; i++) {
    const n = 1 + rnd(14);
    const lines = Array.from({ length: n }, () => LINE_POOL[rnd(LINE_POOL.length)]);
    texts.push(lines.join(rnd(5) === 0 ? '\r\n' : '\n') + (rnd(2) ? '\n' : ''));
  }
  let accepted = 0;
  let lookalikes = 0;
  for (const text of texts) {
    for (const [kubectl, schema] of [[false, CORE_SCHEMA], [true, KUBECTL_SCHEMA]] as const) {
      const got = quickParse(text, { kubectl });
      const expected = referenceQuickParse(text, schema);
      if (expected) {
        assert.deepEqual(got, expected, JSON.stringify(text));
        accepted++;
        continue;
      }
      // refused by the old heuristic: now read when the `yaml` parser finds no anchor or alias in it
      const anchored = parseAllDocuments(text).some((doc) => {
        let found = false;
        visit(doc, { Node: (_k, node) => void (found ||= isAlias(node) || !!(node as { anchor?: string }).anchor) });
        return found;
      });
      const without = referenceQuickParse(text, schema, false);
      if (anchored || !without) assert.equal(got, undefined, JSON.stringify(text));
      else {
        assert.deepEqual(got, without, JSON.stringify(text));
        lookalikes++;
      }
    }
  }
  assert.ok(accepted > 800 && lookalikes > 50, `enough texts parse (${accepted}, ${lookalikes} with text that only looks like an anchor)`);
});

test('quickParse: unchanged documents come from the earlier parse (the same values), edited ones are parsed', () => {
  const docs = Array.from({ length: 30 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\ndata: {flag: on, n: "${i}"}\n`);
  const text = docs.join('---\n');
  const record: Array<[string, LoadedDocument]> = [];
  const first = quickParse(text, { kubectl: true, record })!;
  assert.equal(record.length, 30);
  docs[12] = docs[12].replace('"12"', '"twelve"');
  docs.splice(3, 0, '# a new comment line\nkind: Note\n');
  const edited = docs.join('---\n');
  const again = quickParse(edited, { kubectl: true, reuse: new Map(record) })!;
  assert.deepEqual(again, quickParse(edited, { kubectl: true }));
  const byName = (ds: QuickDocument[]) => new Map(ds.map((d) => [d.id?.name, d.value]));
  const before = byName(first);
  const after = byName(again);
  for (let i = 0; i < 30; i++) {
    if (i === 12) assert.notEqual(after.get(`c${i}`), before.get(`c${i}`));
    else assert.equal(after.get(`c${i}`), before.get(`c${i}`), `c${i} is the same object`);
  }
  assert.equal((again[0].value as any).data.flag, true, 'kubectl reads on as true');
});

test('ParsedText: a version chained to the previous one reuses its documents, even across versions never parsed', () => {
  const docs = Array.from({ length: 10 }, (_, i) => `kind: ConfigMap\napiVersion: v1\nmetadata: {name: c${i}}\n`);
  const v1 = new ParsedText(docs.join('---\n'));
  const a = v1.quick()!;
  const v2 = new ParsedText(docs.join('---\n') + '---\nkind: X\n', v1); // never parsed (e.g. a deferred check)
  docs[4] = docs[4].replace('c4', 'c4-renamed');
  const v3 = new ParsedText(docs.join('---\n'), v2);
  const c = v3.quick()!;
  assert.deepEqual(c, new ParsedText(docs.join('---\n')).quick());
  for (let i = 0; i < 10; i++) {
    if (i === 4) assert.notEqual(c[i].value, a[i].value);
    else assert.equal(c[i].value, a[i].value, `c${i}`);
  }
  // a version the fast parser refuses keeps the documents for the next one
  const broken = new ParsedText(docs.join('---\n').replace('c7}', 'c7'), v3);
  assert.equal(broken.quick(), undefined);
  const fixed = new ParsedText(docs.join('---\n'), broken).quick()!;
  for (let i = 0; i < 10; i++) assert.equal(fixed[i].value, c[i].value, `c${i} after the broken version`);
});

// ——— the policy engine ———

const vapDir = join(repoRoot, 'test', 'fixtures', 'policy', 'vap');
const policies = loadPolicies(['min-replicas.yaml', 'params.yaml', 'registries.yaml'].map((f) => ({ file: join(vapDir, 'policies', f) })));
const baseText = readFileSync(join(vapDir, 'objects.yaml'), 'utf8');
const baseDocs = baseText.split(/^---\n/m);

/** Documents that depend on others (or that others depend on). */
const EXTRA = [
  (i: number) => `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}, namespace: shop-prod}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n`,
  (i: number) => `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: hpa-${i}, namespace: shop-prod}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: scaled}\n  minReplicas: ${1 + (i % 2)}\n  maxReplicas: 4\n`,
  (i: number) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop-prod\n  labels: {env: ${['prod', 'dev', 'staging'][i % 3]}, pod-security.kubernetes.io/enforce: ${['restricted', 'baseline'][i % 2]}}\n`,
  (i: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop-prod\n${i % 2 ? '  annotations: {reconcile.dev/ignore: "practice/probes"}\n' : ''}spec:\n  replicas: ${i % 3}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: registry.example.com/web:${i % 2 ? 'latest' : '1.0'}\n        securityContext: {privileged: ${['on', 'off', 'yes', 'no'][i % 4]}}\n        livenessProbe: {tcpSocket: {port: 80}}\n`,
  (i: number) => `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  scope: ${i % 2 ? 'Cluster' : 'Namespaced'}\n  names: {kind: Widget, plural: widgets}\n`,
  (i: number) => `apiVersion: v1\nkind: Secret\nmetadata: {name: s${i}, namespace: shop-dev}\nstringData: {password: "q8Zr2LxW9vNf4TkP7mYs3HdB${i}"}\n`,
  (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: replica-limits, namespace: policy-params}\ndata: {minReplicas: "${1 + (i % 3)}"}\n`,
  (i: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-${i % 4}, namespace: shop-dev}\ndata:\n  api_token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n  flag: ${i % 2 ? 'yes' : '"yes"'}\n`,
  (i: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w${i}, namespace: shop-prod}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: busybox}]\n`,
];

function edit(docs: string[], rnd: (n: number) => number, step: number): string[] {
  const d = [...docs];
  const at = rnd(d.length);
  switch (rnd(9)) {
    case 0: d.splice(at, 0, EXTRA[rnd(EXTRA.length)](step)); break; // insert
    case 1: if (d.length > 3) d.splice(at, 1); break; // delete
    case 2: d[at] = EXTRA[rnd(EXTRA.length)](step); break; // replace
    case 3: d.splice(at, 0, ...d.splice(rnd(d.length), 1)); break; // move
    case 4: d[at] = `# edit ${step}\n${d[at]}`; break; // shift the lines below
    case 5: d[at] = d[at].replace(/replicas: \d+/, `replicas: ${step % 4}`); break;
    case 6: d[at] = d[at].replace(/env: \w+/, `env: ${['prod', 'staging', 'dev'][step % 3]}`); break;
    case 7: d[at] = `${d[at]}  broken: [\n`; break; // a document being typed: the fast parser refuses the file
    default: d.push(d[at]); // a duplicate
  }
  return d;
}

test('policy cache: after every edit of random edit sequences the findings are those of a check from scratch', () => {
  const file = '/repo/apps/objects.yaml';
  const optionSets: PolicyOptions[] = [
    { policies },
    { policies, environment: { name: 'prod', protected: true, namespaces: ['shop-prod'] }, defaultNamespace: 'shop-prod' },
    {},
  ];
  let reused = 0;
  let objects = 0;
  let findings = 0;
  for (const [k, options] of optionSets.entries()) {
    for (let seed = 1; seed <= 4; seed++) {
      const rnd = random(seed * 31 + k);
      const cache = new PolicyFileCache();
      let prev: ParsedText | undefined;
      let docs = [...baseDocs, EXTRA[0](0), EXTRA[1](0), EXTRA[3](0), EXTRA[4](0), EXTRA[7](0)];
      for (let step = 0; step < 40; step++) {
        docs = edit(docs, rnd, step);
        // the fix of a broken document comes at the next step, as when typing goes on
        const text = docs.join('---\n');
        const parsed = new ParsedText(text, prev);
        prev = parsed;
        const got = checkFile(file, text, options, parsed, cache);
        const expected = checkFile(file, text, options);
        assert.deepEqual(got, expected, `options #${k}, seed ${seed}, step ${step}`);
        findings += expected.length;
        reused += cache.stats.reused;
        objects += cache.stats.objects;
        docs = docs.map((x) => x.replace('  broken: [\n', ''));
      }
    }
  }
  assert.ok(findings > 1000, `the checks have findings to compare (${findings})`);
  assert.ok(reused > objects / 3, `results were reused (${reused} of ${objects})`);
});

test('policy cache: an edit re-runs the rules on the edited object and on those that read it, and only those', () => {
  const file = '/repo/apps/objects.yaml';
  const docs = [...baseDocs, EXTRA[0](0), EXTRA[3](0)];
  const cache = new PolicyFileCache();
  const options: PolicyOptions = { policies }; // the same options object each time, as the language server's
  const check = (ds: string[], prev?: ParsedText) => {
    const text = ds.join('---\n');
    const parsed = new ParsedText(text, prev);
    assert.deepEqual(checkFile(file, text, options, parsed, cache), checkFile(file, text, options));
    return parsed;
  };
  let p = check(docs);
  const n = cache.stats.objects;
  assert.equal(cache.stats.reused, 0);
  p = check(docs, p);
  assert.deepEqual([cache.stats.reused, cache.stats.slicesParsed], [n, 0], 'nothing changed: everything reused, no document parsed for ranges');
  // a ConfigMap nobody reads: only itself
  const cm = docs.findIndex((d) => d.includes('kind: CronJob'));
  docs[cm] = docs[cm].replace('name: report', 'name: report2');
  p = check(docs, p);
  assert.equal(cache.stats.reused, n - 1);
  // the Service: itself and the workloads whose probes rule looked for Services
  const svc = docs.length - 2;
  docs[svc] = docs[svc].replace('ports: [{port: 80}]', 'ports: [{port: 81}]');
  p = check(docs, p);
  const readers = cache.stats.objects - cache.stats.reused;
  assert.ok(readers > 1 && readers < n, `the Service and its readers were re-run (${readers} of ${n})`);
  // a Namespace's labels: the objects whose admission bindings select by namespace labels
  docs[0] = docs[0].replace('env: prod', 'env: dev');
  check(docs, p);
  assert.ok(cache.stats.reused < n - 1, 'objects that read the Namespace were re-run');
  // other options: nothing is reused
  const text = docs.join('---\n');
  checkFile(file, text, { policies, defaultNamespace: 'x' }, new ParsedText(text), cache);
  assert.equal(cache.stats.reused, 0);
});
