// What a plan (preview) and a sync report: per resource what a sync would do, or did, in words the
// Plan view, the Output channel, the CLI and the audit log share. Secret values never appear here:
// field values of Secrets are masks, and the objects themselves stay out of these types.
import type { ClusterErrorKind, StatusCause } from '../cluster/errors';
import type { DriftField } from '../drift/types';
import type { ResourceId } from '../manifest/identity';
import type { SourceLocation } from '../manifest/range';
import type { Classification, Phase } from '../phase';
import type { KeptField } from './removals';

/**
 * `skip`: in Git, but not applied by a sync: a hook of a phase a sync does not run (Helm tests,
 * delete and rollback hooks, Argo CD's Skip), or a Helm install-only hook on an upgrade.
 */
export type PlanAction = 'create' | 'update' | 'unchanged' | 'failed' | 'prune' | 'skip';

/** Another field manager that owns a field the apply would change (a 409 from server-side apply). */
export interface FieldConflict {
  /** `kubectl-edit` */
  manager: string;
  /** `.spec.replicas`, as the server names it. */
  field: string;
  /** The API version the manager wrote with, when the server says it. */
  apiVersion?: string;
  /** The subresource the manager wrote through (`scale` for `kubectl scale`), when the server says it (1.22+). */
  subresource?: string;
}

/** A server error in words: the classified kind, our one line and the server's own message verbatim. */
export interface ServerFailure {
  kind: ClusterErrorKind;
  /** One line for people (`rejected by the server: spec.replicas: Invalid value: -1 …`). */
  message: string;
  /** The server's Status.message, verbatim, when there was one. */
  serverMessage?: string;
  /** HTTP status code, when there was a response. */
  status?: number;
  /** Status.reason (Invalid, NotFound, Conflict, …). */
  reason?: string;
  causes?: StatusCause[];
}

export interface PlanItem {
  /** resourceKey of the identity with the namespace the cluster uses. */
  key: string;
  /** The identity, namespace resolved (cluster-scoped objects have none). */
  id: ResourceId;
  action: PlanAction;
  /** Where Git defines it (best effort; not for prune candidates). */
  source?: SourceLocation;
  /** The application that renders it. */
  application?: string;
  /** `update`: the fields the apply changes (live → Git), Secret values masked. */
  fields?: DriftField[];
  /**
   * `update`: fields other managers own with other values. Sync applies such an item only with
   * force (`syncPlan(…, { force })`), after the user confirmed taking the fields over.
   */
  conflicts?: FieldConflict[];
  /**
   * Fields the cluster has and Git lacks, set by other managers, that a sync cannot remove (the server
   * refuses to, or sets them again): drift goes on reporting them after a sync. Those a sync removes
   * are in `fields` (`added`: the cluster's value goes).
   */
  kept?: KeptField[];
  /** `failed`: why, with the server's own message. */
  failure?: ServerFailure;
  /**
   * More about the item: a create the server could not fully check yet (its namespace or CRD is
   * created by this plan), the ownership mark of a prune candidate, …
   */
  note?: string;
  /** `prune`: which ownership mark of the environment the live object carries. */
  ownership?: string;
  /**
   * Its order within its phase: the `argocd.argoproj.io/sync-wave` of the desired object (Helm's
   * hook weight for Helm hooks; 0 when absent or not an integer). See phase/classify.
   */
  wave: number;
  /** The phase a sync applies it in (phase/classify); `Sync` for ordinary resources and prune candidates. */
  phase: Phase;
  /** Hooks (and objects a sync skips): the whole classification — phases, weight, delete policy, engine. */
  hook?: Classification;
}

export interface PlanCounts {
  /** Desired objects (every action but prune: create + update + unchanged + failed + skip). */
  total: number;
  create: number;
  update: number;
  unchanged: number;
  failed: number;
  prune: number;
  /** In Git but not run by a sync (tests, delete and rollback hooks, Skip). */
  skip: number;
  /** Updates that need force (fields owned by other managers). */
  conflicts: number;
}

export interface Plan {
  environment: string;
  context?: string;
  /** The API server address. */
  server: string;
  /** ms since epoch. */
  createdAt: number;
  /** How long the plan took (ms). */
  durationMs: number;
  /** Items in sync order (see syncOrder), prune candidates last. */
  items: PlanItem[];
  counts: PlanCounts;
  /** Problems that belong to no single resource (duplicates, bad ignore rules, prune candidates left out and why). */
  warnings: string[];
  /** Requests sent to the API server while planning (discovery, LISTs, dry-runs). */
  requests: number;
}

export type SyncStatus = 'applied' | 'unchanged' | 'failed' | 'skipped' | 'cancelled' | 'pruned';

export interface SyncResult {
  key: string;
  id: ResourceId;
  /** What the plan said. */
  action: PlanAction;
  status: SyncStatus;
  /** Why it failed, was skipped or cancelled; or what was done (`created`, `updated`, `forced`). */
  message?: string;
  failure?: ServerFailure;
  /** A 409 from the apply: the managers and fields that conflict. Not forced without `force`. */
  conflicts?: FieldConflict[];
  /**
   * True when the request may or may not have reached the cluster (the connection dropped or timed
   * out after it was sent): look at the cluster before assuming either.
   */
  uncertain?: boolean;
  /** ms since epoch, when the result was known. */
  at: number;
}

export interface SyncRequests {
  apply: number;
  /** JSON patches that remove fields other managers set and Git lacks (after the apply). */
  patch: number;
  get: number;
  delete: number;
  discovery: number;
  total: number;
}

export interface SyncOutcome {
  /** `blocked`: preflight refused, nothing was sent. */
  outcome: 'success' | 'partial' | 'failed' | 'cancelled' | 'blocked';
  /** Why the sync was blocked or stopped early. */
  reason?: string;
  /** One per plan item (prune candidates not confirmed are `skipped`), in the order they were handled. */
  results: SyncResult[];
  counts: Record<SyncStatus, number>;
  requests: SyncRequests;
  durationMs: number;
  startedAt: number;
  /**
   * What the sync did between phases and waves, in order, e.g. `wave 1 applied; health is not checked
   * yet, so wave 2 starts when the apply returns`.
   */
  notes: string[];
}
