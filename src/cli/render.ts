// `reconcile render`: the rendered manifests of one environment (or one of its applications).
import * as path from 'node:path';
import type { Application } from '../core/repo';
import { createRenderer, type RenderResult } from '../core/render';
import { InputError, parseArgs, UsageError } from './args';
import { EXIT, type Io } from './main';
import { loadModel, toolsFrom, TOOL_OPTS } from './tools';

export async function renderCommand(argv: string[], io: Io): Promise<number> {
  const args = parseArgs(argv, { env: 'value', app: 'value', timeout: 'value', ...TOOL_OPTS });
  const envName = args.options.get('env')?.at(-1);
  if (!envName) throw new UsageError('render needs --env E');
  const appName = args.options.get('app')?.at(-1);
  const model = await loadModel(args, io, 'render');
  const env = model.environments.find((e) => e.name === envName);
  if (!env) throw new InputError(`no environment '${envName}' (found: ${model.environments.map((e) => e.name).join(', ') || 'none'})`);
  let apps: Application[] = env.applications;
  if (appName) {
    apps = apps.filter((a) => a.name === appName || a.id === appName);
    if (apps.length === 0) throw new InputError(`no application '${appName}' in ${envName} (found: ${env.applications.map((a) => a.name).join(', ')})`);
  }
  const renderer = createRenderer({ tools: toolsFrom(args, io.env, io.cwd), trusted: true, env: io.env });
  const results: [Application, RenderResult][] = await Promise.all(apps.map(async (a) => [a, await renderer.renderApplication(a)] as [Application, RenderResult]));
  let failed = 0;
  let toolMissing = false;
  const chunks: string[] = [];
  for (const [app, r] of results) {
    if (r.ok) {
      chunks.push(`# ${env.name}/${app.name} (${app.renderer.kind})\n${r.yaml.trimEnd()}\n`);
      for (const n of r.notes ?? []) io.err.write(`reconcile: ${env.name}/${app.name}: note: ${n}\n`);
    } else if (r.error.code === 'remote-unavailable') {
      io.err.write(`reconcile: ${env.name}/${app.name}: note: ${r.error.message}\n`); // not the repository's fault: no failure
    } else {
      failed++;
      if (r.error.code === 'tool-not-found') toolMissing = true;
      const at = r.error.location ? ` (${path.relative(model.root, r.error.location.file)}:${r.error.location.range.start.line + 1})` : '';
      io.err.write(`reconcile: ${env.name}/${app.name}: ${r.error.message}${at}\n${r.error.stderr ? `${r.error.stderr.trimEnd()}\n` : ''}`);
    }
  }
  io.out.write(chunks.join('---\n'));
  if (toolMissing) return EXIT.error;
  return failed > 0 ? EXIT.findings : EXIT.ok;
}
