#!/usr/bin/env node
// The demo (see scripts/demo): local cluster + examples' dev environment + VS Code on 127.0.0.1.
//   node scripts/demo.mjs [--port N] [--screenshot FILE [--exit]]
// --screenshot opens headless Chromium on the workbench, saves a PNG once Reconcile is shown;
// with --exit the demo stops right after (used to look at the demo without a browser at hand).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../test/harness/cluster.mjs';
import { freePort, startVSCode } from '../test/harness/vscode.mjs';
import { loadTools } from '../test/harness/tools.mjs';
import { applyDev, tool } from '../test/harness/dev-env.mjs';
import { writeHistory } from '../test/harness/demo-history.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
// The demo works on a copy of examples/ with six months of generated Git history (pull requests,
// promotions, a revert, a hotfix), so that history, revert and the metrics dashboard have something to show.
const examples = mkdtempSync(join(tmpdir(), 'reconcile-demo-'));
const tools = loadTools();
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${name}-${version}.vsix`);
const say = (m) => console.log(`[demo] ${m}`);

let cluster;
let vs;
const stopAll = async () => {
  await vs?.stop().catch(() => {});
  await cluster?.stop().catch(() => {});
  rmSync(examples, { recursive: true, force: true });
};
try {
  cpSync(join(root, 'examples'), examples, { recursive: true });
  const history = writeHistory(examples);
  say(`examples/ copied to ${examples} with ${history.commits} commits of history (${history.pullRequests} pull requests, a revert, a hotfix)`);
  say('starting the local cluster (etcd + kube-apiserver + kube-controller-manager on 127.0.0.1)');
  cluster = await startCluster({ controllerManager: true, log: (l) => say(l) });
  const kubectl = (argv, input) => tool(tools.kubectl, ['--kubeconfig', cluster.kubeconfig, ...argv], input);
  applyDev({ root, workspace: examples, tools, kubeconfig: cluster.kubeconfig, log: (l) => (l.startsWith(' ') ? console.log(l) : say(l)) });
  // One live change, as a colleague would make with `kubectl edit`: this is the drift the demo shows.
  const deployments = JSON.parse(kubectl(['get', 'deployments', '-A', '-o', 'json'])).items;
  const target = deployments.find((d) => d.metadata.name === 'web') ?? deployments[0];
  if (target) {
    const replicas = (target.spec.replicas ?? 1) + 4;
    kubectl(['-n', target.metadata.namespace, 'patch', 'deployment', target.metadata.name, '--type=merge',
      '-p', JSON.stringify({ spec: { replicas } }), '--field-manager=kubectl-edit']);
    say(`drift made on purpose: deployment ${target.metadata.namespace}/${target.metadata.name} spec.replicas ${target.spec.replicas} → ${replicas} (field manager kubectl-edit)`);
  }

  const shot = opt('--screenshot');
  const port = Number(opt('--port') ?? process.env.RECONCILE_DEMO_PORT ?? 0) || (await freePort());
  vs = await startVSCode({
    workspace: examples,
    vsix,
    port,
    browser: Boolean(shot),
    env: { KUBECONFIG: cluster.kubeconfig },
    // The demo machine may have no kubectl/helm of its own: point Reconcile at the ones setup installed.
    settings: { 'workbench.colorTheme': 'Default Dark Modern', 'reconcile.tools.kubectl': tools.kubectl, 'reconcile.tools.helm': tools.helm },
    log: (l) => say(l),
  });
  say(`KUBECONFIG=${cluster.kubeconfig}`);
  console.log(`\n  Reconcile demo: open ${vs.url}\n  (VS Code ${'1.100'} with Reconcile ${version}, examples/ and the local cluster; Ctrl-C stops everything)\n`);
  if (shot && vs.page) {
    await vs.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await vs.page.waitForTimeout(4000);
    await vs.page.keyboard.press('Escape');
    // Open the Reconcile container through the command palette, as a user would.
    await vs.page.keyboard.press('F1');
    await vs.page.keyboard.type('View: Show Reconcile');
    await vs.page.waitForTimeout(800);
    await vs.page.keyboard.press('Enter');
    await vs.page.waitForTimeout(3000);
    // Collapse cache (expanded by default when it is the first application), expand shop-web, and open
    // the web Deployment's source through Quick Open, as a user would: its drift CodeLens shows.
    await vs.page.locator('.monaco-list-row', { hasText: 'shop-web' }).first().click().catch(() => {});
    await vs.page.waitForTimeout(1500);
    await vs.page.keyboard.press('Control+P');
    await vs.page.waitForTimeout(800);
    await vs.page.keyboard.type('apps/web/base/deployment.yaml');
    await vs.page.waitForTimeout(1200);
    await vs.page.keyboard.press('Enter');
    await vs.page.waitForTimeout(5000);
    await vs.page.screenshot({ path: resolve(shot) });
    say(`screenshot saved to ${resolve(shot)}`);
    if (args.includes('--exit')) {
      await stopAll();
      process.exit(0);
    }
  }
  // `on`, not `once`: the listener stays while everything stops, so the harness's own handlers (which
  // re-raise the signal when nobody else listens) do not end the process before the last line.
  await new Promise((r) => {
    process.on('SIGINT', r);
    process.on('SIGTERM', r);
  });
  say('stopping…');
  await stopAll();
  say('stopped; nothing left running');
  process.exit(0);
} catch (e) {
  console.error(`[demo] failed: ${e instanceof Error ? e.message : e}`);
  await stopAll();
  process.exit(1);
}
