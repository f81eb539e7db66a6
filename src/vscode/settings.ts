// One documented path from each setting in package.json to where it is used (see docs/settings.md).
// In an untrusted workspace VS Code itself drops workspace values of the settings listed under
// capabilities.untrustedWorkspaces.restrictedConfigurations, so reading them here is safe.
import * as vscode from 'vscode';
import type { ToolPaths } from '../core/render';

export function toolPaths(): ToolPaths {
  const c = vscode.workspace.getConfiguration('reconcile.tools');
  const get = (k: string) => c.get<string>(k)?.trim() || undefined;
  return { kubectl: get('kubectl'), kustomize: get('kustomize'), helm: get('helm') };
}

export function kubeconfigSetting(): string | undefined {
  return vscode.workspace.getConfiguration('reconcile').get<string>('kubeconfig')?.trim() || undefined;
}

/** Settings whose change means: locate the tools again and re-render. */
export const TOOL_SETTINGS = ['reconcile.tools'];
