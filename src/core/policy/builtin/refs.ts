// Reference integrity within one rendered environment: what a Service, an Ingress, an HPA or a
// pod points at must exist in the same set (or be declared as provided from outside).
import type { ObjectRef, RuleContext } from '../types';
import { get, isRecord, mapSelectorMatches, podSpecOf, str, type Obj, type Path } from '../workload';
import { podCreators } from './pod-creators';

/** `Kind/name` or `Kind/namespace/name`, `*` as a whole segment. */
export function isExternal(patterns: readonly string[] | undefined, kind: string, namespace: string | undefined, name: string): boolean {
  if (!patterns?.length) return false;
  for (const p of patterns) {
    const parts = p.split('/');
    const seg = (pat: string, v: string) => pat === '*' || pat === v;
    if (parts.length === 2 && seg(parts[0], kind) && seg(parts[1], name)) return true;
    if (parts.length === 3 && seg(parts[0], kind) && seg(parts[1], namespace ?? '') && seg(parts[2], name)) return true;
  }
  return false;
}

/** Names that Kubernetes or common controllers create in every namespace. */
const IMPLICIT: Record<string, Set<string>> = { ConfigMap: new Set(['kube-root-ca.crt']), Secret: new Set() };

/** Objects that produce a Secret/ConfigMap (name → kinds) besides the Secret/ConfigMap itself. */
function providedNames(ctx: RuleContext): Map<string, Set<string>> {
  return ctx.set.memo('providedNames', () => collectProvided(ctx));
}

function collectProvided(ctx: RuleContext): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (kind: string, ns: string | undefined, name: string | undefined) => {
    if (!name) return;
    const k = `${kind}/${ns ?? ''}/${name}`;
    if (!out.has(k)) out.set(k, new Set());
  };
  for (const o of ctx.set.objects) {
    const v = o.value;
    switch (o.id.kind) {
      case 'ConfigMap':
      case 'Secret':
      case 'PersistentVolumeClaim':
      case 'Service':
        add(o.id.kind, o.namespace, o.id.name);
        break;
      case 'SealedSecret':
        add('Secret', o.namespace, str(get(v, ['spec', 'template', 'metadata', 'name'])) ?? o.id.name);
        break;
      case 'ExternalSecret':
        add('Secret', o.namespace, str(get(v, ['spec', 'target', 'name'])) ?? o.id.name);
        break;
      case 'Certificate':
        add('Secret', o.namespace, str(get(v, ['spec', 'secretName'])));
        break;
      case 'SecretProviderClass': {
        const objs = get(v, ['spec', 'secretObjects']);
        if (Array.isArray(objs)) for (const so of objs) add('Secret', o.namespace, str(get(so, ['secretName'])));
        break;
      }
    }
  }
  return out;
}

function exists(ctx: RuleContext, kind: string, namespace: string | undefined, name: string): boolean {
  if (IMPLICIT[kind]?.has(name)) return true;
  if (providedNames(ctx).has(`${kind}/${namespace ?? ''}/${name}`)) return true;
  return isExternal(ctx.options.externalNames, kind, namespace, name);
}

interface ConfigRef {
  kind: 'ConfigMap' | 'Secret' | 'PersistentVolumeClaim';
  name: string;
  path: Path;
  what: string;
}

function podRefs(o: ObjectRef): ConfigRef[] {
  const ps = podSpecOf(o.value);
  if (!ps) return [];
  const out: ConfigRef[] = [];
  const optional = (x: unknown) => isRecord(x) && x.optional === true;
  const spec = ps.spec;
  const volumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  volumes.forEach((vol, i) => {
    if (!isRecord(vol)) return;
    const vp: Path = [...ps.path, 'volumes', i];
    const vname = str(vol.name) ?? `#${i}`;
    if (isRecord(vol.configMap) && !optional(vol.configMap) && str(vol.configMap.name)) out.push({ kind: 'ConfigMap', name: str(vol.configMap.name)!, path: [...vp, 'configMap', 'name'], what: `volume '${vname}'` });
    if (isRecord(vol.secret) && !optional(vol.secret) && str(vol.secret.secretName)) out.push({ kind: 'Secret', name: str(vol.secret.secretName)!, path: [...vp, 'secret', 'secretName'], what: `volume '${vname}'` });
    if (isRecord(vol.persistentVolumeClaim) && str(vol.persistentVolumeClaim.claimName)) out.push({ kind: 'PersistentVolumeClaim', name: str(vol.persistentVolumeClaim.claimName)!, path: [...vp, 'persistentVolumeClaim', 'claimName'], what: `volume '${vname}'` });
    const sources = get(vol, ['projected', 'sources']);
    if (Array.isArray(sources)) {
      sources.forEach((s, j) => {
        if (isRecord(s?.configMap) && !optional(s.configMap) && str(s.configMap.name)) out.push({ kind: 'ConfigMap', name: str(s.configMap.name)!, path: [...vp, 'projected', 'sources', j, 'configMap', 'name'], what: `volume '${vname}'` });
        if (isRecord(s?.secret) && !optional(s.secret) && str(s.secret.name)) out.push({ kind: 'Secret', name: str(s.secret.name)!, path: [...vp, 'projected', 'sources', j, 'secret', 'name'], what: `volume '${vname}'` });
      });
    }
  });
  for (const c of ps.containers) {
    const envFrom = Array.isArray(c.value.envFrom) ? c.value.envFrom : [];
    envFrom.forEach((e, i) => {
      if (isRecord(e?.configMapRef) && !optional(e.configMapRef) && str(e.configMapRef.name)) out.push({ kind: 'ConfigMap', name: str(e.configMapRef.name)!, path: [...c.path, 'envFrom', i, 'configMapRef', 'name'], what: `container '${c.name}' envFrom` });
      if (isRecord(e?.secretRef) && !optional(e.secretRef) && str(e.secretRef.name)) out.push({ kind: 'Secret', name: str(e.secretRef.name)!, path: [...c.path, 'envFrom', i, 'secretRef', 'name'], what: `container '${c.name}' envFrom` });
    });
    const env = Array.isArray(c.value.env) ? c.value.env : [];
    env.forEach((e, i) => {
      const raw = get(e, ['valueFrom']);
      const vf: Obj = isRecord(raw) ? raw : {};
      const ename = str(get(e, ['name'])) ?? `#${i}`;
      if (isRecord(vf.configMapKeyRef) && !optional(vf.configMapKeyRef) && str(vf.configMapKeyRef.name)) out.push({ kind: 'ConfigMap', name: str(vf.configMapKeyRef.name)!, path: [...c.path, 'env', i, 'valueFrom', 'configMapKeyRef', 'name'], what: `env ${ename} of container '${c.name}'` });
      if (isRecord(vf.secretKeyRef) && !optional(vf.secretKeyRef) && str(vf.secretKeyRef.name)) out.push({ kind: 'Secret', name: str(vf.secretKeyRef.name)!, path: [...c.path, 'env', i, 'valueFrom', 'secretKeyRef', 'name'], what: `env ${ename} of container '${c.name}'` });
    });
  }
  const pullSecrets = Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : [];
  pullSecrets.forEach((s, i) => {
    const n = str(get(s, ['name']));
    if (n) out.push({ kind: 'Secret', name: n, path: [...ps.path, 'imagePullSecrets', i, 'name'], what: 'imagePullSecrets' });
  });
  return out;
}

export function checkConfigRefs(o: ObjectRef, ctx: RuleContext): void {
  if (!ctx.set.complete) return;
  for (const ref of podRefs(o)) {
    if (exists(ctx, ref.kind, o.namespace, ref.name)) continue;
    ctx.report(o, { code: 'ref/config-missing', path: ref.path, message: `${ref.kind} ${ref.name} (${ref.what}) is not defined in ${o.namespace ? `namespace ${o.namespace}` : 'this environment'}` });
  }
  if (o.id.kind === 'Ingress') {
    const annotations = isRecord(get(o.value, ['metadata', 'annotations'])) ? (get(o.value, ['metadata', 'annotations']) as Obj) : {};
    const certManager = Object.keys(annotations).some((k) => k.startsWith('cert-manager.io/'));
    const tls = get(o.value, ['spec', 'tls']);
    if (!certManager && Array.isArray(tls)) {
      tls.forEach((t, i) => {
        const n = str(get(t, ['secretName']));
        if (n && !exists(ctx, 'Secret', o.namespace, n)) ctx.report(o, { code: 'ref/config-missing', path: ['spec', 'tls', i, 'secretName'], message: `TLS Secret ${n} is not defined in ${o.namespace ? `namespace ${o.namespace}` : 'this environment'}` });
      });
    }
  }
}

export function checkServiceSelector(o: ObjectRef, ctx: RuleContext): void {
  if (!ctx.set.complete || o.id.kind !== 'Service' || o.id.group !== '') return;
  const sel = get(o.value, ['spec', 'selector']);
  if (!isRecord(sel) || Object.keys(sel).length === 0 || get(o.value, ['spec', 'type']) === 'ExternalName') return;
  const ns = o.namespace ?? '';
  const creators = podCreators(ctx);
  const matched = [...(creators.labels.get(ns) ?? []), ...(ns ? (creators.labels.get('') ?? []) : [])].some((labels) => mapSelectorMatches(sel, labels));
  if (matched || isExternal(ctx.options.externalNames, 'Service', o.namespace, o.id.name)) return;
  // pods of a kind whose pods the rules cannot see (an operator's custom resource): say nothing
  if (creators.unknown.has(ns) || creators.unknown.has('')) return;
  const text = Object.entries(sel).map(([k, v]) => `${k}=${String(v)}`).join(',');
  ctx.report(o, { code: 'ref/service-selector', path: ['spec', 'selector'], key: true, message: `Service ${o.id.name} selects ${text}, which matches no pod template in ${o.namespace ? `namespace ${o.namespace}` : 'this environment'}` });
}

function servicePorts(svc: ObjectRef): Array<{ name?: string; port?: number }> {
  const ports = get(svc.value, ['spec', 'ports']);
  return Array.isArray(ports) ? ports.map((p) => ({ name: str(get(p, ['name'])), port: Number(get(p, ['port'])) })) : [];
}

export function checkIngressBackends(o: ObjectRef, ctx: RuleContext): void {
  if (!ctx.set.complete || o.id.kind !== 'Ingress') return;
  const backends: Array<{ path: Path; service: unknown }> = [];
  const def = get(o.value, ['spec', 'defaultBackend', 'service']);
  if (isRecord(def)) backends.push({ path: ['spec', 'defaultBackend', 'service'], service: def });
  const rules = get(o.value, ['spec', 'rules']);
  if (Array.isArray(rules)) {
    rules.forEach((rule, i) => {
      const paths = get(rule, ['http', 'paths']);
      if (!Array.isArray(paths)) return;
      paths.forEach((p, j) => {
        const svc = get(p, ['backend', 'service']);
        if (isRecord(svc)) backends.push({ path: ['spec', 'rules', i, 'http', 'paths', j, 'backend', 'service'], service: svc });
      });
    });
  }
  for (const b of backends) {
    const name = str(get(b.service, ['name']));
    if (!name) continue;
    const svc = ctx.set.find('Service', o.namespace, name);
    if (!svc) {
      if (!isExternal(ctx.options.externalNames, 'Service', o.namespace, name)) {
        ctx.report(o, { code: 'ref/ingress-backend', path: [...b.path, 'name'], message: `backend Service ${name} is not defined in ${o.namespace ? `namespace ${o.namespace}` : 'this environment'}` });
      }
      continue;
    }
    const portName = str(get(b.service, ['port', 'name']));
    const portNumber = get(b.service, ['port', 'number']);
    const ports = servicePorts(svc);
    if (portName !== undefined && !ports.some((p) => p.name === portName)) {
      ctx.report(o, { code: 'ref/ingress-backend', path: [...b.path, 'port', 'name'], message: `Service ${name} has no port named ${portName} (it has ${ports.map((p) => p.name ?? p.port).join(', ') || 'none'})` });
    } else if (portNumber !== undefined && !ports.some((p) => p.port === Number(portNumber))) {
      ctx.report(o, { code: 'ref/ingress-backend', path: [...b.path, 'port', 'number'], message: `Service ${name} has no port ${String(portNumber)} (it has ${ports.map((p) => p.port).join(', ') || 'none'})` });
    }
  }
}

export function checkHpaTarget(o: ObjectRef, ctx: RuleContext): void {
  if (!ctx.set.complete || o.id.kind !== 'HorizontalPodAutoscaler') return;
  const kind = str(get(o.value, ['spec', 'scaleTargetRef', 'kind']));
  const name = str(get(o.value, ['spec', 'scaleTargetRef', 'name']));
  if (!kind || !name) return;
  if (ctx.set.find(kind, o.namespace, name) || isExternal(ctx.options.externalNames, kind, o.namespace, name)) return;
  ctx.report(o, { code: 'ref/hpa-target', path: ['spec', 'scaleTargetRef', 'name'], message: `scale target ${kind} ${name} is not defined in ${o.namespace ? `namespace ${o.namespace}` : 'this environment'}` });
}
