// Health of live objects, as Argo CD's documentation describes it per kind (the statuses and their
// order come from there: Healthy, Suspended, Progressing, Missing, Degraded, Unknown), with kstatus
// conventions (Ready / Reconciling / Stalled conditions, observedGeneration) for custom resources, Flux's
// `suspend`, Argo CD Applications' own health, Argo Rollouts, and user checks written as CEL in the
// shape of Flux's `healthCheckExprs` (`current`, `inProgress`, `failed`). Pure: objects in, health out.
import { evaluateCel } from '../policy/cel/evaluator';
import { isRecord } from '../util/record';

export type HealthStatus = 'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown';

export interface Health {
  status: HealthStatus;
  /** Why, in a few words (`CrashLoopBackOff`, `ProgressDeadlineExceeded`). */
  reason?: string;
  /** What the object says (a condition's message, a rollout's progress). */
  message?: string;
}

/** A user's check for a kind, as Flux's `healthCheckExprs`: CEL over `self` (the object). */
export interface HealthCheckExpr {
  apiVersion: string;
  kind: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

type Obj = Record<string, unknown>;

const ORDER: HealthStatus[] = ['Healthy', 'Suspended', 'Progressing', 'Missing', 'Degraded', 'Unknown'];

/** Whether `a` is worse than `b` (Argo CD's order: Unknown is the worst, Healthy the best). */
export function isWorse(a: HealthStatus, b: HealthStatus): boolean {
  return ORDER.indexOf(a) > ORDER.indexOf(b);
}

const rec = (v: unknown): Obj => (isRecord(v) ? v : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function conditions(o: Obj): Condition[] {
  const list = rec(o.status).conditions;
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).map((c) => ({ type: String(c.type ?? ''), status: String(c.status ?? ''), reason: str(c.reason), message: str(c.message) }));
}

const condition = (o: Obj, type: string) => conditions(o).find((c) => c.type === type);

/** The spec was not looked at yet by its controller (status.observedGeneration < metadata.generation). */
function notObserved(o: Obj): boolean {
  const generation = num(rec(o.metadata).generation);
  const observed = num(rec(o.status).observedGeneration);
  return generation !== undefined && observed !== undefined && observed < generation;
}

const progressing = (message: string, reason?: string): Health => ({ status: 'Progressing', message, ...(reason ? { reason } : {}) });
const healthy = (message?: string): Health => ({ status: 'Healthy', ...(message ? { message } : {}) });
const degraded = (reason: string | undefined, message?: string): Health => ({ status: 'Degraded', ...(reason ? { reason } : {}), ...(message ? { message } : {}) });

function deployment(o: Obj): Health {
  const spec = rec(o.spec);
  const status = rec(o.status);
  if (spec.paused === true) return { status: 'Suspended', reason: 'Paused', message: 'Deployment is paused' };
  if (notObserved(o)) return progressing('Waiting for rollout to finish: observed deployment generation less than desired generation');
  const p = condition(o, 'Progressing');
  if (p?.reason === 'ProgressDeadlineExceeded') return degraded('ProgressDeadlineExceeded', p.message ?? `Deployment ${String(rec(o.metadata).name)} has exceeded its progress deadline`);
  const replicas = num(spec.replicas) ?? 1;
  const updated = num(status.updatedReplicas) ?? 0;
  const total = num(status.replicas) ?? 0;
  const available = num(status.availableReplicas) ?? 0;
  if (updated < replicas) return progressing(`Waiting for rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`);
  if (total > updated) return progressing(`Waiting for rollout to finish: ${total - updated} old replicas are pending termination...`);
  if (available < updated) return progressing(`Waiting for rollout to finish: ${available} of ${updated} updated replicas are available...`);
  return healthy();
}

function statefulSet(o: Obj): Health {
  const spec = rec(o.spec);
  const status = rec(o.status);
  if (notObserved(o)) return progressing('Waiting for statefulset spec update to be observed...');
  const replicas = num(spec.replicas) ?? 1;
  const ready = num(status.readyReplicas) ?? 0;
  if (ready < replicas) return progressing(`Waiting for ${replicas - ready} pods to be ready...`);
  const strategy = rec(spec.updateStrategy);
  if (strategy.type === 'OnDelete') return healthy(`statefulset has ${ready} ready pods`);
  const partition = num(rec(strategy.rollingUpdate).partition);
  if (partition !== undefined && partition > 0) {
    const updated = num(status.updatedReplicas) ?? 0;
    if (updated < replicas - partition) return progressing(`Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`);
    return healthy(`partitioned roll out complete: ${updated} new pods have been updated...`);
  }
  if (status.updateRevision !== undefined && status.currentRevision !== status.updateRevision) return progressing(`waiting for statefulset rolling update to complete ${num(status.updatedReplicas) ?? 0} pods at revision ${String(status.updateRevision)}...`);
  return healthy(`statefulset rolling update complete ${num(status.currentReplicas) ?? ready} pods at revision ${String(status.currentRevision ?? '')}...`);
}

function daemonSet(o: Obj): Health {
  const status = rec(o.status);
  if (notObserved(o)) return progressing('Waiting for rollout to finish: observed daemon set generation less than desired generation');
  if (rec(rec(o.spec).updateStrategy).type === 'OnDelete') return healthy();
  const desired = num(status.desiredNumberScheduled) ?? 0;
  const updated = num(status.updatedNumberScheduled) ?? 0;
  const available = num(status.numberAvailable) ?? 0;
  if (updated < desired) return progressing(`Waiting for daemon set rollout to finish: ${updated} out of ${desired} new pods have been updated...`);
  if (available < desired) return progressing(`Waiting for daemon set rollout to finish: ${available} of ${desired} updated pods are available...`);
  return healthy();
}

function replicaSet(o: Obj): Health {
  const status = rec(o.status);
  if (notObserved(o)) return progressing('Waiting for rollout to finish: observed replica set generation less than desired generation');
  const failure = condition(o, 'ReplicaFailure');
  if (failure?.status === 'True') return degraded(failure.reason ?? 'ReplicaFailure', failure.message);
  const replicas = num(rec(o.spec).replicas) ?? 1;
  const available = num(status.availableReplicas) ?? 0;
  if (available < replicas) return progressing(`Waiting for rollout to finish: ${available} out of ${replicas} new replicas are available...`);
  return healthy();
}

/** Container states that will not get better by waiting. */
const STUCK = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'CreateContainerError', 'InvalidImageName', 'RunContainerError', 'ErrImageNeverPull']);

function pod(o: Obj): Health {
  const status = rec(o.status);
  const phase = str(status.phase);
  const containers = [...(Array.isArray(status.initContainerStatuses) ? status.initContainerStatuses : []), ...(Array.isArray(status.containerStatuses) ? status.containerStatuses : [])].filter(isRecord);
  for (const c of containers) {
    const waiting = rec(rec(c.state).waiting);
    const reason = str(waiting.reason);
    if (reason && STUCK.has(reason)) {
      const last = rec(rec(c.lastState).terminated);
      const why = str(last.reason) === 'OOMKilled' ? `${reason} (last exit: OOMKilled)` : reason;
      return degraded(reason, `container ${String(c.name)}: ${why}${str(waiting.message) ? `: ${str(waiting.message)}` : ''}`);
    }
  }
  switch (phase) {
    case 'Succeeded':
      return healthy(str(status.message));
    case 'Failed':
      return degraded(str(status.reason) ?? 'Failed', str(status.message) ?? 'the pod failed');
    case 'Pending':
      return progressing(str(status.message) ?? 'Pending', str(status.reason));
    case 'Running': {
      if (rec(o.spec).restartPolicy !== 'Always' && rec(o.spec).restartPolicy !== undefined) return progressing('Running');
      const ready = condition(o, 'Ready');
      if (ready?.status === 'True') return healthy();
      const oom = containers.find((c) => str(rec(rec(c.lastState).terminated).reason) === 'OOMKilled');
      if (oom) return degraded('OOMKilled', `container ${String(oom.name)} was OOMKilled`);
      return progressing(ready?.message ?? 'containers are not ready', ready?.reason);
    }
    default:
      return { status: 'Unknown', message: phase ? `phase ${phase}` : 'no phase reported' };
  }
}

function job(o: Obj): Health {
  const failed = condition(o, 'Failed');
  if (failed?.status === 'True') return degraded(failed.reason ?? 'Failed', failed.message ?? 'job failed');
  const complete = condition(o, 'Complete');
  if (complete?.status === 'True') return healthy(complete.message ?? 'job completed');
  if (rec(o.spec).suspend === true) return { status: 'Suspended', reason: 'Suspended', message: 'job is suspended' };
  return progressing(`job running${num(rec(o.status).active) ? ` (${num(rec(o.status).active)} active)` : ''}`);
}

function cronJob(o: Obj): Health {
  if (rec(o.spec).suspend === true) return { status: 'Suspended', reason: 'Suspended', message: 'CronJob is suspended' };
  const last = str(rec(o.status).lastScheduleTime);
  return healthy(last ? `last scheduled ${last}` : undefined);
}

function pvc(o: Obj): Health {
  switch (str(rec(o.status).phase)) {
    case 'Bound':
      return healthy();
    case 'Lost':
      return degraded('Lost', 'the volume claim lost its volume');
    case 'Pending':
      return progressing('waiting for a volume to be bound', 'Pending');
    default:
      return { status: 'Unknown' };
  }
}

function loadBalanced(o: Obj, what: string): Health {
  const ingress = rec(rec(o.status).loadBalancer).ingress;
  return Array.isArray(ingress) && ingress.length > 0 ? healthy() : progressing(`waiting for the ${what} to be given an address`);
}

function hpa(o: Obj): Health {
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = condition(o, type);
    if (c?.status === 'False' && !(type === 'ScalingActive' && c.reason === 'ScalingDisabled')) return degraded(c.reason ?? type, c.message);
  }
  if (conditions(o).length === 0) return progressing('waiting for the autoscaler to report');
  return healthy();
}

function apiService(o: Obj): Health {
  const c = condition(o, 'Available');
  if (c?.status === 'True') return healthy();
  if (c?.status === 'False') return degraded(c.reason ?? 'Unavailable', c.message);
  return progressing('waiting for the API service to become available');
}

function namespace(o: Obj): Health {
  const phase = str(rec(o.status).phase);
  if (phase === 'Terminating') return progressing('namespace is terminating', 'Terminating');
  return healthy();
}

/** kstatus: Stalled → Degraded, Reconciling → Progressing, Ready → its status, generation not observed → Progressing. */
function kstatus(o: Obj): Health | undefined {
  const stalled = condition(o, 'Stalled');
  if (stalled?.status === 'True') return degraded(stalled.reason ?? 'Stalled', stalled.message);
  const ready = condition(o, 'Ready');
  if (notObserved(o)) return progressing('the controller has not seen the latest spec yet', 'NotObserved');
  const reconciling = condition(o, 'Reconciling');
  if (reconciling?.status === 'True') return progressing(reconciling.message ?? 'reconciling', reconciling.reason);
  if (ready?.status === 'True') return healthy(ready.message);
  if (ready?.status === 'False') return degraded(ready.reason ?? 'NotReady', ready.message);
  if (ready) return progressing(ready.message ?? 'readiness unknown', ready.reason);
  return undefined;
}

function argoApplication(o: Obj): Health {
  const h = rec(rec(o.status).health);
  const s = str(h.status);
  if (s && (ORDER as string[]).includes(s)) return { status: s as HealthStatus, ...(str(h.message) ? { message: str(h.message) } : {}) };
  return { status: 'Unknown', message: 'Argo CD has not reported health yet' };
}

function rollout(o: Obj): Health {
  const spec = rec(o.spec);
  const status = rec(o.status);
  if (spec.paused === true || (Array.isArray(status.pauseConditions) && status.pauseConditions.length > 0)) return { status: 'Suspended', reason: 'Paused', message: str(status.message) ?? 'rollout is paused' };
  if (status.abort === true) return degraded('RolloutAborted', str(status.message) ?? 'rollout aborted');
  const phase = str(status.phase);
  if (phase === 'Healthy') return healthy(str(status.message));
  if (phase === 'Degraded') return degraded(str(rec(condition(o, 'Progressing')).reason) ?? 'Degraded', str(status.message));
  if (phase === 'Paused') return { status: 'Suspended', reason: 'Paused', message: str(status.message) };
  if (phase === 'Progressing') return progressing(str(status.message) ?? 'rollout in progress');
  return deployment({ ...o, spec: { ...spec, paused: false } });
}

const apiGroup = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '');

/** A user's CEL check: `inProgress`, then `failed`, then `current`, as Flux evaluates them; none true: in progress. */
function userCheck(o: Obj, c: HealthCheckExpr): Health {
  const run = (expr: string | undefined) => {
    if (!expr) return false;
    const r = evaluateCel(expr, { self: o });
    if (!r.ok) throw new Error(r.error.message);
    return r.value === true;
  };
  try {
    if (run(c.inProgress)) return progressing('in progress (inProgress expression)', 'HealthCheckExpr');
    if (run(c.failed)) return degraded('HealthCheckExpr', 'failed (failed expression)');
    if (run(c.current)) return healthy('current (current expression)');
    return progressing('no expression matched yet', 'HealthCheckExpr');
  } catch (e) {
    return { status: 'Unknown', reason: 'HealthCheckExprError', message: `health check expression: ${(e as Error).message}` };
  }
}

/**
 * The health of one live object, or undefined for kinds that have no health (ConfigMaps, RBAC…: they
 * exist or they do not). `checks` are the user's expressions; they win over the built-in rules.
 */
export function assessHealth(o: Obj, checks: readonly HealthCheckExpr[] = []): Health | undefined {
  const apiVersion = str(o.apiVersion) ?? '';
  const kind = str(o.kind) ?? '';
  const user = checks.find((c) => c.kind === kind && (c.apiVersion === apiVersion || apiGroup(c.apiVersion) === apiGroup(apiVersion)));
  if (user) return userCheck(o, user);
  const group = apiGroup(apiVersion);
  if (group === '' || group === 'apps' || group === 'batch' || group === 'networking.k8s.io' || group === 'autoscaling' || group === 'apiregistration.k8s.io' || group === 'extensions') {
    switch (kind) {
      case 'Deployment':
        return deployment(o);
      case 'StatefulSet':
        return statefulSet(o);
      case 'DaemonSet':
        return daemonSet(o);
      case 'ReplicaSet':
        return replicaSet(o);
      case 'Pod':
        return pod(o);
      case 'Job':
        return job(o);
      case 'CronJob':
        return cronJob(o);
      case 'PersistentVolumeClaim':
        return pvc(o);
      case 'Service':
        return rec(o.spec).type === 'LoadBalancer' ? loadBalanced(o, 'load balancer') : healthy();
      case 'Ingress':
        return loadBalanced(o, 'ingress');
      case 'HorizontalPodAutoscaler':
        return hpa(o);
      case 'APIService':
        return apiService(o);
      case 'Namespace':
        return namespace(o);
      default:
        return undefined;
    }
  }
  if (group === 'argoproj.io' && kind === 'Application') return argoApplication(o);
  if (group === 'argoproj.io' && kind === 'Rollout') return rollout(o);
  // Flux (and any controller that follows its convention): suspended first, then kstatus.
  if (rec(o.spec).suspend === true) return { status: 'Suspended', reason: 'Suspended', message: `${kind} is suspended` };
  return kstatus(o);
}

/** Health of an absent object that Git wants: Missing. */
export const MISSING: Health = { status: 'Missing', message: 'not in the cluster' };

/**
 * The roll-up of an application or environment: the worst of its resources' health, with the
 * resource that makes it so. Resources without health do not count.
 */
export function rollUp(items: ReadonlyArray<{ name: string; health: Health | undefined }>): (Health & { worst?: string }) | undefined {
  let worst: { name: string; health: Health } | undefined;
  for (const it of items) {
    if (!it.health) continue;
    if (!worst || isWorse(it.health.status, worst.health.status)) worst = { name: it.name, health: it.health };
  }
  if (!worst) return undefined;
  if (worst.health.status === 'Healthy') return { status: 'Healthy' };
  return { ...worst.health, worst: worst.name, message: `${worst.name}: ${worst.health.reason ?? worst.health.message ?? worst.health.status}` };
}

/** One line: `♥ healthy`, `✗ degraded: CrashLoopBackOff (web-7f9c…)`, `◔ progressing: 1 of 3 updated replicas are available`. */
export function healthLine(h: Health, subject?: string): string {
  const what = h.reason ?? h.message;
  const on = subject ? ` (${subject})` : '';
  switch (h.status) {
    case 'Healthy':
      return '♥ healthy';
    case 'Degraded':
      return `✗ degraded${what ? `: ${what}` : ''}${on}`;
    case 'Progressing':
      return `◔ progressing${h.message ? `: ${h.message}` : ''}${on}`;
    case 'Suspended':
      return `⏸ suspended${h.message ? `: ${h.message}` : ''}`;
    case 'Missing':
      return '＋ missing';
    default:
      return `? health unknown${h.message ? `: ${h.message}` : ''}`;
  }
}
