#!/usr/bin/env node
// Saves the OpenAPI v2 document of the real kube-apiserver that scripts/setup builds (tools.json
// kubeApiserver, started by the test harness with etcd) as a cached input of
// scripts/build-schemas.mjs: ${RECONCILE_CACHE:-~/.cache/reconcile}/openapi/kubernetes-<version>.json.
// Nothing leaves the machine: the server listens on 127.0.0.1 and is stopped afterwards.
//   node scripts/fetch-openapi.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const harness = (f) => pathToFileURL(path.join(root, 'test', 'harness', f)).href;
const { startCluster, httpGet } = await import(harness('cluster.mjs'));
const { cacheDir } = await import(harness('tools.mjs'));

const cluster = await startCluster({ log: (m) => console.error(m) });
try {
  const ca = fs.readFileSync(cluster.caFile);
  const version = await httpGet(`${cluster.server}/version`, { ca, token: cluster.token, timeoutMs: 30_000 });
  const { gitVersion } = JSON.parse(version.body);
  const r = await httpGet(`${cluster.server}/openapi/v2`, { ca, token: cluster.token, timeoutMs: 120_000 });
  if (r.status !== 200) throw new Error(`/openapi/v2 answered ${r.status}`);
  const doc = JSON.parse(r.body);
  const out = path.join(cacheDir(), 'openapi', `kubernetes-${gitVersion}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(doc));
  console.log(`${out}: ${Object.keys(doc.definitions).length} definitions (${(Buffer.byteLength(r.body) / 1048576).toFixed(1)} MB)`);
} finally {
  await cluster.stop();
}
