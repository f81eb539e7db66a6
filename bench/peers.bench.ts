// Peers built the same way as the test cluster (from their Go modules by scripts/setup), measured in the
// same run on the same inputs, whole process against whole process:
//   1. kubeconform beside `reconcile check` on the check corpus of bench/check.bench.ts (10,000 resources
//      in 500 files + the examples' admission policies) plus 15 broken resources. kubeconform is offline
//      here, so its schemas are generated at bench time from OUR bundled schemas (src/core/schema/bundled,
//      the newest bundled version, which `reconcile check` validates against by default), standalone
//      (every $ref inlined) in its naming layout {{ .ResourceKind }}{{ .KindSuffix }}.json; `-strict`
//      (our objects are closed), `-summary`, its default 4 workers. Wall time, resources/s, and whether
//      both find the same number of invalid resources. `reconcile check` also runs every policy rule;
//      kubeconform checks schemas only.
//   2. `flux diff kustomization` beside `reconcile drift` on the 1,000-object environment of
//      bench/drift.bench.ts, served from a local Git server and applied by the real kustomize-controller
//      and source-controller (test/harness/flux.mjs) to the real kube-apiserver of test/harness/cluster.mjs;
//      after kubectl scales 3 Deployments: wall time and the objects each one reports as changed.
//   node bench/run.mjs peers     (RECONCILE_BENCH_RUNS runs of each tool, default 3;
//                                 RECONCILE_BENCH_PEERS=kubeconform|flux runs only one of the two)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { stringify } from 'yaml';
import type { RawObject } from '../src/core/cluster';
import { resourceKey } from '../src/core/manifest';
import { loadBundledSchemas } from '../src/core/schema/bundle';
import type { JsonSchema } from '../src/core/schema/types';
import { BENCH_NAMESPACE, environmentObjects, writeCheckCorpus } from './corpus';
import { median, report, type BenchRow } from './lib';

const execFileP = promisify(execFile);
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 3);
const ONLY = process.env.RECONCILE_BENCH_PEERS;
const root = join(__dirname, '..');
const cli = join(root, 'dist', 'cli.js');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

/** Runs a process to its end; returns wall ms, exit code and output (a non-zero exit is not an error). */
async function timed(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = root): Promise<{ ms: number; code: number; stdout: string; stderr: string }> {
  const t0 = performance.now();
  try {
    const { stdout, stderr } = await execFileP(bin, args, { env, cwd, maxBuffer: 1 << 28 });
    return { ms: performance.now() - t0, code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { ms: performance.now() - t0, code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => /\.ya?ml$/.test(f) && statSync(f).isFile()).sort();
}

// ---------------------------------------------------------------------------------------------
// 1. kubeconform

/** The 15 broken resources both tools must find: a wrong type, an unknown field, a wrong nested type. */
function brokenResources(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 5; i++) {
    const labels = { app: `broken-${i}` };
    out.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `broken-${i}`, namespace: 'shop' }, spec: { replicas: 'two', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'app:1' }] } } } });
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `broken-${i}`, namespace: 'shop', labelz: { a: 'b' } }, data: { a: 'b' } });
    out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `broken-${i}`, namespace: 'shop' }, spec: { selector: labels, ports: [{ port: 'eighty' }] } });
  }
  return out;
}

/** kubeconform's KindSuffix: "-" + first part of the group (or the core version) + "-" + version. */
function kubeconformFileName(apiVersion: string, kind: string): string {
  const groupParts = apiVersion.split('/');
  let suffix = `-${groupParts[0].split('.')[0].toLowerCase()}`;
  if (groupParts.length > 1) suffix += `-${groupParts[1].toLowerCase()}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

/** A definition with every $ref replaced by the definition it names (a recursive one becomes {}: anything). */
function standalone(defs: Record<string, JsonSchema>, schema: unknown, stack: string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((s) => standalone(defs, s, stack));
  if (!schema || typeof schema !== 'object') return schema;
  const o = schema as Record<string, unknown>;
  if (typeof o.$ref === 'string') {
    const name = o.$ref.replace(/^#\/definitions\//, '');
    if (stack.includes(name)) return {};
    const def = defs[name];
    if (!def) throw new Error(`no definition ${name}`);
    const { $ref: _ref, ...rest } = o;
    const inlined = standalone(defs, def, [...stack, name]) as Record<string, unknown>;
    return Object.keys(rest).length ? { ...(standalone(defs, rest, stack) as object), ...inlined } : inlined;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'enum' || k === 'const' || k === 'default' || k === 'example' ? v : standalone(defs, v, stack);
  return out;
}

/** Writes a kubeconform schema for every apiVersion/kind the files hold, from the bundled schemas. */
function writeKubeconformSchemas(files: string[], out: string): { kinds: number; ms: number } {
  const t0 = performance.now();
  const bundle = loadBundledSchemas();
  const version = bundle.latest;
  const defs = bundle.definitionsFor(version);
  const seen = new Set<string>();
  for (const f of files) {
    for (const doc of loadAll(readFileSync(f, 'utf8'))) {
      const d = doc as { apiVersion?: string; kind?: string } | null;
      if (!d?.apiVersion || !d.kind || seen.has(`${d.apiVersion}/${d.kind}`)) continue;
      seen.add(`${d.apiVersion}/${d.kind}`);
      const gvk = `${d.apiVersion.includes('/') ? '' : '/'}${d.apiVersion}/${d.kind}`;
      const def = bundle.builtinKind(version, gvk) ?? bundle.crdKind(gvk);
      if (!def) continue; // kubeconform reports it as an error (no schema); so does reconcile check
      const schema = { $schema: 'http://json-schema.org/draft-04/schema#', ...(standalone(defs, { $ref: def }) as object) };
      writeFileSync(join(out, kubeconformFileName(d.apiVersion, d.kind)), JSON.stringify(schema));
    }
  }
  return { kinds: readdirSync(out).length, ms: performance.now() - t0 };
}

/** "file:document index" of each resource with a schema error in `reconcile check --format json`. */
function reconcileInvalid(json: string, dir: string): Set<string> {
  const starts = new Map<string, number[]>();
  const docOf = (file: string, line: number) => {
    let s = starts.get(file);
    if (!s) {
      s = [0];
      readFileSync(join(dir, file), 'utf8').split('\n').forEach((l, i) => l.startsWith('---') && s!.push(i));
      starts.set(file, s);
    }
    return s.filter((x) => x <= line).length - 1;
  };
  const bad = new Set<string>();
  for (const f of JSON.parse(json) as Array<{ source: string; severity: string; file: string; range: { start: { line: number } } }>) {
    if (f.source === 'schema' && f.severity === 'error') bad.add(`${f.file}:${docOf(f.file, f.range.start.line)}`);
  }
  return bad;
}

async function kubeconformRows(kubeconform: string, version: string): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-peers-'));
  try {
    const corpus = join(dir, 'repo');
    mkdirSync(corpus);
    const generated = writeCheckCorpus(corpus);
    mkdirSync(join(corpus, 'broken'));
    const broken = brokenResources();
    writeFileSync(join(corpus, 'broken', 'broken.yaml'), broken.map((d) => stringify(d)).join('---\n'));
    const files = yamlFiles(corpus);
    const schemas = join(dir, 'schemas');
    mkdirSync(schemas);
    const s = writeKubeconformSchemas(files, schemas);
    console.log(`# kubeconform schemas: ${s.kinds} kinds from the bundled schemas (Kubernetes ${loadBundledSchemas().latest}), standalone, written in ${s.ms.toFixed(0)} ms (not timed below)`);

    // kustomization.yaml is kustomize's input, not a resource: `reconcile check` skips it, kubeconform is told to.
    const kcArgs = ['-strict', '-summary', '-output', 'json', '-schema-location', join(schemas, '{{ .ResourceKind }}{{ .KindSuffix }}.json'), '-ignore-filename-pattern', 'kustomization\\.yaml$', corpus];
    const rcArgs = [cli, 'check', corpus, '--format', 'json', '--fail-on', 'never'];
    const ours: number[] = [];
    const theirs: number[] = [];
    let rc = { stdout: '', code: 0 };
    let kc = { stdout: '', code: 0, stderr: '' };
    for (let r = 0; r < RUNS; r++) {
      // alternated, so that a load spike of the shared machine does not fall on one tool only
      const a = await timed(process.execPath, rcArgs);
      if (a.code !== 0) throw new Error(`reconcile check exited ${a.code}: ${a.stderr}`);
      ours.push(a.ms);
      rc = a;
      const b = await timed(kubeconform, kcArgs);
      if (b.code !== 0 && b.code !== 1) throw new Error(`kubeconform exited ${b.code}: ${b.stderr}`);
      theirs.push(b.ms);
      kc = b;
    }
    const out = JSON.parse(kc.stdout) as { resources?: Array<{ filename: string; kind: string; name: string; status: string; msg: string }>; summary: { valid: number; invalid: number; errors: number; skipped: number } };
    const sum = out.summary;
    const kcResources = sum.valid + sum.invalid + sum.errors + sum.skipped;
    const kcBad = (out.resources ?? []).filter((r) => r.status === 'statusInvalid' || r.status === 'statusError');
    const ourBad = reconcileInvalid(rc.stdout, corpus);
    const policyDocs = yamlFiles(join(corpus, 'policies')).filter((f) => !f.endsWith('kustomization.yaml')).reduce((n, f) => n + loadAll(readFileSync(f, 'utf8')).filter(Boolean).length, 0);
    const resources = generated + broken.length + policyDocs;
    console.log(`# ${resources} resources in ${files.length} files (${generated} generated, ${broken.length} broken, ${policyDocs} admission policies); kubeconform summary ${JSON.stringify(sum)}; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`# runs (ms wall): reconcile check ${ours.map((t) => t.toFixed(0)).join(', ')}; kubeconform ${theirs.map((t) => t.toFixed(0)).join(', ')}`);
    for (const r of kcBad.slice(0, 3)) console.log(`#   kubeconform: ${relative(corpus, r.filename)} ${r.kind}/${r.name}: …${r.msg.slice(-90)}`);
    if (kcResources !== resources) throw new Error(`kubeconform saw ${kcResources} resources, the corpus has ${resources}`);
    const m = median(ours);
    const p = median(theirs);
    const agree = ourBad.size === kcBad.length && kcBad.length === broken.length;
    return [
      { bench: 'peers', metric: `reconcile check, ${resources} resources in ${files.length} files, whole process (schema + policy)`, value: m, unit: 'ms' },
      { bench: 'peers', metric: `peer: kubeconform ${version} -strict, same files, whole process (schema only, ${cpus().length} cores, 4 workers)`, value: p, unit: 'ms', ratio: p / m, ratioLabel: 'kubeconform/ours' },
      { bench: 'peers', metric: 'reconcile check throughput, whole process', value: resources / (m / 1000), unit: 'resources/s', ratio: (resources / (m / 1000)) / (resources / (p / 1000)), ratioLabel: 'ours/kubeconform' },
      { bench: 'peers', metric: 'kubeconform throughput, whole process (same run)', value: resources / (p / 1000), unit: 'resources/s' },
      { bench: 'peers', metric: `invalid resources found (${broken.length} planted): reconcile check`, value: ourBad.size, unit: '', target: `${broken.length}, same as kubeconform`, ok: agree },
      { bench: 'peers', metric: 'invalid resources found: kubeconform', value: kcBad.length, unit: '' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// 2. flux diff kustomization

/** `► Deployment/bench/deployment-3 drifted` (flux diff's lines) → resourceKey; other verbs: created, deleted. */
function fluxChanged(stdout: string, objects: RawObject[]): Set<string> {
  const byKindName = new Map(objects.map((o) => [`${o.kind}/${(o.metadata as { namespace?: string }).namespace}/${(o.metadata as { name: string }).name}`, o]));
  const out = new Set<string>();
  for (const m of stdout.matchAll(/^► (\S+) (drifted|created|deleted)$/gm)) {
    const o = byKindName.get(m[1]);
    const [kind, namespace, name] = m[1].split('/');
    const group = o ? String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0] : '' : '?';
    out.add(resourceKey({ group, kind, namespace, name }));
  }
  return out;
}

/** Resources not in sync, and live objects of the environment that Git no longer has, in `reconcile drift --format json`. */
function driftChanged(json: string): Set<string> {
  type Id = { group: string; kind: string; namespace?: string; name: string };
  const r = JSON.parse(json) as { results: Array<{ resource: Id; status: string }>; notInGit: Array<{ resource: Id }> };
  return new Set([...r.results.filter((x) => x.status !== 'in-sync').map((x) => resourceKey(x.resource)), ...r.notInGit.map((x) => resourceKey(x.resource))]);
}

async function fluxRows(): Promise<BenchRow[]> {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { startFlux } = await import(harness('flux.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'flux', 'sourceController', 'kustomizeController'] });
  const scratch = mkdtempSync(join(tmpdir(), 'reconcile-bench-flux-'));
  const cluster = await startCluster({ log: () => {} });
  let flux: { git: { url: string; branch: string; repoDir: string }; stop(): Promise<void> } | undefined;
  try {
    // The environment as a Git repository holds it: manifests/<kind>.yaml and a .reconcile.yaml for `reconcile drift`.
    const objects = environmentObjects();
    const repo = join(scratch, 'repo');
    mkdirSync(join(repo, 'manifests'), { recursive: true });
    const byKind = new Map<string, RawObject[]>();
    for (const o of objects) byKind.set(String(o.kind), [...(byKind.get(String(o.kind)) ?? []), o]);
    for (const [kind, list] of byKind) writeFileSync(join(repo, 'manifests', `${kind.toLowerCase()}.yaml`), list.map((o) => stringify(o)).join('---\n'));
    writeFileSync(join(repo, '.reconcile.yaml'), stringify({ environments: [{ name: 'bench', paths: ['manifests/**'], context: cluster.context, namespaces: [BENCH_NAMESPACE] }] }));
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfig };
    const kubectl = (...args: string[]) => execFileP(tools.kubectl, args, { env, maxBuffer: 1 << 26 });
    await kubectl('create', 'namespace', BENCH_NAMESPACE);

    const f = (flux = await startFlux(cluster, { source: repo, controllers: ['source-controller', 'kustomize-controller'], log: () => {} }));
    const sync = [
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'bench', namespace: 'flux-system' }, spec: { interval: '60m', url: f.git.url, ref: { branch: f.git.branch } } },
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'bench', namespace: 'flux-system' }, spec: { interval: '60m', path: './manifests', prune: true, wait: false, sourceRef: { kind: 'GitRepository', name: 'bench' } } },
    ];
    writeFileSync(join(scratch, 'sync.yaml'), sync.map((o) => stringify(o)).join('---\n'));
    const tApply = performance.now();
    await kubectl('apply', '--server-side', '-f', join(scratch, 'sync.yaml'));
    await kubectl('-n', 'flux-system', 'wait', 'kustomization/bench', '--for=condition=Ready', '--timeout=600s');
    console.log(`# kustomize-controller applied ${objects.length} objects (Kustomization bench Ready) in ${((performance.now() - tApply) / 1000).toFixed(1)} s`);

    const fluxArgs = ['diff', 'kustomization', 'bench', '--namespace', 'flux-system', '--path', join(repo, 'manifests'), '--kubeconfig', cluster.kubeconfig];
    const driftArgs = [cli, 'drift', repo, '--env', 'bench', '--format', 'json'];
    // Right after Flux applied the environment, both must see nothing to change (exit 0).
    const cleanOurs = await timed(process.execPath, driftArgs, env);
    const cleanTheirs = await timed(tools.flux, fluxArgs, env);
    const clean = cleanOurs.code === 0 && cleanTheirs.code === 0;
    console.log(`# right after Flux applied: reconcile drift exit ${cleanOurs.code} (${cleanOurs.code === 0 ? 'in sync' : [...driftChanged(cleanOurs.stdout)].slice(0, 5).join(', ') || cleanOurs.stderr.slice(0, 300)}), flux diff exit ${cleanTheirs.code}${cleanTheirs.code ? `: ${[...fluxChanged(cleanTheirs.stdout, objects)].slice(0, 5).join(', ') || cleanTheirs.stderr.slice(0, 300)}` : ''}`);

    await kubectl('-n', BENCH_NAMESPACE, 'scale', 'deployment/deployment-3', 'deployment/deployment-50', 'deployment/deployment-149', '--replicas=4');
    const scaled = new Set([3, 50, 149].map((i) => `apps/Deployment/${BENCH_NAMESPACE}/deployment-${i}`));

    const ours: number[] = [];
    const theirs: number[] = [];
    let ourSet = new Set<string>();
    let theirSet = new Set<string>();
    for (let r = 0; r < RUNS; r++) {
      const a = await timed(process.execPath, driftArgs, env);
      if (a.code !== 1) throw new Error(`reconcile drift exited ${a.code} (1 = drift expected): ${a.stderr}`);
      ours.push(a.ms);
      ourSet = driftChanged(a.stdout);
      const b = await timed(tools.flux, fluxArgs, env);
      if (b.code !== 1) throw new Error(`flux diff exited ${b.code} (1 = changes expected): ${b.stderr}\n${b.stdout.slice(0, 2000)}`);
      theirs.push(b.ms);
      theirSet = fluxChanged(b.stdout, objects);
    }
    const same = (x: Set<string>, y: Set<string>) => x.size === y.size && [...x].every((k) => y.has(k));
    console.log(`# after scaling 3 Deployments: flux diff → ${[...theirSet].sort().join(', ')}; reconcile drift → ${[...ourSet].sort().join(', ')}`);
    console.log(`# runs (ms wall): reconcile drift ${ours.map((t) => t.toFixed(0)).join(', ')}; flux diff ${theirs.map((t) => t.toFixed(0)).join(', ')}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const m = median(ours);
    const p = median(theirs);
    return [
      { bench: 'peers', metric: `reconcile drift --env bench, ${objects.length} objects applied by Flux, whole process`, value: m, unit: 'ms' },
      { bench: 'peers', metric: `peer: flux diff kustomization ${tools.fluxVersion ?? ''} --path, same objects and cluster`, value: p, unit: 'ms', ratio: p / m, ratioLabel: 'flux/ours' },
      { bench: 'peers', metric: 'right after Flux applied: both report no change (exit 0)', value: Number(clean), unit: '', target: 'yes', ok: clean },
      { bench: 'peers', metric: 'objects changed after scaling 3 Deployments: reconcile drift', value: ourSet.size, unit: '', target: '3, same as flux diff', ok: same(ourSet, theirSet) && same(ourSet, scaled) },
      { bench: 'peers', metric: 'objects changed: flux diff kustomization', value: theirSet.size, unit: '' },
    ];
  } finally {
    await flux?.stop();
    await cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { loadTools } = await import(harness('tools.mjs'));
  const rows: BenchRow[] = [];
  if (ONLY !== 'flux') {
    const t = loadTools({ require: ['kubeconform'] });
    rows.push(...(await kubeconformRows(t.kubeconform, t.kubeconformVersion)));
  }
  if (ONLY !== 'kubeconform') rows.push(...(await fluxRows()));
  report(rows, `whole processes (node dist/cli.js beside the Go binaries), median of ${RUNS} runs each, alternated`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
