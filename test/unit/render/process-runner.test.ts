// The real process runner: argument arrays (no shell), timeout, cancellation, output limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnRunner } from '../../../src/core/render';

const node = process.execPath;

test('arguments are passed as they are, never through a shell', async () => {
  const r = await spawnRunner.run(node, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$(echo pwned)', 'a b;c', '*']);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(JSON.parse(r.stdout), ['$(echo pwned)', 'a b;c', '*']);
});

test('exit code and stderr are reported', async () => {
  const r = await spawnRunner.run(node, ['-e', "process.stderr.write('bad thing\\n'); process.exit(3)"]);
  assert.equal(r.exitCode, 3);
  assert.equal(r.stderr, 'bad thing\n');
  assert.equal(r.timedOut || r.aborted || r.outputTooLarge, false);
});

test('a process that outlives its timeout is killed (with its children)', async () => {
  const t0 = performance.now();
  const r = await spawnRunner.run(node, ['-e', "require('child_process').spawn(process.execPath, ['-e', 'setTimeout(()=>{}, 60000)'], { stdio: 'inherit' }); setTimeout(() => {}, 60000)"], { timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(performance.now() - t0 < 5000, 'the grandchild holding stdout was killed too');
});

test('an AbortSignal stops a running process', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const r = await spawnRunner.run(node, ['-e', 'setTimeout(() => {}, 60000)'], { signal: ac.signal });
  assert.equal(r.aborted, true);
  const pre = new AbortController();
  pre.abort();
  const r2 = await spawnRunner.run(node, ['-e', 'console.log(1)'], { signal: pre.signal });
  assert.equal(r2.aborted, true);
  assert.equal(r2.stdout, '');
});

test('output past the limit kills the process', async () => {
  const r = await spawnRunner.run(node, ['-e', "const s='x'.repeat(65536); (function w(){ while (process.stdout.write(s)) {} process.stdout.once('drain', w) })()"], { maxOutputBytes: 256 * 1024, timeoutMs: 10000 });
  assert.equal(r.outputTooLarge, true);
  assert.equal(r.timedOut, false);
  assert.equal(r.stdout, '');
});

test('a command that does not exist is a spawn error, not a crash', async () => {
  const r = await spawnRunner.run('/nonexistent/tool', ['x']);
  assert.ok(r.spawnError);
  assert.match(r.spawnError.message, /ENOENT/);
});
