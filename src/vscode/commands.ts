import * as vscode from 'vscode';
import type { Application, SourceLocation } from '../core/repo';
import type { OutputLog } from './log';
import type { EnvironmentsNode, EnvironmentsView } from './environmentsView';
import type { WorkspaceRepo } from './workspaceRepo';
import type { ContextStatus } from './contextStatus';
import { renderedUri } from './renderedDocuments';
import type { ReconcileLanguageClient } from './languageClient';

export interface CommandDeps {
  log: OutputLog;
  environments: EnvironmentsView;
  repo: WorkspaceRepo;
  contextStatus: ContextStatus;
  languageClient: ReconcileLanguageClient;
  extensionUri: vscode.Uri;
  /** Called by Refresh: cluster state is read again too. */
  onRefresh?: () => void;
}

/** The starter `.reconcile.yaml` written by "Reconcile: Create .reconcile.yaml". */
export const RECONCILE_YAML_TEMPLATE = `# Reconcile configuration: maps folders of this repository to environments and clusters.
# Every key is optional; without this file Reconcile finds environments from kustomize overlays,
# Helm values files, Argo CD Applications and Flux Kustomizations.
environments:
  - name: dev
    paths: ["**/overlays/dev/**"]
    context: dev            # kubeconfig context of the dev cluster
    namespaces: []
  - name: prod
    paths: ["**/overlays/prod/**"]
    context: prod
    protected: true         # sync asks for the environment's name
`;

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { log, environments, repo, contextStatus, extensionUri } = deps;
  return [
    vscode.commands.registerCommand('reconcile.refresh', async () => {
      await environments.refresh();
      await contextStatus.update();
      deps.onRefresh?.();
    }),
    vscode.commands.registerCommand('reconcile.showOutput', () => log.show()),
    vscode.commands.registerCommand('reconcile.refreshClusterSchemas', async () => {
      await deps.languageClient.refreshClusterSchemas();
      log.info('Asked the clusters for their schemas again');
    }),
    // (page?): a documentation page of the extension (`docs/rules/secret-plaintext.md`, the link of a
    // finding's rule), rendered in the Markdown preview; without one, the README.
    vscode.commands.registerCommand('reconcile.openDocs', async (page?: unknown) => {
      if (typeof page === 'string' && /^docs\/[\w./-]+\.md$/.test(page) && !page.includes('..')) {
        const doc = vscode.Uri.joinPath(extensionUri, ...page.split('/'));
        try {
          await vscode.workspace.fs.stat(doc);
          await vscode.commands.executeCommand('markdown.showPreview', doc);
          return doc;
        } catch {
          void vscode.window.showWarningMessage(`Reconcile: the documentation page ${page} is not in this installation.`);
          return undefined;
        }
      }
      // The VSIX stores README.md as readme.md (vsce); a development checkout has README.md.
      for (const name of ['README.md', 'readme.md']) {
        const readme = vscode.Uri.joinPath(extensionUri, name);
        try {
          await vscode.workspace.fs.stat(readme);
        } catch {
          continue;
        }
        await vscode.commands.executeCommand('markdown.showPreview', readme);
        return readme;
      }
      return undefined;
    }),
    vscode.commands.registerCommand('reconcile.openSource', async (loc: SourceLocation) => {
      const r = loc.range;
      const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
      const editor = await vscode.window.showTextDocument(vscode.Uri.file(loc.file), {
        selection: new vscode.Range(range.start, range.start),
        preview: true,
      });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return editor;
    }),
    vscode.commands.registerCommand('reconcile.openRendered', async (node?: EnvironmentsNode | { type: 'application'; app: { id: string } }) => {
      await repo.models();
      let uri: vscode.Uri | undefined;
      if (node?.type === 'application') {
        // A tree node's application (its key names its folder), or an id only one folder has.
        const app = repo.findApplication(repo.appKey(node.app as Application));
        if (app) uri = renderedUri(repo, { app });
      } else if (node?.type === 'environment') {
        uri = renderedUri(repo, { env: node.env });
      } else {
        // From the command palette: pick an environment or an application.
        const picks = repo.current.flatMap((f) =>
          f.model.environments.flatMap((env) => [
            { label: `$(server-environment) ${env.name}`, description: repo.current.length > 1 ? `whole environment · ${f.folder.name}` : 'whole environment', uri: renderedUri(repo, { env }) },
            ...env.applications.map((app) => ({ label: `    ${app.name}`, description: `${env.name} · ${app.sourceKind}`, uri: renderedUri(repo, { app }) })),
          ]),
        );
        if (picks.length === 0) {
          void vscode.window.showInformationMessage('Reconcile: no environments were found in this workspace.');
          return undefined;
        }
        uri = (await vscode.window.showQuickPick(picks, { placeHolder: 'Open the rendered manifests of…' }))?.uri;
      }
      if (!uri) return undefined;
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(doc, 'yaml');
      return vscode.window.showTextDocument(doc, { preview: false });
    }),
    vscode.commands.registerCommand('reconcile.createConfig', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (!folder) {
        void vscode.window.showErrorMessage('Reconcile: open a folder first; .reconcile.yaml lives at the root of the repository.');
        return undefined;
      }
      const target = vscode.Uri.joinPath(folder.uri, '.reconcile.yaml');
      let exists = true;
      try {
        await vscode.workspace.fs.stat(target);
      } catch {
        exists = false;
      }
      if (!exists) {
        // Never overwrite: only a missing file is created.
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(RECONCILE_YAML_TEMPLATE));
        log.info(`Created ${target.fsPath}`);
      }
      await vscode.window.showTextDocument(target);
      return target;
    }),
  ];
}
