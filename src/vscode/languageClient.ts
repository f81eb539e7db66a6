// Starts the Reconcile language server (dist/server.js) in its own process and keeps it alive:
// if it dies it restarts, and says so once in the Output channel, never in a loop of popups. One that
// dies more than 5 times within 3 minutes is not restarted (vscode-eslint's rule, core/util/crash-window).
// stop() is what deactivate() returns, so VS Code waits for the server to shut down.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { OutputLog } from './log';
import { redHatKubernetesGlobs } from '../core/schema/deferral';
import type { Application, Environment } from '../core/repo';
import type { RenderResult } from '../core/render';
import type { Finding } from '../core/findings';
import type { ClusterSettings } from './clusterSettings';
import { CrashWindow } from '../core/util/crash-window';

export class ReconcileLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly crashes = new CrashWindow({ max: 5, windowMs: 3 * 60_000 });
  private toldRestart = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: OutputLog,
    /** Where schemas served by clusters are cached (the extension's global storage). */
    private readonly storageDir: string,
    private readonly cluster: () => Promise<ClusterSettings>,
  ) {}

  /** The running client (tests read its state). */
  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  async start(): Promise<void> {
    if (this.client) return;
    const module = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'yaml' }],
      // Changes to .reconcile.yaml and the repository's policies, even when they are not open.
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}') },
      outputChannel: this.log.channel,
      initializationOptions: { ...settingsForServer(), storageDir: this.storageDir, cluster: await this.cluster() },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
        closed: (): CloseHandlerResult => {
          if (!this.crashes.crashed()) {
            this.log.error(
              `The Reconcile language server stopped ${this.crashes.recent} times within ${this.crashes.windowMs / 60_000} minutes; it is not restarted again. Reload the window to try again.`,
            );
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          if (!this.toldRestart) {
            this.toldRestart = true;
            this.log.warn('The Reconcile language server stopped unexpectedly and was restarted.');
          }
          return { action: CloseAction.Restart, handled: true };
        },
      },
    };
    this.client = new LanguageClient('reconcile', 'Reconcile Language Server', serverOptions, clientOptions);
    await this.client.start();
    this.log.info('Reconcile language server started');
  }

  /** Validates an application's rendered output in the server; findings are placed on the repository's files. */
  async checkRendered(app: Application, result: Extract<RenderResult, { ok: true }>): Promise<Finding[]> {
    const client = this.client;
    if (!client?.isRunning()) return [];
    const documents = result.documents.map((d) => ({ range: d.range, source: d.source, id: d.id }));
    return client.sendRequest<Finding[]>('reconcile/checkRendered', { environment: app.environment, app, yaml: result.yaml, documents });
  }

  /** Policies over a whole rendered environment (every application rendered). */
  async checkEnvironmentPolicies(env: Environment, apps: { application: Application; result: Extract<RenderResult, { ok: true }> }[]): Promise<Finding[]> {
    const client = this.client;
    if (!client?.isRunning()) return [];
    return client.sendRequest<Finding[]>('reconcile/checkEnvironmentPolicies', {
      environment: { name: env.name, protected: env.protected, namespaces: env.namespaces },
      apps: apps.map((a) => ({ application: a.application, documents: a.result.documents })),
    });
  }

  /** Asks the clusters for their schemas again (after installing CRDs, say). */
  async refreshClusterSchemas(): Promise<void> {
    if (!this.client?.isRunning()) return;
    await this.client.sendNotification('reconcile/refreshClusterSchemas');
  }

  /** The kubeconfig, the current context or the environments changed. */
  async clusterChanged(): Promise<void> {
    if (!this.client?.isRunning()) return;
    await this.client.sendNotification('reconcile/cluster', await this.cluster());
  }

  async settingsChanged(): Promise<void> {
    await this.client?.sendNotification('reconcile/settings', settingsForServer());
  }

  /** Stops the server and waits until it has (deactivate() returns this). */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client || client.state === State.Stopped) return;
    await client.stop().catch((e: Error) => this.log.warn(`The Reconcile language server did not stop cleanly: ${e?.message ?? e}`));
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}

/** What the server needs of the settings (see docs/settings.md). */
export function settingsForServer(): { kubernetesVersion?: string; deferSchemaGlobs: string[]; trusted: boolean } {
  const c = vscode.workspace.getConfiguration('reconcile');
  const redHat = vscode.extensions.getExtension('redhat.vscode-yaml');
  const defer = c.get<string>('schema.redHatYaml', 'defer') === 'defer' && redHat !== undefined;
  return {
    kubernetesVersion: c.get<string>('kubernetesVersion') || undefined,
    deferSchemaGlobs: defer ? redHatKubernetesGlobs(vscode.workspace.getConfiguration('yaml').get('schemas')) : [],
    // Schemas named by modelines are fetched only in a trusted workspace.
    trusted: vscode.workspace.isTrusted,
  };
}
