import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse as parseYaml } from 'yaml';
import Ajv from 'ajv';
import { discover, parseRepoConfig } from '../../../src/core/repo';
import { fixtures, layout, rel, renderer } from './helpers';

const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'src', 'core', 'repo', 'reconcile-config.schema.json'), 'utf8'));

test('plain: folders of Kubernetes YAML become applications; other YAML and policyPaths do not', async () => {
  const m = await discover(join(fixtures, 'plain'));
  assert.deepEqual(layout(m), { dev: ['envs/dev'], prod: ['envs/prod', 'manifests'] });
  const prod = m.environments.find((e) => e.name === 'prod')!;
  const manifests = prod.applications.find((a) => a.name === 'manifests')!;
  assert.equal(manifests.id, 'plain:manifests');
  // settings.yaml is not a Kubernetes object; policies/ is a policy path (see .reconcile.yaml)
  assert.deepEqual(renderer(m, manifests), { kind: 'plain', files: ['manifests/namespace.yaml', 'manifests/tools.yaml'] });
});

test('.reconcile.yaml: environments (paths, context, namespaces, protected), ignore and policy are exposed', async () => {
  const m = await discover(join(fixtures, 'plain'));
  assert.deepEqual(m.errors, []);
  const envs = Object.fromEntries(m.environments.map((e) => [e.name, { ctx: e.context, src: e.contextSource, ns: e.namespaces, protected: e.protected }]));
  assert.deepEqual(envs, {
    dev: { ctx: undefined, src: undefined, ns: ['tools-dev'], protected: false },
    prod: { ctx: 'prod-admin', src: 'reconcile.yaml', ns: [], protected: false }, // protected: false overrides the name
  });
  const c = m.config!;
  assert.equal(rel(m, c.file), '.reconcile.yaml');
  assert.deepEqual(c.ignore.map(({ location, ...r }) => (assert.ok(location), r)), [
    { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'], jqPathExpressions: [], managedFieldsManagers: [], environments: ['dev'] },
  ]);
  assert.deepEqual(c.policy, {
    policyPaths: ['policies'],
    externalNames: [],
    rules: { 'no-latest-tag': { severity: 'warning', environments: { dev: { disable: true, severity: undefined } } }, 'require-limits': { disable: true } },
  });
  // With kubeconfig contexts, an environment without a context is matched by name.
  const m2 = await discover(join(fixtures, 'plain'), { kubeContexts: ['kind-dev', 'prod-admin'] });
  assert.deepEqual(m2.environments.map((e) => [e.name, e.context, e.contextSource]), [['dev', 'kind-dev', 'kubeconfig'], ['prod', 'prod-admin', 'reconcile.yaml']]);
});

test('.reconcile.yaml: every shape error is reported with its line; the valid rest is kept', async () => {
  const m = await discover(join(fixtures, 'config', 'invalid'));
  const got = m.errors.map((e) => [e.code, e.location!.range.start.line, e.message.replace('.reconcile.yaml: ', '')]);
  assert.deepEqual(got, [
    ['config', 18, "unknown key 'unknownTopLevel' (expected environments, ignore, policy)"],
    ['config', 5, "unknown key 'colour' in environment (expected name, paths, context, namespaces, protected)"],
    ['config', 3, 'context must be the name of a kubeconfig context'],
    ['config', 4, 'protected must be true or false'],
    ['config', 6, "environment 'dev' is defined twice"],
    ['config', 7, 'environment needs a `name` (letters, digits, ".", "_", "-")'],
    ['config', 9, 'ignore rule needs jsonPointers, jqPathExpressions or managedFieldsManagers'],
    ['config', 11, "'spec/ports' is not a JSON pointer (it must start with '/')"],
    ['config', 12, "unknown environment 'staging' (defined: dev)"],
    ['config', 17, "unknown key 'extra' in policy (expected rules, policyPaths, externalNames)"],
    ['config', 15, 'severity must be one of error, warning, info, hint'],
    ['config', 16, "severity 'maybe' is not one of error, warning, info, hint, off"],
  ]);
  assert.deepEqual(m.config!.environments.map((e) => [e.name, e.paths]), [['dev', ['apps/*/overlays/dev']]]);
  const broken = parseRepoConfig('environments: [name: x\n', '/r/.reconcile.yaml');
  assert.ok(broken.errors.length > 0 && broken.errors.every((e) => e.code === 'config' && e.location?.file === '/r/.reconcile.yaml'));
});

test('reconcile-config.schema.json accepts what the parser accepts and rejects the invalid fixture', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  for (const file of [join(fixtures, 'plain', '.reconcile.yaml'), join(__dirname, '..', '..', '..', 'examples', '.reconcile.yaml')]) {
    const text = readFileSync(file, 'utf8');
    assert.ok(validate(parseYaml(text)), `${file}: ${JSON.stringify(validate.errors)}`);
    assert.deepEqual(parseRepoConfig(text, file).errors, [], file);
  }
  assert.equal(validate(parseYaml(readFileSync(join(fixtures, 'config', 'invalid', '.reconcile.yaml'), 'utf8'))), false);
});

test('discovery reports a too-large YAML file quickly without reading it, and keeps going', async () => {
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-large-'));
  try {
    await fs.mkdir(join(tmp, 'manifests'));
    await fs.writeFile(join(tmp, 'manifests', 'small.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n');
    // ≈ 5,000 documents of 10 KB: under the document limit, so that a higher size limit reads it
    const doc = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: ' + 'x'.repeat(10_000) + '\n---\n';
    const chunk = Buffer.from(doc.repeat(128));
    const fh = await fs.open(join(tmp, 'manifests', 'huge.yaml'), 'w');
    for (let n = 0; n < 50 * 1024 * 1024; n += chunk.length) await fh.write(chunk);
    await fh.close();
    const m = await discover(tmp);
    const a = m.environments[0].applications[0];
    assert.deepEqual(a.sourcePaths, [join(tmp, 'manifests', 'small.yaml')]);
    const tooLarge = m.errors.find((e) => e.code === 'too-large');
    assert.ok(tooLarge, JSON.stringify(m.errors));
    assert.match(tooLarge.message, /^huge\.yaml: file is 50\.\d MB; files over 16 MB are not checked$/);
    // A higher limit reads it.
    const m2 = await discover(tmp, { maxFileBytes: 60 * 1024 * 1024 });
    assert.equal(m2.errors.length, 0);
    assert.equal(m2.environments[0].applications[0].sourcePaths.length, 2);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('a folder that does not exist gives an error, not a crash', async () => {
  const m = await discover(join(fixtures, 'no-such-folder'));
  assert.deepEqual(m.environments, []);
  assert.equal(m.errors[0].code, 'unreadable');
});

test('node_modules, .git and hidden folders are skipped', async () => {
  const tmp = await fs.mkdtemp(join(tmpdir(), 'reconcile-skip-'));
  try {
    for (const d of ['node_modules/pkg', '.git/x', '.hidden', 'real']) {
      await fs.mkdir(join(tmp, d), { recursive: true });
      await fs.writeFile(join(tmp, d, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n');
    }
    const m = await discover(tmp);
    assert.deepEqual(layout(m), { default: ['real'] });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
