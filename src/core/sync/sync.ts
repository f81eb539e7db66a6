// Sync: applies a plan with server-side apply (field manager `reconcile`), one resource at a time in
// sync order, so that the caller knows after every step exactly what the cluster has received.
// - Preflight: when a dry-run of the plan failed, nothing is applied unless the caller explicitly
//   chose to apply the others (`applyDespiteFailures`).
// - A 409 conflict (fields other managers own) is reported with the managers and fields; it is taken
//   over only with `force` (all, or the keys the user confirmed).
// - Custom resources whose CRD the sync applies wait until the CRD is Established and served.
// - A failure stops the sync before the next step (Namespaces, CRDs, then each wave); losing the
//   cluster stops it at once; cancelling stops it before the next resource. What was not attempted
//   says so.
// - Prune deletes only prune candidates of this plan that the caller listed, and only when the live
//   object is still the same one (uid) and still carries the environment's mark.
// - Hooks run in their phase (phase/classify): PreSync hooks first, then the Sync resources wave by
//   wave, prune, then PostSync hooks after a successful sync, or SyncFail hooks when it failed.
//   BeforeHookCreation deletes the hook object in the cluster before it is created again; HookSucceeded
//   deletes it after it succeeded — for objects that succeed when applied; Jobs and Pods are not
//   deleted, because their completion is not checked yet. Health is not checked yet either: the next
//   wave starts when the apply of the previous one returned, and the outcome's notes say so.
import { ClusterError, isClusterError } from '../cluster/errors';
import type { ApiResourceInfo, ClusterClient, RawObject } from '../cluster/types';
import { ownershipMark } from '../drift/environment';
import { parseResourceKey } from '../manifest/identity';
import { CountingClient } from './counting-client';
import { asClusterError, conflictsOf, failureOf, isOutage, isUncertain } from './failures';
import { stepOf, syncOrder } from './order';
import { planInternals } from './plan';
import { removalForSync, RESTORE_FIELD_MANAGER } from './removals';
import type { Plan, PlanItem, SyncOutcome, SyncResult, SyncStatus } from './types';
import { sleep } from '../util/abort';
import { isRecord } from '../util/record';

export interface SyncOptions {
  /** Take over fields other managers own: all (`true`) or these keys only. Default: never. */
  force?: boolean | readonly string[];
  /** Apply the other resources although some failed the dry-run (the user chose so explicitly). */
  applyDespiteFailures?: boolean;
  /** Keys of prune candidates the user confirmed for deletion. Nothing else is ever deleted. */
  prune?: readonly string[];
  /** Cancelling stops before the next resource (the one being applied is finished). */
  signal?: AbortSignal;
  /** After each resource. */
  onProgress?: (result: SyncResult, done: number, total: number) => void;
  /** Between phases and waves (also in SyncOutcome.notes). */
  onNote?: (note: string) => void;
  /** How long to wait for a CRD to be Established and served (ms). Default 60 s. */
  crdTimeoutMs?: number;
  /** Per-request timeout (ms). Default 30 s. */
  timeoutMs?: number;
  now?: () => number;
}

const CANCELLED = { status: 'cancelled', message: 'cancelled before it was applied', reason: 'cancelled', kind: 'cancel' } as const;

function stepStop(failed: string) {
  return { status: 'skipped', message: `not applied: an earlier step failed (${failed})`, reason: `stopped after ${failed} failed: later steps were not applied`, kind: 'step' } as const;
}

/** Kinds whose success is their completion, not their apply (not checked yet: no health). */
const RUNNING_KINDS: ReadonlySet<string> = new Set(['batch/Job', '/Pod', 'argoproj.io/Workflow']);


function emptyCounts(): Record<SyncStatus, number> {
  return { applied: 0, unchanged: 0, failed: 0, skipped: 0, cancelled: 0, pruned: 0 };
}

function established(crd: RawObject): boolean {
  const conds = isRecord(crd.status) && Array.isArray(crd.status.conditions) ? crd.status.conditions : [];
  return conds.some((c) => isRecord(c) && c.type === 'Established' && c.status === 'True');
}

/**
 * Applies the plan (made by planEnvironment in this process, against the same cluster). Never throws
 * for cluster errors: they are in the results. Throws only for a plan it cannot use.
 */
export async function syncPlan(cluster: ClusterClient, plan: Plan, opts: SyncOptions = {}): Promise<SyncOutcome> {
  const now = opts.now ?? Date.now;
  const inner = planInternals(plan);
  if (!inner) throw new Error('this plan was not made by planEnvironment() in this process: make a new plan');
  if (cluster.server !== plan.server) throw new Error(`the plan was made against ${plan.server}, not ${cluster.server}: make a new plan`);
  const startedAt = now();
  const t0 = performance.now();
  const client = new CountingClient(cluster);
  const results: SyncResult[] = [];
  const counts = emptyCounts();
  const confirmed = new Set(opts.prune ?? []);
  const pruneItems = plan.items.filter((i) => i.action === 'prune');
  const applicable = syncOrder(plan.items.filter((i) => i.action === 'create' || i.action === 'update'));
  const toApply = applicable.filter((i) => i.phase === 'PreSync' || i.phase === 'Sync' || i.phase === undefined);
  const postSync = applicable.filter((i) => i.phase === 'PostSync');
  const syncFail = applicable.filter((i) => i.phase === 'SyncFail');
  const notes: string[] = [];
  const note = (n: string) => {
    notes.push(n);
    opts.onNote?.(n);
  };
  const toPrune = pruneItems.filter((i) => confirmed.has(i.key));
  const total = plan.items.length + [...confirmed].filter((k) => !pruneItems.some((i) => i.key === k)).length;
  const push = (item: Pick<PlanItem, 'key' | 'id' | 'action'>, status: SyncStatus, extra: Partial<SyncResult> = {}) => {
    const r: SyncResult = { key: item.key, id: item.id, action: item.action, status, ...extra, at: now() };
    results.push(r);
    counts[status]++;
    opts.onProgress?.(r, results.length, total);
    return r;
  };
  const finish = (outcome: SyncOutcome['outcome'], reason?: string): SyncOutcome => ({
    outcome,
    ...(reason ? { reason } : {}),
    results,
    counts,
    requests: { ...client.counts },
    durationMs: performance.now() - t0,
    startedAt,
    notes,
  });

  // Preflight.
  const failed = plan.items.filter((i) => i.action === 'failed');
  if (failed.length && !opts.applyDespiteFailures) {
    const reason = `${failed.length} resource${failed.length === 1 ? '' : 's'} failed the dry-run (${failed
      .slice(0, 3)
      .map((i) => `${i.id.kind} ${i.id.name}: ${i.failure?.serverMessage ?? i.failure?.message ?? 'failed'}`)
      .join('; ')}${failed.length > 3 ? '; …' : ''}): nothing was applied`;
    for (const i of plan.items) push(i, 'skipped', { message: 'not applied: the plan has failed dry-runs' });
    return finish('blocked', reason);
  }

  for (const i of plan.items) {
    if (i.action === 'unchanged') push(i, 'unchanged');
    else if (i.action === 'skip') push(i, 'skipped', { message: i.note ?? 'not run by sync' });
    else if (i.action === 'failed') push(i, 'skipped', { message: 'not applied: its dry-run failed', ...(i.failure ? { failure: i.failure } : {}) });
  }
  for (const key of confirmed) {
    if (pruneItems.some((i) => i.key === key)) continue;
    const id = parseResourceKey(key) ?? { group: '', version: '', kind: '?', name: key };
    push({ key, id, action: 'prune' }, 'skipped', { message: 'not deleted: not a prune candidate of this plan' });
  }

  /** Why the rest is not attempted: `message` per resource, `reason` for the whole sync. */
  let stop: { status: 'skipped' | 'cancelled'; message: string; reason: string; kind: 'cancel' | 'step' | 'outage' } | undefined;
  let stepFailed: string | undefined;
  let step: string | undefined;
  const crdReady = new Map<string, Promise<void>>();
  const forced = (key: string) => opts.force === true || (Array.isArray(opts.force) && opts.force.includes(key));
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const halt = (e: unknown, what: string): void => {
    if (!isOutage(e) || (isClusterError(e) && e.details.verb === 'wait')) return;
    const why = `the cluster could not be reached while ${what} (${asClusterError(e).message})`;
    stop = { status: 'skipped', message: `not attempted: ${why}`, reason: why, kind: 'outage' };
  };

  /** Applies one item (a hook: with its delete policy). Sets stepFailed (and stop, when the cluster is lost) on failure. */
  const applyOne = async (item: PlanItem): Promise<void> => {
    const payload = inner.payloads.get(item.key);
    if (!payload) {
      push(item, 'failed', { message: 'the plan holds no object for it' });
      stepFailed ??= `${item.id.kind} ${item.id.name}`;
      return;
    }
    const crd = inner.crdFor.get(item.key);
    if (crd) {
      let ready = crdReady.get(crd.crd);
      if (!ready) crdReady.set(crd.crd, (ready = waitForCrd(client, crd, opts.crdTimeoutMs ?? 60_000, timeoutMs, opts.signal)));
      try {
        await ready;
      } catch (e) {
        const err = asClusterError(e);
        if (err.kind === 'aborted') {
          stop = CANCELLED;
          push(item, 'cancelled', { message: stop.message });
          return;
        }
        push(item, 'failed', { failure: failureOf(err), message: `its CustomResourceDefinition ${crd.crd} is not ready` });
        stepFailed ??= `${item.id.kind} ${item.id.name}`;
        halt(err, `waiting for CRD ${crd.crd}`);
        return;
      }
    }
    const hook = item.hook?.hook ? item.hook : undefined;
    const hookState = hook ? inner.hooks.get(item.key) : undefined;
    const hookNotes: string[] = [];
    if (hook && hookState?.live && hook.deletePolicy.includes('BeforeHookCreation')) {
      try {
        await deleteHook(client, item, payload, hookState.type, { wait: true, limitMs: opts.crdTimeoutMs ?? 60_000, timeoutMs, signal: opts.signal });
        hookNotes.push('the one in the cluster was deleted first (BeforeHookCreation)');
      } catch (e) {
        const err = asClusterError(e);
        push(item, 'failed', { failure: failureOf(err), message: 'the hook in the cluster could not be deleted before it is created again (BeforeHookCreation)', ...(isUncertain(err) ? { uncertain: true } : {}) });
        stepFailed ??= `${item.id.kind} ${item.id.name}`;
        halt(err, `deleting hook ${item.id.kind} ${item.id.name}`);
        return;
      }
    }
    const force = forced(item.key);
    let applied: RawObject;
    try {
      // Not cancelled midway: a request that was sent is finished, so its result is known.
      applied = await client.serverSideApply(payload, { fieldManager: inner.fieldManager, force, timeoutMs });
    } catch (e) {
      const err = asClusterError(e);
      const conflicts = conflictsOf(err);
      push(item, 'failed', {
        failure: failureOf(err),
        ...(conflicts.length ? { conflicts, message: 'conflict: other field managers own fields this apply changes; not forced' } : {}),
        ...(isUncertain(err) ? { uncertain: true } : {}),
      });
      stepFailed ??= `${item.id.kind} ${item.id.name}`;
      halt(err, `applying ${item.id.kind} ${item.id.name}`);
      return;
    }
    if (hook?.deletePolicy.includes('HookSucceeded')) {
      if (RUNNING_KINDS.has(`${item.id.group}/${item.id.kind}`)) {
        hookNotes.push(`not deleted after success (HookSucceeded): whether the ${item.id.kind} succeeded is not checked yet (no health), so it stays in the cluster`);
      } else {
        try {
          await deleteHook(client, item, payload, hookState?.type, { wait: false, limitMs: 0, timeoutMs, signal: opts.signal });
          hookNotes.push(`deleted after it succeeded (HookSucceeded: a ${item.id.kind} succeeds when it is applied)`);
        } catch (e) {
          hookNotes.push(`not deleted after success (HookSucceeded): ${asClusterError(e).message}`);
        }
      }
    }
    const message = [`${item.action === 'create' ? 'created' : 'updated'}${force && item.conflicts?.length ? ', conflicting fields taken over (forced)' : ''}`, ...hookNotes].join('; ');
    const removal = inner.removals.get(item.key);
    if (!removal) {
      push(item, 'applied', { message });
      return;
    }
    // Fields other managers set and Git lacks: the apply kept them, one JSON patch removes them now, each
    // tested against its value in the object the apply returned (and only if that is the plan's value).
    const r = removalForSync(applied, removal.fields);
    const notes = [
      ...(r.patch.removes.length ? [`removed what other managers set: ${r.patch.removes.map((f) => f.path).join(', ')}`] : []),
      ...(r.changed.length ? [`not removed, changed since the plan: ${r.changed.map((f) => f.path).join(', ')}`] : []),
    ];
    if (r.patch.ops.length) {
      try {
        await client.jsonPatch(removal.type, item.id.namespace, item.id.name, r.patch.ops, { fieldManager: RESTORE_FIELD_MANAGER, timeoutMs });
      } catch (e) {
        const err = asClusterError(e);
        push(item, 'failed', {
          failure: failureOf(err),
          message: `${message}, but the fields other managers set were not removed (${r.patch.removes.map((f) => f.path).join(', ')})`,
          ...(isUncertain(err) ? { uncertain: true } : {}),
        });
        stepFailed ??= `${item.id.kind} ${item.id.name}`;
        halt(err, `removing fields of ${item.id.kind} ${item.id.name}`);
        return;
      }
    }
    push(item, 'applied', { message: [message, ...notes].join('; ') });
  };

  /** Runs the items in order, step by step: a failed step stops the next one. Notes each new phase or wave. */
  let last: PlanItem | undefined;
  const runItems = async (items: readonly PlanItem[]): Promise<void> => {
    for (const item of items) {
      if (!stop && opts.signal?.aborted) stop = CANCELLED;
      const s = stepOf(item);
      if (!stop && step !== undefined && s !== step && stepFailed) stop = stepStop(stepFailed);
      if (!stop && last && s !== step) noteTransition(last, item);
      step = s;
      if (stop) {
        push(item, stop.status, { message: stop.message });
        continue;
      }
      await applyOne(item);
      last = item;
    }
  };
  const noteTransition = (a: PlanItem, b: PlanItem): void => {
    if (a.phase === b.phase && a.wave === b.wave) return;
    const name = (x: PlanItem) => (x.phase === 'Sync' ? `wave ${x.wave}` : `${x.phase}${x.wave ? ` wave ${x.wave}` : ''}`);
    const what = a.phase === 'Sync' ? 'health is not checked yet' : 'hook completion (health) is not checked yet';
    note(`${name(a)} applied; ${what}, so ${name(b)} starts when the apply returns`);
  };

  await runItems(toApply);

  for (const item of toPrune) {
    if (!stop && opts.signal?.aborted) stop = CANCELLED;
    if (!stop && stepFailed) stop = stepStop(stepFailed);
    if (stop) {
      // The same reason, in the words of a deletion.
      push(item, stop.status, { message: stop.message.replace(/\bapplied\b/, 'deleted') });
      continue;
    }
    const target = inner.prune.get(item.key)!;
    try {
      let live: RawObject;
      try {
        live = await client.get(target.type, item.id.namespace, item.id.name, { timeoutMs });
      } catch (e) {
        if (isClusterError(e) && e.kind === 'not-found') {
          push(item, 'skipped', { message: 'already gone' });
          continue;
        }
        throw e;
      }
      const meta = isRecord(live.metadata) ? live.metadata : {};
      if (target.uid && meta.uid !== target.uid) {
        push(item, 'skipped', { message: 'not deleted: the live object was replaced since the plan (another uid)' });
        continue;
      }
      if (!ownershipMark(live, inner.ownership)) {
        push(item, 'skipped', { message: `not deleted: it no longer carries the marks of ${plan.environment}` });
        continue;
      }
      await client.delete(target.type, item.id.namespace, item.id.name, { propagationPolicy: 'Background', timeoutMs });
      push(item, 'pruned', { message: 'deleted' });
    } catch (e) {
      const err = asClusterError(e);
      if (isClusterError(e) && err.kind === 'not-found') {
        push(item, 'skipped', { message: 'already gone' });
        continue;
      }
      push(item, 'failed', { failure: failureOf(err), ...(isUncertain(err) ? { uncertain: true } : {}) });
      stepFailed ??= `${item.id.kind} ${item.id.name}`;
      halt(err, `deleting ${item.id.kind} ${item.id.name}`);
    }
  }
  for (const item of pruneItems) if (!confirmed.has(item.key)) push(item, 'skipped', { message: 'not deleted: pruning was not confirmed for it' });

  // PostSync after a successful sync; SyncFail when it failed (not when it was cancelled or the cluster was lost).
  if (!stop && !stepFailed) await runItems(postSync);
  else for (const item of postSync) push(item, stop?.status ?? 'skipped', { message: stop?.kind === 'cancel' || stop?.kind === 'outage' ? stop.message : `not run: PostSync hooks run only after a successful sync (${stepFailed} failed)` });
  const failedAt = stepFailed;
  if (syncFail.length && failedAt && stop?.kind !== 'cancel' && stop?.kind !== 'outage') {
    note(`the sync failed at ${failedAt}: SyncFail hooks run`);
    const saved = stop;
    stop = undefined;
    stepFailed = undefined;
    step = undefined;
    last = undefined;
    await runItems(syncFail);
    stop = stop ?? saved;
    stepFailed = failedAt;
  } else {
    for (const item of syncFail) push(item, stop?.status ?? 'skipped', { message: stop?.kind === 'cancel' || stop?.kind === 'outage' ? stop.message : 'not run: SyncFail hooks run only when the sync fails' });
  }

  if (counts.cancelled > 0) return finish('cancelled', `cancelled: ${counts.cancelled} resource${counts.cancelled === 1 ? ' was' : 's were'} not applied`);
  if (stop) return finish(counts.applied + counts.pruned > 0 ? 'partial' : 'failed', stop.reason);
  if (counts.failed > 0) return finish(counts.applied + counts.pruned > 0 ? 'partial' : 'failed', stepFailed ? `failed at ${stepFailed}` : undefined);
  if (failed.length) return finish('partial', `${failed.length} resource${failed.length === 1 ? '' : 's'} that failed the dry-run ${failed.length === 1 ? 'was' : 'were'} not applied`);
  return finish('success');
}

/**
 * Deletes a hook object (by the name and namespace of its payload). With `wait`, until it is gone
 * (finalizers, a Job's foreground deletion), at most `limitMs`. A hook already gone is fine.
 */
async function deleteHook(client: ClusterClient, item: PlanItem, payload: RawObject, known: ApiResourceInfo | undefined, o: { wait: boolean; limitMs: number; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const type = known ?? (await client.resolve(String(payload.apiVersion), String(payload.kind), { signal: o.signal, timeoutMs: o.timeoutMs }));
  if (!type) throw new ClusterError('not-found', `the cluster does not serve ${String(payload.kind)} in ${String(payload.apiVersion)}`);
  const { namespace, name } = item.id;
  try {
    await client.delete(type, namespace, name, { propagationPolicy: 'Background', timeoutMs: o.timeoutMs });
  } catch (e) {
    if (isClusterError(e) && e.kind === 'not-found') return;
    throw e;
  }
  if (!o.wait) return;
  const deadline = Date.now() + o.limitMs;
  let delay = 50;
  for (;;) {
    if (o.signal?.aborted) throw new ClusterError('aborted', 'cancelled');
    try {
      await client.get(type, namespace, name, { signal: o.signal, timeoutMs: o.timeoutMs });
    } catch (e) {
      if (isClusterError(e) && e.kind === 'not-found') return;
      throw e;
    }
    if (Date.now() > deadline) throw new ClusterError('timeout', `${item.id.kind} ${name} was still in the cluster ${Math.round(o.limitMs / 1000)} s after it was deleted`, { verb: 'wait' });
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
}

/** Waits until the CRD is Established and its kind is served (discovery refreshed). */
async function waitForCrd(client: ClusterClient, crd: { crd: string; group: string; version: string; kind: string }, limitMs: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + limitMs;
  const crdType: ApiResourceInfo | undefined = await client.resolve('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { signal, timeoutMs });
  if (!crdType) throw new ClusterError('not-found', 'the cluster does not serve CustomResourceDefinitions in apiextensions.k8s.io/v1');
  let delay = 50;
  for (;;) {
    if (signal?.aborted) throw new ClusterError('aborted', 'cancelled');
    let ok = false;
    try {
      ok = established(await client.get(crdType, undefined, crd.crd, { signal, timeoutMs }));
    } catch (e) {
      if (!isClusterError(e) || e.kind !== 'not-found') throw e;
    }
    if (ok) {
      client.invalidateDiscovery();
      if (await client.resolve(crd.group ? `${crd.group}/${crd.version}` : crd.version, crd.kind, { signal, timeoutMs })) return;
    }
    if (Date.now() > deadline) throw new ClusterError('timeout', `CustomResourceDefinition ${crd.crd} was not ${ok ? 'served' : 'Established'} within ${Math.round(limitMs / 1000)} s`, { verb: 'wait' });
    await sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
}
