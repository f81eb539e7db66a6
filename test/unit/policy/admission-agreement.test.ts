// Offline ValidatingAdmissionPolicy verdicts against the REAL kube-apiserver (the current release
// from test/harness/cluster.mjs) as the oracle. The repository's policies (test/fixtures/policy/vap/
// policies + vap-agreement/policies.yaml: Deny, Warn, Warn+Audit, Audit, ConfigMap params by name and
// per namespace, a custom-resource param by selector, matchConditions, namespace/object selectors,
// messageExpression, a custom resource checked) are created on the cluster; every object of the
// corpus (vap-agreement/objects.yaml) is dry-run created through the project's cluster client, and
// the server's verdict (denied, by which policy; the policies of its Warning headers) is compared
// with checkEnvironment's findings for the same object (error → denied, warning → warned).
// Audit has no admission verdict (the server only writes it to the audit log): offline it is an
// info finding, which is not compared.
// The server is also the oracle for the policies themselves: each policy and binding of
// vap-agreement/refused.yaml is dry-run created; the server refuses it ⇔ Reconcile reports an error
// (vap/invalid) for it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { connectToContext, isClusterError, type ClusterClient, type RawObject } from '../../../src/core/cluster';
import { checkEnvironment, loadPolicies, policyProblems, type EnvironmentObject } from '../../../src/core/policy';
import { fixture } from './helpers';

const root = join(__dirname, '..', '..', '..');
const harness = (name: string) => pathToFileURL(join(root, 'test', 'harness', name)).href;
const dir = fixture('vap-agreement');
const vapPolicies = ['min-replicas.yaml', 'params.yaml', 'registries.yaml'].map((f) => fixture('vap', 'policies', f));
const policyFiles = [...vapPolicies, join(dir, 'policies.yaml')];
const FIELD_MANAGER = 'reconcile-agreement-test';

let cluster: { kubeconfig: string; context: string; stop(): Promise<void> };
let client: ClusterClient;

function docs(file: string): RawObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as RawObject)
    .filter((o) => o && typeof o === 'object' && typeof o.kind === 'string');
}

const meta = (o: RawObject) => o.metadata as { name: string; namespace?: string; annotations?: Record<string, string> };
const label = (o: RawObject) => `${o.kind} ${meta(o).namespace ? `${meta(o).namespace}/` : ''}${meta(o).name}`;

interface Verdict {
  /** The policies that deny it (the server names one: the first it met). */
  denied: string[];
  warned: string[];
}

const DENIED = /ValidatingAdmissionPolicy '([^']+)' with binding '[^']+' denied request/;
const WARNED = /^Validation failed for ValidatingAdmissionPolicy '([^']+)' with binding '[^']+'/;

/** The server's verdict on creating the object (dry run: nothing is stored). */
async function serverVerdict(o: RawObject): Promise<Verdict & { message?: string }> {
  const warnings: string[] = [];
  try {
    await client.serverSideApply(o, { fieldManager: FIELD_MANAGER, dryRun: true, onWarning: (w) => warnings.push(w) });
  } catch (e) {
    if (!isClusterError(e)) throw e;
    const message = e.details.serverMessage ?? e.message;
    const m = DENIED.exec(message);
    if (!m) throw new Error(`${label(o)}: refused for another reason than a policy: ${message}`);
    return { denied: [m[1]], warned: policiesOf(warnings), message };
  }
  return { denied: [], warned: policiesOf(warnings) };
}

function policiesOf(warnings: string[]): string[] {
  return [...new Set(warnings.map((w) => WARNED.exec(w)?.[1]).filter((x): x is string => !!x))].sort();
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  cluster = await startCluster({ log: () => {} });
  client = await connectToContext({ files: [cluster.kubeconfig], context: cluster.context });
  const apply = async (o: RawObject) => {
    // a CRD just created is served a moment later: retry until discovery knows the kind
    for (let i = 0; ; i++) {
      try {
        return await client.serverSideApply(o, { fieldManager: FIELD_MANAGER });
      } catch (e) {
        if (!(isClusterError(e) && e.kind === 'not-found') || i >= 100) throw e;
        client.invalidateDiscovery();
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const setup = [...docs(join(dir, 'cluster.yaml')), ...vapPolicies.flatMap(docs), ...docs(join(dir, 'policies.yaml'))];
  const isAdmission = (o: RawObject) => String(o.apiVersion).startsWith('admissionregistration.k8s.io/');
  // CRDs and namespaces first, then parameters, then policies and bindings
  for (const o of setup.filter((x) => x.kind === 'Namespace' || x.kind === 'CustomResourceDefinition')) await apply(o);
  for (const o of setup.filter((x) => x.kind !== 'Namespace' && x.kind !== 'CustomResourceDefinition' && !isAdmission(x))) await apply(o);
  for (const o of setup.filter(isAdmission)) await apply(o);
  // The apiserver loads policies, bindings and params asynchronously: wait until a known violator of
  // each Deny/Warn binding is reported (a wait for the policies to be in effect, not a verdict).
  const canaries = docs(join(dir, 'canaries.yaml'));
  for (const c of canaries) {
    const binding = meta(c).annotations!['agreement.test/canary-for'];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const warnings: string[] = [];
      let message = '';
      try {
        await client.serverSideApply(c, { fieldManager: FIELD_MANAGER, dryRun: true, onWarning: (w) => warnings.push(w) });
      } catch (e) {
        if (!isClusterError(e)) throw e;
        message = e.details.serverMessage ?? e.message;
      }
      if ([message, ...warnings].some((m) => m.includes(`with binding '${binding}'`))) break;
      if (Date.now() > deadline) throw new Error(`binding ${binding} not in effect after 120 s (last: ${message || warnings.join(' | ') || 'allowed'})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
});

after(async () => {
  client?.dispose();
  await cluster?.stop();
});

test('VAP agreement: the offline verdict of every corpus object equals the apiserver’s admission verdict', async () => {
  const corpus = docs(join(dir, 'objects.yaml'));
  assert.ok(corpus.length >= 40, `${corpus.length} objects`);
  const policies = loadPolicies(policyFiles.map((file) => ({ file })));
  assert.deepEqual(policies.problems.map((p) => p.message), []);
  // what the cluster holds besides the policies (namespaces with their labels, the Widget CRD, the
  // per-namespace params) is part of the environment offline too; then the corpus, each object its own source
  const namespaces: EnvironmentObject[] = docs(join(dir, 'cluster.yaml')).map((object) => ({ object }));
  const source = (i: number) => ({ file: `/corpus/${i}.yaml`, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } });
  const findings = checkEnvironment({ name: 'agreement' }, [...namespaces, ...corpus.map((object, i) => ({ object, source: source(i) }))], { policies });
  const stray = findings.filter((f) => f.code === 'vap/invalid' || f.code === 'vap/budget');
  assert.deepEqual(stray.map((f) => f.message), [], 'no problems with the policies themselves');
  const offline = (i: number): Verdict & { audited: string[] } => {
    const mine = findings.filter((f) => f.file === source(i).file && f.code.startsWith('vap/'));
    const names = (sev: string) => [...new Set(mine.filter((f) => f.severity === sev).map((f) => f.code.slice('vap/'.length)))].sort();
    return { denied: names('error'), warned: names('warning'), audited: names('info') };
  };

  const rows: string[] = [];
  const disagreements: string[] = [];
  let denied = 0;
  let warned = 0;
  for (const [i, o] of corpus.entries()) {
    const server = await serverVerdict(o);
    const ours = offline(i);
    // Denied: the server names the first denying policy it met; ours must deny and include it.
    // Allowed: no denial offline, and the same warning policies.
    const agree = server.denied.length ? ours.denied.includes(server.denied[0]) : !ours.denied.length && ours.warned.join() === server.warned.join();
    if (server.denied.length) denied++;
    else if (server.warned.length) warned++;
    const show = (v: Verdict) => (v.denied.length ? `deny ${v.denied.join('+')}` : 'allow') + (v.warned.length ? `, warn ${v.warned.join('+')}` : '');
    const row = `${agree ? ' ' : '✗'} ${label(o).padEnd(40)} server: ${show(server).padEnd(52)} offline: ${show(ours)}${ours.audited.length ? ` (audit ${ours.audited.join('+')})` : ''}`;
    rows.push(row);
    if (!agree) disagreements.push(`${row}${server.message ? `\n    server said: ${server.message}` : ''}`);
  }
  console.log(rows.join('\n'));
  console.log(`VAP agreement: ${corpus.length - disagreements.length}/${corpus.length} objects, ${disagreements.length} disagreements (server: ${denied} denied, ${warned} allowed with warnings, ${corpus.length - denied - warned} allowed)`);
  assert.deepEqual(disagreements, []);
  // the Warning headers arrive one by one, their text unquoted (commas and quotes inside kept)
  const warnings: string[] = [];
  await client.serverSideApply(corpus.find((o) => meta(o).name === 'legacy-caps')!, { fieldManager: FIELD_MANAGER, dryRun: true, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(warnings.sort(), [
    "Validation failed for ValidatingAdmissionPolicy 'config-key-case' with binding 'config-key-case': keys are lowercase, with dashes, like \"log-level\"",
    "Validation failed for ValidatingAdmissionPolicy 'config-mode' with binding 'config-mode': mode legacy is going away",
  ]);
  // the corpus exercises every outcome
  assert.ok(denied >= 10 && warned >= 5 && corpus.length - denied - warned >= 10, `${denied} denied, ${warned} warned`);
});

test('VAP agreement: the policies and bindings the apiserver refuses are exactly those Reconcile reports as invalid', async () => {
  const all = docs(join(dir, 'refused.yaml'));
  const plain = all.find((o) => meta(o).name === 'plain')!;
  const rows: string[] = [];
  const disagreements: string[] = [];
  let refused = 0;
  for (const o of all) {
    let server: string | undefined;
    try {
      await client.serverSideApply(o, { fieldManager: FIELD_MANAGER, dryRun: true });
    } catch (e) {
      if (!isClusterError(e)) throw e;
      server = e.details.serverMessage ?? e.message;
      refused++;
    }
    // a binding is loaded with the policy it names (the server does not need it; offline it would be 'not defined')
    const text = stringify(o) + (o.kind === 'ValidatingAdmissionPolicyBinding' ? `---\n${stringify(plain)}` : '');
    const problems = policyProblems(loadPolicies([{ file: `/refused/${meta(o).name}.yaml`, text }])).filter((f) => f.severity === 'error');
    const agree = (server !== undefined) === (problems.length > 0);
    const row = `${agree ? ' ' : '✗'} ${label(o).padEnd(62)} server: ${server === undefined ? 'stored' : 'refused'}  offline: ${problems.length ? problems.map((p) => p.message).join(' | ') : 'valid'}`;
    rows.push(row);
    if (!agree) disagreements.push(`${row}${server ? `\n    server said: ${server}` : ''}`);
  }
  console.log(rows.join('\n'));
  console.log(`VAP policy agreement: ${all.length - disagreements.length}/${all.length} policies and bindings, ${disagreements.length} disagreements (server: ${refused} refused, ${all.length - refused} stored)`);
  assert.deepEqual(disagreements, []);
  assert.ok(refused >= 5 && all.length - refused >= 5, `${refused} refused`);
});
