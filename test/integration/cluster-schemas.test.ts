// Schemas served by the live cluster (the real kube-apiserver of the harness) validate the files of
// its context: a CRD installed only in the cluster, never in the repository.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { ApiextensionsV1Api, KubeConfig } from '@kubernetes/client-node';
import { activateExtension, requireEnv, scratchFile, waitFor } from './util';

// Schema and YAML findings only: the same files also get policy findings (tested in policy.test.ts).
const reconcile = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'reconcile' && /^(schema|yaml)\//.test(String(typeof d.code === 'object' ? d.code.value : d.code)));
const codeOf = (d: vscode.Diagnostic) => String(typeof d.code === 'object' ? d.code.value : d.code);

describe('Schemas from the live cluster', () => {
  it('validates a custom resource against a CRD that only the cluster has', async function () {
    this.timeout(90_000);
    const kc = new KubeConfig();
    kc.loadFromFile(requireEnv('RECONCILE_TEST_KUBECONFIG'));
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'gadgets.live.example.com' },
        spec: {
          group: 'live.example.com',
          scope: 'Namespaced',
          names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
          versions: [{
            name: 'v1', served: true, storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'string', _enum: ['small', 'large'], description: 'How big the gadget is.' } } } } } },
          }],
        },
      },
    });
    await waitFor(async () => {
      const crd = await ext.readCustomResourceDefinition({ name: 'gadgets.live.example.com' });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    }, 'the CRD to be established', 30_000);

    const api = await activateExtension();
    await waitFor(() => api.languageClient.languageClient?.isRunning(), 'the language server', 20_000);
    const client = api.languageClient.languageClient!;
    type Info = { clusterSchemas?: { source: string; format?: string; kinds: number } };
    const ask = () => client.sendRequest<Info>('reconcile/serverInfo', { waitForClusterSchemas: true, context: 'reconcile-local' });
    const file = scratchFile('gadget.yaml');
    fs.writeFileSync(file, 'apiVersion: live.example.com/v1\nkind: Gadget\nmetadata:\n  name: g\nspec:\n  size: medium\n  colour: red\n');
    const doc = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(doc);
    // The apiserver publishes a new CRD in /openapi/v3 a moment after it is established, and the language
    // server may have read the cluster's schemas before or after that moment: refresh (as a user would with
    // the command) until the findings of the CRD's schema are there.
    let seen: string[] = [];
    let info: Info = {};
    const diags = await waitFor(async () => {
      const d = reconcile(doc.uri);
      seen = vscode.languages.getDiagnostics(doc.uri).map((x) => `${codeOf(x)}: ${x.message}`);
      if (d.length >= 2) return d;
      await vscode.commands.executeCommand('reconcile.refreshClusterSchemas');
      info = await ask();
      await new Promise((r) => setTimeout(r, 500));
      return undefined;
    }, 'enum and unknown-field findings from the cluster schema', 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; diagnostics seen: ${JSON.stringify(seen)}; server info: ${JSON.stringify(info)}`);
    });
    // The current apiserver serves /openapi/v3: one document per group-version. (client-node's typed
    // model names the CRD's enum `_enum`; it is sent as `enum`.)
    assert.equal((await ask()).clusterSchemas?.format, 'openapi-v3');
    assert.deepEqual(diags.map((d) => [d.range.start.line, codeOf(d)]).sort(), [[5, 'schema/enum'], [6, 'schema/unknown-field']]);
    // Hover shows the description the cluster serves for the CRD's field (no file in the workspace has it).
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(5, 4));
    const hoverText = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(hoverText, /How big the gadget is\./, hoverText);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
