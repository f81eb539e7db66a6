// Resource identity: what makes two Kubernetes objects "the same object".
// The key is `group/kind/namespace/name` (the core group and cluster-scoped objects give empty
// segments, e.g. `/ConfigMap/default/settings`, `rbac.authorization.k8s.io/ClusterRole//view`).
import { isRecord } from '../util/record';

export interface ResourceId {
  group: string;
  version: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** True when `value` has the shape of a Kubernetes object: a mapping with string apiVersion and kind. */
export function looksLikeResource(value: unknown): value is Record<string, unknown> & { apiVersion: string; kind: string } {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string' && value.kind !== '';
}

/**
 * The identity of a parsed object, or undefined when it is not a Kubernetes object.
 * A missing name gives `name: ''` (e.g. a resource being typed, or one with generateName).
 */
export function resourceIdOf(value: unknown): ResourceId | undefined {
  if (!looksLikeResource(value)) return undefined;
  const { group, version } = splitApiVersion(value.apiVersion);
  const metadata = isRecord(value.metadata) ? value.metadata : {};
  const id: ResourceId = {
    group,
    version,
    kind: value.kind,
    name: typeof metadata.name === 'string' ? metadata.name : '',
  };
  if (typeof metadata.namespace === 'string' && metadata.namespace !== '') id.namespace = metadata.namespace;
  return id;
}

/** The stable key `group/kind/namespace/name`; the version is deliberately not part of it. */
export function resourceKey(id: Pick<ResourceId, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${id.group}/${id.kind}/${id.namespace ?? ''}/${id.name}`;
}

/** Inverse of resourceKey (the version is not in the key and comes back empty). */
export function parseResourceKey(key: string): ResourceId | undefined {
  const parts = key.split('/');
  if (parts.length < 4) return undefined;
  // A group never contains '/', names and namespaces neither; kinds neither.
  const [group, kind, namespace, ...rest] = parts;
  const id: ResourceId = { group, version: '', kind, name: rest.join('/') };
  if (namespace) id.namespace = namespace;
  return id;
}

export function sameResource(a: ResourceId, b: ResourceId): boolean {
  return resourceKey(a) === resourceKey(b);
}

/** A short human label: `Deployment web (shop-dev)`. */
export function resourceLabel(id: ResourceId): string {
  return `${id.kind} ${id.name || '<unnamed>'}${id.namespace ? ` (${id.namespace})` : ''}`;
}
