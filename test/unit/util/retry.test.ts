// The retry schedule of failed work (renders, connects): the same inputs again only after the backoff
// (30 s, doubling, capped at 5 minutes), other inputs at once and from the first step. The clock is the
// test's own: no waiting, no timed assertion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, RetrySchedule } from '../../../src/core/util/retry';

const S = 1000;
const MIN = 60 * S;

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

test('the delays: 30 s, doubling, capped at 5 minutes', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50, 5000].map((a) => backoffDelay(a)), [30 * S, 60 * S, 2 * MIN, 4 * MIN, 5 * MIN, 5 * MIN, 5 * MIN, 5 * MIN]);
  assert.equal(backoffDelay(3, { firstMs: 100, factor: 3, maxMs: 10 * S }), 900);
  assert.throws(() => backoffDelay(0), /counts failures from 1/);
  assert.throws(() => new RetrySchedule({ firstMs: 10, maxMs: 5 }), /maxMs ≥ firstMs/);
});

test('a caller that asks 4 times a second for 5 minutes gets the work run 4 times, not 1,200', () => {
  const c = clock();
  const s = new RetrySchedule<string>({ now: c.now });
  let runs = 0;
  for (let i = 0; i < 5 * 60 * 4; i++) {
    if (s.due('cache', 'inputs-1')) {
      runs++;
      s.failed('cache', 'inputs-1', 'helm not found');
    }
    c.advance(250);
  }
  // at 0, 30 s, 90 s, 210 s (then 450 s: after the 5 minutes)
  assert.equal(runs, 4);
  assert.equal(s.get('cache')?.attempt, 4);
});

test('the failure is answered while its backoff lasts, then the work is due again', () => {
  const c = clock();
  const s = new RetrySchedule<string>({ now: c.now });
  assert.equal(s.due('a', 'f1'), true, 'never failed');
  const first = s.failed('a', 'f1', 'boom');
  assert.deepEqual(first, { fingerprint: 'f1', attempt: 1, at: c.now() + 30 * S, failure: 'boom' });
  c.advance(29_999);
  assert.equal(s.pending('a', 'f1')?.failure, 'boom');
  c.advance(1);
  assert.equal(s.due('a', 'f1'), true, 'the backoff is over');
  assert.equal(s.failed('a', 'f1', 'boom').attempt, 2);
  c.advance(59_999);
  assert.equal(s.due('a', 'f1'), false);
});

test('other inputs are tried at once, and their failure starts the backoff from its first step', () => {
  const c = clock();
  const s = new RetrySchedule<string>({ now: c.now });
  for (let i = 0; i < 6; i++) {
    s.failed('a', 'f1', 'boom');
    c.advance(5 * MIN);
  }
  assert.equal(s.get('a')?.attempt, 6);
  s.failed('a', 'f1', 'boom');
  assert.equal(s.due('a', 'f1'), false, 'capped at 5 minutes, still waiting');
  assert.equal(s.due('a', 'f2'), true, 'an edit (other inputs) is tried at once');
  const next = s.failed('a', 'f2', 'boom again');
  assert.equal(next.attempt, 1);
  assert.equal(next.at - c.now(), 30 * S);
});

test('success forgets the failure; keys are independent; the oldest keys are dropped past the bound', () => {
  const c = clock();
  const s = new RetrySchedule<string>({ now: c.now, maxKeys: 2 });
  s.failed('a', 'f', 'x');
  s.failed('a', 'f', 'x');
  s.succeeded('a');
  assert.equal(s.due('a', 'f'), true);
  assert.equal(s.failed('a', 'f', 'x').attempt, 1, 'the backoff starts again from its first step');
  s.failed('b', 'f', 'y');
  assert.equal(s.due('b', 'f'), false);
  assert.equal(s.due('c', 'f'), true, 'another key is not held back');
  s.failed('c', 'f', 'z');
  assert.equal(s.size, 2);
  assert.equal(s.get('a'), undefined, 'the oldest was dropped');
});
