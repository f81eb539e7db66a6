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
