// `reconcile diff` end to end on the temp repository of test-repo.ts (real git, real kubectl): golden
// Markdown and text output (the shas are stable: dates and identities are fixed), exit codes 0/1/2.
// Refresh the golden files with RECONCILE_UPDATE_GOLDEN=1 after a deliberate change, and read the diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { realTools } from '../render/real-tools';
import { buildCompareRepo, repoState } from './test-repo';
import { sink } from '../cli/io';

const golden = join(__dirname, '..', '..', 'fixtures', 'compare');

async function run(cwd: string, argv: string[]) {
  const t = realTools();
  const out = sink();
  const err = sink();
  const code = await main(argv, { out, err, env: { PATH: process.env.PATH, RECONCILE_KUBECTL: t.kubectl, RECONCILE_HELM: t.helm, KUBECONFIG: '/nonexistent' }, cwd });
  return { code, out: out.text, err: err.text };
}

function checkGolden(name: string, actual: string): void {
  const file = join(golden, name);
  if (process.env.RECONCILE_UPDATE_GOLDEN === '1') writeFileSync(file, actual);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from the golden file (RECONCILE_UPDATE_GOLDEN=1 refreshes it)`);
}

test('reconcile diff --format md: a PR comment with a summary table and collapsible details; exit 1', async () => {
  const repo = buildCompareRepo();
  try {
    const before = repoState(repo.dir);
    const r = await run(repo.dir, ['diff', '--format', 'md']);
    assert.equal(r.code, 1, r.err);
    assert.equal(r.err, '');
    checkGolden('diff.md', r.out);
    assert.match(r.out, /^\| dev \| changed \| 1 \| 1 \| 2 \|$/m);
    assert.match(r.out, /^\| perf \| unchanged \(not rendered\) \| – \| – \| – \|$/m);
    assert.match(r.out, /^\| staging \| ⚠️ render failed \| – \| – \| – \|$/m);
    assert.match(r.out, /<details><summary><b>dev<\/b>: changed \(1 added, 1 removed, 2 changed\)<\/summary>/);
    assert.deepEqual(repoState(repo.dir), before);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('reconcile diff text output and --env; json is the comparison', async () => {
  const repo = buildCompareRepo();
  try {
    const text = await run(repo.dir, ['diff', '.', '--base', 'main', '--head', 'feature']);
    assert.equal(text.code, 1, text.err);
    checkGolden('diff.txt', text.out);
    const json = await run(repo.dir, ['diff', '--base', 'main', '--env', 'perf', '--format', 'json']);
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out);
    assert.deepEqual(parsed.environments.map((e: { name: string; status: string }) => [e.name, e.status]), [['perf', 'inputs-unchanged']]);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('reconcile diff exits 0 without changes and 2 on bad input, with one clear line', async () => {
  const repo = buildCompareRepo();
  const notRepo = mkdtempSync(join(tmpdir(), 'reconcile-cli-not-a-repo-'));
  try {
    const same = await run(repo.dir, ['diff', '--base', 'feature']);
    assert.equal(same.code, 0, same.err);
    const bad = await run(repo.dir, ['diff', '--base', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /^reconcile: base revision 'nope' does not exist in .+\n$/);
    const none = await run(notRepo, ['diff']);
    assert.equal(none.code, 2);
    assert.match(none.err, /^reconcile: .* is not in a git repository: compare and metrics need git history\n$/);
    const env = await run(repo.dir, ['diff', '--env', 'nope']);
    assert.equal(env.code, 2);
    assert.match(env.err, /^reconcile: no environment 'nope' at either revision/);
    const format = await run(repo.dir, ['diff', '--format', 'html']);
    assert.equal(format.code, 2);
    assert.match(format.err, /--format must be one of md, json, text/);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
    rmSync(notRepo, { recursive: true, force: true });
  }
});
