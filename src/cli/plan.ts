// `reconcile plan`: what a sync of one environment would do, as the cluster itself says (server-side
// dry-run of every resource): create, update field by field, unchanged, failed with the server's
// message, and prune candidates. The same engine as the extension's Plan view.
// Exit codes: 0 nothing to change; 1 something to create, update or prune; 2 an error, or a dry-run
// that failed (the plan cannot be trusted for that resource).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectToContext, isClusterError, kubeconfigPaths, readKubeconfig, type ClusterClient } from '../core/cluster';
import { ownershipOf, renderEnvironment } from '../core/drift';
import { createRenderer } from '../core/render';
import { discover } from '../core/repo';
import { planEnvironment, planExitCode, planJson, planMarkdown, planText, PlanRenderError, type Plan } from '../core/sync';
import { oneOf, parseArgs, UsageError } from './args';
import { EXIT, toolsFrom, type Io } from './main';

const OPTIONS = {
  env: 'value',
  context: 'value',
  format: 'value',
  output: 'value',
  concurrency: 'value',
  kubectl: 'value',
  kustomize: 'value',
  helm: 'value',
  kubeconfig: 'value',
} as const;

export async function planCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  const last = (name: string) => args.options.get(name)?.at(-1);
  const format = oneOf(args, 'format', ['text', 'md', 'json'] as const, 'text');
  const envName = last('env');
  if (!envName) throw new UsageError('plan needs --env E');
  if (args.positionals.length > 1) throw new UsageError(`expected at most one path, got ${args.positionals.join(' ')}`);
  const concurrencyText = last('concurrency');
  const concurrency = concurrencyText === undefined ? undefined : Number(concurrencyText);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw new UsageError(`--concurrency must be a whole number from 1 to 64 (got '${concurrencyText}')`);
  const root = path.resolve(io.cwd, args.positionals[0] ?? '.');
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`no such folder: ${root}`);

  const files = kubeconfigPaths(last('kubeconfig'), io.env);
  const kube = await readKubeconfig(files);
  const model = await discover(root, { kubeContexts: kube.contexts.map((c) => c.name) });
  const env = model.environments.find((e) => e.name === envName);
  if (!env) throw new UsageError(`no environment '${envName}' (found: ${model.environments.map((e) => e.name).join(', ') || 'none'})`);
  const context = last('context') ?? env.context;
  if (!context) throw new UsageError(`environment '${env.name}' has no cluster context: pass --context C, or set \`context:\` for it in .reconcile.yaml`);
  const fail = (message: string): number => {
    io.err.write(`reconcile: ${message}\n`);
    return EXIT.error;
  };
  if (env.applications.length === 0) return fail(`environment '${env.name}' has no applications: there is nothing to plan`);

  let client: ClusterClient;
  try {
    client = await connectToContext({ files, context });
  } catch (e) {
    if (isClusterError(e)) return fail(`${e.message} (${files.join(', ')})`);
    throw e;
  }
  try {
    try {
      await client.resources('', 'v1');
    } catch (e) {
      if (isClusterError(e)) return fail(`cannot reach the cluster of ${env.name} (context ${context}): ${e.message}`);
      throw e;
    }
    const renderer = createRenderer({ tools: toolsFrom(args, io.env), trusted: true, env: io.env });
    const rendered = await renderEnvironment(env, renderer);
    for (const f of rendered.failures) {
      io.err.write(`reconcile: ${env.name}/${f.application.name}: ${f.error.message}\n${f.error.stderr ? `${f.error.stderr.trimEnd()}\n` : ''}`);
    }
    const contextNamespace = kube.contexts.find((c) => c.name === context)?.namespace;
    let plan: Plan;
    try {
      plan = await planEnvironment(client, rendered, {
        environment: env.name,
        context,
        ownership: ownershipOf(env),
        ignoreRules: model.config?.ignore,
        defaultNamespace: env.namespaces[0] ?? contextNamespace ?? 'default',
        ...(concurrency ? { concurrency } : {}),
      });
    } catch (e) {
      if (e instanceof PlanRenderError) return fail(`no plan for ${env.name}: ${e.failures.length} application${e.failures.length === 1 ? '' : 's'} did not render (${e.failures.map((f) => f.application).join(', ')})`);
      if (isClusterError(e)) return fail(`cannot plan ${env.name} (context ${context}): ${e.message}`);
      throw e;
    }
    const text = format === 'json' ? planJson(plan, { root }) : format === 'md' ? planMarkdown(plan, { root }) : planText(plan, { root });
    const output = last('output');
    if (output) fs.writeFileSync(path.resolve(io.cwd, output), text);
    else io.out.write(text);
    return planExitCode(plan);
  } finally {
    client.dispose();
  }
}
