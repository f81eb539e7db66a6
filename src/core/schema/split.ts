// Splits a multi-document YAML text into one chunk per document at `---` lines, so that each
// document can be parsed, validated and cached on its own (an edit re-validates one document).
import { createHash } from 'node:crypto';

export interface DocumentChunk {
  /** 0-based line of the chunk's first line (its `---` marker, or line 0 for the first document). */
  startLine: number;
  /** Offset of the chunk in the text. */
  offset: number;
  text: string;
}

const MARKER = /^---(?=[ \t\r\n]|$)/gm;
const DIRECTIVE_OR_END = /^(?:%|\.\.\.(?=[ \t\r\n]|$))/m;

/**
 * The chunks of a text, or undefined when it uses directives (`%YAML`) or document-end markers
 * (`...`): such texts are parsed whole (rare; correct, not incremental).
 */
export function splitDocuments(text: string): DocumentChunk[] | undefined {
  if (DIRECTIVE_OR_END.test(text)) return undefined;
  const starts: number[] = [0];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text)) if (m.index > 0) starts.push(m.index);
  const chunks: DocumentChunk[] = [];
  let line = 0;
  let lineAt = 0; // offset whose line is `line`
  for (let i = 0; i < starts.length; i++) {
    const off = starts[i];
    for (let p = text.indexOf('\n', lineAt); p >= 0 && p < off; p = text.indexOf('\n', p + 1)) line++;
    lineAt = off;
    chunks.push({ startLine: line, offset: off, text: text.slice(off, i + 1 < starts.length ? starts[i + 1] : text.length) });
  }
  return chunks;
}

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('base64');
}

/**
 * Offset of the first flow collection (`[`, `{`, outside quotes) nested deeper than `limit`, or -1:
 * a guard against stack overflows in the parsers.
 */
export function tooDeepAt(text: string, limit: number): number {
  // Cheap bound first: fewer openers than the limit cannot nest deeper than it.
  let openers = 0;
  for (let i = text.indexOf('['); i >= 0 && openers <= limit; i = text.indexOf('[', i + 1)) openers++;
  for (let i = text.indexOf('{'); i >= 0 && openers <= limit; i = text.indexOf('{', i + 1)) openers++;
  if (openers <= limit) return -1;
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (quote === '"' && c === 92 /* \ */) i++;
      else if (c === quote.charCodeAt(0) || c === 10) quote = '';
      continue;
    }
    if (c === 91 || c === 123) {
      if (++depth > limit) return i;
    } else if (c === 93 || c === 125) depth = Math.max(0, depth - 1);
    else if (c === 35 /* # */ && (i === 0 || /\s/.test(text[i - 1]))) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if ((c === 34 || c === 39) && (i === 0 || /[\s,[{:]/.test(text[i - 1]))) quote = text[i];
  }
  return -1;
}
