// Delegation to the engines that run GitOps at scale: find the Argo CD Applications and Flux
// Kustomizations/HelmReleases that manage an environment, read their status, ask them to sync or
// reconcile, and warn that a direct apply will be reverted.
export type { ArgoStatus, Engine, FluxStatus, KindScan, Manager, ManagerKind, ManagerRef, ManagerScan, ManagerStatus, MatchReason, RepoCheck } from './types';
export { findManagers, ARGO_APPLICATION, FLUX_KUSTOMIZATION, FLUX_HELMRELEASE, type FindManagersOptions } from './find';
export { argoStatusOf, fluxStatusOf, statusOf, statusLine, managerLabel, ARGO_REFRESH, FLUX_REQUESTED_AT, FLUX_FORCE_AT } from './status';
export {
  requestArgoSync,
  requestArgoRefresh,
  requestFluxReconcile,
  DelegateError,
  DELEGATE_FIELD_MANAGERS,
  ARGO_INITIATOR,
  type ArgoSyncOptions,
  type DelegateErrorCode,
  type DelegateOptions,
  type DelegateResult,
  type FluxReconcileOptions,
} from './actions';
export { directApplyWarning, directApplyWarnings } from './warning';
export { normalizeRepoURL, normalizeSourcePath, gitRemoteUrls, repoURLsOfObjects } from './sources';
