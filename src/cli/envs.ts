// `reconcile envs`: the environments and applications found in a folder. No tool is run, no schema loaded.
import * as path from 'node:path';
import type { RepoModel } from '../core/repo';
import { oneOf, parseArgs } from './args';
import { EXIT, type Io } from './main';
import { loadModel, TOOL_OPTS } from './tools';

export async function envsCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { format: 'value', ...TOOL_OPTS });
  const format = oneOf(args, 'format', ['text', 'json'] as const, 'text');
  const model = await loadModel(args, io, 'envs');
  const problems = countProblems(model);
  if (format === 'json') {
    io.out.write(`${JSON.stringify(model, null, 2)}\n`);
  } else {
    const rel = (p: string) => path.relative(model.root, p) || '.';
    for (const e of model.errors) io.out.write(`${severityWord(e.severity)}: ${e.message}${e.location ? ` (${rel(e.location.file)}:${e.location.range.start.line + 1})` : ''}\n`);
    if (model.environments.length === 0) io.out.write(`No environments found in ${model.root}\n`);
    for (const env of model.environments) {
      const ctx = env.context ? `context ${env.context}${env.contextSource ? ` (from ${env.contextSource})` : ''}` : 'no context';
      io.out.write(`${env.name}  ${ctx}${env.namespaces.length ? `  namespaces ${env.namespaces.join(',')}` : ''}${env.protected ? '  protected' : ''}\n`);
      for (const e of env.errors) io.out.write(`  ${severityWord(e.severity)}: ${e.message}\n`);
      for (const app of env.applications) {
        io.out.write(`  ${app.name.padEnd(24)} ${app.sourceKind.padEnd(9)} ${app.renderer.kind.padEnd(11)} ${rel(app.root)}\n`);
        for (const e of app.errors) io.out.write(`    ${severityWord(e.severity)}: ${e.message}${e.location ? ` (${rel(e.location.file)}:${e.location.range.start.line + 1})` : ''}\n`);
        for (const r of app.remote ?? []) io.out.write(`    remote (not followed): ${r}\n`);
      }
    }
  }
  return problems > 0 ? EXIT.findings : EXIT.ok;
}

function severityWord(s: string | undefined): string {
  return s === 'info' ? 'note' : s === 'warning' ? 'warning' : 'error';
}

function countProblems(model: RepoModel): number {
  const bad = (e: { severity?: string }) => (e.severity ?? 'error') === 'error';
  return (
    model.errors.filter(bad).length +
    model.environments.reduce((n, env) => n + env.errors.filter(bad).length + env.applications.reduce((m, a) => m + a.errors.filter(bad).length, 0), 0)
  );
}
