// Paths of the tools that `bash scripts/setup` installs (etcd, kube-apiserver, kubectl, helm, code-server, …).
// The setup script writes them, as absolute paths, to ${RECONCILE_CACHE:-~/.cache/reconcile}/tools.json.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {object} Tools
 * @property {string} cache                  the cache folder (RECONCILE_CACHE)
 * @property {string} etcd                   etcd (Debian's, unpacked)
 * @property {string} kubernetesVersion      the Kubernetes release built below, e.g. v1.37.2 (pinned by scripts/k8s/go.mod)
 * @property {string} kubeApiserver          kube-apiserver of that release (built from Go modules by scripts/setup)
 * @property {string} kubeControllerManager  kube-controller-manager of that release
 * @property {string} kubectl                kubectl of that release (with kustomize)
 * @property {string} helm                   helm 4
 * @property {string} codeServerDir          node_modules/code-server of the code-server install
 * @property {string} vscodeServerMain       …/lib/vscode/out/server-main.js
 * @property {string} chromium               /usr/bin/chromium
 * @property {string} fluxVersion            the Flux release the controllers and the CLI are from (scripts/flux/go.mod)
 * @property {string} sourceController       Flux source-controller, built from its Go module
 * @property {string} kustomizeController    Flux kustomize-controller
 * @property {string} helmController         Flux helm-controller
 * @property {string} flux                   the flux CLI
 * @property {string} fluxCrds               folder of the Flux CRDs (the controllers' config/crd/bases)
 * @property {string} dockerRegistry         Debian's docker-registry (unpacked), the OCI registry for charts
 * @property {string} kubeconformVersion     the kubeconform release (scripts/kubeconform/go.mod), a peer of `npm run bench`
 * @property {string} kubeconform            kubeconform, built from its Go module
 */

/** Keys of tools.json that name a file that must exist. */
const FILE_KEYS = /** @type {const} */ ([
  'etcd', 'kubeApiserver', 'kubeControllerManager', 'kubectl', 'helm', 'codeServerDir', 'vscodeServerMain', 'chromium',
]);

/** The cache folder: $RECONCILE_CACHE or ~/.cache/reconcile. */
export function cacheDir() {
  return process.env.RECONCILE_CACHE || join(homedir(), '.cache', 'reconcile');
}

/** Absolute path of tools.json (whether or not it exists). */
export function toolsJsonPath() {
  return join(cacheDir(), 'tools.json');
}

/**
 * Reads tools.json and checks that every listed tool exists.
 * @param {{ require?: (keyof Tools)[] }} [options] only check these keys (default: all of them)
 * @returns {Tools}
 */
export function loadTools({ require: keys } = {}) {
  const file = toolsJsonPath();
  const fail = (/** @type {string} */ why) =>
    new Error(`Reconcile test tools are not installed: run \`bash scripts/setup\` (looked for ${file}${why ? `; ${why}` : ''})`);
  if (!existsSync(file)) throw fail('');
  /** @type {Tools} */
  let tools;
  try {
    tools = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw fail(`it is not valid JSON: ${/** @type {Error} */ (e).message}`);
  }
  for (const key of keys ?? FILE_KEYS) {
    const p = tools[key];
    if (typeof p !== 'string' || !p) throw fail(`"${key}" is missing from it`);
    if (!existsSync(p)) throw fail(`"${key}" points to ${p}, which does not exist`);
  }
  return tools;
}
