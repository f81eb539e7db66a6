// The history the metrics need, read in ONE streaming `git log` and parsed as it arrives (a 100,000-commit
// history never sits in memory as text): every commit of the branch since a date, in topological order
// (children before parents), with its parents, dates, revert references, and — for commits of the
// first-parent chain only — its subject and the files it changed against its first parent
// (`--diff-merges=first-parent`). Kept per commit: a few numbers and strings, never the message or the
// file lists of side-branch commits.
import { gitStream, type GitRunOptions } from '../compare/git';
import type { MetricsProgress } from './types';

export interface GraphNode {
  parents: string[];
  /** Author date, seconds. */
  authorTime: number;
  /** Shas (possibly abbreviated) named by `This reverts commit <sha>` in its message. */
  revertRefs?: string[];
}

export interface MainlineCommit extends GraphNode {
  sha: string;
  /** Committer date, seconds: when it landed on the branch. */
  commitTime: number;
  subject: string;
  /** A merge's pull-request title (the first line of the message body), when there is one. */
  title?: string;
  /** Changed files (relative to the measured folder) that `keepFile` kept. */
  files: string[];
}

export interface History {
  /** The first-parent chain, newest first. */
  mainline: MainlineCommit[];
  /** Every commit read (mainline included), by sha. */
  graph: Map<string, GraphNode>;
  commitsRead: number;
  /** True when the walk reached a commit without parents (the start of history, or a shallow boundary). */
  reachedRoot: boolean;
}

export interface ReadHistoryOptions extends GitRunOptions {
  /** Commits older than this (committer date, ms) are not read. */
  since: number;
  /** The measured folder relative to the work tree's top ('' for the top). */
  prefix: string;
  /** Which changed files to keep (path relative to the measured folder). */
  keepFile: (rel: string) => boolean;
  /** At most this many files kept per commit. Default 2,000. */
  maxFilesPerCommit?: number;
  onProgress?: (p: MetricsProgress) => void;
}

const RS = '\x1e';
const US = '\x1f';
const REVERT = /This reverts commit ([0-9a-f]{7,40})/g;
const PROGRESS_EVERY = 1000;

/**
 * A copy of a string that shares no memory with the chunk it was cut from: V8 keeps a slice's parent
 * string alive, so a sha cut from a 64 KB chunk would keep the whole chunk (and a long history all of
 * its output) in memory.
 */
export function own(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Reads the history of `tip` back to `since` (see the header). */
export async function readHistory(top: string, tip: string, opts: ReadHistoryOptions): Promise<History> {
  const mainline: MainlineCommit[] = [];
  const graph = new Map<string, GraphNode>();
  let next: string | undefined = tip;
  let buf = '';
  let count = 0;
  let reachedRoot = false;
  const maxFiles = opts.maxFilesPerCommit ?? 2000;
  const prefix = opts.prefix ? `${opts.prefix}/` : '';

  // One copy of each sha and file path: a sha is read first as a parent, then as a commit; a path
  // repeats in many commits.
  const names = new Map<string, string>();
  const intern = (slice: string): string => {
    let s = names.get(slice);
    if (s === undefined) {
      s = own(slice);
      names.set(s, s);
    }
    return s;
  };
  const paths = new Map<string, string>();
  const internPath = (slice: string): string => {
    let s = paths.get(slice);
    if (s === undefined) {
      s = own(slice);
      paths.set(s, s);
    }
    return s;
  };

  const record = (rec: string) => {
    // <sha> US <parents> US <author time> US <committer time> US <message> US <NUL-separated files>
    const f1 = rec.indexOf(US);
    const f2 = rec.indexOf(US, f1 + 1);
    const f3 = rec.indexOf(US, f2 + 1);
    const f4 = rec.indexOf(US, f3 + 1);
    const f5 = rec.indexOf(US, f4 + 1);
    if (f5 < 0) return;
    const sha = intern(rec.slice(0, f1));
    names.delete(sha); // a commit is read once: nothing names it again
    const parents = f2 > f1 + 1 ? rec.slice(f1 + 1, f2).split(' ').map(intern) : [];
    const authorTime = Number(rec.slice(f2 + 1, f3));
    const commitTime = Number(rec.slice(f3 + 1, f4));
    const message = rec.slice(f4 + 1, f5);
    count++;
    let revertRefs: string[] | undefined;
    if (message.includes('This reverts commit')) revertRefs = [...message.matchAll(REVERT)].map((m) => own(m[1]));
    if (sha === next) {
      const nl = message.indexOf('\n');
      const subject = own((nl < 0 ? message : message.slice(0, nl)).trim().slice(0, 200));
      let title: string | undefined;
      if (parents.length > 1 && nl >= 0) {
        const found = message.slice(nl + 1).split('\n').map((l) => l.trim()).find(Boolean);
        if (found) title = own(found.slice(0, 200));
      }
      const files: string[] = [];
      const list = rec.slice(f5 + 1);
      if (list.length > 2) {
        for (const raw of list.split('\0')) {
          const file = raw.startsWith('\n') ? raw.slice(1) : raw;
          if (!file || (prefix && !file.startsWith(prefix))) continue;
          const rel = prefix ? file.slice(prefix.length) : file;
          if (files.length < maxFiles && opts.keepFile(rel)) files.push(internPath(rel));
        }
      }
      const m: MainlineCommit = { parents, authorTime, revertRefs, sha, commitTime, subject, files, title };
      mainline.push(m);
      graph.set(sha, m);
      next = parents[0];
      if (!next) reachedRoot = true;
    } else graph.set(sha, { parents, authorTime, revertRefs });
    if (count % PROGRESS_EVERY === 0) opts.onProgress?.({ phase: 'history', commits: count, at: new Date(commitTime * 1000).toISOString() });
  };

  const args = [
    '-c',
    'core.quotepath=off',
    'log',
    '--topo-order',
    '--diff-merges=first-parent',
    '--name-only',
    '--no-renames',
    '-z',
    `--format=${RS}%H${US}%P${US}%at${US}%ct${US}%B${US}`,
    ...(opts.since > 0 ? [`--since=${new Date(opts.since).toISOString()}`] : []),
    tip,
    '--',
  ];
  await gitStream(
    top,
    args,
    (chunk) => {
      buf += chunk;
      let start = buf.indexOf(RS);
      if (start < 0) return;
      for (;;) {
        const end = buf.indexOf(RS, start + 1);
        if (end < 0) break;
        record(buf.slice(start + 1, end));
        start = end;
      }
      buf = buf.slice(start);
    },
    opts,
  );
  if (buf.startsWith(RS)) record(buf.slice(1));
  opts.onProgress?.({ phase: 'history', commits: count });
  return { mainline, graph, commitsRead: count, reachedRoot };
}
