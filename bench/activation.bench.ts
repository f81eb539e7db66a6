// Activation time inside the real VS Code (target: ≤ 50 ms from activate() entry to return),
// side by side with a built-in extension of the same VS Code, and the VSIX and bundle sizes.
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, report, type BenchRow } from './lib';

const root = join(__dirname, '..');
const RUNS = Number(process.env.RECONCILE_BENCH_RUNS ?? 5);

async function main(): Promise<void> {
  const { startVSCode } = await import('../test/harness/vscode.mjs');
  const samples: { reconcileWallMs: number; reconcileActivateMs: number; peer: string; peerWallMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const scratch = mkdtempSync(join(tmpdir(), 'reconcile-bench-'));
    const outFile = join(scratch, 'activation.json');
    const vs = await startVSCode({
      workspace: scratch,
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'bench', 'activation.js'),
      env: { RECONCILE_BENCH_OUT: outFile },
      log: () => {},
    });
    try {
      const code = await vs.waitForExit(120_000);
      if (code !== 0 || !existsSync(outFile)) throw new Error(`activation run ${i + 1} failed (exit ${code})\n${vs.serverLog().slice(-2000)}`);
      samples.push(JSON.parse(readFileSync(outFile, 'utf8')));
    } finally {
      await vs.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const ours = median(samples.map((s) => s.reconcileActivateMs));
  const oursWall = median(samples.map((s) => s.reconcileWallMs));
  const peerWall = median(samples.map((s) => s.peerWallMs));
  const rows: BenchRow[] = [
    { bench: 'activation', metric: 'Reconcile activate() entry→return', value: ours, unit: 'ms', target: '≤ 50 ms', ok: ours <= 50 },
    { bench: 'activation', metric: 'ext.activate() wall: Reconcile', value: oursWall, unit: 'ms' },
    {
      bench: 'activation', metric: `ext.activate() wall: ${samples[0].peer} (peer)`, value: peerWall, unit: 'ms',
      ratio: peerWall / oursWall, ratioLabel: 'peer/ours',
    },
  ];
  const size = (p: string) => (existsSync(p) ? statSync(p).size / 1024 : NaN);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);
  rows.push({ bench: 'size', metric: 'dist/extension.js (production)', value: size(join(root, 'dist', 'extension.js')), unit: 'KiB' });
  rows.push({ bench: 'size', metric: 'dist/cli.js (production)', value: size(join(root, 'dist', 'cli.js')), unit: 'KiB' });
  const vsixKiB = size(vsix);
  rows.push({ bench: 'size', metric: 'VSIX', value: vsixKiB, unit: 'KiB', target: '≤ 5 MB', ok: vsixKiB <= 5 * 1024 });
  report(rows, `${RUNS} VS Code starts; medians`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
