// Wiring only: build the services, register views, commands and providers. No domain logic here;
// everything heavy is created lazily so that activation stays far below 50 ms.
import * as vscode from 'vscode';
import { OutputLog } from './vscode/log';
import { EnvironmentsView } from './vscode/environmentsView';
import { registerCommands } from './vscode/commands';

/** What the extension returns from activate(): a small, stable surface used by the integration tests and benches. */
export interface ReconcileApi {
  /** Milliseconds from the entry of activate() to its return, measured with performance.now(). */
  readonly activationMs: number;
  readonly environments: EnvironmentsView;
}

export function activate(context: vscode.ExtensionContext): ReconcileApi {
  const t0 = performance.now();
  const log = new OutputLog();
  const environments = new EnvironmentsView(log);
  context.subscriptions.push(
    log,
    environments,
    vscode.window.registerTreeDataProvider('reconcile.environments', environments),
    ...registerCommands({ log, environments, extensionUri: context.extensionUri }),
  );
  const activationMs = performance.now() - t0;
  log.info(`Reconcile ${context.extension.packageJSON.version} activated in ${activationMs.toFixed(1)} ms`);
  return { activationMs, environments };
}

export function deactivate(): void {
  // Disposables registered in context.subscriptions are released by VS Code.
}
