// The status an Argo CD Application or a Flux Kustomization/HelmRelease reports, read from the raw
// object, and the one line the tree shows for it.
import type { ArgoStatus, FluxStatus, Manager, ManagerRef, ManagerStatus } from './types';

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export const FLUX_REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';
export const FLUX_FORCE_AT = 'reconcile.fluxcd.io/forceAt';
export const ARGO_REFRESH = 'argocd.argoproj.io/refresh';

export function argoStatusOf(o: Obj): ArgoStatus {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const sync = obj(status.sync);
  const health = obj(status.health);
  const op = obj(status.operationState);
  const automated = spec.syncPolicy !== undefined ? obj(spec.syncPolicy).automated : undefined;
  const revisions = Array.isArray(sync.revisions) ? sync.revisions.filter((r): r is string => typeof r === 'string') : [];
  const s: ArgoStatus = {
    engine: 'argocd',
    pendingOperation: o.operation !== undefined && o.operation !== null,
    automated: automated !== undefined && automated !== null,
    selfHeal: obj(automated).selfHeal === true,
  };
  if (str(sync.status)) s.sync = str(sync.status);
  if (str(health.status)) s.health = str(health.status);
  if (str(health.message)) s.healthMessage = str(health.message);
  const revision = str(sync.revision) ?? revisions[0];
  if (revision) s.revision = revision;
  if (Object.keys(op).length) {
    s.operation = {};
    for (const k of ['phase', 'message', 'startedAt', 'finishedAt'] as const) if (str(op[k])) s.operation[k] = str(op[k]);
  }
  if (str(status.reconciledAt)) s.reconciledAt = str(status.reconciledAt);
  return s;
}

export function fluxStatusOf(o: Obj): FluxStatus {
  const spec = obj(o.spec);
  const status = obj(o.status);
  const meta = obj(o.metadata);
  const s: FluxStatus = { engine: 'flux', suspended: spec.suspend === true };
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(obj) : [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready && str(ready.status)) {
    s.ready = { status: str(ready.status)! };
    if (str(ready.reason)) s.ready.reason = str(ready.reason);
    if (str(ready.message)) s.ready.message = str(ready.message);
    if (str(ready.lastTransitionTime)) s.ready.lastTransitionTime = str(ready.lastTransitionTime);
  }
  const history = Array.isArray(status.history) ? status.history.map(obj) : [];
  const applied = str(status.lastAppliedRevision) ?? (o.kind === 'HelmRelease' ? str(history[0]?.chartVersion) : undefined);
  if (applied) s.lastAppliedRevision = applied;
  if (str(status.lastAttemptedRevision)) s.lastAttemptedRevision = str(status.lastAttemptedRevision);
  if (str(spec.interval)) s.interval = str(spec.interval);
  const requested = str(obj(meta.annotations)[FLUX_REQUESTED_AT]);
  if (requested) s.requestedAt = requested;
  if (str(status.lastHandledReconcileAt)) s.lastHandledReconcileAt = str(status.lastHandledReconcileAt);
  if (o.kind === 'HelmRelease') s.driftDetection = str(obj(spec.driftDetection).mode) ?? 'disabled';
  return s;
}

export function statusOf(ref: Pick<ManagerRef, 'engine'>, o: Obj): ManagerStatus {
  return ref.engine === 'argocd' ? argoStatusOf(o) : fluxStatusOf(o);
}

/** `Argo CD application argocd/shop-web-dev`, `Flux Kustomization flux-system/shop-api`. */
export function managerLabel(ref: ManagerRef): string {
  return ref.engine === 'argocd' ? `Argo CD application ${ref.namespace}/${ref.name}` : `Flux ${ref.kind} ${ref.namespace}/${ref.name}`;
}

function shortRevision(r: string): string {
  // `main@sha1:0123456789abcdef…` and bare 40-hex commits are shortened; chart versions are kept.
  return r.replace(/\b([0-9a-f]{12})[0-9a-f]{28,}\b/g, '$1');
}

/**
 * One line for the tree: `Synced · Healthy · 0123456789ab`, `OutOfSync · Progressing · sync Running`,
 * `Ready · main@sha1:0123456789ab`, `not ready (InstallFailed): <message>`, `suspended · …`.
 */
export function statusLine(m: Pick<Manager, 'status'>): string {
  const s = m.status;
  const parts: string[] = [];
  if (s.engine === 'argocd') {
    parts.push(s.sync ?? 'sync unknown', s.health ?? 'health unknown');
    if (s.revision) parts.push(shortRevision(s.revision));
    if (s.pendingOperation) parts.push('sync requested');
    else if (s.operation?.phase && s.operation.phase !== 'Succeeded') parts.push(`last sync ${s.operation.phase}${s.operation.message ? `: ${s.operation.message}` : ''}`);
    return parts.join(' · ');
  }
  if (s.suspended) parts.push('suspended');
  if (!s.ready) parts.push('not reconciled yet');
  else if (s.ready.status === 'True') parts.push('Ready');
  else parts.push(`${s.ready.status === 'False' ? 'not ready' : 'readiness unknown'}${s.ready.reason ? ` (${s.ready.reason})` : ''}${s.ready.message ? `: ${s.ready.message}` : ''}`);
  if (s.lastAppliedRevision) parts.push(shortRevision(s.lastAppliedRevision));
  if (s.requestedAt && s.requestedAt !== s.lastHandledReconcileAt) parts.push('reconcile requested');
  return parts.join(' · ');
}
