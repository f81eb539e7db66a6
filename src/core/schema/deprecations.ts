// API versions that Kubernetes deprecated or removed, per kind, with what replaced them
// (the Kubernetes deprecation guide). Checked before any schema: a removed apiVersion has no schema
// to validate against, and saying what to use instead is the useful part.

export interface ApiLifecycle {
  group: string;
  version: string;
  kinds: readonly string[];
  /** Minor version ("1.16") from which the API server warns; undefined when it never did. */
  deprecatedIn?: string;
  /** Minor version in which the API server stopped serving it; undefined when still served. */
  removedIn?: string;
  /** apiVersion that replaces it; undefined when there is none. */
  replacement?: string;
  /** Kind that replaces it, when the kind changes too (Endpoints → EndpointSlice). */
  replacementKind?: string;
  /** Extra advice, e.g. what to use when there is no replacement. */
  note?: string;
  /** Only the apiVersion changes (same fields): a quick fix can rewrite it. */
  renameOnly?: boolean;
}

const L = (
  group: string,
  version: string,
  kinds: string[],
  deprecatedIn: string | undefined,
  removedIn: string | undefined,
  replacement: string | undefined,
  extra: Partial<ApiLifecycle> = {},
): ApiLifecycle => ({ group, version, kinds, deprecatedIn, removedIn, replacement, ...extra });

export const API_LIFECYCLE: readonly ApiLifecycle[] = [
  // 1.16
  L('extensions', 'v1beta1', ['Deployment', 'DaemonSet', 'ReplicaSet'], '1.8', '1.16', 'apps/v1', { note: 'apps/v1 requires spec.selector and it must match the template labels' }),
  L('extensions', 'v1beta1', ['NetworkPolicy'], '1.9', '1.16', 'networking.k8s.io/v1'),
  L('extensions', 'v1beta1', ['PodSecurityPolicy'], '1.11', '1.16', undefined, { note: 'PodSecurityPolicy itself was removed in 1.25: use Pod Security Admission (pod-security.kubernetes.io/* namespace labels) or a policy engine' }),
  L('apps', 'v1beta1', ['Deployment', 'StatefulSet', 'ControllerRevision'], '1.9', '1.16', 'apps/v1', { note: 'apps/v1 requires spec.selector' }),
  L('apps', 'v1beta2', ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ControllerRevision'], '1.9', '1.16', 'apps/v1'),
  // 1.22
  L('admissionregistration.k8s.io', 'v1beta1', ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], '1.16', '1.22', 'admissionregistration.k8s.io/v1', { note: 'v1 requires admissionReviewVersions and sideEffects' }),
  L('apiextensions.k8s.io', 'v1beta1', ['CustomResourceDefinition'], '1.16', '1.22', 'apiextensions.k8s.io/v1', { note: 'v1 requires a structural schema per version' }),
  L('apiregistration.k8s.io', 'v1beta1', ['APIService'], '1.19', '1.22', 'apiregistration.k8s.io/v1', { renameOnly: true }),
  L('authentication.k8s.io', 'v1beta1', ['TokenReview'], '1.19', '1.22', 'authentication.k8s.io/v1', { renameOnly: true }),
  L('authorization.k8s.io', 'v1beta1', ['SubjectAccessReview', 'LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview'], '1.19', '1.22', 'authorization.k8s.io/v1', { note: 'spec.group was renamed spec.groups' }),
  L('certificates.k8s.io', 'v1beta1', ['CertificateSigningRequest'], '1.19', '1.22', 'certificates.k8s.io/v1', { note: 'v1 requires spec.signerName' }),
  L('coordination.k8s.io', 'v1beta1', ['Lease'], '1.19', '1.22', 'coordination.k8s.io/v1', { renameOnly: true }),
  L('extensions', 'v1beta1', ['Ingress'], '1.14', '1.22', 'networking.k8s.io/v1', { note: 'backend.serviceName/servicePort became backend.service.name/port, and pathType is required' }),
  L('networking.k8s.io', 'v1beta1', ['Ingress'], '1.19', '1.22', 'networking.k8s.io/v1', { note: 'backend.serviceName/servicePort became backend.service.name/port, and pathType is required' }),
  L('networking.k8s.io', 'v1beta1', ['IngressClass'], '1.19', '1.22', 'networking.k8s.io/v1', { renameOnly: true }),
  L('rbac.authorization.k8s.io', 'v1beta1', ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], '1.17', '1.22', 'rbac.authorization.k8s.io/v1', { renameOnly: true }),
  L('scheduling.k8s.io', 'v1beta1', ['PriorityClass'], '1.14', '1.22', 'scheduling.k8s.io/v1', { renameOnly: true }),
  L('storage.k8s.io', 'v1beta1', ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], '1.19', '1.22', 'storage.k8s.io/v1'),
  // 1.25
  L('batch', 'v1beta1', ['CronJob'], '1.21', '1.25', 'batch/v1', { renameOnly: true }),
  L('discovery.k8s.io', 'v1beta1', ['EndpointSlice'], '1.21', '1.25', 'discovery.k8s.io/v1', { note: 'topology was replaced by zone and hints' }),
  L('events.k8s.io', 'v1beta1', ['Event'], '1.21', '1.25', 'events.k8s.io/v1'),
  L('autoscaling', 'v2beta1', ['HorizontalPodAutoscaler'], '1.22', '1.25', 'autoscaling/v2', { note: 'targetAverageUtilization became target.averageUtilization' }),
  L('policy', 'v1beta1', ['PodDisruptionBudget'], '1.21', '1.25', 'policy/v1', { note: 'in policy/v1 an empty spec.selector selects every pod in the namespace' }),
  L('policy', 'v1beta1', ['PodSecurityPolicy'], '1.21', '1.25', undefined, { note: 'use Pod Security Admission (pod-security.kubernetes.io/* namespace labels) or a policy engine' }),
  L('node.k8s.io', 'v1beta1', ['RuntimeClass'], '1.20', '1.25', 'node.k8s.io/v1', { renameOnly: true }),
  // 1.26, 1.27, 1.29, 1.32
  L('flowcontrol.apiserver.k8s.io', 'v1beta1', ['FlowSchema', 'PriorityLevelConfiguration'], '1.23', '1.26', 'flowcontrol.apiserver.k8s.io/v1'),
  L('autoscaling', 'v2beta2', ['HorizontalPodAutoscaler'], '1.23', '1.26', 'autoscaling/v2', { renameOnly: true }),
  L('storage.k8s.io', 'v1beta1', ['CSIStorageCapacity'], '1.24', '1.27', 'storage.k8s.io/v1', { renameOnly: true }),
  L('flowcontrol.apiserver.k8s.io', 'v1beta2', ['FlowSchema', 'PriorityLevelConfiguration'], '1.26', '1.29', 'flowcontrol.apiserver.k8s.io/v1'),
  L('flowcontrol.apiserver.k8s.io', 'v1beta3', ['FlowSchema', 'PriorityLevelConfiguration'], '1.29', '1.32', 'flowcontrol.apiserver.k8s.io/v1', { note: 'v1 no longer defaults nominalConcurrencyShares 0 to 30' }),
  // Deprecated, still served.
  L('', 'v1', ['ComponentStatus'], '1.19', undefined, undefined, { note: 'read component health from the components’ own /livez and /readyz endpoints' }),
  L('', 'v1', ['Endpoints'], '1.33', undefined, 'discovery.k8s.io/v1', { replacementKind: 'EndpointSlice' }),
];

export type ApiStatus =
  | { status: 'removed'; entry: ApiLifecycle }
  | { status: 'deprecated'; entry: ApiLifecycle }
  | { status: 'ok' };

/** Compares "1.25" with "1.9" numerically. */
export function compareMinor(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

const index = new Map<string, ApiLifecycle>();
for (const e of API_LIFECYCLE) for (const k of e.kinds) index.set(`${e.group}/${e.version}/${k}`, e);

/** Whether `group/version` still serves `kind` in Kubernetes `target` (e.g. "1.36"). */
export function apiStatus(group: string, version: string, kind: string, target: string): ApiStatus {
  const entry = index.get(`${group}/${version}/${kind}`);
  if (!entry) return { status: 'ok' };
  if (entry.removedIn && compareMinor(target, entry.removedIn) >= 0) return { status: 'removed', entry };
  if (entry.deprecatedIn && compareMinor(target, entry.deprecatedIn) >= 0) return { status: 'deprecated', entry };
  return { status: 'ok' };
}

/** The sentence a finding shows, e.g. `extensions/v1beta1 Deployment was removed in Kubernetes 1.16; use apps/v1`. */
export function lifecycleMessage(s: Exclude<ApiStatus, { status: 'ok' }>, kind: string, target: string): string {
  const e = s.entry;
  const gv = e.group ? `${e.group}/${e.version}` : e.version;
  const what =
    s.status === 'removed'
      ? `${gv} ${kind} was removed in Kubernetes ${e.removedIn} (target ${target})`
      : `${gv} ${kind} is deprecated since Kubernetes ${e.deprecatedIn}${e.removedIn ? ` and removed in ${e.removedIn}` : ''}`;
  if (!e.replacement) return `${what}; there is no replacement${e.note ? `: ${e.note}` : ''}`;
  return `${what}; use ${e.replacement}${e.replacementKind ? ` ${e.replacementKind}` : ''}${e.note ? ` (${e.note})` : ''}`;
}
