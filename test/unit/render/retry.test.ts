// Issue #20: a failed render of the same inputs is remembered and tried again only when its backoff
// (30 s, doubling, capped at 5 minutes) is over; an edited input, another tool or success start again.
// A caller that asks 4 times a second cannot make the tool run 4 times a second. Fake tools, the test's clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRenderer, type RenderSpec } from '../../../src/core/render';
import { CONFIGMAP, FakeRunner, fakeTool } from './fakes';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'reconcile-retry-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function setup(dir: string) {
  const bin = join(dir, 'bin');
  await fs.mkdir(bin);
  const kustomize = await fakeTool(bin, 'kustomize', 'process.exit(0)');
  const app = join(dir, 'app');
  await fs.mkdir(app);
  await fs.writeFile(join(app, 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
  await fs.writeFile(join(app, 'cm.yaml'), CONFIGMAP('a'));
  return { kustomize, app, spec: { kind: 'kustomize', dir: app } as RenderSpec };
}

test('a failing render asked for 4 times a second for 5 minutes runs the tool 4 times; each failure says when it is tried again', async () => {
  await withTmp(async (dir) => {
    const { kustomize, spec } = await setup(dir);
    // Each run fails with a different temp path in its message, as kustomize does for remote bases.
    let n = 0;
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: `Error: accumulating resources: /tmp/kustomize-${++n}: no such file` }));
    const c = clock();
    const r = createRenderer({ trusted: true, tools: { kustomize }, runner, env: { PATH: '' }, retry: { now: c.now } });
    const results = [];
    for (let i = 0; i < 5 * 60 * 4; i++) {
      results.push(await r.render(spec));
      c.advance(250);
    }
    assert.equal(runner.renders.length, 4, 'at 0, 30 s, 90 s and 210 s');
    const tried = results.filter((x) => !x.ok && !x.remembered);
    assert.equal(tried.length, 4);
    assert.ok(results.every((x) => !x.ok && x.error.code === 'tool-failed' && x.retry && x.inputs));
    const first = results[0];
    assert.ok(!first.ok && first.retry);
    assert.equal(first.retry.attempt, 1);
    assert.equal(first.retry.at, 1_000_000 + 30_000);
    const second = results[1];
    assert.ok(!second.ok && second.remembered && second.error === first.error, 'answered with the remembered failure itself');
  });
});

test('an edited input is rendered at once (and starts the backoff again); a success forgets the failure', async () => {
  await withTmp(async (dir) => {
    const { kustomize, app, spec } = await setup(dir);
    let fail = true;
    const runner = new FakeRunner(() => (fail ? { exitCode: 1, stderr: 'Error: bad patch' } : { stdout: CONFIGMAP('b') }));
    const c = clock();
    const r = createRenderer({ trusted: true, tools: { kustomize }, runner, env: { PATH: '' }, retry: { now: c.now } });
    await r.render(spec);
    c.advance(30_000);
    const again = await r.render(spec);
    assert.ok(!again.ok && again.retry?.attempt === 2);
    assert.equal(runner.renders.length, 2);
    await fs.writeFile(join(app, 'cm.yaml'), CONFIGMAP('b'));
    const edited = await r.render(spec);
    assert.equal(runner.renders.length, 3, 'other inputs: rendered at once');
    assert.ok(!edited.ok && edited.retry?.attempt === 1 && edited.inputs !== again.inputs);
    fail = false;
    assert.ok(!(await r.render(spec)).ok, 'same inputs, backoff not over: still the remembered failure');
    assert.equal(runner.renders.length, 3);
    c.advance(30_000);
    const fixed = await r.render(spec);
    assert.ok(fixed.ok, 'tried again when the backoff was over, and it worked');
    assert.equal(runner.renders.length, 4);
  });
});

test('a missing tool is looked for once per backoff step, and at once with other inputs', async () => {
  await withTmp(async (dir) => {
    const chart = join(dir, 'chart');
    await fs.mkdir(chart);
    await fs.writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: cache\nversion: 1.0.0\n');
    const runner = new FakeRunner();
    const c = clock();
    const helm = join(dir, 'missing', 'helm');
    const r = createRenderer({ trusted: true, tools: { helm }, runner, env: { PATH: '' }, retry: { now: c.now } });
    const spec: RenderSpec = { kind: 'helm', chartDir: chart, releaseName: 'cache', valueFiles: [] };
    const a = await r.render(spec);
    const b = await r.render(spec);
    assert.ok(!a.ok && !b.ok);
    assert.equal(a.error.code, 'tool-not-found');
    assert.equal(a.remembered, undefined);
    assert.equal(b.remembered, true);
    assert.equal(runner.runs.length, 0, 'nothing ran');
    await fs.writeFile(join(chart, 'values.yaml'), 'replicas: 2\n');
    const c2 = await r.render({ ...spec, valueFiles: [join(chart, 'values.yaml')] });
    assert.ok(!c2.ok && !c2.remembered && c2.retry?.attempt === 1, 'another spec is its own key');
  });
});
