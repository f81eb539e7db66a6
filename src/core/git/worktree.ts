// The working tree: what is changed (dirty or clean, which files), stashing those changes before a
// revert, and "Discard Local Changes" for one file — which never deletes an untracked file unless
// the caller says so.
import { rm, stat } from 'node:fs/promises';
import type { StatusResult } from 'simple-git';
import { countOf, GitRepoError, listFiles } from './errors';
import { absolutePath, headCommit, repoPath, requireHead, requireIdentity, runGit, type GitRepo } from './repo';

export type ChangeKind = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'type-changed' | 'untracked' | 'conflicted';

export interface StatusFile {
  /** Repository-relative path. */
  path: string;
  absolutePath: string;
  /** The old path of a rename or copy. */
  from?: string;
  /** `git status --porcelain` letters: X (index) and Y (working tree). */
  index: string;
  workingTree: string;
  kind: ChangeKind;
}

export interface RepoStatus {
  /** Tracked files are changed (staged or not) or in conflict: a revert is refused. */
  dirty: boolean;
  /** Not dirty and no untracked file either. */
  clean: boolean;
  /** Changed tracked files, conflicts included. */
  changed: StatusFile[];
  untracked: string[];
  conflicted: string[];
  /** Every entry, untracked included. */
  files: StatusFile[];
  branch?: string;
  detached: boolean;
}

const CONFLICT = new Set(['DD', 'AU', 'UD', 'UA', 'DU', 'AA', 'UU']);

function kindOf(x: string, y: string): ChangeKind {
  if (x === '?' && y === '?') return 'untracked';
  if (CONFLICT.has(x + y)) return 'conflicted';
  const k = x !== ' ' ? x : y;
  switch (k) {
    case 'A':
      return 'added';
    case 'D':
      return 'deleted';
    case 'R':
      return 'renamed';
    case 'C':
      return 'copied';
    case 'T':
      return 'type-changed';
    default:
      return 'modified';
  }
}

/** Dirty or not, and which files (ignored files are not listed). */
export async function status(repo: GitRepo): Promise<RepoStatus> {
  let s: StatusResult;
  try {
    s = await repo.git.status();
  } catch (e) {
    throw new GitRepoError('failed', `git status failed in ${repo.root}: ${(e as Error).message.trim().split('\n').pop()}`);
  }
  const files: StatusFile[] = s.files.map((f) => ({
    path: f.path,
    absolutePath: absolutePath(repo, f.path),
    ...(f.from ? { from: f.from } : {}),
    index: f.index,
    workingTree: f.working_dir,
    kind: kindOf(f.index, f.working_dir),
  }));
  const changed = files.filter((f) => f.kind !== 'untracked');
  const untracked = files.filter((f) => f.kind === 'untracked').map((f) => f.path);
  const conflicted = files.filter((f) => f.kind === 'conflicted').map((f) => f.path);
  const detached = s.detached || !s.current || s.current === 'HEAD';
  return {
    dirty: changed.length > 0,
    clean: files.length === 0,
    changed,
    untracked,
    conflicted,
    files,
    ...(detached ? {} : { branch: s.current ?? undefined }),
    detached,
  };
}

export interface StashOptions {
  /** Stash untracked files too (`--include-untracked`); default false, they do not block a revert. */
  includeUntracked?: boolean;
}

export interface StashResult {
  /** `stash@{0}` right after stashing. */
  ref: string;
  /** The stash commit, stable even when more stashes are pushed. */
  hash: string;
  message: string;
  /** The files that were stashed (repository-relative). */
  files: string[];
}

/** `git stash push -m <message>`: puts the uncommitted changes aside so that a revert can run. */
export async function stash(repo: GitRepo, message: string, options: StashOptions = {}): Promise<StashResult> {
  if (!message.trim()) throw new GitRepoError('bad-input', 'a stash needs a message');
  await requireHead(repo, 'stash');
  const st = await status(repo);
  if (st.conflicted.length) {
    throw new GitRepoError('conflicted', `cannot stash while ${countOf(st.conflicted.length, 'file')} are in conflict: ${listFiles(st.conflicted)}`, st.conflicted);
  }
  const files = [...st.changed.map((f) => f.path), ...(options.includeUntracked ? st.untracked : [])];
  if (files.length === 0) {
    const note = st.untracked.length ? ` (${countOf(st.untracked.length, 'untracked file')} left as they are)` : '';
    throw new GitRepoError('nothing-to-stash', `nothing to stash: no uncommitted changes to tracked files${note}`);
  }
  await requireIdentity(repo, 'stash');
  const before = await stashTop(repo);
  await runGit(repo, ['stash', 'push', ...(options.includeUntracked ? ['--include-untracked'] : []), '-m', message]);
  const hash = await stashTop(repo);
  if (!hash || hash === before) throw new GitRepoError('failed', 'git stash did not create a stash');
  return { ref: 'stash@{0}', hash, message, files };
}

async function stashTop(repo: GitRepo): Promise<string | undefined> {
  const r = await runGit(repo, ['rev-parse', '-q', '--verify', 'refs/stash'], { ok: [0, 1, 128] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export interface DiscardOptions {
  /** For a file git does not track (or added but never committed): delete it. Default false: refuse. */
  deleteUntracked?: boolean;
}

export interface DiscardResult {
  path: string;
  /** restored: back to HEAD's version; deleted: an untracked/new file removed; unchanged: nothing to discard. */
  action: 'restored' | 'deleted' | 'unchanged';
}

/** "Discard Local Changes": the file back to its HEAD version (index and working tree). */
export async function discardFileChanges(repo: GitRepo, file: string, options: DiscardOptions = {}): Promise<DiscardResult> {
  const rel = repoPath(repo, file);
  const abs = absolutePath(repo, rel);
  const info = await stat(abs).catch(() => undefined);
  if (info?.isDirectory()) throw new GitRepoError('not-a-file', `a folder, not a file: ${file} — discard changes one file at a time`);
  const line = (await runGit(repo, ['--literal-pathspecs', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--', rel])).stdout;
  const entry = line.split('\0').find((e) => e.length > 3 && e.slice(3) === rel);
  const xy = entry ? entry.slice(0, 2) : '  ';
  if (CONFLICT.has(xy)) {
    throw new GitRepoError('conflicted', `${rel} is in conflict: resolve it, or abort the revert/merge in progress, instead of discarding`, [rel]);
  }
  const head = await headCommit(repo);
  const inHead = head !== undefined && (await runGit(repo, ['cat-file', '-e', `HEAD:${rel}`], { ok: [0, 128] })).code === 0;
  if (!inHead) {
    if (!entry && !info) throw new GitRepoError('not-found', `file does not exist: ${file}`);
    const what = xy === '??' ? 'untracked' : xy === '!!' ? 'ignored by git' : 'new (never committed)';
    if (!options.deleteUntracked) {
      throw new GitRepoError('untracked', `${rel} is ${what}: there is no committed version to go back to; discarding would delete it`, [rel]);
    }
    if (xy !== '??' && xy !== '!!') await runGit(repo, ['--literal-pathspecs', 'rm', '--cached', '-q', '--', rel]);
    await rm(abs, { force: true });
    return { path: rel, action: 'deleted' };
  }
  if (!entry && info) return { path: rel, action: 'unchanged' };
  await runGit(repo, ['--literal-pathspecs', 'checkout', '-q', 'HEAD', '--', rel]);
  return { path: rel, action: 'restored' };
}
