// computeMetrics(): deployment frequency, lead time, change failure rate and time to restore per ISO
// week — overall and per environment — from the default branch's first-parent history, plus the drift
// incidents the extension recorded. Definitions:
// - a change: a commit of the first-parent history (a merge, or a direct commit) whose diff against its
//   first parent touches an environment's inputs (any commit when no environment is given);
// - deployment frequency: changes merged per week;
// - lead time: the merge's committer date − the author date of the first commit it brought in (the
//   commits reachable from its other parents and not from the branch before); a direct commit: 0;
// - change failure: a change followed within `failureWindowDays` by a change that reverts it
//   (`This reverts commit <sha>` naming it or one of its commits, in the revert or in a commit it
//   merges) or by a fix — its subject (or a merge's pull-request title) matches /\bfix/i — touching a
//   file it touched; a fix is blamed on the latest earlier change that touched each of its files, and
//   counts in the environments those files feed;
// - time to restore: the failed change → the first change that reverted or fixed it (bucketed, like the
//   failure, in the week of the failed change).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { defaultBranch, git, GitError, gitOk, repoInfo, resolveCommit, type GitRunOptions } from '../compare/git';
import { readHistory, type GraphNode, type MainlineCommit } from './history';
import { InputMatcher } from './inputs';
import { DAY_MS, isoDate, parseTime, PeriodError, toTime, weeksBetween } from './time';
import type { ChangeFailure, ChangeRecord, DriftIncident, EnvironmentMetrics, MetricsProgress, MetricsReport, MetricsSummary, Stat, WeekMetrics } from './types';

export interface MetricsOptions {
  /** Start of the period: `90d`, `12w`, `6m`, `1y`, a date, ms or a Date. Default `90d`. */
  since?: string | number | Date;
  /** End of the period. Default now. */
  until?: string | number | Date;
  /** Environment name → its inputs (paths and globs relative to the measured folder); see environmentInputs(). */
  environments?: Record<string, readonly string[]>;
  /** The branch to measure. Default: origin/HEAD → main → master (else the current branch, with a note). */
  defaultBranch?: string;
  /** A revert or fix within this many days of a change makes it a failure. Default 7. */
  failureWindowDays?: number;
  /** How far before `since` branch commits are read to find a change's first commit. Default 90. */
  leadTimeLookbackDays?: number;
  /** Drift incidents the extension recorded. */
  incidents?: readonly DriftIncident[];
  signal?: AbortSignal;
  onProgress?: (p: MetricsProgress) => void;
  /** "Now" (tests). Default Date.now(). */
  now?: number;
  git?: string;
  env?: NodeJS.ProcessEnv;
}

export const ALL = 'all';
const FIX = /\bfix/i;
const HOUR = 3_600_000;

interface Change {
  c: MainlineCommit;
  index: number;
  time: number;
  firstAt?: number;
  envs: string[];
  /** The changes it reverts (only set on reverts). */
  reverts?: Change[];
  /** `This reverts commit …` references of the change and the commits it merged (only set on reverts). */
  revertRefs?: string[];
  fix: boolean;
  failure?: { by: Change; kind: 'revert' | 'fix'; envs: Set<string> };
}

function stat(values: number[]): Stat | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { median: round(median), mean: round(mean), count: s.length };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Computes the metrics of the folder `root` (in a git work tree). */
export async function computeMetrics(root: string, options: MetricsOptions = {}): Promise<MetricsReport> {
  const started = Date.now();
  const now = options.now ?? Date.now();
  const since = parseTime(options.since ?? '90d', now, 'since');
  const until = options.until !== undefined ? parseTime(options.until, now, 'until') : now;
  if (since >= until) throw new PeriodError(`the period is empty: since ${new Date(since).toISOString()} is not before until ${new Date(until).toISOString()}`);
  const windowDays = options.failureWindowDays ?? 7;
  if (!(windowDays >= 0)) throw new PeriodError(`the failure window must be 0 days or more (got ${windowDays})`);
  const lookbackDays = options.leadTimeLookbackDays ?? 90;
  const gopts: GitRunOptions = { signal: options.signal, git: options.git, env: options.env };
  const notes: string[] = [];
  options.onProgress?.({ phase: 'resolve', commits: 0 });

  const info = await repoInfo(path.resolve(root), gopts);
  if (!info.head) throw new GitError('no-commits', `${info.top} has no commits yet: there is no history to measure`);
  let branch: { ref: string; sha: string };
  if (options.defaultBranch) branch = { ref: options.defaultBranch, sha: await resolveCommit(info.top, options.defaultBranch, 'branch', gopts) };
  else {
    try {
      branch = await defaultBranch(info.top, gopts);
    } catch (e) {
      if (!(e instanceof GitError && e.code === 'no-default-branch')) throw e;
      if (!info.branch) throw new GitError('no-default-branch', `HEAD is detached and ${info.top} has no default branch (origin/HEAD, main or master): name the branch to measure (--branch)`);
      branch = { ref: info.branch, sha: info.head };
      notes.push(`no default branch (origin/HEAD, main or master): measured the current branch ${info.branch}`);
    }
  }

  const matcher = new InputMatcher(options.environments ?? {});
  // One array per combination of environments, shared by every change that has it.
  const combos = new Map<string, string[]>();
  const shared = (envs: string[]): string[] => {
    const key = envs.join('\0');
    let v = combos.get(key);
    if (!v) combos.set(key, (v = envs));
    return v;
  };
  const names = matcher.names;
  const keepFile = names.length ? (rel: string) => matcher.environmentsOf(rel).length > 0 : () => true;
  const history = await readHistory(info.top, branch.sha, {
    ...gopts,
    since: since - lookbackDays * DAY_MS,
    prefix: info.prefix,
    keepFile,
    onProgress: options.onProgress,
  });
  options.onProgress?.({ phase: 'compute', commits: history.commitsRead });

  // Shallow clones: how far back can we see?
  let shallowSince: number | undefined;
  if (info.shallow) {
    shallowSince = await shallowBoundary(info.top, gopts);
    if (shallowSince !== undefined) {
      notes.push(
        `shallow clone: history is visible back to ${isoDate(shallowSince)} only${shallowSince > since ? `; the period starts ${isoDate(since)}, so the weeks before are incomplete (git fetch --shallow-since=${isoDate(since - lookbackDays * DAY_MS)} or --unshallow)` : ''}`,
      );
    }
  }
  const historyComplete = !(shallowSince !== undefined && shallowSince > since);

  // Changes, oldest first; side-branch commits claimed by the merge that brought them in.
  const mainline = history.mainline.slice().reverse();
  const claimed = new Set(mainline.map((m) => m.sha));
  const owner = new Map<string, Change>();
  const bySha = new Map<string, Change>();
  const changes: Change[] = [];
  let cutBranches = 0;
  for (const c of mainline) {
    if (options.signal?.aborted) throw new GitError('aborted', 'cancelled');
    const revertRefs = c.revertRefs ? [...c.revertRefs] : [];
    let firstAt: number | undefined = c.parents.length > 1 ? undefined : c.authorTime * 1000;
    const branchShas: string[] = [];
    if (c.parents.length > 1) {
      let cut = false;
      const stack = c.parents.slice(1);
      const missing = stack.some((p) => !history.graph.has(p));
      while (stack.length) {
        const sha = stack.pop()!;
        if (claimed.has(sha)) continue;
        const node: GraphNode | undefined = history.graph.get(sha);
        if (!node) {
          cut = true;
          continue;
        }
        claimed.add(sha);
        branchShas.push(sha);
        firstAt = Math.min(firstAt ?? Infinity, node.authorTime * 1000);
        if (node.revertRefs) revertRefs.push(...node.revertRefs);
        for (const p of node.parents) if (!claimed.has(p)) stack.push(p);
      }
      if (firstAt === undefined && !missing) firstAt = Math.min(...c.parents.slice(1).map((p) => (history.graph.get(p)?.authorTime ?? Infinity) * 1000));
      if (missing) firstAt = undefined;
      if (cut && firstAt !== undefined && c.commitTime * 1000 >= since) cutBranches++;
    }
    const change: Change = {
      c,
      index: changes.length,
      time: c.commitTime * 1000,
      ...(firstAt !== undefined && Number.isFinite(firstAt) ? { firstAt: Math.min(firstAt, c.commitTime * 1000) } : {}),
      envs: shared(matcher.environmentsOfAll(c.files)),
      ...(revertRefs.length ? { revertRefs } : {}),
      fix: false,
    };
    if (names.length && change.envs.length === 0) continue;
    change.fix = !revertRefs.length && (FIX.test(c.subject) || (!!c.title && FIX.test(c.title)));
    changes.push(change);
    bySha.set(c.sha, change);
    for (const s of branchShas) owner.set(s, change);
  }
  // The commit graph is not needed any more: let it go before the rest is built (long histories).
  history.graph.clear();
  claimed.clear();
  if (cutBranches) notes.push(`${cutBranches} change(s) brought in branches that start more than ${lookbackDays} days before the period: their lead time counts from the oldest commit read`);

  // Failures: reverts (by sha), then fixes (the latest earlier change touching each file).
  const windowMs = windowDays * DAY_MS;
  const fail = (target: Change, by: Change, kind: 'revert' | 'fix', envs: Iterable<string>) => {
    if (by.time - target.time > windowMs || by.index <= target.index) return;
    if (target.failure && target.failure.by.time <= by.time) {
      if (target.failure.by === by) for (const e of envs) target.failure.envs.add(e);
      return;
    }
    target.failure = { by, kind, envs: new Set(envs) };
  };
  const lookup = (ref: string): Change | undefined => {
    if (ref.length === 40) return bySha.get(ref) ?? owner.get(ref);
    for (const [sha, ch] of bySha) if (sha.startsWith(ref)) return ch;
    for (const [sha, ch] of owner) if (sha.startsWith(ref)) return ch;
    return undefined;
  };
  const lastTouch = new Map<string, Change>();
  for (const ch of changes) {
    for (const ref of ch.revertRefs ?? []) {
      const target = lookup(ref);
      if (target && target !== ch) {
        (ch.reverts ??= []).push(target);
        fail(target, ch, 'revert', target.envs);
      }
    }
    if (ch.fix) {
      for (const f of ch.c.files) {
        const prev = lastTouch.get(f);
        if (prev) fail(prev, ch, 'fix', matcher.names.length ? matcher.environmentsOf(f) : []);
      }
    }
    for (const f of ch.c.files) lastTouch.set(f, ch);
  }

  // The period: changes merged in [since, until].
  const inPeriod = changes.filter((ch) => ch.time >= since && ch.time <= until);
  if (until + windowMs > now) notes.push(`changes of the last ${windowDays} days may still be reverted or fixed: their failure status is not final`);
  const incidents = (options.incidents ?? []).map((i) => ({ ...i, at: toTime(i.detectedAt) })).filter((i) => Number.isFinite(i.at) && i.at >= since && i.at <= until);

  const weeks = weeksBetween(since, until);
  const series = (name: string, filter: (ch: Change) => boolean, failed: (ch: Change) => boolean, incidentFilter: (i: DriftIncident) => boolean): EnvironmentMetrics => {
    const mine = inPeriod.filter(filter);
    const myIncidents = incidents.filter(incidentFilter);
    const weekOf = (t: number) => {
      let lo = 0;
      let hi = weeks.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (weeks[mid].start <= t) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    const buckets = weeks.map(() => ({ changes: [] as Change[], incidents: 0 }));
    for (const ch of mine) buckets[weekOf(ch.time)].changes.push(ch);
    for (const i of myIncidents) buckets[weekOf(i.at)].incidents++;
    const leadOf = (chs: Change[]) => chs.filter((ch) => ch.firstAt !== undefined).map((ch) => (ch.time - ch.firstAt!) / HOUR);
    const restoreOf = (chs: Change[]) => chs.filter(failed).map((ch) => (ch.failure!.by.time - ch.time) / HOUR);
    const weekRows: WeekMetrics[] = weeks.map((w, i) => {
      const b = buckets[i];
      const failures = b.changes.filter(failed).length;
      return {
        week: w.key,
        start: isoDate(w.start),
        deployments: b.changes.length,
        leadTimeHours: stat(leadOf(b.changes)),
        failures,
        changeFailureRate: b.changes.length ? round(failures / b.changes.length) : null,
        restoreHours: stat(restoreOf(b.changes)),
        driftIncidents: b.incidents,
      };
    });
    const failures = mine.filter(failed).length;
    const summary: MetricsSummary = {
      deployments: mine.length,
      deploymentsPerWeek: round(mine.length / ((until - since) / (7 * DAY_MS))),
      leadTimeHours: stat(leadOf(mine)),
      failures,
      changeFailureRate: mine.length ? round(failures / mine.length) : null,
      restoreHours: stat(restoreOf(mine)),
      driftIncidents: myIncidents.length,
    };
    return { name, weeks: weekRows, summary };
  };
  const overall = series(ALL, () => true, (ch) => !!ch.failure, () => true);
  const perEnvironment = names.map((n) =>
    series(
      n,
      (ch) => ch.envs.includes(n),
      (ch) => !!ch.failure && (ch.failure.kind === 'revert' || ch.failure.envs.has(n)),
      (i) => i.environment === n,
    ),
  );
  for (const i of options.incidents ?? []) if (names.length && !names.includes(i.environment)) {
    notes.push(`drift incidents of environment '${i.environment}' are counted overall only: it is not one of the measured environments`);
    break;
  }

  const records: ChangeRecord[] = inPeriod.map((ch) => record(ch, names.length > 0));
  return {
    repoRoot: info.top,
    path: info.prefix,
    branch: branch.ref,
    tip: branch.sha,
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    failureWindowDays: windowDays,
    shallow: info.shallow,
    ...(shallowSince !== undefined ? { shallowSince: new Date(shallowSince).toISOString() } : {}),
    historyComplete,
    commitsRead: history.commitsRead,
    environments: names,
    overall,
    perEnvironment,
    changes: records,
    notes,
    elapsedMs: Date.now() - started,
  };
}

function record(ch: Change, withEnvs: boolean): ChangeRecord {
  const r: ChangeRecord = {
    sha: ch.c.sha,
    kind: ch.c.parents.length > 1 ? 'merge' : 'direct',
    subject: ch.c.parents.length > 1 && ch.c.title ? ch.c.title : ch.c.subject,
    mergedAt: new Date(ch.time).toISOString(),
    environments: ch.envs,
    files: ch.c.files.length,
  };
  if (ch.firstAt !== undefined) {
    r.firstCommitAt = new Date(ch.firstAt).toISOString();
    r.leadTimeHours = round((ch.time - ch.firstAt) / HOUR);
  }
  if (ch.reverts?.length) r.reverts = ch.reverts.map((x) => x.c.sha);
  if (ch.fix) r.fix = true;
  if (ch.failure) {
    const f: ChangeFailure = {
      by: ch.failure.by.c.sha,
      kind: ch.failure.kind,
      restoredAt: new Date(ch.failure.by.time).toISOString(),
      restoreHours: round((ch.failure.by.time - ch.time) / HOUR),
      environments: ch.failure.kind === 'revert' || !withEnvs ? ch.envs : ch.envs.filter((e) => ch.failure!.envs.has(e)),
    };
    r.failure = f;
  }
  return r;
}

/** The newest date among the shallow boundary commits: history is complete after it. */
async function shallowBoundary(top: string, opts: GitRunOptions): Promise<number | undefined> {
  const file = (await gitOk(top, ['rev-parse', '--git-path', 'shallow'], opts)).trim();
  const text = await fs.readFile(path.resolve(top, file), 'utf8').catch(() => '');
  const shas = text.split('\n').map((s) => s.trim()).filter((s) => /^[0-9a-f]{40}$/.test(s));
  if (!shas.length) return undefined;
  const r = await git(top, ['log', '--no-walk', '--format=%ct', ...shas], opts);
  const times = r.stdout.split('\n').map(Number).filter((n) => n > 0);
  return times.length ? Math.max(...times) * 1000 : undefined;
}
