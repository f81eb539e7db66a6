// test/harness/tools.mjs: clear error when the tools of `bash scripts/setup` are missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Plain-JS harness module (ESM), loaded at run time: a variable specifier keeps tsc from resolving it.
const toolsUrl = pathToFileURL(join(__dirname, '..', '..', 'harness', 'tools.mjs')).href;

async function withCache<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-tools-test-'));
  const saved = process.env.RECONCILE_CACHE;
  process.env.RECONCILE_CACHE = dir;
  try {
    return await fn(dir);
  } finally {
    if (saved === undefined) delete process.env.RECONCILE_CACHE;
    else process.env.RECONCILE_CACHE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
}

test('loadTools() without tools.json says to run scripts/setup', async () => {
  const { loadTools } = await import(toolsUrl);
  await withCache(async (dir) => {
    assert.throws(() => loadTools(), {
      message: `Reconcile test tools are not installed: run \`bash scripts/setup\` (looked for ${join(dir, 'tools.json')})`,
    });
  });
});

test('loadTools() names a listed binary that does not exist', async () => {
  const { loadTools } = await import(toolsUrl);
  await withCache(async (dir) => {
    writeFileSync(join(dir, 'tools.json'), JSON.stringify({ cache: dir, etcd: process.execPath, kubeApiserver: join(dir, 'nope') }));
    assert.throws(() => loadTools({ require: ['etcd', 'kubeApiserver'] }), /Reconcile test tools are not installed: run `bash scripts\/setup` \(looked for .*tools\.json; "kubeApiserver" points to .*nope, which does not exist\)/);
    assert.equal(loadTools({ require: ['etcd'] }).etcd, process.execPath);
  });
});
