// discover(): environments and applications of a folder, from kustomizations, Helm charts,
// Argo CD Applications/ApplicationSets, Flux Kustomizations/HelmReleases and plain manifest
// folders; no cluster, no network. See model.ts for what comes out.
//
// Steps: list the files once (FileTree) → load every kustomization into a graph → read YAML
// files outside charts, parsing only those that mention argoproj.io / toolkit.fluxcd.io →
// drafts of applications from each kind of source → drop drafts that an Argo CD/Flux draft
// renders too → environments (.reconcile.yaml paths, Flux cluster folders, folder layout, Argo CD
// destination, parent definitions) → merge identical renders → contexts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { matchesGlobOrParent } from '../util/glob';
import { insideRepository } from './sources';
import { argoDrafts, ARGO_GROUP } from './argocd';
import { CONFIG_FILE, parseRepoConfig } from './config';
import { DiscoveryContext, type AppDraft, type Definition } from './context';
import { environmentFromPath, isProductionName, matchContext } from './environment-name';
import { FileTree, isYamlName, yieldToEventLoop } from './file-tree';
import { fluxDrafts, isFluxHelmRelease, isFluxKustomization, isFluxObject } from './flux';
import { chartInputFiles, environmentValueFiles, valuesFileErrors } from './helm';
import { KUSTOMIZATION_FILES, dedupeErrors } from './kustomize';
import { YamlFile } from './yaml-file';
import { FILE_START, type SourceLocation } from '../manifest/range';
import {
  DEFAULT_ENVIRONMENT,
  type Application,
  type DiscoverOptions,
  type Environment,
  type RepoConfig,
  type RepoError,
  type RepoModel,
} from './model';

const YIELD_EVERY = 256;
const KUSTOMIZATION_NAMES = new Set<string>(KUSTOMIZATION_FILES);
/** Kinds that only describe other things (they are shown through what they define, not as manifests). */
const DEFINITION_GROUPS = [ARGO_GROUP];

export async function discover(root: string, opts: DiscoverOptions = {}): Promise<RepoModel> {
  const tree = FileTree.scan(root, { maxFileBytes: opts.maxFileBytes });
  await yieldToEventLoop();
  const modelErrors: RepoError[] = [...tree.errors];

  // .reconcile.yaml
  let config: RepoConfig | undefined;
  const configFile = path.join(tree.root, CONFIG_FILE);
  if (tree.isFile(configFile)) {
    const r = tree.read(configFile);
    if (r.error) modelErrors.push({ ...r.error, code: r.error.code === 'unreadable' ? 'config' : r.error.code });
    else {
      const parsed = parseRepoConfig(r.text, configFile);
      config = parsed.config;
      modelErrors.push(...parsed.errors);
    }
  }

  const ctx = new DiscoveryContext(tree, readGitRemotes(tree.root));

  // Kustomizations and charts, by file name alone.
  const chartDirs = new Set<string>();
  for (const [dir, entry] of tree.dirs) {
    if (entry.files.some((f) => KUSTOMIZATION_NAMES.has(f))) ctx.kustomize.load(dir);
    if (entry.files.includes('Chart.yaml')) chartDirs.add(dir);
  }
  const chartPrefixes = [...chartDirs].map((d) => d + path.sep);
  const chartOf = (p: string): string | undefined => {
    if (chartPrefixes.length === 0) return undefined;
    let best: string | undefined;
    for (const pre of chartPrefixes) if (p.startsWith(pre) && (!best || pre.length > best.length)) best = pre;
    return best?.slice(0, -1);
  };

  // Files a kustomization uses only as patches, generator inputs or configuration are not read
  // again here: they define nothing (and are no plain manifests).
  const kustomizeResources = new Set<string>();
  const kustomizeOther = new Set<string>();
  for (const node of ctx.kustomize.nodes.values()) {
    for (const ref of node.refs) {
      if (ref.target !== 'file' || !ref.path) continue;
      if (ref.field === 'resources' || ref.field === 'crds') kustomizeResources.add(ref.path);
      else kustomizeOther.add(ref.path);
    }
  }

  // YAML files outside charts: definitions (Argo CD, Flux), ConfigMaps, plain candidates.
  const fileErrors = new Map<string, RepoError[]>();
  const addFileError = (file: string, e: RepoError) => {
    const l = fileErrors.get(file);
    if (l) l.push(e);
    else fileErrors.set(file, [e]);
  };
  const plainCandidates = new Map<string, string[]>();
  const definitionOnly = new Set<string>();
  const configMapFiles: string[] = [];
  let n = 0;
  for (const file of [...tree.files].sort()) {
    const base = path.basename(file);
    if (!isYamlName(base) || base.startsWith('.') || chartOf(file)) continue;
    if (kustomizeOther.has(file) && !kustomizeResources.has(file)) continue;
    if (++n % YIELD_EVERY === 0) await yieldToEventLoop();
    const r = tree.read(file);
    if (r.error) {
      addFileError(file, r.error);
      continue;
    }
    const text = r.text;
    const looksK8s = /^kind:\s*\S/m.test(text) && /^apiVersion:\s*\S/m.test(text);
    if (text.includes('argoproj.io') || text.includes('toolkit.fluxcd.io') || text.includes('source.extensions.fluxcd.io')) {
      const yf = new YamlFile(file, text);
      if (yf.needsFullParse) {
        for (const e of yf.errors) addFileError(file, { code: 'yaml', message: `${tree.rel(file)}: ${e.message}`, location: { file, range: e.range } });
      }
      let resources = 0;
      let defs = 0;
      for (const doc of yf.documents) {
        if (doc.shape !== 'resource' || !doc.id) continue;
        resources++;
        const def: Definition = { file, yaml: yf, docIndex: doc.index, id: doc.id, value: doc.value as Record<string, unknown>, location: { file, range: doc.range } };
        if (DEFINITION_GROUPS.includes(doc.id.group) || isFluxObject(def)) {
          defs++;
          ctx.definitions.push(def);
        } else if (doc.id.group === '' && doc.id.kind === 'ConfigMap') ctx.configMaps.push(def);
      }
      if (resources > 0 && defs === resources) definitionOnly.add(file);
    } else if (text.includes('ConfigMap')) configMapFiles.push(file);
    if (looksK8s && !KUSTOMIZATION_NAMES.has(base) && !definitionOnly.has(file)) {
      const dir = path.dirname(file);
      const l = plainCandidates.get(dir);
      if (l) l.push(file);
      else plainCandidates.set(dir, [file]);
    }
  }
  // Argo CD objects an application rendered (app of apps through Helm): its children. One already
  // defined in a file of the repository is not defined twice.
  const renderedParent = new Map<SourceLocation, string>();
  // A kustomize parent's render replaces the Applications written in its files (it may patch them).
  const replaced = new Set((opts.renderedDefinitions ?? []).flatMap((r) => r.replaces ?? []));
  if (replaced.size) {
    for (let i = ctx.definitions.length - 1; i >= 0; i--) {
      const d = ctx.definitions[i];
      if (d.id.group === ARGO_GROUP && (d.id.kind === 'Application' || d.id.kind === 'ApplicationSet') && replaced.has(d.file)) ctx.definitions.splice(i, 1);
    }
  }
  const staticArgo = new Set(ctx.definitions.filter((d) => d.id.group === ARGO_GROUP).map((d) => `${d.id.kind}/${d.id.namespace ?? ''}/${d.id.name}`));
  for (const set of opts.renderedDefinitions ?? []) {
    for (const { file, text, range } of set.documents) {
      const yf = new YamlFile(file, text);
      // Lines of the rendered text are not the template's: every place in it is the template's document.
      const at: SourceLocation = { file, range: range ?? FILE_START };
      yf.locate = () => at;
      for (const doc of yf.documents) {
        if (doc.shape !== 'resource' || !doc.id || doc.id.group !== ARGO_GROUP) continue;
        const key = `${doc.id.kind}/${doc.id.namespace ?? ''}/${doc.id.name}`;
        if (staticArgo.has(key)) continue; // in a file of the repository, or rendered by another parent already (a cycle)
        staticArgo.add(key);
        const def: Definition = { file, yaml: yf, docIndex: doc.index, id: doc.id, value: doc.value as Record<string, unknown>, location: { ...at } };
        ctx.definitions.push(def);
        renderedParent.set(def.location, set.parent);
      }
    }
  }
  // ConfigMaps elsewhere are only needed for HelmRelease valuesFrom: parse them only then.
  // (and for Flux Kustomizations' postBuild substituteFrom)
  const specOf = (d: Definition) => d.value.spec as Record<string, unknown> | undefined;
  const postBuildFrom = (d: Definition) => Array.isArray((specOf(d)?.postBuild as Record<string, unknown> | undefined)?.substituteFrom);
  if (ctx.definitions.some((d) => (isFluxHelmRelease(d) && Array.isArray(specOf(d)?.valuesFrom)) || (isFluxKustomization(d) && postBuildFrom(d)))) {
    for (const file of configMapFiles) {
      const r = tree.read(file);
      if (r.error) continue;
      const yf = new YamlFile(file, r.text);
      for (const doc of yf.documents) {
        if (doc.id && doc.id.group === '' && doc.id.kind === 'ConfigMap') {
          ctx.configMaps.push({ file, yaml: yf, docIndex: doc.index, id: doc.id, value: doc.value as Record<string, unknown>, location: { file, range: doc.range } });
        }
      }
    }
  }
  await yieldToEventLoop();

  // Drafts from each kind of source.
  const drafts: AppDraft[] = [];
  for (const node of ctx.kustomize.roots()) {
    const c = ctx.closure(node.dir)!;
    drafts.push({
      name: '',
      sourceKind: 'kustomize',
      root: node.dir,
      sourcePaths: c.files,
      renderer: { kind: 'kustomize', dir: node.dir, origins: { root: tree.root } },
      errors: [...c.errors],
      remote: [...c.remote],
      idBase: `kustomize:${tree.rel(node.dir)}`,
      envPaths: [node.dir],
      conventionDir: node.dir,
      claims: node.real,
      namespace: c.nodes.find((x) => x.namespace)?.namespace,
    });
  }
  const helmConvention = new Set<AppDraft>();
  for (const dir of [...chartDirs].sort()) {
    if (chartOf(dir)) continue; // a subchart (charts/<name>) of another chart
    const chart = ctx.chart(dir);
    if (chart.type === 'library') continue;
    const envFiles = environmentValueFiles(tree, dir);
    const allEnvFiles = new Set([...envFiles.values()].flat());
    const defaults = path.join(dir, 'values.yaml');
    const baseErrors = [...chart.errors, ...(tree.isFile(defaults) ? valuesFileErrors(tree, defaults) : [])];
    const make = (env: string | undefined, valueFiles: string[]): AppDraft => {
      const exclude = new Set([...allEnvFiles].filter((f) => !valueFiles.includes(f)));
      const d: AppDraft = {
        name: chart.name,
        sourceKind: 'helm',
        root: dir,
        sourcePaths: chartInputFiles(tree, chart, (x) => ctx.chart(x), exclude),
        renderer: { kind: 'helm', chartDir: dir, releaseName: chart.name, valueFiles, origins: { root: tree.root, ...(chart.nameOrigin ? { releaseName: chart.nameOrigin } : {}) } },
        errors: [...baseErrors, ...valueFiles.filter((f) => insideRepository(tree, f)).flatMap((f) => valuesFileErrors(tree, f))],
        remote: [...chart.remote],
        idBase: `helm:${tree.rel(dir)}${env ? `@${env}` : ''}`,
        envPaths: [...valueFiles, dir],
        conventionDir: dir,
        claims: tree.realpath(dir),
        env,
      };
      helmConvention.add(d);
      return d;
    };
    // An app-of-apps chart (its templates emit Argo CD Applications) names no environments by its
    // values files: they parameterise the children, and the Applications that render it say where.
    if (envFiles.size === 0 || emitsArgoApplications(tree, dir)) drafts.push(make(undefined, []));
    else for (const [env, files] of [...envFiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) drafts.push(make(env, files));
  }
  const argo = argoDrafts(ctx, ctx.definitions);
  modelErrors.push(...argo.errors);
  const definers = [...argo.drafts, ...fluxDrafts(ctx, ctx.definitions)];
  drafts.push(...definers);

  // Plain folders: Kubernetes YAML that no kustomization, chart or definition accounts for.
  const kustomizeFiles = new Set<string>();
  for (const node of ctx.kustomize.nodes.values()) for (const f of node.files) kustomizeFiles.add(f);
  // (An unsupported Argo CD definer — a plugin, Jsonnet — accounts for its folder's files too: they are no other app.)
  const definerPlainFiles = new Set(
    definers.flatMap((d) =>
      d.renderer.kind === 'plain' ? (d.sourceKind === 'argocd' ? d.sourcePaths : d.renderer.files) // (an Argo CD folder's skipped files too)
      : d.renderer.kind === 'kustomize' && d.renderer.flux ? d.renderer.flux.files
      : d.renderer.kind === 'unsupported' && d.sourceKind === 'argocd' ? d.sourcePaths
      : [],
    ),
  );
  const policyPaths = config?.policy.policyPaths ?? [];
  for (const [dir, files] of [...plainCandidates].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (ctx.hasKustomization(dir)) continue;
    const own = files.filter((f) => !kustomizeFiles.has(f) && !definerPlainFiles.has(f) && !policyPaths.some((g) => matchesGlobOrParent(tree.rel(f), g)));
    if (own.length === 0) continue;
    drafts.push({
      name: '',
      sourceKind: 'plain',
      root: dir,
      sourcePaths: own,
      renderer: { kind: 'plain', files: own },
      errors: [],
      remote: [],
      idBase: `plain:${tree.rel(dir)}`,
      envPaths: [dir],
      conventionDir: dir,
    });
  }

  // Environments.
  const knownEnvs = new Set<string>([...(config?.environments.map((e) => e.name) ?? [])]);
  for (const d of drafts) {
    if (d.env) knownEnvs.add(d.env);
    if (d.clusterHint?.source === 'flux') knownEnvs.add(d.clusterHint.name);
  }
  const ownEnv = new Map<AppDraft, string | undefined>();
  for (const d of drafts) ownEnv.set(d, environmentOf(d, tree, config, knownEnvs));

  // Parents: the definer whose source holds this draft's definition (app of apps, Flux tree).
  const holders = new Map<string, AppDraft[]>();
  for (const p of definers) {
    for (const f of p.childDefinitionsFrom?.files ?? []) {
      const l = holders.get(f);
      if (l) l.push(p);
      else holders.set(f, [p]);
    }
  }
  const parentsOf = new Map<AppDraft, AppDraft[]>();
  for (const d of definers) {
    if (!d.definedBy) continue;
    const ps = (holders.get(d.definedBy.file) ?? []).filter((p) => p !== d);
    if (ps.length) parentsOf.set(d, ps);
  }
  for (const d of argo.drafts) {
    const parentId = d.definedBy && renderedParent.get(d.definedBy);
    if (!parentId) continue;
    const p = definers.find((x) => x !== d && (x.idBase === parentId || parentId.startsWith(`${x.idBase}@`) || parentId.startsWith(`${x.idBase}#`)));
    if (p) parentsOf.set(d, [p]);
  }
  const inherited = (d: AppDraft, seen: Set<AppDraft>): string[] => {
    const own = ownEnv.get(d);
    if (own) return [own];
    if (seen.has(d)) return [];
    seen.add(d);
    return [...new Set((parentsOf.get(d) ?? []).flatMap((p) => inherited(p, seen)))];
  };
  // A definition that only parents in several environments tell apart (a HelmRelease in a base
  // that two clusters include) becomes one application per environment.
  const placed: Array<{ d: AppDraft; env: string }> = [];
  const originalOf = new Map<AppDraft, AppDraft>();
  for (const d of drafts) {
    const envs = inherited(d, new Set());
    if (envs.length <= 1) placed.push({ d, env: envs[0] ?? DEFAULT_ENVIRONMENT });
    else {
      for (const env of envs.sort()) {
        const clone: AppDraft = { ...d, idBase: `${d.idBase}@${env}`, errors: [...d.errors], remote: [...d.remote] };
        originalOf.set(clone, d);
        placed.push({ d: clone, env });
      }
    }
  }
  const original = (d: AppDraft) => originalOf.get(d) ?? d;

  // Drop what an Argo CD / Flux definition already renders.
  const definerSet = new Set(definers);
  const isDefiner = (d: AppDraft) => definerSet.has(original(d));
  const claimedAnywhere = new Set(definers.filter((d) => d.claims).map((d) => d.claims!));
  for (const d of definers) for (const c of d.subClaims ?? []) claimedAnywhere.add(c);
  const claimedIn = new Set(placed.filter((p) => isDefiner(p.d) && p.d.claims).map((p) => `${p.env}|${p.d.claims}`));
  // A definer that renders a chart with values-<env>.yaml accounts for that environment's values.
  const usedValueFiles = new Set(definers.flatMap((d) => (d.renderer.kind === 'helm' ? d.renderer.valueFiles : [])));
  const kept = placed.filter(({ d, env }) => {
    if (d.sourceKind === 'kustomize') return !claimedAnywhere.has(d.claims!);
    if (helmConvention.has(d)) {
      if (!d.env) return !claimedAnywhere.has(d.claims!);
      const files = d.renderer.kind === 'helm' ? d.renderer.valueFiles : [];
      return !claimedIn.has(`${env}|${d.claims}`) && !files.some((f) => usedValueFiles.has(f));
    }
    return true;
  });

  // Merge definers that render exactly the same thing in the same environment (e.g. the same
  // overlay described both for Flux and for Argo CD): one application, defined twice.
  const order = { flux: 0, argocd: 1, kustomize: 2, helm: 3, plain: 4 } as const;
  const groups = new Map<string, Array<{ d: AppDraft; env: string }>>();
  const singles: Array<{ d: AppDraft; env: string; also?: AppDraft[] }> = [];
  for (const p of kept) {
    if (!isDefiner(p.d) || p.d.renderer.kind === 'unsupported') {
      singles.push(p);
      continue;
    }
    const key = `${p.env}|${JSON.stringify({ ...p.d.renderer, origins: undefined })}`; // where values were written does not matter
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  for (const g of groups.values()) {
    g.sort((a, b) => order[a.d.sourceKind] - order[b.d.sourceKind]);
    singles.push({ ...g[0], also: g.slice(1).map((x) => x.d) });
  }

  // Applications.
  const usedIds = new Set<string>();
  const appOf = new Map<AppDraft, Application>();
  const apps: Array<{ app: Application; draft: AppDraft; env: string }> = [];
  for (const { d, env, also } of singles) {
    const conv = d.conventionDir ? environmentFromPath(tree.rel(d.conventionDir), knownEnvs) : undefined;
    let name = d.name;
    if (!name) name = conv?.app ?? (path.basename(d.root) === env ? tree.rel(d.root) : path.basename(d.root));
    if (name === '.' || name === '') name = path.basename(tree.root);
    let id = d.idBase;
    if (d.sourceKind === 'helm' && !d.env && env !== DEFAULT_ENVIRONMENT) id = `${id}@${env}`;
    for (let i = 2; usedIds.has(id); i++) id = `${d.idBase}#${i}`;
    usedIds.add(id);
    const sourcePaths = new Set(d.sourcePaths);
    const errors = [...d.errors];
    const remote = [...d.remote];
    const app: Application = { id, name, environment: env, sourceKind: d.sourceKind, root: d.root, sourcePaths: [], renderer: d.renderer, errors };
    if (d.definedBy) app.definedBy = d.definedBy;
    if (d.namespace) app.namespace = d.namespace;
    if (d.dependsOn?.length) app.dependsOn = d.dependsOn;
    if (d.destination && (d.destination.server || d.destination.name || d.destination.namespace)) app.destination = d.destination;
    for (const o of also ?? []) {
      for (const f of o.sourcePaths) sourcePaths.add(f);
      errors.push(...o.errors);
      remote.push(...o.remote);
      if (o.definedBy) (app.alsoDefinedBy ??= []).push(o.definedBy);
      if (!app.namespace && o.namespace) app.namespace = o.namespace;
      if (!app.destination && o.destination) app.destination = o.destination;
      appOf.set(o, app);
    }
    for (const f of sourcePaths) for (const e of fileErrors.get(f) ?? []) errors.push(e);
    app.sourcePaths = [...sourcePaths].sort();
    app.errors = dedupeErrors(errors);
    const rem = [...new Set(remote)];
    if (rem.length) app.remote = rem;
    appOf.set(d, app);
    apps.push({ app, draft: d, env });
  }
  // Parent links (by the draft's original, for clones).
  const appsOfOriginal = new Map<AppDraft, Application[]>();
  for (const [d, a] of appOf) {
    const l = appsOfOriginal.get(original(d));
    if (l) l.push(a);
    else appsOfOriginal.set(original(d), [a]);
  }
  for (const { app, draft } of apps) {
    const ps = (parentsOf.get(original(draft)) ?? []).flatMap((p) => appsOfOriginal.get(p) ?? []).filter((p) => p !== app);
    const parent = ps.find((p) => p.environment === app.environment) ?? ps[0];
    if (parent) app.parent = parent.id;
  }
  // File errors nobody's application carries go to the model.
  const carried = new Set(apps.flatMap(({ app }) => app.sourcePaths));
  for (const [file, errs] of fileErrors) if (!carried.has(file)) modelErrors.push(...errs);

  const environments = buildEnvironments(apps.map((a) => a.app), apps, config, opts.kubeContexts);
  return { root: tree.root, environments, errors: dedupeErrors(modelErrors), ...(config ? { config } : {}) };
}

function environmentOf(d: AppDraft, tree: FileTree, config: RepoConfig | undefined, known: ReadonlySet<string>): string | undefined {
  if (config) {
    for (const p of d.envPaths) {
      const rel = tree.rel(p);
      for (const env of config.environments) if (env.paths.some((g) => matchesGlobOrParent(rel, g))) return env.name;
    }
  }
  if (d.env) return d.env;
  if (d.clusterHint?.source === 'flux') return d.clusterHint.name;
  if (d.conventionDir) {
    const c = environmentFromPath(tree.rel(d.conventionDir), known);
    if (c) return c.env;
  }
  if (d.definedBy) {
    const c = environmentFromPath(tree.rel(path.dirname(d.definedBy.file)), known);
    if (c) return c.env;
  }
  if (d.clusterHint) return d.clusterHint.name;
  return undefined;
}

function buildEnvironments(
  all: Application[],
  placed: Array<{ app: Application; draft: AppDraft }>,
  config: RepoConfig | undefined,
  kubeContexts: string[] | undefined,
): Environment[] {
  const names: string[] = [...(config?.environments.map((e) => e.name) ?? [])];
  const others = [...new Set(all.map((a) => a.environment))].filter((n) => !names.includes(n)).sort((a, b) => {
    if (a === DEFAULT_ENVIRONMENT) return 1;
    if (b === DEFAULT_ENVIRONMENT) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  names.push(...others);
  return names.map((name) => {
    const cfg = config?.environments.find((e) => e.name === name);
    const apps = all.filter((a) => a.environment === name).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1));
    const env: Environment = { name, namespaces: [], protected: cfg?.protected ?? isProductionName(name), applications: apps, errors: [] };
    const ns = new Set(cfg?.namespaces ?? []);
    for (const a of apps) if (a.namespace) ns.add(a.namespace);
    env.namespaces = [...ns];
    if (cfg?.context) {
      env.context = cfg.context;
      env.contextSource = 'reconcile.yaml';
    } else {
      const hints = placed.filter((p) => p.app.environment === name && p.draft.clusterHint).map((p) => p.draft.clusterHint!);
      const hint = hints.find((h) => h.source === 'argocd') ?? hints.find((h) => h.source === 'flux');
      if (hint) {
        const m = kubeContexts ? matchContext(hint.name, kubeContexts) : undefined;
        env.context = m?.context ?? hint.name;
        env.contextSource = hint.source;
      } else if (kubeContexts && name !== DEFAULT_ENVIRONMENT) {
        const m = matchContext(name, kubeContexts);
        if (m) {
          env.context = m.context;
          env.contextSource = 'kubeconfig';
          if (m.ambiguous) {
            env.errors.push({
              code: 'ambiguous-context',
              severity: 'warning',
              message: `environment '${name}' matches several kubeconfig contexts (${m.ambiguous.join(', ')}); using ${m.context}. Set its context in ${CONFIG_FILE}.`,
            });
          }
        }
      }
    }
    return env;
  });
}

/** Remote URLs from `<root>/.git/config` (only when the folder is the repository's root). */
function readGitRemotes(root: string): string[] {
  try {
    const text = fs.readFileSync(path.join(root, '.git', 'config'), 'utf8');
    return [...text.matchAll(/^\s*url\s*=\s*(.+?)\s*$/gm)].map((m) => m[1]);
  } catch {
    return [];
  }
}


const ARGO_KIND_RE = /^kind:\s*["']?(Application|ApplicationSet)["']?\s*$/m;

/** Do a chart's templates emit Argo CD Applications or ApplicationSets (an app of apps)? */
export function emitsArgoApplications(tree: FileTree, chartDir: string): boolean {
  for (const f of tree.filesUnder(path.join(chartDir, 'templates'))) {
    const r = tree.read(f);
    if (r.text && r.text.includes('argoproj.io') && ARGO_KIND_RE.test(r.text)) return true;
  }
  return false;
}
