// Where a GitOps object's source points, compared with the repository: repository URLs in one
// canonical form (https, ssh and scp-like forms of the same repository compare equal), source paths
// relative to the repository root, and the URLs this repository is known by (its git remotes, the
// repoURLs of its own Argo CD definitions, the urls of its Flux GitRepositories).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Application, Environment } from '../repo/model';

/**
 * `github.com/org/repo` for `https://github.com/org/repo.git`, `git@github.com:org/repo`,
 * `ssh://git@github.com:22/org/repo.git/`: host and path, lower case, without user, port, `.git`.
 * Undefined for what is not a repository URL.
 */
export function normalizeRepoURL(url: string): string | undefined {
  const u = url.trim();
  if (!u) return undefined;
  let host: string;
  let p: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(u);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return undefined;
    }
    host = parsed.hostname;
    p = decodeURIComponent(parsed.pathname);
  } else if (scp) {
    host = scp[1];
    p = scp[2];
  } else {
    return undefined;
  }
  p = p.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/^\/+/, '');
  return `${host}/${p}`.toLowerCase();
}

/** A source path as written (`./apps/web/overlays/dev/`, `apps/web//overlays/dev`) → `apps/web/overlays/dev`; the root is `.`. */
export function normalizeSourcePath(p: string | undefined): string {
  const s = path.posix.normalize((p ?? '').trim().replace(/\\/g, '/') || '.');
  const t = s.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  return t === '' ? '.' : t;
}

/** The folder of an application relative to the repository root, in the same form. */
export function relativeRoot(root: string, abs: string): string {
  return normalizeSourcePath(path.relative(root, abs).split(path.sep).join('/'));
}

/** The URLs of the git remotes of the repository holding `dir` (read from .git/config; none when there is no repository). */
export function gitRemoteUrls(dir: string): string[] {
  let d = path.resolve(dir);
  for (;;) {
    const dotGit = path.join(d, '.git');
    const config = gitConfigPath(dotGit);
    if (config) return remotesOf(config);
    const up = path.dirname(d);
    if (up === d) return [];
    d = up;
  }
}

function gitConfigPath(dotGit: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dotGit);
  } catch {
    return undefined;
  }
  let gitDir = dotGit;
  if (st.isFile()) {
    // A worktree or submodule: `gitdir: <path>`; a worktree's config is in the common dir.
    const m = /^gitdir:\s*(.+)$/m.exec(readOr(dotGit));
    if (!m) return undefined;
    gitDir = path.resolve(path.dirname(dotGit), m[1].trim());
    const common = readOr(path.join(gitDir, 'commondir')).trim();
    if (common) gitDir = path.resolve(gitDir, common);
  }
  const config = path.join(gitDir, 'config');
  return fs.existsSync(config) ? config : undefined;
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function remotesOf(configFile: string): string[] {
  const urls: string[] = [];
  let inRemote = false;
  for (const raw of readOr(configFile).split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      inRemote = /^\[remote\s+"[^"]*"\]$/.test(line);
      continue;
    }
    const m = inRemote ? /^(?:url|pushurl)\s*=\s*(.+)$/.exec(line) : null;
    if (m) urls.push(m[1].trim().replace(/^"(.*)"$/, '$1'));
  }
  return urls;
}

/** Every string under a key named `key` (at any depth). */
function stringsUnder(v: unknown, key: string, out: string[]): void {
  if (Array.isArray(v)) for (const x of v) stringsUnder(x, key, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === key && typeof x === 'string') out.push(x);
      else stringsUnder(x, key, out);
    }
  }
}

/** Repository URLs the objects name: Argo CD Applications/ApplicationSets' repoURLs and Flux GitRepositories' urls. */
export function repoURLsOfObjects(objects: Iterable<unknown>): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (typeof o !== 'object' || o === null) continue;
    const obj = o as { apiVersion?: unknown; kind?: unknown; spec?: unknown };
    const group = typeof obj.apiVersion === 'string' ? obj.apiVersion.split('/')[0] : '';
    if (group === 'argoproj.io' && (obj.kind === 'Application' || obj.kind === 'ApplicationSet')) stringsUnder(obj.spec, 'repoURL', out);
    else if (group === 'source.toolkit.fluxcd.io' && obj.kind === 'GitRepository') {
      const url = (obj.spec as { url?: unknown } | undefined)?.url;
      if (typeof url === 'string') out.push(url);
    }
  }
  return out;
}

/** The objects of the files that define the environment's applications (Argo CD and Flux definitions). */
export function definitionObjects(env: Pick<Environment, 'applications'>): unknown[] {
  const files = new Set<string>();
  const add = (a: Application) => {
    if (a.definedBy?.file) files.add(a.definedBy.file);
    for (const l of a.alsoDefinedBy ?? []) files.add(l.file);
  };
  env.applications.forEach(add);
  const out: unknown[] = [];
  for (const f of files) {
    const text = readOr(f);
    if (!text) continue;
    try {
      for (const d of parseAllDocuments(text)) if (!d.errors.length) out.push(d.toJS());
    } catch {
      /* unreadable definitions only mean fewer URLs to check against */
    }
  }
  return out;
}
