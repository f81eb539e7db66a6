// Hostile arguments in the editor: values from test/fixtures/hostile-args that try to become helm
// flags (a Chart.yaml name and an Argo CD releaseName of `--output-dir=pwned`) are copied into the
// workspace; expanding their applications shows the refusal in the tree and in Problems at the line
// that wrote it, and no process starts for them (nothing written, evil.sh never run).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentsNode } from '../../src/vscode/environmentsView';
import { activateExtension, EXTENSION_ID, sleep, waitFor, applicationNodes } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const fixture = () => path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'hostile-args');
const REFUSED = 'release name "--output-dir=pwned" is not a valid Helm release name';

async function application(name: string): Promise<EnvironmentsNode | undefined> {
  const api = await activateExtension();
  for (const env of (await api.environments.getChildren()) ?? []) {
    if (env.type !== 'environment') continue;
    for (const n of await applicationNodes(env)) if (n.app.name === name) return n;
  }
  return undefined;
}

/** Resolves once `count` has not changed over 2 s (background renders of the warm-up are done). */
async function settled(count: () => number): Promise<void> {
  let last = count();
  for (let same = 0; same < 10; ) {
    await sleep(200);
    const now = count();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}

function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      out.push(path.relative(dir, path.join(d, e.name)));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

describe('Hostile arguments', () => {
  it('refuses release names written as helm flags: an error node, a Problem at the line, and no process', async () => {
    const api = await activateExtension();
    // The first render of a session also logs the tools' versions (`kubectl version`, `helm version`):
    // render one ordinary application first, and wait until no render is running.
    await api.environments.getChildren(await waitFor(() => application('cache'), 'the cache chart of examples/'));
    await settled(() => api.repo.spawnCount);
    const hostile = path.join(ws(), 'hostile');
    const app = path.join(ws(), 'argocd', 'hostile-release.yaml');
    fs.cpSync(path.join(fixture(), 'charts', 'named'), path.join(hostile, 'charts', 'named'), { recursive: true });
    // The Application's own chart (also named --output-dir=pwned): nothing here can start helm.
    fs.cpSync(path.join(fixture(), 'charts', 'named'), path.join(hostile, 'charts', 'target'), { recursive: true });
    fs.copyFileSync(path.join(fixture(), 'evil.sh'), path.join(hostile, 'evil.sh'));
    const argo = fs.readFileSync(path.join(fixture(), 'argocd', 'release-output-dir.yaml'), 'utf8').replace('path: charts/web', 'path: hostile/charts/target');
    fs.writeFileSync(app, argo);
    try {
      const before = listing(hostile);
      const named = await waitFor(() => application('--output-dir=pwned'), 'the chart named --output-dir=pwned in the tree', 30_000);
      const argoApp = await waitFor(() => application('a-release-output-dir'), 'the Argo CD Application in the tree', 30_000);
      const spawns = api.repo.spawnCount;
      for (const node of [named, argoApp]) {
        const kids = (await api.environments.getChildren(node)) ?? [];
        assert.ok(kids.some((k) => k.type === 'error' && k.severity === 'error' && k.message === REFUSED), `${JSON.stringify(kids.map((k) => k.type === 'error' && k.message))}`);
      }
      for (const [file, line, appName] of [[path.join(hostile, 'charts', 'named', 'Chart.yaml'), 1, '--output-dir=pwned'], [app, 14, 'a-release-output-dir']] as const) {
        const d = await waitFor(() => vscode.languages.getDiagnostics(vscode.Uri.file(file)).find((x) => x.source === 'reconcile' && x.message.includes(REFUSED)), `the refusal in Problems on ${file}`, 20_000);
        assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
        assert.equal(d.range.start.line, line, `${file}: the line that wrote the value`);
        // Worded as the CLI words it: `[env] app: message` (one function for both, applicationProblem()).
        assert.match(d.message, /^\[[^\]/]+\] [^:]+: release name "--output-dir=pwned" is not a valid Helm release name$/);
        assert.equal(d.message.slice(d.message.indexOf('] ') + 2), `${appName}: ${REFUSED}`);
      }
      assert.equal(api.repo.spawnCount, spawns, 'no process started for a refused value');
      assert.deepEqual(listing(hostile), before, 'no file written (no --output-dir), evil.sh never ran');
    } finally {
      fs.rmSync(hostile, { recursive: true, force: true });
      fs.rmSync(app, { force: true });
    }
    await waitFor(async () => !(await application('a-release-output-dir')) && !(await application('--output-dir=pwned')), 'the hostile applications to leave the tree', 30_000);
  });
});
