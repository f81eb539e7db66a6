// Real Flux in the real VS Code: a cluster of its own (test/harness/cluster.mjs) with source-controller and
// kustomize-controller built from their Go modules (test/harness/flux.mjs), the workspace served over Git
// HTTP, and a Flux Kustomization that deploys apps/web/overlays/dev from it. Reconcile is pointed at that
// cluster with the reconcile.kubeconfig setting for this suite only (the other suites keep theirs).
// A live change makes the drift lens say "⚠ drifted"; "Ask the GitOps Engine to Sync" on the tree's
// Flux Kustomization asks Flux to reconcile, the real kustomize-controller re-applies the Deployment, and
// the lens says "✓ in sync" again — Reconcile itself applied nothing.
import * as assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { EnvironmentsNode } from '../../src/vscode/environmentsView';
import { activateExtension, EXTENSION_ID, requireEnv, screenshot, waitFor } from './util';

const execFileP = promisify(execFile);
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const REMOTE = 'flux-local';
// esbuild turns import() into require(); the harness modules are ES modules.
const importEsm = new Function('url', 'return import(url)') as (url: string) => Promise<any>;

interface Started { kubeconfig: string; stop(): Promise<void> }

describe('Real Flux', function () {
  this.timeout(300_000);
  let cluster: Started | undefined;
  let flux: (Started & { git: { url: string; head(): Promise<string> }; apply(...objects: object[]): Promise<void> }) | undefined;
  let kubectlPath: string;
  const deployment = () => path.join(ws(), 'apps', 'web', 'base', 'deployment.yaml');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ws(), encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  const kubectl = async (...args: string[]) => (await execFileP(kubectlPath, args, { env: { ...process.env, KUBECONFIG: cluster!.kubeconfig } })).stdout;

  async function lens(pattern: RegExp, what: string): Promise<vscode.CodeLens> {
    let last: string[] = [];
    try {
      return await waitFor(async () => {
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(deployment()), 100)) ?? [];
        last = lenses.map((l) => l.command?.title ?? '');
        return lenses.find((l) => pattern.test(l.command?.title ?? ''));
      }, what, 90_000);
    } catch (e) {
      const api = await activateExtension();
      throw new Error(`${(e as Error).message}; lenses: ${JSON.stringify(last)}; dev: ${JSON.stringify(api.drift.phase('dev'))}\nlog:\n${api.log.recent.slice(-30).join('\n')}`);
    }
  }

  before(async () => {
    const tools = JSON.parse(requireEnv('RECONCILE_TEST_TOOLS')) as { kubectl: string };
    kubectlPath = tools.kubectl;
    const harness = (name: string) => pathToFileURL(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'harness', name)).href;
    const { startCluster } = await importEsm(harness('cluster.mjs'));
    const { startFlux } = await importEsm(harness('flux.mjs'));
    cluster = (await startCluster({ log: () => {} })) as Started;
    // The workspace (a copy of examples/) is what Flux deploys: Git and the editor see the same files.
    flux = await startFlux(cluster, { source: ws(), controllers: ['source-controller', 'kustomize-controller'], dir: fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-it-flux-')), log: () => {} });
    // The editor knows the served repository as a remote of the workspace (as a clone of it would).
    if (!fs.existsSync(path.join(ws(), '.git'))) {
      git('init', '-q', '-b', 'main');
      git('-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', 'add', '-A');
      git('-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', 'commit', '-q', '-m', 'the examples');
    }
    git('remote', 'add', REMOTE, flux!.git.url);
    const objects = [
      { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'flux-system', namespace: 'flux-system' }, spec: { interval: '60m', url: flux!.git.url, ref: { branch: 'main' } } },
      // Only on request (60m), and no waiting for Pods (there is no kubelet).
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'shop-web', namespace: 'flux-system' }, spec: { interval: '60m', path: './apps/web/overlays/dev', prune: true, wait: false, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } },
    ];
    await flux!.apply(...objects);
    const revision = `main@sha1:${await flux!.git.head()}`;
    await waitFor(async () => (await kubectl('-n', 'flux-system', 'get', 'kustomizations.kustomize.toolkit.fluxcd.io', 'shop-web', '-o', 'jsonpath={.status.lastAppliedRevision}')) === revision, 'kustomize-controller applied shop-web', 120_000);
    await vscode.workspace.getConfiguration('reconcile').update('kubeconfig', cluster.kubeconfig, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('reconcile').update('kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    try { git('remote', 'remove', REMOTE); } catch { /* not added */ }
    await flux?.stop();
    await cluster?.stop();
  });

  it('"Ask Flux to Reconcile" on a drifted environment: kustomize-controller re-applies it and the lens goes from drifted to in sync', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(deployment()));
    const api0 = await activateExtension();
    await api0.repo.models();
    await api0.drift.ensure('dev');
    await lens(/^dev ✓ in sync/, 'an in-sync lens on the web Deployment that Flux applied');

    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":5}}');
    await lens(/^dev ⚠ drifted: spec\.replicas 1→5 \(kubectl-edit\)/, 'a drifted lens naming spec.replicas and kubectl-edit');

    // The tree's "Managed by Flux" shows the real controller's status; its Kustomization is asked to reconcile.
    const api = await activateExtension();
    await api.drift.rescanManagers('dev');
    const root = (await api.environments.getChildren()).find((n) => n.type === 'environment' && n.env.name === 'dev')!;
    const group = await waitFor(async () => (await api.environments.getChildren(root)).find((n) => n.type === 'managers'), 'a "Managed by" node under dev');
    assert.match(String(api.environments.getTreeItem(group).label), /^Managed by Flux/);
    const node = (await api.environments.getChildren(group)).find((n): n is Extract<EnvironmentsNode, { type: 'manager' }> => n.type === 'manager' && n.manager.name === 'shop-web');
    assert.ok(node, 'the Flux Kustomization shop-web is listed');
    const head = (await flux!.git.head()).slice(0, 12);
    assert.equal(api.environments.getTreeItem(node).description, `Ready · main@sha1:${head}`);
    const what = await vscode.commands.executeCommand<string>('reconcile.askEngineToSync', node);
    assert.equal(what, 'asked Flux Kustomization flux-system/shop-web to reconcile');

    await lens(/^dev ✓ in sync/, 'the lens back to in sync after kustomize-controller re-applied the Deployment');
    // The editor asks for lenses again a moment after onDidChangeCodeLenses; let it, so the picture shows what the user sees.
    await new Promise((r) => setTimeout(r, 2000));
    await screenshot('flux-reconciled').catch(() => undefined);
    const live = JSON.parse(await kubectl('-n', 'shop-dev', 'get', 'deployment/web', '-o', 'json', '--show-managed-fields'));
    assert.equal(live.spec.replicas, 1);
    const managers = (live.metadata.managedFields as { manager: string }[]).map((m) => m.manager);
    assert.ok(managers.includes('kustomize-controller'), managers.join(', '));
    assert.ok(!managers.includes('reconcile'), `Reconcile applied nothing: ${managers.join(', ')}`);
  });
});
