// The `reconcile` CLI: envs and render over examples/, exit codes 0/1/2, with the real tools from setup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main';
import { sink } from './io';

const examples = join(__dirname, '..', '..', '..', 'examples');
const toolsFile = join(process.env.RECONCILE_CACHE ?? join(homedir(), '.cache', 'reconcile'), 'tools.json');

async function run(argv: string[], env: NodeJS.ProcessEnv = { PATH: '' }) {
  const out = sink();
  const err = sink();
  const code = await main(argv, { out, err, env, cwd: examples });
  return { code, out: out.text, err: err.text };
}

function tools(): { kubectl: string; helm: string } {
  try {
    return JSON.parse(readFileSync(toolsFile, 'utf8'));
  } catch {
    throw new Error(`kubectl and helm from setup are needed: run \`bash scripts/setup\` (looked for ${toolsFile})`);
  }
}

test('envs lists the environments of examples/ and exits 0', async () => {
  const r = await run(['envs', '.']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^dev {2}context reconcile-local \(from reconcile\.yaml\) {2}namespaces shop-dev$/m);
  assert.match(r.out, /^prod .* protected$/m);
  assert.match(r.out, /^ {2}shop-web +flux +kustomize +apps\/web\/overlays\/dev$/m);
});

test('envs --format json is the repository model', async () => {
  const r = await run(['envs', '--format', 'json']);
  assert.equal(r.code, 0);
  const model = JSON.parse(r.out);
  assert.deepEqual(model.environments.map((e: { name: string }) => e.name), ['dev', 'staging', 'prod']);
});

test('envs exits 1 when the repository has problems', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-cli-'));
  try {
    mkdirSync(join(dir, 'app', 'overlays', 'dev'), { recursive: true });
    writeFileSync(join(dir, 'app', 'overlays', 'dev', 'kustomization.yaml'), 'resources:\n  - ../../missing-base\n');
    const r = await run(['envs', dir]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /error: .*missing-base/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2 with a message', async () => {
  for (const argv of [['nope'], ['envs', '--format', 'xml'], ['envs', '--bogus'], ['render', '.'], ['render', '.', '--env', 'qa']]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, /^reconcile: /, argv.join(' '));
  }
});

test('render --env dev --app shop-web prints the rendered manifests (real kubectl kustomize)', async () => {
  const t = tools();
  const r = await run(['render', '--env', 'dev', '--app', 'shop-web', '--kubectl', t.kubectl], { PATH: '' });
  assert.equal(r.code, 0, r.err);
  const kinds = parseAllDocuments(r.out).map((d) => `${d.get('kind')}/${(d.toJS() as { metadata: { name: string } }).metadata.name}`);
  assert.deepEqual(kinds.filter((k) => !k.startsWith('ConfigMap/')).sort(), ['Deployment/web', 'Ingress/web', 'Namespace/shop-dev', 'Service/web']);
});

test('render exits 2 and names the tool when it is missing', async () => {
  const r = await run(['render', '--env', 'dev', '--app', 'cache', '--helm', '/nonexistent/helm'], { PATH: '' });
  assert.equal(r.code, 2);
  assert.match(r.err, /helm not found/);
  assert.match(r.err, /\/nonexistent\/helm/);
});

test('check: the examples as files hold exactly their deliberate plaintext Secret (exit 1)', async () => {
  const r = await run(['check', '.']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.deepEqual(r.out.trim().split('\n'), [
    // the api's own configuration file (a configMapGenerator input) is no Kubernetes object: a note
    'apps/api/base/application.yaml:2:1: info yaml/not-kubernetes: not a Kubernetes object (it has neither apiVersion nor kind): not checked as Kubernetes',
    'apps/api/overlays/dev/secret.yaml:11:1: error secret/plaintext: Secret api-db-credentials is committed with 2 plaintext values (username, password); use an ExternalSecret, a SealedSecret or SOPS',
    // the chart's templates are YAML only once rendered (check --env): said, not skipped silently
    'charts/cache/Chart.yaml:1:1: info check/helm-template: 3 Helm templates of chart cache not checked as files: a template is YAML only once rendered (`reconcile check --env` checks the rendered output)',
    '1 error(s), 0 warning(s), 2 note(s), 1 not checked in 69 file(s) checked',
  ]);
  assert.ok(!r.out.includes('not-a-real-password'));
});

test('check: schema errors give path:line:col lines, exit 1; --fail-on never exits 0; --format json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-check-'));
  try {
    writeFileSync(join(dir, 'd.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: "2"\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: "i:1"}]\n');
    const r = await run(['check', dir]);
    assert.equal(r.code, 1);
    const lines = r.out.trim().split('\n');
    assert.deepEqual(lines.filter((l) => l.includes(' error ')), ['d.yaml:5:13: error schema/type: spec.replicas: expected integer, got string "2"']);
    // The bare container also breaks practices and the restricted Pod Security level: warnings, not errors.
    assert.ok(lines.some((l) => /^d\.yaml:\d+:\d+: warning pss\/run-as-non-root: /.test(l)));
    assert.match(lines.at(-1)!, /^1 error\(s\), \d+ warning\(s\), 0 note\(s\) in 1 file\(s\) checked$/);
    assert.equal((await run(['check', dir, '--fail-on', 'warning'])).code, 1);
    assert.equal((await run(['check', dir, '--fail-on', 'never'])).code, 0);
    const j = await run(['check', dir, '--format', 'json']);
    const findings = JSON.parse(j.out);
    assert.deepEqual(findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { code: string; file: string; range: { start: { line: number } } }) => [f.code, f.file, f.range.start.line]), [['schema/type', 'd.yaml', 4]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check --env renders the environments with the real tools: schema, policies and the repository\'s CEL policies', async () => {
  const t = tools();
  const r = await run(['check', '--env', 'dev', '--env', 'prod', '--kubectl', t.kubectl, '--helm', t.helm]);
  assert.equal(r.code, 1, r.out + r.err);
  const codes = r.out.trim().split('\n').slice(0, -1).map((l) => l.replace(/: \[(dev|prod)\].*$/, ' [$1]').replace(/^(\S+):\d+:\d+: /, '$1 '));
  assert.deepEqual(codes, [
    'apps/api/overlays/dev/secret.yaml error secret/plaintext [dev]',
    'apps/web/overlays/dev/kustomization.yaml error vap/shop-image-tag-policy [dev]',
    'apps/web/overlays/dev/kustomization.yaml warning practice/image-tag [dev]',
    'apps/worker/overlays/dev/kustomization.yaml error vap/shop-require-resource-limits [dev]',
    'apps/worker/overlays/dev/kustomization.yaml warning practice/resources [dev]',
    'charts/cache/templates/deployment.yaml warning practice/single-replica-protected [prod]',
    'charts/cache/templates/deployment.yaml warning practice/probes [prod]',
  ]);
  assert.match(r.out, /^3 error\(s\), 4 warning\(s\), 0 note\(s\) in 13 file\(s\) checked$/m);
});

test('check --format sarif is SARIF 2.1.0 (validated), --format junit is JUnit XML, --output writes a file', async () => {
  const Ajv = (await import('ajv')).default;
  const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'policy', 'report', 'sarif-2.1.0-subset.schema.json'), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-sarif-'));
  try {
    const out = join(dir, 'report.sarif');
    const r = await run(['check', '.', '--format', 'sarif', '--output', out]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    assert.ok(validate(JSON.parse(readFileSync(out, "utf8"))), JSON.stringify(validate.errors));
    assert.equal(sarif.version, '2.1.0');
    const results = sarif.runs[0].results.filter((x: { ruleId: string }) => x.ruleId !== 'yaml/not-kubernetes'); // the note on application.yaml
    assert.deepEqual(results.map((x: { ruleId: string; level: string }) => [x.ruleId, x.level]), [['secret/plaintext', 'error'], ['check/helm-template', 'note']]);
    assert.deepEqual(results[1].properties, { notChecked: true });
    assert.equal(results[0].locations[0].physicalLocation.artifactLocation.uri, 'apps/api/overlays/dev/secret.yaml');
    assert.equal(results[0].locations[0].physicalLocation.region.startLine, 11);
    const junit = await run(['check', '.', '--format', 'junit']);
    assert.match(junit.out, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    assert.match(junit.out, /<testsuites[^>]* failures="1"/);
    assert.match(junit.out, /secret\/plaintext/);
    assert.ok(!junit.out.includes('not-a-real-password') && !readFileSync(out, 'utf8').includes('not-a-real-password'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check --env reports a failed render as a finding on the kustomization (exit 1)', async () => {
  const t = tools();
  const dir = mkdtempSync(join(tmpdir(), 'reconcile-check-env-'));
  try {
    mkdirSync(join(dir, 'app', 'base'), { recursive: true });
    mkdirSync(join(dir, 'app', 'overlays', 'dev'), { recursive: true });
    writeFileSync(join(dir, 'app', 'base', 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
    writeFileSync(join(dir, 'app', 'base', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "1"}\n');
    writeFileSync(join(dir, 'app', 'overlays', 'dev', 'kustomization.yaml'), 'resources:\n  - ../../base\npatches:\n  - path: nope.yaml\n');
    const r = await run(['check', dir, '--env', 'dev', '--kubectl', t.kubectl]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /app\/overlays\/dev\/kustomization\.yaml:\d+:\d+: error render\/tool-failed: \[dev\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
