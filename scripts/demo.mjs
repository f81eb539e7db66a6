#!/usr/bin/env node
// The demo (see scripts/demo): local cluster + examples' dev environment + VS Code on 127.0.0.1.
//   node scripts/demo.mjs [--port N] [--screenshot FILE [--exit]]
// --screenshot opens headless Chromium on the workbench, saves a PNG once Reconcile is shown;
// with --exit the demo stops right after (used to look at the demo without a browser at hand).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../test/harness/cluster.mjs';
import { freePort, startVSCode } from '../test/harness/vscode.mjs';
import { loadTools } from '../test/harness/tools.mjs';
import { parseAllDocuments, stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (n) => (args.includes(n) ? args[args.indexOf(n) + 1] : undefined);
const examples = join(root, 'examples');
const tools = loadTools();
const { name, version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${name}-${version}.vsix`);
const say = (m) => console.log(`[demo] ${m}`);

/**
 * The dev environment of examples/ as Reconcile renders it (`reconcile render --env dev`: every
 * application of dev, kustomize and Helm, Argo CD and Flux), one object per identity as drift compares
 * it (the first definition wins), objects without a namespace in the environment's namespace.
 */
function renderDev() {
  const cli = join(root, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`missing ${cli}: build first (scripts/demo does)`);
  const out = tool(process.execPath, [cli, 'render', examples, '--env', 'dev', '--kubectl', tools.kubectl, '--helm', tools.helm]);
  const seen = new Set();
  const objects = [];
  for (const doc of parseAllDocuments(out)) {
    const o = doc.toJS();
    if (!o || typeof o !== 'object' || !o.kind) continue;
    const key = `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    objects.push(o);
  }
  const namespaces = [...new Set(objects.map((o) => o.metadata?.namespace).filter(Boolean))].filter((n) => !objects.some((o) => o.kind === 'Namespace' && o.metadata.name === n));
  const first = [
    ...namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })),
    ...objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition'),
  ];
  // Namespaced objects that name no namespace go to the environment's, as Reconcile compares them.
  const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService']);
  for (const o of objects) if (!o.metadata?.namespace && !clusterScoped.has(o.kind)) o.metadata = { ...o.metadata, namespace: 'shop-dev' };
  const rest = objects.filter((o) => !first.includes(o));
  const stream = (list) => list.map((o) => stringify(o)).join('---\n');
  return [
    { what: 'the Argo CD and Flux CRDs (minimal, from test/fixtures/delegate)', yaml: readFileSync(join(root, 'test', 'fixtures', 'delegate', 'crds.yaml'), 'utf8') },
    { what: 'namespaces and CRDs of dev', yaml: stream(first) },
    { what: `the ${rest.length} other objects of dev`, yaml: stream(rest) },
  ];
}

function tool(bin, argv, input) {
  const r = spawnSync(bin, argv, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${bin} ${argv.join(' ')} failed:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

let cluster;
let vs;
const stopAll = async () => {
  await vs?.stop().catch(() => {});
  await cluster?.stop().catch(() => {});
};
try {
  say('starting the local cluster (etcd + kube-apiserver + kube-controller-manager on 127.0.0.1)');
  cluster = await startCluster({ controllerManager: true, log: (l) => say(l) });
  const kubectl = (argv, input) => tool(tools.kubectl, ['--kubeconfig', cluster.kubeconfig, ...argv], input);
  for (const { what, yaml } of renderDev()) {
    say(`applying ${what} with kubectl apply --server-side`);
    const applied = kubectl(['apply', '--server-side', '--field-manager=reconcile-demo', '-f', '-'], yaml);
    // CRDs must be served before their objects are applied.
    if (/CustomResourceDefinition/.test(yaml)) kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    console.log(applied.trimEnd().replace(/^/gm, '       '));
  }
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
  await new Promise((r) => {
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
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
