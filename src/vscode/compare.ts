// Pull-request preview and promotion check in the editor, and the GitOps metrics dashboard.
// - Compare with Branch…: every environment whose inputs changed, rendered at the merge-base with the
//   default branch (or a chosen revision) and at the working tree, in temporary git worktrees that are
//   always removed (src/core/compare); results in the Compare view with counts; each resource opens a diff.
// - Compare Environments…: two environments of the working tree (staging ↔ prod).
// - Show GitOps Metrics: a webview (strict CSP, no remote assets) over src/core/metrics.
import { counted } from '../core/util/plural';
import * as vscode from 'vscode';
import { compareEnvironments, compareRevisions, GitError, promotionGroups, statusLabel, WORKTREE, type PromotionGroup, type Relevance, type EnvironmentComparison, type EnvironmentsComparison, type ResourceChange, type RevisionComparison } from '../core/compare';
import { computeMetrics, createNonce, dashboardData, dashboardHtml, DASHBOARD_SCRIPT, DASHBOARD_STYLE, environmentInputs, incidentsOf, readIncidents, type DashboardRequest, type MetricsReport } from '../core/metrics';
import type { DriftDocuments } from './driftLens';
import type { EnvironmentsNode } from './environmentsView';
import type { Environment } from '../core/repo';
import type { OutputLog } from './log';
import type { Prompts } from './prompts';
import { toolPaths } from './settings';
import type { WorkspaceRepo } from './workspaceRepo';

type CompareNode =
  | { type: 'header'; label: string; detail: string }
  | { type: 'env'; env: EnvironmentComparison }
  | { type: 'app'; group: PromotionGroup }
  | { type: 'resource'; change: ResourceChange; relevance?: Relevance; summary?: string }
  | { type: 'note'; message: string; severity: 'info' | 'warning' | 'error' };

export class CompareView implements vscode.TreeDataProvider<CompareNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CompareNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  revisions: RevisionComparison | undefined;
  environments: EnvironmentsComparison | undefined;
  /** The environments comparison grouped by application, promotion-relevant differences first. */
  groups: PromotionGroup[] = [];
  private readonly byKey = new Map<string, ResourceChange>();

  showRevisions(r: RevisionComparison): void {
    this.revisions = r;
    this.environments = undefined;
    this.index(r.environments.flatMap((e) => e.resources));
  }

  /** Application ids → names, for the group labels. */
  private appNames = new Map<string, string>();

  showEnvironments(r: EnvironmentsComparison, left?: Pick<Environment, 'name' | 'namespaces' | 'applications'>, right?: Pick<Environment, 'name' | 'namespaces' | 'applications'>): void {
    this.environments = r;
    this.revisions = undefined;
    this.appNames = new Map([...(right?.applications ?? []), ...(left?.applications ?? [])].map((a) => [a.id, a.name]));
    // Grouped by the application's name: staging's and prod's copies of one application are one group.
    this.groups = promotionGroups(r, left ?? { name: r.left, namespaces: [] }, right ?? { name: r.right, namespaces: [] }, (id) => this.appNames.get(id) ?? id.replace(/^[a-z]+:/, ''));
    this.index(r.resources);
  }

  private index(resources: ResourceChange[]): void {
    this.byKey.clear();
    for (const c of resources) this.byKey.set(`${c.title}`, c);
    this.changed.fire(undefined);
  }

  change(title: string): ResourceChange | undefined {
    return this.byKey.get(title);
  }

  getChildren(node?: CompareNode): CompareNode[] {
    if (!node) {
      if (this.revisions) {
        const r = this.revisions;
        const changed = r.environments.filter((e) => e.status !== 'unchanged' && e.status !== 'inputs-unchanged').length;
        return [
          { type: 'header', label: `${r.base.ref} → ${r.head.ref === WORKTREE ? 'working tree' : r.head.ref}`, detail: `${changed} of ${counted(r.environments.length, 'environment')} change · ${(r.elapsedMs / 1000).toFixed(1)} s` },
          ...r.notes.map((message): CompareNode => ({ type: 'note', message, severity: 'info' })),
          ...r.environments.map((env): CompareNode => ({ type: 'env', env })),
        ];
      }
      if (this.environments) {
        const e = this.environments;
        return [
          { type: 'header', label: `${e.left} ↔ ${e.right}`, detail: `${e.status === 'render-failed' ? 'render failed' : `${e.counts.added} only in ${e.right}, ${e.counts.removed} only in ${e.left}, ${e.counts.changed} differ`}` },
          ...e.errors.map((x): CompareNode => ({ type: 'note', message: `${x.environment}/${x.application}: ${x.message}`, severity: 'error' })),
          ...e.warnings.map((message): CompareNode => ({ type: 'note', message, severity: 'warning' })),
          ...this.groups.map((group): CompareNode => ({ type: 'app', group })),
        ];
      }
      return [];
    }
    if (node.type === 'app') return node.group.resources.map((r): CompareNode => ({ type: 'resource', change: r.change, relevance: r.relevance, summary: r.summary }));
    if (node.type === 'env') {
      return [
        ...node.env.errors.map((x): CompareNode => ({ type: 'note', message: `${x.side === 'base' ? 'at the base: ' : 'at the head: '}${x.application ? `${x.application}: ` : ''}${x.message}`, severity: 'error' })),
        ...node.env.warnings.map((message): CompareNode => ({ type: 'note', message, severity: 'warning' })),
        ...node.env.resources.map((change): CompareNode => ({ type: 'resource', change })),
      ];
    }
    return [];
  }

  getTreeItem(node: CompareNode): vscode.TreeItem {
    switch (node.type) {
      case 'header': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.detail;
        item.iconPath = new vscode.ThemeIcon('git-compare');
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.severity === 'info' ? 'info' : node.severity, node.severity === 'error' ? new vscode.ThemeColor('problemsErrorIcon.foreground') : undefined);
        item.tooltip = node.message;
        return item;
      }
      case 'env': {
        const e = node.env;
        const has = e.resources.length + e.errors.length + e.warnings.length > 0;
        const item = new vscode.TreeItem(e.name, has ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        const c = e.counts;
        item.description = e.status === 'changed' ? `+${c.added} −${c.removed} ~${c.changed}` : statusLabel(e.status);
        item.iconPath = new vscode.ThemeIcon(
          e.status === 'render-failed' ? 'error' : e.status === 'changed' ? 'diff-modified' : e.status === 'added' ? 'diff-added' : e.status === 'removed' ? 'diff-removed' : 'pass',
          e.status === 'render-failed' ? new vscode.ThemeColor('problemsErrorIcon.foreground') : undefined,
        );
        item.tooltip = e.changedInputs.length ? `Changed inputs:\n${e.changedInputs.join('\n')}` : statusLabel(e.status);
        item.contextValue = `compareEnv ${e.status}`;
        return item;
      }
      case 'app': {
        const g = node.group;
        const n = (r: Relevance) => g.resources.filter((x) => x.relevance === r).length;
        const item = new vscode.TreeItem(this.appNames.get(g.application) ?? g.application.replace(/^[a-z]+:/, ''), vscode.TreeItemCollapsibleState.Expanded);
        item.id = `cmp-app:${g.application}`;
        item.description = [n('promotion') && `${n('promotion')} to promote`, n('config') && `${n('config')} other`, n('environment') && `${n('environment')} only environment names`].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(n('promotion') ? 'rocket' : n('config') ? 'diff-modified' : 'circle-outline');
        item.tooltip = `Application ${g.application}: ${counted(g.resources.length, 'resource')} differ`;
        return item;
      }
      case 'resource': {
        const c = node.change;
        const item = new vscode.TreeItem(`${c.id.kind}/${c.id.name}`, vscode.TreeItemCollapsibleState.None);
        item.description = node.summary ?? [c.id.namespace, c.change === 'changed' ? c.fields.slice(0, 2).map((f) => f.path).join(', ') + (c.fields.length > 2 ? ` +${c.fields.length - 2}` : '') : c.change].filter(Boolean).join(' · ');
        item.iconPath =
          node.relevance === 'environment'
            ? new vscode.ThemeIcon('circle-outline', new vscode.ThemeColor('disabledForeground'))
            : new vscode.ThemeIcon(c.change === 'added' ? 'diff-added' : c.change === 'removed' ? 'diff-removed' : node.relevance === 'promotion' ? 'rocket' : 'diff-modified');
        item.contextValue = `compareResource ${node.relevance ?? c.change}`;
        item.command = { command: 'reconcile.openCompareDiff', title: 'Open Diff', arguments: [c.title] };
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export interface CompareDeps {
  repo: WorkspaceRepo;
  view: CompareView;
  documents: DriftDocuments;
  prompts: Prompts;
  log: OutputLog;
  extensionUri: vscode.Uri;
  /** Where the drift service records drift incidents. */
  incidentsFile: string;
}

function root(deps: CompareDeps): string | undefined {
  return deps.repo.current[0]?.model.root ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/**
 * What a command may be invoked for: a node of the Environments view, a file (Explorer, editor title),
 * or `{ folder }` (a workspace folder's path). Strings are the commands' own arguments, not targets.
 */
function isTarget(arg: unknown): boolean {
  return arg instanceof vscode.Uri || (typeof arg === 'object' && arg !== null && ('type' in arg || 'folder' in arg));
}

/**
 * The workspace folder a command acts on: the folder of the tree node, file or folder it was invoked
 * for; else of the active editor; else the only folder; else the one the user picks (undefined when
 * the pick is dismissed or no folder is open).
 */
async function folderFor(deps: CompareDeps, target: unknown, purpose: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const byPath = (p: string | undefined) => (p === undefined ? undefined : folders.find((f) => f.uri.fsPath === p) ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(p)));
  if (target instanceof vscode.Uri) return vscode.workspace.getWorkspaceFolder(target);
  const t = target as Partial<EnvironmentsNode> & { folder?: unknown } | undefined;
  if (t && typeof t === 'object') {
    if (t.folder && typeof t.folder === 'object' && 'uri' in t.folder) return t.folder as vscode.WorkspaceFolder;
    if (typeof t.folder === 'string') return byPath(t.folder);
    const of = 'app' in t && t.app ? deps.repo.folderOf(t.app) : 'env' in t && t.env ? deps.repo.folderOf(t.env) : undefined;
    if (of) return of.folder;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  const own = active && active.scheme === 'file' ? vscode.workspace.getWorkspaceFolder(active) : undefined;
  if (own) return own;
  if (folders.length <= 1) return folders[0];
  const pick = await deps.prompts.pick(
    folders.map((f) => ({ label: f.name, description: f.uri.fsPath, folder: f })),
    { placeHolder: `${purpose}: which workspace folder?` },
  );
  return pick?.folder;
}

export function registerCompareCommands(deps: CompareDeps): vscode.Disposable[] {
  const { repo, view, prompts, log } = deps;

  const requireTrust = (what: string): boolean => {
    if (vscode.workspace.isTrusted) return true;
    void prompts.message('warning', `Reconcile: ${what} runs git and the render tools, which an untrusted workspace does not allow. Trust the workspace first.`);
    return false;
  };


  let panel: vscode.WebviewPanel | undefined;
  let panelCompute: ((since: string) => Promise<MetricsReport>) | undefined;

  return [
    // (base?, head?), or (target, base?, head?) when invoked for a tree node, a file or { folder }.
    vscode.commands.registerCommand('reconcile.compareWithBranch', async (...args: unknown[]): Promise<RevisionComparison | undefined> => {
      if (!requireTrust('Compare with Branch')) return undefined;
      const target = isTarget(args[0]) ? args.shift() : undefined;
      const [baseArg, headArg] = args.map((a) => (typeof a === 'string' ? a : undefined));
      await repo.models();
      const folder = await folderFor(deps, target, 'Compare with Branch');
      const dir = folder?.uri.fsPath;
      if (!dir) return undefined;
      let base = baseArg;
      if (base === undefined) {
        const pick = await prompts.pick(
          [
            { label: 'Merge-base with the default branch', description: 'what a pull request from here would change', value: '' },
            { label: 'Another revision…', description: 'a branch, tag or commit', value: '?' },
          ],
          { placeHolder: 'Compare the working tree with…' },
        );
        if (!pick) return undefined;
        base = pick.value;
        if (base === '?') {
          base = await prompts.input({ prompt: 'Base revision (branch, tag or commit)', placeHolder: 'main' });
          if (!base) return undefined;
        }
      }
      try {
        const result = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Reconcile: comparing', cancellable: true },
          async (progress, token) => {
            const controller = new AbortController();
            const sub = token.onCancellationRequested(() => controller.abort());
            try {
              return await compareRevisions(dir, {
                ...(base ? { base } : {}),
                head: headArg ?? WORKTREE,
                tools: toolPaths(folder),
                signal: controller.signal,
                onProgress: (p) => progress.report({ message: p.total ? `${p.message} (${p.done}/${p.total})` : p.message }),
              });
            } finally {
              sub.dispose();
            }
          },
        );
        view.showRevisions(result);
        log.info(`Compared ${result.base.ref} (${result.base.sha.slice(0, 8)}) with ${result.head.ref}: ${result.environments.map((e) => `${e.name} ${statusLabel(e.status)}`).join(', ')}`);
        await vscode.commands.executeCommand('reconcile.compare.focus');
        return result;
      } catch (e) {
        const message = e instanceof GitError ? e.message : `compare failed: ${(e as Error).message}`;
        void prompts.message('error', `Reconcile: ${message}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('reconcile.compareEnvironments', async (leftArg?: string, rightArg?: string): Promise<EnvironmentsComparison | undefined> => {
      if (!requireTrust('Compare Environments')) return undefined;
      await repo.models();
      // Environments are (workspace folder, name): arguments are keys, or names only one folder has.
      const multiRoot = repo.current.length > 1;
      const pickEnv = async (placeHolder: string, not?: string) =>
        (
          await prompts.pick(
            repo
              .environments()
              .filter((e) => e.key !== not)
              .map((e) => ({ label: multiRoot ? `${e.env.name} — ${e.folder.folder.name}` : e.env.name, description: counted(e.env.applications.length, 'application'), key: e.key })),
            { placeHolder },
          )
        )?.key;
      const left = leftArg ?? (await pickEnv('Compare environment… (e.g. staging)'));
      if (!left) return undefined;
      const right = rightArg ?? (await pickEnv(`…with (e.g. prod)`, left));
      const a = repo.environment(left);
      const b = right ? repo.environment(right) : undefined;
      if (!a || !b) {
        void prompts.message('error', `Reconcile: no environment ${!a ? left : right} in this workspace.`);
        return undefined;
      }
      // Source paths relative to each environment's own folder (they may be two workspace folders).
      const roots = [...new Set([a, b].map((e) => repo.folderOf(e)?.model.root ?? root(deps) ?? ''))];
      // Rendered quietly: comparing must not add the two environments' findings to the Problems view.
      const result = compareEnvironments(await repo.renderedEnvironmentQuietly(a), await repo.renderedEnvironmentQuietly(b), { roots });
      view.showEnvironments(result, a, b);
      await vscode.commands.executeCommand('reconcile.compare.focus');
      return result;
    }),
    vscode.commands.registerCommand('reconcile.openCompareDiff', async (title: string) => {
      const c = view.change(title);
      if (!c) return undefined;
      const { left, right } = deps.documents.put('compare', c.id.kind, c.id.name, c.left || '# (absent)\n', c.right || '# (absent)\n', ['before', 'after']);
      await vscode.commands.executeCommand('vscode.diff', left, right, c.title, { preview: true });
      return { title: c.title, left, right };
    }),
    // (since?), or (target, since?) when invoked for a tree node, a file or { folder }.
    vscode.commands.registerCommand('reconcile.showMetrics', async (...args: unknown[]): Promise<{ panel: vscode.WebviewPanel; report: MetricsReport; folder: string } | undefined> => {
      if (!requireTrust('GitOps Metrics')) return undefined;
      const target = isTarget(args[0]) ? args.shift() : undefined;
      const sinceArg = typeof args[0] === 'string' ? args[0] : undefined;
      await repo.models();
      const folder = await folderFor(deps, target, 'GitOps Metrics');
      const dir = folder?.uri.fsPath;
      if (!dir) return undefined;
      const owner = repo.current.find((f) => f.folder.uri.toString() === folder.uri.toString());
      const model = owner?.model;
      const compute = async (since: string) => {
        let incidents: ReturnType<typeof readIncidents> = [];
        try {
          // Only this folder's incidents: another folder's `prod` is another environment.
          incidents = incidentsOf(readIncidents(deps.incidentsFile), { folder: dir, repository: owner?.repository }, repo.current.length > 1 ? 'drop' : 'keep');
        } catch (e) {
          log.warn(`Drift incidents: ${(e as Error).message}`);
        }
        return computeMetrics(dir, { since, environments: model ? environmentInputs(model) : undefined, incidents });
      };
      let report: MetricsReport;
      try {
        report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Reconcile: reading git history' }, () => compute(sinceArg ?? '90d'));
      } catch (e) {
        void prompts.message('error', `Reconcile: metrics: ${(e as Error).message}`);
        return undefined;
      }
      const media = vscode.Uri.joinPath(deps.extensionUri, 'media', 'metrics');
      if (!panel) {
        panel = vscode.window.createWebviewPanel('reconcile.metrics', 'GitOps Metrics', vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false });
        panel.onDidDispose(() => (panel = undefined));
        const p = panel;
        p.webview.onDidReceiveMessage(async (m: DashboardRequest) => {
          if (m?.type !== 'period') return;
          void p.webview.postMessage({ type: 'loading' });
          try {
            // The folder the panel shows now (it is reused when Show GitOps Metrics runs for another folder).
            void p.webview.postMessage({ type: 'metrics', data: dashboardData(await panelCompute!(m.since)) });
          } catch (e) {
            void p.webview.postMessage({ type: 'error', message: (e as Error).message });
          }
        });
      }
      panelCompute = compute;
      panel.title = repo.current.length > 1 ? `GitOps Metrics — ${folder.name}` : 'GitOps Metrics';
      const w = panel.webview;
      w.html = dashboardHtml({
        cspSource: w.cspSource,
        nonce: createNonce(),
        scriptUri: w.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, DASHBOARD_SCRIPT)).toString(),
        styleUri: w.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, DASHBOARD_STYLE)).toString(),
        data: report,
      });
      panel.reveal();
      return { panel, report, folder: dir };
    }),
  ];
}
