// Drift in a real VS Code against the real kube-apiserver of the harness: examples' dev environment is
// applied, the CodeLens says "in sync", a change made with kubectl turns it into "drifted" with the field
// and its manager, the lens opens a diff editor, the tree counts and filters, an unreachable cluster is
// shown for what it is and recovery is automatic.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseAllDocuments } from 'yaml';
import { connectToContext, type ClusterClient } from '../../src/core/cluster';
import type { EnvironmentsNode } from '../../src/vscode/environmentsView';
import type { AcceptOutcome, ShownDiff } from '../../src/vscode/driftCommands';
import { activateExtension, applyDevEnvironment, kubectl, requireEnv, screenshot, sleep, waitFor, applicationNodes } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const CONTEXT = 'reconcile-local';

let client: ClusterClient;

async function lensOf(file: string, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<vscode.CodeLens> {
  let last: string[] = [];
  try {
    return await waitFor(async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file), 100)) ?? [];
      last = lenses.map((l) => l.command?.title ?? '');
      return lenses.find((l) => pattern.test(l.command?.title ?? ''));
    }, what, timeoutMs);
  } catch (e) {
    const api = await activateExtension();
    throw new Error(`${(e as Error).message}; lenses: ${JSON.stringify(last)}\nlog:\n${api.log.recent.slice(-30).join('\n')}`);
  }
}

describe('Drift', function () {
  this.timeout(120_000);
  const deployment = () => path.join(ws(), 'apps', 'web', 'base', 'deployment.yaml');

  before(async () => {
    client = await connectToContext({ files: [requireEnv('RECONCILE_TEST_KUBECONFIG')], context: CONTEXT });
    await applyDevEnvironment();
  });

  after(() => client?.dispose());

  it('shows "in sync" on the resource in its source file, through the CodeLens provider', async () => {
    const doc = await vscode.workspace.openTextDocument(deployment());
    await vscode.window.showTextDocument(doc);
    // The base feeds dev, staging and prod: each lens is led by its environment; a live watch says `live`.
    const lens = await lensOf(deployment(), /^dev ✓ in sync · live$/, 'an in-sync lens for dev on apps/web/base/deployment.yaml');
    // Environments that show nothing here are named too, with why (the harness's kubeconfig has no staging or prod).
    for (const env of ['staging', 'prod']) await lensOf(deployment(), new RegExp(`^${env} \\? no cluster context$`), `a lens naming ${env}`);
    assert.equal(lens.range.start.line, 0, 'the lens sits on the Deployment document');
    assert.equal(lens.command?.command, 'reconcile.showDrift');
    // An overlay patch carries the lens of the object it changed: worker's dev JSON6902 patch of its Deployment.
    const patch = path.join(ws(), 'apps', 'worker', 'overlays', 'dev', 'kustomization.yaml');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(patch), { preview: false });
    const onPatch = await waitFor(async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(patch), 100)) ?? [];
      const text = fs.readFileSync(patch, 'utf8').split('\n');
      // The patch entry (the `images:` and `replicas:` entries for worker carry its lens too).
      return lenses.find((l) => /Deployment\/shop-dev\/worker/.test(JSON.stringify(l.command?.arguments)) && /^✓ in sync/.test(l.command?.title ?? '') && /target|patch|path/.test(text[l.range.start.line]));
    }, 'an in-sync lens for the worker Deployment on its dev patch');
    assert.match(fs.readFileSync(patch, 'utf8').split('\n')[onPatch.range.start.line], /target|patch|path/, 'on the patch entry');
    assert.match(JSON.stringify(onPatch.command?.arguments), /Deployment\/shop-dev\/worker/);
    // The file that defines the application offers a Preview of its environment.
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(patch), 100)) ?? [];
    const preview = lenses.find((l) => l.command?.command === 'reconcile.preview');
    assert.equal(preview?.command?.title, '$(checklist) Preview dev');
    // Environments are (workspace folder, name): the lens names dev by its key.
    const api = await activateExtension();
    assert.deepEqual(preview?.command?.arguments, [api.drift.keyOf('dev')]);
    assert.equal(api.repo.environment(preview!.command!.arguments![0] as string)?.name, 'dev');
  });

  it('turns into "drifted" with the field and its field manager after kubectl changes the live object, and opens the diff', async () => {
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":5}}');
    const lens = await lensOf(deployment(), /^dev ⚠ drifted: spec\.replicas \d+→5 \(kubectl-edit\)/, 'a drifted lens naming dev, spec.replicas and kubectl-edit');
    // The overlay's `replicas:` entry, which sets the value that drifted, carries the lens too (only dev uses it: no prefix).
    const overlay = path.join(ws(), 'apps', 'web', 'overlays', 'dev', 'kustomization.yaml');
    await vscode.workspace.openTextDocument(overlay);
    const overlayLines = fs.readFileSync(overlay, 'utf8').split('\n');
    await waitFor(async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(overlay), 100)) ?? [];
      return lenses.find((l) => /^\s*- name: web\s*$/.test(overlayLines[l.range.start.line]) && /^⚠ drifted: spec\.replicas \d+→5 \(kubectl-edit\)/.test(l.command?.title ?? ''));
    }, 'a drifted lens on the `replicas:` entry of the dev overlay');
    // Its `namespace:` line sets every object of the overlay: one lens with counts.
    await lensOf(overlay, /^⚠ 1 drifted · ✓ \d+ in sync$/, 'a count lens on the overlay line that changes every object');
    await vscode.window.showTextDocument(vscode.Uri.file(deployment()), { preview: false });
    await sleep(1500); // the editor repaints lenses after a short debounce
    await screenshot('drift-lens');
    const shown = await vscode.commands.executeCommand<ShownDiff>(lens.command!.command, ...(lens.command!.arguments ?? []));
    assert.equal(shown.title, 'Deployment/web — live ↔ Git (dev)');
    const tab = await waitFor(() => {
      const t = vscode.window.tabGroups.activeTabGroup.activeTab;
      return t?.input instanceof vscode.TabInputTextDiff ? t : undefined;
    }, 'a diff editor tab');
    assert.equal(tab.label, 'Deployment/web — live ↔ Git (dev)');
    const left = (await vscode.workspace.openTextDocument(shown.left)).getText();
    const right = (await vscode.workspace.openTextDocument(shown.right)).getText();
    assert.match(left, /replicas: 5/);
    assert.doesNotMatch(right, /replicas: 5/);
    await screenshot('drift-diff');
    // The diff's title bar: Accept Live into Git writes 5 where Git sets the 1 (the dev overlay's
    // `replicas:` entry), as an unsaved edit the user reviews; nothing is saved.
    const accepted = await vscode.commands.executeCommand<AcceptOutcome>('reconcile.acceptLiveIntoGit', shown.right);
    assert.deepEqual(accepted.edited.map((e) => [path.relative(ws(), e.file), e.field, e.to]), [['apps/web/overlays/dev/kustomization.yaml', 'spec.replicas', '5']]);
    const edited = await vscode.workspace.openTextDocument(overlay);
    assert.ok(edited.isDirty, 'the edit is unsaved');
    assert.match(edited.lineAt(accepted.edited[0].line).text, /count: 5\b/);
    assert.doesNotMatch(fs.readFileSync(overlay, 'utf8'), /count: 5\b/, 'nothing written to disk');
    await screenshot('drift-accept-live');
    await vscode.window.showTextDocument(edited);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.ok(!edited.isDirty);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const diffTab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.label === 'Deployment/web — live ↔ Git (dev)');
    if (diffTab) await vscode.window.tabGroups.close(diffTab);
  });

  it('counts drift in the tree, per environment and application, and filters to drifted resources', async () => {
    const api = await activateExtension();
    const roots = await api.environments.getChildren();
    const dev = roots.find((n) => n.type === 'environment' && n.env.name === 'dev')!;
    await waitFor(() => /⚠ 1 drifted/.test(String(api.environments.getTreeItem(dev).description)), 'dev shows 1 drifted').catch((e: Error) => {
      throw new Error(`${e.message}: ${api.environments.getTreeItem(dev).description}`);
    });
    assert.match(String(api.environments.getTreeItem(dev).description), /^⚠ 1 drifted · .*reconcile-local/, 'the state leads the description');
    assert.match(String(api.environments.getTreeItem(dev).accessibilityInformation?.label), /^environment dev, 1 drifted, \d+ in sync, context reconcile-local/);
    const web = (await applicationNodes(dev)).find((n) => n.app.name === 'shop-web')!;
    assert.match(String(api.environments.getTreeItem(web).description), /⚠ 1 drifted/);
    assert.match(String(api.environments.getTreeItem(web).accessibilityInformation?.label), /^application shop-web of dev, 1 drifted/);
    assert.ok(api.tree.badge && api.tree.badge.value >= 1, 'the view has a badge');
    await vscode.commands.executeCommand('reconcile.filterDrifted');
    try {
      // Only what leads to drift: flux-system (which renders shop-web), then shop-web under it.
      const top = (await api.environments.getChildren(dev)).filter((n): n is Extract<EnvironmentsNode, { type: 'application' }> => n.type === 'application');
      assert.deepEqual(top.map((a) => a.app.name), ['flux-system']);
      const apps = (await applicationNodes(dev)).filter((a) => a.app.name !== 'flux-system');
      assert.deepEqual(apps.map((a) => a.app.name), ['shop-web']);
      const resources = await api.environments.getChildren(apps[0]);
      assert.deepEqual(
        resources.map((r) => (r.type === 'resource' ? `${r.entry.id.kind}/${r.entry.id.name}` : r.type)),
        ['Deployment/web'],
      );
      const item = api.environments.getTreeItem(resources[0]);
      assert.match(String(item.description), /⚠ drifted: spec\.replicas/);
      assert.match(String(item.accessibilityInformation?.label), /^Deployment web in dev, namespace shop-dev, drifted: spec\.replicas/);
      assert.match(String(item.contextValue), /drift-drifted/);
    } finally {
      await vscode.commands.executeCommand('reconcile.clearDriftFilter');
    }
    // Back in sync after Git's state is applied again.
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":1}}');
    await lensOf(deployment(), /^dev ✓ in sync/, 'in sync again');
  });

  it('masks Secret values in the diff', async () => {
    const api = await activateExtension();
    const key = api.drift.resultsOf('dev').find((r) => r.id.kind === 'Secret' && r.id.name === 'api-db-credentials')?.key;
    assert.ok(key, `a Secret result among ${api.drift.resultsOf('dev').map((r) => r.key).join(', ')}`);
    const shown = await vscode.commands.executeCommand<ShownDiff>('reconcile.showDrift', 'dev', key);
    const texts = (await vscode.workspace.openTextDocument(shown.left)).getText() + (await vscode.workspace.openTextDocument(shown.right)).getText();
    assert.match(texts, /\*\*\* \(unchanged\)/);
    const secret = parseAllDocuments(fs.readFileSync(path.join(ws(), 'apps', 'api', 'overlays', 'dev', 'secret.yaml'), 'utf8'))[0].toJS() as { stringData: Record<string, string> };
    const values = Object.values(secret.stringData);
    assert.ok(values.length >= 2);
    for (const v of values) {
      assert.ok(!texts.includes(v), `the Secret value ${v.slice(0, 2)}… is not in the diff`);
      assert.ok(!texts.includes(Buffer.from(v).toString('base64')), 'nor its base64');
    }
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Switch Context changes the kubeconfig\'s current context (comments kept) and the status bar follows', async () => {
    const api = await activateExtension();
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-switch-')), 'kubeconfig');
    fs.writeFileSync(copy, `# my clusters\n${fs.readFileSync(requireEnv('RECONCILE_TEST_KUBECONFIG'), 'utf8')}`);
    const config = vscode.workspace.getConfiguration('reconcile');
    await config.update('kubeconfig', copy, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(() => api.contextStatus.summary?.files[0] === copy, 'the status bar to read the new kubeconfig');
      const switched = await vscode.commands.executeCommand<string>('reconcile.switchContext', 'reconcile-local-viewer');
      assert.equal(switched, 'reconcile-local-viewer');
      const text = fs.readFileSync(copy, 'utf8');
      assert.match(text, /^current-context: "?reconcile-local-viewer"?$/m);
      assert.match(text, /^# my clusters$/m, 'comments kept');
      assert.equal(api.contextStatus.summary?.currentContext, 'reconcile-local-viewer');
    } finally {
      await config.update('kubeconfig', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('shows an unreachable cluster on the lens and in the tree, and recovers by itself', async () => {
    const api = await activateExtension();
    // A kubeconfig whose reconcile-local context points at a closed port.
    const real = fs.readFileSync(requireEnv('RECONCILE_TEST_KUBECONFIG'), 'utf8');
    const dead = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-dead-')), 'kubeconfig');
    assert.match(real, /server:\s*["']?https:\/\/127\.0\.0\.1:\d+/);
    fs.writeFileSync(dead, real.replace(/(server:\s*["']?)https?:\/\/127\.0\.0\.1:\d+/g, '$1https://127.0.0.1:1'));
    const config = vscode.workspace.getConfiguration('reconcile');
    await config.update('kubeconfig', dead, vscode.ConfigurationTarget.Workspace);
    try {
      await lensOf(deployment(), /^dev \? cluster unreachable: .*(refused|127\.0\.0\.1:1)/, 'an unreachable lens');
      const dev = (await api.environments.getChildren()).find((n) => n.type === 'environment' && n.env.name === 'dev')!;
      await waitFor(() => /\? cluster unreachable/.test(String(api.environments.getTreeItem(dev).description)), 'the tree says unreachable');
    } finally {
      await config.update('kubeconfig', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await lensOf(deployment(), /^dev ✓ in sync/, 'in sync again after the cluster came back');
    await sleep(100);
  });
});
