// A relative reconcile.tools.kubectl ("bin/kubectl", set per workspace folder) runs the kubectl of the
// folder whose repository is rendered — in a multi-root workspace each folder its own — never one looked
// up from the extension host's working directory. Each folder's bin/kubectl is a wrapper around the real
// kubectl that notes its folder in a file, so the test sees which one ran. Everything is put back after.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, requireEnv, waitFor, workspaceFolder } from './util';

const folder = workspaceFolder;

describe('Relative tool paths in a multi-root workspace', () => {
  const names = ['shop', 'payments'];
  const made: string[] = [];

  after(async () => {
    for (const name of names) await vscode.workspace.getConfiguration('reconcile.tools', folder(name).uri).update('kubectl', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    for (const p of made.reverse()) fs.rmSync(p, { recursive: true, force: true });
    const api = await activateExtension();
    await api.repo.reload();
  });

  it('each folder renders with its own bin/kubectl', async function () {
    this.timeout(90_000);
    const tools = JSON.parse(requireEnv('RECONCILE_TEST_TOOLS')) as { kubectl: string };
    for (const name of names) {
      const dir = folder(name).uri.fsPath;
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      made.push(bin);
      const marker = path.join(bin, 'ran');
      fs.writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\necho "${name} $1" >> '${marker}'\nexec '${tools.kubectl}' "$@"\n`, { mode: 0o755 });
      // prod becomes a kustomize application, so rendering it runs kubectl kustomize.
      const kustomization = path.join(dir, 'deploy', 'prod', 'kustomization.yaml');
      const resources = fs.readdirSync(path.dirname(kustomization)).filter((f) => f.endsWith('.yaml'));
      fs.writeFileSync(kustomization, `resources:\n${resources.map((r) => `  - ${r}\n`).join('')}`);
      made.push(kustomization);
      await vscode.workspace.getConfiguration('reconcile.tools', folder(name).uri).update('kubectl', 'bin/kubectl', vscode.ConfigurationTarget.WorkspaceFolder);
    }
    const api = await activateExtension();
    await api.repo.reload();
    for (const name of names) {
      const app = await waitFor(
        () => api.repo.environments().find((e) => e.folder.folder.name === name && e.env.name === 'prod')?.env.applications.find((a) => a.renderer.kind === 'kustomize'),
        `${name}'s prod as a kustomize application`,
        20_000,
      );
      // Settings of two folders change one after the other and reach the extension as two events: a
      // render that ran between them used the older settings; the next one (after the event) the new ones.
      const own = path.join(folder(name).uri.fsPath, 'bin', 'kubectl');
      let last = '';
      const r = await waitFor(async () => {
        const x = await api.repo.render(app);
        last = x.ok ? String(x.tool?.path) : x.error.message;
        return x.ok && x.tool?.path === own ? x : undefined;
      }, `${name} rendered with its own bin/kubectl (last: ${last})`, 30_000).catch((e: Error) => {
        throw new Error(`${e.message}; last render used ${last}`);
      });
      assert.equal(r.tool?.path, own);
    }
    for (const name of names) {
      const ran = fs.readFileSync(path.join(folder(name).uri.fsPath, 'bin', 'ran'), 'utf8');
      assert.match(ran, /kustomize/, `${name}'s own kubectl rendered ${name}'s prod`);
      assert.ok(ran.split('\n').filter(Boolean).every((l) => l.startsWith(`${name} `)), ran);
    }
  });
});
