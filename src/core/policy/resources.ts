// Kinds to API resources (`Deployment` → `deployments`), for admission policies' resourceRules:
// the built-in kinds, plus CustomResourceDefinitions found in the repository.
import { CLUSTER_SCOPED_KINDS, get, groupOf, str, type Obj } from './workload';

export interface ResourceInfo {
  resource: string;
  namespaced: boolean;
}

const BUILTIN: Record<string, Record<string, string>> = {
  '': {
    Pod: 'pods', Service: 'services', ConfigMap: 'configmaps', Secret: 'secrets', Namespace: 'namespaces', ServiceAccount: 'serviceaccounts',
    PersistentVolumeClaim: 'persistentvolumeclaims', PersistentVolume: 'persistentvolumes', ReplicationController: 'replicationcontrollers',
    Endpoints: 'endpoints', LimitRange: 'limitranges', ResourceQuota: 'resourcequotas', Node: 'nodes', PodTemplate: 'podtemplates', Event: 'events',
  },
  apps: { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', ReplicaSet: 'replicasets', ControllerRevision: 'controllerrevisions' },
  batch: { Job: 'jobs', CronJob: 'cronjobs' },
  autoscaling: { HorizontalPodAutoscaler: 'horizontalpodautoscalers' },
  policy: { PodDisruptionBudget: 'poddisruptionbudgets', PodSecurityPolicy: 'podsecuritypolicies' },
  'networking.k8s.io': { Ingress: 'ingresses', IngressClass: 'ingressclasses', NetworkPolicy: 'networkpolicies' },
  'rbac.authorization.k8s.io': { Role: 'roles', RoleBinding: 'rolebindings', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings' },
  'storage.k8s.io': { StorageClass: 'storageclasses', CSIDriver: 'csidrivers', VolumeAttachment: 'volumeattachments' },
  'apiextensions.k8s.io': { CustomResourceDefinition: 'customresourcedefinitions' },
  'admissionregistration.k8s.io': {
    ValidatingAdmissionPolicy: 'validatingadmissionpolicies', ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
    ValidatingWebhookConfiguration: 'validatingwebhookconfigurations', MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
  },
  'scheduling.k8s.io': { PriorityClass: 'priorityclasses' },
  'coordination.k8s.io': { Lease: 'leases' },
  'discovery.k8s.io': { EndpointSlice: 'endpointslices' },
  'node.k8s.io': { RuntimeClass: 'runtimeclasses' },
  'gateway.networking.k8s.io': { Gateway: 'gateways', GatewayClass: 'gatewayclasses', HTTPRoute: 'httproutes', GRPCRoute: 'grpcroutes' },
  'argoproj.io': { Application: 'applications', ApplicationSet: 'applicationsets', AppProject: 'appprojects' },
  'kustomize.toolkit.fluxcd.io': { Kustomization: 'kustomizations' },
  'helm.toolkit.fluxcd.io': { HelmRelease: 'helmreleases' },
  'source.toolkit.fluxcd.io': { GitRepository: 'gitrepositories', HelmRepository: 'helmrepositories', OCIRepository: 'ocirepositories', Bucket: 'buckets', HelmChart: 'helmcharts' },
  'cert-manager.io': { Certificate: 'certificates', Issuer: 'issuers', ClusterIssuer: 'clusterissuers' },
  'external-secrets.io': { ExternalSecret: 'externalsecrets', SecretStore: 'secretstores', ClusterSecretStore: 'clustersecretstores' },
  'bitnami.com': { SealedSecret: 'sealedsecrets' },
  'monitoring.coreos.com': { ServiceMonitor: 'servicemonitors', PodMonitor: 'podmonitors', PrometheusRule: 'prometheusrules' },
};

/** Lower-case plural as Kubernetes forms it for most kinds. */
export function guessPlural(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

/** Resources declared by CRDs (group/kind → info). */
export function crdResources(objects: Iterable<Obj>): Map<string, ResourceInfo> {
  const out = new Map<string, ResourceInfo>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const group = str(get(o, ['spec', 'group']));
    const kind = str(get(o, ['spec', 'names', 'kind']));
    const plural = str(get(o, ['spec', 'names', 'plural']));
    if (group === undefined || !kind) continue;
    out.set(`${group}/${kind}`, { resource: plural ?? guessPlural(kind), namespaced: get(o, ['spec', 'scope']) !== 'Cluster' });
  }
  return out;
}

export function resourceOf(obj: Obj, crds?: Map<string, ResourceInfo>): ResourceInfo {
  const group = groupOf(obj.apiVersion);
  const kind = String(obj.kind);
  const crd = crds?.get(`${group}/${kind}`);
  if (crd) return crd;
  const plural = BUILTIN[group]?.[kind] ?? guessPlural(kind);
  return { resource: plural, namespaced: !CLUSTER_SCOPED_KINDS.has(kind) };
}
