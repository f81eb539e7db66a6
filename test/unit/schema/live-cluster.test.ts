// Schemas from a live cluster, against the real kube-apiserver of test/harness/cluster.mjs (the current
// release, 1.37): /openapi/v3 (one document per group-version) is used; built-in kinds and a CRD created
// here are converted, registered and beat the bundle (fields and enums of 1.37 that the bundled 1.36 lacks),
// with the server's descriptions for hover; a second load downloads nothing; a server without /openapi/v3
// (before 1.24) is served by the same server's /openapi/v2; credentials, RBAC, TLS and DNS failures are
// classified; with the cluster stopped the last good answer comes from the cache.
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
                  size: { type: 'string', enum: ['small', 'large'], description: 'How big the gadget is.' },
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
    return this.log.filter((l) => l.status === 200 && l.path.startsWith('/openapi/') && l.path !== '/openapi/v3').length; // not the v3 index
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
  // The CRD reaches /openapi/v3 a moment after it is established.
  await until('Gadget in /openapi/v3', async () => {
    const r = await call('GET', '/openapi/v3');
    return r.status === 200 && 'apis/live.example.com/v1' in (r.json.paths ?? {});
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

/** The fetch log without the content hashes of the document URLs. */
const unhashed = (log: string[]) => log.map((l) => l.replace(/\?hash=[0-9A-Fa-f]+/, '?hash=…'));

test('/openapi/v3 of the current kube-apiserver: the index, then one document per group-version; current kinds and the CRD are there', async (t) => {
  const t0 = performance.now();
  first = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const ms = performance.now() - t0;
  assert.equal(first.source, 'openapi-v3');
  assert.equal(first.format, 'openapi-v3');
  assert.deepEqual(first.errors, []);
  const log = unhashed(fetcher.take());
  assert.equal(log[0], '/openapi/v3 200');
  assert.ok(log.includes('/openapi/v3/apis/apps/v1?hash=… 200') && log.includes('/openapi/v3/apis/live.example.com/v1?hash=… 200'), log.join('\n'));
  assert.ok(log.slice(1).every((l) => /^\/openapi\/v3\/.+\?hash=… 200$/.test(l)), 'nothing but the index and hashed documents; no /openapi/v2');
  assert.equal(first.stats.fetched, log.length - 1);
  const keys = new Set(first.schemas.map((s) => `${s.group}/${s.version}/${s.kind}`));
  for (const k of ['apps/v1/Deployment', '/v1/Service', '/v1/ConfigMap', 'batch/v1/CronJob', 'autoscaling/v2/HorizontalPodAutoscaler', 'policy/v1/PodDisruptionBudget',
    'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy', 'live.example.com/v1/Gadget']) assert.ok(keys.has(k), k);
  // Removed long ago (1.25), so a current server does not serve them.
  for (const k of ['batch/v1beta1/CronJob', 'policy/v1beta1/PodDisruptionBudget', 'autoscaling/v2beta2/HorizontalPodAutoscaler']) assert.ok(!keys.has(k), k);
  assert.ok(!keys.has('apps/v1/DeploymentList') && !keys.has('apps/v1/DeleteOptions'));
  const bytes = dirBytes(cacheDir);
  t.diagnostic(`fetch + convert /openapi/v3 of kube-apiserver 1.37: ${ms.toFixed(0)} ms (${first.stats.fetched} documents, ${first.stats.bytesFetched} bytes, ${first.schemas.length} kinds); cache on disk ${bytes} bytes`);
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

test('the cluster beats the bundle: fields and enums of 1.37 that the bundled 1.36 lacks are known and checked', () => {
  const bundledOnly = new SchemaRegistry({ kubernetesVersion: '1.36' });
  const deployment = (protocol: string, mode: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: d }
spec:
  selector: { matchLabels: { app: d } }
  template:
    metadata: { labels: { app: d } }
    spec:
      containers:
        - name: c
          image: nginx
          readinessProbe: { httpGet: { port: 8080, protocol: ${protocol} } }
          livenessProbe: { grpc: { port: 9090, mode: ${mode} } }
`;
  assert.equal(registry.resolve('apps', 'v1', 'Deployment')?.source, 'cluster');
  assert.deepEqual(check(deployment('HTTP2', 'TLS'), bundledOnly), ['schema/unknown-field protocol', 'schema/unknown-field mode'], 'bundled 1.36: no such fields');
  assert.deepEqual(check(deployment('HTTP2', 'TLS')), [], 'the 1.37 cluster knows them');
  assert.deepEqual(check(deployment('HTTP3', 'Plaintext')), ['schema/enum HTTP3'], 'and their enums');
});

test('the apiserver corpus under the cluster schemas: controls clean, every schema rejection flagged (enums included)', () => {
  const dir = join(fixtures, 'apiserver');
  const missed: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const first = text.split('\n', 1)[0];
    const ours = new SchemaValidator({ registry, learnCrds: false }).validateFile(join(dir, f), text).filter((x) => x.severity !== 'info');
    if (/^# server: accept, valid/.test(first)) assert.deepEqual(ours, [], `${f}: valid`);
    else if (/^# server: accept$/.test(first)) assert.ok(ours.length > 0, `${f}: flagged although the server drops it`);
    else if (/^# server: reject$/.test(first) && ours.length === 0) missed.push(f);
  }
  // /openapi/v3 publishes the enums of built-in kinds (service type, pull policy, …): the cluster's schema
  // catches every schema rejection of the corpus, as the bundle does.
  assert.deepEqual(missed, [], 'every schema rejection is flagged');
});

test('descriptions for hover come from the server: built-in fields, 1.37 fields and the CRD\'s own', async () => {
  const withText = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context, descriptions: true });
  assert.equal(fetcher.documentDownloads(), 0, 'the same cached documents, converted with their descriptions');
  fetcher.take();
  const describe = (group: string, version: string, kind: string, path: string[]): string | undefined => {
    const s = withText.schemas.find((x) => x.group === group && x.version === version && x.kind === kind)!.schema as any;
    const resolve = (n: any): any => {
      for (let i = 0; n && i < 20; i++) {
        if (n.$ref) n = s.$defs[String(n.$ref).replace('#/$defs/', '')];
        else if (Array.isArray(n.allOf) && n.allOf.length === 1 && !n.properties) n = { ...n.allOf[0], description: n.description ?? n.allOf[0].description };
        else break;
      }
      return n;
    };
    let node = resolve(s);
    let description: string | undefined;
    for (const key of path) {
      const next = key === '[]' ? node?.items : node?.properties?.[key];
      description = next?.description ?? resolve(next)?.description;
      node = resolve(next);
    }
    return description;
  };
  assert.equal(describe('apps', 'v1', 'Deployment', ['spec', 'replicas']), 'Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.');
  assert.match(describe('apps', 'v1', 'Deployment', ['spec', 'template', 'spec', 'containers', '[]', 'livenessProbe', 'grpc', 'mode']) ?? '', /^mode specifies the connection mode for the gRPC health probe\./);
  assert.equal(describe('live.example.com', 'v1', 'Gadget', ['spec', 'size']), 'How big the gadget is.');
  assert.equal(withText.schemas.length, first.schemas.length);
  const plain = JSON.stringify(first.schemas.find((x) => x.kind === 'Gadget')!.schema);
  assert.ok(!plain.includes('How big the gadget is.'), 'without descriptions: none kept');
});

test('a second load is served from the cache: no document downloaded (the index lists the same hashes), nothing re-registered', async (t) => {
  const generation = registry.generation;
  const t0 = performance.now();
  const again = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const warmMs = performance.now() - t0;
  assert.equal(fetcher.documentDownloads(), 0);
  assert.deepEqual(fetcher.take(), ['/openapi/v3 200'], 'only the index: its hashes are those of the documents converted before');
  assert.equal(again.stats.fetched, 0);
  assert.equal(again.stats.fromMemory, first.stats.documents);
  assert.equal(again.fingerprint, first.fingerprint);
  assert.deepEqual(registerClusterSchemas(registry, again), { registered: 0, total: first.schemas.length });
  assert.equal(registry.generation, generation, 'compiled validators stay');

  clearClusterSchemaMemory(); // as after a restart: the document comes from disk
  const t1 = performance.now();
  const fromDisk = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const diskMs = performance.now() - t1;
  assert.deepEqual(fetcher.take(), ['/openapi/v3 200']);
  assert.equal(fromDisk.stats.fromDisk, first.stats.documents);
  assert.equal(fromDisk.schemas.length, first.schemas.length);
  assert.deepEqual(registerClusterSchemas(registry, fromDisk).registered, 0, 'same document: nothing to re-register');
  t.diagnostic(`cached load: ${warmMs.toFixed(0)} ms with the conversion in memory, ${diskMs.toFixed(0)} ms from disk (both fetch only the /openapi/v3 index)`);
});

test('a new CRD changes the hash of its group-version: only that document is downloaded again, only the kinds that differ are re-registered', async () => {
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
  assert.equal(next!.stats.fetched, 1, 'apis/live.example.com/v1 only');
  assert.ok(unhashed(fetcher.take()).slice(-2).join(',') === '/openapi/v3 200,/openapi/v3/apis/live.example.com/v1?hash=… 200');
  assert.deepEqual(registerClusterSchemas(registry, next!), { registered: 1, total: first.schemas.length + 1 });
  assert.deepEqual(check('apiVersion: live.example.com/v1\nkind: Doohickey\nmetadata: { name: d }\nspec: { size: tiny }\n'), ['schema/enum tiny']);
  fetcher.take();
});

test('a server without /openapi/v3 (as before 1.24): the same server\'s /openapi/v2 is fetched, converted, checked and revalidated with a 304', async (t) => {
  // The document is the real server's /openapi/v2; only /openapi/v3 answers 404, as on 1.20-1.23.
  const real = kubeconfigFetcher(cluster.kubeconfig, cluster.context);
  const v2Only = new CountingFetcher({
    server: real.server,
    get: (path, signal, options) => (path.startsWith('/openapi/v3') ? Promise.resolve({ status: 404, body: '404 page not found\n' }) : real.get(path, signal, options)),
  });
  const v2Cache = join(tmpRoot, 'v2-cache');
  const t0 = performance.now();
  const v2 = await loadClusterSchemas({ fetcher: v2Only, cacheDir: v2Cache, context: cluster.context });
  const ms = performance.now() - t0;
  assert.equal(v2.source, 'openapi-v2');
  assert.deepEqual(v2.errors, []);
  assert.deepEqual(v2Only.take(), ['/openapi/v3 404', '/openapi/v2 200']);
  const kinds = (r: ClusterSchemaResult) => r.schemas.map((s) => `${s.group}/${s.version}/${s.kind}`).sort();
  const v3 = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  fetcher.take();
  const inV2 = new Set(kinds(v2));
  const inV3 = new Set(kinds(v3));
  // The same kinds, but for three that exist only as subresources (pods/eviction, serviceaccounts/token, */scale):
  // v3 describes them in the document of the resource's group-version, not of their own, so no file kind comes of them.
  assert.deepEqual({ onlyV2: [...inV2].filter((k) => !inV3.has(k)), onlyV3: [...inV3].filter((k) => !inV2.has(k)) },
    { onlyV2: ['authentication.k8s.io/v1/TokenRequest', 'autoscaling/v1/Scale', 'policy/v1/Eviction'], onlyV3: [] });
  const reg = new SchemaRegistry();
  registerClusterSchemas(reg, v2);
  assert.equal(reg.resolve('', 'v1', 'Service')?.source, 'cluster');
  const service = readFileSync(join(fixtures, 'apiserver', 'service-type.yaml'), 'utf8');
  assert.ok(check(service, reg).some((f) => f.startsWith('schema/enum ')), 'the enums are in /openapi/v2 of a current server too');
  assert.deepEqual(check('apiVersion: live.example.com/v1\nkind: Gadget\nmetadata: { name: g }\nspec: { size: huge, colour: red }\n', reg), ['schema/enum huge', 'schema/unknown-field colour']);
  const again = await loadClusterSchemas({ fetcher: v2Only, cacheDir: v2Cache, context: cluster.context });
  assert.deepEqual(v2Only.take(), ['/openapi/v3 404', '/openapi/v2 304 (If-None-Match)']);
  assert.equal(again.stats.notModified, 1);
  assert.equal(again.fingerprint, v2.fingerprint);
  real.dispose();
  t.diagnostic(`fetch + convert /openapi/v2 of the same server: ${ms.toFixed(0)} ms (${v2.stats.bytesFetched} bytes, ${v2.schemas.length} kinds)`);
});

test('credentials and RBAC: the viewer reads /openapi/v3 (system:discovery); without that binding it is 403; a wrong token is 401', async (t) => {
  // What the server does for a user without any binding of its own: /openapi/* is allowed to every
  // authenticated user by the system:discovery ClusterRoleBinding.
  const viewerCache = join(tmpRoot, 'viewer-cache');
  const viewer = kubeconfigFetcher(cluster.kubeconfig, cluster.viewerContext);
  const asViewer = await loadClusterSchemas({ fetcher: viewer, cacheDir: viewerCache, context: cluster.viewerContext });
  assert.equal(asViewer.source, 'openapi-v3');
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
  await assert.rejects(kubeconfigFetcher(noCa, cluster.context).get('/openapi/v3'), (e: any) => e.kind === 'tls' && /^TLS: the server certificate is not signed by a trusted CA/.test(e.message));
  const noHost = join(tmpRoot, 'no-host.yaml');
  writeFileSync(noHost, readFileSync(cluster.kubeconfig, 'utf8').replace(cluster.server, 'https://reconcile-nonexistent.invalid:6443'));
  await assert.rejects(kubeconfigFetcher(noHost, cluster.context).get('/openapi/v3'), (e: any) => e.kind === 'dns' && /reconcile-nonexistent\.invalid/.test(e.message));
});

test('offline: with the cluster stopped, the last good answer comes from the cache (source cache, unreachable)', async (t) => {
  const last = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  assert.equal(last.source, 'openapi-v3');
  await cluster.stop();
  clearClusterSchemaMemory();
  const t0 = performance.now();
  const offline = await loadClusterSchemas({ fetcher, cacheDir, context: cluster.context });
  const ms = performance.now() - t0;
  assert.equal(offline.source, 'cache');
  assert.equal(offline.format, 'openapi-v3');
  assert.equal(offline.fetchedAt, last.fetchedAt);
  assert.equal(offline.errors.length, 1);
  assert.equal(offline.errors[0].kind, 'unreachable');
  assert.equal(offline.errors[0].message, `connection refused (${cluster.server})`); // a ClusterError, as drift and plan word it
  assert.equal(offline.schemas.length, last.schemas.length);
  assert.equal(offline.fingerprint, last.fingerprint);
  const reg = new SchemaRegistry();
  registerClusterSchemas(reg, offline);
  assert.deepEqual(check('apiVersion: live.example.com/v1\nkind: Gadget\nmetadata: { name: g }\nspec: { size: huge }\n', reg), ['schema/enum huge']);
  t.diagnostic(`offline load from the disk cache: ${ms.toFixed(0)} ms`);
});
