// Flux: Kustomizations (kustomize.toolkit.fluxcd.io — not kustomize's own kustomization.yaml)
// and HelmReleases (helm.toolkit.fluxcd.io), with their sources and `valuesFrom` ConfigMaps.
// The `clusters/<name>/` layout names the cluster (and so the environment).
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SourceLocation } from '../manifest/range';
import { deepMerge } from './argocd';
import { definitionLabel, isRecord, locateIn, str, type AppDraft, type Definition, type DiscoveryContext } from './context';
import { fluxClusterFromPath } from './environment-name';
import { renderFolder } from './sources';
import type { RepoError, ValueOrigin } from './model';

export const FLUX_KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io';
export const FLUX_HELM_GROUP = 'helm.toolkit.fluxcd.io';
export const FLUX_SOURCE_GROUP = 'source.toolkit.fluxcd.io';

export function isFluxKustomization(d: Definition): boolean {
  return d.id.group === FLUX_KUSTOMIZE_GROUP && d.id.kind === 'Kustomization';
}

export function isFluxHelmRelease(d: Definition): boolean {
  return d.id.group === FLUX_HELM_GROUP && d.id.kind === 'HelmRelease';
}

export function isFluxObject(d: Pick<Definition, 'id'>): boolean {
  return d.id.group.endsWith('.toolkit.fluxcd.io');
}

const locOf = locateIn;

const sourceIndex = new WeakMap<Definition[], Map<string, Definition>>();

function findSource(defs: Definition[], kind: string, name: string, namespace: string | undefined): Definition | undefined {
  let index = sourceIndex.get(defs);
  if (!index) {
    index = new Map();
    for (const d of defs) {
      if (d.id.group !== FLUX_SOURCE_GROUP) continue;
      const k = `${d.id.kind}/${d.id.namespace ?? 'default'}/${d.id.name}`;
      if (!index.has(k)) index.set(k, d);
    }
    sourceIndex.set(defs, index);
  }
  return index.get(`${kind}/${namespace ?? 'default'}/${name}`);
}

export function fluxDrafts(ctx: DiscoveryContext, defs: Definition[]): AppDraft[] {
  const drafts: AppDraft[] = [];
  for (const d of defs) {
    if (isFluxKustomization(d)) drafts.push(kustomizationDraft(ctx, defs, d));
    else if (isFluxHelmRelease(d)) drafts.push(helmReleaseDraft(ctx, defs, d));
  }
  return drafts;
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
    const src = findSource(defs, kind, name, ns);
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
  const src = findSource(defs, kind, name, ns);
  const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
  draft.remote.push(url ?? `${kind}/${name}`);
  draft.renderer = { kind: 'unsupported', reason: `${label}: source ${kind} ${name}${url ? ` (${url})` : ''} is fetched by Flux; rendering it needs network` };
  draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: source ${kind} ${name}${url ? ` (${url})` : ''} is not in this repository; not rendered locally`, location: loc() });
  return false;
}

function kustomizationDraft(ctx: DiscoveryContext, defs: Definition[], d: Definition): AppDraft {
  const draft = baseDraft(ctx, d);
  const spec = isRecord(d.value.spec) ? d.value.spec : {};
  const label = definitionLabel(d);
  const ref = isRecord(spec.sourceRef) ? spec.sourceRef : {};
  draft.namespace = str(spec.targetNamespace);
  if (!sourceIsLocal(ctx, defs, d, ref, draft, () => locOf(d, ['spec', 'sourceRef']))) return draft;
  const dir = path.resolve(ctx.tree.root, str(spec.path) ?? '.');
  const r = renderFolder(ctx, dir, {
    helm: () => ({ releaseName: d.id.name, valueFiles: [] }),
    recurse: true,
    location: () => locOf(d, ['spec', 'path']),
    what: label,
    ...(str(spec.path) !== undefined ? { dirOrigin: originIn(d, ['spec', 'path'], str(spec.path)) } : {}),
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
  const post = isRecord(spec.postBuild) ? spec.postBuild : undefined;
  if (post && (post.substitute !== undefined || post.substituteFrom !== undefined)) {
    draft.errors.push({ code: 'unsupported', severity: 'warning', message: `${label}: postBuild variable substitution (\${var}) is not applied by the local render`, location: locOf(d, ['spec', 'postBuild']) });
  }
  if (spec.components !== undefined) {
    draft.errors.push({ code: 'unsupported', severity: 'warning', message: `${label}: spec.components are not applied by the local render`, location: locOf(d, ['spec', 'components']) });
  }
  return draft;
}

function helmReleaseDraft(ctx: DiscoveryContext, defs: Definition[], d: Definition): AppDraft {
  const { tree } = ctx;
  const draft = baseDraft(ctx, d);
  const spec = isRecord(d.value.spec) ? d.value.spec : {};
  const label = definitionLabel(d);
  const targetNamespace = str(spec.targetNamespace);
  const namespace = targetNamespace ?? d.id.namespace;
  draft.namespace = namespace;
  const releaseName = str(spec.releaseName) ?? (targetNamespace ? `${targetNamespace}-${d.id.name}` : d.id.name);
  if (spec.chartRef !== undefined) {
    const ref = isRecord(spec.chartRef) ? spec.chartRef : {};
    draft.renderer = { kind: 'unsupported', reason: `${label}: chartRef ${str(ref.kind) ?? ''} ${str(ref.name) ?? ''} is fetched by Flux; rendering it needs network` };
    draft.remote.push(`${str(ref.kind) ?? 'chartRef'}/${str(ref.name) ?? ''}`);
    draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: chart comes from ${str(ref.kind)} ${str(ref.name)}; not rendered locally`, location: locOf(d, ['spec', 'chartRef']) });
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
    const src = findSource(defs, refKind, str(ref.name) ?? '', str(ref.namespace) ?? d.id.namespace);
    const url = src && isRecord(src.value.spec) ? str(src.value.spec.url) : undefined;
    draft.remote.push(`${url ?? `${refKind}/${str(ref.name) ?? ''}`} ${chart}${str(chartSpec.version) ? `@${chartSpec.version}` : ''}`);
    draft.renderer = { kind: 'unsupported', reason: `${label}: chart '${chart}' comes from ${refKind} ${str(ref.name) ?? ''}${url ? ` (${url})` : ''}; rendering it needs network` };
    draft.errors.push({ code: 'remote', severity: 'info', message: `${label}: chart '${chart}' comes from ${url ?? `${refKind} ${str(ref.name)}`}; not rendered locally`, location: locOf(d, ['spec', 'chart']) });
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
  let values: Record<string, unknown> = {};
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
        ...(namespace !== undefined ? { namespace: originIn(d, targetNamespace !== undefined ? ['spec', 'targetNamespace'] : ['metadata', 'namespace']) } : {}),
        valueFiles: valueOrigins,
      },
    }),
    location: () => locOf(d, ['spec', 'chart']),
    what: label,
    dirOrigin: originIn(d, ['spec', 'chart', 'spec', 'chart'], chart),
  });
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

function originIn(d: Definition, p: Array<string | number>, written?: string): ValueOrigin {
  return { file: d.file, docIndex: d.docIndex, path: p, ...(written !== undefined ? { written } : {}) };
}

/** Values from a ConfigMap named in `valuesFrom`, found in the repository (or a configMapGenerator). */
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
      message: `${label}: values from ${kind} '${name}' are not read by discovery (secrets stay out of renders)`,
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
