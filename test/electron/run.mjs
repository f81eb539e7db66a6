#!/usr/bin/env node
// `npm run test:electron`: the same integration suites through @vscode/test-electron, for machines
// that can download VS Code (ours cannot: `npm test` uses test/harness/run-integration.mjs instead).
// Starts the same local kube-apiserver, so the suites see the same environment.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';
import { startCluster } from '../harness/cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'reconcile-electron-'));
const workspace = join(scratch, 'workspace');
const out = join(scratch, 'out');
const shots = join(scratch, 'screenshots');
for (const d of [out, shots]) mkdirSync(d);
cpSync(join(root, 'examples'), workspace, { recursive: true });
let cluster;
let code = 1;
try {
  cluster = await startCluster();
  await runTests({
    version: '1.100.3',
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'integration', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: {
      RECONCILE_TEST_OUT: out,
      RECONCILE_TEST_KUBECONFIG: cluster.kubeconfig,
      KUBECONFIG: cluster.kubeconfig,
      // No browser page to photograph under Electron: suites that need a screenshot say so and fail.
      RECONCILE_TEST_SCREENSHOTS: shots,
    },
  });
  code = 0;
} catch (e) {
  console.error(`test:electron failed: ${e instanceof Error ? e.message : e}`);
} finally {
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(code);
