// Shared by the schema tests: fixture paths and compact views of findings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../../src/core/findings';
import { SchemaValidator, type SchemaValidatorOptions } from '../../../src/core/schema';

export const repoRoot = join(__dirname, '..', '..', '..');
export const fixtures = join(repoRoot, 'test', 'fixtures', 'schema');

export function fixture(...parts: string[]): { path: string; text: string } {
  const path = join(fixtures, ...parts);
  return { path, text: readFileSync(path, 'utf8') };
}

/** `code l:c-l:c` (0-based, end exclusive), in the order the engine reports them. */
export function brief(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.code} ${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}`);
}

export function validate(parts: string[], opts: SchemaValidatorOptions = {}): Finding[] {
  const { path, text } = fixture(...parts);
  return new SchemaValidator(opts).validateFile(path, text);
}

/** The text a finding's range covers. */
export function covered(text: string, f: Finding): string {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (f.range.start.line !== f.range.end.line) return '';
  return lines[f.range.start.line].slice(f.range.start.character, f.range.end.character);
}
