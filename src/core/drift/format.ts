// Words for drift results: the one-line summary of the CodeLens and tree, and the reports of the CLI
// (`reconcile drift --format text|json|md`) with its exit code. Secret values never reach here: the
// results carry masks only.
import type { DriftField, DriftResult, EnvironmentDriftReport, NotInGit } from './types';

export type ReportFormat = 'text' | 'json' | 'md';

const MAX_VALUE = 40;

/** A short rendering of a value for one line: `3`, `nginx:1.26`, `"a b"`, `{…}`, `[3 items]`, `∅`. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return '∅';
  if (typeof v === 'string') {
    const simple = /^[\w.:/@+-]+$/.test(v) && v.length <= MAX_VALUE;
    if (simple) return v;
    const q = JSON.stringify(v);
    return q.length > MAX_VALUE ? `${q.slice(0, MAX_VALUE - 2)}…"` : q;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[${v.length} item${v.length === 1 ? '' : 's'}]`;
  return Object.keys(v as object).length === 0 ? '{}' : '{…}';
}

/** `spec.replicas 3→5 (kubectl-edit)`, `data.password changed`, `metadata.annotations.x ∅→"y" (kubectl-annotate)` */
export function formatField(f: DriftField): string {
  const who = f.manager ? ` (${f.manager})` : '';
  if (f.masked) {
    const what = f.change === 'changed' ? 'changed' : f.change === 'added' ? 'added in cluster' : 'removed in cluster';
    return `${f.path} ${what}${who}`;
  }
  return `${f.path} ${formatValue(f.desired)}→${formatValue(f.live)}${who}`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  return `${Math.round(m / 60)}h`;
}

/** What to say about an Unknown result. */
export function unknownText(reason: { kind: string; message: string; resource?: string }): string {
  switch (reason.kind) {
    case 'pending':
      return `… ${reason.message}`;
    case 'forbidden': {
      const m = /^no permission to \S+ (.+?)(?: in \S+| \(cluster-wide\))?$/.exec(reason.message);
      return `? no permission to read ${m ? m[1] : reason.resource ?? 'it'}`;
    }
    case 'unauthorized':
      return `? not authorized: ${reason.message.replace(/^not authorized: /, '')}`;
    case 'server':
      return `? cluster error: ${reason.message}`;
    case 'invalid':
    case 'conflict':
    case 'not-found':
      return `? ${reason.message}`;
    case 'aborted':
      return '? cancelled';
    default:
      return `? cluster unreachable: ${reason.message}`;
  }
}

/**
 * One line: `✓ in sync`, `⚠ drifted: spec.replicas 3→5 (kubectl-edit) +2 more`, `＋ not in cluster`,
 * `? cluster unreachable: connection refused (https://…)`, `? no permission to read deployments.apps`.
 * With `now`, in-sync and drifted lines say when they were checked (`· checked 12s ago`).
 */
export function summaryLine(result: DriftResult, opts: { now?: number } = {}): string {
  const checked = opts.now !== undefined ? ` · checked ${ago(opts.now - result.checkedAt)} ago` : '';
  switch (result.status) {
    case 'in-sync':
      return `✓ in sync${checked}`;
    case 'drifted': {
      const more = result.fields.length > 1 ? ` +${result.fields.length - 1} more` : '';
      return `⚠ drifted: ${formatField(result.fields[0])}${more}${checked}`;
    }
    case 'missing':
      return `＋ not in cluster${result.note ? ` (${result.note})` : ''}`;
    case 'unknown':
      return unknownText(result.reason);
    case 'skipped':
      return `⊘ skipped: ${result.reason}`;
  }
}

export function notInGitLine(n: NotInGit): string {
  return `− not in Git: ${n.reason}`;
}

function label(id: DriftResult['id']): string {
  return `${id.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}`;
}

const ICON: Record<DriftResult['status'], string> = { 'in-sync': '✓', drifted: '⚠', missing: '＋', unknown: '?', skipped: '⊘' };

/** 0 in sync, 1 drifted / missing / not in Git, 2 when the cluster could not be read for some resource. */
export function driftExitCode(report: Pick<EnvironmentDriftReport, 'counts'>): 0 | 1 | 2 {
  if (report.counts.unknown > 0) return 2;
  if (report.counts.drifted + report.counts.missing + report.counts.notInGit > 0) return 1;
  return 0;
}

function headline(r: EnvironmentDriftReport): string {
  const c = r.counts;
  const strategy = r.strategy === 'local' ? 'local comparison' : 'server-side dry-run';
  return `Drift of ${r.environment}${r.context ? ` (context ${r.context})` : ''}, ${strategy}: ${c.total} resource${c.total === 1 ? '' : 's'} — ${c.inSync} in sync, ${c.drifted} drifted, ${c.missing} missing, ${c.unknown} unknown${c.skipped ? `, ${c.skipped} skipped` : ''}, ${c.notInGit} not in Git`;
}

function fieldDetail(f: DriftField): string {
  const who = f.manager ? ` — ${f.manager}${f.operation ? ` (${f.operation}${f.subresource ? ` /${f.subresource}` : ''}${f.time ? `, ${f.time}` : ''})` : ''}` : ' — no field manager recorded';
  if (f.masked) return `${f.path}: ${f.change === 'changed' ? 'changed' : f.change === 'added' ? 'added in cluster' : 'removed in cluster'} (value hidden)${who}`;
  const v = (x: unknown) => (x === undefined ? '∅' : JSON.stringify(x));
  return `${f.path}: ${v(f.desired)} → ${v(f.live)}${who}`;
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report of `reconcile drift`. Lists every resource that is not in sync, then the counts. */
export function driftReport(report: EnvironmentDriftReport, format: ReportFormat = 'text'): string {
  const order: Record<DriftResult['status'], number> = { unknown: 0, drifted: 1, missing: 2, skipped: 3, 'in-sync': 4 };
  const results = [...report.results].sort((a, b) => order[a.status] - order[b.status] || a.key.localeCompare(b.key));
  const exitCode = driftExitCode(report);
  if (format === 'json') {
    return `${JSON.stringify(
      {
        environment: report.environment,
        context: report.context,
        strategy: report.strategy,
        checkedAt: new Date(report.checkedAt).toISOString(),
        exitCode,
        counts: report.counts,
        results: results.map((r) => ({
          resource: { group: r.id.group, version: r.id.version, kind: r.id.kind, namespace: r.id.namespace, name: r.id.name },
          status: r.status,
          summary: summaryLine(r),
          ...(r.status === 'drifted' ? { fields: r.fields.map(({ segments: _s, ...f }) => f) } : {}),
          ...(r.status === 'missing' && r.note ? { note: r.note } : {}),
          ...(r.status === 'unknown' ? { reason: r.reason } : {}),
          ...(r.status === 'skipped' ? { reason: r.reason } : {}),
          ...(r.source ? { source: { file: r.source.file, line: r.source.range ? r.source.range.start.line + 1 : undefined } } : {}),
        })),
        notInGit: report.notInGit.map((n) => ({ resource: n.id, reason: n.reason })),
        ignoredExtraneous: report.ignoredExtraneous.map((n) => ({ resource: n.id, reason: n.reason })),
        warnings: report.warnings,
      },
      null,
      2,
    )}\n`;
  }
  const lines: string[] = [];
  if (format === 'md') {
    const c = report.counts;
    lines.push(`## Drift: ${report.environment}${report.context ? ` (\`${report.context}\`)` : ''}`, '');
    lines.push(`${report.strategy === 'local' ? 'Local comparison' : 'Server-side dry-run'} of ${c.total} resources.`, '');
    lines.push('| in sync | drifted | missing | not in Git | unknown | skipped |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
    lines.push(`| ${c.inSync} | ${c.drifted} | ${c.missing} | ${c.notInGit} | ${c.unknown} | ${c.skipped} |`, '');
    const rows = results.filter((r) => r.status !== 'in-sync');
    if (rows.length || report.notInGit.length) {
      lines.push('| | resource | details |', '| --- | --- | --- |');
      for (const r of rows) {
        const details = r.status === 'drifted' ? r.fields.map((f) => `\`${mdEscape(fieldDetail(f))}\``).join('<br>') : mdEscape(summaryLine(r));
        lines.push(`| ${ICON[r.status]} | ${mdEscape(label(r.id))} | ${details} |`);
      }
      for (const n of report.notInGit) lines.push(`| − | ${mdEscape(label(n.id as DriftResult['id']))} | not in Git: ${mdEscape(n.reason)} |`);
      lines.push('');
    }
    for (const w of report.warnings) lines.push(`> ⚠ ${mdEscape(w)}`);
    return `${lines.join('\n').trimEnd()}\n`;
  }
  lines.push(headline(report));
  for (const r of results) {
    if (r.status === 'in-sync') continue;
    lines.push(`${ICON[r.status]} ${label(r.id)}: ${r.status === 'drifted' ? 'drifted' : summaryLine(r).replace(/^\S+ /, '')}`);
    if (r.status === 'drifted') for (const f of r.fields) lines.push(`    ${fieldDetail(f)}`);
  }
  for (const n of report.notInGit) lines.push(`− ${label(n.id as DriftResult['id'])}: not in Git (${n.reason})`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

