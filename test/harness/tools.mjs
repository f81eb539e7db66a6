// Paths of the tools that `bash scripts/setup` installs (etcd, kube-apiserver, kubectl, helm, code-server, …).
// The setup script writes them, as absolute paths, to ${RECONCILE_CACHE:-~/.cache/reconcile}/tools.json.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {object} Tools
 * @property {string} cache                  the cache folder (RECONCILE_CACHE)
 * @property {string} etcd                   etcd 3.4 (Debian, unpacked)
 * @property {string} kubeApiserver          kube-apiserver v1.20.2 (built from Debian's source)
 * @property {string} kubeControllerManager  kube-controller-manager v1.20.2
 * @property {string} kubectl120             kubectl 1.20 (Debian's kubernetes-client)
 * @property {string} kubectl                kubectl 1.33 (with kustomize)
 * @property {string} helm                   helm 4
 * @property {string} codeServerDir          node_modules/code-server of the code-server install
 * @property {string} vscodeServerMain       …/lib/vscode/out/server-main.js
 * @property {string} chromium               /usr/bin/chromium
 */

/** Keys of tools.json that name a file that must exist. */
const FILE_KEYS = /** @type {const} */ ([
  'etcd', 'kubeApiserver', 'kubeControllerManager', 'kubectl120', 'kubectl', 'helm', 'codeServerDir', 'vscodeServerMain', 'chromium',
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
