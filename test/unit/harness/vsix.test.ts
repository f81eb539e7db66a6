// `npm run package` builds a VSIX that installs into the real VS Code server (code-server 4.100.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const harness = (f: string) => join(root, 'test', 'harness', f);

test('the VSIX builds, stays small and installs into the VS Code server', async () => {
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['vscodeServerMain'] });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const build = spawnSync(process.execPath, [join(root, 'esbuild.js'), '--production'], { cwd: root, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const pack = spawnSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(pack.status, 0, pack.stdout + pack.stderr);
  const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
  assert.ok(existsSync(vsix));
  assert.ok(statSync(vsix).size < 5 * 1024 * 1024, `${statSync(vsix).size} bytes`);

  const dir = mkdtempSync(join(tmpdir(), 'reconcile-vsix-'));
  try {
    const common = ['--accept-server-license-terms', '--user-data-dir', join(dir, 'user'), '--server-data-dir', join(dir, 'server'), '--extensions-dir', join(dir, 'ext')];
    const env = { ...process.env, TMPDIR: dir };
    const install = spawnSync(process.execPath, [tools.vscodeServerMain, ...common, '--install-extension', vsix], { encoding: 'utf8', env });
    assert.equal(install.status, 0, install.stdout + install.stderr);
    const list = spawnSync(process.execPath, [tools.vscodeServerMain, ...common, '--list-extensions', '--show-versions'], { encoding: 'utf8', env });
    assert.match(list.stdout, new RegExp(`^${pkg.publisher}\\.${pkg.name}@${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
    const installed = join(dir, 'ext', `${pkg.publisher}.${pkg.name}-${pkg.version}`);
    for (const f of ['package.json', 'dist/extension.js', 'dist/cli.js', 'dist/server.js', 'dist/schemas/kubernetes.json', 'dist/schemas/descriptions.json', 'docs/rules/schema-type.md', 'dist/reconcile-config.schema.json', 'media/reconcile.svg', 'readme.md']) {
      assert.ok(existsSync(join(installed, f)), `${f} is in the installed extension`);
    }
    // vsce stores README.md as readme.md: reconcile.openDocs looks for both.
    assert.ok(!existsSync(join(installed, 'src')), 'sources are not shipped');
    assert.ok(!existsSync(join(installed, 'node_modules')), 'node_modules is not shipped (everything is bundled)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
