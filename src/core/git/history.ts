// The Git history behind environments, applications, files and single resources: the commits that
// touched any of a set of paths (for "Revert Commit…"), and the commits that changed a line range
// (`git log -L`, for "Show Resource History").
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitRepoError } from './errors';
import { checkRange, countLines, mapRangeToOld, parseHunks, type LineRange } from './line-map';
import { repoPath, repoState, runGit, versionAtLeast, type CommitRef, type GitRepo, type ShallowHorizon } from './repo';

export interface Person {
  name: string;
  email: string;
}

/** One file of a commit, as `git log --name-status` shows it (R and C carry the old path). */
export interface FileChange {
  status: string;
  path: string;
  oldPath?: string;
}

export interface CommitInfo extends CommitRef {
  parents: string[];
  author: Person;
  /** Author time, ms since the epoch. */
  time: number;
}

export interface PathCommit extends CommitInfo {
  /** Every file the commit touched (a revert undoes all of them), repository-relative. */
  files: FileChange[];
  /** The touched files that are inside the requested paths. */
  matched: string[];
}

export interface History<C> {
  /** Newest first. */
  commits: C[];
  /** True when more commits exist than `maxCount`. */
  limited: boolean;
  /** Present for a shallow clone: history stops there. */
  horizon?: ShallowHorizon;
}

export interface PathHistoryOptions {
  /** At most this many commits (default 100). */
  maxCount?: number;
  /** Only commits after this date. */
  since?: Date | string;
}

const SEP = '\x1e';
const FIELDS = '%H%x00%h%x00%P%x00%an%x00%ae%x00%aI%x00%at%x00%s';
const NFIELDS = 8;

function parseCommitFields(fields: string[]): CommitInfo {
  const [hash, shortHash, parents, name, email, date, at, subject] = fields;
  return {
    hash,
    shortHash,
    parents: parents ? parents.split(' ') : [],
    author: { name, email },
    date,
    time: Number(at) * 1000,
    subject: subject ?? '',
  };
}

function checkCount(n: number | undefined, fallback: number): number {
  const v = n ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new GitRepoError('bad-input', `maxCount must be a whole number of at least 1, got ${n}`);
  return v;
}

/**
 * Commits that touched any of `paths` (absolute or repository-relative files or folders, e.g.
 * Application.sourcePaths), newest first, each with every file it touched. An empty list on a
 * branch without commits.
 */
export async function historyOfPaths(repo: GitRepo, paths: readonly string[], options: PathHistoryOptions = {}): Promise<History<PathCommit>> {
  if (paths.length === 0) throw new GitRepoError('bad-input', 'no paths given for the history');
  const maxCount = checkCount(options.maxCount, 100);
  const rels = [...new Set(paths.map((p) => (p === repo.root ? '' : repoPath(repo, p))))];
  const state = await repoState(repo);
  if (state.unborn) return { commits: [], limited: false };
  const args = ['-c', 'core.quotePath=false', '--literal-pathspecs', 'log', `--max-count=${maxCount + 1}`, `--format=${SEP}${FIELDS}`, '-z', '--name-status', '--full-diff', '--no-ext-diff', '--no-textconv'];
  if (versionAtLeast(repo, 2, 31)) args.push('--diff-merges=first-parent');
  if (options.since !== undefined) args.push(`--since=${sinceArg(options.since)}`);
  args.push('HEAD', '--', ...rels.map((r) => r || '.'));
  const out = (await runGit(repo, args)).stdout;
  const commits: PathCommit[] = [];
  for (const record of out.split(SEP).slice(1)) {
    const tokens = record.split('\0');
    const info = parseCommitFields(tokens.slice(0, NFIELDS));
    const files = parseNameStatus(tokens.slice(NFIELDS).map((t) => t.replace(/^\n+/, '')).filter(Boolean));
    const matched = files.flatMap((f) => [f.path, f.oldPath]).filter((p): p is string => !!p && rels.some((r) => inside(p, r)));
    commits.push({ ...info, files, matched: [...new Set(matched)] });
  }
  const limited = commits.length > maxCount;
  return { commits: commits.slice(0, maxCount), limited, horizon: state.shallow };
}

function sinceArg(since: Date | string): string {
  const d = since instanceof Date ? since : new Date(since);
  if (Number.isNaN(d.getTime())) throw new GitRepoError('bad-input', `not a date: ${String(since)}`);
  return d.toISOString();
}

function inside(path: string, dir: string): boolean {
  return dir === '' || path === dir || path.startsWith(`${dir}/`);
}

function parseNameStatus(tokens: string[]): FileChange[] {
  const files: FileChange[] = [];
  for (let i = 0; i < tokens.length; ) {
    const status = tokens[i++];
    if (/^[RC]/.test(status)) {
      files.push({ status: status[0], oldPath: tokens[i], path: tokens[i + 1] });
      i += 2;
    } else {
      files.push({ status: status[0], path: tokens[i++] });
    }
  }
  return files;
}

export interface RangeCommit extends CommitInfo {
  /** The file's repository-relative path in that commit (it may have been renamed since). */
  path: string;
  /** Where the range was in that commit's version of the file. */
  range?: LineRange;
}

export type RangeHistoryState =
  | 'ok'
  | 'no-commits' // the branch has no commit yet
  | 'file-not-committed' // the file is untracked, or added but never committed
  | 'range-not-committed'; // every line of the range is new since HEAD

export interface RangeHistory extends History<RangeCommit> {
  state: RangeHistoryState;
  /** For a state other than 'ok': one line for the UI. */
  message?: string;
  /** The range in HEAD's version of the file that was followed (the editor's lines may have moved). */
  headRange?: LineRange;
}

export interface RangeHistoryOptions {
  maxCount?: number;
  /** The editor's text of the file when it has unsaved changes; lines are counted in it. */
  contents?: string;
}

/**
 * "Show Resource History": the commits that changed lines startLine..endLine (1-based, inclusive,
 * counted in the working file or `contents`) of `file`, newest first, following the lines back
 * through edits and moves (`git log -L`).
 */
export async function historyOfRange(repo: GitRepo, file: string, startLine: number, endLine: number, options: RangeHistoryOptions = {}): Promise<RangeHistory> {
  const rel = repoPath(repo, file);
  const maxCount = checkCount(options.maxCount, 50);
  const text = options.contents ?? (await readWorking(repo, file, rel));
  checkRange(startLine, endLine, countLines(text), rel);
  const state = await repoState(repo);
  if (state.unborn) return { commits: [], limited: false, state: 'no-commits', message: 'the repository has no commits yet' };
  const headText = await blobAt(repo, 'HEAD', rel);
  if (headText === undefined) {
    const tracked = (await runGit(repo, ['--literal-pathspecs', 'ls-files', '--error-unmatch', '--', rel], { ok: [0, 1] })).code === 0;
    return {
      commits: [],
      limited: false,
      state: 'file-not-committed',
      message: `${rel} has no commits yet (${tracked ? 'added but not committed' : 'untracked'})`,
    };
  }
  const headRange = mapRangeToOld(parseHunks(await diffZero(repo, headText, text)), startLine, endLine);
  if (!headRange) {
    return { commits: [], limited: false, state: 'range-not-committed', message: `lines ${startLine}-${endLine} of ${rel} are not committed yet` };
  }
  const out = (
    await runGit(repo, [
      '-c',
      'core.quotePath=false',
      'log',
      `--max-count=${maxCount + 1}`,
      `--format=${SEP}${FIELDS}%x00`,
      '--no-ext-diff',
      '--no-color',
      `-L${headRange.start},${headRange.end}:${rel}`,
      'HEAD',
    ])
  ).stdout;
  const commits: RangeCommit[] = [];
  for (const record of out.split(SEP).slice(1)) {
    const tokens = record.split('\0');
    const info = parseCommitFields(tokens.slice(0, NFIELDS));
    const patch = tokens.slice(NFIELDS).join('\0');
    commits.push({ ...info, ...whereInPatch(patch, rel) });
  }
  const limited = commits.length > maxCount;
  return { commits: commits.slice(0, maxCount), limited, horizon: state.shallow, state: 'ok', headRange };
}

/** The path and the line range of the new side of an `-L` patch. */
function whereInPatch(patch: string, fallback: string): { path: string; range?: LineRange } {
  const plus = /^\+\+\+ (?:b\/(.*)|"b\/(.*)")$/m.exec(patch);
  const path = plus ? (plus[1] ?? unquote(plus[2])) : fallback;
  let lo = Infinity;
  let hi = -Infinity;
  for (const h of parseHunks(patch)) {
    if (h.newCount === 0) continue;
    lo = Math.min(lo, h.newStart);
    hi = Math.max(hi, h.newStart + h.newCount - 1);
  }
  return lo === Infinity ? { path } : { path, range: { start: lo, end: hi } };
}

/** Undoes git's C-style quoting of a path ("\303\244" octal bytes, \" \\ \t \n). */
function unquote(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = s[++i];
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(s.slice(i, i + 3), 8));
      i += 2;
    } else {
      bytes.push(({ n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[n] ?? n.charCodeAt(0));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The working file's text; a clear error when it cannot be read. */
export async function readWorking(repo: GitRepo, file: string, rel: string): Promise<string> {
  try {
    return await readFile(join(repo.root, rel), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GitRepoError('not-found', `file does not exist: ${file}`);
    if (code === 'EISDIR') throw new GitRepoError('not-a-file', `a folder, not a file: ${file}`);
    throw new GitRepoError('failed', `cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The text of `rel` in commit `rev`, or undefined when the file is not in it. */
export async function blobAt(repo: GitRepo, rev: string, rel: string): Promise<string | undefined> {
  const r = await runGit(repo, ['cat-file', 'blob', `${rev}:${rel}`], { ok: [0, 128] });
  return r.code === 0 ? r.stdout : undefined;
}

/** A zero-context diff between two texts (git diff --no-index over two temporary files). */
export async function diffZero(repo: GitRepo, before: string, after: string): Promise<string> {
  if (before === after) return '';
  const dir = await mkdtemp(join(tmpdir(), 'reconcile-git-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeFile(a, before);
    await writeFile(b, after);
    const args = ['diff', '--no-index', '--no-color', '--no-ext-diff', '--no-textconv', '-U0', '--', a, b];
    return (await runGit(repo, args, { ok: [0, 1] })).stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
