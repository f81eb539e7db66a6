// `reconcile metrics`: GitOps metrics of the repository's default branch per ISO week — deployment
// frequency, lead time, change failure rate, time to restore — overall and per environment (the
// environments and their inputs come from discovery), plus drift incidents from a recorded file.
// Exit codes: 0 ok; 2 error (not a git repository, no default branch, bad period…). Ctrl-C stops git.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GitError, repoInfo } from '../core/compare';
import { computeMetrics, environmentInputs, IncidentFileError, incidentsOf, metricsReport, PeriodError, readIncidents, type DriftIncident } from '../core/metrics';
import { discover } from '../core/repo';
import { repositoryIdentity } from '../core/drift';
import { InputError, oneOf, parseArgs, pathArgument, UsageError } from './args';
import { EXIT, type Io } from './main';

const OPTIONS = {
  since: 'value',
  until: 'value',
  format: 'value',
  branch: 'value',
  'failure-window': 'value',
  incidents: 'value',
  output: 'value',
} as const;

export async function metricsCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  const last = (name: string) => args.options.get(name)?.at(-1);
  const format = oneOf(args, 'format', ['text', 'md', 'json'] as const, 'text');
  const root = pathArgument(args, io.cwd, 'metrics').path;
  const windowText = last('failure-window');
  const failureWindowDays = windowText === undefined ? undefined : Number(windowText);
  if (failureWindowDays !== undefined && !(Number.isFinite(failureWindowDays) && failureWindowDays >= 0)) throw new UsageError(`--failure-window must be a number of days (got '${windowText}')`);
  const incidentsFile = last('incidents');
  let incidents: DriftIncident[] = [];
  if (incidentsFile) {
    const file = path.resolve(io.cwd, incidentsFile);
    if (!fs.existsSync(file)) throw new InputError(`no such file: ${file}`);
    try {
      incidents = readIncidents(file);
    } catch (e) {
      if (e instanceof IncidentFileError) throw new InputError(e.message);
      throw e;
    }
  }
  const fail = (message: string): number => {
    io.err.write(`reconcile: ${message}\n`);
    return EXIT.error;
  };
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await repoInfo(root, { env: io.env }); // not a git repository: say so before discovering anything
    const model = await discover(root);
    const report = await computeMetrics(root, {
      since: last('since') ?? '90d',
      until: last('until'),
      defaultBranch: last('branch'),
      failureWindowDays,
      environments: environmentInputs(model),
      // An incident file may hold several repositories' incidents (the editor records every folder's).
      incidents: incidentsOf(incidents, { repository: repositoryIdentity(root) }, 'keep'),
      env: io.env,
      signal: controller.signal,
    });
    const text = metricsReport(report, format);
    const output = last('output');
    if (output) fs.writeFileSync(path.resolve(io.cwd, output), text);
    else io.out.write(text);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof GitError || e instanceof PeriodError) return fail(e.message);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
