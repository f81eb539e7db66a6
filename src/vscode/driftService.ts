// Live drift of the environments somebody is looking at: an open editor on one of their files, or
// their node in the Environments view. Per environment — identified by (workspace folder, name), its
// key (environmentKey()): render every application (through the workspace's renderer and cache), LIST +
// WATCH the kinds it uses (LiveCache), keep the results current (EnvironmentDrift), and stop watching a
// minute after nothing shows it any more. Each environment's lifecycle (rendering → connecting → live |
// render-failed | error) is core's EnvironmentLifecycle, which owns its client, cache, drift and timers.
// All comparison logic is in src/core/drift; this class schedules it and tells the lens and the tree.
// Every method that takes an environment takes its key, or a name that only one folder has.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import { LiveCache, kubeconfigPaths, readKubeconfig, type ClusterClient, type CacheHealth } from '../core/cluster';
import {
  countResults,
  type DesiredSet,
  diffDocuments,
  EnvironmentDrift,
  EnvironmentLifecycle,
  type LifecyclePhase,
  type LifecycleSession,
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
import type { FolderModel, WorkspaceRepo } from './workspaceRepo';
import { connectToKubeContext } from './clusterSettings';

/** How long an environment nobody looks at keeps its watches. */
const IDLE_MS = 60_000;
const SWEEP_MS = 15_000;

export type EnvironmentDriftPhase = { phase: 'no-context'; message: string } | Exclude<LifecyclePhase, { phase: 'stopped' }>;

/** What a connected environment holds open; the lifecycle disposes it exactly once. */
interface Session extends LifecycleSession {
  client: ClusterClient;
  cache: LiveCache;
  drift: EnvironmentDrift;
}

interface Tracked {
  key: string;
  name: string;
  folder: FolderModel;
  context?: string;
  /** Set when there is no usable context: nothing to connect to, so no lifecycle. */
  noContext?: string;
  lifecycle?: EnvironmentLifecycle<DesiredSet, Session>;
  anchors: Map<string, LensAnchor[]>;
  /** key → the application that renders it */
  appOf: Map<string, string>;
  failedApps: string[];
  lastWanted: number;
  defaultNamespace: string;
  /** The Argo CD / Flux objects that manage the environment (read after connecting, then every 30 s). */
  managers?: Manager[];
  managersProblem?: string;
  managersScanning?: boolean;
  lastSet?: DesiredSet;
  /** The last drift error logged (a repeated one is not logged again). */
  lastError?: string;
}

export interface AnchoredResult {
  /** The environment's key (workspace folder and name). */
  key: string;
  /** Its name, for titles. */
  environment: string;
  anchor: LensAnchor;
  result?: DriftResult;
  /** Set when the environment cannot be compared (no context, render failed, cluster config). */
  problem?: string;
  fault?: string;
}

export class DriftService implements vscode.Disposable {
  private readonly tracked = new Map<string, Tracked>();
  /**
   * Why an environment has no usable context, kept after its tracking stops (the sweeper stops what
   * nothing shows): the tree's "? context … is not in the kubeconfig" must not come and go with watches.
   * Dropped when the kubeconfig changes (restartAll) or the environment's context does.
   */
  private readonly noContextMemo = new Map<string, { context: string | undefined; message: string }>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the key of the environment whose drift (or phase) changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly sweeper: NodeJS.Timeout;
  /** Environments (keys) the tree shows expanded (the tree tells us). */
  private readonly treeWants = new Set<string>();
  private treeVisible = false;
  /** Connections attempted (the lifecycle's connect() called), per environment key (a cheap observable for tests). */
  readonly connectAttempts = new Map<string, number>();

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

  /** The key of an environment given by key or by a name only one folder has (the ref itself otherwise). */
  keyOf(ref: string): string {
    if (this.tracked.has(ref)) return ref;
    const r = this.repo.resolveEnvironment(ref);
    return 'key' in r ? r.key : ref;
  }

  private get(ref: string): Tracked | undefined {
    return this.tracked.get(this.keyOf(ref));
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
      this.onDidChange((key) => {
        clearTimeout(this.incidentTimers.get(key));
        this.incidentTimers.set(key, setTimeout(() => void this.recordIncident(key), 2000));
      }),
    );
  }

  private async recordIncident(key: string): Promise<void> {
    const t = this.tracked.get(key);
    const drift = t?.lifecycle?.session?.drift;
    if (!this.incidentsFile || !t || !drift || t.lifecycle?.state.phase !== 'live' || t.failedApps.length) return;
    const report = drift.report();
    if (report.results.some((r) => r.status === 'unknown')) return; // not a verdict
    // The folder and repository too: two folders may both have a `prod` (their metrics are apart).
    const next = incidentTransition(report, this.openIncidents.get(key), { folder: t.folder.folder.uri.fsPath, repository: t.folder.repository });
    if (!next) return;
    if (next.resolvedAt) this.openIncidents.delete(key);
    else this.openIncidents.set(key, next);
    try {
      await appendIncident(this.incidentsFile, next);
    } catch (e) {
      this.log.warn(`Could not record a drift incident in ${this.incidentsFile}: ${(e as Error).message}`);
    }
  }

  /** The tree reports which environment nodes (keys) are expanded and whether it is visible. */
  setTreeInterest(visible: boolean, expanded: Iterable<string>): void {
    this.treeVisible = visible;
    this.treeWants.clear();
    for (const e of expanded) this.treeWants.add(e);
    if (visible) for (const e of this.treeWants) void this.ensure(e);
  }

  /** Environments that render this file, with their keys. */
  environmentsOfFile(file: string): Array<{ key: string; env: Environment }> {
    return this.repo.environments().filter(({ env }) => env.applications.some((a) => a.sourcePaths.includes(file)));
  }

  /** Environments mapped to a context. */
  environmentsOfContext(context: string): Environment[] {
    return this.repo.environments().filter(({ env }) => env.context === context).map(({ env }) => env);
  }

  private ensureVisible(): void {
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document.uri.scheme !== 'file') continue;
      for (const { key } of this.environmentsOfFile(ed.document.uri.fsPath)) void this.ensure(key);
    }
  }

  phase(ref: string): EnvironmentDriftPhase | undefined {
    const t = this.get(ref);
    if (!t) return undefined;
    if (t.noContext) return { phase: 'no-context', message: t.noContext };
    const s = t.lifecycle?.state ?? { phase: 'rendering' };
    return s.phase === 'stopped' ? undefined : s;
  }

  /** Starts (or keeps alive) the drift of an environment. Resolves once its first results are in. */
  async ensure(ref: string): Promise<void> {
    const key = this.keyOf(ref);
    const t = this.tracked.get(key);
    if (t) {
      t.lastWanted = Date.now();
      return;
    }
    await this.start(key);
  }

  private async start(key: string): Promise<void> {
    const r = this.repo.resolveEnvironment(key);
    if (!('env' in r) || r.key !== key) return;
    const env = r.env;
    const folder = this.repo.folderOf(env);
    if (!folder) return;
    const t: Tracked = { key, name: env.name, folder, context: env.context, anchors: new Map(), appOf: new Map(), failedApps: [], lastWanted: Date.now(), defaultNamespace: env.namespaces[0] ?? 'default' };
    this.tracked.set(key, t);
    if (!env.context) {
      t.noContext = `no cluster context for ${env.name}: set \`context:\` for it in .reconcile.yaml`;
      this.noContextMemo.set(key, { context: env.context, message: t.noContext });
      this.changed.fire(key);
      return;
    }
    const files = kubeconfigPaths(kubeconfigSetting());
    const kube = await readKubeconfig(files);
    if (this.tracked.get(key) !== t) return; // stopped meanwhile
    if (!kube.contexts.some((c) => c.name === env.context)) {
      t.noContext = `context ${env.context} is not in the kubeconfig (${files.join(', ')})`;
      this.noContextMemo.set(key, { context: env.context, message: t.noContext });
      this.changed.fire(key);
      return;
    }
    this.noContextMemo.delete(key);
    t.defaultNamespace = env.namespaces[0] ?? kube.contexts.find((c) => c.name === env.context)?.namespace ?? 'default';
    const context = env.context;
    t.lifecycle = new EnvironmentLifecycle<DesiredSet, Session>({
      render: (signal) => this.render(t, signal),
      connect: async () => {
        this.connectAttempts.set(key, (this.connectAttempts.get(key) ?? 0) + 1);
        const client = await connectToKubeContext(context);
        const current = this.repo.environment(key) ?? env;
        const cache = new LiveCache(client, { defaultNamespace: t.defaultNamespace, namespaces: current.namespaces });
        const drift = new EnvironmentDrift(cache, {
          environment: t.name,
          context,
          ignoreRules: t.folder.model.config?.ignore ?? [],
          ownership: ownershipOf(current, t.folder.repository),
          defaultNamespace: t.defaultNamespace,
        });
        const subscriptions = [drift.onDidChange(() => this.changed.fire(key)), cache.onHealth((h) => this.healthChanged(t, h))];
        return {
          client,
          cache,
          drift,
          dispose: () => {
            for (const s of subscriptions) s.dispose();
            drift.dispose();
            cache.stop();
            client.dispose();
          },
        };
      },
      update: async (session, set) => {
        for (const w of set.warnings) this.log.warn(`Drift of ${t.name}: ${w}`);
        t.lastSet = set;
        const first = !t.managersScanning;
        if (first) {
          t.managersScanning = true;
          t.lifecycle?.every(30_000, () => void this.scanManagers(t));
        }
        await Promise.all([session.drift.setDesired(set), first ? this.scanManagers(t) : undefined]);
        this.changed.fire(key);
      },
      onState: (s) => {
        // Reported once: a failure that repeats (a retry after the backoff) is not logged again.
        if (s.phase === 'error' && s.message !== t.lastError) this.log.warn(`Drift of ${t.name}: ${s.message}`);
        if (s.phase === 'error' || s.phase === 'live') t.lastError = s.phase === 'error' ? s.message : undefined;
        this.changed.fire(key);
      },
      // What connecting depends on: a failed connect is tried again at once when the kubeconfig changes, else after a backoff.
      connectInputs: () => kubeconfigFingerprint(context),
    });
    this.changed.fire(key);
    await t.lifecycle.refresh();
  }

  /** Renders the environment's applications: the desired objects, or why nothing can be compared. */
  private async render(t: Tracked, signal: AbortSignal): Promise<{ ok: true; desired: DesiredSet } | { ok: false; message: string }> {
    const env = this.repo.environment(t.key);
    if (!env) return { ok: false, message: `${t.name} is no longer in the workspace` };
    const rendered = await this.repo.renderedEnvironment(env);
    if (signal.aborted) return { ok: false, message: 'superseded' }; // the lifecycle drops it
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
    if (rendered.applications.every((a) => a.documents.length === 0) && failed.length) return { ok: false, message: `did not render: ${failed.join('; ')}` };
    return { ok: true, desired: rendered.set };
  }

  /** Which Argo CD Applications / Flux objects deploy the environment, and their status. */
  private async scanManagers(t: Tracked): Promise<void> {
    const client = t.lifecycle?.session?.client;
    const env = this.repo.environment(t.key);
    if (!client || !env || !t.lastSet || this.tracked.get(t.key) !== t) return;
    try {
      const scan = await findManagers(client, env, { root: t.folder.model.root, rendered: t.lastSet, timeoutMs: 5000 });
      t.managers = scan.managers;
      const forbidden = scan.kinds.filter((k) => k.state === 'forbidden');
      t.managersProblem = forbidden.length ? `no permission to read ${forbidden.map((k) => k.kind).join(', ')}` : undefined;
    } catch (e) {
      t.managersProblem = (e as Error).message;
    }
    this.changed.fire(t.key);
  }

  /** The GitOps engines' objects that manage the environment (undefined until read). */
  managers(ref: string): Manager[] | undefined {
    return this.get(ref)?.managers;
  }

  managersProblem(ref: string): string | undefined {
    return this.get(ref)?.managersProblem;
  }

  /** The client of an environment's context, while it is connected. */
  client(ref: string): ClusterClient | undefined {
    return this.get(ref)?.lifecycle?.session?.client;
  }

  /** Reads the managers again now (after asking an engine to sync). */
  async rescanManagers(ref: string): Promise<void> {
    const t = this.get(ref);
    if (t) await this.scanManagers(t);
  }

  private lastHealth = new Map<string, string>();
  private healthChanged(t: Tracked, h: CacheHealth): void {
    const sig = `${h.state}|${h.error?.message ?? ''}`;
    if (this.lastHealth.get(t.key) === sig) return;
    this.lastHealth.set(t.key, sig);
    if (h.error) this.log.warn(`Cluster ${t.context} (${t.name}): ${h.state}: ${h.error.message}`);
    else this.log.info(`Cluster ${t.context} (${t.name}): ${h.state}`);
    this.changed.fire(t.key);
  }

  private renderChanged(app: Application): void {
    this.tracked.get(this.repo.environmentKeyOf(app))?.lifecycle?.schedule(100);
  }

  private modelChanged(): void {
    for (const t of [...this.tracked.values()]) {
      const env = this.repo.environment(t.key);
      if (!env || env.context !== t.context) this.stop(t.key, env ? 'its context changed' : 'it no longer exists');
      else if (this.repo.folderOf(env)) t.folder = this.repo.folderOf(env)!;
    }
    this.ensureVisible();
  }

  /** Results anchored in this file, for every environment that is live or cannot be compared. */
  resultsForFile(file: string): AnchoredResult[] {
    const out: AnchoredResult[] = [];
    for (const t of this.tracked.values()) {
      const anchors = t.anchors.get(file);
      if (!anchors) continue;
      const session = t.lifecycle?.session;
      const phase = this.phase(t.key);
      for (const anchor of anchors) {
        const problem = phase ? phaseProblem(phase) : undefined;
        const result = session?.drift.result(anchor.key);
        const fault = result && session ? staleFault(session.cache.lookup(anchor.id), anchor.id, session.cache.health(), t.defaultNamespace) : undefined;
        out.push({ key: t.key, environment: t.name, anchor, result, problem, fault });
      }
    }
    return out;
  }

  result(ref: string, key: string): DriftResult | undefined {
    return this.get(ref)?.lifecycle?.session?.drift.result(key);
  }

  /** Counts of the environment, or of one application of it. Undefined while nothing is known. */
  counts(ref: string, appId?: string): DriftCounts | undefined {
    if (!this.get(ref)?.lifecycle?.session) return undefined;
    return countResults(this.resultsOf(ref, appId), appId ? 0 : this.notInGit(ref).length);
  }

  /** Live objects of the environment that are not in Git (none while an application fails to render: they could be its). */
  notInGit(ref: string): NotInGit[] {
    const t = this.get(ref);
    const drift = t?.lifecycle?.session?.drift;
    if (!t || !drift || t.failedApps.length) return [];
    return drift.notInGit();
  }

  failedApplications(ref: string): string[] {
    return this.get(ref)?.failedApps ?? [];
  }

  /** The environment's cluster problem for the tree, when there is one. */
  problem(ref: string): string | undefined {
    const t = this.get(ref);
    if (!t) {
      // Not tracked now: a missing context is still missing (nothing changed that could fix it).
      const key = this.keyOf(ref);
      const memo = this.noContextMemo.get(key);
      return memo && this.repo.environment(key)?.context === memo.context ? memo.message : undefined;
    }
    const phase = this.phase(t.key);
    const p = phase ? phaseProblem(phase) : undefined;
    if (p) return p;
    const h = t.lifecycle?.session?.cache.health();
    if (h?.error && (h.state === 'failing' || h.state === 'degraded')) {
      const stream = h.streams.find((s) => s.error === h.error);
      if (stream?.state === 'reconnecting') return `watch broken, reconnecting: ${h.error.message}`;
      if (h.error.kind === 'forbidden') return `no permission to read some kinds: ${h.error.message}`;
      return `cluster ${h.error.kind === 'timeout' ? 'slow' : 'unreachable'}: ${h.error.message}`;
    }
    return undefined;
  }

  /** The environment's results, or those of one of its applications. */
  resultsOf(ref: string, appId?: string): DriftResult[] {
    const t = this.get(ref);
    const drift = t?.lifecycle?.session?.drift;
    if (!t || !drift) return [];
    return drift.results().filter((r) => !appId || t.appOf.get(r.key) === appId);
  }

  diff(ref: string, key: string): DiffDocuments | undefined {
    const t = this.get(ref);
    const r = this.result(ref, key);
    return r && t ? diffDocuments(r, t.name) : undefined;
  }

  /** The tracked environments' keys. */
  environments(): string[] {
    return [...this.tracked.keys()];
  }

  /** The key of the environment an application belongs to. */
  keyOfApplication(app: Application): string {
    return this.repo.environmentKeyOf(app);
  }

  /** The name of a tracked environment (keys are for machines). */
  nameOf(ref: string): string | undefined {
    return this.get(ref)?.name;
  }

  /** Forgets everything and starts again (kubeconfig changed, context switched, Refresh). */
  restartAll(why: string): void {
    this.noContextMemo.clear();
    const keys = [...this.tracked.keys()];
    for (const k of keys) this.stop(k, why);
    this.ensureVisible();
    if (this.treeVisible) for (const e of this.treeWants) void this.ensure(e);
  }

  private stop(key: string, why: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    this.tracked.delete(key);
    this.lastHealth.delete(key);
    t.lifecycle?.stop(); // aborts its run, clears its timers, disposes client, cache and drift
    this.log.info(`Stopped watching ${t.name}${t.context ? ` (${t.context})` : ''}: ${why}`);
    this.changed.fire(key);
  }

  /** Stops the environments nothing has shown for a minute. */
  /** Stops tracking an environment, as the sweeper does once nothing has shown it for a while. */
  release(ref: string): void {
    const key = this.keyOf(ref);
    if (this.tracked.has(key)) this.stop(key, 'released');
  }

  private sweep(): void {
    const now = Date.now();
    const wanted = new Set<string>();
    for (const ed of vscode.window.visibleTextEditors) {
      if (ed.document.uri.scheme === 'file') for (const { key } of this.environmentsOfFile(ed.document.uri.fsPath)) wanted.add(key);
    }
    if (this.treeVisible) for (const e of this.treeWants) wanted.add(this.keyOf(e));
    for (const t of [...this.tracked.values()]) {
      if (wanted.has(t.key)) t.lastWanted = now;
      else if (now - t.lastWanted > IDLE_MS) this.stop(t.key, 'nothing shows it');
    }
  }

  dispose(): void {
    clearInterval(this.sweeper);
    for (const t of this.incidentTimers.values()) clearTimeout(t);
    for (const k of [...this.tracked.keys()]) this.stop(k, 'shutting down');
    for (const d of this.disposables) d.dispose();
  }
}

/** The content of every kubeconfig file in effect and the context: what a connect depends on. */
async function kubeconfigFingerprint(context: string): Promise<string> {
  const h = createHash('sha256').update(`context\0${context}\0`);
  for (const f of kubeconfigPaths(kubeconfigSetting())) {
    h.update(`file\0${f}\0`);
    h.update(await fs.readFile(f).catch(() => '<missing>'));
  }
  return h.digest('hex');
}

/** Why an environment cannot be compared at all, from its phase (undefined while it can, or may yet). */
function phaseProblem(p: EnvironmentDriftPhase): string | undefined {
  return p.phase === 'no-context' || p.phase === 'error' || p.phase === 'render-failed' ? p.message : undefined;
}
