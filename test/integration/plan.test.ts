// Preview, sync, restore and the sync history in a real VS Code against the real kube-apiserver (examples'
// dev environment, applied by drift.test.ts). Confirmations are answered through the Prompts seam and the
// test checks which questions were asked.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Plan } from '../../src/core/sync';
import type { Question } from '../../src/vscode/prompts';
import type { SyncReport } from '../../src/vscode/plan';
import { activateExtension, answering, applyDevEnvironment, kubectl, screenshot, sleep, waitFor } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;

const replicasOfWeb = async () => Number(await kubectl('-n', 'shop-dev', 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'));

const text = (q: Question) => (q.kind === 'message' ? q.message : q.kind === 'input' ? `input: ${q.prompt}` : `pick: ${q.placeHolder}`);

describe('Preview, sync and restore', function () {
  this.timeout(120_000);

  before(() => applyDevEnvironment());

  it('previews dev: every resource dry-run by the server, all unchanged after the apply, in the Plan view', async () => {
    const api = await activateExtension();
    const plan = await vscode.commands.executeCommand<Plan>('reconcile.preview', 'dev');
    assert.ok(plan, 'a plan');
    assert.equal(plan.environment, 'dev');
    assert.equal(plan.counts.failed, 0, JSON.stringify(plan.items.filter((i) => i.action === 'failed').map((i) => i.failure)));
    assert.equal(plan.counts.update + plan.counts.create, 0, JSON.stringify(plan.items.filter((i) => i.action !== 'unchanged' && i.action !== 'prune').map((i) => [i.key, i.action, i.fields])));
    assert.ok(plan.counts.unchanged >= 20, `${plan.counts.unchanged} unchanged`);
    const roots = api.plan.getChildren();
    assert.equal(roots[0].type, 'summary');
    assert.match(String(api.plan.getTreeItem(roots[0]).description), /0 to create, 0 to update, \d+ unchanged/);
  });

  it('syncs a change made with kubectl back to Git, forcing the conflicting field only after confirmation, and records it', async () => {
    const api = await activateExtension();
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":4}}');
    const preview = await vscode.commands.executeCommand<Plan>('reconcile.preview', 'dev');
    const web = preview.items.find((i) => i.id.kind === 'Deployment' && i.id.name === 'web');
    assert.equal(web?.action, 'update');
    assert.deepEqual(web?.fields?.map((f) => `${f.path} ${String(f.live)}→${String(f.desired)}`), ['spec.replicas 4→1']);
    await vscode.commands.executeCommand('reconcile.plan.focus');
    await sleep(800);
    await screenshot('plan-view');
    const opened = await vscode.commands.executeCommand<{ title: string }>('reconcile.openPlanDiff', web!.key);
    assert.equal(opened.title, 'Deployment/web — cluster ↔ after sync (dev)');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    const { result, asked } = await answering(
      (q) => {
        const t = text(q);
        if (/is managed by/.test(t)) return 'Apply Directly';
        if (/owned by|other field managers own/.test(t)) return 'Force (Take Over Fields)';
        if (/^Sync dev/.test(t)) return 'Sync';
        if (/not in Git\?/.test(t)) return 'Keep Them';
        return undefined;
      },
      () => vscode.commands.executeCommand<SyncReport>('reconcile.sync', 'dev'),
    );
    const questions = asked.map(text);
    assert.ok(questions.some((t) => /other field managers own/.test(t)), `asked about the conflict: ${questions.join(' | ')} → ${result.stopped ?? result.outcome?.outcome}`);
    assert.ok(questions.some((t) => /^Sync dev \(reconcile-local\): 0 to create, 1 to update/.test(t)), questions.join(' | '));
    assert.equal(result.outcome?.outcome, 'success', result.stopped ?? result.outcome?.reason);
    const applied = result.outcome!.results.filter((r) => r.status === 'applied').map((r) => r.key);
    assert.deepEqual(applied, [web!.key]);
    assert.equal(await replicasOfWeb(), 1);

    const records = await answering(() => undefined, () => vscode.commands.executeCommand<Array<{ environment: string; outcome: string; plan: { update: number } }>>('reconcile.showSyncHistory'));
    assert.equal(records.result[0].environment, 'dev');
    assert.equal(records.result[0].outcome, 'success');
    assert.equal(records.result[0].plan.update, 1);
    const out = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-audit-')), 'history.json'));
    await vscode.commands.executeCommand('reconcile.exportSyncHistory', out);
    const exported = JSON.parse(fs.readFileSync(out.fsPath, 'utf8'));
    assert.ok(JSON.stringify(exported).includes('"environment":"dev"'), 'the export holds the record');
    assert.ok(!fs.readdirSync(ws()).some((f) => /audit/i.test(f)), 'nothing written into the repository');
    void api;
  });

  it('offers the GitOps engine that manages the environment instead of a direct apply, and the request lands on its object', async () => {
    const api = await activateExtension();
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":2}}');
    await api.drift.ensure('dev');
    await api.drift.rescanManagers('dev');
    const managers = await waitFor(() => api.drift.managers('dev')?.filter((m) => m.engine === 'flux'), 'the Flux managers of dev');
    assert.ok(managers.some((m) => m.kind === 'Kustomization' && m.name === 'shop-web'), managers.map((m) => `${m.kind}/${m.name}`).join(', '));
    const { result, asked } = await answering((q) => (/is managed by/.test(text(q)) ? 'Ask Flux to Reconcile' : undefined), () => vscode.commands.executeCommand<SyncReport>('reconcile.sync', 'dev'));
    const q = asked.find((x) => x.kind === 'message' && /is managed by/.test(x.message));
    assert.ok(q && q.kind === 'message' && /revert|undo|overwrite/i.test(q.detail ?? ''), `the warning says the controller would revert a direct apply: ${q && q.kind === 'message' ? q.detail : ''}`);
    assert.match(result.delegated ?? '', /asked Flux Kustomization flux-system\/shop-web to reconcile/);
    const requested = await kubectl('-n', 'flux-system', 'get', 'kustomizations.kustomize.toolkit.fluxcd.io', 'shop-web', '-o', 'jsonpath={.metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt}');
    assert.match(requested, /^\d{4}-\d\d-\d\dT/);
    assert.equal(await replicasOfWeb(), 2, 'nothing applied directly');
    const root = (await api.environments.getChildren()).find((n) => n.type === 'environment' && n.env.name === 'dev')!;
    const group = (await api.environments.getChildren(root)).find((n) => n.type === 'managers');
    assert.ok(group, 'the tree shows who manages dev');
    assert.match(String(api.environments.getTreeItem(group).label), /^Managed by Flux/);
    const nodes = await api.environments.getChildren(group);
    assert.ok(nodes.some((n) => n.type === 'manager' && n.manager.name === 'shop-web'), 'the tree shows the managers');
    // No controller runs here: shop-web is "not reconciled yet", which is not a green state.
    const shopWeb = nodes.find((n) => n.type === 'manager' && n.manager.name === 'shop-web')!;
    const item = api.environments.getTreeItem(shopWeb);
    assert.match(String(item.description), /not reconciled yet/);
    assert.equal((item.iconPath as vscode.ThemeIcon).color, undefined, 'no green icon for an object the engine has not reconciled');
    // "Show Only Drifted" hides the engines' objects while none of them is unhealthy.
    await vscode.commands.executeCommand('reconcile.filterDrifted');
    try {
      assert.ok(!(await api.environments.getChildren(root)).some((n) => n.type === 'managers'), 'hidden by Show Only Drifted');
    } finally {
      await vscode.commands.executeCommand('reconcile.clearDriftFilter');
    }
    assert.ok((await api.environments.getChildren(root)).some((n) => n.type === 'managers'), 'back with Show All');
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":1}}');
  });

  it('a failed dry-run is shown with the server\'s message and nothing is applied', async () => {
    const kustomization = path.join(ws(), 'apps', 'web', 'overlays', 'dev', 'kustomization.yaml');
    const original = fs.readFileSync(kustomization, 'utf8');
    const broken = path.join(path.dirname(kustomization), 'broken.yaml');
    fs.writeFileSync(broken, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\ndata: {a: b}\n');
    fs.writeFileSync(kustomization, original.replace('  - ../../base\n', '  - ../../base\n  - broken.yaml\n'));
    try {
      const api = await activateExtension();
      await waitFor(async () => {
        await api.repo.models();
        const app = api.repo.findEnvironment('dev')?.applications.find((a) => a.name === 'shop-web');
        const r = app && (await api.repo.render(app));
        return r?.ok && r.documents.some((d) => d.id?.name === 'Not_A_Valid_Name');
      }, 'the broken ConfigMap rendered');
      await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":3}}');
      const { result, asked } = await answering(() => undefined, () => vscode.commands.executeCommand<SyncReport>('reconcile.sync', 'dev'));
      assert.equal(result.stopped, 'dry-run failed');
      const failed = result.plan!.items.filter((i) => i.action === 'failed');
      assert.deepEqual(failed.map((i) => i.id.name), ['Not_A_Valid_Name']);
      assert.match(failed[0].failure?.serverMessage ?? '', /Invalid value: "Not_A_Valid_Name"/);
      assert.ok(asked.some((q) => q.kind === 'message' && q.modal && /failed the dry-run\. Nothing has been applied\./.test(q.message) && q.items.includes('Apply the Others')));
      assert.equal(await replicasOfWeb(), 3, 'nothing was applied');
    } finally {
      fs.writeFileSync(kustomization, original);
      fs.rmSync(broken, { force: true });
    }
  });

  it('Restore Cluster to Git syncs only what drifted, and removes what other managers added (drift is clean after)', async () => {
    const api = await activateExtension();
    await activateExtension();
    await waitFor(async () => {
      await api.repo.models();
      const app = api.repo.findEnvironment('dev')?.applications.find((a) => a.name === 'shop-web');
      const r = app && (await api.repo.render(app));
      return r?.ok && !r.documents.some((d) => d.id?.name === 'Not_A_Valid_Name');
    }, 'the overlay restored');
    await api.drift.ensure('dev');
    await waitFor(() => !api.drift.resultsOf('dev').some((r) => r.id.name === 'Not_A_Valid_Name'), 'drift to follow the restored overlay');
    const key = await waitFor(() => api.drift.resultsOf('dev').find((r) => r.id.kind === 'Deployment' && r.id.name === 'web' && r.status === 'drifted')?.key, 'web drifted (replicas 3)');
    // Fields other managers add, which Git lacks: a server-side apply alone would leave them.
    await kubectl('-n', 'shop-dev', 'label', 'deployment/web', 'restore-test=yes');
    await kubectl('-n', 'shop-dev', 'set', 'env', 'deployment/web', 'RESTORE_TEST=1');
    await waitFor(() => {
      const r = api.drift.resultsOf('dev').find((x) => x.key === key);
      return r?.status === 'drifted' && r.fields.some((f) => f.path === 'metadata.labels.restore-test') && r.fields.some((f) => f.path.endsWith('env[name=RESTORE_TEST]'));
    }, 'drift shows the label and the env var');
    const drifted = api.drift.resultsOf('dev').filter((r) => r.status === 'drifted' || r.status === 'missing');
    const { result, asked } = await answering(
      (q) => (/is managed by/.test(text(q)) ? 'Apply Directly' : /other field managers own/.test(text(q)) ? 'Force (Take Over Fields)' : /^Restore dev/.test(text(q)) ? 'Restore' : undefined),
      () => vscode.commands.executeCommand<SyncReport>('reconcile.restoreToGit', 'dev'),
    );
    assert.equal(result.outcome?.outcome, 'success', `${result.stopped ?? result.outcome?.reason}: ${asked.map(text).join(' | ')}`);
    assert.equal(result.plan?.counts.total, drifted.length, `the plan holds only the drifted resources: plan ${result.plan?.items.map((i) => `${i.key} ${i.action}`).join(', ')}; drifted ${drifted.map((r) => `${r.key} ${r.status}`).join(', ')}`);
    assert.ok(result.outcome!.results.some((r) => r.key === key && r.status === 'applied'));
    const removed = result.plan!.items.find((i) => i.key === key)!.fields!.filter((f) => f.change === 'added').map((f) => `${f.path} (${f.manager})`);
    assert.ok(removed.includes('metadata.labels.restore-test (kubectl-label)') && removed.some((p) => p.endsWith('env[name=RESTORE_TEST] (kubectl-set)')), removed.join(', '));
    assert.equal(await replicasOfWeb(), 1);
    await waitFor(() => api.drift.resultsOf('dev').find((r) => r.key === key)?.status === 'in-sync', 'web in sync after the restore (label and env var removed)');
  });

  it('a protected environment asks for its name, and a wrong answer applies nothing', async () => {
    const api = await activateExtension();
    const config = path.join(ws(), '.reconcile.yaml');
    const original = fs.readFileSync(config, 'utf8');
    fs.writeFileSync(config, original.replace('    namespaces: [shop-dev]\n', '    namespaces: [shop-dev]\n    protected: true\n'));
    try {
      await waitFor(async () => (await api.repo.models()) && api.repo.findEnvironment('dev')?.protected, 'dev protected');
      await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":2}}');
      const { result, asked } = await answering(
        (q) => (q.kind === 'input' ? 'prod' : /is managed by/.test(text(q)) ? 'Apply Directly' : /other field managers own/.test(text(q)) ? 'Force (Take Over Fields)' : undefined),
        () => vscode.commands.executeCommand<SyncReport>('reconcile.sync', 'dev'),
      );
      assert.equal(result.stopped, 'protected environment not confirmed');
      assert.ok(asked.some((q) => q.kind === 'input' && /Type the environment's name to confirm/.test(q.prompt ?? '')));
      assert.equal(await replicasOfWeb(), 2, 'nothing applied');
    } finally {
      fs.writeFileSync(config, original);
    }
    await waitFor(async () => (await api.repo.models()) && api.repo.findEnvironment('dev')?.protected === false, 'dev unprotected again');
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":1}}');
  });
});
