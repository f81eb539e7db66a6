// Plain `git` for the branch comparison and the metrics: one-shot commands (rev-parse, diff, worktree)
// and a streaming runner for `git log` over long histories. Plain child_process rather than
// simple-git: simple-git buffers a command's whole output before parsing it, and a 100,000-commit
// `git log` must be parsed as it arrives (metrics), and killed at once when the caller cancels.
//
// Every command runs with an environment that cannot change the user's repository by accident:
// GIT_OPTIONAL_LOCKS=0 (no index refresh written by `git status`/`git diff`), no terminal prompts, no
// inherited GIT_DIR/GIT_WORK_TREE (a hook's environment), C locale for parseable messages.
import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { whenAborted } from '../util/abort';

export type GitErrorCode =
  | 'git-not-found' // no git executable
  | 'not-a-repo' // the folder is not inside a git work tree
  | 'bad-revision' // a revision that does not resolve to a commit
  | 'no-default-branch' // neither origin/HEAD, main nor master
  | 'no-commits' // an empty repository (HEAD is unborn)
  | 'no-merge-base' // two revisions without a common ancestor (or one cut off by a shallow clone)
  | 'aborted'
  | 'git-failed';

/** A git problem, with a one-line message for people. */
export class GitError extends Error {
  constructor(
    readonly code: GitErrorCode,
    message: string,
    readonly stderr?: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

const STRIPPED = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_NAMESPACE'];

/** The environment git runs with (see the header). */
export function gitEnv(base: NodeJS.ProcessEnv = process.env, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const k of STRIPPED) delete env[k];
  // Tools may be given an environment without PATH (tests): git is still looked up on ours.
  if (!env.PATH) env.PATH = process.env.PATH;
  return { ...env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', LANGUAGE: 'C', ...extra };
}

export interface GitRunOptions {
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** The git executable. Default `git` on PATH. */
  git?: string;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

function abortedError(): GitError {
  return new GitError('aborted', 'cancelled');
}

/** Runs git and returns its output whatever the exit code (spawn failures and cancellation throw). */
export function git(cwd: string, args: string[], opts: GitRunOptions = {}): Promise<GitResult> {
  if (opts.signal?.aborted) return Promise.reject(abortedError());
  return new Promise((resolve, reject) => {
    execFile(
      opts.git ?? 'git',
      args,
      { cwd, env: gitEnv(opts.env), maxBuffer: 256 * 1024 * 1024, signal: opts.signal, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: string | number };
          if (e.name === 'AbortError' || opts.signal?.aborted) return reject(abortedError());
          if (e.code === 'ENOENT') {
            // Either git is missing or the folder is.
            return reject(new GitError('git-not-found', `could not run git in ${cwd}: ${e.message}`));
          }
          if (typeof e.code !== 'number') return reject(new GitError('git-failed', `git ${args[0]} failed: ${e.message}`, String(stderr)));
          return resolve({ stdout: String(stdout), stderr: String(stderr), code: e.code });
        }
        resolve({ stdout: String(stdout), stderr: String(stderr), code: 0 });
      },
    );
  });
}

/** Runs git and returns stdout; a non-zero exit is a GitError with git's first error line. */
export async function gitOk(cwd: string, args: string[], opts: GitRunOptions = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (r.code !== 0) throw new GitError('git-failed', `git ${args.filter((a) => !a.startsWith('-c') && !a.includes('=')).slice(0, 2).join(' ')} failed: ${firstLine(r.stderr) ?? `exit code ${r.code}`}`, r.stderr);
  return r.stdout;
}

export function firstLine(text: string): string | undefined {
  const l = text
    .split('\n')
    .map((x) => x.trim())
    .find((x) => x && !/^hint:/.test(x));
  return l?.replace(/^(fatal|error):\s*/, '');
}

/**
 * Streams git's stdout to `onData` as it arrives (backpressure: the stream is paused while a returned
 * promise is pending). Resolves when git exits 0; rejects with GitError otherwise, or when cancelled
 * (git is killed at once).
 */
export function gitStream(cwd: string, args: string[], onData: (chunk: string) => void | Promise<void>, opts: GitRunOptions = {}): Promise<void> {
  if (opts.signal?.aborted) return Promise.reject(abortedError());
  return new Promise((resolve, reject) => {
    const child = spawn(opts.git ?? 'git', args, { cwd, env: gitEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let failed: Error | undefined;
    let done = false;
    const stopWaiting = whenAborted(opts.signal, () => {
      failed = abortedError();
      child.kill('SIGKILL');
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.stdout.on('data', (d: string) => {
      if (failed) return;
      try {
        const r = onData(d);
        if (r && typeof (r as Promise<void>).then === 'function') {
          child.stdout.pause();
          (r as Promise<void>).then(
            () => child.stdout.resume(),
            (e: unknown) => {
              failed = e instanceof Error ? e : new Error(String(e));
              child.kill('SIGKILL');
            },
          );
        }
      } catch (e) {
        failed = e instanceof Error ? e : new Error(String(e));
        child.kill('SIGKILL');
      }
    });
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      stopWaiting();
      if (err) reject(err);
      else resolve();
    };
    child.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ENOENT' ? new GitError('git-not-found', `could not run git in ${cwd}: ${e.message}`) : e));
    child.on('close', (code) => {
      if (failed) return finish(failed);
      if (code !== 0) return finish(new GitError('git-failed', `git ${args[0]} failed: ${firstLine(stderr) ?? `exit code ${code}`}`, stderr));
      finish();
    });
  });
}

export interface RepoInfo {
  /** The work tree's top folder (absolute, real path). */
  top: string;
  /** The folder asked about, relative to `top` ('' at the top, '/'-separated, no trailing slash). */
  prefix: string;
  /** Whether the repository is a shallow clone. */
  shallow: boolean;
  /** HEAD's commit; undefined in a repository without commits. */
  head?: string;
  /** The branch HEAD is on; undefined when HEAD is detached. */
  branch?: string;
}

/** Where the work tree of `dir` is, or GitError `not-a-repo`. */
export async function repoInfo(dir: string, opts: GitRunOptions = {}): Promise<RepoInfo> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new GitError('not-a-repo', `${dir} is not a folder`);
  const r = await git(dir, ['rev-parse', '--show-toplevel', '--show-prefix', '--is-shallow-repository'], opts).catch((e: unknown) => {
    if (e instanceof GitError && e.code === 'git-not-found') {
      throw new GitError('not-a-repo', `${dir} is not a git repository (or git cannot run there): ${e.message}`);
    }
    throw e;
  });
  if (r.code !== 0) {
    if (/not a git repository/i.test(r.stderr)) throw new GitError('not-a-repo', `${dir} is not in a git repository: compare and metrics need git history`, r.stderr);
    if (/must be run in a work tree|bare repository/i.test(r.stderr)) throw new GitError('not-a-repo', `${dir} is not in a git work tree (a bare repository?)`, r.stderr);
    throw new GitError('git-failed', `git rev-parse failed in ${dir}: ${firstLine(r.stderr) ?? `exit code ${r.code}`}`, r.stderr);
  }
  const [top, prefix, shallow] = r.stdout.split('\n');
  const head = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], opts);
  const branch = await git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD'], opts);
  return {
    top,
    prefix: (prefix ?? '').replace(/\/+$/, ''),
    shallow: shallow?.trim() === 'true',
    ...(head.code === 0 ? { head: head.stdout.trim() } : {}),
    ...(branch.code === 0 && branch.stdout.trim() ? { branch: branch.stdout.trim() } : {}),
  };
}

/** The commit a revision names, or GitError `bad-revision` saying which one. */
export async function resolveCommit(top: string, rev: string, what: string, opts: GitRunOptions = {}): Promise<string> {
  if (!rev || rev.startsWith('-')) throw new GitError('bad-revision', `${what} revision '${rev}' is not a revision`);
  const r = await git(top, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], opts);
  if (r.code !== 0 || !r.stdout.trim()) {
    throw new GitError('bad-revision', `${what} revision '${rev}' does not exist in ${top} (not a branch, tag or commit here${(await isShallow(top, opts)) ? '; this is a shallow clone, it may be cut off' : ''})`);
  }
  return r.stdout.trim();
}

async function isShallow(top: string, opts: GitRunOptions): Promise<boolean> {
  const r = await git(top, ['rev-parse', '--is-shallow-repository'], opts).catch(() => undefined);
  return r?.stdout.trim() === 'true';
}

/**
 * The default branch: origin/HEAD, else a local `main`, `master`, else `origin/main`, `origin/master`.
 * GitError `no-default-branch` when none exists.
 */
export async function defaultBranch(top: string, opts: GitRunOptions = {}): Promise<{ ref: string; sha: string }> {
  const originHead = await git(top, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], opts);
  const candidates = [...(originHead.code === 0 && originHead.stdout.trim() ? [originHead.stdout.trim()] : []), 'refs/heads/main', 'refs/heads/master', 'refs/remotes/origin/main', 'refs/remotes/origin/master'];
  for (const ref of candidates) {
    const r = await git(top, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], opts); // origin/HEAD is repository data
    if (r.code === 0 && r.stdout.trim()) return { ref: ref.replace(/^refs\/(heads|remotes)\//, ''), sha: r.stdout.trim() };
  }
  throw new GitError('no-default-branch', `no default branch in ${top}: neither origin/HEAD, main nor master exists; name the branch to compare with (--base <rev>)`);
}

/** The merge-base of two commits, or GitError `no-merge-base`. */
export async function mergeBase(top: string, a: string, b: string, labels: [string, string], opts: GitRunOptions = {}): Promise<string> {
  const r = await git(top, ['merge-base', a, b], opts);
  if (r.code === 0 && r.stdout.trim()) return r.stdout.trim();
  const shallow = await isShallow(top, opts);
  throw new GitError(
    'no-merge-base',
    `${labels[0]} and ${labels[1]} have no common ancestor${shallow ? ': this is a shallow clone, fetch more history (git fetch --deepen=<n> or --unshallow)' : ''}; pass --base <rev>`,
    r.stderr,
  );
}

/** Files (relative to the top, '/'-separated) that differ between two commits, or a commit and the work tree. */
export async function changedFiles(top: string, base: string, head: string | 'WORKTREE', opts: GitRunOptions = {}): Promise<Set<string>> {
  const args = ['-c', 'core.quotepath=off', 'diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', base];
  if (head !== 'WORKTREE') args.push(head);
  const out = new Set(splitZ(await gitOk(top, [...args, '--'], opts)));
  if (head === 'WORKTREE') for (const f of splitZ(await gitOk(top, ['ls-files', '-z', '--others', '--exclude-standard'], opts))) out.add(f);
  return out;
}

export function splitZ(s: string): string[] {
  return s.split('\0').filter(Boolean);
}
