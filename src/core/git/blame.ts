// "changed by <author>, <n> days ago — <subject>" for the hover and CodeLens of each resource:
// `git blame --porcelain` over the resources' lines, keeping per range the newest commit. One git
// process serves every resource of a file (lastChangesOfRanges), so an open file costs one blame.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitRepoError, gitMessageLine } from './errors';
import { checkRange, countLines, type LineRange } from './line-map';
import { blobAt, readWorking, type Person } from './history';
import { headCommit, repoPath, runGit, shallowBoundary, type CommitRef, type GitRepo } from './repo';

export interface BlameCommit extends CommitRef {
  author: Person;
  /** Author time, ms since the epoch. */
  time: number;
  /** Committer time, ms since the epoch (decides which commit is newest). */
  committedTime: number;
  /** The commit is the boundary of a shallow clone: the lines may be older than it says. */
  beyondHorizon: boolean;
}

export interface LastChange {
  range: LineRange;
  /** Lines of the range that differ from HEAD (edited, or the file is not committed). */
  uncommittedLines: number;
  /** The newest commit among the range's committed lines; undefined when none is committed. */
  commit?: BlameCommit;
}

export interface LastChangeOptions {
  /** The editor's text when it has unsaved changes; lines are counted in it. */
  contents?: string;
}

const ZERO = /^0+$/;

/** The newest change of lines startLine..endLine (1-based, inclusive) of `file`. */
export async function lastChangeOfRange(repo: GitRepo, file: string, startLine: number, endLine: number, options: LastChangeOptions = {}): Promise<LastChange> {
  return (await lastChangesOfRanges(repo, file, [{ start: startLine, end: endLine }], options))[0];
}

/** lastChangeOfRange for many ranges of one file with a single `git blame`; results follow `ranges`. */
export async function lastChangesOfRanges(repo: GitRepo, file: string, ranges: readonly LineRange[], options: LastChangeOptions = {}): Promise<LastChange[]> {
  const rel = repoPath(repo, file);
  const text = options.contents ?? (await readWorking(repo, file, rel));
  const lineCount = countLines(text);
  for (const r of ranges) checkRange(r.start, r.end, lineCount, rel);
  if (ranges.length === 0) return [];
  const notCommitted = () => ranges.map((r) => ({ range: { ...r }, uncommittedLines: r.end - r.start + 1 }));
  const lo = Math.min(...ranges.map((r) => r.start));
  const hi = Math.max(...ranges.map((r) => r.end));
  const blamed = await blame(repo, rel, lo, hi, options.contents);
  if (!blamed) return notCommitted();
  const boundary = shallowBoundary(repo);
  const perRange = ranges.map((r) => {
    let uncommittedLines = 0;
    let newest: PorcelainCommit[] = [];
    for (let line = r.start; line <= r.end; line++) {
      const hash = blamed.lineCommit.get(line);
      if (!hash || ZERO.test(hash)) {
        uncommittedLines++;
        continue;
      }
      const c = blamed.commits.get(hash)!;
      if (newest.length === 0 || c.committerTime > newest[0].committerTime) newest = [c];
      else if (c.committerTime === newest[0].committerTime && !newest.includes(c)) newest.push(c);
    }
    return { r, uncommittedLines, newest };
  });
  const tieBreak = new Map<string, PorcelainCommit>();
  for (const { newest } of perRange) {
    const key = newest.map((c) => c.hash).sort().join(' ');
    if (newest.length > 1 && !tieBreak.has(key)) tieBreak.set(key, await newestOf(repo, newest));
  }
  return perRange.map(({ r, uncommittedLines, newest }) => {
    const pick = newest.length > 1 ? tieBreak.get(newest.map((c) => c.hash).sort().join(' ')) : newest[0];
    return { range: { ...r }, uncommittedLines, commit: pick && toBlameCommit(pick, boundary) };
  });
}

/**
 * Commits with the same committer second (a rebase, a script) cannot be ordered by time: keep the
 * one that is no ancestor of the others (`git merge-base --independent`), else the latest author time.
 */
async function newestOf(repo: GitRepo, commits: PorcelainCommit[]): Promise<PorcelainCommit> {
  const tips = new Set((await runGit(repo, ['merge-base', '--independent', ...commits.map((c) => c.hash)])).stdout.split('\n').filter(Boolean));
  const candidates = commits.filter((c) => tips.has(c.hash));
  return (candidates.length ? candidates : commits).reduce((a, b) => (b.authorTime > a.authorTime ? b : a));
}

function toBlameCommit(c: PorcelainCommit, boundary: Set<string>): BlameCommit {
  return {
    hash: c.hash,
    shortHash: c.hash.slice(0, 7),
    subject: c.summary,
    date: new Date(c.authorTime * 1000).toISOString(),
    author: { name: c.author, email: c.authorMail.replace(/^<|>$/g, '') },
    time: c.authorTime * 1000,
    committedTime: c.committerTime * 1000,
    beyondHorizon: boundary.has(c.hash),
  };
}

/** Blame lines lo..hi (one git process); undefined when the file is not in HEAD (untracked, never committed, no commits). */
async function blame(repo: GitRepo, rel: string, lo: number, hi: number, contents: string | undefined): Promise<Blame | undefined> {
  const dir = contents === undefined ? undefined : await mkdtemp(join(tmpdir(), 'reconcile-blame-'));
  try {
    const args = ['blame', '--porcelain', '--root', `-L${lo},${hi}`];
    if (dir) {
      const tmp = join(dir, 'contents');
      await writeFile(tmp, contents!);
      args.push('--contents', tmp);
    }
    args.push('--', rel);
    const r = await runGit(repo, args, { ok: [0, 128] });
    if (r.code === 0) return parsePorcelain(r.stdout);
    // No commit yet, or the file is not in HEAD: every line is uncommitted.
    if (!(await headCommit(repo)) || (await blobAt(repo, 'HEAD', rel)) === undefined) return undefined;
    throw new GitRepoError('failed', `git blame failed for ${rel}: ${gitMessageLine(r.stderr)}`, [], r.stderr);
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

interface PorcelainCommit {
  hash: string;
  author: string;
  authorMail: string;
  authorTime: number;
  committerTime: number;
  summary: string;
}

interface Blame {
  /** Final (working) line number → commit hash. */
  lineCommit: Map<number, string>;
  commits: Map<string, PorcelainCommit>;
}

/** Parses `git blame --porcelain`: headers appear the first time a commit is named. */
export function parsePorcelain(out: string): Blame {
  const lineCommit = new Map<number, string>();
  const commits = new Map<string, PorcelainCommit>();
  let current: PorcelainCommit | undefined;
  let finalLine = 0;
  for (const line of out.split('\n')) {
    if (line.startsWith('\t')) {
      if (current) lineCommit.set(finalLine, current.hash);
      continue;
    }
    const head = /^([0-9a-f]{40,64}) \d+ (\d+)(?: \d+)?$/.exec(line);
    if (head) {
      finalLine = Number(head[2]);
      current = commits.get(head[1]);
      if (!current) {
        current = { hash: head[1], author: '', authorMail: '', authorTime: 0, committerTime: 0, summary: '' };
        commits.set(head[1], current);
      }
      continue;
    }
    if (!current) continue;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'author') current.author = value;
    else if (key === 'author-mail') current.authorMail = value;
    else if (key === 'author-time') current.authorTime = Number(value);
    else if (key === 'committer-time') current.committerTime = Number(value);
    else if (key === 'summary') current.summary = value;
  }
  return { lineCommit, commits };
}

const DAY = 86_400_000;

/**
 * The hover/CodeLens text: `changed by <author>, <n> days ago — <subject>` ("today", "1 day ago"),
 * or `not committed yet` when any line of the range is uncommitted. A commit at a shallow clone's
 * boundary says "or earlier".
 */
export function formatLastChange(change: LastChange, now: Date = new Date(), maxSubject = 48): string {
  const c = change.commit;
  if (change.uncommittedLines > 0 || !c) return 'not committed yet';
  const days = Math.max(0, Math.floor((now.getTime() - c.time) / DAY));
  const ago = days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`;
  // A CodeLens line is shared with other lenses (drift): a long subject would push them out of view.
  const subject = c.subject.length > maxSubject ? `${c.subject.slice(0, maxSubject - 1).trimEnd()}…` : c.subject;
  return `changed by ${c.author.name}, ${ago}${c.beyondHorizon ? ' or earlier' : ''} — ${subject}`;
}
