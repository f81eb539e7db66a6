// What several commands share: the tool paths from the command line and the environment, and the
// repository model of the path argument. Loaded only by the commands that need them (see main.ts).
import { discoverWithChildren, type RepoModel } from '../core/repo';
import { createRenderer, resolveToolPaths, type ToolPaths } from '../core/render';
import { kubeconfigPaths, readKubeconfig } from '../core/cluster/kubeconfig';
import { pathArgument, type parseArgs } from './args';
import type { Io } from './main';

export const TOOL_OPTS = { kubectl: 'value', kustomize: 'value', helm: 'value', kubeconfig: 'value' } as const;

export async function loadModel(args: ReturnType<typeof parseArgs>, io: Io, command: string, rootDir?: string): Promise<RepoModel> {
  const root = rootDir ?? pathArgument(args, io.cwd, command).path;
  const kube = await readKubeconfig(kubeconfigPaths(args.options.get('kubeconfig')?.at(-1), io.env));
  // Children of app-of-apps charts are known once their parent renders (core/repo/app-of-apps.ts).
  const renderer = createRenderer({ tools: toolsFrom(args, io.env, io.cwd), trusted: true, env: io.env });
  return discoverWithChildren(root, { kubeContexts: kube.contexts.map((c) => c.name), renderer });
}

/** --kubectl/--kustomize/--helm, else $RECONCILE_KUBECTL…; a relative path is taken from the working directory. */
export function toolsFrom(args: ReturnType<typeof parseArgs>, env: NodeJS.ProcessEnv, cwd = process.cwd()): ToolPaths {
  return resolveToolPaths(
    {
      kubectl: args.options.get('kubectl')?.at(-1) ?? env.RECONCILE_KUBECTL,
      kustomize: args.options.get('kustomize')?.at(-1) ?? env.RECONCILE_KUSTOMIZE,
      helm: args.options.get('helm')?.at(-1) ?? env.RECONCILE_HELM,
    },
    cwd,
  );
}
