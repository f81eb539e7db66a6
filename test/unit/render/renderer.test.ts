// The renderer's own behaviour, with fake tools: cache, sharing, concurrency, trust, tool lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createRenderer, parseVersion, type RenderSpec } from '../../../src/core/render';
import { CONFIGMAP, FakeRunner, fakeTool } from './fakes';

async function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'reconcile-render-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A kustomization folder with one resource, and fake kustomize/helm executables to be "found". */
async function setup(dir: string) {
  const bin = join(dir, 'bin');
  await fs.mkdir(bin);
  const kustomize = await fakeTool(bin, 'kustomize', 'process.exit(0)');
  const helm = await fakeTool(bin, 'helm', 'process.exit(0)');
  const app = join(dir, 'app');
  await fs.mkdir(app);
  await fs.writeFile(join(app, 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
  await fs.writeFile(join(app, 'cm.yaml'), CONFIGMAP('a'));
  return { bin, kustomize, helm, app, spec: { kind: 'kustomize', dir: app } as RenderSpec };
}

test('an unchanged application is rendered once; an edited input renders again', async () => {
  await withTmp(async (dir) => {
    const { kustomize, app, spec } = await setup(dir);
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('a') }));
    const r = createRenderer({ trusted: true, tools: { kustomize }, runner, env: { PATH: '' } });
    const first = await r.render(spec);
    assert.ok(first.ok);
    assert.equal(first.cached, undefined);
    const second = await r.render(spec);
    assert.ok(second.ok && second.cached);
    assert.equal(runner.renders.length, 1);
    assert.deepEqual(runner.renders[0].args, ['build', '--', app]);
    // Given its inputs explicitly (Application.sourcePaths), the same files make the same key.
    const inputs = [join(app, 'kustomization.yaml'), join(app, 'cm.yaml')];
    await r.render(spec, { inputs });
    assert.equal(runner.renders.length, 1);
    await fs.writeFile(join(app, 'cm.yaml'), CONFIGMAP('b'));
    await r.render(spec);
    assert.equal(runner.renders.length, 2);
    await r.render(spec, { inputs });
    assert.equal(runner.renders.length, 2);
    // An input that is not a kustomize input (e.g. the Argo CD Application) also counts when given.
    await fs.writeFile(join(dir, 'application.yaml'), 'kind: Application\n');
    await r.render(spec, { inputs: [...inputs, join(dir, 'application.yaml')] });
    assert.equal(runner.renders.length, 3);
    await fs.writeFile(join(dir, 'application.yaml'), 'kind: Application # edited\n');
    await r.render(spec, { inputs: [...inputs, join(dir, 'application.yaml')] });
    assert.equal(runner.renders.length, 4);
    // the tool version is asked once, whatever the number of renders
    assert.equal(runner.runs.filter((x) => x.args[0] === 'version').length, 1);
  });
});

test('identical renders requested together share one run', async () => {
  await withTmp(async (dir) => {
    const { kustomize, spec } = await setup(dir);
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('a') }), 50);
    const r = createRenderer({ trusted: true, tools: { kustomize }, runner, env: { PATH: '' } });
    const results = await Promise.all([r.render(spec), r.render(spec), r.render(spec)]);
    assert.ok(results.every((x) => x.ok));
    assert.equal(runner.renders.length, 1);
  });
});

test('at most 2 renders run at once; the others wait their turn', async () => {
  await withTmp(async (dir) => {
    const { helm } = await setup(dir);
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('x') }));
    const release = runner.hold();
    const r = createRenderer({ trusted: true, tools: { helm }, runner, env: { PATH: '' } });
    const specs: RenderSpec[] = [1, 2, 3, 4, 5].map((i) => ({ kind: 'helm', chartDir: join(dir, 'app'), releaseName: `r${i}`, valueFiles: [] }));
    const pending = specs.map((s) => r.render(s));
    // Held runs never finish: wait until two have reached the tool, then the others must be queued.
    while (runner.renders.length < 2) await new Promise((res) => setImmediate(res));
    for (let i = 0; i < 50; i++) await new Promise((res) => setImmediate(res)); // give a third render every chance to start
    assert.equal(r.running, 2);
    assert.equal(r.waiting, 3);
    assert.equal(runner.renders.length, 2, 'no third render reached the tool while two were running');
    release();
    const results = await Promise.all(pending);
    assert.ok(results.every((x) => x.ok));
    assert.equal(runner.renders.length, 5);
    assert.equal(runner.maxActive, 2);
    // A renderer configured for 3 at once runs 3.
    const runner3 = new FakeRunner(() => ({ stdout: CONFIGMAP('x') }), 20);
    const r3 = createRenderer({ trusted: true, tools: { helm }, runner: runner3, env: { PATH: '' }, maxConcurrent: 3 });
    await Promise.all(specs.map((s) => r3.render(s)));
    assert.equal(runner3.maxActive, 3);
  });
});

test('cancelling: a waiting or running render stops and says so; a shared render stops only when all callers left', async () => {
  await withTmp(async (dir) => {
    const { kustomize, spec } = await setup(dir);
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('a') }), 300);
    const r = createRenderer({ trusted: true, tools: { kustomize }, runner, env: { PATH: '' } });
    const a = new AbortController();
    const b = new AbortController();
    const pa = r.render(spec, { signal: a.signal });
    const pb = r.render(spec, { signal: b.signal });
    a.abort();
    const ra = await pa;
    assert.equal(ra.ok, false);
    assert.equal(!ra.ok && ra.error.code, 'aborted');
    const rb = await pb; // b stayed: the shared run went on
    assert.ok(rb.ok);
    const c = new AbortController();
    await fs.writeFile(join(spec.kind === 'kustomize' ? spec.dir : '', 'cm.yaml'), CONFIGMAP('c'));
    const before = runner.renders.length;
    const pc = r.render(spec, { signal: c.signal });
    while (runner.renders.length === before) await new Promise((res) => setImmediate(res)); // the tool is running
    c.abort();
    const rc = await pc;
    assert.ok(!rc.ok && rc.error.code === 'aborted');
    const last = runner.renders[runner.renders.length - 1];
    assert.equal(last.opts.signal?.aborted, true, 'the run itself was aborted');
    const already = new AbortController();
    already.abort();
    const rd = await r.render(spec, { signal: already.signal });
    assert.ok(!rd.ok && rd.error.code === 'aborted');
  });
});

test('untrusted: kustomize and helm are refused with a clear error; plain manifests still render', async () => {
  await withTmp(async (dir) => {
    const { kustomize, helm, app, spec } = await setup(dir);
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('a') }));
    const r = createRenderer({ trusted: false, tools: { kustomize, helm }, runner, env: { PATH: '' } });
    const k = await r.render(spec);
    assert.ok(!k.ok);
    assert.equal(k.error.code, 'untrusted');
    assert.match(k.error.message, /not run in an untrusted workspace.*Trust the workspace/);
    const h = await r.render({ kind: 'helm', chartDir: app, releaseName: 'x', valueFiles: [] });
    assert.ok(!h.ok && h.error.code === 'untrusted' && h.error.tool === 'helm');
    assert.equal(runner.runs.length, 0, 'nothing was run');
    const p = await r.render({ kind: 'plain', files: [join(app, 'cm.yaml')] });
    assert.ok(p.ok);
    assert.deepEqual(p.documents.map((d) => d.id?.name), ['a']);
  });
});

test('a missing tool says which tool, where we looked (setting and each PATH folder) and how to set it', async () => {
  await withTmp(async (dir) => {
    const { app, spec } = await setup(dir);
    const empty1 = join(dir, 'empty1');
    const empty2 = join(dir, 'empty2');
    await fs.mkdir(empty1);
    await fs.mkdir(empty2);
    const r = createRenderer({ trusted: true, env: { PATH: `${empty1}:${empty2}` } });
    const h = await r.render({ kind: 'helm', chartDir: app, releaseName: 'x', valueFiles: [] });
    assert.ok(!h.ok);
    assert.equal(h.error.code, 'tool-not-found');
    assert.equal(h.error.tool, 'helm');
    assert.equal(
      h.error.message,
      `helm not found. Looked in the setting reconcile.tools.helm (not set) and in PATH: ${empty1}, ${empty2}. Install helm, or set "reconcile.tools.helm" to the full path of the executable.`,
    );
    const k = await r.render(spec);
    assert.ok(!k.ok);
    assert.match(k.error.message, /^kustomize or kubectl not found\. Looked in the settings reconcile\.tools\.kustomize \(not set\), reconcile\.tools\.kubectl \(not set\)/);
    const wrong = createRenderer({ trusted: true, tools: { helm: join(dir, 'nope', 'helm') }, env: { PATH: '' } });
    const w = await wrong.render({ kind: 'helm', chartDir: app, releaseName: 'x', valueFiles: [] });
    assert.ok(!w.ok);
    assert.match(w.error.message, /the setting reconcile\.tools\.helm is ".*nope\/helm", which is not an executable file/);
    const v = await r.toolVersion('helm');
    assert.ok('code' in v && v.code === 'tool-not-found');
  });
});

test('tools are found from the settings first, then PATH; kustomize before kubectl; versions are cached', async () => {
  await withTmp(async (dir) => {
    const { bin, app, spec } = await setup(dir);
    const other = join(dir, 'other');
    await fs.mkdir(other);
    const kubectl = await fakeTool(other, 'kubectl', 'process.exit(0)');
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('a') }));
    // PATH has kustomize (bin); the kubectl setting wins over PATH.
    const r1 = createRenderer({ trusted: true, tools: { kubectl }, runner, env: { PATH: bin } });
    const res = await r1.render(spec);
    assert.ok(res.ok);
    assert.equal(res.tool?.path, kubectl);
    assert.equal(res.tool?.source, 'setting');
    assert.equal(res.tool?.version, 'v1.33.0 (kustomize v5.6.0)');
    assert.deepEqual(runner.renders[0].args, ['kustomize', '--', app]);
    // No settings: kustomize from PATH.
    const r2 = createRenderer({ trusted: true, runner, env: { PATH: `${other}:${bin}` } });
    const t = await r2.toolVersion('kustomize-or-kubectl');
    assert.ok(!('code' in t));
    assert.equal(t.name, 'kustomize');
    assert.equal(t.source, 'PATH');
    const before = runner.runs.length;
    await r2.toolVersion('kustomize-or-kubectl');
    assert.equal(runner.runs.length, before, 'version asked once');
    assert.equal(parseVersion('helm', 'v4.1.4+g05fa379\n'), 'v4.1.4+g05fa379');
    assert.equal(parseVersion('kustomize', '{Version:kustomize/v4.5.7 GitCommit:...}'), 'v4.5.7');
  });
});

test('helm arguments: release, chart, namespace, values files, inline values file, escaped --set', async () => {
  await withTmp(async (dir) => {
    const { helm, app } = await setup(dir);
    let valuesSeen = '';
    const runner = new FakeRunner((_c, args) => {
      const inline = args.filter((a) => a.startsWith('--values=')).at(-1)!.slice('--values='.length);
      valuesSeen = require('node:fs').readFileSync(inline, 'utf8');
      return { stdout: CONFIGMAP('x') };
    });
    const r = createRenderer({ trusted: true, tools: { helm }, runner, env: { PATH: '' } });
    const res = await r.render({ kind: 'helm', chartDir: app, releaseName: 'rel', namespace: 'ns', valueFiles: ['/v/a.yaml', '/v/b.yaml'], values: { a: { b: 1 } }, set: { 'x.y': 'p,q' } });
    assert.ok(res.ok, JSON.stringify(res));
    const args = runner.renders[0].args;
    // Every flag as --name=value (a value is never read as a flag), then `--` and the positionals.
    assert.deepEqual(args.slice(0, 4), ['template', '--namespace=ns', '--values=/v/a.yaml', '--values=/v/b.yaml']);
    assert.match(args[4], /^--values=.*reconcile-values-.*values\.json$/);
    assert.deepEqual(args.slice(5), ['--set=x.y=p\\,q', '--', 'rel', app]);
    assert.deepEqual(JSON.parse(valuesSeen), { a: { b: 1 } });
    await assert.rejects(fs.access(args[4].slice('--values='.length)), 'the temporary values file is removed');
  });
});

test('a failing tool gives its own stderr, exit code and command; timeouts and output limits are errors', async () => {
  await withTmp(async (dir) => {
    const { bin, app, spec } = await setup(dir);
    const k = await fakeTool(bin, 'kustomize-fails', "process.stderr.write('Error: something broke in ' + process.argv[4] + '\\n'); process.exit(1)");
    const r = createRenderer({ trusted: true, tools: { kustomize: k }, env: { PATH: '' } });
    const res = await r.render(spec);
    assert.ok(!res.ok);
    assert.equal(res.error.code, 'tool-failed');
    assert.equal(res.error.tool, 'kustomize');
    assert.equal(res.error.exitCode, 1);
    assert.equal(res.error.stderr, `Error: something broke in ${app}`);
    assert.equal(res.error.message, `kustomize build failed: something broke in ${app}`);
    assert.deepEqual(res.error.command, [k, 'build', '--', app]);
    assert.equal(res.error.file, join(app, 'kustomization.yaml'));

    const slow = await fakeTool(bin, 'kustomize-slow', "if (process.argv[2] === 'version') console.log('v5.0.0'); else setTimeout(() => {}, 30000)");
    const rs = createRenderer({ trusted: true, tools: { kustomize: slow }, env: { PATH: '' } });
    const t0 = performance.now();
    const ts = await rs.render(spec, { timeoutMs: 300 });
    assert.ok(!ts.ok && ts.error.code === 'timeout', JSON.stringify(ts));
    assert.equal(ts.error.message, 'kustomize build did not finish within 300 ms and was stopped');
    assert.ok(performance.now() - t0 < 5000);

    const loud = await fakeTool(bin, 'kustomize-loud', "if (process.argv[2] === 'version') { console.log('v5.0.0'); process.exit(0); } const s = 'x'.repeat(65536); (function w() { while (process.stdout.write(s)) {} process.stdout.once('drain', w); })()");
    const rl = createRenderer({ trusted: true, tools: { kustomize: loud }, env: { PATH: '' } });
    const tl = await rl.render(spec, { maxOutputBytes: 1024 * 1024 });
    assert.ok(!tl.ok && tl.error.code === 'output-too-large', JSON.stringify(!tl.ok && tl.error));
    assert.match(tl.error.message, /printed more than 1 MB and was stopped/);
  });
});

test('unsupported specs are errors that carry their reason', async () => {
  const r = createRenderer({ trusted: true, env: { PATH: '' } });
  const res = await r.render({ kind: 'unsupported', reason: 'chart from a Helm repository' });
  assert.deepEqual(res, { ok: false, error: { code: 'unsupported', message: 'chart from a Helm repository' } });
});
