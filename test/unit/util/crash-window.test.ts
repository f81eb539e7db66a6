// The language server's restart rule (vscode-eslint's): restart unless it crashed more than 5 times
// within 3 minutes. Crashes spread over a long session never add up to a stop; a crash loop stops.
// The clock is the test's own: no waiting, no timed assertion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashWindow } from '../../../src/core/util/crash-window';

const MIN = 60_000;

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

test('a crash loop: 5 restarts within 3 minutes, the 6th crash is not restarted', () => {
  const c = clock();
  const w = new CrashWindow({ max: 5, windowMs: 3 * MIN, now: c.now });
  const answers: boolean[] = [];
  for (let i = 0; i < 6; i++) {
    answers.push(w.crashed());
    c.advance(10_000);
  }
  assert.deepEqual(answers, [true, true, true, true, true, false]);
  assert.equal(w.recent, 6);
});

test('crashes spread over a long session are always restarted (a lifetime count would stop the 6th)', () => {
  const c = clock();
  const w = new CrashWindow({ now: c.now });
  for (let i = 0; i < 50; i++) {
    assert.equal(w.crashed(), true, `crash ${i + 1}, an hour after the previous one`);
    c.advance(60 * MIN);
  }
  assert.equal(w.recent, 1);
});

test('the window slides: old crashes drop out, a burst after a quiet spell is judged on its own', () => {
  const c = clock();
  const w = new CrashWindow({ max: 5, windowMs: 3 * MIN, now: c.now });
  for (let i = 0; i < 5; i++) assert.equal(w.crashed(), true); // 5 at once: still restarted
  c.advance(3 * MIN + 1); // all 5 are now older than the window
  assert.equal(w.crashed(), true);
  assert.equal(w.recent, 1);
  // Exactly at the window's edge a crash still counts (as in vscode-eslint: diff <= 3 minutes).
  const edge = new CrashWindow({ max: 1, windowMs: 3 * MIN, now: c.now });
  assert.equal(edge.crashed(), true);
  c.advance(3 * MIN);
  assert.equal(edge.crashed(), false);
});

test('bad limits are refused', () => {
  assert.throws(() => new CrashWindow({ max: 0 }), /max ≥ 1/);
  assert.throws(() => new CrashWindow({ windowMs: 0 }), /windowMs > 0/);
});
