// List documents, read as `kubectl apply -f` reads them: a document of `kind: List` (or any kind ending
// in `List`: ConfigMapList, RoleList…) with an `items` array stands for its items, and a List among the
// items is flattened in turn (kubectl's FlattenListVisitor; kustomize does the same). The List itself
// (its apiVersion, metadata) is never an object of the cluster. An item that is not a Kubernetes
// object (no apiVersion or kind) makes kubectl refuse the whole document, and so do we.
import { looksLikeResource } from './identity';
import { isRecord } from '../util/record';

/** One object of a List document, with its path from the document's root (`['items', 2, 'items', 0]`). */
export interface ListItem {
  object: Record<string, unknown>;
  path: Array<string | number>;
}

export interface ListExpansion {
  /** The objects the List stands for, nested Lists flattened, in document order. */
  items: ListItem[];
  /** Items kubectl would refuse (each with its path), in words. Non-empty: the document cannot be applied. */
  problems: Array<{ path: Array<string | number>; message: string }>;
}

/** True for `kind: List`, `kind: ConfigMapList`, … with an `items` array (or `items: null`, an empty List). */
export function isListDocument(value: unknown): value is Record<string, unknown> & { kind: string } {
  return isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && (Array.isArray(value.items) || value.items === null);
}

/** `items[2].items[0]` */
export function listPathText(path: ReadonlyArray<string | number>): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Nesting deeper than this is refused (a List of Lists of … is no real manifest). */
const MAX_DEPTH = 32;

/** The items of a List document (see isListDocument), nested Lists flattened. */
export function expandList(list: Record<string, unknown>): ListExpansion {
  const out: ListExpansion = { items: [], problems: [] };
  const walk = (l: Record<string, unknown>, at: Array<string | number>, depth: number): void => {
    if (depth > MAX_DEPTH) {
      out.problems.push({ path: at, message: `${listPathText(at) || 'the List'}: Lists nested more than ${MAX_DEPTH} deep` });
      return;
    }
    const items = Array.isArray(l.items) ? l.items : [];
    items.forEach((item, i) => {
      const path = [...at, 'items', i];
      if (isListDocument(item)) return walk(item, path, depth + 1);
      if (!looksLikeResource(item)) {
        out.problems.push({ path, message: `${listPathText(path)} of ${String(l.kind)} is not a Kubernetes object (it needs apiVersion and kind): kubectl apply refuses the whole List` });
        return;
      }
      out.items.push({ object: item, path });
    });
  };
  walk(list, [], 0);
  return out;
}
