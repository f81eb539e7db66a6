// An environment's inputs for the metrics: the paths that feed it, relative to the measured folder —
// globs from .reconcile.yaml, each application's folder, and every input file the repository model
// lists (shared bases count for every environment that uses them). And a fast matcher over them.
import * as path from 'node:path';
import type { RepoModel } from '../repo/model';
import { globToRegExp, normalizeRel } from '../util/glob';
import { own } from './history';

/** name → paths and globs (relative to the model's root, '/'-separated) that feed the environment. */
export function environmentInputs(model: RepoModel): Record<string, string[]> {
  const rel = (p: string) => path.relative(model.root, p).split(path.sep).join('/');
  const out: Record<string, string[]> = {};
  for (const env of model.environments) {
    const set = new Set<string>();
    for (const g of model.config?.environments.find((e) => e.name === env.name)?.paths ?? []) set.add(normalizeRel(g));
    for (const app of env.applications) {
      const r = rel(app.root);
      if (r && !r.startsWith('..')) set.add(r);
      for (const f of app.sourcePaths) {
        const x = rel(f);
        if (!x.startsWith('..')) set.add(x);
      }
    }
    out[env.name] = [...set].sort();
  }
  return out;
}

const GLOB_CHARS = /[*?[{]/;

/** Which environments a path belongs to: a path matches an input when it, or a folder above it, matches. */
export class InputMatcher {
  private readonly exact: Array<{ name: string; paths: Set<string> }> = [];
  private readonly globs: Array<{ name: string; res: RegExp[] }> = [];
  private readonly cache = new Map<string, string[]>();
  readonly names: string[];

  constructor(environments: Record<string, readonly string[]>) {
    this.names = Object.keys(environments);
    for (const name of this.names) {
      const paths = new Set<string>();
      const res: RegExp[] = [];
      for (const p of environments[name]) {
        const n = normalizeRel(p);
        if (!n) continue;
        if (GLOB_CHARS.test(n)) res.push(globToRegExp(n));
        else paths.add(n);
      }
      this.exact.push({ name, paths });
      this.globs.push({ name, res });
    }
  }

  /** Environment names whose inputs include `rel` (a file relative to the measured folder). */
  environmentsOf(rel: string): string[] {
    const hit = this.cache.get(rel);
    if (hit) return hit;
    const chain: string[] = [];
    for (let p = normalizeRel(rel); ; ) {
      chain.push(p);
      const slash = p.lastIndexOf('/');
      if (slash < 0) break;
      p = p.slice(0, slash);
    }
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) {
      const { paths } = this.exact[i];
      const { res } = this.globs[i];
      if (chain.some((p) => paths.has(p)) || res.some((re) => chain.some((p) => re.test(p)))) out.push(this.names[i]);
    }
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(own(rel), out); // a copy: `rel` may be a slice of a large git output chunk
    return out;
  }

  /** Environment names of any of the files. */
  environmentsOfAll(files: readonly string[]): string[] {
    const set = new Set<string>();
    for (const f of files) for (const n of this.environmentsOf(f)) set.add(n);
    return this.names.filter((n) => set.has(n));
  }
}
