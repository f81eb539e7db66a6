// `reconcile plan`: what a sync of one environment would do, as the cluster itself says (server-side
// dry-run of every resource): create, update field by field, unchanged, failed with the server's
// message, and prune candidates. The same engine as the extension's Plan view.
// Exit codes: 0 nothing to change; 1 something to create, update or prune; 2 an error, or a dry-run
// that failed (the plan cannot be trusted for that resource).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isClusterError } from '../core/cluster';
import { ownershipOf, repositoryIdentity } from '../core/drift';
import { planEnvironment, planExitCode, planJson, planMarkdown, planText, PlanRenderError, type Plan } from '../core/sync';
import { oneOf, parseArgs, UsageError } from './args';
import { fail, openClusterEnvironment } from './cluster-env';
import type { Io } from './main';

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
  const concurrencyText = last('concurrency');
  const concurrency = concurrencyText === undefined ? undefined : Number(concurrencyText);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw new UsageError(`--concurrency must be a whole number from 1 to 64 (got '${concurrencyText}')`);
  const opened = await openClusterEnvironment('plan', args, io);
  if (typeof opened === 'number') return opened;
  const { root, model, env, context, client, rendered, defaultNamespace } = opened;
  try {
    let plan: Plan;
    try {
      plan = await planEnvironment(client, rendered, {
        environment: env.name,
        context,
        ownership: ownershipOf(env, repositoryIdentity(root)),
        ignoreRules: model.config?.ignore,
        defaultNamespace,
        ...(concurrency ? { concurrency } : {}),
      });
    } catch (e) {
      if (e instanceof PlanRenderError) return fail(io, `no plan for ${env.name}: ${e.failures.length} application${e.failures.length === 1 ? '' : 's'} did not render (${e.failures.map((f) => f.application).join(', ')})`);
      if (isClusterError(e)) return fail(io, `cannot plan ${env.name} (context ${context}): ${e.message}`);
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
