// Branch / pull-request preview and the promotion check: compareRevisions() renders the environments
// whose inputs changed at two revisions (temporary git worktrees, always removed), compareEnvironments()
// diffs two environments of one revision; reports for `reconcile diff`.
export type { ChangeCounts, CompareProgress, EnvironmentCompareStatus, EnvironmentComparison, EnvironmentsComparison, FieldChange, RenderProblem, ResourceChange, RevisionComparison, RevisionRef } from './types';
export { compareRevisions, CompareError, WORKTREE, type CompareRevisionsOptions } from './revisions';
export { compareEnvironments, type CompareEnvironmentsOptions } from './environments';
export { promotionGroups, classifyField, environmentRewriter, imageVersions, type PromotionGroup, type Relevance } from './promotion';
export { diffObjects, diffResourceSets, sideTexts, countChanges, type SideObject, type DiffSetOptions } from './resource-diff';
export { compareReport, compareMarkdown, compareText, environmentsReport, compareExitCode, statusLabel, shortValue, MAX_MARKDOWN, type CompareFormat } from './format';
export { GitError, repoInfo, defaultBranch, resolveCommit, mergeBase, changedFiles, git, gitOk, gitStream, gitEnv, type GitErrorCode, type RepoInfo, type GitRunOptions } from './git';
export { withWorktrees, listWorktrees, WORKTREE_PREFIX } from './worktree';
