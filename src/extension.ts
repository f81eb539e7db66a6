// Wiring only: build the services, register views, commands and providers. No domain logic here;
// everything heavy (discovery, renders, kubeconfig) starts after activate() returns, so activation
// stays far below 50 ms.
import * as vscode from 'vscode';
import { OutputLog } from './vscode/log';
import { EnvironmentsView, type EnvironmentsNode } from './vscode/environmentsView';
import { registerCommands } from './vscode/commands';
import { WorkspaceRepo } from './vscode/workspaceRepo';
import { RENDERED_SCHEME, RenderedDocuments } from './vscode/renderedDocuments';
import { ContextStatus } from './vscode/contextStatus';
import { ReconcileLanguageClient } from './vscode/languageClient';
import { clusterSettings } from './vscode/clusterSettings';

/** What the extension returns from activate(): a small, stable surface used by the integration tests and benches. */
export interface ReconcileApi {
  /** Milliseconds from the entry of activate() to its return, measured with performance.now(). */
  readonly activationMs: number;
  readonly environments: EnvironmentsView;
  readonly repo: WorkspaceRepo;
  readonly contextStatus: ContextStatus;
  readonly tree: vscode.TreeView<EnvironmentsNode>;
  readonly languageClient: ReconcileLanguageClient;
  readonly log: OutputLog;
}

export function activate(context: vscode.ExtensionContext): ReconcileApi {
  const t0 = performance.now();
  const log = new OutputLog();
  const repo = new WorkspaceRepo(log, context.extensionUri);
  const environments = new EnvironmentsView(log, repo);
  const rendered = new RenderedDocuments(repo);
  const contextStatus = new ContextStatus();
  const languageClient = new ReconcileLanguageClient(
    context.extensionUri,
    log,
    vscode.Uri.joinPath(context.globalStorageUri, 'cluster-schemas').fsPath,
    () => clusterSettings(repo),
  );
  repo.setRenderedChecker((app, r) => languageClient.checkRendered(app, r));
  repo.setEnvironmentChecker((env, apps) => languageClient.checkEnvironmentPolicies(env, apps));
  const tree = vscode.window.createTreeView('reconcile.environments', { treeDataProvider: environments, showCollapseAll: true });
  context.subscriptions.push(
    log,
    repo,
    environments,
    rendered,
    contextStatus,
    tree,
    languageClient,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (['reconcile.kubernetesVersion', 'reconcile.schema', 'yaml.schemas'].some((k) => e.affectsConfiguration(k))) void languageClient.settingsChanged();
    }),
    vscode.extensions.onDidChange(() => void languageClient.settingsChanged()),
    repo.onDidChange(() => void languageClient.clusterChanged()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('reconcile.kubeconfig') && void languageClient.clusterChanged()),
    vscode.workspace.registerTextDocumentContentProvider(RENDERED_SCHEME, rendered),
    ...registerCommands({ log, environments, repo, contextStatus, languageClient, extensionUri: context.extensionUri }),
  );
  // The language server starts right after activation returns, in its own process.
  setTimeout(() => void languageClient.start().catch((e: Error) => log.error(`The language server did not start: ${e.message}`)), 0);
  const activationMs = performance.now() - t0;
  log.info(`Reconcile ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, environments, repo, contextStatus, tree, languageClient, log };
}

export function deactivate(): void {
  // Disposables registered in context.subscriptions are released by VS Code.
}
