// A multi-root workspace of two repositories that both have a `prod` (test/fixtures/multiroot, made into
// git repositories with their own origins by the harness), on one real kube-apiserver and namespace.
// An environment is (workspace folder, name): tree nodes, drift keys, Preview, Sync, the audit record and
// the ownership mark all follow the folder the command came from.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { Plan } from '../../src/core/sync';
import type { SyncReport } from '../../src/vscode/plan';
import type { Question } from '../../src/vscode/prompts';
import { activateExtension, answering, environmentNodeOf, headOf, kubectl, waitFor, workspaceFolder } from './util';

const execFileP = promisify(execFile);
const NS = 'multiroot-prod';
const folder = workspaceFolder;
const head = headOf;
const envNode = (folderName: string) => environmentNodeOf(folderName, 'prod');

const text = (q: Question) => (q.kind === 'message' ? q.message : q.kind === 'input' ? `input: ${q.prompt}` : `pick: ${q.placeHolder} [${q.items.join(', ')}]`);
// prod is protected (a production name): Sync asks for the name to be typed.
const syncAnswers = (q: Question) => (q.kind === 'input' && /^Sync prod/.test(q.prompt ?? '') ? 'prod' : /not in Git\?/.test(text(q)) ? 'Keep Them' : undefined);

describe('Two workspace folders that both have prod', function () {
  this.timeout(120_000);

  it('are two environments: distinct keys and tree nodes, and a bare name says neither', async () => {
    const api = await activateExtension();
    await api.repo.models();
    assert.deepEqual(vscode.workspace.workspaceFolders?.map((f) => f.name), ['shop', 'payments']);
    const prods = api.repo.environments().filter((e) => e.env.name === 'prod');
    assert.equal(prods.length, 2);
    assert.notEqual(prods[0].key, prods[1].key);
    assert.deepEqual(prods.map((p) => p.folder.repository), ['git.example.com/org/shop-gitops', 'git.example.com/org/payments-gitops']);
    assert.equal(api.repo.environment('prod'), undefined, 'a name two folders have names neither');
    const shop = await envNode('shop');
    const payments = await envNode('payments');
    const [a, b] = [api.environments.getTreeItem(shop), api.environments.getTreeItem(payments)];
    assert.notEqual(a.id, b.id);
    assert.match(String(a.description), /· shop/);
    assert.match(String(b.description), /· payments/);
  });

  it('Sync on the second folder\'s node plans and applies that folder\'s manifests, and the audit records its commit', async () => {
    const api = await activateExtension();
    // The first folder's prod creates the shared namespace.
    const first = await answering(syncAnswers, async () => vscode.commands.executeCommand<SyncReport>('reconcile.sync', await envNode('shop')));
    assert.equal(first.result.outcome?.outcome, 'success', `${first.result.stopped ?? first.result.outcome?.reason}: ${first.asked.map(text).join(' | ')}`);
    assert.deepEqual(first.result.plan!.items.map((i) => i.key).sort(), [`/ConfigMap/${NS}/shop-config`, `/Namespace//${NS}`]);

    const { result, asked } = await answering(syncAnswers, async () => vscode.commands.executeCommand<SyncReport>('reconcile.sync', await envNode('payments')));
    assert.equal(result.outcome?.outcome, 'success', `${result.stopped ?? result.outcome?.reason}: ${asked.map(text).join(' | ')}`);
    const plan = result.plan!;
    assert.deepEqual(plan.items.map((i) => `${i.action} ${i.key}`), [`create /ConfigMap/${NS}/payments-config`], 'payments\' manifests, and shop\'s objects are not its prune candidates');
    assert.ok(!asked.some((q) => /not in Git\?/.test(text(q))), 'no prune question: nothing of payments\' prod is outside Git');
    assert.ok(asked.some((q) => q.kind === 'input' && /^Sync prod of payments \(reconcile-local\): 1 to create, 0 to update\./.test(q.prompt ?? '')), `the confirmation names the folder: ${asked.map(text).join(' | ')}`);
    assert.equal(await kubectl('-n', NS, 'get', 'configmap', 'payments-config', '-o', 'jsonpath={.data.owner}'), 'payments');
    assert.equal(await kubectl('-n', NS, 'get', 'configmap', 'payments-config', '-o', 'jsonpath={.metadata.annotations.reconcile\\.dev/repository}'), 'git.example.com/org/payments-gitops');
    assert.equal(await kubectl('-n', NS, 'get', 'configmap', 'shop-config', '-o', 'jsonpath={.metadata.annotations.reconcile\\.dev/repository}'), 'git.example.com/org/shop-gitops');

    const records = await answering(
      () => undefined,
      () => vscode.commands.executeCommand<Array<{ environment: string; folder?: string; repository?: string; commit?: string; author?: string }>>('reconcile.showSyncHistory'),
    );
    const [newest, before] = records.result;
    assert.equal(newest.environment, 'prod');
    assert.equal(newest.folder, folder('payments').uri.fsPath);
    assert.equal(newest.repository, 'git.example.com/org/payments-gitops');
    assert.equal(newest.commit, await head('payments'), 'the commit of the folder that was synced, not of the first folder');
    assert.equal(newest.author, 'Test <payments@example.com>');
    assert.equal(before.commit, await head('shop'));
    assert.notEqual(newest.commit, before.commit);
    void api;
  });

  it('Preview by a name two folders have asks which folder, and plans the one picked', async () => {
    const { result, asked } = await answering((q) => (q.kind === 'pick' ? 'payments' : undefined), () => vscode.commands.executeCommand<Plan>('reconcile.preview', 'prod'));
    const pick = asked.find((q) => q.kind === 'pick');
    assert.ok(pick && pick.kind === 'pick', asked.map(text).join(' | '));
    assert.deepEqual(pick.items, ['prod — shop', 'prod — payments']);
    assert.deepEqual(result.items.map((i) => `${i.action} ${i.key}`), [`unchanged /ConfigMap/${NS}/payments-config`]);
    // The Plan view's summary names the folder too (before: only `prod`, which both folders have).
    const api = await activateExtension();
    const summary = api.plan.getChildren().find((n) => n.type === 'summary');
    assert.ok(summary);
    assert.equal(api.plan.getTreeItem(summary).label, 'prod (payments) · reconcile-local');
  });

  it('drift is tracked per folder: distinct keys, each with its own results, neither sees the other\'s objects as not in Git', async () => {
    const api = await activateExtension();
    const [shop, payments] = api.repo.environments().filter((e) => e.env.name === 'prod').map((e) => e.key);
    await api.drift.ensure(shop);
    await api.drift.ensure(payments);
    const full = (key: string, n: number) => () => {
      const c = api.drift.counts(key);
      return c && c.total === n && c.unknown === 0 && c.inSync === n ? c : undefined;
    };
    await waitFor(full(shop, 2), 'shop prod in sync (namespace and its ConfigMap)', 30_000);
    await waitFor(full(payments, 1), 'payments prod in sync (its ConfigMap)', 30_000);
    assert.ok(api.drift.environments().includes(shop) && api.drift.environments().includes(payments));
    assert.deepEqual(api.drift.resultsOf(payments).map((r) => r.key), [`/ConfigMap/${NS}/payments-config`]);
    assert.deepEqual(api.drift.notInGit(payments), [], 'shop\'s ConfigMap carries prod\'s label but names its own repository');
    assert.deepEqual(api.drift.notInGit(shop), []);
    // A resource node of the second folder shows that folder's result.
    const apps = await api.environments.getChildren(await envNode('payments'));
    const app = apps.find((n) => n.type === 'application');
    assert.ok(app);
    const res = (await api.environments.getChildren(app)).find((n) => n.type === 'resource');
    assert.ok(res && res.type === 'resource');
    assert.equal(res.entry.id.name, 'payments-config');
    assert.equal(api.environments.getTreeItem(res).contextValue, 'resource drift-in-sync');
    // Files of each folder anchor only their own environment's lenses.
    const lenses = api.drift.resultsForFile(path.join(folder('payments').uri.fsPath, 'deploy', 'prod', 'app.yaml'));
    assert.deepEqual(lenses.map((l) => [l.key, l.anchor.key, l.result?.status]), [[payments, `/ConfigMap/${NS}/payments-config`, 'in-sync']]);
  });

  it('Revert Commit… on the second folder\'s prod offers Preview of that folder\'s prod', async () => {
    const api = await activateExtension();
    const dir = folder('payments').uri.fsPath;
    const file = path.join(dir, 'deploy', 'prod', 'app.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('owner: payments', 'owner: payments-v2'));
    const git = (...a: string[]) => execFileP('git', ['-c', 'user.name=Test', '-c', 'user.email=payments@example.com', ...a], { cwd: dir });
    await git('commit', '-q', '-am', 'payments: owner v2');
    const t0 = Date.now();
    const { result, asked } = await answering(
      (q) => (q.kind === 'pick' ? 'payments: owner v2' : /^Revert commit/.test(text(q)) ? 'Revert' : q.kind === 'message' && q.items.includes('Preview') ? 'Preview' : undefined),
      async () => vscode.commands.executeCommand<{ status: string }>('reconcile.revertCommit', await envNode('payments')),
    );
    assert.equal(result?.status, 'reverted', asked.map(text).join(' | '));
    // The Preview it offers is of payments' prod (before: the first folder's prod of that name).
    const plan = await waitFor(() => (api.plan.plan && api.plan.plan.createdAt >= t0 ? api.plan.plan : undefined), 'the preview offered after the revert', 30_000);
    assert.deepEqual(plan.items.map((i) => `${i.action} ${i.key}`), [`unchanged /ConfigMap/${NS}/payments-config`]);
  });

  it('a render failure of one folder\'s prod does not stick once fixed, and leaves the other folder\'s prod live', async () => {
    const api = await activateExtension();
    const [shop, payments] = api.repo.environments().filter((e) => e.env.name === 'prod').map((e) => e.key);
    await api.drift.ensure(payments);
    await waitFor(() => api.drift.phase(payments)?.phase === 'live', 'payments prod live', 30_000);
    const file = path.join(folder('payments').uri.fsPath, 'deploy', 'prod', 'app.yaml');
    const original = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, `${original}  broken: [unclosed\n`);
      const failed = await waitFor(() => (api.drift.phase(payments)?.phase === 'render-failed' ? api.drift.phase(payments) : undefined), 'payments prod render-failed', 30_000);
      assert.match(failed.phase === 'render-failed' ? failed.message : '', /did not render/);
      assert.equal(api.drift.phase(shop)?.phase, 'live', 'the other folder\'s prod is not affected');
    } finally {
      fs.writeFileSync(file, original);
    }
    // Fixed: back to live, with results (before, the environment stayed "render failed" until restarted).
    await waitFor(() => api.drift.phase(payments)?.phase === 'live', 'payments prod live again after the fix', 30_000);
    await waitFor(() => api.drift.counts(payments)?.inSync === 1, 'payments prod in sync again', 30_000);
    assert.equal(api.drift.problem(payments), undefined);
  });
});
