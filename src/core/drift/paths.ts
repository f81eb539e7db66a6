// Field paths inside an object, and what drift knows about the fields of built-in kinds: which lists
// are maps keyed by a field (containers by name, ports by containerPort+protocol, …), which values are
// quantities, which are int-or-string. This is the field-path knowledge gitops-engine gets from the
// OpenAPI schema; here it is written down for the fields where comparing naively gives false drift.

/** One step into an object: a field name, or a list item (with its merge key, or its position). */
export type PathSegment = string | ListItemSegment;

export interface ListItemSegment {
  index: number;
  /** For lists that are maps: the item's key fields (e.g. `{ name: 'api' }`). */
  key?: Record<string, unknown>;
  /** For lists of scalars: the value (set semantics). */
  value?: unknown;
}

export type FieldPath = PathSegment[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * `spec.template.spec.containers[name=api].image`, `metadata.annotations["example.com/x"]`,
 * `spec.ports[port=80,protocol=TCP]`, `spec.args[2]`.
 */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'string') {
      out += IDENT.test(seg) ? `${out ? '.' : ''}${seg}` : `[${JSON.stringify(seg)}]`;
    } else if (seg.key) {
      out += `[${Object.entries(seg.key)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(',')}]`;
    } else out += `[${seg.index}]`;
  }
  return out || '.';
}

/** The path with list items as `[]`: what schema knowledge is keyed by. */
export function schemaPathOf(path: FieldPath): string[] {
  return path.map((s) => (typeof s === 'string' ? s : '[]'));
}

/** API groups of built-in kinds: their list semantics are known (custom resources' lists are compared in order). */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'storage.k8s.io',
  'scheduling.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'node.k8s.io',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'certificates.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'extensions',
]);

export function isBuiltinGroup(group: string): boolean {
  return BUILTIN_GROUPS.has(group);
}

export type ListRule =
  /** A map keyed by these fields (strategic merge / SSA list-map); `defaults` fill key fields the server defaults. */
  | { type: 'map'; keys: string[]; defaults?: Record<string, unknown> }
  /** Order does not matter; items are compared as a set. */
  | { type: 'set' }
  /** Compared item by item, in order. */
  | { type: 'ordered' };

/** The key of a list-map item: its key fields, with server defaults filled in. */
export function mergeKeyOf(rule: Extract<ListRule, { type: 'map' }>, item: Record<string, unknown>): Record<string, unknown> {
  const key: Record<string, unknown> = {};
  for (const k of rule.keys) {
    const v = item[k] ?? rule.defaults?.[k];
    if (v !== undefined) key[k] = v;
  }
  return key;
}

/** A key as one string, for maps and equality. */
export function mergeKeyText(rule: Extract<ListRule, { type: 'map' }>, key: Record<string, unknown>): string {
  return rule.keys.map((k) => String(key[k] ?? '')).join('\u0000');
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const ORDERED: ListRule = { type: 'ordered' };
const SET: ListRule = { type: 'set' };
const BY_NAME: ListRule = { type: 'map', keys: ['name'] };

/** How to compare the list at `schemaPath` of an object of `group`/`kind`. */
export function listRule(group: string, kind: string, schemaPath: readonly string[]): ListRule {
  if (!isBuiltinGroup(group)) return ORDERED;
  const n = schemaPath.length;
  const last = schemaPath[n - 1];
  // The list that holds the item owning this list: `containers` for `containers[].ports`.
  const owner = n >= 3 && schemaPath[n - 2] === '[]' ? schemaPath[n - 3] : undefined;
  const inContainer = owner !== undefined && CONTAINER_LISTS.has(owner);
  if (n === 2 && schemaPath[0] === 'metadata') {
    if (last === 'ownerReferences') return { type: 'map', keys: ['uid'] };
    if (last === 'finalizers') return SET;
    return ORDERED;
  }
  switch (last) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
      return BY_NAME;
    case 'ports':
      if (inContainer) return { type: 'map', keys: ['containerPort', 'protocol'], defaults: { protocol: 'TCP' } };
      if (kind === 'Service' && n === 2 && schemaPath[0] === 'spec') return { type: 'map', keys: ['port', 'protocol'], defaults: { protocol: 'TCP' } };
      return ORDERED;
    case 'env':
      return inContainer ? BY_NAME : ORDERED;
    case 'volumeMounts':
      return inContainer ? { type: 'map', keys: ['mountPath'] } : ORDERED;
    case 'volumeDevices':
      return inContainer ? { type: 'map', keys: ['devicePath'] } : ORDERED;
    case 'resizePolicy':
      return inContainer ? { type: 'map', keys: ['resourceName'] } : ORDERED;
    case 'volumes':
    case 'imagePullSecrets':
    case 'resourceClaims':
    case 'schedulingGates':
      return BY_NAME;
    case 'hostAliases':
      return { type: 'map', keys: ['ip'] };
    case 'tolerations':
      return SET;
    case 'topologySpreadConstraints':
      return { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] };
  }
  return ORDERED;
}

/** Keys whose values are int-or-string (`"8080"` and `8080`, `"1"` and `1` are the same). */
const INT_OR_STRING_KEYS = new Set(['port', 'targetPort', 'servicePort', 'maxSurge', 'maxUnavailable', 'minAvailable']);

export function isIntOrStringPath(schemaPath: readonly string[]): boolean {
  return INT_OR_STRING_KEYS.has(schemaPath[schemaPath.length - 1]);
}

const QUANTITY_MAPS = new Set(['limits', 'requests']);
const LIMIT_RANGE_MAPS = new Set(['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']);

/** True where the value is a resource quantity (`cpu: 500m`, `storage: 1Gi`, …). */
export function isQuantityPath(kind: string, schemaPath: readonly string[]): boolean {
  const n = schemaPath.length;
  if (n < 2) return false;
  const parent = schemaPath[n - 2];
  const last = schemaPath[n - 1];
  if (QUANTITY_MAPS.has(parent) && n >= 3 && schemaPath[n - 3] === 'resources') return true;
  if (last === 'sizeLimit' && parent === 'emptyDir') return true;
  if (parent === 'overhead') return true;
  if (kind === 'ResourceQuota' && parent === 'hard') return true;
  if (kind === 'LimitRange' && LIMIT_RANGE_MAPS.has(parent)) return true;
  if (kind === 'PersistentVolume' && parent === 'capacity') return true;
  if (kind === 'HorizontalPodAutoscaler' && (parent === 'target' || parent === 'current') && (last === 'averageValue' || last === 'value')) return true;
  return false;
}
