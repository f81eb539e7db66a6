// What went wrong with a Git operation, classified so that the editor and the CLI can say it in one
// line ("not a git repository: /x", "uncommitted changes in 2 files: a.yaml, b.yaml") and decide
// what to offer next (stash, abort, continue) instead of showing git's raw output.

export type GitRepoErrorKind =
  | 'git-missing' // the git binary could not be started
  | 'not-found' // the folder does not exist
  | 'not-a-repository' // no .git above the folder
  | 'no-work-tree' // a bare repository, or a folder inside .git
  | 'unsafe-repository' // git refuses the repository (safe.directory / dubious ownership)
  | 'outside-repository' // a path that is not inside the repository's work tree
  | 'bad-input' // a line range, a count, an empty path list…
  | 'bad-revision' // no such commit
  | 'no-commits' // the branch has no commit yet
  | 'dirty-tree' // uncommitted changes where a clean tree is required
  | 'in-progress' // a merge, rebase, cherry-pick or revert is already in progress
  | 'no-revert' // abort/continue asked, but no revert is in progress
  | 'unresolved' // conflict markers are still in the files
  | 'untracked' // an untracked (or never committed) file where a tracked one is required
  | 'conflicted' // the file is in conflict
  | 'not-a-file' // a directory where a file is required
  | 'identity' // user.name / user.email are not configured
  | 'nothing-to-stash'
  | 'failed'; // git said no for another reason (its message is kept)

export class GitRepoError extends Error {
  override readonly name: string = 'GitRepoError';
  constructor(
    readonly kind: GitRepoErrorKind,
    message: string,
    /** Repository-relative paths the message is about (dirty, conflicted, untracked files…). */
    readonly files: readonly string[] = [],
    /** What git itself printed, when the error comes from git. */
    readonly gitOutput?: string,
  ) {
    super(message);
  }
}

/** The working tree has uncommitted changes to tracked files; `files` names them (repository-relative). */
export class DirtyTreeError extends GitRepoError {
  override readonly name = 'DirtyTreeError';
  constructor(files: readonly string[], action: string) {
    super(
      'dirty-tree',
      `cannot ${action}: uncommitted changes in ${countOf(files.length, 'file')}: ${listFiles(files)} — commit or stash them first`,
      files,
    );
  }
}

/** Conflict markers remain in files of a revert in progress. */
export class UnresolvedConflictError extends GitRepoError {
  override readonly name = 'UnresolvedConflictError';
  constructor(files: readonly string[]) {
    super(
      'unresolved',
      `conflicts are not resolved yet in ${countOf(files.length, 'file')}: ${listFiles(files)} — resolve them (or abort the revert)`,
      files,
    );
  }
}

export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "a, b, c" — at most `max` names, then "and N more". */
export function listFiles(files: readonly string[], max = 5): string {
  const shown = files.slice(0, max).join(', ');
  return files.length > max ? `${shown} and ${files.length - max} more` : shown;
}

/** The most telling line of git's output: the `fatal:`/`error:` line, else the first non-empty one. */
export function gitMessageLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('hint:'));
  const key = lines.find((l) => /^(fatal|error):/i.test(l)) ?? lines[0] ?? 'git failed without a message';
  return key.replace(/^(fatal|error):\s*/i, '');
}
