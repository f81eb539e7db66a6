// Read-only virtual documents with the rendered manifests of an application or a whole
// environment: `reconcile-rendered:/<env>/<app>.yaml?app=<app key>` and `reconcile-rendered:/<env>.yaml?env=<env key>`
// (keys name the workspace folder too: two folders may both have a prod).
// The .yaml path gives them YAML highlighting; they refresh when their inputs change.
import { counted } from '../core/util/plural';
import * as vscode from 'vscode';
import type { Application, Environment } from '../core/repo';
import type { WorkspaceRepo } from './workspaceRepo';

export const RENDERED_SCHEME = 'reconcile-rendered';

export function renderedUri(repo: WorkspaceRepo, target: { app: Application } | { env: Environment }): vscode.Uri {
  if ('app' in target) {
    return vscode.Uri.from({ scheme: RENDERED_SCHEME, path: `/${target.app.environment}/${target.app.name}.yaml`, query: `app=${encodeURIComponent(repo.appKey(target.app))}` });
  }
  return vscode.Uri.from({ scheme: RENDERED_SCHEME, path: `/${target.env.name}.yaml`, query: `env=${encodeURIComponent(repo.keyOf(target.env))}` });
}

export class RenderedDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly repo: WorkspaceRepo) {
    this.subscription = repo.onDidChangeRender((app) => {
      for (const doc of vscode.workspace.textDocuments) {
        if (doc.uri.scheme !== RENDERED_SCHEME) continue;
        const q = new URLSearchParams(doc.uri.query);
        if (q.get('app') === repo.appKey(app) || q.get('env') === repo.environmentKeyOf(app)) this.changed.fire(doc.uri);
      }
    });
  }

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    await this.repo.models();
    const q = new URLSearchParams(uri.query);
    const appId = q.get('app');
    const envName = q.get('env');
    if (appId) {
      const app = this.repo.findApplication(appId);
      if (!app) return `# Reconcile: application ${appId} is no longer in the workspace.\n`;
      return this.renderOne(app, token);
    }
    const env = envName ? this.repo.environment(envName) : undefined;
    if (!env) return `# Reconcile: environment ${envName ?? '?'} is not in the workspace.\n`;
    const parts = await Promise.all(env.applications.map((a) => this.renderOne(a, token)));
    return `# Environment ${env.name}: ${counted(env.applications.length, 'application')}, context ${env.context ?? '(none)'}\n${parts.join('---\n')}`;
  }

  private async renderOne(app: Application, token: vscode.CancellationToken): Promise<string> {
    const header = `# ${app.environment}/${app.name} (${app.sourceKind}, rendered with ${app.renderer.kind}) from ${vscode.workspace.asRelativePath(app.root)}\n`;
    if (app.renderer.kind === 'unsupported' && !app.renderer.remoteGit && !app.renderer.remoteOci) return `${header}# not rendered: ${app.renderer.reason}\n`;
    const r = await this.repo.render(app, token);
    if (r.ok) return `${header}${r.yaml.endsWith('\n') || r.yaml === '' ? r.yaml : `${r.yaml}\n`}`;
    // Never an empty document: say loudly what failed, with the tool's own words.
    const lines = [`RENDER FAILED: ${r.error.message}`, ...(r.error.stderr?.trim().split('\n') ?? [])];
    return `${header}${lines.map((l) => `# ${l}`).join('\n')}\n`;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
