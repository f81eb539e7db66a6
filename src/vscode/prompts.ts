// Every question Reconcile asks before it changes a cluster or Git goes through here. In normal use
// these are VS Code's own dialogs; the integration tests script the answers (the test seam) and check
// which questions were asked, so no confirmation is ever skipped in a test.
import * as vscode from 'vscode';

export type Question =
  | { kind: 'message'; message: string; detail?: string; modal: boolean; severity: 'info' | 'warning' | 'error'; items: string[] }
  | { kind: 'pick'; placeHolder?: string; items: string[] }
  | { kind: 'input'; prompt?: string; placeHolder?: string };

/** A scripted answer: a message/pick answer is the chosen item's label; an input answer the text. `undefined` cancels. */
export type Answer = string | undefined | ((q: Question) => string | undefined);

export class Prompts {
  /** Every question asked, in order (tests read it). */
  readonly asked: Question[] = [];
  private readonly script: Answer[] = [];

  /** Tests: answer the next questions with these (then the real UI again). */
  answer(...answers: Answer[]): void {
    this.script.push(...answers);
  }

  /** Tests: drops answers not used (so they cannot leak into the next test). */
  reset(): void {
    this.script.length = 0;
  }

  /** Tests: answers not used yet. */
  get pending(): number {
    return this.script.length;
  }

  private scripted(q: Question): { used: boolean; value: string | undefined } {
    this.asked.push(q);
    if (this.script.length === 0) return { used: false, value: undefined };
    const a = this.script.shift();
    return { used: true, value: typeof a === 'function' ? a(q) : a };
  }

  /** A message with buttons; resolves with the chosen button, undefined when dismissed. */
  async message(severity: 'info' | 'warning' | 'error', message: string, opts: { modal?: boolean; detail?: string } = {}, ...items: string[]): Promise<string | undefined> {
    const s = this.scripted({ kind: 'message', message, detail: opts.detail, modal: !!opts.modal, severity, items });
    if (s.used) return s.value;
    const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    return show(message, { modal: !!opts.modal, detail: opts.detail }, ...items);
  }

  async pick<T extends vscode.QuickPickItem>(items: T[], opts: vscode.QuickPickOptions = {}): Promise<T | undefined> {
    const s = this.scripted({ kind: 'pick', placeHolder: opts.placeHolder, items: items.map((i) => i.label) });
    if (s.used) return s.value === undefined ? undefined : items.find((i) => i.label === s.value || i.label.includes(s.value!));
    return vscode.window.showQuickPick(items, opts);
  }

  async input(opts: vscode.InputBoxOptions): Promise<string | undefined> {
    const s = this.scripted({ kind: 'input', prompt: opts.prompt, placeHolder: opts.placeHolder });
    if (s.used) {
      const err = s.value !== undefined && opts.validateInput ? await opts.validateInput(s.value) : undefined;
      return err ? undefined : s.value;
    }
    return vscode.window.showInputBox(opts);
  }
}
