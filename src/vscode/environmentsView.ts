// The Environments view: environment → application → resources (grouped by kind when many).
// Discovery paints the first levels at once; an application renders only when it is expanded.
import { counted } from '../core/util/plural';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { namespaceGroups, type Application, type Environment, type RepoError, type SourceLocation } from '../core/repo';
import { resourcesOf, type RenderError } from '../core/render';
import { resourceKey, type ResourceId } from '../core/manifest';
import { summaryLine, notInGitLine, type DriftCounts, type DriftResult, type NotInGit } from '../core/drift';
import type { OutputLog } from './log';
import type { WorkspaceRepo } from './workspaceRepo';
import type { DriftService } from './driftService';
import { statusLine, type Manager } from '../core/delegate';
import { classify, deployerOf, describe } from '../core/phase';

export type EnvironmentsNode =
  | { type: 'notice'; label: string; detail: string; command?: vscode.Command; icon: string }
  | { type: 'environment'; env: Environment; folder: vscode.WorkspaceFolder; multiRoot: boolean }
  | { type: 'application'; app: Application; env: Environment; folder: vscode.WorkspaceFolder }
  | { type: 'kind'; app: Application; kind: string; resources: ResourceEntry[] }
  | { type: 'resource'; app: Application; entry: ResourceEntry }
  | { type: 'notInGit'; env: Environment; items: NotInGit[] }
  | { type: 'managers'; env: Environment; managers: Manager[] }
  | { type: 'manager'; env: Environment; manager: Manager }
  | { type: 'notInGitItem'; env: Environment; item: NotInGit }
  /** The `default` environment (no environments found) groups its applications by namespace. */
  | { type: 'namespace'; env: Environment; folder: vscode.WorkspaceFolder; namespace: string; apps: Application[] }
  | { type: 'error'; message: string; detail?: string; location?: SourceLocation; severity: 'error' | 'warning' | 'info' };

export interface ResourceEntry {
  id: ResourceId;
  source?: SourceLocation;
  patchedBy?: SourceLocation[];
  /** A hook or a non-default phase/wave (core/phase): `PreSync hook (Argo CD, wave 0)`. */
  phase?: string;
}

/** Above this many resources an application's resources are grouped by kind. */
export const GROUP_BY_KIND_ABOVE = 12;

const SOURCE_ICONS: Record<Application['sourceKind'], string> = {
  kustomize: 'layers',
  helm: 'package',
  argocd: 'rocket',
  flux: 'sync',
  plain: 'file-code',
};

export class EnvironmentsView implements vscode.TreeDataProvider<EnvironmentsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EnvironmentsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private refreshCount = 0;
  private readonly subscription: vscode.Disposable;
  private drift: DriftService | undefined;
  private driftSubscription: vscode.Disposable | undefined;
  private driftTimer: NodeJS.Timeout | undefined;
  /** Only drifted, missing and not-in-Git resources are shown ("Show Only Drifted"). */
  private onlyDrifted = false;

  constructor(
    private readonly log: OutputLog,
    private readonly repo: WorkspaceRepo,
  ) {
    this.subscription = repo.onDidChange(() => this.changed.fire(undefined));
  }

  /** Drift counts, statuses and the "not in Git" objects come from here. */
  setDrift(drift: DriftService): void {
    this.drift = drift;
    this.driftSubscription = drift.onDidChange(() => {
      // Watch events come in bursts: repaint at most every 200 ms.
      if (this.driftTimer) return;
      this.driftTimer = setTimeout(() => {
        this.driftTimer = undefined;
        this.changed.fire(undefined);
      }, 200);
    });
  }

  get driftFilter(): boolean {
    return this.onlyDrifted;
  }

  setDriftFilter(on: boolean): void {
    this.onlyDrifted = on;
    void vscode.commands.executeCommand('setContext', 'reconcile.driftFilter', on);
    this.changed.fire(undefined);
  }

  /** How many times the view was refreshed by command (a cheap observable for tests). */
  get refreshes(): number {
    return this.refreshCount;
  }

  async refresh(): Promise<void> {
    this.refreshCount++;
    this.log.info('Refreshing environments');
    await this.repo.reload();
  }

  private readonly parents = new WeakMap<EnvironmentsNode, EnvironmentsNode>();

  /** Lets TreeView.reveal() find a node's ancestors. */
  getParent(node: EnvironmentsNode): EnvironmentsNode | undefined {
    return this.parents.get(node);
  }

  async getChildren(node?: EnvironmentsNode): Promise<EnvironmentsNode[]> {
    const kids = await this.childrenOf(node);
    if (node) for (const k of kids) this.parents.set(k, node);
    return kids;
  }

  private async childrenOf(node?: EnvironmentsNode): Promise<EnvironmentsNode[]> {
    if (!node) return this.roots();
    switch (node.type) {
      case 'environment': {
        const key = this.repo.keyOf(node.env);
        const notInGit = this.drift?.notInGit(key) ?? [];
        // The engines' nesting: an application whose definition another one renders (a Flux
        // Kustomization's HelmReleases, an app of apps' children) is shown under it, not beside it.
        const ids = new Set(node.env.applications.map((a) => a.id));
        const top = node.env.applications.filter((app) => !app.parent || !ids.has(app.parent) || app.parent === app.id);
        const apps = top.filter((app) => !this.onlyDrifted || this.subtreeHasDrift(node.env, app, key));
        const managers = this.drift?.managers(key) ?? [];
        // No environments were found (one `default` holds everything): group by namespace instead of one flat list.
        const groups = namespaceGroups(node.env, apps);
        if (groups) {
          return [
            ...node.env.errors.map(errorNode),
            ...groups.map((g): EnvironmentsNode => ({ type: 'namespace', env: node.env, folder: node.folder, namespace: g.namespace, apps: g.apps })),
            ...(notInGit.length ? [{ type: 'notInGit', env: node.env, items: notInGit } as EnvironmentsNode] : []),
          ];
        }
        return [
          ...node.env.errors.map(errorNode),
          // "Show Only Drifted" hides the engines' objects unless one of them is unhealthy.
          ...(managers.length && (!this.onlyDrifted || managers.some((m) => /OutOfSync|Degraded|not ready|Failed|Error/.test(statusLine(m))))
            ? [{ type: 'managers', env: node.env, managers } as EnvironmentsNode]
            : []),
          ...apps.map((app): EnvironmentsNode => ({ type: 'application', app, env: node.env, folder: node.folder })),
          ...(notInGit.length ? [{ type: 'notInGit', env: node.env, items: notInGit } as EnvironmentsNode] : []),
        ];
      }
      case 'namespace':
        return node.apps.map((app): EnvironmentsNode => ({ type: 'application', app, env: node.env, folder: node.folder }));
      case 'notInGit':
        return node.items.map((item): EnvironmentsNode => ({ type: 'notInGitItem', env: node.env, item }));
      case 'managers':
        return node.managers.map((manager): EnvironmentsNode => ({ type: 'manager', env: node.env, manager }));
      case 'application': {
        const key = this.repo.keyOf(node.env);
        const children = node.env.applications
          .filter((a) => a.parent === node.app.id && a.id !== node.app.id)
          .filter((a) => !this.onlyDrifted || this.subtreeHasDrift(node.env, a, key))
          .map((app): EnvironmentsNode => ({ type: 'application', app, env: node.env, folder: node.folder }));
        return [...children, ...(await this.applicationChildren(node.app))];
      }
      case 'kind':
        return node.resources.map((entry): EnvironmentsNode => ({ type: 'resource', app: node.app, entry }));
      default:
        return [];
    }
  }

  /** Whether an application or one it renders (its children, to any depth) has drift. */
  private subtreeHasDrift(env: Environment, app: Application, key: string, seen = new Set<string>()): boolean {
    if (seen.has(app.id)) return false;
    seen.add(app.id);
    if (hasDrift(this.drift?.counts(key, app.id))) return true;
    return env.applications.some((a) => a.parent === app.id && this.subtreeHasDrift(env, a, key, seen));
  }

  private async roots(): Promise<EnvironmentsNode[]> {
    const folders = await this.repo.models();
    const nodes: EnvironmentsNode[] = [];
    const envCount = folders.reduce((n, f) => n + f.model.environments.length, 0);
    if (!this.repo.trusted && envCount > 0) {
      nodes.push({
        type: 'notice',
        icon: 'shield',
        label: 'Restricted mode: tools are not run',
        detail:
          'This workspace is not trusted, so Reconcile runs no kustomize or helm (kustomize exec plugins and Helm post-renderers run code from the repository). Plain manifests are still shown. Click to manage workspace trust.',
        command: { command: 'workbench.trust.manage', title: 'Manage Workspace Trust' },
      });
    }
    for (const f of folders) {
      nodes.push(...f.model.errors.filter((e) => e.severity !== 'info').map(errorNode));
      for (const env of f.model.environments) nodes.push({ type: 'environment', env, folder: f.folder, multiRoot: folders.length > 1 });
    }
    // An empty array lets VS Code show the welcome content.
    return envCount === 0 && nodes.every((n) => n.type !== 'error') ? [] : nodes;
  }

  private async applicationChildren(app: Application): Promise<EnvironmentsNode[]> {
    const nodes: EnvironmentsNode[] = app.errors.map(errorNode);
    for (const r of app.remote ?? []) nodes.push({ type: 'error', severity: 'info', message: `remote input (not followed): ${r}` });
    if (app.renderer.kind === 'unsupported' && !app.renderer.remoteGit && !app.renderer.remoteOci) {
      nodes.push({ type: 'error', severity: 'warning', message: `not supported: ${app.renderer.reason}` });
      return nodes;
    }
    // Expanding an application renders it first, before the environment-wide renders queued behind.
    const result = await this.repo.render(app, undefined, true);
    if (!result.ok) {
      nodes.push(renderErrorNode(result.error));
      return nodes;
    }
    for (const n of result.notes ?? []) nodes.push({ type: 'error', severity: 'info', message: n });
    // Hooks and waves, as the engine that applies the application reads them (the one place: core/phase).
    const deployer = deployerOf(app);
    const phases = new Map<string, string>();
    for (const d of result.documents) {
      if (!d.id) continue;
      const c = classify(d.object, deployer);
      if (c.hook || c.wave !== 0 || c.phase !== 'Sync') phases.set(resourceKey(d.id), describe(c));
    }
    let entries: ResourceEntry[] = resourcesOf(result).map((e) => (phases.has(resourceKey(e.id)) ? { ...e, phase: phases.get(resourceKey(e.id)) } : e));
    if (this.onlyDrifted) entries = entries.filter((e) => isDrift(this.drift?.result(this.repo.environmentKeyOf(app), resourceKey(e.id))));
    else if (entries.length === 0) {
      // Never a silently empty application.
      nodes.push({ type: 'error', severity: 'warning', message: 'rendered no resources' });
      return nodes;
    }
    if (entries.length <= GROUP_BY_KIND_ABOVE) return [...nodes, ...entries.map((entry): EnvironmentsNode => ({ type: 'resource', app, entry }))];
    const byKind = new Map<string, ResourceEntry[]>();
    for (const e of entries) byKind.set(e.id.kind, [...(byKind.get(e.id.kind) ?? []), e]);
    return [
      ...nodes,
      ...[...byKind.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([kind, resources]): EnvironmentsNode => ({ type: 'kind', app, kind, resources })),
    ];
  }

  getTreeItem(node: EnvironmentsNode): vscode.TreeItem {
    const Collapsed = vscode.TreeItemCollapsibleState.Collapsed;
    switch (node.type) {
      case 'notice': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon, new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.tooltip = node.detail;
        item.command = node.command;
        item.contextValue = 'notice';
        return item;
      }
      case 'environment': {
        const { env } = node;
        const item = new vscode.TreeItem(env.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `env:${node.folder.uri.toString()}:${env.name}`;
        const ns = env.namespaces.length ? env.namespaces.join(', ') : undefined;
        const key = this.repo.keyOf(env);
        const counts = this.drift?.counts(key);
        const problem = this.drift?.problem(key);
        // The state first: a narrow sidebar truncates the end, so it cuts the context, not the state.
        item.description = [problem ? `? ${problem}` : countsText(counts), env.context ?? 'no context', ns, node.multiRoot ? node.folder.name : undefined].filter(Boolean).join(' · ');
        item.accessibilityInformation = { label: plainLabel(`environment ${env.name}`, [problem ? `cluster: ${problem}` : countsText(counts, true), `context ${env.context ?? 'none'}`, ns && `namespaces ${ns}`, node.multiRoot ? `folder ${node.folder.name}` : undefined]) };
        // The icon shows the worst severity: a red ✕ only for errors, a warning sign for warnings.
        const all = [...env.errors, ...env.applications.flatMap((a) => a.errors)];
        const errors = all.filter((e) => (e.severity ?? 'error') === 'error').length;
        const warnings = all.filter((e) => e.severity === 'warning').length;
        item.iconPath = errors
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
          : warnings
            ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
            : new vscode.ThemeIcon(env.protected ? 'lock' : 'server-environment');
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**Environment ${env.name}**${env.protected ? ' · protected' : ''}\n\n`);
        md.appendMarkdown(`- context: \`${env.context ?? 'none'}\`${env.contextSource ? ` (from ${env.contextSource})` : ''}\n`);
        md.appendMarkdown(`- namespaces: ${ns ?? '—'}\n- applications: ${env.applications.length}\n`);
        if (errors + warnings) md.appendMarkdown(`- problems: ${[errors && counted(errors, 'error'), warnings && counted(warnings, 'warning')].filter(Boolean).join(', ')}\n`);
        if (counts) md.appendMarkdown(`- drift: ${countsText(counts, true)}\n`);
        if (problem) md.appendMarkdown(`- cluster: ${problem}\n`);
        if (node.multiRoot) md.appendMarkdown(`- folder: ${node.folder.name}\n`);
        for (const f of this.drift?.failedApplications(key) ?? []) md.appendMarkdown(`- not compared (render failed): ${f}\n`);
        item.tooltip = md;
        item.contextValue = env.protected ? 'environment protected' : 'environment';
        return item;
      }
      case 'application': {
        const { app } = node;
        const item = new vscode.TreeItem(app.name, Collapsed);
        item.id = `app:${node.folder.uri.toString()}:${app.id}`;
        const r = this.repo.result(app);
        const rel = path.relative(node.folder.uri.fsPath, app.root) || '.';
        const restricted = r && !r.ok && r.error.code === 'untrusted';
        const status = !r ? undefined : r.ok ? `${resourcesOf(r).length} resources` : restricted ? 'not rendered (restricted mode)' : 'render failed';
        const appCounts = this.drift?.counts(this.repo.environmentKeyOf(app), app.id);
        // Flux dependsOn: what this application waits for, by name (namespace in the tooltip).
        const after = app.dependsOn?.length ? `after ${app.dependsOn.map((d) => d.slice(d.indexOf('/') + 1)).join(', ')}` : undefined;
        item.description = [countsText(appCounts) || status, rel, after].filter(Boolean).join(' · ');
        item.accessibilityInformation = { label: plainLabel(`application ${app.name} of ${app.environment}`, [countsText(appCounts, true) || status, `folder ${rel}`]) };
        // Worst severity: "render failed" is an error only when it is the user's to fix; a remote
        // source that cannot be fetched offline (or a render not supported here) is a note.
        const renderNote = r && !r.ok && (r.error.code === 'remote-unavailable' || r.error.code === 'unsupported');
        const hasErrors = app.errors.some((e) => (e.severity ?? 'error') === 'error') || (r && !r.ok && !restricted && !renderNote);
        const hasWarnings = app.errors.some((e) => e.severity === 'warning');
        item.iconPath = hasErrors
          ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground'))
          : hasWarnings
            ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
            : new vscode.ThemeIcon(SOURCE_ICONS[app.sourceKind]);
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${app.name}** · ${app.sourceKind} → rendered with ${app.renderer.kind}\n\n`);
        md.appendMarkdown(`- folder: \`${rel}\`\n- inputs: ${counted(app.sourcePaths.length, 'file')}\n`);
        if (app.namespace) md.appendMarkdown(`- namespace: \`${app.namespace}\`\n`);
        if (app.dependsOn?.length) md.appendMarkdown(`- depends on: ${app.dependsOn.map((d) => `\`${d}\``).join(', ')}\n`);
        if (app.definedBy) md.appendMarkdown(`- defined by: \`${path.relative(node.folder.uri.fsPath, app.definedBy.file)}\`:${app.definedBy.range.start.line + 1}\n`);
        if (r && !r.ok) md.appendMarkdown(`\n**Render failed:** ${r.error.message}\n`);
        item.tooltip = md;
        item.contextValue = `application ${app.sourceKind}`;
        return item;
      }
      case 'namespace': {
        const item = new vscode.TreeItem(node.namespace || '(no namespace)', vscode.TreeItemCollapsibleState.Expanded);
        item.id = `ns:${node.folder.uri.toString()}:${node.env.name}:${node.namespace}`;
        item.description = counted(node.apps.length, 'application');
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.tooltip = `Applications of ${node.env.name} that deploy into ${node.namespace ? `namespace ${node.namespace}` : 'no particular namespace'}. Add a .reconcile.yaml to map folders to environments and clusters.`;
        item.contextValue = 'namespace';
        return item;
      }
      case 'kind': {
        const item = new vscode.TreeItem(node.kind, Collapsed);
        item.id = `kind:${this.repo.appKey(node.app)}:${node.kind}`;
        item.description = String(node.resources.length);
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        item.contextValue = 'kind';
        return item;
      }
      case 'resource': {
        const { id, source, patchedBy } = node.entry;
        const item = new vscode.TreeItem(`${id.kind}/${id.name}`, vscode.TreeItemCollapsibleState.None);
        item.id = `res:${this.repo.appKey(node.app)}:${id.group}/${id.kind}/${id.namespace ?? ''}/${id.name}`;
        const drift = this.drift?.result(this.repo.environmentKeyOf(node.app), resourceKey(id));
        item.description = [drift ? summaryLine(drift) : undefined, node.entry.phase?.replace(/ \(.*$/, ''), id.namespace].filter(Boolean).join(' · ');
        item.accessibilityInformation = { label: plainLabel(`${id.kind} ${id.name} in ${node.app.environment}`, [id.namespace && `namespace ${id.namespace}`, drift ? summaryLine(drift) : 'drift not known']) };
        item.iconPath = drift ? driftIcon(drift) : new vscode.ThemeIcon('symbol-field');
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${id.kind}/${id.name}**\n\n- apiVersion: \`${id.group ? `${id.group}/` : ''}${id.version}\`\n`);
        if (id.namespace) md.appendMarkdown(`- namespace: \`${id.namespace}\`\n`);
        if (source) md.appendMarkdown(`- defined in: \`${vscode.workspace.asRelativePath(source.file)}\`:${source.range.start.line + 1}\n`);
        if (node.entry.phase) md.appendMarkdown(`- applied in: ${node.entry.phase}\n`);
        for (const p of patchedBy ?? []) md.appendMarkdown(`- patched by: \`${vscode.workspace.asRelativePath(p.file)}\`:${p.range.start.line + 1}\n`);
        item.tooltip = md;
        item.contextValue = drift ? `resource drift-${drift.status}` : 'resource';
        if (drift) md.appendMarkdown(`\n**Drift (${node.app.environment}):** ${summaryLine(drift, { now: Date.now() })}\n`);
        if (drift?.status === 'drifted') for (const f of drift.fields.slice(0, 10)) md.appendMarkdown(`- \`${f.path}\`${f.manager ? ` by ${f.manager}` : ''}\n`);
        item.command = source
          ? { command: 'reconcile.openSource', title: 'Open Source', arguments: [source] }
          : { command: 'reconcile.openRendered', title: 'Open Rendered Manifests', arguments: [{ type: 'application', app: node.app }] };
        return item;
      }
      case 'managers': {
        const engines = [...new Set(node.managers.map((m) => (m.engine === 'argocd' ? 'Argo CD' : 'Flux')))].join(' and ');
        const item = new vscode.TreeItem(`Managed by ${engines}`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `mgrs:${this.repo.keyOf(node.env)}`;
        const lines = node.managers.map((m) => statusLine(m));
        const bad = lines.filter((l) => /OutOfSync|Degraded|not ready|Failed|Error/.test(l)).length;
        item.description = `${counted(node.managers.length, 'object')}${bad ? ` · ${bad} not healthy` : ''}`;
        item.iconPath = new vscode.ThemeIcon(node.managers[0].engine === 'argocd' ? 'rocket' : 'sync', bad ? new vscode.ThemeColor('problemsWarningIcon.foreground') : undefined);
        item.tooltip = `${node.env.name} is deployed by ${engines}: a direct sync from the editor would be reverted by it, so Sync offers to ask it instead.`;
        item.contextValue = 'managers';
        return item;
      }
      case 'manager': {
        const m = node.manager;
        const engine = m.engine === 'argocd' ? 'Argo CD' : `Flux ${m.kind}`;
        const item = new vscode.TreeItem(`${engine} ${m.namespace}/${m.name}`, vscode.TreeItemCollapsibleState.None);
        item.id = `mgr:${this.repo.keyOf(node.env)}:${m.kind}/${m.namespace}/${m.name}`;
        const line = statusLine(m);
        item.description = line;
        const bad = /OutOfSync|Degraded|not ready|Failed|Error/.test(line);
        // Green only for a state the engine reported as good; "not reconciled yet", unknown or suspended stay neutral.
        const good = !bad && !/not reconciled yet|unknown|suspended/.test(line);
        item.iconPath = new vscode.ThemeIcon(m.engine === 'argocd' ? 'rocket' : 'sync', bad ? new vscode.ThemeColor('problemsWarningIcon.foreground') : good ? new vscode.ThemeColor('testing.iconPassed') : undefined);
        item.accessibilityInformation = { label: plainLabel(`${engine} ${m.namespace}/${m.name} managing ${node.env.name}`, [line]) };
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${engine} ${m.namespace}/${m.name}** manages ${counted(m.applications.length, 'application')} of ${node.env.name}\n\n- status: ${line}\n- matched by: ${m.matchedBy.join(', ')}\n`);
        for (const n of m.notes) md.appendMarkdown(`- ${n}\n`);
        md.appendMarkdown('\nA direct sync from the editor would be reverted by it: ask it to sync instead.');
        item.tooltip = md;
        item.contextValue = `manager ${m.engine}`;
        return item;
      }
      case 'notInGit': {
        const item = new vscode.TreeItem('Not in Git', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `nig:${this.repo.keyOf(node.env)}`;
        item.description = counted(node.items.length, 'live object');
        item.iconPath = new vscode.ThemeIcon('diff-removed', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.tooltip = `Live objects in ${node.env.context ?? 'the cluster'} that carry ${node.env.name}'s ownership marks but are defined nowhere in Git.`;
        item.contextValue = 'notInGit';
        return item;
      }
      case 'notInGitItem': {
        const { id } = node.item;
        const item = new vscode.TreeItem(`${id.kind}/${id.name}`, vscode.TreeItemCollapsibleState.None);
        item.id = `nig:${this.repo.keyOf(node.env)}:${node.item.key}`;
        item.description = [id.namespace, notInGitLine(node.item)].filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon('diff-removed', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'notInGitItem';
        return item;
      }
      case 'error': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        const color = node.severity === 'error' ? 'problemsErrorIcon.foreground' : node.severity === 'warning' ? 'problemsWarningIcon.foreground' : 'problemsInfoIcon.foreground';
        item.iconPath = new vscode.ThemeIcon(node.severity === 'info' ? 'info' : node.severity, new vscode.ThemeColor(color));
        item.tooltip = node.detail ? `${node.message}\n\n${node.detail}` : node.message;
        item.contextValue = 'error';
        if (node.location) item.command = { command: 'reconcile.openSource', title: 'Open', arguments: [node.location] };
        return item;
      }
    }
  }

  dispose(): void {
    clearTimeout(this.driftTimer);
    this.driftSubscription?.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function errorNode(e: RepoError): EnvironmentsNode {
  return { type: 'error', message: e.message, location: e.location, severity: e.severity ?? 'error' };
}

function renderErrorNode(e: RenderError): EnvironmentsNode {
  const location = e.location ?? (e.file ? { file: e.file, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } } : undefined);
  return {
    type: 'error',
    severity: e.code === 'untrusted' ? 'warning' : e.code === 'remote-unavailable' ? 'info' : 'error',
    message: e.code === 'untrusted' ? `not rendered in restricted mode (${e.tool})` : e.message,
    detail: [e.stderr?.trim(), e.command ? `command: ${e.command.join(' ')}` : undefined].filter(Boolean).join('\n\n') || undefined,
    location,
  };
}


function isDrift(r: DriftResult | undefined): boolean {
  return r?.status === 'drifted' || r?.status === 'missing';
}

function hasDrift(c: DriftCounts | undefined): boolean {
  return !!c && c.drifted + c.missing > 0;
}

/** `⚠ 2 drifted · ＋1 missing · −1 not in Git`, `✓ 12 in sync`; `''` while nothing is known. */
export function countsText(c: DriftCounts | undefined, long = false): string {
  if (!c || c.total + c.notInGit === 0) return '';
  const parts: string[] = [];
  if (c.drifted) parts.push(`⚠ ${c.drifted} drifted`);
  if (c.missing) parts.push(`＋${c.missing} not in cluster`);
  if (c.notInGit) parts.push(`−${c.notInGit} not in Git`);
  if (c.unknown) parts.push(`? ${c.unknown} unknown`);
  if (parts.length === 0 || long) parts.push(`✓ ${c.inSync} in sync`);
  return parts.join(' · ');
}

function driftIcon(r: DriftResult): vscode.ThemeIcon {
  switch (r.status) {
    case 'in-sync':
      return new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'drifted':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    case 'missing':
      return new vscode.ThemeIcon('diff-added', new vscode.ThemeColor('problemsInfoIcon.foreground'));
    case 'unknown':
      return new vscode.ThemeIcon('question', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    default:
      return new vscode.ThemeIcon('circle-slash');
  }
}

/** A screen reader's label: plain words, no symbols or icons (`⚠`, `✓`, `·`), the environment named. */
export function plainLabel(head: string, parts: Array<string | undefined | false | null>): string {
  const words = [head, ...parts.filter((p): p is string => !!p)]
    .flatMap((p) => p.split('·'))
    .map((p) => p.replace(/[⚠✓✗＋+−?→↔]/gu, ' ').replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  return words.join(', ');
}
