// The CRD-heavy folder of issue 15: ≈5.7 MB of kube-prometheus-style CRDs (Prometheus, Alertmanager,
// ThanosRuler, PrometheusAgent ≈450 KB each, inlining whole pod specs) and ≈2,500 custom resources,
// generated at bench time by test/fixtures/crd-heavy/generate.ts (deterministic, not committed).
//   1. `node dist/cli.js check <folder>` as CI runs it: whole-process wall time and peak RSS
//      (target ≤ 2 s and ≤ 200 MB);
//   2. the same check in-process (main() of src/cli/main.ts), first run and later runs;
//   3. the peer, kubeconform -strict (when scripts/setup built it), on the same folder, with schemas
//      written at bench time from the folder's own CRDs (as openapi2jsonschema would, standalone) and,
//      for the CRDs themselves, from our bundled apiextensions.k8s.io/v1 schema.
//   node bench/run.mjs crd-heavy        (RECONCILE_BENCH_RUNS runs of each, default 3)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { loadAll } from 'js-yaml';
import { loadBundledSchemas } from '../src/core/schema/bundle';
import { schemasFromCrd, OBJECT_META_REF } from '../src/core/schema/crd';
import type { JsonSchema } from '../src/core/schema/types';
import { writeCrdHeavyFolder } from '../test/fixtures/crd-heavy/generate';
import { median, report, type BenchRow } from './lib';

const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 3);
const root = join(__dirname, '..');
const cli = join(root, 'dist', 'cli.js');

/** Runs a process to its end: wall ms, exit code, output and (for node) its peak RSS in MiB. */
function timed(bin: string, args: string[], rssFile?: string): Promise<{ ms: number; code: number; stdout: string; stderr: string; rssMiB?: number; cpuMs?: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(bin, args, { maxBuffer: 1 << 28, env: { ...process.env, RECONCILE_BENCH_RSS_FILE: rssFile ?? '' } }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      let rssMiB: number | undefined;
      let cpuMs: number | undefined;
      if (rssFile) {
        try {
          const [kib, cpu] = readFileSync(rssFile, 'utf8').split(' ').map(Number);
          rssMiB = kib / 1024;
          cpuMs = cpu;
        } catch {
          rssMiB = undefined;
        }
      }
      resolve({ ms, code, stdout, stderr, rssMiB, cpuMs });
    });
  });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).map((f) => join(dir, f)).sort();
}

/** `{ $ref: name }` of the bundle replaced by the definitions (recursion → {}), for a standalone schema. */
function standalone(defs: Record<string, JsonSchema>, schema: unknown, stack: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => standalone(defs, s, stack));
  if (!schema || typeof schema !== 'object') return schema;
  const o = schema as Record<string, unknown>;
  if (typeof o.$ref === 'string') {
    if (stack.includes(o.$ref) || !defs[o.$ref]) return {};
    return standalone(defs, defs[o.$ref], [...stack, o.$ref]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'properties' && v && typeof v === 'object') out[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, standalone(defs, ps, stack)])); // JSONSchemaProps has properties named enum, default…
    else out[k] = k === 'enum' || k === 'const' || k === 'default' || k === 'required' ? v : standalone(defs, v, stack);
  }
  return out;
}

/** kubeconform's KindSuffix: "-" + first part of the group (or the core version) + "-" + version. */
function kubeconformFileName(group: string, version: string, kind: string): string {
  return `${kind.toLowerCase()}-${(group || version).split('.')[0].toLowerCase()}${group ? `-${version}` : ''}.json`;
}

/** Schemas for kubeconform: every CRD of the folder, and CustomResourceDefinition itself. */
function writeKubeconformSchemas(dir: string, out: string): number {
  const bundle = loadBundledSchemas();
  const defs = bundle.definitionsFor(bundle.latest);
  const meta = { type: 'object' };
  const crdDef = bundle.builtinKind(bundle.latest, 'apiextensions.k8s.io/v1/CustomResourceDefinition')!;
  writeFileSync(join(out, kubeconformFileName('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')), JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...(standalone(defs, { $ref: crdDef }) as object) }));
  let n = 1;
  for (const f of yamlFiles(join(dir, 'crds'))) {
    for (const doc of loadAll(readFileSync(f, 'utf8'))) {
      for (const s of schemasFromCrd(doc)) {
        const schema = JSON.parse(JSON.stringify(s.schema).split(JSON.stringify({ $ref: OBJECT_META_REF })).join(JSON.stringify(meta)));
        writeFileSync(join(out, kubeconformFileName(s.group, s.version, s.kind)), JSON.stringify(schema));
        n++;
      }
    }
  }
  return n;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-crd-heavy-'));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const folder = join(dir, 'repo');
    mkdirSync(folder);
    const made = writeCrdHeavyFolder(folder);
    const mb = made.bytes / (1024 * 1024);
    console.log(`# ${mb.toFixed(2)} MB in ${made.files} files: ${made.documents} documents (${(made.crdBytes / 1024 / 1024).toFixed(2)} MB of CRDs); ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const rows: BenchRow[] = [];

    // 1. whole process, as CI runs it
    const rssFile = join(dir, 'rss');
    const rssHook = join(root, 'bench', 'host', 'rss.cjs');
    const whole: number[] = [];
    const rss: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const a = await timed(process.execPath, ['-r', rssHook, cli, 'check', folder, '--fail-on', 'error'], rssFile);
      if (a.code !== 0) throw new Error(`reconcile check exited ${a.code}: ${a.stdout.slice(-2000)}${a.stderr}`);
      whole.push(a.ms);
      if (a.rssMiB !== undefined) rss.push(a.rssMiB);
      if (a.cpuMs !== undefined) cpu.push(a.cpuMs);
    }
    const w = median(whole);
    const peak = Math.max(...rss);
    console.log(`# whole process runs (ms wall / ms CPU): ${whole.map((t, i) => `${t.toFixed(0)}/${cpu[i] ?? '?'}`).join(', ')}; peak RSS (MiB): ${rss.map((x) => x.toFixed(0)).join(', ')}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    rows.push(
      { bench: 'crd-heavy', metric: `reconcile check, ${mb.toFixed(1)} MB CRD-heavy folder (${made.documents} documents), whole process`, value: w, unit: 'ms', target: '≤ 2,000 ms', ok: w <= 2000 },
      { bench: 'crd-heavy', metric: 'CPU time of the whole process (user + system; what wall time is on an idle machine)', value: median(cpu), unit: 'ms', target: '≤ 2,000 ms', ok: median(cpu) <= 2000 },
      { bench: 'crd-heavy', metric: 'throughput, whole process', value: made.documents / (w / 1000), unit: 'documents/s' },
      { bench: 'crd-heavy', metric: 'peak RSS of the whole process (maxRSS)', value: peak, unit: 'MiB', target: '≤ 200 MB', ok: peak <= 200 * 1000 * 1000 / (1024 * 1024) },
    );

    // 2. in process
    const { main: cliMain } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
    const inproc: number[] = [];
    for (let r = 0; r <= RUNS; r++) {
      const t0 = performance.now();
      const code = await cliMain(['check', folder, '--fail-on', 'error'], { out: sink, err: process.stderr, env: process.env, cwd: folder });
      inproc.push(performance.now() - t0);
      if (code !== 0) throw new Error(`reconcile check exited ${code}`);
    }
    console.log(`# in-process runs (ms): ${inproc.map((t) => t.toFixed(0)).join(', ')} (the first loads the schemas and compiles the validators)`);
    rows.push(
      { bench: 'crd-heavy', metric: 'reconcile check in process, first run (tsx; module loading not counted)', value: inproc[0], unit: 'ms' },
      { bench: 'crd-heavy', metric: `reconcile check in process, later runs (median of ${RUNS})`, value: median(inproc.slice(1)), unit: 'ms' },
    );

    // 3. the peer
    let tools: { kubeconform?: string; kubeconformVersion?: string } | undefined;
    try {
      const { loadTools } = await import(pathToFileURL(join(root, 'test', 'harness', 'tools.mjs')).href);
      tools = loadTools({ require: ['kubeconform'] });
    } catch (e) {
      console.log(`# kubeconform not measured: ${(e as Error).message}`);
    }
    if (tools?.kubeconform) {
      const schemas = join(dir, 'schemas');
      mkdirSync(schemas);
      const kinds = writeKubeconformSchemas(folder, schemas);
      const args = ['-strict', '-summary', '-output', 'json', '-schema-location', join(schemas, '{{ .ResourceKind }}{{ .KindSuffix }}.json'), folder];
      const theirs: number[] = [];
      let out = '';
      for (let r = 0; r < RUNS; r++) {
        const b = await timed(tools.kubeconform, args);
        if (b.code !== 0 && b.code !== 1) throw new Error(`kubeconform exited ${b.code}: ${b.stderr}`);
        theirs.push(b.ms);
        out = b.stdout;
      }
      const sum = (JSON.parse(out) as { summary: Record<string, number> }).summary;
      console.log(`# kubeconform ${tools.kubeconformVersion}: ${kinds} schemas from the folder's CRDs; summary ${JSON.stringify(sum)}; runs (ms wall): ${theirs.map((t) => t.toFixed(0)).join(', ')}`);
      const p = median(theirs);
      rows.push({ bench: 'crd-heavy', metric: `peer: kubeconform ${tools.kubeconformVersion} -strict, same folder, whole process (schema only)`, value: p, unit: 'ms', ratio: p / w, ratioLabel: 'kubeconform/ours' });
    }
    report(rows, `median of ${RUNS} runs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
