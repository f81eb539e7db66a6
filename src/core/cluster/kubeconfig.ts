// Kubeconfig discovery without a cluster: which files, which contexts, which is current.
// Follows kubectl's merge rules: files from the setting, else $KUBECONFIG (path-list), else
// ~/.kube/config; for each key the first file that sets it wins.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
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

export async function readKubeconfig(files: string[]): Promise<KubeconfigSummary> {
  const summary: KubeconfigSummary = { files, contexts: [], problems: [] };
  const seen = new Set<string>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      summary.problems.push({ file, message: code === 'ENOENT' ? 'file does not exist' : `cannot read: ${(e as Error).message}` });
      continue;
    }
    let doc: unknown;
    try {
      doc = parse(text, { maxAliasCount: 100 });
    } catch (e) {
      summary.problems.push({ file, message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      summary.problems.push({ file, message: 'not a kubeconfig (expected a mapping with contexts)' });
      continue;
    }
    const cfg = doc as { 'current-context'?: unknown; contexts?: unknown };
    if (summary.currentContext === undefined && typeof cfg['current-context'] === 'string' && cfg['current-context']) {
      summary.currentContext = cfg['current-context'];
    }
    for (const entry of Array.isArray(cfg.contexts) ? cfg.contexts : []) {
      const name = (entry as { name?: unknown })?.name;
      if (typeof name !== 'string' || !name || seen.has(name)) continue;
      seen.add(name);
      const ctx = ((entry as { context?: unknown }).context ?? {}) as Record<string, unknown>;
      summary.contexts.push({
        name,
        file,
        cluster: typeof ctx.cluster === 'string' ? ctx.cluster : undefined,
        user: typeof ctx.user === 'string' ? ctx.user : undefined,
        namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined,
      });
    }
  }
  return summary;
}

/**
 * Makes `name` the current context, as `kubectl config use-context` does: in the first file that sets
 * `current-context`, else the first file that exists. Only that line changes (comments and layout are
 * kept byte for byte), the write is atomic (temp file + rename) and keeps the file's mode. Returns the file written.
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
  const text = await readFile(target, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${target} is not valid YAML; it was left as it is`);
  // Only the one line changes: everything else stays byte for byte (kubectl rewrites the whole file).
  const value = /^[A-Za-z0-9][\w.@/-]*$/.test(name) ? name : JSON.stringify(name);
  const line = /^current-context:[^\n]*$/m;
  const next = line.test(text) ? text.replace(line, `current-context: ${value}`) : `${text}${text.endsWith('\n') || !text ? '' : '\n'}current-context: ${value}\n`;
  const check = parseDocument(next);
  if (check.errors.length || check.get('current-context') !== name) {
    doc.set('current-context', name); // an unusual layout (flow style, anchors): let the YAML library write it
  }
  const out = check.errors.length || check.get('current-context') !== name ? doc.toString() : next;
  const mode = (await stat(target)).mode & 0o777;
  const tmp = `${target}.reconcile-${process.pid}.tmp`;
  await writeFile(tmp, out, { mode });
  await rename(tmp, target);
  return target;
}
