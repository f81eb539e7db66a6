// What every check (schema, policy, secrets, render) reports, in one shape, so the language server,
// the VS Code adapters and the CLI (text, JSON, SARIF, JUnit) all speak the same language.
import type { SourceRange } from './manifest/range';

export type FindingSeverity = 'error' | 'warning' | 'info' | 'hint';

export interface TextEdit {
  /** Absolute path of the file to edit. */
  file: string;
  range: SourceRange;
  newText: string;
}

/** A quick fix: edits that make the finding go away, offered only where the fix is certain. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
}

export interface Finding {
  /** Stable id, e.g. `schema/unknown-field`, `RC-PSS-001`; also the name of its docs page. */
  code: string;
  severity: FindingSeverity;
  /** Short, specific, never containing a secret value. */
  message: string;
  /** Absolute path of the file, when the finding is about a file. */
  file?: string;
  range: SourceRange;
  /** Which engine found it. */
  source: 'schema' | 'policy' | 'secret' | 'render' | 'repo';
  /** Link to the rule's documentation page (docs/rules/<code>.md or a URL). */
  docs?: string;
  /** The environment, for findings on rendered output (messages then start with `[env]`). */
  environment?: string;
  fixes?: Fix[];
  /**
   * A check could not run on something (an application that could not be rendered, a kind without
   * a schema, a file past an input limit); the message says what and why. Such a finding is never
   * counted as clean: `--fail-on warning` fails on it whatever its severity.
   */
  notChecked?: boolean;
}

/** Codes that always mean "not checked", whoever reports them (the schema engine, input limits, render). */
const NOT_CHECKED_CODES = new Set(['schema/unknown-kind', 'yaml/too-large', 'yaml/too-deep', 'yaml/binary', 'yaml/encoding', 'yaml/too-many-documents']);

/** Whether a finding says that something was not checked (see Finding.notChecked). */
export function isNotChecked(f: Pick<Finding, 'code' | 'notChecked'>): boolean {
  return f.notChecked === true || NOT_CHECKED_CODES.has(f.code) || f.code.startsWith('render/');
}

export type FailOn = 'error' | 'warning' | 'never';

/**
 * Whether a finding fails a run with `--fail-on`: errors unless `never`; with `warning` also
 * warnings and anything not checked (never counted as clean).
 */
export function failsRun(f: Pick<Finding, 'code' | 'severity' | 'notChecked'>, failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  if (f.severity === 'error') return true;
  return failOn === 'warning' && (f.severity === 'warning' || isNotChecked(f));
}

/**
 * Findings without repeats: one per rule, place (file and start) and message, the first kept
 * (e.g. one object's finding reported once per rendered copy, all on line 1 of its kustomization).
 */
export function dedupeFindings<F extends Finding>(findings: readonly F[]): F[] {
  const seen = new Set<string>();
  const out: F[] = [];
  for (const f of findings) {
    const k = `${f.code}\u0000${f.file ?? ''}\u0000${f.range.start.line}:${f.range.start.character}\u0000${f.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(f);
  }
  return out;
}

/**
 * What the Problems view shows: one finding per rule, place and environment (the same rule on the same
 * range of one environment, even worded differently, is one problem), and one where a repository
 * policy (`vap/…`, a ValidatingAdmissionPolicy of the repository) and a built-in rule say the same thing
 * about the same range: the repository's policy is kept (the more severe of the two, if the built-in
 * is), and its message names the built-in rule too.
 */
export function mergeEquivalentFindings<F extends Finding>(findings: readonly F[]): F[] {
  const byPlace = new Map<string, F>();
  const out: F[] = [];
  for (const f of findings) {
    const k = `${f.code}\u0000${f.file ?? ''}\u0000${f.range.start.line}:${f.range.start.character}\u0000${f.environment ?? ''}`;
    if (byPlace.has(k)) continue;
    byPlace.set(k, f);
    out.push(f);
  }
  const isPolicy = (f: Finding) => f.code.startsWith('vap/') && f.code !== 'vap/invalid' && f.code !== 'vap/budget';
  const overlaps = (a: Finding, b: Finding) =>
    a.file === b.file && (a.environment ?? '') === (b.environment ?? '') && a.range.start.line === b.range.start.line &&
    !(a.range.end.line < b.range.start.line || (a.range.end.line === b.range.start.line && a.range.end.character <= b.range.start.character && a.range.end.character !== a.range.start.character)) &&
    !(b.range.end.line < a.range.start.line || (b.range.end.line === a.range.start.line && b.range.end.character <= a.range.start.character && b.range.end.character !== b.range.start.character));
  const rank: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2, hint: 3 };
  const dropped = new Set<F>();
  const merged = new Map<F, F>();
  for (const p of out.filter(isPolicy)) {
    const same = out.filter((b) => b !== p && !dropped.has(b) && !isPolicy(b) && b.source === 'policy' && overlaps(p, b));
    if (same.length === 0) continue;
    for (const b of same) dropped.add(b);
    const severity = [p, ...same].reduce((s, x) => (rank[x.severity] < rank[s] ? x.severity : s), p.severity);
    merged.set(p, { ...p, severity, message: `${p.message} (also built-in ${same.map((b) => b.code).join(', ')})`, fixes: [...(p.fixes ?? []), ...same.flatMap((b) => b.fixes ?? [])] });
  }
  return out.filter((f) => !dropped.has(f)).map((f) => merged.get(f) ?? f);
}

/**
 * The link of a finding's documentation page (`docs/rules/<code>.md`): a command URI that opens it in the
 * editor's Markdown preview. VS Code opens command links of diagnostics' codes (Problems view, hover).
 */
export function docsCommandUri(page: string): string {
  return `command:reconcile.openDocs?${encodeURIComponent(JSON.stringify([page]))}`;
}
