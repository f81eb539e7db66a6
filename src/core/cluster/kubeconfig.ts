// Kubeconfig discovery without a cluster: which files, which contexts, which is current.
// Follows kubectl's merge rules: files from the setting, else $KUBECONFIG (path-list), else
// ~/.kube/config; for each key the first file that sets it wins. `loadKubeconfigFiles` is the one
// loader: connect.ts builds its credentials from the same merged view.
import { open, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';

export interface KubeContext {
  name: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  /** The kubeconfig file the context was read from. */
  file: string;
}

export interface KubeconfigSummary {
  files: string[];
  contexts: KubeContext[];
  currentContext?: string;
  /** Files that could not be read or parsed, with the reason (never fatal: other files still count). */
  problems: { file: string; message: string }[];
}

/** The kubeconfig files in effect: the explicit setting, else $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPaths(setting: string | undefined, env: NodeJS.ProcessEnv = process.env, home = homedir()): string[] {
  const expand = (p: string) => (p.startsWith('~/') ? join(home, p.slice(2)) : p);
  if (setting && setting.trim()) return [expand(setting.trim())];
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).map((s) => s.trim()).filter(Boolean);
  if (fromEnv.length) return [...new Set(fromEnv.map(expand))];
  return [join(home, '.kube', 'config')];
}

/** A named entry of a kubeconfig list (`clusters`, `users`, `contexts`), with the file it came from. */
export interface KubeconfigEntry {
  name: string;
  /** The entry's body (`cluster:`, `user:` or `context:`), relative paths made absolute. */
  value: Record<string, unknown>;
  file: string;
}

/** Every file of the kubeconfig merged the way kubectl merges them. */
export interface MergedKubeconfig {
  files: string[];
  clusters: KubeconfigEntry[];
  users: KubeconfigEntry[];
  contexts: KubeconfigEntry[];
  currentContext?: string;
  problems: { file: string; message: string }[];
}

const LISTS = { clusters: 'cluster', users: 'user', contexts: 'context' } as const;

/**
 * Reads and merges kubeconfig files with kubectl's rules (client-go's loading rules): for clusters,
 * users and contexts the first file that names an entry wins (later files cannot change it), and
 * `current-context` comes from the first file that sets it. File references (certificate-authority,
 * client-certificate, client-key, tokenFile, an exec command with a slash) are relative to the file
 * that holds them. Unreadable or malformed files are reported in `problems`; the others still count.
 * This is the one kubeconfig loader: the status bar, the tree, the language server, the CLI and
 * every cluster connection read through it.
 */
export async function loadKubeconfigFiles(files: string[]): Promise<MergedKubeconfig> {
  const merged: MergedKubeconfig = { files, clusters: [], users: [], contexts: [], problems: [] };
  const seen = { clusters: new Set<string>(), users: new Set<string>(), contexts: new Set<string>() };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      merged.problems.push({ file, message: code === 'ENOENT' ? 'file does not exist' : `cannot read: ${(e as Error).message}` });
      continue;
    }
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100 });
    } catch (e) {
      merged.problems.push({ file, message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      merged.problems.push({ file, message: 'not a kubeconfig (expected a mapping with contexts)' });
      continue;
    }
    const cfg = doc as Record<string, unknown>;
    if (merged.currentContext === undefined && typeof cfg['current-context'] === 'string' && cfg['current-context']) {
      merged.currentContext = cfg['current-context'];
    }
    const dir = dirname(resolve(file));
    for (const [list, field] of Object.entries(LISTS) as [keyof typeof LISTS, string][]) {
      for (const entry of Array.isArray(cfg[list]) ? (cfg[list] as unknown[]) : []) {
        const name = (entry as { name?: unknown })?.name;
        if (typeof name !== 'string' || !name || seen[list].has(name)) continue;
        seen[list].add(name);
        const body = (entry as Record<string, unknown>)[field];
        const value = typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...(body as Record<string, unknown>) } : {};
        absolutePaths(list, value, dir);
        merged[list].push({ name, value, file });
      }
    }
  }
  return merged;
}

function absolutePaths(list: keyof typeof LISTS, v: Record<string, unknown>, dir: string): void {
  const fix = (k: string) => {
    const p = v[k];
    if (typeof p === 'string' && p && !isAbsolute(p)) v[k] = resolve(dir, p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);
  };
  if (list === 'clusters') fix('certificate-authority');
  if (list === 'users') {
    for (const k of ['client-certificate', 'client-key', 'tokenFile']) fix(k);
    const exec = v.exec;
    if (exec && typeof exec === 'object' && typeof (exec as { command?: unknown }).command === 'string') {
      const cmd = (exec as { command: string }).command;
      // client-go resolves the command only when it names a path (has a separator), not one on $PATH.
      if (cmd.includes('/') && !isAbsolute(cmd)) v.exec = { ...(exec as object), command: resolve(dir, cmd) };
    }
  }
}

/** The merged kubeconfig as one document (JSON, which is YAML), for @kubernetes/client-node. */
export function mergedKubeconfigText(m: MergedKubeconfig, currentContext = m.currentContext): string {
  const out = (list: KubeconfigEntry[], field: string) => list.map((e) => ({ name: e.name, [field]: e.value }));
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: out(m.clusters, 'cluster'),
    users: out(m.users, 'user'),
    contexts: out(m.contexts, 'context'),
    ...(currentContext ? { 'current-context': currentContext } : {}),
  });
}

export async function readKubeconfig(files: string[]): Promise<KubeconfigSummary> {
  const m = await loadKubeconfigFiles(files);
  return {
    files,
    currentContext: m.currentContext,
    problems: m.problems,
    contexts: m.contexts.map(({ name, value, file }) => ({
      name,
      file,
      cluster: typeof value.cluster === 'string' ? value.cluster : undefined,
      user: typeof value.user === 'string' ? value.user : undefined,
      namespace: typeof value.namespace === 'string' ? value.namespace : undefined,
    })),
  };
}

/**
 * Takes kubectl's lock on a kubeconfig file, as client-go's clientcmd does before it writes one:
 * `<file>.lock`, created with O_CREAT|O_EXCL, removed after the write. While kubectl (or another
 * client-go program) holds it, this fails at once with the reason, as kubectl does. Returns the release.
 */
export async function lockKubeconfig(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  try {
    await (await open(lock, 'wx', 0o600)).close();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new Error(`${file} is locked: ${lock} exists, so kubectl or another program is changing it. Try again when it is done; if none is running, the lock is stale: delete ${lock}.`);
    }
    throw new Error(`cannot lock ${file} (${lock}): ${(e as Error).message}`);
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await rm(lock, { force: true });
  };
}

/**
 * Makes `name` the current context, as `kubectl config use-context` does: in the first file that sets
 * `current-context`, else the first file that exists. Only that line changes (comments and layout are
 * kept byte for byte), the write is atomic (temp file + rename) and keeps the file's mode. Like kubectl,
 * it holds `<file>.lock` while it reads and writes, and a symlinked kubeconfig stays a symlink (the file
 * it points to is written). Returns the file written (the path as configured).
 */
export async function setCurrentContext(files: string[], name: string): Promise<string> {
  const summary = await readKubeconfig(files);
  if (!summary.contexts.some((c) => c.name === name)) throw new Error(`no context "${name}" in ${files.join(', ')}`);
  let target: string | undefined;
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    target ??= file;
    if (/^current-context:\s*\S/m.test(text)) {
      target = file;
      break;
    }
  }
  if (!target) throw new Error(`no kubeconfig file to write (${files.join(', ')})`);
  const release = await lockKubeconfig(target);
  try {
    // A symlink (dotfiles, a mounted secret's link) stays one: the temp file and the rename go to its target.
    await writeCurrentContext(await realpath(target), name);
  } finally {
    await release();
  }
  return target;
}

async function writeCurrentContext(file: string, name: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file} is not valid YAML; it was left as it is`);
  // Only the one line changes: everything else stays byte for byte (kubectl rewrites the whole file).
  const value = /^[A-Za-z0-9][\w.@/-]*$/.test(name) ? name : JSON.stringify(name);
  const line = /^current-context:[^\n]*$/m;
  const next = line.test(text) ? text.replace(line, `current-context: ${value}`) : `${text}${text.endsWith('\n') || !text ? '' : '\n'}current-context: ${value}\n`;
  const check = parseDocument(next);
  if (check.errors.length || check.get('current-context') !== name) {
    doc.set('current-context', name); // an unusual layout (flow style, anchors): let the YAML library write it
  }
  const out = check.errors.length || check.get('current-context') !== name ? doc.toString() : next;
  const mode = (await stat(file)).mode & 0o777;
  const tmp = `${file}.reconcile-${process.pid}.tmp`;
  await writeFile(tmp, out, { mode });
  await rename(tmp, file);
}
