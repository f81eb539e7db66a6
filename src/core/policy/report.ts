// Findings (from any engine: schema, policy, secrets, render) as text, JSON, SARIF 2.1.0 (GitHub
// code scanning) and JUnit XML, for `reconcile check --format`. Output is deterministic (sorted,
// relative paths, no timestamps) so it can be compared with golden files.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { failsRun, isNotChecked, type FailOn, type Finding, type FindingSeverity } from '../findings';
import { BUILTIN_RULES, ruleDocsPath, ruleMeta, ruleTitle } from './rules';

export type ReportFormat = 'text' | 'json' | 'sarif' | 'junit';

export const REPORT_FORMATS: readonly ReportFormat[] = ['text', 'json', 'sarif', 'junit'];

/**
 * The base URL of the docs pages of a package.json `repository` (a string or `{ url }`): its
 * web address + `/blob/HEAD/`, so that `docs/rules/<id>.md` is the page in that repository.
 * undefined when there is no such field or it is not a web or git URL: links then stay relative
 * (`docs/rules/<id>.md`, in the repository and in the extension) rather than point somewhere made up.
 */
export function docsBaseFromRepository(repository: unknown): string | undefined {
  const raw = typeof repository === 'string' ? repository : repository && typeof repository === 'object' ? (repository as { url?: unknown }).url : undefined;
  if (typeof raw !== 'string') return undefined;
  const m = /^(?:git\+)?(https:\/\/[^\s/]+\/[^\s]+?)(?:\.git)?\/?$/.exec(raw.trim());
  if (!m || /\.(invalid|example|test|localhost)(\/|$)/i.test(new URL(m[1]).hostname + '/')) return undefined;
  return `${m[1]}/blob/HEAD/`;
}

export interface ReportOptions {
  /** Paths are shown relative to this folder (the repository root). */
  root: string;
  /** Tool version for SARIF. */
  version?: string;
  /**
   * Base URL of the docs pages (ends with `/`): SARIF helpUri = base + docs/rules/<id>.md. Without
   * one, SARIF has no helpUri (it must be absolute) and the other formats give the relative path.
   */
  docsBaseUrl?: string;
  /** SARIF: list every built-in rule, not only those with results (default true). */
  allRules?: boolean;
  /** JUnit: the findings that fail the run under this threshold are `<failure>`s (default `error`). */
  failOn?: FailOn;
}

const RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

function rel(root: string, file: string | undefined): string {
  if (!file) return '';
  const r = path.isAbsolute(file) ? path.relative(root, file) : file;
  return r.split(path.sep).join('/');
}

function sorted(findings: readonly Finding[], root: string): Finding[] {
  return [...findings].sort(
    (a, b) =>
      rel(root, a.file).localeCompare(rel(root, b.file)) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      RANK[a.severity] - RANK[b.severity] ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}

export interface Summary {
  errors: number;
  warnings: number;
  info: number;
  hints: number;
  total: number;
  /** Findings (of any severity) saying that something could not be checked. */
  notChecked: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  const s: Summary = { errors: 0, warnings: 0, info: 0, hints: 0, total: findings.length, notChecked: 0 };
  for (const f of findings) {
    if (isNotChecked(f)) s.notChecked++;
    if (f.severity === 'error') s.errors++;
    else if (f.severity === 'warning') s.warnings++;
    else if (f.severity === 'info') s.info++;
    else s.hints++;
  }
  return s;
}

/** Does any finding reach the `--fail-on` threshold ("not checked" counts as a warning)? */
export function failsOn(findings: readonly Finding[], threshold: FailOn): boolean {
  return findings.some((f) => failsRun(f, threshold));
}

/** The docs page of a finding: an absolute URL under `base`, else the repository-relative path. */
function docsUrl(f: Pick<Finding, 'code' | 'docs'>, base: string | undefined): string {
  if (f.docs && /^[a-z][a-z0-9+.-]*:/i.test(f.docs)) return f.docs;
  return (base ?? '') + (f.docs && !f.docs.startsWith('/') ? f.docs : ruleDocsPath(f.code));
}

const isAbsoluteUrl = (u: string) => /^[a-z][a-z0-9+.-]*:/i.test(u);

// ——— text ———
export function formatText(findings: readonly Finding[], opts: ReportOptions): string {
  const lines: string[] = [];
  for (const f of sorted(findings, opts.root)) {
    const where = f.file ? `${rel(opts.root, f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}` : '(no file)';
    lines.push(`${where}: ${f.severity} ${f.code}: ${f.message}`);
  }
  const s = summarize(findings);
  lines.push(
    s.total === 0
      ? 'No problems found.'
      : `${s.total} problem${s.total === 1 ? '' : 's'} (${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.info + s.hints} info${s.notChecked ? `; ${s.notChecked} not checked` : ''})`,
  );
  return lines.join('\n') + '\n';
}

// ——— JSON ———
export function formatJson(findings: readonly Finding[], opts: ReportOptions): string {
  const base = opts.docsBaseUrl;
  const out = {
    tool: 'reconcile',
    formatVersion: 1,
    summary: summarize(findings),
    findings: sorted(findings, opts.root).map((f) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
      file: f.file ? rel(opts.root, f.file) : null,
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
      endLine: f.range.end.line + 1,
      endColumn: f.range.end.character + 1,
      source: f.source,
      environment: f.environment ?? null,
      docs: docsUrl(f, base),
      fixes: (f.fixes ?? []).map((x) => x.title),
      ...(isNotChecked(f) ? { notChecked: true } : {}),
    })),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

// ——— SARIF 2.1.0 ———
const SARIF_LEVEL: Record<FindingSeverity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

function fingerprint(f: Finding, file: string): string {
  const message = f.message.replace(/^\[[^\]]*\] /, '');
  return createHash('sha256').update(`${f.code}\u0000${file}\u0000${f.range.start.line}\u0000${message}\u0000${f.environment ?? ''}`).digest('hex').slice(0, 32);
}

export function toSarif(findings: readonly Finding[], opts: ReportOptions): Record<string, unknown> {
  const base = opts.docsBaseUrl;
  const list = sorted(findings, opts.root);
  const codes = new Set(list.map((f) => f.code));
  if (opts.allRules !== false) for (const r of BUILTIN_RULES) codes.add(r.id);
  const ids = [...codes].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const docsOf = new Map<string, string>();
  for (const f of list) if (!docsOf.has(f.code)) docsOf.set(f.code, docsUrl(f, base));
  const rules = ids.map((id) => {
    const meta = ruleMeta(id);
    const sample = list.find((f) => f.code === id);
    const level = SARIF_LEVEL[meta?.defaultSeverity ?? sample?.severity ?? 'warning'];
    const docs = docsOf.get(id) ?? docsUrl({ code: id }, base);
    const rule: Record<string, unknown> = {
      id,
      name: id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
      shortDescription: { text: ruleTitle(id) },
      // helpUri must be an absolute URI: only with a docs base (the package's repository)
      ...(isAbsoluteUrl(docs) ? { helpUri: docs } : {}),
      help: { text: `${ruleTitle(id)}. See ${docs}${isAbsoluteUrl(docs) ? '' : ' in the Reconcile repository or extension'}` },
      defaultConfiguration: { level },
      properties: { tags: [meta?.category ?? sample?.source ?? 'policy'] },
    };
    return rule;
  });
  const results = list.map((f) => {
    const file = rel(opts.root, f.file);
    const r: Record<string, unknown> = {
      ruleId: f.code,
      ruleIndex: index.get(f.code),
      level: SARIF_LEVEL[f.severity],
      message: { text: f.message },
    };
    if (file) {
      const region: Record<string, number> = { startLine: f.range.start.line + 1, startColumn: f.range.start.character + 1 };
      const endAfter = f.range.end.line > f.range.start.line || (f.range.end.line === f.range.start.line && f.range.end.character > f.range.start.character);
      if (endAfter) {
        region.endLine = f.range.end.line + 1;
        region.endColumn = f.range.end.character + 1;
      }
      r.locations = [{ physicalLocation: { artifactLocation: { uri: encodeURI(file), uriBaseId: '%SRCROOT%' }, region } }];
      r.partialFingerprints = { 'reconcileFinding/v1': fingerprint(f, file) };
    }
    if (f.environment || isNotChecked(f)) r.properties = { ...(f.environment ? { environment: f.environment } : {}), ...(isNotChecked(f) ? { notChecked: true } : {}) };
    return r;
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Reconcile',
            ...(base ? { informationUri: base.replace(/blob\/HEAD\/$/, '') } : {}),
            ...(opts.version ? { version: opts.version, semanticVersion: opts.version } : {}),
            rules,
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function formatSarif(findings: readonly Finding[], opts: ReportOptions): string {
  return JSON.stringify(toSarif(findings, opts), null, 2) + '\n';
}

// ——— JUnit XML ———
function xml(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * One test suite per file, one test case per finding. A finding that fails the run under
 * `opts.failOn` (default `error`; `warning` also fails on warnings and on "not checked") is a
 * `<failure>`; another "not checked" is `<skipped>`; anything else is a passing case with its text
 * in `<system-out>`. So the report fails exactly when `reconcile check` exits 1.
 */
export function formatJunit(findings: readonly Finding[], opts: ReportOptions): string {
  const failOn = opts.failOn ?? 'error';
  const list = sorted(findings, opts.root);
  const byFile = new Map<string, Finding[]>();
  for (const f of list) {
    const k = rel(opts.root, f.file) || '(no file)';
    const l = byFile.get(k);
    if (l) l.push(f);
    else byFile.set(k, [f]);
  }
  const fails = (fs: readonly Finding[]) => fs.filter((f) => failsRun(f, failOn)).length;
  const skips = (fs: readonly Finding[]) => fs.filter((f) => !failsRun(f, failOn) && isNotChecked(f)).length;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="reconcile check" tests="${Math.max(1, list.length)}" failures="${fails(list)}" errors="0">`);
  if (!list.length) {
    out.push('  <testsuite name="reconcile" tests="1" failures="0" errors="0" skipped="0">');
    out.push('    <testcase classname="reconcile" name="no findings"/>');
    out.push('  </testsuite>');
  }
  for (const [file, fs] of byFile) {
    out.push(`  <testsuite name="${xml(file)}" tests="${fs.length}" failures="${fails(fs)}" errors="0" skipped="${skips(fs)}">`);
    for (const f of fs) {
      const where = `${file}:${f.range.start.line + 1}:${f.range.start.character + 1}`;
      out.push(`    <testcase classname="${xml(file)}" name="${xml(`${f.code} ${where}`)}">`);
      const docs = docsUrl(f, opts.docsBaseUrl);
      const body = `${where}: ${f.severity} ${f.code}: ${f.message}${docs ? `\nDocs: ${docs}` : ''}`;
      if (failsRun(f, failOn)) out.push(`      <failure message="${xml(f.message)}" type="${isNotChecked(f) && f.severity !== 'error' ? 'not-checked' : f.severity}">${xml(body)}</failure>`);
      else if (isNotChecked(f)) out.push(`      <skipped message="${xml(`not checked: ${f.message}`)}"/>`, `      <system-out>${xml(body)}</system-out>`);
      else out.push(`      <system-out>${xml(body)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

export function formatReport(format: ReportFormat, findings: readonly Finding[], opts: ReportOptions): string {
  switch (format) {
    case 'text':
      return formatText(findings, opts);
    case 'json':
      return formatJson(findings, opts);
    case 'sarif':
      return formatSarif(findings, opts);
    case 'junit':
      return formatJunit(findings, opts);
  }
}
