// Source positions as the Language Server Protocol counts them: 0-based lines, 0-based
// characters in UTF-16 code units (the unit of JavaScript strings), end exclusive.
import type { LineCounter } from 'yaml';

export interface SourcePosition {
  line: number;
  character: number;
}

export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

/** The file (absolute path) and the range inside it. */
export interface SourceLocation {
  file: string;
  range: SourceRange;
}

/** The range that covers the first line of a file; used when only the file is known. */
export const FILE_START: SourceRange = Object.freeze({
  start: Object.freeze({ line: 0, character: 0 }),
  end: Object.freeze({ line: 0, character: 0 }),
}) as SourceRange;

export function positionAt(lineCounter: LineCounter, offset: number): SourcePosition {
  const p = lineCounter.linePos(Math.max(0, offset));
  return { line: p.line - 1, character: p.col - 1 };
}

export function rangeAt(lineCounter: LineCounter, start: number, end: number): SourceRange {
  return { start: positionAt(lineCounter, start), end: positionAt(lineCounter, Math.max(start, end)) };
}

export function containsPosition(range: SourceRange, pos: SourcePosition): boolean {
  const afterStart =
    pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}
