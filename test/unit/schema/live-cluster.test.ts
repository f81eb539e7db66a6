// Schemas from a live cluster, against the real kube-apiserver 1.20 of test/harness/cluster.mjs:
// /openapi/v3 is 404 there, so /openapi/v2 is used; built-in kinds and a CRD created here are
// converted, registered and beat the bundle; a second load downloads nothing; credentials, RBAC, TLS
// and DNS failures are classified; with the cluster stopped the last good answer comes from the cache.
// Starts and stops its own cluster (≈10 s), in this order: the last test stops it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { covered, fixtures, repoRoot } from './helpers';
import { SchemaRegistry, SchemaValidator } from '../../../src/core/schema';
import {
  clearClusterSchemaMemory,
  errorForStatus,
  kubeconfigFetcher,
  loadClusterSchemas,
  registerClusterSchemas,
  type ClusterSchemaResult,
  type OpenApiFetcher,
  type OpenApiGetOptions,
  type OpenApiResponse,
} from '../../../src/core/schema/live';

interface Cluster {
  kubeconfig: string;
  server: string;
  token: string;
  caFile: string;
  context: string;
  viewerContext: string;
  stop(): Promise<void>;
}

const harness = (name: string) => pathToFileURL(join(repoRoot, 'test', 'harness', name)).href;
const tmpRoot = mkdtempSync(join(tmpdir(), 'reconcile-live-cluster-'));
const cacheDir = join(tmpRoot, 'cache');
let cluster: Cluster;

/** The admin's raw API call (for setting the cluster up), JSON in and out. */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const { apiCall } = await import(harness('cluster.mjs'));
  return apiCall(cluster, method, path, body);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const GADGET_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.live.example.com' },
  spec: {
    group: 'live.example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'string', enum: ['small', 'large'] },
                  replicas: { type: 'integer', format: 'int32', minimum: 0 },
                  port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
                  config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** Counts what goes through a fetcher: every request, and documents downloaded (200 with a body). */
class CountingFetcher implements OpenApiFetcher {
  log: { path: string; status: number; ifNoneMatch?: string; bytes: number }[] = [];
  constructor(private readonly inner: OpenApiFetcher) {}
  get server() {
    return this.inner.server;
  }
  async get(path: string, signal?: AbortSignal, options?: OpenApiGetOptions): Promise<OpenApiResponse> {
    const r = await this.inner.get(path, signal, options);
    this.log.push({ path, status: r.status, bytes: r.body.length, ...(options?.ifNoneMatch ? { ifNoneMatch: options.ifNoneMatch } : {}) });
    return r;
  }
  documentDownloads(): number {
    return this.log.filter((l) => l.status === 200 && l.path.startsWith('/openapi/')).length;
  }
  take(): string[] {
    const out = this.log.map((l) => `${l.path} ${l.status}${l.ifNoneMatch ? ' (If-None-Match)' : ''}`);
    this.log = [];
    return out;
  }
}

let fetcher: CountingFetcher;
let first: ClusterSchemaResult;
const registry = new SchemaRegistry();

function check(text: string, reg = registry): string[] {
  const v = new SchemaValidator({ registry: reg, learnCrds: false });
  return v.validateFile(join(tmpRoot, 'doc.yaml'), text).map((f) => `${f.code} ${covered(text, f)}`);
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, f));
    if (st.isFile()) n += st.size;
  }
  return n;
}

before(async () => {
  const { startCluster } = await import(harness('cluster.mjs'));
  cluster = await startCluster({ log: () => {} });
  const created = await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', GADGET_CRD);
  assert.equal(created.status, 201, JSON.stringify(created.json));
  // The CRD reaches /openapi/v2 a few seconds after it is established.
  await until('Gadget in /openapi/v2', async () => {
    const r = await call('GET', '/openapi/v2');
    return r.status === 200 && 'com.example.live.v1.Gadget' in (r.json.definitions ?? {});
  });
  fetcher = new CountingFetcher(kubeconfigFetcher(cluster.kubeconfig, cluster.context));
  // Load client-node's kubeconfig code and open the first TLS connection before anything is timed.
  assert.equal((await fetcher.get('/version')).status, 200);
  fetcher.take();
}, { timeout: 120_000 });

after(async () => {
  await cluster?.stop();
  rmSync(tmpRoot, { recursive: true, force: true });
});

test('1.20 has no /openapi/v3 (404): /openapi/v2 is fetched and converted; Deployment, Service and the CRD are there', async (t) => {
  const t0 = performance.now();
  first = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const ms = performance.now() - t0;
  assert.equal(first.source, 'openapi-v2');
  assert.deepEqual(first.errors, []);
  assert.deepEqual(fetcher.take(), ['/openapi/v3 404', '/openapi/v2 200']);
  const keys = new Set(first.schemas.map((s) => `${s.group}/${s.version}/${s.kind}`));
  for (const k of ['apps/v1/Deployment', '/v1/Service', '/v1/ConfigMap', 'batch/v1beta1/CronJob', 'live.example.com/v1/Gadget']) assert.ok(keys.has(k), k);
  assert.ok(!keys.has('apps/v1/DeploymentList') && !keys.has('apps/v1/DeleteOptions'));
  const bytes = dirBytes(cacheDir);
  t.diagnostic(`fetch + convert /openapi/v2 of kube-apiserver 1.20: ${ms.toFixed(0)} ms (${first.stats.bytesFetched} bytes, ${first.schemas.length} kinds); cache on disk ${bytes} bytes`);
  assert.ok(bytes > 0 && bytes < first.stats.bytesFetched / 5, 'the cache is stored compressed');
});

test('registered, the cluster schemas validate: the CRD enum, unknown fields, int-or-string, preserve-unknown-fields subtree', () => {
  assert.deepEqual(registerClusterSchemas(registry, first), { registered: first.schemas.length, total: first.schemas.length });
  assert.equal(registry.resolve('live.example.com', 'v1', 'Gadget')?.source, 'cluster');
  const gadget = `apiVersion: live.example.com/v1
kind: Gadget
metadata: { name: g, namespace: default }
spec:
  size: small
  replicas: 2
  port: http
  labels: { a: b }
  config:
    anything: { nested: [1, two, { three: 3 }] }
`;
  assert.deepEqual(check(gadget), []);
  const bad = gadget.replace('size: small', 'size: huge').replace('port: http', 'port: true').replace('replicas: 2', 'replicas: 2\n  colour: red');
  assert.deepEqual(check(bad), ['schema/enum huge', 'schema/unknown-field colour', 'schema/type true']);
});

test('the cluster beats the bundle: fields newer than 1.20 are unknown under the cluster schema, 1.20-only fields are known', () => {
  const bundledOnly = new SchemaRegistry();
  const service = `apiVersion: v1
kind: Service
metadata: { name: s }
spec:
  trafficDistribution: PreferClose
  ports: [{ port: 80, targetPort: http, protocol: TCP }]
`;
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: d }
spec:
  selector: { matchLabels: { app: d } }
  template:
    metadata: { labels: { app: d } }
    spec:
      os: { name: linux }
      containers: [{ name: c, image: nginx, resources: { limits: { cpu: 500m, memory: 1Gi } } }]
`;
  assert.deepEqual(check(service, bundledOnly), [], 'bundled 1.36: trafficDistribution exists');
  assert.deepEqual(check(deployment, bundledOnly), [], 'bundled 1.36: pod spec os exists');
  assert.equal(registry.resolve('', 'v1', 'Service')?.source, 'cluster');
  assert.deepEqual(check(service), ['schema/unknown-field trafficDistribution']);
  assert.deepEqual(check(deployment), ['schema/unknown-field os']);
  // Service spec.topologyKeys was alpha in 1.20 and removed in 1.22: known to the cluster only.
  const topology = 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec:\n  topologyKeys: ["*"]\n  ports: [{ port: 80 }]\n';
  assert.deepEqual(check(topology, bundledOnly), ['schema/unknown-field topologyKeys']);
  assert.deepEqual(check(topology), []);
});

test('the apiserver corpus under the cluster schemas: controls clean, schema rejections flagged except the enums 1.20 does not publish', () => {
  const dir = join(fixtures, 'apiserver');
  const missed: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const first = text.split('\n', 1)[0];
    const ours = new SchemaValidator({ registry, learnCrds: false }).validateFile(join(dir, f), text).filter((x) => x.severity !== 'info');
    if (/^# server: accept, valid/.test(first)) assert.deepEqual(ours, [], `${f}: valid on 1.20`);
    else if (/^# server: accept$/.test(first)) assert.ok(ours.length > 0, `${f}: flagged although 1.20 drops it`);
    else if (/^# server: reject$/.test(first) && ours.length === 0) missed.push(f);
  }
  // /openapi/v2 of 1.20 has no enums for built-in kinds, and no `required` for Ingress pathType
  // (the server checks these in code): the bundle catches them, the cluster's schema cannot.
  const V2_GAPS = ['container-pull-policy.yaml', 'deployment-strategy-type.yaml', 'ingress-path-type-missing.yaml', 'ingress-path-type.yaml', 'service-protocol.yaml', 'service-type.yaml'];
  assert.deepEqual(missed.filter((f) => !V2_GAPS.includes(f)), [], 'every other schema rejection is flagged');
  assert.ok(missed.includes('service-type.yaml'), 'the enum gap of 1.20 is real (if not, V2_GAPS is out of date)');
});

test('a second load is served from the cache: no document downloaded (v2 revalidated: 304), nothing re-registered', async (t) => {
  const generation = registry.generation;
  const t0 = performance.now();
  const again = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const warmMs = performance.now() - t0;
  assert.deepEqual(fetcher.take(), ['/openapi/v3 404', '/openapi/v2 304 (If-None-Match)']);
  assert.equal(fetcher.documentDownloads(), 0);
  assert.equal(again.stats.fetched, 0);
  assert.equal(again.stats.notModified, 1);
  assert.equal(again.fingerprint, first.fingerprint);
  assert.deepEqual(registerClusterSchemas(registry, again), { registered: 0, total: first.schemas.length });
  assert.equal(registry.generation, generation, 'compiled validators stay');

  clearClusterSchemaMemory(); // as after a restart: the document comes from disk
  const t1 = performance.now();
  const fromDisk = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const diskMs = performance.now() - t1;
  assert.deepEqual(fetcher.take(), ['/openapi/v3 404', '/openapi/v2 304 (If-None-Match)']);
  assert.equal(fromDisk.stats.fromDisk, 1);
  assert.equal(fromDisk.schemas.length, first.schemas.length);
  assert.deepEqual(registerClusterSchemas(registry, fromDisk).registered, 0, 'same document: nothing to re-register');
  t.diagnostic(`cached load: ${warmMs.toFixed(0)} ms with the conversion in memory, ${diskMs.toFixed(0)} ms from disk (both revalidate /openapi/v2 with a 304)`);
});

test('a new CRD changes the v2 document: it is downloaded again, and only the kinds that differ are re-registered', async () => {
  const crd = structuredClone(GADGET_CRD);
  crd.metadata.name = 'doohickeys.live.example.com';
  crd.spec.names = { plural: 'doohickeys', singular: 'doohickey', kind: 'Doohickey', listKind: 'DoohickeyList' };
  assert.equal((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
  let next: ClusterSchemaResult | undefined;
  await until('Doohickey in the cluster schemas', async () => {
    next = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
    return next.schemas.some((s) => s.kind === 'Doohickey');
  });
  assert.notEqual(next!.fingerprint, first.fingerprint);
  assert.deepEqual(registerClusterSchemas(registry, next!), { registered: 1, total: first.schemas.length + 1 });
  assert.deepEqual(check('apiVersion: live.example.com/v1\nkind: Doohickey\nmetadata: { name: d }\nspec: { size: tiny }\n'), ['schema/enum tiny']);
  fetcher.take();
});

test('credentials and RBAC: the viewer reads /openapi/v2 on 1.20 (system:discovery); without that binding it is 403; a wrong token is 401', async (t) => {
  // What 1.20 does for a user without any binding of its own: /openapi/* is allowed to every
  // authenticated user by the system:discovery ClusterRoleBinding.
  const viewerCache = join(tmpRoot, 'viewer-cache');
  const viewer = kubeconfigFetcher(cluster.kubeconfig, cluster.viewerContext);
  const asViewer = await loadClusterSchemas({ fetcher: viewer, cacheDir: viewerCache, context: cluster.viewerContext });
  assert.equal(asViewer.source, 'openapi-v2');
  assert.equal(asViewer.schemas.length, first.schemas.length + 1);
  const secrets = await viewer.get('/api/v1/namespaces/default/secrets');
  const forbidden = errorForStatus(secrets, '/api/v1/namespaces/default/secrets', cluster.viewerContext);
  assert.equal(forbidden.kind, 'forbidden');
  assert.equal(forbidden.message, '403 Forbidden: secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "default"');

  // Without system:discovery the viewer gets 403 on /openapi/v3 itself: the cached schemas are used.
  const binding = await call('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:discovery');
  assert.equal(binding.status, 200);
  assert.equal((await call('DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:discovery')).status, 200);
  try {
    await until('the viewer is refused /openapi/v3', async () => (await viewer.get('/openapi/v3')).status === 403, 10_000);
    const refused = await loadClusterSchemas({ fetcher: viewer, cacheDir: viewerCache, context: cluster.viewerContext });
    assert.equal(refused.source, 'cache');
    assert.equal(refused.errors[0].kind, 'forbidden');
    assert.match(refused.errors[0].message, /^403 Forbidden: forbidden: User "viewer" cannot get path "\/openapi\/v3"/);
    assert.equal(refused.schemas.length, asViewer.schemas.length);
    t.diagnostic(`viewer without system:discovery: ${refused.errors[0].message}`);
  } finally {
    const { metadata, ...rest } = binding.json;
    assert.equal((await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { ...rest, metadata: { name: metadata.name, labels: metadata.labels, annotations: metadata.annotations } })).status, 201);
  }

  const badToken = join(tmpRoot, 'bad-token.yaml');
  writeFileSync(badToken, readFileSync(cluster.kubeconfig, 'utf8').replace(cluster.token, 'not-the-token'));
  const unauthorized = await loadClusterSchemas({ fetcher: kubeconfigFetcher(badToken, cluster.context), cacheDir: join(tmpRoot, 'bad-cache'), context: cluster.context });
  assert.equal(unauthorized.source, 'none');
  assert.deepEqual(unauthorized.errors.map((e) => [e.kind, e.message]), [
    ['unauthorized', `401 Unauthorized: the cluster rejected the credentials of context "${cluster.context}" (expired or wrong token or certificate?)`],
  ]);
});

test('TLS and DNS: an untrusted server certificate and an unknown host are told apart', async () => {
  const noCa = join(tmpRoot, 'no-ca.yaml');
  writeFileSync(noCa, readFileSync(cluster.kubeconfig, 'utf8').replace(/^\s*certificate-authority-data: .*$/m, ''));
  await assert.rejects(kubeconfigFetcher(noCa, cluster.context).get('/openapi/v2'), (e: any) => e.kind === 'tls' && /^TLS: the server certificate is not signed by a trusted CA/.test(e.message));
  const noHost = join(tmpRoot, 'no-host.yaml');
  writeFileSync(noHost, readFileSync(cluster.kubeconfig, 'utf8').replace(cluster.server, 'https://reconcile-nonexistent.invalid:6443'));
  await assert.rejects(kubeconfigFetcher(noHost, cluster.context).get('/openapi/v2'), (e: any) => e.kind === 'dns' && /reconcile-nonexistent\.invalid/.test(e.message));
});

test('offline: with the cluster stopped, the last good answer comes from the cache (source cache, unreachable)', async (t) => {
  const last = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  assert.equal(last.source, 'openapi-v2');
  await cluster.stop();
  clearClusterSchemaMemory();
  const t0 = performance.now();
  const offline = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const ms = performance.now() - t0;
  assert.equal(offline.source, 'cache');
  assert.equal(offline.format, 'openapi-v2');
  assert.equal(offline.fetchedAt, last.fetchedAt);
  assert.equal(offline.errors.length, 1);
  assert.equal(offline.errors[0].kind, 'unreachable');
  assert.equal(offline.errors[0].message, `cluster unreachable: connection refused (${cluster.server})`);
  assert.equal(offline.schemas.length, last.schemas.length);
  assert.equal(offline.fingerprint, last.fingerprint);
  const reg = new SchemaRegistry();
  registerClusterSchemas(reg, offline);
  assert.deepEqual(check('apiVersion: live.example.com/v1\nkind: Gadget\nmetadata: { name: g }\nspec: { size: huge }\n', reg), ['schema/enum huge']);
  t.diagnostic(`offline load from the disk cache: ${ms.toFixed(0)} ms`);
});
