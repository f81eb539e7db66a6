// Live drift of the environments somebody is looking at: an open editor on one of their files, or
// their node in the Environments view. Per environment: render every application (through the
// workspace's renderer and cache), LIST + WATCH the kinds it uses (LiveCache), keep the results
// current (EnvironmentDrift), and stop watching a minute after nothing shows it any more.
// All comparison logic is in src/core/drift; this class schedules it and tells the lens and the tree.
import * as vscode from 'vscode';
import { ClusterError, LiveCache, kubeconfigPaths, readKubeconfig, type ClusterClient, type CacheHealth } from '../core/cluster';
import {
  countResults,
  type DesiredSet,
  diffDocuments,
  EnvironmentDrift,
  lensAnchors,
  ownershipOf,
  staleFault,
  type DiffDocuments,
  type DriftCounts,
  type DriftResult,
  type LensAnchor,
  type NotInGit,
} from '../core/drift';
import { findManagers, type Manager } from '../core/delegate';
import { appendIncident, incidentTransition, type DriftIncident } from '../core/metrics';
import { resourceKey } from '../core/manifest';
import type { Application, Environment } from '../core/repo';
import type { OutputLog } from './log';
import { kubeconfigSetting } from './settings';
import type { WorkspaceRepo } from './workspaceRepo';
import { connectToKubeContext } from './clusterSettings';

/** How long an environment nobody looks at keeps its watches. */
const IDLE_MS = 60_000;
const SWEEP_MS = 15_000;

export type EnvironmentDriftPhase =
  | { phase: 'no-context'; message: string }
  | { phase: 'rendering' }
  | { phase: 'render-failed'; message: string }
  | { phase: 'connecting' }
  | { phase: 'error'; message: string }
  | { phase: 'live' };

interface Tracked {
  name: string;
  context?: string;
  phase: EnvironmentDriftPhase;
  client?: ClusterClient;
  cache?: LiveCache;
  drift?: EnvironmentDrift;
  anchors: Map<string, LensAnchor[]>;
  /** key → the application that renders it */
  appOf: Map<string, string>;
  failedApps: string[];
  lastWanted: number;
  generation: number;
  subscriptions: Array<{ dispose(): void }>;
  defaultNamespace: string;
  /** The Argo CD / Flux objects that manage the environment (read after connecting, then every 30 s). */
  managers?: Manager[];
  managersProblem?: string;
  managersTimer?: NodeJS.Timeout;
  lastSet?: DesiredSet;
}

export interface AnchoredResult {
  environment: string;
  anchor: LensAnchor;
  result?: DriftResult;
  /** Set when the environment cannot be compared (no context, render failed, cluster config). */
  problem?: string;
  fault?: string;
}

export class DriftService implements vscode.Disposable {
  private readonly tracked = new Map<string, Tracked>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the environment whose drift (or phase) changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sweeper: NodeJS.Timeout;
  /** Environments the tree shows expanded (the tree tells us). */
  private readonly treeWants = new Set<string>();
  private treeVisible = false;

  constructor(
    private readonly repo: WorkspaceRepo,
    private readonly log: OutputLog,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.disposables.push(
      this.changed,
      repo.onDidChangeRender((app) => this.renderChanged(app)),
      repo.onDidChange(() => this.modelChanged()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('reconcile.kubeconfig') && this.restartAll('kubeconfig setting changed')),
      vscode.window.onDidChangeVisibleTextEditors(() => this.ensureVisible()),
    );
  }

  private incidentsFile: string | undefined;
  private readonly openIncidents = new Map<string, DriftIncident>();
  private readonly incidentTimers = new Map<string, NodeJS.Timeout>();

  /**
   * Records drift incidents (an environment going out of sync with Git, and coming back) as JSON
   * lines in this file, for the GitOps metrics. Only what this editor saw is recorded.
   */
  recordIncidents(file: string): void {
    this.incidentsFile = file;
    this.disposables.push(
      this.onDidChange((env) => {
        clearTimeout(this.incidentTimers.get(env));
        this.incidentTimers.set(env, setTimeout(() => void this.recordIncident(env), 2000));
      }),
    );
  }

  private async recordIncident(envName: string): Promise<void> {
    const t = this.tracked.get(envName);
    if (!this.incidentsFile || !t?.drift || t.phase.phase !== 'live' || t.failedApps.length) return;
    const report = t.drift.report();
    if (report.results.some((r) => r.status === 'unknown')) return; // not a verdict
    const next = incidentTransition(report, this.openIncidents.get(envName));
    if (!next) return;
    if (next.resolvedAt) this.openIncidents.delete(envName);
    else this.openIncidents.set(envName, next);
    try {
      await appendIncident(this.incidentsFile, next);
    } catch (e) {
      this.log.warn(`Could not record a drift incident in ${this.incidentsFile}: ${(e as Error).message}`);
    }
  }

  /** The tree reports which environment nodes are expanded and whether it is visible. */
  setTreeInterest(visible: boolean, expanded: Iterable<string>): void {
    this.treeVisible = visible;
    this.treeWants.clear();
    for (const e of expanded) this.treeWants.add(e);
    if (visible) for (const e of this.treeWants) void this.ensure(e);
  }

  /** Environments (with a context) that render this file. */
  environmentsOfFile(file: string): Environment[] {
    const out: Environment[] = [];
    for (const { model } of this.repo.current) {
      for (const env of model.environments) if (env.applications.some((a) => a.sourcePaths.includes(file))) out.push(env);
    }
    return out;
  }

  /** Environments mapped to a context. */
  environmentsOfContext(context: string): Environment[] {
    return this.repo.current.flatMap((f) => f.model.environments.filter((e) => e.context === context));
  }

  private ensureVisible(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document.uri.scheme !== 'file') continue;
      for (const env of this.environmentsOfFile(ed.document.uri.fsPath)) void this.ensure(env.name);
    }
  }

  phase(envName: string): EnvironmentDriftPhase | undefined {
    return this.tracked.get(envName)?.phase;
  }

  /** Starts (or keeps alive) the drift of an environment. Resolves once its first results are in. */
  async ensure(envName: string): Promise<void> {
    const t = this.tracked.get(envName);
    if (t) {
      t.lastWanted = Date.now();
      return;
    }
    await this.start(envName);
  }

  private async start(envName: string): Promise<void> {
    const env = this.repo.findEnvironment(envName);
    if (!env) return;
    const t: Tracked = { name: envName, context: env.context, phase: { phase: 'rendering' }, anchors: new Map(), appOf: new Map(), failedApps: [], lastWanted: Date.now(), generation: 0, subscriptions: [], defaultNamespace: env.namespaces[0] ?? 'default' };
    this.tracked.set(envName, t);
    if (!env.context) {
      t.phase = { phase: 'no-context', message: `no cluster context for ${envName}: set \`context:\` for it in .reconcile.yaml` };
      this.changed.fire(envName);
      return;
    }
    const files = kubeconfigPaths(kubeconfigSetting());
    const kube = await readKubeconfig(files);
    if (!kube.contexts.some((c) => c.name === env.context)) {
      t.phase = { phase: 'no-context', message: `context ${env.context} is not in the kubeconfig (${files.join(', ')})` };
      this.changed.fire(envName);
      return;
    }
    t.defaultNamespace = env.namespaces[0] ?? kube.contexts.find((c) => c.name === env.context)?.namespace ?? 'default';
    this.changed.fire(envName);
    await this.loadDesired(t, env);
  }

  /** Renders the environment's applications and hands the desired objects to the drift engine. */
  private async loadDesired(t: Tracked, env: Environment): Promise<void> {
    const generation = ++t.generation;
    const rendered = await this.repo.renderedEnvironment(env);
    if (generation !== t.generation || this.tracked.get(t.name) !== t) return; // superseded or stopped
    const failed = rendered.failures.map((f) => `${f.application.name}: ${f.error.message}`);
    t.failedApps = failed;
    t.anchors = lensAnchors(rendered.applications.flatMap((a) => a.documents));
    // Results carry the key with the namespace the cluster uses; Git may leave it out (the default one).
    t.appOf = new Map();
    for (const { application, documents } of rendered.applications) {
      for (const d of documents) {
        if (!d.id?.kind || !d.id.version) continue;
        t.appOf.set(resourceKey(d.id), application.id);
        if (!d.id.namespace) t.appOf.set(resourceKey({ ...d.id, namespace: t.defaultNamespace }), application.id);
      }
    }
    if (rendered.applications.every((a) => a.documents.length === 0) && failed.length) {
      t.phase = { phase: 'render-failed', message: `did not render: ${failed.join('; ')}` };
      this.changed.fire(t.name);
      return;
    }
    if (!t.drift) {
      t.phase = { phase: 'connecting' };
      this.changed.fire(t.name);
      try {
        t.client = await connectToKubeContext(t.context);
      } catch (e) {
        t.phase = { phase: 'error', message: e instanceof ClusterError ? e.message : String((e as Error).message ?? e) };
        this.log.warn(`Drift of ${t.name}: ${t.phase.message}`);
        this.changed.fire(t.name);
        return;
      }
      if (this.tracked.get(t.name) !== t) return t.client.dispose();
      t.cache = new LiveCache(t.client, { defaultNamespace: t.defaultNamespace, namespaces: env.namespaces });
      t.drift = new EnvironmentDrift(t.cache, {
        environment: t.name,
        context: t.context,
        ignoreRules: this.configOf(env)?.ignore ?? [],
        ownership: ownershipOf(env),
        defaultNamespace: t.defaultNamespace,
      });
      t.subscriptions.push(
        t.drift.onDidChange(() => this.changed.fire(t.name)),
        t.cache.onHealth((h) => this.healthChanged(t, h)),
      );
      t.phase = { phase: 'live' };
    }
    const set = rendered.set;
    for (const w of set.warnings) this.log.warn(`Drift of ${t.name}: ${w}`);
    t.lastSet = set;
    const first = !t.managersTimer;
    if (first) t.managersTimer = setInterval(() => void this.scanManagers(t, this.repo.findEnvironment(t.name) ?? env, t.lastSet ?? set), 30_000);
    await Promise.all([t.drift.setDesired(set), first ? this.scanManagers(t, env, set) : undefined]);
    this.changed.fire(t.name);
  }

  /** Which Argo CD Applications / Flux objects deploy the environment, and their status. */
  private async scanManagers(t: Tracked, env: Environment, set: DesiredSet): Promise<void> {
    if (!t.client || this.tracked.get(t.name) !== t) return;
    const root = this.repo.current.find((f) => f.model.environments.some((e) => e.name === env.name))?.model.root;
    if (!root) return;
    try {
      const scan = await findManagers(t.client, env, { root, rendered: set, timeoutMs: 5000 });
      t.managers = scan.managers;
      const forbidden = scan.kinds.filter((k) => k.state === 'forbidden');
      t.managersProblem = forbidden.length ? `no permission to read ${forbidden.map((k) => k.kind).join(', ')}` : undefined;
    } catch (e) {
      t.managersProblem = (e as Error).message;
    }
    this.changed.fire(t.name);
  }

  /** The GitOps engines' objects that manage the environment (undefined until read). */
  managers(envName: string): Manager[] | undefined {
    return this.tracked.get(envName)?.managers;
  }

  managersProblem(envName: string): string | undefined {
    return this.tracked.get(envName)?.managersProblem;
  }

  /** The client of an environment's context, while it is tracked. */
  client(envName: string): ClusterClient | undefined {
    return this.tracked.get(envName)?.client;
  }

  /** Reads the managers again now (after asking an engine to sync). */
  async rescanManagers(envName: string): Promise<void> {
    const t = this.tracked.get(envName);
    const env = this.repo.findEnvironment(envName);
    if (t && env && t.lastSet) await this.scanManagers(t, env, t.lastSet);
  }

  private lastHealth = new Map<string, string>();
  private healthChanged(t: Tracked, h: CacheHealth): void {
    const sig = `${h.state}|${h.error?.message ?? ''}`;
    if (this.lastHealth.get(t.name) === sig) return;
    this.lastHealth.set(t.name, sig);
    if (h.error) this.log.warn(`Cluster ${t.context} (${t.name}): ${h.state}: ${h.error.message}`);
    else this.log.info(`Cluster ${t.context} (${t.name}): ${h.state}`);
    this.changed.fire(t.name);
  }

  private configOf(env: Environment) {
    return this.repo.current.find((f) => f.model.environments.includes(env))?.model.config;
  }

  private readonly rerender = new Map<string, NodeJS.Timeout>();
  private renderChanged(app: Application): void {
    const t = this.tracked.get(app.environment);
    if (!t) return;
    clearTimeout(this.rerender.get(t.name));
    this.rerender.set(
      t.name,
      setTimeout(() => {
        const env = this.repo.findEnvironment(t.name);
        if (env) void this.loadDesired(t, env);
      }, 100),
    );
  }

  private modelChanged(): void {
    for (const t of [...this.tracked.values()]) {
      const env = this.repo.findEnvironment(t.name);
      if (!env || env.context !== t.context) this.stop(t.name, env ? 'its context changed' : 'it no longer exists');
    }
    this.ensureVisible();
  }

  /** Results anchored in this file, for every environment that is live or cannot be compared. */
  resultsForFile(file: string): AnchoredResult[] {
    const out: AnchoredResult[] = [];
    for (const t of this.tracked.values()) {
      const anchors = t.anchors.get(file);
      if (!anchors) continue;
      for (const anchor of anchors) {
        const problem = phaseProblem(t.phase);
        const result = t.drift?.result(anchor.key);
        const fault = result && t.cache ? staleFault(t.cache.lookup(anchor.id), anchor.id, t.cache.health(), t.defaultNamespace) : undefined;
        out.push({ environment: t.name, anchor, result, problem, fault });
      }
    }
    return out;
  }

  result(envName: string, key: string): DriftResult | undefined {
    return this.tracked.get(envName)?.drift?.result(key);
  }

  /** Counts of the environment, or of one application of it. Undefined while nothing is known. */
  counts(envName: string, appId?: string): DriftCounts | undefined {
    if (!this.tracked.get(envName)?.drift) return undefined;
    return countResults(this.resultsOf(envName, appId), appId ? 0 : this.notInGit(envName).length);
  }

  /** Live objects of the environment that are not in Git (none while an application fails to render: they could be its). */
  notInGit(envName: string): NotInGit[] {
    const t = this.tracked.get(envName);
    if (!t?.drift || t.failedApps.length) return [];
    return t.drift.notInGit();
  }

  failedApplications(envName: string): string[] {
    return this.tracked.get(envName)?.failedApps ?? [];
  }

  /** The environment's cluster problem for the tree, when there is one. */
  problem(envName: string): string | undefined {
    const t = this.tracked.get(envName);
    if (!t) return undefined;
    const phase = phaseProblem(t.phase);
    if (phase) return phase;
    const h = t.cache?.health();
    if (h?.error && (h.state === 'failing' || h.state === 'degraded')) {
      const stream = h.streams.find((s) => s.error === h.error);
      if (stream?.state === 'reconnecting') return `watch broken, reconnecting: ${h.error.message}`;
      if (h.error.kind === 'forbidden') return `no permission to read some kinds: ${h.error.message}`;
      return `cluster ${h.error.kind === 'timeout' ? 'slow' : 'unreachable'}: ${h.error.message}`;
    }
    return undefined;
  }

  /** The environment's results, or those of one of its applications. */
  resultsOf(envName: string, appId?: string): DriftResult[] {
    const t = this.tracked.get(envName);
    if (!t?.drift) return [];
    return t.drift.results().filter((r) => !appId || t.appOf.get(r.key) === appId);
  }

  diff(envName: string, key: string): DiffDocuments | undefined {
    const r = this.result(envName, key);
    return r ? diffDocuments(r, envName) : undefined;
  }

  /** Tracked environment names. */
  environments(): string[] {
    return [...this.tracked.keys()];
  }

  /** Forgets everything and starts again (kubeconfig changed, context switched, Refresh). */
  restartAll(why: string): void {
    const names = [...this.tracked.keys()];
    for (const n of names) this.stop(n, why);
    this.ensureVisible();
    if (this.treeVisible) for (const e of this.treeWants) void this.ensure(e);
  }

  private stop(envName: string, why: string): void {
    const t = this.tracked.get(envName);
    if (!t) return;
    this.tracked.delete(envName);
    this.lastHealth.delete(envName);
    clearTimeout(this.rerender.get(envName));
    clearInterval(t.managersTimer);
    for (const s of t.subscriptions) s.dispose();
    t.drift?.dispose();
    t.cache?.stop();
    t.client?.dispose();
    this.log.info(`Stopped watching ${envName}${t.context ? ` (${t.context})` : ''}: ${why}`);
    this.changed.fire(envName);
  }

  /** Stops the environments nothing has shown for a minute. */
  private sweep(): void {
    const now = Date.now();
    const wanted = new Set<string>();
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document.uri.scheme === 'file') for (const env of this.environmentsOfFile(ed.document.uri.fsPath)) wanted.add(env.name);
    }
    if (this.treeVisible) for (const e of this.treeWants) wanted.add(e);
    for (const t of [...this.tracked.values()]) {
      if (wanted.has(t.name)) t.lastWanted = now;
      else if (now - t.lastWanted > IDLE_MS) this.stop(t.name, 'nothing shows it');
    }
  }

  dispose(): void {
    clearInterval(this.sweeper);
    for (const t of this.incidentTimers.values()) clearTimeout(t);
    for (const n of [...this.tracked.keys()]) this.stop(n, 'shutting down');
    for (const d of this.disposables) d.dispose();
  }
}


/** Why an environment cannot be compared at all, from its phase (undefined while it can, or may yet). */
function phaseProblem(p: EnvironmentDriftPhase): string | undefined {
  return p.phase === 'no-context' || p.phase === 'error' || p.phase === 'render-failed' ? p.message : undefined;
}
