// Proves the harness: a real VS Code, the real extension, a real kube-apiserver.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { activateExtension, EXTENSION_ID, requireEnv, screenshot, waitFor } from './util';

describe('Foundation', () => {
  it('activates in the real VS Code', async () => {
    const api = await activateExtension();
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs >= 0);
    // The host is a real VS Code 1.100 (code-server 4.100.3), not a mock.
    assert.match(vscode.version, /^1\.100\./);
  });

  it('registers its commands and the Environments view', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['reconcile.refresh', 'reconcile.showOutput', 'reconcile.openDocs', 'reconcile.createConfig']) {
      assert.ok(commands.includes(c), `command ${c} registered`);
    }
    // The view's container contributes a focus command only when the view exists in the workbench.
    assert.ok(commands.includes('reconcile.environments.focus'), 'Environments view registered');
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.deepEqual(pkg.contributes.views.reconcile.map((v: { id: string }) => v.id), ['reconcile.environments', 'reconcile.plan', 'reconcile.compare']);
  });

  it('runs a command', async () => {
    const api = await activateExtension();
    const before = api.environments.refreshes;
    await vscode.commands.executeCommand('reconcile.refresh');
    assert.equal(api.environments.refreshes, before + 1);
  });

  it('opens its documentation', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('reconcile.openDocs');
    assert.match(uri?.path ?? '', /\/readme\.md$/i);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('creates .reconcile.yaml without ever overwriting one', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const target = vscode.Uri.joinPath(folder, '.reconcile.yaml');
    const existing = fs.existsSync(target.fsPath) ? fs.readFileSync(target.fsPath, 'utf8') : undefined;
    const uri = await vscode.commands.executeCommand<vscode.Uri>('reconcile.createConfig');
    assert.equal(uri?.fsPath, target.fsPath);
    if (existing !== undefined) assert.equal(fs.readFileSync(target.fsPath, 'utf8'), existing);
    else assert.match(fs.readFileSync(target.fsPath, 'utf8'), /^environments:/m);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reaches the real kube-apiserver with @kubernetes/client-node', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(requireEnv('RECONCILE_TEST_KUBECONFIG'));
    const core = kc.makeApiClient(CoreV1Api);
    const name = `reconcile-it-${Date.now().toString(36)}`;
    await core.createNamespace({ body: { metadata: { name, labels: { 'reconcile.dev/test': 'foundation' } } } });
    const ns = await core.readNamespace({ name });
    assert.equal(ns.metadata?.name, name);
    assert.equal(ns.metadata?.labels?.['reconcile.dev/test'], 'foundation');
    assert.ok(ns.metadata?.uid, 'the server assigned a uid');
  });

  it('shows the Reconcile container (screenshot)', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.reconcile');
    await waitFor(async () => (await vscode.commands.getCommands(true)).includes('reconcile.environments.focus'), 'view');
    const png = await screenshot('foundation-reconcile-view');
    assert.ok(fs.statSync(png).size > 10_000, 'a real screenshot was written');
  });
});
