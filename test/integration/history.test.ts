// Git history, revert and discard in a real VS Code, on a real git repository made of the test
// workspace. Every confirmation is answered through the extension's Prompts seam, and the test checks
// that it was asked.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RevertResult } from '../../src/core/git';
import { activateExtension, scratchFile, waitFor } from './util';

const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const DAY = 24 * 3600;

function git(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, {
    cwd: ws(),
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env },
  });
}

function commitAs(author: string, subject: string, daysAgo: number): void {
  const date = `${Math.floor(Date.now() / 1000) - daysAgo * DAY} +0000`;
  git(['add', '-A'], {});
  git(['-c', `user.name=${author}`, '-c', `user.email=${author.toLowerCase()}@example.com`, 'commit', '-q', '-m', subject], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
}

const APP = (replicas: number) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  MODE: a
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: history-demo
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: history-demo }
  template:
    metadata:
      labels: { app: history-demo }
    spec:
      containers:
        - name: main
          image: nginx:1.27
`;

describe('History, revert and discard (git)', function () {
  this.timeout(60_000);
  let file: string;

  afterEach(async () => (await activateExtension()).prompts.reset());

  before(async () => {
    await activateExtension();
    file = scratchFile('history-app.yaml');
    if (!fs.existsSync(path.join(ws(), '.git'))) {
      git(['init', '-q', '-b', 'main']);
      git(['config', 'user.name', 'Tester']);
      git(['config', 'user.email', 'tester@example.com']);
    }
    fs.writeFileSync(file, APP(1));
    commitAs('Tester', 'initial', 10);
    fs.writeFileSync(file, APP(3));
    commitAs('Alice', 'bump history-demo replicas', 3);
  });

  it('shows who changed each resource, and when, above it (CodeLens from git blame)', async () => {
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    const titles = await waitFor(async () => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file), 100)) ?? [];
      const t = lenses.filter((l) => l.command?.command === 'reconcile.showResourceHistory').map((l) => `${l.range.start.line}: ${l.command!.title}`);
      return t.length === 2 ? t : undefined;
    }, 'two history lenses');
    assert.deepEqual(titles, ['0: changed by Tester, 10 days ago — initial', '7: changed by Alice, 3 days ago — bump history-demo replicas']);
  });

  it('Show Resource History lists the commits of the resource and opens the diff of the chosen one', async () => {
    const api = await activateExtension();
    api.prompts.answer((q) => {
      assert.equal(q.kind, 'pick');
      assert.deepEqual(q.kind === 'pick' && q.items, ['bump history-demo replicas', 'initial']);
      return 'bump history-demo replicas';
    });
    const shown = await vscode.commands.executeCommand<{ title: string; left: vscode.Uri; right: vscode.Uri }>('reconcile.showResourceHistory', vscode.Uri.file(file), 9);
    assert.match(shown.title, /^Deployment\/history-demo @ [0-9a-f]{7,} — bump history-demo replicas$/);
    assert.match((await vscode.workspace.openTextDocument(shown.left)).getText(), /replicas: 1/);
    assert.match((await vscode.workspace.openTextDocument(shown.right)).getText(), /replicas: 3/);
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, 'a diff editor is open');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Revert Commit… refuses a dirty tree, offers stashing, and reverts with a new commit', async () => {
    const api = await activateExtension();
    const other = path.join(ws(), 'README.md');
    const original = fs.readFileSync(other, 'utf8');
    fs.writeFileSync(other, `${original}\nlocal change\n`);
    const before = git(['rev-list', '--count', 'HEAD']).trim();
    const asked = api.prompts.asked.length;
    api.prompts.answer('bump history-demo replicas', 'Revert', 'Stash and Revert', undefined);
    const result = await vscode.commands.executeCommand<RevertResult>('reconcile.revertCommit', vscode.Uri.file(file));
    assert.equal(result?.status, 'reverted');
    const questions = api.prompts.asked.slice(asked).map((q) => (q.kind === 'message' ? q.message : q.kind));
    assert.equal(questions[0], 'pick');
    assert.match(questions[1], /^Revert commit [0-9a-f]{8}\?$/);
    assert.match(questions[2], /README\.md/, 'the dirty-tree refusal names the file');
    assert.equal(Number(git(['rev-list', '--count', 'HEAD']).trim()), Number(before) + 1, 'one new commit; history not rewritten');
    assert.match(git(['log', '-1', '--format=%s']), /^Revert "bump history-demo replicas"/);
    assert.match(fs.readFileSync(file, 'utf8'), /replicas: 1/);
    assert.equal(fs.readFileSync(other, 'utf8'), original, 'the local change is in the stash, not lost');
    assert.match(git(['stash', 'list']), /reconcile: before reverting/);
    git(['stash', 'pop', '-q']);
    assert.match(fs.readFileSync(other, 'utf8'), /local change/);
    fs.writeFileSync(other, original);
  });

  it('a conflicting revert leaves the conflict for the merge editor; Abort returns exactly to before', async () => {
    const api = await activateExtension();
    // Change the same line again, then revert the older change that set it: a conflict.
    fs.writeFileSync(file, APP(7));
    commitAs('Bob', 'history-demo to 7 replicas', 1);
    const head = git(['rev-parse', 'HEAD']).trim();
    const target = git(['log', '--format=%H', '--grep', '^bump history-demo replicas$']).trim().split('\n')[0];
    api.prompts.answer('Revert', 'Abort Revert');
    const result = await vscode.commands.executeCommand<RevertResult>('reconcile.revertCommit', vscode.Uri.file(file), target);
    assert.equal(result?.status, 'conflict');
    assert.deepEqual(result?.status === 'conflict' && result.files, ['.scratch/history-app.yaml']);
    await waitFor(() => git(['rev-parse', 'HEAD']).trim() === head && git(['status', '--porcelain']).trim() === '' && !fs.existsSync(path.join(ws(), '.git', 'REVERT_HEAD')), 'the revert to be aborted');
    assert.match(fs.readFileSync(file, 'utf8'), /replicas: 7/);
    const merges = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => (t.input as { input1?: unknown } | undefined)?.input1 !== undefined);
    await waitFor(() => merges().length === 0, `no merge editor left open after the abort (${merges().map((t) => t.label).join(', ')})`, 5000);
  });

  it('Discard Local Changes asks first, then restores the committed file', async () => {
    const api = await activateExtension();
    fs.writeFileSync(file, APP(42));
    api.prompts.answer(undefined); // first: the user cancels
    await vscode.commands.executeCommand('reconcile.discardChanges', vscode.Uri.file(file));
    assert.match(fs.readFileSync(file, 'utf8'), /replicas: 42/, 'cancelled: nothing changed');
    api.prompts.answer('Discard Changes');
    const r = await vscode.commands.executeCommand<{ action: string }>('reconcile.discardChanges', vscode.Uri.file(file));
    assert.equal(r?.action, 'restored');
    assert.match(fs.readFileSync(file, 'utf8'), /replicas: 7/);
    const q = api.prompts.asked.at(-1);
    assert.ok(q?.kind === 'message' && q.modal && /Discard all local changes to \.scratch\/history-app\.yaml\?/.test(q.message));
  });
});
