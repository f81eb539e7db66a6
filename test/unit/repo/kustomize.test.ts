import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { discover, isRemoteRef } from '../../../src/core/repo';
import { app, files, fixtures, layout, rel, renderer } from './helpers';

test('kustomize: overlays become applications per environment; bases, components, patches and generator files feed them', async () => {
  const m = await discover(join(fixtures, 'kustomize-nested'));
  assert.deepEqual(layout(m), { dev: ['shop'], prod: ['shop'] });
  const dev = app(m, 'dev', 'shop');
  assert.equal(dev.id, 'kustomize:apps/shop/overlays/dev');
  assert.equal(dev.sourceKind, 'kustomize');
  assert.deepEqual(renderer(m, dev), { kind: 'kustomize', dir: 'apps/shop/overlays/dev' });
  assert.deepEqual(files(m, dev), [
    'apps/shop/base/app.properties',
    'apps/shop/base/deployment.yaml',
    'apps/shop/base/kustomization.yaml',
    'apps/shop/base/service.yaml',
    'apps/shop/overlays/dev/kustomization.yaml',
    'apps/shop/overlays/dev/replicas.yaml',
    'common/labels/kustomization.yaml',
    'common/labels/settings.yaml',
    'components/probe/kustomization.yaml',
  ]);
  assert.deepEqual(dev.errors, []);
  assert.equal(dev.namespace, 'shop-dev');
  const prod = app(m, 'prod', 'shop');
  assert.ok(files(m, prod).includes('apps/shop/overlays/prod/resources.yaml'));
  assert.ok(files(m, prod).includes('apps/shop/overlays/prod/service-patch.yaml'));
  assert.ok(!files(m, prod).includes('components/probe/kustomization.yaml'));
  const envs = Object.fromEntries(m.environments.map((e) => [e.name, { ns: e.namespaces, protected: e.protected }]));
  assert.deepEqual(envs, { dev: { ns: ['shop-dev'], protected: false }, prod: { ns: ['shop-prod'], protected: true } });
  assert.deepEqual(m.errors, []);
});

test('kustomize: remote bases are recorded as remote, not followed', async () => {
  const m = await discover(join(fixtures, 'kustomize-remote'));
  const dev = m.environments.find((e) => e.name === 'dev')!.applications[0];
  assert.deepEqual(dev.remote, [
    'https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.6.0',
    'github.com/example/platform//deploy/monitoring?ref=main',
  ]);
  assert.deepEqual(dev.errors.map((e) => [e.code, e.severity, e.location?.range.start.line]), [['remote', 'info', 5], ['remote', 'info', 6]]);
  assert.ok(files(m, dev).includes('base/configmap.yaml'));
  for (const r of ['https://x/y', 'git::https://x/y', 'git@github.com:o/r.git', 'github.com/o/r//p?ref=v1', 'gitlab.example.com/group/repo/path']) assert.ok(isRemoteRef(r), r);
  for (const l of ['../base', 'base', './deployment.yaml', 'v1.2/dir']) assert.ok(!isRemoteRef(l), l);
});

test('kustomize: missing paths, cycles, binary resources and folders without kustomization are errors on the application', async () => {
  const m = await discover(join(fixtures, 'kustomize-broken'));
  const apps = Object.fromEntries(m.environments.flatMap((e) => e.applications).map((a) => [a.id, a]));
  const missing = apps['kustomize:missing'];
  assert.deepEqual(
    missing.errors.map((e) => [e.code, rel(m, e.location!.file), e.location!.range.start.line]),
    [['missing-path', 'missing/kustomization.yaml', 4], ['missing-path', 'missing/kustomization.yaml', 6]],
  );
  assert.match(missing.errors[0].message, /'\.\.\/does-not-exist' not found/);
  // The cycle a ↔ b has no overlay on top; it is still shown, with the cycle as its error.
  const cycle = apps['kustomize:cycle/a'];
  assert.ok(cycle, Object.keys(apps).join(', '));
  assert.deepEqual(cycle.errors.map((e) => e.code), ['cycle']);
  assert.match(cycle.errors[0].message, /cycle\/a → cycle\/b → cycle\/a/);
  const binary = apps['kustomize:binary'];
  assert.deepEqual(binary.errors.map((e) => [e.code, rel(m, e.location!.file)]), [['binary', 'binary/data.yaml']]);
  assert.deepEqual(apps['kustomize:not-a-kustomization'].errors.map((e) => e.code), ['not-a-kustomization']);
});

test('kustomize: a symbolic-link loop ends (reported as a cycle), never hangs', async () => {
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-symlink-'));
  try {
    await fs.mkdir(join(tmp, 'app'));
    await fs.writeFile(join(tmp, 'app', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n  - loop\n');
    await fs.writeFile(join(tmp, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n');
    await fs.symlink('.', join(tmp, 'app', 'loop')); // app/loop → app
    await fs.mkdir(join(tmp, 'plain', 'deeper'), { recursive: true });
    await fs.writeFile(join(tmp, 'plain', 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n');
    await fs.symlink('..', join(tmp, 'plain', 'deeper', 'up')); // plain/deeper/up → plain
    await fs.symlink('a-b', join(tmp, 'b-a')); // dangling pair of links: b-a → a-b → b-a
    await fs.symlink('b-a', join(tmp, 'a-b'));
    const t0 = performance.now();
    const m = await discover(tmp);
    assert.ok(performance.now() - t0 < 2000);
    const a = m.environments.flatMap((e) => e.applications).find((x) => x.id === 'kustomize:app');
    assert.ok(a);
    assert.deepEqual(a.errors.map((e) => e.code), ['cycle']);
    const p = m.environments.flatMap((e) => e.applications).find((x) => x.id === 'plain:plain');
    assert.deepEqual(p?.sourcePaths, [join(tmp, 'plain', 'pod.yaml')]);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
