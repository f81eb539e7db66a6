import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Semaphore } from '../../../src/core/util/semaphore';
import { globToRegExp, matchesGlob, matchesGlobOrParent } from '../../../src/core/util/glob';
import { createRenderer } from '../../../src/core/render';

const fixtures = join(__dirname, '..', '..', 'fixtures', 'repos');

test('Semaphore: at most N holders, FIFO, abort while waiting releases nothing', async () => {
  const s = new Semaphore(2);
  const order: string[] = [];
  const r1 = await s.acquire();
  const r2 = await s.acquire();
  const p3 = s.acquire().then((r) => (order.push('3'), r));
  const ac = new AbortController();
  const p4 = s.acquire(ac.signal);
  const p5 = s.acquire().then((r) => (order.push('5'), r));
  assert.equal(s.inUse, 2);
  assert.equal(s.queued, 3);
  ac.abort();
  await assert.rejects(p4, /aborted/i);
  assert.equal(s.queued, 2);
  r1();
  r1(); // releasing twice is harmless
  const r3 = await p3;
  assert.equal(s.inUse, 2);
  r2();
  const r5 = await p5;
  assert.deepEqual(order, ['3', '5']);
  r3();
  r5();
  assert.equal(s.inUse, 0);
  assert.throws(() => new Semaphore(0));
});

test('Semaphore: an urgent waiter goes first, and a queued one can be promoted when someone waits for it', async () => {
  const s = new Semaphore(1);
  const order: string[] = [];
  const held = await s.acquire();
  let promoteB = () => {};
  const a = s.acquire().then((r) => (order.push('a'), r));
  const b = s.acquire(undefined, { onQueued: (p) => (promoteB = p) }).then((r) => (order.push('b'), r));
  const c = s.acquire().then((r) => (order.push('c'), r));
  const u = s.acquire(undefined, { urgent: true }).then((r) => (order.push('urgent'), r));
  promoteB(); // an urgent caller joined b: it moves to the front, before the urgent one queued earlier
  held();
  for (const p of [b, u, a, c]) (await p)();
  assert.deepEqual(order, ['b', 'urgent', 'a', 'c']);
});

test('an urgent render (an application expanded in the tree) runs before the background renders queued earlier', async () => {
  const semaphore = new Semaphore(1);
  const renderer = createRenderer({ tools: {}, trusted: true, semaphore });
  const file = (n: string) => join(fixtures, n);
  const hold = await semaphore.acquire(); // every slot busy: renders queue
  const done: string[] = [];
  const bg1 = renderer.render({ kind: 'plain', files: [file('manifests/multi.yaml')] }).then(() => done.push('background 1'));
  const bg2 = renderer.render({ kind: 'plain', files: [file('plain/envs/dev/quota.yaml')] }).then(() => done.push('background 2'));
  const shown = renderer.render({ kind: 'plain', files: [file('plain/envs/prod/quota.yaml')] }, { urgent: true }).then(() => done.push('expanded'));
  // All three are waiting for a slot (their inputs hashed, queued) before it is freed.
  while (semaphore.queued < 3) await new Promise((r) => setTimeout(r, 5));
  hold();
  await Promise.all([bg1, bg2, shown]);
  assert.deepEqual(done, ['expanded', 'background 1', 'background 2']);
});

test('globs: *, **, {a,b}, and matching a parent folder', () => {
  assert.ok(matchesGlob('apps/web/overlays/dev', 'apps/*/overlays/dev'));
  assert.ok(!matchesGlob('apps/web/x/overlays/dev', 'apps/*/overlays/dev'));
  assert.ok(matchesGlob('clusters/dev', 'clusters/dev/**'));
  assert.ok(matchesGlob('clusters/dev/a/b.yaml', 'clusters/dev/**'));
  assert.ok(!matchesGlob('clusters/devx/a.yaml', 'clusters/dev/**'));
  assert.ok(matchesGlob('a/b/c/x.yaml', '**/x.yaml'));
  assert.ok(matchesGlob('x.yaml', '**/x.yaml'));
  assert.ok(matchesGlob('b/c', '{a,b}/c'));
  assert.ok(matchesGlob('./apps/web', 'apps/web'));
  assert.ok(matchesGlobOrParent('apps/web/overlays/dev/kustomization.yaml', 'apps/*/overlays/dev'));
  assert.ok(!matchesGlobOrParent('apps/web/overlays/prod/kustomization.yaml', 'apps/*/overlays/dev'));
  assert.equal(globToRegExp('a.b+c').source, '^a\\.b\\+c$');
});

test('plain render: our own parser, each object with its source document; a YAML error names the file and line', async () => {
  const r = createRenderer({ trusted: false, env: { PATH: '' } });
  const files = [join(fixtures, 'plain', 'manifests', 'namespace.yaml'), join(fixtures, 'plain', 'manifests', 'tools.yaml')];
  const res = await r.render({ kind: 'plain', files });
  assert.ok(res.ok);
  assert.deepEqual(res.documents.map((d) => `${d.id!.kind}/${d.id!.name}`), ['Namespace/tools', 'ServiceAccount/tools', 'ConfigMap/tools']);
  assert.deepEqual(res.documents.map((d) => [d.source!.file, d.source!.range.start.line]), [[files[0], 0], [files[1], 0], [files[1], 5]]);
  assert.equal(res.yaml.split('---\n').length, 3);
  assert.deepEqual(res.documents.map((d) => d.range.start.line), [0, 5, 11]);
  assert.ok(res.yaml.split('\n')[res.documents[2].range.start.line].startsWith('apiVersion: v1'));
  assert.ok(res.yaml.split('\n')[res.documents[2].range.start.line + 1].startsWith('kind: ConfigMap'));
  const bad = await r.render({ kind: 'plain', files: [join(fixtures, 'manifests', 'syntax-error.yaml')] });
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, 'invalid-input');
  assert.equal(bad.error.file, join(fixtures, 'manifests', 'syntax-error.yaml'));
  assert.equal(bad.error.location!.range.start.line, 9);
  const bin = await r.render({ kind: 'plain', files: [join(fixtures, 'manifests', 'binary.yaml')] });
  assert.ok(!bin.ok && /binary data/.test(bin.error.message));
});

test('plain render reads values as kubectl apply -f does (YAML 1.1 booleans), so drift and sync send what kubectl would', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-plain-'));
  try {
    const file = join(dir, 'pod.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: yes\n  containers:\n    - name: c\n      image: nginx:1.27\n      securityContext: {privileged: on, readOnlyRootFilesystem: "on"}\n');
    const r = createRenderer({ trusted: false, env: { PATH: '' } });
    const res = await r.render({ kind: 'plain', files: [file] });
    assert.ok(res.ok);
    const spec = res.documents[0].object.spec as { hostNetwork: unknown; containers: Array<{ securityContext: Record<string, unknown> }> };
    assert.equal(spec.hostNetwork, true);
    assert.equal(spec.containers[0].securityContext.privileged, true);
    assert.equal(spec.containers[0].securityContext.readOnlyRootFilesystem, 'on', 'a quoted "on" stays a string');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
