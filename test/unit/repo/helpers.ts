// Small readers over a RepoModel for the discovery tests.
import { join, relative } from 'node:path';
import type { Application, RepoModel } from '../../../src/core/repo';

export const fixtures = join(__dirname, '..', '..', 'fixtures', 'repos');

export function rel(model: RepoModel, p: string): string {
  return relative(model.root, p).split('\\').join('/') || '.';
}

/** environment → sorted application names */
export function layout(model: RepoModel): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of model.environments) out[e.name] = e.applications.map((a) => a.name).sort();
  return out;
}

export function allApps(model: RepoModel): Application[] {
  return model.environments.flatMap((e) => e.applications);
}

export function app(model: RepoModel, env: string, name: string): Application {
  const e = model.environments.find((x) => x.name === env);
  if (!e) throw new Error(`no environment ${env}; have ${model.environments.map((x) => x.name).join(', ')}`);
  const found = e.applications.filter((a) => a.name === name);
  if (found.length !== 1) throw new Error(`${found.length} applications named ${name} in ${env}; have ${e.applications.map((a) => a.name).join(', ')}`);
  return found[0];
}

export function files(model: RepoModel, a: Application): string[] {
  return a.sourcePaths.map((p) => rel(model, p));
}

/** The render spec with paths relative to the root; `origins` (where values were written) left out. */
export function renderer(model: RepoModel, a: Application): unknown {
  return JSON.parse(JSON.stringify({ ...a.renderer, origins: undefined }).split(model.root + '/').join(''));
}
