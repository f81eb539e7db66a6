// Fields the cluster has, Git lacks and other field managers set (`kubectl label`, `kubectl annotate`,
// `kubectl set env`, a container another tool added): drift reports them, but a server-side apply as
// `reconcile` never removes them, because it removes only fields no other manager owns — and a forced
// apply of the same value does not take them over either (ownership is shared when values are equal;
// checked on the real apiserver, see test/unit/sync/restore-real-cluster.test.ts). So a sync removes
// them itself after the apply: one JSON patch (field manager `reconcile-restore`) with a `test` of each field's
// current value before its `remove`, so that nothing is removed that changed since it was read.
//
// Fields are found by their drift path (map keys, list items by merge key or value), never by a stale
// index; the plan dry-runs the same patch to learn which fields the server lets go of.
import { isClusterError, type ClusterError } from '../cluster/errors';
import type { ApiResourceInfo, PatchOptions, RawObject } from '../cluster/types';
import type { DriftField } from '../drift/types';
import type { FieldPath } from '../drift/paths';
import { isRecord } from '../util/record';

/**
 * The field manager of the removal patch. Drift counts it among the cluster's own managers: what it
 * owns is what the server defaulted when another manager's field was removed, i.e. Git's state.
 */
export const RESTORE_FIELD_MANAGER = 'reconcile-restore';

export type JsonPatchOp = { op: 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** RFC 6901 escaping of one reference token. */
function token(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Where a drift path is in this object now: the positions (list items by key or value) and the value. */
export function locate(obj: unknown, segments: FieldPath): { at: Array<string | number>; value: unknown } | undefined {
  let cur: unknown = obj;
  const at: Array<string | number> = [];
  for (const seg of segments) {
    if (typeof seg === 'string') {
      if (!isRecord(cur) || !(seg in cur) || cur[seg] === undefined || cur[seg] === null) return undefined;
      cur = cur[seg];
      at.push(seg);
      continue;
    }
    if (!Array.isArray(cur)) return undefined;
    let i: number;
    if (seg.key) {
      const key = seg.key;
      i = cur.findIndex((x) => isRecord(x) && Object.entries(key).every(([k, v]) => looseEqual(x[k], v)));
    } else if (seg.value !== undefined) i = cur.findIndex((x) => looseEqual(x, seg.value));
    else i = seg.index < cur.length ? seg.index : -1;
    if (i < 0) return undefined;
    cur = cur[i];
    at.push(i);
  }
  return { at, value: cur };
}

function pointer(at: ReadonlyArray<string | number>): string {
  return at.map((s) => `/${token(s)}`).join('');
}

/** a is b or inside b. */
function within(a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>): boolean {
  return b.length <= a.length && b.every((s, i) => s === a[i]);
}

/** Later list items first, so that removing one does not move the next. */
function compareForRemoval(a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    if (typeof a[i] === 'number' && typeof b[i] === 'number') return (b[i] as number) - (a[i] as number);
    return String(a[i]).localeCompare(String(b[i]));
  }
  return b.length - a.length;
}

export interface RemovalPatch {
  /** `test` then `remove` per field; empty when none of the fields is there any more. */
  ops: JsonPatchOp[];
  /** The fields the patch removes (a field inside another one removed is covered by it). */
  removes: DriftField[];
  /** Fields no longer in the object (nothing to do for them). */
  gone: DriftField[];
}

/** The JSON patch that removes these fields from `obj` as it is now (values tested first). */
export function removalPatch(obj: RawObject, fields: readonly DriftField[]): RemovalPatch {
  const found: Array<{ f: DriftField; at: Array<string | number>; value: unknown }> = [];
  const gone: DriftField[] = [];
  for (const f of fields) {
    const hit = locate(obj, f.segments);
    if (hit) found.push({ f, ...hit });
    else gone.push(f);
  }
  const seen = new Set<string>();
  const outer = found.filter((x) => {
    const p = pointer(x.at);
    if (seen.has(p) || found.some((y) => y.at.length < x.at.length && within(x.at, y.at))) return false;
    seen.add(p);
    return true;
  });
  outer.sort((a, b) => compareForRemoval(a.at, b.at));
  const ops: JsonPatchOp[] = [];
  for (const x of outer) ops.push({ op: 'test', path: pointer(x.at), value: x.value });
  for (const x of outer) ops.push({ op: 'remove', path: pointer(x.at) });
  return { ops, removes: outer.map((x) => x.f), gone };
}

/**
 * A copy of `obj` as the server stores it after the removal patch: without these fields, or, for a
 * field the server defaults again (`changed`), with the value it goes back to.
 */
export function withoutFields(obj: RawObject, fields: readonly DriftField[]): RawObject {
  const copy = JSON.parse(JSON.stringify(obj)) as RawObject;
  for (const f of fields) {
    if (f.change !== 'changed') continue;
    const hit = locate(copy, f.segments);
    if (!hit || !hit.at.length) continue;
    const parent = locate(copy, f.segments.slice(0, -1));
    const last = hit.at[hit.at.length - 1];
    if (parent && isRecord(parent.value) && typeof last === 'string') parent.value[last] = f.desired;
    else if (parent && Array.isArray(parent.value) && typeof last === 'number') parent.value[last] = f.desired;
  }
  const { ops } = removalPatch(
    copy,
    fields.filter((f) => f.change !== 'changed'),
  );
  for (const op of ops) {
    if (op.op !== 'remove') continue;
    const at = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let cur: unknown = copy;
    for (const t of at.slice(0, -1)) cur = Array.isArray(cur) ? cur[Number(t)] : (cur as Record<string, unknown>)[t];
    const last = at[at.length - 1];
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else if (isRecord(cur)) delete cur[last];
  }
  return copy;
}

/** A field the cluster has and Git lacks that a sync cannot remove (see PlanItem.kept). */
export interface KeptField {
  /** `metadata.labels.team` */
  path: string;
  /** Who set it (from managedFields). */
  manager?: string;
  /** The cluster's value (masked for Secrets). */
  live?: unknown;
  masked?: boolean;
  /** Why it stays: the server's refusal, or that it sets the field again. */
  reason: string;
}

export interface RemovalPlan {
  /** Fields the removal patch takes away (its dry-run says so). */
  removed: DriftField[];
  kept: KeptField[];
}

function keptOf(f: DriftField, reason: string): KeptField {
  return { path: f.path, ...(f.manager ? { manager: f.manager } : {}), ...(f.live !== undefined ? { live: f.live } : {}), ...(f.masked ? { masked: true } : {}), reason };
}

/** A refusal that concerns the patch itself (invalid, immutable, forbidden, conflict), not the cluster's state. */
function isVerdict(e: ClusterError): boolean {
  const st = e.details.status;
  return st !== undefined && st >= 400 && st < 500 && st !== 401 && st !== 408 && st !== 429;
}

interface Patcher {
  jsonPatch(type: ApiResourceInfo, namespace: string | undefined, name: string, ops: readonly unknown[], opts: PatchOptions): Promise<RawObject>;
}

/**
 * Which of these fields (set by other managers, lacking in Git) the sync can remove: the removal patch
 * is dry-run against the live object; a field the server refuses to let go (immutable, required) or
 * sets again (a default) is kept, with the reason. Throws the ClusterError of a request the server
 * did not judge (no answer, cancelled, throttled, server error).
 */
export async function planRemovals(
  client: Patcher,
  target: { type: ApiResourceInfo; namespace?: string; name: string },
  live: RawObject,
  fields: readonly DriftField[],
  opts: Omit<PatchOptions, 'dryRun' | 'fieldManager'>,
): Promise<RemovalPlan> {
  const out: RemovalPlan = { removed: [], kept: [] };
  const tryPatch = async (subset: readonly DriftField[]): Promise<RawObject | ClusterError> => {
    const { ops } = removalPatch(live, subset);
    try {
      return await client.jsonPatch(target.type, target.namespace, target.name, ops, { ...opts, fieldManager: RESTORE_FIELD_MANAGER, dryRun: true });
    } catch (e) {
      // Only the server's own answer says something about the fields; no answer (cancelled, cluster
      // lost) is the caller's to handle.
      if (!isClusterError(e) || !isVerdict(e)) throw e;
      return e;
    }
  };
  const judge = (subset: readonly DriftField[], after: RawObject) => {
    for (const f of subset) {
      const now = locate(after, f.segments);
      const before = locate(live, f.segments);
      if (!now) out.removed.push(f);
      // The server puts its default back (what Git, lacking the field, gets too): the value changes to it.
      else if (!f.masked && before && JSON.stringify(now.value) !== JSON.stringify(before.value)) out.removed.push({ ...f, change: 'changed', desired: now.value });
      else out.kept.push(keptOf(f, 'the server keeps it when it is removed'));
    }
  };
  const present = fields.filter((f) => locate(live, f.segments));
  if (!present.length) return out;
  const all = await tryPatch(present);
  if (!isClusterError(all)) {
    judge(present, all);
    return out;
  }
  // One field the server will not let go of must not keep the others: try them one by one.
  for (const f of present) {
    const one = present.length === 1 ? all : await tryPatch([f]);
    // The server's first line (1.20 adds a multi-line Go diff of the object after it).
    if (isClusterError(one)) out.kept.push(keptOf(f, `the server refuses to remove it: ${(one.details.serverMessage ?? one.message).split('\n')[0].trim()}`));
    else judge([f], one);
  }
  return out;
}

function isScalar(v: unknown): boolean {
  return v === null || (typeof v !== 'object' && v !== undefined);
}

/**
 * The removal patch a sync sends after its apply: against the object the apply returned, leaving out
 * fields whose value is no longer the one the plan showed (someone changed them since).
 */
export function removalForSync(applied: RawObject, fields: readonly DriftField[]): { patch: RemovalPatch; changed: DriftField[] } {
  const changed: DriftField[] = [];
  const same: DriftField[] = [];
  for (const f of fields) {
    const now = locate(applied, f.segments);
    if (now && !f.masked && isScalar(f.live) && !looseEqual(now.value, f.live)) changed.push(f);
    else same.push(f);
  }
  return { patch: removalPatch(applied, same), changed };
}
