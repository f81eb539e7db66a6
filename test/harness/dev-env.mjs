// examples' dev environment applied to a harness cluster as Reconcile renders it (`reconcile render
// --env dev`), for the demo and the browser-driven dialog suite: every application of dev (kustomize and
// Helm, Argo CD and Flux), one object per identity as drift compares it (the first definition wins),
// objects that name no namespace in the environment's namespace, namespaces and CRDs first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService']);

/** Runs a tool; throws with its stderr when it fails. */
export function tool(bin, argv, input) {
  const r = spawnSync(bin, argv, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${bin} ${argv.join(' ')} failed:\n${r.stderr || r.stdout}`);
  return r.stdout;
}

/** The objects of `env` in `workspace` as the built CLI (dist/cli.js) renders them, one per identity. */
export function renderEnvironment({ root, workspace, env = 'dev', tools }) {
  const cli = join(root, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`missing ${cli}: build first (node esbuild.js)`);
  const out = tool(process.execPath, [cli, 'render', workspace, '--env', env, '--kubectl', tools.kubectl, '--helm', tools.helm]);
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
  return objects;
}

/**
 * Applies dev to the cluster with kubectl server-side apply (field manager `reconcile-demo`), CRDs
 * established before their objects. `log` gets one line a step.
 */
export function applyDev({ root, workspace, tools, kubeconfig, namespace = 'shop-dev', log = () => {} }) {
  const kubectl = (argv, input) => tool(tools.kubectl, ['--kubeconfig', kubeconfig, ...argv], input);
  const objects = renderEnvironment({ root, workspace, env: 'dev', tools });
  const namespaces = [...new Set(objects.map((o) => o.metadata?.namespace).filter(Boolean))].filter((n) => !objects.some((o) => o.kind === 'Namespace' && o.metadata.name === n));
  const first = [
    ...namespaces.map((n) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })),
    ...objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition'),
  ];
  for (const o of objects) if (!o.metadata?.namespace && !CLUSTER_SCOPED.has(o.kind)) o.metadata = { ...o.metadata, namespace };
  const rest = objects.filter((o) => !first.includes(o));
  const stream = (list) => list.map((o) => stringify(o)).join('---\n');
  const steps = [
    { what: 'the Argo CD and Flux CRDs (minimal, from test/fixtures/delegate)', yaml: readFileSync(join(root, 'test', 'fixtures', 'delegate', 'crds.yaml'), 'utf8') },
    { what: 'namespaces and CRDs of dev', yaml: stream(first) },
    { what: `the ${rest.length} other objects of dev`, yaml: stream(rest) },
  ];
  for (const { what, yaml } of steps) {
    log(`applying ${what} with kubectl apply --server-side`);
    const applied = kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=reconcile-demo', '-f', '-'], yaml);
    if (/CustomResourceDefinition/.test(yaml)) kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    log(applied.trimEnd().replace(/^/gm, '       '));
  }
  return objects;
}
