// LiveCache.track() and resync() racing each other. These are pure races between the cache's own
// promises (a kind dropped while discovery is in flight, a stream replaced while its first LIST is),
// so the cluster here is a small in-memory ClusterClient whose discovery and LIST answer only when the
// test opens a gate, and which rejects with 'aborted' when a request is cancelled, as the real client
// does. A hang shows as the test's own timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterError, LiveCache, type ApiResourceInfo, type ClusterClient, type ListResult, type RequestOptions } from '../../../src/core/cluster';

interface Gate {
  open(): void;
  wait(signal?: AbortSignal): Promise<void>;
}

function gate(): Gate {
  let opened = false;
  const waiters = new Set<() => void>();
  return {
    open() {
      opened = true;
      for (const w of waiters) w();
      waiters.clear();
    },
    wait(signal?: AbortSignal) {
      if (opened) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = () => {
          signal?.removeEventListener('abort', aborted);
          resolve();
        };
        const aborted = () => {
          waiters.delete(done);
          reject(new ClusterError('aborted', 'cancelled'));
        };
        if (signal?.aborted) return aborted();
        signal?.addEventListener('abort', aborted, { once: true });
        waiters.add(done);
      });
    },
  };
}

const TYPES: Record<string, ApiResourceInfo> = {
  ConfigMap: { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true, verbs: ['list', 'watch'] },
  Secret: { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true, verbs: ['list', 'watch'] },
};

/** Discovery and LIST per kind wait for that kind's gate; a watch stays open until aborted. */
function gatedClient(): { client: ClusterClient; resolveGate: Record<string, Gate>; listGate: Record<string, Gate>; lists: string[] } {
  const resolveGate: Record<string, Gate> = { ConfigMap: gate(), Secret: gate() };
  const listGate: Record<string, Gate> = { ConfigMap: gate(), Secret: gate() };
  const lists: string[] = [];
  const client: ClusterClient = {
    server: 'https://127.0.0.1:1',
    async resources() {
      return Object.values(TYPES);
    },
    async resolve(_apiVersion: string, kind: string, opts?: RequestOptions) {
      await resolveGate[kind].wait(opts?.signal);
      return TYPES[kind];
    },
    async list(type: ApiResourceInfo, _ns: string | undefined, opts?: RequestOptions): Promise<ListResult> {
      lists.push(type.kind);
      await listGate[type.kind].wait(opts?.signal);
      return { items: [], resourceVersion: '1', bytes: 0 };
    },
    async watch(_type, _ns, _rv, _onEvent, opts) {
      await new Promise<void>((resolve) => {
        if (opts?.signal?.aborted) return resolve();
        opts?.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    },
    async get() {
      throw new ClusterError('not-found', 'not found');
    },
    async serverSideApply(o) {
      return o;
    },
    async jsonPatch() {
      throw new ClusterError('not-found', 'not found');
    },
    async delete() {},
    invalidateDiscovery() {},
    dispose() {},
  };
  return { client, resolveGate, listGate, lists };
}

const cm = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'default' };
const secret = { group: '', version: 'v1', kind: 'Secret', namespace: 'default' };

test('track() resolves when a later track() drops a kind that is still resolving', { timeout: 10_000 }, async () => {
  const { client, resolveGate, listGate } = gatedClient();
  const cache = new LiveCache(client);
  try {
    resolveGate.ConfigMap.open();
    listGate.ConfigMap.open();
    // Secret's discovery never answers before the second track() drops it.
    const first = cache.track([cm, secret]);
    const second = cache.track([cm]);
    await second;
    await first; // hung forever before: it waited for the dropped kind's discovery
    assert.deepEqual(cache.health().kinds.map((k) => k.kind), ['ConfigMap']);
    assert.equal(cache.lookup({ ...cm, name: 'x' }).state, 'absent');
  } finally {
    cache.stop();
  }
});

test('resync() during a first LIST: track() waits for the new stream and resolves when it lists', { timeout: 10_000 }, async () => {
  const { client, resolveGate, listGate, lists } = gatedClient();
  const cache = new LiveCache(client);
  try {
    resolveGate.ConfigMap.open();
    const tracking = cache.track([cm]);
    // Wait until the first LIST is in flight, then replace the stream.
    while (!lists.includes('ConfigMap')) await new Promise((r) => setImmediate(r));
    cache.resync();
    listGate.ConfigMap.open();
    await tracking; // hung forever before: it waited for the aborted stream's first outcome
    assert.equal(lists.length, 2, 'the replaced stream listed again');
    const l = cache.lookup({ ...cm, name: 'x' });
    assert.equal(l.state, 'absent');
    assert.equal('stale' in l && l.stale, false, 'track() resolved only once the new stream had listed (not while it was re-listing)');
  } finally {
    cache.stop();
  }
});

test('settled() resolves when a kind is dropped while resolving', { timeout: 10_000 }, async () => {
  const { client, resolveGate, listGate } = gatedClient();
  const cache = new LiveCache(client);
  try {
    resolveGate.ConfigMap.open();
    listGate.ConfigMap.open();
    void cache.track([cm, secret]);
    const settled = cache.settled();
    await cache.track([cm]);
    await settled;
    assert.equal(cache.health().state, 'healthy');
  } finally {
    cache.stop();
  }
});
