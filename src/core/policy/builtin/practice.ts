// Practices: pinned images, resources, probes, replicas in protected environments, PDBs.
import type { ObjectRef, RuleContext } from '../types';
import { parseImage } from '../../manifest/image';
import { setFields, type FieldValue } from '../yaml-edit';
import {
  get, int, isLongRunning, isRecord, isReplicated, labelsOf, mapSelectorMatches, podSpecOf, selectorMatches, str, type ContainerRef, type Path,
} from '../workload';

export function checkImageTags(o: ObjectRef, ctx: RuleContext): void {
  const ps = podSpecOf(o.value);
  if (!ps) return;
  for (const c of ps.containers) {
    const image = str(c.value.image);
    const path: Path = [...c.path, 'image'];
    if (image === undefined || image.includes('{{') || image.includes('${')) continue;
    const { tag, digest } = parseImage(image);
    if (digest) continue;
    if (tag === undefined) ctx.report(o, { code: 'practice/image-tag', path, message: `image of container '${c.name}' has no tag (it means :latest); pin a version or digest` });
    else if (tag === 'latest') ctx.report(o, { code: 'practice/image-tag', path, message: `image of container '${c.name}' uses the mutable :latest tag; pin a version or digest` });
  }
}

const SKELETON = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } } as const;

function resourcesFix(c: ContainerRef, missing: Array<['requests' | 'limits', 'cpu' | 'memory']>): NonNullable<import('../types').Violation['fix']> {
  return (t) => {
    const resources = c.value.resources;
    let edits;
    const block = (part: 'requests' | 'limits') => [`cpu: ${SKELETON[part].cpu}`, `memory: ${SKELETON[part].memory}`];
    if (!isRecord(resources)) {
      edits = setFields(t, c.path, [{ key: 'resources', value: ['requests:', ...block('requests').map((l) => `  ${l}`), 'limits:', ...block('limits').map((l) => `  ${l}`)], replace: false }]);
    } else if (Object.keys(resources).length === 0) {
      edits = setFields(t, [...c.path, 'resources'], [{ key: 'requests', value: block('requests') }, { key: 'limits', value: block('limits') }]);
    } else {
      edits = [];
      for (const part of ['requests', 'limits'] as const) {
        const keys = missing.filter(([p]) => p === part).map(([, k]) => k);
        if (!keys.length) continue;
        const fields: FieldValue[] = keys.map((k) => ({ key: k, value: SKELETON[part][k], replace: false }));
        const e = isRecord(resources[part]) && Object.keys(resources[part] as object).length
          ? setFields(t, [...c.path, 'resources', part], fields)
          : resources[part] === undefined
            ? setFields(t, [...c.path, 'resources'], [{ key: part, value: keys.map((k) => `${k}: ${SKELETON[part][k]}`) }])
            : setFields(t, [...c.path, 'resources', part], fields);
        if (!e) return undefined;
        edits.push(...e);
      }
    }
    return edits && edits.length ? { title: `Add a resources skeleton to container '${c.name}'`, edits } : undefined;
  };
}

export function checkResources(o: ObjectRef, ctx: RuleContext): void {
  const ps = podSpecOf(o.value);
  if (!ps) return;
  for (const c of ps.containers) {
    if (c.kind === 'ephemeralContainers') continue;
    const missing: Array<['requests' | 'limits', 'cpu' | 'memory']> = [];
    for (const part of ['requests', 'limits'] as const) {
      for (const k of ['cpu', 'memory'] as const) {
        const v = get(c.value, ['resources', part, k]);
        if (v === undefined || v === null || v === '') missing.push([part, k]);
      }
    }
    if (!missing.length) continue;
    const resources = c.value.resources;
    const what = missing.length === 4 ? 'no resource requests or limits' : `no ${missing.map(([p, k]) => `${p}.${k}`).join(', ')}`;
    // the missing part, and the deepest part that exists to point at: the container, `resources:`, `limits:`/`requests:`
    const [part, k] = missing[0];
    const hasPart = isRecord(resources) && isRecord(resources[part]);
    const path: Path = !isRecord(resources) ? [...c.path, 'resources'] : hasPart ? [...c.path, 'resources', part, k] : [...c.path, 'resources', part];
    const anchor: Path = !isRecord(resources) ? [...c.path, 'name'] : hasPart ? [...c.path, 'resources', part] : [...c.path, 'resources'];
    ctx.report(o, {
      code: 'practice/resources',
      path,
      anchor,
      key: true,
      missing: true,
      message: `${c.kind === 'initContainers' ? 'init container' : 'container'} '${c.name}' has ${what}`,
      fix: resourcesFix(c, missing),
    });
  }
}

/** Services with a selector, by namespace (computed once per set). */
function selectingServices(ctx: RuleContext): Map<string, Array<{ svc: ObjectRef; selector: Record<string, unknown> }>> {
  return ctx.set.memo('servicesWithSelector', () => {
    const m = new Map<string, Array<{ svc: ObjectRef; selector: Record<string, unknown> }>>();
    for (const svc of ctx.set.ofKind('Service')) {
      const selector = get(svc.value, ['spec', 'selector']);
      if (!isRecord(selector) || Object.keys(selector).length === 0) continue;
      const k = svc.namespace ?? '';
      const l = m.get(k);
      if (l) l.push({ svc, selector });
      else m.set(k, [{ svc, selector }]);
    }
    return m;
  });
}

function servicesSelecting(o: ObjectRef, ctx: RuleContext, podLabels: Record<string, string>): ObjectRef[] {
  const list = selectingServices(ctx).get(o.namespace ?? '');
  if (!list) return [];
  const out: ObjectRef[] = [];
  for (const { svc, selector } of list) if (mapSelectorMatches(selector, podLabels)) out.push(svc);
  return out;
}

export function checkProbes(o: ObjectRef, ctx: RuleContext): void {
  if (!isLongRunning(o.value)) return;
  const ps = podSpecOf(o.value);
  if (!ps) return;
  const podLabels = labelsOf(ps.metadata);
  const services = servicesSelecting(o, ctx, podLabels);
  for (const c of ps.containers) {
    if (c.kind !== 'containers') continue;
    const liveness = isRecord(c.value.livenessProbe);
    const readiness = isRecord(c.value.readinessProbe);
    const startup = isRecord(c.value.startupProbe);
    if (!liveness && !readiness && !startup) {
      ctx.report(o, { code: 'practice/probes', path: [...c.path, 'name'], missing: true, message: `container '${c.name}' has no liveness or readiness probe` });
    } else if (!readiness && services.length) {
      ctx.report(o, {
        code: 'practice/probes', path: [...c.path, 'name'], missing: true,
        message: `container '${c.name}' is behind Service ${services.map((s) => s.id.name).join(', ')} but has no readinessProbe`,
      });
    }
  }
}

/** Replicas that the workload asks for; undefined when an HPA owns the count. */
function replicasOf(o: ObjectRef, ctx: RuleContext): { count: number; explicit: boolean; hpaMin?: number } | undefined {
  const hpa = ctx.set.inNamespace('HorizontalPodAutoscaler', o.namespace).find((h) => get(h.value, ['spec', 'scaleTargetRef', 'kind']) === o.id.kind && get(h.value, ['spec', 'scaleTargetRef', 'name']) === o.id.name);
  if (hpa) return { count: int(get(hpa.value, ['spec', 'minReplicas'])) ?? 1, explicit: true, hpaMin: int(get(hpa.value, ['spec', 'minReplicas'])) ?? 1 };
  const r = get(o.value, ['spec', 'replicas']);
  if (r === undefined || r === null) return { count: 1, explicit: false };
  const n = int(r);
  return n === undefined ? undefined : { count: n, explicit: true };
}

export function checkSingleReplica(o: ObjectRef, ctx: RuleContext): void {
  const env = ctx.options.environment;
  if (!env?.protected || !isReplicated(o.value)) return;
  const r = replicasOf(o, ctx);
  if (!r || r.count !== 1) return;
  const msg = r.hpaMin !== undefined ? 'the HorizontalPodAutoscaler allows 1 replica in a protected environment' : r.explicit ? 'replicas is 1 in a protected environment' : 'replicas is not set (1) in a protected environment';
  ctx.report(o, { code: 'practice/single-replica-protected', path: ['spec', 'replicas'], anchor: ['metadata', 'name'], message: msg, missing: !r.explicit });
}

export function checkPdb(o: ObjectRef, ctx: RuleContext): void {
  if (!ctx.set.complete || (o.id.kind !== 'Deployment' && o.id.kind !== 'StatefulSet')) return;
  const r = replicasOf(o, ctx);
  if (!r || r.count <= 1) return;
  const ps = podSpecOf(o.value);
  if (!ps) return;
  const labels = labelsOf(ps.metadata);
  const pdbSelectors = ctx.set.memo('pdbSelectors', () => {
    const m = new Map<string, unknown[]>();
    for (const p of ctx.set.ofKind('PodDisruptionBudget')) {
      const sel = get(p.value, ['spec', 'selector']);
      if (!isRecord(sel)) continue;
      const k = p.namespace ?? '';
      const l = m.get(k);
      if (l) l.push(sel);
      else m.set(k, [sel]);
    }
    return m;
  });
  const covered = (pdbSelectors.get(o.namespace ?? '') ?? []).some((sel) => selectorMatches(sel, labels));
  if (covered) return;
  ctx.report(o, { code: 'practice/pdb', path: ['spec', 'replicas'], anchor: ['metadata', 'name'], message: `${o.id.kind} ${o.id.name} runs ${r.count} replicas but no PodDisruptionBudget selects its pods` });
}
