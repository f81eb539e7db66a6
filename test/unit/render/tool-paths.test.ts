// Relative tool paths (reconcile.tools.helm: "bin/helm", `reconcile render --helm bin/helm`) are taken
// from the workspace folder (the CLI: its working directory), never from the process's own working
// directory — which in the editor is wherever VS Code was started. Without a folder to take them from
// (an untrusted workspace, no folder) a relative path is refused with the reason, never looked up.
// Real fake-tool executables, run by the real process runner.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRenderer, resolveToolPaths, spawnRunner, ToolLocator, type RenderSpec } from '../../../src/core/render';
import { main } from '../../../src/cli/main';
import { sink } from '../cli/io';
import { CONFIGMAP, fakeTool } from './fakes';

/** A workspace folder with its own bin/helm (prints ConfigMap "from-folder"), and a decoy bin/helm in the process's cwd. */
async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await fs.mkdtemp(join(tmpdir(), 'reconcile-toolpaths-'));
  const folder = join(root, 'workspace');
  const elsewhere = join(root, 'cwd');
  for (const d of [folder, elsewhere]) await fs.mkdir(join(d, 'bin'), { recursive: true });
  const helmPrinting = (name: string) =>
    `if (process.argv[2] === 'version') { console.log('v3.15.0+gfake'); process.exit(0); }\nprocess.stdout.write(${JSON.stringify(CONFIGMAP(name))});`;
  await fakeTool(join(folder, 'bin'), 'helm', helmPrinting('from-folder'));
  await fakeTool(join(elsewhere, 'bin'), 'helm', helmPrinting('from-process-cwd'));
  const chartDir = join(folder, 'chart');
  await fs.mkdir(chartDir);
  await fs.writeFile(join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
  const cwd = process.cwd();
  process.chdir(elsewhere);
  t.after(async () => {
    process.chdir(cwd);
    await fs.rm(root, { recursive: true, force: true });
  });
  return { folder, elsewhere, spec: { kind: 'helm', releaseName: 'web', chartDir, valueFiles: [] } as RenderSpec };
}

const nameOf = (r: Awaited<ReturnType<ReturnType<typeof createRenderer>['render']>>) => (r.ok ? r.documents.map((d) => (d.object.metadata as { name: string }).name) : r.error.message);

test('resolveToolPaths: relative from the base folder, ~/ from home, absolute as given, empty dropped, no base leaves it relative', () => {
  assert.deepEqual(resolveToolPaths({ helm: 'bin/helm', kubectl: '/usr/bin/kubectl', kustomize: '  ' }, '/work/repo', '/home/ada'), { helm: '/work/repo/bin/helm', kubectl: '/usr/bin/kubectl' });
  assert.deepEqual(resolveToolPaths({ helm: './tools/../bin/helm' }, '/work/repo'), { helm: '/work/repo/bin/helm' });
  assert.deepEqual(resolveToolPaths({ helm: '~/bin/helm' }, '/work/repo', '/home/ada'), { helm: '/home/ada/bin/helm' });
  assert.deepEqual(resolveToolPaths({ helm: '~/bin/helm' }, undefined), { helm: join(homedir(), 'bin/helm') });
  assert.deepEqual(resolveToolPaths({ helm: 'bin/helm' }, undefined), { helm: 'bin/helm' });
});

test('a relative reconcile.tools.helm runs the workspace folder’s helm, not one in the process’s working directory', async (t) => {
  const { folder, spec } = await setup(t);
  const renderer = createRenderer({ trusted: true, tools: resolveToolPaths({ helm: 'bin/helm' }, folder), runner: spawnRunner, env: { PATH: '' } });
  const r = await renderer.render(spec);
  assert.deepEqual(nameOf(r), ['from-folder']);
  const info = await renderer.toolVersion('helm');
  assert.ok(!('code' in info));
  assert.equal(info.path, join(folder, 'bin', 'helm'));
  assert.equal(info.source, 'setting');
});

test('a relative path with no folder to take it from (untrusted, no folder) is refused and says why; nothing runs', async (t) => {
  const { spec } = await setup(t);
  let runs = 0;
  const counting = { run: (...a: Parameters<typeof spawnRunner.run>) => (runs++, spawnRunner.run(...a)) };
  const r = await createRenderer({ trusted: true, tools: resolveToolPaths({ helm: 'bin/helm' }, undefined), runner: counting, env: { PATH: '' } }).render(spec);
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'tool-not-found');
  assert.match(r.error.message, /reconcile\.tools\.helm is the relative path "bin\/helm", which is resolved against the workspace folder only in a trusted workspace/);
  assert.equal(runs, 0);
  const found = new ToolLocator({ kubectl: 'kubectl' }, spawnRunner, { PATH: '' }).findKustomize();
  assert.match(found.error?.message ?? '', /reconcile\.tools\.kubectl is the relative path "kubectl"/);
});

test('CLI: --helm bin/helm is taken from the CLI’s working directory (io.cwd), not the process’s', async (t) => {
  const { folder } = await setup(t);
  const out = sink();
  const err = sink();
  const code = await main(['render', '.', '--env', 'default', '--helm', 'bin/helm'], { out, err, env: { PATH: '' }, cwd: folder });
  assert.equal(code, 0, err.text);
  assert.match(out.text, /name: from-folder/);
  assert.doesNotMatch(out.text, /from-process-cwd/);
});
