// Real temporary Git repositories for the tests of src/core/git: created in os.tmpdir(), with the
// user identity in the repository's own config (never the global one), removed by cleanup().
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// Isolate git from the machine's own configuration and from any repository this process runs in.
process.env.GIT_CONFIG_NOSYSTEM = '1';
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CEILING_DIRECTORIES = realpathSync(tmpdir());
for (const v of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR']) delete process.env[v];

const made: string[] = [];

/** A fresh folder under os.tmpdir() (real path), removed by cleanupAll(). */
export function tempDir(prefix = 'reconcile-git-test-'): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  made.push(d);
  return d;
}

export function cleanupAll(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface CommitOptions {
  /** ISO date for author and committer. */
  date?: string;
  author?: string;
  email?: string;
}

export class TempRepo {
  private clock = Date.parse('2024-01-01T12:00:00Z');

  constructor(readonly dir: string) {}

  static init(opts: { identity?: boolean } = {}): TempRepo {
    const r = new TempRepo(tempDir());
    r.git('-c', 'init.defaultBranch=main', 'init', '-q');
    if (opts.identity !== false) {
      r.git('config', 'user.name', 'Test Author');
      r.git('config', 'user.email', 'author@example.test');
    }
    r.git('config', 'commit.gpgsign', 'false');
    return r;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** git with dates pinned (each commit one day after the previous unless `date` is given). */
  gitAt(date: string | undefined, env: Record<string, string>, ...args: string[]): string {
    const when = date ?? new Date((this.clock += 86_400_000)).toISOString();
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when, ...env },
    });
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  write(rel: string, text: string): void {
    mkdirSync(dirname(this.path(rel)), { recursive: true });
    writeFileSync(this.path(rel), text);
  }

  read(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  /** Stages everything and commits; returns the new commit's hash. */
  commit(message: string, opts: CommitOptions = {}): string {
    this.git('add', '-A');
    const env: Record<string, string> = {};
    if (opts.author) env.GIT_AUTHOR_NAME = opts.author;
    if (opts.email) env.GIT_AUTHOR_EMAIL = opts.email;
    this.gitAt(opts.date, env, 'commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD').trim();
  }

  /** Porcelain status, untracked included: the exact working-tree state. */
  statusText(): string {
    return this.git('status', '--porcelain=v1', '--untracked-files=all');
  }

  /** The index entries: the exact staged state. */
  indexText(): string {
    return this.git('ls-files', '-s');
  }
}

/** YAML text of `n` ConfigMaps, one per resource, each `lines` lines long, with a `rev` marker. */
export function configMaps(names: string[], rev: (name: string) => string): string {
  return names
    .map((n) => ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: ${n}`, 'data:', `  rev: "${rev(n)}"`].join('\n') + '\n')
    .join('---\n');
}
