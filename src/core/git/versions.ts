// A file as it was in a commit and in that commit's parent, so the editor can open the diff a commit
// made ("Show Resource History" → pick a commit). Renames are followed from the commit to its parent.
import { GitRepoError } from './errors';
import { blobAt } from './history';
import { repoPath, resolveCommit, runGit, type GitRepo } from './repo';

export interface FileVersion {
  /** The commit the text was read from; undefined for "before the first commit". */
  commit?: string;
  /** Repository-relative path in that commit. */
  path: string;
  exists: boolean;
  /** The file's text when it exists. */
  content?: string;
}

export interface CommitDiff {
  /** The version in the commit's first parent (renames followed); `exists: false` for a root commit or an added file. */
  before: FileVersion;
  /** The version in the commit; `exists: false` when the commit deleted it. */
  after: FileVersion;
}

async function requireCommit(repo: GitRepo, hash: string): Promise<string> {
  const full = await resolveCommit(repo, hash);
  if (!full) throw new GitRepoError('bad-revision', `no commit ${hash} in ${repo.root}`);
  return full;
}

/** `file` (absolute or repository-relative) as it was in commit `hash`. */
export async function fileAtCommit(repo: GitRepo, file: string, hash: string): Promise<FileVersion> {
  const commit = await requireCommit(repo, hash);
  const path = repoPath(repo, file);
  const content = await blobAt(repo, commit, path);
  return { commit, path, exists: content !== undefined, content };
}

/** `file` as it was in the first parent of `hash`, under its old name if the commit renamed it. */
export async function fileAtParent(repo: GitRepo, file: string, hash: string): Promise<FileVersion> {
  const commit = await requireCommit(repo, hash);
  const path = repoPath(repo, file);
  const parent = (await runGit(repo, ['rev-parse', '-q', '--verify', `${commit}^1`], { ok: [0, 1, 128] })).stdout.trim();
  if (!parent) return { path, exists: false };
  const oldPath = (await renamedFrom(repo, parent, commit, path)) ?? path;
  const content = await blobAt(repo, parent, oldPath);
  return { commit: parent, path: oldPath, exists: content !== undefined, content };
}

/** Both sides of the change `hash` made to `file`. */
export async function diffAtCommit(repo: GitRepo, file: string, hash: string): Promise<CommitDiff> {
  const [before, after] = await Promise.all([fileAtParent(repo, file, hash), fileAtCommit(repo, file, hash)]);
  return { before, after };
}

/** The old path when `path` was renamed or copied between `parent` and `commit`. */
async function renamedFrom(repo: GitRepo, parent: string, commit: string, path: string): Promise<string | undefined> {
  const out = (await runGit(repo, ['diff-tree', '-r', '-M', '-z', '--name-status', '--no-ext-diff', parent, commit])).stdout;
  const t = out.split('\0').filter(Boolean);
  for (let i = 0; i < t.length; ) {
    const status = t[i++];
    if (/^[RC]/.test(status)) {
      if (t[i + 1] === path) return t[i];
      i += 2;
    } else i++;
  }
  return undefined;
}
