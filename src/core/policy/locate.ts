// Where a violation is shown.
//  - File checks: the exact node of the field (or its nearest existing parent) in the document.
//  - Rendered environments: the overlay change that introduced it when it can be told (an
//    `images:` or `replicas:` entry of the overlay's kustomization, or a patch that touches the
//    field), otherwise the base resource (the field in the source document).
// For violations without a field path (admission policies), the change is found by re-running
// the check on the base object with each single rendered difference applied.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseManifests, rangeOfPath, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import { FILE_START, type SourceLocation, type SourceRange } from '../manifest/range';
import { KUSTOMIZATION_FILES } from '../repo/kustomize';
import { parseImage } from '../manifest/image';
import type { ApplicationInfo, Violation } from './types';
import type { EditTarget } from './yaml-edit';
import { get, isRecord, str, type Obj, type Path } from './workload';

export interface Located {
  location: SourceLocation;
  /** The document the location is in, when fixes can edit it. */
  target?: EditTarget;
  /** The location is an overlay's change (a patch, an images/replicas entry), not the base. */
  overlay?: boolean;
}

/**
 * One document with ranges: `mf` holds either the whole file (lineOffset 0) or only this
 * document, parsed from the line where it starts (ranges inside are shifted by lineOffset).
 * Parsing one document instead of the file keeps locating cheap in big files.
 */
export interface DocumentView {
  file: string;
  mf: ManifestFile;
  doc: ManifestDocument;
  lineOffset: number;
}

export function shiftRange(r: SourceRange, n: number): SourceRange {
  return n ? { start: { line: r.start.line + n, character: r.start.character }, end: { line: r.end.line + n, character: r.end.character } } : r;
}

/** Offsets where each line of a text starts. */
export function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The text of the document of `text` that spans `range` (lines), from its first line; undefined when out of range. */
export function sliceOfRange(text: string, range: SourceRange, starts: readonly number[]): string | undefined {
  const endLine = range.end.character > 0 || range.end.line === range.start.line ? range.end.line + 1 : range.end.line;
  const from = starts[range.start.line];
  if (from === undefined) return undefined;
  return text.slice(from, starts[endLine] ?? text.length);
}

/** One document's text parsed on its own; undefined when it is not exactly one clean document. */
export function parseSlice(slice: string): { mf: ManifestFile; doc: ManifestDocument } | undefined {
  if (!slice.trim()) return undefined;
  const mf = parseManifests(slice);
  const doc = mf.documents.find((d) => d.shape !== 'empty');
  if (!doc || mf.errors.some((e) => e.severity === 'error') || mf.documents.filter((d) => d.shape !== 'empty').length !== 1) return undefined;
  return { mf, doc };
}

/** Parses the document of `text` that spans `range` (lines) on its own; undefined when that is not clean. */
export function parseDocumentSlice(file: string, text: string, range: SourceRange, starts = lineStartsOf(text)): DocumentView | undefined {
  const slice = sliceOfRange(text, range, starts);
  const parsed = slice === undefined ? undefined : parseSlice(slice);
  return parsed && { file, mf: parsed.mf, doc: parsed.doc, lineOffset: range.start.line };
}

/** Parsed files, read once per check (open editor buffers first through `readFile`). */
export class SourceFiles {
  private readonly files = new Map<string, ManifestFile | null>();
  private readonly texts = new Map<string, string | null>();
  private readonly slices = new Map<string, DocumentView | null>();
  private readonly starts = new Map<string, number[]>();

  constructor(private readonly readFile?: (file: string) => string | undefined) {}

  text(file: string): string | undefined {
    if (!this.texts.has(file)) {
      let t = this.readFile?.(file);
      if (t === undefined) {
        try {
          t = fs.readFileSync(file, 'utf8');
        } catch {
          t = undefined;
        }
      }
      this.texts.set(file, t ?? null);
    }
    return this.texts.get(file) ?? undefined;
  }

  get(file: string): ManifestFile | undefined {
    if (!this.files.has(file)) {
      const t = this.text(file);
      this.files.set(file, t === undefined || t.includes('{{') ? null : parseManifests(t));
    }
    return this.files.get(file) ?? undefined;
  }

  /** The document of `file` that starts at (or contains) `range`'s first line. */
  documentAt(file: string, range: SourceRange): DocumentView | undefined {
    const key = `${file}\u0000${range.start.line}:${range.end.line}:${range.end.character}`;
    if (this.slices.has(key)) return this.slices.get(key) ?? undefined;
    let view: DocumentView | undefined;
    const text = this.text(file);
    const whole = range.start.line === range.end.line && range.start.character === range.end.character;
    if (text !== undefined && !whole && !text.includes('{{')) {
      let starts = this.starts.get(file);
      if (!starts) this.starts.set(file, (starts = lineStartsOf(text)));
      view = parseDocumentSlice(file, text, range, starts);
    }
    if (!view) {
      const mf = this.get(file);
      const line = range.start.line;
      const doc = mf && (
        mf.documents.find((d) => d.range.start.line === line || d.contentRange.start.line === line) ??
        mf.documents.find((d) => line >= d.range.start.line && line < Math.max(d.range.end.line, d.range.start.line + 1)));
      if (mf && doc) view = { file, mf, doc, lineOffset: 0 };
    }
    this.slices.set(key, view ?? null);
    return view;
  }
}

/** The range of `path` in a document, else of the anchor, else of the deepest existing parent key. */
export function rangeInDocument(mf: ManifestFile, doc: ManifestDocument, p: Path, opts: { key?: boolean; anchor?: Path } = {}): { range: SourceRange; exact: boolean } {
  const exact = rangeOfPath(mf, doc, p, { key: opts.key });
  if (exact) return { range: exact, exact: true };
  if (opts.anchor) {
    const a = rangeOfPath(mf, doc, opts.anchor);
    // a mapping or list as anchor: its key, not the whole block
    if (a) return { range: a.end.line > a.start.line ? (rangeOfPath(mf, doc, opts.anchor, { key: true }) ?? a) : a, exact: false };
  }
  for (let n = p.length - 1; n > 0; n--) {
    const r = rangeOfPath(mf, doc, p.slice(0, n), { key: true });
    if (r) return { range: r, exact: false };
  }
  return { range: rangeOfPath(mf, doc, ['kind']) ?? doc.contentRange, exact: false };
}

/** File checks: the violation's field in the document that holds the object. */
export function locateInFile(view: DocumentView, v: Violation): Located {
  const { range } = rangeInDocument(view.mf, view.doc, v.path, { key: v.key, anchor: v.anchor });
  return { location: { file: view.file, range: shiftRange(range, view.lineOffset) }, target: { file: view.file, mf: view.mf, doc: view.doc, lineOffset: view.lineOffset } };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' || typeof a === 'bigint') return (typeof b === 'number' || typeof b === 'bigint') && Number(a) === Number(b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

const REMOVED = Symbol('removed');
interface Diff {
  path: Path;
  value: unknown;
}

/** Leaf differences from `a` to `b` (at most `limit`). */
function diffs(a: unknown, b: unknown, p: Array<string | number> = [], out: Diff[] = [], limit = 300): Diff[] {
  if (out.length >= limit || deepEqual(a, b)) return out;
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in b) || b[k] === undefined) out.push({ path: [...p, k], value: REMOVED });
      else diffs(a[k], b[k], [...p, k], out, limit);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (i >= b.length) out.push({ path: [...p, i], value: REMOVED });
      else if (i >= a.length) out.push({ path: [...p, i], value: b[i] });
      else diffs(a[i], b[i], [...p, i], out, limit);
    }
    return out;
  }
  out.push({ path: p, value: b });
  return out;
}

function withDiff(base: unknown, d: Diff): unknown {
  const clone = structuredClone(base) as Obj;
  if (!d.path.length) return d.value === REMOVED ? {} : d.value;
  let cur: unknown = clone;
  for (const seg of d.path.slice(0, -1)) {
    const next = Array.isArray(cur) ? cur[seg as number] : isRecord(cur) ? cur[String(seg)] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      const created: unknown = typeof seg === 'number' ? [] : {};
      if (Array.isArray(cur)) cur[seg as number] = created;
      else if (isRecord(cur)) cur[String(seg)] = created;
      cur = created;
    } else cur = next;
  }
  const last = d.path[d.path.length - 1];
  if (Array.isArray(cur)) {
    if (d.value === REMOVED) cur.splice(last as number, 1);
    else cur[last as number] = d.value;
  } else if (isRecord(cur)) {
    if (d.value === REMOVED) delete cur[String(last)];
    else cur[String(last)] = d.value;
  }
  return clone;
}

const toPointer = (p: Path) => '/' + p.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

export interface RenderedObjectInfo {
  value: Obj;
  source?: SourceLocation;
  patchedBy?: SourceLocation[];
  application?: ApplicationInfo;
  /** Where to point when nothing better is known (e.g. the Application that defines it). */
  fallback?: SourceLocation;
}

/** Environment checks: the location of a violation on a rendered object. */
export class RenderedLocator {
  constructor(private readonly files: SourceFiles) {}

  locate(o: RenderedObjectInfo, v: Violation): Located {
    const src = o.source ? this.files.documentAt(o.source.file, o.source.range) : undefined;
    const baseValue = src?.doc.value;
    let p = v.path;
    let culprit = false;
    if (v.reproduces && isRecord(baseValue)) {
      // Does the base itself violate? Otherwise: which single rendered change makes it violate?
      if (!v.reproduces(baseValue)) {
        const found = diffs(baseValue, o.value).find((d) => v.reproduces!(withDiff(baseValue, d) as Obj));
        if (found) {
          p = found.path;
          culprit = true;
        }
      }
    }
    const renderedHere = get(o.value, p);
    const baseHere = isRecord(baseValue) ? get(baseValue, p) : undefined;
    const changed = culprit || (isRecord(baseValue) && !deepEqual(renderedHere, baseHere));
    if (changed) {
      const overlay = this.overlayLocation(o, p, baseValue);
      if (overlay) return { location: overlay, overlay: true };
    }
    if (src) {
      const { range } = rangeInDocument(src.mf, src.doc, culprit ? p : v.path, { key: v.key, anchor: v.anchor });
      return { location: { file: src.file, range: shiftRange(range, src.lineOffset) }, target: { file: src.file, mf: src.mf, doc: src.doc, lineOffset: src.lineOffset } };
    }
    if (o.source) return { location: { file: o.source.file, range: this.templateLine(o.source.file, o.value, culprit ? p : v.path, v.anchor) ?? o.source.range } };
    return { location: o.fallback ?? { file: '', range: FILE_START } };
  }

  /** A template (not YAML): the line with the field's key and rendered value, else the first with the key. */
  private templateLine(file: string, rendered: Obj, p: Path, anchor?: Path): SourceRange | undefined {
    const text = this.files.text(file);
    if (!text) return undefined;
    const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const tries: RegExp[] = [];
    for (const q of [p, anchor ?? []]) {
      const key = q[q.length - 1];
      if (typeof key !== 'string') continue;
      const value = get(rendered, q);
      if (typeof value === 'string' || typeof value === 'number') tries.push(new RegExp(`^(\\s*-?\\s*)(${esc(key)}):\\s*["']?${esc(String(value))}["']?\\s*$`, 'm'));
      tries.push(new RegExp(`^(\\s*-?\\s*)(${esc(key)}):`, 'm'));
    }
    for (const re of tries) {
      const m = re.exec(text);
      if (m) {
        const key = m[2];
        const start = m.index + m[1].length;
        let line = 0;
        let ls = 0;
        for (let i = 0; i < start; i++) {
          if (text.charCodeAt(i) === 10) {
            line++;
            ls = i + 1;
          }
        }
        return { start: { line, character: start - ls }, end: { line, character: start - ls + key.length } };
      }
    }
    return undefined;
  }

  /** The overlay entry that changed `p`: images/replicas transformers, then patches. */
  private overlayLocation(o: RenderedObjectInfo, p: Path, baseValue: unknown): SourceLocation | undefined {
    const root = o.application?.root;
    const k = root ? this.kustomization(root) : undefined;
    if (k) {
      const value = k.doc.value;
      // images: newTag/newName/digest of the entry that names this image
      if (p[p.length - 1] === 'image' && isRecord(value) && Array.isArray(value.images)) {
        const rendered = str(get(o.value, p));
        const base = isRecord(baseValue) ? str(get(baseValue, p)) : undefined;
        const names = new Set([rendered && parseImage(rendered).name, base && parseImage(base).name].filter(Boolean) as string[]);
        const i = value.images.findIndex((e) => isRecord(e) && (names.has(String(e.name)) || names.has(String(e.newName))));
        if (i >= 0) {
          const entry = value.images[i] as Obj;
          const field = ['newTag', 'digest', 'newName', 'name'].find((f) => entry[f] !== undefined)!;
          const r = rangeOfPath(k.mf, k.doc, ['images', i, field]);
          if (r) return { file: k.file, range: r };
        }
      }
      if (p.length === 2 && p[0] === 'spec' && p[1] === 'replicas' && isRecord(value) && Array.isArray(value.replicas)) {
        const names = new Set([str(get(o.value, ['metadata', 'name'])), isRecord(baseValue) ? str(get(baseValue, ['metadata', 'name'])) : undefined].filter(Boolean));
        const i = value.replicas.findIndex((e) => isRecord(e) && names.has(str(e.name)));
        if (i >= 0) {
          const r = rangeOfPath(k.mf, k.doc, ['replicas', i, 'count']);
          if (r) return { file: k.file, range: r };
        }
      }
    }
    // patches that touch the field (JSON6902 pointers, or strategic-merge documents that hold it)
    for (const patch of o.patchedBy ?? []) {
      const hit = this.inPatch(patch, p, o.value);
      if (hit) return hit;
    }
    return undefined;
  }

  private inPatch(patch: SourceLocation, p: Path, rendered: Obj): SourceLocation | undefined {
    const text = this.files.text(patch.file);
    if (text === undefined) return undefined;
    const lines = text.split('\n');
    const from = patch.range.start.line;
    const to = Math.min(lines.length - 1, Math.max(patch.range.end.line, from));
    // JSON6902: a pointer to the field or one of its parents (deepest first)
    for (let n = p.length; n >= 2; n--) {
      const ptr = toPointer(p.slice(0, n));
      for (let l = from; l <= to; l++) {
        const c = lines[l].indexOf(ptr);
        // the patch's pointer is the field or one of its parents (not a sibling below a parent)
        if (c >= 0 && (lines[l].length === c + ptr.length || /[\s"',}]/.test(lines[l][c + ptr.length]))) {
          return { file: patch.file, range: { start: { line: l, character: c }, end: { line: l, character: c + ptr.length } } };
        }
      }
    }
    // strategic merge: a patch document that contains the field (list items matched by name)
    const src = this.files.documentAt(patch.file, patch.range);
    if (src && isRecord(src.doc.value) && src.doc.value.kind !== 'Kustomization') {
      const q = translateByName(p, rendered, src.doc.value);
      // the patch must hold the field itself (a value, or null to delete it)
      if (q && q.length === p.length && get(src.doc.value, q) !== undefined) {
        const r = rangeOfPath(src.mf, src.doc, q);
        if (r) return { file: patch.file, range: shiftRange(r, src.lineOffset) };
      }
    }
    return undefined;
  }

  private kustomization(dir: string): { file: string; mf: ManifestFile; doc: ManifestDocument } | undefined {
    for (const name of KUSTOMIZATION_FILES) {
      const file = path.join(dir, name);
      const mf = this.files.get(file);
      const doc = mf?.documents.find((d) => isRecord(d.value));
      if (mf && doc) return { file, mf, doc };
    }
    return undefined;
  }
}

/** A path in the rendered object → the same field in a strategic-merge patch (list items by `name`). */
function translateByName(p: Path, rendered: Obj, patch: Obj): Path | undefined {
  const out: Array<string | number> = [];
  let r: unknown = rendered;
  let q: unknown = patch;
  for (const seg of p) {
    if (typeof seg === 'number') {
      const item = Array.isArray(r) ? r[seg] : undefined;
      const name = isRecord(item) ? item.name : undefined;
      if (!Array.isArray(q)) return out.length ? out : undefined;
      const j = name !== undefined ? q.findIndex((x) => isRecord(x) && x.name === name) : seg;
      if (j < 0) return out.length ? out : undefined;
      out.push(j);
      r = item;
      q = q[j];
    } else {
      out.push(seg);
      r = isRecord(r) ? r[seg] : undefined;
      q = isRecord(q) ? q[seg] : undefined;
    }
  }
  return out;
}
