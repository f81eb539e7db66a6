// The comparison (gitops-engine's second stage), over normalized objects, walking the live object's
// managedFields tries alongside so that every finding knows who owns it.
//
// `subset` (the fast local strategy): desired ⊆ live. Every field Git sets must be in the cluster with
// an equal value (quantities and int-or-string canonicalized by field path; lists that are maps matched
// by key; zero values equal to absent ones, as the API omits them). A field only the cluster has is
// drift only when a field manager set it that is not one of the cluster's controllers and did not write
// Git's own values too (server defaults belong to nobody, or to the manager that created the object).
//
// `exact` (after a server-side dry-run apply): the dry-run result and the live object must be equal.
import type { RawObject } from '../cluster/types';
import { exactOwners, isLeaf, managedEntriesOf, owners as ownersAt, rootCursors, step, type Cursor, type ManagedEntry } from './managed-fields';
import { formatPath, isIntOrStringPath, isQuantityPath, listRule, mergeKeyOf, mergeKeyText, type FieldPath, type ListItemSegment, type ListRule } from './paths';
import { canonicalQuantity } from './quantity';
import { isSecretKind, isSecretMark, MASK, MASK_ADDED, MASK_CHANGED, MASK_MISSING } from './secret';
import type { DriftField } from './types';
import { isRecord } from '../util/record';

/** Managers of the cluster's own controllers: fields only they set are never drift. */
export const DEFAULT_SYSTEM_MANAGERS: readonly string[] = [
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-apiserver',
  'kube-proxy',
  'cloud-controller-manager',
  'before-first-apply',
  // Reconcile's own requests to the GitOps engines (src/core/delegate): a sync operation, a refresh or
  // a reconcile request is a message to the controller, not drift.
  'reconcile-argo-sync',
  'reconcile-argo-refresh',
  'reconcile-flux-reconcile',
  // The patch with which a sync removes fields other managers set and Git lacks (src/core/sync/removals.ts):
  // it owns only what the server defaulted in their place.
  'reconcile-restore',
  // Flux's controllers, as the real ones write (test/unit/delegate/flux-controllers.test.ts):
  // kustomize-controller and helm-controller apply Git's objects and add their labels
  // (kustomize.toolkit.fluxcd.io/*, helm.toolkit.fluxcd.io/*, meta.helm.sh/* annotations) and the defaults
  // their applies record (a Deployment's strategy, a Namespace's finalizers); source-controller,
  // gotk-kustomize-controller and helm-controller add finalizers.fluxcd.io. A value they changed from
  // Git's is still drift.
  'kustomize-controller',
  'gotk-kustomize-controller',
  'helm-controller',
  'source-controller',
];

export interface CompareOptions {
  group: string;
  kind: string;
  mode: 'subset' | 'exact';
  /** Cluster controllers (DEFAULT_SYSTEM_MANAGERS when absent). */
  systemManagers?: ReadonlySet<string>;
  /** From ignore rules: fields owned by these managers are not reported. */
  ignoredManagers?: ReadonlySet<string>;
  /**
   * Managers that write Git's state with Update operations (client-side apply: Argo CD's
   * `argocd-controller`, Helm 3's `helm`): the defaults recorded under their name are not drift.
   */
  appliers?: ReadonlySet<string>;
}

interface Finding {
  path: FieldPath;
  change: DriftField['change'];
  desired?: unknown;
  live?: unknown;
  owners: ManagedEntry[];
  /** Only the cluster has it: reported only if a manager that is not exempt set it. */
  candidate?: boolean;
}

/** `''`, `0`, `false`, `{}`, `[]` (and maps of them): what the API leaves out when serializing. */
function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isRecord(v)) return Object.values(v).every(isEmptyValue);
  return false;
}

const DEFAULT_SYSTEM = new Set(DEFAULT_SYSTEM_MANAGERS);
const NONE = new Set<string>();

function entryId(e: ManagedEntry): string {
  return `${e.manager}\u0000${e.operation}\u0000${e.subresource ?? ''}`;
}

class Walker {
  readonly findings: Finding[] = [];
  /** Update managers that own a field whose live value equals Git's: they wrote Git's state. */
  readonly coAppliers = new Set<string>();

  constructor(
    private readonly group: string,
    private readonly kind: string,
    private readonly mode: 'subset' | 'exact',
  ) {}

  value(d: unknown, l: unknown, path: FieldPath, sp: string[], cur: Cursor[]): void {
    if (d === null || d === undefined) {
      if (this.mode === 'exact' && l !== undefined && l !== null) this.extra(l, path, sp, cur);
      return;
    }
    if (isRecord(d)) {
      if (!isRecord(l)) {
        if (l === undefined || l === null) {
          if (this.mode === 'subset' && isEmptyValue(d)) return;
          this.report(path, 'missing', d, undefined, cur);
        } else this.report(path, 'changed', d, l, cur);
        return;
      }
      for (const k of Object.keys(d)) this.value(d[k], l[k], [...path, k], [...sp, k], step(cur, k));
      for (const k of Object.keys(l)) {
        if (d[k] === undefined || d[k] === null) {
          if (l[k] === undefined || l[k] === null) continue;
          this.extra(l[k], [...path, k], [...sp, k], step(cur, k));
        }
      }
      return;
    }
    if (Array.isArray(d)) {
      if (!Array.isArray(l)) {
        if (l === undefined || l === null) {
          if (this.mode === 'subset' && d.length === 0) return;
          this.report(path, 'missing', d, undefined, cur);
        } else this.report(path, 'changed', d, l, cur);
        return;
      }
      const rule = listRule(this.group, this.kind, sp);
      if (rule.type === 'map' && d.every(isRecord) && l.every(isRecord)) this.mapList(d, l, rule, path, sp, cur);
      else if (rule.type === 'set') this.setList(d, l, path, sp, cur);
      else this.orderedList(d, l, path, sp, cur);
      return;
    }
    // scalar
    if (l === undefined || l === null) {
      if (this.mode === 'subset' && isEmptyValue(d)) return;
      this.report(path, 'missing', d, undefined, cur);
      return;
    }
    if (this.scalarEqual(d, l, sp)) {
      for (const e of exactOwners(cur)) if (e.operation === 'Update') this.coAppliers.add(entryId(e));
      return;
    }
    this.report(path, 'changed', d, l, cur);
  }

  private scalarEqual(d: unknown, l: unknown, sp: string[]): boolean {
    if (d === l) return true;
    if (isQuantityPath(this.kind, sp)) {
      const a = canonicalQuantity(d);
      return a !== undefined && a === canonicalQuantity(l);
    }
    if (isIntOrStringPath(sp)) return intOrString(d) === intOrString(l);
    return false;
  }

  private mapList(d: Record<string, unknown>[], l: Record<string, unknown>[], rule: Extract<ListRule, { type: 'map' }>, path: FieldPath, sp: string[], cur: Cursor[]): void {
    const keyOf = (item: Record<string, unknown>) => mergeKeyOf(rule, item);
    const text = (key: Record<string, unknown>) => mergeKeyText(rule, key);
    const live = new Map<string, { item: Record<string, unknown>; index: number; key: Record<string, unknown> }>();
    l.forEach((item, index) => {
      const key = keyOf(item);
      const t = text(key);
      if (!live.has(t)) live.set(t, { item, index, key });
    });
    const used = new Set<string>();
    const isp = [...sp, '[]'];
    d.forEach((item, i) => {
      const key = keyOf(item);
      const t = text(key);
      const match = live.get(t);
      if (!match || used.has(t)) {
        const seg: ListItemSegment = { index: i, key };
        this.report([...path, seg], 'missing', item, undefined, step(cur, seg));
        return;
      }
      used.add(t);
      const seg: ListItemSegment = { index: match.index, key: match.key };
      // Key fields the server defaults (a port's protocol) are Git's too when Git leaves them out.
      const withDefaults = rule.defaults ? { ...item, ...Object.fromEntries(Object.entries(rule.defaults).filter(([k]) => item[k] === undefined)) } : item;
      this.value(withDefaults, match.item, [...path, seg], isp, step(cur, seg));
    });
    for (const [t, m] of live) {
      if (used.has(t)) continue;
      const seg: ListItemSegment = { index: m.index, key: m.key };
      this.extra(m.item, [...path, seg], isp, step(cur, seg));
    }
  }

  private matches(d: unknown, l: unknown, sp: string[]): boolean {
    const w = new Walker(this.group, this.kind, this.mode);
    w.value(d, l, [], sp, []);
    return w.findings.length === 0;
  }

  private setList(d: unknown[], l: unknown[], path: FieldPath, sp: string[], cur: Cursor[]): void {
    const isp = [...sp, '[]'];
    const used = new Set<number>();
    d.forEach((item, i) => {
      const j = l.findIndex((x, k) => !used.has(k) && this.matches(item, x, isp));
      if (j < 0) {
        const seg: ListItemSegment = isRecord(item) || Array.isArray(item) ? { index: i } : { index: i, value: item };
        this.report([...path, seg], 'missing', item, undefined, step(cur, seg));
      } else used.add(j);
    });
    const extras = l.map((x, k) => ({ x, k })).filter(({ k }) => !used.has(k));
    if (!extras.length) return;
    if (this.mode === 'exact') {
      for (const { x, k } of extras) this.report([...path, { index: k, ...(isRecord(x) || Array.isArray(x) ? {} : { value: x }) }], 'added', undefined, x, step(cur, { index: k }));
      return;
    }
    // Items with their own owner (`v:` entries, e.g. finalizers) are judged one by one; in an atomic
    // set (tolerations) the list's owner speaks for the whole list.
    const listOwners = exactOwners(cur);
    let wholeList = false;
    for (const { x, k } of extras) {
      const seg: ListItemSegment = isRecord(x) || Array.isArray(x) ? { index: k } : { index: k, value: x };
      const icur = step(cur, seg);
      const own = exactOwners(icur.filter((c) => !c.atomic));
      if (own.length) this.findings.push({ path: [...path, seg], change: 'added', live: x, owners: own, candidate: true });
      else if (listOwners.length) wholeList = true;
    }
    if (wholeList) this.findings.push({ path, change: 'changed', desired: d, live: l, owners: listOwners, candidate: true });
  }

  private orderedList(d: unknown[], l: unknown[], path: FieldPath, sp: string[], cur: Cursor[]): void {
    if (d.length !== l.length) {
      this.report(path, 'changed', d, l, cur);
      return;
    }
    const isp = [...sp, '[]'];
    d.forEach((item, i) => {
      const x = l[i];
      const seg: ListItemSegment = isRecord(x) || Array.isArray(x) ? { index: i } : { index: i, value: x };
      this.value(item, x, [...path, seg], isp, step(cur, seg));
    });
  }

  /** A value only the cluster has. */
  private extra(l: unknown, path: FieldPath, sp: string[], cur: Cursor[]): void {
    if (this.mode === 'exact') {
      this.report(path, 'added', undefined, l, cur);
      return;
    }
    const own = cur.filter((c) => !c.atomic);
    if (own.length === 0) return; // nobody owns anything here: server defaults
    // A list item someone created (`k:{…}: {".": {}}`) or a whole value (a leaf) is reported as one;
    // a map someone created (`f:annotations: {".": {}}`) is looked into: its entries have their own owners.
    const item = path.length > 0 && typeof path[path.length - 1] !== 'string';
    const exact = own.filter((c) => isLeaf(c.node) || (item && c.node.self)).map((c) => c.entry);
    if (exact.length) {
      this.findings.push({ path, change: 'added', live: l, owners: exact, candidate: true });
      return;
    }
    if (isRecord(l)) {
      for (const k of Object.keys(l)) this.extra(l[k], [...path, k], [...sp, k], step(own, k));
    } else if (Array.isArray(l)) {
      const rule = listRule(this.group, this.kind, sp);
      const isp = [...sp, '[]'];
      l.forEach((x, i) => {
        let seg: ListItemSegment;
        if (rule.type === 'map' && isRecord(x)) {
          const key: Record<string, unknown> = {};
          for (const k of rule.keys) {
            const v = x[k] ?? rule.defaults?.[k];
            if (v !== undefined) key[k] = v;
          }
          seg = { index: i, key };
        } else seg = isRecord(x) || Array.isArray(x) ? { index: i } : { index: i, value: x };
        this.extra(x, [...path, seg], isp, step(own, seg));
      });
    }
  }

  private report(path: FieldPath, change: DriftField['change'], desired: unknown, live: unknown, cur: Cursor[]): void {
    this.findings.push({ path, change, ...(desired !== undefined ? { desired } : {}), ...(live !== undefined ? { live } : {}), owners: ownersAt(cur) });
  }
}

function intOrString(v: unknown): unknown {
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
}

/** The owner to name for a finding: an imperative (Update) writer before an applier, the latest first. */
export function pickOwner(owners: ManagedEntry[], system: ReadonlySet<string>): ManagedEntry | undefined {
  if (!owners.length) return undefined;
  const rank = (e: ManagedEntry) => (e.operation === 'Update' ? (system.has(e.manager) ? 1 : 2) : 0);
  return [...owners].sort((a, b) => rank(b) - rank(a) || (b.time ?? '').localeCompare(a.time ?? ''))[0];
}

function maskDeep(v: unknown): unknown {
  if (isSecretMark(v)) return MASK;
  if (Array.isArray(v)) return v.map(maskDeep);
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskDeep(x)]));
  return v;
}

function containsMark(v: unknown): boolean {
  if (isSecretMark(v)) return true;
  if (Array.isArray(v)) return v.some(containsMark);
  if (isRecord(v)) return Object.values(v).some(containsMark);
  return false;
}

/**
 * Compares normalized objects (see normalizeObject; ignore rules already applied). `liveRaw` is the
 * live object as the server sent it: its managedFields name the owners.
 */
export function compareObjects(desired: RawObject, live: RawObject, liveRaw: RawObject, opts: CompareOptions): DriftField[] {
  const system = opts.systemManagers ?? DEFAULT_SYSTEM;
  const ignored = opts.ignoredManagers ?? NONE;
  const appliers = opts.appliers ?? NONE;
  const w = new Walker(opts.group, opts.kind, opts.mode);
  w.value(desired, live, [], [], rootCursors(managedEntriesOf(liveRaw)));
  const secret = isSecretKind(opts.group, opts.kind);
  const out: DriftField[] = [];
  for (const f of w.findings) {
    let owners = f.owners;
    if (f.candidate) {
      owners = owners.filter(
        (e) => !system.has(e.manager) && !ignored.has(e.manager) && !(e.operation === 'Update' && (w.coAppliers.has(entryId(e)) || appliers.has(e.manager))),
      );
      if (owners.length === 0) continue;
    } else if (owners.some((e) => ignored.has(e.manager))) continue;
    const owner = pickOwner(owners, system);
    const masked = secret && (containsMark(f.desired) || containsMark(f.live));
    const field: DriftField = { path: formatPath(f.path), segments: f.path, change: f.change };
    if (masked) {
      if (f.change === 'changed') {
        field.desired = isSecretMark(f.desired) ? MASK_CHANGED : maskDeep(f.desired);
        field.live = isSecretMark(f.live) ? MASK_CHANGED : maskDeep(f.live);
      } else if (f.change === 'missing') field.desired = isSecretMark(f.desired) ? MASK_MISSING : maskDeep(f.desired);
      else field.live = isSecretMark(f.live) ? MASK_ADDED : maskDeep(f.live);
      field.masked = true;
    } else {
      if (f.desired !== undefined) field.desired = f.desired;
      if (f.live !== undefined) field.live = f.live;
    }
    if (owner) {
      field.manager = owner.manager;
      field.operation = owner.operation;
      if (owner.time) field.time = owner.time;
      if (owner.subresource) field.subresource = owner.subresource;
    }
    out.push(field);
  }
  // Changed values first (they lead the one-line summary), then missing, then added fields.
  const rank = { changed: 0, missing: 1, added: 2 } as const;
  return out.map((f, i) => ({ f, i })).sort((a, b) => rank[a.f.change] - rank[b.f.change] || a.i - b.i).map((x) => x.f);
}

/** True where comparing `a` and `b` at this schema path finds them equal (quantities, int-or-string). */
export function sameScalar(kind: string, schemaPath: string[], a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isQuantityPath(kind, schemaPath)) {
    const x = canonicalQuantity(a);
    return x !== undefined && x === canonicalQuantity(b);
  }
  if (isIntOrStringPath(schemaPath)) return intOrString(a) === intOrString(b);
  return false;
}
