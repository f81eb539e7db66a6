// Git for Reconcile (through simple-git): history of environments, applications, files and single
// resources; "changed by …" for hovers and CodeLens; a file at a commit for diffs; revert with a
// clean-tree rule and an explained conflict state; stash; discarding a file's local changes.
export { DirtyTreeError, GitRepoError, UnresolvedConflictError, type GitRepoErrorKind } from './errors';
export {
  absolutePath,
  openRepo,
  repoPath,
  repoState,
  type CommitRef,
  type GitRepo,
  type GitVersion,
  type OpenRepoOptions,
  type RepoState,
  type ShallowHorizon,
} from './repo';
export {
  historyOfPaths,
  historyOfRange,
  type CommitInfo,
  type FileChange,
  type History,
  type PathCommit,
  type PathHistoryOptions,
  type Person,
  type RangeCommit,
  type RangeHistory,
  type RangeHistoryOptions,
  type RangeHistoryState,
} from './history';
export { formatLastChange, lastChangeOfRange, lastChangesOfRanges, type BlameCommit, type LastChange, type LastChangeOptions } from './blame';
export { linesOfRange, type LineRange } from './line-map';
export { diffAtCommit, fileAtCommit, fileAtParent, type CommitDiff, type FileVersion } from './versions';
export {
  discardFileChanges,
  stash,
  status,
  type ChangeKind,
  type DiscardOptions,
  type DiscardResult,
  type RepoStatus,
  type StashOptions,
  type StashResult,
  type StatusFile,
} from './worktree';
export {
  abortRevert,
  continueRevert,
  revertCommit,
  revertInProgress,
  type RevertConflict,
  type RevertDone,
  type RevertEmpty,
  type RevertOptions,
  type RevertResult,
  type RevertState,
} from './revert';
export { revisionPaths, type PathAtRevision, type RevisionPaths } from './revision-paths';
