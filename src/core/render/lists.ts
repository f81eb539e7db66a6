// The one place where rendered List documents (`kind: List`, ConfigMapList, RoleList…, nested Lists)
// become their items, as `kubectl apply -f` applies them (see manifest/list.ts). Every render passes
// through here, so render, check, drift, plan and sync all see the items and never the List.
import { stringify } from 'yaml';
import { expandList, isListDocument, listPathText } from '../manifest/list';
import { resourceIdOf } from '../manifest/identity';
import type { SourceLocation } from '../manifest/range';
import type { RenderedDocument } from './types';

/** One rendered document and its YAML text (without a leading `---` line). */
export interface RenderedPart {
  text: string;
  document: RenderedDocument;
}

export type ListExpansionResult =
  | { ok: true; documents: RenderedDocument[]; yaml: string; expanded: boolean }
  | { ok: false; message: string; source?: SourceLocation };

/**
 * Replaces every List document by its items and lays the documents out as one YAML stream
 * (`---` between documents), with each document's range in it. `itemSource` tells where an item is
 * defined (its position in the file); by default the List's own source.
 */
export function expandListDocuments(parts: readonly RenderedPart[], itemSource?: (part: RenderedPart, path: Array<string | number>) => SourceLocation | undefined): ListExpansionResult {
  const out: RenderedPart[] = [];
  let expanded = false;
  for (const part of parts) {
    const d = part.document;
    if (!isListDocument(d.object)) {
      out.push(part);
      continue;
    }
    expanded = true;
    const x = expandList(d.object);
    if (x.problems.length) {
      const where = d.source ? `${d.source.file}: ` : '';
      return { ok: false, message: `${where}${x.problems[0].message}${x.problems.length > 1 ? ` (and ${x.problems.length - 1} more)` : ''}`, ...(d.source ? { source: d.source } : {}) };
    }
    for (const item of x.items) {
      const source = itemSource?.(part, item.path) ?? d.source;
      const document: RenderedDocument = { object: item.object, id: resourceIdOf(item.object), range: d.range };
      if (source) document.source = source;
      if (d.patchedBy) document.patchedBy = d.patchedBy;
      out.push({ text: `# ${listPathText(item.path)} of ${String(d.object.kind)}\n${stringify(item.object, { lineWidth: 0, aliasDuplicateObjects: false })}`, document });
    }
  }
  const documents: RenderedDocument[] = [];
  const texts: string[] = [];
  let line = 0;
  for (const p of out) {
    const text = p.text.endsWith('\n') ? p.text : `${p.text}\n`;
    const lines = text.split('\n').length - 1;
    texts.push(text);
    documents.push({ ...p.document, range: { start: { line, character: 0 }, end: { line: line + lines, character: 0 } } });
    line += lines + 1;
  }
  return { ok: true, documents, yaml: texts.join('---\n'), expanded };
}
