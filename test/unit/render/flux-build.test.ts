// Flux Kustomizations rendered as kustomize-controller renders them (real kubectl kustomize): the
// Flux fields applied in a private copy, a kustomization generated for a path without one, postBuild
// substitution with its opt-out, Secret variables kept unknown, and commonMetadata.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import type { RenderResult } from '../../../src/core/render';
import { realRenderer, repoRoot } from './golden-cases';

const root = join(repoRoot, 'test', 'fixtures', 'flux-fleet');

function find(m: RepoModel, env: string, name: string): Application {
  const a = m.environments.find((e) => e.name === env)?.applications.find((x) => x.name === name);
  if (!a) throw new Error(`no application ${name} in ${env}`);
  return a;
}

type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: Record<string, string> };
function objects(r: RenderResult): Obj[] {
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  return r.documents.map((d) => d.object as unknown as Obj);
}
const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

test('flux build: targetNamespace, namePrefix, images, patches (strategic merge and JSON 6902 by label), components and postBuild, as kustomize-controller applies them', async () => {
  const m = await discover(root);
  const r = await realRenderer().renderApplication(find(m, 'production', 'apps'));
  const objs = objects(r);
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort(), [
    'ConfigMap/apps/prod-greeting',
    'Deployment/apps/prod-podinfo',
    'PodDisruptionBudget/apps/prod-podinfo', // from the component
    'Service/apps/prod-podinfo',
  ]);
  const [dep] = byKind(objs, 'Deployment');
  const c = dep.spec.template.spec.containers[0];
  assert.equal(c.image, 'ghcr.io/stefanprodan/podinfo:6.7.1'); // the Flux images entry replaces the overlay's one
  assert.equal(dep.spec.replicas, 3); // ${replicas:=1} with replicas: "3" → an integer after substitution
  assert.equal(dep.spec.strategy.rollingUpdate.maxUnavailable, 0); // the component's patch
  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  assert.deepEqual(env, {
    PODINFO_UI_MESSAGE: 'hello from production', // the Flux patch (matched by its name before the prefix), then substituted
    PODINFO_REGION: 'unknown', // ${cluster_region:-unknown}: not set for this Kustomization
    SCRIPT: 'echo $HOME and ${literal}', // bare $HOME untouched, $${literal} escaped
  });
  assert.equal(byKind(objs, 'Service')[0].spec.type, 'LoadBalancer'); // JSON 6902 patch by labelSelector
  assert.equal(byKind(objs, 'ConfigMap')[0].data!.template, 'Hello ${name}'); // substitute: disabled annotation
  // the objects still lead back to the repository's documents, not to the private copy
  const src = r.ok ? r.documents.find((d) => d.id?.kind === 'Deployment')?.source : undefined;
  assert.equal(src?.file, join(root, 'apps/base/podinfo/deployment.yaml'));
});

test('flux build: a path without a kustomization is generated as Flux does (sub-kustomizations included), with commonMetadata', async () => {
  const m = await discover(root);
  const a = find(m, 'production', 'infra-controllers');
  assert.ok(!m.environments.some((e) => e.applications.some((x) => x.root === join(root, 'infrastructure/controllers/ingress'))), 'the sub-kustomization is part of infra-controllers, not an application of its own');
  const objs = objects(await realRenderer().renderApplication(a));
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['Deployment/ingress-nginx', 'Namespace/platform', 'ServiceAccount/cert-manager']);
  for (const o of objs) {
    assert.equal(o.metadata.labels?.['toolkit.fluxcd.io/tier'], 'infrastructure', o.metadata.name);
    assert.equal(o.metadata.annotations?.['example.com/owner'], 'platform', o.metadata.name);
  }
  assert.equal(byKind(objs, 'Deployment')[0].spec.template.metadata.labels['toolkit.fluxcd.io/tier'], undefined); // metadata only
});

test('flux build: substituteFrom a ConfigMap of the repository, substitute wins, Secret variables stay as written and are reported', async () => {
  const m = await discover(root);
  const a = find(m, 'production', 'infra-configs');
  assert.deepEqual(a.dependsOn, ['flux-system/infra-controllers']);
  assert.ok(a.sourcePaths.includes(join(root, 'clusters/production/cluster-vars.yaml')), 'the ConfigMap is an input of the render');
  const r = await realRenderer().renderApplication(a);
  const objs = objects(r);
  const info = objs.find((o) => o.metadata.name === 'cluster-info')!;
  assert.equal(info.metadata.namespace, 'platform');
  assert.deepEqual(info.data, {
    name: 'production',
    region: 'eu-west-1', // postBuild.substitute overrides the ConfigMap's cluster_region
    domain: 'prod.example.com', // from the ConfigMap
    upper: 'PRODUCTION',
    fallback: '${missing_var:=fallback}', // may be set by the Secret: unknown, kept
    token: '${cluster_token}',
  });
  assert.equal(objs.find((o) => o.metadata.name === 'raw-template')!.data!.template, '${keep_me}'); // substitute: disabled label
  assert.ok(r.ok && r.warnings?.some((w) => w.includes('${cluster_token}') && w.includes("Secret 'cluster-secrets'")), JSON.stringify(r.ok && r.warnings));
});

test('flux build: nameSuffix and images by digest over an overlay with its own prefix and namespace; the working tree is never written', async () => {
  const before = readFileSync(join(root, 'apps/staging/kustomization.yaml'), 'utf8');
  const tmpBefore = readdirSync(tmpdir()).filter((n) => n.startsWith('reconcile-flux-')).length;
  const m = await discover(root);
  const objs = objects(await realRenderer().renderApplication(find(m, 'staging', 'apps')));
  const [dep] = byKind(objs, 'Deployment');
  assert.equal(dep.metadata.name, 'team-podinfo-stg');
  assert.equal(dep.metadata.namespace, 'podinfo-staging');
  assert.equal(dep.metadata.annotations?.['example.com/env'], 'staging');
  assert.equal(dep.spec.template.spec.containers[0].image, 'registry.example.com/podinfo@sha256:3f4e3b1b7d8d1a2c9e6f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f');
  assert.equal(readFileSync(join(root, 'apps/staging/kustomization.yaml'), 'utf8'), before);
  assert.equal(existsSync(join(root, 'infrastructure/controllers/kustomization.yaml')), false);
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('reconcile-flux-')).length, tmpBefore, 'the private copy is removed');
});
