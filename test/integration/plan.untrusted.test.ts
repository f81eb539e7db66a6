// No sync in an untrusted workspace: the command refuses before it renders or connects.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { SyncReport } from '../../src/vscode/plan';
import { activateExtension } from './util';

describe('Sync in an untrusted workspace', () => {
  it('is refused with a message, and nothing is asked or sent', async () => {
    const api = await activateExtension();
    assert.equal(vscode.workspace.isTrusted, false);
    const from = api.prompts.asked.length;
    api.prompts.answer(undefined);
    const r = await vscode.commands.executeCommand<SyncReport>('reconcile.sync', 'dev');
    assert.equal(r.stopped, 'untrusted workspace');
    const asked = api.prompts.asked.slice(from);
    assert.equal(asked.length, 1);
    assert.ok(asked[0].kind === 'message' && /not available in an untrusted workspace/.test(asked[0].message));
    api.prompts.reset();
  });
});
