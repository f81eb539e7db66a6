// Where drift is shown in the source, and what it says there. Pure: the editor's CodeLens provider and
// the tree use these, the tests check them without VS Code.
// - Anchors: a rendered object is shown on the document that defines it (the base resource) and on
//   every patch that changed it (overlays), as the render's source map knows them.
// - Titles: the result's summary line, unless the stream that feeds it is broken right now, in which
//   case the fault comes first and the last known state after it, so stale data is never shown as news.
import type { CacheHealth, LiveLookup } from '../cluster/live-cache';
import { resourceKey, type ResourceId } from '../manifest/identity';
import type { SourceRange } from '../manifest/range';
import type { RenderedDocument } from '../render/types';
import { summaryLine } from './format';
import type { DriftResult } from './types';

export interface LensAnchor {
  /** resourceKey of the desired object. */
  key: string;
  id: ResourceId;
  file: string;
  range: SourceRange;
  /** `source`: the document that defines the object; `patch`: a patch that changed it. */
  role: 'source' | 'patch';
}

/** Anchors per file (absolute path), in document order, one per object and file position. */
export function lensAnchors(documents: Iterable<Pick<RenderedDocument, 'id' | 'source' | 'patchedBy'>>): Map<string, LensAnchor[]> {
  const byFile = new Map<string, LensAnchor[]>();
  const seen = new Set<string>();
  const add = (a: LensAnchor) => {
    const sig = `${a.file}\0${a.range.start.line}\0${a.key}`;
    if (seen.has(sig)) return;
    seen.add(sig);
    const list = byFile.get(a.file) ?? [];
    list.push(a);
    byFile.set(a.file, list);
  };
  for (const d of documents) {
    if (!d.id?.kind || !d.id.version) continue;
    const key = resourceKey(d.id);
    if (d.source) add({ key, id: d.id, file: d.source.file, range: d.source.range, role: 'source' });
    for (const p of d.patchedBy ?? []) add({ key, id: d.id, file: p.file, range: p.range, role: 'patch' });
  }
  for (const list of byFile.values()) list.sort((a, b) => a.range.start.line - b.range.start.line || a.key.localeCompare(b.key));
  return byFile;
}

/** The fault of the stream that serves this lookup, when its data is stale (a broken watch being re-established). */
export function staleFault(lookup: LiveLookup, id: ResourceId, health: CacheHealth, defaultNamespace = 'default'): string | undefined {
  if (!((lookup.state === 'found' || lookup.state === 'absent') && lookup.stale)) return undefined;
  const ns = id.namespace ?? (lookup.type.namespaced ? defaultNamespace : undefined);
  const stream =
    health.streams.find((s) => s.group === id.group && s.kind === id.kind && s.namespace === ns && s.state !== 'watching') ??
    health.streams.find((s) => s.group === id.group && s.kind === id.kind && s.namespace === undefined && s.state !== 'watching');
  const why = stream?.error ? stream.error.message : 'the watch was interrupted';
  return stream?.state === 'resyncing' ? `? re-reading the cluster (watch expired)` : `? watch broken, reconnecting: ${why}`;
}

export interface LensTitleOptions {
  now: number;
  /** From staleFault(): the data is not current. */
  fault?: string;
  /** The environment's watch is live and current: say `live`, not `checked 5m ago` (which reads as stale). */
  live?: boolean;
  /** Led by the environment's name (a file that several environments share): `dev ⚠ drifted: …`. */
  environment?: string;
}

/**
 * `✓ in sync · checked 12s ago`, `⚠ drifted: spec.replicas 3→5 (kubectl-edit) +2 more`,
 * `＋ not in cluster`, `? cluster unreachable: …`, and with a broken watch
 * `? watch broken, reconnecting: … · last seen ✓ in sync`.
 */
export function lensTitle(result: DriftResult, opts: LensTitleOptions): string {
  const prefix = opts.environment ? `${opts.environment} ` : '';
  if (opts.fault && result.status !== 'unknown') return `${prefix}${opts.fault} · last seen ${summaryLine(result)}`;
  if (opts.live && (result.status === 'in-sync' || result.status === 'drifted')) return `${prefix}${summaryLine(result)} · live`;
  return `${prefix}${summaryLine(result, { now: opts.now })}`;
}

/**
 * A line that sets values of several objects of one environment (a kustomization's `namespace:`,
 * `commonLabels:`, `images:` entry…): counts, worst first. `dev ⚠ 1 drifted · ✓ 3 in sync`,
 * `✓ 4 in sync`, `dev … reading the cluster`.
 */
export function aggregateLensTitle(results: ReadonlyArray<DriftResult | undefined>, environment?: string): string {
  const prefix = environment ? `${environment} ` : '';
  const known = results.filter((r): r is DriftResult => !!r);
  if (known.length === 0) return `${prefix}… reading the cluster`;
  const n = (s: DriftResult['status']) => known.filter((r) => r.status === s).length;
  const parts: string[] = [];
  if (n('drifted')) parts.push(`⚠ ${n('drifted')} drifted`);
  if (n('missing')) parts.push(`＋${n('missing')} not in cluster`);
  if (n('unknown')) parts.push(`? ${n('unknown')} unknown`);
  if (n('in-sync')) parts.push(`✓ ${n('in-sync')} in sync`);
  if (known.length < results.length) parts.push(`… ${results.length - known.length} reading`);
  return `${prefix}${parts.join(' · ')}`;
}

/** The lens of a resource whose environment cannot be compared at all (no context, render failed…). */
export function lensProblem(message: string, environment?: string): string {
  return `${environment ? `${environment} ` : ''}? ${message}`;
}
