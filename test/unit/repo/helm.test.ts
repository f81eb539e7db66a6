import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { discover } from '../../../src/core/repo';
import { app, files, fixtures, layout, rel, renderer } from './helpers';

test('helm: one application per environment values file (values-<env>, values/<env>, env/<env>/values.yaml)', async () => {
  const m = await discover(join(fixtures, 'helm'));
  assert.deepEqual(layout(m), {
    dev: ['bad-values', 'broken-template', 'web'],
    prod: ['web'],
    qa: ['api'],
    staging: ['web'],
    default: ['umbrella'], // no per-environment values; the library chart `common` is no application
  });
  const dev = app(m, 'dev', 'web');
  assert.equal(dev.id, 'helm:charts/web@dev');
  assert.deepEqual(renderer(m, dev), { kind: 'helm', chartDir: 'charts/web', releaseName: 'web', valueFiles: ['charts/web/values-dev.yaml'] });
  // Other environments' values files are not inputs of this one (a change there does not re-render it).
  assert.deepEqual(files(m, dev), [
    'charts/web/Chart.yaml',
    'charts/web/templates/_helpers.tpl',
    'charts/web/templates/deployment.yaml',
    'charts/web/templates/service.yaml',
    'charts/web/values-dev.yaml',
    'charts/web/values.yaml',
  ]);
  assert.deepEqual(renderer(m, app(m, 'staging', 'web')), { kind: 'helm', chartDir: 'charts/web', releaseName: 'web', valueFiles: ['charts/web/values/staging.yaml'] });
  assert.deepEqual(renderer(m, app(m, 'qa', 'api')), { kind: 'helm', chartDir: 'charts/api', releaseName: 'api', valueFiles: ['charts/api/env/qa/values.yaml'] });
});

test('helm: a values file with a YAML error is reported with its line', async () => {
  const m = await discover(join(fixtures, 'helm'));
  const bad = app(m, 'dev', 'bad-values');
  assert.equal(bad.errors.length, 1, JSON.stringify(bad.errors));
  assert.equal(bad.errors[0].code, 'yaml');
  assert.equal(rel(m, bad.errors[0].location!.file), 'charts/bad-values/values-dev.yaml');
  assert.equal(bad.errors[0].location!.range.start.line, 3);
});

test('helm: dependencies — local file:// charts feed the render, remote ones are recorded, missing ones are errors', async () => {
  const m = await discover(join(fixtures, 'helm'));
  const u = app(m, 'default', 'umbrella');
  assert.deepEqual(u.remote, ['https://charts.bitnami.com/bitnami redis@19.0.0']);
  assert.ok(files(m, u).includes('charts/common/templates/_labels.tpl'), files(m, u).join(' '));
  assert.deepEqual(
    u.errors.map((e) => [e.code, e.severity ?? 'error', e.location!.range.start.line]),
    [['unsupported', 'warning', 4], ['remote', 'warning', 7], ['missing-path', 'error', 10]],
  );
  assert.match(u.errors[2].message, /dependency 'ghost': file:\/\/\.\.\/ghost has no Chart\.yaml/);
});
