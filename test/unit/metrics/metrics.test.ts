// The metrics on a synthetic repository with a known history (synthetic-repo.ts): every weekly number of
// every metric, overall and per environment, checked against answers worked out by hand; the change
// records (lead time, reverts, fixes, restore times); the failure window; environments from discovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { computeMetrics, environmentInputs, isoWeek, metricsReport, parseTime, type EnvironmentMetrics, type MetricsReport } from '../../../src/core/metrics';
import { discover } from '../../../src/core/repo';
import { buildSyntheticRepo, ENVIRONMENTS, EXPECTED, INCIDENTS, NOW, SINCE, UNTIL, type SyntheticRepo } from './synthetic-repo';

let shared: { repo: SyntheticRepo; report: MetricsReport } | undefined;
async function synthetic() {
  if (!shared) {
    const repo = buildSyntheticRepo();
    const report = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW, environments: ENVIRONMENTS, incidents: INCIDENTS });
    shared = { repo, report };
  }
  return shared;
}

function rows(m: EnvironmentMetrics) {
  return m.weeks.map((w) => [w.week, w.deployments, w.leadTimeHours?.median ?? null, w.failures, w.changeFailureRate, w.restoreHours?.median ?? null, w.driftIncidents]);
}

test('weekly metrics, overall and per environment, match the answers worked out by hand', async () => {
  const { report } = await synthetic();
  assert.deepEqual(report.environments, ['dev', 'prod']);
  assert.deepEqual(rows(report.overall), EXPECTED.all);
  assert.deepEqual(rows(report.perEnvironment[0]), EXPECTED.dev);
  assert.deepEqual(rows(report.perEnvironment[1]), EXPECTED.prod);
  assert.deepEqual(report.overall.summary, {
    deployments: 10,
    deploymentsPerWeek: 2.5,
    leadTimeHours: { median: 2.5, mean: 11.3, count: 10 }, // 48, 0, 0, 12, 0, 24, 0, 24, 3, 2
    failures: 3,
    changeFailureRate: 0.3,
    restoreHours: { median: 27, mean: 29, count: 3 }, // 24, 36, 27
    driftIncidents: 3,
  });
  assert.equal(report.perEnvironment[0].summary.driftIncidents, 1);
  assert.equal(report.perEnvironment[1].summary.changeFailureRate, 0.5);
  assert.equal(report.historyComplete, true);
  assert.equal(report.shallow, false);
  assert.deepEqual(report.notes, []);
});

test('change records: lead time from the first commit, reverts of commits and of merges, fixes, the window', async () => {
  const { repo, report } = await synthetic();
  const s = repo.sha;
  const bySha = new Map(report.changes.map((c) => [c.sha, c]));
  // The README commit feeds no environment; the initial commit is before the period.
  assert.deepEqual(report.changes.map((c) => c.sha), [s.m1, s.d1, s.r1, s.m2, s.f1, s.m3, s.fixDev, s.m4, s.m5, s.m6]);
  assert.deepEqual(bySha.get(s.m1), { sha: s.m1, kind: 'merge', subject: 'Dev app settings', mergedAt: '2024-01-03T10:00:00.000Z', environments: ['dev'], files: 1, firstCommitAt: '2024-01-01T10:00:00.000Z', leadTimeHours: 48 });
  assert.deepEqual(bySha.get(s.d1)!.failure, { by: s.r1, kind: 'revert', restoredAt: '2024-01-05T10:00:00.000Z', restoreHours: 24, environments: ['prod'] });
  assert.deepEqual(bySha.get(s.r1)!.reverts, [s.d1]);
  assert.deepEqual(bySha.get(s.m2)!.failure, { by: s.f1, kind: 'fix', restoredAt: '2024-01-10T09:00:00.000Z', restoreHours: 36, environments: ['dev', 'prod'] });
  assert.equal(bySha.get(s.f1)!.fix, true);
  // A fix of a file no earlier change touched blames nobody.
  assert.equal(bySha.get(s.fixDev)!.fix, true);
  assert.equal(bySha.get(s.m3)!.failure, undefined, 'reverted 9 days later: outside the 7-day window');
  // Reverting a merge (-m 1) names the merge; reverting a branch commit names the commit: both found.
  assert.deepEqual(bySha.get(s.m6)!.reverts, [s.m3]);
  assert.deepEqual(bySha.get(s.m5)!.reverts, [s.m4]);
  assert.equal(bySha.get(s.m4)!.failure?.restoreHours, 27);
  assert.equal(bySha.get(s.m5)!.leadTimeHours, 3);
});

test('a wider failure window catches the late revert', async () => {
  const { repo } = await synthetic();
  const r = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW, environments: ENVIRONMENTS, failureWindowDays: 10 });
  const m3 = r.changes.find((c) => c.sha === repo.sha.m3)!;
  assert.deepEqual(m3.failure, { by: repo.sha.m6, kind: 'revert', restoredAt: '2024-01-25T12:00:00.000Z', restoreHours: 219, environments: ['dev'] });
  assert.equal(r.overall.summary.failures, 4);
  assert.equal(r.perEnvironment[0].weeks[2].failures, 1);
});

test('environments and their inputs come from discovery (.reconcile.yaml globs, application folders and files)', async () => {
  const { repo, report } = await synthetic();
  const inputs = environmentInputs(await discover(repo.dir));
  assert.ok(inputs.dev.includes('envs/dev/**') && inputs.dev.includes('base/**'), JSON.stringify(inputs));
  assert.ok(inputs.prod.includes('envs/prod/**'), JSON.stringify(inputs));
  const r = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW, environments: inputs, incidents: INCIDENTS });
  assert.deepEqual(rows(r.overall), rows(report.overall));
  assert.deepEqual(r.perEnvironment.map(rows), report.perEnvironment.map(rows));
});

test('without environments every commit of the first-parent history is a change', async () => {
  const { repo } = await synthetic();
  const r = await computeMetrics(repo.dir, { since: SINCE, until: UNTIL, now: NOW });
  assert.equal(r.overall.summary.deployments, 11); // the README commit too
  assert.deepEqual(r.perEnvironment, []);
});

test('periods and ISO weeks', () => {
  const now = Date.parse('2024-05-10T12:00:00Z');
  assert.equal(parseTime('90d', now), now - 90 * 86_400_000);
  assert.equal(parseTime('2w', now), now - 14 * 86_400_000);
  assert.equal(parseTime('2024-01-01', now), Date.parse('2024-01-01T00:00:00Z'));
  assert.throws(() => parseTime('ninety days', now), /--since 'ninety days' is not a period \(like 90d, 12w, 6m, 1y\) or a date \(YYYY-MM-DD\)/);
  assert.deepEqual(isoWeek(Date.parse('2024-12-30T10:00:00Z')), { key: '2025-W01', start: Date.parse('2024-12-30T00:00:00Z') });
  assert.equal(isoWeek(Date.parse('2021-01-03T23:00:00Z')).key, '2020-W53');
  assert.equal(isoWeek(Date.parse('2024-01-07T23:59:59Z')).key, '2024-W01');
});

test('text and Markdown reports', async () => {
  const { report } = await synthetic();
  const md = metricsReport(report, 'md');
  assert.match(md, /^\| all \| 10 \| 2\.5 \| 2\.5 h \| 30% \| 27 h \| 3 \|$/m);
  assert.match(md, /^\| 2024-W03 \(2024-01-15\) \| 0 \| – \| 0 \| – \| – \| 1 \|$/m);
  const text = metricsReport(report, 'text');
  assert.match(text, /^dev +6 +1\.5 +7 h +17% +36 h +1$/m);
  assert.deepEqual(JSON.parse(metricsReport(report, 'json')).overall.summary.deployments, 10);
});

test.after(() => {
  if (shared) rmSync(shared.repo.dir, { recursive: true, force: true });
});
