// The demo's generated Git history (test/harness/demo-history.mjs): six months of pull requests over a
// copy of examples/ that ends exactly at examples/, and metrics worth showing on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { computeMetrics, environmentInputs } from '../../../src/core/metrics';
import { discover } from '../../../src/core/repo';

const examples = join(__dirname, '..', '..', '..', 'examples');
const NOW = Date.parse('2026-12-07T12:00:00Z');

test('six months of pull requests, a revert and a hotfix, ending exactly at examples/', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-history-'));
  try {
    cpSync(examples, dir, { recursive: true });
    const { writeHistory } = await import('../../harness/demo-history.mjs');
    const made = writeHistory(dir, { now: NOW });
    assert.ok(made.pullRequests >= 30, `${made.pullRequests} pull requests`);
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
    assert.equal(git('status', '--porcelain'), '', 'clean');
    const files = (readdirSync(examples, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]).filter((d) => d.isFile()).map((d) => relative(examples, join(d.parentPath ?? d.path, d.name)));
    assert.ok(files.length > 30);
    for (const f of files) assert.equal(readFileSync(join(dir, f), 'utf8'), readFileSync(join(examples, f), 'utf8'), `${f} is as examples/ has it`);
    const first = Date.parse(git('log', '--reverse', '--format=%aI').split('\n')[0]);
    assert.ok(NOW - first > 170 * 86_400_000, 'it starts about six months back');

    const model = await discover(dir);
    const report = await computeMetrics(dir, { since: '180d', environments: environmentInputs(model), now: NOW });
    const env = (n: string) => report.perEnvironment.find((e) => e.name === n)!.summary;
    for (const n of ['dev', 'staging', 'prod']) assert.ok(env(n).deployments >= 5, `${n}: ${env(n).deployments} deployments`);
    assert.ok(report.overall.summary.failures >= 2, `a revert and a hotfix make failures (${report.overall.summary.failures})`);
    assert.ok((report.overall.summary.leadTimeHours?.median ?? 0) > 0, 'lead times from branch commits to merge');
    assert.ok((report.overall.summary.restoreHours?.median ?? 0) > 0, 'time to restore');
    // Activity every month, up to the last weeks.
    const weeksWithChanges = report.overall.weeks.filter((w) => w.deployments > 0).length;
    assert.ok(weeksWithChanges >= 20, `${weeksWithChanges} weeks with changes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
