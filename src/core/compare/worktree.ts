// Temporary checkouts of commits with `git worktree add --detach` in a temp folder, always removed
// afterwards — on success, error or cancellation — so that the user's repository is left exactly as it
// was: no worktree entry, no branch, no file in their work tree. Hooks are disabled for the checkout
// (core.hooksPath=/dev/null: a post-checkout hook must not run for a preview), no file-system monitor
// is started for it, and Git LFS does not download (GIT_LFS_SKIP_SMUDGE=1).
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git, gitOk, GitError, type GitRunOptions } from './git';

/** Temp folders of this module start with this name (stale entries of a killed run are recognized by it). */
export const WORKTREE_PREFIX = 'reconcile-compare-';

const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];

/** The worktree entries git knows (paths), from `git worktree list --porcelain`. */
export async function listWorktrees(top: string, opts: GitRunOptions = {}): Promise<Array<{ path: string; prunable: boolean }>> {
  const out = await gitOk(top, ['worktree', 'list', '--porcelain'], opts);
  const list: Array<{ path: string; prunable: boolean }> = [];
  for (const block of out.split('\n\n')) {
    const p = /^worktree (.+)$/m.exec(block)?.[1];
    if (p) list.push({ path: p, prunable: /^prunable/m.test(block) });
  }
  return list;
}

/**
 * Checks out each commit into its own temp folder, runs `fn` with the folders (same order), and
 * removes the worktrees and the temp folder whatever happens. Cancellation (the signal) stops the
 * checkouts; clean-up itself is never cancelled.
 */
export async function withWorktrees<T>(top: string, commits: Array<{ label: string; sha: string }>, fn: (dirs: string[]) => Promise<T>, opts: GitRunOptions = {}): Promise<T> {
  await pruneStale(top, opts);
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), WORKTREE_PREFIX));
  const created: string[] = [];
  try {
    const dirs: string[] = [];
    for (const c of commits) {
      const dir = path.join(tmp, c.label.replace(/[^\w.-]/g, '_'));
      const r = await git(top, [...NO_HOOKS, 'worktree', 'add', '--detach', '--quiet', dir, c.sha], { ...opts, env: { ...(opts.env ?? process.env), GIT_LFS_SKIP_SMUDGE: '1' } }).catch((e: unknown) => {
        // A cancelled `worktree add` may have registered the worktree already: clean it up too.
        created.push(dir);
        throw e;
      });
      created.push(dir);
      if (r.code !== 0) throw new GitError('git-failed', `could not check out ${c.label} (${c.sha.slice(0, 12)}) into a temporary worktree: ${r.stderr.trim().split('\n').pop()}`, r.stderr);
      dirs.push(dir);
    }
    return await fn(dirs);
  } finally {
    await removeWorktrees(top, tmp, created, opts.git);
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function removeWorktrees(top: string, tmp: string, dirs: string[], gitPath?: string): Promise<void> {
  if (dirs.length === 0) return;
  for (const dir of dirs) await git(top, ['worktree', 'remove', '--force', '--force', dir], { git: gitPath }).catch(() => undefined);
  // An entry whose removal failed (half-created by a cancelled `worktree add`, or its folder gone):
  // drop its folder and its entry. Git prints real paths: compare with both spellings of tmp.
  const roots = [tmp, await fs.realpath(tmp).catch(() => tmp)].map((r) => r + path.sep);
  await dropEntries(top, (worktree) => roots.some((r) => path.resolve(worktree).startsWith(r)), gitPath);
}

/**
 * Removes the worktree entries (`<git dir>/worktrees/<id>`, what `git worktree prune` deletes) whose
 * folder `mine` recognizes, and those folders — and nothing else: the user's own worktrees, even
 * stale ones, are not touched (a plain `git worktree prune` would drop those too).
 */
async function dropEntries(top: string, mine: (worktree: string) => boolean, gitPath?: string): Promise<void> {
  const common = path.resolve(top, (await gitOk(top, ['rev-parse', '--git-common-dir'], { git: gitPath }).catch(() => '.git')).trim());
  const admin = path.join(common, 'worktrees');
  const ids = await fs.readdir(admin).catch(() => [] as string[]);
  for (const id of ids) {
    const gitdir = await fs.readFile(path.join(admin, id, 'gitdir'), 'utf8').catch(() => undefined);
    if (gitdir === undefined) continue; // not an entry we can tell: left alone
    const worktree = path.dirname(gitdir.trim());
    if (!mine(worktree)) continue;
    await fs.rm(worktree, { recursive: true, force: true }).catch(() => undefined);
    await fs.rm(path.join(admin, id), { recursive: true, force: true }).catch(() => undefined);
  }
  if ((await fs.readdir(admin).catch(() => ['?'])).length === 0) await fs.rmdir(admin).catch(() => undefined);
}

/** Entries left by a run that was killed (their temp folder is gone): dropped, ours only. */
async function pruneStale(top: string, opts: GitRunOptions): Promise<void> {
  const tmp = [os.tmpdir(), await fs.realpath(os.tmpdir()).catch(() => os.tmpdir())];
  const ours = (worktree: string) => tmp.some((t) => path.dirname(path.dirname(path.resolve(worktree))) === t) && path.basename(path.dirname(worktree)).startsWith(WORKTREE_PREFIX);
  const list = await listWorktrees(top, { git: opts.git }).catch(() => []);
  if (list.some((w) => w.prunable && ours(w.path))) await dropEntries(top, (w) => ours(w) && !existsSync(w), opts.git);
}
