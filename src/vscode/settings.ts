// One documented path from each setting in package.json to where it is used (see docs/settings.md).
// In an untrusted workspace VS Code itself drops workspace values of the settings listed under
// capabilities.untrustedWorkspaces.restrictedConfigurations, so reading them here is safe.
import * as vscode from 'vscode';
import { resolveToolPaths, type ToolPaths } from '../core/render';

/**
 * reconcile.tools.*, as absolute paths: a relative path is taken from `folder` (the workspace folder
 * whose repository is rendered), and only in a trusted workspace — an untrusted repository must not
 * pick the executable that runs. Without a folder, or untrusted, a relative path stays relative and
 * the renderer says why it is not used.
 */
export function toolPaths(folder?: vscode.WorkspaceFolder): ToolPaths {
  const c = vscode.workspace.getConfiguration('reconcile.tools', folder?.uri);
  const get = (k: string) => c.get<string>(k)?.trim() || undefined;
  const base = folder && folder.uri.scheme === 'file' && vscode.workspace.isTrusted ? folder.uri.fsPath : undefined;
  return resolveToolPaths({ kubectl: get('kubectl'), kustomize: get('kustomize'), helm: get('helm') }, base);
}

export function kubeconfigSetting(): string | undefined {
  return vscode.workspace.getConfiguration('reconcile').get<string>('kubeconfig')?.trim() || undefined;
}

/** Settings whose change means: locate the tools again and re-render. */
export const TOOL_SETTINGS = ['reconcile.tools'];
