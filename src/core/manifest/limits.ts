// The limits on what Reconcile reads as YAML, applied in one place before any parser sees a file:
// the CLI (`check`, `envs`, `render`), the language server and the editor's discovery all screen
// their input here. A file past a limit is not parsed; it gets one specific finding that says
// which limit and where (`file is 50.0 MB; files over 16 MB are not checked`, `invalid UTF-8 at
// byte offset 17`, `nesting deeper than 512 levels at line 3`…). The screen is linear in the size
// of the file and allocates nothing per line, so hostile input costs no more than reading it.
import * as fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { SourcePosition, SourceRange } from './range';

export const INPUT_LIMITS = {
  /**
   * Larger files are not parsed. Real repositories commit CRD bundles of several MB (a whole
   * operator's CRDs in one file), which must still be read: 16 MB checks in ≈8 s and ≈350 MB.
   */
  maxFileBytes: 16 * 1024 * 1024,
  /** More YAML documents in one file are not parsed. */
  maxDocuments: 10_000,
  /** Deeper nesting of collections (block or flow) is not parsed: the parsers recurse per level. */
  maxDepth: 512,
  /** Alias expansions allowed when a document's value is built (billion-laughs guard). */
  maxAliasCount: 100,
} as const;

export type InputLimits = { -readonly [K in keyof typeof INPUT_LIMITS]: number };

export type RefusalCode = 'too-large' | 'binary' | 'encoding' | 'too-many-documents' | 'too-deep';

/** Why a file is not parsed: one of the limits, with where it was hit. */
export interface InputRefusal {
  code: RefusalCode;
  message: string;
  range: SourceRange;
  severity: 'error' | 'warning';
  /** Size in bytes, when known. */
  bytes?: number;
}

export type ScreenedInput = { text: string; refusal?: undefined; bytes: number } | { text?: undefined; refusal: InputRefusal; bytes?: number };

const START: SourceRange = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KB`;
  return `${n} bytes`;
}

/** 100000 → "100,000" (without Intl, which costs more to load than the screen takes). */
export function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function limitsOf(opts: Partial<InputLimits>): InputLimits {
  return { ...INPUT_LIMITS, ...opts };
}

export function tooLarge(bytes: number, max: number): InputRefusal {
  return { code: 'too-large', severity: 'warning', bytes, range: START, message: `file is ${formatBytes(bytes)}; files over ${formatBytes(max)} are not checked` };
}

const BINARY = 'file contains NUL bytes: binary data, not YAML; not checked';

/**
 * Screens raw bytes: size, NUL bytes, UTF-8 (with the offset of the first bad byte), then the text
 * limits (documents, nesting). A BOM is removed from the text.
 */
export function screenBytes(buf: Uint8Array, opts: Partial<InputLimits> = {}): ScreenedInput {
  const limits = limitsOf(opts);
  const bytes = buf.byteLength;
  if (bytes > limits.maxFileBytes) return { refusal: tooLarge(bytes, limits.maxFileBytes), bytes };
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const nul = b.indexOf(0);
  if (nul >= 0) return { refusal: { code: 'binary', severity: 'warning', bytes, range: byteRange(b, nul), message: `${BINARY} (first at byte offset ${nul})` }, bytes };
  if (!isUtf8(b)) {
    const at = invalidUtf8At(b);
    const range = byteRange(b, at);
    return {
      refusal: { code: 'encoding', severity: 'error', bytes, range, message: `invalid UTF-8 at byte offset ${at} (line ${range.start.line + 1}): not UTF-8 text; not checked` },
      bytes,
    };
  }
  let text = b.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const refusal = screenText(text, { ...limits, maxFileBytes: Number.MAX_SAFE_INTEGER });
  return refusal ? { refusal: { ...refusal, bytes }, bytes } : { text, bytes };
}

/** Screens text (already decoded, e.g. an editor's buffer): size, NUL bytes, documents, nesting. */
export function screenText(text: string, opts: Partial<InputLimits> = {}): InputRefusal | undefined {
  const limits = limitsOf(opts);
  if (text.length * 3 > limits.maxFileBytes) {
    const bytes = text.length > limits.maxFileBytes ? text.length : Buffer.byteLength(text);
    if (bytes > limits.maxFileBytes) return tooLarge(bytes, limits.maxFileBytes);
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) return { code: 'binary', severity: 'warning', range: textRange(text, nul), message: BINARY };
  const docs = documentLimitAt(text, limits.maxDocuments);
  if (docs >= 0) {
    return {
      code: 'too-many-documents',
      severity: 'warning',
      range: textRange(text, docs),
      message: `file holds more than ${thousands(limits.maxDocuments)} YAML documents; files with more are not checked`,
    };
  }
  const deep = nestingLimitAt(text, limits.maxDepth);
  if (deep >= 0) {
    const range = textRange(text, deep);
    return { code: 'too-deep', severity: 'error', range, message: `nesting deeper than ${limits.maxDepth} levels at line ${range.start.line + 1}; not checked` };
  }
  return undefined;
}

/**
 * Reads and screens a file: the size is checked with fstat before reading, so a 50 MB file costs
 * one system call. Undefined `text` and a refusal, or a read error message.
 */
export function readInputFile(file: string, opts: Partial<InputLimits> = {}): ScreenedInput | { text?: undefined; refusal?: undefined; error: string } {
  const max = opts.maxFileBytes ?? INPUT_LIMITS.maxFileBytes;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { error: 'not a regular file' };
    if (st.size > max) return { refusal: tooLarge(st.size, max), bytes: st.size };
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const n = fs.readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    // A file that grew while read is screened for what it holds now.
    return screenBytes(buf.subarray(0, off), opts);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.code === 'EISDIR' ? 'not a regular file' : err.message };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Screens an editor's buffer: screenText, and, when the buffer holds U+FFFD replacement characters
 * and comes from a file, the file's bytes on disk: an editor shows invalid UTF-8 as U+FFFD, so
 * the file is read to tell a real U+FFFD from bytes that are not UTF-8 (reported with their offset).
 */
export function screenOpenDocument(text: string, file: string | undefined, opts: Partial<InputLimits> = {}): InputRefusal | undefined {
  const refusal = screenText(text, opts);
  if (refusal || !file || !text.includes('\uFFFD')) return refusal;
  const onDisk = readInputFile(file, opts);
  return onDisk.refusal?.code === 'encoding' ? onDisk.refusal : undefined;
}

/** Offset of the first document marker past `max` documents, or -1. */
export function documentLimitAt(text: string, max: number): number {
  // Cheap bound: each document after the first starts at a `---` line.
  let count = text.startsWith('---') ? 0 : 1;
  for (let i = text.startsWith('---') ? 0 : text.indexOf('\n---'); i >= 0; i = text.indexOf('\n---', i + 1)) {
    const at = text.charCodeAt(i) === 10 ? i + 1 : i;
    const next = text.charCodeAt(at + 3);
    if (!(Number.isNaN(next) || next === 32 || next === 9 || next === 10 || next === 13)) continue;
    if (++count > max) return at;
  }
  return -1;
}

/**
 * Offset of the first line (or bracket) whose collection nesting may exceed `max`, or -1. An upper
 * bound of the parsers' depth: a line opens at most two block levels below its parent (the nearest
 * line above it that is indented less: a mapping, and a sequence at the mapping's own indentation)
 * plus one per compact `- ` or `? ` entry at its start; flow levels are counted by their brackets
 * (outside quotes and comments). Block scalars and multi-line quoted scalars can only over-count.
 */
export function nestingLimitAt(text: string, max: number): number {
  const n = text.length;
  /** The open block lines: indentation, level, the level of their parent, whether they start with `- `. */
  const stack: Array<{ indent: number; level: number; base: number; dash: boolean }> = [];
  let flow = 0;
  let quote = 0;
  for (let lineStart = 0; lineStart < n; ) {
    let end = text.indexOf('\n', lineStart);
    if (end < 0) end = n;
    let i = lineStart;
    let level = stack.length ? stack[stack.length - 1].level : 0;
    if (flow === 0 && quote === 0) {
      while (i < end && text.charCodeAt(i) === 32) i++;
      const c = text.charCodeAt(i);
      const blank = i >= end || c === 35 /* # */ || c === 13;
      if (!blank) {
        const indent = i - lineStart;
        while (stack.length && stack[stack.length - 1].indent > indent) stack.pop();
        const same = stack.length && stack[stack.length - 1].indent === indent ? stack.pop() : undefined;
        // compact entries on one line: `- - - x`, `? - a`
        let compact = 0;
        while (i < end) {
          const d = text.charCodeAt(i);
          const after = text.charCodeAt(i + 1);
          if ((d === 45 /* - */ || d === 63 /* ? */) && (i + 1 >= end || after === 32 || after === 9 || after === 13)) {
            compact++;
            i += 2;
            while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
          } else break;
        }
        const dash = compact > 0;
        let base = stack.length ? stack[stack.length - 1].level : 0;
        // A sequence may sit at its key's own indentation (`key:` then `- item`).
        if (dash && same) base = same.dash ? same.base : same.level;
        level = base + compact + 1;
        stack.push({ indent, level, base, dash });
        if (level > max) return i >= end ? lineStart : i;
      }
    }
    // flow brackets (and the quotes that hide them) on the rest of the line
    for (; i < end; i++) {
      const c = text.charCodeAt(i);
      if (quote) {
        if (quote === 34 && c === 92 /* \ */) i++;
        else if (c === quote) quote = 0;
        continue;
      }
      if (c === 91 || c === 123) {
        if (++flow + level > max) return i;
      } else if (c === 93 || c === 125) {
        if (flow > 0) flow--;
      } else if (c === 35 /* # */ && (i === lineStart || text.charCodeAt(i - 1) === 32 || text.charCodeAt(i - 1) === 9)) {
        break;
      } else if ((c === 34 || c === 39) && flowQuoteStarts(text, i, lineStart)) {
        quote = c;
      }
    }
    // Outside flow collections a quote is not followed over a line end: a stray quote in a plain
    // scalar must not hide the lines below it from the count (over-counting is safe).
    if (flow === 0) quote = 0;
    lineStart = end + 1;
  }
  return -1;
}

function flowQuoteStarts(text: string, i: number, lineStart: number): boolean {
  if (i === lineStart) return true;
  const p = text.charCodeAt(i - 1);
  return p === 32 || p === 9 || p === 44 /* , */ || p === 91 || p === 123 || p === 58 /* : */ || p === 45 /* - */;
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence (as the WHATWG decoder sees it). */
export function invalidUtf8At(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** The position of a byte offset: its line, and its column counted in bytes of that line. */
function byteRange(b: Buffer, offset: number): SourceRange {
  let line = 0;
  let lineStart = 0;
  for (let p = b.indexOf(10); p >= 0 && p < offset; p = b.indexOf(10, p + 1)) {
    line++;
    lineStart = p + 1;
  }
  // The text before the bad byte on its line is valid UTF-8: its length in UTF-16 code units.
  const character = b.subarray(lineStart, Math.max(lineStart, offset)).toString('utf8').length;
  const pos: SourcePosition = { line, character };
  return { start: pos, end: { line, character: character + 1 } };
}

function textRange(text: string, offset: number): SourceRange {
  let line = 0;
  let lineStart = 0;
  for (let p = text.indexOf('\n'); p >= 0 && p < offset; p = text.indexOf('\n', p + 1)) {
    line++;
    lineStart = p + 1;
  }
  return { start: { line, character: offset - lineStart }, end: { line, character: offset - lineStart + 1 } };
}
