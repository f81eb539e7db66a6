// Drift of one resource: normalizers → strategy → result (gitops-engine's pipeline).
// The local strategy is synchronous and cheap (for the lens); the server-side strategy sends the
// desired object as a server-side apply with dryRun=All (like `kubectl diff --server-side`) and
// compares what the server would store with what it has.
import type { ClusterClient, RawObject } from '../cluster/types';
import { ClusterError } from '../cluster/errors';
import type { LiveLookup } from '../cluster/live-cache';
import { resourceKey, type ResourceId } from '../manifest/identity';
import type { SourceLocation } from '../manifest/range';
import { compareObjects, DEFAULT_SYSTEM_MANAGERS, type CompareOptions } from './compare';
import { applyIgnore, type CompiledIgnore, type ResourceIgnore } from './ignore';
import { normalizeObject, toApplyPayload } from './normalize';
import type { DriftField, DriftResult, DriftStrategy } from './types';
import { classify, describe, type Deployer } from '../phase';

export const DEFAULT_FIELD_MANAGER = 'reconcile';

export const FLUX_RECONCILE = 'kustomize.toolkit.fluxcd.io/reconcile';
export const ARGO_COMPARE_OPTIONS = 'argocd.argoproj.io/compare-options';

/** A desired object from Git (rendered). */
export interface DesiredObject {
  object: RawObject;
  id: ResourceId;
  source?: SourceLocation;
  /** Who applies it (its application's engine), for its hooks and phase (phase/classify). Default: Reconcile's sync. */
  deployer?: Deployer;
}

export interface DriftOptions {
  /** The environment (ignore rules may be per environment). */
  environment?: string;
  ignore?: CompiledIgnore;
  /** Cluster controllers whose fields are never drift (DEFAULT_SYSTEM_MANAGERS). */
  systemManagers?: readonly string[];
  /** Update-operation managers that write Git's state (see CompareOptions.appliers). */
  appliers?: readonly string[];
  /** Field manager for server-side dry-runs (the one that applies Git's state). Default `reconcile`. */
  fieldManager?: string;
  /** Namespace for namespaced objects that name none. Default `default`. */
  defaultNamespace?: string;
  now?: () => number;
}

/** What a result needs to produce its diff documents later (kept out of the result itself). */
export interface ResultViews {
  group: string;
  kind: string;
  desired?: RawObject;
  live?: RawObject;
  /** The server's dry-run answer (server-side strategy). */
  predicted?: RawObject;
  ignore: ResourceIgnore;
  fields: DriftField[];
  strategy: DriftStrategy;
  note?: string;
}

const views = new WeakMap<DriftResult, ResultViews>();

/** The inputs of a result, for diffDocuments(). */
export function viewsOf(result: DriftResult): ResultViews | undefined {
  return views.get(result);
}

function annotations(o: RawObject | undefined): Record<string, unknown> {
  const a = (o?.metadata as { annotations?: unknown } | undefined)?.annotations;
  return typeof a === 'object' && a !== null ? (a as Record<string, unknown>) : {};
}

/** Flux's `kustomize.toolkit.fluxcd.io/reconcile: disabled`, on either side. */
export function fluxReconcileDisabled(...objs: Array<RawObject | undefined>): boolean {
  return objs.some((o) => String(annotations(o)[FLUX_RECONCILE] ?? '').toLowerCase() === 'disabled');
}

/** Argo CD's `argocd.argoproj.io/compare-options` contains IgnoreExtraneous. */
export function argoIgnoreExtraneous(o: RawObject | undefined): boolean {
  return String(annotations(o)[ARGO_COMPARE_OPTIONS] ?? '')
    .split(',')
    .some((x) => x.trim() === 'IgnoreExtraneous');
}

function namespaceFor(desired: DesiredObject, lookup: LiveLookup, defaultNamespace: string): string | undefined {
  const type = lookup.state === 'found' || lookup.state === 'absent' || (lookup.state === 'unavailable' && lookup.type) ? lookup.type : undefined;
  if (type && !type.namespaced) return undefined;
  return desired.id.namespace || (type?.namespaced ? defaultNamespace : undefined);
}

/** The identity with the namespace the cluster will use. */
export function effectiveId(desired: DesiredObject, lookup: LiveLookup, defaultNamespace = 'default'): ResourceId {
  const ns = namespaceFor(desired, lookup, defaultNamespace);
  const id: ResourceId = { ...desired.id };
  if (ns) id.namespace = ns;
  else delete id.namespace;
  return id;
}

function base(desired: DesiredObject, lookup: LiveLookup, opts: DriftOptions, strategy: DriftStrategy) {
  const id = effectiveId(desired, lookup, opts.defaultNamespace);
  return {
    id,
    key: resourceKey(id),
    ...(desired.source ? { source: desired.source } : {}),
    checkedAt: (opts.now ?? Date.now)(),
    strategy,
  };
}

function compareOptions(group: string, kind: string, mode: CompareOptions['mode'], ignore: ResourceIgnore, opts: DriftOptions): CompareOptions {
  return {
    group,
    kind,
    mode,
    systemManagers: new Set(opts.systemManagers ?? DEFAULT_SYSTEM_MANAGERS),
    ignoredManagers: ignore.managers,
    appliers: new Set(opts.appliers ?? []),
  };
}

function prepare(obj: RawObject, group: string, kind: string, namespace: string | undefined, ignore: ResourceIgnore): RawObject {
  // Without ignore rules nothing writes into the result: share the input's subtrees.
  const n = normalizeObject(obj, { group, kind, namespace, shared: ignore.empty });
  if (!ignore.empty) applyIgnore(n, ignore);
  return n;
}

/** Desired objects change rarely: their normalized form is kept per object, namespace and ignore rules. */
const desiredCache = new WeakMap<RawObject, Map<string, RawObject>>();

function prepareDesired(obj: RawObject, group: string, kind: string, namespace: string | undefined, ignore: ResourceIgnore): RawObject {
  const key = `${namespace ?? ''}\u0000${ignore.empty ? '' : JSON.stringify([ignore.pointers, ignore.jq])}`;
  let m = desiredCache.get(obj);
  if (!m) desiredCache.set(obj, (m = new Map()));
  let n = m.get(key);
  if (!n) m.set(key, (n = prepare(obj, group, kind, namespace, ignore)));
  return n;
}

/** Why an object without metadata.name cannot be compared (or applied). */
export function noNameReason(o: RawObject): string {
  const meta = (o.metadata ?? {}) as { generateName?: unknown };
  return typeof meta.generateName === 'string' && meta.generateName
    ? `the object has no name, only generateName ${meta.generateName}: the server names it when it is created, so it cannot be compared`
    : 'the object has no metadata.name: it cannot be compared';
}

/**
 * Why a hook is not compared, or undefined for an ordinary resource. A hook is created by a sync in its
 * phase and deleted by its delete policy: it is never "missing", whether or not it is in the cluster.
 */
export function hookSkipReason(desired: Pick<DesiredObject, 'object' | 'deployer'>, inCluster: boolean | undefined): string | undefined {
  const c = classify(desired.object, desired.deployer);
  if (!c.hook && c.phase !== 'Skip') return undefined;
  const where = inCluster === undefined ? '' : inCluster ? '; it is in the cluster' : '; it is not in the cluster now';
  if (c.phase === 'Test') return `${describe(c)}: tests, not run by sync; not compared${where}`;
  if (!c.hook) return `${c.note ?? describe(c)}; not compared`;
  return `${describe(c)}: run by a sync in its phase, not kept as desired state; not compared${where}`;
}

/** The result when there is nothing to compare (missing, unknown, skipped), or undefined when there is. */
function preflight(desired: DesiredObject, lookup: LiveLookup, opts: DriftOptions, strategy: DriftStrategy): DriftResult | undefined {
  const b = base(desired, lookup, opts, strategy);
  // Not comparable is not "in sync": the result is unknown, so that `reconcile drift` exits 2.
  if (!desired.id.name) return { ...b, status: 'unknown', reason: { kind: 'invalid', message: noNameReason(desired.object) } };
  const live = lookup.state === 'found' ? lookup.object : undefined;
  if (fluxReconcileDisabled(desired.object, live)) return { ...b, status: 'skipped', reason: `Flux reconciliation is disabled (${FLUX_RECONCILE}: disabled)` };
  const hook = hookSkipReason(desired, lookup.state === 'found' ? true : lookup.state === 'absent' || lookup.state === 'not-served' ? false : undefined);
  if (hook) return { ...b, status: 'skipped', reason: hook };
  switch (lookup.state) {
    case 'found':
      return undefined;
    case 'absent':
      return { ...b, status: 'missing' };
    case 'not-served':
      return { ...b, status: 'missing', note: `the cluster does not serve ${lookup.kind} in ${lookup.apiVersion}` };
    case 'pending':
      return { ...b, status: 'unknown', reason: { kind: 'pending', message: 'reading the cluster' } };
    case 'untracked':
      return { ...b, status: 'unknown', reason: { kind: 'pending', message: 'not read from the cluster yet' } };
    case 'unavailable':
      return { ...b, status: 'unknown', reason: { kind: lookup.error.kind, message: lookup.error.message } };
  }
}

/** The fast local comparison: desired ⊆ live after normalization. */
export function compareLocal(desired: DesiredObject, lookup: LiveLookup, opts: DriftOptions = {}): DriftResult {
  const early = preflight(desired, lookup, opts, 'local');
  const { group, kind } = desired.id;
  const ignore = opts.ignore?.forResource({ group, kind, name: desired.id.name, namespace: effectiveId(desired, lookup, opts.defaultNamespace).namespace, environment: opts.environment }) ?? { pointers: [], jq: [], managers: new Set<string>(), empty: true };
  if (early) {
    views.set(early, { group, kind, desired: desired.object, ignore, fields: [], strategy: 'local', ...(early.status === 'missing' && early.note ? { note: early.note } : {}) });
    return early;
  }
  const live = (lookup as Extract<LiveLookup, { state: 'found' }>).object;
  const b = base(desired, lookup, opts, 'local');
  const d = prepareDesired(desired.object, group, kind, b.id.namespace, ignore);
  const l = prepare(live, group, kind, b.id.namespace, ignore);
  const fields = compareObjects(d, l, live, compareOptions(group, kind, 'subset', ignore, opts));
  const result: DriftResult = fields.length ? { ...b, status: 'drifted', fields } : { ...b, status: 'in-sync' };
  views.set(result, { group, kind, desired: desired.object, live, ignore, fields, strategy: 'local' });
  return result;
}

/**
 * The local strategy's fields for a live object (Git's object normalized ⊆ the live one), for callers
 * that also compare otherwise (the plan, which must agree with drift about fields other managers set).
 */
export function localFields(desired: RawObject, live: RawObject, where: { group: string; kind: string; namespace?: string }, ignore: ResourceIgnore, opts: DriftOptions = {}): DriftField[] {
  const d = prepareDesired(desired, where.group, where.kind, where.namespace, ignore);
  const l = prepare(live, where.group, where.kind, where.namespace, ignore);
  return compareObjects(d, l, live, compareOptions(where.group, where.kind, 'subset', ignore, opts));
}

/**
 * Fields other managers set that Git lacks (`added` in the local comparison) and that a comparison
 * with the server's dry-run answer does not show (neither the field nor a field around it): a
 * server-side apply keeps them, because it removes only fields no other manager owns.
 */
export function addedTheApplyKeeps(exact: readonly DriftField[], local: readonly DriftField[]): DriftField[] {
  const seen = new Set(exact.map((f) => f.path));
  const under = (p: string) => [...seen].some((s) => p.startsWith(`${s}.`) || p.startsWith(`${s}[`));
  return local.filter((f) => f.change === 'added' && !seen.has(f.path) && !under(f.path));
}

/**
 * The exact comparison: a server-side apply dry-run of the desired object (force, with the given field
 * manager), compared with the live object. Fields only a foreign manager set are reported as in the
 * local strategy (the dry-run keeps them, as `kubectl diff --server-side` does). A failed dry-run is
 * Unknown with the server's reason — never "in sync".
 */
export async function compareServerSide(client: ClusterClient, desired: DesiredObject, lookup: LiveLookup, opts: DriftOptions & { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<DriftResult> {
  const early = preflight(desired, lookup, opts, 'server-side');
  const { group, kind } = desired.id;
  const b = base(desired, lookup, opts, 'server-side');
  const ignore = opts.ignore?.forResource({ group, kind, name: desired.id.name, namespace: b.id.namespace, environment: opts.environment }) ?? { pointers: [], jq: [], managers: new Set<string>(), empty: true };
  if (early) {
    views.set(early, { group, kind, desired: desired.object, ignore, fields: [], strategy: 'server-side' });
    return early;
  }
  const live = (lookup as Extract<LiveLookup, { state: 'found' }>).object;
  const payload = toApplyPayload(desired.object);
  if (b.id.namespace) (payload.metadata as Record<string, unknown>).namespace = b.id.namespace;
  let predicted: RawObject;
  try {
    predicted = await client.serverSideApply(payload, {
      dryRun: true,
      force: true,
      fieldManager: opts.fieldManager ?? DEFAULT_FIELD_MANAGER,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
  } catch (e) {
    const err = e instanceof ClusterError ? e : new ClusterError('protocol', String((e as Error)?.message ?? e));
    const result: DriftResult = { ...b, status: 'unknown', reason: { kind: err.kind, message: `dry-run failed: ${err.message}` } };
    views.set(result, { group, kind, desired: desired.object, live, ignore, fields: [], strategy: 'server-side' });
    return result;
  }
  const p = prepare(predicted, group, kind, b.id.namespace, ignore);
  const l = prepare(live, group, kind, b.id.namespace, ignore);
  const fields = compareObjects(p, l, live, compareOptions(group, kind, 'exact', ignore, opts));
  // Fields a foreign manager added survive the dry-run; report them as the local strategy does.
  fields.push(...addedTheApplyKeeps(fields, compareObjects(prepareDesired(desired.object, group, kind, b.id.namespace, ignore), l, live, compareOptions(group, kind, 'subset', ignore, opts))));
  const result: DriftResult = fields.length ? { ...b, status: 'drifted', fields } : { ...b, status: 'in-sync' };
  views.set(result, { group, kind, desired: desired.object, live, predicted, ignore, fields, strategy: 'server-side' });
  return result;
}
