// `reconcile metrics` end to end on the synthetic repository: golden Markdown (stable: fixed dates and
// identities), drift incidents from a JSON-lines file, exit codes. RECONCILE_UPDATE_GOLDEN=1 refreshes
// the golden file after a deliberate change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { buildSyntheticRepo, INCIDENTS, UNTIL } from './synthetic-repo';
import { sink } from '../cli/io';

const golden = join(__dirname, '..', '..', 'fixtures', 'compare', 'metrics.md');

async function run(cwd: string, argv: string[]) {
  const out = sink();
  const err = sink();
  const code = await main(argv, { out, err, env: { PATH: process.env.PATH }, cwd });
  return { code, out: out.text, err: err.text };
}

test('reconcile metrics --format md: summary and weekly tables per environment, incidents from a file', async () => {
  const repo = buildSyntheticRepo();
  const tmp = mkdtempSync(join(tmpdir(), 'reconcile-metrics-cli-'));
  try {
    const incidents = join(tmp, 'incidents.jsonl');
    writeFileSync(incidents, INCIDENTS.map((i) => JSON.stringify(i)).join('\n') + '\n');
    const r = await run(repo.dir, ['metrics', '--since', '2024-01-01', '--until', UNTIL, '--incidents', incidents, '--format', 'md']);
    assert.equal(r.code, 0, r.err);
    if (process.env.RECONCILE_UPDATE_GOLDEN === '1') writeFileSync(golden, r.out);
    assert.equal(r.out, readFileSync(golden, 'utf8'), 'differs from test/fixtures/compare/metrics.md (RECONCILE_UPDATE_GOLDEN=1 refreshes it)');
    assert.match(r.out, /^\| prod \| 6 \| 1\.5 \| 1\.5 h \| 50% \| 27 h \| 2 \|$/m);
    const json = await run(repo.dir, ['metrics', repo.dir, '--since', '2024-01-01', '--until', UNTIL, '--format', 'json', '--failure-window', '10']);
    assert.equal(json.code, 0, json.err);
    assert.equal(JSON.parse(json.out).overall.summary.failures, 4);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('reconcile metrics: bad input exits 2 with one clear line', async () => {
  const repo = buildSyntheticRepo();
  const tmp = mkdtempSync(join(tmpdir(), 'reconcile-metrics-cli-'));
  try {
    const notRepo = await run(tmp, ['metrics']);
    assert.equal(notRepo.code, 2);
    assert.match(notRepo.err, /^reconcile: .* is not in a git repository: compare and metrics need git history\n$/);
    const since = await run(repo.dir, ['metrics', '--since', 'last-week']);
    assert.equal(since.code, 2);
    assert.match(since.err, /^reconcile: --since 'last-week' is not a period \(like 90d, 12w, 6m, 1y\) or a date \(YYYY-MM-DD\)\n$/);
    writeFileSync(join(tmp, 'bad.json'), '[{"environment": "dev"}]');
    const inc = await run(repo.dir, ['metrics', '--incidents', join(tmp, 'bad.json')]);
    assert.equal(inc.code, 2);
    assert.match(inc.err, /incident 1 needs "environment" and "detectedAt"/);
    const win = await run(repo.dir, ['metrics', '--failure-window', 'week']);
    assert.equal(win.code, 2);
    assert.match(win.err, /--failure-window must be a number of days/);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});
