// Pull-request preview, environment comparison and the GitOps metrics dashboard in a real VS Code. The
// workspace is a git repository by now (history.test.ts made it one): compare renders both revisions
// in temporary worktrees, which must be gone afterwards.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EnvironmentsComparison, RevisionComparison } from '../../src/core/compare';
import type { MetricsReport } from '../../src/core/metrics';
import { activateExtension, applyDevEnvironment, requireEnv, screenshot, sleep, waitFor } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const kubectl = (...args: string[]) => {
  const tools = JSON.parse(requireEnv('RECONCILE_TEST_TOOLS')) as { kubectl: string };
  return execFileSync(tools.kubectl, args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: requireEnv('RECONCILE_TEST_KUBECONFIG') } });
};
const git = (...args: string[]) => execFileSync('git', args, { cwd: ws(), encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });

describe('Compare and metrics', function () {
  this.timeout(180_000);

  before(async function () {
    // The workspace is a copy of examples/; history.test.ts may have made it a repository already.
    if (!fs.existsSync(path.join(ws(), '.git'))) {
      git('init', '-q', '-b', 'main');
      git('-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', 'add', '-A');
      git('-c', 'user.name=Tester', '-c', 'user.email=tester@example.com', 'commit', '-q', '-m', 'the examples');
    }
    // One drift incident of dev, as the editor sees it: a live change, then back to Git's state.
    await applyDevEnvironment();
    const api = await activateExtension();
    await api.drift.ensure('dev');
    const web = () => api.drift.resultsOf('dev').find((r) => r.id.kind === 'Deployment' && r.id.name === 'web')?.status;
    await waitFor(() => web() === 'in-sync', 'web in sync');
    await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":3}}');
    await waitFor(() => web() === 'drifted', 'web drifted');
    await sleep(2500); // the incident is recorded once the drift has settled for 2 s
    await applyDevEnvironment();
    await waitFor(() => web() === 'in-sync', 'web back in sync');
    await sleep(2500);
  });

  it('Compare with Branch shows what the working tree changes per environment, and leaves the repository as it was', async () => {
    const api = await activateExtension();
    const file = path.join(ws(), 'apps', 'web', 'overlays', 'dev', 'kustomization.yaml');
    const original = fs.readFileSync(file, 'utf8');
    const worktreesBefore = git('worktree', 'list');
    const statusBefore = git('status', '--porcelain');
    fs.writeFileSync(file, original.replace(/replicas:\n  - name: web\n    count: 1/, 'replicas:\n  - name: web\n    count: 2'));
    try {
      const r = await vscode.commands.executeCommand<RevisionComparison>('reconcile.compareWithBranch', 'HEAD');
      assert.ok(r, 'a comparison');
      const dev = r.environments.find((e) => e.name === 'dev')!;
      assert.equal(dev.status, 'changed');
      const web = dev.resources.find((c) => c.id.kind === 'Deployment' && c.id.name === 'web');
      assert.deepEqual(web?.fields.map((f) => `${f.path} ${String(f.before)}→${String(f.after)}`), ['spec.replicas 1→2']);
      for (const name of ['staging', 'prod']) assert.equal(r.environments.find((e) => e.name === name)?.status, 'inputs-unchanged', name);
      const roots = api.compare.getChildren();
      assert.match(String(api.compare.getTreeItem(roots[0]).label), /^HEAD → working tree$/);
      const opened = await vscode.commands.executeCommand<{ title: string }>('reconcile.openCompareDiff', web!.title);
      assert.equal(opened.title, web!.title);
      await vscode.commands.executeCommand('reconcile.compare.focus');
      await sleep(600);
      await screenshot('compare-view');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      fs.writeFileSync(file, original);
    }
    assert.equal(git('worktree', 'list'), worktreesBefore, 'no worktree left behind');
    assert.equal(git('status', '--porcelain'), statusBefore, 'the working tree is as it was');
  });

  it('Compare Environments diffs staging against prod, grouped by application, promotion first, without touching Problems', async () => {
    const problems = () => vscode.languages.getDiagnostics().flatMap(([, ds]) => ds).filter((d) => /^\[(staging|prod)\]/.test(d.message)).map((d) => d.message).sort();
    const before = problems();
    const r = await vscode.commands.executeCommand<EnvironmentsComparison>('reconcile.compareEnvironments', 'staging', 'prod');
    assert.ok(r);
    assert.notEqual(r.status, 'render-failed', JSON.stringify(r.errors));
    assert.equal(r.left, 'staging');
    assert.equal(r.right, 'prod');
    assert.ok(r.resources.some((c) => c.change === 'changed'), 'prod differs from staging somewhere');
    // The view: one node per application, each resource led by what a promotion moves.
    const api = await activateExtension();
    const roots = api.compare.getChildren();
    const apps = roots.filter((n) => n.type === 'app');
    assert.ok(apps.length >= 2, `grouped by application: ${roots.map((n) => n.type).join(', ')}`);
    const relevance = apps.flatMap((a) => api.compare.getChildren(a)).map((n) => (n.type === 'resource' ? n.relevance : undefined));
    for (const a of apps) {
      const ranks = api.compare.getChildren(a).map((n) => (n.type === 'resource' ? ['promotion', 'config', 'environment'].indexOf(n.relevance!) : -1));
      assert.deepEqual(ranks, [...ranks].sort((x, y) => x - y), 'promotion-relevant first, environment-only last');
    }
    assert.ok(relevance.includes('environment'), `some resources differ only by the environment's names: ${relevance.join(', ')}`);
    const folded = apps.flatMap((a) => api.compare.getChildren(a)).find((n) => n.type === 'resource' && n.relevance === 'environment')!;
    assert.equal(api.compare.getTreeItem(folded).description, 'only environment names, namespaces and labels differ');
    // The Environments view hidden for a moment, so that the Compare view has the room a user would give it.
    await vscode.commands.executeCommand('reconcile.environments.toggleVisibility');
    try {
      await vscode.commands.executeCommand('reconcile.compare.focus');
      await sleep(1000);
      await screenshot('compare-environments');
    } finally {
      await vscode.commands.executeCommand('reconcile.environments.toggleVisibility');
    }
    // Rendering for Compare published nothing: the Problems view is what it was.
    await sleep(500);
    assert.deepEqual(problems(), before);
  });

  it('opens the GitOps metrics dashboard, computed from the repository history', async () => {
    const result = await vscode.commands.executeCommand<{ panel: vscode.WebviewPanel; report: MetricsReport }>('reconcile.showMetrics', '365d');
    assert.ok(result?.report, 'a report');
    assert.equal(result.report.commitsRead, Number(git('rev-list', '--count', '--first-parent', 'HEAD').trim()), 'every commit of the branch read');
    assert.ok(result.report.environments.includes('dev'));
    // before() made dev drift and come back: the drift service recorded it as an incident.
    assert.ok(result.report.overall.summary.driftIncidents >= 1, `${result.report.overall.summary.driftIncidents} drift incidents`);
    assert.ok(result.panel.visible, 'the panel is shown');
    assert.match(result.panel.webview.html, /Content-Security-Policy/);
    // Every URL is a webview resource of the extension (VS Code serves them), never a remote asset.
    const urls = result.panel.webview.html.match(/https?:\/\/[^\s"'<>)]+/g) ?? [];
    for (const u of urls) assert.match(u, /vscode-cdn\.net|vscode-resource|vscode-webview/, `not a remote asset: ${u}`);
    await sleep(1500);
    await screenshot('metrics-dashboard');
    result.panel.dispose();
  });
});
