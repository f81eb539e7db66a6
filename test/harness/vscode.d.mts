// Types of test/harness/vscode.mjs for the TypeScript callers (benches).
import type { Page } from 'playwright-core';
import type { ChildProcess } from 'node:child_process';

export interface StartVSCodeOptions {
  workspace: string;
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  vsix?: string;
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
  trust?: boolean;
  browser?: boolean;
  port?: number;
  log?: (line: string) => void;
}

export interface RunningVSCode {
  url: string;
  port: number;
  dir: string;
  page?: Page;
  server: ChildProcess;
  waitForExit(timeoutMs: number): Promise<number | 'timeout'>;
  serveScreenshots(): () => void;
  screenshotDir: string;
  serverLog(): string;
  consoleLog(): string;
  serverExited: Promise<unknown>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number>;
export function startVSCode(o: StartVSCodeOptions): Promise<RunningVSCode>;
