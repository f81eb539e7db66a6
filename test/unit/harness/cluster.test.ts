// test/harness/cluster.mjs against the real etcd + kube-apiserver (+ controller manager) of `bash scripts/setup`.
// Fails with "run `bash scripts/setup`" when the tools are not installed. ≈10 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as k8s from '@kubernetes/client-node';

const harness = (name: string) => pathToFileURL(join(__dirname, '..', '..', 'harness', name)).href;

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('harness cluster', async (t) => {
  const { loadTools } = await import(harness('tools.mjs'));
  // Never skipped: without the tools this fails with "run `bash scripts/setup`".
  loadTools({ require: ['etcd', 'kubeApiserver', 'kubeControllerManager'] });

  const { startCluster, waitForDefaultServiceAccount, apiCall } = await import(harness('cluster.mjs'));
  const call = (c: { server: string; caFile: string; token: string }, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> =>
    apiCall(c, method, path, body, token);
  const c = await startCluster({ controllerManager: true, log: () => {} });
  try {
    assert.match(c.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(c.context, 'reconcile-local');
    const kcText = readFileSync(c.kubeconfig, 'utf8');
    assert.match(kcText, /current-context: reconcile-local\n/);
    assert.match(kcText, /- name: reconcile-local-viewer\n/);

    const ready = await call(c, c.token, 'GET', '/readyz');
    assert.equal(ready.json, 'ok');
    const created = await call(c, c.token, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'harness-test' } });
    assert.equal(created.status, 201);
    const denied = await call(c, c.viewerToken, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'nope' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.reason, 'Forbidden');
    // @kubernetes/client-node 1.x (object parameters) with the kubeconfig.
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'from-client-node' } } });
    const ns = await core.readNamespace({ name: 'from-client-node' });
    assert.equal(ns.status?.phase, 'Active');
    kc.setCurrentContext('reconcile-local-viewer');
    await assert.rejects(kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: 'nope' } } }), { code: 403 });
    // The controller manager runs: ServiceAccounts get tokens in new namespaces.
    await waitForDefaultServiceAccount(c, 'harness-test', 20_000);
  } finally {
    await c.stop();
  }
  assert.equal(existsSync(c.dir), false, 'temp dir removed');
  for (const pid of Object.values(c.pids) as number[]) assert.equal(alive(pid), false, `pid ${pid} gone`);
});
