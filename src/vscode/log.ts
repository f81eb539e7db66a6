import * as vscode from 'vscode';

/** The "Reconcile" Output channel. Everything the extension does that a user may want to audit goes here. */
export class OutputLog implements vscode.Disposable {
  /** The underlying channel, shared with the language client. */
  readonly channel = vscode.window.createOutputChannel('Reconcile', { log: true });

  /** The last lines written at any level (bounded), for tests and bug reports. */
  readonly recent: string[] = [];
  /** Lines written since activation, at any level (a cheap observable for tests: a loop shows as a count that keeps growing). */
  lines = 0;

  info(message: string): void {
    this.keep(message);
    this.channel.info(message);
  }
  private keep(text: string): void {
    this.lines++;
    this.recent.push(text);
    if (this.recent.length > 300) this.recent.shift();
  }
  /** The last warnings and errors written (bounded), for tests and for "say it once" decisions. */
  readonly problems: string[] = [];

  warn(message: string): void {
    this.remember(message);
    this.channel.warn(message);
  }
  error(message: string | Error): void {
    const text = message instanceof Error ? (message.stack ?? message.message) : message;
    this.remember(text);
    this.channel.error(text);
  }
  private remember(text: string): void {
    this.keep(text);
    this.problems.push(text);
    if (this.problems.length > 200) this.problems.shift();
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
