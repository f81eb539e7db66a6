// Precision (issue 15): no false errors on shapes real repositories have. Each case is a fixture
// under test/fixtures/checks-precision/ that the checks got wrong before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadPolicyContext } from '../../../src/core/check/policy-context';
import type { Finding } from '../../../src/core/findings';
import { parseManifests } from '../../../src/core/manifest';
import { checkEnvironment, checkFile, environmentObjects } from '../../../src/core/policy';
import { podTemplatePaths } from '../../../src/core/policy/builtin/pod-creators';
import type { RenderedDocument } from '../../../src/core/render';
import { discover, type Application } from '../../../src/core/repo';
import { envObjects, markers, positions, read } from './helpers';

const dir = join(__dirname, '..', '..', 'fixtures', 'checks-precision');

/** Every YAML file under a folder (sorted). */
function yamlFiles(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder).sort()) {
    const p = join(folder, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name) && !/^(Chart|kustomization)\.yaml$/.test(name)) out.push(p);
  }
  return out;
}

/**
 * What rendering gives for these fixtures, without the tools: every application's YAML files as
 * they are (the fixtures have no templating, no patches), each document with its source.
 */
function renderAsIs(app: Application): RenderedDocument[] {
  const root = app.renderer.kind === 'helm' ? app.renderer.chartDir : app.renderer.kind === 'kustomize' ? app.renderer.dir : app.root;
  const out: RenderedDocument[] = [];
  for (const file of yamlFiles(root)) {
    for (const d of parseManifests(read(file)).documents) {
      if (!d.id) continue;
      out.push({ object: d.value as Record<string, unknown>, id: d.id, range: d.range, source: { file, range: d.range } } as RenderedDocument);
    }
  }
  return out;
}

async function environmentFindings(repo: string): Promise<{ env: string; apps: string[]; findings: Finding[] }[]> {
  const model = await discover(repo);
  return model.environments.map((env) => {
    const objects = environmentObjects(env.applications.map((a) => ({ application: a, documents: renderAsIs(a) })));
    return { env: env.name, apps: env.applications.map((a) => a.id), findings: checkEnvironment({ name: env.name, namespaces: env.namespaces }, objects, { repo: { root: repo } }) };
  });
}

const show = (root: string, f: Finding) => `${relative(root, f.file ?? '')}:${f.range.start.line + 1} ${f.severity} ${f.code} ${f.message}`;

test('duplicate-id: plain manifests, a kustomization and a Helm chart side by side are alternative layouts, not duplicates (one note per pair)', async () => {
  const repo = join(dir, 'alternative-layouts');
  const envs = await environmentFindings(repo);
  // the three layouts land in one environment, which is what made them look like duplicates
  assert.equal(envs.length, 1);
  assert.equal(envs[0].apps.length, 3, envs[0].apps.join(', '));
  const dup = envs[0].findings.filter((f) => f.code === 'gitops/duplicate-id');
  assert.deepEqual(dup.filter((f) => f.severity !== 'info').map((f) => show(repo, f)), [], 'no duplicate-id error or warning');
  assert.equal(dup.length, 3, 'one note per pair of layouts');
  for (const f of dup) assert.match(f.message, /alternative layouts \((plain manifests|a kustomization|a Helm chart) and (plain manifests|a kustomization|a Helm chart)\), never applied together/);
  assert.match(dup.map((f) => f.message).join('\n'), /2 of the same objects/);
});

test('duplicate-id: Argo CD Applications with different destinations are not duplicates; the same destination still is', async () => {
  const repo = join(dir, 'argocd-destinations');
  const envs = await environmentFindings(repo);
  const all = envs.flatMap((e) => e.findings.filter((f) => f.code === 'gitops/duplicate-id'));
  assert.deepEqual(all.map((f) => show(repo, f)), []);
  // the same three renders with one destination: each later one is a duplicate of the first
  const model = await discover(repo);
  const apps = model.environments.flatMap((e) => e.applications);
  assert.equal(apps.length, 3);
  const oneDestination = apps.map((a) => ({ ...a, namespace: 'blue', destination: { server: 'https://kubernetes.default.svc', namespace: 'blue' } }));
  const objects = environmentObjects(oneDestination.map((a) => ({ application: a, documents: renderAsIs(a) })));
  const same = checkEnvironment({ name: 'x' }, objects, {}).filter((f) => f.code === 'gitops/duplicate-id');
  assert.equal(same.length, 4, same.map((f) => show(repo, f)).join('\n'));
  assert.ok(same.every((f) => f.severity === 'error' && /with different content/.test(f.message)));
});

test('secrets: references (1Password, Vault, vals, argocd-vault-plugin, ${…}, SOPS, sealed data, ExternalSecret templates) and Secret names are not secrets', () => {
  const file = join(dir, 'secrets', 'references.yaml');
  const findings = checkFile(file, read(file)).filter((f) => f.source === 'secret');
  assert.deepEqual(findings.map((f) => `${f.range.start.line + 1} ${f.code} ${f.message}`), []);
});

test('secrets: certain findings are errors, the entropy heuristic a warning; a Secret with some references lists only its plaintext keys', () => {
  const file = join(dir, 'secrets', 'certain-and-heuristic.yaml');
  const text = read(file);
  const findings = checkFile(file, text).filter((f) => f.source === 'secret');
  assert.deepEqual(positions(findings), markers(text), findings.map((f) => `${f.range.start.line + 1} ${f.code}`).join('\n'));
  assert.deepEqual(findings.map((f) => `${f.code} ${f.severity}`), ['secret/plaintext error', 'secret/high-entropy warning', 'secret/high-entropy warning']);
  assert.match(findings[0].message, /with 1 plaintext value \(apiKey\)/);
});

test('ref/service-selector: pods of Argo Rollouts, the Prometheus operator and CRDs with a pod template are known; an unknown operator silences it', () => {
  const file = join(dir, 'pod-creators', 'environment.yaml');
  const text = read(file);
  const findings = checkEnvironment({ name: 'dev' }, envObjects(file, text), { readFile: (f) => (f === file ? text : undefined) }).filter((f) => f.code.startsWith('ref/'));
  assert.deepEqual(positions(findings), markers(text), findings.map((f) => `${f.range.start.line + 1} ${f.code} ${f.message}`).join('\n'));
  // the pod template of a CRD's schema (as the bundle or the repository's CRDs give it)
  const crd = parseManifests(text).documents.find((d) => d.id?.kind === 'CustomResourceDefinition')!.value as any;
  assert.deepEqual(podTemplatePaths(crd.spec.versions[0].schema.openAPIV3Schema), [['spec', 'podTemplate']]);
  const refs = { properties: { spec: { properties: { template: { $ref: '#/definitions/PodTemplateSpec' } } } }, definitions: { PodTemplateSpec: { properties: { spec: { $ref: '#/definitions/PodSpec' } } }, PodSpec: { properties: { containers: { type: 'array' } } } } };
  assert.deepEqual(podTemplatePaths(refs), [['spec', 'template']]);
  assert.deepEqual(podTemplatePaths({ type: 'object', properties: { spec: { properties: { nodeSets: { type: 'array', items: { properties: { podTemplate: { properties: { spec: { properties: { containers: {} } } } } } } } } } } }), [['spec', 'nodeSets', '*', 'podTemplate']]);
});

test('gitops/missing-path: a path on another branch is looked for in git at that branch; an unknown revision is a "not checked" note', () => {
  const repo = mkdtempSync(join(tmpdir(), 'reconcile-branches-'));
  try {
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, stdio: 'pipe' });
    git('init', '-q');
    const text = read(join(dir, 'other-branch', 'apps.yaml'));
    writeFileSync(join(repo, 'apps.yaml'), text);
    git('add', '.');
    git('commit', '-q', '-m', 'main');
    git('checkout', '-q', '-b', 'env/prod');
    mkdirSync(join(repo, 'apps', 'prod-only'), { recursive: true });
    writeFileSync(join(repo, 'apps', 'prod-only', 'kustomization.yaml'), 'resources: []\n');
    git('add', '.');
    git('commit', '-q', '-m', 'prod');
    git('checkout', '-q', 'main');
    const file = join(repo, 'apps.yaml');
    const ctx = loadPolicyContext(repo);
    const findings = checkFile(file, text, ctx.options).filter((f) => f.code === 'gitops/missing-path');
    const expected = markers(text.replace(/ (error|info)$/gm, ''));
    assert.deepEqual(positions(findings), expected, findings.map((f) => `${f.range.start.line + 1} ${f.severity} ${f.message}`).join('\n'));
    assert.deepEqual(findings.map((f) => [f.severity, f.notChecked ?? false]), [['error', false], ['error', false], ['info', true]]);
    assert.match(findings[0].message, /'apps\/prod-onyl' does not exist at revision env\/prod/);
    assert.match(findings[2].message, /revision release-9 is not known to git here .*not checked/);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
});
