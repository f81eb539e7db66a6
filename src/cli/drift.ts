// `reconcile drift`: the drift of one environment, for cron jobs and CI schedules. The same engine as
// the editor: discover → render every application → LIST the cluster → compare → report.
// Exit codes: 0 in sync; 1 drifted, missing or not in Git; 2 when drift could not be verified (usage
// error, a render failure, the cluster cannot be read, or some resources may not be read).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isClusterError } from '../core/cluster';
import { checkEnvironmentDrift, driftExitCode, driftReport, ownershipOf, repositoryIdentity, type EnvironmentDriftReport } from '../core/drift';
import { oneOf, parseArgs } from './args';
import { fail, openClusterEnvironment } from './cluster-env';
import type { Io } from './main';

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
  const opened = await openClusterEnvironment('drift', args, io);
  if (typeof opened === 'number') return opened;
  const { root, model, env, context, client, rendered, defaultNamespace } = opened;
  try {
    if (rendered.failures.length > 0) {
      return fail(io, `drift of ${env.name} not checked: ${rendered.failures.length} application${rendered.failures.length === 1 ? '' : 's'} did not render`);
    }
    let report: EnvironmentDriftReport;
    try {
      report = await checkEnvironmentDrift(client, rendered.set, {
        environment: env.name,
        context,
        ignoreRules: model.config?.ignore,
        ownership: ownershipOf(env, repositoryIdentity(root)),
        strategy,
        defaultNamespace,
      });
    } catch (e) {
      if (isClusterError(e)) return fail(io, `cannot read the cluster of ${env.name} (context ${context}): ${e.message}`);
      throw e;
    }

    const outage = wholeOutage(report);
    if (outage) return fail(io, `cannot read the cluster of ${env.name} (context ${context}): ${outage}`);

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
