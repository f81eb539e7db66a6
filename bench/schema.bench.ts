// Schema validation speed: our engine (src/core/schema) and yaml-language-server 2.x, in-process,
// on the same schemas (ours exported as JSON schema, one if/then branch per kind) and files:
//   (a) a 1,000-line multi-document file, (b) a 20,000-line file, (c) a one-document edit in (b).
// Targets: (a) p50 ≤ 25 ms, (c) ≤ 10 ms, ≥ 3× faster than yaml-language-server on (a) and (b).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, report, type BenchRow } from './lib';

const root = join(__dirname, '..');
const RUNS_A = Number(process.env.RECONCILE_BENCH_RUNS ?? 20);
const RUNS_B = Math.max(3, Math.round(RUNS_A / 4));

const KINDS: [string, string, string][] = [
  ['apps', 'v1', 'Deployment'],
  ['', 'v1', 'Service'],
  ['', 'v1', 'ConfigMap'],
  ['networking.k8s.io', 'v1', 'Ingress'],
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler'],
  ['', 'v1', 'ServiceAccount'],
];

/** Documents from examples/ (valid), repeated with distinct names until `lines` lines. */
function generate(lines: number): string {
  const sources = ['apps/web/base/deployment.yaml', 'apps/web/base/service.yaml', 'apps/web/base/ingress.yaml', 'apps/api/base/hpa.yaml', 'apps/api/base/serviceaccount.yaml', 'apps/api/base/deployment.yaml'].map((f) =>
    readFileSync(join(root, 'examples', f), 'utf8').trimEnd(),
  );
  const docs: string[] = [];
  let n = 0;
  for (let i = 0; n < lines; i++) {
    const d = `---\n${sources[i % sources.length].replace(/^(  name: )(\S+)$/m, `$1$2-${i}`)}\n`;
    docs.push(d);
    n += d.split('\n').length - 1;
  }
  return docs.join('');
}

/** Replaces the value of the `replicas:` line nearest the middle of the text (a one-document edit). */
function editMiddle(text: string, value: number): string {
  const mid = text.indexOf('  replicas: ', Math.floor(text.length / 2));
  const end = text.indexOf('\n', mid);
  return `${text.slice(0, mid)}  replicas: ${value}${text.slice(end)}`;
}

async function main(): Promise<void> {
  const fileA = generate(1000);
  const fileB = generate(20000);
  const linesA = fileA.split('\n').length - 1;
  const linesB = fileB.split('\n').length - 1;

  // --- ours ---------------------------------------------------------------------------------
  const t0 = performance.now();
  const { SchemaValidator } = await import('../src/core/schema');
  const validator = new SchemaValidator();
  const coldFindings = validator.validateFile('/bench/a.yaml', fileA);
  const cold = performance.now() - t0;
  if (coldFindings.length) throw new Error(`ours: the generated file should be valid, got ${coldFindings.map((f) => f.message).join('; ')}`);

  const oursA: number[] = [];
  for (let i = 0; i < RUNS_A; i++) {
    validator.clear(); // full validation: nothing from the cache
    const s = performance.now();
    validator.validateFile('/bench/a.yaml', fileA);
    oursA.push(performance.now() - s);
  }
  const oursB: number[] = [];
  for (let i = 0; i < RUNS_B; i++) {
    validator.clear();
    const s = performance.now();
    validator.validateFile('/bench/b.yaml', fileB);
    oursB.push(performance.now() - s);
  }
  const oursC: number[] = [];
  let reusedC = 0;
  validator.validateFile('/bench/b.yaml', fileB);
  for (let i = 0; i < RUNS_A; i++) {
    const edited = editMiddle(fileB, 100 + i); // a new text each time: never a cache hit on the edited document
    const s = performance.now();
    const f = validator.validateFile('/bench/b.yaml', edited);
    oursC.push(performance.now() - s);
    reusedC = validator.lastStats.reused;
    if (f.length) throw new Error('ours: edit produced findings');
  }
  const heapMiB = process.memoryUsage().heapUsed / 1024 / 1024;

  // --- yaml-language-server -----------------------------------------------------------------
  const registry = validator.registry;
  const definitions: Record<string, unknown> = {};
  const allOf = KINDS.map(([g, v, k]) => {
    const s = registry.jsonSchemaFor(g, v, k) as Record<string, unknown>;
    Object.assign(definitions, s.definitions as Record<string, unknown>);
    const { definitions: _d, ...rootSchema } = s;
    const apiVersion = g ? `${g}/${v}` : v;
    return { if: { properties: { apiVersion: { const: apiVersion }, kind: { const: k } }, required: ['apiVersion', 'kind'] }, then: rootSchema };
  });
  const combined = JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', allOf, definitions });
  const peerT0 = performance.now();
  const yls = (await import('yaml-language-server')) as typeof import('yaml-language-server');
  const { TextDocument } = await import('vscode-languageserver-textdocument');
  const SCHEMA_URI = 'reconcile://schemas/bench.json';
  const ls = yls.getLanguageService({
    schemaRequestService: async (uri: string) => {
      if (uri === SCHEMA_URI) return combined;
      throw new Error(`no schema ${uri}`);
    },
    workspaceContext: { resolveRelativePath: (p: string) => p },
  });
  ls.configure({ validate: true, hover: false, completion: false, isKubernetes: false, schemas: [{ uri: SCHEMA_URI, fileMatch: ['*.yaml'] }], yamlVersion: '1.2' });
  let version = 1;
  const peerValidate = async (uri: string, text: string) => ls.doValidation(TextDocument.create(uri, 'yaml', version++, text), false);
  const peerColdDiags = await peerValidate('file:///bench/a.yaml', fileA);
  const peerCold = performance.now() - peerT0;
  const peerA: number[] = [];
  for (let i = 0; i < RUNS_A; i++) {
    const s = performance.now();
    await peerValidate('file:///bench/a.yaml', fileA);
    peerA.push(performance.now() - s);
  }
  const peerB: number[] = [];
  for (let i = 0; i < RUNS_B; i++) {
    const s = performance.now();
    await peerValidate('file:///bench/b.yaml', fileB);
    peerB.push(performance.now() - s);
  }
  const peerC: number[] = [];
  for (let i = 0; i < RUNS_B; i++) {
    const edited = editMiddle(fileB, 200 + i);
    const s = performance.now();
    await peerValidate('file:///bench/b.yaml', edited);
    peerC.push(performance.now() - s);
  }

  const a = median(oursA);
  const b = median(oursB);
  const c = median(oursC);
  const pa = median(peerA);
  const pb = median(peerB);
  const pc = median(peerC);
  const rows: BenchRow[] = [
    { bench: 'schema', metric: `cold first validation, (a) ${linesA} lines (import + load bundle + compile 6 kinds)`, value: cold, unit: 'ms' },
    { bench: 'schema', metric: 'cold first validation: yaml-language-server (peer; import + schema + validate)', value: peerCold, unit: 'ms', ratio: peerCold / cold, ratioLabel: 'peer/ours' },
    { bench: 'schema', metric: `(a) ${linesA}-line multi-document file, p50`, value: a, unit: 'ms', target: '≤ 25 ms', ok: a <= 25 },
    { bench: 'schema', metric: '(a) yaml-language-server (peer), p50', value: pa, unit: 'ms', ratio: pa / a, ratioLabel: 'peer/ours', target: '≥ 3×', ok: pa / a >= 3 },
    { bench: 'schema', metric: `(b) ${linesB}-line file, p50`, value: b, unit: 'ms' },
    { bench: 'schema', metric: '(b) yaml-language-server (peer), p50', value: pb, unit: 'ms', ratio: pb / b, ratioLabel: 'peer/ours', target: '≥ 3×', ok: pb / b >= 3 },
    { bench: 'schema', metric: `(c) one-document edit in (b), p50 (${reusedC} documents reused)`, value: c, unit: 'ms', target: '≤ 10 ms', ok: c <= 10 },
    { bench: 'schema', metric: '(c) yaml-language-server (peer, re-validates the file), p50', value: pc, unit: 'ms', ratio: pc / c, ratioLabel: 'peer/ours' },
    { bench: 'schema', metric: 'heap used after (b) and (c), ours', value: heapMiB, unit: 'MiB' },
  ];
  report(rows, `ours vs yaml-language-server 2.x in-process; ${RUNS_A} runs for (a) and (c), ${RUNS_B} for (b); peer cold diagnostics: ${peerColdDiags.length}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
