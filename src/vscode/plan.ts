// Preview, Sync, Restore Cluster to Git and the sync history, with the Plan view.
// - Preview: render the environment, server-side dry-run every resource (src/core/sync), show the plan
//   (create / update / unchanged / failed / prune candidates) with counts; each item opens a diff.
// - Sync: always from a fresh plan; a failed dry-run blocks everything unless "Apply the Others" is
//   chosen; Argo CD / Flux managers are offered first (a direct apply would be reverted); conflicts
//   are forced only when confirmed; a protected environment asks for its name; prune is opt-in with
//   the exact list; progress with Cancel; every result in the Output channel and the Plan view; an
//   audit record in the extension's global storage (never in the repository). No sync when untrusted.
import { counted } from '../core/util/plural';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ClusterClient } from '../core/cluster';
import { directApplyWarning, requestArgoSync, requestFluxReconcile, statusLine, type Manager } from '../core/delegate';
import { ownershipOf } from '../core/drift';
import { GitRepoError } from '../core/git';
import { resourceKey } from '../core/manifest';
import type { Environment } from '../core/repo';
import {
  AuditLog,
  auditGitContext,
  auditRecord,
  conflictText,
  planDiff,
  planEnvironment,
  planFieldLine,
  keptFieldLine,
  planMarkdown,
  planSummary,
  PlanRenderError,
  syncPlan,
  syncResultLine,
  syncSummary,
  type AuditContext,
  type AuditRecord,
  type Plan,
  type PlanAction,
  type PlanItem,
  type SyncOutcome,
  type SyncResult,
} from '../core/sync';
import type { DriftService } from './driftService';
import type { DriftDocuments } from './driftLens';
import type { EnvironmentsNode } from './environmentsView';
import type { Repos } from './history';
import type { OutputLog } from './log';
import type { Prompts } from './prompts';
import type { WorkspaceRepo } from './workspaceRepo';
import { connectToKubeContext } from './clusterSettings';

type PlanNode =
  | { type: 'summary'; plan: Plan; outcome?: SyncOutcome }
  | { type: 'group'; plan: Plan; action: PlanAction; items: PlanItem[] }
  | { type: 'item'; plan: Plan; item: PlanItem; result?: SyncResult }
  | { type: 'warning'; message: string };

const GROUPS: Array<{ action: PlanAction; label: string; icon: string; color?: string; expanded: boolean }> = [
  { action: 'failed', label: 'Failed dry-run', icon: 'error', color: 'problemsErrorIcon.foreground', expanded: true },
  { action: 'create', label: 'Create', icon: 'diff-added', color: 'gitDecoration.addedResourceForeground', expanded: true },
  { action: 'update', label: 'Update', icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground', expanded: true },
  { action: 'prune', label: 'Prune candidates (not in Git)', icon: 'diff-removed', color: 'gitDecoration.deletedResourceForeground', expanded: true },
  { action: 'unchanged', label: 'Unchanged', icon: 'pass', expanded: false },
  { action: 'skip', label: 'Not run by sync (tests, delete and rollback hooks)', icon: 'debug-step-over', expanded: false },
];

/** The Plan view: the last plan made (and what its sync did). */
export class PlanView implements vscode.TreeDataProvider<PlanNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PlanNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  plan: Plan | undefined;
  outcome: SyncOutcome | undefined;
  /** How the summary names the plan's environment: `prod`, or `prod (payments)` when several workspace folders are open. */
  label: string | undefined;
  private results = new Map<string, SyncResult>();

  show(plan: Plan, outcome?: SyncOutcome, label?: string): void {
    this.plan = plan;
    this.outcome = outcome;
    this.label = label;
    this.results = new Map((outcome?.results ?? []).map((r) => [r.key, r]));
    this.changed.fire(undefined);
  }

  /** One resource's sync result, as it happens. */
  result(r: SyncResult): void {
    this.results.set(r.key, r);
    this.changed.fire(undefined);
  }

  getChildren(node?: PlanNode): PlanNode[] {
    const plan = this.plan;
    if (!plan) return [];
    if (!node) {
      const out: PlanNode[] = [{ type: 'summary', plan, outcome: this.outcome }];
      for (const w of plan.warnings) out.push({ type: 'warning', message: w });
      for (const g of GROUPS) {
        const items = plan.items.filter((i) => i.action === g.action);
        if (items.length) out.push({ type: 'group', plan, action: g.action, items });
      }
      return out;
    }
    if (node.type === 'group') return node.items.map((item) => ({ type: 'item', plan: node.plan, item, result: this.results.get(item.key) }));
    return [];
  }

  getTreeItem(node: PlanNode): vscode.TreeItem {
    switch (node.type) {
      case 'summary': {
        const p = node.plan;
        const item = new vscode.TreeItem(`${this.label ?? p.environment}${p.context ? ` · ${p.context}` : ''}`, vscode.TreeItemCollapsibleState.None);
        item.description = node.outcome ? syncSummary(p.environment, node.outcome).replace(/^sync of \S+: /, 'synced: ') : planSummary(p);
        item.iconPath = new vscode.ThemeIcon(node.outcome ? (node.outcome.outcome === 'success' ? 'check-all' : 'warning') : 'checklist');
        item.tooltip = `Plan made ${new Date(p.createdAt).toLocaleString()} against ${p.server} in ${(p.durationMs / 1000).toFixed(1)} s (${p.requests} requests)`;
        item.contextValue = 'planSummary';
        return item;
      }
      case 'warning': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        return item;
      }
      case 'group': {
        const g = GROUPS.find((x) => x.action === node.action)!;
        const item = new vscode.TreeItem(g.label, g.expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `plan:${node.plan.createdAt}:${node.action}`;
        item.description = String(node.items.length);
        item.iconPath = new vscode.ThemeIcon(g.icon, g.color ? new vscode.ThemeColor(g.color) : undefined);
        return item;
      }
      case 'item': {
        const { item: i, result } = node;
        const t = new vscode.TreeItem(`${i.id.kind}/${i.id.name}`, vscode.TreeItemCollapsibleState.None);
        t.id = `plan:${node.plan.createdAt}:${i.key}`;
        const what =
          i.action === 'update' ? (i.fields ?? []).slice(0, 2).map(planFieldLine).join('; ') + ((i.fields?.length ?? 0) > 2 ? ` +${i.fields!.length - 2} more` : '')
          : i.action === 'failed' ? (i.failure?.serverMessage ?? i.failure?.message ?? 'failed')
          : i.action === 'prune' ? (i.ownership ?? 'not in Git')
          : i.kept?.length ? `cannot be restored by apply: ${i.kept.map((k) => k.path).join(', ')}`
          : (i.note ?? '');
        const done = result ? `${result.status}${result.message ? ` (${result.message})` : ''}` : '';
        const phase = i.hook?.hook || i.phase !== 'Sync' ? `${i.phase} hook` : i.wave ? `wave ${i.wave}` : '';
        t.description = [i.id.namespace, phase, done || what, i.conflicts?.length ? `conflict: ${conflictText(i.conflicts)}` : ''].filter(Boolean).join(' · ');
        const g = GROUPS.find((x) => x.action === i.action)!;
        t.iconPath = result ? resultIcon(result) : new vscode.ThemeIcon(g.icon, g.color ? new vscode.ThemeColor(g.color) : undefined);
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${i.id.kind}/${i.id.name}** — ${i.action}${i.application ? ` (${i.application})` : ''}\n\n`);
        for (const f of i.fields ?? []) md.appendMarkdown(`- \`${planFieldLine(f)}\`\n`);
        for (const k of i.kept ?? []) md.appendMarkdown(`- ⚠ \`${keptFieldLine(k)}\`\n`);
        if (i.failure) md.appendMarkdown(`\n**The server said:** ${i.failure.serverMessage ?? i.failure.message}\n`);
        if (i.note) md.appendMarkdown(`\n${i.note}\n`);
        if (result) md.appendMarkdown(`\n**Sync:** ${syncResultLine(result)}\n`);
        t.tooltip = md;
        t.contextValue = `planItem ${i.action}`;
        t.command = { command: 'reconcile.openPlanDiff', title: 'Open Diff', arguments: [i.key] };
        return t;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function resultIcon(r: SyncResult): vscode.ThemeIcon {
  switch (r.status) {
    case 'applied':
    case 'pruned':
      return new vscode.ThemeIcon('check', new vscode.ThemeColor('testing.iconPassed'));
    case 'unchanged':
      return new vscode.ThemeIcon('pass');
    case 'failed':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'));
    default:
      return new vscode.ThemeIcon('circle-slash');
  }
}

export interface PlanDeps {
  repo: WorkspaceRepo;
  drift: DriftService;
  view: PlanView;
  treeView: vscode.TreeView<PlanNode>;
  documents: DriftDocuments;
  prompts: Prompts;
  repos: Repos;
  log: OutputLog;
  /** The audit log's file, in the extension's global storage. */
  auditFile: string;
}

/** What a sync command returns (tests read it). */
export interface SyncReport {
  plan?: Plan;
  outcome?: SyncOutcome;
  /** Set when nothing was sent: why. */
  stopped?: string;
  delegated?: string;
}

/** The environment a command argument names: its key (workspace folder and name), or a bare name. */
function envRef(repo: WorkspaceRepo, arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const n = arg as EnvironmentsNode | undefined;
  if (n?.type === 'environment' || n?.type === 'manager') return repo.keyOf(n.env);
  if (n?.type === 'application') return repo.environmentKeyOf(n.app);
  return undefined;
}

export function registerPlanCommands(deps: PlanDeps): vscode.Disposable[] {
  const { repo, drift, view, prompts, log } = deps;
  const audit = new AuditLog(deps.auditFile);

  /** The environment of a command: by key; by name when only one folder has it; else picked. */
  const pickEnvironment = async (arg: unknown, purpose: string): Promise<Environment | undefined> => {
    await repo.models();
    const all = repo.environments();
    const multiRoot = repo.current.length > 1;
    const ref = envRef(repo, arg);
    let candidates = all;
    if (ref) {
      const r = repo.resolveEnvironment(ref);
      if ('env' in r) return r.env;
      if (r.candidates.length === 0) {
        void prompts.message('error', `Reconcile: no environment ${ref} in this workspace.`);
        return undefined;
      }
      candidates = r.candidates; // a name that several folders have: which one?
    }
    const pick = await prompts.pick(
      candidates.map((e) => ({
        label: multiRoot ? `${e.env.name} — ${e.folder.folder.name}` : e.env.name,
        description: [e.env.context ?? 'no context', e.env.protected ? 'protected' : undefined].filter(Boolean).join(' · '),
        key: e.key,
      })),
      { placeHolder: ref ? `${purpose} ${ref} of which workspace folder?` : `${purpose} which environment?` },
    );
    return pick ? repo.environment(pick.key) : undefined;
  };

  const clientFor = async (env: Environment): Promise<ClusterClient> => {
    if (!env.context) throw new Error(`environment ${env.name} has no cluster context: set \`context:\` for it in .reconcile.yaml`);
    return connectToKubeContext(env.context);
  };


  const configOf = (env: Environment) => repo.folderOf(env)?.model.config;

  /** Renders and dry-runs; undefined (after saying why) when it could not. */
  const makePlan = async (env: Environment, client: ClusterClient, token?: vscode.CancellationToken, only?: Set<string>): Promise<Plan | undefined> => {
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    try {
      let input = await repo.renderedEnvironment(env);
      if (only) {
        // Drift keys carry the namespace the cluster uses; Git may leave it out (the environment's namespace then).
        const ns = env.namespaces[0] ?? 'default';
        const wanted = (o: { id: import('../core/manifest').ResourceId }) => only.has(resourceKey(o.id)) || (!o.id.namespace && only.has(resourceKey({ ...o.id, namespace: ns })));
        input = { ...input, set: { objects: input.set.objects.filter(wanted), warnings: input.set.warnings } };
      }
      return await planEnvironment(client, input, {
        environment: env.name,
        context: env.context,
        ownership: ownershipOf(env, repo.folderOf(env)?.repository),
        ignoreRules: configOf(env)?.ignore ?? [],
        signal: controller.signal,
        ...(only ? { pruneKinds: [] } : {}),
      });
    } catch (e) {
      const msg = e instanceof PlanRenderError ? e.message : `preview of ${env.name} failed: ${(e as Error).message}`;
      log.error(msg);
      void prompts.message('error', `Reconcile: ${msg}`, {}, 'Show Output').then((c) => c && log.show());
      return undefined;
    } finally {
      sub?.dispose();
    }
  };

  /** An environment as the Plan view names it: with its workspace folder when there are several. */
  const viewLabel = (env: Environment): string => (repo.current.length > 1 ? `${env.name} (${repo.folderOf(env)?.folder.name ?? '?'})` : env.name);

  const showPlan = async (plan: Plan, env: Environment): Promise<void> => {
    view.show(plan, undefined, viewLabel(env));
    deps.treeView.badge = { value: plan.counts.create + plan.counts.update + plan.counts.prune + plan.counts.failed, tooltip: planSummary(plan) };
    await vscode.commands.executeCommand('setContext', 'reconcile.hasPlan', true);
    log.info(`Plan of ${plan.environment}: ${planSummary(plan)}`);
    for (const i of plan.items.filter((x) => x.action === 'failed')) log.error(`[${plan.environment}] dry-run failed: ${i.id.kind}/${i.id.name}: ${i.failure?.serverMessage ?? i.failure?.message}`);
  };

  const preview = async (arg?: unknown): Promise<Plan | undefined> => {
    const env = await pickEnvironment(arg, 'Preview');
    if (!env) return undefined;
    let client: ClusterClient;
    try {
      client = await clientFor(env);
    } catch (e) {
      void prompts.message('error', `Reconcile: ${(e as Error).message}`);
      return undefined;
    }
    try {
      const plan = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Reconcile: previewing ${env.name}`, cancellable: true },
        (_p, token) => makePlan(env, client, token),
      );
      if (!plan) return undefined;
      await showPlan(plan, env);
      await vscode.commands.executeCommand('reconcile.plan.focus');
      if (plan.counts.failed) void prompts.message('error', `Reconcile: ${counted(plan.counts.failed, 'resource')} of ${env.name} failed the dry-run; see the Plan view.`);
      return plan;
    } finally {
      client.dispose();
    }
  };

  /** Asks the engine that manages the environment to sync it, instead of applying directly. */
  const delegate = async (env: Environment, m: Manager, client: ClusterClient): Promise<string> => {
    if (m.engine === 'argocd') await requestArgoSync(client, m);
    else await requestFluxReconcile(client, m);
    const what = m.engine === 'argocd' ? `asked Argo CD application ${m.namespace}/${m.name} to sync` : `asked Flux ${m.kind} ${m.namespace}/${m.name} to reconcile`;
    log.info(`[${env.name}] ${what}`);
    void drift.rescanManagers(repo.keyOf(env));
    return what;
  };

  const sync = async (arg: unknown, only?: Set<string>, purpose = 'Sync'): Promise<SyncReport> => {
    if (!vscode.workspace.isTrusted) {
      void prompts.message('warning', 'Reconcile: sync is not available in an untrusted workspace. Trust the workspace to sync.');
      return { stopped: 'untrusted workspace' };
    }
    const env = await pickEnvironment(arg, purpose);
    if (!env) return { stopped: 'no environment' };
    // Several folders may have an environment of this name: every question names the folder too.
    const label = repo.current.length > 1 ? `${env.name} of ${repo.folderOf(env)?.folder.name ?? '?'}` : env.name;
    let client: ClusterClient;
    try {
      client = await clientFor(env);
    } catch (e) {
      void prompts.message('error', `Reconcile: ${(e as Error).message}`);
      return { stopped: (e as Error).message };
    }
    try {
      // Always from a fresh plan: the cluster may have changed since the last preview.
      const plan = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Reconcile: dry-run of ${label} before ${purpose.toLowerCase()}`, cancellable: true },
        (_p, token) => makePlan(env, client, token, only),
      );
      if (!plan) return { stopped: 'the plan failed' };
      await showPlan(plan, env);
      const c = plan.counts;
      const pruneItems = only ? [] : plan.items.filter((i) => i.action === 'prune');
      if (c.create + c.update === 0 && pruneItems.length === 0 && c.failed === 0) {
        void prompts.message('info', `Reconcile: ${env.name} has nothing to change (${c.unchanged} unchanged).`);
        return { plan, stopped: 'nothing to change' };
      }
      let applyDespiteFailures = false;
      if (c.failed) {
        const failed = plan.items.filter((i) => i.action === 'failed');
        const choice = await prompts.message(
          'error',
          `${counted(c.failed, 'resource')} of ${env.name} failed the dry-run. Nothing has been applied.`,
          { modal: true, detail: failed.slice(0, 8).map((i) => `${i.id.kind}/${i.id.name}: ${i.failure?.serverMessage ?? i.failure?.message}`).join('\n') },
          'Apply the Others',
        );
        if (choice !== 'Apply the Others') return { plan, stopped: 'dry-run failed' };
        applyDespiteFailures = true;
      }
      // Argo CD / Flux would revert a direct apply: offer them first.
      const managers = drift.managers(repo.keyOf(env)) ?? [];
      const warning = directApplyWarning(managers);
      if (warning && managers.length) {
        const ask = managers[0].engine === 'argocd' ? 'Ask Argo CD to Sync' : 'Ask Flux to Reconcile';
        const choice = await prompts.message('warning', `${env.name} is managed by ${managers.map((m) => `${m.engine === 'argocd' ? 'Argo CD' : 'Flux'} ${m.name} (${statusLine(m)})`).join(', ')}.`, { modal: true, detail: warning }, ask, 'Apply Directly');
        if (choice === ask) {
          const done: string[] = [];
          for (const m of managers.filter((x) => x.engine === managers[0].engine)) done.push(await delegate(env, m, client));
          void prompts.message('info', `Reconcile: ${done.join('; ')}.`);
          return { plan, delegated: done.join('; ') };
        }
        if (choice !== 'Apply Directly') return { plan, stopped: 'cancelled' };
      }
      let force: string[] = [];
      const conflicted = plan.items.filter((i) => i.conflicts?.length);
      if (conflicted.length) {
        const choice = await prompts.message(
          'warning',
          `${counted(conflicted.length, 'resource')} ${conflicted.length === 1 ? 'has' : 'have'} fields that other field managers own.`,
          { modal: true, detail: `${conflicted.map((i) => `${i.id.kind}/${i.id.name}: ${conflictText(i.conflicts!)}`).join('\n')}\n\nForce takes these fields over (server-side apply with force). Without it, these resources fail with the conflict and the others are applied.` },
          'Force (Take Over Fields)',
          'Apply Without Forcing',
        );
        if (!choice) return { plan, stopped: 'cancelled' };
        if (choice.startsWith('Force')) force = conflicted.map((i) => i.key);
      }
      const summary = `${purpose} ${label} (${env.context}): ${c.create} to create, ${c.update} to update${pruneItems.length ? `, ${counted(pruneItems.length, 'prune candidate')}` : ''}.`;
      if (env.protected) {
        const typed = await prompts.input({
          title: `Reconcile: ${label} is a protected environment`,
          prompt: `${summary} Type the environment's name to confirm.`,
          placeHolder: env.name,
          validateInput: (v) => (v === env.name ? undefined : `type ${env.name} exactly`),
        });
        if (typed !== env.name) return { plan, stopped: 'protected environment not confirmed' };
      } else {
        const ok = await prompts.message('warning', summary, { modal: true, detail: `Server-side apply with field manager "reconcile" to ${plan.server}.` }, purpose);
        if (ok !== purpose) return { plan, stopped: 'cancelled' };
      }
      let prune: string[] = [];
      if (pruneItems.length) {
        const choice = await prompts.message(
          'warning',
          `Delete ${counted(pruneItems.length, 'object')} of ${label} that ${pruneItems.length === 1 ? 'is' : 'are'} not in Git?`,
          { modal: true, detail: pruneItems.map((i) => `${i.id.kind} ${i.id.namespace ? `${i.id.namespace}/` : ''}${i.id.name} — ${i.ownership ?? 'owned by the environment'}`).join('\n') },
          `Delete ${counted(pruneItems.length, 'Object')}`,
          'Keep Them',
        );
        if (!choice) return { plan, stopped: 'cancelled' };
        if (choice.startsWith('Delete')) prune = pruneItems.map((i) => i.key);
      }
      log.info(`${purpose} of ${env.name} started: ${planSummary(plan)}`);
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Reconcile: ${purpose.toLowerCase()} ${label}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const sub = token.onCancellationRequested(() => controller.abort());
          try {
            return await syncPlan(client, plan, {
              force,
              prune,
              applyDespiteFailures,
              signal: controller.signal,
              onProgress: (r, done, total) => {
                progress.report({ message: `${done}/${total} ${r.id.kind}/${r.id.name}`, increment: 100 / Math.max(1, total) });
                (r.status === 'failed' ? log.error.bind(log) : log.info.bind(log))(`[${env.name}] ${syncResultLine(r)}`);
                view.result(r);
              },
              onNote: (n) => log.info(`[${env.name}] note: ${n}`),
            });
          } finally {
            sub.dispose();
          }
        },
      );
      view.show(plan, outcome, viewLabel(env));
      const line = syncSummary(env.name, outcome);
      log.info(line);
      await recordAudit(env, plan, outcome, force, prune);
      const severity = outcome.outcome === 'success' ? 'info' : outcome.outcome === 'cancelled' ? 'warning' : 'error';
      void prompts.message(severity, `Reconcile: ${line}`, {}, 'Show Output').then((x) => x && log.show());
      return { plan, outcome };
    } finally {
      client.dispose();
    }
  };

  const recordAudit = async (env: Environment, plan: Plan, outcome: SyncOutcome, force: string[], prune: string[]): Promise<void> => {
    let commit: string | undefined;
    let author: string | undefined;
    let dirtyFiles: AuditContext['dirtyFiles'];
    // The commit of the repository the environment comes from (not the workspace's first folder).
    const owner = repo.folderOf(env);
    const folder = owner?.folder.uri.fsPath;
    if (folder) {
      const r = await deps.repos.forPath(folder);
      if (!(r instanceof GitRepoError)) {
        // HEAD, its author, and the uncommitted files: a sync applies the files on disk, and its record says so.
        ({ commit, author, dirtyFiles } = await auditGitContext(r));
      }
    }
    try {
      await audit.append(auditRecord(plan, outcome, { commit, author, dirtyFiles, folder, repository: owner?.repository, user: os.userInfo().username, forced: force, pruneConfirmed: prune }));
    } catch (e) {
      log.error(`Could not write the sync audit log ${deps.auditFile}: ${(e as Error).message}`);
    }
  };

  const recordLabel = (r: AuditRecord) => `${r.at.replace('T', ' ').slice(0, 19)} · ${r.environment}`;

  return [
    vscode.commands.registerCommand('reconcile.preview', preview),
    vscode.commands.registerCommand('reconcile.sync', (arg?: unknown) => sync(arg)),
    vscode.commands.registerCommand('reconcile.restoreToGit', async (arg?: unknown, keyArg?: string): Promise<SyncReport> => {
      // One resource (tree node or lens arguments) or a whole environment: only what drifted.
      let env: string | undefined;
      let keys: string[] = [];
      const node = arg as EnvironmentsNode | undefined;
      if (typeof arg === 'string' && keyArg) {
        env = arg;
        keys = [keyArg];
      } else if (node?.type === 'resource') {
        env = repo.environmentKeyOf(node.app);
        keys = [resourceKey(node.entry.id)];
      } else {
        env = envRef(repo, arg);
        // From the command palette (no argument): ask which environment, as Sync does.
        if (!env) {
          const picked = await pickEnvironment(undefined, 'Restore');
          env = picked ? repo.keyOf(picked) : undefined;
        }
        if (!env) return { stopped: 'no environment' };
        await drift.ensure(env);
        keys = drift.resultsOf(env).filter((r) => r.status === 'drifted' || r.status === 'missing').map((r) => r.key);
      }
      if (keys.length === 0) {
        void prompts.message('info', `Reconcile: nothing in ${drift.nameOf(env) ?? repo.environment(env)?.name ?? env} has drifted from Git.`);
        return { stopped: 'nothing drifted' };
      }
      return sync(env, new Set(keys), 'Restore');
    }),
    vscode.commands.registerCommand('reconcile.askEngineToSync', async (node?: EnvironmentsNode): Promise<string | undefined> => {
      if (node?.type !== 'manager') return undefined;
      if (!vscode.workspace.isTrusted) {
        void prompts.message('warning', 'Reconcile: not available in an untrusted workspace.');
        return undefined;
      }
      const client = drift.client(repo.keyOf(node.env)) ?? (await clientFor(node.env));
      try {
        const what = await delegate(node.env, node.manager, client);
        void prompts.message('info', `Reconcile: ${what}.`);
        return what;
      } catch (e) {
        void prompts.message('error', `Reconcile: ${(e as Error).message}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('reconcile.openPlanDiff', async (key: string) => {
      const plan = view.plan;
      const item = plan?.items.find((i) => i.key === key);
      if (!plan || !item) return undefined;
      const d = planDiff(plan, item);
      const { left, right } = deps.documents.put(`plan-${plan.environment}`, item.id.kind, item.id.name, d.live, d.desired, ['live', 'after-sync']);
      await vscode.commands.executeCommand('vscode.diff', left, right, d.title, { preview: true });
      return { title: d.title, left, right };
    }),
    vscode.commands.registerCommand('reconcile.exportPlan', async (target?: vscode.Uri): Promise<vscode.Uri | undefined> => {
      const plan = view.plan;
      if (!plan) {
        void prompts.message('info', 'Reconcile: preview an environment first.');
        return undefined;
      }
      const md = planMarkdown(plan);
      if (target) {
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(md));
        return target;
      }
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: md });
      await vscode.window.showTextDocument(doc);
      return doc.uri;
    }),
    vscode.commands.registerCommand('reconcile.showSyncHistory', async (): Promise<AuditRecord[]> => {
      const listing = await audit.list();
      for (const p of listing.problems) log.warn(`Sync history: ${JSON.stringify(p)}`);
      if (listing.records.length === 0) {
        void prompts.message('info', 'Reconcile: no sync has been recorded yet on this machine.');
        return [];
      }
      const records = [...listing.records].reverse();
      const pick = await prompts.pick(
        records.map((r) => ({
          label: recordLabel(r),
          description: `${r.outcome}${r.context ? ` · ${r.context}` : ''}${r.commit ? ` · ${r.commit.slice(0, 8)}` : ''}${r.dirty ? ` + ${r.dirtyFileCount ?? r.dirtyFiles?.length ?? 0} uncommitted file(s)` : ''}`,
          detail: `create ${r.plan.create}, update ${r.plan.update}, unchanged ${r.plan.unchanged}, failed ${r.plan.failed}, prune ${r.plan.prune}${r.author ? ` · ${r.author}` : ''}`,
          record: r,
        })),
        { placeHolder: `Syncs from this machine (${deps.auditFile})`, matchOnDescription: true, matchOnDetail: true },
      );
      if (pick) {
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(pick.record, null, 2) });
        await vscode.window.showTextDocument(doc, { preview: true });
      }
      return records;
    }),
    vscode.commands.registerCommand('reconcile.exportSyncHistory', async (target?: vscode.Uri): Promise<vscode.Uri | undefined> => {
      const uri =
        target ??
        (await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(os.homedir(), 'reconcile-sync-history.json')), filters: { JSON: ['json'] } }));
      if (!uri) return undefined;
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(await audit.exportJson()));
      log.info(`Sync history exported to ${uri.fsPath}`);
      return uri;
    }),
  ];
}
