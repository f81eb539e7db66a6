// Which objects of a rendered environment create pods, and with which labels, for the reference
// rules (ref/service-selector): the built-in workloads, Argo Rollouts, the Prometheus operator's
// Prometheus, PrometheusAgent, Alertmanager and ThanosRuler, and any custom resource whose CRD (in
// the environment, or a schema the caller knows) has a pod template (`…template.spec.containers`).
// Any other custom kind may create pods the rules cannot see: an "unknown creator", and the rules
// stay silent where one is (never a warning about pods they cannot know).
import type { ObjectRef, RuleContext } from '../types';
import { get, groupOf, isRecord, labelsOf, podSpecOf, str, type Obj, type Path } from '../workload';

export interface PodCreators {
  /** Label sets of the pods of each namespace ('' for objects without one). */
  labels: Map<string, Array<Record<string, string>>>;
  /** Namespaces ('' for objects without one) holding an object that may create pods with labels not known here. */
  unknown: Map<string, string>;
}

/** Custom kinds known to create no pods (configuration, routing, certificates, secrets, GitOps objects). */
const NO_PODS_GROUPS = [
  /(^|\.)toolkit\.fluxcd\.io$/, /^(acme\.|trust\.)?cert-manager\.io$/, /(^|\.)external-secrets\.io$/, /^bitnami\.com$/,
  /^secrets-store\.csi\.x-k8s\.io$/, /\.k8s\.io$/, /^(networking|security|telemetry|extensions)\.istio\.io$/, /^(policy\.)?linkerd\.io$/,
  /^traefik\.(io|containo\.us)$/, /^projectcontour\.io$/, /^getambassador\.io$/, /^kyverno\.io$/, /^wgpolicyk8s\.io$/, /^keda\.sh$/,
  /^templates\.gatekeeper\.sh$/, /^constraints\.gatekeeper\.sh$/, /^config\.gatekeeper\.sh$/, /^cilium\.io$/, /^crd\.projectcalico\.org$/,
  /^kustomize\.config\.k8s\.io$/, /^config\.kubernetes\.io$/, /^builtin$/, /^externaldns\.k8s\.io$/, /^velero\.io$/,
];
const NO_PODS_KINDS: Record<string, Set<string>> = {
  'monitoring.coreos.com': new Set(['ServiceMonitor', 'PodMonitor', 'PrometheusRule', 'Probe', 'ScrapeConfig', 'AlertmanagerConfig']),
  'argoproj.io': new Set(['Application', 'ApplicationSet', 'AppProject', 'AnalysisTemplate', 'ClusterAnalysisTemplate', 'AnalysisRun', 'WorkflowTemplate', 'ClusterWorkflowTemplate']),
};

/** The Prometheus operator's kinds and the labels it puts on their pods (current and older operator versions). */
const PROMETHEUS_OPERATOR: Record<string, { name: string; label: string }> = {
  Prometheus: { name: 'prometheus', label: 'prometheus' },
  PrometheusAgent: { name: 'prometheus-agent', label: 'prometheus' },
  Alertmanager: { name: 'alertmanager', label: 'alertmanager' },
  ThanosRuler: { name: 'thanos-ruler', label: 'thanos-ruler' },
};

/** Groups of the built-in API (no dot, or under k8s.io): their workloads are known through podSpecOf. */
function isCustomGroup(group: string): boolean {
  return group.includes('.') && !group.endsWith('.k8s.io');
}

function createsNoPods(group: string, kind: string): boolean {
  return NO_PODS_GROUPS.some((r) => r.test(group)) || NO_PODS_KINDS[group]?.has(kind) === true;
}

/**
 * Paths of pod templates (objects with `spec.containers`) in an OpenAPI schema, `*` for array
 * items; `$ref: #/definitions/…` (as SchemaRegistry.jsonSchemaFor gives) are followed.
 */
export function podTemplatePaths(schema: unknown): Path[] {
  const defs = isRecord(schema) && isRecord(schema.definitions) ? schema.definitions : {};
  const out: Path[] = [];
  const walk = (node: unknown, depth: number, at: Path, refs: ReadonlySet<string>): void => {
    if (!isRecord(node) || depth > 10) return;
    const ref = str(node.$ref);
    if (ref?.startsWith('#/definitions/')) {
      const name = ref.slice('#/definitions/'.length);
      if (!refs.has(name)) walk(defs[name], depth, at, new Set([...refs, name]));
      return;
    }
    const props = node.properties;
    if (isRecord(props)) {
      if (depth > 0 && containersIn(props.spec, defs)) out.push(at);
      for (const [k, v] of Object.entries(props)) walk(v, depth + 1, [...at, k], refs);
    }
    if (isRecord(node.items)) walk(node.items, depth + 1, [...at, '*'], refs);
  };
  walk(schema, 0, [], new Set());
  return out;
}

function containersIn(spec: unknown, defs: Obj): boolean {
  let s = spec;
  const ref = isRecord(s) ? str(s.$ref) : undefined;
  if (ref?.startsWith('#/definitions/')) s = defs[ref.slice('#/definitions/'.length)];
  return isRecord(get(s, ['properties', 'containers']));
}

/** Pod templates found in the object itself (a `template` with `spec.containers`), for kinds without a known schema. */
function templatesInObject(v: unknown, depth = 0, at: Path = []): Path[] {
  if (depth > 8) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => templatesInObject(x, depth + 1, [...at, i]));
  if (!isRecord(v)) return [];
  const out: Path[] = [];
  if (depth > 0 && Array.isArray(get(v, ['spec', 'containers']))) out.push(at);
  for (const [k, x] of Object.entries(v)) if (k !== 'metadata' || depth > 0) out.push(...templatesInObject(x, depth + 1, [...at, k]));
  return out;
}

/** The values at a path with `*` segments. */
function valuesAt(v: unknown, p: Path): unknown[] {
  if (p.length === 0) return [v];
  const [seg, ...rest] = p;
  if (seg === '*') return Array.isArray(v) ? v.flatMap((x) => valuesAt(x, rest)) : [];
  if (!isRecord(v)) return [];
  return valuesAt(v[seg as string], rest);
}

/** The pod template paths the CRD of an object's kind declares (CRDs in the set, then `options.schemaOf`). */
function schemaTemplatePaths(o: ObjectRef, ctx: RuleContext): Path[] | undefined {
  const apiVersion = str(o.value.apiVersion) ?? '';
  const group = groupOf(apiVersion);
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  const byKind = ctx.set.memo('crdPodTemplates', () => {
    const m = new Map<string, Path[]>();
    for (const crd of ctx.set.ofKind('CustomResourceDefinition')) {
      const g = str(get(crd.value, ['spec', 'group']));
      const k = str(get(crd.value, ['spec', 'names', 'kind']));
      const versions = get(crd.value, ['spec', 'versions']);
      if (!g || !k || !Array.isArray(versions)) continue;
      for (const v of versions) {
        const name = str(get(v, ['name']));
        if (name) m.set(`${g}/${name}/${k}`, podTemplatePaths(get(v, ['schema', 'openAPIV3Schema'])));
      }
    }
    return m;
  });
  const key = `${group}/${version}/${o.id.kind}`;
  if (byKind.has(key)) return byKind.get(key);
  const schema = ctx.options.schemaOf?.(group, version, o.id.kind);
  return schema === undefined ? undefined : podTemplatePaths(schema);
}

/** Pods per namespace, and the namespaces where an unknown creator is; computed once per set. */
export function podCreators(ctx: RuleContext): PodCreators {
  return ctx.set.memo('podCreators', () => {
    const labels = new Map<string, Array<Record<string, string>>>();
    const unknown = new Map<string, string>();
    const add = (o: ObjectRef, l: Record<string, string>) => {
      const k = o.namespace ?? '';
      const list = labels.get(k);
      if (list) list.push(l);
      else labels.set(k, [l]);
    };
    for (const o of ctx.set.objects) {
      const ps = podSpecOf(o.value);
      if (ps) {
        add(o, labelsOf(ps.metadata));
        continue;
      }
      const group = groupOf(o.value.apiVersion);
      if (!isCustomGroup(group) || createsNoPods(group, o.id.kind)) continue;
      const prom = group === 'monitoring.coreos.com' ? PROMETHEUS_OPERATOR[o.id.kind] : undefined;
      if (prom) {
        const name = o.id.name;
        add(o, {
          ...labelsOf(get(o.value, ['spec', 'podMetadata'])),
          app: prom.name,
          'app.kubernetes.io/name': prom.name,
          'app.kubernetes.io/instance': name,
          'app.kubernetes.io/managed-by': 'prometheus-operator',
          [prom.label]: name,
          'operator.prometheus.io/name': name,
        });
        continue;
      }
      const paths = schemaTemplatePaths(o, ctx) ?? templatesInObject(o.value);
      const templates = paths.flatMap((p) => valuesAt(o.value, p)).filter(isRecord) as Obj[];
      const known = templates.map((t) => labelsOf(t.metadata)).filter((l) => Object.keys(l).length > 0);
      if (group === 'argoproj.io' && o.id.kind === 'Rollout' && get(o.value, ['spec', 'workloadRef']) !== undefined) continue; // its pods are the referenced Deployment's
      if (known.length > 0) for (const l of known) add(o, l);
      else if (!unknown.has(o.namespace ?? '')) unknown.set(o.namespace ?? '', `${o.id.kind} ${o.id.name}`);
    }
    return { labels, unknown };
  });
}
