// Git history in the editor: "changed by <author>, <n> days ago — <subject>" above each resource, Show
// Resource History (the commits of the resource's lines, each opening the diff it made), Revert Commit…
// (a new commit; never a rewrite; dirty trees refused with stashing offered; conflicts left for the merge
// editor with Continue/Abort) and Discard Local Changes. All git work is in src/core/git.
import { counted } from '../core/util/plural';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  abortRevert,
  continueRevert,
  diffAtCommit,
  DirtyTreeError,
  discardFileChanges,
  formatLastChange,
  GitRepoError,
  historyOfPaths,
  historyOfRange,
  lastChangesOfRanges,
  openRepo,
  repoState,
  revertCommit,
  revertInProgress,
  stash,
  type GitRepo,
  type RevertResult,
} from '../core/git';
import { quickParse, type QuickDocument } from '../core/manifest';
import type { EnvironmentsNode } from './environmentsView';
import { firstContentLine } from './driftLens';
import type { OutputLog } from './log';
import type { Prompts } from './prompts';
import type { WorkspaceRepo } from './workspaceRepo';

export const GIT_SCHEME = 'reconcile-git';

/** Read-only texts of files at commits, for diff editors. */
export class GitDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private serial = 0;

  put(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: GIT_SCHEME, path: `/${name}`, query: `n=${++this.serial}` });
    this.texts.set(uri.toString(), text);
    while (this.texts.size > 100) this.texts.delete(this.texts.keys().next().value as string);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '# no longer available: open the history again\n';
  }
}

/** One GitRepo per folder; `undefined` (remembered) when the folder is not in a git repository. */
export class Repos {
  private readonly repos = new Map<string, Promise<GitRepo | GitRepoError>>();

  async forPath(file: string): Promise<GitRepo | GitRepoError> {
    // A repository's own config can run programs (core.fsmonitor, hooks): like VS Code's git, only in trusted workspaces.
    if (!vscode.workspace.isTrusted) return new GitRepoError('failed', 'Git is not used in an untrusted workspace (a repository\'s config and hooks can run programs); trust the workspace first');
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? path.dirname(file);
    let p = this.repos.get(folder);
    if (!p) {
      const binary = vscode.workspace.getConfiguration('git').get<string | string[]>('path');
      p = openRepo(folder, { binary: typeof binary === 'string' && binary ? binary : undefined }).catch((e: unknown) => {
        // Remember a failure only briefly: `git init` or a clone may make the folder a repository.
        setTimeout(() => this.repos.get(folder) === p && this.repos.delete(folder), 10_000);
        return e instanceof GitRepoError ? e : new GitRepoError('failed', (e as Error).message);
      });
      this.repos.set(folder, p);
    }
    return p;
  }

  forget(): void {
    this.repos.clear();
  }
}

interface ResourceDoc {
  doc: QuickDocument;
  /** The document's first content line (0-based), where the lens goes. */
  line: number;
}

function resourceDocs(document: vscode.TextDocument): ResourceDoc[] {
  const docs = quickParse(document.getText()) ?? [];
  const out: ResourceDoc[] = [];
  for (const d of docs) {
    if (!d.id?.kind || !d.id.name) continue;
    out.push({ doc: d, line: firstContentLine(document, d.range) });
  }
  return out;
}

/** The last line (0-based) of a document's content, without trailing blank lines and the next `---`. */
function lastLine(document: vscode.TextDocument, d: QuickDocument): number {
  let end = Math.min(d.range.end.line, document.lineCount - 1);
  while (end > d.range.start.line) {
    const t = document.lineAt(end).text.trim();
    if (t && t !== '---') break;
    end--;
  }
  return end;
}

/** `changed by …` above each resource of a YAML file in a git repository. */
export class HistoryLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly cache = new Map<string, { version: number; lineCount: number; lenses: vscode.CodeLens[] }>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly repos: Repos) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/.git/{HEAD,index,ORIG_HEAD}');
    const reset = () => {
      this.repos.forget();
      this.cache.clear();
      this.changed.fire();
    };
    this.disposables.push(
      watcher,
      watcher.onDidChange(reset),
      watcher.onDidCreate(reset),
      vscode.workspace.onDidSaveTextDocument(reset),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('reconcile.history') && reset()),
    );
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (document.uri.scheme !== 'file' || !vscode.workspace.getConfiguration('reconcile.history').get<boolean>('codeLens', true)) return [];
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === document.version) return hit.lenses;
    // While a file is being edited, its history has not changed: keep the lenses of the saved text
    // (no git process per keystroke), and none when lines were added or removed above them.
    if (document.isDirty) return hit && hit.lineCount === document.lineCount ? hit.lenses : [];
    const docs = resourceDocs(document);
    if (docs.length === 0) return [];
    const repo = await this.repos.forPath(document.uri.fsPath);
    if (repo instanceof GitRepoError || token.isCancellationRequested) return [];
    let lenses: vscode.CodeLens[] = [];
    try {
      const changes = await lastChangesOfRanges(
        repo,
        document.uri.fsPath,
        docs.map((d) => ({ start: d.line + 1, end: lastLine(document, d.doc) + 1 })),
        {},
      );
      const now = new Date();
      lenses = docs.map(
        (d, i) =>
          new vscode.CodeLens(new vscode.Range(d.line, 0, d.line, 0), {
            title: formatLastChange(changes[i], now),
            command: 'reconcile.showResourceHistory',
            arguments: [document.uri, d.line],
            tooltip: 'Show the history of this resource',
          }),
      );
    } catch {
      // Untracked files, files outside the repository: no history to show.
      lenses = [];
    }
    this.cache.set(key, { version: document.version, lineCount: document.lineCount, lenses });
    return lenses;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export interface HistoryDeps {
  repo: WorkspaceRepo;
  repos: Repos;
  documents: GitDocuments;
  prompts: Prompts;
  log: OutputLog;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The workspace folder of the active editor (several folders may each be a repository), else the first. */
function activeFolder(): string | undefined {
  const active = vscode.window.activeTextEditor?.document.uri;
  return (active ? vscode.workspace.getWorkspaceFolder(active) : undefined)?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The paths (and a name) a Revert Commit… is about: an environment, an application or a file. */
async function scopeOf(deps: HistoryDeps, target: EnvironmentsNode | vscode.Uri | undefined): Promise<{ name: string; paths: string[]; environment?: string } | undefined> {
  if (target instanceof vscode.Uri) return { name: vscode.workspace.asRelativePath(target), paths: [target.fsPath] };
  // `environment` is the environment's key (workspace folder and name): Preview/Sync after the revert act on that one.
  if (target?.type === 'environment') return { name: `environment ${target.env.name}`, paths: [...new Set(target.env.applications.flatMap((a) => a.sourcePaths))], environment: deps.repo.keyOf(target.env) };
  if (target?.type === 'application') return { name: `${target.app.environment}/${target.app.name}`, paths: target.app.sourcePaths, environment: deps.repo.environmentKeyOf(target.app) };
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file') return { name: vscode.workspace.asRelativePath(active), paths: [active.fsPath] };
  await deps.repo.models();
  const multiRoot = deps.repo.current.length > 1;
  const pick = await deps.prompts.pick(
    deps.repo.environments().map((e) => ({ label: multiRoot ? `${e.env.name} — ${e.folder.folder.name}` : e.env.name, description: counted(e.env.applications.length, 'application'), key: e.key })),
    { placeHolder: 'Revert a commit that changed which environment?' },
  );
  const env = pick ? deps.repo.environment(pick.key) : undefined;
  return env && pick ? { name: `environment ${env.name}`, paths: [...new Set(env.applications.flatMap((a) => a.sourcePaths))], environment: pick.key } : undefined;
}

export function registerHistoryCommands(deps: HistoryDeps): vscode.Disposable[] {
  const { repos, documents, prompts, log } = deps;

  const repoFor = async (file: string): Promise<GitRepo | undefined> => {
    const r = await repos.forPath(file);
    if (r instanceof GitRepoError) {
      void prompts.message('error', `Reconcile: ${r.message}`);
      return undefined;
    }
    return r;
  };

  /**
   * After a revert: say what happened and offer the next step. The command returns at once; the
   * follow-up questions (Preview/Sync, Continue/Abort) are answered whenever the user gets to them.
   */
  const afterRevert = async (repo: GitRepo, result: RevertResult, environment?: string): Promise<RevertResult> => {
    for (const w of result.warnings) log.warn(w);
    if (result.status === 'reverted') {
      log.info(`Reverted ${result.reverted.shortHash} "${result.reverted.subject}" as ${result.shortHash}`);
      void prompts
        .message('info', `Reconcile: reverted ${result.reverted.shortHash} as a new commit ${result.shortHash}.${result.warnings.length ? ` ${result.warnings.join(' ')}` : ''}`, {}, ...(environment ? ['Preview', 'Sync'] : []))
        .then((next) => {
          if (next === 'Preview') void vscode.commands.executeCommand('reconcile.preview', environment);
          if (next === 'Sync') void vscode.commands.executeCommand('reconcile.sync', environment);
        });
    } else if (result.status === 'empty') {
      void prompts.message('info', `Reconcile: ${result.message}`);
    } else {
      log.warn(result.message);
      for (const f of result.absoluteFiles) {
        const uri = vscode.Uri.file(f);
        await vscode.commands.executeCommand('git.openMergeEditor', uri).then(undefined, () => vscode.commands.executeCommand('vscode.open', uri));
      }
      void prompts
        .message('warning', `Reconcile: ${result.message}`, { detail: 'Resolve the conflicts in the merge editor, then Continue Revert. Abort Revert returns the working tree exactly to how it was.' }, 'Continue Revert', 'Abort Revert')
        .then((choice) => {
          if (choice === 'Continue Revert') void vscode.commands.executeCommand('reconcile.continueRevert', repo.root);
          if (choice === 'Abort Revert') void vscode.commands.executeCommand('reconcile.abortRevert', repo.root);
        });
    }
    return result;
  };

  return [
    vscode.commands.registerCommand('reconcile.revertCommit', async (target?: EnvironmentsNode | vscode.Uri, hashArg?: string): Promise<RevertResult | undefined> => {
      const scope = await scopeOf(deps, target);
      if (!scope || scope.paths.length === 0) return undefined;
      const repo = await repoFor(scope.paths[0]);
      if (!repo) return undefined;
      try {
        const state = await repoState(repo);
        const inProgress = await revertInProgress(repo);
        if (inProgress.inProgress) {
          void prompts.message('warning', `Reconcile: a revert of ${inProgress.reverting?.shortHash ?? 'a commit'} is still in progress: continue or abort it first (Reconcile: Continue Revert / Abort Revert).`);
          return undefined;
        }
        let hash = hashArg;
        if (!hash) {
          const history = await historyOfPaths(repo, scope.paths, { maxCount: 100 });
          if (history.commits.length === 0) {
            void prompts.message('info', `Reconcile: no commit has changed ${scope.name}${history.horizon ? ` (${history.horizon.message})` : ''}.`);
            return undefined;
          }
          const pick = await prompts.pick(
            history.commits.map((c) => ({
              label: c.subject,
              description: `${c.shortHash} · ${c.author.name} · ${c.date.slice(0, 10)}`,
              detail: c.files.length > c.matched.length ? `also changes ${counted(c.files.length - c.matched.length, 'file')} outside ${scope.name}: the revert undoes them too` : `${c.matched.length} file(s)`,
              hash: c.hash,
            })),
            { placeHolder: `Revert which commit of ${scope.name}? A new commit undoes it; history is not rewritten.${history.horizon ? ` ${history.horizon.message}` : ''}`, matchOnDescription: true },
          );
          hash = pick?.hash;
          if (!hash) return undefined;
        }
        const confirm = await prompts.message(
          'warning',
          `Revert commit ${hash.slice(0, 8)}?`,
          { modal: true, detail: `A new commit that undoes it is created on ${state.detached ? 'a detached HEAD (it belongs to no branch)' : `branch ${state.branch}`}. Nothing is pushed and nothing is applied to a cluster.` },
          'Revert',
        );
        if (confirm !== 'Revert') return undefined;
        let result: RevertResult;
        try {
          result = await revertCommit(repo, hash);
        } catch (e) {
          if (!(e instanceof DirtyTreeError)) throw e;
          const choice = await prompts.message('warning', `Reconcile: ${e.message}`, { modal: true, detail: 'Stash them first? They are kept in `git stash` and can be restored with `git stash pop`.' }, 'Stash and Revert');
          if (choice !== 'Stash and Revert') return undefined;
          const s = await stash(repo, `reconcile: before reverting ${hash.slice(0, 8)}`);
          log.info(`Stashed ${counted(s.files.length, 'file')} as ${s.ref}`);
          result = await revertCommit(repo, hash);
        }
        return await afterRevert(repo, result, scope.environment);
      } catch (e) {
        void prompts.message('error', `Reconcile: revert failed: ${errorText(e)}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('reconcile.continueRevert', async (root?: string): Promise<RevertResult | undefined> => {
      const repo = await repoFor(root ?? activeFolder() ?? '.');
      if (!repo) return undefined;
      try {
        const r = await continueRevert(repo);
        if (r.status === 'reverted') void prompts.message('info', `Reconcile: revert of ${r.reverted.shortHash} committed as ${r.shortHash}.`);
        else if (r.status === 'empty') void prompts.message('info', `Reconcile: ${r.message}`);
        return r;
      } catch (e) {
        void prompts.message('error', `Reconcile: ${errorText(e)}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('reconcile.abortRevert', async (root?: string): Promise<boolean> => {
      const repo = await repoFor(root ?? activeFolder() ?? '.');
      if (!repo) return false;
      try {
        await abortRevert(repo);
        log.info('Revert aborted: the working tree is as it was before');
        // Merge editors opened for the conflict show a state that no longer exists.
        // (A merge editor's tab input has base, input1, input2 and result; its class is not in the stable API.)
        const stale = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => {
          const input = t.input as { result?: unknown; input1?: unknown } | undefined;
          return input?.result instanceof vscode.Uri && input.input1 !== undefined && input.result.fsPath.startsWith(repo.root);
        });
        if (stale.length) await vscode.window.tabGroups.close(stale);
        return true;
      } catch (e) {
        void prompts.message('error', `Reconcile: ${errorText(e)}`);
        return false;
      }
    }),
    vscode.commands.registerCommand('reconcile.showResourceHistory', async (uriArg?: vscode.Uri, lineArg?: number) => {
      const editor = vscode.window.activeTextEditor;
      const uri = uriArg ?? editor?.document.uri;
      if (!uri || uri.scheme !== 'file') {
        void prompts.message('info', 'Reconcile: open a YAML file and put the cursor on a resource to see its history.');
        return undefined;
      }
      const document = await vscode.workspace.openTextDocument(uri);
      const line = lineArg ?? (editor?.document.uri.toString() === uri.toString() ? editor.selection.active.line : 0);
      const docs = resourceDocs(document);
      const at = docs.find((d) => line >= d.doc.range.start.line && line <= d.doc.range.end.line) ?? docs[0];
      if (!at) {
        void prompts.message('info', `Reconcile: ${vscode.workspace.asRelativePath(uri)} holds no Kubernetes resource.`);
        return undefined;
      }
      const repo = await repoFor(uri.fsPath);
      if (!repo) return undefined;
      const id = at.doc.id!;
      try {
        const h = await historyOfRange(repo, uri.fsPath, at.line + 1, lastLine(document, at.doc) + 1, document.isDirty ? { contents: document.getText(), maxCount: 100 } : { maxCount: 100 });
        if (h.state !== 'ok' || h.commits.length === 0) {
          void prompts.message('info', `Reconcile: ${h.message ?? `no commit has changed ${id.kind}/${id.name}`}`);
          return undefined;
        }
        const pick = await prompts.pick(
          h.commits.map((c) => ({ label: c.subject, description: `${c.shortHash} · ${c.author.name} · ${c.date.slice(0, 10)}`, commit: c })),
          { placeHolder: `History of ${id.kind}/${id.name} (${h.commits.length}${h.limited ? '+' : ''} commits)${h.horizon ? ` — ${h.horizon.message}` : ''}`, matchOnDescription: true },
        );
        if (!pick) return undefined;
        const diff = await diffAtCommit(repo, pick.commit.path, pick.commit.hash);
        const name = path.basename(pick.commit.path);
        const left = documents.put(`${pick.commit.shortHash}^/${name}`, diff.before.content ?? '');
        const right = documents.put(`${pick.commit.shortHash}/${name}`, diff.after.content ?? '');
        const title = `${id.kind}/${id.name} @ ${pick.commit.shortHash} — ${pick.commit.subject}`;
        await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
        return { title, left, right };
      } catch (e) {
        void prompts.message('error', `Reconcile: ${errorText(e)}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('reconcile.discardChanges', async (uriArg?: vscode.Uri) => {
      const uri = uriArg ?? vscode.window.activeTextEditor?.document.uri;
      if (!uri || uri.scheme !== 'file') return undefined;
      const repo = await repoFor(uri.fsPath);
      if (!repo) return undefined;
      const rel = vscode.workspace.asRelativePath(uri);
      const ok = await prompts.message('warning', `Discard all local changes to ${rel}?`, { modal: true, detail: 'The file goes back to its last committed version. This cannot be undone.' }, 'Discard Changes');
      if (ok !== 'Discard Changes') return undefined;
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      try {
        let r;
        try {
          r = await discardFileChanges(repo, uri.fsPath);
        } catch (e) {
          if (!(e instanceof GitRepoError && e.kind === 'untracked')) throw e;
          const del = await prompts.message('warning', `${rel} is not tracked by Git: delete it?`, { modal: true, detail: 'It has no committed version to go back to.' }, 'Delete File');
          if (del !== 'Delete File') return undefined;
          r = await discardFileChanges(repo, uri.fsPath, { deleteUntracked: true });
        }
        // Unsaved edits in an open editor are local changes too: the editor goes back to the file on disk.
        if (open?.isDirty) await vscode.commands.executeCommand('workbench.action.files.revert', uri);
        log.info(`Discard local changes: ${r.path} ${r.action}`);
        return r;
      } catch (e) {
        void prompts.message('error', `Reconcile: ${errorText(e)}`);
        return undefined;
      }
    }),
  ];
}
