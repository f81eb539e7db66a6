// Text edits on YAML documents that keep the rest of the file as it is (comments, order, style):
// set or add keys in block mappings, creating the missing parent mappings. Anything unusual
// (flow collections with content, aliases, a parent that is not a mapping) gives no edit, so a
// quick fix is offered only where it is certain.
import { isMap, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { TextEdit } from '../findings';
import type { ManifestDocument, ManifestFile } from '../manifest/parse';
import { rangeAt } from '../manifest/range';
import type { Path } from './workload';

/** The document an edit applies to. */
export interface EditTarget {
  file: string;
  mf: Pick<ManifestFile, 'text' | 'lineCounter'>;
  doc: Pick<ManifestDocument, 'yaml' | 'contentRange' | 'offsets'>;
  /** When `mf` holds only this document, parsed from the line where it starts in the file. */
  lineOffset?: number;
}

export interface FieldValue {
  key: string;
  /** A scalar in YAML syntax (`false`, `"a: b"`), or the lines of a block value (indented relative to the key). */
  value: string | string[];
  /** Replace an existing scalar value (default true). */
  replace?: boolean;
}

function keyOf(p: Pair): string {
  return isScalar(p.key) ? String(p.key.value) : String(p.key);
}

function column(t: EditTarget, offset: number): number {
  return t.mf.lineCounter.linePos(offset).col - 1;
}

function shifted(t: EditTarget, start: number, end: number): TextEdit['range'] {
  const r = rangeAt(t.mf.lineCounter, start, end);
  const n = t.lineOffset ?? 0;
  return n ? { start: { line: r.start.line + n, character: r.start.character }, end: { line: r.end.line + n, character: r.end.character } } : r;
}

function insertEdit(t: EditTarget, offset: number, newText: string): TextEdit {
  return { file: t.file, range: shifted(t, offset, offset), newText };
}

function replaceEdit(t: EditTarget, start: number, end: number, newText: string): TextEdit {
  return { file: t.file, range: shifted(t, start, end), newText };
}

function render(key: string, value: string | string[], indent: string): string[] {
  if (typeof value === 'string') return [`${indent}${key}: ${value}`];
  return [`${indent}${key}:`, ...value.map((l) => `${indent}  ${l}`)];
}

/** Lines inserted after the node that ends at `end` (its value end), at `indent`. */
function insertAfter(t: EditTarget, end: number, lines: string[]): TextEdit {
  const text = t.mf.text;
  if (end > 0 && text[end - 1] === '\n') return insertEdit(t, end, lines.map((l) => `${l}\n`).join(''));
  let e = text.indexOf('\n', end);
  if (e < 0) e = text.length;
  if (e > 0 && text[e - 1] === '\r') e--;
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  return insertEdit(t, e, lines.map((l) => `${nl}${l}`).join(''));
}

function endOfPair(p: Pair): number | undefined {
  const v = p.value as Node | null;
  if (v && v.range) return v.range[1];
  const k = p.key as Node | null;
  return k?.range ? k.range[1] : undefined;
}

/**
 * Sets `fields` in the mapping at `mapPath` (creating missing parent mappings). Existing scalar
 * values are replaced (unless `replace: false`); existing non-scalar values are left alone.
 * Returns undefined when the edit would not be certain.
 */
export function setFields(t: EditTarget, mapPath: Path, fields: FieldValue[]): TextEdit[] | undefined {
  let node: unknown = t.doc.yaml.contents;
  let parentKeyStart: number | undefined;
  let i = 0;
  for (; i < mapPath.length; i++) {
    const seg = mapPath[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => keyOf(p) === String(seg));
      if (!pair) break;
      const v = pair.value as Node | null;
      parentKeyStart = (pair.key as Node | null)?.range?.[0];
      if (v === null || (isScalar(v) && (v.value === null || v.value === undefined))) return undefined;
      node = v;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      parentKeyStart = undefined;
      if (!node) return undefined;
    } else return undefined;
  }
  const remaining = mapPath.slice(i);
  if (remaining.some((s) => typeof s === 'number')) return undefined;
  if (!isMap(node)) return undefined;
  // `key: {}`: replace the empty flow mapping by a block.
  if (node.flow) {
    if (node.items.length > 0 || !node.range || parentKeyStart === undefined) return undefined;
    const indent = ' '.repeat(column(t, parentKeyStart) + 2);
    const lines = nest(remaining.map(String), fields, indent);
    const nl = t.mf.text.includes('\r\n') ? '\r\n' : '\n';
    return [replaceEdit(t, node.range[0], node.range[1], lines.map((l) => `${nl}${l}`).join(''))];
  }
  if (node.items.length === 0) return undefined;
  const firstKey = node.items[0].key as Node | null;
  if (!firstKey?.range) return undefined;
  const indent = ' '.repeat(column(t, firstKey.range[0]));
  const edits: TextEdit[] = [];
  let toInsert = fields;
  if (remaining.length === 0) {
    toInsert = [];
    for (const f of fields) {
      const pair = node.items.find((p) => keyOf(p) === f.key);
      if (!pair) {
        toInsert.push(f);
        continue;
      }
      const v = pair.value as Node | null;
      if (f.replace === false) continue;
      if (typeof f.value !== 'string' || !v || !isScalar(v) || !v.range) return undefined;
      edits.push(replaceEdit(t, v.range[0], v.range[1], f.value));
    }
  }
  if (toInsert.length) {
    const last = node.items[node.items.length - 1];
    const end = endOfPair(last);
    if (end === undefined) return undefined;
    edits.push(insertAfter(t, end, nest(remaining.map(String), toInsert, indent)));
  }
  return edits;
}

function nest(keys: string[], fields: FieldValue[], indent: string): string[] {
  const lines: string[] = [];
  keys.forEach((k, depth) => lines.push(`${indent}${'  '.repeat(depth)}${k}:`));
  const inner = indent + '  '.repeat(keys.length);
  for (const f of fields) lines.push(...render(f.key, f.value, inner));
  return lines;
}

/** Replaces the whole document value (not its leading comments or `---`) with `text`. */
export function replaceDocument(t: EditTarget, text: string): TextEdit {
  const c = t.doc.yaml.contents as Node | null;
  const start = c?.range ? c.range[0] : t.doc.offsets[0];
  const end = c?.range ? c.range[1] : t.doc.offsets[1];
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return replaceEdit(t, start, end, end > 0 && t.mf.text[end - 1] === '\n' ? body : body.slice(0, -1));
}

/** YAML double-quoted string. */
export function quote(s: string): string {
  return JSON.stringify(s);
}

/** Applies edits to a text (edits must not overlap; same-position inserts apply in order). */
export function applyEdits(text: string, edits: ReadonlyArray<Pick<TextEdit, 'range' | 'newText'>>): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const off = (p: { line: number; character: number }) => Math.min(text.length, (lineStarts[p.line] ?? text.length) + p.character);
  const sorted = edits.map((e, i) => ({ e, i, s: off(e.range.start), t: off(e.range.end) })).sort((a, b) => b.s - a.s || b.i - a.i);
  let out = text;
  for (const x of sorted) out = out.slice(0, x.s) + x.e.newText + out.slice(x.t);
  return out;
}
