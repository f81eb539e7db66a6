// The plan (preview) of an environment: what a sync would do, resource by resource, as the API server
// itself says. One LIST per type reads the live objects; every desired object is then sent as a
// server-side apply with dryRun=All (field manager `reconcile`, not forced, so that conflicts with
// other managers show), a bounded number at a time, and the server's answer is compared with the live
// object (drift's normalizers and exact comparison): create, update (field by field), unchanged, or
// failed with the server's own message. A failed dry-run is never taken for "in sync".
//
// Objects the server cannot check yet because this same plan creates what they need:
// - in a namespace the plan creates: dry-run in an existing namespace (`default`) instead, so that
//   validation still runs; they are `create` with a note saying so;
// - custom resources of a CRD the plan creates: `create` with a note (the server checks them at sync).
// Prune candidates: live objects that carry the environment's ownership marks and are not in Git.
import { ClusterError, isClusterError, isNoAnswer } from '../cluster/errors';
import { LiveCache, type LiveLookup } from '../cluster/live-cache';
import type { ApiResourceInfo, ClusterClient, RawObject } from '../cluster/types';
import { compareObjects, DEFAULT_SYSTEM_MANAGERS } from '../drift/compare';
import type { RenderedEnvironment } from '../drift/desired';
import { DEFAULT_FIELD_MANAGER, addedTheApplyKeeps, argoIgnoreExtraneous, localFields, type DesiredObject } from '../drift/engine';
import { liveDeployer, markRepository, ownershipMark } from '../drift/environment';
import { applyIgnore, compileIgnoreRules, type ResourceIgnore } from '../drift/ignore';
import { normalizeObject, toApplyPayload } from '../drift/normalize';
import type { DriftField, EnvironmentOwnership } from '../drift/types';
import { resourceKey, type ResourceId } from '../manifest/identity';
import type { IgnoreRule } from '../repo/model';
import { Semaphore } from '../util/semaphore';
import { CountingClient } from './counting-client';
import { asClusterError, conflictsOf, failureOf, missingNamespaceOf } from './failures';
import { compareSyncOrder, waveOf } from './order';
import { planRemovals, withoutFields, type RemovalPlan } from './removals';
import type { Plan, PlanCounts, PlanItem } from './types';
import { isRecord } from '../util/record';
import { classify, describe, isHook, runBySync, SYNC_PHASES, type Classification, type Phase } from '../phase';

export interface PlanOptions {
  /** The environment's name (ignore rules may be per environment; the default ownership mark). */
  environment: string;
  context?: string;
  /** How the environment's objects are recognized in the cluster (prune candidates). Default: the `reconcile.dev/environment` label. */
  ownership?: EnvironmentOwnership;
  /** Ignore rules from RepoConfig.ignore: differences only in these fields are `unchanged`. */
  ignoreRules?: IgnoreRule[];
  /** Dry-runs at once. Default 8. */
  concurrency?: number;
  signal?: AbortSignal;
  /** After each resource (`done` of `total` desired objects). */
  onProgress?: (p: { done: number; total: number; item: PlanItem }) => void;
  /** Namespace of namespaced objects that name none. Default: the environment's first namespace, else `default`. */
  defaultNamespace?: string;
  /** Default `reconcile`. */
  fieldManager?: string;
  /** Namespaces searched for prune candidates besides those of the desired objects. Default: the environment's. */
  namespaces?: string[];
  /** Kinds searched for prune candidates besides Git's own. Default DEFAULT_PRUNE_KINDS; `[]` for Git's kinds only. */
  pruneKinds?: ReadonlyArray<Pick<ResourceId, 'group' | 'version' | 'kind'>>;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  now?: () => number;
}

/** Common kinds looked at for prune candidates even when Git no longer has any object of them. */
export const DEFAULT_PRUNE_KINDS: ReadonlyArray<Pick<ResourceId, 'group' | 'version' | 'kind'>> = [
  ...['Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'PersistentVolumeClaim'].map((kind) => ({ group: '', version: 'v1', kind })),
  ...['Deployment', 'StatefulSet', 'DaemonSet'].map((kind) => ({ group: 'apps', version: 'v1', kind })),
  { group: 'batch', version: 'v1', kind: 'Job' },
  { group: 'batch', version: 'v1', kind: 'CronJob' },
  { group: 'batch', version: 'v1beta1', kind: 'CronJob' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  { group: 'autoscaling', version: 'v1', kind: 'HorizontalPodAutoscaler' },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  { group: 'policy', version: 'v1beta1', kind: 'PodDisruptionBudget' },
  ...['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((kind) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', kind })),
];

/** Applications failed to render: there is no plan (an empty one would read as "nothing to change"). */
export class PlanRenderError extends Error {
  override readonly name = 'PlanRenderError';
  constructor(readonly failures: Array<{ application: string; message: string }>) {
    super(`no plan: ${failures.length} application${failures.length === 1 ? '' : 's'} did not render (${failures.map((f) => `${f.application}: ${f.message.split('\n')[0]}`).join('; ')})`);
  }
}

/** What a sync needs of a plan beyond its items (kept out of the items: objects may hold Secret values). */
export interface PlanInternals {
  client: ClusterClient;
  fieldManager: string;
  ownership: EnvironmentOwnership;
  /** key → the apply payload (namespace resolved). */
  payloads: Map<string, RawObject>;
  /** key of a custom resource → the CRD (name) the plan creates for it. */
  crdFor: Map<string, { crd: string; group: string; version: string; kind: string }>;
  /** key of a prune candidate → what deleting it needs. */
  prune: Map<string, { type: ApiResourceInfo; uid?: string }>;
  /** key → the sides of the diff. */
  views: Map<string, PlanViews>;
  /** key → fields other managers set and Git lacks, removed after the apply (see removals.ts). */
  removals: Map<string, { type: ApiResourceInfo; fields: DriftField[] }>;
  /** key of a hook → whether the plan saw it in the cluster (BeforeHookCreation deletes it first), and its type when known. */
  hooks: Map<string, { live: boolean; type?: ApiResourceInfo }>;
}

export interface PlanViews {
  group: string;
  kind: string;
  namespace?: string;
  desired?: RawObject;
  live?: RawObject;
  /** The dry-run answer (what the server would store). */
  predicted?: RawObject;
  ignore: ResourceIgnore;
}

const internals = new WeakMap<Plan, PlanInternals>();

/** Where objects of a namespace the plan creates are dry-run instead (it exists in every cluster). */
const SUBSTITUTE_NAMESPACE = 'default';

/** The internals of a plan made by planEnvironment() in this process. */
export function planInternals(plan: Plan): PlanInternals | undefined {
  return internals.get(plan);
}

const NO_IGNORE: ResourceIgnore = { pointers: [], jq: [], managers: new Set(), empty: true };

function metaOf(o: RawObject): Record<string, unknown> {
  return isRecord(o.metadata) ? o.metadata : {};
}

/** A CRD's group, kind, served versions and scope. */
function crdInfo(o: RawObject): { group: string; kind: string; versions: string[]; namespaced: boolean } | undefined {
  const spec = isRecord(o.spec) ? o.spec : undefined;
  const names = isRecord(spec?.names) ? spec!.names : undefined;
  if (typeof spec?.group !== 'string' || typeof names?.kind !== 'string') return undefined;
  const versions = Array.isArray(spec.versions) ? spec.versions.filter((v) => isRecord(v) && v.served !== false && typeof v.name === 'string').map((v) => (v as { name: string }).name) : [];
  if (typeof spec.version === 'string' && !versions.includes(spec.version)) versions.push(spec.version);
  return { group: spec.group, kind: names.kind, versions, namespaced: spec.scope !== 'Cluster' };
}

function ownedByController(o: RawObject): boolean {
  const refs = metaOf(o).ownerReferences;
  return Array.isArray(refs) && refs.some((r) => isRecord(r) && r.controller === true);
}

/** Argo CD's `Prune=false` sync option or Flux's `prune: disabled`: never a prune candidate. */
function pruneDisabled(o: RawObject): string | undefined {
  const a = isRecord(metaOf(o).annotations) ? (metaOf(o).annotations as Record<string, unknown>) : {};
  const argo = String(a['argocd.argoproj.io/sync-options'] ?? '');
  if (argo.split(',').some((x) => x.trim() === 'Prune=false')) return 'argocd.argoproj.io/sync-options: Prune=false';
  if (String(a['kustomize.toolkit.fluxcd.io/prune'] ?? '').toLowerCase() === 'disabled') return 'kustomize.toolkit.fluxcd.io/prune: disabled';
  if (argoIgnoreExtraneous(o)) return 'argocd.argoproj.io/compare-options: IgnoreExtraneous';
  return undefined;
}

function label(id: Pick<ResourceId, 'kind' | 'namespace' | 'name'>): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

/** What a plan is made from: renderEnvironment()'s result (applications and environment are optional). */
export type PlanInput = Pick<RenderedEnvironment, 'set' | 'failures'> & Partial<Pick<RenderedEnvironment, 'applications' | 'environment'>>;

interface Pending {
  d: DesiredObject;
  item: PlanItem;
  /** Set when the object must wait for the namespace or CRD this plan creates. */
  missingNamespace?: string;
  error?: ClusterError;
  notServed?: { apiVersion: string; kind: string };
}

/**
 * Plans the sync of a rendered environment. Throws PlanRenderError when an application did not render,
 * and a ClusterError when the cluster cannot be read at all (unreachable, no such context, cancelled).
 */
export async function planEnvironment(cluster: ClusterClient, rendered: PlanInput, opts: PlanOptions): Promise<Plan> {
  const now = opts.now ?? Date.now;
  const t0 = performance.now();
  if (rendered.failures.length > 0) {
    throw new PlanRenderError(rendered.failures.map((f) => ({ application: f.application.name, message: f.error.message })));
  }
  const client = new CountingClient(cluster);
  const fieldManager = opts.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const defaultNamespace = opts.defaultNamespace ?? rendered.environment?.namespaces[0] ?? 'default';
  const ownership = opts.ownership ?? { environment: opts.environment };
  const compiled = compileIgnoreRules(opts.ignoreRules ?? []);
  const warnings = [...rendered.set.warnings, ...compiled.problems.map((p) => `ignore rule: ${p.expression}: ${p.message}`)];
  const desired = rendered.set.objects;
  const appOf = new Map<RawObject, string>();
  for (const a of rendered.applications ?? []) for (const doc of a.documents) appOf.set(doc.object, a.application.name);

  // One cheap request first: an unreachable cluster is one clear error, not one failure per resource.
  await client.resources('', 'v1', { signal: opts.signal, timeoutMs: opts.timeoutMs });

  // CRDs of the plan, by the group/kind they define.
  const crds = new Map<string, { d: DesiredObject; info: NonNullable<ReturnType<typeof crdInfo>> }>();
  for (const d of desired) {
    if (d.id.group !== 'apiextensions.k8s.io' || d.id.kind !== 'CustomResourceDefinition') continue;
    const info = crdInfo(d.object);
    if (info) crds.set(`${info.group}/${info.kind}`, { d, info });
  }

  // Read the live objects: Git's kinds, plus the kinds searched for prune candidates.
  const scanNamespaces = new Set<string>(opts.namespaces ?? rendered.environment?.namespaces ?? []);
  for (const d of desired) if (d.id.namespace) scanNamespaces.add(d.id.namespace);
  scanNamespaces.add(defaultNamespace);
  // Objects in a namespace this plan creates are dry-run in SUBSTITUTE_NAMESPACE instead: its objects
  // are read too (to never dry-run over one of the same name), but are no prune candidates.
  const createsNamespaces = desired.some((d) => d.id.group === '' && d.id.kind === 'Namespace');
  const readNamespaces = new Set(scanNamespaces);
  if (createsNamespaces) readNamespaces.add(SUBSTITUTE_NAMESPACE);
  const gitKinds = new Set(desired.map((d) => `${d.id.group}/${d.id.kind}`));
  const extra = (opts.pruneKinds ?? DEFAULT_PRUNE_KINDS).filter((k) => !gitKinds.has(`${k.group}/${k.kind}`));
  const cache = new LiveCache(client, { watch: false, defaultNamespace, namespaces: [...readNamespaces], timeoutMs: opts.timeoutMs });
  const plan: Plan = { environment: opts.environment, ...(opts.context ? { context: opts.context } : {}), server: cluster.server, createdAt: now(), durationMs: 0, items: [], counts: countItems([]), warnings, requests: 0 };
  const inner: PlanInternals = { client: cluster, fieldManager, ownership, payloads: new Map(), crdFor: new Map(), prune: new Map(), views: new Map(), removals: new Map(), hooks: new Map() };
  try {
    await cache.track([...desired.map((d) => d.id), ...extra.flatMap((k) => [...scanNamespaces].map((namespace) => ({ ...k, namespace })))]);
    if (opts.signal?.aborted) throw new ClusterError('aborted', 'cancelled');
    const outage = cache.health().error;
    if (outage && outage.isConnectivity && desired.every((d) => cache.lookup(d.id).state === 'unavailable')) throw outage;

    // Namespaces of the plan that do not exist yet: their objects cannot be dry-run where they belong.
    const newNamespaces = new Set(desired.filter((d) => d.id.group === '' && d.id.kind === 'Namespace' && cache.lookup(d.id).state === 'absent').map((d) => d.id.name));
    const sem = new Semaphore(Math.max(1, opts.concurrency ?? 8));
    let done = 0;
    const progress = (item: PlanItem) => opts.onProgress?.({ done: ++done, total: desired.length, item });
    // Losing the cluster in the middle (no answer at all: refused, reset, timed out) stops the plan with
    // one "cluster unreachable" error: not one failed item per remaining resource, and no more requests.
    const lost = new AbortController();
    let lostWith: ClusterError | undefined;
    const runOpts: PlanOptions = { ...opts, signal: opts.signal ? AbortSignal.any([opts.signal, lost.signal]) : lost.signal };
    const watchLoss = async <T>(fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (e) {
        if (isNoAnswer(e) && !lostWith && !opts.signal?.aborted) {
          const err = e as ClusterError;
          lostWith = new ClusterError(err.kind, `cluster unreachable in the middle of the plan: ${err.message}`, err.details);
          lost.abort();
        }
        throw e;
      }
    };
    const pending: Pending[] = await Promise.all(
      desired.map((d) =>
        sem.run(
          () =>
            watchLoss(async () => {
              const p = await planOne(client, d, cache.lookup(d.id), { defaultNamespace, fieldManager, opts: runOpts, compiled, inner, appOf, newNamespaces });
              if (!p.missingNamespace && !p.notServed) progress(p.item);
              return p;
            }),
          runOpts.signal,
        ),
      ),
    ).catch((e) => {
      throw lostWith ?? e;
    });

    // Objects that need what this plan creates: CRDs first (their scope gives the namespace), then namespaces.
    const byKey = new Map(pending.map((p) => [p.item.key, p]));
    for (const p of pending) {
      if (!p.notServed) continue;
      resolveNotServed(p, crds, byKey, defaultNamespace, inner);
      progress(p.item);
    }
    await Promise.all(
      pending
        .filter((p) => p.missingNamespace)
        .map((p) =>
          sem.run(
            () =>
              watchLoss(async () => {
                await resolveMissingNamespace(client, cache, p, byKey, fieldManager, runOpts, inner);
                progress(p.item);
              }),
            runOpts.signal,
          ),
        ),
    ).catch((e) => {
      throw lostWith ?? e;
    });

    helmOperation(pending, inner);
    // In sync order; what a sync does not run (tests, delete hooks…) after everything it runs.
    const items = pending.map((p) => p.item).sort((a, b) => Number(a.action === 'skip') - Number(b.action === 'skip') || compareSyncOrder(a, b));
    const desiredKeys = new Set(items.map((i) => i.key));
    const prune: PlanItem[] = [];
    for (const lo of cache.objects()) {
      const ns = metaOf(lo.object).namespace;
      if (lo.type.namespaced && (typeof ns !== 'string' || !scanNamespaces.has(ns))) continue;
      if (desiredKeys.has(lo.key) || ownedByController(lo.object) || metaOf(lo.object).deletionTimestamp) continue;
      const mark = ownershipMark(lo.object, ownership);
      if (!mark) continue;
      // A hook object (a Job a PreSync ran, a Helm test pod) belongs to a sync, not to Git's state.
      if (isHook(lo.object, liveDeployer(mark))) continue;
      const id: ResourceId = { group: lo.type.group, version: lo.type.version, kind: lo.type.kind, name: String(metaOf(lo.object).name ?? '') };
      if (lo.type.namespaced && typeof metaOf(lo.object).namespace === 'string') id.namespace = metaOf(lo.object).namespace as string;
      const off = pruneDisabled(lo.object);
      if (off) {
        warnings.push(`${label(id)} carries the environment's mark (${mark}) and is not in Git, but is never pruned (${off})`);
        continue;
      }
      prune.push({ key: lo.key, id, action: 'prune', ownership: mark, note: `not in Git; owned by the environment (${mark})`, wave: waveOf(lo.object), phase: 'Sync' });
      const uid = metaOf(lo.object).uid;
      inner.prune.set(lo.key, { type: lo.type, ...(typeof uid === 'string' ? { uid } : {}) });
      inner.views.set(lo.key, { group: lo.type.group, kind: lo.type.kind, namespace: id.namespace, live: lo.object, ignore: NO_IGNORE });
    }
    // Deleted in the reverse of the apply order: workloads before their namespace.
    prune.sort((a, b) => compareSyncOrder(b, a));
    for (const k of cache.health().streams) {
      if (k.state === 'forbidden' || k.state === 'error') {
        warnings.push(`prune candidates of ${k.kind}${k.namespace ? ` in ${k.namespace}` : ''} not known: ${k.error?.message ?? k.state}`);
      }
    }
    plan.items = [...items, ...prune];
    plan.counts = countItems(plan.items);
    plan.requests = client.counts.total;
    plan.durationMs = performance.now() - t0;
    internals.set(plan, inner);
    return plan;
  } catch (e) {
    // A cancelled wait for a dry-run slot, as every other cancellation: ClusterError 'aborted'.
    throw e instanceof Error && e.name === 'AbortError' ? new ClusterError('aborted', 'cancelled') : e;
  } finally {
    cache.stop();
  }
}

export function countItems(items: readonly PlanItem[]): PlanCounts {
  const c: PlanCounts = { total: 0, create: 0, update: 0, unchanged: 0, failed: 0, prune: 0, skip: 0, conflicts: 0 };
  for (const i of items) {
    c[i.action]++;
    if (i.action !== 'prune') c.total++;
    if (i.conflicts?.length) c.conflicts++;
  }
  return c;
}

interface OneContext {
  defaultNamespace: string;
  fieldManager: string;
  opts: PlanOptions;
  compiled: ReturnType<typeof compileIgnoreRules>;
  inner: PlanInternals;
  appOf: Map<RawObject, string>;
  newNamespaces: ReadonlySet<string>;
}

async function planOne(client: ClusterClient, d: DesiredObject, lookup: LiveLookup, ctx: OneContext): Promise<Pending> {
  const { group, kind } = d.id;
  const namespaced = lookup.state === 'found' || lookup.state === 'absent' ? lookup.type.namespaced : lookup.state === 'unavailable' && lookup.type ? lookup.type.namespaced : Boolean(d.id.namespace);
  const id: ResourceId = { ...d.id };
  if (namespaced) id.namespace = d.id.namespace || ctx.defaultNamespace;
  else delete id.namespace;
  const key = resourceKey(id);
  const app = ctx.appOf.get(d.object);
  const c = classify(d.object, d.deployer);
  const shown = c.hook || c.phase !== 'Sync';
  const item: PlanItem = { key, id, action: 'failed', ...(d.source ? { source: d.source } : {}), ...(app ? { application: app } : {}), wave: c.wave, phase: c.phase, ...(shown ? { hook: c } : {}) };
  const ignore = ctx.compiled.forResource({ group, kind, name: id.name, namespace: id.namespace, environment: ctx.opts.environment });
  const views: PlanViews = { group, kind, namespace: id.namespace, desired: d.object, ignore };
  ctx.inner.views.set(key, views);
  const fail = (e: unknown, note?: string): Pending => {
    item.action = 'failed';
    item.failure = failureOf(e);
    if (note) item.note = note;
    return { d, item };
  };
  if (!runBySync(c)) {
    item.action = 'skip';
    item.note = notRunNote(c);
    return { d, item };
  }
  if (c.hook && !id.name) {
    item.action = 'skip';
    item.note = `${describe(c)} with only generateName: Reconcile's sync applies by name (server-side apply) and cannot create it; Argo CD would`;
    return { d, item };
  }
  const runs = c.phases.filter((p) => SYNC_PHASES.includes(p));
  if (runs.length > 1) item.note = `a hook of ${runs.join(' and ')}: Reconcile's sync runs it once, in ${runs[0]}`;
  if (!id.name) return fail(new ClusterError('invalid', 'the object has no name (generateName): server-side apply needs metadata.name'));
  switch (lookup.state) {
    case 'not-served':
      return { d, item, notServed: { apiVersion: lookup.apiVersion, kind: lookup.kind } };
    case 'unavailable':
      return fail(lookup.error, 'the live object could not be read, so what a sync would change is not known');
    case 'pending':
    case 'untracked':
      return fail(new ClusterError('protocol', 'the live object was not read'));
  }
  let live = lookup.state === 'found' ? lookup.object : undefined;
  if (live) views.live = live;
  const payload = markRepository(toApplyPayload(d.object), ctx.inner.ownership);
  const meta = { ...metaOf(payload) };
  if (id.namespace) meta.namespace = id.namespace;
  else delete meta.namespace;
  payload.metadata = meta;
  ctx.inner.payloads.set(key, payload);
  if (c.hook) {
    const type = lookup.state === 'found' || lookup.state === 'absent' ? lookup.type : undefined;
    ctx.inner.hooks.set(key, { live: Boolean(live), ...(type ? { type } : {}) });
    if (live && c.deletePolicy.includes('BeforeHookCreation')) {
      // The sync deletes the hook object and creates it again: a dry-run now would be compared with the object that goes.
      item.action = 'create';
      item.note = `the ${id.kind} in the cluster is deleted first (BeforeHookCreation) and created again; not dry-run, because the server would check it against the object that goes`;
      return { d, item };
    }
  }
  if (!live && id.namespace && ctx.newNamespaces.has(id.namespace)) {
    const e = new ClusterError('not-found', `not found: namespace ${id.namespace}`, { status: 404, reason: 'NotFound', serverMessage: `namespaces "${id.namespace}" not found` });
    return { d, item, missingNamespace: id.namespace, error: e };
  }
  const apply = (force: boolean) => client.serverSideApply(payload, { fieldManager: ctx.fieldManager, dryRun: true, force, signal: ctx.opts.signal, timeoutMs: ctx.opts.timeoutMs });
  let predicted: RawObject;
  try {
    predicted = await apply(false);
  } catch (e) {
    if (isClusterError(e) && (e.kind === 'aborted' || isNoAnswer(e))) throw e;
    const ns = missingNamespaceOf(e);
    if (ns && !live) return { d, item, missingNamespace: ns, error: asClusterError(e) };
    const conflicts = conflictsOf(e);
    if (!conflicts.length) return fail(e);
    item.conflicts = conflicts;
    try {
      predicted = await apply(true);
    } catch (e2) {
      if (isClusterError(e2) && (e2.kind === 'aborted' || isNoAnswer(e2))) throw e2;
      return fail(e2);
    }
  }
  if (!live) {
    views.predicted = predicted;
    item.action = 'create';
    return { d, item };
  }
  // The dry-run answers with the resourceVersion it was computed from: when the object changed since
  // the LIST (a controller wrote it), compare with the object the server used.
  const rv = (o: RawObject) => metaOf(o).resourceVersion;
  if (rv(predicted) !== undefined && rv(predicted) !== rv(live)) {
    try {
      const fresh = await client.get(lookup.type, id.namespace, id.name, { signal: ctx.opts.signal, timeoutMs: ctx.opts.timeoutMs });
      if (rv(fresh) === rv(predicted)) live = fresh;
    } catch (e) {
      if (isClusterError(e) && e.kind === 'aborted') throw e;
    }
  }
  views.live = live;
  views.predicted = predicted;
  const prep = (o: RawObject) => {
    const n = normalizeObject(o, { group, kind, namespace: id.namespace });
    if (!ignore.empty) applyIgnore(n, ignore);
    return n;
  };
  const fields = compareObjects(prep(predicted), prep(live), live, {
    group,
    kind,
    mode: 'exact',
    systemManagers: new Set(DEFAULT_SYSTEM_MANAGERS),
    ignoredManagers: ignore.managers,
  });
  // Fields other managers set and Git lacks: drift reports them, and the apply keeps them (it removes
  // only fields nobody else owns). The sync removes them after the apply with a JSON patch; its dry-run
  // says which ones the server lets go. The others are `kept`, with the reason: never "unchanged".
  const foreign = addedTheApplyKeeps(fields, localFields(d.object, live, { group, kind, namespace: id.namespace }, ignore));
  if (foreign.length) {
    let r: RemovalPlan;
    try {
      r = await planRemovals(client, { type: lookup.type, namespace: id.namespace, name: id.name }, live, foreign, { signal: ctx.opts.signal, timeoutMs: ctx.opts.timeoutMs });
    } catch (e) {
      if (isClusterError(e) && (e.kind === 'aborted' || e.details.status === undefined)) throw e;
      return fail(e, `fields other managers set (${foreign.map((f) => f.path).join(', ')}) could not be dry-run for removal`);
    }
    if (r.removed.length) {
      ctx.inner.removals.set(key, { type: lookup.type, fields: r.removed });
      views.predicted = withoutFields(predicted, r.removed);
      fields.push(...r.removed);
    }
    if (r.kept.length) item.kept = r.kept;
  }
  if (fields.length) {
    item.action = 'update';
    // A value changed by a write managedFields does not record (the scale subresource before 1.22; 1.22+
    // records it as e.g. `kubectl` with subresource scale) still names our own manager: naming it would say
    // the opposite of what happened.
    for (const f of fields) {
      if (f.manager !== ctx.fieldManager) continue;
      delete f.manager;
      delete f.operation;
      delete f.time;
      delete f.subresource;
    }
    item.fields = fields;
  } else {
    item.action = 'unchanged';
    delete item.conflicts; // equal values conflict with nobody
  }
  return { d, item };
}

/** Why a sync does not apply an object of this classification. */
function notRunNote(c: Classification): string {
  if (c.phase === 'Test') return `${describe(c)}: tests, not run by sync`;
  if (c.phase === 'Skip') return c.note ?? `${describe(c)}: never applied by a sync`;
  const when = c.phase === 'PreDelete' || c.phase === 'PostDelete' ? 'when the application is deleted' : 'on a rollback';
  return `${describe(c)}: runs ${when}, not by sync`;
}

const HELM_PHASE: Record<string, Phase> = { 'pre-install': 'PreSync', 'pre-upgrade': 'PreSync', 'post-install': 'PostSync', 'post-upgrade': 'PostSync' };

/**
 * Helm's own hooks (a Flux HelmRelease, a Helm chart) run on the event of the operation: an install when
 * no ordinary object of the application is in the cluster yet, else an upgrade. A hook of the other
 * event is not run, and a hook of both keeps the phase of this one.
 */
function helmOperation(pending: Pending[], inner: PlanInternals): void {
  const upgrade = new Set<string>();
  for (const p of pending) if (!p.item.hook?.hook && (p.item.action === 'update' || p.item.action === 'unchanged')) upgrade.add(p.item.application ?? '');
  for (const p of pending) {
    const h = p.item.hook;
    if (!h || h.engine !== 'helm' || !h.hook || p.item.action === 'skip' || p.item.action === 'failed') continue;
    const op = upgrade.has(p.item.application ?? '') ? 'upgrade' : 'install';
    const events = (h.helmEvents ?? []).filter((e) => e === `pre-${op}` || e === `post-${op}`);
    const why = op === 'upgrade' ? 'objects of the release are in the cluster' : 'no object of the release is in the cluster yet';
    if (!events.length) {
      p.item.action = 'skip';
      p.item.note = `helm.sh/hook: ${(h.helmEvents ?? []).join(',')}: Helm does not run it on an ${op}, and this sync is one (${why})`;
      inner.payloads.delete(p.item.key);
      continue;
    }
    const phases = [...new Set(events.map((e) => HELM_PHASE[e]))];
    p.item.phase = phases[0];
    p.item.hook = { ...h, phase: phases[0], phases };
  }
}

/** A kind the cluster does not serve: a create when a CRD of this plan defines it, else a failure. */
function resolveNotServed(p: Pending, crds: Map<string, { d: DesiredObject; info: NonNullable<ReturnType<typeof crdInfo>> }>, byKey: Map<string, Pending>, defaultNamespace: string, inner: PlanInternals): void {
  const { group, version, kind } = p.d.id;
  const apiVersion = group ? `${group}/${version}` : version;
  const crd = crds.get(`${group}/${kind}`);
  const fail = (message: string) => {
    p.item.action = 'failed';
    p.item.failure = { kind: 'not-found', message };
  };
  if (!crd) return fail(`the cluster does not serve ${kind} in ${apiVersion}, and no CustomResourceDefinition in this plan defines it`);
  // The CRD's scope says whether the object lives in a namespace.
  const id: ResourceId = { ...p.d.id };
  if (crd.info.namespaced) id.namespace = p.d.id.namespace || defaultNamespace;
  else delete id.namespace;
  const oldKey = p.item.key;
  p.item.id = id;
  p.item.key = resourceKey(id);
  const views = inner.views.get(oldKey);
  inner.views.delete(oldKey);
  if (views) inner.views.set(p.item.key, { ...views, namespace: id.namespace });
  if (!crd.info.versions.includes(version)) return fail(`the CustomResourceDefinition ${crd.d.id.name} of this plan does not serve version ${version} of ${kind}`);
  const crdItem = byKey.get(resourceKey(crd.d.id))?.item;
  if (crdItem?.action === 'failed') return fail(`its CustomResourceDefinition ${crd.d.id.name} failed the dry-run: ${crdItem.failure?.message ?? ''}`);
  const payload = markRepository(toApplyPayload(p.d.object), inner.ownership);
  const meta = { ...metaOf(payload) };
  if (id.namespace) meta.namespace = id.namespace;
  else delete meta.namespace;
  payload.metadata = meta;
  inner.payloads.set(p.item.key, payload);
  inner.crdFor.set(p.item.key, { crd: crd.d.id.name, group, version, kind });
  p.item.action = 'create';
  p.item.note = `its CustomResourceDefinition ${crd.d.id.name} is ${crdItem?.action === 'create' ? 'created' : 'changed'} by this plan: the server checks the object when it is applied`;
  if (id.namespace && byKey.get(resourceKey({ group: '', kind: 'Namespace', name: id.namespace }))?.item.action === 'create') {
    p.item.note += ` (in namespace ${id.namespace}, also created by this plan)`;
  }
}

/**
 * An object whose namespace does not exist. When this plan creates the namespace, the object is
 * dry-run in `default` instead (unless an object of that name is there already), so that the server
 * still validates it.
 */
async function resolveMissingNamespace(client: ClusterClient, cache: LiveCache, p: Pending, byKey: Map<string, Pending>, fieldManager: string, opts: PlanOptions, inner: PlanInternals): Promise<void> {
  const ns = p.missingNamespace!;
  const nsItem = byKey.get(resourceKey({ group: '', kind: 'Namespace', name: ns }))?.item;
  const fail = (note: string) => {
    p.item.action = 'failed';
    p.item.failure = failureOf(p.error);
    p.item.note = note;
  };
  if (!nsItem) return fail(`namespace ${ns} is neither in the cluster nor in this plan`);
  if (nsItem.action === 'failed') return fail(`its namespace ${ns} failed the dry-run`);
  const SUBSTITUTE = SUBSTITUTE_NAMESPACE;
  const payload = inner.payloads.get(p.item.key)!;
  p.item.action = 'create';
  const unchecked = (why: string) => {
    p.item.note = `namespace ${ns} is created by this plan; not validated by the server yet (${why})`;
  };
  if (ns === SUBSTITUTE) return unchecked('no other namespace to try it in');
  try {
    const type = await client.resolve(String(payload.apiVersion), String(payload.kind), { signal: opts.signal });
    if (!type) return unchecked('its kind is not served');
    const there = cache.lookup({ ...p.d.id, namespace: SUBSTITUTE });
    if (there.state === 'found') return unchecked(`an object of that name exists in ${SUBSTITUTE}, where it would have been tried`);
    if (there.state !== 'absent') {
      try {
        await client.get(type, SUBSTITUTE, p.item.id.name, { signal: opts.signal, timeoutMs: opts.timeoutMs });
        return unchecked(`an object of that name exists in ${SUBSTITUTE}, where it would have been tried`);
      } catch (e) {
        if (!isClusterError(e) || e.kind !== 'not-found') throw e;
      }
    }
    const predicted = await client.serverSideApply({ ...payload, metadata: { ...metaOf(payload), namespace: SUBSTITUTE } }, { fieldManager, dryRun: true, force: true, signal: opts.signal, timeoutMs: opts.timeoutMs });
    const views = inner.views.get(p.item.key);
    if (views) views.predicted = { ...predicted, metadata: { ...metaOf(predicted), namespace: ns } };
    p.item.note = `namespace ${ns} is created by this plan: validated by a dry-run in namespace ${SUBSTITUTE}`;
  } catch (e) {
    const err = asClusterError(e);
    if (err.kind === 'aborted' || isNoAnswer(err)) throw err;
    if (err.kind === 'invalid') {
      p.item.action = 'failed';
      p.item.failure = failureOf(err);
      p.item.note = `namespace ${ns} is created by this plan; the object was dry-run in namespace ${SUBSTITUTE} instead`;
      return;
    }
    unchecked(err.message);
  }
}

