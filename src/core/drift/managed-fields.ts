// metadata.managedFields (FieldsV1) as tries, to tell who owns a field: "why did it drift".
// FieldsV1 keys: `f:<field>`, `k:<json key of a list-map item>`, `v:<json value of a set item>`,
// `i:<index>`, and `.` (the node itself). An empty object is a leaf: the manager owns the whole
// value there (a scalar, or an atomic list/map).
import type { RawObject } from '../cluster/types';
import type { PathSegment } from './paths';

/** One node of a FieldsV1 set. Children are looked up in the raw JSON lazily: no trie is built up front. */
export class FieldNode {
  private keyedCache?: Array<{ key: Record<string, unknown>; node: FieldNode }>;
  private valuesCache?: Array<{ value: unknown; node: FieldNode }>;
  private leafCache?: boolean;
  private children?: Map<string, FieldNode>;

  constructor(private readonly raw: Record<string, unknown>) {}

  /** `.` present: the manager owns this node itself (e.g. a list item or a map). */
  get self(): boolean {
    return '.' in this.raw;
  }

  /** An empty set: the manager owns the whole value here (a scalar, or an atomic list/map). */
  get leaf(): boolean {
    if (this.leafCache === undefined) {
      this.leafCache = true;
      for (const _ in this.raw) {
        this.leafCache = false;
        break;
      }
    }
    return this.leafCache;
  }

  private child(rawKey: string): FieldNode | undefined {
    const hit = this.children?.get(rawKey);
    if (hit) return hit;
    const v = this.raw[rawKey];
    if (typeof v !== 'object' || v === null) return undefined;
    const node = new FieldNode(v as Record<string, unknown>);
    (this.children ??= new Map()).set(rawKey, node);
    return node;
  }

  field(name: string): FieldNode | undefined {
    return this.child(`f:${name}`);
  }

  index(i: number): FieldNode | undefined {
    return this.child(`i:${i}`);
  }

  keyed(): Array<{ key: Record<string, unknown>; node: FieldNode }> {
    if (!this.keyedCache) {
      this.keyedCache = [];
      for (const k of Object.keys(this.raw)) {
        if (!k.startsWith('k:')) continue;
        try {
          const key = JSON.parse(k.slice(2));
          const node = this.child(k);
          if (key && typeof key === 'object' && node) this.keyedCache.push({ key, node });
        } catch {
          /* malformed key: ignore */
        }
      }
    }
    return this.keyedCache;
  }

  values(): Array<{ value: unknown; node: FieldNode }> {
    if (!this.valuesCache) {
      this.valuesCache = [];
      for (const k of Object.keys(this.raw)) {
        if (!k.startsWith('v:')) continue;
        try {
          const node = this.child(k);
          if (node) this.valuesCache.push({ value: JSON.parse(k.slice(2)), node });
        } catch {
          /* malformed value: ignore */
        }
      }
    }
    return this.valuesCache;
  }
}

export interface ManagedEntry {
  manager: string;
  operation: string;
  time?: string;
  apiVersion?: string;
  subresource?: string;
  root: FieldNode;
}

export function isLeaf(n: FieldNode): boolean {
  return n.leaf;
}

export function parseFieldsV1(v: unknown): FieldNode {
  return new FieldNode(typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
}

const cache = new WeakMap<RawObject, ManagedEntry[]>();

/** The managedFields entries of a live object (parsed once per object). */
export function managedEntriesOf(obj: RawObject): ManagedEntry[] {
  const hit = cache.get(obj);
  if (hit) return hit;
  const list = (obj.metadata as { managedFields?: unknown } | undefined)?.managedFields;
  const out: ManagedEntry[] = [];
  for (const raw of Array.isArray(list) ? list : []) {
    const e = raw as { manager?: unknown; operation?: unknown; time?: unknown; apiVersion?: unknown; subresource?: unknown; fieldsV1?: unknown; fieldsType?: unknown };
    if (typeof e.manager !== 'string' || (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1')) continue;
    const root = parseFieldsV1(e.fieldsV1);
    if (isLeaf(root)) continue;
    out.push({
      manager: e.manager,
      operation: typeof e.operation === 'string' ? e.operation : 'Update',
      ...(typeof e.time === 'string' ? { time: e.time } : {}),
      ...(typeof e.apiVersion === 'string' ? { apiVersion: e.apiVersion } : {}),
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
      root,
    });
  }
  cache.set(obj, out);
  return out;
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

function keyMatches(fieldsKey: Record<string, unknown>, key: Record<string, unknown>): boolean {
  const names = new Set([...Object.keys(fieldsKey), ...Object.keys(key)]);
  for (const n of names) if (!looseEqual(fieldsKey[n], key[n])) return false;
  return true;
}

/** The child of `node` for one path segment, or undefined. */
export function childOf(node: FieldNode, seg: PathSegment): FieldNode | undefined {
  if (typeof seg === 'string') return node.field(seg);
  if (seg.key) {
    const hit = node.keyed().find((k) => keyMatches(k.key, seg.key!));
    if (hit) return hit.node;
  }
  if (seg.value !== undefined) {
    const hit = node.values().find((v) => looseEqual(v.value, seg.value));
    if (hit) return hit.node;
  }
  return node.index(seg.index);
}

/** A position in one manager's trie while walking an object. `atomic`: owned through an atomic ancestor. */
export interface Cursor {
  entry: ManagedEntry;
  node: FieldNode;
  atomic: boolean;
}

export function rootCursors(entries: ManagedEntry[]): Cursor[] {
  return entries.map((entry) => ({ entry, node: entry.root, atomic: false }));
}

export function step(cursors: Cursor[], seg: PathSegment): Cursor[] {
  if (cursors.length === 0) return cursors;
  const out: Cursor[] = [];
  for (const c of cursors) {
    if (c.atomic) {
      out.push(c);
      continue;
    }
    const child = childOf(c.node, seg);
    if (child) out.push({ entry: c.entry, node: child, atomic: false });
    else if (isLeaf(c.node) && c.node !== c.entry.root) out.push({ entry: c.entry, node: c.node, atomic: true });
  }
  return out;
}

/** Managers that own exactly this node (not merely something below it). */
export function exactOwners(cursors: Cursor[]): ManagedEntry[] {
  return cursors.filter((c) => !c.atomic && (c.node.self || isLeaf(c.node))).map((c) => c.entry);
}

/** Managers that own this node, exactly or through an atomic ancestor. */
export function owners(cursors: Cursor[]): ManagedEntry[] {
  return cursors.filter((c) => c.atomic || c.node.self || isLeaf(c.node)).map((c) => c.entry);
}

/** The owners of a path from the root (for callers that do not walk). */
export function ownersOf(obj: RawObject, path: PathSegment[]): ManagedEntry[] {
  let cur = rootCursors(managedEntriesOf(obj));
  for (const seg of path) cur = step(cur, seg);
  return owners(cur);
}
