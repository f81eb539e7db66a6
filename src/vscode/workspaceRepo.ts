// The repository model of the open workspace, kept current: discovery (cheap, no tools) on open
// and on file changes (debounced), renders on demand (per application, when its tree node is
// expanded or its rendered document is opened), render errors as diagnostics. All domain logic
// lives in src/core; this class only schedules it and adapts it to VS Code.
import { counted } from '../core/util/plural';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { discoverWithChildren, type Application, type Environment, type RepoError, type RepoModel } from '../core/repo';
import { createRenderer, spawnRunner, type ProcessRunner, type ReconcileRenderer, type RenderResult } from '../core/render';
import { kubeconfigPaths, readKubeconfig } from '../core/cluster/kubeconfig';
import type { OutputLog } from './log';
import { docsCommandUri, mergeEquivalentFindings, type Finding, type Fix } from '../core/findings';
import type { SourceRange } from '../core/manifest';
import { applicationFile, applicationProblem } from '../core/check/environment-checks';
import { renderEnvironment, repositoryIdentity, type RenderedEnvironment } from '../core/drift';
import { kubeconfigSetting, toolPaths } from './settings';
import { Semaphore } from '../core/util/semaphore';

export interface FolderModel {
  folder: vscode.WorkspaceFolder;
  model: RepoModel;
  /** The repository the folder is in (repositoryIdentity()): the `reconcile.dev/repository` mark of what its syncs apply. */
  repository: string;
}

/**
 * An environment's identity in the workspace: (workspace folder, name) as one string. Two folders may
 * both have a `prod`; commands, tree nodes, drift, plan, audit and history all go by this key.
 */
export function environmentKey(folder: vscode.WorkspaceFolder, name: string): string {
  return `${folder.uri.toString()}#${name}`;
}

const WATCH_GLOB = '**/{*.yaml,*.yml,Kustomization,*.tpl,*.json,.helmignore}';
const DEBOUNCE_MS = 300;

export class WorkspaceRepo implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the model or a render result changed. */
  readonly onDidChange = this.changed.event;
  private readonly renderedChanged = new vscode.EventEmitter<Application>();
  /** Fires when the render result of an application changed. */
  readonly onDidChangeRender = this.renderedChanged.event;

  private folders: FolderModel[] = [];
  private loading: Promise<void> | undefined;
  /** One renderer per workspace folder (a relative tool path is taken from the folder), all under one limit of 2 renders at once. */
  private readonly renderers = new Map<string, ReconcileRenderer>();
  private readonly renderSlots = new Semaphore(2);
  private readonly results = new Map<string, RenderResult>();
  /** Applications somebody asked to render (expanded, opened): they are re-rendered on change. */
  private readonly wanted = new Set<string>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('reconcile-render');
  /** The fixes of the environment findings published, by file, rule, line and message. */
  private readonly findingFixes = new Map<string, Fix[]>();

  /** Quick fixes of the environment findings (the language server offers those of the file's own findings). */
  readonly codeActions: vscode.CodeActionProvider = {
    provideCodeActions: (document, _range, context) => {
      const out: vscode.CodeAction[] = [];
      for (const d of context.diagnostics) {
        if (d.source !== 'reconcile') continue;
        const code = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
        for (const fix of this.findingFixes.get(fixKey(document.uri.fsPath, code, d.range.start.line, d.message)) ?? []) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.diagnostics = [d];
          action.isPreferred = fix.isPreferred;
          action.edit = new vscode.WorkspaceEdit();
          for (const e of fix.edits) action.edit.replace(vscode.Uri.file(e.file), new vscode.Range(e.range.start.line, e.range.start.character, e.range.end.line, e.range.end.character), e.newText);
          out.push(action);
        }
      }
      return out;
    },
  };
  private readonly disposables: vscode.Disposable[] = [];
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private toolsLogged = false;
  /** Schema findings of rendered output, per application (see setRenderedChecker). */
  private readonly renderedFindings = new Map<string, Finding[]>();
  private renderedChecker: ((app: Application, r: Extract<RenderResult, { ok: true }>) => Promise<Finding[]>) | undefined;
  /** Policy findings of whole environments (all their applications rendered), per environment. */
  private readonly environmentFindings = new Map<string, Finding[]>();
  private environmentChecker: ((env: Environment, apps: { application: Application; result: Extract<RenderResult, { ok: true }> }[]) => Promise<Finding[]>) | undefined;
  private readonly environmentTimers = new Map<string, NodeJS.Timeout>();
  /** Which folder every environment and application of every load belongs to (objects of an older load too). */
  private readonly envFolder = new WeakMap<Environment, FolderModel>();
  private readonly appEnv = new WeakMap<Application, { folder: FolderModel; env: Environment }>();
  /** Processes started by renders (a cheap observable for tests and benches). */
  spawnCount = 0;
  discoveries = 0;
  /** Renders the renderer really attempted (not answered from its cache or from a remembered failure), per application key. */
  readonly renderAttempts = new Map<string, number>();

  constructor(
    private readonly log: OutputLog,
    readonly extensionUri: vscode.Uri,
    /** Where remote charts are cached (the extension's global storage); the CLI's default when absent. */
    private readonly remoteCacheDir?: string,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(WATCH_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidChange((u) => this.fileChanged(u)),
      watcher.onDidCreate((u) => this.fileChanged(u)),
      watcher.onDidDelete((u) => this.fileChanged(u)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.reload()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.log.info('Workspace trusted: tools may run now; re-rendering');
        this.renderers.clear();
        void this.reload();
      }),
      // Problems for files that are not open are narrower (reconcile.problems.unopenedFiles): follow opens and closes.
      vscode.window.tabGroups.onDidChangeTabs((e) => (e.opened.length || e.closed.length) && this.publishSoon()),
      // The language server's findings of an open file changed: environment copies of them may now show or hide.
      vscode.languages.onDidChangeDiagnostics((e) => {
        // Only the files whose diagnostics changed are read again (our own publish changes none of these).
        let changed = false;
        for (const uri of e.uris) {
          if (uri.scheme !== 'file') continue;
          const now = serverFindingsOf(uri);
          const before = this.serverFindings.get(uri.fsPath);
          if (before?.size === now.size && [...now].every((k) => before.has(k))) continue;
          if (now.size) this.serverFindings.set(uri.fsPath, now);
          else this.serverFindings.delete(uri.fsPath);
          changed = true;
        }
        if (changed) this.publishSoon();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('reconcile.problems')) this.publishDiagnostics();
        if (e.affectsConfiguration('reconcile.tools')) {
          this.log.info('Tool settings changed: locating the tools again');
          this.renderers.clear();
          this.toolsLogged = false;
          void this.reload();
        }
      }),
      this.diagnostics,
      this.changed,
      this.renderedChanged,
    );
  }

  /** Who validates rendered output (the language server); its findings join the render diagnostics. */
  setRenderedChecker(fn: (app: Application, r: Extract<RenderResult, { ok: true }>) => Promise<Finding[]>): void {
    this.renderedChecker = fn;
  }

  /** Who checks whole rendered environments against the policies (the language server). */
  setEnvironmentChecker(fn: (env: Environment, apps: { application: Application; result: Extract<RenderResult, { ok: true }> }[]) => Promise<Finding[]>): void {
    this.environmentChecker = fn;
  }

  /**
   * Once every application of an environment has rendered (opening the environment's rendered
   * manifests does that), its policies run over all of it: references between applications
   * resolve, and nothing is reported missing because it was not rendered yet.
   */
  private scheduleEnvironmentCheck(key: string): void {
    clearTimeout(this.environmentTimers.get(key));
    this.environmentTimers.set(key, setTimeout(() => void this.checkEnvironment(key), 150));
  }

  private async checkEnvironment(key: string): Promise<void> {
    const env = this.environment(key);
    if (!env || !this.environmentChecker) return;
    const apps: { application: Application; result: Extract<RenderResult, { ok: true }> }[] = [];
    for (const application of env.applications) {
      if (application.renderer.kind === 'unsupported' && !application.renderer.remoteGit && !application.renderer.remoteOci) continue; // another repository's source renders once fetched
      const result = this.results.get(this.appKey(application));
      if (!result?.ok) return; // not all rendered, or a render failed (shown as such)
      apps.push({ application, result });
    }
    if (apps.length === 0) return;
    const snapshot = apps.map((a) => a.result);
    try {
      const findings = await this.environmentChecker(env, apps);
      if (snapshot.some((r, i) => this.results.get(this.appKey(apps[i].application)) !== r)) return; // superseded
      this.environmentFindings.set(key, findings);
      this.publishDiagnostics();
    } catch (e) {
      this.log.warn(`Policy check of environment ${env.name} failed: ${(e as Error).message}`);
    }
  }

  private async checkRenderedOutput(app: Application, r: Extract<RenderResult, { ok: true }>): Promise<void> {
    if (!this.renderedChecker) return;
    try {
      const findings = await this.renderedChecker(app, r);
      if (this.results.get(this.appKey(app)) !== r) return; // a newer render superseded this one
      this.renderedFindings.set(this.appKey(app), findings);
      this.publishDiagnostics();
    } catch (e) {
      this.log.warn(`Validation of the rendered ${app.environment}/${app.name} failed: ${(e as Error).message}`);
    }
  }

  get trusted(): boolean {
    return vscode.workspace.isTrusted;
  }

  /** The renderer of the workspace folder the application was discovered in. */
  private rendererFor(app: Application): ReconcileRenderer {
    const file = applicationFile(app);
    const folder =
      this.folders.find((f) => f.model.environments.some((e) => e.applications.includes(app)))?.folder ??
      (file ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)) : undefined);
    return this.folderRenderer(folder);
  }

  /** One renderer per workspace folder (its tool settings, its cache). */
  private folderRenderer(folder: vscode.WorkspaceFolder | undefined): ReconcileRenderer {
    const id = folder?.uri.toString() ?? '';
    let renderer = this.renderers.get(id);
    if (!renderer) {
      const counting: ProcessRunner = {
        run: (cmd, args, opts) => {
          this.spawnCount++;
          return spawnRunner.run(cmd, args, opts);
        },
      };
      renderer = createRenderer({ tools: toolPaths(folder), trusted: vscode.workspace.isTrusted, runner: counting, semaphore: this.renderSlots, ...(this.remoteCacheDir ? { remoteCacheDir: this.remoteCacheDir } : {}) });
      this.renderers.set(id, renderer);
    }
    return renderer;
  }

  /** The models, discovering them first if needed. Never throws: problems become model errors. */
  async models(): Promise<FolderModel[]> {
    if (!this.loading) this.loading = this.load();
    await this.loading;
    return this.folders;
  }

  /** Models as they are now, without waiting. */
  get current(): FolderModel[] {
    return this.folders;
  }

  async reload(): Promise<void> {
    this.loading = this.load();
    await this.loading;
  }

  private async load(): Promise<void> {
    const t0 = performance.now();
    const kube = await readKubeconfig(kubeconfigPaths(kubeconfigSetting()));
    const contexts = kube.contexts.map((c) => c.name);
    const folders: FolderModel[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      let repository: string;
      try {
        repository = repositoryIdentity(folder.uri.fsPath);
      } catch (e) {
        repository = `local/${folder.name}`;
        this.log.warn(`Could not read the repository of ${folder.uri.fsPath}: ${(e as Error).message}; its objects are marked ${repository}`);
      }
      try {
        // Children of app-of-apps charts are known once their parent renders (core/repo/app-of-apps.ts).
        folders.push({ folder, model: await discoverWithChildren(folder.uri.fsPath, { kubeContexts: contexts, renderer: this.folderRenderer(folder) }), repository });
      } catch (e) {
        const message = `Discovery failed in ${folder.uri.fsPath}: ${(e as Error).message}`;
        this.log.error(message);
        folders.push({ folder, model: { root: folder.uri.fsPath, environments: [], errors: [{ code: 'discovery', message }] }, repository });
      }
    }
    for (const f of folders) {
      for (const env of f.model.environments) {
        this.envFolder.set(env, f);
        for (const app of env.applications) this.appEnv.set(app, { folder: f, env });
      }
    }
    this.discoveries++;
    this.folders = folders;
    const envs = folders.flatMap((f) => f.model.environments);
    this.log.info(
      `Discovered ${counted(envs.length, 'environment')}, ${counted(envs.reduce((n, e) => n + e.applications.length, 0), 'application')} in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    // Forget results of applications that no longer exist; re-render the wanted ones that do
    // (the render cache answers unchanged ones without running a tool).
    const ids = new Set(this.applications().map((a) => this.appKey(a)));
    for (const id of [...this.results.keys()]) if (!ids.has(id)) this.results.delete(id);
    for (const id of [...this.wanted]) if (!ids.has(id)) this.wanted.delete(id);
    for (const id of [...this.renderedFindings.keys()]) if (!ids.has(id)) this.renderedFindings.delete(id);
    this.publishDiagnostics();
    this.changed.fire();
    await Promise.all(this.applications().filter((a) => this.wanted.has(this.appKey(a))).map((a) => this.render(a)));
  }

  applications(): Application[] {
    return this.folders.flatMap((f) => f.model.environments.flatMap((e) => e.applications));
  }

  /** An application by its key (appKey()), or by its id when only one folder has it. */
  findApplication(ref: string): Application | undefined {
    const apps = this.applications();
    const byKey = apps.find((a) => this.appKey(a) === ref);
    if (byKey) return byKey;
    const byId = apps.filter((a) => a.id === ref);
    return byId.length === 1 ? byId[0] : undefined;
  }

  /** An application's identity in the workspace: its folder and its id (ids are unique only within a folder). */
  appKey(app: Application): string {
    const f = this.appEnv.get(app)?.folder;
    return f ? `${f.folder.uri.toString()}#${app.id}` : app.id;
  }

  /** The key (environmentKey()) of an environment of any load. */
  keyOf(env: Environment): string {
    const f = this.envFolder.get(env);
    return f ? environmentKey(f.folder, env.name) : env.name;
  }

  /** The key of the environment an application belongs to. */
  environmentKeyOf(app: Application): string {
    const e = this.appEnv.get(app);
    return e ? environmentKey(e.folder.folder, e.env.name) : app.environment;
  }

  /** The folder (and its model and repository) an environment or application was discovered in. */
  folderOf(x: Environment | Application): FolderModel | undefined {
    return 'applications' in x ? this.envFolder.get(x) : this.appEnv.get(x)?.folder;
  }

  /** Every environment of the workspace with its key and folder. */
  environments(): Array<{ key: string; env: Environment; folder: FolderModel }> {
    return this.folders.flatMap((f) => f.model.environments.map((env) => ({ key: environmentKey(f.folder, env.name), env, folder: f })));
  }

  /**
   * The environment with this key, or with this name when exactly one folder has one of that name
   * (undefined when none has, or several: a name alone does not say which).
   */
  environment(ref: string): Environment | undefined {
    const r = this.resolveEnvironment(ref);
    return 'env' in r ? r.env : undefined;
  }

  /** Like environment(), with the candidates when a bare name is ambiguous. */
  resolveEnvironment(ref: string): { env: Environment; key: string } | { candidates: Array<{ key: string; env: Environment; folder: FolderModel }> } {
    const all = this.environments();
    const exact = all.find((e) => e.key === ref);
    if (exact) return { env: exact.env, key: exact.key };
    const named = all.filter((e) => e.env.name === ref);
    return named.length === 1 ? { env: named[0].env, key: named[0].key } : { candidates: named };
  }

  /** @deprecated by environment(): a key, or a name that only one folder has. */
  findEnvironment(ref: string): Environment | undefined {
    return this.environment(ref);
  }

  /** Every application of an environment rendered (cached renders answer at once), as one desired set. */
  renderedEnvironment(env: Environment): Promise<RenderedEnvironment> {
    return renderEnvironment(env, { renderApplication: (app) => this.render(app) });
  }

  /**
   * The environment rendered for a background job (Compare): from the renderer's cache when it can, but
   * never stored as the applications' results, so it publishes no diagnostics and fires no change — the
   * Problems view does not depend on what the user compared.
   */
  renderedEnvironmentQuietly(env: Environment): Promise<RenderedEnvironment> {
    return renderEnvironment(env, { renderApplication: (app) => this.rendererFor(app).renderApplication(app) });
  }

  /** The last render of an application, if any. */
  result(app: Application): RenderResult | undefined {
    return this.results.get(this.appKey(app));
  }

  /** Renders (or answers from the cache) and remembers that the application is wanted. */
  async render(app: Application, token?: vscode.CancellationToken, urgent = false): Promise<RenderResult> {
    const key = this.appKey(app);
    this.wanted.add(key);
    await this.logTools(app);
    const controller = new AbortController();
    const sub = token?.onCancellationRequested(() => controller.abort());
    try {
      const r = await this.rendererFor(app).renderApplication(app, { signal: controller.signal, urgent });
      if (!r.ok && r.error.code === 'aborted') return r;
      if (r.ok ? !r.cached : !r.remembered) this.renderAttempts.set(key, (this.renderAttempts.get(key) ?? 0) + 1);
      const before = this.results.get(key);
      this.scheduleRetry(key, r);
      // Changes fire only when the inputs or the kind of result changed, never because a result
      // arrived: listeners render on change (the drift service, the tree), so a result that fired
      // each time would render forever (issue #20: 1,287 renders in 5 minutes).
      // The same output again (a cache hit after a change elsewhere): keep the result we have, so
      // that work started on it (validation of the rendered output) stays current.
      if (before?.ok && r.ok && before.yaml === r.yaml) return before;
      // The same failure of the same inputs (a tool still missing, a retry that failed again, even
      // with a message that differs by a temp path): nothing changed, so nothing fires.
      if (before && !before.ok && !r.ok && sameFailure(before, r)) return before;
      this.results.set(key, r);
      if (!r.ok) {
        this.log.warn(`Render of ${app.environment}/${app.name} failed: ${r.error.message}${r.error.stderr ? `\n${r.error.stderr.trim()}` : ''}`);
        if (r.error.code === 'tool-not-found') this.notifyMissingTool(r.error.tool ?? 'kubectl', r.error.message);
      }
      if (r.ok) void this.checkRenderedOutput(app, r);
      else this.renderedFindings.delete(key);
      if (r.ok) this.scheduleEnvironmentCheck(this.environmentKeyOf(app));
      else this.environmentFindings.delete(this.environmentKeyOf(app));
      this.publishDiagnostics();
      this.renderedChanged.fire(app);
      this.changed.fire();
      return r;
    } finally {
      sub?.dispose();
    }
  }

  /** Wanted applications whose render failed: tried again when the renderer's backoff for their inputs is over. */
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private disposed = false;

  private scheduleRetry(key: string, r: RenderResult): void {
    clearTimeout(this.retryTimers.get(key));
    this.retryTimers.delete(key);
    if (r.ok || !r.retry || this.disposed) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(key);
      const app = this.findApplication(key);
      if (app && this.wanted.has(key)) void this.render(app);
    }, Math.max(0, r.retry.at - Date.now()) + 50);
    timer.unref?.();
    this.retryTimers.set(key, timer);
  }

  private readonly notifiedTools = new Set<string>();

  /** Once per tool and session: a missing tool says which, where we looked, and offers the setting. */
  private notifyMissingTool(tool: string, message: string): void {
    if (this.notifiedTools.has(tool)) return;
    this.notifiedTools.add(tool);
    const setting = tool === 'plain' ? 'reconcile.tools' : `reconcile.tools.${tool}`;
    void vscode.window.showWarningMessage(`Reconcile: ${message}`, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', setting);
      if (choice === 'Show Output') this.log.show();
    });
  }

  private async logTools(app: Application): Promise<void> {
    if (this.toolsLogged) return;
    this.toolsLogged = true;
    if (!this.trusted) {
      this.log.info('Restricted mode: kustomize and helm are not run in an untrusted workspace');
      return;
    }
    for (const name of ['kustomize-or-kubectl', 'helm'] as const) {
      const t = await this.rendererFor(app).toolVersion(name);
      if ('code' in t) this.log.warn(t.message);
      else this.log.info(`Using ${t.name} ${t.version ?? '(version unknown)'} at ${t.path} (from ${t.source === 'setting' ? 'settings' : 'PATH'})`);
    }
  }

  private fileChanged(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    if (uri.fsPath.split(path.sep).some((s) => s === 'node_modules' || s === '.git')) return;
    this.pending.add(uri.fsPath);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const files = [...this.pending];
      this.pending.clear();
      const affected = this.applications().filter((a) => files.some((f) => a.sourcePaths.includes(f)));
      this.log.info(`${counted(files.length, 'file')} changed; affected applications: ${affected.map((a) => `${a.environment}/${a.name}`).join(', ') || 'none'}`);
      void this.reload();
    }, DEBOUNCE_MS);
  }

  /** The language server's own findings (not an environment's `[env] …`), as `code:line`, per file: kept as they change. */
  private readonly serverFindings = new Map<string, Set<string>>();

  private publishTimer: NodeJS.Timeout | undefined;
  /** Opening and closing files comes in bursts (a session restore): one publish after them. */
  private publishSoon(): void {
    clearTimeout(this.publishTimer);
    this.publishTimer = setTimeout(() => this.publishDiagnostics(), 100);
  }

  /**
   * Render and discovery errors and environment findings as Problems, on the file they concern
   * (kustomization, Chart, values, the document a rendered object comes from). Files that are not open
   * get only errors and warnings (reconcile.problems.unopenedFiles, default), as Red Hat YAML does:
   * notes and hints appear once the file is opened.
   */
  private publishDiagnostics(): void {
    const scope = problemsScope();
    // Open: in an editor tab (text or either side of a diff), as the user sees it.
    const open = new Set<string>();
    for (const t of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
      const inputs = t.input instanceof vscode.TabInputText ? [t.input.uri] : t.input instanceof vscode.TabInputTextDiff ? [t.input.original, t.input.modified] : [];
      for (const u of inputs) if (u.scheme === 'file') open.add(u.fsPath);
    }
    const byFile = new Map<string, vscode.Diagnostic[]>();
    const add = (file: string | undefined, d: vscode.Diagnostic) => {
      if (!file) return;
      if (!open.has(file) && !shownUnopened(scope, d.severity)) return;
      byFile.set(file, [...(byFile.get(file) ?? []), d]);
    };
    const diagnostic = (range: SourceRange | undefined, message: string, severity: Finding['severity'], code: vscode.Diagnostic['code']) => {
      const d = new vscode.Diagnostic(range ? toRange(range) : new vscode.Range(0, 0, 0, 0), message, severityOf(severity));
      d.source = 'reconcile';
      d.code = code;
      return d;
    };
    const fromRepoError = (e: RepoError, where: string) =>
      add(e.location?.file, diagnostic(e.location?.range, `${where}${e.message}`, e.severity ?? 'error', e.code));
    this.findingFixes.clear();
    const fromFinding = (f: Finding) => {
      const d = diagnostic(f.range, f.message, f.severity, f.docs ? { value: f.code, target: vscode.Uri.parse(/^[a-z]+:/.test(f.docs) ? f.docs : docsCommandUri(f.docs)) } : f.code);
      // An environment's finding keeps its fixes (add limits, suppress for this resource…): offered as quick fixes.
      if (f.file && f.fixes?.length) this.findingFixes.set(fixKey(f.file, f.code, f.range.start.line, f.message), f.fixes);
      add(f.file, d);
    };
    // Environment and rendered findings: one per rule, place and environment; a repository policy and a
    // built-in rule that flag the same range are one problem naming both.
    const findings: Finding[] = [];
    for (const [key, list] of this.environmentFindings) if (this.environment(key)) findings.push(...list);
    for (const { model } of this.folders) for (const env of model.environments) for (const app of env.applications) findings.push(...(this.renderedFindings.get(this.appKey(app)) ?? []));
    // In an open file, the language server reports the file's own findings while it is edited: an
    // environment's copy of one (same rule, same line) is not shown twice.
    const ownFindings = this.serverFindings;
    mergeEquivalentFindings(findings)
      .filter((f) => !(f.file && ownFindings.get(f.file)?.has(`${f.code}:${f.range.start.line}`)))
      .forEach(fromFinding);
    for (const { model } of this.folders) {
      for (const e of model.errors) fromRepoError(e, '');
      for (const env of model.environments) {
        for (const e of env.errors) fromRepoError(e, `[${env.name}] `);
        for (const app of env.applications) {
          for (const e of app.errors) fromRepoError(e, applicationProblem(env.name, app.name, ''));
          const r = this.results.get(this.appKey(app));
          if (r && !r.ok && r.error.code !== 'untrusted') {
            const tool = r.error.stderr?.trim();
            const message = `${applicationProblem(env.name, app.name, r.error.message)}${tool ? `\n${tool}` : ''}`;
            add(r.error.location?.file ?? r.error.file ?? applicationFile(app), diagnostic(r.error.location?.range, message, 'error', `render:${r.error.code}`));
          }
        }
      }
    }
    this.diagnostics.clear();
    for (const [file, ds] of byFile) this.diagnostics.set(vscode.Uri.file(file), ds);
  }

  dispose(): void {
    this.disposed = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    clearTimeout(this.timer);
    clearTimeout(this.publishTimer);
    for (const t of this.environmentTimers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

/** The language server's own findings on a file (its diagnostics, not an environment's `[env] …` ones), as `code:line`. */
function serverFindingsOf(uri: vscode.Uri): Set<string> {
  const out = new Set<string>();
  for (const d of vscode.languages.getDiagnostics(uri)) {
    if (d.source !== 'reconcile' || d.message.startsWith('[')) continue;
    out.add(`${typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '')}:${d.range.start.line}`);
  }
  return out;
}

function fixKey(file: string, code: string, line: number, message: string): string {
  return `${file}\u0000${code}\u0000${line}\u0000${message}`;
}

export type ProblemsScope = 'errorsAndWarnings' | 'errors' | 'all' | 'none';

/** reconcile.problems.unopenedFiles. */
function problemsScope(): ProblemsScope {
  const v = vscode.workspace.getConfiguration('reconcile.problems').get<string>('unopenedFiles');
  return v === 'all' || v === 'errors' || v === 'none' ? v : 'errorsAndWarnings';
}

/** Whether a diagnostic of this severity is shown for a file that is not open. */
export function shownUnopened(scope: ProblemsScope, severity: vscode.DiagnosticSeverity): boolean {
  switch (scope) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'errors':
      return severity === vscode.DiagnosticSeverity.Error;
    default:
      return severity === vscode.DiagnosticSeverity.Error || severity === vscode.DiagnosticSeverity.Warning;
  }
}

/**
 * Whether two failures of an application are the same: the same kind of error from the same inputs
 * (their fingerprint, when the renderer gave one), else the same words.
 */
function sameFailure(a: Extract<RenderResult, { ok: false }>, b: Extract<RenderResult, { ok: false }>): boolean {
  if (a.error.code !== b.error.code) return false;
  if (a.inputs && b.inputs) return a.inputs === b.inputs;
  return a.error.message === b.error.message && a.error.stderr === b.error.stderr;
}

function toRange(r: SourceRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function severityOf(s: Finding['severity']): vscode.DiagnosticSeverity {
  return s === 'error' ? vscode.DiagnosticSeverity.Error : s === 'warning' ? vscode.DiagnosticSeverity.Warning : s === 'info' ? vscode.DiagnosticSeverity.Information : vscode.DiagnosticSeverity.Hint;
}
