// What the discovery steps share: the file index, the kustomize graph, charts, the parsed
// Argo CD / Flux definitions, and drafts of applications before environments are assigned.
import * as path from 'node:path';
import type { ResourceId } from '../manifest/identity';
import type { SourceLocation } from '../manifest/range';
import { matchesGlob } from '../util/glob';
import { isYamlName, type FileTree } from './file-tree';
import { loadChart, type ChartInfo } from './helm';
import { KustomizeGraph, kustomizationFileIn, type KustomizeClosure } from './kustomize';
import type { RenderSpec, RepoError, SourceKind } from './model';
import type { YamlFile } from './yaml-file';
import { isRecord } from '../util/record';
export { isRecord };

/** A parsed object from the repository that discovery cares about (Argo CD, Flux, ConfigMap). */
export interface Definition {
  file: string;
  yaml: YamlFile;
  docIndex: number;
  id: ResourceId;
  value: Record<string, unknown>;
  /** The whole document. */
  location: SourceLocation;
}

/** Location of a node inside a definition (parses the file fully on first use). */
export function locateIn(d: Definition, p: Array<string | number>): SourceLocation {
  return d.yaml.locate(d.docIndex, p);
}

/** An application before its environment is known. */
export interface AppDraft {
  name: string;
  sourceKind: SourceKind;
  root: string;
  sourcePaths: string[];
  renderer: RenderSpec;
  errors: RepoError[];
  remote: string[];
  /** Base of the id (`argocd:argocd/shop-web-dev`); discovery makes it unique. */
  idBase: string;
  definedBy?: SourceLocation;
  namespace?: string;
  destination?: { server?: string; name?: string; namespace?: string };
  /** The environment, when the source decides it (e.g. a helm values file name). */
  env?: string;
  /** Files and folders matched, in order, against `.reconcile.yaml` environment paths. */
  envPaths: string[];
  /** Folder whose layout may tell the environment (`…/overlays/<env>`). */
  conventionDir?: string;
  /** A cluster name from Argo CD (destination.name) or Flux (clusters/<name>/). */
  clusterHint?: { name: string; source: 'argocd' | 'flux' };
  /** Real folder this draft renders (kustomization or chart), so other drafts of it can be dropped. */
  claims?: string;
  /** Folder whose definitions are this application's children (app of apps, Flux Kustomization). */
  childDefinitionsFrom?: { files: Set<string> };
  /** Filled when the draft becomes an application. */
  parentDraft?: AppDraft;
  /** Real folders of kustomizations this draft's render includes that are no base of its own (the
   *  sub-folders of a path Flux generates a kustomization for). */
  subClaims?: string[];
  /** Flux `spec.dependsOn` (`namespace/name`). */
  dependsOn?: string[];
  id?: string;
}

export class DiscoveryContext {
  readonly kustomize: KustomizeGraph;
  private readonly charts = new Map<string, ChartInfo>();
  private readonly closures = new Map<string, KustomizeClosure | undefined>();
  /** Argo CD and Flux objects (and ConfigMaps, for valuesFrom), by file. */
  readonly definitions: Definition[] = [];
  readonly configMaps: Definition[] = [];
  /** Errors that belong to no application. */
  readonly errors: RepoError[] = [];

  constructor(
    readonly tree: FileTree,
    readonly gitRemotes: string[],
  ) {
    this.kustomize = new KustomizeGraph(tree, { confine: true }); // the repository describes itself: nothing outside it is read
  }

  chart(dir: string): ChartInfo {
    let c = this.charts.get(dir);
    if (!c) this.charts.set(dir, (c = loadChart(this.tree, dir)));
    return c;
  }

  closure(dir: string): KustomizeClosure | undefined {
    const real = this.tree.realpath(dir);
    if (!this.closures.has(real)) this.closures.set(real, this.kustomize.closure(dir));
    return this.closures.get(real);
  }

  hasKustomization(dir: string): boolean {
    return kustomizationFileIn(this.tree, dir).file !== undefined;
  }

  hasChart(dir: string): boolean {
    return this.tree.isFile(path.join(dir, 'Chart.yaml'));
  }

  /**
   * YAML files of a folder that a plain render would apply: recursively when asked, skipping
   * hidden folders and sub-folders that are kustomizations or charts of their own.
   */
  yamlFilesIn(dir: string, opts: { recurse?: boolean; include?: string; exclude?: string } = {}): { files: string[]; skipped: string[] } {
    const files: string[] = [];
    const skipped: string[] = [];
    const visit = (d: string, top: boolean) => {
      const entry = this.tree.dirs.get(d);
      if (!entry) return;
      if (!top && (this.hasKustomization(d) || this.hasChart(d))) {
        skipped.push(d);
        return;
      }
      for (const f of entry.files) {
        if (!isYamlName(f) && !f.endsWith('.json')) continue;
        const rel = path.relative(dir, path.join(d, f)).split(path.sep).join('/');
        if (opts.include && !matchesGlob(rel, opts.include) && !matchesGlob(f, opts.include)) continue;
        if (opts.exclude && (matchesGlob(rel, opts.exclude) || matchesGlob(f, opts.exclude))) continue;
        files.push(path.join(d, f));
      }
      if (opts.recurse) for (const s of entry.dirs) visit(path.join(d, s), false);
    };
    visit(dir, true);
    return { files: files.sort(), skipped };
  }

  /** Does a repoURL name this repository? (unknown remote → assume yes when the path exists). */
  isThisRepo(repoURL: string | undefined): boolean | undefined {
    if (!repoURL) return undefined;
    if (this.gitRemotes.length === 0) return undefined;
    const n = normalizeRepoUrl(repoURL);
    return this.gitRemotes.some((r) => normalizeRepoUrl(r) === n);
  }
}

/** `git@github.com:org/repo.git`, `https://github.com/org/repo` → `github.com/org/repo`. */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().replace(/^git::/, '');
  u = u.replace(/^[a-z+]+:\/\//i, '').replace(/^[^@/]+@/, '');
  u = u.replace(/^([^/:]+):(?!\d)/, '$1/');
  u = u.replace(/\.git$/, '').replace(/\/+$/, '');
  return u.toLowerCase();
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function definitionLabel(d: Pick<Definition, 'id'>): string {
  return `${d.id.kind} ${d.id.namespace ? `${d.id.namespace}/` : ''}${d.id.name}`;
}
