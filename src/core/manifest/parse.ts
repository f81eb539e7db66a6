// Multi-document YAML with source ranges. One file → its documents, each with its range, its
// JavaScript value, its resource identity (when it is a Kubernetes object) and its errors.
// Never throws on bad input: binary data, over-size files, syntax errors and alias bombs become
// ManifestErrors with a range.
import { promises as fs } from 'node:fs';
import { Document, LineCounter, isMap, isSeq, isScalar, parseAllDocuments, type Node } from 'yaml';
import { resourceIdOf, type ResourceId } from './identity';
import { INPUT_LIMITS, screenBytes, screenText, tooLarge, type InputLimits, type InputRefusal } from './limits';
import { FILE_START, rangeAt, type SourceRange } from './range';

export { formatBytes } from './limits';
export const DEFAULT_MAX_FILE_BYTES: number = INPUT_LIMITS.maxFileBytes;
export const DEFAULT_MAX_ALIAS_COUNT: number = INPUT_LIMITS.maxAliasCount;

export type ManifestErrorCode =
  | 'yaml-syntax' // the YAML parser's own errors (code in `detail`)
  | 'yaml-warning'
  | 'alias' // unresolved alias, or more alias expansions than allowed
  | 'binary' // NUL bytes: not a text file
  | 'encoding' // not valid UTF-8
  | 'too-large'
  | 'too-many-documents'
  | 'too-deep'
  | 'read-failed';

export interface ManifestError {
  code: ManifestErrorCode;
  message: string;
  range: SourceRange;
  severity: 'error' | 'warning';
  /** The YAML library's code, e.g. `DUPLICATE_KEY`, `BAD_INDENT`. */
  detail?: string;
}

/** What a document holds: a Kubernetes object, another mapping, a list, a scalar, or nothing. */
export type DocumentShape = 'resource' | 'mapping' | 'list' | 'scalar' | 'empty';

export interface ManifestDocument {
  index: number;
  /** The whole document: from its `---` marker (or, for a first document without one, its value;
   *  leading comments are not included) to the start of the next one. */
  range: SourceRange;
  /** The document's value only (no marker, no leading comments); equals `range` when empty. */
  contentRange: SourceRange;
  /** Offsets of `range` in the text: [start, end). */
  offsets: [number, number];
  shape: DocumentShape;
  /** The plain JavaScript value; undefined when it could not be built (see errors). */
  value: unknown;
  id?: ResourceId;
  errors: ManifestError[];
  /** The YAML AST, for callers that need node-level ranges (see rangeOfPath). */
  yaml: Document.Parsed;
}

export interface ManifestFile {
  /** The text that was parsed (BOM removed). Empty when the file was not parsed. */
  text: string;
  documents: ManifestDocument[];
  /** Every error: the file's own (binary, too large…) followed by each document's. */
  errors: ManifestError[];
  lineCounter: LineCounter;
  /** Set when the file was not parsed because it is larger than the limit. */
  tooLarge?: boolean;
  /** Set when the file holds NUL bytes (or invalid UTF-8) and was not parsed. */
  binary?: boolean;
  /** Why the file was not parsed (see manifest/limits.ts), when it was not. */
  refusal?: InputRefusal;
  /** Size in bytes, when known. */
  bytes?: number;
}

/** The limits of manifest/limits.ts (INPUT_LIMITS), each of which a caller may change. */
export type ParseOptions = Partial<InputLimits>;

function fileError(code: ManifestErrorCode, message: string): ManifestError {
  return { code, message, range: FILE_START, severity: 'error' };
}

function unparsed(errors: ManifestError[], extra: Partial<ManifestFile>): ManifestFile {
  return { text: '', documents: [], errors, lineCounter: new LineCounter(), ...extra };
}

function shapeOf(doc: Document.Parsed, value: unknown): DocumentShape {
  const c = doc.contents;
  if (c === null || (isScalar(c) && c.value === null && value === null)) return 'empty';
  if (isSeq(c)) return 'list';
  if (isMap(c)) return resourceIdOf(value) ? 'resource' : 'mapping';
  return 'scalar';
}

function refused(refusal: InputRefusal, bytes: number | undefined): ManifestFile {
  const error: ManifestError = { code: refusal.code, message: refusal.message, range: refusal.range, severity: 'error' };
  const extra: Partial<ManifestFile> = { refusal, bytes: refusal.bytes ?? bytes };
  if (refusal.code === 'too-large') extra.tooLarge = true;
  if (refusal.code === 'binary' || refusal.code === 'encoding') extra.binary = true;
  return unparsed([error], extra);
}

/** The message of an alias bomb, with the limit that stopped it. */
export function aliasMessage(e: unknown, maxAliasCount: number): string {
  const message = e instanceof Error ? e.message : String(e);
  return /excessive alias count/i.test(message) ? `alias expansion exceeds ${maxAliasCount} aliases (a "billion laughs" document); not checked` : message;
}

/**
 * Parses YAML text (a string, or raw bytes). The input is screened first (manifest/limits.ts:
 * size, NUL bytes, UTF-8, number of documents, nesting depth); a refused input has no documents
 * and one error that names the limit.
 */
export function parseManifests(input: string | Uint8Array, opts: ParseOptions = {}): ManifestFile {
  let text: string;
  if (typeof input === 'string') {
    const refusal = screenText(input, opts);
    if (refusal) return refused(refusal, undefined);
    text = input;
  } else {
    const screened = screenBytes(input, opts);
    if (screened.refusal) return refused(screened.refusal, input.byteLength);
    text = screened.text;
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, keepSourceTokens: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const maxAliasCount = opts.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT;
  const documents: ManifestDocument[] = [];
  docs.forEach((doc, index) => {
    const errors: ManifestError[] = [];
    for (const e of doc.errors) {
      errors.push({ code: 'yaml-syntax', message: e.message, range: rangeAt(lineCounter, e.pos[0], e.pos[1]), severity: 'error', detail: e.code });
    }
    for (const w of doc.warnings) {
      errors.push({ code: 'yaml-warning', message: w.message, range: rangeAt(lineCounter, w.pos[0], w.pos[1]), severity: 'warning', detail: w.code });
    }
    const [start, , end] = doc.range;
    const range = rangeAt(lineCounter, start, end);
    const contentRange = doc.contents?.range ? rangeAt(lineCounter, doc.contents.range[0], doc.contents.range[1]) : range;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount });
    } catch (e) {
      const message = aliasMessage(e, maxAliasCount);
      errors.push({ code: /call stack/i.test(message) ? 'too-deep' : 'alias', message, range: contentRange, severity: 'error' });
      value = undefined;
    }
    const shape = shapeOf(doc, value);
    const md: ManifestDocument = { index, range, contentRange, offsets: [start, end], shape, value, errors, yaml: doc };
    if (shape === 'resource') md.id = resourceIdOf(value);
    documents.push(md);
  });
  const errors = documents.flatMap((d) => d.errors);
  return { text, documents, errors, lineCounter, bytes: typeof input === 'string' ? undefined : input.byteLength };
}

/**
 * Reads and parses a file. The size is checked with stat() before reading, so a huge file costs
 * nothing; a file that cannot be read gives a `read-failed` error rather than a rejection.
 */
export async function readManifestFile(file: string, opts: ParseOptions = {}): Promise<ManifestFile> {
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return unparsed([fileError('read-failed', 'not a regular file')], {});
    if (st.size > maxBytes) return refused(tooLarge(st.size, maxBytes), st.size);
    const buf = await fs.readFile(file);
    return parseManifests(buf, opts);
  } catch (e) {
    return unparsed([fileError('read-failed', `cannot read file: ${(e as Error).message}`)], {});
  }
}

/**
 * The range of the node at `path` (keys and sequence indexes) inside a document, e.g.
 * `['spec', 'template', 'spec', 'containers', 0, 'image']`. With `key: true`, the range of the
 * map key instead of its value (useful to underline an unknown field). Undefined when absent.
 */
export function rangeOfPath(
  file: Pick<ManifestFile, 'lineCounter'>,
  doc: Pick<ManifestDocument, 'yaml'>,
  path: ReadonlyArray<string | number>,
  opts: { key?: boolean } = {},
): SourceRange | undefined {
  let node: unknown = doc.yaml.contents;
  let keyNode: unknown;
  for (const seg of path) {
    keyNode = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) return undefined;
      keyNode = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else {
      return undefined;
    }
  }
  const target = (opts.key && keyNode ? keyNode : node) as Node | null | undefined;
  if (!target || !target.range) {
    // A key with an empty value: point at the key.
    const k = keyNode as Node | undefined;
    return k?.range ? rangeAt(file.lineCounter, k.range[0], k.range[1]) : undefined;
  }
  return rangeAt(file.lineCounter, target.range[0], target.range[1]);
}

/** The document that contains a 0-based line, if any. */
export function documentAtLine(file: ManifestFile, line: number): ManifestDocument | undefined {
  return file.documents.find(
    (d) => line >= d.range.start.line && (line < d.range.end.line || (line === d.range.end.line && d.range.end.character > 0)),
  );
}
