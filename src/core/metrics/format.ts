// Reports of the metrics for `reconcile metrics`: a summary per environment, then the weekly series
// (text or Markdown tables), or the whole report as JSON.
import type { EnvironmentMetrics, MetricsReport, Stat } from './types';

export type MetricsFormat = 'text' | 'md' | 'json';

/** `3.5 h`, `2.1 d`, `45 min`; `–` when there is nothing to measure. */
export function formatHours(s: Stat | null | number | undefined): string {
  const h = typeof s === 'number' ? s : s?.median;
  if (h === undefined || h === null) return '–';
  if (h === 0) return '0 h';
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${Math.round(h * 10) / 10} h`;
  return `${Math.round((h / 24) * 10) / 10} d`;
}

export function formatRate(r: number | null): string {
  return r === null ? '–' : `${Math.round(r * 100)}%`;
}

function summaryRow(m: EnvironmentMetrics): string[] {
  const s = m.summary;
  return [m.name, String(s.deployments), String(s.deploymentsPerWeek), formatHours(s.leadTimeHours), formatRate(s.changeFailureRate), formatHours(s.restoreHours), String(s.driftIncidents)];
}

const SUMMARY_HEAD = ['Environment', 'Changes', 'Per week', 'Lead time (median)', 'Change failure rate', 'Time to restore (median)', 'Drift incidents'];
const WEEK_HEAD = ['Week', 'Changes', 'Lead time', 'Failures', 'Failure rate', 'Time to restore', 'Drift'];

function weekRows(m: EnvironmentMetrics): string[][] {
  return m.weeks.map((w) => [`${w.week} (${w.start})`, String(w.deployments), formatHours(w.leadTimeHours), String(w.failures), formatRate(w.changeFailureRate), formatHours(w.restoreHours), String(w.driftIncidents)]);
}

function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function mdTable(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [`| ${head.map(esc).join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function period(r: MetricsReport): string {
  return `${r.branch} (${r.tip.slice(0, 12)}), ${r.since.slice(0, 10)} → ${r.until.slice(0, 10)}, failure window ${r.failureWindowDays} days`;
}

export function metricsText(r: MetricsReport): string {
  const all = [r.overall, ...r.perEnvironment];
  const out = [`GitOps metrics: ${period(r)}${r.path ? ` (${r.path})` : ''}`];
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push('', textTable(SUMMARY_HEAD, all.map(summaryRow)));
  for (const m of all) out.push('', `${m.name} per week`, textTable(WEEK_HEAD, weekRows(m)));
  return `${out.join('\n')}\n`;
}

export function metricsMarkdown(r: MetricsReport): string {
  const all = [r.overall, ...r.perEnvironment];
  const out = [`### GitOps metrics`, '', `${period(r)}${r.path ? ` in \`${r.path}\`` : ''}`, ''];
  for (const n of r.notes) out.push(`> ${n}`, '');
  out.push(mdTable(SUMMARY_HEAD, all.map(summaryRow)), '');
  for (const m of all) out.push(`<details><summary>${m.name} per week</summary>`, '', mdTable(WEEK_HEAD, weekRows(m)), '', '</details>', '');
  return out.join('\n');
}

export function metricsReport(r: MetricsReport, format: MetricsFormat): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  return format === 'md' ? metricsMarkdown(r) : metricsText(r);
}
