// The environment lifecycle (rendering → connecting → live | render-failed | error), with fakes for
// render/connect/update: each of the three bugs the editor's drift service had is a test here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentLifecycle, type LifecyclePhase, type RenderOutcome } from '../../../src/core/drift';

/** A promise the test resolves when it wants; rejects with AbortError when the run is aborted. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

class FakeSession {
  static made: FakeSession[] = [];
  disposed = 0;
  desired: string[] = [];
  constructor(readonly n: number) {
    FakeSession.made.push(this);
  }
  dispose() {
    this.disposed++;
  }
}

function harness() {
  FakeSession.made = [];
  const states: LifecyclePhase['phase'][] = [];
  const renders: Array<ReturnType<typeof deferred<RenderOutcome<string>>>> = [];
  const connects: Array<ReturnType<typeof deferred<FakeSession>>> = [];
  let auto: { render?: RenderOutcome<string>; connect?: boolean } = {};
  const lc = new EnvironmentLifecycle<string, FakeSession>({
    render: () => {
      if (auto.render) return Promise.resolve(auto.render);
      const d = deferred<RenderOutcome<string>>();
      renders.push(d);
      return d.promise;
    },
    connect: () => {
      if (auto.connect) return Promise.resolve(new FakeSession(FakeSession.made.length + 1));
      const d = deferred<FakeSession>();
      connects.push(d);
      return d.promise;
    },
    update: async (s, desired) => {
      s.desired.push(desired);
    },
    onState: (s) => states.push(s.phase),
  });
  return { lc, states, renders, connects, setAuto: (a: typeof auto) => (auto = a) };
}

const tick = () => new Promise((r) => setImmediate(r));

test('render failed does not stick: live → render-failed → (render fixed) → live, on the same session', async () => {
  const h = harness();
  h.setAuto({ render: { ok: true, desired: 'v1' }, connect: true });
  await h.lc.refresh();
  assert.equal(h.lc.state.phase, 'live');
  h.setAuto({ render: { ok: false, message: 'web: kustomize build failed' }, connect: true });
  await h.lc.refresh();
  assert.deepEqual(h.lc.state, { phase: 'render-failed', message: 'web: kustomize build failed' });
  h.setAuto({ render: { ok: true, desired: 'v2' }, connect: true });
  await h.lc.refresh();
  assert.equal(h.lc.state.phase, 'live', 'a fixed render brings the environment back to live');
  assert.equal(FakeSession.made.length, 1, 'the session was kept, not reconnected');
  assert.deepEqual(FakeSession.made[0].desired, ['v1', 'v2']);
  assert.deepEqual(h.states, ['rendering', 'connecting', 'live', 'rendering', 'render-failed', 'rendering', 'live']);
  h.lc.stop();
  assert.equal(FakeSession.made[0].disposed, 1);
});

test('a render that fails before ever connecting, then is fixed, connects and goes live', async () => {
  const h = harness();
  h.setAuto({ render: { ok: false, message: 'no chart' } });
  await h.lc.refresh();
  assert.equal(h.lc.state.phase, 'render-failed');
  assert.equal(FakeSession.made.length, 0, 'nothing to compare: no connection made');
  h.setAuto({ render: { ok: true, desired: 'v1' }, connect: true });
  await h.lc.refresh();
  assert.equal(h.lc.state.phase, 'live');
  h.lc.stop();
});

test('two overlapping renders: the superseded run changes nothing and its session is disposed (no leak)', async () => {
  const h = harness();
  const first = h.lc.refresh();
  await tick();
  h.renders[0].resolve({ ok: true, desired: 'old' });
  await tick();
  assert.equal(h.lc.state.phase, 'connecting');
  // Inputs changed while the first run is connecting: a second run renders and connects too.
  const second = h.lc.refresh();
  await tick();
  h.renders[1].resolve({ ok: true, desired: 'new' });
  await tick();
  assert.equal(h.connects.length, 2);
  h.connects[1].resolve(new FakeSession(2));
  await second;
  // The first run's connect answers last.
  h.connects[0].resolve(new FakeSession(1));
  await first;
  const [s2, s1] = FakeSession.made;
  assert.equal(h.lc.state.phase, 'live');
  assert.equal(h.lc.session, s2, 'the newest run owns the session');
  assert.equal(s1.disposed, 1, 'the superseded run disposed the session it connected (client, cache, watches)');
  assert.deepEqual(s1.desired, [], 'and never handed it the old desired objects');
  assert.deepEqual(s2.desired, ['new']);
  h.lc.stop();
  assert.deepEqual(FakeSession.made.map((s) => s.disposed), [1, 1], 'every session disposed exactly once');
});

test('a superseded render result is dropped: a slow old render cannot overwrite a newer one', async () => {
  const h = harness();
  const first = h.lc.refresh();
  const second = h.lc.refresh();
  await tick();
  h.renders[1].resolve({ ok: false, message: 'new: broken' });
  await second;
  h.renders[0].resolve({ ok: true, desired: 'old' });
  await first;
  assert.deepEqual(h.lc.state, { phase: 'render-failed', message: 'new: broken' });
  assert.equal(h.connects.length, 0, 'the old result did not connect');
  h.lc.stop();
});

test('stop() while connecting: the session that arrives later is disposed; timers are cleared', async () => {
  const h = harness();
  let ticks = 0;
  h.lc.every(1, () => ticks++);
  const run = h.lc.refresh();
  await tick();
  h.renders[0].resolve({ ok: true, desired: 'v1' });
  await tick();
  h.lc.schedule(0);
  h.lc.stop();
  h.connects[0].resolve(new FakeSession(1));
  await run;
  assert.equal(h.lc.state.phase, 'stopped');
  assert.equal(FakeSession.made[0].disposed, 1);
  const runs = h.lc.runs;
  const seen = ticks;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.lc.runs, runs, 'the scheduled refresh never ran');
  assert.equal(ticks, seen, 'the interval was cleared');
  await h.lc.refresh();
  assert.equal(h.lc.state.phase, 'stopped', 'a stopped lifecycle stays stopped');
});

test('a connect failure is the error phase; the next refresh says it again without connecting (issue #20: backoff, see lifecycle-retry.test.ts)', async () => {
  const h = harness();
  h.setAuto({ render: { ok: true, desired: 'v1' } });
  const run = h.lc.refresh();
  await tick();
  h.connects[0].reject(new Error('cluster unreachable: connect ECONNREFUSED 127.0.0.1:1'));
  await run;
  assert.deepEqual(h.lc.state, { phase: 'error', message: 'cluster unreachable: connect ECONNREFUSED 127.0.0.1:1' });
  h.setAuto({ render: { ok: true, desired: 'v1' }, connect: true });
  await h.lc.refresh();
  assert.deepEqual(h.lc.state, { phase: 'error', message: 'cluster unreachable: connect ECONNREFUSED 127.0.0.1:1' });
  assert.equal(FakeSession.made.length, 0, 'not connected again before the backoff is over');
  assert.ok(h.lc.nextRetry !== undefined, 'a retry is scheduled');
  h.lc.stop();
});
