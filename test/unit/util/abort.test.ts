// Many operations under one AbortSignal put one listener on it, not one each: no
// `MaxListenersExceededWarning: 11 abort listeners added to [AbortSignal]` (seen in the extension host
// while a plan dry-ran an environment), and no listener left behind once the operations end.
// Each test runs ≥ 11 operations of one kind under one signal: the semaphore (plan, drift), the
// renderer (an environment's applications), the process runner (tools) and the cluster client.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { whenAborted } from '../../../src/core/util/abort';
import { Semaphore } from '../../../src/core/util/semaphore';
import { createRenderer, spawnRunner } from '../../../src/core/render';
import { connectToContext } from '../../../src/core/cluster';
import { FakeRunner } from '../render/fakes';

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
process.on('warning', onWarning);
after(() => process.off('warning', onWarning));

const listenerWarnings = () => warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);
const listeners = (s: AbortSignal) => getEventListeners(s, 'abort').length;
/** Node emits warnings on the next tick. */
const tick = () => new Promise((r) => setImmediate(r));

test('whenAborted: any number of waiters share one listener; each hears the abort once; leaving removes it', async () => {
  const c = new AbortController();
  const heard: number[] = [];
  const stops = Array.from({ length: 50 }, (_, i) => whenAborted(c.signal, () => heard.push(i)));
  assert.equal(listeners(c.signal), 1);
  stops[0]();
  stops[0](); // leaving twice is harmless
  assert.equal(listeners(c.signal), 1);
  c.abort();
  assert.deepEqual(heard, Array.from({ length: 49 }, (_, i) => i + 1));
  assert.equal(listeners(c.signal), 0);
  stops.forEach((s) => s()); // after the abort: nothing to remove, nothing called again
  assert.equal(heard.length, 49);

  const d = new AbortController();
  const leaveAll = Array.from({ length: 20 }, () => whenAborted(d.signal, () => assert.fail('left before the abort')));
  leaveAll.forEach((s) => s());
  assert.equal(listeners(d.signal), 0, 'the last waiter to leave removes the listener');
  d.abort();

  const e = new AbortController();
  e.abort();
  let called = false;
  whenAborted(e.signal, () => (called = true))();
  assert.equal(called, false, 'an aborted signal is the caller’s to check, as with addEventListener');
  whenAborted(undefined, () => assert.fail())();

});

test('Semaphore: 40 waiters under one signal, no MaxListenersExceededWarning, no listener left', async () => {
  const s = new Semaphore(2);
  const c = new AbortController();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const runs = Array.from({ length: 40 }, () => s.run(() => gate, c.signal));
  assert.equal(s.queued, 38);
  assert.ok(listeners(c.signal) <= 1, `${listeners(c.signal)} abort listeners while 38 wait`);
  release();
  await Promise.all(runs);
  await tick();
  assert.equal(listeners(c.signal), 0);
  assert.deepEqual(listenerWarnings(), []);

  // Aborted while they wait: every waiter rejects, none takes a slot.
  const d = new AbortController();
  let hold!: () => void;
  const held = new Promise<void>((r) => (hold = r));
  const first = [s.run(() => held), s.run(() => held)];
  const waiting = Array.from({ length: 15 }, () => s.run(() => Promise.resolve('ran'), d.signal));
  d.abort();
  const settled = await Promise.allSettled(waiting);
  assert.deepEqual(new Set(settled.map((r) => r.status)), new Set(['rejected']));
  assert.equal(s.queued, 0);
  hold();
  await Promise.all(first);
  assert.equal(s.inUse, 0);
  await tick();
  assert.deepEqual(listenerWarnings(), []);
});

test('renderer: 12 applications rendered under one signal, no MaxListenersExceededWarning, no listener left', async () => {
  const runner = new FakeRunner(() => ({ stdout: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' }), 20);
  const renderer = createRenderer({ trusted: true, runner, tools: { kubectl: process.execPath }, maxConcurrent: 2 });
  const c = new AbortController();
  const dirs = Array.from({ length: 12 }, (_, i) => `/nonexistent/reconcile-abort-test/app-${i}`);
  const pending = dirs.map((dir) => renderer.render({ kind: 'kustomize', dir }, { signal: c.signal, inputs: [] }));
  await tick();
  assert.ok(listeners(c.signal) <= 1, `${listeners(c.signal)} abort listeners while 12 renders wait`);
  const results = await Promise.all(pending);
  assert.deepEqual(results.map((r) => r.ok), dirs.map(() => true));
  await tick();
  assert.equal(listeners(c.signal), 0);
  assert.deepEqual(listenerWarnings(), []);
});

test('process runner: 12 tools running under one signal, no MaxListenersExceededWarning; the abort stops them all', async () => {
  const c = new AbortController();
  const runs = Array.from({ length: 12 }, () => spawnRunner.run(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { signal: c.signal }));
  await tick();
  assert.ok(listeners(c.signal) <= 1, `${listeners(c.signal)} abort listeners for 12 processes`);
  c.abort();
  const results = await Promise.all(runs);
  assert.deepEqual(results.map((r) => r.aborted), results.map(() => true));
  assert.equal(listeners(c.signal), 0);
  await tick();
  assert.deepEqual(listenerWarnings(), []);
});

test('cluster client: 12 requests under one signal, no MaxListenersExceededWarning, no listener left', async () => {
  const mod = await import(pathToFileURL(join(__dirname, '..', '..', 'harness', 'fake-apiserver.mjs')).href);
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { k: name } });
  const names = Array.from({ length: 12 }, (_, i) => `cm-${i}`);
  const fake = await mod.startFakeApiserver({ objects: names.map(cm) });
  try {
    const client = await connectToContext({ files: [fake.kubeconfig], timeoutMs: 10_000 });
    try {
      const type = await client.resolve('v1', 'ConfigMap');
      assert.ok(type);
      // Answers come late, so all 12 requests are in flight at once.
      await fake.setFault({ type: 'slow', delayMs: 300 });
      const c = new AbortController();
      const gets = names.map((n) => client.get(type, 'default', n, { signal: c.signal }));
      await tick();
      assert.ok(listeners(c.signal) <= 1, `${listeners(c.signal)} abort listeners for 12 requests in flight`);
      const objects = await Promise.all(gets);
      assert.deepEqual(objects.map((o) => (o.metadata as { name: string }).name), names);
      assert.equal(listeners(c.signal), 0);
      await tick();
      assert.deepEqual(listenerWarnings(), []);
    } finally {
      client.dispose();
    }
  } finally {
    await fake.stop();
  }
});
