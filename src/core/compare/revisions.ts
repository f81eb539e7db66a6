// compareRevisions(): what a branch or pull request changes in each environment. Both revisions are
// checked out with `git worktree add --detach` into a temp folder (the head may instead be the work
// tree as it is), discovered, and every environment whose inputs changed is rendered at both and
// diffed resource by resource. The worktrees are always removed (see worktree.ts).
//
// An environment is not rendered when its model is the same at both revisions (same applications,
// same render specs and input lists, paths taken relative to the compared folder) and none of its
// input files changed (`git diff --name-only`). In an environment that is rendered, so are only the
// applications that differ between the revisions: one whose spec, input list and input files are the
// same at both renders the same objects on both sides. (A resource that an unchanged application also
// defines — a duplicate definition — is then compared as the changed application renders it.)
import * as path from 'node:path';
import { desiredFromDocuments } from '../drift/environment';
import { createRenderer, type ReconcileRenderer, type RenderError, type RenderedDocument, type ToolPaths } from '../render';
import { discover, type Application, type Environment, type RepoModel } from '../repo';
import { changedFiles, defaultBranch, GitError, mergeBase, repoInfo, resolveCommit, type GitRunOptions } from './git';
import { countChanges, diffResourceSets, type SideObject } from './resource-diff';
import type { CompareProgress, EnvironmentComparison, RenderProblem, RevisionComparison, RevisionRef } from './types';
import { withWorktrees } from './worktree';

/** The head revision meaning "the files as they are in the work tree", uncommitted changes included. */
export const WORKTREE = 'WORKTREE';

export interface CompareRevisionsOptions {
  /** Base revision. Default: the merge-base of the head with the default branch (origin/HEAD → main → master). */
  base?: string;
  /** Head revision. Default `HEAD` (the commit); `WORKTREE` for the current files. */
  head?: string;
  /** Only these environments (all when absent). */
  envs?: string[];
  /** The renderer to use. Default: a new one (trusted, 4 renders at once) with `tools` and `env`. A shared
   *  renderer would keep results for the temporary checkouts' paths in its cache: better not. */
  renderer?: ReconcileRenderer;
  tools?: ToolPaths;
  /** Environment of the tools and of git. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Kubeconfig contexts for discovery (context mapping only). */
  kubeContexts?: string[];
  /** The git executable. Default `git`. */
  git?: string;
  signal?: AbortSignal;
  onProgress?: (p: CompareProgress) => void;
}

/** A problem with what was asked (an environment that exists at neither revision). */
export class CompareError extends Error {
  constructor(
    readonly code: 'unknown-environment',
    message: string,
  ) {
    super(message);
    this.name = 'CompareError';
  }
}

interface Side {
  model: RepoModel;
  /** The compared folder of this side (absolute). */
  root: string;
}

/** An application seen from the compared folder: what must be equal for "the same render". */
interface RelativeApp {
  app: Application;
  spec: string;
  inputs: string[];
}

function relativeApp(app: Application, root: string, prefix: string): RelativeApp {
  const rel = (p: string) => toTop(prefix, path.relative(root, p));
  const spec = JSON.stringify(app.renderer, (_k, v: unknown) => (typeof v === 'string' && path.isAbsolute(v) ? `@/${path.relative(root, v).split(path.sep).join('/')}` : v));
  return { app, spec, inputs: app.sourcePaths.map(rel).sort() };
}

/** A path relative to the compared folder → relative to the work tree's top (as git prints them). */
function toTop(prefix: string, rel: string): string {
  const r = rel.split(path.sep).join('/');
  return prefix ? `${prefix}/${r}` : r;
}

function sameApps(a: RelativeApp[], b: RelativeApp[]): boolean {
  if (a.length !== b.length) return false;
  const byId = new Map(b.map((x) => [x.app.id, x]));
  return a.every((x) => {
    const y = byId.get(x.app.id);
    return !!y && y.spec === x.spec && y.inputs.join('\0') === x.inputs.join('\0');
  });
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new GitError('aborted', 'comparison cancelled');
}

/** Compares the environments of `root` (a folder in a git work tree) at two revisions. */
export async function compareRevisions(root: string, options: CompareRevisionsOptions = {}): Promise<RevisionComparison> {
  const started = Date.now();
  const signal = options.signal;
  const gopts: GitRunOptions = { signal, env: options.env, git: options.git };
  const progress = (p: CompareProgress) => options.onProgress?.(p);
  progress({ phase: 'resolve', message: 'resolving revisions' });
  const folder = path.resolve(root);
  const info = await repoInfo(folder, gopts);
  if (!info.head) throw new GitError('no-commits', `${info.top} has no commits yet: nothing to compare`);
  const notes: string[] = [];

  const headArg = options.head ?? 'HEAD';
  const headIsWorktree = headArg === WORKTREE;
  const headSha = headIsWorktree ? WORKTREE : await resolveCommit(info.top, headArg, 'head', gopts);
  const headCommit = headIsWorktree ? info.head : headSha;
  const head: RevisionRef = { ref: headIsWorktree ? 'working tree' : headArg === 'HEAD' && info.branch ? info.branch : headArg, sha: headSha };
  let base: RevisionRef;
  if (options.base !== undefined) {
    base = { ref: options.base, sha: await resolveCommit(info.top, options.base, 'base', gopts) };
  } else {
    let db: { ref: string; sha: string };
    try {
      db = await defaultBranch(info.top, gopts);
    } catch (e) {
      if (e instanceof GitError && e.code === 'no-default-branch' && !info.branch) {
        throw new GitError('no-default-branch', `HEAD is detached and ${info.top} has no default branch (origin/HEAD, main or master): pass --base <rev>`);
      }
      throw e;
    }
    const sha = await mergeBase(info.top, db.sha, headCommit, [db.ref, head.ref], gopts);
    base = { ref: sha === db.sha ? db.ref : `merge-base of ${db.ref} and ${head.ref}`, sha };
    if (sha !== db.sha) notes.push(`base: the merge-base of ${db.ref} (${db.sha.slice(0, 12)}) and ${head.ref}`);
  }
  if (base.sha === headSha) notes.push(`base and head are the same commit (${base.sha.slice(0, 12)}): nothing changed`);

  const changed = await changedFiles(info.top, base.sha, headIsWorktree ? WORKTREE : headSha, gopts);
  aborted(signal);
  // Four renders at once: a render is mostly a tool process starting and waiting (measured on examples/:
  // ~20% faster than two, even on two cores).
  const renderer = options.renderer ?? createRenderer({ tools: options.tools, trusted: true, env: options.env, maxConcurrent: 4 });
  // Nothing changed between two commits: one checkout serves as both sides (nothing will be rendered).
  const sameTree = !headIsWorktree && changed.size === 0;
  const checkouts = [{ label: 'base', sha: base.sha }, ...(headIsWorktree || sameTree ? [] : [{ label: 'head', sha: headSha }])];
  progress({ phase: 'checkout', message: `checking out ${checkouts.map((c) => c.sha.slice(0, 12)).join(' and ')}` });

  const environments = await withWorktrees(
    info.top,
    checkouts,
    async (dirs) => {
      progress({ phase: 'discover', message: 'discovering environments' });
      const baseRoot = path.join(dirs[0], info.prefix);
      const headRoot = headIsWorktree ? folder : sameTree ? baseRoot : path.join(dirs[1], info.prefix);
      const baseModel = await discover(baseRoot, { kubeContexts: options.kubeContexts });
      const headModel = sameTree ? baseModel : await discover(headRoot, { kubeContexts: options.kubeContexts });
      aborted(signal);
      return compareModels({ model: baseModel, root: baseModel.root }, { model: headModel, root: headModel.root }, { info, changed, renderer, base, head, options, progress });
    },
    gopts,
  );
  progress({ phase: 'cleanup', message: 'done' });
  return { repoRoot: info.top, path: info.prefix, base, head, environments, notes, elapsedMs: Date.now() - started };
}

interface ModelsContext {
  info: { prefix: string };
  changed: Set<string>;
  renderer: ReconcileRenderer;
  base: RevisionRef;
  head: RevisionRef;
  options: CompareRevisionsOptions;
  progress: (p: CompareProgress) => void;
}

export type Rendered = { ok: true; documents: RenderedDocument[] } | { ok: false; error: RenderError };

interface EnvPlan {
  name: string;
  baseEnv?: Environment;
  headEnv?: Environment;
  changedInputs: string[];
  render: boolean;
}

async function compareModels(baseSide: Side, headSide: Side, ctx: ModelsContext): Promise<EnvironmentComparison[]> {
  const { prefix } = ctx.info;
  const signal = ctx.options.signal;
  const names = [...baseSide.model.environments.map((e) => e.name)];
  for (const e of headSide.model.environments) if (!names.includes(e.name)) names.push(e.name);
  const wanted = ctx.options.envs?.length ? ctx.options.envs : undefined;
  if (wanted) {
    const unknown = wanted.filter((w) => !names.includes(w));
    if (unknown.length) throw new CompareError('unknown-environment', `no environment ${unknown.map((u) => `'${u}'`).join(', ')} at either revision (found: ${names.join(', ') || 'none'})`);
  }
  const rel = (side: Side, env?: Environment) => (env?.applications ?? []).map((a) => relativeApp(a, side.root, prefix));
  const plans: EnvPlan[] = [];
  for (const name of names) {
    if (wanted && !wanted.includes(name)) continue;
    const baseEnv = baseSide.model.environments.find((e) => e.name === name);
    const headEnv = headSide.model.environments.find((e) => e.name === name);
    const b = rel(baseSide, baseEnv);
    const h = rel(headSide, headEnv);
    const inputs = new Set([...b, ...h].flatMap((a) => a.inputs));
    const changedInputs = [...inputs].filter((f) => ctx.changed.has(f)).sort().map((f) => (prefix ? f.slice(prefix.length + 1) : f));
    const render = !baseEnv || !headEnv || !sameApps(b, h) || changedInputs.length > 0;
    plans.push({ name, baseEnv, headEnv, changedInputs, render });
  }

  // Render jobs: in an environment to render, only the applications that differ between the revisions
  // (added, removed, another spec or input list, or a changed input). An application that is the same
  // at both renders the same objects on both sides: it is left out of both (not rendered).
  const jobs = new Map<Application, Promise<Rendered>>();
  let total = 0;
  let done = 0;
  const renderApp = (app: Application): Promise<Rendered> => {
    let j = jobs.get(app);
    if (!j) {
      total++;
      j = ctx.renderer.renderApplication(app, { signal }).then((r): Rendered => {
        done++;
        ctx.progress({ phase: 'render', message: `rendered ${app.id}`, done, total });
        return r.ok ? { ok: true, documents: r.documents } : { ok: false, error: r.error };
      });
      jobs.set(app, j);
    }
    return j;
  };
  const sidePromises = plans.map((plan) => {
    if (!plan.render) return undefined;
    const headApps = rel(headSide, plan.headEnv);
    const baseApps = rel(baseSide, plan.baseEnv);
    const unchanged = new Set<string>();
    const headById = new Map(headApps.map((a) => [a.app.id, a]));
    for (const a of baseApps) {
      const twin = headById.get(a.app.id);
      if (twin && twin.spec === a.spec && twin.inputs.join('\0') === a.inputs.join('\0') && !a.inputs.some((f) => ctx.changed.has(f))) unchanged.add(a.app.id);
    }
    const render = (apps: RelativeApp[]) => apps.filter((a) => !unchanged.has(a.app.id)).map((a) => ({ app: a.app, result: renderApp(a.app) }));
    return { baseRendered: render(baseApps), headRendered: render(headApps) };
  });
  ctx.progress({ phase: 'render', message: `rendering ${total} applications`, done: 0, total });

  const out: EnvironmentComparison[] = [];
  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i];
    const sides = sidePromises[i];
    const result: EnvironmentComparison = { name: plan.name, status: 'inputs-unchanged', counts: { added: 0, removed: 0, changed: 0 }, resources: [], changedInputs: plan.changedInputs, errors: [], warnings: [] };
    out.push(result);
    if (!sides) continue;
    const [baseDone, headDone] = await Promise.all([settle(sides.baseRendered), settle(sides.headRendered)]);
    if (signal?.aborted) throw new GitError('aborted', 'comparison cancelled');
    const problems: RenderProblem[] = [
      ...baseDone.filter((x) => !x.result.ok).map((x) => problem('base', x.app, x.result as Extract<Rendered, { ok: false }>, baseSide.root)),
      ...headDone.filter((x) => !x.result.ok).map((x) => problem('head', x.app, x.result as Extract<Rendered, { ok: false }>, headSide.root)),
    ];
    if (problems.length) {
      result.status = 'render-failed';
      result.errors = problems;
      continue;
    }
    ctx.progress({ phase: 'diff', message: `comparing ${plan.name}` });
    const roots = [baseSide.root, headSide.root];
    // Notes that the base already had (a duplicate definition, say) are not news: only the head's new ones.
    const baseWarnings: string[] = [];
    const left = sideObjects(baseDone, roots, baseWarnings);
    const right = sideObjects(headDone, roots, result.warnings);
    result.warnings = result.warnings.filter((w) => !baseWarnings.includes(w));
    const diff = diffResourceSets(left, right, { match: 'identity', leftLabel: ctx.base.ref, rightLabel: ctx.head.ref });
    result.resources = diff.resources;
    result.warnings.push(...diff.warnings);
    result.counts = countChanges(diff.resources);
    result.status = !plan.baseEnv ? 'added' : !plan.headEnv ? 'removed' : diff.resources.length ? 'changed' : 'unchanged';
  }
  return out;
}

async function settle(list: Array<{ app: Application; result: Promise<Rendered> }>): Promise<Array<{ app: Application; result: Rendered }>> {
  return Promise.all(list.map(async (x) => ({ app: x.app, result: await x.result })));
}

/** The render error, with the temporary checkout's folder left out of the tool's message. */
function problem(side: 'base' | 'head', app: Application, r: Extract<Rendered, { ok: false }>, root: string): RenderProblem {
  const p: RenderProblem = { side, application: app.id, message: r.error.message.split(root + path.sep).join(''), code: r.error.code };
  const loc = r.error.location;
  if (loc && !path.relative(root, loc.file).startsWith('..')) {
    p.file = path.relative(root, loc.file).split(path.sep).join('/');
    p.line = loc.range.start.line + 1;
  }
  return p;
}

/** The side's objects, one per identity (the first definition wins; duplicates with other content are noted). */
export function sideObjects(rendered: Array<{ app: Pick<Application, 'id'>; result: Rendered }>, roots: string[], warnings: string[]): SideObject[] {
  const relative = (file: string) => {
    const root = roots.find((r) => r && file.startsWith(r + path.sep));
    return root ? path.relative(root, file).split(path.sep).join('/') : file;
  };
  const seen = new Set<string>();
  const objects: SideObject[] = [];
  const all: RenderedDocument[] = [];
  for (const { app, result } of rendered) {
    if (!result.ok) continue;
    for (const d of result.documents) {
      if (!d.id || !d.id.kind || !d.id.version) continue;
      all.push(d);
      const key = `${d.id.group}/${d.id.kind}/${d.id.namespace ?? ''}/${d.id.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const o: SideObject = { object: d.object, id: d.id, application: app.id };
      if (d.source) o.source = { path: relative(d.source.file), line: d.source.range.start.line };
      objects.push(o);
    }
  }
  for (let w of desiredFromDocuments(all).warnings) {
    for (const r of roots) if (r) w = w.split(r + path.sep).join('');
    if (!warnings.includes(w)) warnings.push(w);
  }
  return objects;
}
