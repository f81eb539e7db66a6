// Shared by the policy tests: fixture paths, `# expect:` markers, rendered-environment inputs
// built from fixture files, and applying quick fixes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../../src/core/findings';
import { parseManifests } from '../../../src/core/manifest';
import { applyEdits, checkEnvironment, checkFile, type EnvironmentObject, type PolicyOptions } from '../../../src/core/policy';
import type { ApplicationInfo } from '../../../src/core/policy/types';

export const fixtures = join(__dirname, '..', '..', 'fixtures', 'policy');
export const repoRoot = join(__dirname, '..', '..', '..');

export function fixture(...parts: string[]): string {
  return join(fixtures, ...parts);
}

export function read(file: string): string {
  return readFileSync(file, 'utf8');
}

/** `# expect: a, b` marks the line; `# expect-next: a` the next line, `# expect+N: a` the Nth next. 0-based lines. */
export function markers(text: string): Array<{ line: number; code: string }> {
  const out: Array<{ line: number; code: string }> = [];
  text.split('\n').forEach((l, i) => {
    const m = /#\s*expect(?:(-next)|\+(\d+))?:\s*(.+)$/.exec(l);
    if (!m) return;
    const line = i + (m[1] ? 1 : m[2] ? Number(m[2]) : 0);
    for (const code of m[3].split(',').map((s) => s.trim()).filter(Boolean)) out.push({ line, code });
  });
  return out.sort((a, b) => a.line - b.line || a.code.localeCompare(b.code));
}

export function positions(findings: readonly Finding[]): Array<{ line: number; code: string }> {
  return findings.map((f) => ({ line: f.range.start.line, code: f.code })).sort((a, b) => a.line - b.line || a.code.localeCompare(b.code));
}

/** Every object of a file as a rendered object whose source is its own document. */
export function envObjects(file: string, text = read(file), apps?: Array<[string, string]>, extra: Partial<ApplicationInfo> = {}): EnvironmentObject[] {
  const mf = parseManifests(text);
  const out: EnvironmentObject[] = [];
  let i = 0;
  for (const d of mf.documents) {
    if (!d.id) continue;
    const [id, deployer] = apps?.[i] ?? ['app', 'direct'];
    i++;
    out.push({ object: d.value as Record<string, unknown>, source: { file, range: d.range }, application: { id, deployer, ...extra } });
  }
  return out;
}

export interface RuleCase {
  rule: string;
  mode: 'file' | 'environment';
  environment?: { name: string; protected?: boolean; namespaces?: string[] };
  options?: Pick<PolicyOptions, 'externalNames'>;
  apps?: { bad: Array<[string, string]>; good: Array<[string, string]> };
  repo?: { root: string; gitRemotes?: string[] };
}

export function runCase(dir: string, c: RuleCase, which: 'bad' | 'good', text?: string, extra: PolicyOptions = {}): Finding[] {
  const file = join(dir, `${which}.yaml`);
  const t = text ?? read(file);
  const options: PolicyOptions = { ...c.options, ...extra };
  if (c.repo) options.repo = { root: join(dir, c.repo.root), gitRemotes: c.repo.gitRemotes };
  if (c.mode === 'environment') {
    return checkEnvironment(c.environment ?? { name: 'test' }, envObjects(file, t, c.apps?.[which]), { ...options, readFile: (f) => (f === file ? t : undefined) });
  }
  if (c.environment) options.environment = c.environment;
  return checkFile(file, t, options);
}

/** Applies the edits of a fix that all target `file`. */
export function applyFix(text: string, file: string, fix: NonNullable<Finding['fixes']>[number]): string {
  for (const e of fix.edits) if (e.file !== file) throw new Error(`fix edits another file: ${e.file}`);
  return applyEdits(text, fix.edits);
}
