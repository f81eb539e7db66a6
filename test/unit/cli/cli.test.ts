// The `reconcile` CLI: envs and render over examples/, exit codes 0/1/2, with the real tools from setup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main';

const examples = join(__dirname, '..', '..', '..', 'examples');
const toolsFile = join(process.env.RECONCILE_CACHE ?? join(homedir(), '.cache', 'reconcile'), 'tools.json');

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk, _enc, cb) {
      w.text += String(chunk);
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

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
