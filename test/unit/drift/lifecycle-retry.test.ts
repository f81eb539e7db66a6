// Issue #20: a failed connect is retried with a backoff (30 s, doubling, capped at 5 minutes) and at once
// when its inputs change (the kubeconfig), never because somebody refreshed. The clock is the test's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentLifecycle, type LifecyclePhase } from '../../../src/core/drift';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function harness(c: ReturnType<typeof clock>) {
  const states: LifecyclePhase[] = [];
  let connects = 0;
  let kubeconfig = 'kubeconfig v1';
  let works = false;
  const lc = new EnvironmentLifecycle<string, { dispose(): void }>(
    {
      render: async () => ({ ok: true, desired: 'objects' }),
      connect: async () => {
        connects++;
        if (!works) throw new Error('no usable kubeconfig: /home/me/.kube/config: not found');
        return { dispose() {} };
      },
      update: async () => {},
      onState: (s) => states.push(s),
      connectInputs: () => kubeconfig,
    },
    { retry: { now: c.now } },
  );
  return {
    lc,
    states,
    connects: () => connects,
    setKubeconfig: (k: string) => (kubeconfig = k),
    fix: () => (works = true),
  };
}

test('refreshing in a loop after a failed connect connects once, and says the same error', async () => {
  const c = clock();
  const h = harness(c);
  for (let i = 0; i < 1287; i++) {
    await h.lc.refresh();
    c.advance(200); // 4 a second: 257 s
  }
  // at 0, 30 s, 90 s, 210 s
  assert.equal(h.connects(), 4);
  assert.deepEqual(h.lc.state, { phase: 'error', message: 'no usable kubeconfig: /home/me/.kube/config: not found' });
  assert.ok(h.lc.nextRetry! > c.now(), 'a retry is scheduled');
  h.lc.stop();
  assert.equal(h.lc.nextRetry, undefined, 'stop() clears the retry timer');
});

test('a changed kubeconfig is tried at once; once connected, the backoff is forgotten', async () => {
  const c = clock();
  const h = harness(c);
  await h.lc.refresh();
  await h.lc.refresh();
  assert.equal(h.connects(), 1);
  h.setKubeconfig('kubeconfig v2');
  await h.lc.refresh();
  assert.equal(h.connects(), 2, 'other inputs: connected again at once');
  assert.equal(h.lc.state.phase, 'error');
  h.fix();
  await h.lc.refresh();
  assert.equal(h.connects(), 2, 'same inputs as the last failure: waits for the backoff even if it would work now');
  c.advance(30_000);
  await h.lc.refresh();
  assert.equal(h.connects(), 3);
  assert.equal(h.lc.state.phase, 'live');
  assert.equal(h.lc.nextRetry, undefined);
  h.lc.stop();
});

test('the retry timer refreshes by itself when the backoff is over (real timers, a short backoff)', async () => {
  let connects = 0;
  let resolveLive!: () => void;
  const live = new Promise<void>((r) => (resolveLive = r));
  const lc = new EnvironmentLifecycle<string, { dispose(): void }>(
    {
      render: async () => ({ ok: true, desired: 'objects' }),
      connect: async () => {
        if (++connects < 3) throw new Error('refused');
        return { dispose() {} };
      },
      update: async () => {},
      onState: (s) => s.phase === 'live' && resolveLive(),
    },
    { retry: { firstMs: 5, maxMs: 20 } },
  );
  await lc.refresh();
  assert.equal(lc.state.phase, 'error');
  await live; // no refresh() from here: the lifecycle's own timer tried again, twice
  assert.equal(connects, 3);
  lc.stop();
});
