// Asking the GitOps engines to act, the way their own CLIs do:
// - Argo CD sync: the Application's `operation` field ({sync: {revision?}, initiatedBy}); refused
//   while another operation is pending, like `argocd app sync`;
// - Argo CD refresh: the `argocd.argoproj.io/refresh` annotation;
// - Flux reconcile: the `reconcile.fluxcd.io/requestedAt` annotation (`flux reconcile`), refused on a
//   suspended object.
// Each is a server-side apply of just that field, with the object's resourceVersion as a precondition:
// it never creates an object that is gone, and a concurrent change (the controller writing status)
// makes it read the object again and retry. Each kind of request has its own field manager, never
// `reconcile` (the one that applies Git's objects): with server-side apply a manager's next apply
// removes the fields it owned and left out, so a later apply of the object from Git, or a refresh after
// a sync request, must not be made by the same manager or it would take the earlier request back.
import { ClusterError } from '../cluster/errors';
import type { ClusterClient, RawObject, RequestOptions } from '../cluster/types';
import { ARGO_REFRESH, FLUX_FORCE_AT, FLUX_REQUESTED_AT, managerLabel } from './status';
import type { ManagerRef } from './types';

/** The field managers of the requests (see the header for why they are distinct). */
export const DELEGATE_FIELD_MANAGERS = {
  argoSync: 'reconcile-argo-sync',
  argoRefresh: 'reconcile-argo-refresh',
  fluxReconcile: 'reconcile-flux-reconcile',
} as const;
/** `initiatedBy.username` of the sync operations Reconcile requests. */
export const ARGO_INITIATOR = 'reconcile';

export type DelegateErrorCode = 'operation-in-progress' | 'suspended' | 'wrong-kind';

/** A request the engine would refuse (or that would do nothing), in one line. */
export class DelegateError extends Error {
  override readonly name = 'DelegateError';
  constructor(readonly code: DelegateErrorCode, message: string) {
    super(message);
  }
}

export interface DelegateOptions extends RequestOptions {
  /** Overrides the request's field manager (DELEGATE_FIELD_MANAGERS). */
  fieldManager?: string;
  /** Attempts when the object changes between the read and the write (default 5). */
  attempts?: number;
}

export interface ArgoSyncOptions extends DelegateOptions {
  /** The revision to sync to (branch, tag, commit); the Application's targetRevision when absent. */
  revision?: string;
  /** Delete resources Argo CD finds that are no longer in Git. */
  prune?: boolean;
}

export interface FluxReconcileOptions extends DelegateOptions {
  /** HelmRelease only: also `reconcile.fluxcd.io/forceAt` (a one-off forced upgrade, like `flux reconcile hr --force`). */
  force?: boolean;
  /** The time to request (default now). */
  now?: Date;
}

export interface DelegateResult {
  /** The object after the request, as the server stored it. */
  object: RawObject;
  /** The value written (the requestedAt time, the refresh kind, or the operation). */
  requested: unknown;
}

type Ref = Pick<ManagerRef, 'apiVersion' | 'kind' | 'name' | 'namespace'>;

async function read(client: ClusterClient, ref: Ref, opts: RequestOptions): Promise<RawObject> {
  const type = await client.resolve(ref.apiVersion, ref.kind, opts);
  if (!type) throw new ClusterError('not-found', `the cluster does not serve ${ref.kind} in ${ref.apiVersion}`, { resource: ref.kind });
  return client.get(type, ref.namespace, ref.name, opts);
}

function isStaleWrite(e: unknown): boolean {
  // 409 from the resourceVersion precondition ("the object has been modified"), not a field-manager conflict.
  return e instanceof ClusterError && e.kind === 'conflict' && !/Apply failed with/i.test(e.details.serverMessage ?? e.message);
}

/**
 * Reads the object, lets `build` check it and say what to apply, and applies that with the read
 * resourceVersion as precondition; retries when the object changed in between.
 */
async function applyField(client: ClusterClient, ref: Ref, opts: DelegateOptions, manager: string, build: (live: RawObject) => RawObject): Promise<RawObject> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const req = { signal: opts.signal, timeoutMs: opts.timeoutMs };
  for (let i = 1; ; i++) {
    const live = await read(client, ref, req);
    const meta = (live.metadata ?? {}) as { resourceVersion?: unknown };
    const patch = build(live);
    const body: RawObject = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      ...patch,
      metadata: { ...((patch.metadata as object | undefined) ?? {}), name: ref.name, namespace: ref.namespace, resourceVersion: meta.resourceVersion },
    };
    try {
      return await client.serverSideApply(body, { ...req, fieldManager: opts.fieldManager ?? manager });
    } catch (e) {
      if (i < attempts && isStaleWrite(e)) continue;
      throw e;
    }
  }
}

function expectKind(ref: Ref, engine: string, kinds: string[]): void {
  if (!kinds.includes(ref.kind)) throw new DelegateError('wrong-kind', `${ref.kind} ${ref.namespace}/${ref.name} is not ${engine === 'argocd' ? 'an Argo CD Application' : 'a Flux Kustomization or HelmRelease'}`);
}

/**
 * Asks Argo CD to sync the Application (what `argocd app sync` does): sets `operation`. Rejects with
 * DelegateError('operation-in-progress') when an operation is already pending.
 */
export async function requestArgoSync(client: ClusterClient, app: Ref, opts: ArgoSyncOptions = {}): Promise<DelegateResult> {
  expectKind(app, 'argocd', ['Application']);
  const operation: RawObject = {
    sync: { ...(opts.revision ? { revision: opts.revision } : {}), ...(opts.prune ? { prune: true } : {}) },
    initiatedBy: { username: ARGO_INITIATOR },
    info: [{ name: 'Reason', value: 'requested from Reconcile' }],
  };
  const object = await applyField(client, app, opts, DELEGATE_FIELD_MANAGERS.argoSync, (live) => {
    const pending = live.operation as { initiatedBy?: { username?: unknown; automated?: unknown } } | undefined | null;
    if (pending) {
      const by = pending.initiatedBy?.automated === true ? 'automated sync' : typeof pending.initiatedBy?.username === 'string' ? pending.initiatedBy.username : 'someone';
      throw new DelegateError('operation-in-progress', `${managerLabel({ ...app, engine: 'argocd', kind: 'Application' })} already has an operation in progress (started by ${by}): wait for it to finish`);
    }
    return { operation };
  });
  return { object, requested: operation };
}

/** Asks Argo CD to compare the Application with Git again (`argocd app get --refresh`, or `--hard-refresh`). */
export async function requestArgoRefresh(client: ClusterClient, app: Ref, opts: DelegateOptions & { hard?: boolean } = {}): Promise<DelegateResult> {
  expectKind(app, 'argocd', ['Application']);
  const value = opts.hard ? 'hard' : 'normal';
  const object = await applyField(client, app, opts, DELEGATE_FIELD_MANAGERS.argoRefresh, () => ({ metadata: { annotations: { [ARGO_REFRESH]: value } } }));
  return { object, requested: value };
}

/** RFC 3339 with milliseconds, later than `previous` when that is the same instant (so a repeated request still counts). */
function requestTime(now: Date, previous: unknown): string {
  let t = now.toISOString();
  if (typeof previous === 'string' && previous === t) t = new Date(now.getTime() + 1).toISOString();
  return t;
}

/**
 * Asks Flux to reconcile a Kustomization or HelmRelease now (`flux reconcile ks|hr`): the
 * `reconcile.fluxcd.io/requestedAt` annotation. Rejects with DelegateError('suspended') for a
 * suspended object, which Flux would ignore.
 */
export async function requestFluxReconcile(client: ClusterClient, ref: Ref, opts: FluxReconcileOptions = {}): Promise<DelegateResult> {
  expectKind(ref, 'flux', ['Kustomization', 'HelmRelease']);
  let requested = '';
  const object = await applyField(client, ref, opts, DELEGATE_FIELD_MANAGERS.fluxReconcile, (live) => {
    if ((live.spec as { suspend?: unknown } | undefined)?.suspend === true) {
      const short = ref.kind === 'Kustomization' ? 'kustomization' : 'helmrelease';
      throw new DelegateError('suspended', `${managerLabel({ ...ref, engine: 'flux', kind: ref.kind as 'Kustomization' })} is suspended: resume it first (flux resume ${short} ${ref.name} -n ${ref.namespace})`);
    }
    const annotations = ((live.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations ?? {}) as Record<string, unknown>;
    requested = requestTime(opts.now ?? new Date(), annotations[FLUX_REQUESTED_AT]);
    const add: Record<string, string> = { [FLUX_REQUESTED_AT]: requested };
    if (opts.force && ref.kind === 'HelmRelease') add[FLUX_FORCE_AT] = requested;
    return { metadata: { annotations: add } };
  });
  return { object, requested };
}
