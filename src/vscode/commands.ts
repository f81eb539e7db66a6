import * as vscode from 'vscode';
import type { OutputLog } from './log';
import type { EnvironmentsView } from './environmentsView';

export interface CommandDeps {
  log: OutputLog;
  environments: EnvironmentsView;
  extensionUri: vscode.Uri;
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
  const { log, environments, extensionUri } = deps;
  return [
    vscode.commands.registerCommand('reconcile.refresh', () => environments.refresh()),
    vscode.commands.registerCommand('reconcile.showOutput', () => log.show()),
    vscode.commands.registerCommand('reconcile.openDocs', async () => {
      const readme = vscode.Uri.joinPath(extensionUri, 'README.md');
      await vscode.commands.executeCommand('markdown.showPreview', readme);
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
