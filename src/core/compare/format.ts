// Reports of a comparison for `reconcile diff`: Markdown that fits a pull-request comment (a summary
// table, then one collapsible section per environment), plain text, and JSON; and the exit code.
import type { EnvironmentCompareStatus, EnvironmentComparison, EnvironmentsComparison, FieldChange, ResourceChange, RevisionComparison } from './types';

export type CompareFormat = 'md' | 'text' | 'json';

/** GitHub refuses comments over 65,536 characters: the Markdown stays under this. */
export const MAX_MARKDOWN = 60_000;
const MAX_RESOURCES = 100;
const MAX_FIELDS = 25;
const MAX_VALUE = 80;

export function statusLabel(s: EnvironmentCompareStatus): string {
  switch (s) {
    case 'changed':
      return 'changed';
    case 'unchanged':
      return 'no changes';
    case 'inputs-unchanged':
      return 'unchanged (not rendered)';
    case 'added':
      return 'new environment';
    case 'removed':
      return 'environment removed';
    case 'render-failed':
      return 'render failed';
  }
}

/** 0: nothing changed; 1: some environment changed, appeared, disappeared or failed to render. */
export function compareExitCode(c: Pick<RevisionComparison, 'environments'>): 0 | 1 {
  return c.environments.some((e) => e.status !== 'unchanged' && e.status !== 'inputs-unchanged') ? 1 : 0;
}

/** A value in one line: strings as they are, other values as JSON; long ones cut. */
export function shortValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined ? '∅' : JSON.stringify(v);
  const one = s.replace(/\s*\n\s*/g, ' ⏎ ');
  return one.length > MAX_VALUE ? `${one.slice(0, MAX_VALUE - 1)}…` : one;
}

function fieldText(f: FieldChange): string {
  if (f.masked) return `${f.path}: ${f.change === 'changed' ? '*** (changed)' : f.change === 'added' ? '*** (added)' : '*** (removed)'}`;
  if (f.change === 'added') return `${f.path}: + ${shortValue(f.after)}`;
  if (f.change === 'removed') return `${f.path}: − ${shortValue(f.before)}`;
  return `${f.path}: ${shortValue(f.before)} → ${shortValue(f.after)}`;
}

const SIGN = { added: '+', removed: '−', changed: '~' } as const;

function resourceLabel(r: ResourceChange, withNamespace = true): string {
  return `${r.id.kind}/${r.id.name}${withNamespace && r.id.namespace ? ` (${r.id.namespace})` : ''}`;
}

function rev(r: { ref: string; sha: string }): string {
  return r.sha === 'WORKTREE' ? r.ref : `${r.ref} (${r.sha.slice(0, 12)})`;
}

// ---- text ----

function textEnvironment(e: EnvironmentComparison | (EnvironmentsComparison & { name: string }), lines: string[], withNamespace: boolean): void {
  for (const p of e.errors) lines.push(`    ${'side' in p ? `${p.side}: ` : `${(p as { environment: string }).environment}: `}${p.application}: ${p.message}${where(p)}`);
  for (const r of e.resources.slice(0, MAX_RESOURCES)) {
    lines.push(`    ${SIGN[r.change]} ${resourceLabel(r, withNamespace)}`);
    for (const f of r.fields.slice(0, MAX_FIELDS)) lines.push(`        ${fieldText(f)}`);
    if (r.fields.length > MAX_FIELDS) lines.push(`        … ${r.fields.length - MAX_FIELDS} more fields`);
  }
  if (e.resources.length > MAX_RESOURCES) lines.push(`    … ${e.resources.length - MAX_RESOURCES} more resources`);
  for (const w of e.warnings) lines.push(`    warning: ${w}`);
}

function counts(e: { counts: { added: number; removed: number; changed: number } }): string {
  return `+${e.counts.added} −${e.counts.removed} ~${e.counts.changed}`;
}

export function compareText(c: RevisionComparison): string {
  const lines = [`${rev(c.base)} → ${rev(c.head)}${c.path ? `  (${c.path})` : ''}`];
  for (const n of c.notes) lines.push(`note: ${n}`);
  if (c.environments.length === 0) lines.push('no environments found');
  const width = Math.max(12, ...c.environments.map((e) => e.name.length + 2));
  for (const e of c.environments) {
    const rendered = e.status !== 'inputs-unchanged' && e.status !== 'render-failed';
    lines.push(`${e.name.padEnd(width)}${statusLabel(e.status)}${rendered ? `  ${counts(e)}` : ''}`);
    textEnvironment(e, lines, true);
  }
  return `${lines.join('\n')}\n`;
}

// ---- Markdown ----

/** Text in a code span, whatever backticks it holds. */
function code(s: string): string {
  const runs = s.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

function escapeMd(s: string): string {
  return s.replace(/[\\|*_<>[\]#]/g, (m) => `\\${m}`);
}

function mdField(f: FieldChange): string {
  if (f.masked) return `${code(f.path)}: ${f.change === 'changed' ? '\\*\\*\\* (changed)' : f.change === 'added' ? '\\*\\*\\* (added)' : '\\*\\*\\* (removed)'}`;
  if (f.change === 'added') return `${code(f.path)}: added ${code(shortValue(f.after))}`;
  if (f.change === 'removed') return `${code(f.path)}: removed (was ${code(shortValue(f.before))})`;
  return `${code(f.path)}: ${code(shortValue(f.before))} → ${code(shortValue(f.after))}`;
}

/** ` (file:line)` of a render problem, when it is known. */
function where(p: object): string {
  const { file, line } = p as { file?: string; line?: number };
  return file ? ` (${file}${line ? `:${line}` : ''})` : '';
}

function mdDetails(title: string, e: { resources: ResourceChange[]; errors: Array<{ application: string; message: string; side?: string; environment?: string; file?: string; line?: number }>; warnings: string[] }, withNamespace: boolean, open: boolean): string {
  const out: string[] = [`<details${open ? ' open' : ''}><summary>${title}</summary>`, ''];
  for (const p of e.errors) out.push(`- ⚠️ ${p.side ? `at ${p.side}, ` : p.environment ? `${escapeMd(p.environment)}, ` : ''}${code(p.application)}: ${escapeMd(p.message)}${escapeMd(where(p))}`);
  for (const r of e.resources.slice(0, MAX_RESOURCES)) {
    const verb = r.change === 'added' ? 'added' : r.change === 'removed' ? 'removed' : 'changed';
    out.push(`- **${SIGN[r.change]} ${escapeMd(resourceLabel(r, withNamespace))}** ${verb}`);
    for (const f of r.fields.slice(0, MAX_FIELDS)) out.push(`  - ${mdField(f)}`);
    if (r.fields.length > MAX_FIELDS) out.push(`  - … ${r.fields.length - MAX_FIELDS} more fields`);
  }
  if (e.resources.length > MAX_RESOURCES) out.push(`- … ${e.resources.length - MAX_RESOURCES} more resources`);
  for (const w of e.warnings) out.push(`- note: ${escapeMd(w)}`);
  out.push('', '</details>', '');
  return out.join('\n');
}

function summaryOf(e: EnvironmentComparison): string {
  if (e.status === 'render-failed') return `<b>${escapeMd(e.name)}</b>: render failed`;
  const parts = [e.counts.added && `${e.counts.added} added`, e.counts.removed && `${e.counts.removed} removed`, e.counts.changed && `${e.counts.changed} changed`].filter(Boolean);
  return `<b>${escapeMd(e.name)}</b>: ${statusLabel(e.status)}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export function compareMarkdown(c: RevisionComparison): string {
  const head = [`### Reconcile: rendered changes per environment`, '', `${code(c.base.ref)}${c.base.sha !== 'WORKTREE' ? ` (${c.base.sha.slice(0, 12)})` : ''} → ${code(c.head.ref)}${c.head.sha !== 'WORKTREE' ? ` (${c.head.sha.slice(0, 12)})` : ''}${c.path ? ` in ${code(c.path)}` : ''}`, ''];
  for (const n of c.notes) head.push(`> ${escapeMd(n)}`, '');
  if (c.environments.length === 0) head.push('No environments found.', '');
  else {
    head.push('| Environment | Status | Added | Removed | Changed |', '|---|---|---:|---:|---:|');
    for (const e of c.environments) {
      const rendered = e.status !== 'inputs-unchanged' && e.status !== 'render-failed';
      const n = (x: number) => (rendered ? String(x) : '–');
      const status = e.status === 'render-failed' ? '⚠️ render failed' : statusLabel(e.status);
      head.push(`| ${escapeMd(e.name)} | ${status} | ${n(e.counts.added)} | ${n(e.counts.removed)} | ${n(e.counts.changed)} |`);
    }
    head.push('');
  }
  let md = head.join('\n');
  const sections = c.environments.filter((e) => e.resources.length || e.errors.length).map((e) => mdDetails(summaryOf(e), e, true, false));
  for (let i = 0; i < sections.length; i++) {
    if (md.length + sections[i].length > MAX_MARKDOWN) {
      md += `\n_… ${sections.length - i} more environment${sections.length - i === 1 ? '' : 's'} left out: the comment would be too long. Run \`reconcile diff\` locally for everything._\n`;
      break;
    }
    md += `\n${sections[i]}`;
  }
  return md;
}

export function compareReport(c: RevisionComparison, format: CompareFormat): string {
  if (format === 'json') return `${JSON.stringify(c, null, 2)}\n`;
  if (format === 'md') return compareMarkdown(c);
  return compareText(c);
}

/** The promotion check (two environments) in the same formats. */
export function environmentsReport(c: EnvironmentsComparison, format: CompareFormat): string {
  if (format === 'json') return `${JSON.stringify(c, null, 2)}\n`;
  const status = c.status === 'render-failed' ? 'render failed' : c.status === 'changed' ? 'differ' : 'no differences';
  if (format === 'md') {
    return `### Reconcile: ${escapeMd(c.left)} → ${escapeMd(c.right)}\n\n${status}: ${c.counts.added} only in ${escapeMd(c.right)}, ${c.counts.removed} only in ${escapeMd(c.left)}, ${c.counts.changed} different\n\n${mdDetails(`${escapeMd(c.left)} ↔ ${escapeMd(c.right)}`, c, false, true)}`;
  }
  const lines = [`${c.left} → ${c.right}: ${status}  ${counts(c)}`];
  textEnvironment({ ...c, name: `${c.left}/${c.right}` }, lines, false);
  return `${lines.join('\n')}\n`;
}
