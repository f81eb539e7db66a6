// How the tree shows an environment's applications when no environments were found: one `default`
// environment holding every namespace is grouped by namespace instead of one flat list.
import { readFileSync } from 'node:fs';
import { DEFAULT_ENVIRONMENT, type Application, type Environment } from './model';

const NAMESPACE = /^metadata:[ \t]*\r?\n(?:[ \t]+.*\r?\n)*?[ \t]+namespace:[ \t]*["']?([a-z0-9][a-z0-9-]*)["']?[ \t]*\r?$/gm;

/** The namespace an application deploys into: its own, else the one its manifests all name. */
export function namespaceOf(app: Application, readText: (file: string) => string | undefined = readOrUndefined): string {
  if (app.namespace) return app.namespace;
  const seen = new Set<string>();
  for (const f of app.sourcePaths.slice(0, 50)) for (const m of (readText(f) ?? '').matchAll(NAMESPACE)) seen.add(m[1]);
  return seen.size === 1 ? [...seen][0] : '';
}

/** Namespace groups (sorted, applications without one last), or undefined when the list stays flat. */
export function namespaceGroups(env: Pick<Environment, 'name'>, apps: readonly Application[], readText?: (file: string) => string | undefined): Array<{ namespace: string; apps: Application[] }> | undefined {
  if (env.name !== DEFAULT_ENVIRONMENT) return undefined;
  const of = new Map(apps.map((a) => [a, namespaceOf(a, readText)]));
  const namespaces = [...new Set(of.values())];
  if (namespaces.length < 2) return undefined;
  namespaces.sort((a, b) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
  return namespaces.map((namespace) => ({ namespace, apps: apps.filter((a) => of.get(a) === namespace) }));
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
