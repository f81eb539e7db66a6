// Health rules per kind, over live-object fixtures written from the rules' documentation
// (test/fixtures/health/README.md); user CEL checks; the roll-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assessHealth, healthLine, rollUp, type HealthCheckExpr } from '../../../src/core/health';
import { parseManifests } from '../../../src/core/manifest';

const dir = join(__dirname, '..', '..', 'fixtures', 'health');
const EXPECT = 'expect.reconcile.dev/health';

for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
  test(`health of every case in ${file}`, () => {
    const docs = parseManifests(readFileSync(join(dir, file), 'utf8')).documents.map((d) => d.value as Record<string, any>).filter((v) => v?.kind);
    assert.ok(docs.length >= 5);
    for (const o of docs) {
      const want = String(o.metadata.annotations[EXPECT]);
      const h = assessHealth(o);
      const got = h ? [h.status, ...(want.includes(' ') ? [h.reason ?? ''] : [])].join(' ') : 'none';
      assert.equal(got, want, `${o.kind}/${o.metadata.name} (${want}): ${JSON.stringify(h)}`);
    }
  });
}

test('user checks in the shape of Flux healthCheckExprs: inProgress, then failed, then current; errors are Unknown', () => {
  const checks: HealthCheckExpr[] = [{
    apiVersion: 'minio.min.io/v2', kind: 'Tenant',
    current: "self.status.currentState == 'Initialized'",
    inProgress: "self.status.currentState == 'Provisioning'",
    failed: "self.status.currentState.startsWith('Error')",
  }];
  const tenant = (currentState: string) => ({ apiVersion: 'minio.min.io/v2', kind: 'Tenant', metadata: { name: 't' }, status: { currentState } });
  assert.equal(assessHealth(tenant('Initialized'), checks)?.status, 'Healthy');
  assert.equal(assessHealth(tenant('Provisioning'), checks)?.status, 'Progressing');
  assert.equal(assessHealth(tenant('Error: no drives'), checks)?.status, 'Degraded');
  assert.equal(assessHealth(tenant('Waiting'), checks)?.status, 'Progressing');
  const broken = assessHealth(tenant('x'), [{ ...checks[0], current: 'self.status.(' }]);
  assert.equal(broken?.status, 'Unknown');
  assert.match(broken?.message ?? '', /health check expression/);
  // A user check wins over the built-in rule of the kind.
  const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 }, status: {} };
  assert.equal(assessHealth(dep)?.status, 'Progressing');
  assert.equal(assessHealth(dep, [{ apiVersion: 'apps/v1', kind: 'Deployment', current: 'true' }])?.status, 'Healthy');
});

test('roll-up: the worst health of the resources, naming the one that makes it so (Argo CD order, Unknown worst)', () => {
  const r = rollUp([
    { name: 'Deployment/web', health: { status: 'Healthy' } },
    { name: 'Pod/web-1', health: { status: 'Degraded', reason: 'CrashLoopBackOff' } },
    { name: 'Job/migrate', health: { status: 'Progressing', message: 'running' } },
    { name: 'ConfigMap/settings', health: undefined },
  ]);
  assert.equal(r?.status, 'Degraded');
  assert.equal(r?.message, 'Pod/web-1: CrashLoopBackOff');
  assert.equal(rollUp([{ name: 'a', health: { status: 'Degraded' } }, { name: 'b', health: { status: 'Unknown' } }])?.status, 'Unknown');
  assert.equal(rollUp([{ name: 'a', health: { status: 'Suspended' } }, { name: 'b', health: { status: 'Healthy' } }])?.status, 'Suspended');
  assert.equal(rollUp([{ name: 'c', health: undefined }]), undefined);
  assert.equal(healthLine({ status: 'Degraded', reason: 'CrashLoopBackOff' }, 'web-7f9c'), '✗ degraded: CrashLoopBackOff (web-7f9c)');
  assert.equal(healthLine({ status: 'Healthy' }), '♥ healthy');
});
