// Faults, against test/harness/fake-apiserver.mjs: each is classified right and reported by the live
// cache (and the drift results) within 2 s, the cache recovers by itself when the fault is removed, and
// nothing ends as an unhandled promise rejection. Timeouts are shortened: 1 s per request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectToContext, LiveCache, type CacheHealth, type ClusterClient, type ClusterErrorKind } from '../../../src/core/cluster';
import { EnvironmentDrift, summaryLine } from '../../../src/core/drift';

const unhandled: unknown[] = [];
const trap = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', trap);

type Fake = {
  server: string;
  port: number;
  kubeconfig: string;
  setFault(f: object | null): Promise<void>;
  put(o: object): object;
  remove(apiVersion: string, kind: string, ns: string, name: string): boolean;
  requests: Array<{ method: string; path: string; query: string; at: number }>;
  openWatches(): number;
  writeKubeconfig(o: { server?: string; name?: string }): string;
  stop(): Promise<void>;
};

const TIMEOUT_MS = 1000;
const REPORT_WITHIN_MS = 2000;
const cm = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'x' } }, data });
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2 } };
const desired = [
  { object: cm('a', { k: 'v' }), id: { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'a' } },
  { object: deployment, id: { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'default', name: 'web' } },
];

let fake: Fake;
before(async () => {
  const mod = await import(pathToFileURL(join(__dirname, '..', '..', 'harness', 'fake-apiserver.mjs')).href);
  fake = await mod.startFakeApiserver({ objects: [cm('a', { k: 'v' }), deployment] });
});
after(async () => {
  await fake?.stop();
  await new Promise((r) => setTimeout(r, 100));
  process.off('unhandledRejection', trap);
  assert.deepEqual(unhandled, [], 'no unhandled promise rejections');
});

async function setup(opts: { client?: ClusterClient } = {}) {
  const client = opts.client ?? (await connectToContext({ files: [fake.kubeconfig], timeoutMs: TIMEOUT_MS }));
  const cache = new LiveCache(client, { backoff: { initialMs: 100, maxMs: 500 }, timeoutMs: TIMEOUT_MS });
  const drift = new EnvironmentDrift(cache, { environment: 'dev' });
  return {
    client,
    cache,
    drift,
    stop() {
      drift.dispose();
      cache.stop();
      client.dispose();
    },
  };
}

/** Resolves with the health (and elapsed ms) once `pred` holds; fails after `ms`. */
function waitFor(cache: LiveCache, pred: (h: CacheHealth) => boolean, ms: number, what: string): Promise<{ health: CacheHealth; elapsed: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      const h = cache.health();
      if (pred(h)) {
        sub.dispose();
        clearTimeout(timer);
        clearInterval(poll);
        resolve({ health: h, elapsed: performance.now() - t0 });
        return true;
      }
      return false;
    };
    const sub = cache.onHealth(() => check());
    const poll = setInterval(check, 20);
    const timer = setTimeout(() => {
      sub.dispose();
      clearInterval(poll);
      const h = cache.health();
      reject(new Error(`not ${what} within ${ms} ms: ${h.state} ${h.error?.kind ?? ''} ${h.streams.map((s) => `${s.type}:${s.state}:${s.error?.kind ?? ''}`).join(', ')}`));
    }, ms);
    check();
  });
}

const healthy = (h: CacheHealth) => h.state === 'healthy' && h.streams.length > 0 && h.streams.every((s) => s.state === 'watching');

/** A change made now reaches the cache (and the drift result) through the watch. */
async function provesWatching(s: Awaited<ReturnType<typeof setup>>, value: string) {
  const seen = new Promise<number>((resolve) => {
    const sub = s.drift.onDidChange((e) => {
      if (e.keys.includes('/ConfigMap/default/a')) {
        sub.dispose();
        resolve(performance.now());
      }
    });
  });
  const t0 = performance.now();
  fake.put(cm('a', { k: value }));
  const at = await Promise.race([seen, new Promise<number>((_, rej) => setTimeout(() => rej(new Error('watch event not seen within 1 s')), 1000))]);
  const r = s.drift.result('/ConfigMap/default/a');
  assert.equal(r?.status, value === 'v' ? 'in-sync' : 'drifted');
  return at - t0;
}

test('baseline: LIST once per type, WATCH, a change reaches the drift result, stop() ends every watch', async () => {
  const listsBefore = fake.requests.filter((r) => r.method === 'GET' && !r.query.includes('watch') && /configmaps|deployments/.test(r.path)).length;
  const s = await setup();
  try {
    await s.drift.setDesired(desired);
    await waitFor(s.cache, healthy, REPORT_WITHIN_MS, 'healthy');
    const lists = fake.requests.filter((r) => r.method === 'GET' && !r.query.includes('watch') && /configmaps|deployments/.test(r.path)).length - listsBefore;
    assert.equal(lists, 2, 'one LIST per type and namespace');
    assert.equal(summaryLine(s.drift.result('/ConfigMap/default/a')!), '✓ in sync');
    const ms = await provesWatching(s, 'changed');
    assert.ok(ms < 200, `watch event → result in ${ms} ms`);
    await provesWatching(s, 'v');
    assert.equal(fake.openWatches(), 2);
  } finally {
    s.stop();
  }
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fake.openWatches(), 0, 'stop() closed the watches');
});

const faults: Array<{ name: string; fault: object; kind: ClusterErrorKind; state: string; summary: RegExp }> = [
  { name: 'connection refused', fault: { type: 'refuse' }, kind: 'unreachable', state: 'failing', summary: /^\? cluster unreachable: connection refused \(https:\/\/127\.0\.0\.1:\d+\)$/ },
  { name: 'TLS: self-signed certificate not in the CA', fault: { type: 'tls' }, kind: 'tls', state: 'failing', summary: /^\? cluster unreachable: TLS: a self-signed server certificate that is not trusted/ },
  { name: '401', fault: { type: 'status', code: 401 }, kind: 'unauthorized', state: 'failing', summary: /^\? not authorized: the credentials of this context were rejected/ },
  { name: '403', fault: { type: 'status', code: 403 }, kind: 'forbidden', state: 'healthy', summary: /^\? no permission to read (configmaps|deployments\.apps)$/ },
  { name: '500', fault: { type: 'status', code: 500 }, kind: 'server', state: 'failing', summary: /^\? cluster error: server error 500: injected 500$/ },
  { name: '503', fault: { type: 'status', code: 503 }, kind: 'server', state: 'failing', summary: /^\? cluster error: server error 503/ },
  { name: 'slow answers (> the 1 s timeout)', fault: { type: 'slow', delayMs: 3000 }, kind: 'timeout', state: 'failing', summary: /^\? cluster unreachable: no answer within 1 s/ },
];

for (const f of faults) {
  test(`fault: ${f.name} → ${f.kind}, reported within 2 s, recovered when removed`, async () => {
    const s = await setup();
    try {
      await s.drift.setDesired(desired);
      await waitFor(s.cache, healthy, REPORT_WITHIN_MS, 'healthy');
      await fake.setFault(f.fault);
      const { health, elapsed } = await waitFor(s.cache, (h) => h.streams.every((x) => x.error?.kind === f.kind && (x.state === 'error' || x.state === 'forbidden')), REPORT_WITHIN_MS, `reporting ${f.kind}`);
      assert.ok(elapsed < REPORT_WITHIN_MS, `${elapsed} ms`);
      assert.equal(health.error?.kind, f.kind);
      if (f.state === 'failing') assert.equal(health.state, 'failing');
      // The drift results say it (never "missing", never "in sync").
      const line = summaryLine(s.drift.result('/ConfigMap/default/a')!);
      const line2 = summaryLine(s.drift.result('apps/Deployment/default/web')!);
      assert.match(line, f.summary);
      assert.match(line2, f.summary);
      await fake.setFault(null);
      await waitFor(s.cache, healthy, 3000, 'healthy again');
      assert.equal(s.drift.result('/ConfigMap/default/a')?.status, 'in-sync');
      await provesWatching(s, 'after-fault');
      await provesWatching(s, 'v');
    } finally {
      await fake.setFault(null);
      s.stop();
    }
  });
}

test('fault: the cache starts while the server is down, then comes up (no spinner that never ends)', async () => {
  await fake.setFault({ type: 'refuse' });
  const s = await setup();
  try {
    const t0 = performance.now();
    await s.drift.setDesired(desired); // resolves on the first outcome, even a failure
    assert.ok(performance.now() - t0 < REPORT_WITHIN_MS);
    assert.equal(s.cache.health().state, 'failing');
    assert.equal(s.cache.health().error?.kind, 'unreachable');
    assert.match(summaryLine(s.drift.result('/ConfigMap/default/a')!), /^\? cluster unreachable: connection refused/);
    await fake.setFault(null);
    await waitFor(s.cache, healthy, 3000, 'healthy');
    assert.equal(s.drift.result('apps/Deployment/default/web')?.status, 'in-sync');
  } finally {
    await fake.setFault(null);
    s.stop();
  }
});

test('fault: a broken watch (cut mid-stream) is reported as disconnected, data kept, re-listed with backoff, recovered', async () => {
  const s = await setup();
  try {
    await s.drift.setDesired(desired);
    await waitFor(s.cache, healthy, REPORT_WITHIN_MS, 'healthy');
    const listsBefore = fake.requests.filter((r) => r.path.endsWith('/configmaps') && !r.query.includes('watch')).length;
    await fake.setFault({ type: 'broken-watch', afterMs: 50 });
    const { health, elapsed } = await waitFor(s.cache, (h) => h.streams.some((x) => x.state === 'reconnecting' && x.error?.kind === 'disconnected'), REPORT_WITHIN_MS, 'reporting a broken watch');
    assert.ok(elapsed < REPORT_WITHIN_MS);
    assert.equal(health.state, 'degraded');
    assert.match(health.error!.message, /^the watch of (configmaps|deployments) was cut off/);
    // The data is kept meanwhile: results stay meaningful.
    assert.equal(s.drift.result('/ConfigMap/default/a')?.status, 'in-sync');
    await new Promise((r) => setTimeout(r, 1200));
    const relists = fake.requests.filter((r) => r.path.endsWith('/configmaps') && !r.query.includes('watch')).length - listsBefore;
    assert.ok(relists >= 2 && relists <= 8, `re-listed ${relists} times in 1.2 s (capped exponential backoff)`);
    await fake.setFault(null);
    await waitFor(s.cache, healthy, 3000, 'healthy again');
    await provesWatching(s, 'after-broken-watch');
    await provesWatching(s, 'v');
  } finally {
    await fake.setFault(null);
    s.stop();
  }
});

for (const variant of [{ name: 'an ERROR event with a 410 Status', fault: { type: 'gone-watch' } }, { name: 'HTTP 410', fault: { type: 'gone-watch', http: true } }]) {
  test(`fault: 410 Gone on watch (${variant.name}) → re-list, reported as gone, then current again`, async () => {
    const s = await setup();
    try {
      await s.drift.setDesired(desired);
      await waitFor(s.cache, healthy, REPORT_WITHIN_MS, 'healthy');
      const lists = () => fake.requests.filter((r) => r.path.endsWith('/configmaps') && !r.query.includes('watch')).length;
      const before = lists();
      await fake.setFault(variant.fault);
      const { elapsed } = await waitFor(s.cache, (h) => h.streams.some((x) => x.error?.kind === 'gone'), REPORT_WITHIN_MS, 'reporting 410 Gone');
      assert.ok(elapsed < REPORT_WITHIN_MS);
      await waitFor(s.cache, () => lists() > before, REPORT_WITHIN_MS, 're-listed');
      // A change made while the watch keeps failing is picked up by the re-list.
      fake.put(cm('a', { k: 'during-410' }));
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(s.drift.result('/ConfigMap/default/a')?.status, 'drifted');
      await fake.setFault(null);
      await waitFor(s.cache, healthy, 3000, 'healthy again');
      await provesWatching(s, 'v');
    } finally {
      await fake.setFault(null);
      s.stop();
    }
  });
}

test('fault: DNS failure (a .invalid host) → dns, within 2 s', async () => {
  const kubeconfig = fake.writeKubeconfig({ server: `https://reconcile-fake-apiserver.invalid:${fake.port}`, name: 'dns.yaml' });
  const s = await setup({ client: await connectToContext({ files: [kubeconfig], timeoutMs: TIMEOUT_MS }) });
  try {
    const t0 = performance.now();
    await s.drift.setDesired(desired);
    const { health } = await waitFor(s.cache, (h) => h.error?.kind === 'dns', REPORT_WITHIN_MS - (performance.now() - t0), 'reporting dns');
    assert.match(health.error!.message, /^cannot resolve the server's host name \(reconcile-fake-apiserver\.invalid\)$/);
    assert.match(summaryLine(s.drift.result('/ConfigMap/default/a')!), /^\? cluster unreachable: cannot resolve/);
  } finally {
    s.stop();
  }
});

test('fault: DNS failure, then the name resolves again → recovered', async () => {
  let broken = true;
  const lookup = ((hostname: string, options: object, callback: (...a: unknown[]) => void) => {
    if (broken) {
      const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
      process.nextTick(() => callback(e));
      return;
    }
    dnsLookup('127.0.0.1', options, callback as never);
  }) as unknown as LookupFunction;
  const kubeconfig = fake.writeKubeconfig({ server: `https://localhost:${fake.port}`, name: 'localhost.yaml' });
  const s = await setup({ client: await connectToContext({ files: [kubeconfig], timeoutMs: TIMEOUT_MS, lookup }) });
  try {
    await s.drift.setDesired(desired);
    await waitFor(s.cache, (h) => h.error?.kind === 'dns', REPORT_WITHIN_MS, 'reporting dns');
    broken = false;
    await waitFor(s.cache, healthy, 3000, 'healthy after DNS came back');
    assert.equal(s.drift.result('/ConfigMap/default/a')?.status, 'in-sync');
  } finally {
    s.stop();
  }
});

test('a request can be cancelled with an AbortSignal, and a slow one times out at the configured limit', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig], timeoutMs: 300 });
  try {
    const type = (await client.resolve('v1', 'ConfigMap'))!;
    await fake.setFault({ type: 'slow', delayMs: 2000 });
    const t0 = performance.now();
    await assert.rejects(client.list(type, 'default'), (e: Error & { kind?: string }) => e.kind === 'timeout' && /no answer within 300 ms/.test(e.message));
    const took = performance.now() - t0;
    assert.ok(took >= 290 && took < 1000, `${took} ms`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(client.list(type, 'default', { signal: ac.signal, timeoutMs: 5000 }), (e: Error & { kind?: string }) => e.kind === 'aborted');
  } finally {
    await fake.setFault(null);
    client.dispose();
  }
});

test('a watch the server ends normally is reopened from the last resourceVersion, without a new LIST', async () => {
  const client = await connectToContext({ files: [fake.kubeconfig], timeoutMs: TIMEOUT_MS });
  const cache = new LiveCache(client, { backoff: { initialMs: 100, maxMs: 500 }, timeoutMs: TIMEOUT_MS, watchTimeoutSeconds: 1 });
  const drift = new EnvironmentDrift(cache, { environment: 'dev' });
  const s = { client, cache, drift, stop() { drift.dispose(); cache.stop(); client.dispose(); } };
  try {
    const count = (watch: boolean) => fake.requests.filter((r) => r.path.endsWith('/configmaps') && r.query.includes('watch=') === watch).length;
    await drift.setDesired([desired[0]]);
    await waitFor(cache, healthy, REPORT_WITHIN_MS, 'healthy');
    const lists = count(false);
    const watches = count(true);
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(count(false), lists, 'no re-list');
    assert.ok(count(true) >= watches + 2, `watch reopened ${count(true) - watches} times`);
    assert.equal(cache.health().state, 'healthy');
    await provesWatching(s, 'renewed');
    await provesWatching(s, 'v');
  } finally {
    s.stop();
  }
});

test('kinds the cluster does not serve are Missing with a note; objects without a namespace use the default one', async () => {
  const s = await setup();
  try {
    await s.drift.setDesired([
      { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } }, id: { group: '', version: 'v1', kind: 'ConfigMap', name: 'a' } },
      { object: { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'default' } }, id: { group: 'example.com', version: 'v1', kind: 'Gadget', namespace: 'default', name: 'g' } },
    ]);
    const cmResult = s.drift.results().find((r) => r.id.kind === 'ConfigMap')!;
    assert.equal(cmResult.key, '/ConfigMap/default/a');
    assert.equal(cmResult.status, 'in-sync');
    assert.equal(s.drift.result('/ConfigMap//a'), cmResult, 'found by the key as written too');
    const gadget = s.drift.results().find((r) => r.id.kind === 'Gadget')!;
    assert.equal(gadget.status, 'missing');
    assert.equal(summaryLine(gadget), '＋ not in cluster (the cluster does not serve Gadget in example.com/v1)');
    assert.deepEqual(s.cache.health().notServed, ['Gadget example.com/v1']);
    assert.equal(s.cache.health().state, 'healthy');
  } finally {
    s.stop();
  }
});

test('resync() re-lists every stream at once, and track() with fewer types stops the others', async () => {
  const s = await setup();
  try {
    await s.drift.setDesired(desired);
    await waitFor(s.cache, healthy, REPORT_WITHIN_MS, 'healthy');
    const lists = () => fake.requests.filter((r) => /\/(configmaps|deployments)$/.test(r.path) && !r.query.includes('watch=')).length;
    const before = lists();
    s.cache.resync();
    await waitFor(s.cache, healthy, REPORT_WITHIN_MS, 'healthy after resync');
    assert.equal(lists(), before + 2);
    await s.drift.setDesired([desired[0]]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(fake.openWatches(), 1);
    assert.deepEqual(s.cache.health().streams.map((x) => x.kind), ['ConfigMap']);
    assert.deepEqual(s.drift.results().map((r) => r.key), ['/ConfigMap/default/a']);
  } finally {
    s.stop();
  }
});
