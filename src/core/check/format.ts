// Findings as text or JSON for the CLI, and the exit code for --fail-on.
import * as path from 'node:path';
import { failsRun, isNotChecked, type FailOn, type Finding, type FindingSeverity } from '../findings';

export type { FailOn };

const RANK: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      RANK[a.severity] - RANK[b.severity] ||
      a.code.localeCompare(b.code),
  );
}

/** `path:line:col: severity code: message`, then a summary line. */
export function formatText(findings: Finding[], root: string, filesChecked: number): string {
  const lines = sortFindings(findings).map((f) => {
    const where = f.file ? `${path.relative(root, f.file) || '.'}:${f.range.start.line + 1}:${f.range.start.character + 1}` : '(repository)';
    return `${where}: ${f.severity} ${f.code}: ${f.message}`;
  });
  const count = (s: FindingSeverity) => findings.filter((f) => f.severity === s).length;
  const notChecked = findings.filter(isNotChecked).length;
  lines.push(`${count('error')} error(s), ${count('warning')} warning(s), ${count('info') + count('hint')} note(s)${notChecked ? `, ${notChecked} not checked` : ''} in ${filesChecked} file(s) checked`);
  return `${lines.join('\n')}\n`;
}

export function formatJson(findings: Finding[], root: string): string {
  return `${JSON.stringify(
    sortFindings(findings).map((f) => ({ ...f, file: f.file ? path.relative(root, f.file) : undefined, fixes: f.fixes?.map((x) => x.title), ...(isNotChecked(f) ? { notChecked: true } : {}) })),
    null,
    2,
  )}\n`;
}

/** Does any finding fail the run (findings.ts failsRun: `--fail-on warning` also fails on "not checked")? */
export function failed(findings: Finding[], failOn: FailOn): boolean {
  return findings.some((f) => failsRun(f, failOn));
}
