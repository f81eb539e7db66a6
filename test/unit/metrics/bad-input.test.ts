// Bad input for the metrics: not a repository, a shallow clone (says how far back it can see), no
// default branch, a detached HEAD, a bad period; and a long history (generated with git fast-import)
// read as a stream: bounded by `since`, with progress, cancellable — git is stopped at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../../src/core/compare';
import { computeMetrics, PeriodError, type MetricsProgress } from '../../../src/core/metrics';
import { generateHistory, GENERATED_ENVIRONMENTS } from './generate-history';
import { buildSyntheticRepo, ENVIRONMENTS, gitAt, NOW, SINCE, UNTIL } from './synthetic-repo';

test('a folder that is not a git repository', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-metrics-nogit-'));
  try {
    await assert.rejects(computeMetrics(dir, { since: '90d' }), (e: unknown) => e instanceof GitError && e.code === 'not-a-repo' && /is not in a git repository/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a shallow clone says how far back it can see, and that the period starts before', async () => {
  const repo = buildSyntheticRepo();
  const clone = mkdtempSync(join(tmpdir(), 'reconcile-metrics-shallow-'));
  try {
    gitAt(clone, undefined, ['clone', '-q', '--depth', '3', `file://${repo.dir}`, 'c']);
    const r = await computeMetrics(join(clone, 'c'), { since: SINCE, until: UNTIL, now: NOW, environments: ENVIRONMENTS });
    assert.equal(r.shallow, true);
    assert.equal(r.historyComplete, false);
    assert.ok(r.shallowSince && Date.parse(r.shallowSince) > Date.parse(SINCE), r.shallowSince);
    const note = r.notes.find((n) => n.startsWith('shallow clone'));
    assert.match(note ?? '', /^shallow clone: history is visible back to 2024-01-\d\d only; the period starts 2024-01-01, so the weeks before are incomplete \(git fetch --shallow-since=\d{4}-\d\d-\d\d or --unshallow\)$/);
    // What it can see is still counted: the last changes are there.
    assert.ok(r.overall.summary.deployments > 0 && r.overall.summary.deployments < 10, String(r.overall.summary.deployments));
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(clone, { recursive: true, force: true });
  }
});

test('no default branch: the current branch, said so; detached as well: a clear error; a named branch works', async () => {
  const repo = buildSyntheticRepo();
  try {
    repo.git('branch', '-m', 'main', 'trunk');
    const r = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW, environments: ENVIRONMENTS });
    assert.equal(r.branch, 'trunk');
    assert.ok(r.notes.includes('no default branch (origin/HEAD, main or master): measured the current branch trunk'), r.notes.join('\n'));
    assert.equal(r.overall.summary.deployments, 10);
    repo.git('checkout', '-q', '--detach', 'trunk');
    await assert.rejects(
      computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW }),
      (e: unknown) => e instanceof GitError && e.code === 'no-default-branch' && /HEAD is detached and .* has no default branch .*: name the branch to measure \(--branch\)/.test(e.message),
    );
    const named = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW, defaultBranch: 'trunk', environments: ENVIRONMENTS });
    assert.equal(named.overall.summary.deployments, 10);
    await assert.rejects(computeMetrics(repo.dir, { defaultBranch: 'nope' }), (e: unknown) => e instanceof GitError && e.code === 'bad-revision' && /branch revision 'nope' does not exist/.test(e.message));
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('bad periods', async () => {
  const repo = buildSyntheticRepo();
  try {
    await assert.rejects(computeMetrics(repo.dir, { since: 'soon' }), PeriodError);
    await assert.rejects(computeMetrics(repo.dir, { since: '2024-02-01', until: '2024-01-01' }), /the period is empty/);
    await assert.rejects(computeMetrics(repo.dir, { failureWindowDays: -1 }), /failure window must be 0 days or more/);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('a long history streams: bounded by since, with progress, and cancellable', async () => {
  const h = await generateHistory(12_000);
  try {
    // The whole history: every commit read, progress along the way, and the known mix of changes.
    const progress: MetricsProgress[] = [];
    const all = await computeMetrics(h.dir, { since: h.first - 1000, until: h.last, now: h.last, environments: GENERATED_ENVIRONMENTS, onProgress: (p) => progress.push(p) });
    assert.equal(all.commitsRead, h.commits);
    assert.equal(all.overall.summary.deployments, h.changes);
    assert.ok(progress.filter((p) => p.phase === 'history').length >= 10, `progress: ${progress.length}`);
    assert.ok(all.overall.summary.failures > 0 && all.overall.summary.changeFailureRate! < 0.2, JSON.stringify(all.overall.summary));
    // Bounded by since: the last 7 days (plus a 2-day look-back for lead times) read far fewer commits.
    const week = await computeMetrics(h.dir, { since: h.last - 7 * 86_400_000, until: h.last, now: h.last, environments: GENERATED_ENVIRONMENTS, leadTimeLookbackDays: 2 });
    assert.ok(week.commitsRead < h.commits / 5, `${week.commitsRead} of ${h.commits}`);
    assert.ok(week.overall.summary.deployments > 0);
    // Cancelled at the first progress report: rejected at once.
    const controller = new AbortController();
    let reported = 0;
    await assert.rejects(
      computeMetrics(h.dir, { since: h.first - 1000, until: h.last, now: h.last, environments: GENERATED_ENVIRONMENTS, signal: controller.signal, onProgress: (p) => {
        if (p.phase === 'history' && p.commits > 0) {
          reported = p.commits;
          controller.abort();
        }
      } }),
      (e: unknown) => e instanceof GitError && e.code === 'aborted',
    );
    assert.ok(reported > 0 && reported < h.commits, String(reported));
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
});
