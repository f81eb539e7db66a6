// What a comparison reports: per environment the resources added, removed or changed between two
// revisions (or between two environments of one revision), with field-level changes and the two
// sides as YAML for a diff editor. Secret values never appear: only masks.
import type { ResourceId } from '../manifest/identity';

/** One field that differs, from the left (base / first environment) to the right (head / second). */
export interface FieldChange {
  /** `spec.template.spec.containers[name=api].image` */
  path: string;
  change: 'changed' | 'added' | 'removed';
  /** The left value (absent for `added`). Secret values are masked. */
  before?: unknown;
  /** The right value (absent for `removed`). Secret values are masked. */
  after?: unknown;
  /** True when the values are Secret data: they are never shown. */
  masked?: boolean;
}

export interface ResourceChange {
  /** How resources were matched: resourceKey (revisions) or `group/kind/name` (environments). */
  key: string;
  /** The right side's identity (the left one's for `removed`). */
  id: ResourceId;
  change: 'added' | 'removed' | 'changed';
  /** Field changes (`changed` only). */
  fields: FieldChange[];
  /** The application that renders it (its id), right side first. */
  application?: string;
  /** Where it is defined, relative to the compared folder ('/'-separated), 0-based line. */
  source?: { path: string; line: number };
  /** Left / right YAML for a diff editor (normalized, Secret values masked); '' for the absent side. */
  left: string;
  right: string;
  /** `Deployment/api (shop-dev) — main ↔ HEAD` */
  title: string;
}

export interface ChangeCounts {
  added: number;
  removed: number;
  changed: number;
}

export interface RenderProblem {
  side: 'base' | 'head';
  /** The application's id. */
  application: string;
  message: string;
  /** The render error code (`tool-failed`, `tool-not-found`…). */
  code: string;
  /** Where the error is, relative to the compared folder ('/'-separated), and its line (1-based). */
  file?: string;
  line?: number;
}

/**
 * - `changed`: rendered at both revisions, resources differ;
 * - `unchanged`: rendered at both revisions, no difference;
 * - `inputs-unchanged`: no input changed and the model is the same: not rendered (`unchanged (not rendered)`);
 * - `added` / `removed`: the environment exists at one revision only (its resources all added / removed);
 * - `render-failed`: an application did not render at one of the revisions: nothing may be concluded.
 */
export type EnvironmentCompareStatus = 'changed' | 'unchanged' | 'inputs-unchanged' | 'added' | 'removed' | 'render-failed';

export interface EnvironmentComparison {
  name: string;
  status: EnvironmentCompareStatus;
  counts: ChangeCounts;
  resources: ResourceChange[];
  /** Input files of the environment that changed (relative to the compared folder). */
  changedInputs: string[];
  /** Render failures (status `render-failed`). */
  errors: RenderProblem[];
  /** Duplicate definitions and other notes. */
  warnings: string[];
}

export interface RevisionRef {
  /** As given (`main`, `HEAD~2`, a sha) or how it was found (`merge-base of main and HEAD`). */
  ref: string;
  /** The commit, or `WORKTREE` for the files as they are. */
  sha: string;
}

export interface RevisionComparison {
  /** The git work tree's top folder. */
  repoRoot: string;
  /** The compared folder, relative to repoRoot ('' for the top). */
  path: string;
  base: RevisionRef;
  head: RevisionRef;
  environments: EnvironmentComparison[];
  /** Things to know about the comparison (same commit on both sides, default branch used…). */
  notes: string[];
  /** ms spent. */
  elapsedMs: number;
}

export interface EnvironmentsComparison {
  left: string;
  right: string;
  /** `changed` when resources differ, `unchanged`, or `render-failed` when an application of either did not render. */
  status: 'changed' | 'unchanged' | 'render-failed';
  counts: ChangeCounts;
  resources: ResourceChange[];
  errors: Array<{ environment: string; application: string; message: string; code: string }>;
  warnings: string[];
}

export interface CompareProgress {
  phase: 'resolve' | 'checkout' | 'discover' | 'render' | 'diff' | 'cleanup';
  message: string;
  /** Renders done / to do, in the render phase. */
  done?: number;
  total?: number;
}
