// Kustomize: kustomization files and the graph of what they include. A node is one folder with a
// kustomization; edges are `resources`/`bases`/`components` (and transformer/generator folders).
// Overlays are the kustomizations nobody includes. Loops (between bases, or through symbolic
// links) are cut by visiting each real folder once, and reported as `cycle` errors.
import * as path from 'node:path';
import { parseManifests } from '../manifest/parse';
import { FILE_START, type SourceLocation } from '../manifest/range';
import { resourceIdOf, type ResourceId } from '../manifest/identity';
import type { FileTree } from './file-tree';
import type { RepoError } from './model';
import { YamlFile } from './yaml-file';
import { isRecord } from '../util/record';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

export type RefTarget = 'kustomization' | 'file' | 'remote' | 'missing' | 'not-a-kustomization' | 'outside-repository';

export interface KustomizeRef {
  field: string;
  entry: string;
  location: SourceLocation;
  target: RefTarget;
  /** Resolved absolute path (the folder for a kustomization). */
  path?: string;
}

export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface KustomizePatch {
  /** The patch document (file + document range), or the inline entry in the kustomization. */
  location: SourceLocation;
  /** Explicit `target` of the entry. */
  target?: PatchTarget;
  /** For strategic-merge patches: the object the patch names. */
  patchId?: ResourceId;
}

/** A patch as the kustomization lists it; resolvePatches() reads it (discovery does not need to). */
export interface KustomizePatchEntry {
  field: 'patches' | 'patchesStrategicMerge' | 'patchesJson6902';
  /** Where the entry is in the kustomization (path of keys). */
  entryPath: Array<string | number>;
  /** The patch file, for entries with a path. */
  file?: string;
  /** The patch text, for inline entries. */
  inline?: string;
  target?: PatchTarget;
}

export interface KustomizeGenerator {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  namespace?: string;
  behavior?: string;
  /** key → absolute file (from `files:`; `envs` files have key ''). */
  files: Array<{ key: string; path: string }>;
  literals: string[];
  location: SourceLocation;
  options?: { disableNameSuffixHash?: boolean };
}

export interface KustomizationNode {
  /** Folder as first referenced. */
  dir: string;
  /** Real path of the folder (graph key). */
  real: string;
  file: string;
  kind: 'Kustomization' | 'Component';
  namePrefix?: string;
  nameSuffix?: string;
  namespace?: string;
  refs: KustomizeRef[];
  /** Real folders of included kustomizations, in order. */
  children: Array<{ real: string; ref: KustomizeRef }>;
  /** The kustomization file and every file it names directly. */
  files: string[];
  resourceFiles: string[];
  patches: KustomizePatchEntry[];
  generators: KustomizeGenerator[];
  remote: string[];
  errors: RepoError[];
  value: Record<string, unknown>;
  /** The kustomization file's text, for locations. */
  yaml?: YamlFile;
  /** Set when the file is named like a kustomization but is another kind of object (e.g. a Flux Kustomization). */
  foreign?: string;
}

export interface KustomizeClosure {
  root: KustomizationNode;
  /** Every node reached, in depth-first order (the root first). */
  nodes: KustomizationNode[];
  /** Every input file, sorted and unique. */
  files: string[];
  errors: RepoError[];
  remote: string[];
}

const REMOTE_RE = /^(?:[a-z][a-z0-9+.-]*:\/\/|git::|git@|(?:github\.com|gitlab\.com|bitbucket\.org)[/:])/i;
const HOST_PATH_RE = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+\/[^/]+\/[^/]+/i;

/** True for what kustomize would fetch: URLs, `git::`, `git@`, `github.com/...`, `host.tld/org/repo…`. */
export function isRemoteRef(entry: string): boolean {
  return REMOTE_RE.test(entry) || HOST_PATH_RE.test(entry) || /[?&]ref=/.test(entry);
}

const kustomizationFileCache = new WeakMap<FileTree, Map<string, { file?: string; duplicates: string[] }>>();

export function kustomizationFileIn(tree: FileTree, dir: string): { file?: string; duplicates: string[] } {
  let cache = kustomizationFileCache.get(tree);
  if (!cache) kustomizationFileCache.set(tree, (cache = new Map()));
  let hit = cache.get(dir);
  if (!hit) {
    const names = tree.filesIn(dir);
    const present = KUSTOMIZATION_FILES.filter((n) => names.includes(n));
    hit = { file: present[0] ? path.join(dir, present[0]) : undefined, duplicates: present.slice(1).map((n) => path.join(dir, n)) };
    cache.set(dir, hit);
  }
  return hit;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export class KustomizeGraph {
  readonly nodes = new Map<string, KustomizationNode>();
  /** real folder → real folders of the kustomizations that include it. */
  readonly includedBy = new Map<string, Set<string>>();
  private readonly loading = new Set<string>();
  private readonly closures = new Map<string, KustomizeClosure>();

  /**
   * `confine`: references outside the tree's root (by name or through a link) are errors and are
   * not followed. Discovery confines to the repository; a graph built around one render's folder
   * (source maps, error locations, cache inputs) does not, since its bases lie outside that folder.
   */
  constructor(
    private readonly tree: FileTree,
    private readonly opts: { confine?: boolean } = {},
  ) {}

  /** Loads the kustomization in a folder (and, recursively, what it includes). */
  load(dir: string): KustomizationNode | undefined {
    const real = this.tree.realpath(dir);
    const hit = this.nodes.get(real);
    if (hit) return hit;
    if (this.loading.has(real)) return undefined;
    const { file, duplicates } = kustomizationFileIn(this.tree, dir);
    if (!file) return undefined;
    this.loading.add(real);
    try {
      const node = this.parse(dir, real, file);
      if (duplicates.length) {
        node.errors.push({
          code: 'invalid-kustomization',
          message: `more than one kustomization file in ${this.tree.rel(dir)}: ${[file, ...duplicates].map((f) => path.basename(f)).join(', ')}`,
          location: { file, range: FILE_START },
        });
      }
      this.nodes.set(real, node);
      for (const c of node.children) {
        let s = this.includedBy.get(c.real);
        if (!s) this.includedBy.set(c.real, (s = new Set()));
        s.add(real);
      }
      for (const c of node.children) if (!this.nodes.has(c.real)) this.load(c.ref.path!);
      return node;
    } finally {
      this.loading.delete(real);
    }
  }

  private parse(dir: string, real: string, file: string): KustomizationNode {
    const node: KustomizationNode = {
      dir, real, file, kind: 'Kustomization', refs: [], children: [], files: [file], resourceFiles: [],
      patches: [], generators: [], remote: [], errors: [], value: {},
    };
    const read = this.tree.read(file);
    if (read.error) {
      node.errors.push(read.error);
      return node;
    }
    const yf = new YamlFile(file, read.text);
    node.yaml = yf;
    for (const e of yf.needsFullParse ? yf.errors : []) {
      node.errors.push({ code: 'yaml', message: `${path.basename(file)}: ${e.message}`, location: { file, range: e.range } });
    }
    const doc = yf.documents.find((d) => d.shape !== 'empty');
    if (!doc) return node;
    if (!isRecord(doc.value)) {
      node.errors.push({ code: 'invalid-kustomization', message: `${path.basename(file)} is not a mapping`, location: { file, range: doc.range } });
      return node;
    }
    const k = doc.value;
    node.value = k;
    if (typeof k.apiVersion === 'string' && !k.apiVersion.startsWith('kustomize.config.k8s.io/')) {
      node.foreign = `${k.apiVersion} ${typeof k.kind === 'string' ? k.kind : ''}`.trim();
      node.errors.push({
        code: 'invalid-kustomization',
        message: `${path.basename(file)} holds a ${node.foreign}, not a kustomize kustomization (kustomize.config.k8s.io)`,
        location: { file, range: doc.range },
      });
      return node;
    }
    if (k.kind === 'Component') node.kind = 'Component';
    node.namePrefix = str(k.namePrefix);
    node.nameSuffix = str(k.nameSuffix);
    node.namespace = str(k.namespace);
    const loc = (p: Array<string | number>): SourceLocation => yf.locate(doc.index, p);
    const lazyLoc = (p: Array<string | number>): (() => SourceLocation) => {
      let cached: SourceLocation | undefined;
      return () => (cached ??= loc(p));
    };
    const list = (field: string): Array<{ v: unknown; i: number }> => {
      const v = k[field];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v)) {
        node.errors.push({ code: 'invalid-kustomization', message: `${field} must be a list`, location: loc([field]) });
        return [];
      }
      return v.map((x, i) => ({ v: x, i }));
    };

    // Folders or files that are resources (or kustomizations to include).
    for (const field of ['resources', 'bases', 'components']) {
      for (const { v, i } of list(field)) {
        const entry = str(v);
        if (entry === undefined) continue;
        this.addRef(node, field, entry, lazyLoc([field, i]), field === 'components' ? 'dir' : 'any');
      }
    }
    for (const field of ['generators', 'transformers', 'validators']) {
      for (const { v, i } of list(field)) {
        const entry = str(v);
        if (entry === undefined) continue; // inline plugin configurations
        if (entry.includes('\n')) continue;
        this.addRef(node, field, entry, lazyLoc([field, i]), 'any');
      }
    }
    for (const field of ['crds', 'configurations']) {
      for (const { v, i } of list(field)) {
        const entry = str(v);
        if (entry !== undefined) this.addRef(node, field, entry, lazyLoc([field, i]), 'file');
      }
    }
    if (isRecord(k.openapi) && typeof k.openapi.path === 'string') this.addRef(node, 'openapi', k.openapi.path, lazyLoc(['openapi', 'path']), 'file');
    for (const { v, i } of list('replacements')) {
      if (isRecord(v) && typeof v.path === 'string') this.addRef(node, 'replacements', v.path, lazyLoc(['replacements', i, 'path']), 'file');
    }

    // Patches (read later, by resolvePatches, when a render is mapped back to its sources).
    for (const field of ['patches', 'patchesJson6902'] as const) {
      for (const { v, i } of list(field)) {
        if (!isRecord(v)) continue;
        const target = isRecord(v.target) ? toTarget(v.target) : undefined;
        if (typeof v.path === 'string') {
          const ref = this.addRef(node, field, v.path, lazyLoc([field, i, 'path']), 'file');
          if (ref.target === 'file') node.patches.push({ field, entryPath: [field, i], file: ref.path, target });
        } else if (typeof v.patch === 'string') {
          node.patches.push({ field, entryPath: [field, i], inline: v.patch, target });
        }
      }
    }
    for (const { v, i } of list('patchesStrategicMerge')) {
      const entry = str(v);
      if (entry === undefined) continue;
      if (entry.includes('\n') || /^\s*(apiVersion|kind|metadata)\s*:/.test(entry)) {
        node.patches.push({ field: 'patchesStrategicMerge', entryPath: ['patchesStrategicMerge', i], inline: entry });
      } else {
        const ref = this.addRef(node, 'patchesStrategicMerge', entry, lazyLoc(['patchesStrategicMerge', i]), 'file');
        if (ref.target === 'file') node.patches.push({ field: 'patchesStrategicMerge', entryPath: ['patchesStrategicMerge', i], file: ref.path });
      }
    }

    // Generators.
    for (const kind of ['ConfigMap', 'Secret'] as const) {
      const field = kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
      for (const { v, i } of list(field)) {
        if (!isRecord(v)) continue;
        const gen: KustomizeGenerator = {
          kind, name: str(v.name) ?? '', namespace: str(v.namespace), behavior: str(v.behavior), files: [],
          literals: Array.isArray(v.literals) ? v.literals.filter((x): x is string => typeof x === 'string') : [],
          get location() {
            return genLoc();
          },
        };
        const genLoc = lazyLoc([field, i]);
        const opts = isRecord(v.options) ? v.options : isRecord(k.generatorOptions) ? k.generatorOptions : undefined;
        if (opts) gen.options = { disableNameSuffixHash: opts.disableNameSuffixHash === true };
        const files = Array.isArray(v.files) ? v.files : [];
        files.forEach((f, j) => {
          if (typeof f !== 'string') return;
          const eq = f.indexOf('=');
          const key = eq >= 0 ? f.slice(0, eq) : path.basename(f);
          const rel = eq >= 0 ? f.slice(eq + 1) : f;
          const ref = this.addRef(node, field, rel, lazyLoc([field, i, 'files', j]), 'file');
          if (ref.target === 'file') gen.files.push({ key, path: ref.path! });
        });
        const envs = [...(Array.isArray(v.envs) ? v.envs : []), ...(typeof v.env === 'string' ? [v.env] : [])];
        envs.forEach((f) => {
          if (typeof f !== 'string') return;
          const ref = this.addRef(node, field, f, lazyLoc([field, i]), 'file');
          if (ref.target === 'file') gen.files.push({ key: '', path: ref.path! });
        });
        node.generators.push(gen);
      }
    }

    if (k.helmCharts !== undefined || k.helmChartInflationGenerator !== undefined) {
      node.errors.push({
        code: 'unsupported',
        severity: 'warning',
        message: 'helmCharts in a kustomization need `kustomize build --enable-helm`, which Reconcile does not run (it fails with Helm 4); render the chart as a Helm application instead',
        location: loc([k.helmCharts !== undefined ? 'helmCharts' : 'helmChartInflationGenerator']),
      });
    }
    return node;
  }

  private addRef(node: KustomizationNode, field: string, entry: string, locate: () => SourceLocation, expect: 'any' | 'file' | 'dir'): KustomizeRef {
    const abs = path.resolve(node.dir, entry);
    const kind = this.tree.kind(abs);
    const ref: KustomizeRef = {
      field,
      entry,
      get location() {
        return locate();
      },
      target: 'missing',
      path: abs,
    };
    if (this.opts.confine && kind !== 'missing' && !this.insideRepository(abs)) {
      // A repository describes itself: what it names outside its folder (`../../../etc`, an
      // absolute path, a link that leads out) is neither read nor listed.
      ref.target = 'outside-repository';
      node.errors.push({
        code: 'outside-repository',
        message: `${field} entry '${entry}' points outside the repository (${this.tree.realpath(abs)}); not followed`,
        location: locate(),
      });
    } else if (kind === 'missing' && isRemoteRef(entry)) {
      ref.target = 'remote';
      ref.path = undefined;
      node.remote.push(entry);
    } else if (kind === 'dir' && expect !== 'file') {
      const { file } = kustomizationFileIn(this.tree, abs);
      if (file) {
        ref.target = 'kustomization';
        node.children.push({ real: this.tree.realpath(abs), ref });
      } else {
        ref.target = 'not-a-kustomization';
        node.errors.push({
          code: 'not-a-kustomization',
          message: `${field} entry '${entry}' is a folder without a kustomization.yaml`,
          location: locate(),
        });
      }
    } else if (kind === 'file' && expect !== 'dir') {
      ref.target = 'file';
      node.files.push(abs);
      if (field === 'resources' || field === 'crds') node.resourceFiles.push(abs);
    } else {
      node.errors.push({
        code: 'missing-path',
        message: `${field} entry '${entry}' not found: ${abs} ${kind === 'missing' ? 'does not exist' : `is not a ${expect === 'dir' ? 'folder' : 'file'}`}`,
        location: locate(),
      });
    }
    node.refs.push(ref);
    return ref;
  }

  /** Whether a path is inside the repository, by its name and (through links) by its real path. */
  private insideRepository(abs: string): boolean {
    if (!this.tree.isInside(abs)) return false;
    const real = this.tree.realpath(abs);
    const root = this.tree.realRoot || this.tree.root;
    return real === root || real.startsWith(root + path.sep);
  }

  /** The kustomization at a folder and everything it includes, with cycles reported. */
  closure(dir: string): KustomizeClosure | undefined {
    const root = this.load(dir);
    if (!root) return undefined;
    const hit = this.closures.get(root.real);
    if (hit) return hit;
    const c = this.computeClosure(root);
    this.closures.set(root.real, c);
    return c;
  }

  private computeClosure(root: KustomizationNode): KustomizeClosure {
    const nodes: KustomizationNode[] = [];
    const errors: RepoError[] = [];
    const done = new Set<string>();
    const stack: string[] = [];
    const visit = (n: KustomizationNode) => {
      done.add(n.real);
      stack.push(n.real);
      nodes.push(n);
      for (const c of n.children) {
        const i = stack.indexOf(c.real);
        if (i >= 0) {
          const loop = [...stack.slice(i), c.real].map((p) => this.tree.rel(p));
          errors.push({ code: 'cycle', message: `kustomizations include each other: ${loop.join(' → ')}`, location: c.ref.location });
          continue;
        }
        if (done.has(c.real)) continue;
        const child = this.nodes.get(c.real) ?? this.load(c.ref.path!);
        if (child) visit(child);
      }
      stack.pop();
    };
    visit(root);
    const files = new Set<string>();
    const remote: string[] = [];
    for (const n of nodes) {
      for (const f of n.files) files.add(f);
      for (const r of n.remote) if (!remote.includes(r)) remote.push(r);
      errors.push(...n.errors);
      if (n.real === root.real && n.kind === 'Component') {
        errors.push({ code: 'invalid-kustomization', message: 'a Component cannot be built on its own; include it from a kustomization', location: { file: n.file, range: FILE_START } });
      }
    }
    for (const r of remote) {
      errors.push({ code: 'remote', severity: 'info', message: `remote base '${r}' is not followed by discovery; rendering fetches it (needs network)`, location: nodes.flatMap((n) => n.refs).find((x) => x.entry === r)?.location });
    }
    return { root, nodes, files: [...files].sort(), errors: dedupeErrors(errors), remote };
  }

  /**
   * The overlays: kustomizations (not components) that no other kustomization includes. A group
   * of kustomizations that only include each other has no such member; its first member (by path)
   * stands for it, so its cycle is reported rather than lost.
   */
  roots(): KustomizationNode[] {
    const roots = [...this.nodes.values()].filter((n) => n.kind === 'Kustomization' && !n.foreign && !(this.includedBy.get(n.real)?.size)).sort(byPath);
    const reached = new Set<string>();
    for (const r of roots) for (const n of this.closure(r.dir)!.nodes) reached.add(n.real);
    for (const n of [...this.nodes.values()].sort(byPath)) {
      if (reached.has(n.real) || n.kind !== 'Kustomization' || n.foreign) continue;
      roots.push(n);
      for (const m of this.closure(n.dir)!.nodes) reached.add(m.real);
    }
    return roots;
  }
}

function byPath(a: KustomizationNode, b: KustomizationNode): number {
  return a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0;
}

function toTarget(t: Record<string, unknown>): PatchTarget {
  const out: PatchTarget = {};
  for (const k of ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const) {
    if (typeof t[k] === 'string') out[k] = t[k] as string;
  }
  return out;
}

/**
 * The patches of a kustomization with their locations (patch documents, or inline entries) and,
 * for strategic-merge patches, the object each one names. Reads and fully parses patch files.
 */
export function resolvePatches(tree: FileTree, node: KustomizationNode): KustomizePatch[] {
  const out: KustomizePatch[] = [];
  for (const p of node.patches) {
    const entryLoc = (): SourceLocation => node.yaml?.locate(node.yaml.documents.find((d) => d.shape !== 'empty')?.index ?? 0, p.entryPath) ?? { file: node.file, range: FILE_START };
    if (p.inline !== undefined) {
      out.push({ location: entryLoc(), target: p.target, patchId: inlinePatchId(p.inline) });
      continue;
    }
    if (!p.file) continue;
    const r = tree.read(p.file);
    if (r.error) {
      out.push({ location: { file: p.file, range: FILE_START }, target: p.target });
      continue;
    }
    const docs = parseManifests(r.text, { maxFileBytes: Number.MAX_SAFE_INTEGER }).documents.filter((d) => d.shape !== 'empty');
    if (docs.length === 0) out.push({ location: { file: p.file, range: FILE_START }, target: p.target });
    for (const d of docs) {
      // A JSON6902 patch is a list: it has no identity of its own, only its target.
      out.push({ location: { file: p.file, range: d.range }, target: p.target, patchId: d.id ?? resourceIdOf(d.value) });
    }
  }
  return out;
}

function inlinePatchId(text: string): ResourceId | undefined {
  const mf = parseManifests(text);
  const d = mf.documents.find((x) => x.shape === 'resource');
  return d?.id;
}

export function dedupeErrors(errors: RepoError[]): RepoError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.code}|${e.message}|${e.location?.file ?? ''}|${e.location?.range.start.line ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
