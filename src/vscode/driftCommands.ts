// Commands of the drift feature: Show Drift (the diff editor), Switch Context, and the tree's
// "Show Only Drifted" filter.
import * as vscode from 'vscode';
import { kubeconfigPaths, readKubeconfig, setCurrentContext } from '../core/cluster/kubeconfig';
import { resourceKey } from '../core/manifest';
import { planAcceptLive } from '../core/drift/accept';
import type { DriftService } from './driftService';
import type { DriftDocuments } from './driftLens';
import type { EnvironmentsNode, EnvironmentsView } from './environmentsView';
import type { ContextStatus } from './contextStatus';
import type { OutputLog } from './log';
import { kubeconfigSetting } from './settings';
import type { WorkspaceRepo } from './workspaceRepo';

export interface DriftCommandDeps {
  drift: DriftService;
  repo: WorkspaceRepo;
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

/** What Accept Live into Git did: the edits made (unsaved) and the fields left alone, with why. */
export interface AcceptOutcome {
  edited: Array<{ file: string; line: number; field: string; from: string; to: string }>;
  skipped: Array<{ field: string; why: string }>;
}

export function registerDriftCommands(deps: DriftCommandDeps): vscode.Disposable[] {
  const { drift, documents, environments, contextStatus, log, repo } = deps;

  const subjectOfDiff = (uri?: vscode.Uri) => {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const subject = target ? documents.subjectOf(target) : undefined;
    if (!subject) void vscode.window.showInformationMessage('Reconcile: open a drift diff (click a drift CodeLens) first.');
    return subject;
  };

  /** Writes the live values of a drifted resource where Git sets them, as unsaved edits the user reviews. */
  const acceptLive = async (envKey: string, key: string): Promise<AcceptOutcome | undefined> => {
    const result = drift.result(envKey, key);
    const env = repo.environment(envKey);
    if (!result || !env) {
      void vscode.window.showWarningMessage('Reconcile: the drift of this resource is not known any more; open its diff again.');
      return undefined;
    }
    if (result.status !== 'drifted') {
      void vscode.window.showInformationMessage(`Reconcile: ${result.id.kind}/${result.id.name} has no changed values to take into Git (${result.status}).`);
      return { edited: [], skipped: [] };
    }
    const rendered = await repo.renderedEnvironment(env);
    const ns = env.namespaces[0];
    let found: { application: (typeof rendered.applications)[number]['application']; doc: (typeof rendered.applications)[number]['documents'][number] } | undefined;
    for (const a of rendered.applications) {
      const doc = a.documents.find((d) => d.id && (resourceKey(d.id) === key || (!d.id.namespace && ns && resourceKey({ ...d.id, namespace: ns }) === key)));
      if (doc) {
        found = { application: a.application, doc };
        break;
      }
    }
    if (!found) {
      void vscode.window.showWarningMessage(`Reconcile: ${result.id.kind}/${result.id.name} is not in the rendered ${env.name} any more.`);
      return undefined;
    }
    const open = new Map(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file').map((d) => [d.uri.fsPath, d.getText()]));
    const plan = planAcceptLive(
      result,
      { value: found.doc.object as Record<string, unknown>, source: found.doc.source, patchedBy: found.doc.patchedBy, application: { id: found.application.id, root: found.application.root } },
      (file) => open.get(file),
    );
    const outcome: AcceptOutcome = {
      edited: plan.edits.map((e) => ({ file: e.file, line: e.range.start.line, field: e.field, from: e.from, to: e.to })),
      skipped: plan.skipped.map((s) => ({ field: s.field, why: s.why })),
    };
    if (plan.edits.length) {
      const edit = new vscode.WorkspaceEdit();
      for (const e of plan.edits) {
        edit.replace(vscode.Uri.file(e.file), new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText, {
          label: `${e.field}: ${e.from} → ${e.to}`,
          needsConfirmation: false,
        });
      }
      await vscode.workspace.applyEdit(edit);
      const first = plan.edits[0];
      const shown = await vscode.window.showTextDocument(vscode.Uri.file(first.file), { preview: false });
      const at = new vscode.Position(first.range.start.line, first.range.start.character);
      shown.selection = new vscode.Selection(at, at);
      shown.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    }
    const wrote = plan.edits.map((e) => `${e.field} ${e.from} → ${e.to} (${vscode.workspace.asRelativePath(e.file)}:${e.range.start.line + 1})`);
    const left = plan.skipped.map((s) => `${s.field}: ${s.why}${s.at ? ` (${vscode.workspace.asRelativePath(s.at.file)}:${s.at.range.start.line + 1})` : ''}`);
    log.info(`Accept Live into Git for ${result.id.kind}/${result.id.name} in ${env.name}: ${wrote.length ? `wrote ${wrote.join('; ')}` : 'nothing written'}${left.length ? `; left alone: ${left.join('; ')}` : ''}`);
    const summary = wrote.length
      ? `Reconcile: the live ${wrote.length === 1 ? 'value is' : 'values are'} written into Git as unsaved ${wrote.length === 1 ? 'change' : 'changes'}: ${wrote.join('; ')}. Review and save.`
      : `Reconcile: nothing of ${result.id.kind}/${result.id.name} could be written into Git.`;
    void vscode.window.showInformationMessage(left.length ? `${summary} Not written: ${left.join('; ')}.` : summary);
    return outcome;
  };

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
      const { left, right } = documents.put(drift.nameOf(env) ?? env, kind, name, docs.live, docs.desired, undefined, { env, key });
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
    // The drift diff's title bar: put the cluster back to Git, or take the cluster's values into Git.
    vscode.commands.registerCommand('reconcile.restoreFromDiff', async (uri?: vscode.Uri) => {
      const subject = subjectOfDiff(uri);
      if (!subject) return undefined;
      return vscode.commands.executeCommand('reconcile.restoreToGit', subject.env, subject.key);
    }),
    vscode.commands.registerCommand('reconcile.acceptLiveIntoGit', async (uri?: vscode.Uri): Promise<AcceptOutcome | undefined> => {
      const subject = subjectOfDiff(uri);
      if (!subject) return undefined;
      return acceptLive(subject.env, subject.key);
    }),
    vscode.commands.registerCommand('reconcile.filterDrifted', () => environments.setDriftFilter(true)),
    vscode.commands.registerCommand('reconcile.clearDriftFilter', () => environments.setDriftFilter(false)),
  ];
}
