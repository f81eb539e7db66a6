// Runs inside the real VS Code extension host (extensionTestsPath) for bench/activation.bench.ts.
// Measures activation as a caller sees it (ext.activate() wall time: load + activate) for Reconcile
// and, side by side, for a built-in extension of the same VS Code, plus Reconcile's own activate() time.
import * as fs from 'node:fs';
import * as vscode from 'vscode';

const PEER = 'vscode.markdown-language-features';

async function timeActivate(id: string): Promise<{ wallMs: number; exports: unknown }> {
  const ext = vscode.extensions.getExtension(id);
  if (!ext) throw new Error(`extension ${id} not found`);
  if (ext.isActive) throw new Error(`extension ${id} was already active: the measurement would be wrong`);
  const t0 = performance.now();
  const exports = await ext.activate();
  return { wallMs: performance.now() - t0, exports };
}

export async function run(): Promise<void> {
  const out = process.env.RECONCILE_BENCH_OUT;
  if (!out) throw new Error('RECONCILE_BENCH_OUT is not set');
  const ours = await timeActivate('reconcile-dev.reconcile');
  const peer = await timeActivate(PEER);
  const api = ours.exports as { activationMs: number };
  fs.writeFileSync(out, JSON.stringify({ reconcileWallMs: ours.wallMs, reconcileActivateMs: api.activationMs, peer: PEER, peerWallMs: peer.wallMs }));
}
