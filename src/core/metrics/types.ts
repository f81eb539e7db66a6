// GitOps metrics (DORA's four, plus drift incidents), per ISO week, per environment and overall, computed
// from the default branch's first-parent history. See compute.ts for the definitions.

/**
 * One drift incident the extension saw: an environment found out of sync with Git. The extension
 * records them locally (e.g. one JSON line each) and hands them to computeMetrics().
 */
export interface DriftIncident {
  environment: string;
  /**
   * Where the environment is defined: the workspace folder (its path) and its repository
   * (repositoryIdentity()). Two folders may both have a `prod`; records written before these
   * fields existed have neither.
   */
  folder?: string;
  repository?: string;
  /** When the drift was first seen: ISO 8601, or ms since the epoch. */
  detectedAt: string | number;
  /** When the environment was seen in sync again, if it was. */
  resolvedAt?: string | number;
  /** resourceKey() of the resource, when the incident is about one. */
  resource?: string;
  /** What was seen. */
  kind?: 'drifted' | 'missing' | 'not-in-git';
}

export interface Stat {
  median: number;
  mean: number;
  count: number;
}

export interface WeekMetrics {
  /** ISO week, `2024-W05` (weeks start on Monday, UTC). */
  week: string;
  /** Its Monday, `2024-01-29`. */
  start: string;
  /** Changes merged that week (deployment frequency). */
  deployments: number;
  /** Lead time of the changes merged that week, hours (null without changes). */
  leadTimeHours: Stat | null;
  /** Changes merged that week that were later reverted or fixed within the window. */
  failures: number;
  /** failures / deployments, 0..1 (null without changes). */
  changeFailureRate: number | null;
  /** Time to restore of that week's failed changes, hours (null without failures). */
  restoreHours: Stat | null;
  /** Drift incidents detected that week. */
  driftIncidents: number;
}

export interface MetricsSummary {
  deployments: number;
  /** Changes per week over the period. */
  deploymentsPerWeek: number;
  leadTimeHours: Stat | null;
  failures: number;
  changeFailureRate: number | null;
  restoreHours: Stat | null;
  driftIncidents: number;
}

export interface EnvironmentMetrics {
  /** The environment, or `all` for the overall series. */
  name: string;
  weeks: WeekMetrics[];
  summary: MetricsSummary;
}

export interface ChangeFailure {
  /** The change that restored: a revert of it, or a later fix touching the same files. */
  by: string;
  kind: 'revert' | 'fix';
  restoredAt: string;
  restoreHours: number;
  /** Environments where it counts as failed (a fix counts where the files it shares with the change belong). */
  environments: string[];
}

/** A change merged into the default branch: a merge commit of the first-parent history, or a direct commit. */
export interface ChangeRecord {
  sha: string;
  kind: 'merge' | 'direct';
  /** The subject; for a merge, the pull request's title when the message has one. */
  subject: string;
  /** Committer date of the commit on the default branch (ISO 8601). */
  mergedAt: string;
  /** Author date of the first commit of the change (merges; a direct commit is its own first commit). */
  firstCommitAt?: string;
  /** mergedAt − first commit; 0 for a direct commit; absent when the branch is older than the look-back. */
  leadTimeHours?: number;
  /** Environments whose inputs it touches. */
  environments: string[];
  /** Files it changed (relative to the compared folder) that feed some environment. */
  files: number;
  /** The changes it reverts (their shas), when it is a revert. */
  reverts?: string[];
  /** Its subject says it fixes something. */
  fix?: boolean;
  failure?: ChangeFailure;
}

export interface MetricsReport {
  /** The git work tree's top folder, and the measured folder relative to it. */
  repoRoot: string;
  path: string;
  /** The branch measured (`main`, `origin/main`) and its tip. */
  branch: string;
  tip: string;
  since: string;
  until: string;
  failureWindowDays: number;
  /** A shallow clone: history before `shallowSince` cannot be seen. */
  shallow: boolean;
  shallowSince?: string;
  /** False when the period starts before what the clone can see. */
  historyComplete: boolean;
  /** Commits read from git. */
  commitsRead: number;
  environments: string[];
  overall: EnvironmentMetrics;
  perEnvironment: EnvironmentMetrics[];
  /** Changes merged in the period that touch some environment (newest last). */
  changes: ChangeRecord[];
  notes: string[];
  elapsedMs: number;
}

export interface MetricsProgress {
  phase: 'resolve' | 'history' | 'compute';
  /** Commits read so far. */
  commits: number;
  /** Committer date of the last commit read (ISO 8601), walking back in time. */
  at?: string;
}
