// Branch compare on examples/: a temp git repository of examples/ with a second commit, compared with
// compareRevisions() (two temporary worktrees, discovery at both, every changed environment rendered at
// both with the real kubectl and helm from setup, resource diff, clean-up). Two cases:
//   - a change to a shared base (apps/api/base): all three environments rendered at both revisions;
//   - a change to one overlay (dev): the other environments are not rendered.
//   - every application changed (each app's base and the cache chart): every application rendered at both.
// Target: ≤ 3 s each.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRevisions } from '../src/core/compare';
import { median, report, type BenchRow } from './lib';

const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 5);

function git(dir: string, ...args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
  return execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
}

function edit(dir: string, rel: string, from: string, to: string): void {
  const f = join(dir, rel);
  const text = readFileSync(f, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} does not contain ${from}`);
  writeFileSync(f, text.replace(from, to));
}

async function main(): Promise<void> {
  const tools = JSON.parse(readFileSync(join(process.env.RECONCILE_CACHE ?? join(homedir(), '.cache', 'reconcile'), 'tools.json'), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-bench-compare-'));
  const rows: BenchRow[] = [];
  try {
    cpSync(join(__dirname, '..', 'examples'), dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'examples');
    // Branch base-change: a shared base (every environment).
    git(dir, 'checkout', '-q', '-b', 'base-change');
    edit(dir, 'apps/api/base/deployment.yaml', 'containerPort: 8080', 'containerPort: 8081');
    git(dir, 'commit', '-q', '-am', 'api: port 8081');
    // Branch dev-change: one overlay.
    git(dir, 'checkout', '-q', '-b', 'dev-change', 'main');
    edit(dir, 'apps/api/overlays/dev/kustomization.yaml', 'LOG_LEVEL=debug', 'LOG_LEVEL=trace');
    git(dir, 'commit', '-q', '-am', 'api dev: trace logging');
    // Branch all-change: every application (the three bases and the chart).
    git(dir, 'checkout', '-q', '-b', 'all-change', 'main');
    edit(dir, 'apps/api/base/deployment.yaml', 'containerPort: 8080', 'containerPort: 8081');
    edit(dir, 'apps/web/base/deployment.yaml', 'shop/web:1.8.3', 'shop/web:1.8.4');
    edit(dir, 'apps/worker/base/deployment.yaml', 'shop/worker:2.4.1', 'shop/worker:2.4.2');
    edit(dir, 'charts/cache/templates/deployment.yaml', 'replicas: {{ .Values.replicaCount }}', 'replicas: {{ add .Values.replicaCount 1 }}');
    git(dir, 'commit', '-q', '-am', 'everything');
    git(dir, 'checkout', '-q', 'main');

    for (const [head, what] of [
      ['base-change', 'a shared base changed (its app rendered at both in 3 environments)'],
      ['dev-change', 'one overlay changed (1 environment rendered)'],
      ['all-change', 'every application changed (all rendered at both)'],
    ] as const) {
      const times: number[] = [];
      let renders = 0;
      let summary = '';
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const r = await compareRevisions(dir, {
          base: 'main',
          head,
          tools: { kubectl: tools.kubectl, helm: tools.helm },
          onProgress: (p) => {
            if (p.phase === 'render' && p.total !== undefined) renders = p.total;
          },
        });
        times.push(performance.now() - t0);
        summary = r.environments.map((e) => `${e.name}: ${e.status} +${e.counts.added} −${e.counts.removed} ~${e.counts.changed}`).join('; ');
      }
      const left = git(dir, 'worktree', 'list').split('\n').length;
      console.log(`# ${head}: ${summary}; ${renders} renders; worktrees after: ${left}`);
      if (left !== 1) throw new Error(`worktrees left behind: ${git(dir, 'worktree', 'list')}`);
      const m = median(times);
      rows.push({ bench: 'compare', metric: `examples/, ${what}`, value: m, unit: 'ms', target: '≤ 3000 ms', ok: m <= 3000 });
    }
    report(rows, `medians of ${RUNS} runs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
