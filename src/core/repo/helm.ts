// Helm charts: Chart.yaml, local (`file://`) dependencies, and per-environment values files
// (`values-<env>.yaml`, `values.<env>.yaml`, `values/<env>.yaml`, `env/<env>/values.yaml`).
import * as path from 'node:path';
import { parseManifests, rangeOfPath } from '../manifest/parse';
import { FILE_START, type SourceLocation } from '../manifest/range';
import type { FileTree } from './file-tree';
import type { RepoError, ValueOrigin } from './model';
import { YamlFile } from './yaml-file';
import { isRecord } from '../util/record';

export interface ChartDependency {
  name: string;
  version?: string;
  repository?: string;
  alias?: string;
  /** Folder of a `file://` dependency. */
  local?: string;
  /** Vendored under charts/ (folder or .tgz). */
  vendored: boolean;
  location: SourceLocation;
}

export interface ChartInfo {
  dir: string;
  file: string;
  name: string;
  /** Where `name` is written in Chart.yaml (it is the release name of the values-file convention). */
  nameOrigin?: ValueOrigin;
  version?: string;
  type?: string;
  dependencies: ChartDependency[];
  errors: RepoError[];
  remote: string[];
}

export function loadChart(tree: FileTree, dir: string): ChartInfo {
  const file = path.join(dir, 'Chart.yaml');
  const chart: ChartInfo = { dir, file, name: path.basename(dir), dependencies: [], errors: [], remote: [] };
  const r = tree.read(file);
  if (r.error) {
    chart.errors.push(r.error);
    return chart;
  }
  const mf = parseManifests(r.text, { maxFileBytes: Number.MAX_SAFE_INTEGER });
  for (const e of mf.errors.filter((x) => x.severity === 'error')) {
    chart.errors.push({ code: 'yaml', message: `Chart.yaml: ${e.message}`, location: { file, range: e.range } });
  }
  const doc = mf.documents.find((d) => d.shape !== 'empty');
  if (!doc || !isRecord(doc.value)) {
    chart.errors.push({ code: 'invalid-chart', message: 'Chart.yaml is empty or not a mapping', location: { file, range: doc?.contentRange ?? FILE_START } });
    return chart;
  }
  const v = doc.value;
  if (typeof v.name === 'string' && v.name) {
    chart.name = v.name;
    chart.nameOrigin = { file, docIndex: mf.documents.indexOf(doc), path: ['name'] };
  }
  else chart.errors.push({ code: 'invalid-chart', message: 'Chart.yaml has no `name`', location: { file, range: doc.contentRange } });
  if (typeof v.version === 'string' || typeof v.version === 'number') chart.version = String(v.version);
  if (typeof v.type === 'string') chart.type = v.type;
  const vendoredNames = new Set(tree.filesIn(path.join(dir, 'charts')).map((f) => f.replace(/-\d[^/]*\.tgz$/, '')));
  const vendoredDirs = new Set(tree.dirs.get(path.join(dir, 'charts'))?.dirs ?? []);
  if (Array.isArray(v.dependencies)) {
    v.dependencies.forEach((d, i) => {
      if (!isRecord(d) || typeof d.name !== 'string') return;
      const location = { file, range: rangeOfPath(mf, doc, ['dependencies', i]) ?? doc.contentRange };
      const dep: ChartDependency = {
        name: d.name,
        version: typeof d.version === 'string' ? d.version : undefined,
        repository: typeof d.repository === 'string' ? d.repository : undefined,
        alias: typeof d.alias === 'string' ? d.alias : undefined,
        vendored: vendoredNames.has(d.name) || vendoredDirs.has(d.name),
        location,
      };
      if (dep.repository?.startsWith('file://')) {
        const local = path.resolve(dir, dep.repository.slice('file://'.length));
        if (tree.isFile(path.join(local, 'Chart.yaml'))) {
          dep.local = local;
          if (!dep.vendored) {
            chart.errors.push({
              code: 'unsupported',
              severity: 'warning',
              message: `dependency '${dep.name}' (${dep.repository}) is not in charts/; \`helm template\` needs \`helm dependency build\` first`,
              location,
            });
          }
        } else chart.errors.push({ code: 'missing-path', message: `dependency '${dep.name}': ${dep.repository} has no Chart.yaml (${local})`, location });
      } else if (dep.repository) {
        chart.remote.push(`${dep.repository} ${dep.name}${dep.version ? `@${dep.version}` : ''}`);
        if (!dep.vendored) {
          chart.errors.push({
            code: 'remote',
            severity: 'warning',
            message: `dependency '${dep.name}' comes from ${dep.repository} and is not in charts/; run \`helm dependency build\` before rendering`,
            location,
          });
        }
      }
      chart.dependencies.push(dep);
    });
  }
  return chart;
}

const ENV_VALUES_RE = /^values[-.]([A-Za-z0-9][A-Za-z0-9_-]*)\.ya?ml$/;

/** Per-environment values files of a chart folder: environment → files (absolute). */
export function environmentValueFiles(tree: FileTree, chartDir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (env: string, file: string) => {
    const l = out.get(env);
    if (l) l.push(file);
    else out.set(env, [file]);
  };
  for (const f of tree.filesIn(chartDir)) {
    const m = ENV_VALUES_RE.exec(f);
    if (m && m[1] !== 'schema') add(m[1], path.join(chartDir, f));
  }
  for (const f of tree.filesIn(path.join(chartDir, 'values'))) {
    const m = /^(.+)\.ya?ml$/.exec(f);
    if (m) add(m[1], path.join(chartDir, 'values', f));
  }
  for (const parent of ['env', 'envs', 'environments']) {
    const d = tree.dirs.get(path.join(chartDir, parent));
    for (const env of d?.dirs ?? []) {
      for (const name of ['values.yaml', 'values.yml']) {
        const f = path.join(chartDir, parent, env, name);
        if (tree.isFile(f)) add(env, f);
      }
    }
  }
  return out;
}

/** Every file that feeds a render of the chart: its own files and its local dependencies'. */
export function chartInputFiles(tree: FileTree, chart: ChartInfo, loadDep: (dir: string) => ChartInfo, exclude: ReadonlySet<string> = new Set()): string[] {
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = (c: ChartInfo) => {
    const real = tree.realpath(c.dir);
    if (seen.has(real)) return;
    seen.add(real);
    for (const f of tree.filesUnder(c.dir)) if (!exclude.has(f)) files.add(f);
    for (const d of c.dependencies) if (d.local) visit(loadDep(d.local));
  };
  visit(chart);
  return [...files].sort();
}

const valuesErrorCache = new WeakMap<FileTree, Map<string, RepoError[]>>();

/** YAML errors of a values file (with their ranges), as repository errors. Cached per file. */
export function valuesFileErrors(tree: FileTree, file: string): RepoError[] {
  let cache = valuesErrorCache.get(tree);
  if (!cache) valuesErrorCache.set(tree, (cache = new Map()));
  let errs = cache.get(file);
  if (!errs) {
    errs = computeValuesFileErrors(tree, file);
    cache.set(file, errs);
  }
  return errs;
}

function computeValuesFileErrors(tree: FileTree, file: string): RepoError[] {
  const r = tree.read(file);
  if (r.error) return r.error.code === 'unreadable' && !tree.isFile(file) ? [] : [r.error];
  const yf = new YamlFile(file, r.text);
  const errs: RepoError[] = yf.needsFullParse
    ? yf.errors.map((e) => ({ code: 'yaml', message: `${path.basename(file)}: ${e.message}`, location: { file, range: e.range } }))
    : [];
  const doc = yf.documents.find((d) => d.shape !== 'empty');
  if (doc && errs.length === 0 && !isRecord(doc.value)) {
    errs.push({ code: 'yaml', message: `${path.basename(file)}: values must be a mapping`, location: { file, range: doc.range } });
  }
  return errs;
}
