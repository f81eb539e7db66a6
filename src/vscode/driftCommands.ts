// Commands of the drift feature: Show Drift (the diff editor), Switch Context, and the tree's
// "Show Only Drifted" filter.
import * as vscode from 'vscode';
import { kubeconfigPaths, readKubeconfig, setCurrentContext } from '../core/cluster/kubeconfig';
import { resourceKey } from '../core/manifest';
import type { DriftService } from './driftService';
import type { DriftDocuments } from './driftLens';
import type { EnvironmentsNode, EnvironmentsView } from './environmentsView';
import type { ContextStatus } from './contextStatus';
import type { OutputLog } from './log';
import { kubeconfigSetting } from './settings';

export interface DriftCommandDeps {
  drift: DriftService;
  documents: DriftDocuments;
  environments: EnvironmentsView;
  contextStatus: ContextStatus;
  log: OutputLog;
  /** Something else that depends on the current context (the language server's cluster schemas). */
  onContextSwitched: () => void;
}

export interface ShownDiff {
  title: string;
  left: vscode.Uri;
  right: vscode.Uri;
}

export function registerDriftCommands(deps: DriftCommandDeps): vscode.Disposable[] {
  const { drift, documents, environments, contextStatus, log } = deps;
  return [
    vscode.commands.registerCommand('reconcile.showDrift', async (envOrNode?: string | EnvironmentsNode, keyArg?: string): Promise<ShownDiff | undefined> => {
      let env: string | undefined;
      let key: string | undefined;
      if (typeof envOrNode === 'string') {
        env = envOrNode;
        key = keyArg;
      } else if (envOrNode?.type === 'resource') {
        env = drift.keyOfApplication(envOrNode.app);
        key = resourceKey(envOrNode.entry.id);
      }
      if (!env || !key) {
        void vscode.window.showInformationMessage('Reconcile: click the drift CodeLens above a resource, or use the tree, to see its diff.');
        return undefined;
      }
      const docs = drift.diff(env, key);
      if (!docs) {
        void vscode.window.showWarningMessage(`Reconcile: no drift result for ${key} in ${drift.nameOf(env) ?? env} yet; the cluster is still being read.`);
        return undefined;
      }
      const [, kind = 'resource', , name = key] = key.split('/');
      const { left, right } = documents.put(drift.nameOf(env) ?? env, kind, name, docs.live, docs.desired);
      await vscode.commands.executeCommand('vscode.diff', left, right, docs.title, { preview: true });
      return { title: docs.title, left, right };
    }),
    vscode.commands.registerCommand('reconcile.switchContext', async (name?: string): Promise<string | undefined> => {
      const files = kubeconfigPaths(kubeconfigSetting());
      const kube = await readKubeconfig(files);
      if (kube.contexts.length === 0) {
        void vscode.window.showErrorMessage(`Reconcile: no contexts in the kubeconfig (${files.join(', ')})${kube.problems.length ? `: ${kube.problems.map((p) => `${p.file}: ${p.message}`).join('; ')}` : ''}.`);
        return undefined;
      }
      if (!name) {
        const envsOf = (ctx: string) =>
          drift
            .environmentsOfContext(ctx)
            .map((e) => e.name)
            .join(', ');
        const pick = await vscode.window.showQuickPick(
          kube.contexts.map((c) => ({
            label: `${c.name === kube.currentContext ? '$(check) ' : ''}${c.name}`,
            name: c.name,
            description: [c.cluster && `cluster ${c.cluster}`, c.namespace && `namespace ${c.namespace}`].filter(Boolean).join(' · '),
            detail: envsOf(c.name) ? `environments: ${envsOf(c.name)}` : undefined,
          })),
          { placeHolder: `Current context: ${kube.currentContext ?? 'none'} — switch to…`, matchOnDescription: true },
        );
        name = pick?.name;
      }
      if (!name) return undefined;
      try {
        const file = await setCurrentContext(files, name);
        log.info(`Switched the current context to ${name} (${file})`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Reconcile: could not switch context: ${(e as Error).message}`);
        return undefined;
      }
      await contextStatus.update();
      drift.restartAll(`context switched to ${name}`);
      deps.onContextSwitched();
      return name;
    }),
    vscode.commands.registerCommand('reconcile.filterDrifted', () => environments.setDriftFilter(true)),
    vscode.commands.registerCommand('reconcile.clearDriftFilter', () => environments.setDriftFilter(false)),
  ];
}
