// Turning a folder named by an Argo CD Application or a Flux object into a render: a
// kustomization (kustomize), a chart (helm) or a folder of manifests (plain).
import * as path from 'node:path';
import { chartInputFiles, environmentValueFiles, valuesFileErrors } from './helm';
import type { DiscoveryContext } from './context';
import type { FileTree } from './file-tree';
import type { ArgumentOrigins, RenderSpec, RepoError, ValueOrigin } from './model';
import type { SourceLocation } from '../manifest/range';

export interface HelmOptions {
  releaseName: string;
  namespace?: string;
  valueFiles: string[];
  values?: Record<string, unknown>;
  set?: Record<string, string>;
  kubeVersion?: string;
  apiVersions?: string[];
  /** `--include-crds` / `--skip-tests` (Argo CD: CRDs unless `skipCrds`; tests skipped on `skipTests`). */
  includeCrds?: boolean;
  skipTests?: boolean;
  /** Where the repository wrote these values (the renderer's findings point there). */
  origins?: Omit<ArgumentOrigins, 'root' | 'chartDir' | 'dir'>;
}

/**
 * Whether a path stays inside the repository, by path and by real path (a symbolic link out of it
 * does not). Files outside are never read by discovery; the renderer refuses them at their line.
 */
export function insideRepository(tree: FileTree, p: string): boolean {
  const within = (root: string, q: string) => {
    const rel = path.relative(root, q);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  return within(tree.root, p) && within(tree.realpath(tree.root), tree.realpath(p));
}

export interface SourceRender {
  renderer: RenderSpec;
  sourcePaths: string[];
  errors: RepoError[];
  remote: string[];
  /** Real path of the kustomization or chart folder rendered. */
  claims?: string;
  kind: 'kustomize' | 'helm' | 'plain' | 'missing';
  /** For charts: the environment whose values file (values-<env>.yaml…) the render uses, if exactly one. */
  valuesEnvironment?: string;
}

export function renderFolder(
  ctx: DiscoveryContext,
  dir: string,
  opts: {
    helm: () => HelmOptions;
    recurse?: boolean;
    include?: string;
    exclude?: string;
    location?: () => SourceLocation;
    what: string;
    /** Where the folder's path was written (an Argo CD source path, a Flux path or chart). */
    dirOrigin?: ValueOrigin;
  },
): SourceRender {
  const { tree } = ctx;
  if (!tree.isDir(dir)) {
    return {
      kind: 'missing',
      renderer: { kind: 'unsupported', reason: `${opts.what}: path ${tree.rel(dir)} does not exist in this repository` },
      sourcePaths: [],
      errors: [{ code: 'missing-path', message: `${opts.what}: path '${tree.rel(dir)}' does not exist in this repository`, location: opts.location?.() }],
      remote: [],
    };
  }
  if (ctx.hasKustomization(dir)) {
    const c = ctx.closure(dir)!;
    const origins: ArgumentOrigins = { root: tree.root, ...(opts.dirOrigin ? { dir: opts.dirOrigin } : {}) };
    return { kind: 'kustomize', renderer: { kind: 'kustomize', dir, origins }, sourcePaths: c.files, errors: [...c.errors], remote: [...c.remote], claims: tree.realpath(dir) };
  }
  if (ctx.hasChart(dir)) {
    const chart = ctx.chart(dir);
    const h = opts.helm();
    const errors: RepoError[] = [...chart.errors];
    const readable = h.valueFiles.filter((f) => insideRepository(tree, f));
    for (const f of readable) {
      if (!tree.isFile(f)) errors.push({ code: 'missing-path', message: `${opts.what}: values file '${path.relative(dir, f)}' does not exist`, location: opts.location?.() });
    }
    // Other environments' values files do not feed this render.
    const envFiles = environmentValueFiles(tree, dir);
    const used = new Set(h.valueFiles);
    const exclude = new Set([...envFiles.values()].flat().filter((f) => !used.has(f)));
    const usedEnvs = [...envFiles].filter(([, files]) => files.some((f) => used.has(f))).map(([env]) => env);
    const inputs = new Set(chartInputFiles(tree, chart, (d) => ctx.chart(d), exclude));
    for (const f of readable) if (tree.isFile(f)) inputs.add(f);
    for (const f of readable) if (tree.isFile(f)) errors.push(...valuesFileErrors(tree, f));
    const renderer: RenderSpec = { kind: 'helm', chartDir: dir, releaseName: h.releaseName, valueFiles: h.valueFiles };
    if (h.namespace) renderer.namespace = h.namespace;
    if (h.values && Object.keys(h.values).length) renderer.values = h.values;
    if (h.set && Object.keys(h.set).length) renderer.set = h.set;
    if (h.kubeVersion !== undefined) renderer.kubeVersion = h.kubeVersion;
    if (h.apiVersions?.length) renderer.apiVersions = h.apiVersions;
    if (h.includeCrds) renderer.includeCrds = true;
    if (h.skipTests) renderer.skipTests = true;
    renderer.origins = { root: tree.root, ...(opts.dirOrigin ? { chartDir: opts.dirOrigin } : {}), ...h.origins };
    return {
      kind: 'helm',
      renderer,
      sourcePaths: [...inputs].sort(),
      errors,
      remote: [...chart.remote],
      claims: tree.realpath(dir),
      valuesEnvironment: usedEnvs.length === 1 ? usedEnvs[0] : undefined,
    };
  }
  const { files, skipped } = ctx.yamlFilesIn(dir, { recurse: opts.recurse, include: opts.include, exclude: opts.exclude });
  const errors: RepoError[] = skipped.map((s) => ({
    code: 'unsupported',
    severity: 'warning' as const,
    message: `${opts.what}: sub-folder '${tree.rel(s)}' is a kustomization or chart of its own; the local render of '${tree.rel(dir)}' does not include it`,
    location: opts.location?.(),
  }));
  for (const f of files) {
    const r = tree.read(f);
    if (r.error) errors.push(r.error);
  }
  return { kind: 'plain', renderer: { kind: 'plain', files }, sourcePaths: files, errors, remote: [] };
}
