// What `reconcile drift` and `reconcile plan` both need before they compare anything: the environment
// from the repository, its kubeconfig context, a client that has answered once (so an unreachable or
// misconfigured cluster is one clear line, before any render), and the environment rendered.
import { connectToContext, isClusterError, kubeconfigPaths, readKubeconfig, type ClusterClient } from '../core/cluster';
import { renderEnvironment, type RenderedEnvironment } from '../core/drift';
import { createRenderer } from '../core/render';
import { discoverWithChildren, type Environment, type RepoModel } from '../core/repo';
import { InputError, pathArgument, type parseArgs, UsageError } from './args';
import { EXIT, type Io } from './main';
import { toolsFrom } from './tools';

export interface ClusterEnvironment {
  root: string;
  model: RepoModel;
  env: Environment;
  context: string;
  client: ClusterClient;
  /** Namespace of namespaced objects that name none: the environment's, else the context's, else `default`. */
  defaultNamespace: string;
  rendered: RenderedEnvironment;
}

/** Writes `reconcile: <message>` and returns exit code 2. */
export function fail(io: Io, message: string): number {
  io.err.write(`reconcile: ${message}\n`);
  return EXIT.error;
}

/**
 * Opens the environment named by `--env` in `[path]` and its cluster (`--context`, else the one
 * `.reconcile.yaml` maps it to; `--kubeconfig`, else $KUBECONFIG / ~/.kube/config), then renders it.
 * Usage mistakes throw UsageError, a missing folder or environment InputError; a cluster that cannot
 * be used returns exit code 2 after saying why.
 * The caller disposes `client`.
 */
export async function openClusterEnvironment(command: string, args: ReturnType<typeof parseArgs>, io: Io): Promise<ClusterEnvironment | number> {
  const last = (name: string) => args.options.get(name)?.at(-1);
  const envName = last('env');
  if (!envName) throw new UsageError(`${command} needs --env E`);
  const root = pathArgument(args, io.cwd, command).path;
  const files = kubeconfigPaths(last('kubeconfig'), io.env);
  const kube = await readKubeconfig(files);
  // One renderer for discovery (app-of-apps parents) and the environment: tool versions are asked once, a parent renders once.
  const renderer = createRenderer({ tools: toolsFrom(args, io.env, io.cwd), trusted: true, env: io.env });
  const model = await discoverWithChildren(root, { kubeContexts: kube.contexts.map((c) => c.name), renderer });
  const env = model.environments.find((e) => e.name === envName);
  if (!env) throw new InputError(`no environment '${envName}' (found: ${model.environments.map((e) => e.name).join(', ') || 'none'})`);
  const context = last('context') ?? env.context;
  if (!context) throw new InputError(`environment '${env.name}' has no cluster context: pass --context C, or set \`context:\` for it in .reconcile.yaml`);
  if (env.applications.length === 0) return fail(io, `environment '${env.name}' has no applications: there is nothing to ${command}`);

  let client: ClusterClient;
  try {
    client = await connectToContext({ files, context });
  } catch (e) {
    if (isClusterError(e)) return fail(io, files.some((f) => e.message.includes(f)) ? e.message : `${e.message} (${files.join(', ')})`);
    throw e;
  }
  try {
    // One cheap request first: an unreachable or misconfigured cluster is one clear line, before rendering.
    await client.resources('', 'v1');
  } catch (e) {
    client.dispose();
    if (isClusterError(e)) return fail(io, `cannot read the cluster of ${env.name} (context ${context}): ${e.message}`);
    throw e;
  }
  const rendered = await renderEnvironment(env, renderer);
  for (const f of rendered.failures) {
    io.err.write(`reconcile: ${env.name}/${f.application.name}: ${f.error.message}\n${f.error.stderr ? `${f.error.stderr.trimEnd()}\n` : ''}`);
  }
  const contextNamespace = kube.contexts.find((c) => c.name === context)?.namespace;
  return { root, model, env, context, client, defaultNamespace: env.namespaces[0] ?? contextNamespace ?? 'default', rendered };
}
