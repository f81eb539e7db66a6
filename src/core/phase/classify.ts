// Hooks and phases: the one place that says, for a rendered object, when an engine applies it.
// Render, drift, plan and sync all read classify(); none of them reads the hook annotations itself.
//
// Rules followed (per engine):
// - Argo CD (and Reconcile's own sync, which orders like Argo CD): `argocd.argoproj.io/hook`
//   (PreSync, Sync, PostSync, SyncFail, PreDelete, PostDelete, Skip; comma-separated), its
//   `hook-delete-policy` (BeforeHookCreation, HookSucceeded, HookFailed; default BeforeHookCreation)
//   and `sync-wave`. An object with an Argo CD hook annotation ignores its Helm hook annotations. Helm
//   hooks are mapped as Argo CD's Helm documentation ("Helm Hooks") says: pre-install and pre-upgrade →
//   PreSync, post-install and post-upgrade → PostSync, pre-delete → PreDelete, post-delete →
//   PostDelete, crd-install → an ordinary resource; pre-rollback, post-rollback and the test hooks are
//   not supported and never run; `helm.sh/hook-weight` is the sync wave; `helm.sh/hook-delete-policy`
//   is mapped onto Argo CD's policies.
// - Helm (and Flux's helm-controller, which runs Helm's own install/upgrade): `helm.sh/hook` events;
//   pre-install/pre-upgrade run before the release's resources, post-install/post-upgrade after them,
//   ordered by `helm.sh/hook-weight` (then kind, then name); test hooks run only with `helm test`;
//   delete and rollback hooks only on uninstall and rollback. Default delete policy before-hook-creation.
//   Argo CD's hook annotations mean nothing to Helm (ordinary resources keep their sync wave only
//   for the order of Reconcile's own apply).
// - Flux's kustomize-controller: no hooks at all; every object is applied as an ordinary resource.
import type { RawObject } from '../cluster/types';
import { isRecord } from '../util/record';

export const ARGO_HOOK = 'argocd.argoproj.io/hook';
export const ARGO_HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';
export const ARGO_SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const HELM_HOOK = 'helm.sh/hook';
export const HELM_HOOK_WEIGHT = 'helm.sh/hook-weight';
export const HELM_HOOK_DELETE_POLICY = 'helm.sh/hook-delete-policy';

/**
 * When an object is applied. `Sync` is an ordinary resource (or an Argo CD Sync hook); `Test`,
 * `PreDelete`, `PostDelete`, `Rollback` and `Skip` are never run by a sync.
 */
export type Phase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail' | 'PreDelete' | 'PostDelete' | 'Rollback' | 'Test' | 'Skip';

/** The phases a sync runs, in order (SyncFail only when the sync failed). */
export const SYNC_PHASES: readonly Phase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
const PHASE_RANK: readonly Phase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete', 'Rollback', 'Test', 'Skip'];

export type DeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';

/** Who applies the object, which decides whose hook rules hold. */
export type Deployer = 'argocd' | 'helm' | 'flux-helm' | 'flux-kustomize' | 'reconcile';

/** Whose rules made the object a hook: `none` for an ordinary resource. */
export type HookEngine = 'argocd' | 'helm' | 'none';

export type HelmEvent = 'pre-install' | 'post-install' | 'pre-upgrade' | 'post-upgrade' | 'pre-delete' | 'post-delete' | 'pre-rollback' | 'post-rollback' | 'test' | 'test-success' | 'test-failure' | 'crd-install';
const HELM_EVENTS: ReadonlySet<string> = new Set<HelmEvent>(['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade', 'pre-delete', 'post-delete', 'pre-rollback', 'post-rollback', 'test', 'test-success', 'test-failure', 'crd-install']);
const ARGO_PHASES: ReadonlySet<string> = new Set(['PreSync', 'Sync', 'PostSync', 'SyncFail', 'PreDelete', 'PostDelete', 'Skip']);

export interface Classification {
  /** The first phase it runs in (in sync order); `Sync` for an ordinary resource. */
  phase: Phase;
  /** Every phase it runs in (a hook may name several). */
  phases: Phase[];
  /** True for a hook: created by a sync in its phase, not kept in the cluster as desired state. */
  hook: boolean;
  /**
   * Order within the phase, lower first: Argo CD's sync wave (`sync-wave`, else `helm.sh/hook-weight` as
   * Argo CD maps it); for Helm's own hooks, the hook weight. 0 when absent or not an integer.
   */
  wave: number;
  /** `helm.sh/hook-weight` (0 when absent or not an integer). */
  weight: number;
  /** Hooks only: when the hook object is deleted (the engine's default when none is written). */
  deletePolicy: DeletePolicy[];
  engine: HookEngine;
  /** Helm hooks: the events as written (known ones), e.g. `pre-install`, `pre-upgrade`. */
  helmEvents?: HelmEvent[];
  /** Why it is not run, or how the engine reads it, when that is not obvious (one sentence). */
  note?: string;
}

function annotationsOf(o: RawObject | undefined): Record<string, unknown> {
  const meta = isRecord(o?.metadata) ? o!.metadata : undefined;
  return isRecord(meta?.annotations) ? meta!.annotations : {};
}

function csv(v: unknown): string[] {
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function int(v: unknown): number {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  return /^[+-]?\d+$/.test(s) ? Number.parseInt(s, 10) : 0;
}

const HELM_POLICY: Record<string, DeletePolicy> = { 'before-hook-creation': 'BeforeHookCreation', 'hook-succeeded': 'HookSucceeded', 'hook-failed': 'HookFailed' };
const ARGO_POLICY: ReadonlySet<string> = new Set(['BeforeHookCreation', 'HookSucceeded', 'HookFailed']);

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function byRank(a: Phase, b: Phase): number {
  return PHASE_RANK.indexOf(a) - PHASE_RANK.indexOf(b);
}

const ORDINARY = (wave: number, weight: number, note?: string): Classification => ({ phase: 'Sync', phases: ['Sync'], hook: false, wave, weight, deletePolicy: [], engine: 'none', ...(note ? { note } : {}) });

/** Helm's hook events of an object (known ones, in the order written). */
export function helmEventsOf(o: RawObject | undefined): HelmEvent[] {
  return csv(annotationsOf(o)[HELM_HOOK]).filter((e): e is HelmEvent => HELM_EVENTS.has(e));
}

function helmPolicies(a: Record<string, unknown>): DeletePolicy[] {
  return uniq(csv(a[HELM_HOOK_DELETE_POLICY]).flatMap((p) => (HELM_POLICY[p] ? [HELM_POLICY[p]] : [])));
}

/** Argo CD's reading of an object (gitops-engine: Argo CD hook annotation first, else Helm's mapped). */
function classifyArgo(o: RawObject | undefined): Classification {
  const a = annotationsOf(o);
  const weight = int(a[HELM_HOOK_WEIGHT]);
  const waveAnnotation = a[ARGO_SYNC_WAVE];
  const wave = waveAnnotation !== undefined ? int(waveAnnotation) : weight;
  const policies = () => {
    const p = uniq([...csv(a[ARGO_HOOK_DELETE_POLICY]).filter((x): x is DeletePolicy => ARGO_POLICY.has(x)), ...helmPolicies(a)]);
    return p.length ? p : (['BeforeHookCreation'] as DeletePolicy[]);
  };
  if (a[ARGO_HOOK] !== undefined) {
    const types = csv(a[ARGO_HOOK]).filter((t) => ARGO_PHASES.has(t)) as Phase[];
    if (types.length === 1 && types[0] === 'Skip') return { phase: 'Skip', phases: ['Skip'], hook: false, wave, weight, deletePolicy: [], engine: 'argocd', note: 'Argo CD skips it (argocd.argoproj.io/hook: Skip): a sync never applies it' };
    const phases = uniq(types.filter((t) => t !== 'Skip')).sort(byRank);
    if (phases.length) return { phase: phases[0], phases, hook: true, wave, weight, deletePolicy: policies(), engine: 'argocd' };
    // An annotation with no known hook type: Argo CD takes it as a hook it never runs.
    return { phase: 'Skip', phases: ['Skip'], hook: true, wave, weight, deletePolicy: policies(), engine: 'argocd', note: `Argo CD does not know the hook type "${String(a[ARGO_HOOK])}": it never runs it` };
  }
  if (a[HELM_HOOK] === undefined) return ORDINARY(wave, weight);
  const events = helmEventsOf(o);
  const written = csv(a[HELM_HOOK]);
  if (written.length > 0 && written.every((e) => e === 'crd-install')) return ORDINARY(wave, weight, 'helm.sh/hook: crd-install is handled by Argo CD as an ordinary CustomResourceDefinition');
  const map: Partial<Record<HelmEvent, Phase>> = { 'pre-install': 'PreSync', 'pre-upgrade': 'PreSync', 'post-install': 'PostSync', 'post-upgrade': 'PostSync', 'pre-delete': 'PreDelete', 'post-delete': 'PostDelete' };
  const phases = uniq(events.flatMap((e) => (map[e] ? [map[e]!] : []))).sort(byRank);
  const helmEvents = events.length ? { helmEvents: events } : {};
  if (phases.length) return { phase: phases[0], phases, hook: true, wave, weight, deletePolicy: policies(), engine: 'argocd', ...helmEvents };
  // Helm hooks Argo CD does not support: still hooks (never compared, never pruned), never run.
  const tests = events.some((e) => e.startsWith('test'));
  return {
    phase: tests ? 'Test' : events.some((e) => e.endsWith('rollback')) ? 'Rollback' : 'Skip',
    phases: [tests ? 'Test' : events.some((e) => e.endsWith('rollback')) ? 'Rollback' : 'Skip'],
    hook: true,
    wave,
    weight,
    deletePolicy: policies(),
    engine: 'argocd',
    ...helmEvents,
    note: tests ? 'Helm test hook: Argo CD does not run it (tests, not run by sync)' : `helm.sh/hook: ${written.join(',')} is not supported by Argo CD: it is never run`,
  };
}

/** Helm's own reading (helm install/upgrade, and Flux's helm-controller). */
function classifyHelm(o: RawObject | undefined): Classification {
  const a = annotationsOf(o);
  const weight = int(a[HELM_HOOK_WEIGHT]);
  if (a[HELM_HOOK] === undefined) return ORDINARY(int(a[ARGO_SYNC_WAVE]), weight);
  const events = helmEventsOf(o);
  const written = csv(a[HELM_HOOK]);
  if (written.length > 0 && written.every((e) => e === 'crd-install')) return ORDINARY(0, weight, 'helm.sh/hook: crd-install is a Helm 2 annotation: Helm 3 installs the object as an ordinary resource');
  const map: Record<HelmEvent, Phase> = {
    'pre-install': 'PreSync',
    'pre-upgrade': 'PreSync',
    'post-install': 'PostSync',
    'post-upgrade': 'PostSync',
    'pre-delete': 'PreDelete',
    'post-delete': 'PostDelete',
    'pre-rollback': 'Rollback',
    'post-rollback': 'Rollback',
    test: 'Test',
    'test-success': 'Test',
    'test-failure': 'Test',
    'crd-install': 'Sync',
  };
  const phases = uniq(events.filter((e) => e !== 'crd-install').map((e) => map[e])).sort(byRank);
  const policies = helmPolicies(a);
  const base = { hook: true, wave: weight, weight, deletePolicy: policies.length ? policies : (['BeforeHookCreation'] as DeletePolicy[]), engine: 'helm' as const, helmEvents: events };
  if (!phases.length) return { ...base, phase: 'Skip', phases: ['Skip'], note: `helm.sh/hook: ${written.join(',')} names no event Helm knows: Helm never runs it` };
  const note = phases[0] === 'Test' ? 'Helm test hook: run by `helm test`, not by sync (tests, not run by sync)' : undefined;
  return { ...base, phase: phases[0], phases, ...(note ? { note } : {}) };
}

/**
 * When `deployer` applies the object. Without a deployer: Reconcile's own sync, which reads hooks as
 * Argo CD does — unless the object carries only Helm hook annotations and the caller says Helm.
 */
export function classify(o: RawObject | undefined, deployer: Deployer = 'reconcile'): Classification {
  switch (deployer) {
    case 'helm':
    case 'flux-helm':
      return classifyHelm(o);
    case 'flux-kustomize': {
      const c = classifyArgo(o);
      const a = annotationsOf(o);
      const hooked = a[ARGO_HOOK] !== undefined || a[HELM_HOOK] !== undefined;
      return ORDINARY(c.wave, c.weight, hooked ? "Flux's kustomize-controller has no hooks: it applies the object as an ordinary resource" : undefined);
    }
    default:
      return classifyArgo(o);
  }
}

/** True for an object an engine treats as a hook (never "missing" in drift, never "not in Git"). */
export function isHook(o: RawObject | undefined, deployer?: Deployer): boolean {
  const c = classify(o, deployer);
  return c.hook || c.phase === 'Skip';
}

/** True when a sync applies the object in one of its phases (PreSync, Sync, PostSync, SyncFail). */
export function runBySync(c: Pick<Classification, 'phases'>): boolean {
  return c.phases.some((p) => SYNC_PHASES.includes(p));
}

/** Negative when phase `a` comes before phase `b`. */
export function comparePhase(a: Phase, b: Phase): number {
  return byRank(a, b);
}

/** `PreSync hook (Argo CD, wave 1, delete policy HookSucceeded)` — for plan lines and tooltips. */
export function describe(c: Classification): string {
  if (!c.hook && c.phase === 'Sync') return c.wave ? `Sync, wave ${c.wave}` : 'Sync';
  const who = c.engine === 'helm' ? 'Helm' : c.engine === 'argocd' ? 'Argo CD' : '';
  const bits = [who, c.engine === 'helm' ? `weight ${c.weight}` : `wave ${c.wave}`];
  if (c.helmEvents?.length) bits.push(`helm.sh/hook: ${c.helmEvents.join(',')}`);
  if (c.deletePolicy.length) bits.push(`delete policy ${c.deletePolicy.join(',')}`);
  return `${c.phases.join(',')}${c.hook ? ' hook' : ''} (${bits.filter(Boolean).join(', ')})`;
}
