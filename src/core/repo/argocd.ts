// Argo CD: Applications and ApplicationSets (argoproj.io). An Application's source folder
// becomes a kustomize/helm/plain render; `list` and `git` (directories, files) generators are
// expanded into Applications; other generators are reported as not supported.
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SourceLocation } from '../manifest/range';
import { matchesGlob } from '../util/glob';
import { redact } from '../remote/redact';
import { isYamlName } from './file-tree';
import { definitionLabel, isRecord, locateIn, str, type AppDraft, type Definition, type DiscoveryContext } from './context';
import { insideRepository, renderFolder, type HelmOptions } from './sources';
import type { FluxBuild, RepoError, ValueOrigin } from './model';

export const ARGO_GROUP = 'argoproj.io';
const SKIP_RENDERING_RE = /^\s*#\s*\+argocd:skip-file-rendering\b/m;

export function isArgoApplication(d: Definition): boolean {
  return d.id.group === ARGO_GROUP && d.id.kind === 'Application';
}

export function isArgoApplicationSet(d: Definition): boolean {
  return d.id.group === ARGO_GROUP && d.id.kind === 'ApplicationSet';
}

/**
 * Drafts for every Application and every Application an ApplicationSet generates. Notices about
 * ApplicationSets (unsupported generators…) go to `errors`, located at the ApplicationSet; a set
 * that generates nothing also gets a placeholder draft carrying them, so it is never silent.
 */
export function argoDrafts(ctx: DiscoveryContext, defs: Definition[]): { drafts: AppDraft[]; errors: RepoError[] } {
  const drafts: AppDraft[] = [];
  const errors: RepoError[] = [];
  for (const d of defs) {
    if (isArgoApplication(d)) drafts.push(...applicationDrafts(ctx, d.value, d, `argocd:${d.id.namespace ?? ''}/${d.id.name}`));
    else if (isArgoApplicationSet(d)) {
      const r = applicationSetDrafts(ctx, d);
      drafts.push(...r.drafts);
      errors.push(...r.notices);
    }
  }
  return { drafts, errors };
}

const locOf = locateIn;

/** One draft per source of an Application (multi-source apps: one per source with a path or chart). */
function applicationDrafts(ctx: DiscoveryContext, app: Record<string, unknown>, def: Definition, idBase: string, specPath: Array<string | number> = ['spec']): AppDraft[] {
  const { tree } = ctx;
  const meta = isRecord(app.metadata) ? app.metadata : {};
  const name = str(meta.name) ?? def.id.name;
  const spec = isRecord(app.spec) ? app.spec : {};
  const dest = isRecord(spec.destination) ? spec.destination : {};
  const destination = { server: str(dest.server), name: str(dest.name), namespace: str(dest.namespace) };
  const sources: Array<{ s: Record<string, unknown>; p: Array<string | number> }> = [];
  if (isRecord(spec.source)) sources.push({ s: spec.source, p: [...specPath, 'source'] });
  if (Array.isArray(spec.sources)) spec.sources.forEach((s, i) => isRecord(s) && sources.push({ s, p: [...specPath, 'sources', i] }));
  const refs = new Map<string, Record<string, unknown>>();
  for (const { s } of sources) if (str(s.ref)) refs.set(s.ref as string, s);
  const base = (): AppDraft => ({
    name,
    sourceKind: 'argocd',
    root: path.dirname(def.file),
    sourcePaths: [def.file],
    renderer: { kind: 'unsupported', reason: 'no source' },
    errors: [],
    remote: [],
    idBase,
    definedBy: def.location,
    destination,
    namespace: destination.namespace,
    envPaths: [def.file],
    clusterHint: destination.name && destination.name !== 'in-cluster' ? { name: destination.name, source: 'argocd' } : undefined,
  });
  const renderable = sources.filter(({ s }) => !(str(s.ref) && !str(s.path) && !str(s.chart)));
  if (renderable.length === 0) {
    const d = base();
    d.errors.push({ code: 'unsupported', message: `Application ${name} has no source with a path or chart`, location: def.location });
    d.renderer = { kind: 'unsupported', reason: 'the Application has no source' };
    return [d];
  }
  return renderable.map(({ s, p }, i) => {
    const d = base();
    if (renderable.length > 1) d.idBase = `${idBase}#${i}`;
    const where = `Application ${name}`;
    const helm = isRecord(s.helm) ? s.helm : {};
    const at = (q: Array<string | number>, written?: string): ValueOrigin => ({ file: def.file, docIndex: def.docIndex, path: q, ...(written !== undefined ? { written } : {}) });
    // Values files of a chart source name files of the chart (Argo CD's helm.md: "relative to the root
    // directory of the Helm chart"); `$ref/…` files come from the source with that ref (this repository).
    const chartValueFiles: string[] = [];
    const helmOpts = (chartSource = false): HelmOptions => {
      const valueFiles: string[] = [];
      const valueOrigins: ValueOrigin[] = [];
      const ignoreMissing = helm.ignoreMissingValueFiles === true;
      if (Array.isArray(helm.valueFiles)) {
        for (const [i, vf] of helm.valueFiles.entries()) {
          if (typeof vf !== 'string') continue;
          let f: string;
          const m = /^\$([^/]+)\/(.*)$/.exec(vf);
          if (m) {
            const r = refs.get(m[1]);
            if (!r) {
              d.errors.push({ code: 'missing-path', message: `${where}: values file '${vf}' names source ref '$${m[1]}' that the Application does not define`, location: locOf(def, [...p, 'helm', 'valueFiles']) });
              continue;
            }
            if (ctx.isThisRepo(str(r.repoURL)) === false) {
              // multiple_sources.md: `$ref` is the root of the ref source's repository — here another one.
              d.remote.push(`${redact(str(r.repoURL) ?? '')} ${m[2]}`);
              d.errors.push({ code: 'remote', severity: 'warning', message: `${where}: values file '${vf}' is in ${redact(str(r.repoURL) ?? '')} (another repository); not fetched, so the render lacks its values`, location: locOf(def, [...p, 'helm', 'valueFiles', i]) });
              continue;
            }
            f = path.resolve(tree.root, m[2]);
          } else if (/^https?:\/\//.test(vf)) {
            d.remote.push(vf);
            d.errors.push({ code: 'remote', severity: 'warning', message: `${where}: remote values file ${vf} is not fetched`, location: locOf(def, [...p, 'helm', 'valueFiles']) });
            continue;
          } else if (chartSource) {
            chartValueFiles.push(vf);
            continue;
          } else f = path.resolve(dir, vf);
          // helm.md "Glob Patterns in Value Files": a pattern expands in place, in lexical order, to the
          // files it matches that are not listed explicitly; no match is an error unless ignoreMissingValueFiles.
          if (/[*?[]/.test(path.basename(f)) || /[*?[]/.test(path.relative(tree.root, path.dirname(f)))) {
            const explicit = new Set(helm.valueFiles.filter((x): x is string => typeof x === 'string' && !/[*?[]/.test(x)).map((x) => path.resolve(dir, x)));
            const rel = path.relative(tree.root, f).split(path.sep).join('/');
            const hits = [...tree.files].filter((x) => matchesGlob(tree.rel(x), rel) && !explicit.has(x) && !valueFiles.includes(x)).sort(doublestarOrder);
            if (!hits.length && !ignoreMissing) d.errors.push({ code: 'missing-path', message: `${where}: values file glob "${vf}" matched no files`, location: locOf(def, [...p, 'helm', 'valueFiles', i]) });
            for (const x of hits) {
              valueFiles.push(x);
              valueOrigins.push(at([...p, 'helm', 'valueFiles', i], path.relative(dir, x)));
            }
            continue;
          }
          if (ignoreMissing && !tree.isFile(f)) continue;
          valueFiles.push(f);
          valueOrigins.push(at([...p, 'helm', 'valueFiles', i], m ? m[2] : vf));
        }
      }
      // Precedence (Argo CD helm.md, "Helm Value Precedence"): parameters > valuesObject > values >
      // valueFiles; "valuesObject trumps values - therefore values will be ignored".
      let values: Record<string, unknown> | undefined;
      if (isRecord(helm.valuesObject)) values = helm.valuesObject;
      else if (typeof helm.values === 'string') {
        try {
          const v = parseYaml(helm.values) as unknown;
          if (isRecord(v)) values = v;
        } catch (e) {
          d.errors.push({ code: 'yaml', message: `${where}: helm.values is not valid YAML: ${(e as Error).message}`, location: locOf(def, [...p, 'helm', 'values']) });
        }
      } else if (isRecord(helm.values)) values = helm.values;
      let set: Record<string, string> | undefined;
      if (Array.isArray(helm.parameters)) {
        set = {};
        for (const prm of helm.parameters) if (isRecord(prm) && typeof prm.name === 'string') set[prm.name] = String(prm.value ?? '');
      }
      // fileParameters (`--set-file name=path`): the file's text becomes the value at `name`.
      if (Array.isArray(helm.fileParameters)) {
        helm.fileParameters.forEach((fp, i) => {
          if (!isRecord(fp) || typeof fp.name !== 'string' || typeof fp.path !== 'string') return;
          const m = /^\$([^/]+)\/(.*)$/.exec(fp.path);
          const f = m ? path.resolve(tree.root, m[2]) : path.resolve(chartSource ? tree.root : dir, fp.path);
          const loc = () => locOf(def, [...p, 'helm', 'fileParameters', i]);
          if (chartSource && !m) {
            d.errors.push({ code: 'unsupported', severity: 'warning', message: `${where}: helm.fileParameters '${fp.name}' names a file of the pulled chart; not applied`, location: loc() });
            return;
          }
          const r = tree.read(f);
          if (r.error || !insideRepository(tree, f)) {
            d.errors.push({ code: 'missing-path', message: `${where}: helm.fileParameters '${fp.name}': file '${fp.path}' does not exist in this repository`, location: loc() });
            return;
          }
          fileValues.push(f);
          values = deepMerge(values ?? {}, setPath(fp.name, r.text));
        });
      }
      const kubeVersion = str(helm.kubeVersion);
      const apiVersions = Array.isArray(helm.apiVersions) ? helm.apiVersions.filter((v): v is string => typeof v === 'string') : [];
      const helmNamespace = str(helm.namespace);
      const namespace = helmNamespace ?? destination.namespace;
      return {
        releaseName: str(helm.releaseName) ?? name,
        namespace,
        valueFiles,
        values,
        set,
        ...(kubeVersion !== undefined ? { kubeVersion } : {}),
        ...(apiVersions.length ? { apiVersions } : {}),
        origins: {
          releaseName: str(helm.releaseName) !== undefined ? at([...p, 'helm', 'releaseName']) : at([...specPath.slice(0, -1), 'metadata', 'name']),
          ...(namespace !== undefined ? { namespace: at(helmNamespace !== undefined ? [...p, 'helm', 'namespace'] : [...specPath, 'destination', 'namespace']) } : {}),
          valueFiles: valueOrigins,
          ...(kubeVersion !== undefined ? { kubeVersion: at([...p, 'helm', 'kubeVersion']) } : {}),
          ...(apiVersions.length ? { apiVersions: (helm.apiVersions as unknown[]).map((v, i) => (typeof v === 'string' ? at([...p, 'helm', 'apiVersions', i]) : null)).filter((x) => x !== null) } : {}),
        },
      };
    };
    const fileValues: string[] = [];
    // helm.md "Helm --skip-crds": CRDs of crds/ are installed unless skipCrds; "--skip-tests" on request.
    const helmFlags = { includeCrds: helm.skipCrds !== true, ...(helm.skipTests === true ? { skipTests: true } : {}) };
    const repoURL = str(s.repoURL);
    const srcLoc = () => locOf(def, p);
    const ociSource = repoURL !== undefined && /^oci:\/\//i.test(repoURL) && !str(s.chart);
    if (str(s.chart) || ociSource) {
      // A chart from a Helm repository (`repoURL` + `chart` + `targetRevision`), an OCI registry (a
      // repoURL without scheme, or `oci://`), or an OCI source `oci://registry/path/chart` (helm.md):
      // pulled at render time with the user's helm into the cache (src/core/remote).
      let url = repoURL ?? '';
      let chart = str(s.chart) ?? '';
      if (ociSource) {
        chart = url.replace(/\/+$/, '').split('/').pop() ?? '';
        url = url.replace(/\/+$/, '').replace(/\/[^/]+$/, '');
      } else if (url && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `oci://${url}`;
      const h = helmOpts(true);
      const version = str(s.targetRevision);
      d.renderer = {
        kind: 'helm',
        chartDir: '',
        releaseName: h.releaseName,
        valueFiles: h.valueFiles,
        ...(h.namespace ? { namespace: h.namespace } : {}),
        ...(h.values && Object.keys(h.values).length ? { values: h.values } : {}),
        ...(h.set && Object.keys(h.set).length ? { set: h.set } : {}),
        ...(h.kubeVersion !== undefined ? { kubeVersion: h.kubeVersion } : {}),
        ...(h.apiVersions?.length ? { apiVersions: h.apiVersions } : {}),
        ...helmFlags,
        origins: { root: tree.root, ...h.origins },
        remoteChart: {
          repoURL: url,
          chart,
          ...(version && version !== 'HEAD' ? { version } : {}),
          ...(chartValueFiles.length ? { chartValueFiles } : {}),
          ...(helm.ignoreMissingValueFiles === true ? { ignoreMissingValueFiles: true } : {}),
        },
      };
      if (!url || !chart) {
        d.renderer = { kind: 'unsupported', reason: `${where}: the chart source has no repoURL or chart` };
        d.errors.push({ code: 'invalid', message: `${where}: the chart source has no repoURL or chart`, location: srcLoc() });
      }
      d.sourcePaths = [...new Set([def.file, ...h.valueFiles.filter((f) => tree.isFile(f)), ...fileValues])].sort();
      d.envPaths = [...h.valueFiles, def.file];
      return d;
    }
    const srcPath = str(s.path) ?? '.';
    const dir = path.resolve(tree.root, srcPath);
    const thisRepo = ctx.isThisRepo(repoURL);
    if (thisRepo === false && !tree.isDir(dir) && repoURL) {
      // Another Git repository: cloned with the user's git when rendered (src/core/remote/git.ts), then
      // rendered by what the folder holds, with this source's helm, kustomize and directory options.
      const h = helmOpts(true);
      const dirOpts = isRecord(s.directory) ? s.directory : {};
      const k = isRecord(s.kustomize) ? argoKustomize(ctx, dir, s.kustomize, where, () => locOf(def, [...p, 'kustomize']), d.errors, true) : undefined;
      const revision = str(s.targetRevision);
      d.renderer = {
        kind: 'unsupported',
        reason: `${where}: source ${redact(repoURL)} (${srcPath}) is another repository; it is cloned when rendered`,
        remoteGit: {
          url: repoURL,
          ...(revision && revision !== 'HEAD' ? { revision } : {}),
          path: srcPath,
          root: tree.root,
          helm: {
            releaseName: h.releaseName,
            ...(h.namespace ? { namespace: h.namespace } : {}),
            valueFiles: [...chartValueFiles, ...h.valueFiles],
            ...(helm.ignoreMissingValueFiles === true ? { ignoreMissingValueFiles: true } : {}),
            ...(h.values && Object.keys(h.values).length ? { values: h.values } : {}),
            ...(h.set && Object.keys(h.set).length ? { set: h.set } : {}),
            ...(h.kubeVersion ? { kubeVersion: h.kubeVersion } : {}),
            ...(h.apiVersions?.length ? { apiVersions: h.apiVersions } : {}),
            ...helmFlags,
          },
          directory: { ...(dirOpts.recurse === true ? { recurse: true } : {}), ...(str(dirOpts.include) ? { include: dirOpts.include as string } : {}), ...(str(dirOpts.exclude) ? { exclude: dirOpts.exclude as string } : {}) },
          ...(k ? { kustomize: k.build } : {}),
        },
      };
      if (isRecord(s.plugin)) {
        const plugin = str(s.plugin.name) ?? 'discovered by its discover rules';
        d.renderer = { kind: 'unsupported', reason: `config management plugin '${plugin}': the plugin runs its own commands in Argo CD's repo-server, which Reconcile cannot run` };
        d.errors.push({ code: 'unsupported', severity: 'warning', message: `${where}: not supported: config management plugin '${plugin}' (its commands run only in Argo CD's repo-server)`, location: locOf(def, [...p, 'plugin']) });
      }
      d.sourcePaths = [...new Set([def.file, ...h.valueFiles.filter((f) => tree.isFile(f)), ...fileValues])].sort();
      return d;
    }
    const directory = isRecord(s.directory) ? s.directory : {};
    const r = renderFolder(ctx, dir, {
      helm: () => ({ ...helmOpts(), ...helmFlags }),
      recurse: directory.recurse === true,
      include: str(directory.include),
      exclude: str(directory.exclude),
      location: srcLoc,
      what: where,
      ...(str(s.path) !== undefined ? { dirOrigin: at([...p, 'path'], srcPath) } : {}),
    });
    d.renderer = r.renderer;
    d.root = r.kind === 'missing' ? path.dirname(def.file) : dir;
    d.sourcePaths = [...new Set([def.file, ...r.sourcePaths, ...fileValues])].sort();
    d.errors.push(...r.errors);
    d.remote.push(...r.remote);
    d.claims = r.claims;
    d.conventionDir = dir;
    if (r.valuesEnvironment) d.env = r.valuesEnvironment;
    d.envPaths = [dir, ...(r.renderer.kind === 'helm' ? r.renderer.valueFiles : []), def.file];
    if (r.kind === 'kustomize' && isRecord(s.kustomize) && d.renderer.kind === 'kustomize') {
      const k = argoKustomize(ctx, dir, s.kustomize, where, () => locOf(def, [...p, 'kustomize']), d.errors);
      if (k) {
        d.renderer = { ...d.renderer, flux: { ...k.build, root: tree.root, files: [...new Set([...r.sourcePaths, ...k.files])].sort() } };
        d.sourcePaths = [...new Set([...d.sourcePaths, ...k.files])].sort();
      }
    }
    if (isRecord(s.plugin)) {
      // A config management plugin runs the plugin's own commands in Argo CD's repo-server (config-management-plugins.md).
      const plugin = str(s.plugin.name) ?? 'discovered by its discover rules';
      d.renderer = { kind: 'unsupported', reason: `config management plugin '${plugin}': the plugin runs its own commands in Argo CD's repo-server, which Reconcile cannot run` };
      d.errors.push({ code: 'unsupported', severity: 'warning', message: `${where}: not supported: config management plugin '${plugin}' (its commands run only in Argo CD's repo-server)`, location: locOf(def, [...p, 'plugin']) });
    } else if (r.kind === 'plain') {
      // directory.md "Skipping File Rendering": a file with `# +argocd:skip-file-rendering` is not a manifest.
      if (d.renderer.kind === 'plain') {
        const files = d.renderer.files;
        const skip = files.filter((f) => SKIP_RENDERING_RE.test(tree.read(f).text ?? ''));
        if (skip.length) d.renderer = { kind: 'plain', files: files.filter((f) => !skip.includes(f)) };
      }
      // A directory with *.jsonnet files is a Jsonnet application (Argo CD's tool detection; directory.jsonnet
      // sets its ext vars and TLAs). Never rendered as if it held only its YAML.
      const jsonnet = (directory.recurse === true ? tree.filesUnder(dir) : tree.filesIn(dir).map((f) => path.join(dir, f))).filter((f) => f.endsWith('.jsonnet'));
      if (jsonnet.length || isRecord(directory.jsonnet)) {
        const names = jsonnet.map((f) => tree.rel(f));
        d.renderer = { kind: 'unsupported', reason: `Jsonnet: Reconcile does not evaluate Jsonnet (${names.slice(0, 3).join(', ') || 'directory.jsonnet'}${names.length > 3 ? ', …' : ''}); Argo CD renders it with its built-in Jsonnet` };
        d.errors.push({ code: 'unsupported', severity: 'warning', message: `${where}: not supported: Jsonnet (${names.slice(0, 3).join(', ') || 'directory.jsonnet'}) is not evaluated by Reconcile`, location: srcLoc() });
        d.sourcePaths = [...new Set([...d.sourcePaths, ...jsonnet])].sort();
      }
    }
    if (r.kind === 'plain' || r.kind === 'kustomize') {
      d.childDefinitionsFrom = { files: new Set(r.sourcePaths) };
    }
    return d;
  });
}

// ---------------------------------------------------------------------------------------------
// ApplicationSets

type Params = Record<string, unknown>;

function applicationSetDrafts(ctx: DiscoveryContext, set: Definition): { drafts: AppDraft[]; notices: RepoError[] } {
  const spec = isRecord(set.value.spec) ? set.value.spec : {};
  const goTemplate = spec.goTemplate === true;
  const label = definitionLabel(set);
  const notices: RepoError[] = [];
  const paramSets: Params[] = [];
  const generators = Array.isArray(spec.generators) ? spec.generators : [];
  generators.forEach((g, i) => {
    if (!isRecord(g)) return;
    const loc = locOf(set, ['spec', 'generators', i]);
    const kinds = Object.keys(g).filter((k) => k !== 'selector' && k !== 'template' && k !== 'values');
    const kind = kinds[0];
    if (kind === 'list' && isRecord(g.list)) {
      if (Array.isArray(g.list.elements)) {
        for (const el of g.list.elements) if (isRecord(el)) paramSets.push(goTemplate ? { ...el } : flatten(el));
      }
      if (g.list.elementsYaml !== undefined) notices.push({ code: 'unsupported', severity: 'warning', message: `${label}: list generator elementsYaml is not supported; those applications are not shown`, location: loc });
    } else if (kind === 'git' && isRecord(g.git)) {
      paramSets.push(...gitGenerator(ctx, g.git, goTemplate, label, loc, notices));
    } else {
      notices.push({
        code: 'unsupported',
        severity: 'warning',
        message: `${label}: generator '${kind ?? '?'}' is not supported (only list and git generators are expanded without a cluster); its applications are not shown`,
        location: loc,
      });
    }
    if (g.template !== undefined) notices.push({ code: 'unsupported', severity: 'warning', message: `${label}: per-generator templates are not applied`, location: loc });
  });
  if (spec.templatePatch !== undefined) {
    notices.push({ code: 'unsupported', severity: 'info', message: `${label}: templatePatch is not applied by discovery (it changes sync options, not the rendered source, in most sets)`, location: locOf(set, ['spec', 'templatePatch']) });
  }
  const template = isRecord(spec.template) ? spec.template : undefined;
  if (!template) {
    notices.push({ code: 'unsupported', message: `${label} has no template`, location: set.location });
  }
  const drafts: AppDraft[] = [];
  const unsupportedExpr = new Set<string>();
  if (template) {
    for (const params of paramSets) {
      const app = substitute(template, params, goTemplate, unsupportedExpr) as Record<string, unknown>;
      const meta = isRecord(app.metadata) ? app.metadata : {};
      const name = str(meta.name) ?? '?';
      for (const d of applicationDrafts(ctx, app, set, `argocd:${set.id.namespace ?? ''}/${set.id.name}/${name}`, ['spec', 'template', 'spec'])) drafts.push(d);
    }
  }
  if (unsupportedExpr.size) {
    notices.push({ code: 'unsupported', severity: 'warning', message: `${label}: template expressions not evaluated: ${[...unsupportedExpr].slice(0, 5).join(', ')}`, location: locOf(set, ['spec', 'template']) });
  }
  if (drafts.length === 0) {
    // Nothing generated: the ApplicationSet itself stands in the tree with its notices.
    drafts.push({
      name: set.id.name,
      sourceKind: 'argocd',
      root: path.dirname(set.file),
      sourcePaths: [set.file],
      renderer: { kind: 'unsupported', reason: `${label}: an ApplicationSet is expanded into Applications; it is not rendered itself` },
      errors: notices,
      remote: [],
      idBase: `argocd:${set.id.namespace ?? ''}/${set.id.name}`,
      definedBy: set.location,
      envPaths: [set.file],
    });
  }
  return { drafts, notices };
}

function gitGenerator(ctx: DiscoveryContext, git: Record<string, unknown>, goTemplate: boolean, label: string, loc: SourceLocation, notices: RepoError[]): Params[] {
  const { tree } = ctx;
  const out: Params[] = [];
  const prefix = str(git.pathParamPrefix);
  const withPrefix = (p: Params): Params => {
    if (!prefix) return p;
    if (goTemplate) return { ...p, [prefix]: { path: p.path } };
    const q: Params = {};
    for (const [k, v] of Object.entries(p)) q[k.startsWith('path') ? `${prefix}.${k}` : k] = v;
    return q;
  };
  if (ctx.isThisRepo(str(git.repoURL)) === false) {
    notices.push({ code: 'remote', severity: 'warning', message: `${label}: git generator reads ${git.repoURL}, another repository; not expanded`, location: loc });
    return out;
  }
  if (Array.isArray(git.directories)) {
    const include = git.directories.filter((x): x is Record<string, unknown> => isRecord(x) && typeof x.path === 'string' && x.exclude !== true).map((x) => x.path as string);
    const exclude = git.directories.filter((x): x is Record<string, unknown> => isRecord(x) && typeof x.path === 'string' && x.exclude === true).map((x) => x.path as string);
    const dirs = tree.dirsUnder(tree.root).map((d) => tree.rel(d)).filter((r) => r !== '.').sort();
    for (const rel of dirs) {
      if (!include.some((g) => matchesGlob(rel, g)) || exclude.some((g) => matchesGlob(rel, g))) continue;
      out.push(withPrefix(pathParams(rel, goTemplate)));
    }
  }
  if (Array.isArray(git.files)) {
    const globs = git.files.filter((x): x is Record<string, unknown> => isRecord(x) && typeof x.path === 'string' && x.exclude !== true).map((x) => x.path as string);
    const excl = git.files.filter((x): x is Record<string, unknown> => isRecord(x) && typeof x.path === 'string' && x.exclude === true).map((x) => x.path as string);
    for (const f of [...tree.files].sort()) {
      const rel = tree.rel(f);
      if (!globs.some((g) => matchesGlob(rel, g)) || excl.some((g) => matchesGlob(rel, g))) continue;
      if (!isYamlName(f) && !f.endsWith('.json')) continue;
      const r = tree.read(f);
      if (r.error) {
        notices.push(r.error);
        continue;
      }
      let content: unknown;
      try {
        content = f.endsWith('.json') ? JSON.parse(r.text) : parseYaml(r.text);
      } catch (e) {
        notices.push({ code: 'yaml', message: `${label}: git files generator: ${rel}: ${(e as Error).message}`, location: { file: f, range: loc.range } });
        continue;
      }
      const items = Array.isArray(content) ? content : [content];
      for (const item of items) {
        if (!isRecord(item)) continue;
        const dirRel = path.posix.dirname(rel);
        const pp = pathParams(dirRel === '.' ? '' : dirRel, goTemplate);
        const base = path.posix.basename(rel);
        if (goTemplate) {
          (pp.path as Record<string, unknown>).filename = base;
          (pp.path as Record<string, unknown>).filenameNormalized = normalizeName(base);
          out.push(withPrefix({ ...item, ...pp }));
        } else {
          pp['path.filename'] = base;
          pp['path.filenameNormalized'] = normalizeName(base);
          out.push(withPrefix({ ...flatten(item), ...pp }));
        }
      }
    }
  }
  if (!Array.isArray(git.directories) && !Array.isArray(git.files)) {
    notices.push({ code: 'unsupported', severity: 'warning', message: `${label}: git generator without directories or files`, location: loc });
  }
  return out;
}

function normalizeName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-.]/g, '-');
}

function pathParams(rel: string, goTemplate: boolean): Params {
  const segments = rel ? rel.split('/') : [];
  const basename = segments[segments.length - 1] ?? '';
  if (goTemplate) return { path: { path: rel, basename, basenameNormalized: normalizeName(basename), segments } };
  const p: Params = { path: rel, 'path.basename': basename, 'path.basenameNormalized': normalizeName(basename) };
  segments.forEach((s, i) => (p[`path[${i}]`] = s));
  return p;
}

function flatten(obj: Record<string, unknown>, prefix = '', out: Params = {}): Params {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isRecord(v)) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

const FAST_RE = /\{\{\s*([^{}]+?)\s*\}\}/g;
const GO_RE = /\{\{-?\s*([^{}]*?)\s*-?\}\}/g;

/** Substitutes `{{key}}` (fasttemplate) or `{{.a.b}}` (goTemplate) in every string of the template. */
export function substitute(value: unknown, params: Params, goTemplate: boolean, unsupported: Set<string>): unknown {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    if (!goTemplate) {
      return value.replace(FAST_RE, (m, key: string) => {
        const v = params[key];
        return v === undefined ? m : String(v);
      });
    }
    return value.replace(GO_RE, (m, expr: string) => {
      const fieldRef = /^\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)$/.exec(expr);
      if (!fieldRef) {
        unsupported.add(m);
        return m;
      }
      let cur: unknown = params;
      for (const k of fieldRef[1].split('.')) cur = isRecord(cur) ? cur[k] : undefined;
      if (cur === undefined || isRecord(cur) || Array.isArray(cur)) {
        unsupported.add(m);
        return m;
      }
      return String(cur);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, params, goTemplate, unsupported));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[substitute(k, params, goTemplate, unsupported) as string] = substitute(v, params, goTemplate, unsupported);
    return out;
  }
  return value;
}

/** Helm-style deep merge: mappings merge, everything else (lists included) is replaced. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isRecord(v) && isRecord(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}


/** `a.b.c` → { a: { b: { c: value } } } (a helm --set-file name; `\.` keeps a dot in a key). */
function setPath(name: string, value: unknown): Record<string, unknown> {
  const keys = name.split(/(?<!\\)\./).map((k) => k.replace(/\\\./g, '.'));
  let out: unknown = value;
  for (const k of keys.reverse()) out = { [k]: out };
  return out as Record<string, unknown>;
}

/**
 * Argo CD `source.kustomize` as its repo-server applies it (user-guide/kustomize.md): `kustomize edit`
 * of the source's kustomization before the build — namePrefix/nameSuffix and namespace replace, images
 * and replicas replace by name or add, commonLabels/commonAnnotations merge, patches and components are
 * added. Made here as the edit of a private copy (render/flux, FluxBuild); options it cannot apply are
 * said, at the field.
 */
function argoKustomize(
  ctx: DiscoveryContext,
  dir: string,
  k: Record<string, unknown>,
  where: string,
  loc: () => SourceLocation,
  errors: RepoError[],
  /** The folder is in another repository: paths are not checked here (the render reads them there). */
  remote = false,
): { build: Omit<FluxBuild, 'root' | 'files'>; files: string[] } | undefined {
  const { tree } = ctx;
  const build: Omit<FluxBuild, 'root' | 'files'> = { label: where };
  const files: string[] = [];
  const strings = (v: unknown): Record<string, string> | undefined =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined;
  if (str(k.namePrefix)) build.namePrefix = k.namePrefix as string;
  if (str(k.nameSuffix)) build.nameSuffix = k.nameSuffix as string;
  if (str(k.namespace)) build.targetNamespace = k.namespace as string;
  if (Array.isArray(k.images)) {
    build.images = k.images.filter((x): x is string => typeof x === 'string').map(parseArgoImage);
  }
  const labels = strings(k.commonLabels);
  if (labels && Object.keys(labels).length) {
    build.commonLabels = labels;
    if (k.labelWithoutSelector === true) build.labelsWithoutSelector = { includeTemplates: k.labelIncludeTemplates === true };
  }
  const annotations = strings(k.commonAnnotations);
  if (annotations && Object.keys(annotations).length) build.commonAnnotations = annotations;
  if (Array.isArray(k.replicas)) {
    build.replicas = k.replicas.filter(isRecord).filter((r) => typeof r.name === 'string' && (typeof r.count === 'number' || /^\d+$/.test(String(r.count)))).map((r) => ({ name: r.name as string, count: Number(r.count) }));
  }
  if (Array.isArray(k.patches)) {
    build.patches = [];
    for (const pt of k.patches.filter(isRecord)) {
      let text = typeof pt.patch === 'string' ? pt.patch : undefined;
      if (text === undefined && typeof pt.path === 'string' && remote) {
        errors.push({ code: 'unsupported', severity: 'warning', message: `${where}: kustomize patch '${pt.path}' (a file of the other repository) is not applied`, location: loc() });
        continue;
      }
      if (text === undefined && typeof pt.path === 'string') {
        const f = path.resolve(dir, pt.path);
        const r = insideRepository(tree, f) ? tree.read(f) : undefined;
        if (!r || r.error) {
          errors.push({ code: 'missing-path', message: `${where}: kustomize patch '${pt.path}' does not exist in this repository`, location: loc() });
          continue;
        }
        text = r.text;
        files.push(f);
      }
      if (text === undefined) continue;
      const target = isRecord(pt.target) ? (strings(pt.target) as NonNullable<FluxBuild['patches']>[number]['target']) : undefined;
      build.patches.push({ patch: text, ...(target ? { target } : {}) });
    }
  }
  if (Array.isArray(k.components)) {
    build.components = [];
    for (const c of k.components.filter((x): x is string => typeof x === 'string')) {
      const cdir = path.resolve(dir, c);
      if (remote) {
        build.components.push(c);
        continue;
      }
      if (!ctx.hasKustomization(cdir)) {
        if (k.ignoreMissingComponents === true) continue;
        errors.push({ code: 'missing-path', message: `${where}: kustomize component '${c}' is not a kustomization in this repository`, location: loc() });
        continue;
      }
      build.components.push(c);
      files.push(...(ctx.closure(cdir)?.files ?? []));
    }
  }
  const handled = new Set(['version', 'namePrefix', 'nameSuffix', 'namespace', 'images', 'commonLabels', 'labelWithoutSelector', 'labelIncludeTemplates', 'commonAnnotations', 'replicas', 'patches', 'components', 'ignoreMissingComponents', 'forceCommonLabels', 'forceCommonAnnotations']);
  const rest = Object.keys(k).filter((x) => !handled.has(x) && k[x] !== undefined && k[x] !== false);
  if (rest.length) errors.push({ code: 'unsupported', severity: 'warning', message: `${where}: kustomize options (${rest.join(', ')}) are not applied by the local render`, location: loc() });
  return Object.keys(build).length > 1 ? { build, files } : undefined;
}

/** An Argo CD kustomize image override: `name[=newName][:tag][@digest]`, as `kustomize edit set image` reads it. */
function parseArgoImage(s: string): { name: string; newName?: string; newTag?: string; digest?: string } {
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let name = rest;
  let target: string | undefined;
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    name = rest.slice(0, eq);
    target = rest.slice(eq + 1);
  }
  const splitTag = (x: string): [string, string | undefined] => {
    const colon = x.lastIndexOf(':');
    return colon > x.lastIndexOf('/') ? [x.slice(0, colon), x.slice(colon + 1)] : [x, undefined];
  };
  let newName: string | undefined;
  let newTag: string | undefined;
  if (target !== undefined) [newName, newTag] = splitTag(target);
  else [name, newTag] = splitTag(name);
  return { name, ...(newName && newName !== name ? { newName } : {}), ...(newTag ? { newTag } : {}), ...(digest ? { digest } : {}) };
}

/** doublestar's walk order: a folder's own files (lexically) before its sub-folders (lexically). */
function doublestarOrder(a: string, b: string): number {
  const pa = a.split(path.sep);
  const pb = b.split(path.sep);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const fileA = i === pa.length - 1;
    const fileB = i === pb.length - 1;
    if (fileA !== fileB) return fileA ? -1 : 1;
    return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}
