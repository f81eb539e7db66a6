// The oracle for "renders as Flux does" (issue 14 point 5): for every Flux Kustomization and HelmRelease
// of the fixtures, the objects Reconcile renders are compared, one by one after normalisation, with what
// the real Flux CLI prints (`flux build kustomization <name> --path … --kustomization-file … --dry-run`)
// and, for HelmReleases, with `helm template` given Flux's values merge (the chart's values, or its
// chart.spec.valuesFiles merged in their place as source-controller packages it < valuesFrom in order <
// spec.values), the release name, namespace and CRD policy helm-controller uses, and
// its kustomize post-renderers. The HelmRelease itself is taken from `flux build` of the Kustomization that
// applies it (so its namespace and substituted values are Flux's). Prints the agreement.
//
// Needs flux, helm and kubectl from scripts/setup (tools.json): fails, never skips, without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, parse as parseYaml, stringify } from 'yaml';
import { createRenderer } from '../../../src/core/render';
import { discover, type Application } from '../../../src/core/repo';
import { repoRoot } from './golden-cases';
import { toolsJsonPath } from './real-tools';

const run = promisify(execFile);
const FIXTURES = ['flux-fleet'];
type Obj = Record<string, any>;

function fluxTools(): { flux: string; helm: string; kubectl: string } {
  const file = toolsJsonPath();
  if (!existsSync(file)) throw new Error(`${file} not found: flux, helm and kubectl are needed for the Flux oracle — run scripts/setup (npm run setup)`);
  const t = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | undefined>;
  for (const k of ['flux', 'helm', 'kubectl']) if (!t[k] || !existsSync(t[k]!)) throw new Error(`${file}: "${k}" (${t[k] ?? 'not set'}) is missing — run scripts/setup (npm run setup)`);
  return { flux: t.flux!, helm: t.helm!, kubectl: t.kubectl! };
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Labels Flux's controllers add to what they apply (ownership marks), not part of the desired objects. */
const OWNER_LABEL = /^(kustomize|helm)\.toolkit\.fluxcd\.io\/(name|namespace)$/;

function normalise(o: Obj): Obj {
  const c = JSON.parse(JSON.stringify(o)) as Obj;
  const m = isObj(c.metadata) ? c.metadata : {};
  for (const f of ['labels', 'annotations']) {
    if (!isObj(m[f])) continue;
    for (const k of Object.keys(m[f])) if (OWNER_LABEL.test(k)) delete m[f][k];
    if (Object.keys(m[f]).length === 0) delete m[f];
  }
  return c;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const keyOf = (o: Obj) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;

function objectsOf(yamlText: string): Obj[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS() as unknown).filter(isObj);
}

interface Comparison {
  what: string;
  equal: number;
  total: number;
  diffs: string[];
}

function compare(what: string, ours: Obj[], theirs: Obj[]): Comparison {
  const mine = new Map(ours.map((o) => [keyOf(o), canonical(normalise(o))]));
  const ref = new Map(theirs.map((o) => [keyOf(o), canonical(normalise(o))]));
  const diffs: string[] = [];
  let equal = 0;
  for (const [k, v] of ref) {
    if (!mine.has(k)) diffs.push(`${what}: missing ${k}`);
    else if (mine.get(k) !== v) diffs.push(`${what}: differs ${k}\n  flux:      ${v}\n  reconcile: ${mine.get(k)}`);
    else equal++;
  }
  for (const k of mine.keys()) if (!ref.has(k)) diffs.push(`${what}: extra ${k}`);
  return { what, equal, total: new Set([...mine.keys(), ...ref.keys()]).size, diffs };
}

/** The Flux object an application is defined by, as written. */
function definition(app: Application): Obj {
  const text = readFileSync(app.definedBy!.file, 'utf8');
  const docs = objectsOf(text);
  const [kind, , name] = app.id.split('#')[1].split('@')[0].split('/');
  const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
  assert.ok(d, `${app.id}: definition not found`);
  return d;
}

/** Helm-controller's merge of maps: later maps win key by key; anything else is replaced. */
function mergeMaps(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? mergeMaps(out[k], v) : v;
  return out;
}

async function fluxBuild(flux: string, copy: string, fileRel: string, def: Obj): Promise<Obj[]> {
  const path = join(copy, def.spec.path ?? '.');
  const args = ['build', 'kustomization', def.metadata.name, '--path', path, '--kustomization-file', join(copy, fileRel), '--dry-run'];
  if (def.metadata.namespace) args.push('--namespace', def.metadata.namespace);
  // --dry-run talks to no cluster; a kubeconfig that leads nowhere makes sure of it.
  const kubeconfig = join(copy, '.oracle-kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: none, context: {cluster: none, user: none}}]\nusers: [{name: none, user: {}}]\ncurrent-context: none\n');
  const { stdout } = await run(flux, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, KUBECONFIG: kubeconfig } });
  return objectsOf(stdout);
}

/** What helm-controller would install for a HelmRelease as Flux applies it, with helm and kustomize. */
async function helmOracle(tools: { helm: string; kubectl: string }, root: string, hr: Obj, configMaps: Obj[], notes: string[]): Promise<Obj[]> {
  const spec = hr.spec;
  const chartSpec = spec.chart.spec;
  const chartDir = join(root, chartSpec.chart);
  let values: Obj = {};
  for (const vf of spec.valuesFrom ?? []) {
    if (vf.kind !== 'ConfigMap') {
      notes.push(`HelmRelease ${hr.metadata.name}: valuesFrom ${vf.kind} ${vf.name} not given to helm (a Secret is never read)`);
      continue;
    }
    const cm = configMaps.find((c) => c.metadata.name === vf.name && (c.metadata.namespace ?? hr.metadata.namespace) === hr.metadata.namespace);
    assert.ok(cm, `ConfigMap ${vf.name} for ${hr.metadata.name}`);
    const raw = cm.data[vf.valuesKey ?? 'values.yaml'];
    let v: Obj;
    if (vf.targetPath) {
      v = {};
      let cur = v;
      const keys = String(vf.targetPath).split('.');
      keys.forEach((k, i) => (i === keys.length - 1 ? (cur[k] = raw) : (cur = cur[k] = {})));
    } else v = (parseYaml(raw) as Obj) ?? {};
    values = mergeMaps(values, v);
  }
  if (isObj(spec.values)) values = mergeMaps(values, spec.values);
  const work = mkdtempSync(join(tmpdir(), 'flux-oracle-helm-'));
  try {
    writeFileSync(join(work, 'values.json'), JSON.stringify(values));
    const ns = spec.targetNamespace ?? hr.metadata.namespace;
    const release = spec.releaseName ?? (spec.targetNamespace ? `${spec.targetNamespace}-${hr.metadata.name}` : hr.metadata.name);
    const crds = (spec.install?.crds ?? 'Create') !== 'Skip' || (spec.upgrade?.crds ?? 'Skip') !== 'Skip';
    // source-controller packages a chart from a Git source with chart.spec.valuesFiles merged in order
    // as its values.yaml (the chart's own values.yaml only when listed): a copy of the chart with them.
    let chart = chartDir;
    if (chartSpec.valuesFiles?.length) {
      chart = join(work, 'chart');
      cpSync(chartDir, chart, { recursive: true });
      const merged = (chartSpec.valuesFiles as string[]).map((f) => (parseYaml(readFileSync(join(root, f), 'utf8')) as Obj) ?? {}).reduce(mergeMaps, {});
      writeFileSync(join(chart, 'values.yaml'), stringify(merged));
    }
    const args = ['template', release, chart, '--namespace', ns, '--values', join(work, 'values.json')];
    if (crds) args.push('--include-crds');
    let { stdout } = await run(tools.helm, args, { maxBuffer: 64 * 1024 * 1024 });
    for (const pr of spec.postRenderers ?? []) {
      if (!pr.kustomize) continue;
      const dir = join(work, `post-${Math.random().toString(36).slice(2)}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'helm-output.yaml'), stdout);
      const kus: Obj = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['helm-output.yaml'] };
      if (pr.kustomize.patches) kus.patches = pr.kustomize.patches;
      if (pr.kustomize.images) kus.images = pr.kustomize.images;
      writeFileSync(join(dir, 'kustomization.yaml'), stringify(kus));
      stdout = (await run(tools.kubectl, ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 })).stdout;
    }
    return objectsOf(stdout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

test('Flux oracle: Reconcile renders what flux build and helm-controller (helm template with Flux values merge) give, object by object', async () => {
  const tools = fluxTools();
  const renderer = createRenderer({ trusted: true, tools: { kubectl: tools.kubectl, helm: tools.helm }, env: { ...process.env, PATH: '' } });
  const results: Comparison[] = [];
  const notCompared: string[] = [];
  const notes: string[] = [];
  let kustomizations = 0;
  let releases = 0;
  for (const fixture of FIXTURES) {
    const root = join(repoRoot, 'test', 'fixtures', fixture);
    const m = await discover(root);
    const apps = m.environments.flatMap((e) => e.applications).filter((a) => a.sourceKind === 'flux');
    // What flux build prints for each Kustomization (in a copy: flux build writes into --path while it runs).
    const built = new Map<string, Obj[]>();
    for (const app of apps) {
      const def = definition(app);
      if (def.kind !== 'Kustomization') continue;
      if (def.spec.postBuild?.substituteFrom) {
        notCompared.push(`${app.id}: postBuild.substituteFrom (flux build --dry-run reads no ConfigMap or Secret)`);
        continue;
      }
      const copy = mkdtempSync(join(tmpdir(), 'flux-oracle-'));
      try {
        cpSync(root, copy, { recursive: true });
        const theirs = await fluxBuild(tools.flux, copy, relative(root, app.definedBy!.file), def);
        built.set(app.id, theirs);
        const r = await renderer.renderApplication(app);
        assert.ok(r.ok, `${app.id}: ${JSON.stringify(!r.ok && r.error)}`);
        results.push(compare(`${fixture} ${app.id}`, r.documents.map((d) => d.object), theirs));
        kustomizations++;
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    }
    for (const app of apps) {
      const def = definition(app);
      if (def.kind !== 'HelmRelease') continue;
      // The HelmRelease as its parent Kustomization applies it (namespace, substitution), and that build's ConfigMaps.
      const parent = built.get(app.parent ?? '');
      const applied = parent?.find((o) => o.kind === 'HelmRelease' && o.metadata.name === def.metadata.name);
      if (!parent || !applied) {
        notCompared.push(`${app.id}: its Kustomization was not built`);
        continue;
      }
      const theirs = await helmOracle(tools, root, applied, parent.filter((o) => o.kind === 'ConfigMap'), notes);
      const r = await renderer.renderApplication(app);
      assert.ok(r.ok, `${app.id}: ${JSON.stringify(!r.ok && r.error)}`);
      results.push(compare(`${fixture} ${app.id}`, r.documents.map((d) => d.object), theirs));
      releases++;
    }
  }
  const equal = results.reduce((n, c) => n + c.equal, 0);
  const total = results.reduce((n, c) => n + c.total, 0);
  console.log(`Flux oracle agreement: ${equal}/${total} objects equal, over ${kustomizations} Kustomizations (flux build) and ${releases} HelmReleases (helm template with Flux's values merge)`);
  for (const n of [...notCompared, ...notes]) console.log(`  not compared: ${n}`);
  for (const c of results) if (c.diffs.length) console.log(c.diffs.join('\n'));
  assert.ok(kustomizations + releases >= 12, `at least 12 Flux objects compared (${kustomizations + releases})`);
  assert.equal(equal, total, results.flatMap((c) => c.diffs).join('\n'));
});
