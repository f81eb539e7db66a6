// Preview (plan), sync, prune and the audit log of syncs: the commands that change clusters.
// planEnvironment → Plan (items in sync order; planText/planMarkdown/planJson, planDiff per item) →
// syncPlan → SyncOutcome (one result per resource) → auditRecord → AuditLog.append.
export type { FieldConflict, Plan, PlanAction, PlanCounts, PlanItem, ServerFailure, SyncOutcome, SyncRequests, SyncResult, SyncStatus } from './types';
export { planEnvironment, countItems, PlanRenderError, DEFAULT_PRUNE_KINDS, type PlanInput, type PlanOptions } from './plan';
export { syncPlan, type SyncOptions } from './sync';
export { syncOrder, compareSyncOrder, phaseOf, stepOf, waveOf, KIND_ORDER, LAST_KINDS, SYNC_WAVE_ANNOTATION, type Orderable, type SyncPhase } from './order';
export { planText, planMarkdown, planJson, planExitCode, planSummary, planFieldLine, keptFieldLine, syncResultLine, syncSummary, syncNotes, phaseGroups, type PlanFormatOptions } from './format';
export { locate, removalPatch, removalForSync, withoutFields, planRemovals, type JsonPatchOp, type KeptField, type RemovalPatch, type RemovalPlan } from './removals';
export { planDiff, type PlanDiff } from './diff';
export { conflictsOf, conflictText, failureOf } from './failures';
export { AuditLog, auditGitContext, auditRecord, AUDIT_MAX_DIRTY_FILES, AUDIT_VERSION, type AuditContext, type AuditDirtyFile, type AuditListing, type AuditProblem, type AuditRecord } from './audit';
export { CountingClient } from './counting-client';
