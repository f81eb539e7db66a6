// Helpers shared by the integration suites (they run inside the real VS Code extension host).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReconcileApi } from '../../src/extension';

export const EXTENSION_ID = 'reconcile-dev.reconcile';

export async function activateExtension(): Promise<ReconcileApi> {
  const ext = vscode.extensions.getExtension<ReconcileApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Asks the harness (outside the extension host) to take a screenshot of the browser page; resolves with its path. */
export async function screenshot(name: string, timeoutMs = 15_000): Promise<string> {
  const dir = process.env.RECONCILE_TEST_SCREENSHOTS;
  if (!dir) throw new Error('RECONCILE_TEST_SCREENSHOTS is not set');
  const png = path.join(dir, `${name}.png`);
  fs.rmSync(png, { force: true });
  fs.writeFileSync(path.join(dir, `${name}.req`), '');
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(png)) {
    if (Date.now() > deadline) throw new Error(`screenshot ${name} not taken within ${timeoutMs} ms`);
    await sleep(100);
  }
  return png;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns a truthy value. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the harness passes it to the extension host`);
  return v;
}

/**
 * A path for a file a test creates: under `.scratch/` of the workspace, a hidden folder that
 * discovery skips, so scratch files never add environments that other suites would see.
 */
export function scratchFile(name: string): string {
  const dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.scratch');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
