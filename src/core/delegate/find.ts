// Which GitOps engines manage an environment in its cluster: the Argo CD Applications whose source
// (spec.source or spec.sources[]) points at one of the environment's application folders, and the Flux
// Kustomizations (spec.path) and HelmReleases (chart path from a GitRepository, or the name the
// repository's own Flux definitions give them) that deploy it. One LIST per kind, cluster-wide; when
// that is forbidden, the usual namespaces (argocd, flux-system, the definitions' own) are tried.
import * as path from 'node:path';
import type { ClusterClient, RawObject } from '../cluster/types';
import { isClusterError } from '../cluster/errors';
import type { DesiredSet } from '../drift/environment';
import type { Application, Environment } from '../repo/model';
import { definitionObjects, gitRemoteUrls, normalizeRepoURL, normalizeSourcePath, relativeRoot, repoURLsOfObjects } from './sources';
import { statusOf } from './status';
import type { Engine, KindScan, Manager, ManagerKind, ManagerRef, ManagerScan, MatchReason, RepoCheck } from './types';

export interface FindManagersOptions {
  /** The repository root (RepoModel.root): sources' paths are relative to it. */
  root: string;
  /** The environment as rendered (renderEnvironment().set): its Argo CD and Flux source objects add repository URLs and namespaces to look in. */
  rendered?: Pick<DesiredSet, 'objects'>;
  /** More URLs of this repository (e.g. its remotes as the editor's git extension knows them). */
  repoURLs?: string[];
  /** Read the git remotes of the repository holding `root` (default true). */
  readGitRemotes?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

interface KindSpec {
  engine: Engine;
  kind: ManagerKind | 'GitRepository';
  /** Served versions, newest first: the first one the cluster serves is read. */
  apiVersions: string[];
}

export const ARGO_APPLICATION: KindSpec = { engine: 'argocd', kind: 'Application', apiVersions: ['argoproj.io/v1alpha1'] };
export const FLUX_KUSTOMIZATION: KindSpec = { engine: 'flux', kind: 'Kustomization', apiVersions: ['kustomize.toolkit.fluxcd.io/v1', 'kustomize.toolkit.fluxcd.io/v1beta2'] };
export const FLUX_HELMRELEASE: KindSpec = { engine: 'flux', kind: 'HelmRelease', apiVersions: ['helm.toolkit.fluxcd.io/v2', 'helm.toolkit.fluxcd.io/v2beta2', 'helm.toolkit.fluxcd.io/v2beta1'] };
const FLUX_GITREPOSITORY: KindSpec = { engine: 'flux', kind: 'GitRepository', apiVersions: ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'] };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : []);
const metaOf = (o: Obj) => ({ name: str(obj(o.metadata).name) ?? '', namespace: str(obj(o.metadata).namespace) ?? '' });

interface Listed {
  scan: KindScan;
  items: RawObject[];
}

async function listKind(client: ClusterClient, spec: KindSpec, fallbackNamespaces: string[], o: FindManagersOptions): Promise<Listed> {
  const req = { signal: o.signal, timeoutMs: o.timeoutMs };
  let apiVersion = spec.apiVersions[0];
  const fail = (state: KindScan['state'], e: unknown): Listed => ({
    scan: { engine: spec.engine, kind: spec.kind, apiVersion, state, message: isClusterError(e) ? e.message : String((e as Error)?.message ?? e), ...(isClusterError(e) ? { errorKind: e.kind } : {}) },
    items: [],
  });
  let type;
  try {
    for (const v of spec.apiVersions) {
      type = await client.resolve(v, spec.kind, req);
      if (type) {
        apiVersion = v;
        break;
      }
    }
  } catch (e) {
    return fail(isClusterError(e) && e.kind === 'forbidden' ? 'forbidden' : 'error', e);
  }
  if (!type) return { scan: { engine: spec.engine, kind: spec.kind, apiVersion, state: 'not-served' }, items: [] };
  try {
    const r = await client.list(type, undefined, req);
    return { scan: { engine: spec.engine, kind: spec.kind, apiVersion, state: 'listed' }, items: r.items };
  } catch (e) {
    if (!isClusterError(e) || e.kind !== 'forbidden') return fail('error', e);
    // Cluster-wide LIST forbidden: the namespaces these objects usually live in may still be readable.
    const items: RawObject[] = [];
    const allowed: string[] = [];
    for (const ns of fallbackNamespaces) {
      try {
        items.push(...(await client.list(type, ns, req)).items);
        allowed.push(ns);
      } catch (e2) {
        if (!isClusterError(e2) || (e2.kind !== 'forbidden' && e2.kind !== 'not-found')) return fail('error', e2);
      }
    }
    if (allowed.length === 0) return fail('forbidden', e);
    return { scan: { engine: spec.engine, kind: spec.kind, apiVersion, state: 'listed', namespaces: allowed, message: `${e.message}; read ${allowed.join(', ')} only` }, items };
  }
}

/** The helm value files a source names, absolute, without the chart's own values.yaml (always used). */
function valueFileSet(files: string[], chartDir: string): Set<string> {
  const own = path.join(chartDir, 'values.yaml');
  return new Set(files.map((f) => path.resolve(f)).filter((f) => f !== own));
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

interface Match {
  apps: Application[];
  reasons: MatchReason[];
  repo: RepoCheck | 'other';
  notes: string[];
  /** For a repo mismatch: what it points at. */
  otherRepo?: string;
}

/**
 * Finds the Argo CD Applications and Flux Kustomizations/HelmReleases in the cluster that manage
 * `env`. Kinds the cluster does not serve mean "not managed by that engine"; a forbidden kind is
 * reported in `kinds` (never as "not managed"). Never rejects for cluster errors: they are in `kinds`.
 */
export async function findManagers(client: ClusterClient, env: Environment, options: FindManagersOptions): Promise<ManagerScan> {
  const root = path.resolve(options.root);
  const definitions = definitionObjects(env);
  const renderedObjects = (options.rendered?.objects ?? []).map((d) => d.object);
  const known = new Set<string>();
  for (const u of [...(options.repoURLs ?? []), ...(options.readGitRemotes === false ? [] : gitRemoteUrls(root)), ...repoURLsOfObjects(definitions), ...repoURLsOfObjects(renderedObjects)]) {
    const n = normalizeRepoURL(u);
    if (n) known.add(n);
  }
  const apps = env.applications.map((app) => ({ app, rel: relativeRoot(root, app.root) }));
  const fluxNames = new Map<string, Application[]>();
  for (const app of env.applications) {
    const m = /#(Kustomization|HelmRelease)\/([^/]*)\/([^/]+)$/.exec(app.id);
    if (app.sourceKind !== 'flux' || !m) continue;
    const key = `${m[1]}/${m[2] || 'flux-system'}/${m[3]}`;
    fluxNames.set(key, [...(fluxNames.get(key) ?? []), app]);
  }
  const argoNames = new Set(env.applications.filter((a) => a.sourceKind === 'argocd').map((a) => a.name));

  const nsOf = (objs: unknown[], group: string) =>
    objs.map(obj).filter((o) => String(o.apiVersion ?? '').startsWith(`${group}/`)).map((o) => metaOf(o).namespace).filter(Boolean);
  const argoNs = [...new Set(['argocd', ...nsOf([...definitions, ...renderedObjects], 'argoproj.io')])];
  const fluxNs = [...new Set(['flux-system', ...[...fluxNames.keys()].map((k) => k.split('/')[1]), ...nsOf([...definitions, ...renderedObjects], 'kustomize.toolkit.fluxcd.io'), ...nsOf([...definitions, ...renderedObjects], 'helm.toolkit.fluxcd.io')])];

  const [argo, ks, hr] = await Promise.all([
    listKind(client, ARGO_APPLICATION, argoNs, options),
    listKind(client, FLUX_KUSTOMIZATION, fluxNs, options),
    listKind(client, FLUX_HELMRELEASE, fluxNs, options),
  ]);
  const kinds = [argo.scan, ks.scan, hr.scan];
  // Flux sources say which repository a Kustomization/HelmRelease reads: only worth a LIST when there are some.
  const gitRepos = new Map<string, string>();
  let gitScan: KindScan | undefined;
  if (ks.items.length + hr.items.length > 0) {
    const g = await listKind(client, FLUX_GITREPOSITORY, fluxNs, options);
    gitScan = g.scan;
    if (g.scan.state !== 'not-served') kinds.push(g.scan);
    for (const o of g.items) {
      const m = metaOf(o);
      const url = str(obj(o.spec).url);
      if (url) gitRepos.set(`${m.namespace}/${m.name}`, url);
    }
  }

  const repoOf = (url: string | undefined, what: string): { repo: RepoCheck | 'other'; note?: string; url?: string } => {
    if (!url) return { repo: 'unchecked', note: `repository not checked: ${what}` };
    const n = normalizeRepoURL(url);
    if (!n) return { repo: 'unchecked', note: `repository not checked: ${url} is not a git URL` };
    if (known.size === 0) return { repo: 'unchecked', note: `repository not checked: the URL of this repository is unknown (no git remote, and its definitions name no repoURL); matched on the path only` };
    return known.has(n) ? { repo: 'matched' } : { repo: 'other', url };
  };

  const helmCompatible = (app: Application, files: string[] | undefined): boolean => {
    if (app.renderer.kind !== 'helm') return true;
    return sameSet(valueFileSet(files ?? [], app.renderer.chartDir), valueFileSet(app.renderer.valueFiles, app.renderer.chartDir));
  };

  const managers: Manager[] = [];
  const skipped: ManagerScan['skipped'] = [];
  const consider = (ref: ManagerRef, o: RawObject, m: Match) => {
    if (m.apps.length === 0) return;
    if (m.repo === 'other' && !m.reasons.includes('name')) {
      skipped.push({ ref, reason: `its source ${m.otherRepo} is another repository than this one (${[...known].join(', ')})` });
      return;
    }
    const notes = [...m.notes];
    if (m.repo === 'other') notes.push(`its source ${m.otherRepo} is not one of this repository's URLs; matched by name`);
    managers.push({
      ...ref,
      applications: [...new Set(m.apps.map((a) => a.id))].sort(),
      matchedBy: m.reasons,
      repo: m.repo === 'other' ? 'unchecked' : m.repo,
      notes: [...new Set(notes)],
      status: statusOf(ref, o),
      object: o,
    });
  };

  // Argo CD: every git source with a path (Helm chart-repository sources have `chart`, not `path`).
  for (const o of argo.items) {
    const meta = metaOf(o);
    const ref: ManagerRef = { engine: 'argocd', kind: 'Application', apiVersion: argo.scan.apiVersion, ...meta };
    const spec = obj(o.spec);
    const sources = [...(spec.source ? [obj(spec.source)] : []), ...(Array.isArray(spec.sources) ? spec.sources.map(obj) : [])];
    const match: Match = { apps: [], reasons: [], repo: 'unchecked', notes: [] };
    const elsewhere: Application[] = [];
    for (const src of sources) {
      const p = str(src.path);
      if (p === undefined) continue;
      const rel = normalizeSourcePath(p);
      const valueFiles = strings(obj(src.helm).valueFiles).filter((f) => !f.startsWith('$') && !/^[a-z]+:\/\//i.test(f));
      // A chart shared by environments (charts/cache) is told apart by its value files, or by the name Git gives the Application.
      const hits = apps.filter((a) => a.rel === rel && (helmCompatible(a.app, valueFiles.map((f) => path.join(root, rel, f))) || argoNames.has(meta.name))).map((a) => a.app);
      if (hits.length === 0) continue;
      const r = repoOf(str(src.repoURL), 'the source names no repoURL');
      if (r.repo === 'other') {
        match.otherRepo = r.url;
        elsewhere.push(...hits);
        continue;
      }
      if (r.repo === 'matched') match.repo = 'matched';
      if (r.note) match.notes.push(r.note);
      match.apps.push(...hits);
    }
    if (match.apps.length) {
      match.reasons.push('path');
      if (argoNames.has(meta.name)) match.reasons.push('name');
      if (match.repo === 'matched') match.notes = [];
    } else if (elsewhere.length) {
      // Same folder, another repository: reported as skipped, never as a manager.
      match.apps = elsewhere;
      match.repo = 'other';
    }
    consider(ref, o, match);
  }

  const fluxRepo = (o: RawObject, sourceRef: Obj): { repo: RepoCheck | 'other'; note?: string; url?: string } => {
    const kind = str(sourceRef.kind) ?? 'GitRepository';
    const ns = str(sourceRef.namespace) ?? metaOf(o).namespace;
    const name = str(sourceRef.name);
    if (!name) return { repo: 'unchecked', note: 'repository not checked: the object names no source' };
    if (kind !== 'GitRepository') return { repo: 'unchecked', note: `repository not checked: the source is a ${kind}` };
    const url = gitRepos.get(`${ns}/${name}`);
    if (!url) {
      const why = gitScan && gitScan.state !== 'listed' ? `GitRepository ${ns}/${name} could not be read (${gitScan.message ?? gitScan.state})` : `GitRepository ${ns}/${name} is not in the cluster`;
      return { repo: 'unchecked', note: `repository not checked: ${why}` };
    }
    return repoOf(url, '');
  };

  const fluxMatch = (kind: 'Kustomization' | 'HelmRelease', o: RawObject, pathHits: Application[], sourceRef: Obj | undefined): Match => {
    const meta = metaOf(o);
    const named = fluxNames.get(`${kind}/${meta.namespace}/${meta.name}`) ?? [];
    const match: Match = { apps: [...pathHits, ...named], reasons: [], repo: 'unchecked', notes: [] };
    if (pathHits.length) match.reasons.push('path');
    if (named.length) match.reasons.push('name');
    if (match.apps.length === 0) return match;
    if (sourceRef) {
      const r = fluxRepo(o, sourceRef);
      match.repo = r.repo;
      if (r.note) match.notes.push(r.note);
      if (r.repo === 'other') {
        match.otherRepo = r.url;
        // Only the name ties it to the environment then: a path in another repository says nothing.
        if (named.length) match.apps = named;
      }
    } else match.notes.push('repository not checked: no Git source (matched by name)');
    return match;
  };

  for (const o of ks.items) {
    const spec = obj(o.spec);
    const rel = normalizeSourcePath(str(spec.path));
    const hits = apps.filter((a) => a.rel === rel).map((a) => a.app);
    consider({ engine: 'flux', kind: 'Kustomization', apiVersion: ks.scan.apiVersion, ...metaOf(o) }, o, fluxMatch('Kustomization', o, hits, obj(spec.sourceRef)));
  }

  for (const o of hr.items) {
    const spec = obj(o.spec);
    const chart = obj(obj(spec.chart).spec);
    const sourceRef = Object.keys(chart).length ? obj(chart.sourceRef) : undefined;
    let hits: Application[] = [];
    if (sourceRef && (str(sourceRef.kind) ?? 'GitRepository') === 'GitRepository' && str(chart.chart)) {
      const rel = normalizeSourcePath(str(chart.chart));
      const files = [...strings(chart.valuesFiles), ...(str(chart.valuesFile) ? [str(chart.valuesFile)!] : [])].map((f) => path.join(root, normalizeSourcePath(f)));
      hits = apps.filter((a) => a.rel === rel && helmCompatible(a.app, files)).map((a) => a.app);
    }
    // A chart from a HelmRepository/OCI registry or spec.chartRef: only the name can tie it to the environment.
    const gitSource = sourceRef && (str(sourceRef.kind) ?? 'GitRepository') === 'GitRepository' ? sourceRef : undefined;
    consider({ engine: 'flux', kind: 'HelmRelease', apiVersion: hr.scan.apiVersion, ...metaOf(o) }, o, fluxMatch('HelmRelease', o, hits, gitSource));
  }

  const order = (m: ManagerRef) => `${m.engine === 'argocd' ? 0 : 1}${m.kind}\u0000${m.namespace}\u0000${m.name}`;
  managers.sort((a, b) => order(a).localeCompare(order(b)));
  return { managers, kinds, skipped, repoURLs: [...known].sort() };
}
