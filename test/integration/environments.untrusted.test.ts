// Runs in a session whose workspace is NOT trusted: no external tool may run.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, screenshot, applicationNodes } from './util';

describe('Environments in an untrusted workspace', () => {
  it('is really untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('lists environments, says why nothing renders, and runs no tool', async () => {
    const api = await activateExtension();
    const roots = await api.environments.getChildren();
    assert.equal(roots[0].type, 'notice');
    const notice = api.environments.getTreeItem(roots[0]);
    assert.match(String(notice.label), /Restricted mode/);
    assert.equal(notice.command?.command, 'workbench.trust.manage');
    const envs = roots.filter((n) => n.type === 'environment');
    assert.deepEqual(envs.map((n) => String(api.environments.getTreeItem(n).label)), ['dev', 'staging', 'prod']);

    // Expand every application of every environment.
    let apps = 0;
    for (const env of envs) {
      for (const app of await applicationNodes(env)) {
        apps++;
        const kids = await api.environments.getChildren(app);
        if (app.app.renderer.kind === 'kustomize' || app.app.renderer.kind === 'helm') {
          assert.ok(
            kids.some((k) => k.type === 'error' && /restricted mode/.test(k.message)),
            `${app.app.id} says it is not rendered in restricted mode`,
          );
        }
      }
    }
    assert.ok(apps >= 12, `expanded ${apps} applications`);
    assert.equal(api.repo.spawnCount, 0, 'no process was started');

    const doc = await vscode.commands.executeCommand<vscode.TextEditor>('reconcile.openRendered', envs[0]);
    assert.match(doc!.document.getText(), /RENDER FAILED: kustomize is not run in an untrusted workspace/);
    assert.equal(api.repo.spawnCount, 0, 'still no process');
    await vscode.commands.executeCommand('workbench.view.extension.reconcile');
    await screenshot('environments-untrusted');
  });
});
