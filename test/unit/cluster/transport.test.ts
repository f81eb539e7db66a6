// The one cluster transport (HttpClusterClient) against test/harness/fake-apiserver.mjs and the CONNECT
// proxy of test/harness/connect-proxy.mjs: throttling (429, 503 with Retry-After) retried within
// bounds, aborts honoured after every await, the request timeout is the wait for the headers (a slow
// body has its own idle limit), resets, kubeconfig merge across files, proxies (proxy-url,
// HTTPS_PROXY, NO_PROXY) used by drift, plan and schemas alike, and a cluster lost in the middle of a
// plan. No assertion on durations: counts of requests and tunnels, kinds and messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ClusterError,
  HttpClusterClient,
  LiveCache,
  connectToContext,
  noProxyMatches,
  parseRetryAfter,
  proxyFor,
  type ApiResourceInfo,
  type RawObject,
} from '../../../src/core/cluster';
import { desiredFromDocuments } from '../../../src/core/drift';
import { resourceIdOf } from '../../../src/core/manifest';
import { clearClusterSchemaMemory, kubeconfigFetcher, loadClusterSchemas } from '../../../src/core/schema/live';
import { planEnvironment } from '../../../src/core/sync';
import { ContextSchemas } from '../../../src/server/context-schemas';

type Entry = { method: string; path: string; query: string; status: number };
type Fake = {
  server: string;
  port: number;
  token: string;
  caFile: string;
  kubeconfig: string;
  requests: Entry[];
  setFault(f: object | null): Promise<void>;
  onRequest(fn: ((e: Entry) => void) | null): void;
  writeKubeconfig(o: { server?: string; name?: string; tokenValue?: string; proxyUrl?: string; tlsServerName?: string }): string;
  stop(): Promise<void>;
};
type Proxy = { url: string; port: number; tunnels: { target: string; ok: boolean; status: number }[]; stop(): Promise<void> };

const harness = (name: string) => pathToFileURL(join(__dirname, '..', '..', 'harness', name)).href;
const cm = (name: string): RawObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'x' } }, data: { k: name } });
const CONFIGMAPS: ApiResourceInfo = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, verbs: [] };
const envOf = (objects: RawObject[]) => ({ set: desiredFromDocuments(objects.map((object) => ({ object, id: resourceIdOf(object) }))), failures: [] });
const planOpts = { environment: 'dev', namespaces: ['default'], pruneKinds: [] };

let fake: Fake;
let dir: string;
const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reconcile-transport-'));
  const { startFakeApiserver } = await import(harness('fake-apiserver.mjs'));
  fake = await startFakeApiserver({ objects: [cm('a'), cm('b')] });
});
after(async () => {
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

const requestsTo = (path: string, since = 0) => fake.requests.slice(since).filter((r) => r.path === path);
const CM_A = '/api/v1/namespaces/default/configmaps/a';

async function withFault<T>(fault: object, fn: () => Promise<T>): Promise<T> {
  await fake.setFault(fault);
  try {
    return await fn();
  } finally {
    await fake.setFault(null);
  }
}

// ---- throttling ----------------------------------------------------------------------------------

test('Retry-After: delay-seconds and HTTP dates; anything else is not understood', () => {
  const now = Date.parse('Mon, 07 Dec 2026 20:00:00 GMT');
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(' 120 ', now), 120_000);
  assert.equal(parseRetryAfter('Mon, 07 Dec 2026 20:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Mon, 07 Dec 2026 19:59:00 GMT', now), 0, 'a date in the past: at once');
  assert.equal(parseRetryAfter(['2', '9'], now), 2000);
  for (const bad of [undefined, '', '-1', '1.5', 'soon', '12:00']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
});

test('429 and 503 with Retry-After are sent again until they pass; 503 without Retry-After is not', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig] });
  try {
    let since = fake.requests.length;
    const a = await withFault({ type: 'throttle', count: 2, code: 429, retryAfter: '0' }, () => client.get(CONFIGMAPS, 'default', 'a'));
    assert.equal((a.metadata as { name: string }).name, 'a');
    assert.deepEqual(requestsTo(CM_A, since).map((r) => r.status), [429, 429, 200]);

    since = fake.requests.length;
    await withFault({ type: 'throttle', count: 1, code: 503, retryAfter: new Date(Date.now() - 60_000).toUTCString() }, () => client.get(CONFIGMAPS, 'default', 'a'));
    assert.deepEqual(requestsTo(CM_A, since).map((r) => r.status), [503, 200], 'an HTTP date in the past: retried at once');

    since = fake.requests.length;
    await withFault({ type: 'throttle', count: 1, code: 503 }, () =>
      assert.rejects(client.get(CONFIGMAPS, 'default', 'a'), (e: unknown) => e instanceof ClusterError && e.kind === 'server' && e.status === 503),
    );
    assert.equal(requestsTo(CM_A, since).length, 1, 'a 503 without Retry-After may have been processed: not sent again');
  } finally {
    client.dispose();
  }
});

test('throttling is retried within bounds: attempts, and the total wait the server may ask for', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig], retry: { attempts: 4, maxWaitMs: 10_000 } });
  try {
    let since = fake.requests.length;
    await withFault({ type: 'throttle', count: Infinity, code: 429, retryAfter: '0' }, () =>
      assert.rejects(client.get(CONFIGMAPS, 'default', 'a'), (e: unknown) => {
        assert.ok(e instanceof ClusterError);
        assert.equal(e.kind, 'server');
        assert.match(e.message, /^the server is overloaded \(429 Too Many Requests\): Too many requests, please try again later\.; still throttled \(429\) after 4 attempts$/);
        assert.equal(e.details.attempts, 4);
        return true;
      }),
    );
    assert.equal(requestsTo(CM_A, since).length, 4);

    since = fake.requests.length;
    await withFault({ type: 'throttle', count: Infinity, code: 429, retryAfter: '3600' }, () =>
      assert.rejects(client.get(CONFIGMAPS, 'default', 'a'), (e: unknown) => e instanceof ClusterError && /asks to retry after 3600 s, beyond the 10 s a request may wait$/.test(e.message) && e.details.retryAfterMs === 3_600_000),
    );
    assert.equal(requestsTo(CM_A, since).length, 1, 'an hour is not waited for');

    // A wait the caller cancels ends at once, as ClusterError('aborted').
    since = fake.requests.length;
    const ac = new AbortController();
    fake.onRequest((e) => {
      if (e.path === CM_A) setImmediate(() => ac.abort());
    });
    await withFault({ type: 'throttle', count: Infinity, code: 429, retryAfter: '5' }, () =>
      assert.rejects(client.get(CONFIGMAPS, 'default', 'a', { signal: ac.signal }), (e: unknown) => e instanceof ClusterError && e.kind === 'aborted'),
    );
    fake.onRequest(null);
    assert.equal(requestsTo(CM_A, since).length, 1);
  } finally {
    client.dispose();
  }
});

test('a plan of 8 concurrent dry-runs under priority-and-fairness throttling fails no item', async () => {
  const objects = Array.from({ length: 8 }, (_, i) => cm(`throttled-${i}`));
  const client = await connectToContext({ files: [fake.kubeconfig] });
  try {
    const since = fake.requests.length;
    const plan = await withFault({ type: 'throttle', count: 8, code: 429, retryAfter: '0', method: 'PATCH' }, () => planEnvironment(client, envOf(objects), { ...planOpts, concurrency: 8 }));
    assert.equal(plan.counts.failed, 0, plan.items.map((i) => i.failure?.message).filter(Boolean).join('; '));
    assert.equal(plan.counts.create, 8);
    const patches = fake.requests.slice(since).filter((r) => r.method === 'PATCH');
    assert.equal(patches.filter((r) => r.status === 429).length, 8);
    assert.equal(patches.filter((r) => r.status === 201).length, 8);
  } finally {
    client.dispose();
  }
});

// ---- losing the cluster mid-plan -----------------------------------------------------------------

test('the cluster lost in the middle of a plan: one "cluster unreachable" error, not one failed item per remaining resource', async () => {
  const objects = Array.from({ length: 24 }, (_, i) => cm(`lost-${i}`));
  const client = await connectToContext({ files: [fake.kubeconfig] });
  const progress: string[] = [];
  try {
    await withFault({ type: 'die', after: 3, method: 'PATCH' }, () =>
      assert.rejects(planEnvironment(client, envOf(objects), { ...planOpts, concurrency: 2, onProgress: (p) => progress.push(p.item.action) }), (e: unknown) => {
        assert.ok(e instanceof ClusterError, String(e));
        assert.equal(e.kind, 'unreachable');
        assert.match(e.message, /^cluster unreachable in the middle of the plan: /);
        return true;
      }),
    );
    assert.ok(progress.length <= 4, `planned before the loss: ${progress.length}`);
    assert.ok(!progress.includes('failed'), 'no item reported as failed');
  } finally {
    client.dispose();
  }
});

// ---- aborts and timeouts -------------------------------------------------------------------------

test('aborted while the credentials are got: no request is sent, and no watch starts', async () => {
  const ca = readFileSync(fake.caFile);
  let ac = new AbortController();
  const client = new HttpClusterClient({
    server: fake.server,
    auth: {
      async auth() {
        ac.abort(); // e.g. the user cancelled while an exec plugin ran
        return { headers: { Authorization: `Bearer ${fake.token}` }, ca };
      },
    },
  });
  try {
    const since = fake.requests.length;
    await client.watch(CONFIGMAPS, 'default', '1', () => assert.fail('no event'), { signal: ac.signal, timeoutSeconds: 1 });
    ac = new AbortController();
    await assert.rejects(client.list(CONFIGMAPS, 'default', { signal: ac.signal }), (e: unknown) => e instanceof ClusterError && e.kind === 'aborted');
    assert.deepEqual(fake.requests.slice(since), [], 'nothing reached the server');
  } finally {
    client.dispose();
  }
});

test('the request timeout is the wait for the headers: a page whose body streams in slowly is read; a stalled body times out', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig], timeoutMs: 1000 });
  const stalling = await connectToContext({ files: [fake.kubeconfig], timeoutMs: 1000, bodyIdleTimeoutMs: 200 });
  try {
    // Headers at once, the body over 2.5 s: longer than the 1 s request timeout in all.
    const list = await withFault({ type: 'slow-body', holdMs: 2500, chunks: 5 }, () => client.list(CONFIGMAPS, 'default'));
    assert.deepEqual(list.items.map((o) => (o.metadata as { name: string }).name).sort(), ['a', 'b']);
    // The body pauses 1.5 s between its two pieces: more than the 200 ms idle limit.
    await withFault({ type: 'slow-body', holdMs: 3000, chunks: 2 }, () =>
      assert.rejects(stalling.list(CONFIGMAPS, 'default'), (e: unknown) => e instanceof ClusterError && e.kind === 'timeout' && /^the answer stalled: no data for 200 ms while reading it/.test(e.message)),
    );
  } finally {
    client.dispose();
    stalling.dispose();
  }
});

test('resets: a kept-alive connection cut before the answer is sent again; a new one cut is unreachable', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig] });
  try {
    await client.resources('', 'v1'); // discovery is cached from now on
    await fake.setFault({ type: 'reset', count: 1, method: 'GET' }); // (drops every connection)
    await client.serverSideApply(cm('a'), { fieldManager: 'test', dryRun: true }); // a PATCH: a new kept-alive connection
    const since = fake.requests.length;
    await client.get(CONFIGMAPS, 'default', 'a'); // on that connection: cut, sent again
    assert.deepEqual(requestsTo(CM_A, since).map((r) => r.status), [-1, 200]);
    await fake.setFault(null);
    const fresh = await connectToContext({ files: [fake.kubeconfig] });
    await withFault({ type: 'reset', count: 1 }, () => assert.rejects(fresh.get(CONFIGMAPS, 'default', 'a'), (e: unknown) => e instanceof ClusterError && e.kind === 'unreachable'));
    fresh.dispose();
  } finally {
    client.dispose();
  }
});

// ---- kubeconfig: kubectl's merge -------------------------------------------------------------------

test('kubeconfig files are merged as kubectl merges them, for connections and for the language server', async () => {
  // The first file sets current-context and the user; the second defines the cluster and the context,
  // and a user of the same name with a wrong token (which must lose: the first file to set a name wins).
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  writeFileSync(a, `current-context: fake\nusers:\n- name: fake\n  user: {token: ${JSON.stringify(fake.token)}}\n`);
  writeFileSync(b, readFileSync(fake.kubeconfig, 'utf8').replace(/current-context: fake\n/, 'current-context: nope\n').replace(/token: .*/, 'token: "wrong"'));
  const client = await connectToContext({ files: [a, b] });
  assert.equal(client.context, 'fake');
  assert.equal((await client.get(CONFIGMAPS, 'default', 'a')).kind, 'ConfigMap');
  client.dispose();

  const storage = mkdtempSync(join(dir, 'ls-'));
  const logs: string[] = [];
  const schemas = new ContextSchemas({}, storage, () => [], (m) => logs.push(m), () => {});
  schemas.configureCluster({ kubeconfigFiles: [a, b], currentContext: 'fake', fileContexts: {} });
  await schemas.ready();
  const status = schemas.status('fake');
  assert.equal(status?.source, 'openapi-v2', logs.join('\n'));
  assert.ok(status?.schemas.some((s) => s.kind === 'ConfigMap'));
});

// ---- proxies -------------------------------------------------------------------------------------

test('NO_PROXY and HTTPS_PROXY as Go reads them; proxy-url wins and ignores NO_PROXY; SOCKS is refused clearly', () => {
  const cases: [string, string, string, boolean][] = [
    ['api.example.com', '443', '*', true],
    ['api.example.com', '443', 'example.com', true],
    ['example.com', '443', 'example.com', true],
    ['notexample.com', '443', 'example.com', false],
    ['api.example.com', '443', '.example.com', true],
    ['example.com', '443', '.example.com', false],
    ['api.example.com', '443', '*.example.com', true],
    ['api.example.com', '6443', 'example.com:443', false],
    ['api.example.com', '6443', 'other.org, EXAMPLE.com:6443', true],
    ['10.1.2.3', '6443', '10.0.0.0/8', true],
    ['11.1.2.3', '6443', '10.0.0.0/8', false],
    ['10.1.2.3', '6443', '10.1.2.3', true],
    ['fd00::1', '6443', '[fd00::1]:6443', true],
    ['api.example.com', '443', '', false],
  ];
  for (const [host, port, noProxy, want] of cases) assert.equal(noProxyMatches(host, port, noProxy), want, `${host}:${port} vs ${noProxy}`);

  const env = { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: '.internal' };
  const href = (u: URL | undefined) => u?.href;
  assert.equal(href(proxyFor(new URL('https://k8s.example.com:6443'), { env })), 'http://proxy.corp:3128/');
  assert.equal(href(proxyFor(new URL('https://k8s.internal:6443'), { env })), undefined);
  assert.equal(href(proxyFor(new URL('https://127.0.0.1:6443'), { env })), undefined, 'loopback is never proxied from the environment');
  assert.equal(href(proxyFor(new URL('https://k8s.example.com'), { env: { https_proxy: 'proxy.corp:8080' } })), 'http://proxy.corp:8080/');
  assert.equal(href(proxyFor(new URL('http://k8s.example.com'), { env })), undefined, 'HTTPS_PROXY is for https servers');
  assert.equal(href(proxyFor(new URL('https://k8s.internal:6443'), { env, proxyUrl: 'http://p.example:1' })), 'http://p.example:1/', 'proxy-url applies to every request');
  assert.throws(() => proxyFor(new URL('https://k8s.example.com'), { proxyUrl: 'socks5://127.0.0.1:1080' }), (e: unknown) => e instanceof ClusterError && e.kind === 'config' && /SOCKS proxies \(socks5:\/\/127\.0\.0\.1:1080\) are not supported/.test(e.message));
});

test('drift, plan and schemas all go through the cluster\'s proxy-url (CONNECT tunnels counted by the proxy)', async () => {
  const { startConnectProxy } = await import(harness('connect-proxy.mjs'));
  const proxy: Proxy = await startConnectProxy();
  const kubeconfig = fake.writeKubeconfig({ name: 'proxied.yaml', proxyUrl: proxy.url });
  const target = `127.0.0.1:${fake.port}`;
  try {
    // drift: the live cache's LIST
    let before = proxy.tunnels.length;
    const driftClient = await connectToContext({ files: [kubeconfig] });
    const cache = new LiveCache(driftClient, { watch: false });
    const idA = resourceIdOf(cm('a'))!;
    await cache.track([idA]);
    assert.equal(cache.lookup(idA).state, 'found');
    cache.stop();
    driftClient.dispose();
    assert.ok(proxy.tunnels.length > before, 'drift went through the proxy');

    // plan: discovery, LIST and dry-runs
    before = proxy.tunnels.length;
    const planClient = await connectToContext({ files: [kubeconfig] });
    const plan = await planEnvironment(planClient, envOf([cm('a'), cm('via-proxy')]), planOpts);
    planClient.dispose();
    assert.deepEqual([plan.counts.failed, plan.counts.create], [0, 1]);
    assert.ok(proxy.tunnels.length > before, 'plan went through the proxy');

    // schemas: /openapi/v3 (404 here), then /openapi/v2
    before = proxy.tunnels.length;
    clearClusterSchemaMemory();
    const fetcher = kubeconfigFetcher([kubeconfig], 'fake');
    const schemas = await loadClusterSchemas({ fetcher, cacheDir: join(dir, 'schema-cache'), context: 'fake' });
    fetcher.dispose();
    assert.equal(schemas.source, 'openapi-v2', schemas.errors.map((e) => e.message).join('; '));
    assert.ok(proxy.tunnels.length > before, 'schemas went through the proxy');

    assert.ok(proxy.tunnels.every((t) => t.target === target && t.ok), JSON.stringify(proxy.tunnels));
  } finally {
    await proxy.stop();
  }
});

test('HTTPS_PROXY: the proxy resolves the server name (the client never does); NO_PROXY connects directly; proxy credentials', async () => {
  const { startConnectProxy } = await import(harness('connect-proxy.mjs'));
  const proxy: Proxy = await startConnectProxy({ hosts: { 'kube.reconcile.test': '127.0.0.1' } });
  const guarded: Proxy = await startConnectProxy({ auth: 'me:s3cret' });
  const lookups: string[] = [];
  const lookup = ((host: string, _o: unknown, cb: (e: Error | null) => void) => {
    lookups.push(host);
    cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
  }) as unknown as LookupFunction;
  const named = fake.writeKubeconfig({ name: 'named.yaml', server: `https://kube.reconcile.test:${fake.port}`, tlsServerName: 'localhost' });
  try {
    const viaEnv = await connectToContext({ files: [named], env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'localhost,.corp' }, lookup });
    assert.equal((await viaEnv.get(CONFIGMAPS, 'default', 'b')).kind, 'ConfigMap');
    viaEnv.dispose();
    assert.deepEqual(proxy.tunnels.map((t) => t.target), [`kube.reconcile.test:${fake.port}`]);
    assert.deepEqual(lookups, []);

    const direct = await connectToContext({ files: [named], env: { HTTPS_PROXY: proxy.url, no_proxy: 'reconcile.test' }, lookup });
    await assert.rejects(direct.get(CONFIGMAPS, 'default', 'b'), (e: unknown) => e instanceof ClusterError && e.kind === 'dns');
    direct.dispose();
    assert.equal(proxy.tunnels.length, 1, 'NO_PROXY: not through the proxy');
    assert.deepEqual(lookups, ['kube.reconcile.test']);

    const withAuth = await connectToContext({ files: [fake.writeKubeconfig({ name: 'auth.yaml', proxyUrl: guarded.url.replace('http://', 'http://me:s3cret@') })] });
    assert.equal((await withAuth.get(CONFIGMAPS, 'default', 'a')).kind, 'ConfigMap');
    withAuth.dispose();
    const noAuth = await connectToContext({ files: [fake.writeKubeconfig({ name: 'noauth.yaml', proxyUrl: guarded.url })] });
    await assert.rejects(noAuth.get(CONFIGMAPS, 'default', 'a'), (e: unknown) => e instanceof ClusterError && e.kind === 'unreachable' && /^proxy http:\/\/127\.0\.0\.1:\d+: CONNECT refused: 407 Proxy Authentication Required/.test(e.message) && !e.message.includes('s3cret'));
    noAuth.dispose();
    assert.deepEqual(guarded.tunnels.map((t) => t.status), [200, 407]);

    await assert.rejects(connectToContext({ files: [fake.writeKubeconfig({ name: 'socks.yaml', proxyUrl: 'socks5://127.0.0.1:1080' })] }), (e: unknown) => e instanceof ClusterError && e.kind === 'config' && /not supported/.test(e.message));
  } finally {
    await proxy.stop();
    await guarded.stop();
  }
});
