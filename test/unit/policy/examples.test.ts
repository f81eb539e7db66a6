// The examples repository (examples/, see its README): exactly its three deliberate violations
// are found — by file checks (the plaintext Secret) and in the rendered dev environment, rendered
// with the real kubectl (kustomize) and helm (the :latest image, the missing limits, the Secret) —
// and its CEL policies (policies/: resource limits; pinned images from allowed registries, with a
// parameter ConfigMap) are evaluated on the rendered objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createRenderer, type RenderedDocument } from '../../../src/core/render';
import { discover, FileTree, type Environment, type RepoModel } from '../../../src/core/repo';
import { checkEnvironment, checkFiles, environmentObjects, findPolicyFiles, loadPolicies, mergeFindings, type PolicySet } from '../../../src/core/policy';
import type { Finding } from '../../../src/core/findings';
import { realTools } from '../render/real-tools';
import { repoRoot } from './helpers';

const root = join(repoRoot, 'examples');
const rel = (f?: string) => (f ? relative(root, f).split('\\').join('/') : '');
const lineOf = (file: string, needle: string) => readFileSync(join(root, file), 'utf8').split('\n').findIndex((l) => l.includes(needle)) + 1;
const show = (f: Finding) => `${rel(f.file)}:${f.range.start.line + 1} ${f.severity} ${f.code}`;

let model: RepoModel;
let policies: PolicySet;
const rendered = new Map<string, ReturnType<typeof environmentObjects>>();

async function setup(): Promise<void> {
  if (model) return;
  model = await discover(root);
  policies = loadPolicies(findPolicyFiles(root, model.config?.policy.policyPaths ?? []).map((file) => ({ file })));
  const tools = realTools();
  const renderer = createRenderer({ tools: { kubectl: tools.kubectl, helm: tools.helm }, trusted: true });
  for (const env of model.environments) {
    const apps: Array<{ application: Environment['applications'][number]; documents: RenderedDocument[] }> = [];
    for (const a of env.applications) {
      const r = await renderer.renderApplication(a);
      assert.ok(r.ok, `${a.id}: ${JSON.stringify(!r.ok && r.error)}`);
      apps.push({ application: a, documents: r.documents });
    }
    rendered.set(env.name, environmentObjects(apps));
  }
}

function envCheck(name: string, extra: Partial<Parameters<typeof checkEnvironment>[2]> = {}): Finding[] {
  const env = model.environments.find((e) => e.name === name)!;
  return checkEnvironment({ name, protected: env.protected, namespaces: env.namespaces }, rendered.get(name)!, { config: model.config?.policy, policies, repo: { root }, ...extra });
}

function fileCheck(): Finding[] {
  const tree = FileTree.scan(root);
  const files = [...tree.files].filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((file) => ({ file, text: readFileSync(file, 'utf8') }));
  assert.ok(files.length > 50);
  return checkFiles(files, { config: model.config?.policy, policies, repo: { root } });
}

test('examples: the policies are found next to each other in policies/ and load without problems', async () => {
  await setup();
  assert.deepEqual(policies.files.map(rel), ['policies/image-policy-params.yaml', 'policies/image-tag-policy.yaml', 'policies/kustomization.yaml', 'policies/require-resource-limits.yaml']);
  assert.deepEqual([...policies.policies.keys()].sort(), ['shop-image-tag-policy', 'shop-require-resource-limits']);
  assert.deepEqual(policies.problems, []);
});

test('examples: checking every file finds exactly the plaintext Secret', async () => {
  await setup();
  const findings = fileCheck();
  assert.deepEqual(findings.map(show), [`apps/api/overlays/dev/secret.yaml:${lineOf('apps/api/overlays/dev/secret.yaml', 'stringData:')} error secret/plaintext`]);
  assert.ok(!JSON.stringify(findings).includes('not-a-real-password'));
});

test('examples: the rendered dev environment has exactly the three deliberate violations, each on the file that introduced it', async () => {
  await setup();
  const findings = envCheck('dev');
  const web = 'apps/web/overlays/dev/kustomization.yaml';
  const worker = 'apps/worker/overlays/dev/kustomization.yaml';
  const secret = 'apps/api/overlays/dev/secret.yaml';
  assert.deepEqual(findings.map(show), [
    `${secret}:${lineOf(secret, 'stringData:')} error secret/plaintext`,
    `${web}:${lineOf(web, 'newTag: latest')} error vap/shop-image-tag-policy`,
    `${web}:${lineOf(web, 'newTag: latest')} warning practice/image-tag`,
    `${worker}:${lineOf(worker, 'path: /spec/template/spec/containers/0/resources/limits')} error vap/shop-require-resource-limits`,
    `${worker}:${lineOf(worker, 'path: /spec/template/spec/containers/0/resources/limits')} warning practice/resources`,
  ]);
  const messages = findings.map((f) => f.message);
  assert.ok(messages.every((m) => m.startsWith('[dev] ')));
  assert.ok(messages.includes('[dev] shop-image-tag-policy: image(s) registry.example.com/shop/web:latest use the mutable :latest tag; pin a version'));
  assert.ok(messages.includes('[dev] shop-require-resource-limits: Deployment worker: container(s) worker must set resources.limits.cpu and resources.limits.memory'));
  // merged with the file checks, the Secret is reported once
  const merged = mergeFindings(fileCheck(), findings);
  assert.equal(merged.filter((f) => f.code === 'secret/plaintext').length, 1);
  assert.equal(merged.length, 5);
});

test('examples: the CEL policies are evaluated on the rendered objects of every environment (a stricter parameter makes every workload fail)', async () => {
  await setup();
  for (const env of ['staging', 'prod']) {
    assert.deepEqual(envCheck(env).filter((f) => f.code.startsWith('vap/')).map(show), [], `${env} passes the policies`);
  }
  // only docker.io allowed: every shop Deployment (from registry.example.com) now fails the image policy, with the
  // message computed from the parameter ConfigMap
  const params = readFileSync(join(root, 'policies', 'image-policy-params.yaml'), 'utf8').replace('registry.example.com/shop/,', '');
  const strict = loadPolicies(policies.files.map((file) => (file.endsWith('image-policy-params.yaml') ? { file, text: params } : { file })));
  const failing = envCheck('prod', { policies: strict }).filter((f) => f.code === 'vap/shop-image-tag-policy');
  assert.deepEqual(failing.map((f) => rel(f.file)).sort(), ['apps/api/base/deployment.yaml', 'apps/web/base/deployment.yaml', 'apps/worker/base/deployment.yaml']);
  assert.ok(failing.every((f) => /are not from an allowed registry \(docker\.io\/library\/,docker\.io\/oliver006\/\)/.test(f.message)));
});

test('examples: staging and prod report only what their overlays really have (declared external Secret resolves the reference)', async () => {
  await setup();
  const staging = envCheck('staging');
  assert.deepEqual(staging.map((f) => `${show(f)} ${f.message}`).filter((s) => s.includes('ref/config-missing')).length, 1);
  const withExternal = envCheck('staging', { externalNames: ['Secret/api-db-credentials'] });
  assert.ok(!withExternal.some((f) => f.code === 'ref/config-missing'));
  const prod = envCheck('prod', { externalNames: ['Secret/api-db-credentials'] });
  const single = prod.find((f) => f.code === 'practice/single-replica-protected');
  assert.equal(single?.message, '[prod] replicas is 1 in a protected environment');
  assert.equal(rel(single?.file), 'charts/cache/templates/deployment.yaml');
});
