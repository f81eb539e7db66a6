// `reconcile plan` against the REAL kube-apiserver (current release) from test/harness/cluster.mjs, over the small
// repository test/fixtures/sync/cli-repo (plain YAML) and over examples/: whole text outputs, Markdown and
// JSON, exit codes 0 (nothing to change), 1 (changes), 2 (error or a failed dry-run). The cluster is
// changed with kubectl (of the same release) only, so that the plan is checked against another tool's apply.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { main } from '../../../src/cli/main';
import { sink } from '../cli/io';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const repo = join(root, 'test', 'fixtures', 'sync', 'cli-repo');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

let cluster: { kubeconfig: string; context: string; server: string; stop(): Promise<void> };
let tools: { kubectl: string; helm: string };
let scratch: string;

async function plan(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = sink();
  const err = sink();
  const code = await main(['plan', ...argv, '--kubectl', tools.kubectl, '--helm', tools.helm], { out, err, env: { PATH: '', KUBECONFIG: cluster.kubeconfig }, cwd: repo });
  return { code, out: out.text, err: err.text };
}

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  return stdout;
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  tools = loadTools({ require: ['kubectl', 'helm', 'etcd', 'kubeApiserver'] });
  cluster = await startCluster({ log: () => {} });
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-plan-cli-'));
});

after(async () => {
  await cluster?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

const NOTE = 'namespace cli-demo is created by this plan: validated by a dry-run in namespace default';

test('empty cluster: everything to create (exit 1), text, Markdown and JSON', async () => {
  const text = await plan('.', '--env', 'demo');
  assert.equal(text.err, '');
  assert.equal(text.code, 1);
  assert.equal(
    text.out,
    [
      'Plan for demo (context reconcile-local): 5 to create, 0 to update, 0 unchanged, 0 prune candidates',
      '',
      '+ create   Namespace cli-demo',
      '+ create   Secret cli-demo/credentials',
      `      ${NOTE}`,
      '+ create   ConfigMap cli-demo/settings',
      `      ${NOTE}`,
      '+ create   Service cli-demo/web',
      `      ${NOTE}`,
      '+ create   Deployment cli-demo/web',
      `      ${NOTE}`,
      '',
    ].join('\n'),
  );

  const md = await plan('--env', 'demo', '--format', 'md');
  assert.equal(md.code, 1);
  const normalized = md.out.replace(cluster.server, 'SERVER').replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, 'TIME');
  assert.equal(
    normalized,
    [
      '## Plan: demo (`reconcile-local`)',
      '',
      'Server-side dry-run of 5 resources against `SERVER`, TIME.',
      '',
      '| create | update | unchanged | failed | prune candidates |',
      '| ---: | ---: | ---: | ---: | ---: |',
      '| 5 | 0 | 0 | 0 | 0 |',
      '',
      '### Create (5)',
      '',
      '- Namespace cli-demo',
      `- Secret cli-demo/credentials — ${NOTE}`,
      `- ConfigMap cli-demo/settings — ${NOTE}`,
      `- Service cli-demo/web — ${NOTE}`,
      `- Deployment cli-demo/web — ${NOTE}`,
      '',
    ].join('\n'),
  );

  const json = await plan('--env', 'demo', '--format', 'json');
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.out);
  assert.equal(doc.environment, 'demo');
  assert.equal(doc.context, 'reconcile-local');
  assert.equal(doc.server, cluster.server);
  assert.equal(doc.exitCode, 1);
  assert.deepEqual(doc.counts, { total: 5, create: 5, update: 0, unchanged: 0, failed: 0, prune: 0, skip: 0, conflicts: 0 });
  assert.deepEqual(
    doc.items.map((i: { action: string; key: string; source: string; application: string }) => `${i.action} ${i.key} ${i.source} ${i.application}`),
    [
      'create /Namespace//cli-demo deploy/demo/namespace.yaml:1 deploy',
      'create /Secret/cli-demo/credentials deploy/demo/app.yaml:10 deploy',
      'create /ConfigMap/cli-demo/settings deploy/demo/app.yaml:1 deploy',
      'create /Service/cli-demo/web deploy/demo/app.yaml:42 deploy',
      'create apps/Deployment/cli-demo/web deploy/demo/app.yaml:21 deploy',
    ],
  );
  assert.ok(!json.out.includes('cli-test-password-value') && !md.out.includes('cli-test-password-value') && !text.out.includes('cli-test-password-value'));
});

test('after kubectl apply --server-side: nothing to change (exit 0); after kubectl scale and an owned orphan: exit 1 with exactly those', async () => {
  await kubectl('apply', '--server-side', '--field-manager=reconcile', '-f', join(repo, 'deploy', 'demo', 'namespace.yaml'));
  await kubectl('apply', '--server-side', '--field-manager=reconcile', '-f', join(repo, 'deploy', 'demo', 'app.yaml'));
  const clean = await plan('--env', 'demo');
  assert.equal(clean.code, 0, clean.out + clean.err);
  assert.equal(clean.out, 'Plan for demo (context reconcile-local): 0 to create, 0 to update, 5 unchanged, 0 prune candidates\n\n= 5 resources unchanged\n');

  await kubectl('-n', 'cli-demo', 'scale', 'deployment/web', '--replicas=3');
  await kubectl('-n', 'cli-demo', 'create', 'configmap', 'orphan', '--from-literal=x=1');
  await kubectl('-n', 'cli-demo', 'label', 'configmap/orphan', 'reconcile.dev/environment=demo');
  await kubectl('-n', 'cli-demo', 'create', 'configmap', 'not-ours', '--from-literal=x=1');
  const changed = await plan('--env', 'demo');
  assert.equal(changed.code, 1, changed.err);
  assert.equal(
    changed.out,
    [
      'Plan for demo (context reconcile-local): 0 to create, 1 to update, 4 unchanged, 1 prune candidate',
      '',
      '~ update   Deployment cli-demo/web',
      // kubectl scale writes through /scale; the server records it (1.22+) and a sync without force conflicts.
      '      spec.replicas: 3 → 1 (now set by kubectl through /scale)',
      '      ! conflict: kubectl through /scale owns .spec.replicas — a sync takes these fields over only with force',
      '- prune    ConfigMap cli-demo/orphan',
      '      not in Git; owned by demo (label reconcile.dev/environment=demo); deleted only when pruning is confirmed',
      '',
      '= 4 resources unchanged',
      '',
    ].join('\n'),
  );
  const out = join(scratch, 'plan.md');
  const written = await plan('--env', 'demo', '--format', 'md', '--output', out);
  assert.equal(written.code, 1);
  assert.equal(written.out, '');
  const md = readFileSync(out, 'utf8');
  assert.match(md, /^### Update \(1\)\n\n- \*\*Deployment cli-demo\/web\*\*\n {2}- `spec\.replicas: 3 → 1 \(now set by kubectl through \/scale\)`$/m);
  assert.match(md, /^### Prune candidates \(1\): deleted only when confirmed\n\n- ConfigMap cli-demo\/orphan — label reconcile\.dev\/environment=demo$/m);
  assert.match(md, /^<details><summary>Unchanged \(4\)<\/summary>$/m);
});

test('a failed dry-run: exit 2, with the server\'s own message', async () => {
  const r = await plan('--env', 'invalid');
  assert.equal(r.code, 2);
  assert.equal(r.err, '');
  assert.equal(
    r.out,
    [
      'Plan for invalid (context reconcile-local): 1 to create, 0 to update, 0 unchanged, 1 failed, 0 prune candidates',
      '',
      'DRY-RUN FAILED for 1 resource: a sync applies nothing until it is fixed (or the others are applied on purpose).',
      '✗ failed   Deployment default/cli-invalid: Deployment.apps "cli-invalid" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      '      defined at deploy/invalid/bad.yaml:1',
      '',
      '+ create   ConfigMap default/cli-fine',
      '',
    ].join('\n'),
  );
  const json = JSON.parse((await plan('--env', 'invalid', '--format', 'json')).out);
  const failed = json.items.find((i: { action: string }) => i.action === 'failed');
  assert.equal(failed.failure.kind, 'invalid');
  assert.equal(failed.failure.status, 422);
  assert.equal(json.exitCode, 2);
});

test('errors: exit 2 with one clear line — render failure, unknown context, unreachable cluster, bad usage', async () => {
  const broken = await plan('--env', 'broken');
  assert.equal(broken.code, 2);
  assert.equal(broken.out, '');
  assert.match(broken.err, /^reconcile: broken\/deploy: kubectl kustomize failed: .*does-not-exist/m);
  assert.match(broken.err, /^reconcile: no plan for broken: 1 application did not render \(deploy\)$/m);

  const ctx = await plan('--env', 'demo', '--context', 'no-such-context');
  assert.equal(ctx.code, 2);
  assert.equal(ctx.err, `reconcile: no context "no-such-context" in the kubeconfig (${cluster.kubeconfig})\n`);

  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  const file = join(scratch, 'unreachable.yaml');
  writeFileSync(file, readFileSync(cluster.kubeconfig, 'utf8').replaceAll(cluster.server, `https://127.0.0.1:${port}`));
  const down = await plan('--env', 'demo', '--kubeconfig', file);
  assert.equal(down.code, 2);
  assert.equal(down.err, `reconcile: cannot read the cluster of demo (context reconcile-local): connection refused (https://127.0.0.1:${port})\n`);

  const noEnv = await plan('.');
  assert.equal(noEnv.code, 2);
  assert.match(noEnv.err, /^reconcile: plan needs --env E\n/);
  const badFormat = await plan('--env', 'demo', '--format', 'yaml');
  assert.equal(badFormat.code, 2);
  assert.match(badFormat.err, /^reconcile: --format must be one of text, md, json \(got 'yaml'\)\n/);
  const unknown = await plan('--env', 'nope');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^reconcile: no environment 'nope' \(found: demo, invalid, broken\)\n/);
  const conc = await plan('--env', 'demo', '--concurrency', '0');
  assert.equal(conc.code, 2);
  assert.match(conc.err, /^reconcile: --concurrency must be a whole number from 1 to 64 \(got '0'\)\n/);
});

test('examples/ dev: the Flux kinds without CRDs fail the dry-run (exit 2); the help lists the command', async () => {
  const out = sink();
  const err = sink();
  const code = await main(['plan', join(root, 'examples'), '--env', 'dev', '--kubectl', tools.kubectl, '--helm', tools.helm], { out, err, env: { PATH: '', KUBECONFIG: cluster.kubeconfig }, cwd: root });
  assert.equal(code, 2, err.text);
  assert.match(out.text, /^Plan for dev \(context reconcile-local\): 16 to create, 0 to update, 0 unchanged, 7 failed, 0 prune candidates$/m);
  assert.match(out.text, /^✗ failed {3}HelmRelease flux-system\/cache: the cluster does not serve HelmRelease in helm\.toolkit\.fluxcd\.io\/v2, and no CustomResourceDefinition in this plan defines it\n {6}defined at clusters\/dev\/cache\.yaml:\d+$/m);
  const help = sink();
  await main(['help'], { out: help, err: sink(), env: {}, cwd: root });
  assert.match(help.text, /^ {2}reconcile plan {3}\[path\] --env E \[--context C\] \[--format text\|md\|json\] \[--output FILE\]$/m);
});
