// Flux: Kustomizations (kustomize.toolkit.fluxcd.io — not kustomize's own kustomization.yaml)
// and HelmReleases (helm.toolkit.fluxcd.io), with their sources and `valuesFrom` ConfigMaps.
// The `clusters/<name>/` layout names the cluster (and so the environment).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { matchesGlob } from '../util/glob';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { envsubst } from '../render/flux/envsubst';
import type { SourceLocation } from '../manifest/range';
import { deepMerge } from './argocd';
import { definitionLabel, isRecord, locateIn, str, type AppDraft, type Definition, type DiscoveryContext } from './context';
import { fluxClusterFromPath } from './environment-name';
import { renderFolder } from './sources';
import { helmChartChart, helmRepositoryChart, ociRepositoryChart } from '../remote/flux';
import { redact } from '../remote/redact';
import type { FluxBuild, FluxImage, FluxPatch, FluxPostRenderer, RemoteChartSpec, RemoteOciSpec, RepoError, ValueOrigin } from './model';

export const FLUX_KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io';
export const FLUX_HELM_GROUP = 'helm.toolkit.fluxcd.io';
export const FLUX_SOURCE_GROUP = 'source.toolkit.fluxcd.io';

export function isFluxKustomization(d: Definition): boolean {
  return d.id.group === FLUX_KUSTOMIZE_GROUP && d.id.kind === 'Kustomization';
}

export function isFluxHelmRelease(d: Definition): boolean {
  return d.id.group === FLUX_HELM_GROUP && d.id.kind === 'HelmRelease';
}

export const FLUX_EXTENSIONS_GROUP = 'source.extensions.fluxcd.io';

export function isFluxObject(d: Pick<Definition, 'id'>): boolean {
  return d.id.group.endsWith('.toolkit.fluxcd.io') || d.id.group === FLUX_EXTENSIONS_GROUP;
}

const locOf = locateIn;

const sourceIndex = new WeakMap<Definition[], Map<string, Definition[]>>();

/**
 * The source a reference names. Each cluster's folder often has its own source of the same kind, name
 * and namespace (clusters/staging and clusters/production each with a `flux-system` GitRepository):
 * the one nearest the referencing object wins — the same file, then the deepest shared folder.
 */
function findSource(defs: Definition[], kind: string, name: string, namespace: string | undefined, near?: string): Definition | undefined {
  let index = sourceIndex.get(defs);
  if (!index) {
    index = new Map();
    for (const d of defs) {
      if (d.id.group !== FLUX_SOURCE_GROUP) continue;
      const k = `${d.id.kind}/${d.id.namespace ?? 'default'}/${d.id.name}`;
      const list = index.get(k);
      if (list) list.push(d);
      else index.set(k, [d]);
    }
    sourceIndex.set(defs, index);
  }
  const all = index.get(`${kind}/${namespace ?? 'default'}/${name}`);
  if (!all || all.length === 1 || !near) return all?.[0];
  const distance = (f: string) => (f === near ? -1 : path.relative(path.dirname(near), path.dirname(f)).split(path.sep).filter((x) => x === '..').length);
  return [...all].sort((a, b) => distance(a.file) - distance(b.file))[0];
}

export function fluxDrafts(ctx: DiscoveryContext, defs: Definition[]): AppDraft[] {
  const drafts: AppDraft[] = [];
  const { placed, by } = inTargetNamespaces(ctx, defs);
  for (const d of placed) {
    if (isFluxKustomization(d)) drafts.push(kustomizationDraft(ctx, placed, d));
    else if (isFluxHelmRelease(d)) drafts.push(helmReleaseDraft(ctx, placed, d, by.get(d)));
  }
  return drafts;
}

/**
 * Flux objects as the cluster has them. A Kustomization's `targetNamespace` is the namespace of every
 * object it applies (kustomize's namespace transformer), so a HelmRelease, Kustomization or source in
 * its files is in that namespace whatever its own metadata says; and its postBuild substitution runs
 * over them too (a HelmRelease's `${cluster_domain}` in values is the substituted value). Objects that
 * several Kustomizations apply differently keep their own. `by`: the Kustomization that placed each.
 */
function inTargetNamespaces(ctx: DiscoveryContext, defs: Definition[]): { placed: Definition[]; by: Map<Definition, Definition> } {
  interface Parent {
    by: Definition;
    ns?: string;
    post?: { vars: Record<string, string>; unknown: string[] };
  }
  const targets = new Map<string, Parent[]>();
  for (const d of defs) {
    if (!isFluxKustomization(d)) continue;
    const spec = isRecord(d.value.spec) ? d.value.spec : {};
    const ns = str(spec.targetNamespace);
    const post = isRecord(spec.postBuild) ? postBuildVars(ctx, d, spec.postBuild, definitionLabel(d), []).build : undefined;
    const substitutes = !!post && (Object.keys(post.vars).length > 0 || post.unknown.length > 0);
    const ref = isRecord(spec.sourceRef) ? spec.sourceRef : {};
    if ((!ns && !substitutes) || (str(ref.kind) ?? 'GitRepository') !== 'GitRepository') continue;
    const src = findSource(defs, 'GitRepository', str(ref.name) ?? '', str(ref.namespace) ?? d.id.namespace, d.file);
    const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
    if (url && ctx.isThisRepo(url) === false) continue;
    if (src && otherRevision(ctx.tree.root, isRecord(src.value.spec) && isRecord(src.value.spec.ref) ? src.value.spec.ref : {})) continue;
    const dir = path.resolve(ctx.tree.root, str(spec.path) ?? '.');
    if (!ctx.tree.isDir(dir)) continue;
    let files: string[] = [];
    if (ctx.hasKustomization(dir)) files = ctx.closure(dir)?.files ?? [];
    else {
      const g = generatedResources(ctx, dir);
      files = [...g.files, ...g.dirs.flatMap((x) => ctx.closure(x)?.files ?? [])];
    }
    const parent: Parent = { by: d, ...(ns ? { ns } : {}), ...(substitutes ? { post } : {}) };
    for (const f of files) {
      const l = targets.get(f);
      if (l) l.push(parent);
      else targets.set(f, [parent]);
    }
  }
  const by = new Map<Definition, Definition>();
  if (!targets.size) return { placed: defs, by };
  const placed = defs.map((d) => {
    const t = targets.get(d.file);
    if (!t || t.length !== 1 || d.id.group === FLUX_SOURCE_GROUP) return d;
    const p = t[0];
    let moved = d;
    if (p.ns && p.ns !== d.id.namespace) moved = { ...moved, id: { ...moved.id, namespace: p.ns } };
    if (p.post && (isFluxHelmRelease(d) || isFluxKustomization(d))) {
      const value = substituted(d.value, p.post);
      if (value) moved = { ...moved, value };
    }
    if (moved !== d) by.set(moved, p.by);
    return moved;
  });
  return { placed, by };
}

/** A definition's value after its Kustomization's postBuild substitution (undefined: unchanged or opted out). */
function substituted(value: Record<string, unknown>, post: { vars: Record<string, string>; unknown: string[] }): Record<string, unknown> | undefined {
  const meta = isRecord(value.metadata) ? value.metadata : {};
  const off = (m: unknown) => isRecord(m) && m['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled';
  if (off(meta.labels) || off(meta.annotations)) return undefined;
  const text = stringifyYaml(value);
  try {
    const r = envsubst(text, (n) => (Object.prototype.hasOwnProperty.call(post.vars, n) ? post.vars[n] : post.unknown.length ? 'unknown' : undefined));
    if (r.text === text) return undefined;
    const parsed: unknown = parseYaml(r.text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined; // the render of the Kustomization reports a bad expression
  }
}

function baseDraft(ctx: DiscoveryContext, d: Definition): AppDraft {
  const cluster = fluxClusterFromPath(ctx.tree.rel(d.file));
  return {
    name: d.id.name,
    sourceKind: 'flux',
    root: path.dirname(d.file),
    sourcePaths: [d.file],
    renderer: { kind: 'unsupported', reason: 'no source' },
    errors: [],
    remote: [],
    idBase: `flux:${ctx.tree.rel(d.file)}#${d.id.kind}/${d.id.namespace ?? ''}/${d.id.name}`,
    definedBy: d.location,
    envPaths: [d.file],
    clusterHint: cluster ? { name: cluster, source: 'flux' } : undefined,
  };
}

/** Resolves a sourceRef to "this repository" (or says why not). */
function sourceIsLocal(ctx: DiscoveryContext, defs: Definition[], owner: Definition, ref: Record<string, unknown>, draft: AppDraft, loc: () => SourceLocation): boolean {
  const kind = str(ref.kind) ?? 'GitRepository';
  const name = str(ref.name) ?? '';
  const ns = str(ref.namespace) ?? owner.id.namespace;
  const label = definitionLabel(owner);
  if (kind === 'GitRepository') {
    const src = findSource(defs, kind, name, ns, owner.file);
    const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
    if (url && ctx.isThisRepo(url) === false) {
      draft.remote.push(url);
      draft.renderer = { kind: 'unsupported', reason: `${label}: source GitRepository ${name} (${url}) is another repository` };
      draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: source ${url} is not this repository; not rendered locally`, location: loc() });
      return false;
    }
    return true;
  }
  if (kind === 'Bucket') return true;
  const src = findSource(defs, kind, name, ns, owner.file);
  const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
  draft.remote.push(url ?? `${kind}/${name}`);
  draft.renderer = { kind: 'unsupported', reason: `${label}: source ${kind} ${name}${url ? ` (${url})` : ''} is fetched by Flux; rendering it needs network` };
  draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: source ${kind} ${name}${url ? ` (${url})` : ''} is not in this repository; not rendered locally`, location: loc() });
  return false;
}

/**
 * A GitRepository source that is another repository, with the revision source-controller checks out
 * (`ref.commit`, else `ref.name`, `ref.semver`, `ref.tag`, `ref.branch`; `master` when no ref is given,
 * as its API says). undefined when it is this repository, unknown, or not a GitRepository.
 */
function otherGitRepository(ctx: DiscoveryContext, defs: Definition[], owner: Definition, ref: Record<string, unknown>): { url: string; revision: string } | undefined {
  if ((str(ref.kind) ?? 'GitRepository') !== 'GitRepository') return undefined;
  const src = findSource(defs, 'GitRepository', str(ref.name) ?? '', str(ref.namespace) ?? owner.id.namespace, owner.file);
  const spec = src && isRecord(src.value.spec) ? src.value.spec : undefined;
  const url = spec ? str(spec.url) : undefined;
  if (!url || ctx.isThisRepo(url) !== false) return undefined;
  const r = isRecord(spec!.ref) ? spec!.ref : {};
  // gitrepositories.md: commit, then name, then semver (the highest matching tag), then tag, then branch.
  const revision = str(r.commit) ?? str(r.name) ?? str(r.semver) ?? str(r.tag) ?? str(r.branch) ?? 'master';
  return { url, revision };
}

/** The OCIRepository a Kustomization's sourceRef names (found in this repository), as the remote pull reads it. */
function ociRepositoryOf(defs: Definition[], owner: Definition, ref: Record<string, unknown>): (Omit<RemoteOciSpec, 'path' | 'root' | 'kustomize'> & { file: string }) | undefined {
  if (str(ref.kind) !== 'OCIRepository') return undefined;
  const ns = str(ref.namespace) ?? owner.id.namespace ?? 'default';
  // Each cluster's folder often has its own source of the same name: the one nearest the Kustomization (same file, then the deepest shared folder).
  const near = (f: string) => (f === owner.file ? Infinity : path.relative(path.dirname(owner.file), path.dirname(f)).split(path.sep).filter((x) => x === '..').length * -1);
  const src = defs
    .filter((x) => x.id.group === FLUX_SOURCE_GROUP && x.id.kind === 'OCIRepository' && x.id.name === (str(ref.name) ?? '') && (x.id.namespace ?? 'default') === ns)
    .sort((a, b) => near(b.file) - near(a.file))[0];
  const spec = src && isRecord(src.value.spec) ? src.value.spec : undefined;
  const url = spec ? str(spec.url) : undefined;
  if (!src || !spec || !url) return undefined;
  const r = isRecord(spec.ref) ? spec.ref : {};
  const refOut = { ...(str(r.tag) ? { tag: str(r.tag) } : {}), ...(str(r.semver) ? { semver: str(r.semver) } : {}), ...(str(r.semverFilter) ? { semverFilter: str(r.semverFilter) } : {}), ...(str(r.digest) ? { digest: str(r.digest) } : {}) };
  const ls = isRecord(spec.layerSelector) ? spec.layerSelector : undefined;
  return {
    url,
    ...(Object.keys(refOut).length ? { ref: refOut } : {}),
    ...(ls ? { layerSelector: { ...(str(ls.mediaType) ? { mediaType: str(ls.mediaType) } : {}), ...(str(ls.operation) ? { operation: str(ls.operation) } : {}) } } : {}),
    ...(spec.insecure === true ? { insecure: true } : {}),
    file: src.file,
  };
}

function kustomizationDraft(ctx: DiscoveryContext, defs: Definition[], d: Definition): AppDraft {
  const draft = baseDraft(ctx, d);
  const spec = isRecord(d.value.spec) ? d.value.spec : {};
  const label = definitionLabel(d);
  const ref = isRecord(spec.sourceRef) ? spec.sourceRef : {};
  draft.namespace = str(spec.targetNamespace);
  draft.dependsOn = dependsOnOf(d, spec);
  const elsewhere = sourceElsewhere(ctx, defs, d, ref, label, draft, () => locOf(d, ['spec', 'sourceRef']));
  const other = elsewhere ? undefined : otherGitRepository(ctx, defs, d, ref);
  if (other) {
    // Another Git repository: cloned with the user's git when rendered (src/core/remote/git.ts) and built
    // as kustomize-controller builds the path (a kustomization generated when there is none).
    const fields = fluxFields(ctx, d, spec, label, draft.errors);
    draft.renderer = {
      kind: 'unsupported',
      reason: `${label}: source GitRepository ${str(ref.name) ?? ''} (${redact(other.url)}) is another repository; it is cloned when rendered`,
      remoteGit: { url: other.url, revision: other.revision, path: str(spec.path) ?? '.', root: ctx.tree.root, kustomize: { ...fields.build, label }, flux: true },
    };
    draft.sourcePaths = [...new Set([d.file, ...fields.inputs])].sort();
    return draft;
  }
  const oci = elsewhere ? undefined : ociRepositoryOf(defs, d, ref);
  if (oci) {
    // An OCIRepository artifact (flux push artifact): pulled when rendered (src/core/remote/oci-artifact.ts)
    // and its path built as kustomize-controller builds it.
    const fields = fluxFields(ctx, d, spec, label, draft.errors);
    draft.remote.push(oci.url);
    draft.renderer = {
      kind: 'unsupported',
      reason: `${label}: source OCIRepository ${str(ref.name) ?? ''} (${redact(oci.url)}) is an artifact in a registry; it is pulled when rendered`,
      remoteOci: { ...oci, path: str(spec.path) ?? '.', root: ctx.tree.root, kustomize: { ...fields.build, label } },
    };
    draft.sourcePaths = [...new Set([d.file, ...fields.inputs, oci.file])].sort();
    return draft;
  }
  if (!elsewhere && !sourceIsLocal(ctx, defs, d, ref, draft, () => locOf(d, ['spec', 'sourceRef']))) return draft;
  const dir = path.resolve(ctx.tree.root, str(spec.path) ?? '.');
  const dirOrigin = str(spec.path) !== undefined ? originIn(d, ['spec', 'path'], str(spec.path)) : undefined;
  const fields = fluxFields(ctx, d, spec, label, draft.errors);
  if (elsewhere) {
    // Not the working tree: the files are read at render time (git at that revision, or the
    // generator's copy rules), so whether the path exists is said by the render, not here.
    const build: FluxBuild = { root: ctx.tree.root, files: elsewhere.files, ...fields.build, label, ...(elsewhere.revision ? { revision: elsewhere.revision } : {}), ...(elsewhere.artifact ? { artifact: elsewhere.artifact } : {}) };
    draft.renderer = { kind: 'kustomize', dir, origins: { root: ctx.tree.root, ...(dirOrigin ? { dir: dirOrigin } : {}) }, flux: build };
    draft.sourcePaths = [...new Set([d.file, ...elsewhere.inputs, ...fields.inputs])].sort();
    draft.envPaths = [d.file];
    // the kustomizations an artifact copies are part of this render, not applications of their own
    const subs = elsewhere.files.filter((f) => KUSTOMIZATION_NAMES.includes(path.basename(f))).map((f) => ctx.tree.realpath(path.dirname(f)));
    if (subs.length) draft.subClaims = subs;
    return draft;
  }
  const hasKustomization = ctx.tree.isDir(dir) && ctx.hasKustomization(dir);
  const generated = ctx.tree.isDir(dir) && !hasKustomization ? generatedResources(ctx, dir) : undefined;
  // Flux builds every path with kustomize (generating a kustomization when there is none); a folder of
  // plain manifests with no Flux field to apply renders the same without it.
  const useFlux = ctx.tree.isDir(dir) && !ctx.hasChart(dir) && (fields.any || (generated !== undefined && generated.dirs.length > 0));
  if (useFlux) {
    const files = new Set<string>();
    const errors: RepoError[] = [];
    const remote: string[] = [];
    const addClosure = (k: string, component = false) => {
      const c = ctx.closure(k);
      if (!c) return;
      c.files.forEach((f) => files.add(f));
      // a component is included here, not built on its own
      errors.push(...(component ? c.errors.filter((e) => !(e.code === 'invalid-kustomization' && e.location?.file === c.root.file)) : c.errors));
      remote.push(...c.remote);
    };
    if (hasKustomization) addClosure(dir);
    for (const f of generated?.files ?? []) files.add(f);
    for (const sub of generated?.dirs ?? []) addClosure(sub);
    (fields.build.components ?? []).forEach((c, i) => {
      const cdir = path.resolve(dir, c);
      if (ctx.tree.isDir(cdir) && ctx.hasKustomization(cdir)) addClosure(cdir, true);
      else if (!fields.ignoreMissingComponents) errors.push({ code: 'missing-path', message: `${label}: component '${c}' is not a kustomization folder in this repository`, location: locOf(d, ['spec', 'components', i]) });
    });
    const build: FluxBuild = {
      root: ctx.tree.root,
      files: [...files].sort(),
      ...fields.build,
      label,
    };
    if (generated) build.generate = sortLikeFlux(dir, generated);
    draft.renderer = { kind: 'kustomize', dir, origins: { root: ctx.tree.root, ...(dirOrigin ? { dir: dirOrigin } : {}) }, flux: build };
    draft.root = dir;
    draft.sourcePaths = [...new Set([d.file, ...files, ...fields.inputs])].sort();
    draft.errors.push(...errors);
    draft.remote.push(...remote);
    draft.claims = hasKustomization ? ctx.tree.realpath(dir) : undefined;
    if (generated?.dirs.length) draft.subClaims = generated.dirs.map((x) => ctx.tree.realpath(x));
    draft.conventionDir = dir;
    draft.envPaths = [d.file, dir];
    if (!draft.namespace && hasKustomization) draft.namespace = ctx.closure(dir)?.nodes.find((n) => n.namespace)?.namespace;
    draft.childDefinitionsFrom = { files: new Set(files) };
    return draft;
  }
  const r = renderFolder(ctx, dir, {
    helm: () => ({ releaseName: d.id.name, valueFiles: [] }),
    recurse: true,
    location: () => locOf(d, ['spec', 'path']),
    what: label,
    ...(dirOrigin ? { dirOrigin } : {}),
  });
  draft.renderer = r.kind === 'helm' ? { kind: 'unsupported', reason: `${label}: path is a Helm chart; a Flux Kustomization does not render charts` } : r.renderer;
  draft.root = r.kind === 'missing' ? path.dirname(d.file) : dir;
  draft.sourcePaths = [...new Set([d.file, ...r.sourcePaths])].sort();
  draft.errors.push(...r.errors);
  draft.remote.push(...r.remote);
  draft.claims = r.kind === 'kustomize' ? r.claims : undefined;
  draft.conventionDir = dir;
  draft.envPaths = [d.file, dir];
  if (r.kind === 'kustomize' && !draft.namespace) draft.namespace = ctx.closure(dir)?.nodes.find((n) => n.namespace)?.namespace;
  draft.childDefinitionsFrom = { files: new Set(r.sourcePaths) };
  return draft;
}

interface Elsewhere {
  files: string[];
  /** Inputs of the cache key: the ref file that moves with the branch, or the copied files. */
  inputs: string[];
  revision?: { refs: string[]; label: string };
  artifact?: Array<{ from: string; to: string }>;
}

/** The branch checked out in the repository (from .git/HEAD), or its commit when detached. */
function checkedOut(root: string): { branch?: string; commit?: string } | undefined {
  try {
    const head = fs.readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim();
    const m = /^ref: refs\/heads\/(.+)$/.exec(head);
    return m ? { branch: m[1] } : /^[0-9a-f]{40}$/.test(head) ? { commit: head } : undefined;
  } catch {
    return undefined;
  }
}

/** Files that change when a branch or tag moves (loose ref, packed refs), for the render's cache key. */
function refFiles(root: string, refs: string[]): string[] {
  const out: string[] = [];
  for (const r of refs) {
    const f = path.join(root, '.git', ...r.split('/'));
    if (fs.existsSync(f)) out.push(f);
  }
  const packed = path.join(root, '.git', 'packed-refs');
  if (fs.existsSync(packed)) out.push(packed);
  return [...new Set(out)];
}

/**
 * A source that is this repository but not its working tree: a GitRepository at another branch, tag
 * or commit (read with git at render time), or an ExternalArtifact made by an ArtifactGenerator of
 * this repository's files (its copy rules). Undefined: the working tree (or not this repository).
 */
function sourceElsewhere(ctx: DiscoveryContext, defs: Definition[], owner: Definition, ref: Record<string, unknown>, label: string, draft: AppDraft, loc: () => SourceLocation): Elsewhere | undefined {
  const kind = str(ref.kind) ?? 'GitRepository';
  const name = str(ref.name) ?? '';
  const ns = str(ref.namespace) ?? owner.id.namespace;
  if (kind === 'GitRepository') {
    const src = findSource(defs, kind, name, ns, owner.file);
    const spec = src && isRecord(src.value.spec) ? src.value.spec : undefined;
    const url = spec ? str(spec.url) : undefined;
    if (!src || (url && ctx.isThisRepo(url) === false)) return undefined;
    const revision = otherRevision(ctx.tree.root, isRecord(spec?.ref) ? spec!.ref : {});
    if (!revision) return undefined;
    draft.errors.push({ code: 'revision', severity: 'info', message: `${label}: source GitRepository ${name} is ${revision.label}, not the checked-out one: rendered from that revision (git), not from the working tree`, location: loc() });
    return { files: [], inputs: refFiles(ctx.tree.root, revision.refs.filter((r) => r.startsWith('refs/'))), revision };
  }
  if (kind === 'ExternalArtifact') return artifactOf(ctx, defs, owner, name, ns, label, draft, loc);
  return undefined;
}

/** The GitRepository's ref when it is not what is checked out: revisions to try, in order. */
function otherRevision(root: string, ref: Record<string, unknown>): { refs: string[]; label: string } | undefined {
  const here = checkedOut(root);
  if (!here) return undefined; // no repository to read other revisions from: the working tree
  const commit = str(ref.commit);
  if (commit) return here.commit === commit ? undefined : { refs: [commit], label: `commit ${commit.slice(0, 12)}` };
  const tag = str(ref.tag);
  if (tag) return { refs: [`refs/tags/${tag}`], label: `tag ${tag}` };
  const named = str(ref.name);
  if (named) return { refs: [named], label: `ref ${named}` };
  const branch = str(ref.branch);
  if (branch && branch !== here.branch) return { refs: [`refs/heads/${branch}`, `refs/remotes/origin/${branch}`], label: `branch ${branch}` };
  return undefined;
}

/**
 * An ExternalArtifact from an ArtifactGenerator whose sources are this repository (working tree):
 * each copy rule `from: "@alias/<path or glob>"` → `to: "@artifact/<path>"`, later rules overwriting
 * earlier ones, `exclude` globs left out.
 */
function artifactOf(ctx: DiscoveryContext, defs: Definition[], owner: Definition, name: string, ns: string | undefined, label: string, draft: AppDraft, loc: () => SourceLocation): Elsewhere | undefined {
  for (const g of defs) {
    if (g.id.group !== FLUX_EXTENSIONS_GROUP || g.id.kind !== 'ArtifactGenerator' || (g.id.namespace ?? 'default') !== (ns ?? 'default')) continue;
    const spec = isRecord(g.value.spec) ? g.value.spec : {};
    const artifact = (Array.isArray(spec.artifacts) ? spec.artifacts : []).filter(isRecord).find((a) => a.name === name);
    if (!artifact) continue;
    const aliases = new Map<string, boolean>();
    for (const s of (Array.isArray(spec.sources) ? spec.sources : []).filter(isRecord)) {
      const alias = str(s.alias);
      if (!alias) continue;
      const kind = str(s.kind) ?? '';
      const src = kind === 'GitRepository' ? findSource(defs, kind, str(s.name) ?? '', str(s.namespace) ?? g.id.namespace, g.file) : undefined;
      const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
      const here = kind === 'GitRepository' && (!url || ctx.isThisRepo(url) !== false) && !(src && otherRevision(ctx.tree.root, isRecord((src.value.spec as Record<string, unknown>).ref) ? ((src.value.spec as Record<string, unknown>).ref as Record<string, unknown>) : {}));
      aliases.set(alias, here);
    }
    const mapping = new Map<string, string>(); // artifact path → repository file
    const inputs = new Set<string>();
    for (const c of (Array.isArray(artifact.copy) ? artifact.copy : []).filter(isRecord)) {
      const from = str(c.from) ?? '';
      const to = str(c.to) ?? '';
      const m = /^@([^/]+)\/?(.*)$/.exec(from);
      const t = /^@artifact\/?(.*)$/.exec(to);
      if (!m || !t || aliases.get(m[1]) !== true) {
        draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: ExternalArtifact ${name} copies '${from}' from a source that is not this repository's working tree; not rendered locally`, location: loc() });
        draft.renderer = { kind: 'unsupported', reason: `${label}: ExternalArtifact ${name} (ArtifactGenerator ${g.id.name}) uses a source that is not this repository` };
        return { files: [], inputs: [], artifact: [] };
      }
      const excludes = (Array.isArray(c.exclude) ? c.exclude : []).filter((x): x is string => typeof x === 'string');
      for (const [file, dest] of copyRule(ctx, m[2], t[1])) {
        const rel = ctx.tree.rel(file);
        if (excludes.some((x) => matchesGlob(rel, x) || matchesGlob(path.basename(rel), x))) continue;
        mapping.set(dest, file);
        inputs.add(file);
      }
    }
    draft.errors.push({ code: 'artifact', severity: 'info', message: `${label}: rendered from ExternalArtifact ${name}, as ArtifactGenerator ${g.id.name} copies this repository's files`, location: g.location });
    return { files: [...inputs].sort(), inputs: [g.file, ...inputs], artifact: [...mapping].map(([to, from]) => ({ from, to })).sort((a, b) => (a.to < b.to ? -1 : 1)) };
  }
  return undefined;
}

/** The files one copy rule takes, with their paths in the artifact (cp-like: a folder keeps its name unless its contents are globbed). */
function copyRule(ctx: DiscoveryContext, from: string, to: string): Array<[string, string]> {
  const { tree } = ctx;
  const toDir = to === '' || to.endsWith('/');
  const join = (...p: string[]) => path.posix.join(...p.filter(Boolean));
  const segs = from.split('/').filter(Boolean);
  const g = segs.findIndex((x) => /[*?[]/.test(x));
  if (g < 0) {
    const abs = path.resolve(tree.root, from || '.');
    if (tree.isFile(abs)) return [[abs, toDir ? join(to, path.basename(abs)) : to]];
    if (!tree.isDir(abs)) return [];
    const base = toDir && from !== '' ? join(to, path.basename(abs)) : to;
    return tree.filesUnder(abs).map((f) => [f, join(base, path.relative(abs, f).split(path.sep).join('/'))]);
  }
  const baseRel = segs.slice(0, g).join('/');
  const baseAbs = path.resolve(tree.root, baseRel || '.');
  const pattern = segs.slice(g).join('/');
  return tree
    .filesUnder(baseAbs)
    .map((f) => [f, path.relative(baseAbs, f).split(path.sep).join('/')] as const)
    .filter(([, rel]) => matchesGlob(rel, pattern))
    .map(([f, rel]) => [f, toDir ? join(to, rel) : to]);
}

/** `spec.dependsOn` as `namespace/name` (the object's own namespace when none is written). */
function dependsOnOf(d: Definition, spec: Record<string, unknown>): string[] | undefined {
  if (!Array.isArray(spec.dependsOn)) return undefined;
  const out = spec.dependsOn.filter(isRecord).map((x) => `${str(x.namespace) ?? d.id.namespace ?? 'default'}/${str(x.name) ?? ''}`).filter((x) => !x.endsWith('/'));
  return out.length ? out : undefined;
}

/**
 * The resources of the kustomization Flux generates for a path that has none: every `.yaml`/`.yml`
 * file below it, and each sub-folder that has a kustomization (not descended into).
 */
function generatedResources(ctx: DiscoveryContext, dir: string): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const visit = (x: string) => {
    const entry = ctx.tree.dirs.get(x);
    if (!entry) return;
    for (const f of entry.files) if (/\.ya?ml$/.test(f) && !IGNORED_BY_SOURCE.has(f)) files.push(path.join(x, f));
    for (const s of entry.dirs) {
      const sub = path.join(x, s);
      if (ctx.hasKustomization(sub)) dirs.push(sub);
      else visit(sub);
    }
  };
  visit(dir);
  return { files, dirs };
}

const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Files source-controller leaves out of an artifact by default (its .sourceignore defaults). */
const IGNORED_BY_SOURCE = new Set(['.sops.yaml', '.flux.yaml', '.goreleaser.yml', '.gitlab-ci.yml', '.travis.yml', 'appveyor.yml', '.drone.yml', 'cloudbuild.yaml', 'codeship-services.yml', 'codeship-steps.yml']);

/** Flux lists generated resources in the order of a lexical walk (Go's filepath.Walk). */
function sortLikeFlux(dir: string, g: { files: string[]; dirs: string[] }): string[] {
  return [...g.files, ...g.dirs]
    .map((f) => path.relative(dir, f).split(path.sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((f) => './' + f);
}

/** postBuild's variables: substituteFrom ConfigMaps of the repository in order, then `substitute`; Secrets (and ConfigMaps not in the repository) unknown. */
function postBuildVars(ctx: DiscoveryContext, d: Definition, post: Record<string, unknown>, label: string, errors: RepoError[]): { build: NonNullable<FluxBuild['postBuild']>; inputs: string[] } {
  const vars: Record<string, string> = {};
  const unknown: string[] = [];
  const inputs: string[] = [];
  (Array.isArray(post.substituteFrom) ? post.substituteFrom : []).forEach((ref, i) => {
    if (!isRecord(ref)) return;
    const kind = str(ref.kind) ?? '';
    const name = str(ref.name) ?? '';
    const optional = ref.optional === true;
    const loc = () => locOf(d, ['spec', 'postBuild', 'substituteFrom', i]);
    if (kind === 'Secret') {
      unknown.push(`Secret '${name}'`);
      errors.push({ code: 'unsupported', severity: 'info', message: `${label}: variables from Secret '${name}' are never read; their placeholders stay as written (unknown)`, location: loc() });
      return;
    }
    if (kind !== 'ConfigMap') return;
    const ns = d.id.namespace;
    const found = ctx.configMaps.filter((c) => c.id.name === name && (c.id.namespace === undefined || ns === undefined || c.id.namespace === ns));
    const pick = found.find((c) => path.dirname(c.file) === path.dirname(d.file)) ?? found[0];
    if (!pick) {
      if (!optional) {
        unknown.push(`ConfigMap '${name}' (not in this repository)`);
        errors.push({ code: 'missing-path', severity: 'warning', message: `${label}: substituteFrom ConfigMap '${name}' is not in this repository (it may exist only in the cluster); its variables are unknown`, location: loc() });
      }
      return;
    }
    inputs.push(pick.file);
    const data = isRecord(pick.value.data) ? pick.value.data : {};
    for (const [k, v] of Object.entries(data)) if (typeof v === 'string') vars[k] = v.split('\n').join('');
  });
  for (const [k, v] of Object.entries(stringMap(post.substitute) ?? {})) vars[k] = v.split('\n').join('');
  return { build: { vars, unknown }, inputs };
}

interface FluxFields {
  build: Omit<FluxBuild, 'root' | 'files' | 'generate' | 'label'>;
  /** Repository files the fields read (substituteFrom ConfigMaps). */
  inputs: string[];
  ignoreMissingComponents: boolean;
  /** Whether anything must be applied beyond a plain kustomize build. */
  any: boolean;
}

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
  return Object.keys(out).length ? out : undefined;
}

function patchOf(v: unknown): FluxPatch | undefined {
  if (!isRecord(v) || typeof v.patch !== 'string') return undefined;
  const t = isRecord(v.target) ? v.target : undefined;
  const target: NonNullable<FluxPatch['target']> = {};
  if (t) for (const k of ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const) if (str(t[k])) target[k] = t[k] as string;
  return t ? { patch: v.patch, target } : { patch: v.patch };
}

export function imagesOf(v: unknown): FluxImage[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: FluxImage[] = [];
  for (const i of v) {
    if (!isRecord(i) || !str(i.name)) continue;
    const img: FluxImage = { name: i.name as string };
    if (str(i.newName)) img.newName = i.newName as string;
    if (str(i.newTag)) img.newTag = i.newTag as string;
    if (str(i.digest)) img.digest = i.digest as string;
    out.push(img);
  }
  return out.length ? out : undefined;
}

export function patchesOf(v: unknown): FluxPatch[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v.map(patchOf).filter((p): p is FluxPatch => !!p);
  return out.length ? out : undefined;
}

/** The Flux Kustomization fields kustomize-controller applies to the build, and postBuild's variables. */
function fluxFields(ctx: DiscoveryContext, d: Definition, spec: Record<string, unknown>, label: string, errors: RepoError[]): FluxFields {
  const build: FluxFields['build'] = {};
  const inputs: string[] = [];
  if (typeof spec.targetNamespace === 'string') build.targetNamespace = spec.targetNamespace;
  if (typeof spec.namePrefix === 'string') build.namePrefix = spec.namePrefix;
  if (typeof spec.nameSuffix === 'string') build.nameSuffix = spec.nameSuffix;
  const patches = patchesOf(spec.patches);
  if (patches) build.patches = patches;
  if (Array.isArray(spec.patchesStrategicMerge) && spec.patchesStrategicMerge.length) build.patchesStrategicMerge = spec.patchesStrategicMerge;
  if (Array.isArray(spec.patchesJson6902)) {
    const j = spec.patchesJson6902.filter(isRecord).filter((p) => Array.isArray(p.patch)).map((p) => ({ target: patchOf({ patch: '', target: p.target })?.target, patch: p.patch as unknown[] }));
    if (j.length) build.patchesJson6902 = j;
  }
  const images = imagesOf(spec.images);
  if (images) build.images = images;
  if (Array.isArray(spec.components)) {
    const comps: string[] = [];
    spec.components.forEach((c, i) => {
      if (typeof c !== 'string') return;
      if (path.isAbsolute(c) || /^[a-z][a-z0-9+.-]*:\/\//i.test(c)) {
        errors.push({ code: 'invalid', message: `${label}: component path '${c}' must be local and relative`, location: locOf(d, ['spec', 'components', i]) });
        return;
      }
      comps.push(c);
    });
    if (comps.length) build.components = comps;
  }
  const cm = isRecord(spec.commonMetadata) ? spec.commonMetadata : undefined;
  if (cm) {
    const labels = stringMap(cm.labels);
    const annotations = stringMap(cm.annotations);
    if (labels || annotations) build.commonMetadata = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  }
  if (isRecord(spec.postBuild)) {
    const pb = postBuildVars(ctx, d, spec.postBuild, label, errors);
    build.postBuild = pb.build;
    inputs.push(...pb.inputs);
  }
  const any = Object.keys(build).length > 0;
  return { build, inputs, ignoreMissingComponents: spec.ignoreMissingComponents === true, any };
}

function helmReleaseDraft(ctx: DiscoveryContext, defs: Definition[], d: Definition, placedBy?: Definition): AppDraft {
  const { tree } = ctx;
  const draft = baseDraft(ctx, d);
  const spec = isRecord(d.value.spec) ? d.value.spec : {};
  const label = definitionLabel(d);
  const targetNamespace = str(spec.targetNamespace);
  const namespace = targetNamespace ?? d.id.namespace;
  draft.namespace = namespace;
  draft.dependsOn = dependsOnOf(d, spec);
  const releaseName = str(spec.releaseName) ?? (targetNamespace ? `${targetNamespace}-${d.id.name}` : d.id.name);
  if (spec.chartRef !== undefined) {
    const ref = isRecord(spec.chartRef) ? spec.chartRef : {};
    // The chart is pulled at render time with the user's helm (src/core/remote).
    const kind = str(ref.kind) ?? '';
    const sourceSpec = (k: string, n: string) => {
      const x = findSource(defs, k, n, str(ref.namespace) ?? d.id.namespace, d.file);
      return x && isRecord(x.value.spec) ? x.value.spec : undefined;
    };
    const found = kind === 'OCIRepository' ? ociRepositoryChart(sourceSpec(kind, str(ref.name) ?? '')) : kind === 'HelmChart' ? helmChartChart(sourceSpec(kind, str(ref.name) ?? ''), sourceSpec) : { ok: false as const, reason: `chartRef kind '${kind}' is not OCIRepository or HelmChart` };
    if (found.ok) return remoteHelmRelease(ctx, d, draft, found.remoteChart, placedBy);
    draft.renderer = { kind: 'unsupported', reason: `${label}: chartRef ${kind} ${str(ref.name) ?? ''}: ${found.reason}` };
    draft.remote.push(`${kind || 'chartRef'}/${str(ref.name) ?? ''}`);
    draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: chart comes from ${kind} ${str(ref.name)}: ${found.reason}; not rendered`, location: locOf(d, ['spec', 'chartRef']) });
    return draft;
  }
  const chartSpec = isRecord(spec.chart) && isRecord(spec.chart.spec) ? spec.chart.spec : undefined;
  if (!chartSpec || !str(chartSpec.chart)) {
    draft.renderer = { kind: 'unsupported', reason: `${label} has no spec.chart.spec.chart` };
    draft.errors.push({ code: 'invalid', message: `${label}: spec.chart.spec.chart is missing`, location: locOf(d, ['spec']) });
    return draft;
  }
  const chart = chartSpec.chart as string;
  const ref = isRecord(chartSpec.sourceRef) ? chartSpec.sourceRef : {};
  const refKind = str(ref.kind) ?? 'HelmRepository';
  if (refKind === 'HelmRepository' || refKind === 'OCIRepository') {
    const src = findSource(defs, refKind, str(ref.name) ?? '', str(ref.namespace) ?? d.id.namespace, d.file);
    const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
    // The chart is pulled at render time with the user's helm (src/core/remote); its valuesFiles are the chart's.
    const chartFiles = [chartSpec.valuesFile, ...(Array.isArray(chartSpec.valuesFiles) ? chartSpec.valuesFiles : [])].filter((f): f is string => typeof f === 'string');
    const found =
      refKind === 'HelmRepository'
        ? helmRepositoryChart(src && isRecord(src.value.spec) ? src.value.spec : undefined, chart, str(chartSpec.version), chartFiles, chartSpec.ignoreMissingValuesFiles === true)
        : { ok: false as const, reason: 'an OCIRepository chart is named with spec.chartRef, not spec.chart.spec.sourceRef' };
    if (found.ok) return remoteHelmRelease(ctx, d, draft, found.remoteChart, placedBy);
    draft.remote.push(`${url ?? `${refKind}/${str(ref.name) ?? ''}`} ${chart}${str(chartSpec.version) ? `@${chartSpec.version}` : ''}`);
    draft.renderer = { kind: 'unsupported', reason: `${label}: chart '${chart}' comes from ${refKind} ${str(ref.name) ?? ''}${url ? ` (${url})` : ''}: ${found.reason}` };
    draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: chart '${chart}' comes from ${url ?? `${refKind} ${str(ref.name)}`}: ${found.reason}; not rendered`, location: locOf(d, ['spec', 'chart']) });
    return draft;
  }
  const otherChart = refKind === 'GitRepository' ? otherGitRepository(ctx, defs, d, ref) : undefined;
  if (otherChart) {
    // A chart in another Git repository: cloned when rendered, then rendered with this release's values.
    const remote = remoteHelmRelease(ctx, d, draft, { repoURL: '', chart }, placedBy);
    const r = remote.renderer.kind === 'helm' ? remote.renderer : undefined;
    const chartFiles = [chartSpec.valuesFile, ...(Array.isArray(chartSpec.valuesFiles) ? chartSpec.valuesFiles : [])].filter((f): f is string => typeof f === 'string');
    draft.renderer = {
      kind: 'unsupported',
      reason: `${label}: chart '${chart}' is in GitRepository ${str(ref.name) ?? ''} (${redact(otherChart.url)}), another repository; it is cloned when rendered`,
      remoteGit: {
        url: otherChart.url,
        revision: otherChart.revision,
        path: chart,
        root: ctx.tree.root,
        helm: {
          releaseName: r?.releaseName ?? d.id.name,
          ...(r?.namespace ? { namespace: r.namespace } : {}),
          // Flux: valuesFiles are paths in the source (the repository root), not the chart
          ...(chartFiles.length ? { valueFiles: chartFiles.map((f) => path.relative(chart, f)) } : {}),
          ...(r?.values ? { values: r.values } : {}),
          ...(r?.includeCrds ? { includeCrds: true } : {}),
        },
      },
    };
    return draft;
  }
  if (!sourceIsLocal(ctx, defs, d, ref, draft, () => locOf(d, ['spec', 'chart', 'spec', 'sourceRef']))) return draft;
  const chartDir = path.resolve(tree.root, chart);
  const extraFiles: string[] = [];
  const valueFiles: string[] = [];
  const valueOrigins: ValueOrigin[] = [];
  if (typeof chartSpec.valuesFile === 'string') {
    valueFiles.push(path.resolve(tree.root, chartSpec.valuesFile));
    valueOrigins.push(originIn(d, ['spec', 'chart', 'spec', 'valuesFile'], chartSpec.valuesFile));
  }
  (Array.isArray(chartSpec.valuesFiles) ? chartSpec.valuesFiles : []).forEach((f, i) => {
    if (typeof f !== 'string') return;
    valueFiles.push(path.resolve(tree.root, f));
    valueOrigins.push(originIn(d, ['spec', 'chart', 'spec', 'valuesFiles', i], f));
  });
  // source-controller makes the chart's values from valuesFiles alone (its values.yaml only if listed):
  // the defaults the files do not set are removed (null deletes a default in helm).
  const values = releaseValues(ctx, d, spec, draft, extraFiles, valueFiles.length ? droppedDefaults(ctx, chartDir, valueFiles) : {});
  if (!ctx.hasChart(chartDir)) {
    draft.renderer = { kind: 'unsupported', reason: `${label}: chart path ${tree.rel(chartDir)} has no Chart.yaml` };
    draft.errors.push({ code: 'missing-path', message: `${label}: chart '${chart}' not found in this repository (${tree.rel(chartDir)} has no Chart.yaml)`, location: locOf(d, ['spec', 'chart', 'spec', 'chart']) });
    return draft;
  }
  // The default release name is `<targetNamespace>-<name>`: a bad one is blamed on the part that makes it bad.
  const releaseOrigin =
    str(spec.releaseName) !== undefined ? originIn(d, ['spec', 'releaseName'])
    : targetNamespace !== undefined && /^[a-z0-9][-a-z0-9.]*$/.test(d.id.name) ? originIn(d, ['spec', 'targetNamespace'])
    : originIn(d, ['metadata', 'name']);
  const r = renderFolder(ctx, chartDir, {
    helm: () => ({
      releaseName,
      namespace,
      valueFiles,
      values,
      origins: {
        releaseName: releaseOrigin,
        ...(namespace !== undefined
          ? { namespace: targetNamespace !== undefined ? originIn(d, ['spec', 'targetNamespace']) : placedBy ? originIn(placedBy, ['spec', 'targetNamespace']) : originIn(d, ['metadata', 'namespace']) }
          : {}),
        valueFiles: valueOrigins,
      },
    }),
    location: () => locOf(d, ['spec', 'chart']),
    what: label,
    dirOrigin: originIn(d, ['spec', 'chart', 'spec', 'chart'], chart),
  });
  if (r.renderer.kind === 'helm') {
    // helm-controller installs the chart's crds/ (install.crds: Create by default) unless told to skip
    // them on install and on upgrade; `helm template` prints them only when asked.
    if (crdPolicy(spec, 'install') !== 'Skip' || crdPolicy(spec, 'upgrade') !== 'Skip') r.renderer.includeCrds = true;
    const post = postRenderersOf(spec, label, draft.errors, () => locOf(d, ['spec', 'postRenderers']));
    if (post) r.renderer.postRenderers = post;
  }
  draft.renderer = r.renderer;
  draft.root = chartDir;
  draft.sourcePaths = [...new Set([d.file, ...r.sourcePaths, ...extraFiles])].sort();
  draft.errors.push(...r.errors);
  draft.remote.push(...r.remote);
  draft.claims = r.claims;
  if (r.valuesEnvironment) draft.env = r.valuesEnvironment;
  draft.envPaths = [d.file, chartDir, ...valueFiles];
  draft.conventionDir = path.dirname(d.file);
  return draft;
}

/**
 * A HelmRelease whose chart is remote (a HelmRepository, an OCIRepository or HelmChart chartRef): a helm
 * spec with `remoteChart`, pulled at render time (src/core/remote); values, release name, namespace,
 * CRDs and post-renderers as for a chart of this repository.
 */
function remoteHelmRelease(ctx: DiscoveryContext, d: Definition, draft: AppDraft, remoteChart: RemoteChartSpec, placedBy?: Definition): AppDraft {
  const spec = isRecord(d.value.spec) ? d.value.spec : {};
  const label = definitionLabel(d);
  const targetNamespace = str(spec.targetNamespace);
  const namespace = targetNamespace ?? d.id.namespace;
  const releaseName = str(spec.releaseName) ?? (targetNamespace ? `${targetNamespace}-${d.id.name}` : d.id.name);
  const extraFiles: string[] = [];
  const values = releaseValues(ctx, d, spec, draft, extraFiles, {});
  const releaseOrigin =
    str(spec.releaseName) !== undefined ? originIn(d, ['spec', 'releaseName'])
    : targetNamespace !== undefined && /^[a-z0-9][-a-z0-9.]*$/.test(d.id.name) ? originIn(d, ['spec', 'targetNamespace'])
    : originIn(d, ['metadata', 'name']);
  const renderer: Extract<AppDraft['renderer'], { kind: 'helm' }> = {
    kind: 'helm',
    chartDir: '',
    releaseName,
    valueFiles: [],
    ...(namespace ? { namespace } : {}),
    ...(Object.keys(values).length ? { values } : {}),
    origins: {
      root: ctx.tree.root,
      releaseName: releaseOrigin,
      ...(namespace !== undefined
        ? { namespace: targetNamespace !== undefined ? originIn(d, ['spec', 'targetNamespace']) : placedBy ? originIn(placedBy, ['spec', 'targetNamespace']) : originIn(d, ['metadata', 'namespace']) }
        : {}),
    },
    remoteChart,
  };
  if (crdPolicy(spec, 'install') !== 'Skip' || crdPolicy(spec, 'upgrade') !== 'Skip') renderer.includeCrds = true;
  const post = postRenderersOf(spec, label, draft.errors, () => locOf(d, ['spec', 'postRenderers']));
  if (post) renderer.postRenderers = post;
  draft.renderer = renderer;
  draft.sourcePaths = [...new Set([d.file, ...extraFiles])].sort();
  draft.envPaths = [d.file];
  draft.conventionDir = path.dirname(d.file);
  return draft;
}

/**
 * Nulls for the chart's default values that `chart.spec.valuesFiles` do not set, when its values.yaml
 * is not one of them: source-controller packages the chart with the merged valuesFiles as its values.
 */
function droppedDefaults(ctx: DiscoveryContext, chartDir: string, valueFiles: string[]): Record<string, unknown> {
  const own = path.join(chartDir, 'values.yaml');
  if (valueFiles.some((f) => path.resolve(f) === own)) return {};
  const read = (f: string): Record<string, unknown> => {
    const r = ctx.tree.isFile(f) ? ctx.tree.read(f) : undefined;
    try {
      const v: unknown = r?.text ? parseYaml(r.text) : undefined;
      return isRecord(v) ? v : {};
    } catch {
      return {};
    }
  };
  const defaults = read(own);
  const merged = valueFiles.map(read).reduce((a, b) => deepMerge(a, b), {} as Record<string, unknown>);
  const nulls = (dflt: Record<string, unknown>, set: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(dflt)) {
      if (!(k in set)) out[k] = null;
      else if (isRecord(v) && isRecord(set[k])) {
        const inner = nulls(v, set[k] as Record<string, unknown>);
        if (Object.keys(inner).length) out[k] = inner;
      }
    }
    return out;
  };
  return nulls(defaults, merged);
}

/** `spec.install.crds` / `spec.upgrade.crds` (Flux defaults: Create on install, Skip on upgrade). */
function crdPolicy(spec: Record<string, unknown>, step: 'install' | 'upgrade'): string {
  const v = isRecord(spec[step]) ? str((spec[step] as Record<string, unknown>).crds) : undefined;
  return v ?? (step === 'install' ? 'Create' : 'Skip');
}

/** `spec.postRenderers[].kustomize` patches and images, in order (helm-controller runs them after helm). */
function postRenderersOf(spec: Record<string, unknown>, label: string, errors: RepoError[], loc: () => SourceLocation): FluxPostRenderer[] | undefined {
  if (!Array.isArray(spec.postRenderers)) return undefined;
  const out: FluxPostRenderer[] = [];
  for (const pr of spec.postRenderers) {
    const k = isRecord(pr) && isRecord(pr.kustomize) ? pr.kustomize : undefined;
    if (!k) continue;
    const one: FluxPostRenderer = {};
    const patches = patchesOf(k.patches);
    const images = imagesOf(k.images);
    if (patches) one.patches = patches;
    if (images) one.images = images;
    if (k.patchesStrategicMerge !== undefined || k.patchesJson6902 !== undefined) {
      errors.push({ code: 'unsupported', severity: 'warning', message: `${label}: postRenderers' deprecated patchesStrategicMerge/patchesJson6902 are not applied by the local render; write them as patches`, location: loc() });
    }
    if (one.patches || one.images) out.push(one);
  }
  return out.length ? out : undefined;
}

function originIn(d: Definition, p: Array<string | number>, written?: string): ValueOrigin {
  return { file: d.file, docIndex: d.docIndex, path: p, ...(written !== undefined ? { written } : {}) };
}

/** Values from a ConfigMap named in `valuesFrom`, found in the repository (or a configMapGenerator). */
/**
 * A HelmRelease's values as helm-controller merges them: `base` (the chart's values as its valuesFiles
 * leave them), then each `valuesFrom` in order, then `spec.values`. The files read are added to `extraFiles`.
 */
function releaseValues(ctx: DiscoveryContext, d: Definition, spec: Record<string, unknown>, draft: AppDraft, extraFiles: string[], base: Record<string, unknown>): Record<string, unknown> {
  let values = base;
  if (Array.isArray(spec.valuesFrom)) {
    spec.valuesFrom.forEach((vf, i) => {
      if (!isRecord(vf)) return;
      const r = valuesFromSource(ctx, d, vf, () => locOf(d, ['spec', 'valuesFrom', i]), draft.errors);
      if (!r) return;
      extraFiles.push(r.file);
      values = deepMerge(values, r.values);
    });
  }
  if (isRecord(spec.values)) values = deepMerge(values, spec.values);
  return values;
}

function valuesFromSource(
  ctx: DiscoveryContext,
  owner: Definition,
  vf: Record<string, unknown>,
  lazyLoc: () => SourceLocation,
  errors: RepoError[],
): { values: Record<string, unknown>; file: string } | undefined {
  const kind = str(vf.kind) ?? 'ConfigMap';
  const name = str(vf.name) ?? '';
  const key = str(vf.valuesKey) ?? 'values.yaml';
  const optional = vf.optional === true;
  const label = definitionLabel(owner);
  let cachedLoc: SourceLocation | undefined;
  const loc = (): SourceLocation => (cachedLoc ??= lazyLoc());
  if (kind !== 'ConfigMap') {
    errors.push({
      code: 'unsupported',
      severity: optional ? 'info' : 'warning',
      message: `${label}: values from ${kind} '${name}' are never read (Secret values stay out of renders): they are unknown, and the render uses the other values`,
      location: loc(),
    });
    return undefined;
  }
  const ns = owner.id.namespace;
  const candidates = ctx.configMaps.filter((c) => c.id.name === name && (c.id.namespace === undefined || ns === undefined || c.id.namespace === ns));
  const ownerDir = path.dirname(owner.file);
  // Kustomizations that list the HelmRelease's file: their ConfigMaps and generators are "nearby".
  const nearNodes = [...ctx.kustomize.nodes.values()].filter((n) => n.files.includes(owner.file));
  const nearFiles = new Set(nearNodes.flatMap((n) => n.files));
  const pick =
    candidates.filter((c) => c.file === owner.file)[0] ??
    candidates.filter((c) => nearFiles.has(c.file))[0] ??
    candidates.filter((c) => path.dirname(c.file) === ownerDir)[0] ??
    (candidates.length === 1 ? candidates[0] : undefined);
  let text: string | undefined;
  let file: string | undefined;
  let where = '';
  if (pick) {
    const data = isRecord(pick.value.data) ? pick.value.data : {};
    file = pick.file;
    where = ctx.tree.rel(pick.file);
    if (typeof data[key] === 'string') text = data[key] as string;
    else {
      errors.push({ code: 'missing-path', message: `${label}: ConfigMap '${name}' (${where}) has no key '${key}'`, location: loc() });
      return undefined;
    }
  } else {
    const gens = [...ctx.kustomize.nodes.values()].flatMap((n) => n.generators.filter((g) => g.kind === 'ConfigMap' && g.name === name).map((g) => ({ g, n })));
    const gen = gens.find((x) => nearNodes.includes(x.n)) ?? (gens.length === 1 ? gens[0] : undefined);
    if (gen) {
      const f = gen.g.files.find((x) => x.key === key);
      const lit = gen.g.literals.find((l) => l.startsWith(key + '='));
      where = `configMapGenerator in ${ctx.tree.rel(gen.n.file)}`;
      if (f) {
        const r = ctx.tree.read(f.path);
        if (r.error) {
          errors.push({ ...r.error, location: r.error.location ?? loc() });
          return undefined;
        }
        text = r.text;
        file = f.path;
      } else if (lit) {
        text = lit.slice(key.length + 1);
        file = gen.n.file;
      } else {
        errors.push({ code: 'missing-path', message: `${label}: ${where} '${name}' has no key '${key}'`, location: loc() });
        return undefined;
      }
    } else if (candidates.length > 1 || gens.length > 1) {
      errors.push({ code: 'ambiguous', message: `${label}: ConfigMap '${name}' is defined ${candidates.length + gens.length} times in the repository and none next to the HelmRelease; values not used`, location: loc() });
      return undefined;
    }
  }
  if (text === undefined || file === undefined) {
    if (!optional) errors.push({ code: 'missing-path', message: `${label}: valuesFrom ConfigMap '${name}' is not in this repository (it may exist only in the cluster); its values are not used`, location: loc(), severity: 'warning' });
    return undefined;
  }
  let parsed: unknown;
  if (str(vf.targetPath)) {
    parsed = setPath({}, (vf.targetPath as string).split('.'), text);
  } else {
    try {
      parsed = parseYaml(text);
    } catch (e) {
      errors.push({ code: 'yaml', message: `${label}: '${key}' of ConfigMap '${name}' (${where}) is not valid YAML: ${(e as Error).message}`, location: loc() });
      return undefined;
    }
  }
  if (parsed === null || parsed === undefined) return { values: {}, file };
  if (!isRecord(parsed)) {
    errors.push({ code: 'yaml', message: `${label}: '${key}' of ConfigMap '${name}' (${where}) is not a mapping of values`, location: loc() });
    return undefined;
  }
  return { values: parsed, file };
}

function setPath(obj: Record<string, unknown>, keys: string[], value: unknown): Record<string, unknown> {
  let cur = obj;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) cur[k] = value;
    else {
      if (!isRecord(cur[k])) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
  });
  return obj;
}
