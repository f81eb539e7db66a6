// Diagnostics from the Reconcile language server (a separate process) in the real VS Code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { activateExtension, scratchFile, waitFor } from './util';


/** YAML and schema findings only: the same file may also get policy findings. */
function reconcileDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'reconcile' && /^(schema|yaml)\//.test(String(typeof d.code === 'object' ? d.code.value : d.code)));
}

describe('Diagnostics (language server)', () => {
  it('reports a YAML error at its line while typing, and clears it when fixed', async () => {
    const api = await activateExtension();
    await waitFor(() => api.languageClient.languageClient?.isRunning(), 'the language server to run', 20_000);
    const file = scratchFile('broken.yaml');
    fs.writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata:\n  k: v\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    const diags = await waitFor(() => {
      const d = reconcileDiagnostics(doc.uri);
      return d.length ? d : undefined;
    }, 'a diagnostic for the duplicate key', 20_000);
    assert.equal(diags[0].range.start.line, 4);
    assert.match(String(typeof diags[0].code === 'object' ? diags[0].code.value : diags[0].code), /duplicate-key/);

    const edit = new vscode.WorkspaceEdit();
    edit.delete(doc.uri, new vscode.Range(4, 0, 5, 0));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor(() => reconcileDiagnostics(doc.uri).length === 0, 'the diagnostic to clear', 20_000);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    fs.rmSync(file);
  });
});
