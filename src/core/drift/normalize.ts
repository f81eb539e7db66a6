// Normalizers (gitops-engine's first stage): what neither side of a comparison should see.
// - `status`, and metadata the server owns: managedFields, uid, resourceVersion, generation,
//   creationTimestamp, selfLink, deletion*; kubectl's last-applied-configuration annotation;
// - `creationTimestamp: null` anywhere (pod templates written by `kubectl create --dry-run`);
// - Secret values: `stringData` is folded into `data` and every value becomes a keyed hash.
// Quantities and int-or-string values keep their text here; the comparison canonicalizes them by
// field path (so that views can show the text as written).
import type { RawObject } from '../cluster/types';
import { isBuiltinGroup, isIntOrStringPath, isQuantityPath } from './paths';
import { isSecretKind, secretDigest } from './secret';
import { isRecord } from '../util/record';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** The repository an object was applied from (written by Reconcile's sync, see drift/environment.ts): never drift. */
export const REPOSITORY_ANNOTATION = 'reconcile.dev/repository';

const SERVER_METADATA = new Set(['managedFields', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']);

export interface NormalizeOptions {
  group: string;
  kind: string;
  /** The namespace the object is in (desired objects may leave it out). */
  namespace?: string;
}

/** A deep copy of JSON data, leaving out `creationTimestamp: null` entries. */
export function cloneJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneJson);
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x === undefined || (k === 'creationTimestamp' && x === null)) continue;
      out[k] = cloneJson(x);
    }
    return out;
  }
  return v;
}

/**
 * The object as drift compares it: a new object, the input is not changed. With `shared`, only the
 * top level, metadata and Secret data are new and everything below is shared with the input (cheap;
 * for comparing, which never writes) — `creationTimestamp: null` deeper down is then left in place
 * (the comparison treats null as absent).
 */
export function normalizeObject(obj: RawObject, opts: NormalizeOptions & { shared?: boolean }): RawObject {
  const out: RawObject = {};
  for (const k of Object.keys(obj)) {
    if (k === 'status' || obj[k] === undefined) continue;
    out[k] = k === 'metadata' ? undefined : opts.shared ? obj[k] : cloneJson(obj[k]); // metadata keeps its place
  }
  const src = isRecord(obj.metadata) ? obj.metadata : {};
  const meta: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    if (SERVER_METADATA.has(k) || src[k] === undefined || src[k] === null) continue;
    if (k === 'annotations' && isRecord(src.annotations)) {
      const a: Record<string, unknown> = {};
      for (const [ak, av] of Object.entries(src.annotations)) if (ak !== LAST_APPLIED && ak !== REPOSITORY_ANNOTATION) a[ak] = av;
      if (Object.keys(a).length) meta.annotations = a;
      continue;
    }
    if (k === 'labels' && isRecord(src.labels) && Object.keys(src.labels).length === 0) continue;
    meta[k] = opts.shared ? src[k] : cloneJson(src[k]);
  }
  if (opts.namespace) meta.namespace = opts.namespace;
  out.metadata = meta;
  if (isSecretKind(opts.group, opts.kind)) normalizeSecret(out);
  return out;
}

/** Folds stringData into data (stringData wins, as on the server) and replaces every value by its keyed hash. */
function normalizeSecret(o: RawObject): void {
  const data: Record<string, unknown> = {};
  if (isRecord(o.data)) for (const [k, v] of Object.entries(o.data)) if (v !== null && v !== undefined) data[k] = secretDigest(v, 'base64');
  if (isRecord(o.stringData)) for (const [k, v] of Object.entries(o.stringData)) if (v !== null && v !== undefined) data[k] = secretDigest(v, 'utf8');
  delete o.stringData;
  if (Object.keys(data).length) o.data = data;
  else delete o.data;
}

/**
 * The desired object as it can be sent with server-side apply, with the values an applier is expected to
 * fix up: numbers where the API wants quantity strings (`cpu: 0.5` → `"0.5"`; a 1.20 server rejects the
 * number) and numeric strings where it wants int-or-string (`targetPort: "8080"` → `8080`; a string is a
 * port *name* there). Built-in kinds only; the input is not changed.
 */
export function toApplyPayload(obj: RawObject): RawObject {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  const builtin = isBuiltinGroup(group);
  const walk = (v: unknown, path: string[]): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, [...path, '[]']));
    if (isRecord(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    if (builtin && typeof v === 'number' && isQuantityPath(kind, path)) return String(v);
    if (builtin && typeof v === 'string' && /^\d+$/.test(v) && isIntOrStringPath(path)) return Number(v);
    return v;
  };
  return walk(obj, []) as RawObject;
}
