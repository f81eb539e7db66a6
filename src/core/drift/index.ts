// Drift, modelled on gitops-engine: normalizers → strategy (local subset comparison, or server-side
// dry-run apply) → per-resource results with field-manager attribution; environment-level tracking,
// "not in Git", summaries, diff documents and CLI reports.
export type { DriftCounts, DriftField, DriftResult, DriftStatus, DriftStrategy, EnvironmentDriftReport, EnvironmentOwnership, NotInGit, UnknownReason } from './types';
export { compareLocal, compareServerSide, effectiveId, hookSkipReason, fluxReconcileDisabled, argoIgnoreExtraneous, DEFAULT_FIELD_MANAGER, FLUX_RECONCILE, ARGO_COMPARE_OPTIONS, type DesiredObject, type DriftOptions } from './engine';
export { compareObjects, pickOwner, sameScalar, DEFAULT_SYSTEM_MANAGERS, type CompareOptions } from './compare';
export { normalizeObject, toApplyPayload, cloneJson, LAST_APPLIED, type NormalizeOptions } from './normalize';
export { canonicalQuantity, parseQuantity, sameQuantity, type ExactQuantity } from './quantity';
export { formatPath, listRule, isQuantityPath, isIntOrStringPath, isBuiltinGroup, schemaPathOf, type FieldPath, type PathSegment, type ListItemSegment, type ListRule } from './paths';
export { managedEntriesOf, ownersOf, parseFieldsV1, type ManagedEntry, type FieldNode } from './managed-fields';
export { compileIgnoreRules, parseJqPath, parseJsonPointer, deleteJq, deletePointer, applyIgnore, type CompiledIgnore, type IgnoreProblem, type IgnoreTarget, type JqStep, type ResourceIgnore } from './ignore';
export { MASK, MASK_ADDED, MASK_CHANGED, MASK_MISSING, MASK_UNCHANGED } from './secret';
export { diffDocuments, type DiffDocuments } from './documents';
export { summaryLine, formatField, formatValue, notInGitLine, unknownText, driftReport, driftExitCode, type ReportFormat } from './format';
export {
  EnvironmentDrift,
  checkEnvironmentDrift,
  desiredFromDocuments,
  ownershipOf,
  ownershipMark,
  markRepository,
  repositoryIdentity,
  countResults,
  ENVIRONMENT_LABEL,
  REPOSITORY_ANNOTATION,
  ARGO_INSTANCE_LABEL,
  ARGO_TRACKING_ANNOTATION,
  FLUX_KUSTOMIZATION_LABELS,
  FLUX_HELM_LABELS,
  type CheckOptions,
  type DesiredSet,
  type DriftChange,
  type EnvironmentDriftOptions,
} from './environment';
export { renderEnvironment, type RenderedEnvironment, type RenderFailure } from './desired';
export { EnvironmentLifecycle, type LifecycleDeps, type LifecyclePhase, type LifecycleSession, type RenderOutcome } from './lifecycle';
export { lensAnchors, lensTitle, lensProblem, staleFault, aggregateLensTitle, type LensAnchor, type LensTitleOptions } from './lens';
