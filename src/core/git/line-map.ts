// Line ranges between the editor and Git: the editor's lines are those of the working file (or of an
// unsaved buffer), while `git log -L` counts lines in HEAD's version. The hunks of a zero-context diff
// between the two say which working lines exist in HEAD, and where.
import type { SourceRange } from '../manifest/range';
import { GitRepoError } from './errors';

/** 1-based, inclusive: git's way of counting lines (`-L 3,7`). */
export interface LineRange {
  start: number;
  end: number;
}

export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
}

/** The `@@ -a,b +c,d @@` headers of a unified diff. */
export function parseHunks(diff: string): Hunk[] {
  const hunks: Hunk[] = [];
  for (const m of diff.matchAll(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/gm)) {
    hunks.push({
      oldStart: Number(m[1]),
      oldCount: m[2] === undefined ? 1 : Number(m[2]),
      newStart: Number(m[3]),
      newCount: m[4] === undefined ? 1 : Number(m[4]),
    });
  }
  return hunks;
}

/**
 * The old-side lines that the new-side range [start, end] corresponds to: unchanged lines map by
 * offset, a changed block inside the range brings in the old lines it replaced (or deleted).
 * Undefined when every line of the range is new.
 */
export function mapRangeToOld(hunks: readonly Hunk[], start: number, end: number): LineRange | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  const take = (a: number, b: number) => {
    if (b < a) return;
    lo = Math.min(lo, a);
    hi = Math.max(hi, b);
  };
  const sorted = [...hunks].sort((a, b) => a.newStart - b.newStart);
  for (let line = start; line <= end; line++) {
    let offset = 0;
    let changed = false;
    for (const h of sorted) {
      const newEnd = h.newStart + h.newCount - 1;
      if (h.newCount > 0 && line >= h.newStart && line <= newEnd) {
        changed = true;
        break;
      }
      // A pure deletion sits after new line `newStart`; a hunk ending before `line` shifts it.
      const before = h.newCount > 0 ? newEnd < line : h.newStart < line;
      if (!before) break;
      offset += h.oldCount - h.newCount;
    }
    if (!changed) take(line + offset, line + offset);
  }
  for (const h of sorted) {
    if (h.oldCount === 0) continue;
    const inside =
      h.newCount > 0
        ? h.newStart <= end && h.newStart + h.newCount - 1 >= start
        : h.newStart >= start && h.newStart < end; // deleted between two lines of the range
    if (inside) take(h.oldStart, h.oldStart + h.oldCount - 1);
  }
  return lo === Infinity ? undefined : { start: lo, end: hi };
}

/** The number of lines git counts in a text (a final newline does not start a line). */
export function countLines(text: string): number {
  if (text === '') return 0;
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/** Refuses a range that is not 1 ≤ start ≤ end ≤ lineCount. */
export function checkRange(start: number, end: number, lineCount: number, file: string): void {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 1 || end < start) {
    throw new GitRepoError('bad-input', `bad line range ${start}-${end} for ${file}: lines are counted from 1 and the end must not be before the start`);
  }
  if (end > lineCount) {
    throw new GitRepoError('bad-input', `line range ${start}-${end} is outside ${file} (${lineCount} lines)`);
  }
}

/** An editor range (0-based lines, end exclusive, as in RenderedDocument.range) as git's 1-based inclusive lines. */
export function linesOfRange(range: SourceRange): LineRange {
  const start = range.start.line + 1;
  // An end at column 0 of a later line stops before that line.
  const endLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
  return { start, end: Math.max(start, endLine) };
}
