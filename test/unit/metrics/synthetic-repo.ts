// A synthetic GitOps repository with a known history, for the metrics tests: two environments (dev,
// prod) fed by envs/<env>/ and a shared base/, pull requests merged with `git merge --no-ff`, direct
// commits, reverts (direct, of a merge, of a branch commit), fixes, and a README change that feeds no
// environment. Every date is fixed, so the shas and every metric are known in advance (see EXPECTED).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const SINCE = '2024-01-01';
export const UNTIL = '2024-01-28T23:59:59Z';
export const NOW = Date.parse('2024-03-01T00:00:00Z');

export interface SyntheticRepo {
  dir: string;
  sha: Record<string, string>;
  git: (...args: string[]) => string;
}

function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
}

/** Runs git with fixed identities and the given date for author and committer. */
export function gitAt(dir: string, date: string | undefined, args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: dir } as NodeJS.ProcessEnv;
  delete env.GIT_DIR;
  if (date) {
    env.GIT_AUTHOR_DATE = date;
    env.GIT_COMMITTER_DATE = date;
  }
  return execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
}

export function buildSyntheticRepo(): SyntheticRepo {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-metrics-test-'));
  const git = (...args: string[]) => gitAt(dir, undefined, args);
  const write = (rel: string, text: string) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  };
  const commit = (date: string, message: string) => {
    gitAt(dir, date, ['add', '-A']);
    gitAt(dir, date, ['commit', '-q', '-m', message]);
    return git('rev-parse', 'HEAD');
  };
  const merge = (date: string, branch: string, title: string, n: number) => {
    gitAt(dir, date, ['merge', '-q', '--no-ff', branch, '-m', `Merge pull request #${n} from org/${branch}`, '-m', title]);
    return git('rev-parse', 'HEAD');
  };
  const sha: Record<string, string> = {};
  git('init', '-q', '-b', 'main');
  write('.reconcile.yaml', 'environments:\n  - name: dev\n    paths: ["envs/dev/**", "base/**"]\n  - name: prod\n    paths: ["envs/prod/**", "base/**"]\n');
  write('README.md', '# shop\n');
  write('base/a.yaml', configMap('base', '1'));
  write('envs/dev/app.yaml', configMap('dev-app', '1'));
  write('envs/prod/k.yaml', configMap('prod-k', '1'));
  sha.initial = commit('2023-12-20T09:00:00Z', 'Initial layout');

  // PR 1 (dev): two commits, first authored 01-01 10:00, merged 01-03 10:00 → lead time 48 h.
  git('checkout', '-q', '-b', 'f1');
  write('envs/dev/app.yaml', configMap('dev-app', '2'));
  sha.a1 = commit('2024-01-01T10:00:00Z', 'Dev app: value 2');
  write('envs/dev/app.yaml', configMap('dev-app', '3'));
  sha.a2 = commit('2024-01-02T10:00:00Z', 'Dev app: value 3');
  git('checkout', '-q', 'main');
  sha.m1 = merge('2024-01-03T10:00:00Z', 'f1', 'Dev app settings', 1);

  // A direct commit (prod), reverted directly the next day → failed, restored in 24 h.
  write('envs/prod/k.yaml', configMap('prod-k', '2'));
  sha.d1 = commit('2024-01-04T10:00:00Z', 'Bump prod');
  gitAt(dir, '2024-01-05T10:00:00Z', ['revert', '--no-edit', sha.d1]);
  sha.r1 = git('rev-parse', 'HEAD');

  // PR 2 (base → dev and prod): authored 01-08 09:00, merged 21:00 → 12 h; fixed 01-10 09:00 → restored in 36 h.
  git('checkout', '-q', '-b', 'f2');
  write('base/a.yaml', configMap('base', '2'));
  sha.b1 = commit('2024-01-08T09:00:00Z', 'Base: value 2');
  git('checkout', '-q', 'main');
  sha.m2 = merge('2024-01-08T21:00:00Z', 'f2', 'Update base', 2);
  write('base/a.yaml', configMap('base', '3'));
  sha.f1 = commit('2024-01-10T09:00:00Z', 'Fix base config');

  // PR 3 (dev): 24 h lead time; reverted only on 01-25 (9 days later: outside the 7-day window).
  git('checkout', '-q', '-b', 'f3');
  write('envs/dev/app.yaml', configMap('dev-app', '4'));
  sha.c1 = commit('2024-01-15T09:00:00Z', 'Dev app: value 4');
  git('checkout', '-q', 'main');
  sha.m3 = merge('2024-01-16T09:00:00Z', 'f3', 'Dev app value 4', 3);

  // A README change feeds no environment: not a change.
  write('README.md', '# shop\n\nMore words.\n');
  sha.readme = commit('2024-01-17T09:00:00Z', 'Docs: describe the repository');

  // A fix of a file no earlier change touched: a change, but nobody's failure.
  write('envs/dev/other.yaml', configMap('dev-other', '1'));
  sha.fixDev = commit('2024-01-18T09:00:00Z', 'Fix dev settings');

  // PR 5 (prod): 24 h lead time; PR 6 reverts its branch commit → failed, restored in 27 h.
  git('checkout', '-q', '-b', 'f5');
  write('envs/prod/k.yaml', configMap('prod-k', '3'));
  sha.e1 = commit('2024-01-22T09:00:00Z', 'Prod k: value 3');
  git('checkout', '-q', 'main');
  sha.m4 = merge('2024-01-23T09:00:00Z', 'f5', 'Prod k value 3', 5);
  git('checkout', '-q', '-b', 'f6');
  gitAt(dir, '2024-01-24T09:00:00Z', ['revert', '--no-edit', sha.e1]);
  sha.e1revert = git('rev-parse', 'HEAD');
  git('checkout', '-q', 'main');
  sha.m5 = merge('2024-01-24T12:00:00Z', 'f6', 'Back out prod k value 3', 6);

  // PR 4 reverts merge 3 (`git revert -m 1`): authored 01-25 10:00, merged 12:00 → 2 h.
  git('checkout', '-q', '-b', 'f4');
  gitAt(dir, '2024-01-25T10:00:00Z', ['revert', '--no-edit', '-m', '1', sha.m3]);
  git('checkout', '-q', 'main');
  sha.m6 = merge('2024-01-25T12:00:00Z', 'f4', 'Back out dev app value 4', 4);
  return { dir, sha, git };
}

export const ENVIRONMENTS = { dev: ['envs/dev', 'base'], prod: ['envs/prod/**', 'base/**'] };

export const INCIDENTS = [
  { environment: 'dev', detectedAt: '2024-01-09T10:00:00Z' },
  { environment: 'prod', detectedAt: '2024-01-09T11:00:00Z', resolvedAt: '2024-01-09T12:00:00Z' },
  { environment: 'prod', detectedAt: Date.parse('2024-01-20T08:00:00Z') },
  { environment: 'dev', detectedAt: '2023-12-01T00:00:00Z' }, // before the period
];

type Week = [week: string, deployments: number, leadMedian: number | null, failures: number, rate: number | null, restoreMedian: number | null, drift: number];

/** Known answers, worked out by hand from the history above. */
export const EXPECTED: Record<'all' | 'dev' | 'prod', Week[]> = {
  all: [
    ['2024-W01', 3, 0, 1, 0.33, 24, 0], // m1 (48 h), d1 (0), r1 (0); d1 reverted after 24 h
    ['2024-W02', 2, 6, 1, 0.5, 36, 2], // m2 (12 h), f1 (0); m2 fixed after 36 h
    ['2024-W03', 2, 12, 0, 0, null, 1], // m3 (24 h), fixDev (0); m3's revert came too late
    ['2024-W04', 3, 3, 1, 0.33, 27, 0], // m4 (24 h), m5 (3 h), m6 (2 h); m4 reverted after 27 h
  ],
  dev: [
    ['2024-W01', 1, 48, 0, 0, null, 0],
    ['2024-W02', 2, 6, 1, 0.5, 36, 1],
    ['2024-W03', 2, 12, 0, 0, null, 0],
    ['2024-W04', 1, 2, 0, 0, null, 0],
  ],
  prod: [
    ['2024-W01', 2, 0, 1, 0.5, 24, 0],
    ['2024-W02', 2, 6, 1, 0.5, 36, 1],
    ['2024-W03', 0, null, 0, null, null, 1],
    ['2024-W04', 2, 13.5, 1, 0.5, 27, 0],
  ],
};
