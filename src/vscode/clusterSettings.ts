// What the language server needs to load schemas from clusters: the kubeconfig in effect, the
// current context, and which files belong to an environment with a (known) context.
import { existsSync } from 'node:fs';
import { kubeconfigPaths, readKubeconfig } from '../core/cluster/kubeconfig';
import { connectToContext, type HttpClusterClient } from '../core/cluster';
import type { WorkspaceRepo } from './workspaceRepo';
import { kubeconfigSetting } from './settings';

export interface ClusterSettings {
  /** Every kubeconfig file in effect: the language server merges them as kubectl does. */
  kubeconfigFiles?: string[];
  currentContext?: string;
  fileContexts: Record<string, string>;
}

export async function clusterSettings(repo: WorkspaceRepo): Promise<ClusterSettings> {
  const files = kubeconfigPaths(kubeconfigSetting()).filter((f) => existsSync(f));
  if (files.length === 0) return { fileContexts: {} };
  const kube = await readKubeconfig(files);
  const known = new Set(kube.contexts.map((c) => c.name));
  const fileContexts: Record<string, string> = {};
  for (const { model } of repo.current) {
    for (const env of model.environments) {
      if (!env.context || !known.has(env.context)) continue;
      for (const app of env.applications) for (const p of app.sourcePaths) fileContexts[p] ??= env.context;
    }
  }
  return { kubeconfigFiles: files, currentContext: kube.currentContext && known.has(kube.currentContext) ? kube.currentContext : undefined, fileContexts };
}

/** A client for a kubeconfig context, from the kubeconfig in effect (the setting, else $KUBECONFIG, else ~/.kube/config). */
export function connectToKubeContext(context: string | undefined): Promise<HttpClusterClient> {
  return connectToContext({ files: kubeconfigPaths(kubeconfigSetting()), context, userAgent: 'reconcile-vscode' });
}
