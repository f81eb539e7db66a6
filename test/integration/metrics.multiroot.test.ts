// Compare with Branch and Show GitOps Metrics in a multi-root workspace of two repositories that both have
// a `prod` (test/fixtures/multiroot): each acts on the folder of the tree node, file or active editor it was
// invoked for, asks which folder when nothing says, and a folder's metrics count only its own drift
// incidents (the drift service records each incident with its folder and repository).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RevisionComparison } from '../../src/core/compare';
import type { MetricsReport } from '../../src/core/metrics';
import type { Question } from '../../src/vscode/prompts';
import { activateExtension, answering, environmentNodeOf, headOf, kubectl, sleep, waitFor, workspaceFolder } from './util';

const NS = 'multiroot-prod';
const folder = workspaceFolder;
const head = headOf;
const envNode = (folderName: string) => environmentNodeOf(folderName, 'prod');

const picks = (asked: Question[]) => asked.filter((q) => q.kind === 'pick').map((q) => (q.kind === 'pick' ? `${q.placeHolder} [${q.items.join(', ')}]` : ''));
type Metrics = { panel: vscode.WebviewPanel; report: MetricsReport; folder: string };

describe('Compare with Branch and GitOps Metrics of two workspace folders', function () {
  this.timeout(180_000);

  before(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Compare with Branch compares the folder it was invoked for, and asks which when nothing says', async () => {
    const [shopHead, paymentsHead] = [await head('shop'), await head('payments')];
    assert.notEqual(shopHead, paymentsHead);
    // From payments' tree node: payments' repository (before: always the first folder's).
    const fromNode = await answering(() => undefined, async () => vscode.commands.executeCommand<RevisionComparison>('reconcile.compareWithBranch', await envNode('payments'), 'HEAD'));
    assert.deepEqual(picks(fromNode.asked), [], 'the node says which folder');
    assert.equal(fromNode.result?.base.sha, paymentsHead);
    // Nothing says (no editor open): a QuickPick of the folders, and the one picked is compared.
    const picked = await answering((q) => (q.kind === 'pick' ? 'payments' : undefined), () => vscode.commands.executeCommand<RevisionComparison>('reconcile.compareWithBranch', 'HEAD'));
    assert.deepEqual(picks(picked.asked), ['Compare with Branch: which workspace folder? [shop, payments]']);
    assert.equal(picked.result?.base.sha, paymentsHead);
    // The active editor's folder.
    await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder('payments').uri.fsPath, 'deploy', 'prod', 'app.yaml')));
    try {
      const fromEditor = await answering(() => undefined, () => vscode.commands.executeCommand<RevisionComparison>('reconcile.compareWithBranch', 'HEAD'));
      assert.deepEqual(picks(fromEditor.asked), []);
      assert.equal(fromEditor.result?.base.sha, paymentsHead);
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
    const dismissed = await answering(() => undefined, () => vscode.commands.executeCommand<RevisionComparison>('reconcile.compareWithBranch', 'HEAD'));
    assert.equal(dismissed.result, undefined, 'a dismissed pick compares nothing');
  });

  it('a drift incident of payments\' prod counts in payments\' metrics only', async () => {
    const api = await activateExtension();
    const [shop, payments] = api.repo.environments().filter((e) => e.env.name === 'prod').map((e) => e.key);
    await api.drift.ensure(payments);
    const status = () => api.drift.resultsOf(payments).find((r) => r.id.name === 'payments-config')?.status;
    await waitFor(() => status() === 'in-sync', 'payments-config in sync', 30_000);
    await kubectl('-n', NS, 'patch', 'configmap/payments-config', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"data":{"owner":"someone-else"}}');
    await waitFor(() => status() === 'drifted', 'payments-config drifted', 30_000);
    await sleep(2500); // the incident is recorded once the drift has settled for 2 s
    await kubectl('-n', NS, 'patch', 'configmap/payments-config', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"data":{"owner":"payments"}}');
    await waitFor(() => status() === 'in-sync', 'payments-config back in sync', 30_000);
    await sleep(2500);
    assert.notEqual(api.drift.counts(shop)?.drifted, 1);

    const paymentsNode = await envNode('payments');
    const p = await answering(() => undefined, () => vscode.commands.executeCommand<Metrics>('reconcile.showMetrics', paymentsNode, '365d'));
    assert.ok(p.result?.report, `a report for payments: ${p.asked.length} question(s)`);
    assert.equal(p.result.folder, folder('payments').uri.fsPath);
    assert.equal(p.result.report.tip, await head('payments'));
    assert.equal(p.result.panel.title, 'GitOps Metrics — payments');
    assert.ok(p.result.report.overall.summary.driftIncidents >= 1, `${p.result.report.overall.summary.driftIncidents} drift incidents in payments`);
    assert.ok((p.result.report.perEnvironment.find((e) => e.name === 'prod')?.summary.driftIncidents ?? 0) >= 1);

    // shop's prod never drifted: its metrics have none (before: payments' incident counted as shop's prod).
    const s = await answering((q) => (q.kind === 'pick' ? 'shop' : undefined), () => vscode.commands.executeCommand<Metrics>('reconcile.showMetrics', '365d'));
    assert.deepEqual(picks(s.asked), ['GitOps Metrics: which workspace folder? [shop, payments]']);
    assert.ok(s.result?.report);
    assert.equal(s.result.report.tip, await head('shop'));
    assert.equal(s.result.report.overall.summary.driftIncidents, 0);
    assert.equal(s.result.report.perEnvironment.find((e) => e.name === 'prod')?.summary.driftIncidents, 0);
    s.result.panel.dispose();
  });
});
