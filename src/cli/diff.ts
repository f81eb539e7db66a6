// `reconcile diff`: what a branch or pull request changes in each environment, rendered at both
// revisions (temporary git worktrees, always removed — Ctrl-C included). The Markdown fits a PR
// comment. Exit codes: 0 no changes; 1 changes (or an environment that failed to render); 2 error
// (bad revision, not a git repository, tool missing…).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compareExitCode, compareReport, compareRevisions, CompareError, GitError } from '../core/compare';
import { kubeconfigPaths, readKubeconfig } from '../core/cluster/kubeconfig';
import { oneOf, parseArgs, pathArgument } from './args';
import { EXIT, type Io } from './main';
import { toolsFrom } from './tools';

const OPTIONS = {
  base: 'value',
  head: 'value',
  env: 'value',
  format: 'value',
  output: 'value',
  kubectl: 'value',
  kustomize: 'value',
  helm: 'value',
  kubeconfig: 'value',
} as const;

export async function diffCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, OPTIONS);
  const last = (name: string) => args.options.get(name)?.at(-1);
  const format = oneOf(args, 'format', ['md', 'json', 'text'] as const, 'text');
  const root = pathArgument(args, io.cwd, 'diff').path;
  const fail = (message: string): number => {
    io.err.write(`reconcile: ${message}\n`);
    return EXIT.error;
  };
  const kube = await readKubeconfig(kubeconfigPaths(last('kubeconfig'), io.env)).catch(() => ({ contexts: [] as Array<{ name: string }> }));
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await compareRevisions(root, {
      base: last('base'),
      head: last('head'),
      envs: args.options.get('env'),
      tools: toolsFrom(args, io.env, io.cwd),
      env: io.env,
      kubeContexts: kube.contexts.map((c) => c.name),
      signal: controller.signal,
    });
    const missingTool = result.environments.flatMap((e) => e.errors).find((e) => e.code === 'tool-not-found');
    if (missingTool) return fail(missingTool.message);
    const report = compareReport(result, format);
    const output = last('output');
    if (output) fs.writeFileSync(path.resolve(io.cwd, output), report);
    else io.out.write(report);
    return compareExitCode(result);
  } catch (e) {
    if (e instanceof GitError || e instanceof CompareError) return fail(e.message);
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
