// The order a sync applies objects in:
//   1. Namespaces, then CustomResourceDefinitions (a sync waits until each CRD is Established before
//      the first of its custom resources);
//   2. other cluster-scoped objects;
//   3. namespaced objects;
// within 2 and 3 by `argocd.argoproj.io/sync-wave` (an integer, default 0), then by kind in an order like
// Argo CD's and Helm's (policies and quotas, ServiceAccounts, Secrets and ConfigMaps, storage, RBAC,
// Services, workloads, then Ingresses), custom resources after the built-in kinds, then by namespace
// and name. Webhook configurations and APIServices come last of all: applied earlier they would send
// every later request to a backend the sync has not created yet.
// Before all of that comes the hook phase (phase/classify): PreSync hooks, then Sync (ordinary
// resources and Sync hooks), then PostSync, then SyncFail; the order above holds within each phase.
import type { RawObject } from '../cluster/types';
import type { ResourceId } from '../manifest/identity';
import { comparePhase, type Phase } from '../phase';

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Built-in kinds in apply order (kinds not listed — custom resources — come after them). */
export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'PriorityClass',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
];

/** Kinds applied after everything else (they intercept or serve later requests). */
export const LAST_KINDS: readonly string[] = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'APIService'];

const KIND_RANK = new Map(KIND_ORDER.map((k, i) => [k, i]));

export type SyncPhase = 'namespaces' | 'crds' | 'cluster' | 'namespaced' | 'last';
const PHASES: readonly SyncPhase[] = ['namespaces', 'crds', 'cluster', 'namespaced', 'last'];

/** What syncOrder needs of an item: its identity (namespace resolved), and its object or wave. */
export interface Orderable {
  id: ResourceId;
  object?: RawObject;
  wave?: number;
  /** Its hook phase (default Sync). */
  phase?: Phase;
}

/** The sync wave of an object: its `argocd.argoproj.io/sync-wave` annotation as an integer, else 0. */
export function waveOf(object: RawObject | undefined): number {
  const a = (object?.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations?.[SYNC_WAVE_ANNOTATION];
  const s = typeof a === 'number' ? String(a) : typeof a === 'string' ? a.trim() : '';
  return /^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : 0;
}

/** Which phase an object is applied in. Objects without a namespace are taken as cluster-scoped. */
export function phaseOf(id: Pick<ResourceId, 'group' | 'kind' | 'namespace'>): SyncPhase {
  if (id.group === '' && id.kind === 'Namespace') return 'namespaces';
  if (id.group === 'apiextensions.k8s.io' && id.kind === 'CustomResourceDefinition') return 'crds';
  if (LAST_KINDS.includes(id.kind)) return 'last';
  return id.namespace ? 'namespaced' : 'cluster';
}

function kindRank(kind: string): number {
  return KIND_RANK.get(kind) ?? KIND_ORDER.length;
}

function waveOfItem(x: Orderable): number {
  return x.wave ?? waveOf(x.object);
}

/** Negative when `a` is applied before `b`. */
export function compareSyncOrder(a: Orderable, b: Orderable): number {
  const hp = comparePhase(a.phase ?? 'Sync', b.phase ?? 'Sync');
  if (hp !== 0) return hp;
  const pa = PHASES.indexOf(phaseOf(a.id));
  const pb = PHASES.indexOf(phaseOf(b.id));
  if (pa !== pb) return pa - pb;
  const phase = PHASES[pa];
  if (phase === 'cluster' || phase === 'namespaced' || phase === 'last') {
    const w = waveOfItem(a) - waveOfItem(b);
    if (w !== 0) return w;
  }
  return (
    kindRank(a.id.kind) - kindRank(b.id.kind) ||
    cmp(a.id.kind, b.id.kind) ||
    cmp(a.id.group, b.id.group) ||
    cmp(a.id.namespace ?? '', b.id.namespace ?? '') ||
    cmp(a.id.name, b.id.name)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The items in sync order (a new array; the input is not changed). */
export function syncOrder<T extends Orderable>(items: readonly T[]): T[] {
  return [...items].sort(compareSyncOrder);
}

/**
 * The step of an item: items of one step may be applied in any order; a sync does not go on to the
 * next step when one of a step failed (as Argo CD does not start the next wave).
 */
export function stepOf(x: Orderable): string {
  const phase = phaseOf(x.id);
  const step = phase === 'namespaces' || phase === 'crds' ? phase : `${phase}:${waveOfItem(x)}`;
  return x.phase && x.phase !== 'Sync' ? `${x.phase}:${step}` : step;
}
