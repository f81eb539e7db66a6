// Sources in other Git repositories (an Argo CD source whose repoURL is not this repository), fetched
// with the user's own git — its credential helpers and configuration come from the user's environment,
// prompts are off, nothing is stored here but the fetched tree — into the cache:
//   <cacheDir>/git/<hash of the URL>/repo.git          a bare repository (shallow fetches)
//   <cacheDir>/git/<hash of the URL>/trees/<commit>/   the commit's files
//   <cacheDir>/git/<hash of the URL>/revisions.json    revision → commit and when it was fetched
// keyed by URL (without credentials), revision and commit. Offline, the last fetch of the revision is
// used and said to be. The folder is then rendered by what it holds, as Argo CD's repo-server does:
// a kustomization (kustomize), a Chart.yaml (helm), else its YAML/JSON files (directory).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RemoteGitSpec, RenderSpec } from '../repo/model';
import type { ProcessRunner } from '../render/process-runner';
import type { RenderError } from '../render/types';
import { FileTree } from '../repo/file-tree';
import { KustomizeGraph, KUSTOMIZATION_FILES } from '../repo/kustomize';
import { matchesGlob } from '../util/glob';
import { generatedResources } from '../render/flux/build';
import { redact, withoutCredentials } from './redact';
import { highestMatching, isExactVersion, parseRange } from './semver';

/** A revision that is a version constraint (operators or wildcards), not a branch, tag or commit. */
function isTagRange(rev: string): boolean {
  return /[<>=~^*|,xX ]/.test(rev) && !/^[0-9a-f]{7,64}$/.test(rev) && !isExactVersion(rev) && parseRange(rev) !== undefined && /\d|\*/.test(rev);
}
import { UNTRUSTED_REMOTE } from './render';

export interface GitFetchOptions {
  cacheDir: string;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
  now?: () => Date;
}

export type FetchedTree = { ok: true; dir: string; commit: string; offline?: { fetchedAt: string; reason: string } } | { ok: false; message: string };

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

function describe(spec: Pick<RemoteGitSpec, 'url' | 'revision' | 'path'>): string {
  return `${redact(spec.url)}${spec.path && spec.path !== '.' ? ` (${spec.path})` : ''} at ${spec.revision || 'HEAD'}`;
}

/** Fetches `revision` of `url` (shallow) and unpacks its tree once per commit. */
export async function fetchGitTree(url: string, revision: string | undefined, opts: GitFetchOptions): Promise<FetchedTree> {
  const base = path.join(opts.cacheDir, 'git', hash(withoutCredentials(url)));
  const bare = path.join(base, 'repo.git');
  const record = path.join(base, 'revisions.json');
  const rev = revision && revision !== 'HEAD' ? revision : 'HEAD';
  const env = { ...opts.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: opts.env.GIT_ASKPASS ?? '' };
  const git = (args: string[]) =>
    opts.runner.run('git', args, { cwd: base, env, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 120_000, maxOutputBytes: 64 * 1024 * 1024 });
  const revisions = (): Record<string, { commit: string; fetchedAt: string }> => {
    try {
      return JSON.parse(fs.readFileSync(record, 'utf8')) as Record<string, { commit: string; fetchedAt: string }>;
    } catch {
      return {};
    }
  };
  fs.mkdirSync(base, { recursive: true });
  let reason: string;
  try {
    if (!fs.existsSync(path.join(bare, 'HEAD'))) {
      const init = await git(['init', '--bare', '-q', bare]);
      if (init.exitCode !== 0) throw new Error(init.spawnError ? `could not run git (${init.spawnError.message})` : init.stderr.trim());
    }
    // A semver constraint on tags (Argo CD targetRevision `^1.2`, Flux ref.semver): the highest matching tag.
    let ref = rev;
    if (isTagRange(rev)) {
      const tags = await git(['ls-remote', '--tags', '--refs', '--', url]);
      if (tags.exitCode !== 0) throw new Error(tags.stderr.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/^fatal:\s*/, '') || 'git ls-remote failed');
      const names = [...tags.stdout.matchAll(/refs\/tags\/(\S+)/g)].map((m) => m[1]);
      const best = highestMatching(names, rev);
      if (!best) throw new Error(`no tag matches '${rev}' (tags: ${names.slice(-5).join(', ') || 'none'})`);
      ref = `refs/tags/${best}`;
    }
    // `--` keeps a URL or revision from the repository from being read as an option.
    const fetch = await git(['--git-dir', bare, 'fetch', '--quiet', '--depth=1', '--no-tags', '--', url, ref]);
    if (fetch.spawnError) throw new Error(`could not run git (${fetch.spawnError.message})`);
    if (fetch.exitCode !== 0) throw new Error(fetch.stderr.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/^fatal:\s*/, '') || `git fetch exited with ${fetch.exitCode}`);
    const head = await git(['--git-dir', bare, 'rev-parse', '--verify', 'FETCH_HEAD^{commit}']);
    const commit = head.stdout.trim();
    if (head.exitCode !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) throw new Error('git fetched no commit');
    const dir = path.join(base, 'trees', commit);
    if (!fs.existsSync(dir)) {
      const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
      fs.mkdirSync(tmp, { recursive: true });
      const tar = path.join(tmp, '..', `${commit}.tar`);
      const archive = await git(['--git-dir', bare, 'archive', '--format=tar', `--output=${tar}`, commit]);
      if (archive.exitCode !== 0) throw new Error(archive.stderr.trim() || 'git archive failed');
      const untar = await opts.runner.run('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-f', tar, '-C', tmp], { env, signal: opts.signal, timeoutMs: opts.timeoutMs ?? 120_000 });
      fs.rmSync(tar, { force: true });
      if (untar.exitCode !== 0) throw new Error(`could not unpack the tree: ${untar.stderr.trim() || untar.spawnError?.message}`);
      dropLinks(tmp); // a tree's links could lead out of it
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
    }
    const all = revisions();
    all[rev] = { commit, fetchedAt: (opts.now ?? (() => new Date()))().toISOString() };
    fs.writeFileSync(record, JSON.stringify(all, null, 2) + '\n');
    return { ok: true, dir, commit };
  } catch (e) {
    if (opts.signal?.aborted) return { ok: false, message: 'cancelled' };
    reason = redact((e as Error).message);
  }
  const last = revisions()[rev];
  if (last && fs.existsSync(path.join(base, 'trees', last.commit))) {
    return { ok: true, dir: path.join(base, 'trees', last.commit), commit: last.commit, offline: { fetchedAt: last.fetchedAt, reason } };
  }
  return { ok: false, message: reason };
}

function dropLinks(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) fs.rmSync(p, { force: true });
    else if (e.isDirectory()) dropLinks(p);
  }
}

export type LocalGit = { ok: true; spec: Exclude<RenderSpec, { kind: 'unsupported' }>; inputs: string[]; note: string } | { ok: false; error: RenderError };

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The render of a folder of another repository, once fetched; or the one note that says why not. */
export async function localGitSpec(spec: RemoteGitSpec, ctx: GitFetchOptions & { trusted: boolean }): Promise<LocalGit> {
  const what = describe(spec);
  const unavailable = (message: string): LocalGit => ({ ok: false, error: { code: 'remote-unavailable', message: redact(message) } });
  if (!ctx.trusted) return unavailable(`source ${what} is not fetched: ${UNTRUSTED_REMOTE}. Trust the workspace to render this application.`);
  const t = await fetchGitTree(spec.url, spec.revision, ctx);
  if (!t.ok) return unavailable(`could not fetch ${what}: ${t.message}`);
  const note = t.offline
    ? `${what}: commit ${t.commit.slice(0, 12)} cached from ${t.offline.fetchedAt.slice(0, 16).replace('T', ' ')} UTC (not fetched now: ${t.offline.reason})`
    : `${what}: commit ${t.commit.slice(0, 12)}`;
  const dir = path.resolve(t.dir, spec.path || '.');
  if (!inside(t.dir, dir) || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { ok: false, error: { code: 'tool-failed', message: redact(`path '${spec.path}' does not exist in ${what} (commit ${t.commit.slice(0, 12)})`) } };
  }
  const tree = FileTree.scan(t.dir);
  const has = (name: string) => fs.existsSync(path.join(dir, name));
  if (KUSTOMIZATION_FILES.some(has)) {
    const files = new KustomizeGraph(tree).closure(dir)?.files ?? [];
    const k = spec.kustomize && Object.keys(spec.kustomize).some((x) => x !== 'label') ? { flux: { ...spec.kustomize, root: t.dir, files } } : {};
    return { ok: true, spec: { kind: 'kustomize', dir, origins: { root: t.dir }, ...k }, inputs: files, note };
  }
  if (has('Chart.yaml')) {
    const h = spec.helm ?? { releaseName: 'release' };
    const valueFiles: string[] = [];
    for (const f of h.valueFiles ?? []) {
      const abs = path.isAbsolute(f) ? f : path.resolve(dir, f);
      if (!fs.existsSync(abs)) {
        if (h.ignoreMissingValueFiles) continue;
        return { ok: false, error: { code: 'tool-failed', tool: 'helm', message: redact(`values file '${f}' does not exist in ${what}`) } };
      }
      valueFiles.push(abs);
    }
    const helm: Extract<RenderSpec, { kind: 'helm' }> = {
      kind: 'helm',
      chartDir: dir,
      releaseName: h.releaseName,
      valueFiles,
      ...(h.namespace ? { namespace: h.namespace } : {}),
      ...(h.values && Object.keys(h.values).length ? { values: h.values } : {}),
      ...(h.set && Object.keys(h.set).length ? { set: h.set } : {}),
      ...(h.kubeVersion ? { kubeVersion: h.kubeVersion } : {}),
      ...(h.apiVersions?.length ? { apiVersions: h.apiVersions } : {}),
      ...(h.includeCrds ? { includeCrds: true } : {}),
      ...(h.skipTests ? { skipTests: true } : {}),
      origins: { root: spec.root, chartRoot: t.dir },
    };
    return { ok: true, spec: helm, inputs: [...tree.filesUnder(dir), ...valueFiles.filter((f) => !inside(t.dir, f))].sort(), note };
  }
  if (spec.flux) {
    // kustomize-controller: a path without a kustomization gets one listing its manifests and sub-kustomizations.
    const files = tree.filesUnder(dir);
    return { ok: true, spec: { kind: 'kustomize', dir, origins: { root: t.dir }, flux: { ...spec.kustomize, root: t.dir, files, generate: await generatedResources(dir) } }, inputs: files, note };
  }
  const d = spec.directory ?? {};
  const all = (d.recurse ? tree.filesUnder(dir) : tree.filesIn(dir).map((f) => path.join(dir, f))).sort();
  const jsonnet = all.filter((f) => f.endsWith('.jsonnet'));
  if (jsonnet.length) return { ok: false, error: { code: 'unsupported', message: `not supported: Jsonnet (${jsonnet.map((f) => path.relative(t.dir, f)).slice(0, 3).join(', ')}) in ${redact(what)} is not evaluated by Reconcile` } };
  const files = all.filter((f) => {
    if (!/\.(ya?ml|json)$/.test(f)) return false;
    const rel = path.relative(dir, f).split(path.sep).join('/');
    const base = path.basename(f);
    if (d.include && !matchesGlob(rel, d.include) && !matchesGlob(base, d.include)) return false;
    if (d.exclude && (matchesGlob(rel, d.exclude) || matchesGlob(base, d.exclude))) return false;
    return true;
  });
  return { ok: true, spec: { kind: 'plain', files }, inputs: files, note };
}
