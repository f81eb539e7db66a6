// Telling an environment (and an application) from a path, by the usual layouts:
// `overlays/<env>`, `envs/<env>`, `environments/<env>`, `clusters/<env>`, `<app>/<env>`; and
// mapping environment names to kubeconfig contexts.

/** Folder names whose child folder names an environment. */
const ENV_PARENTS = new Set(['overlays', 'overlay', 'envs', 'env', 'environments', 'environment', 'clusters', 'cluster']);

/** Names taken as environments in the `<app>/<env>` layout even when no other source names them. */
export const COMMON_ENVIRONMENT_NAMES = new Set([
  'dev', 'develop', 'development', 'test', 'testing', 'qa', 'uat', 'int', 'integration', 'stage', 'staging',
  'preprod', 'pre-prod', 'prod', 'production', 'live', 'sandbox', 'local', 'perf', 'canary',
]);

export interface PathEnvironment {
  env: string;
  /** The application's name when the path tells it (`apps/web/overlays/dev` → `web`). */
  app?: string;
}

/**
 * The environment a '/'-separated relative folder path belongs to, if the layout tells it.
 * `known` adds names from elsewhere (.reconcile.yaml, Argo CD, Flux) to the `<app>/<env>` rule.
 */
export function environmentFromPath(relDir: string, known: ReadonlySet<string> = new Set()): PathEnvironment | undefined {
  const segs = relDir.split('/').filter((s) => s && s !== '.');
  for (let i = segs.length - 2; i >= 0; i--) {
    if (ENV_PARENTS.has(segs[i].toLowerCase())) {
      const env = segs[i + 1];
      const isCluster = segs[i].toLowerCase().startsWith('cluster');
      const app = !isCluster && i > 0 ? segs[i - 1] : undefined;
      return app ? { env, app } : { env };
    }
  }
  if (segs.length >= 2) {
    const last = segs[segs.length - 1];
    if (known.has(last) || COMMON_ENVIRONMENT_NAMES.has(last.toLowerCase())) return { env: last, app: segs[segs.length - 2] };
  }
  return undefined;
}

/** The cluster folder of Flux's `clusters/<name>/…` layout, if the path is inside one. */
export function fluxClusterFromPath(relPath: string): string | undefined {
  const segs = relPath.split('/');
  const i = segs.findIndex((s) => s === 'clusters' || s === 'cluster');
  return i >= 0 && i + 1 < segs.length - 1 ? segs[i + 1] : undefined;
}

/**
 * The kubeconfig context for an environment (or a cluster name): the same name, then
 * `kind-<name>` (kind, k3d, minikube prefixes), then any context ending in `-<name>` / `_<name>`.
 * Several candidates of the same rank → the first one sorted, with `ambiguous` listing them.
 */
export function matchContext(name: string, contexts: readonly string[]): { context: string; ambiguous?: string[] } | undefined {
  if (contexts.includes(name)) return { context: name };
  for (const prefix of ['kind-', 'k3d-', 'minikube-']) {
    if (contexts.includes(prefix + name)) return { context: prefix + name };
  }
  const lower = name.toLowerCase();
  const tail = contexts.filter((c) => {
    const l = c.toLowerCase();
    return l === lower || l.endsWith('-' + lower) || l.endsWith('_' + lower) || l.endsWith('/' + lower);
  }).sort();
  if (tail.length === 0) return undefined;
  return tail.length === 1 ? { context: tail[0] } : { context: tail[0], ambiguous: tail };
}

/** Environments called production by default are protected unless .reconcile.yaml says otherwise. */
export function isProductionName(name: string): boolean {
  return /(^|[-_.])(prod|production|live)($|[-_.])/i.test(name);
}
