// Policy and secret diagnostics with quick fixes, from the language server, in the real VS Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, scratchFile, screenshot, waitFor } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const reconcile = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'reconcile');
const codeOf = (d: vscode.Diagnostic) => String(typeof d.code === 'object' ? d.code.value : d.code);

async function quickFix(doc: vscode.TextDocument, d: vscode.Diagnostic, title: RegExp): Promise<vscode.CodeAction> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
  const fix = actions.find((a) => title.test(a.title));
  assert.ok(fix?.edit, `a quick fix ${title} among: ${actions.map((a) => a.title).join(' | ')}`);
  return fix;
}

describe('Policies (language server)', () => {
  before(async () => {
    const api = await activateExtension();
    await waitFor(() => api.languageClient.languageClient?.isRunning(), 'the language server', 20_000);
  });

  it('flags the plaintext Secret in examples/ with its rule id and docs link, never its value; Replace with ExternalSecret fixes it', async () => {
    const file = path.join(ws(), 'apps/api/overlays/dev/secret.yaml');
    const original = fs.readFileSync(file, 'utf8');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(() => reconcile(doc.uri).find((x) => codeOf(x) === 'secret/plaintext'), 'the secret/plaintext diagnostic', 20_000);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(!d.message.includes('not-a-real-password'), 'the value is never in the message');
    // The rule's link opens its page rendered (the Markdown preview), not the raw .md.
    const target = (d.code as { target: vscode.Uri }).target;
    assert.equal(target.scheme, 'command');
    assert.equal(target.path, 'reconcile.openDocs');
    const [page] = JSON.parse(decodeURIComponent(target.query)) as string[];
    assert.equal(page, 'docs/rules/secret-plaintext.md');
    const opened = await vscode.commands.executeCommand<vscode.Uri>(target.path, page);
    assert.match(opened.path, /docs\/rules\/secret-plaintext\.md$/);
    await waitFor(() => vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => /Preview secret-plaintext\.md/.test(t.label)), 'the rendered page in a preview tab');
    await vscode.window.showTextDocument(doc);
    await screenshot('policy-secret');
    const fix = await quickFix(doc, d, /^Replace with ExternalSecret$/);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    const text = doc.getText();
    assert.match(text, /^kind: ExternalSecret$/m);
    assert.match(text, /secretKey: "?password"?$/m);
    assert.ok(!text.includes('not-a-real-password'), 'the skeleton holds no value');
    // The file's own finding goes away while typing; the rendered environment's ("[dev] …") follows the saved file.
    await waitFor(() => !reconcile(doc.uri).some((x) => codeOf(x).startsWith('secret/') && !x.message.startsWith('[')), 'the secret finding to go away', 20_000);
    assert.equal(fs.readFileSync(file, 'utf8'), original, 'the fix is not saved by Reconcile');
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    assert.equal(fs.readFileSync(file, 'utf8'), original);
  });

  it('sets allowPrivilegeEscalation: false through its quick fix', async () => {
    const file = scratchFile('privileged.yaml');
    fs.writeFileSync(file, [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: p', '  namespace: shop-dev', 'spec:', '  replicas: 1',
      '  selector: {matchLabels: {app: p}}', '  template:', '    metadata: {labels: {app: p}}', '    spec:', '      containers:',
      '        - name: p', '          image: registry.example.com/p:1.0.0', '',
    ].join('\n'));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(() => reconcile(doc.uri).find((x) => codeOf(x) === 'pss/privilege-escalation'), 'pss/privilege-escalation', 20_000);
    const fix = await quickFix(doc, d, /allowPrivilegeEscalation: false/);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.match(doc.getText(), /allowPrivilegeEscalation: false/);
    await waitFor(() => !reconcile(doc.uri).some((x) => codeOf(x) === 'pss/privilege-escalation'), 'the finding to go away', 20_000);
    // The fix left valid YAML that the schema accepts.
    assert.ok(!reconcile(doc.uri).some((x) => codeOf(x).startsWith('schema/') || codeOf(x).startsWith('yaml/')));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('suppresses a rule for one resource with the annotation quick fix', async () => {
    const file = scratchFile('latest.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: l\n  namespace: shop-dev\nspec:\n  containers:\n    - name: l\n      image: nginx:latest\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(() => reconcile(doc.uri).find((x) => codeOf(x) === 'practice/image-tag'), 'practice/image-tag', 20_000);
    const fix = await quickFix(doc, d, /^Suppress practice\/image-tag for this resource$/);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.match(doc.getText(), /reconcile\.dev\/ignore: .*practice\/image-tag/);
    await waitFor(() => !reconcile(doc.uri).some((x) => codeOf(x) === 'practice/image-tag'), 'the suppressed finding to go', 20_000);
    // Without a reason the suppression itself is a warning.
    assert.ok(reconcile(doc.uri).some((x) => codeOf(x) === 'policy/suppression-reason'));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('Policies over a rendered environment', () => {
  it('reports on the overlay that caused it, naming the environment, including the repository\'s own CEL policy', async () => {
    const api = await activateExtension();
    await waitFor(() => api.languageClient.languageClient?.isRunning(), 'the language server', 20_000);
    const dev = (await api.environments.getChildren()).find((n) => n.type === 'environment' && n.env.name === 'dev');
    assert.ok(dev, 'the dev environment');
    // Opening the environment's rendered manifests renders every application of it.
    await vscode.commands.executeCommand('reconcile.openRendered', dev);
    const overlay = vscode.Uri.file(path.join(ws(), 'apps/web/overlays/dev/kustomization.yaml'));
    const found = await waitFor(() => {
      const d = reconcile(overlay).filter((x) => x.message.startsWith('[dev]'));
      const codes = d.map(codeOf);
      return codes.includes('vap/shop-image-tag-policy') ? d : undefined;
    }, '[dev] findings on the overlay that sets the :latest tag', 30_000);
    // The repository's policy and the built-in rule say the same thing: one problem that names both.
    const vap = found.find((x) => codeOf(x) === 'vap/shop-image-tag-policy')!;
    assert.equal(vap.range.start.line, 18, 'on the newTag line of the overlay');
    assert.equal(vap.severity, vscode.DiagnosticSeverity.Error, 'Deny → error');
    assert.match(vap.message, /\(also built-in practice\/image-tag\)$/);
    assert.ok(!found.some((x) => codeOf(x) === 'practice/image-tag' && x.range.start.line === 18), 'not shown twice');
    // Its quick fix pins the tag to what the next environment runs (staging's web image).
    await vscode.workspace.openTextDocument(overlay); // code actions are asked of an open document
    const pins = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', overlay, vap.range, vscode.CodeActionKind.QuickFix.value);
    const pin = pins.find((a) => /^Pin to /.test(a.title));
    assert.equal(pin?.title, 'Pin to 1.9.0-rc.2 (what staging runs)', pins.map((a) => a.title).join(' | '));
    const [[uri, edits]] = pin!.edit!.entries();
    assert.equal(uri.fsPath, overlay.fsPath);
    assert.equal(edits[0].newText, '1.9.0-rc.2');
    // The missing limits that the worker overlay's JSON 6902 patch introduced land on that patch.
    const worker = vscode.Uri.file(path.join(ws(), 'apps/worker/overlays/dev/kustomization.yaml'));
    const limits = await waitFor(() => reconcile(worker).find((x) => codeOf(x) === 'vap/shop-require-resource-limits' && x.message.startsWith('[dev]')), 'the limits finding on the worker overlay', 30_000);
    // An environment's finding has quick fixes too: suppress it for this resource (on the base document).
    await vscode.workspace.openTextDocument(worker);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', worker, limits.range, vscode.CodeActionKind.QuickFix.value);
    const suppress = actions.find((a) => /^Suppress vap\/shop-require-resource-limits for this resource$/.test(a.title));
    assert.ok(suppress, `quick fixes offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(suppress.edit?.entries().some(([u]) => /apps\/worker\/base\//.test(u.fsPath)), 'the suppression goes on the base document of the resource');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Problems of files that are not open: errors and warnings only (notes once opened); reconcile.problems.unopenedFiles narrows or widens it', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const overlay = vscode.Uri.file(path.join(ws(), 'apps/web/overlays/dev/kustomization.yaml'));
    const env = (uri: vscode.Uri) => reconcile(uri).filter((x) => x.message.startsWith('[dev]'));
    await waitFor(() => env(overlay).length > 0, '[dev] findings on the unopened overlay', 30_000);
    // Nothing below a warning on any file that is not open.
    const openFiles = new Set(vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => (t.input instanceof vscode.TabInputText ? t.input.uri.fsPath : '')));
    const quiet = vscode.languages.getDiagnostics().filter(([u]) => !openFiles.has(u.fsPath)).flatMap(([, ds]) => ds.filter((d) => d.source === 'reconcile' && d.message.startsWith('[')));
    assert.ok(quiet.length > 0);
    assert.deepEqual(quiet.filter((d) => d.severity !== vscode.DiagnosticSeverity.Error && d.severity !== vscode.DiagnosticSeverity.Warning).map((d) => d.message), []);
    const config = vscode.workspace.getConfiguration('reconcile.problems');
    await config.update('unopenedFiles', 'none', vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor(() => env(overlay).length === 0, 'no findings on the unopened overlay with "none"');
      // Opened, the file gets them all again.
      await vscode.window.showTextDocument(overlay);
      await waitFor(() => env(overlay).length > 0, 'the findings once the overlay is open');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await waitFor(() => env(overlay).length === 0, 'gone again once it is closed');
    } finally {
      await config.update('unopenedFiles', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor(() => env(overlay).length > 0, 'back with the default');
  });
});
