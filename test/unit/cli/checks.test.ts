// The CLI as CI uses it (issue 15): remote sources and kinds without a schema are "not checked"
// notes (never counted as clean: --fail-on warning fails on them), findings are printed once, a
// missing path is one line and exit 2 from every command, the usage text only after usage errors,
// JUnit valid against the JUnit XSD with failures exactly when the exit code is 1, SARIF links
// that point nowhere made up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { main } from '../../../src/cli/main';
import { sink } from './io';

const fixtures = join(__dirname, '..', '..', 'fixtures');
const xsd = readFileSync(join(fixtures, 'checks-report', 'junit-10.xsd'), 'utf8');

async function run(argv: string[], cwd = fixtures) {
  const out = sink();
  const err = sink();
  const code = await main(argv, { out, err, env: { PATH: '' }, cwd });
  return { code, out: out.text, err: err.text };
}

/** The fixture repository in a scratch folder, with a git remote so that Argo CD tells this repository from another. */
function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-checks-'));
  cpSync(join(fixtures, 'checks-cli', 'repo'), dir, { recursive: true });
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'config'), '[remote "origin"]\n\turl = https://git.example.com/team/shop.git\n');
  return dir;
}

async function junitValid(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [{ fileName: 'junit-10.xsd', contents: xsd }] });
  return r.errors.map((e) => e.rawMessage);
}

test('check --env: another repository is a note (as envs says), kinds without a schema are one "not checked" note per kind; --fail-on warning fails on them, error does not', async () => {
  const repo = scratchRepo();
  try {
    const envs = await run(['envs', repo]);
    assert.equal(envs.code, 0, 'envs: the other repository is no error');
    assert.match(envs.out, /^ {2}vendor +argocd/m);
    const r = await run(['check', repo, '--env', 'default']);
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.trim().split('\n');
    // the other repository cannot be fetched here (no git on PATH), a plugin runs only in Argo CD: not rendered, notes
    assert.deepEqual(lines.map((l) => l.replace(/: \[default\].*/, '').replace(/render\/(unsupported|remote-unavailable)$/, 'render/…')), [
      'apps/web/web.yaml:17:1: info schema/unknown-kind',
      'argocd/apps.yaml:1:1: info render/…',
      'argocd/apps.yaml:1:1: info render/…',
      '0 error(s), 0 warning(s), 3 note(s), 3 not checked in 1 file(s) checked',
    ]);
    assert.match(lines[0], /2 example\.com\/Widget objects of web: schema not checked/);
    assert.match(lines[1], /info render\/remote-unavailable: \[default\] vendor: .*vendor\/platform\.git/);
    assert.match(lines[2], /info render\/unsupported: \[default\] plugin: config management plugin/);
    const strict = await run(['check', repo, '--env', 'default', '--fail-on', 'warning']);
    assert.equal(strict.code, 1, 'not checked is never clean');
    const json = JSON.parse((await run(['check', repo, '--env', 'default', '--format', 'json'])).out) as Array<{ code: string; notChecked?: boolean }>;
    assert.deepEqual(json.map((f) => [f.code, f.notChecked]), [['schema/unknown-kind', true], ['render/remote-unavailable', true], ['render/unsupported', true]]);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('check: the same finding is printed once (rule, place and message), e.g. when an environment is named twice', async () => {
  const repo = scratchRepo();
  try {
    writeFileSync(join(repo, 'apps', 'web', 'web.yaml'), readFileSync(join(repo, 'apps', 'web', 'web.yaml'), 'utf8').replace('port: 80', 'port: "eighty"'));
    const r = await run(['check', repo, '--env', 'default', '--env', 'default']);
    assert.equal(r.code, 1);
    const errors = r.out.split('\n').filter((l) => l.includes('error schema/type'));
    assert.deepEqual(errors, ['apps/web/web.yaml:7:1: error schema/type: [default] Service/web: spec.ports[0].port: expected integer, got string "eighty"']);
    for (const format of ['json', 'sarif', 'junit']) {
      const out = (await run(['check', repo, '--env', 'default', '--env', 'default', '--format', format])).out;
      assert.equal(out.split('expected integer, got string').length - 1, format === 'junit' ? 2 : 1, format); // JUnit: the message attribute and the body
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('a missing path, or a file where a folder is expected: exit 2 and one line from every command, no usage text', async () => {
  const missing = join(fixtures, 'checks-cli', 'no-such-folder');
  const file = join(fixtures, 'checks-cli', 'repo', 'apps', 'web', 'web.yaml');
  const commands = (p: string) => [
    ['envs', p],
    ['render', p, '--env', 'dev'],
    ['check', p, '--env', 'dev'],
    ['drift', p, '--env', 'dev', '--context', 'x'],
    ['plan', p, '--env', 'dev', '--context', 'x'],
    ['diff', p],
    ['metrics', p],
  ];
  for (const argv of [...commands(missing), ['check', missing]]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err, `reconcile: no such ${argv[0] === 'check' ? 'file or folder' : 'folder'}: ${missing}\n`, argv.join(' '));
    assert.equal(r.out, '');
  }
  for (const argv of commands(file)) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, /^reconcile: \S+web\.yaml is a file; (\w+)(?: --env)? needs the repository's folder\n$/, argv.join(' '));
  }
  // a file is what `check` without --env takes
  assert.equal((await run(['check', file])).code, 0);
});

test('the usage text follows usage errors only; an unknown environment is one line', async () => {
  for (const argv of [['nope'], ['check', '--format', 'xml'], ['envs', '--bogus'], ['render', '.'], ['envs', 'a', 'b']]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, /^reconcile: .*\n\nreconcile \S+: GitOps checks/, argv.join(' '));
  }
  const repo = join(fixtures, 'checks-cli', 'repo');
  for (const argv of [['render', repo, '--env', 'qa'], ['check', repo, '--env', 'qa']]) {
    const r = await run(argv);
    assert.equal(r.code, 2);
    assert.equal(r.err, "reconcile: no environment 'qa' (found: default)\n", argv.join(' '));
  }
});

test('JUnit: valid against the JUnit XSD; warnings and "not checked" are failures only with --fail-on warning, so failures ⇔ exit 1', async () => {
  const repo = scratchRepo();
  try {
    // a warning of its own: a Service that selects no pod (in a namespace without the Widgets, which might make pods)
    writeFileSync(join(repo, 'apps', 'web', 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: lost, namespace: other}\nspec:\n  selector: {app: nothing}\n  ports: [{port: 80}]\n');
    const byDefault = await run(['check', repo, '--env', 'default', '--format', 'junit']);
    assert.deepEqual(await junitValid(byDefault.out), []);
    assert.equal(byDefault.code, 0);
    assert.match(byDefault.out, /<testsuites name="reconcile check" tests="\d+" failures="0" errors="0">/);
    assert.equal((byDefault.out.match(/<skipped /g) ?? []).length, 3, 'the three "not checked" notes are skipped cases');
    assert.ok(!byDefault.out.includes('<failure'), byDefault.out);
    const strict = await run(['check', repo, '--env', 'default', '--format', 'junit', '--fail-on', 'warning']);
    assert.deepEqual(await junitValid(strict.out), []);
    assert.equal(strict.code, 1);
    assert.match(strict.out, /<testsuites name="reconcile check" tests="\d+" failures="4" errors="0">/);
    assert.match(strict.out, /<failure message="[^"]*Service lost selects app=nothing[^"]*" type="warning">/);
    assert.equal((strict.out.match(/type="not-checked"/g) ?? []).length, 3);
    const never = await run(['check', repo, '--env', 'default', '--format', 'junit', '--fail-on', 'never']);
    assert.ok(!never.out.includes('<failure'));
    // the schema does reject what a CI server would not read
    assert.notDeepEqual(await junitValid(strict.out.replace('<testcase classname=', '<testcase line="1" classname=')), []);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('SARIF and JSON: no made-up links; docs are the repository-relative rule pages (package.json names no repository)', async () => {
  const repo = scratchRepo();
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    assert.equal(pkg.repository, undefined);
    const sarif = JSON.parse((await run(['check', repo, '--env', 'default', '--format', 'sarif'])).out);
    const text = JSON.stringify(sarif);
    assert.ok(!text.includes('example.invalid'));
    const rules: Array<{ id: string; helpUri?: string; help: { text: string } }> = sarif.runs[0].tool.driver.rules;
    for (const r of rules) {
      assert.equal(r.helpUri, undefined, r.id);
      assert.match(r.help.text, /See docs\/rules\/[a-z-]+\.md in the Reconcile repository/);
    }
    assert.equal(sarif.runs[0].tool.driver.informationUri, undefined);
    assert.ok(sarif.runs[0].results.every((x: { properties?: { notChecked?: boolean } }) => x.properties?.notChecked === true));
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});

test('check over files: a Helm chart\'s templates are one "not checked" note, not silently clean', async () => {
  const chart = join(fixtures, 'checks-cli', 'chart');
  const r = await run(['check', chart]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.deepEqual(r.out.trim().split('\n'), [
    'web/Chart.yaml:1:1: info check/helm-template: 2 Helm templates of chart web not checked as files: a template is YAML only once rendered (`reconcile check --env` checks the rendered output)',
    '0 error(s), 0 warning(s), 1 note(s), 1 not checked in 4 file(s) checked',
  ]);
  assert.equal((await run(['check', chart, '--fail-on', 'warning'])).code, 1);
});
