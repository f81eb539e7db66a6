// The Environments view: environment → application → resources (grouped by kind when many).
// Discovery paints the first levels at once; an application renders only when it is expanded.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Application, Environment, RepoError, SourceLocation } from '../core/repo';
import { resourcesOf, type RenderError } from '../core/render';
import type { ResourceId } from '../core/manifest';
import type { OutputLog } from './log';
import type { WorkspaceRepo } from './workspaceRepo';

export type EnvironmentsNode =
  | { type: 'notice'; label: string; detail: string; command?: vscode.Command; icon: string }
  | { type: 'environment'; env: Environment; folder: vscode.WorkspaceFolder; multiRoot: boolean }
  | { type: 'application'; app: Application; env: Environment; folder: vscode.WorkspaceFolder }
  | { type: 'kind'; app: Application; kind: string; resources: ResourceEntry[] }
  | { type: 'resource'; app: Application; entry: ResourceEntry }
  | { type: 'error'; message: string; detail?: string; location?: SourceLocation; severity: 'error' | 'warning' | 'info' };

export interface ResourceEntry {
  id: ResourceId;
  source?: SourceLocation;
  patchedBy?: SourceLocation[];
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

  constructor(
    private readonly log: OutputLog,
    private readonly repo: WorkspaceRepo,
  ) {
    this.subscription = repo.onDidChange(() => this.changed.fire(undefined));
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
      case 'environment':
        return [
          ...node.env.errors.map(errorNode),
          ...node.env.applications.map((app): EnvironmentsNode => ({ type: 'application', app, env: node.env, folder: node.folder })),
        ];
      case 'application':
        return this.applicationChildren(node.app);
      case 'kind':
        return node.resources.map((entry): EnvironmentsNode => ({ type: 'resource', app: node.app, entry }));
      default:
        return [];
    }
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
    if (app.renderer.kind === 'unsupported') {
      nodes.push({ type: 'error', severity: 'warning', message: `not supported: ${app.renderer.reason}` });
      return nodes;
    }
    const result = await this.repo.render(app);
    if (!result.ok) {
      nodes.push(renderErrorNode(result.error));
      return nodes;
    }
    const entries = resourcesOf(result);
    if (entries.length === 0) {
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
        item.description = [env.context ?? 'no context', ns, node.multiRoot ? node.folder.name : undefined].filter(Boolean).join(' · ');
        const errors = env.errors.length + env.applications.reduce((n, a) => n + a.errors.filter((e) => e.severity !== 'info').length, 0);
        item.iconPath = new vscode.ThemeIcon(
          errors ? 'error' : env.protected ? 'lock' : 'server-environment',
          errors ? new vscode.ThemeColor('problemsErrorIcon.foreground') : undefined,
        );
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**Environment ${env.name}**${env.protected ? ' · protected' : ''}\n\n`);
        md.appendMarkdown(`- context: \`${env.context ?? 'none'}\`${env.contextSource ? ` (from ${env.contextSource})` : ''}\n`);
        md.appendMarkdown(`- namespaces: ${ns ?? '—'}\n- applications: ${env.applications.length}\n`);
        if (errors) md.appendMarkdown(`- problems: ${errors}\n`);
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
        item.description = [status, rel].filter(Boolean).join(' · ');
        const hasErrors = app.errors.some((e) => e.severity !== 'info') || (r && !r.ok && !restricted);
        item.iconPath = new vscode.ThemeIcon(
          hasErrors ? 'error' : SOURCE_ICONS[app.sourceKind],
          hasErrors ? new vscode.ThemeColor('problemsErrorIcon.foreground') : undefined,
        );
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${app.name}** · ${app.sourceKind} → rendered with ${app.renderer.kind}\n\n`);
        md.appendMarkdown(`- folder: \`${rel}\`\n- inputs: ${app.sourcePaths.length} file(s)\n`);
        if (app.namespace) md.appendMarkdown(`- namespace: \`${app.namespace}\`\n`);
        if (app.definedBy) md.appendMarkdown(`- defined by: \`${path.relative(node.folder.uri.fsPath, app.definedBy.file)}\`:${app.definedBy.range.start.line + 1}\n`);
        if (r && !r.ok) md.appendMarkdown(`\n**Render failed:** ${r.error.message}\n`);
        item.tooltip = md;
        item.contextValue = `application ${app.sourceKind}`;
        return item;
      }
      case 'kind': {
        const item = new vscode.TreeItem(node.kind, Collapsed);
        item.id = `kind:${node.app.id}:${node.kind}`;
        item.description = String(node.resources.length);
        item.iconPath = new vscode.ThemeIcon('symbol-class');
        item.contextValue = 'kind';
        return item;
      }
      case 'resource': {
        const { id, source, patchedBy } = node.entry;
        const item = new vscode.TreeItem(`${id.kind}/${id.name}`, vscode.TreeItemCollapsibleState.None);
        item.id = `res:${node.app.id}:${id.group}/${id.kind}/${id.namespace ?? ''}/${id.name}`;
        item.description = id.namespace;
        item.iconPath = new vscode.ThemeIcon('symbol-field');
        const md = new vscode.MarkdownString();
        md.appendMarkdown(`**${id.kind}/${id.name}**\n\n- apiVersion: \`${id.group ? `${id.group}/` : ''}${id.version}\`\n`);
        if (id.namespace) md.appendMarkdown(`- namespace: \`${id.namespace}\`\n`);
        if (source) md.appendMarkdown(`- defined in: \`${vscode.workspace.asRelativePath(source.file)}\`:${source.range.start.line + 1}\n`);
        for (const p of patchedBy ?? []) md.appendMarkdown(`- patched by: \`${vscode.workspace.asRelativePath(p.file)}\`:${p.range.start.line + 1}\n`);
        item.tooltip = md;
        item.contextValue = 'resource';
        item.command = source
          ? { command: 'reconcile.openSource', title: 'Open Source', arguments: [source] }
          : { command: 'reconcile.openRendered', title: 'Open Rendered Manifests', arguments: [{ type: 'application', app: node.app }] };
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
    severity: e.code === 'untrusted' ? 'warning' : 'error',
    message: e.code === 'untrusted' ? `not rendered in restricted mode (${e.tool})` : e.message,
    detail: [e.stderr?.trim(), e.command ? `command: ${e.command.join(' ')}` : undefined].filter(Boolean).join('\n\n') || undefined,
    location,
  };
}

