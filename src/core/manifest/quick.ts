// A fast path for reading many YAML files when values matter and node-level ranges do not:
// documents are split at `---` lines and loaded with js-yaml (≈10× faster than building the
// `yaml` AST). Anything unusual — anchors/aliases, directives, a document js-yaml rejects —
// answers `undefined`, and the caller uses parseManifests (which reports errors with ranges).
import { load, CORE_SCHEMA } from 'js-yaml';
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

const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])[&*][^\s,\]}]/;
const DIRECTIVE = /^%/m;

export function quickParse(text: string): QuickDocument[] | undefined {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (ANCHOR_OR_ALIAS.test(text) || DIRECTIVE.test(text) || text.includes('\u0000')) return undefined;
  if (!text.startsWith('---') && !text.includes('\n---') && !text.includes('\n...')) return single(text);
  const lines = text.split('\n');
  const docs: QuickDocument[] = [];
  let start = 0; // first line of the current document
  let hasMarker = false;
  const flush = (endLine: number, endChar: number) => {
    const chunk = lines.slice(start, endLine).join('\n');
    let value: unknown;
    try {
      value = load(chunk, { schema: CORE_SCHEMA });
    } catch {
      return false;
    }
    let first = start;
    if (!hasMarker) {
      while (first < endLine && /^\s*(#.*)?\r?$/.test(lines[first])) first++;
      if (first === endLine) first = start;
    }
    const shape: DocumentShape =
      value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'list' : typeof value === 'object' ? (resourceIdOf(value) ? 'resource' : 'mapping') : 'scalar';
    // Comments (or nothing) before the first `---` are no document, as parseAllDocuments says.
    if (shape === 'empty' && !hasMarker && !/\S/.test(chunk.replace(/#.*$/gm, ''))) return true;
    const d: QuickDocument = {
      index: docs.length,
      value: value ?? null,
      range: { start: { line: first, character: 0 }, end: { line: endLine, character: endChar } },
      shape,
    };
    if (shape === 'resource') d.id = resourceIdOf(value);
    docs.push(d);
    return true;
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('---') && (l.length === 3 || /\s/.test(l[3]))) {
      if (i > start || hasMarker) {
        if (!flush(i, 0)) return undefined;
      }
      start = i;
      hasMarker = true;
      if (/^---\s*\S/.test(l) && !/^---\s*#/.test(l)) {
        // content on the marker line (`--- |`, `--- {a: 1}`): leave it to the full parser
        return undefined;
      }
    } else if (l.startsWith('...') && /^\.\.\.\s*$/.test(l)) {
      return undefined;
    }
  }
  const last = lines.length - 1;
  if (start <= last && (lines.slice(start).some((l) => /\S/.test(l)) || hasMarker)) {
    if (!flush(lines.length, 0)) return undefined;
    const d = docs[docs.length - 1];
    if (d && d.range.end.line === lines.length) d.range.end = { line: last, character: lines[last].length };
  }
  return docs;
}

/** A text without document markers: one document (or none, when it is only comments). */
function single(text: string): QuickDocument[] | undefined {
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
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
  const shape: DocumentShape =
    value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'list' : typeof value === 'object' ? (resourceIdOf(value) ? 'resource' : 'mapping') : 'scalar';
  const d: QuickDocument = {
    index: 0,
    value: value ?? null,
    range: { start: { line: first, character: 0 }, end: { line: lastLine, character: text.length - lastStart } },
    shape,
  };
  if (shape === 'resource') d.id = resourceIdOf(value);
  return [d];
}
