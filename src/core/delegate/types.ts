// What delegation knows about the GitOps engines that manage an environment in its cluster: which
// Argo CD Applications and Flux Kustomizations/HelmReleases deploy the environment's sources, what
// they report (sync, health, Ready, revisions), and how each kind could be read.

export type Engine = 'argocd' | 'flux';

export type ManagerKind = 'Application' | 'Kustomization' | 'HelmRelease';

/** One Argo CD Application or Flux object in the cluster. */
export interface ManagerRef {
  engine: Engine;
  kind: ManagerKind;
  /** `argoproj.io/v1alpha1`, `kustomize.toolkit.fluxcd.io/v1`, `helm.toolkit.fluxcd.io/v2`. */
  apiVersion: string;
  name: string;
  namespace: string;
}

export interface ArgoStatus {
  engine: 'argocd';
  /** status.sync.status: `Synced`, `OutOfSync`, `Unknown`. */
  sync?: string;
  /** status.health.status: `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`. */
  health?: string;
  healthMessage?: string;
  /** status.sync.revision (the first of status.sync.revisions for multi-source applications). */
  revision?: string;
  /** status.operationState: the last (or running) operation. */
  operation?: { phase?: string; message?: string; startedAt?: string; finishedAt?: string };
  /** A requested operation (the `operation` field) that the controller has not finished yet. */
  pendingOperation: boolean;
  /** spec.syncPolicy.automated is set. */
  automated: boolean;
  /** spec.syncPolicy.automated.selfHeal: live changes are reverted without a new commit. */
  selfHeal: boolean;
  /** status.reconciledAt */
  reconciledAt?: string;
}

export interface FluxStatus {
  engine: 'flux';
  /** The Ready condition, when the controller has set one. */
  ready?: { status: string; reason?: string; message?: string; lastTransitionTime?: string };
  /** status.lastAppliedRevision (Kustomization; HelmRelease: the chart version of status.history[0] when absent). */
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  /** spec.suspend */
  suspended: boolean;
  /** spec.interval, e.g. `2m`. */
  interval?: string;
  /** metadata.annotations["reconcile.fluxcd.io/requestedAt"] and status.lastHandledReconcileAt. */
  requestedAt?: string;
  lastHandledReconcileAt?: string;
  /** HelmRelease spec.driftDetection.mode (`enabled`, `warn`, `disabled`); undefined for Kustomizations. */
  driftDetection?: string;
}

export type ManagerStatus = ArgoStatus | FluxStatus;

/** How a manager was tied to the environment. */
export type MatchReason =
  /** Its source path is an application's root (Argo CD source path, Kustomization spec.path, HelmRelease chart path). */
  | 'path'
  /** Its name (and namespace, for Flux) is one the repository's own definitions give an application of the environment. */
  | 'name';

/** Whether the manager's repository was checked to be this one. */
export type RepoCheck =
  /** The source's repoURL (or the Flux GitRepository's url) is one of the repository's URLs. */
  | 'matched'
  /** It could not be checked (no URL known for this repository, a source that cannot be read, an OCI source): path only. */
  | 'unchecked';

export interface Manager extends ManagerRef {
  /** Ids of the environment's applications it deploys. */
  applications: string[];
  matchedBy: MatchReason[];
  repo: RepoCheck;
  /** Why the repository is unchecked, or other caveats, in words. */
  notes: string[];
  status: ManagerStatus;
  /** The object as the cluster returned it (raw JSON). */
  object: Record<string, unknown>;
}

/** How one kind could be read. A kind the cluster does not serve means "no manager of that kind". */
export interface KindScan {
  engine: Engine;
  kind: ManagerKind | 'GitRepository';
  apiVersion: string;
  state: 'listed' | 'not-served' | 'forbidden' | 'error';
  /** The namespaces listed when the cluster-wide LIST was forbidden (and these were allowed). */
  namespaces?: string[];
  /** Why it is forbidden or failed, in one line. */
  message?: string;
  /** The ClusterError kind, for forbidden and error. */
  errorKind?: string;
}

export interface ManagerScan {
  managers: Manager[];
  kinds: KindScan[];
  /** Objects whose path matches but whose repository is another one (not counted as managers). */
  skipped: Array<{ ref: ManagerRef; reason: string }>;
  /** The repository URLs that sources were checked against (normalized). */
  repoURLs: string[];
}
