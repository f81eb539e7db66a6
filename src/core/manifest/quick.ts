// A fast path for reading many YAML files when values matter and node-level ranges do not:
// documents are split at `---` lines and loaded with js-yaml (≈10× faster than building the
// `yaml` AST). Anything unusual — anchors/aliases, directives, a document js-yaml rejects —
// answers `undefined`, and the caller uses parseManifests (which reports errors with ranges and
// bounds alias expansion). Text that only looks like an anchor or alias (`"0 3 * * *"`, `# *note*`)
// is loaded and checked for anchors, so it does not send a whole big file to the slow parser.
// Optionally booleans are read as kubectl reads them (YAML 1.1), and documents whose text did
// not change since an earlier parse of the file are taken from it instead of parsed again.
import { load, CORE_SCHEMA, type Schema } from 'js-yaml';
import { KUBECTL_SCHEMA } from '../schema/yaml11';
import { resourceIdOf, type ResourceId } from './identity';
import type { SourceRange } from './range';
import type { DocumentShape } from './parse';

export interface QuickDocument {
  index: number;
  value: unknown;
  /** From the `---` line (or the first content line) to the start of the next document. */
  range: SourceRange;
  shape: DocumentShape;
  id?: ResourceId;
}

/** A document's text loaded: what an earlier parse can hand to the next one. */
export interface LoadedDocument {
  value: unknown;
  shape: DocumentShape;
  id?: ResourceId;
}

/** Documents of a file loaded by an earlier quickParse, by their exact text (`---` line included). */
export type DocumentMemo = ReadonlyMap<string, LoadedDocument>;

export interface QuickParseOptions {
  /**
   * Read booleans as kubectl does (sigs.k8s.io/yaml, YAML 1.1): plain `on`, `yes`, `y`, `off`, `no`,
   * `n`… are booleans. Default: js-yaml's core schema (YAML 1.2), where they are strings.
   */
  kubectl?: boolean;
  /**
   * Documents of an earlier parse (same `kubectl` setting): a document with the same text gets the
   * same value (the same object: callers must not modify values) without being parsed again.
   */
  reuse?: DocumentMemo;
  /** Filled with this parse's documents and their texts, to make the next parse's `reuse` (when there is one). */
  record?: Array<[string, LoadedDocument]>;
}

/** Text that may hold an anchor or alias (an over-approximation: also quoted text, comments…). */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,\]}]/;
const DIRECTIVE = /^%/m;
const NON_SPACE = /\S/g;
/** A document that uses anchors (and maybe aliases): left to the full parser. */
const ANCHORED = Symbol('anchored');

/**
 * One document's value with js-yaml, or ANCHORED, or undefined when js-yaml rejects it. A text that
 * may hold anchors is loaded with a listener that looks at the loader's anchors (an alias needs an
 * anchor of its document); when they cannot be seen, it counts as anchored.
 */
function loadDocument(text: string, schema: Schema): { value: unknown } | typeof ANCHORED | undefined {
  try {
    if (!ANCHOR_OR_ALIAS.test(text)) return { value: load(text, { schema }) };
    let state: unknown;
    const value = load(text, { schema, listener: (_event, s) => void (state = s) });
    const anchors = (state as { anchorMap?: object } | undefined)?.anchorMap;
    if (state !== undefined && (anchors === undefined || Object.keys(anchors).length > 0)) return ANCHORED;
    return { value };
  } catch {
    return undefined;
  }
}

/**
 * A copy of `s` that shares no memory with the string it was sliced from (V8 keeps the whole
 * original alive for a slice, and for every string the parser slices from it). Code units are
 * copied as they are (lone surrogates too).
 */
export function ownCopy(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

function shapeOf(value: unknown): DocumentShape {
  return value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'list' : typeof value === 'object' ? (resourceIdOf(value) ? 'resource' : 'mapping') : 'scalar';
}

export function quickParse(text: string, opts: QuickParseOptions = {}): QuickDocument[] | undefined {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (DIRECTIVE.test(text) || text.includes('\u0000')) return undefined;
  const schema: Schema = opts.kubectl ? KUBECTL_SCHEMA : CORE_SCHEMA;
  if (!text.startsWith('---') && !text.includes('\n---') && !text.includes('\n...')) return single(text, schema);
  const { reuse, record } = opts;
  /** The chunk's value, shape and id: from the earlier parse when it read the same text. */
  const loadChunk = (chunk: string, end?: number): LoadedDocument | undefined => {
    let d = reuse?.get(chunk);
    if (!d) {
      // The last document runs to the end of the text, so js-yaml would slice its values out of the
      // whole text (it copies the others, appending a line break): reused values would keep an old
      // version of the file alive. It is loaded from a copy.
      const loaded = loadDocument(end === undefined ? ownCopy(chunk) : chunk, schema);
      if (!loaded || loaded === ANCHORED) return undefined;
      const value = loaded.value;
      const shape = shapeOf(value);
      d = { value: value ?? null, shape };
      if (shape === 'resource') d.id = resourceIdOf(value);
    }
    record?.push([chunk, d]);
    return d;
  };
  // Walks the lines that start with `---` or `...` (found with indexOf, not by splitting the text),
  // counting lines on the way; each document's text is sliced from the text.
  const n = text.length;
  const docs: QuickDocument[] = [];
  let start = 0; // offset of the current document's first line
  let startLine = 0;
  let hasMarker = false;
  let line = 0; // the line of offset `lineAt`
  let lineAt = 0;
  const lineOf = (offset: number) => {
    for (let p = text.indexOf('\n', lineAt); p >= 0 && p < offset; p = text.indexOf('\n', p + 1)) line++;
    lineAt = offset;
    return line;
  };
  /** The document from `start` to the line at `end` (a marker's offset, or the text's end). */
  const flush = (end: number, endLine: number) => {
    const chunk = end < n ? text.slice(start, end - 1) : text.slice(start);
    const loaded = loadChunk(chunk, end < n ? end : undefined);
    if (!loaded) return false;
    let first = startLine;
    if (!hasMarker) {
      for (let off = start; first < endLine; first++) {
        const nl = text.indexOf('\n', off);
        if (!/^\s*(#.*)?\r?$/.test(text.slice(off, nl < 0 ? n : nl))) break;
        off = nl + 1;
      }
      if (first === endLine) first = startLine;
    }
    const { value, shape } = loaded;
    // Comments (or nothing) before the first `---` are no document, as parseAllDocuments says.
    if (shape === 'empty' && !hasMarker && !/\S/.test(chunk.replace(/#.*$/gm, ''))) return true;
    const d: QuickDocument = {
      index: docs.length,
      value,
      range: { start: { line: first, character: 0 }, end: { line: endLine, character: 0 } },
      shape,
    };
    if (loaded.id) d.id = loaded.id;
    docs.push(d);
    return true;
  };
  const next = (marker: string, from: number) => {
    const i = text.indexOf(`\n${marker}`, from);
    return i < 0 ? -1 : i + 1;
  };
  let dashes = text.startsWith('---') ? 0 : next('---', 0);
  let dots = text.startsWith('...') ? 0 : next('...', 0);
  while (dashes >= 0 || dots >= 0) {
    const isMarker = dots < 0 || (dashes >= 0 && dashes < dots);
    const at = isMarker ? dashes : dots;
    if (isMarker) dashes = next('---', at);
    else dots = next('...', at);
    const nl = text.indexOf('\n', at);
    const l = text.slice(at, nl < 0 ? n : nl);
    if (isMarker) {
      if (l.length !== 3 && !/\s/.test(l[3])) continue;
      const i = lineOf(at);
      if (i > startLine || hasMarker) {
        if (!flush(at, i)) return undefined;
      }
      start = at;
      startLine = i;
      hasMarker = true;
      if (/^---\s*\S/.test(l) && !/^---\s*#/.test(l)) {
        // content on the marker line (`--- |`, `--- {a: 1}`): leave it to the full parser
        return undefined;
      }
    } else if (/^\.\.\.\s*$/.test(l)) {
      return undefined;
    }
  }
  NON_SPACE.lastIndex = start;
  if (NON_SPACE.test(text) || hasMarker) {
    const last = lineOf(n);
    if (!flush(n, last + 1)) return undefined;
    const d = docs[docs.length - 1];
    if (d && d.range.end.line === last + 1) d.range.end = { line: last, character: n - (text.lastIndexOf('\n') + 1) };
  }
  return docs;
}

/** A text without document markers: one document (or none, when it is only comments). */
function single(text: string, schema: Schema): QuickDocument[] | undefined {
  const loaded = loadDocument(text, schema);
  if (!loaded || loaded === ANCHORED) return undefined;
  const value = loaded.value;
  if (value === null || value === undefined) {
    if (!/\S/.test(text.replace(/#.*$/gm, ''))) return [];
  }
  let first = 0;
  let offset = 0;
  // Leading blank and comment lines are not part of the document.
  for (;;) {
    const nl = text.indexOf('\n', offset);
    const line = text.slice(offset, nl < 0 ? text.length : nl);
    if (nl < 0 || !/^\s*(#.*)?\r?$/.test(line)) break;
    first++;
    offset = nl + 1;
  }
  let lastLine = 0;
  let lastStart = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    lastLine++;
    lastStart = i + 1;
  }
  const shape = shapeOf(value);
  const d: QuickDocument = {
    index: 0,
    value: value ?? null,
    range: { start: { line: first, character: 0 }, end: { line: lastLine, character: text.length - lastStart } },
    shape,
  };
  if (shape === 'resource') d.id = resourceIdOf(value);
  return [d];
}
