// `reconcile drift`: the drift of one environment, for cron jobs and CI schedules. The same engine as
// the editor: discover → render every application → LIST the cluster → compare → report.
// Exit codes: 0 in sync; 1 drifted, missing or not in Git; 2 when drift could not be verified (usage
// error, a render failure, the cluster cannot be read, or some resources may not be read).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectToContext, isClusterError, kubeconfigPaths, readKubeconfig, type ClusterClient } from '../core/cluster';
import { checkEnvironmentDrift, driftExitCode, driftReport, ownershipOf, renderEnvironment, type EnvironmentDriftReport } from '../core/drift';
import { createRenderer } from '../core/render';
import { discover } from '../core/repo';
import { oneOf, parseArgs, UsageError } from './args';
import { EXIT, toolsFrom, type Io } from './main';

const OPTIONS = {
  env: 'value',
  context: 'value',
  format: 'value',
  strategy: 'value',
  output: 'value',
  kubectl: 'value',
  kustomize: 'value',
  helm: 'value',
  kubeconfig: 'value',
} as const;

/** Connectivity failures: nothing about any resource can be said. */
const OUTAGE = new Set(['unreachable', 'dns', 'tls', 'unauthorized', 'timeout', 'disconnected', 'server', 'config', 'protocol']);

export async function driftCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  const last = (name: string) => args.options.get(name)?.at(-1);
  const format = oneOf(args, 'format', ['text', 'json', 'md'] as const, 'text');
  const strategy = oneOf(args, 'strategy', ['local', 'server-side'] as const, 'local');
  const envName = last('env');
  if (!envName) throw new UsageError('drift needs --env E');
  if (args.positionals.length > 1) throw new UsageError(`expected at most one path, got ${args.positionals.join(' ')}`);
  const root = path.resolve(io.cwd, args.positionals[0] ?? '.');
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`no such folder: ${root}`);

  const files = kubeconfigPaths(last('kubeconfig'), io.env);
  const kube = await readKubeconfig(files);
  const model = await discover(root, { kubeContexts: kube.contexts.map((c) => c.name) });
  const env = model.environments.find((e) => e.name === envName);
  if (!env) throw new UsageError(`no environment '${envName}' (found: ${model.environments.map((e) => e.name).join(', ') || 'none'})`);
  const context = last('context') ?? env.context;
  if (!context) {
    throw new UsageError(`environment '${env.name}' has no cluster context: pass --context C, or set \`context:\` for it in .reconcile.yaml`);
  }
  const fail = (message: string): number => {
    io.err.write(`reconcile: ${message}\n`);
    return EXIT.error;
  };
  if (env.applications.length === 0) return fail(`environment '${env.name}' has no applications: there is nothing to compare`);

  let client: ClusterClient;
  try {
    client = await connectToContext({ files, context });
  } catch (e) {
    if (isClusterError(e)) return fail(files.some((f) => e.message.includes(f)) ? e.message : `${e.message} (${files.join(', ')})`);
    throw e;
  }
  try {
    // One cheap request first: an unreachable or misconfigured cluster is one clear line, before rendering.
    try {
      await client.resources('', 'v1');
    } catch (e) {
      if (isClusterError(e)) return fail(`cannot read the cluster of ${env.name} (context ${context}): ${e.message}`);
      throw e;
    }

    const renderer = createRenderer({ tools: toolsFrom(args, io.env), trusted: true, env: io.env });
    const rendered = await renderEnvironment(env, renderer);
    if (rendered.failures.length > 0) {
      for (const f of rendered.failures) {
        io.err.write(`reconcile: ${env.name}/${f.application.name}: ${f.error.message}\n${f.error.stderr ? `${f.error.stderr.trimEnd()}\n` : ''}`);
      }
      return fail(`drift of ${env.name} not checked: ${rendered.failures.length} application${rendered.failures.length === 1 ? '' : 's'} did not render`);
    }

    const contextNamespace = kube.contexts.find((c) => c.name === context)?.namespace;
    let report: EnvironmentDriftReport;
    try {
      report = await checkEnvironmentDrift(client, rendered.set, {
        environment: env.name,
        context,
        ignoreRules: model.config?.ignore,
        ownership: ownershipOf(env),
        strategy,
        defaultNamespace: env.namespaces[0] ?? contextNamespace ?? 'default',
      });
    } catch (e) {
      if (isClusterError(e)) return fail(`cannot read the cluster of ${env.name} (context ${context}): ${e.message}`);
      throw e;
    }

    const outage = wholeOutage(report);
    if (outage) return fail(`cannot read the cluster of ${env.name} (context ${context}): ${outage}`);

    const text = driftReport(report, format);
    const output = last('output');
    if (output) fs.writeFileSync(path.resolve(io.cwd, output), text);
    else io.out.write(text);
    return driftExitCode(report);
  } finally {
    client.dispose();
  }
}

/**
 * When no resource could be read at all — the cluster went away mid-run, or the credentials may read
 * none of the environment's kinds — the one line that says why; a report would only repeat it.
 */
function wholeOutage(report: EnvironmentDriftReport): string | undefined {
  const unknown = report.results.filter((r) => r.status === 'unknown');
  if (report.results.length === 0 || unknown.length !== report.results.length) return undefined;
  const reasons = unknown.map((r) => (r as Extract<typeof r, { status: 'unknown' }>).reason);
  const outage = reasons.find((r) => OUTAGE.has(r.kind));
  if (outage) return outage.message;
  if (reasons.every((r) => r.kind === 'forbidden')) {
    return `no permission to read any of its ${report.results.length} resources (e.g. ${reasons[0].message})`;
  }
  return undefined;
}
