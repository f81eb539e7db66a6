// The resource diff of a comparison: two lists of rendered objects matched by identity (or by
// kind + name across environments), each matched pair compared field by field with drift's exact
// comparison (normalizers, list-map keys, quantities), Secret values compared by keyed hash and only
// ever shown as masks. Used for revisions (compareRevisions) and environments (compareEnvironments).
import { stringify } from 'yaml';
import type { RawObject } from '../cluster/types';
import { compareObjects } from '../drift/compare';
import { normalizeObject } from '../drift/normalize';
import { listRule } from '../drift/paths';
import { isSecretKind, maskSecretData, MASK, MASK_CHANGED } from '../drift/secret';
import { resourceKey, type ResourceId } from '../manifest/identity';
import type { ChangeCounts, FieldChange, ResourceChange } from './types';
import { isRecord } from '../util/record';

/** One rendered object of one side. */
export interface SideObject {
  object: RawObject;
  id: ResourceId;
  /** The application that renders it (its id). */
  application?: string;
  /** Where it is defined, relative to the compared folder. */
  source?: { path: string; line: number };
}

export interface DiffSetOptions {
  /** `identity`: group/kind/namespace/name (two revisions); `kind-name`: group/kind/name (two environments). */
  match: 'identity' | 'kind-name';
  leftLabel: string;
  rightLabel: string;
  /** Leave metadata.namespace out of the comparison and the texts (environments live in different namespaces). */
  ignoreNamespace?: boolean;
}

/** Kustomize's generated-name hash (10 characters of its encoding alphabet), e.g. `api-config-5hk2m8dgtt`. */
const GENERATED_SUFFIX = /-[2456789bcdfghkmt]{10}$/;

function baseKey(id: ResourceId, match: DiffSetOptions['match']): string {
  return match === 'identity' ? resourceKey(id) : `${id.group}/${id.kind}//${id.name}`;
}

/**
 * Match keys of one side. ConfigMaps and Secrets that kustomize generated (hash suffix) are matched
 * without the hash, so that a content change reads as a change and not as a removal plus an addition;
 * when the name without the hash is not unique on a side the full name is used.
 */
function keysOf(objects: SideObject[], match: DiffSetOptions['match'], warnings: string[], side: string): Map<string, SideObject> {
  const loose = (o: SideObject): string => {
    const k = baseKey(o.id, match);
    return (o.id.kind === 'ConfigMap' || o.id.kind === 'Secret') && o.id.group === '' && GENERATED_SUFFIX.test(o.id.name) ? `${k.replace(GENERATED_SUFFIX, '')}-<hash>` : k;
  };
  const count = new Map<string, number>();
  for (const o of objects) count.set(loose(o), (count.get(loose(o)) ?? 0) + 1);
  const out = new Map<string, SideObject>();
  for (const o of objects) {
    let k = loose(o);
    if ((count.get(k) ?? 0) > 1) k = match === 'identity' ? resourceKey(o.id) : baseKey(o.id, match);
    if (out.has(k) && match === 'kind-name') {
      // The same kind and name in two namespaces of one environment: tell them apart by namespace.
      warnings.push(`${side}: ${o.id.kind} ${o.id.name} exists in several namespaces; matched by namespace too`);
      k = resourceKey(o.id);
    }
    if (!out.has(k)) out.set(k, o);
  }
  return out;
}

function prepare(o: SideObject, opts: Pick<DiffSetOptions, 'ignoreNamespace'>, shared: boolean): RawObject {
  const n = normalizeObject(o.object, { group: o.id.group, kind: o.id.kind, shared });
  if (opts.ignoreNamespace && isRecord(n.metadata)) delete n.metadata.namespace;
  return n;
}

/**
 * The key fields the API server defaults in list-maps (a port's `protocol: TCP`), filled in where Git
 * leaves them out: `- port: 80` and `- port: 80, protocol: TCP` are the same port on both sides.
 * Returns the value itself when nothing needs filling, else a copy.
 */
function withKeyDefaults(v: unknown, group: string, kind: string, sp: string[]): unknown {
  if (Array.isArray(v)) {
    const rule = listRule(group, kind, sp);
    const isp = [...sp, '[]'];
    let changed = false;
    const out = v.map((item) => {
      let x = withKeyDefaults(item, group, kind, isp);
      if (rule.type === 'map' && rule.defaults && isRecord(x)) {
        const missing = Object.entries(rule.defaults).filter(([k]) => (x as Record<string, unknown>)[k] === undefined);
        if (missing.length) x = { ...x, ...Object.fromEntries(missing) };
      }
      if (x !== item) changed = true;
      return x;
    });
    return changed ? out : v;
  }
  if (isRecord(v)) {
    let out: Record<string, unknown> | undefined;
    for (const [k, x] of Object.entries(v)) {
      const y = withKeyDefaults(x, group, kind, [...sp, k]);
      if (y !== x) (out ??= { ...v })[k] = y;
    }
    return out ?? v;
  }
  return v;
}

/** Field changes from left to right (both sides normalized; Secret values masked). */
export function diffObjects(left: SideObject, right: SideObject, opts: Pick<DiffSetOptions, 'ignoreNamespace'> = {}): FieldChange[] {
  const l = withKeyDefaults(prepare(left, opts, true), left.id.group, left.id.kind, []) as RawObject;
  const r = withKeyDefaults(prepare(right, opts, true), right.id.group, right.id.kind, []) as RawObject;
  const fields = compareObjects(l, r, {}, { group: right.id.group, kind: right.id.kind, mode: 'exact' });
  return fields.map((f): FieldChange => {
    const change = f.change === 'missing' ? 'removed' : f.change;
    const out: FieldChange = { path: f.path, change };
    if (f.masked) {
      out.masked = true;
      if (change === 'changed') {
        out.before = MASK_CHANGED;
        out.after = MASK_CHANGED;
      } else if (change === 'removed') out.before = MASK;
      else out.after = MASK;
      return out;
    }
    if (f.desired !== undefined) out.before = f.desired;
    if (f.live !== undefined) out.after = f.live;
    return out;
  });
}

function toYaml(v: unknown): string {
  return stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
}


/** The two sides as YAML for a diff editor ('' for an absent side). */
export function sideTexts(left: SideObject | undefined, right: SideObject | undefined, opts: Pick<DiffSetOptions, 'ignoreNamespace'> = {}): { left: string; right: string } {
  const l = left ? prepare(left, opts, false) : undefined;
  const r = right ? prepare(right, opts, false) : undefined;
  const id = (right ?? left)!.id;
  if (isSecretKind(id.group, id.kind)) maskSecretData(l, r);
  return { left: l ? toYaml(l) : '', right: r ? toYaml(r) : '' };
}

function titleOf(id: ResourceId, opts: DiffSetOptions): string {
  return `${id.kind}/${id.name}${id.namespace && !opts.ignoreNamespace ? ` (${id.namespace})` : ''} — ${opts.leftLabel} ↔ ${opts.rightLabel}`;
}

/** Added, removed and changed resources from left to right (unchanged ones are left out), sorted by kind and name. */
export function diffResourceSets(left: SideObject[], right: SideObject[], opts: DiffSetOptions): { resources: ResourceChange[]; warnings: string[] } {
  const warnings: string[] = [];
  const lk = keysOf(left, opts.match, warnings, opts.leftLabel);
  const rk = keysOf(right, opts.match, warnings, opts.rightLabel);
  const resources: ResourceChange[] = [];
  const make = (key: string, change: ResourceChange['change'], l: SideObject | undefined, r: SideObject | undefined, fields: FieldChange[]): ResourceChange => {
    const main = (r ?? l)!;
    const texts = sideTexts(l, r, opts);
    return {
      key,
      id: main.id,
      change,
      fields,
      ...(main.application ?? l?.application ? { application: main.application ?? l?.application } : {}),
      ...(main.source ?? l?.source ? { source: main.source ?? l?.source } : {}),
      left: texts.left,
      right: texts.right,
      title: titleOf(main.id, opts),
    };
  };
  for (const [key, r] of rk) {
    const l = lk.get(key);
    if (!l) {
      resources.push(make(key, 'added', undefined, r, []));
      continue;
    }
    const fields = diffObjects(l, r, opts);
    if (fields.length) resources.push(make(key, 'changed', l, r, fields));
  }
  for (const [key, l] of lk) if (!rk.has(key)) resources.push(make(key, 'removed', l, undefined, []));
  const order = (c: ResourceChange) => `${c.id.kind}\u0000${c.id.namespace ?? ''}\u0000${c.id.name}`;
  resources.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return { resources, warnings };
}

export function countChanges(resources: readonly ResourceChange[]): ChangeCounts {
  const c: ChangeCounts = { added: 0, removed: 0, changed: 0 };
  for (const r of resources) c[r.change]++;
  return c;
}
