// The hardened invocation (src/core/render/invocation.ts): each kind of repository value is checked,
// the argument lists have flags only as --name=value and `--` before the positionals, and a refused
// value is an error at the line that wrote it, with no process started (not even a version query).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRenderer, type RenderSpec } from '../../../src/core/render';
import {
  checkArgv,
  checkSpec,
  helmTemplateArgs,
  isValidApiVersion,
  isValidKubeVersion,
  isValidNamespace,
  isValidReleaseName,
  kustomizeArgs,
  RefusedArgument,
} from '../../../src/core/render/invocation';
import { FakeRunner, CONFIGMAP } from '../render/fakes';

type HelmSpec = Extract<RenderSpec, { kind: 'helm' }>;

function withRepo<T>(fn: (root: string) => T): T {
  const root = mkdtempSync(join(tmpdir(), 'reconcile-invocation-'));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  let async = false;
  try {
    mkdirSync(join(root, 'repo', 'chart', 'templates'), { recursive: true });
    writeFileSync(join(root, 'repo', 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: chart\nversion: 1.0.0\n');
    writeFileSync(join(root, 'repo', 'chart', 'values.yaml'), 'a: 1\n');
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'outside', 'secret.yaml'), 'password: hunter2\n');
    const r = fn(root);
    if (r instanceof Promise) {
      async = true;
      return r.finally(cleanup) as T;
    }
    return r;
  } finally {
    if (!async) cleanup();
  }
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof RefusedArgument) return e.message;
    throw e;
  }
  assert.fail('expected the value to be refused');
}

test('release names follow Helm (DNS-1123 subdomain, at most 53 characters)', () => {
  for (const ok of ['web', 'a', 'web-1', 'web.prod', '0abc', 'a'.repeat(53)]) assert.ok(isValidReleaseName(ok), ok);
  for (const bad of ['', '--output-dir=x', '-web', 'web-', 'Web', 'web_1', 'a b', 'web..x', 'a'.repeat(54), '--post-renderer=./x', 'x\ny']) assert.ok(!isValidReleaseName(bad), bad);
});

test('namespaces are DNS-1123 labels; versions and API versions have their shape', () => {
  for (const ok of ['dev', 'shop-dev', 'a'.repeat(63)]) assert.ok(isValidNamespace(ok), ok);
  for (const bad of ['-n', '--namespace=kube-system', 'a.b', 'Dev', 'a'.repeat(64)]) assert.ok(!isValidNamespace(bad), bad);
  for (const ok of ['1.30', '1.30.2', 'v1.30.2', 'v1.30.0-rc.1', '1.30.0+k3s1']) assert.ok(isValidKubeVersion(ok), ok);
  for (const bad of ['--post-renderer=x', '-1.30', 'latest', '1', '1.30.0 --x']) assert.ok(!isValidKubeVersion(bad), bad);
  for (const ok of ['v1', 'apps/v1', 'networking.k8s.io/v1', 'monitoring.coreos.com/v1/ServiceMonitor', 'batch/v2alpha1']) assert.ok(isValidApiVersion(ok), ok);
  for (const bad of ['--output-dir=x', '-apps/v1', 'apps', 'apps/v1 --x', '/v1', 'apps//v1']) assert.ok(!isValidApiVersion(bad), bad);
});

test('helm template arguments: --name=value flags, then --, the release name and the chart folder', () => {
  withRepo((root) => {
    const chartDir = join(root, 'repo', 'chart');
    const spec: HelmSpec = {
      kind: 'helm',
      chartDir,
      releaseName: 'web',
      namespace: 'dev',
      valueFiles: [join(chartDir, 'values.yaml')],
      set: { 'image.tag': 'v1,2' },
      kubeVersion: '1.30.0',
      apiVersions: ['monitoring.coreos.com/v1'],
      origins: { root: join(root, 'repo') },
    };
    const args = helmTemplateArgs(spec, '/tmp/inline.json');
    assert.deepEqual(args, [
      'template',
      '--namespace=dev',
      `--values=${join(chartDir, 'values.yaml')}`,
      '--values=/tmp/inline.json',
      '--set=image.tag=v1\\,2',
      '--kube-version=1.30.0',
      '--api-versions=monitoring.coreos.com/v1',
      '--',
      'web',
      chartDir,
    ]);
    checkArgv('helm', args);
    assert.deepEqual(kustomizeArgs('kubectl', { kind: 'kustomize', dir: chartDir }), ['kustomize', '--', chartDir]);
    assert.deepEqual(kustomizeArgs('kustomize', { kind: 'kustomize', dir: chartDir }), ['build', '--', chartDir]);
  });
});

test('the last check refuses any flag not built here: post-renderers, output folders, plugins, short flags, other subcommands', () => {
  const chart = '/repo/chart';
  for (const args of [
    ['template', '--post-renderer=./evil.sh', '--', 'web', chart],
    ['template', '--post-renderer-args=x', '--', 'web', chart],
    ['template', '--output-dir=/tmp/x', '--', 'web', chart],
    ['template', '-f', '/x.yaml', '--', 'web', chart],
    ['template', '--namespace', 'dev', '--', 'web', chart],
    ['template', 'web', chart],
    ['template', '--', '--output-dir=x', chart],
    ['install', '--', 'web', chart],
    ['plugin', 'install', '--', 'x'],
  ]) {
    assert.throws(() => checkArgv('helm', args), RefusedArgument, args.join(' '));
  }
  assert.throws(() => checkArgv('kustomize', ['build', '--enable-alpha-plugins=true', '--', '/repo/k']), RefusedArgument);
  assert.throws(() => checkArgv('kustomize', ['build', '--enable-exec=true', '--', '/repo/k']), RefusedArgument);
  assert.throws(() => checkArgv('kubectl', ['kustomize', '--enable-helm=true', '--', '/repo/k']), RefusedArgument);
  assert.throws(() => checkArgv('kubectl', ['apply', '--', '/repo/k']), RefusedArgument);
  checkArgv('kubectl', ['kustomize', '--', '/repo/k']);
});

test('folders and values files: inside the repository by path and by real path, never written with a leading -', () => {
  withRepo((root) => {
    const repo = join(root, 'repo');
    const chartDir = join(repo, 'chart');
    const base: HelmSpec = { kind: 'helm', chartDir, releaseName: 'web', valueFiles: [], origins: { root: repo } };
    checkSpec({ ...base, valueFiles: [join(chartDir, 'values.yaml'), join(chartDir, 'missing.yaml')] });
    assert.equal(refusal(() => checkSpec({ ...base, valueFiles: [join(root, 'outside', 'secret.yaml')] })), 'values file "../outside/secret.yaml" is outside the repository');
    assert.equal(
      refusal(() => checkSpec({ ...base, valueFiles: [join(chartDir, 'x.yaml')], origins: { root: repo, valueFiles: [{ file: '/f', docIndex: 0, path: [], written: '--post-renderer=x.yaml' }] } })),
      'values file "--post-renderer=x.yaml" is not a valid path: it starts with "-"',
    );
    assert.equal(refusal(() => checkSpec({ ...base, valueFiles: ['relative.yaml'] })), 'values file "relative.yaml" is not an absolute path');
    // A symbolic link inside the repository that leads out of it.
    symlinkSync(join(root, 'outside', 'secret.yaml'), join(chartDir, 'values-dev.yaml'));
    assert.match(refusal(() => checkSpec({ ...base, valueFiles: [join(chartDir, 'values-dev.yaml')] })), /^values file "chart\/values-dev\.yaml" resolves outside the repository \(to .*outside\/secret\.yaml\)$/);
    symlinkSync(join(root, 'outside'), join(repo, 'linked'));
    assert.match(refusal(() => checkSpec({ ...base, chartDir: join(repo, 'linked') })), /^chart folder "linked" resolves outside the repository/);
    assert.match(refusal(() => checkSpec({ kind: 'kustomize', dir: join(repo, 'linked'), origins: { root: repo } })), /^kustomization folder "linked" resolves outside the repository/);
    assert.equal(refusal(() => checkSpec({ kind: 'kustomize', dir: join(root, 'outside'), origins: { root: repo } })), 'kustomization folder "../outside" is outside the repository');
  });
});

test('a refused value is an invalid-argument error at the line that wrote it, and no process starts (not even a version query)', async () => {
  await withRepo(async (root) => {
    const repo = join(root, 'repo');
    const app = join(repo, 'app.yaml');
    writeFileSync(app, ['apiVersion: argoproj.io/v1alpha1', 'kind: Application', 'metadata:', '  name: web', 'spec:', '  source:', '    helm:', '      releaseName: "--output-dir=pwned"', ''].join('\n'));
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('x') }));
    const r = createRenderer({ trusted: true, tools: { helm: process.execPath }, runner, env: { PATH: '' } });
    const res = await r.render({
      kind: 'helm',
      chartDir: join(repo, 'chart'),
      releaseName: '--output-dir=pwned',
      valueFiles: [],
      origins: { root: repo, releaseName: { file: app, docIndex: 0, path: ['spec', 'source', 'helm', 'releaseName'] } },
    });
    assert.ok(!res.ok);
    assert.equal(res.error.code, 'invalid-argument');
    assert.equal(res.error.message, 'release name "--output-dir=pwned" is not a valid Helm release name');
    assert.equal(res.error.location?.file, app);
    assert.equal(res.error.location?.range.start.line, 7);
    assert.equal(runner.runs.length, 0, 'nothing ran');
    // The same in an untrusted workspace: the value is reported as what it is.
    const u = await createRenderer({ trusted: false, runner }).render({ kind: 'kustomize', dir: join(root, 'outside'), origins: { root: repo } });
    assert.ok(!u.ok);
    assert.equal(u.error.code, 'invalid-argument');
    assert.equal(runner.runs.length, 0);
  });
});

test('discovery records where each value was written: ApplicationSet templates, Flux default release names, Chart.yaml names', async () => {
  const { discover } = await import('../../../src/core/repo');
  await withRepo(async (root) => {
    const repo = join(root, 'repo');
    mkdirSync(join(repo, 'argocd'));
    mkdirSync(join(repo, 'flux'));
    writeFileSync(
      join(repo, 'argocd', 'set.yaml'),
      [
        'apiVersion: argoproj.io/v1alpha1',
        'kind: ApplicationSet',
        'metadata:',
        '  name: set',
        'spec:',
        '  generators:',
        '    - list:',
        '        elements:',
        '          - name: "--output-dir=x"',
        '  template:',
        '    metadata:',
        "      name: '{{name}}'",
        '    spec:',
        '      destination:',
        '        namespace: dev',
        '      source:',
        '        path: chart',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(repo, 'flux', 'hr.yaml'),
      [
        'apiVersion: helm.toolkit.fluxcd.io/v2',
        'kind: HelmRelease',
        'metadata:',
        '  name: web',
        '  namespace: dev',
        'spec:',
        '  targetNamespace: "-n"',
        '  chart:',
        '    spec:',
        '      chart: ./chart',
        '      sourceRef:',
        '        kind: GitRepository',
        '        name: flux-system',
        '',
      ].join('\n'),
    );
    const model = await discover(repo);
    const apps = model.environments.flatMap((e) => e.applications);
    const runner = new FakeRunner(() => ({ stdout: CONFIGMAP('x') }));
    const r = createRenderer({ trusted: true, tools: { helm: process.execPath }, runner, env: { PATH: '' } });
    const refusal = async (name: string) => {
      const app = apps.find((a) => a.name === name);
      assert.ok(app, `${name} among ${apps.map((a) => a.name)}`);
      const res = await r.renderApplication(app);
      assert.ok(!res.ok);
      return `${res.error.message} @ ${res.error.location?.file.slice(repo.length + 1)}:${(res.error.location?.range.start.line ?? -1) + 1}`;
    };
    assert.equal(await refusal('--output-dir=x'), 'release name "--output-dir=x" is not a valid Helm release name @ argocd/set.yaml:12');
    // Flux's default release name is <targetNamespace>-<name>: the bad part is the targetNamespace.
    assert.equal(await refusal('web'), 'release name "-n-web" is not a valid Helm release name @ flux/hr.yaml:7');
    assert.equal(runner.runs.length, 0);
  });
});
