// The Environments view over examples/ in a real VS Code, rendering with the real kubectl 1.33 and helm.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentsNode } from '../../src/vscode/environmentsView';
import { activateExtension, applicationNodes, screenshot, waitFor } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

async function children(node?: EnvironmentsNode): Promise<EnvironmentsNode[]> {
  const api = await activateExtension();
  return (await api.environments.getChildren(node)) ?? [];
}

async function label(node: EnvironmentsNode): Promise<string> {
  const api = await activateExtension();
  const l = api.environments.getTreeItem(node).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

/** The environment `name` (no parent), or the application `name` under one, at any depth of the engines' nesting. */
async function findChild(parent: EnvironmentsNode | undefined, name: string): Promise<EnvironmentsNode> {
  if (!parent) {
    const roots = await children();
    for (const k of roots) if ((await label(k)) === name) return k;
    throw new Error(`no node '${name}' among ${JSON.stringify(await Promise.all(roots.map(label)))}`);
  }
  const apps = await applicationNodes(parent);
  const found = apps.find((a) => a.app.name === name);
  if (found) return found;
  throw new Error(`no application '${name}' among ${JSON.stringify(apps.map((a) => a.app.name))}`);
}

async function resourceLabels(app: EnvironmentsNode): Promise<string[]> {
  const out: string[] = [];
  for (const k of await children(app)) {
    if (k.type === 'kind') for (const r of await children(k)) out.push(await label(r));
    else out.push(await label(k));
  }
  return out.sort();
}

describe('Environments', () => {
  it('shows the environments, applications and resources of examples/', async () => {
    const roots = await children();
    assert.deepEqual(await Promise.all(roots.map(label)), ['dev', 'staging', 'prod']);
    const api = await activateExtension();
    const dev = roots[0];
    const item = api.environments.getTreeItem(dev);
    // Drift counts follow once the cluster has been read (see drift.test.ts).
    // The state leads (once drift is known), so a narrow sidebar truncates the context, not the state.
    assert.match(String(item.description), /^(.+ · )?reconcile-local · shop-dev$/);
    // Screen readers get plain words that name the environment (no ⚠/✓/· symbols).
    assert.match(String(item.accessibilityInformation?.label), /^environment dev, .*context reconcile-local, namespaces shop-dev/);
    assert.doesNotMatch(String(item.accessibilityInformation?.label), /[⚠✓·＋−]/);
    const aria = 'Kubernetes context reconcile-local, namespace default, used by environment dev. Click to switch context.';
    await waitFor(() => api.contextStatus.ariaLabel === aria, `the status bar's aria-label (${api.contextStatus.ariaLabel})`);
    // An environment whose context is not in the kubeconfig says so, and keeps saying so after its
    // tracking stops (the sweeper stops what nothing shows): the text does not come and go.
    const staging = roots[1] as Extract<EnvironmentsNode, { type: 'environment' }>;
    const stagingKey = api.repo.keyOf(staging.env);
    await api.drift.ensure(stagingKey);
    const noContext = /^\? context staging is not in the kubeconfig/;
    await waitFor(() => noContext.test(String(api.environments.getTreeItem(staging).description)), 'staging says its context is missing');
    api.drift.release(stagingKey);
    assert.ok(!api.drift.environments().includes(stagingKey), 'no longer tracked');
    assert.match(String(api.environments.getTreeItem(staging).description), noContext);
    const prodItem = api.environments.getTreeItem(roots[2]);
    assert.match(String(prodItem.contextValue), /protected/);

    const apps = (await applicationNodes(dev)).map((a) => a.app.name).sort();
    for (const name of ['shop-web', 'shop-api', 'shop-worker', 'cache']) assert.ok(apps.includes(name), `dev has ${name}: ${apps}`);
    // The tree mirrors the engines: what the flux-system Kustomization renders (its Kustomizations and
    // HelmRelease) is under it, so no name appears twice at one level.
    const top = (await children(dev)).filter((n): n is Extract<EnvironmentsNode, { type: 'application' }> => n.type === 'application').map((n) => n.app.name);
    assert.deepEqual(top.sort(), ['flux-system', 'shop-cache-dev']);
    const fluxSystem = await findChild(dev, 'flux-system');
    const underFlux = (await children(fluxSystem)).filter((n): n is Extract<EnvironmentsNode, { type: 'application' }> => n.type === 'application').map((n) => n.app.name).sort();
    assert.deepEqual(underFlux, ['cache', 'shop-api', 'shop-web', 'shop-worker']);
    await api.tree.reveal(fluxSystem, { expand: true, select: false, focus: false });
    await screenshot('tree-engine-nesting');

    const web = await findChild(dev, 'shop-web');
    const resources = await resourceLabels(web);
    const configMap = resources.find((r) => r.startsWith('ConfigMap/web-config-'));
    assert.ok(configMap, `a generated ConfigMap in ${resources}`);
    assert.deepEqual(resources.filter((r) => r !== configMap), ['Deployment/web', 'Ingress/web', 'Namespace/shop-dev', 'Service/web']);

    // The Helm chart, rendered with helm and the dev values.
    const cache = await findChild(dev, 'cache');
    assert.deepEqual(await resourceLabels(cache), ['ConfigMap/cache-config', 'Deployment/cache', 'Service/cache']);
  });

  it('opens the source of a resource at its line when clicked', async () => {
    const api = await activateExtension();
    const dev = await findChild(undefined, 'dev');
    const web = await findChild(dev, 'shop-api');
    const nodes = await children(web);
    const hpa = nodes.find((n) => n.type === 'resource' && n.entry.id.kind === 'HorizontalPodAutoscaler');
    assert.ok(hpa, 'the api has an HPA');
    const item = api.environments.getTreeItem(hpa);
    assert.equal(item.command?.command, 'reconcile.openSource');
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    const editor = await waitFor(() => vscode.window.activeTextEditor, 'an editor');
    assert.equal(editor.document.uri.fsPath, path.join(ws(), 'apps/api/base/hpa.yaml'));
    // The selection sits on the document that defines the HPA: the next `kind:` line says so.
    const text = editor.document.getText();
    const from = editor.document.offsetAt(editor.selection.active);
    assert.match(text.slice(from).split(/^---$/m)[0], /^kind: HorizontalPodAutoscaler$/m);
    assert.match(text.slice(from).split(/^---$/m)[0], /^\s+name: api$/m);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('updates the tree and the rendered document when a patch is edited', async () => {
    const api = await activateExtension();
    const dev = await findChild(undefined, 'dev');
    const web = await findChild(dev, 'shop-web');
    const before = (await resourceLabels(web)).find((r) => r.startsWith('ConfigMap/'));
    const doc = await vscode.commands.executeCommand<vscode.TextEditor>('reconcile.openRendered', web);
    assert.ok(doc, 'the rendered document opened');
    const rendered = doc.document;
    assert.equal(rendered.uri.scheme, 'reconcile-rendered');
    assert.equal(rendered.languageId, 'yaml');
    assert.match(rendered.getText(), /host: dev\.shop\.example\.com/);

    const spawnsBefore = api.repo.spawnCount;
    const file = path.join(ws(), 'apps/web/overlays/dev/kustomization.yaml');
    const original = fs.readFileSync(file, 'utf8');
    const edited = original
      .replace(/(path: \/spec\/rules\/0\/host\n\s+value: )dev\.shop\.example\.com/, '$1preview.shop.example.com')
      .replace('FEATURE_RECOMMENDATIONS=true', 'FEATURE_RECOMMENDATIONS=false');
    assert.notEqual(edited, original);
    const source = await vscode.workspace.openTextDocument(file);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(source.uri, new vscode.Range(0, 0, source.lineCount, 0), edited);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await source.save());

    await waitFor(() => rendered.getText().includes('host: preview.shop.example.com'), 'the rendered document to refresh', 20_000);
    const after = await waitFor(async () => {
      const cm = (await resourceLabels(await findChild(await findChild(undefined, 'dev'), 'shop-web'))).find((r) => r.startsWith('ConfigMap/'));
      return cm !== before ? cm : undefined;
    }, 'the generated ConfigMap name to change in the tree', 20_000);
    assert.match(after, /^ConfigMap\/web-config-[a-z0-9]{10}$/);
    // Only the edited application was rendered again (other applications answered from the cache).
    assert.equal(api.repo.spawnCount - spawnsBefore, 1);
    fs.writeFileSync(file, original); // leave the workspace as the next test expects it
    await waitFor(() => rendered.getText().includes('host: dev.shop.example.com'), 'the restore to render', 20_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows a render error on the file and in the tree, and recovers', async () => {
    const file = path.join(ws(), 'apps/worker/overlays/dev/kustomization.yaml');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, original.replace('resources:\n', 'resources:\n  - does-not-exist.yaml\n'));
    try {
      const uri = vscode.Uri.file(file);
      const diags = await waitFor(() => {
        // Other findings (environment policies) may be on this file too: look for the render error.
        const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'reconcile' && /does-not-exist\.yaml/.test(x.message));
        return d.length ? d : undefined;
      }, 'a render diagnostic on the kustomization', 20_000);
      assert.equal(diags[0].severity, vscode.DiagnosticSeverity.Error);
      const dev = await findChild(undefined, 'dev');
      const worker = await findChild(dev, 'shop-worker');
      const kids = await children(worker);
      assert.ok(kids.some((k) => k.type === 'error' && k.severity === 'error'), 'an error node under the application');
    } finally {
      fs.writeFileSync(file, original);
    }
    await waitFor(() => vscode.languages.getDiagnostics(vscode.Uri.file(file)).filter((x) => x.source === 'reconcile' && /does-not-exist/.test(x.message)).length === 0, 'the diagnostic to clear', 20_000);
  });

  it('validates rendered output and shows the finding on the source document, naming the environment', async () => {
    const dev = await findChild(undefined, 'dev');
    await resourceLabels(await findChild(dev, 'shop-web')); // rendered once: the app is wanted from now on
    const file = path.join(ws(), 'apps/web/overlays/dev/kustomization.yaml');
    const original = fs.readFileSync(file, 'utf8');
    // An inline JSON 6902 patch adds a field no Ingress has: only the rendered object shows it.
    fs.writeFileSync(file, original.replace('      - op: replace\n        path: /spec/rules/0/host', '      - op: add\n        path: /spec/colour\n        value: blue\n      - op: replace\n        path: /spec/rules/0/host'));
    const ingress = vscode.Uri.file(path.join(ws(), 'apps/web/base/ingress.yaml'));
    try {
      const d = await waitFor(
        () => vscode.languages.getDiagnostics(ingress).find((x) => x.source === 'reconcile' && /colour/.test(x.message)),
        'a diagnostic on the base Ingress from the rendered dev output',
        20_000,
      );
      assert.match(d.message, /^\[dev\] Ingress\/web: spec\.colour: unknown field/);
    } finally {
      fs.writeFileSync(file, original);
    }
    await waitFor(() => !vscode.languages.getDiagnostics(ingress).some((x) => /colour/.test(x.message)), 'the diagnostic to clear', 20_000);
  });

  it('shows the kube context in the status bar and the tree (screenshot)', async () => {
    const api = await activateExtension();
    await waitFor(() => api.contextStatus.summary, 'the kubeconfig summary');
    assert.equal(api.contextStatus.summary?.currentContext, 'reconcile-local');
    await vscode.commands.executeCommand('workbench.view.extension.reconcile');
    const dev = await findChild(undefined, 'dev');
    for (const name of ['shop-web', 'cache']) {
      const app = await findChild(dev, name);
      await children(app);
      await api.tree.reveal(app, { expand: true, select: false, focus: false });
    }
    await vscode.commands.executeCommand('reconcile.openRendered', await findChild(dev, 'shop-web'));
    await new Promise((r) => setTimeout(r, 1500));
    const png = await screenshot('environments-tree');
    assert.ok(fs.statSync(png).size > 10_000);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
