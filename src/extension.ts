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
import { imagePinActions } from './vscode/imagePin';
import { ReconcileLanguageClient } from './vscode/languageClient';
import { clusterSettings } from './vscode/clusterSettings';
import { DriftService } from './vscode/driftService';
import { DRIFT_SCHEME, DriftDocuments, DriftLensProvider } from './vscode/driftLens';
import { registerDriftCommands } from './vscode/driftCommands';
import { Prompts } from './vscode/prompts';
import { GIT_SCHEME, GitDocuments, HistoryLensProvider, Repos, registerHistoryCommands } from './vscode/history';
import { PlanView, registerPlanCommands } from './vscode/plan';
import { CompareView, registerCompareCommands } from './vscode/compare';

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
  readonly drift: DriftService;
  readonly driftLenses: DriftLensProvider;
  /** Every confirmation goes through here (the integration tests script the answers). */
  readonly prompts: Prompts;
  readonly plan: PlanView;
  readonly compare: CompareView;
}

/** What deactivate() waits for. */
let running: { stop(): Promise<void> } | undefined;

export function activate(context: vscode.ExtensionContext): ReconcileApi {
  const t0 = performance.now();
  const log = new OutputLog();
  const repo = new WorkspaceRepo(log, context.extensionUri, vscode.Uri.joinPath(context.globalStorageUri, 'remote').fsPath);
  const environments = new EnvironmentsView(log, repo);
  const rendered = new RenderedDocuments(repo);
  const contextStatus = new ContextStatus();
  const languageClient = new ReconcileLanguageClient(
    context.extensionUri,
    log,
    vscode.Uri.joinPath(context.globalStorageUri, 'cluster-schemas').fsPath,
    () => clusterSettings(repo),
  );
  running = languageClient;
  repo.setRenderedChecker((app, r) => languageClient.checkRendered(app, r));
  repo.setEnvironmentChecker((env, apps) => languageClient.checkEnvironmentPolicies(env, apps));
  const tree = vscode.window.createTreeView('reconcile.environments', { treeDataProvider: environments, showCollapseAll: true });
  contextStatus.setEnvironments((ctx) => repo.environments().filter((e) => e.env.context === ctx).map((e) => (repo.current.length > 1 ? `${e.env.name} of ${e.folder.folder.name}` : e.env.name)));
  context.subscriptions.push(repo.onDidChange(() => void contextStatus.update()));
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider({ scheme: 'file', language: 'yaml' }, repo.codeActions, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    vscode.languages.registerCodeActionsProvider({ scheme: 'file', language: 'yaml' }, imagePinActions(repo), { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
  );
  const drift = new DriftService(repo, log);
  environments.setDrift(drift);
  const driftLenses = new DriftLensProvider(drift);
  const driftDocuments = new DriftDocuments();
  const prompts = new Prompts();
  const repos = new Repos();
  const gitDocuments = new GitDocuments();
  const historyLenses = new HistoryLensProvider(repos);
  const planView = new PlanView();
  const planTree = vscode.window.createTreeView('reconcile.plan', { treeDataProvider: planView });
  const compareView = new CompareView();
  const incidentsFile = vscode.Uri.joinPath(context.globalStorageUri, 'drift-incidents.jsonl').fsPath;
  drift.recordIncidents(incidentsFile);
  // The tree needs an environment's drift while its node is expanded and the view visible.
  const collapsed = new Set<string>();
  const treeInterest = () => {
    // Environments are (workspace folder, name): two folders may both have a prod.
    const keys = repo.environments().map((e) => e.key).filter((k) => !collapsed.has(k));
    drift.setTreeInterest(tree.visible, keys);
  };
  const updateBadge = () => {
    let n = 0;
    for (const env of drift.environments()) {
      const c = drift.counts(env);
      if (c) n += c.drifted + c.missing + c.notInGit;
    }
    tree.badge = n ? { value: n, tooltip: `${n} resource(s) out of sync with Git` } : undefined;
  };
  context.subscriptions.push(
    log,
    repo,
    environments,
    rendered,
    contextStatus,
    tree,
    languageClient,
    drift,
    driftLenses,
    driftDocuments,
    // VS Code shows the lenses of the provider registered last first on a shared line: drift comes first.
    vscode.languages.registerCodeLensProvider([{ scheme: 'file', language: 'yaml' }, { scheme: 'file', pattern: '**/*.{yaml,yml}' }], historyLenses),
    vscode.languages.registerCodeLensProvider([{ scheme: 'file', language: 'yaml' }, { scheme: 'file', pattern: '**/*.{yaml,yml}' }], driftLenses),
    vscode.workspace.registerTextDocumentContentProvider(DRIFT_SCHEME, driftDocuments),
    historyLenses,
    vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, gitDocuments),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      repos.forget();
      void languageClient.settingsChanged(); // modeline schemas may be fetched now
    }),
    ...registerHistoryCommands({ repo, repos, documents: gitDocuments, prompts, log }),
    planView,
    planTree,
    ...registerPlanCommands({
      repo,
      drift,
      view: planView,
      treeView: planTree,
      documents: driftDocuments,
      prompts,
      repos,
      log,
      auditFile: vscode.Uri.joinPath(context.globalStorageUri, 'sync-audit.jsonl').fsPath,
    }),
    compareView,
    vscode.window.createTreeView('reconcile.compare', { treeDataProvider: compareView }),
    ...registerCompareCommands({ repo, view: compareView, documents: driftDocuments, prompts, log, extensionUri: context.extensionUri, incidentsFile }),
    tree.onDidChangeVisibility(treeInterest),
    tree.onDidCollapseElement((e) => e.element.type === 'environment' && (collapsed.add(repo.keyOf(e.element.env)), treeInterest())),
    tree.onDidExpandElement((e) => e.element.type === 'environment' && (collapsed.delete(repo.keyOf(e.element.env)), treeInterest())),
    repo.onDidChange(treeInterest),
    drift.onDidChange(updateBadge),
    ...registerDriftCommands({ drift, repo, documents: driftDocuments, environments, contextStatus, log, onContextSwitched: () => void languageClient.clusterChanged() }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (['reconcile.kubernetesVersion', 'reconcile.schema', 'yaml.schemas'].some((k) => e.affectsConfiguration(k))) void languageClient.settingsChanged();
    }),
    vscode.extensions.onDidChange(() => void languageClient.settingsChanged()),
    repo.onDidChange(() => void languageClient.clusterChanged()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('reconcile.kubeconfig') && void languageClient.clusterChanged()),
    vscode.workspace.registerTextDocumentContentProvider(RENDERED_SCHEME, rendered),
    ...registerCommands({ log, environments, repo, contextStatus, languageClient, extensionUri: context.extensionUri, onRefresh: () => drift.restartAll('refresh') }),
  );
  // The language server starts right after activation returns, in its own process.
  setTimeout(() => void languageClient.start().catch((e: Error) => log.error(`The language server did not start: ${e.message}`)), 0);
  const activationMs = performance.now() - t0;
  log.info(`Reconcile ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, environments, repo, contextStatus, tree, languageClient, log, drift, driftLenses, prompts, plan: planView, compare: compareView };
}

/**
 * Returns the language client's stop, as vscode-eslint does: VS Code waits for the promise, so the
 * server process is shut down over the protocol instead of being left to die with the host. The rest
 * (context.subscriptions) VS Code disposes itself.
 */
export function deactivate(): Promise<void> | undefined {
  return running?.stop();
}
