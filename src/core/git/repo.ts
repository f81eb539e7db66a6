// Opening a Git repository through simple-git, and the small shared plumbing of this folder:
// running git with its exit code kept, turning editor paths into repository paths, and reading the
// state of HEAD (branch, detached, no commits yet, shallow clone and how far back it can see).
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { GitRepoError, gitMessageLine } from './errors';

export interface GitVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export interface GitRepo {
  /** The work tree's top-level folder (real path, no symlinks). */
  readonly root: string;
  /** The absolute .git directory (for a linked worktree, its own git dir). */
  readonly gitDir: string;
  /** The absolute directory shared by all worktrees (objects, refs, the `shallow` file). */
  readonly commonDir: string;
  readonly git: SimpleGit;
  readonly version: GitVersion;
}

export interface OpenRepoOptions {
  /** The git executable (VS Code's `git.path`); default `git` on PATH. */
  binary?: string;
  /** Kill a git process that prints nothing for this long (ms); default 60 000. */
  timeoutMs?: number;
}

/** A commit named by the places that show it. */
export interface CommitRef {
  hash: string;
  shortHash: string;
  subject: string;
  /** Author date, ISO 8601. */
  date: string;
}

export interface ShallowHorizon {
  /** The oldest commit this clone can see (the shallow boundary reachable from HEAD). */
  oldest: CommitRef;
  /** Every shallow boundary commit reachable from HEAD. */
  boundary: string[];
  /** One line for the UI: how far back history goes and how to get more. */
  message: string;
}

export interface RepoState {
  /** HEAD's commit; undefined when the branch has no commit yet. */
  head?: string;
  /** The checked-out branch (short name); undefined when detached. */
  branch?: string;
  detached: boolean;
  /** The branch exists but has no commit yet (a fresh `git init`). */
  unborn: boolean;
  isShallow: boolean;
  /** Present for a shallow clone with commits: how far back history goes. */
  shallow?: ShallowHorizon;
  /** One line for the UI when something deserves a warning (detached HEAD, shallow clone). */
  warnings: string[];
}

/** A finished git process. */
export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** simple-git error carrying the exit code and both streams, so that callers can judge structurally. */
class GitExit extends GitError {
  constructor(
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
    readonly spawnFailed: boolean,
  ) {
    super(undefined, (stderr || stdout).trim() || `git exited with code ${code}`);
  }
}

/**
 * Opens the repository that contains `dir` (a folder or a file). Throws GitRepoError:
 * `not-found`, `git-missing`, `not-a-repository`, `no-work-tree`, `unsafe-repository`.
 */
export async function openRepo(dir: string, options: OpenRepoOptions = {}): Promise<GitRepo> {
  const start = resolve(dir);
  let folder = start;
  try {
    if (!statSync(start).isDirectory()) folder = dirname(start);
  } catch {
    throw new GitRepoError('not-found', `folder does not exist: ${start}`);
  }
  const binary = options.binary || 'git';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const git = makeGit(folder, binary, timeoutMs);
  const version = await readVersion(git, binary);
  const probe: GitRepo = { git, root: folder, gitDir: '', commonDir: '', version };
  const where = await runGit(probe, ['rev-parse', '--is-inside-work-tree', '--absolute-git-dir', '--git-common-dir'], { ok: [0, 128] });
  if (where.code !== 0) {
    if (/dubious ownership|safe\.directory/i.test(where.stderr)) {
      throw new GitRepoError('unsafe-repository', `git refuses this repository (not owned by you; see git's safe.directory): ${folder}`, [], where.stderr);
    }
    if (/not a git repository/i.test(where.stderr)) {
      throw new GitRepoError('not-a-repository', `not a git repository: ${folder}`, [], where.stderr);
    }
    throw new GitRepoError('failed', `git cannot open ${folder}: ${gitMessageLine(where.stderr)}`, [], where.stderr);
  }
  const [inside, gitDir, common] = where.stdout.trim().split('\n');
  if (inside !== 'true') {
    throw new GitRepoError('no-work-tree', `no work tree (a bare repository or a folder inside .git): ${folder}`);
  }
  const top = (await runGit(probe, ['rev-parse', '--show-toplevel'])).stdout.trim();
  const root = realpathSync(top);
  const commonDir = resolve(folder, common ?? gitDir);
  return { root, gitDir, commonDir, git: makeGit(root, binary, timeoutMs), version };
}

function makeGit(baseDir: string, binary: string, timeoutMs: number): SimpleGit {
  try {
    return simpleGit({
      baseDir,
      binary,
      maxConcurrentProcesses: 4,
      timeout: { block: timeoutMs },
      errors: (error, result) => {
        if (!result.exitCode && !(error instanceof Error)) return error;
        const stdout = Buffer.concat(result.stdOut).toString('utf8');
        const stderr = Buffer.concat(result.stdErr).toString('utf8');
        const text = `${error instanceof Error ? error.message : ''}\n${stderr}`;
        const spawnFailed = /\bspawn\b.*\b(ENOENT|EACCES)\b/.test(text);
        return new GitExit(result.exitCode || -1, stdout, spawnFailed ? text.trim() : stderr, spawnFailed);
      },
    });
  } catch (e) {
    throw new GitRepoError('git-missing', `cannot use git binary '${binary}': ${(e as Error).message}`);
  }
}

async function readVersion(git: SimpleGit, binary: string): Promise<GitVersion> {
  let text: string;
  try {
    text = (await git.raw(['--version'])).trim();
  } catch (e) {
    if (e instanceof GitExit && e.spawnFailed) {
      throw new GitRepoError(
        'git-missing',
        binary === 'git' ? 'git is not installed or not on PATH' : `git binary not found or not executable: ${binary}`,
      );
    }
    throw new GitRepoError('git-missing', `cannot run ${binary} --version: ${(e as Error).message}`);
  }
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new GitRepoError('git-missing', `${binary} does not look like git: "${text}"`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text };
}

export function versionAtLeast(repo: GitRepo, major: number, minor: number): boolean {
  return repo.version.major > major || (repo.version.major === major && repo.version.minor >= minor);
}

/**
 * Runs git in the repository root. Exit codes listed in `ok` (default [0]) return normally; any
 * other one throws GitRepoError('failed') with git's most telling line.
 */
export async function runGit(repo: GitRepo, args: string[], opts: { ok?: number[] } = {}): Promise<GitRun> {
  const ok = opts.ok ?? [0];
  try {
    const stdout = await repo.git.raw(args);
    return { code: 0, stdout, stderr: '' };
  } catch (e) {
    if (e instanceof GitExit) {
      if (e.spawnFailed) throw new GitRepoError('git-missing', `git could not be started: ${gitMessageLine(e.stderr)}`);
      if (ok.includes(e.code)) return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      throw new GitRepoError('failed', `git ${commandName(args)} failed: ${gitMessageLine(e.stderr || e.stdout)}`, [], `${e.stdout}${e.stderr}`);
    }
    throw new GitRepoError('failed', `git ${commandName(args)} failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The git subcommand of an argument list (after `-c key=value` and other global options). */
function commandName(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return args[0] ?? '';
}

/**
 * An editor path (absolute, or relative to the repository root) as the repository-relative,
 * forward-slash path git wants. Throws `outside-repository`.
 */
export function repoPath(repo: GitRepo, file: string): string {
  const abs = isAbsolute(file) ? file : resolve(repo.root, file);
  const rel = relative(repo.root, realPathOf(abs));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new GitRepoError('outside-repository', `not inside the repository ${repo.root}: ${file}`);
  }
  return rel.split(sep).join('/');
}

/** The absolute path of a repository-relative path. */
export function absolutePath(repo: GitRepo, rel: string): string {
  return join(repo.root, ...rel.split('/'));
}

/** realpath of the nearest existing ancestor, with the missing tail appended (the file may be deleted). */
function realPathOf(p: string): string {
  if (existsSync(p)) return realpathSync(p);
  const parent = dirname(p);
  if (parent === p) return p;
  return join(realPathOf(parent), basename(p));
}

/** HEAD's commit, or undefined when the branch has no commit yet. */
export async function headCommit(repo: GitRepo): Promise<string | undefined> {
  const r = await runGit(repo, ['rev-parse', '-q', '--verify', 'HEAD^{commit}'], { ok: [0, 1, 128] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The full hash of `rev` as a commit, or undefined. */
export async function resolveCommit(repo: GitRepo, rev: string): Promise<string | undefined> {
  if (!rev || rev.startsWith('-')) return undefined;
  const r = await runGit(repo, ['rev-parse', '-q', '--verify', '--end-of-options', `${rev}^{commit}`], { ok: [0, 1, 128] });
  return r.code === 0 ? r.stdout.trim() : undefined;
}

const REF_FORMAT = '%H%x00%h%x00%aI%x00%s';

function parseRef(line: string): CommitRef {
  const [hash, shortHash, date, subject] = line.split('\0');
  return { hash, shortHash, date, subject: subject ?? '' };
}

/** Summaries of the given commits, in the order git lists them. */
export async function commitRefs(repo: GitRepo, hashes: string[]): Promise<CommitRef[]> {
  if (hashes.length === 0) return [];
  const r = await runGit(repo, ['log', '--no-walk=unsorted', `--format=${REF_FORMAT}`, ...hashes]);
  return r.stdout.split('\n').filter(Boolean).map(parseRef);
}

/** Branch, detached HEAD, no commits yet, shallow clone and how far back its history goes. */
export async function repoState(repo: GitRepo): Promise<RepoState> {
  const head = await headCommit(repo);
  const sym = await runGit(repo, ['symbolic-ref', '-q', '--short', 'HEAD'], { ok: [0, 1, 128] });
  const branch = sym.code === 0 ? sym.stdout.trim() : undefined;
  const detached = branch === undefined;
  const unborn = head === undefined;
  const shallowOut = await runGit(repo, ['rev-parse', '--is-shallow-repository']);
  const isShallow = shallowOut.stdout.trim() === 'true';
  const warnings: string[] = [];
  if (detached && head) {
    warnings.push(`HEAD is detached at ${head.slice(0, 7)}: new commits (a revert) belong to no branch until you create one`);
  }
  let shallow: ShallowHorizon | undefined;
  if (isShallow && head) {
    shallow = await shallowHorizon(repo);
    if (shallow) warnings.push(shallow.message);
  }
  return { head, branch, detached, unborn, isShallow, shallow, warnings };
}

/** For a shallow clone: the boundary commits reachable from HEAD and the oldest of them. */
async function shallowHorizon(repo: GitRepo): Promise<ShallowHorizon | undefined> {
  const roots = (await runGit(repo, ['rev-list', '--max-parents=0', 'HEAD'])).stdout.split('\n').filter(Boolean);
  const refs = await commitRefs(repo, roots);
  if (refs.length === 0) return undefined;
  const oldest = refs.reduce((a, b) => (Date.parse(b.date) < Date.parse(a.date) ? b : a));
  return {
    oldest,
    boundary: roots,
    message: `shallow clone: history goes back only to ${oldest.date.slice(0, 10)} (${oldest.shortHash} ${oldest.subject}); run "git fetch --unshallow" for older commits`,
  };
}

/** The shallow boundary commits (empty for a full clone), read straight from the `shallow` file. */
export function shallowBoundary(repo: GitRepo): Set<string> {
  try {
    return new Set(readFileSync(join(repo.commonDir, 'shallow'), 'utf8').split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}

/** Refuses when git has no user.name / user.email to write a commit with. */
export async function requireIdentity(repo: GitRepo, action: string): Promise<void> {
  for (const v of ['GIT_AUTHOR_IDENT', 'GIT_COMMITTER_IDENT']) {
    const r = await runGit(repo, ['var', v], { ok: [0, 128] });
    if (r.code !== 0) {
      throw new GitRepoError('identity', `cannot ${action}: git does not know who you are — set user.name and user.email (git config user.name "Your Name")`, [], r.stderr);
    }
  }
}

/** Refuses when the branch has no commit yet; returns HEAD. */
export async function requireHead(repo: GitRepo, action: string): Promise<string> {
  const head = await headCommit(repo);
  if (!head) throw new GitRepoError('no-commits', `cannot ${action}: the repository has no commits yet`);
  return head;
}
