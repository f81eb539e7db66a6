// Starts the Reconcile language server (dist/server.js) in its own process and keeps it alive:
// if it dies it restarts, and says so once in the Output channel, never in a loop of popups.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
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

const MAX_RESTARTS = 5;

export class ReconcileLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private restarts = 0;
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
          this.restarts++;
          if (this.restarts > MAX_RESTARTS) {
            this.log.error(`The Reconcile language server stopped ${this.restarts} times; it is not restarted again. Reload the window to try again.`);
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

  async dispose(): Promise<void> {
    await this.client?.stop().catch(() => {});
  }
}

/** What the server needs of the settings (see docs/settings.md). */
export function settingsForServer(): { kubernetesVersion?: string; deferSchemaGlobs: string[] } {
  const c = vscode.workspace.getConfiguration('reconcile');
  const redHat = vscode.extensions.getExtension('redhat.vscode-yaml');
  const defer = c.get<string>('schema.redHatYaml', 'defer') === 'defer' && redHat !== undefined;
  return {
    kubernetesVersion: c.get<string>('kubernetesVersion') || undefined,
    deferSchemaGlobs: defer ? redHatKubernetesGlobs(vscode.workspace.getConfiguration('yaml').get('schemas')) : [],
  };
}
