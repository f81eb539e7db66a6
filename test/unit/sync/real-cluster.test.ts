// Plan (preview), sync and prune against the REAL kube-apiserver (current release, + kube-controller-manager)
// from test/harness/cluster.mjs, mutated with the kubectl of the same release from setup. One cluster for the whole file; every
// test works in its own namespaces.
//   - examples/' dev environment on an empty cluster: what cannot be planned fails loudly; with the Flux
//     CRDs planned alongside, every resource is a create; after the sync every resource is unchanged
//     (zero false updates); after kubectl edits exactly those updates, with conflicts;
//   - sync order (Namespaces, CRDs waited for, cluster-scoped, waves, kinds); prune deletes only owned
//     objects the user confirmed; an invalid object stops the whole sync with the server's message;
//   - the cluster vanishing mid-sync (a TCP proxy in front of the apiserver is cut) and cancelling:
//     the results say exactly what the cluster received.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { connectToContext, isClusterError, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { desiredFromDocuments, ownershipOf, renderEnvironment, type RenderedEnvironment } from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import { createRenderer } from '../../../src/core/render';
import { discover, type Environment } from '../../../src/core/repo';
import {
  AuditLog,
  auditRecord,
  planDiff,
  planEnvironment,
  planExitCode,
  planJson,
  planMarkdown,
  planText,
  PlanRenderError,
  syncPlan,
  syncResultLine,
  syncSummary,
  type Plan,
  type PlanItem,
  type SyncResult,
} from '../../../src/core/sync';

const execFileP = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'sync');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

let cluster: { kubeconfig: string; context: string; server: string; stop(): Promise<void> };
let client: ClusterClient;
let kubectlPath: string;
let devEnv: Environment;
let devRendered: RenderedEnvironment;
let scratch: string;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(kubectlPath, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
  return stdout;
}

function docs(file: string): RawObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as RawObject)
    .filter((o) => o && typeof o === 'object');
}

/** A rendered environment made of these objects (what renderEnvironment gives, without applications). */
function envOf(objects: RawObject[]): Pick<RenderedEnvironment, 'set' | 'failures'> {
  return { set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) }))), failures: [] };
}

/** Whether the object exists in the cluster (read with the direct client, never through a proxy). */
async function exists(apiVersion: string, kind: string, namespace: string | undefined, name: string): Promise<boolean> {
  const type = await client.resolve(apiVersion, kind);
  if (!type) return false;
  try {
    await client.get(type, namespace, name);
    return true;
  } catch (e) {
    if (isClusterError(e) && e.kind === 'not-found') return false;
    throw e;
  }
}

const brief = (i: PlanItem) => `${i.action} ${i.key}`;
const byAction = (plan: Plan, action: PlanItem['action']) => plan.items.filter((i) => i.action === action).map((i) => i.key).sort();
const statusOf = (results: SyncResult[], key: string) => results.find((r) => r.key === key)?.status;

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  const { loadTools } = await import(harness('tools.mjs'));
  const tools = loadTools({ require: ['kubectl', 'helm', 'etcd', 'kubeApiserver', 'kubeControllerManager'] });
  kubectlPath = tools.kubectl;
  cluster = await startCluster({ controllerManager: true, log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-sync-test-'));
  const model = await discover(join(root, 'examples'));
  devEnv = model.environments.find((e) => e.name === 'dev')!;
  devRendered = await renderEnvironment(devEnv, createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true }));
  assert.deepEqual(devRendered.failures.map((f) => f.error.message), []);
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

test('examples/ dev on an empty cluster: Flux objects without their CRDs or namespace fail loudly, and the sync applies nothing', async () => {
  const plan = await planEnvironment(client, devRendered, { environment: 'dev', context: cluster.context, ownership: ownershipOf(devEnv) });
  const flux = devRendered.set.objects.filter((d) => d.id.group.endsWith('toolkit.fluxcd.io'));
  assert.ok(flux.length >= 5, `${flux.length} Flux objects`);
  assert.equal(plan.counts.total, devRendered.set.objects.length);
  // Every Flux custom resource: no CRD in the cluster or the plan; the HelmRelease's values ConfigMap:
  // namespace flux-system exists nowhere. Everything else is in namespace shop-dev, which the plan creates.
  const failed = plan.items.filter((i) => i.action === 'failed');
  assert.deepEqual(failed.map((i) => i.key).sort(), [...flux.map((d) => `${d.id.group}/${d.id.kind}/${d.id.namespace}/${d.id.name}`), '/ConfigMap/flux-system/cache-values'].sort());
  for (const i of failed.filter((x) => x.id.kind !== 'ConfigMap')) {
    assert.match(i.failure!.message, new RegExp(`^the cluster does not serve ${i.id.kind} in ${i.id.group}/v\\d+, and no CustomResourceDefinition in this plan defines it$`));
  }
  const cm = failed.find((i) => i.id.kind === 'ConfigMap')!;
  assert.equal(cm.failure!.serverMessage, 'namespaces "flux-system" not found');
  assert.equal(cm.note, 'namespace flux-system is neither in the cluster nor in this plan');
  assert.equal(plan.counts.create, plan.counts.total - failed.length);
  assert.equal(plan.counts.update + plan.counts.unchanged + plan.counts.prune, 0);
  assert.equal(planExitCode(plan), 2);
  const text = planText(plan);
  assert.match(text, /^Plan for dev \(context reconcile-local\): 16 to create, 0 to update, 0 unchanged, 7 failed, 0 prune candidates$/m);
  assert.match(text, /^DRY-RUN FAILED for 7 resources: a sync applies nothing until they are fixed/m);
  assert.match(text, /^✗ failed {3}ConfigMap flux-system\/cache-values: namespaces "flux-system" not found$/m);

  const outcome = await syncPlan(client, plan);
  assert.equal(outcome.outcome, 'blocked');
  assert.match(outcome.reason!, /^7 resources failed the dry-run \(.*\): nothing was applied$/);
  assert.equal(outcome.requests.total, 0, 'not one request');
  assert.equal(outcome.counts.skipped, plan.items.length);
  assert.equal(await exists('v1', 'Namespace', undefined, 'shop-dev'), false);
});

test('render failures: no plan at all (never "nothing to change")', async () => {
  const failures = [{ application: devEnv.applications[0], error: { code: 'tool-failed', message: 'kustomize build failed: boom' } }] as unknown as RenderedEnvironment['failures'];
  await assert.rejects(planEnvironment(client, { ...devRendered, failures }, { environment: 'dev' }), (e: unknown) => {
    assert.ok(e instanceof PlanRenderError);
    assert.equal(e.failures[0].application, devEnv.applications[0].name);
    assert.match(e.message, /^no plan: 1 application did not render \(.*: kustomize build failed: boom\)$/);
    return true;
  });
});

test('examples/ dev with the Flux CRDs: all create; sync in order; then all unchanged; kubectl edits → exactly those updates; conflicts; force', async () => {
  const rendered = { ...devRendered, set: desiredFromDocuments([...devRendered.applications.flatMap((a) => a.documents), ...docs(join(fixtures, 'flux-crds.yaml')).map((object) => ({ object, id: resourceIdOf(object) }))]) };
  const opts = { environment: 'dev', context: cluster.context, ownership: ownershipOf(devEnv) };
  const total = rendered.set.objects.length;
  assert.equal(total, devRendered.set.objects.length + 4);

  // 1. Empty cluster: everything is a create, CRs of the plan's CRDs and objects in its new namespaces included.
  const progress: number[] = [];
  const plan = await planEnvironment(client, rendered, { ...opts, onProgress: (p) => progress.push(p.done) });
  assert.deepEqual(plan.items.filter((i) => i.action !== 'create').map(brief), []);
  assert.equal(plan.counts.create, total);
  assert.deepEqual(progress, Array.from({ length: total }, (_, i) => i + 1));
  assert.equal(planExitCode(plan), 1);
  const ks = plan.items.find((i) => i.key === 'kustomize.toolkit.fluxcd.io/Kustomization/flux-system/shop-web')!;
  assert.equal(ks.note, 'its CustomResourceDefinition kustomizations.kustomize.toolkit.fluxcd.io is created by this plan: the server checks the object when it is applied (in namespace flux-system, also created by this plan)');
  const svc = plan.items.find((i) => i.key === '/Service/shop-dev/web')!;
  assert.equal(svc.note, 'namespace shop-dev is created by this plan: validated by a dry-run in namespace default');
  assert.equal(svc.application, 'shop-web');
  assert.match(svc.source!.file, /apps\/web\/base\/service\.yaml$/);

  // 2. Sync: in order, every resource applied; the CRs after their CRD is Established.
  const seen: SyncResult[] = [];
  const synced = await syncPlan(client, plan, { onProgress: (r) => seen.push(r) });
  assert.equal(synced.outcome, 'success', syncSummary('dev', synced));
  assert.equal(synced.counts.applied, total);
  assert.deepEqual(seen, synced.results);
  const order = synced.results.map((r) => r.id.kind);
  assert.deepEqual(order.slice(0, 5), ['Namespace', 'Namespace', 'CustomResourceDefinition', 'CustomResourceDefinition', 'CustomResourceDefinition']);
  const last = (k: string) => order.lastIndexOf(k);
  const first = (k: string) => order.indexOf(k);
  assert.ok(last('ConfigMap') < first('Service') && last('Secret') < first('Deployment') && last('Deployment') < first('Ingress'), order.join(' '));
  assert.ok(first('Kustomization') > last('Ingress'), 'custom resources after the built-in kinds');
  assert.ok(synced.requests.apply === total && synced.requests.get >= 1, JSON.stringify(synced.requests));
  for (const r of synced.results) assert.equal(syncResultLine(r), `✓ applied   ${r.id.kind} ${r.id.namespace ? `${r.id.namespace}/` : ''}${r.id.name} (created)`);

  // 3. Right after (and after the controllers did their part): nothing to change, zero false updates.
  await new Promise((r) => setTimeout(r, 3000));
  const again = await planEnvironment(client, rendered, opts);
  assert.deepEqual(again.items.filter((i) => i.action !== 'unchanged').map((i) => `${brief(i)} ${JSON.stringify(i.fields ?? i.failure)}`), []);
  assert.equal(planExitCode(again), 0);
  assert.match(planText(again), new RegExp(`^Plan for dev \\(context reconcile-local\\): 0 to create, 0 to update, ${total} unchanged, 0 prune candidates\n\n= ${total} resources unchanged\n`));
  const noop = await syncPlan(client, again);
  assert.equal(noop.outcome, 'success');
  assert.equal(noop.counts.unchanged, total);
  assert.equal(noop.requests.total, 0, 'unchanged resources are not sent');

  // 4. Changes made with kubectl: exactly those updates, with who made them; conflicts where another
  //    manager owns the field — also kubectl through /scale (recorded in managedFields since 1.22).
  const password = 'a-new-password-from-kubectl';
  await kubectl('-n', 'shop-dev', 'scale', 'deployment/worker', '--replicas=3');
  await kubectl('-n', 'shop-dev', 'patch', 'deployment/web', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"spec":{"replicas":4}}');
  await kubectl('-n', 'shop-dev', 'patch', 'configmap/web-config-k8g6db2bm8', '--field-manager=kubectl-edit', '--type=merge', '-p', '{"data":{"PUBLIC_HOSTNAME":"hacked.example.com"}}');
  await kubectl('-n', 'shop-dev', 'patch', 'secret/api-db-credentials', '--field-manager=kubectl-edit', '--type=merge', '-p', JSON.stringify({ stringData: { password } }));
  // Another manager's annotation that Git lacks: the apply keeps it, so the sync removes it after (as drift reports it).
  await kubectl('-n', 'shop-dev', 'annotate', 'service/api', 'example.com/note=hand-written');
  const edited = await planEnvironment(client, rendered, opts);
  const updates = edited.items.filter((i) => i.action === 'update');
  const fields = (i: PlanItem) => (i.fields ?? []).map((f) => `${f.change} ${f.path} ${f.masked ? '***' : `${JSON.stringify(f.live)}→${JSON.stringify(f.desired)}`} ${f.manager ?? '-'}${f.subresource ? ` /${f.subresource}` : ''}`);
  const workerReplicas = ((rendered.set.objects.find((d) => d.id.kind === 'Deployment' && d.id.name === 'worker')!.object.spec as { replicas: number }).replicas);
  const webReplicas = ((rendered.set.objects.find((d) => d.id.kind === 'Deployment' && d.id.name === 'web')!.object.spec as { replicas: number }).replicas);
  assert.deepEqual(
    Object.fromEntries(updates.map((i) => [i.key, { fields: fields(i), conflicts: i.conflicts?.map((c) => `${c.manager}${c.subresource ? ` /${c.subresource}` : ''} ${c.field}`) }])),
    {
      '/Secret/shop-dev/api-db-credentials': { fields: ['changed data.password *** kubectl-edit'], conflicts: undefined },
      '/ConfigMap/shop-dev/web-config-k8g6db2bm8': { fields: ['changed data.PUBLIC_HOSTNAME "hacked.example.com"→"dev.shop.example.com" kubectl-edit'], conflicts: ['kubectl-edit .data.PUBLIC_HOSTNAME'] },
      '/Service/shop-dev/api': { fields: ['added metadata.annotations["example.com/note"] "hand-written"→undefined kubectl-annotate'], conflicts: undefined },
      'apps/Deployment/shop-dev/web': { fields: [`changed spec.replicas 4→${webReplicas} kubectl-edit`], conflicts: ['kubectl-edit .spec.replicas'] },
      'apps/Deployment/shop-dev/worker': { fields: [`changed spec.replicas 3→${workerReplicas} kubectl /scale`], conflicts: ['kubectl /scale .spec.replicas'] },
    },
  );
  assert.equal(edited.counts.unchanged, total - 5);
  assert.equal(edited.counts.conflicts, 3);
  assert.equal(planExitCode(edited), 1);
  const text = planText(edited);
  assert.match(text, new RegExp(`^~ update {3}Deployment shop-dev/web\n {6}spec\\.replicas: 4 → ${webReplicas} \\(now set by kubectl-edit\\)\n {6}! conflict: kubectl-edit owns \\.spec\\.replicas — a sync takes these fields over only with force$`, 'm'));
  assert.match(text, /^~ update {3}Secret shop-dev\/api-db-credentials\n {6}data\.password: changed \(value hidden\) \(now set by kubectl-edit\)$/m);
  assert.match(text, new RegExp(`^~ update {3}Deployment shop-dev/worker\n {6}spec\\.replicas: 3 → ${workerReplicas} \\(now set by kubectl through /scale\\)\n {6}! conflict: kubectl through /scale owns \\.spec\\.replicas — a sync takes these fields over only with force$`, 'm'));
  const md = planMarkdown(edited);
  assert.match(md, /^## Plan: dev \(`reconcile-local`\)$/m);
  assert.ok(md.includes(`| 0 | 5 | ${total - 5} | 0 | 0 |`), md);
  assert.match(md, /^ {2}- ⚠ conflict: kubectl-edit owns \.spec\.replicas \(taken over only with force\)$/m);
  const json = JSON.parse(planJson(edited, { root: join(root, 'examples') }));
  assert.equal(json.exitCode, 1);
  assert.equal(json.items.find((i: { key: string }) => i.key === '/Service/shop-dev/web').source, 'apps/web/base/service.yaml:1');
  // The Secret's values appear nowhere: not in the plan, its reports or its diff documents.
  const secretItem = updates.find((i) => i.id.kind === 'Secret')!;
  const diff = planDiff(edited, secretItem);
  assert.match(diff.live, /password: "\*\*\* \(changed\)"/);
  assert.match(diff.live, /username: "\*\*\* \(unchanged\)"/);
  assert.match(diff.desired, /password: "\*\*\* \(changed\)"/);
  const everything = [JSON.stringify(edited), text, md, planJson(edited), ...edited.items.flatMap((i) => Object.values(planDiff(edited, i)))].join('\n');
  for (const v of [password, 'not-a-real-password']) assert.ok(!everything.includes(v), `${v} leaked`);
  // (the user name is also a plain env value of the api Deployment: only its Secret form must not show)
  for (const v of [password, 'not-a-real-password', 'shop_api']) assert.ok(!everything.includes(Buffer.from(v).toString('base64')), `${v} (base64) leaked`);
  const webDiff = planDiff(edited, updates.find((i) => i.key === 'apps/Deployment/shop-dev/web')!);
  assert.equal(webDiff.title, 'Deployment/web — cluster ↔ after sync (dev)');
  assert.match(webDiff.live, /^apiVersion: apps\/v1\nkind: Deployment\nmetadata:/);
  assert.match(webDiff.live, /replicas: 4/);
  assert.match(webDiff.desired, new RegExp(`replicas: ${webReplicas}`));
  assert.doesNotMatch(webDiff.live + webDiff.desired, /managedFields|resourceVersion|status:/);

  // 5. Sync without force: the conflicts are reported with their managers and fields, nothing is taken over.
  const partial = await syncPlan(client, edited);
  assert.equal(partial.outcome, 'partial');
  assert.deepEqual(
    partial.results.filter((r) => r.status !== 'unchanged').map((r) => `${r.status} ${r.key}${r.conflicts ? ` ${r.conflicts.map((c) => `${c.manager} ${c.field}`).join(',')}` : ''}`).sort(),
    [
      'applied /Secret/shop-dev/api-db-credentials',
      'applied /Service/shop-dev/api',
      'failed /ConfigMap/shop-dev/web-config-k8g6db2bm8 kubectl-edit .data.PUBLIC_HOSTNAME',
      'failed apps/Deployment/shop-dev/web kubectl-edit .spec.replicas',
      'failed apps/Deployment/shop-dev/worker kubectl .spec.replicas',
    ],
  );
  const conflict = partial.results.find((r) => r.key === 'apps/Deployment/shop-dev/web')!;
  assert.equal(conflict.failure?.kind, 'conflict');
  assert.match(conflict.failure!.serverMessage!, /^Apply failed with 1 conflict: conflict with "kubectl-edit" using apps\/v1: \.spec\.replicas$/);
  assert.match(syncResultLine(conflict), /^✗ failed {4}Deployment shop-dev\/web: Apply failed with 1 conflict: .* — conflict: kubectl-edit owns \.spec\.replicas$/);
  assert.equal(JSON.parse(await kubectl('-n', 'shop-dev', 'get', 'deployment/web', '-o', 'json')).spec.replicas, 4, 'not taken over');
  const scaled = partial.results.find((r) => r.key === 'apps/Deployment/shop-dev/worker')!;
  assert.match(scaled.failure!.serverMessage!, /^Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas$/);
  assert.match(syncResultLine(scaled), / — conflict: kubectl through \/scale owns \.spec\.replicas$/);
  assert.equal(JSON.parse(await kubectl('-n', 'shop-dev', 'get', 'deployment/worker', '-o', 'json')).spec.replicas, 3, 'not taken over');

  // 6. The user confirms: force only those three.
  const replan = await planEnvironment(client, rendered, opts);
  assert.deepEqual(byAction(replan, 'update'), ['/ConfigMap/shop-dev/web-config-k8g6db2bm8', 'apps/Deployment/shop-dev/web', 'apps/Deployment/shop-dev/worker']);
  const forced = await syncPlan(client, replan, { force: byAction(replan, 'update') });
  assert.equal(forced.outcome, 'success', syncSummary('dev', forced));
  assert.equal(forced.results.find((r) => r.key === 'apps/Deployment/shop-dev/web')?.message, 'updated, conflicting fields taken over (forced)');
  assert.equal(JSON.parse(await kubectl('-n', 'shop-dev', 'get', 'deployment/web', '-o', 'json')).spec.replicas, webReplicas);
  assert.equal(JSON.parse(await kubectl('-n', 'shop-dev', 'get', 'deployment/worker', '-o', 'json')).spec.replicas, workerReplicas);
  const clean = await planEnvironment(client, rendered, opts);
  assert.deepEqual(clean.items.filter((i) => i.action !== 'unchanged').map(brief), []);

  // 7. The audit record of that sync: counts and results, no object content.
  const log = new AuditLog(join(scratch, 'globalStorage', 'sync-audit.jsonl'));
  await log.append(auditRecord(replan, forced, { commit: 'deadbeef', author: 'Ada <ada@example.com>' }));
  const { records, problems } = await log.list();
  assert.deepEqual(problems, []);
  assert.equal(records[0].environment, 'dev');
  assert.equal(records[0].context, 'reconcile-local');
  assert.equal(records[0].plan.update, 3);
  assert.equal(records[0].results.applied, 3);
  assert.ok(!readFileSync(log.file, 'utf8').includes(password));
});

test('sync order: Namespace, CRD (Established before its custom resource), ClusterRole, then waves -1, 0, 2 by kind', async () => {
  const objects = docs(join(fixtures, 'ordered.yaml'));
  const plan = await planEnvironment(client, envOf(objects), { environment: 'order', namespaces: ['sync-order'] });
  assert.equal(plan.counts.create, objects.length, planText(plan));
  const expected = [
    'Namespace sync-order',
    'CustomResourceDefinition gadgets.example.com',
    'ClusterRole sync-order-reader',
    'ConfigMap migrations', // wave -1
    'ServiceAccount app',
    'ConfigMap settings',
    'Service app',
    'Deployment app',
    'Gadget first-gadget', // custom resources after the built-in kinds
    'ConfigMap late', // wave 2
  ];
  assert.deepEqual(plan.items.map((i) => `${i.id.kind} ${i.id.name}`), expected);
  const outcome = await syncPlan(client, plan);
  assert.equal(outcome.outcome, 'success', outcome.results.map(syncResultLine).join('\n'));
  assert.deepEqual(outcome.results.map((r) => `${r.id.kind} ${r.id.name}`), expected);
  assert.ok(outcome.requests.get >= 1, 'the CRD was read until Established');
  assert.equal(await exists('example.com/v1', 'Gadget', 'sync-order', 'first-gadget'), true);
  // The CR is validated by its (now served) CRD: an invalid one fails the dry-run with the server's words.
  const bad = objects.map((o) => (o.kind === 'Gadget' ? { ...o, spec: { size: 0 } } : o));
  const badPlan = await planEnvironment(client, envOf(bad), { environment: 'order', namespaces: ['sync-order'] });
  const gadget = badPlan.items.find((i) => i.id.kind === 'Gadget')!;
  assert.equal(gadget.action, 'failed');
  assert.match(gadget.failure!.serverMessage!, /spec\.size: Invalid value: 0: spec\.size in body should be greater than or equal to 1/);
});

test('a failure stops the sync before the next step: a conflict in wave -1 leaves wave 0 unapplied', async () => {
  const NS = 'sync-steps';
  const early: RawObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'early', namespace: NS, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } }, data: { k: 'git' } };
  const sibling: RawObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sibling', namespace: NS, annotations: { 'argocd.argoproj.io/sync-wave': '-1' } }, stringData: { k: 'v' } };
  const later: RawObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'later', namespace: NS }, data: { k: 'v' } };
  await kubectl('create', 'namespace', NS);
  await client.serverSideApply({ ...early, data: { k: 'someone-else' } }, { fieldManager: 'other-tool' });
  const plan = await planEnvironment(client, envOf([early, sibling, later]), { environment: 'steps' });
  assert.deepEqual(plan.items.map((i) => `${brief(i)} ${i.conflicts?.map((c) => `${c.manager} ${c.field}`).join(',') ?? ''}`), [
    `create /Secret/${NS}/sibling `,
    `update /ConfigMap/${NS}/early other-tool .data.k`,
    `create /ConfigMap/${NS}/later `,
  ]);
  const outcome = await syncPlan(client, plan);
  assert.deepEqual(outcome.results.map((r) => `${r.status} ${r.id.name}${r.message ? `: ${r.message}` : ''}`), [
    'applied sibling: created',
    'failed early: conflict: other field managers own fields this apply changes; not forced',
    'skipped later: not applied: an earlier step failed (ConfigMap early)',
  ]);
  assert.equal(outcome.outcome, 'partial');
  assert.equal(outcome.reason, 'stopped after ConfigMap early failed: later steps were not applied');
  assert.equal(await exists('v1', 'ConfigMap', NS, 'later'), false);
});

test('an invalid object fails the dry-run: nothing is applied, the server message is shown; "apply the others" applies the others', async () => {
  await kubectl('create', 'namespace', 'sync-invalid');
  const good: RawObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fine', namespace: 'sync-invalid' }, data: { a: '1' } };
  const bad: RawObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'broken', namespace: 'sync-invalid' },
    spec: { replicas: -1, selector: { matchLabels: { app: 'broken' } }, template: { metadata: { labels: { app: 'broken' } }, spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] } } },
  };
  // In a namespace the plan creates, the object is validated in `default` instead: still caught.
  const badNew: RawObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc', namespace: 'sync-invalid-new' }, spec: { ports: [{ port: 70000, protocol: 'TCP' }] } };
  const ns: RawObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sync-invalid-new' } };
  const plan = await planEnvironment(client, envOf([good, bad, badNew, ns]), { environment: 'invalid' });
  assert.deepEqual(plan.items.map(brief), ['create /Namespace//sync-invalid-new', 'create /ConfigMap/sync-invalid/fine', 'failed /Service/sync-invalid-new/svc', 'failed apps/Deployment/sync-invalid/broken']);
  const broken = plan.items.find((i) => i.id.name === 'broken')!;
  assert.equal(broken.failure!.kind, 'invalid');
  assert.equal(broken.failure!.serverMessage, 'Deployment.apps "broken" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  assert.deepEqual(broken.failure!.causes, [{ reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' }]);
  const svc = plan.items.find((i) => i.id.name === 'svc')!;
  assert.match(svc.failure!.serverMessage!, /spec\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535, inclusive/);
  assert.equal(svc.note, 'namespace sync-invalid-new is created by this plan; the object was dry-run in namespace default instead');
  assert.equal(planExitCode(plan), 2);
  assert.match(planText(plan), /^✗ failed {3}Deployment sync-invalid\/broken: Deployment\.apps "broken" is invalid: spec\.replicas: Invalid value: -1: must be greater than or equal to 0$/m);
  assert.match(planMarkdown(plan), /^### ❌ Dry-run failed \(2\): nothing is synced until fixed$/m);
  assert.match(planDiff(plan, broken).desired, /^# dry-run failed: Deployment\.apps "broken" is invalid/);

  const blocked = await syncPlan(client, plan);
  assert.equal(blocked.outcome, 'blocked');
  assert.match(blocked.reason!, /^2 resources failed the dry-run \(.*Deployment broken: Deployment\.apps "broken" is invalid: spec\.replicas: Invalid value: -1.*\): nothing was applied$/);
  assert.equal(blocked.requests.total, 0);
  assert.equal(await exists('v1', 'ConfigMap', 'sync-invalid', 'fine'), false);
  assert.equal(await exists('v1', 'Namespace', undefined, 'sync-invalid-new'), false);

  const others = await syncPlan(client, plan, { applyDespiteFailures: true });
  assert.equal(others.outcome, 'partial');
  assert.equal(others.reason, '2 resources that failed the dry-run were not applied');
  assert.equal(statusOf(others.results, '/ConfigMap/sync-invalid/fine'), 'applied');
  assert.equal(statusOf(others.results, 'apps/Deployment/sync-invalid/broken'), 'skipped');
  assert.equal(await exists('v1', 'ConfigMap', 'sync-invalid', 'fine'), true);
  assert.equal(await exists('apps/v1', 'Deployment', 'sync-invalid', 'broken'), false);
});

test('prune: candidates are the live objects with the environment\'s mark that are not in Git; only confirmed ones are deleted', async () => {
  const NS = 'sync-prune';
  const mark = { 'reconcile.dev/environment': 'dev' };
  const cm = (name: string, labels: Record<string, string>, annotations?: Record<string, string>): RawObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NS, labels, ...(annotations ? { annotations } : {}) }, data: { x: name } });
  const inGit = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, cm('kept', mark)];
  const live: RawObject[] = [
    cm('orphan', mark), // owned, not in Git: a candidate
    cm('replaced', mark), // a candidate, deleted and re-created between plan and sync
    cm('stranger', {}), // not owned
    cm('other-env', { 'reconcile.dev/environment': 'staging' }), // another environment's
    cm('keep-me', mark, { 'argocd.argoproj.io/sync-options': 'Prune=false' }),
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'old-role', namespace: NS, labels: mark }, rules: [] }, // a kind Git no longer has
  ];
  await syncPlan(client, await planEnvironment(client, envOf(inGit), { environment: 'dev' }));
  for (const o of live) await client.serverSideApply(o, { fieldManager: 'someone-else' });
  // A ReplicaSet-like object owned by a controller carries the mark too, but its owner is what counts.
  const owner = await client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: NS }, data: {} }, { fieldManager: 'someone-else' });
  const ownerUid = (owner.metadata as { uid: string }).uid;
  await client.serverSideApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owned-child', namespace: NS, labels: mark, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: ownerUid, controller: true }] }, data: {} }, { fieldManager: 'someone-else' });

  const plan = await planEnvironment(client, envOf(inGit), { environment: 'dev', namespaces: [NS] });
  assert.deepEqual(byAction(plan, 'prune'), [`/ConfigMap/${NS}/orphan`, `/ConfigMap/${NS}/replaced`, `rbac.authorization.k8s.io/Role/${NS}/old-role`]);
  assert.deepEqual(byAction(plan, 'unchanged'), [`/ConfigMap/${NS}/kept`, `/Namespace//${NS}`]);
  assert.equal(plan.items.find((i) => i.action === 'prune')!.ownership, 'label reconcile.dev/environment=dev');
  assert.ok(plan.warnings.some((w) => w === `ConfigMap ${NS}/keep-me carries the environment's mark (label reconcile.dev/environment=dev) and is not in Git, but is never pruned (argocd.argoproj.io/sync-options: Prune=false)`), plan.warnings.join('\n'));
  assert.equal(planExitCode(plan), 1);
  assert.match(planText(plan), new RegExp(`^- prune {4}ConfigMap ${NS}/orphan\n {6}not in Git; owned by dev \\(label reconcile\\.dev/environment=dev\\); deleted only when pruning is confirmed$`, 'm'));
  assert.match(planDiff(plan, plan.items.find((i) => i.id.name === 'orphan')!).desired, /^# not in Git: deleted when pruning is confirmed/);

  // Without confirmation nothing is deleted.
  const none = await syncPlan(client, plan);
  assert.equal(none.counts.pruned, 0);
  assert.equal(none.results.filter((r) => r.action === 'prune').every((r) => r.status === 'skipped' && r.message === 'not deleted: pruning was not confirmed for it'), true);
  assert.equal(none.requests.delete, 0);

  // `replaced` is deleted and re-created after the plan: another object now, not deleted.
  await kubectl('-n', NS, 'delete', 'configmap', 'replaced');
  await client.serverSideApply(cm('replaced', mark), { fieldManager: 'someone-else' });
  const outcome = await syncPlan(client, plan, { prune: [`/ConfigMap/${NS}/orphan`, `/ConfigMap/${NS}/replaced`, `/ConfigMap/${NS}/stranger`, `/ConfigMap/${NS}/kept`] });
  assert.equal(statusOf(outcome.results, `/ConfigMap/${NS}/orphan`), 'pruned');
  const replaced = outcome.results.find((r) => r.key === `/ConfigMap/${NS}/replaced`)!;
  assert.equal(replaced.status, 'skipped');
  assert.equal(replaced.message, 'not deleted: the live object was replaced since the plan (another uid)');
  const stranger = outcome.results.filter((r) => r.key === `/ConfigMap/${NS}/stranger`);
  assert.deepEqual(stranger.map((r) => `${r.status}: ${r.message}`), ['skipped: not deleted: not a prune candidate of this plan']);
  assert.deepEqual(outcome.results.filter((r) => r.key === `/ConfigMap/${NS}/kept`).map((r) => r.status), ['unchanged', 'skipped'], 'a desired object is never deleted');
  assert.equal(statusOf(outcome.results, `rbac.authorization.k8s.io/Role/${NS}/old-role`), 'skipped');
  assert.equal(outcome.requests.delete, 1);
  const left = (await kubectl('-n', NS, 'get', 'configmaps,roles', '-o', 'name')).trim().split('\n').filter((n) => n !== 'configmap/kube-root-ca.crt').sort();
  assert.deepEqual(left, ['configmap/keep-me', 'configmap/kept', 'configmap/other-env', 'configmap/owned-child', 'configmap/owner', 'configmap/replaced', 'configmap/stranger', 'role.rbac.authorization.k8s.io/old-role']);
});

/** A TCP proxy in front of the apiserver that can be cut: the cluster vanishes for the client, not for the test. */
async function proxyTo(server: string): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const target = new URL(server);
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((down) => {
    const up = net.connect(Number(target.port), target.hostname);
    sockets.add(down);
    sockets.add(up);
    down.pipe(up);
    up.pipe(down);
    const end = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    for (const s of [down, up]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  let open = true;
  const cut = () => {
    if (!open) return;
    open = false;
    srv.close();
    for (const s of sockets) s.destroy();
  };
  return { port, cut, close: async () => cut() };
}

test('the cluster vanishes mid-sync: the results say exactly what was applied, the rest was not attempted', async () => {
  const proxy = await proxyTo(cluster.server);
  try {
    const file = join(scratch, 'proxied-kubeconfig.yaml');
    writeFileSync(file, readFileSync(cluster.kubeconfig, 'utf8').replaceAll(cluster.server, `https://127.0.0.1:${proxy.port}`));
    const proxied = await connectToContext({ files: [file], context: cluster.context });
    const NS = 'sync-vanish';
    const objects: RawObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }];
    for (let i = 0; i < 12; i++) objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(2, '0')}`, namespace: NS }, data: { i: String(i) } });
    const plan = await planEnvironment(proxied, envOf(objects), { environment: 'vanish' });
    assert.equal(plan.counts.create, 13);
    let applied = 0;
    const outcome = await syncPlan(proxied, plan, {
      onProgress: (r) => {
        if (r.status === 'applied' && ++applied === 6) proxy.cut();
      },
    });
    proxied.dispose();
    const lines = outcome.results.map((r) => `${r.status} ${r.id.name}`);
    assert.deepEqual(lines.slice(0, 6), ['applied sync-vanish', 'applied cm-00', 'applied cm-01', 'applied cm-02', 'applied cm-03', 'applied cm-04']);
    assert.equal(lines[6], 'failed cm-05');
    const failed = outcome.results[6];
    assert.equal(failed.failure?.kind, 'unreachable');
    assert.equal(failed.uncertain, undefined, 'a refused connection never reached the cluster');
    assert.deepEqual(lines.slice(7), ['cm-06', 'cm-07', 'cm-08', 'cm-09', 'cm-10', 'cm-11'].map((n) => `skipped ${n}`));
    assert.match(outcome.results[7].message!, /^not attempted: the cluster could not be reached while applying ConfigMap cm-05 \(connection (refused|reset by the server)/);
    assert.equal(outcome.outcome, 'partial');
    assert.equal(outcome.counts.applied, 6);
    // The truth, read around the proxy: exactly what the results say.
    const names = (await kubectl('-n', NS, 'get', 'configmaps', '-o', 'name')).trim().split('\n').filter((n) => n !== 'configmap/kube-root-ca.crt');
    assert.deepEqual(names.sort(), ['cm-00', 'cm-01', 'cm-02', 'cm-03', 'cm-04'].map((n) => `configmap/${n}`));
    const record = auditRecord(plan, outcome, {});
    assert.equal(record.resources.filter((r) => r.status === 'applied').length, 6);
  } finally {
    await proxy.close();
  }
});

test('cancel stops before the next resource; what was applied is exactly what the results say', async () => {
  const NS = 'sync-cancel';
  const objects: RawObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }];
  for (let i = 0; i < 8; i++) objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: NS }, data: { i: String(i) } });
  const plan = await planEnvironment(client, envOf(objects), { environment: 'cancel' });
  const ac = new AbortController();
  const outcome = await syncPlan(client, plan, {
    signal: ac.signal,
    onProgress: (r) => {
      if (r.id.name === 'cm-2') ac.abort();
    },
  });
  assert.equal(outcome.outcome, 'cancelled');
  assert.deepEqual(outcome.results.map((r) => `${r.status} ${r.id.name}`), ['applied sync-cancel', 'applied cm-0', 'applied cm-1', 'applied cm-2', ...[3, 4, 5, 6, 7].map((i) => `cancelled cm-${i}`)]);
  assert.equal(outcome.results[4].message, 'cancelled before it was applied');
  const names = (await kubectl('-n', NS, 'get', 'configmaps', '-o', 'name')).trim().split('\n').filter((n) => n !== 'configmap/kube-root-ca.crt');
  assert.deepEqual(names.sort(), ['configmap/cm-0', 'configmap/cm-1', 'configmap/cm-2']);
  // Cancelling the plan itself: a clear error, no plan.
  const early = new AbortController();
  early.abort();
  await assert.rejects(planEnvironment(client, envOf(objects), { environment: 'cancel', signal: early.signal }), (e: unknown) => isClusterError(e) && e.kind === 'aborted');
  const midway = new AbortController();
  const more: RawObject[] = Array.from({ length: 40 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `more-${i}`, namespace: NS }, data: {} }));
  await assert.rejects(
    planEnvironment(client, envOf(more), { environment: 'cancel', concurrency: 2, signal: midway.signal, onProgress: (p) => p.done === 3 && midway.abort() }),
    (e: unknown) => isClusterError(e) && e.kind === 'aborted' && e.message === 'cancelled',
  );
});

test('a kubeconfig context that does not exist, and an unreachable cluster: one clear error, no plan', async () => {
  await assert.rejects(connectToContext({ files: [cluster.kubeconfig], context: 'no-such-context' }), (e: unknown) => {
    assert.ok(isClusterError(e));
    assert.equal(e.kind, 'config');
    assert.equal(e.message, `no context "no-such-context" in the kubeconfig (${cluster.kubeconfig})`);
    return true;
  });
  const proxy = await proxyTo(cluster.server);
  const file = join(scratch, 'gone-kubeconfig.yaml');
  writeFileSync(file, readFileSync(cluster.kubeconfig, 'utf8').replaceAll(cluster.server, `https://127.0.0.1:${proxy.port}`));
  proxy.cut();
  const gone = await connectToContext({ files: [file], context: cluster.context });
  try {
    await assert.rejects(planEnvironment(gone, envOf([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } }]), { environment: 'x' }), (e: unknown) => {
      assert.ok(isClusterError(e));
      assert.equal(e.kind, 'unreachable');
      assert.match(e.message, /^connection refused \(https:\/\/127\.0\.0\.1:\d+\)$/);
      return true;
    });
  } finally {
    gone.dispose();
  }
  // A plan is applied only to the cluster it was made against.
  const plan = await planEnvironment(client, envOf([]), { environment: 'x', pruneKinds: [] });
  const other = await connectToContext({ files: [file], context: cluster.context });
  try {
    await assert.rejects(syncPlan(other, plan), /^Error: the plan was made against https:\/\/127\.0\.0\.1:\d+, not https:\/\/127\.0\.0\.1:\d+: make a new plan$/);
  } finally {
    other.dispose();
  }
});
