// compareEnvironments (the promotion check) on the real kustomize render of two environments of one
// revision, and the resource diff underneath: matching by kind + name across namespaces, kustomize's
// generated names, server-defaulted list keys, Secret masking on one side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { compareEnvironments, diffObjects, diffResourceSets, environmentsReport, type SideObject } from '../../../src/core/compare';
import { renderEnvironment } from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import { createRenderer } from '../../../src/core/render';
import { discover } from '../../../src/core/repo';
import { realTools } from '../render/real-tools';
import { buildCompareRepo, PLAINTEXT } from './test-repo';

function side(objects: Array<Record<string, unknown>>): SideObject[] {
  return objects.map((object) => ({ object, id: resourceIdOf(object)! }));
}

test('dev against prod at one revision: namespaces ignored, resources matched by kind and name', async () => {
  const repo = buildCompareRepo();
  try {
    const t = realTools();
    const model = await discover(repo.dir);
    const renderer = createRenderer({ tools: { kubectl: t.kubectl }, trusted: true, env: { PATH: process.env.PATH } });
    const env = (name: string) => model.environments.find((e) => e.name === name)!;
    const [dev, prod] = await Promise.all([renderEnvironment(env('dev'), renderer), renderEnvironment(env('prod'), renderer)]);
    const c = compareEnvironments(dev, prod, { roots: [model.root] });
    assert.equal(c.status, 'changed');
    assert.deepEqual(
      c.resources.map((r) => `${r.change} ${r.id.kind}/${r.id.name}`),
      ['removed ConfigMap/web-settings', 'changed Deployment/web', 'removed Secret/web-credentials'],
    );
    // The namespace differs (web-dev, web-prod) and is not a change; replicas are.
    assert.deepEqual(c.resources[1].fields, [{ path: 'spec.replicas', change: 'changed', before: 2, after: 3 }]);
    assert.ok(!c.resources[1].left.includes('namespace'), c.resources[1].left);
    assert.equal(c.resources[1].source?.path, 'apps/web/base/deployment.yaml');
    // The Secret is only in dev: its values are masked.
    const s = c.resources[2];
    assert.match(s.left, /password: "\*\*\*"/);
    assert.ok(!JSON.stringify(c).includes(PLAINTEXT[1]));
    assert.match(environmentsReport(c, 'text'), /^dev → prod: differ {2}\+0 −2 ~1$/m);
    assert.match(environmentsReport(c, 'md'), /2 only in dev, 1 different/);
    // An environment compared with itself has no differences.
    assert.equal(compareEnvironments(prod, prod).status, 'unchanged');
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('an environment that failed to render is never "no differences"', async () => {
  const repo = buildCompareRepo();
  try {
    const t = realTools();
    const model = await discover(repo.dir);
    const renderer = createRenderer({ tools: { kubectl: t.kubectl }, trusted: true, env: { PATH: process.env.PATH } });
    const env = (name: string) => model.environments.find((e) => e.name === name)!;
    const [staging, prod] = await Promise.all([renderEnvironment(env('staging'), renderer), renderEnvironment(env('prod'), renderer)]);
    const c = compareEnvironments(staging, prod);
    assert.equal(c.status, 'render-failed');
    assert.deepEqual(c.errors.map((e) => [e.environment, e.application]), [['staging', 'kustomize:apps/web/overlays/staging']]);
  } finally {
    rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('a port written without protocol is the same port as one with protocol TCP', () => {
  const svc = (ports: unknown[]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports } });
  const [a] = side([svc([{ port: 80, targetPort: 8080 }])]);
  const [b] = side([svc([{ port: 80, targetPort: 8080, protocol: 'TCP' }])]);
  assert.deepEqual(diffObjects(a, b), []);
  const [c] = side([svc([{ port: 80, targetPort: 9090 }])]);
  assert.deepEqual(diffObjects(a, c), [{ path: 'spec.ports[port=80,protocol=TCP].targetPort', change: 'changed', before: 8080, after: 9090 }]);
  const [d] = side([svc([{ port: 80, targetPort: 8080, protocol: 'UDP' }])]);
  assert.deepEqual(
    diffObjects(a, d).map((f) => `${f.change} ${f.path}`),
    ['removed spec.ports[port=80,protocol=TCP]', 'added spec.ports[port=80,protocol=UDP]'],
  );
});

test('kustomize-generated ConfigMaps are matched without their hash; a Secret key added on one side is masked', () => {
  const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v } });
  const secret = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data });
  const left = side([cm('app-config-5hk2m8dgtt', 'a'), secret({ user: Buffer.from('u').toString('base64') })]);
  const right = side([cm('app-config-7fb8tmfc6g', 'b'), secret({ user: Buffer.from('u').toString('base64'), pass: Buffer.from('hunter2').toString('base64') })]);
  const { resources } = diffResourceSets(left, right, { match: 'identity', leftLabel: 'main', rightLabel: 'HEAD' });
  assert.deepEqual(
    resources.map((r) => [r.change, r.id.name, r.fields.map((f) => `${f.change} ${f.path} ${String(f.before)}→${String(f.after)}`)]),
    [
      ['changed', 'app-config-7fb8tmfc6g', ['changed metadata.name app-config-5hk2m8dgtt→app-config-7fb8tmfc6g', 'changed data.v a→b']],
      ['changed', 'db', ['added data.pass undefined→***']],
    ],
  );
  assert.match(resources[1].right, /pass: "\*\*\*"/);
  assert.match(resources[1].right, /user: "\*\*\* \(unchanged\)"/);
  assert.ok(!JSON.stringify(resources).includes('aHVudGVyMg'));
  assert.equal(resources[0].title, 'ConfigMap/app-config-7fb8tmfc6g — main ↔ HEAD');
});
