import * as vscode from 'vscode';

/** The "Reconcile" Output channel. Everything the extension does that a user may want to audit goes here. */
export class OutputLog implements vscode.Disposable {
  /** The underlying channel, shared with the language client. */
  readonly channel = vscode.window.createOutputChannel('Reconcile', { log: true });

  info(message: string): void {
    this.channel.info(message);
  }
  warn(message: string): void {
    this.channel.warn(message);
  }
  error(message: string | Error): void {
    this.channel.error(message instanceof Error ? (message.stack ?? message.message) : message);
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
