// Where pod specs live in workload objects, with the field paths the findings point at.
import { isRecord } from '../util/record';
export { isRecord };
export type Path = ReadonlyArray<string | number>;

export type Obj = Record<string, unknown>;

export function get(value: unknown, path: Path): unknown {
  let v = value;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    const seg = path[i];
    if (Array.isArray(v)) {
      if (typeof seg !== 'number') return undefined;
      v = v[seg];
    } else v = (v as Obj)[seg as string];
  }
  return v;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Integer value of a field that may be a number or a bigint (or a numeric string). */
export function int(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

export type ContainerKind = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface ContainerRef {
  kind: ContainerKind;
  index: number;
  name: string;
  value: Obj;
  /** Path of the container in the object. */
  path: Path;
}

export interface PodSpecRef {
  spec: Obj;
  /** Path of the pod spec in the object. */
  path: Path;
  /** Path of the pod (template) metadata, for annotations and labels. */
  metadataPath: Path;
  metadata: Obj;
  containers: ContainerRef[];
}

const TEMPLATE_KINDS: Record<string, string[]> = {
  apps: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
  'extensions': ['Deployment', 'DaemonSet', 'ReplicaSet'],
  '': ['ReplicationController', 'PodTemplate'],
  batch: ['Job'],
};

/** The group of an apiVersion (`apps/v1` → `apps`, `v1` → ``). */
export function groupOf(apiVersion: unknown): string {
  const s = typeof apiVersion === 'string' ? apiVersion : '';
  const i = s.lastIndexOf('/');
  return i < 0 ? '' : s.slice(0, i);
}

/** The path of the pod template (`spec.template`…) of a workload, or undefined for non-workloads. */
export function podTemplatePath(obj: Obj): Path | undefined {
  const kind = obj.kind;
  const group = groupOf(obj.apiVersion);
  if (kind === 'Pod' && group === '') return [];
  if (kind === 'CronJob' && group === 'batch') return ['spec', 'jobTemplate', 'spec', 'template'];
  if (kind === 'PodTemplate' && group === '') return ['template'];
  if (typeof kind === 'string' && TEMPLATE_KINDS[group]?.includes(kind)) return ['spec', 'template'];
  return undefined;
}

const podSpecs = new WeakMap<Obj, PodSpecRef | null>();

/** The pod spec of a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob…); cached per object. */
export function podSpecOf(obj: Obj): PodSpecRef | undefined {
  let hit = podSpecs.get(obj);
  if (hit === undefined) podSpecs.set(obj, (hit = findPodSpec(obj) ?? null));
  return hit ?? undefined;
}

function findPodSpec(obj: Obj): PodSpecRef | undefined {
  const t = podTemplatePath(obj);
  if (!t) return undefined;
  const path = [...t, 'spec'];
  const spec = get(obj, path);
  if (!isRecord(spec)) return undefined;
  const metadataPath = [...t, 'metadata'];
  const metadata = get(obj, metadataPath);
  const containers: ContainerRef[] = [];
  for (const kind of ['containers', 'initContainers', 'ephemeralContainers'] as const) {
    const list = spec[kind];
    if (!Array.isArray(list)) continue;
    list.forEach((c, index) => {
      if (isRecord(c)) containers.push({ kind, index, name: str(c.name) ?? `#${index}`, value: c, path: [...path, kind, index] });
    });
  }
  return { spec, path, metadataPath, metadata: isRecord(metadata) ? metadata : {}, containers };
}

/** Long-running workloads (not Jobs, CronJobs or bare Pods). */
export function isLongRunning(obj: Obj): boolean {
  const k = obj.kind;
  return k === 'Deployment' || k === 'StatefulSet' || k === 'DaemonSet' || k === 'ReplicaSet' || k === 'ReplicationController';
}

/** Kinds with a `spec.replicas`. */
export function isReplicated(obj: Obj): boolean {
  const k = obj.kind;
  return k === 'Deployment' || k === 'StatefulSet' || k === 'ReplicaSet' || k === 'ReplicationController';
}

export function labelsOf(meta: unknown): Record<string, string> {
  const l = isRecord(meta) ? meta.labels : undefined;
  if (!isRecord(l)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(l)) out[k] = String(v);
  return out;
}

export function annotationsOf(meta: unknown): Record<string, string> {
  const a = isRecord(meta) ? meta.annotations : undefined;
  if (!isRecord(a)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) out[k] = String(v);
  return out;
}

export interface LabelSelector {
  matchLabels?: Record<string, unknown>;
  matchExpressions?: Array<{ key?: unknown; operator?: unknown; values?: unknown }>;
}

/**
 * Kubernetes label selector semantics. An empty selector (`{}`) matches everything; a missing one
 * (undefined/null) is treated the same by callers that need "match all". Unknown operators fail closed.
 */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return true;
  const ml = selector.matchLabels;
  if (isRecord(ml)) for (const [k, v] of Object.entries(ml)) if (labels[k] !== String(v)) return false;
  const me = selector.matchExpressions;
  if (Array.isArray(me)) {
    for (const e of me) {
      if (!isRecord(e)) return false;
      const key = String(e.key);
      const values = Array.isArray(e.values) ? e.values.map(String) : [];
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      switch (e.operator) {
        case 'In':
          if (!has || !values.includes(labels[key])) return false;
          break;
        case 'NotIn':
          if (has && values.includes(labels[key])) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
  }
  return true;
}

/** A plain `key: value` map selector (Service.spec.selector). Empty matches nothing useful: callers skip it. */
export function mapSelectorMatches(selector: Record<string, unknown>, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== String(v)) return false;
  return true;
}

/** Kinds that are never namespaced (built-in; CRDs add their own). */
export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'APIService', 'IngressClass',
  'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'PodSecurityPolicy', 'ClusterIssuer', 'CertificateSigningRequest',
  'FlowSchema', 'PriorityLevelConfiguration', 'ClusterSecretStore', 'ClusterExternalSecret', 'ClusterPolicy', 'GatewayClass',
  'VolumeSnapshotClass', 'VolumeSnapshotContent', 'ComponentStatus', 'TokenReview', 'SelfSubjectReview',
  'SubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'IPAddress', 'ServiceCIDR', 'ResourceSlice', 'DeviceClass',
]);

/** Kinds that are not objects applied to a cluster (tool configuration kept in the repo). */
export function isToolConfig(obj: Obj): boolean {
  const g = groupOf(obj.apiVersion);
  return g === 'kustomize.config.k8s.io' || g === 'config.kubernetes.io' || g === 'builtin';
}

/**
 * A workload document that is not a whole object: a strategic-merge patch (containers without an
 * image, or a Deployment/StatefulSet/DaemonSet/ReplicaSet/Job without a pod template or selector).
 */
export function isPartialObject(obj: Obj): boolean {
  const t = podTemplatePath(obj);
  if (!t) return false;
  const ps = podSpecOf(obj);
  if (!ps) return t.length > 0;
  if (ps.containers.length === 0) return true;
  if (ps.containers.some((c) => c.value.image === undefined)) return true;
  const k = obj.kind;
  if ((k === 'Deployment' || k === 'StatefulSet' || k === 'DaemonSet' || k === 'ReplicaSet') && get(obj, ['spec', 'selector']) === undefined) return true;
  return false;
}
