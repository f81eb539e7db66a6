// Whether a path exists at a revision other than the checked-out one (`git cat-file -t <rev>:<path>`),
// for checks that run synchronously (the policy engine's gitops/missing-path: an Argo CD
// Application's targetRevision or a Flux GitRepository's ref may name another branch). Each answer
// costs one short git process; answers are kept per resolved commit, a revision git does not know
// is asked again after a while (a `git fetch` may bring it).
import { execFileSync } from 'node:child_process';

export type PathAtRevision = 'file' | 'dir' | 'missing' | 'unknown-revision';

export interface RevisionPaths {
  /** What `relPath` (relative to the repository root, `/`-separated) is at `revision`. */
  at(revision: string, relPath: string): PathAtRevision;
  /**
   * The branches the work tree stands for: the checked-out one and the default one (origin/HEAD,
   * else main and master), so that a change under review is checked as it is, not as its target.
   */
  worktreeRevisions(): string[];
}

const UNKNOWN_TTL_MS = 30_000;

/**
 * Path look-ups at revisions of the repository whose work tree is `root` (or a folder inside it).
 * Never throws: without git or outside a repository every revision is `unknown-revision`.
 */
export function revisionPaths(root: string, opts: { binary?: string; timeoutMs?: number } = {}): RevisionPaths {
  const binary = opts.binary ?? 'git';
  const timeout = opts.timeoutMs ?? 10_000;
  const git = (args: string[]): string | undefined => {
    try {
      return execFileSync(binary, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout, windowsHide: true }).trim();
    } catch {
      return undefined;
    }
  };
  const commits = new Map<string, { commit?: string; at: number }>();
  const answers = new Map<string, PathAtRevision>();
  let prefix: string | undefined;
  let worktree: string[] | undefined;
  const commitOf = (revision: string): string | undefined => {
    const hit = commits.get(revision);
    if (hit && (hit.commit || Date.now() - hit.at < UNKNOWN_TTL_MS)) return hit.commit;
    let commit: string | undefined;
    if (revision && !revision.startsWith('-') && !/[\s\u0000]/.test(revision)) {
      for (const candidate of [revision, `origin/${revision}`, `refs/tags/${revision}`]) {
        commit = git(['rev-parse', '-q', '--verify', '--end-of-options', `${candidate}^{commit}`]);
        if (commit) break;
      }
    }
    commits.set(revision, { commit, at: Date.now() });
    return commit;
  };
  return {
    at(revision, relPath) {
      const commit = commitOf(revision);
      if (!commit) return 'unknown-revision';
      // paths are relative to the repository's top folder; `root` may be a folder inside it
      prefix ??= git(['rev-parse', '--show-prefix']) ?? '';
      const rel = `${prefix}${relPath.replace(/^\.\//, '').replace(/\/+$/, '')}`.replace(/^\/+/, '');
      const key = `${commit}:${rel}`;
      let a = answers.get(key);
      if (!a) {
        const type = rel === '' ? 'tree' : git(['cat-file', '-t', '--end-of-options', `${commit}:${rel}`]);
        a = type === 'tree' ? 'dir' : type === 'blob' ? 'file' : 'missing';
        answers.set(key, a);
      }
      return a;
    },
    worktreeRevisions() {
      if (!worktree) {
        const current = git(['symbolic-ref', '-q', '--short', 'HEAD']);
        const remoteDefault = git(['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD'])?.replace(/^origin\//, '');
        worktree = [...new Set([current, ...(remoteDefault ? [remoteDefault] : ['main', 'master'])].filter((b): b is string => !!b))];
      }
      return worktree;
    },
  };
}
