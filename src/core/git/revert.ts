// "Revert Commit…": `git revert --no-edit` makes a new commit that undoes an old one; history is
// never rewritten. The working tree must be clean first (DirtyTreeError names the files; stash() is
// the way out). A conflict is left in place — with REVERT_HEAD, so that VS Code's merge editor opens
// the files — and is explained; continueRevert() commits the resolution, abortRevert() returns to
// exactly the state before. Any other failure is rolled back at once: never a half-reverted tree.
//
// Merge commits: reverting one needs a "mainline" parent. We default to parent 1 — the branch the
// merge was made on — which undoes what the merged branch brought in (what "revert this merge"
// means in a GitOps repo); `mainline` overrides it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { countOf, DirtyTreeError, GitRepoError, gitMessageLine, listFiles, UnresolvedConflictError } from './errors';
import { absolutePath, commitRefs, headCommit, requireHead, requireIdentity, resolveCommit, runGit, type CommitRef, type GitRepo } from './repo';
import { status } from './worktree';

export interface RevertOptions {
  /** For a merge commit: the parent (1-based) whose side is kept. Default 1. Refused for a non-merge. */
  mainline?: number;
}

interface RevertBase {
  /** The commit that was reverted. */
  reverted: CommitRef;
  /** The mainline parent used, for a merge commit. */
  mainline?: number;
  /** HEAD is detached: the new commit belongs to no branch (the UI should warn). */
  detached: boolean;
  warnings: string[];
}

export interface RevertDone extends RevertBase {
  status: 'reverted';
  /** The new commit. */
  commit: string;
  shortHash: string;
  subject: string;
}

export interface RevertConflict extends RevertBase {
  status: 'conflict';
  /** Conflicting files, repository-relative; `absoluteFiles` for opening them. */
  files: string[];
  absoluteFiles: string[];
  /** HEAD before the revert: abortRevert() returns exactly there. */
  head: string;
  message: string;
}

export interface RevertEmpty extends RevertBase {
  status: 'empty';
  message: string;
}

export type RevertResult = RevertDone | RevertConflict | RevertEmpty;

export interface RevertState {
  inProgress: boolean;
  /** The commit being reverted. */
  reverting?: CommitRef;
  /** Files still unmerged (repository-relative). */
  conflicted: string[];
}

type Operation = 'revert' | 'merge' | 'cherry-pick' | 'rebase' | 'sequence';

/** A merge, rebase, cherry-pick or revert that git has not finished. */
async function operationInProgress(repo: GitRepo): Promise<Operation | undefined> {
  if (await refExists(repo, 'REVERT_HEAD')) return 'revert';
  if (await refExists(repo, 'MERGE_HEAD')) return 'merge';
  if (await refExists(repo, 'CHERRY_PICK_HEAD')) return 'cherry-pick';
  if (existsSync(join(repo.gitDir, 'rebase-merge')) || existsSync(join(repo.gitDir, 'rebase-apply'))) return 'rebase';
  if (existsSync(join(repo.gitDir, 'sequencer'))) return 'sequence';
  return undefined;
}

async function refExists(repo: GitRepo, ref: string): Promise<boolean> {
  return (await runGit(repo, ['rev-parse', '-q', '--verify', ref], { ok: [0, 1, 128] })).code === 0;
}

async function unmergedFiles(repo: GitRepo): Promise<string[]> {
  const out = (await runGit(repo, ['diff', '--name-only', '--diff-filter=U', '-z'])).stdout;
  return [...new Set(out.split('\0').filter(Boolean))];
}

async function isDetached(repo: GitRepo): Promise<boolean> {
  return (await runGit(repo, ['symbolic-ref', '-q', 'HEAD'], { ok: [0, 1, 128] })).code !== 0;
}

/**
 * Reverts `hash` with a new commit. Refuses (GitRepoError) a dirty tree (DirtyTreeError), an
 * operation in progress, an unknown commit, a missing identity. Returns 'reverted', 'conflict'
 * (left for the merge editor; see continueRevert/abortRevert) or 'empty' (already undone; nothing changed).
 */
export async function revertCommit(repo: GitRepo, hash: string, options: RevertOptions = {}): Promise<RevertResult> {
  const head = await requireHead(repo, 'revert');
  const full = await resolveCommit(repo, hash);
  if (!full) throw new GitRepoError('bad-revision', `no commit ${hash} in ${repo.root} (in a shallow clone it may be older than the history fetched)`);
  const op = await operationInProgress(repo);
  if (op) {
    throw new GitRepoError('in-progress', `cannot revert: a ${op} is in progress — finish or abort it first`);
  }
  const st = await status(repo);
  if (st.dirty) throw new DirtyTreeError(st.changed.map((f) => f.path), `revert ${full.slice(0, 7)}`);
  await requireIdentity(repo, 'revert');

  const [info] = (await runGit(repo, ['log', '-1', '--format=%P%x00%h%x00%aI%x00%s', full])).stdout.trim().split('\n');
  const [parentList, shortHash, date, subject] = info.split('\0');
  const parents = parentList ? parentList.split(' ') : [];
  const reverted: CommitRef = { hash: full, shortHash, date, subject: subject ?? '' };
  let mainline: number | undefined;
  if (parents.length > 1) {
    mainline = options.mainline ?? 1;
    if (!Number.isInteger(mainline) || mainline < 1 || mainline > parents.length) {
      throw new GitRepoError('bad-input', `mainline must be a parent number from 1 to ${parents.length} for merge ${shortHash}, got ${options.mainline}`);
    }
  } else if (options.mainline !== undefined) {
    throw new GitRepoError('bad-input', `${shortHash} is not a merge commit: mainline does not apply`);
  }

  const detached = st.detached;
  const warnings = detached ? [`HEAD is detached at ${head.slice(0, 7)}: the revert commit belongs to no branch until you create one`] : [];
  const base: RevertBase = { reverted, ...(mainline ? { mainline } : {}), detached, warnings };

  const run = await runGit(repo, ['revert', '--no-edit', ...(mainline ? ['-m', String(mainline)] : []), full], { ok: [0, 1, 128] });
  const after = await headCommit(repo);
  if (run.code === 0 && after && after !== head) {
    const [sh, subj] = (await runGit(repo, ['log', '-1', '--format=%h%x00%s', after])).stdout.trim().split('\0');
    return { status: 'reverted', commit: after, shortHash: sh, subject: subj ?? '', ...base };
  }

  const output = `${run.stdout}\n${run.stderr}`;
  if (await refExists(repo, 'REVERT_HEAD')) {
    const files = await unmergedFiles(repo);
    if (files.length > 0) {
      return {
        status: 'conflict',
        files,
        absoluteFiles: files.map((f) => absolutePath(repo, f)),
        head,
        message: `reverting ${shortHash} "${reverted.subject}" conflicts in ${countOf(files.length, 'file')}: ${listFiles(files)} — resolve them, then continue the revert; or abort it to return to ${head.slice(0, 7)} exactly as before`,
        ...base,
      };
    }
    // Applied without conflict but the commit itself failed (a hook said no): undo it all.
    await runGit(repo, ['revert', '--abort'], { ok: [0, 128] });
    await ensureRestored(repo, head);
    throw new GitRepoError('failed', `revert of ${shortHash} was not committed and has been undone: ${gitMessageLine(run.stderr || run.stdout)}`, [], output);
  }
  const now = await status(repo);
  if (after === head && !now.dirty && run.code !== 128) {
    return { status: 'empty', message: `nothing to revert: the changes of ${shortHash} "${reverted.subject}" are already undone on this branch`, ...base };
  }
  // Refused before anything was applied (e.g. untracked files in the way), or stopped half-way.
  if (now.dirty && after === head) await runGit(repo, ['reset', '-q', '--merge', 'HEAD']);
  await ensureRestored(repo, head);
  const blocking = [...output.matchAll(/^\t(.+)$/gm)].map((m) => m[1].trim());
  const why = blocking.length ? `untracked files would be overwritten: ${listFiles(blocking)} — move or delete them first` : gitMessageLine(run.stderr || run.stdout);
  throw new GitRepoError('failed', `cannot revert ${shortHash}: ${why}`, blocking, output);
}

/** After a rolled-back attempt: HEAD where it was and no tracked change left, or say so. */
async function ensureRestored(repo: GitRepo, head: string): Promise<void> {
  const now = await headCommit(repo);
  const st = await status(repo);
  if (now !== head || st.dirty) {
    throw new GitRepoError(
      'failed',
      `the failed revert could not be fully undone: HEAD is ${now?.slice(0, 7)} (was ${head.slice(0, 7)}), changed files: ${listFiles(st.changed.map((f) => f.path)) || 'none'}`,
      st.changed.map((f) => f.path),
    );
  }
}

/** Whether a revert is in progress (REVERT_HEAD), what it reverts and which files are still unmerged. */
export async function revertInProgress(repo: GitRepo): Promise<RevertState> {
  const rh = await resolveCommit(repo, 'REVERT_HEAD');
  if (!rh) return { inProgress: false, conflicted: [] };
  const [reverting] = await commitRefs(repo, [rh]);
  return { inProgress: true, reverting, conflicted: await unmergedFiles(repo) };
}

/** `git revert --abort`: index, working tree and HEAD exactly as before the revert. */
export async function abortRevert(repo: GitRepo): Promise<{ head: string }> {
  if (!(await refExists(repo, 'REVERT_HEAD'))) throw new GitRepoError('no-revert', 'no revert in progress to abort');
  await runGit(repo, ['revert', '--abort']);
  if (await refExists(repo, 'REVERT_HEAD')) throw new GitRepoError('failed', 'git revert --abort left the revert in progress');
  return { head: await requireHead(repo, 'abort the revert') };
}

/**
 * Commits a revert whose conflicts were resolved. Files still containing conflict markers are
 * refused (UnresolvedConflictError); resolved files not yet staged are staged (the merge editor
 * stages them itself). If the resolution undoes nothing, the revert is ended with 'empty'.
 */
export async function continueRevert(repo: GitRepo): Promise<RevertDone | RevertEmpty> {
  const state = await revertInProgress(repo);
  if (!state.inProgress || !state.reverting) throw new GitRepoError('no-revert', 'no revert in progress to continue');
  const reverted = state.reverting;
  const unresolved = state.conflicted.filter((f) => hasConflictMarkers(absolutePath(repo, f)));
  if (unresolved.length) throw new UnresolvedConflictError(unresolved);
  await requireIdentity(repo, 'commit the revert');
  if (state.conflicted.length) await runGit(repo, ['--literal-pathspecs', 'add', '-A', '--', ...state.conflicted]);
  const head = await requireHead(repo, 'continue the revert');
  const detached = await isDetached(repo);
  const base: RevertBase = {
    reverted,
    detached,
    warnings: detached ? [`HEAD is detached at ${head.slice(0, 7)}: the revert commit belongs to no branch until you create one`] : [],
  };
  const staged = (await runGit(repo, ['diff', '--cached', '--quiet', 'HEAD'], { ok: [0, 1] })).code === 1;
  if (!staged) {
    await runGit(repo, ['revert', '--abort']);
    return { status: 'empty', message: `the resolution keeps everything as it was: nothing of ${reverted.shortHash} was reverted`, ...base };
  }
  const run = await runGit(repo, ['revert', '--continue', '--no-edit'], { ok: [0, 1, 128] });
  const after = await headCommit(repo);
  if (run.code !== 0 || !after || after === head) {
    throw new GitRepoError('failed', `could not commit the revert of ${reverted.shortHash}: ${gitMessageLine(run.stderr || run.stdout)} — the resolution is kept; fix this and continue again, or abort`, [], `${run.stdout}${run.stderr}`);
  }
  const [sh, subj] = (await runGit(repo, ['log', '-1', '--format=%h%x00%s', after])).stdout.trim().split('\0');
  return { status: 'reverted', commit: after, shortHash: sh, subject: subj ?? '', ...base };
}

function hasConflictMarkers(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false; // resolved by deleting the file
  }
  return /^(<{7}|>{7})(?: |$)/m.test(text);
}
