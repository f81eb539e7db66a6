// A render that fails for a reason other than cancellation says what happened: it is an `exception`
// with its own message, never "cancelled" (the editor drops cancelled renders silently, so a real
// failure reported as a cancellation showed nothing at all). A real cancellation still says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRenderer, type ProcessRunner, type RenderSpec } from '../../../src/core/render';
import { CONFIGMAP, FakeRunner, fakeTool } from './fakes';

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'reconcile-render-exc-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function chart(dir: string) {
  const bin = join(dir, 'bin');
  await fs.mkdir(bin);
  const helm = await fakeTool(bin, 'helm', 'process.exit(0)');
  const chartDir = join(dir, 'chart');
  await fs.mkdir(chartDir);
  await fs.writeFile(join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
  return { helm, spec: { kind: 'helm', releaseName: 'web', chartDir, valueFiles: [], values: { replicas: 2 } } as RenderSpec };
}

test('a temp folder that cannot be made (inline helm values) is reported as that error, not as "cancelled"', async () => {
  await withTmp(async (dir) => {
    const { helm, spec } = await chart(dir);
    const renderer = createRenderer({ trusted: true, tools: { helm }, runner: new FakeRunner(() => ({ stdout: CONFIGMAP('a') })), env: { PATH: '' } });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(dir, 'no-such-tmp'); // os.tmpdir() reads it at each call
    let r;
    try {
      r = await renderer.render(spec);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'exception');
    assert.doesNotMatch(r.error.message, /cancel/i);
    assert.match(r.error.message, /^render of web \(.*chart\) failed: ENOENT: no such file or directory, mkdtemp '.*no-such-tmp/);
  });
});

test('a runner that throws while the tool runs, and one that throws while asked for the version, are exceptions with their message', async () => {
  await withTmp(async (dir) => {
    const { helm, spec } = await chart(dir);
    const fake = new FakeRunner(() => ({ stdout: CONFIGMAP('a') }));
    const throwing: ProcessRunner = {
      run: (cmd, args, opts) => (args[0] === 'template' ? Promise.reject(new Error('EMFILE: too many open files, spawn')) : fake.run(cmd, args, opts)),
    };
    const r = await createRenderer({ trusted: true, tools: { helm }, runner: throwing, env: { PATH: '' } }).render({ ...spec, values: {} } as RenderSpec);
    assert.ok(!r.ok && r.error.code === 'exception', JSON.stringify(r));
    assert.match(r.error.message, /failed: EMFILE: too many open files, spawn$/);

    // Before the render is queued (asking the tool its version): the same, rather than a rejected promise;
    // and the failure is not kept: once the runner works again, so does the render.
    let broken = true;
    const versionFails: ProcessRunner = { run: (cmd, args, opts) => (broken ? Promise.reject(new TypeError('bad runner')) : fake.run(cmd, args, opts)) };
    const renderer = createRenderer({ trusted: true, tools: { helm }, runner: versionFails, env: { PATH: '' } });
    const v = await renderer.render(spec);
    assert.ok(!v.ok && v.error.code === 'exception', JSON.stringify(v));
    assert.match(v.error.message, /failed: bad runner$/);
    broken = false;
    const w = await renderer.render(spec);
    assert.ok(w.ok, JSON.stringify(w));
  });
});

test('a real cancellation is still reported as cancelled', async () => {
  await withTmp(async (dir) => {
    const { helm, spec } = await chart(dir);
    const renderer = createRenderer({ trusted: true, tools: { helm }, runner: new FakeRunner(() => ({ stdout: CONFIGMAP('a') }), 5_000), env: { PATH: '' } });
    const c = new AbortController();
    const pending = renderer.render(spec, { signal: c.signal });
    setImmediate(() => c.abort());
    const r = await pending;
    assert.ok(!r.ok && r.error.code === 'aborted', JSON.stringify(r));
    assert.match(r.error.message, /cancelled/);
  });
});
