// Schema diagnostics, completion and hover from the language server, in the real VS Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { State } from 'vscode-languageclient/node';
import { activateExtension, EXTENSION_ID, scratchFile, screenshot, waitFor } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
// Schema and YAML findings only: the same files also get policy findings (tested in policy.test.ts).
const reconcile = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'reconcile' && /^(schema|yaml)\//.test(String(typeof d.code === 'object' ? d.code.value : d.code)));
const codeOf = (d: vscode.Diagnostic) => String(typeof d.code === 'object' ? d.code.value : d.code);

const BROKEN = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: demo
spec:
  replicas: "3"
  selector:
    matchLabels: {app: demo}
  template:
    metadata:
      labels: {app: demo}
    spec:
      containers:
        - name: demo
          image: nginx:1.27
          imagePullPolicy: Sometimes
          colour: blue
---
apiVersion: v1
kind: Service
metadata:
  name: demo
spec:
  ports:
    - port: 80
      protocol: TCP
  selector: {app: demo}
`;

async function open(name: string, text: string): Promise<vscode.TextDocument> {
  const file = scratchFile(name);
  fs.writeFileSync(file, text);
  const doc = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(doc);
  return doc;
}

describe('Schema (language server)', () => {
  before(async () => {
    const api = await activateExtension();
    await waitFor(() => api.languageClient.languageClient?.isRunning(), 'the language server', 20_000);
  });

  it('puts schema errors in Problems at the right lines, with codes that link to docs', async () => {
    const doc = await open('scratch-deploy.yaml', BROKEN);
    const diags = await waitFor(() => {
      const d = reconcile(doc.uri);
      return d.length >= 3 ? d : undefined;
    }, 'three schema diagnostics', 20_000);
    const byLine = diags.map((d) => [d.range.start.line, codeOf(d)]).sort((a, b) => Number(a[0]) - Number(b[0]));
    assert.deepEqual(byLine, [
      [5, 'schema/type'],
      [15, 'schema/enum'],
      [16, 'schema/unknown-field'],
    ]);
    const type = diags.find((d) => codeOf(d) === 'schema/type')!;
    assert.match(type.message, /spec\.replicas: expected integer, got string "3"/);
    assert.equal(type.severity, vscode.DiagnosticSeverity.Error);
    const code = type.code as { value: string; target: vscode.Uri };
    assert.match(code.target.toString(), /schema-type\.md/);
    // The unknown field is marked on its key.
    const unknown = diags.find((d) => codeOf(d) === 'schema/unknown-field')!;
    assert.equal(doc.getText(unknown.range), 'colour');
    await screenshot('schema-diagnostics');
  });

  it('clears the errors when they are fixed', async () => {
    const doc = await open('scratch-deploy.yaml', BROKEN);
    await waitFor(() => reconcile(doc.uri).length >= 3, 'diagnostics', 20_000);
    const fixed = BROKEN.replace('replicas: "3"', 'replicas: 3').replace('Sometimes', 'IfNotPresent').replace('          colour: blue\n', '');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), fixed);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor(() => reconcile(doc.uri).length === 0, 'no diagnostics', 20_000);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('reports nothing on the valid examples', async () => {
    const file = path.join(ws(), 'apps/web/base/deployment.yaml');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    // Give the server time to answer, then expect silence (a valid file gets no diagnostics at all).
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(reconcile(doc.uri).map((d) => d.message), []);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('completes Kubernetes fields: replicas inside a Deployment spec', async () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  \n';
    const doc = await open('scratch-complete.yaml', text);
    const list = await waitFor(async () => {
      const l = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(5, 2));
      return l.items.some((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'replicas') ? l : undefined;
    }, 'replicas among the completions', 20_000);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const l of ['replicas', 'selector', 'template', 'strategy']) assert.ok(labels.includes(l), `${l} in ${labels.join(',')}`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('hovers a field with its description', async () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 2\n';
    const doc = await open('scratch-hover.yaml', text);
    const hovers = await waitFor(async () => {
      const h = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(5, 4));
      const text = h.flatMap((x) => x.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      return /desired pods/i.test(text) ? text : undefined;
    }, 'a hover with the description of replicas', 20_000);
    assert.match(hovers, /Number of desired pods/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('Language server lifecycle', () => {
  it('restarts a server that died, says so once, and keeps validating', async function () {
    this.timeout(60_000);
    const api = await activateExtension();
    const client = () => api.languageClient.languageClient!;
    await waitFor(() => client()?.isRunning(), 'the language server', 20_000);
    const before = api.log.problems.filter((p) => /language server stopped unexpectedly/.test(p)).length;
    for (let i = 0; i < 2; i++) {
      const { pid } = await client().sendRequest<{ pid: number }>('reconcile/serverInfo');
      process.kill(pid, 'SIGKILL');
      await waitFor(async () => {
        try {
          const info = await client().sendRequest<{ pid: number }>('reconcile/serverInfo');
          return info.pid !== pid;
        } catch {
          return false;
        }
      }, 'a new server process', 30_000);
    }
    const after = api.log.problems.filter((p) => /language server stopped unexpectedly/.test(p)).length;
    assert.equal(after - before, before === 0 ? 1 : 0, 'said once, not on every restart');
    const doc = await open('scratch-after-restart.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: 1\n');
    const diags = await waitFor(() => {
      const d = reconcile(doc.uri);
      return d.length ? d : undefined;
    }, 'validation after the restarts', 20_000);
    assert.equal(codeOf(diags[0]), 'schema/type');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('deactivate() returns the client’s stop: VS Code waits until the server has stopped', async function () {
    this.timeout(60_000);
    const api = await activateExtension();
    await waitFor(() => api.languageClient.languageClient?.isRunning(), 'the language server', 20_000);
    const client = api.languageClient.languageClient!;
    // The extension's own module, as the extension host loaded it (one require cache).
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const main = require(path.join(ext.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> | undefined };
    // The public state says Stopped as soon as stopping starts; the client's own state tells stopping from stopped.
    const internal = () => (client as unknown as { _state: string })._state;
    const stopping = main.deactivate();
    assert.ok(stopping instanceof Promise, 'deactivate() returns a promise for VS Code to wait for');
    assert.equal(internal(), 'stopping');
    await stopping;
    assert.equal(internal(), 'stopped', 'the server has stopped (shutdown and exit sent) when the promise resolves');
    assert.equal(client.state, State.Stopped);
    // The next suites need the server: start it again.
    await client.start();
    await waitFor(() => client.isRunning(), 'the language server again', 20_000);
  });
});

describe('Schema quick fixes', () => {
  it('replaces a removed apiVersion with its successor', async () => {
    const text = 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: old\nspec:\n  schedule: "0 * * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers: [{name: c, image: "i:1"}]\n';
    const doc = await open('scratch-removed-api.yaml', text);
    const diag = await waitFor(() => reconcile(doc.uri).find((d) => codeOf(d) === 'schema/removed-api'), 'a removed-api diagnostic', 20_000);
    assert.match(diag.message, /batch\/v1\b/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diag.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Change apiVersion to batch/v1');
    assert.ok(fix?.edit, `a quick fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /^apiVersion: batch\/v1$/m);
    await waitFor(() => !reconcile(doc.uri).some((d) => codeOf(d) === 'schema/removed-api'), 'the finding to go away after the fix', 20_000);
    assert.deepEqual(reconcile(doc.uri).map((d) => d.message), []);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
  it('honours yaml-language-server $schema modelines and # reconcile: ignore-schema', async () => {
    // The user's schema, next to the file: the document is checked against it, not against ours.
    fs.writeFileSync(scratchFile('widget.schema.json'), fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'modeline', 'widget.schema.json')));
    const file = scratchFile('widgets.yaml');
    fs.writeFileSync(file, fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'modeline', 'widgets.yaml')));
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const found = await waitFor(() => {
      const d = reconcile(doc.uri).filter((x) => codeOf(x) === 'schema/modeline');
      return d.length >= 2 ? d : undefined;
    }, 'findings from the modeline schema', 20_000);
    assert.deepEqual(found.map((d) => doc.lineAt(d.range.start.line).text.trim()).sort(), ['colour: red', 'size: huge']);
    // Widget is a kind we have no schema for: without the modeline that would be "no schema known".
    assert.ok(!reconcile(doc.uri).some((d) => codeOf(d) === 'schema/unknown-kind' && d.range.start.line < 16), 'our schema check is not run on documents with their own schema');
    await screenshot('schema-modeline');
    // ignore-schema turns schema checks off for the file.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), '# reconcile: ignore-schema\n');
    await vscode.workspace.applyEdit(edit);
    await waitFor(() => reconcile(doc.uri).filter((x) => x.source === 'reconcile' && codeOf(x).startsWith('schema/')).length === 0, 'no schema findings with ignore-schema', 20_000);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
  it('offers "Rename to …" for an unknown field that is a near miss of a known one', async () => {
    const file = scratchFile('typo.yaml');
    fs.writeFileSync(file, 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typo\nspec:\n  replica: 2\n  selector:\n    matchLabels: {app: typo}\n  template:\n    metadata:\n      labels: {app: typo}\n    spec:\n      containers:\n        - name: typo\n          image: nginx:1.27\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(() => reconcile(doc.uri).find((x) => codeOf(x) === 'schema/unknown-field'), 'the unknown field', 20_000);
    assert.match(d.message, /did you mean "replicas"/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    const rename = actions.find((a) => a.title === 'Rename to replicas');
    assert.ok(rename?.edit, `quick fixes: ${actions.map((a) => a.title).join(' | ')}`);
    assert.ok(await vscode.workspace.applyEdit(rename.edit));
    assert.equal(doc.lineAt(5).text, '  replicas: 2');
    await waitFor(() => !reconcile(doc.uri).some((x) => codeOf(x) === 'schema/unknown-field'), 'the finding to go away', 20_000);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
