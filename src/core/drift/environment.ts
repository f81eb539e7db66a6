// Drift of a whole environment: the desired objects (rendered from Git) against a LiveCache.
// - EnvironmentDrift keeps results current: a watch event recomputes only the objects it touched and
//   fires onDidChange with their keys (the lens and the tree listen).
// - checkEnvironmentDrift() is the one-shot form for the CLI (`reconcile drift`), either strategy.
// - Live objects of the tracked types that carry the environment's ownership marks but are not in Git
//   are reported as "not in Git" (objects owned by another object, e.g. ReplicaSets, are not).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Disposable } from '../cluster/emitter';
import { LiveCache, type CacheHealth, type LiveCacheOptions } from '../cluster/live-cache';
import type { ClusterClient, RawObject } from '../cluster/types';
import { resourceKey, type ResourceId } from '../manifest/identity';
import type { RenderedDocument } from '../render/types';
import type { Environment } from '../repo/model';
import { Semaphore } from '../util/semaphore';
import { argoIgnoreExtraneous, compareLocal, compareServerSide, effectiveId, type DesiredObject, type DriftOptions } from './engine';
import { compileIgnoreRules } from './ignore';
import { REPOSITORY_ANNOTATION } from './normalize';
import { gitRemoteUrls, normalizeRepoURL } from '../delegate/sources';
import { isHook, type Deployer } from '../phase';
import type { DriftCounts, DriftResult, DriftStrategy, EnvironmentDriftReport, EnvironmentOwnership, NotInGit } from './types';

export const ENVIRONMENT_LABEL = 'reconcile.dev/environment';
export { REPOSITORY_ANNOTATION };
export const ARGO_INSTANCE_LABEL = 'app.kubernetes.io/instance';
export const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
export const FLUX_KUSTOMIZATION_LABELS = { name: 'kustomize.toolkit.fluxcd.io/name', namespace: 'kustomize.toolkit.fluxcd.io/namespace' } as const;
export const FLUX_HELM_LABELS = { name: 'helm.toolkit.fluxcd.io/name', namespace: 'helm.toolkit.fluxcd.io/namespace' } as const;

export interface DesiredSet {
  objects: DesiredObject[];
  /** Objects defined more than once with different content (the first definition is compared). */
  warnings: string[];
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * The environment's desired objects from rendered documents, one per identity (the first wins).
 * `deployerOf` says who applies a document (its application's engine: phase/deployerOf), for its hooks.
 */
export function desiredFromDocuments(documents: Iterable<Pick<RenderedDocument, 'object' | 'id' | 'source'>>, deployerOf?: (object: RawObject) => Deployer | undefined): DesiredSet {
  const byKey = new Map<string, { d: DesiredObject; text: string }>();
  const warnings: string[] = [];
  for (const doc of documents) {
    if (!doc.id || !doc.id.kind || !doc.id.version) continue;
    const key = resourceKey(doc.id);
    const text = stable(doc.object);
    const seen = byKey.get(key);
    if (seen) {
      if (seen.text !== text) {
        const where = (s?: { file?: string }) => (s?.file ? ` (${s.file})` : '');
        warnings.push(`${doc.id.kind} ${doc.id.namespace ? `${doc.id.namespace}/` : ''}${doc.id.name} is defined twice with different content${where(seen.d.source)}${where(doc.source)}: the first definition is compared`);
      }
      continue;
    }
    const deployer = deployerOf?.(doc.object);
    byKey.set(key, { d: { object: doc.object, id: doc.id, ...(doc.source ? { source: doc.source } : {}), ...(deployer ? { deployer } : {}) }, text });
  }
  return { objects: [...byKey.values()].map((x) => x.d), warnings };
}

/**
 * The identity of the repository holding `dir`, for the `reconcile.dev/repository` annotation: its
 * first git remote's URL as host/path (`github.com/org/gitops`, the same for the https, ssh and scp
 * forms), a local remote's path, or `local/<name of the repository's top folder>` when it has no remote
 * (or is no git repository: then the folder's own name). Read from .git/config: no git process runs.
 */
export function repositoryIdentity(dir: string): string {
  const url = gitRemoteUrls(dir)[0];
  if (url) {
    const n = normalizeRepoURL(url);
    if (n) return n;
    const local = url.replace(/^file:\/\//, '').replace(/\/+$/, '').replace(/\.git$/i, '');
    if (local) return local;
  }
  let d = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(d, '.git'))) return `local/${path.basename(d)}`;
    const up = path.dirname(d);
    if (up === d) return `local/${path.basename(path.resolve(dir))}`;
    d = up;
  }
}

/** The payload as Reconcile applies it: with the repository annotation when the ownership names one. The input is not changed. */
export function markRepository(payload: RawObject, own: Pick<EnvironmentOwnership, 'repository'>): RawObject {
  if (!own.repository) return payload;
  const meta = typeof payload.metadata === 'object' && payload.metadata !== null ? (payload.metadata as Record<string, unknown>) : {};
  const annotations = typeof meta.annotations === 'object' && meta.annotations !== null ? (meta.annotations as Record<string, unknown>) : {};
  return { ...payload, metadata: { ...meta, annotations: { ...annotations, [REPOSITORY_ANNOTATION]: own.repository } } };
}

/**
 * The ownership marks of an environment, from its applications (Argo CD apps, Flux
 * Kustomizations/HelmReleases), and the repository it is defined in when given (repositoryIdentity()).
 */
export function ownershipOf(env: Pick<Environment, 'name' | 'applications'>, repository?: string): EnvironmentOwnership {
  const argoApps: string[] = [];
  const fluxKustomizations: Array<{ name: string; namespace: string }> = [];
  const fluxHelmReleases: Array<{ name: string; namespace: string }> = [];
  for (const app of env.applications) {
    if (app.sourceKind === 'argocd') argoApps.push(app.name);
    const m = /#(Kustomization|HelmRelease)\/([^/]*)\/([^/]+)$/.exec(app.id);
    if (app.sourceKind === 'flux' && m) (m[1] === 'Kustomization' ? fluxKustomizations : fluxHelmReleases).push({ namespace: m[2] || 'flux-system', name: m[3] });
  }
  return { environment: env.name, ...(repository ? { repository } : {}), argoApps, fluxKustomizations, fluxHelmReleases };
}

function labelsOf(o: RawObject): Record<string, unknown> {
  const l = (o.metadata as { labels?: unknown } | undefined)?.labels;
  return typeof l === 'object' && l !== null ? (l as Record<string, unknown>) : {};
}

function annotationsOf(o: RawObject): Record<string, unknown> {
  const a = (o.metadata as { annotations?: unknown } | undefined)?.annotations;
  return typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
}

/**
 * Which ownership mark of the environment the object carries, or undefined. An object that names
 * another repository in its `reconcile.dev/repository` annotation is never the environment's (two
 * repositories may both have a `prod` on one cluster); one without the annotation is judged by its
 * other marks alone, as before the annotation existed.
 */
export function ownershipMark(o: RawObject, own: EnvironmentOwnership): string | undefined {
  const labels = labelsOf(o);
  const ann = annotationsOf(o);
  const repo = ann[REPOSITORY_ANNOTATION];
  if (own.repository && typeof repo === 'string' && repo !== own.repository) return undefined;
  if (labels[ENVIRONMENT_LABEL] === own.environment) return `label ${ENVIRONMENT_LABEL}=${own.environment}`;
  for (const app of own.argoApps ?? []) {
    const tracking = ann[ARGO_TRACKING_ANNOTATION];
    if (typeof tracking === 'string' && tracking.startsWith(`${app}:`)) return `Argo CD application ${app} (${ARGO_TRACKING_ANNOTATION})`;
    if (labels[ARGO_INSTANCE_LABEL] === app) return `Argo CD application ${app} (label ${ARGO_INSTANCE_LABEL})`;
  }
  for (const k of own.fluxKustomizations ?? []) {
    if (labels[FLUX_KUSTOMIZATION_LABELS.name] === k.name && labels[FLUX_KUSTOMIZATION_LABELS.namespace] === k.namespace) return `Flux Kustomization ${k.namespace}/${k.name}`;
  }
  for (const h of own.fluxHelmReleases ?? []) {
    if (labels[FLUX_HELM_LABELS.name] === h.name && labels[FLUX_HELM_LABELS.namespace] === h.namespace) return `Flux HelmRelease ${h.namespace}/${h.name}`;
  }
  return undefined;
}

/** Who applied a live object, as far as its ownership mark tells: Flux's kustomize-controller runs no hooks. */
export function liveDeployer(mark: string): Deployer | undefined {
  return mark.startsWith('Flux Kustomization') ? 'flux-kustomize' : mark.startsWith('Flux HelmRelease') ? 'flux-helm' : undefined;
}

function ownedByAnother(o: RawObject): boolean {
  const refs = (o.metadata as { ownerReferences?: unknown } | undefined)?.ownerReferences;
  return Array.isArray(refs) && refs.some((r) => (r as { controller?: unknown })?.controller === true);
}

export function countResults(results: readonly DriftResult[], notInGit: number): DriftCounts {
  const c: DriftCounts = { total: results.length, inSync: 0, drifted: 0, missing: 0, unknown: 0, skipped: 0, notInGit };
  for (const r of results) {
    if (r.status === 'in-sync') c.inSync++;
    else if (r.status === 'drifted') c.drifted++;
    else if (r.status === 'missing') c.missing++;
    else if (r.status === 'unknown') c.unknown++;
    else c.skipped++;
  }
  return c;
}

export interface EnvironmentDriftOptions extends Omit<DriftOptions, 'ignore'> {
  environment: string;
  context?: string;
  /** Ignore rules from RepoConfig.ignore. */
  ignoreRules?: import('../repo/model').IgnoreRule[];
  ownership?: EnvironmentOwnership;
}

export interface DriftChange {
  /** Keys of the desired objects whose result changed (and of not-in-Git objects that came or went). */
  keys: string[];
  /** performance.now() of the live change that caused it, when there was one. */
  causeAt?: number;
}

/**
 * The drift of one environment, kept current from a LiveCache (local strategy). dispose() only
 * unsubscribes: the owner of the cache stops it (LiveCache.stop()) when nothing shows the environment.
 */
export class EnvironmentDrift implements Disposable {
  private desired: DesiredObject[] = [];
  private desiredKeys: string[] = [];
  private warnings: string[] = [];
  /** desired key (as written) → desired object */
  private byKey = new Map<string, DesiredObject>();
  /** effective key (namespace resolved) → desired key */
  private effective = new Map<string, string>();
  private readonly resultMap = new Map<string, DriftResult>();
  private notInGitMap = new Map<string, NotInGit>();
  private ignoredExtraneousMap = new Map<string, NotInGit>();
  private readonly changes = new Emitter<DriftChange>();
  private readonly subscriptions: Disposable[] = [];
  private readonly compiled;
  private readonly opts: DriftOptions;

  /** Results changed (keys given). */
  readonly onDidChange = this.changes.event;

  constructor(readonly cache: LiveCache, private readonly options: EnvironmentDriftOptions) {
    this.compiled = compileIgnoreRules(options.ignoreRules ?? []);
    this.opts = { ...options, ignore: this.compiled };
    this.subscriptions.push(cache.onChange((e) => this.onLive(e.keys, e.at)));
    this.subscriptions.push(cache.onHealth((h) => this.onHealth(h)));
  }

  /** Sets the desired objects (from Git) and tracks their types. Resolves when the first reads settled. */
  async setDesired(set: DesiredSet | DesiredObject[]): Promise<void> {
    const s = Array.isArray(set) ? { objects: set, warnings: [] } : set;
    this.desired = s.objects;
    this.desiredKeys = s.objects.map((d) => resourceKey(d.id));
    this.warnings = s.warnings;
    this.byKey = new Map(s.objects.map((d) => [resourceKey(d.id), d]));
    const tracking = this.cache.track(s.objects.map((d) => d.id));
    this.recomputeAll(true);
    await tracking;
    this.recomputeAll();
  }

  result(key: string): DriftResult | undefined {
    return this.resultMap.get(key) ?? this.resultMap.get(this.effective.get(key) ?? '');
  }

  results(): DriftResult[] {
    return [...this.resultMap.values()];
  }

  notInGit(): NotInGit[] {
    return [...this.notInGitMap.values()];
  }

  health(): CacheHealth {
    return this.cache.health();
  }

  report(): EnvironmentDriftReport {
    const results = this.results();
    const notInGit = this.notInGit();
    return {
      environment: this.options.environment,
      ...(this.options.context ? { context: this.options.context } : {}),
      strategy: 'local',
      results,
      notInGit,
      ignoredExtraneous: [...this.ignoredExtraneousMap.values()],
      counts: countResults(results, notInGit.length),
      warnings: [...this.warnings, ...this.compiled.problems.map((p) => `ignore rule: ${p.expression}: ${p.message}`)],
      checkedAt: Date.now(),
    };
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    this.changes.dispose();
  }

  private disposed = false;
  /** Per kind (group/version/kind): the state of its discovery and streams, as last seen. */
  private kindStates = new Map<string, string>();

  /** Recomputes the results of the kinds whose discovery or streams changed state. */
  private onHealth(h: CacheHealth): void {
    if (this.disposed) return;
    const sigs = new Map<string, string>();
    for (const k of h.kinds) sigs.set(`${k.group}/${k.version}/${k.kind}`, `${k.state}|${k.error?.message ?? ''}`);
    for (const s of h.streams) {
      const key = `${s.group}/${s.version}/${s.kind}`;
      sigs.set(key, `${sigs.get(key) ?? ''};${s.namespace ?? '*'}:${s.state}:${s.error?.message ?? ''}`);
    }
    const changedKinds = new Set<string>();
    for (const [k, sig] of sigs) if (this.kindStates.get(k) !== sig) changedKinds.add(k);
    this.kindStates = sigs;
    if (changedKinds.size === 0) return;
    const changed: string[] = [];
    for (let i = 0; i < this.desired.length; i++) {
      const d = this.desired[i];
      if (!changedKinds.has(`${d.id.group}/${d.id.version}/${d.id.kind}`)) continue;
      const key = this.desiredKeys[i];
      const r = this.compute(d, key, false);
      if (!r) continue;
      this.effective.set(r.key, key);
      this.resultMap.set(key, r);
      changed.push(key);
    }
    changed.push(...this.scanNotInGit(undefined, changedKinds));
    if (changed.length) this.changes.fire({ keys: changed });
  }

  /** What a result was computed from: recomputing is needed only when this changes. */
  private readonly basis = new Map<string, { state: string; object?: RawObject; error?: string; stale?: boolean }>();

  private compute(d: DesiredObject, key: string, force: boolean): DriftResult | undefined {
    const lookup = this.cache.lookup(d.id);
    const b = {
      state: lookup.state,
      object: lookup.state === 'found' ? lookup.object : undefined,
      error: lookup.state === 'unavailable' ? lookup.error.message : undefined,
      stale: lookup.state === 'found' || lookup.state === 'absent' ? lookup.stale === true : undefined,
    };
    const old = this.basis.get(key);
    if (!force && old && old.state === b.state && old.object === b.object && old.error === b.error && old.stale === b.stale && this.resultMap.has(key)) return undefined;
    this.basis.set(key, b);
    return compareLocal(d, lookup, this.opts);
  }

  /** Recomputes the results whose live side changed (all of them with `force`: new desired objects). */
  private recomputeAll(force = false): void {
    const changed: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < this.desired.length; i++) {
      const d = this.desired[i];
      const key = this.desiredKeys[i];
      seen.add(key);
      const r = this.compute(d, key, force);
      if (!r) continue;
      this.effective.set(r.key, key);
      const old = this.resultMap.get(key);
      this.resultMap.set(key, r);
      if (!old || !sameResult(old, r)) changed.push(key);
    }
    for (const k of [...this.resultMap.keys()]) {
      if (seen.has(k)) continue;
      this.resultMap.delete(k);
      this.basis.delete(k);
      changed.push(k);
    }
    for (const [eff, k] of [...this.effective]) if (!seen.has(k)) this.effective.delete(eff);
    changed.push(...this.scanNotInGit());
    if (changed.length) this.changes.fire({ keys: changed });
  }

  private onLive(liveKeys: string[], at: number): void {
    const changed: string[] = [];
    for (const lk of liveKeys) {
      const key = this.effective.get(lk) ?? (this.byKey.has(lk) ? lk : undefined);
      if (key) {
        const r = this.compute(this.byKey.get(key)!, key, false);
        if (!r) continue;
        this.effective.set(r.key, key);
        this.resultMap.set(key, r);
        changed.push(key);
      }
    }
    changed.push(...this.scanNotInGit(liveKeys));
    if (changed.length) this.changes.fire({ keys: changed, causeAt: at });
  }

  /**
   * Updates not-in-Git — for all live objects, for these live keys (`only`), or for these kinds
   * (`group/version/kind`) — and returns the keys that came or went.
   */
  private scanNotInGit(only?: string[], kinds?: ReadonlySet<string>): string[] {
    const own = this.options.ownership ?? { environment: this.options.environment };
    const changed: string[] = [];
    const desiredKeys = this.effective;
    const classify = (o: RawObject, key: string, id: ResourceId): void => {
      if (desiredKeys.has(key) || ownedByAnother(o)) return;
      const mark = ownershipMark(o, own);
      // A hook (a Job a PreSync ran, a Helm test pod) belongs to a sync, not to Git's state: never "not in Git".
      if (mark && isHook(o, liveDeployer(mark))) return;
      if (mark) (argoIgnoreExtraneous(o) ? this.ignoredExtraneousMap : this.notInGitMap).set(key, { id, key, reason: mark });
    };
    const known = () => new Set([...this.notInGitMap.keys(), ...this.ignoredExtraneousMap.keys()]);
    if (only) {
      for (const key of only) {
        const had = this.notInGitMap.has(key) || this.ignoredExtraneousMap.has(key);
        this.notInGitMap.delete(key);
        this.ignoredExtraneousMap.delete(key);
        const lo = this.cache.objectByKey(key);
        if (lo) classify(lo.object, key, idOf(lo.object, lo.type));
        if (had !== (this.notInGitMap.has(key) || this.ignoredExtraneousMap.has(key))) changed.push(key);
      }
      return changed;
    }
    const before = known();
    if (kinds) {
      const inKinds = (n: NotInGit) => kinds.has(`${n.id.group}/${n.id.version}/${n.id.kind}`);
      for (const m of [this.notInGitMap, this.ignoredExtraneousMap]) for (const [k, n] of m) if (inKinds(n)) m.delete(k);
    } else {
      this.notInGitMap = new Map();
      this.ignoredExtraneousMap = new Map();
    }
    for (const lo of this.cache.objects(kinds)) classify(lo.object, lo.key, idOf(lo.object, lo.type));
    const after = known();
    for (const k of before) if (!after.has(k)) changed.push(k);
    for (const k of after) if (!before.has(k)) changed.push(k);
    return changed;
  }
}

function idOf(o: RawObject, type: { group: string; version: string; kind: string; namespaced: boolean }): ResourceId {
  const meta = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const id: ResourceId = { group: type.group, version: type.version, kind: type.kind, name: String(meta.name ?? '') };
  if (type.namespaced && typeof meta.namespace === 'string') id.namespace = meta.namespace;
  return id;
}

function sameResult(a: DriftResult, b: DriftResult): boolean {
  if (a.status !== b.status) return false;
  const strip = (r: DriftResult) => JSON.stringify({ ...r, checkedAt: 0 });
  return strip(a) === strip(b);
}

export interface CheckOptions extends EnvironmentDriftOptions {
  strategy?: DriftStrategy;
  cache?: LiveCacheOptions;
  /** Dry-runs at once (server-side strategy). Default 8. */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * One-shot drift of an environment (the CLI): LIST the types, compare, stop. With the server-side
 * strategy every object that exists is dry-run applied too.
 */
export async function checkEnvironmentDrift(client: ClusterClient, desired: DesiredSet | DesiredObject[], options: CheckOptions): Promise<EnvironmentDriftReport> {
  // One look is all it needs: LIST only, no watches.
  const cache = new LiveCache(client, { defaultNamespace: options.defaultNamespace, watch: false, ...options.cache });
  const env = new EnvironmentDrift(cache, options);
  try {
    await env.setDesired(desired);
    const report = env.report();
    if ((options.strategy ?? 'local') === 'local') return report;
    const sem = new Semaphore(options.concurrency ?? 8);
    const compiled = compileIgnoreRules(options.ignoreRules ?? []);
    const objects = Array.isArray(desired) ? desired : desired.objects;
    const results = await Promise.all(
      objects.map((d) =>
        sem.run(() => compareServerSide(client, d, cache.lookup(d.id), { ...options, ignore: compiled, signal: options.signal })),
      ),
    );
    return { ...report, strategy: 'server-side', results, counts: countResults(results, report.notInGit.length), checkedAt: Date.now() };
  } finally {
    env.dispose();
    cache.stop();
  }
}

export { effectiveId };
