// Hooks and phases: Argo CD's hooks and waves, Helm's hooks read by Helm (Flux helm-controller) and as
// Argo CD maps them, Flux kustomize-controller (no hooks). Fixtures cite the documentation they follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawObject } from '../../../src/core/cluster';
import { parseManifests } from '../../../src/core/manifest';
import { classify, deployerOf, describe, isHook, runBySync, type Classification, type Deployer } from '../../../src/core/phase';

const fixtures = join(__dirname, '..', '..', 'fixtures');

function objects(file: string): Map<string, RawObject> {
  const parsed = parseManifests(readFileSync(join(fixtures, file), 'utf8'));
  const out = new Map<string, RawObject>();
  for (const d of parsed.documents) {
    const o = d.value as RawObject;
    out.set(String((o.metadata as { name: string }).name), o);
  }
  return out;
}

type Expect = Pick<Classification, 'phase' | 'wave' | 'weight' | 'deletePolicy' | 'engine'> & Partial<Pick<Classification, 'phases' | 'hook'>>;

function check(file: string, deployer: Deployer | undefined, expected: Record<string, Expect>): void {
  const objs = objects(file);
  assert.deepEqual([...objs.keys()].sort(), Object.keys(expected).sort(), 'every fixture object has an expectation');
  for (const [name, e] of Object.entries(expected)) {
    const c = classify(objs.get(name), deployer);
    const got: Expect = { phase: c.phase, wave: c.wave, weight: c.weight, deletePolicy: c.deletePolicy, engine: c.engine };
    if (e.phases) got.phases = c.phases;
    if (e.hook !== undefined) got.hook = c.hook;
    assert.deepEqual(got, e, `${name} (${deployer ?? 'default'}): ${describe(c)}`);
  }
}

const SYNC: Expect = { phase: 'Sync', wave: 0, weight: 0, deletePolicy: [], engine: 'none' };

test('Argo CD hooks, waves and delete policies (Reconcile sync reads them as Argo CD does)', () => {
  for (const deployer of ['argocd', 'reconcile', undefined] as const) {
    check('hooks-argo/hooks.yaml', deployer, {
      plain: { ...SYNC, hook: false },
      'wave-minus-one': { ...SYNC, wave: -1 },
      'presync-migrate': { phase: 'PreSync', wave: 2, weight: 0, deletePolicy: ['HookSucceeded'], engine: 'argocd', hook: true },
      'sync-hook': { phase: 'Sync', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd', hook: true },
      'pre-and-post': { phase: 'PreSync', phases: ['PreSync', 'PostSync'], wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation', 'HookSucceeded'], engine: 'argocd' },
      'on-failure': { phase: 'SyncFail', wave: 0, weight: 0, deletePolicy: ['HookFailed'], engine: 'argocd' },
      'after-delete': { phase: 'PostDelete', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd' },
      skipped: { phase: 'Skip', wave: 0, weight: 0, deletePolicy: [], engine: 'argocd', hook: false },
      // The Argo CD annotation wins; the Helm weight still stands for the wave when no sync-wave is written.
      'argo-wins': { phase: 'PostSync', phases: ['PostSync'], wave: 7, weight: 7, deletePolicy: ['BeforeHookCreation'], engine: 'argocd' },
    });
  }
});

test("Helm hooks as Argo CD maps them: pre-* → PreSync, post-* → PostSync, weight = wave, tests and rollback never run, crd-install ordinary", () => {
  check('hooks-helm/hooks.yaml', 'argocd', {
    ordinary: SYNC,
    'db-init': { phase: 'PreSync', wave: -5, weight: -5, deletePolicy: ['BeforeHookCreation', 'HookSucceeded'], engine: 'argocd' },
    'install-only': { phase: 'PreSync', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd' },
    notify: { phase: 'PostSync', phases: ['PostSync'], wave: 3, weight: 3, deletePolicy: ['HookFailed'], engine: 'argocd' },
    'test-connection': { phase: 'Test', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd', hook: true },
    'test-legacy': { phase: 'Test', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd' },
    cleanup: { phase: 'PreDelete', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd' },
    gone: { phase: 'PostDelete', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd' },
    rollback: { phase: 'Rollback', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'argocd', hook: true },
    'widgets.example.com': { ...SYNC, hook: false },
  });
});

test('Helm hooks as Helm (and Flux helm-controller) runs them: phase by event, ordered by weight', () => {
  for (const deployer of ['helm', 'flux-helm'] as const) {
    check('hooks-helm/hooks.yaml', deployer, {
      ordinary: SYNC,
      'db-init': { phase: 'PreSync', wave: -5, weight: -5, deletePolicy: ['BeforeHookCreation', 'HookSucceeded'], engine: 'helm' },
      'install-only': { phase: 'PreSync', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'helm' },
      notify: { phase: 'PostSync', wave: 3, weight: 3, deletePolicy: ['HookFailed'], engine: 'helm' },
      'test-connection': { phase: 'Test', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'helm' },
      'test-legacy': { phase: 'Test', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'helm' },
      cleanup: { phase: 'PreDelete', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'helm' },
      gone: { phase: 'PostDelete', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'helm' },
      rollback: { phase: 'Rollback', wave: 0, weight: 0, deletePolicy: ['BeforeHookCreation'], engine: 'helm' },
      'widgets.example.com': SYNC,
    });
  }
  const helm = objects('hooks-helm/hooks.yaml');
  assert.deepEqual(classify(helm.get('install-only'), 'helm').helmEvents, ['pre-install']);
  assert.match(classify(helm.get('test-connection'), 'helm').note ?? '', /tests, not run by sync/);
});

test("Helm's reading ignores Argo CD hook annotations; Flux kustomize-controller runs no hooks at all", () => {
  const argo = objects('hooks-argo/hooks.yaml');
  // Helm does not know argocd.argoproj.io/hook: an ordinary resource, unless it also has a Helm hook.
  assert.equal(classify(argo.get('presync-migrate'), 'helm').phase, 'Sync');
  assert.equal(classify(argo.get('presync-migrate'), 'helm').hook, false);
  assert.equal(classify(argo.get('argo-wins'), 'helm').phase, 'PreSync');
  for (const file of ['hooks-argo/hooks.yaml', 'hooks-helm/hooks.yaml']) {
    for (const [name, o] of objects(file)) {
      const c = classify(o, 'flux-kustomize');
      assert.equal(c.phase, 'Sync', name);
      assert.equal(c.hook, false, name);
      assert.equal(isHook(o, 'flux-kustomize'), false, name);
    }
  }
});

test('isHook and runBySync: what drift and sync rely on', () => {
  const argo = objects('hooks-argo/hooks.yaml');
  const helm = objects('hooks-helm/hooks.yaml');
  assert.deepEqual([...argo].filter(([, o]) => isHook(o)).map(([n]) => n).sort(), ['after-delete', 'argo-wins', 'on-failure', 'pre-and-post', 'presync-migrate', 'skipped', 'sync-hook']);
  assert.deepEqual([...helm].filter(([, o]) => isHook(o, 'helm')).map(([n]) => n).sort(), ['cleanup', 'db-init', 'gone', 'install-only', 'notify', 'rollback', 'test-connection', 'test-legacy']);
  assert.equal(runBySync(classify(helm.get('test-connection'), 'helm')), false);
  assert.equal(runBySync(classify(helm.get('cleanup'), 'argocd')), false);
  assert.equal(runBySync(classify(argo.get('on-failure'))), true);
  assert.equal(runBySync(classify(argo.get('skipped'))), false);
});

test('deployerOf: which engine applies an application', () => {
  const app = (sourceKind: 'argocd' | 'flux' | 'helm' | 'kustomize' | 'plain', id: string, kind: 'helm' | 'kustomize' = 'kustomize') =>
    deployerOf({ id, sourceKind, renderer: kind === 'helm' ? { kind, chartDir: '/c', releaseName: 'r', valueFiles: [] } : { kind, dir: '/d' } });
  assert.equal(app('argocd', 'argocd:shop', 'helm'), 'argocd');
  assert.equal(app('flux', 'flux:clusters/dev#HelmRelease/apps/web', 'helm'), 'flux-helm');
  assert.equal(app('flux', 'flux:clusters/dev#Kustomization/flux-system/apps'), 'flux-kustomize');
  assert.equal(app('helm', 'helm:charts/web', 'helm'), 'helm');
  assert.equal(app('kustomize', 'kustomize:apps/web/overlays/dev'), 'reconcile');
});
