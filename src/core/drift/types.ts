// What drift reports: per resource InSync | Drifted | Missing | Unknown | Skipped, and per
// environment the live objects that carry its ownership marks but are not in Git.
import type { ClusterErrorKind } from '../cluster/errors';
import type { ResourceId } from '../manifest/identity';
import type { SourceLocation } from '../manifest/range';
import type { FieldPath } from './paths';

export type DriftStrategy = 'local' | 'server-side';

/**
 * One drifted field. `change`, from Git's point of view:
 * - `changed`: both sides have it, with different values;
 * - `missing`: Git sets it, the cluster does not have it;
 * - `added`: the cluster has it, Git does not, and a field manager other than the cluster's own
 *   controllers set it (server defaults are never reported).
 */
export interface DriftField {
  /** `spec.template.spec.containers[name=api].image` */
  path: string;
  segments: FieldPath;
  change: 'changed' | 'missing' | 'added';
  /** Git's value (absent for `added`). Secret values are masked. */
  desired?: unknown;
  /** The cluster's value (absent for `missing`). Secret values are masked. */
  live?: unknown;
  /** The field manager that owns the live value (from metadata.managedFields), when recorded. */
  manager?: string;
  /** Its operation: `Apply` (server-side apply) or `Update` (edit, patch, scale, client-side apply…). */
  operation?: string;
  /** When that manager last wrote the object (RFC 3339). */
  time?: string;
  /** The subresource the manager wrote through (`scale`, `status`), on servers that record it. */
  subresource?: string;
  /** True when the values are Secret data: they are never shown. */
  masked?: boolean;
}

export interface UnknownReason {
  /** A ClusterError kind, or `pending` while the first LIST is still running. */
  kind: ClusterErrorKind | 'pending';
  message: string;
}

interface ResultBase {
  id: ResourceId;
  /** resourceKey(id) */
  key: string;
  /** Where Git defines it (best effort). */
  source?: SourceLocation;
  /** ms since epoch. */
  checkedAt: number;
  strategy: DriftStrategy;
}

export type DriftResult =
  | (ResultBase & { status: 'in-sync' })
  | (ResultBase & { status: 'drifted'; fields: DriftField[] })
  /** Not in the cluster. `note` says more when the cluster does not even serve the kind. */
  | (ResultBase & { status: 'missing'; note?: string })
  | (ResultBase & { status: 'unknown'; reason: UnknownReason })
  | (ResultBase & { status: 'skipped'; reason: string });

export type DriftStatus = DriftResult['status'];

/** A live object that carries the environment's ownership marks but is not in Git. */
export interface NotInGit {
  id: ResourceId;
  key: string;
  /** Which mark: `label reconcile.dev/environment=dev`, `Argo CD app shop-cache-dev`, … */
  reason: string;
}

/** How the environment's objects are recognized in the cluster. */
export interface EnvironmentOwnership {
  environment: string;
  /**
   * The repository the environment is defined in (repositoryIdentity()). Objects whose
   * `reconcile.dev/repository` annotation names another repository are not the environment's, whatever
   * their other marks say; objects without the annotation (applied before it existed) still are.
   */
  repository?: string;
  /** Argo CD Applications of the environment (tracking label `app.kubernetes.io/instance` or annotation `argocd.argoproj.io/tracking-id`). */
  argoApps?: string[];
  /** Flux Kustomizations (labels `kustomize.toolkit.fluxcd.io/name` + `namespace`). */
  fluxKustomizations?: Array<{ name: string; namespace: string }>;
  /** Flux HelmReleases (labels `helm.toolkit.fluxcd.io/name` + `namespace`). */
  fluxHelmReleases?: Array<{ name: string; namespace: string }>;
}

export interface DriftCounts {
  total: number;
  inSync: number;
  drifted: number;
  missing: number;
  unknown: number;
  skipped: number;
  notInGit: number;
}

export interface EnvironmentDriftReport {
  environment: string;
  context?: string;
  strategy: DriftStrategy;
  results: DriftResult[];
  notInGit: NotInGit[];
  /** Live objects not in Git that Argo CD's `compare-options: IgnoreExtraneous` excludes. */
  ignoredExtraneous: NotInGit[];
  counts: DriftCounts;
  /** Problems that do not belong to one resource (bad ignore expressions, duplicate definitions…). */
  warnings: string[];
  checkedAt: number;
}
