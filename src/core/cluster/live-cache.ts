// The live state of the resource types an environment uses, kept current by LIST + WATCH.
//
// - One LIST per resource type and namespace (or one cluster-wide LIST), never one GET per object.
// - Then a WATCH from the list's resourceVersion; a watch the server ends normally is reopened from
//   the last resourceVersion seen; 410 Gone re-lists; a broken watch or a failed list is retried with
//   capped exponential backoff, and the state says so (`health()`, `onHealth`).
// - A type the credentials may not list is `forbidden`: lookups say so, never "absent".
// - Objects are kept as the raw JSON the server sent; `stats()` estimates their size.
// - `stop()` ends every watch and timer (call it when nothing shows the environment any more).
import { resourceKey, type ResourceId } from '../manifest/identity';
import { Emitter, type Disposable } from './emitter';
import { ClusterError } from './errors';
import { sleep } from '../util/abort';
import type { ApiResourceInfo, ClusterClient, RawObject, WatchEvent } from './types';

export interface LiveCacheOptions {
  /** Retry delays after a failure: first delay and cap (ms). Defaults 250 ms and 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Timeout of LIST and discovery requests (ms); the client's default when absent. */
  timeoutMs?: number;
  /** A namespaced type is listed per namespace up to this many namespaces, cluster-wide beyond. Default 8. */
  maxNamespacesPerType?: number;
  /** Namespace of namespaced objects that name none (the context's namespace). Default `default`. */
  defaultNamespace?: string;
  /** Namespaces always listed for the tracked namespaced types (the environment's own namespaces). */
  namespaces?: string[];
  /** How long the server keeps a watch open before it is renewed (s). Default 300–360 s. */
  watchTimeoutSeconds?: number;
  /** false: LIST only, no WATCH (a one-shot check such as the CLI's). Default true. */
  watch?: boolean;
}

export type StreamState =
  | 'listing' // first LIST in flight
  | 'watching' // listed, watch open: current
  | 'listed' // listed, watch opening
  | 'resyncing' // 410 Gone: re-listing, data kept meanwhile
  | 'reconnecting' // the watch broke: re-listing after a delay, data kept meanwhile
  | 'forbidden' // RBAC: may not list
  | 'error' // the last LIST failed: data (if any) is not trusted
  | 'stopped';

export interface StreamHealth {
  /** `deployments.apps/v1`. */
  type: string;
  group: string;
  version: string;
  kind: string;
  resource: string;
  /** Undefined for cluster-wide streams. */
  namespace?: string;
  state: StreamState;
  error?: ClusterError;
  /** Time of the state change (ms since epoch). */
  since: number;
  objects: number;
  lists: number;
}

export type CacheState = 'idle' | 'starting' | 'healthy' | 'degraded' | 'failing' | 'stopped';

/** A tracked kind: whether the cluster serves it (discovery). */
export interface KindHealth {
  group: string;
  version: string;
  kind: string;
  state: 'resolving' | 'resolved' | 'not-served' | 'error';
  error?: ClusterError;
}

export interface CacheHealth {
  state: CacheState;
  /** The most telling error (failing before forbidden before reconnecting), for a status line. */
  error?: ClusterError;
  kinds: KindHealth[];
  streams: StreamHealth[];
  /** Kinds the cluster does not serve (`HelmRelease helm.toolkit.fluxcd.io/v2`). */
  notServed: string[];
}

export type LiveLookup =
  | { state: 'found'; object: RawObject; type: ApiResourceInfo; stale?: boolean }
  | { state: 'absent'; type: ApiResourceInfo; stale?: boolean }
  /** The cluster serves no such kind in that apiVersion. */
  | { state: 'not-served'; apiVersion: string; kind: string }
  /** The first LIST has not finished yet. */
  | { state: 'pending' }
  /** forbidden, or the last LIST failed (unreachable, timeout, …). */
  | { state: 'unavailable'; error: ClusterError; type?: ApiResourceInfo }
  /** Not tracked: pass it to track() first. */
  | { state: 'untracked' };

export interface LiveChange {
  /** resourceKey()s of the objects that were added, changed or deleted. */
  keys: string[];
  /** performance.now() when the change arrived (for latency measurements). */
  at: number;
  cause: 'list' | 'watch';
}

export interface LiveObject {
  key: string;
  object: RawObject;
  type: ApiResourceInfo;
}

export interface CacheStats {
  objects: number;
  /** Estimated bytes of the JSON the objects came as (≈ the memory of their raw form). */
  approxBytes: number;
  streams: number;
  lists: number;
  watchEvents: number;
}

const DEFAULT_INITIAL_MS = 250;
const DEFAULT_MAX_MS = 30_000;

function gvkKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

interface Entry {
  object: RawObject;
  bytes: number;
}

interface Stream {
  id: string;
  type: ApiResourceInfo;
  namespace?: string;
  state: StreamState;
  error?: ClusterError;
  since: number;
  items: Map<string, Entry>; // by resourceKey
  bytes: number;
  lists: number;
  failures: number;
  abort: AbortController;
  firstOutcome: Promise<void>;
  settleFirst: () => void;
}

interface KindTracker {
  key: string;
  group: string;
  version: string;
  kind: string;
  /** resolved type; undefined while resolving or when not served */
  type?: ApiResourceInfo;
  state: 'resolving' | 'resolved' | 'not-served' | 'error';
  error?: ClusterError;
  namespaces: Set<string>;
  streams: Map<string, Stream>;
  abort: AbortController;
  /** Settles once the kind resolved, failed, was found not served, or was stopped. */
  resolved: Promise<void>;
  settleResolved: () => void;
}

export class LiveCache {
  private readonly kinds = new Map<string, KindTracker>();
  private readonly changeEmitter = new Emitter<LiveChange>();
  private readonly healthEmitter = new Emitter<CacheHealth>();
  private stopped = false;
  private watchEvents = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxNamespaces: number;
  private readonly defaultNamespace: string;
  private lastHealthSignature = '';

  /** Objects added, changed or deleted (after a LIST or a watch event). */
  readonly onChange: (listener: (e: LiveChange) => void) => Disposable = this.changeEmitter.event;
  /** The health changed (a stream changed state). */
  readonly onHealth: (listener: (h: CacheHealth) => void) => Disposable = this.healthEmitter.event;

  constructor(readonly client: ClusterClient, private readonly options: LiveCacheOptions = {}) {
    this.initialMs = options.backoff?.initialMs ?? DEFAULT_INITIAL_MS;
    this.maxMs = options.backoff?.maxMs ?? DEFAULT_MAX_MS;
    this.maxNamespaces = options.maxNamespacesPerType ?? 8;
    this.defaultNamespace = options.defaultNamespace ?? 'default';
  }

  /**
   * Tracks the types (and namespaces) of these objects, replacing what was tracked before: new types
   * are listed and watched, types no longer needed stop. Resolves once every stream has had its first
   * outcome (listed, forbidden or failed) — it never rejects.
   */
  async track(ids: Iterable<Pick<ResourceId, 'group' | 'version' | 'kind' | 'namespace'>>): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map<string, { group: string; version: string; kind: string; namespaces: Set<string> }>();
    for (const id of ids) {
      if (!id.kind || !id.version) continue;
      const key = gvkKey(id.group, id.version, id.kind);
      let w = wanted.get(key);
      if (!w) wanted.set(key, (w = { group: id.group, version: id.version, kind: id.kind, namespaces: new Set() }));
      w.namespaces.add(id.namespace || this.defaultNamespace);
    }
    for (const [key, k] of this.kinds) {
      if (!wanted.has(key)) {
        this.stopKind(k);
        this.kinds.delete(key);
      }
    }
    const waits: Promise<void>[] = [];
    for (const [key, w] of wanted) {
      let k = this.kinds.get(key);
      if (!k) {
        k = this.startKind(key, w.group, w.version, w.kind);
        this.kinds.set(key, k);
      }
      k.namespaces = w.namespaces;
      for (const ns of this.options.namespaces ?? []) k.namespaces.add(ns);
      waits.push(this.firstOutcomes(key));
    }
    this.emitHealth();
    await Promise.all(waits);
  }

  /** Resolves when every tracked stream has had its first outcome. */
  async settled(): Promise<void> {
    await Promise.all([...this.kinds.keys()].map((key) => this.firstOutcomes(key)));
  }

  /**
   * Waits until the kind tracked under `key` has resolved and each of its current streams has had its
   * first outcome. A later track() may drop the kind (then there is nothing to wait for) and resync()
   * may replace its tracker or streams (then the new ones are waited for): never waits forever on
   * something that was stopped.
   */
  private async firstOutcomes(key: string): Promise<void> {
    for (;;) {
      const k = this.kinds.get(key);
      if (!k || this.stopped) return;
      await k.resolved;
      if (this.kinds.get(key) !== k) continue;
      this.syncStreams(k);
      const streams = [...k.streams.values()];
      await Promise.all(streams.map((s) => s.firstOutcome));
      if (this.kinds.get(key) === k && streams.length === k.streams.size && streams.every((s) => k.streams.get(s.id) === s)) return;
    }
  }

  /** The live object with this identity (namespaced objects without a namespace use the default one). */
  lookup(id: Pick<ResourceId, 'group' | 'version' | 'kind' | 'namespace' | 'name'>): LiveLookup {
    const k = this.kinds.get(gvkKey(id.group, id.version, id.kind)) ?? this.anyVersion(id.group, id.kind);
    if (!k) return { state: 'untracked' };
    if (k.state === 'not-served') return { state: 'not-served', apiVersion: apiVersionOf(k.group, k.version), kind: k.kind };
    if (k.state === 'error') return { state: 'unavailable', error: k.error! };
    if (k.state === 'resolving' || !k.type) return { state: 'pending' };
    const type = k.type;
    const namespace = type.namespaced ? id.namespace || this.defaultNamespace : undefined;
    const stream = this.streamFor(k, namespace);
    if (!stream) return { state: 'untracked' };
    switch (stream.state) {
      case 'listing':
        return { state: 'pending' };
      case 'forbidden':
      case 'error':
        return { state: 'unavailable', error: stream.error!, type };
      case 'stopped':
        return { state: 'untracked' };
    }
    const key = resourceKey({ group: type.group, kind: type.kind, namespace, name: id.name });
    const entry = stream.items.get(key);
    const stale = stream.state === 'reconnecting' || stream.state === 'resyncing' ? true : undefined;
    return entry ? { state: 'found', object: entry.object, type, ...(stale ? { stale } : {}) } : { state: 'absent', type, ...(stale ? { stale } : {}) };
  }

  /** The live object with this resourceKey, from any stream that holds it. */
  objectByKey(key: string): LiveObject | undefined {
    for (const k of this.kinds.values()) {
      if (!k.type) continue;
      for (const s of k.streams.values()) {
        if (s.state === 'error' || s.state === 'forbidden' || s.state === 'listing') continue;
        const e = s.items.get(key);
        if (e) return { key, object: e.object, type: k.type };
      }
    }
    return undefined;
  }

  /** Every live object held (one per identity, whichever version listed it first); only of these kinds (`group/version/kind`) when given. */
  *objects(kinds?: ReadonlySet<string>): IterableIterator<LiveObject> {
    const seen = new Set<string>();
    for (const k of this.kinds.values()) {
      if (!k.type) continue;
      if (kinds && !kinds.has(k.key)) continue;
      for (const s of k.streams.values()) {
        if (s.state === 'error' || s.state === 'forbidden' || s.state === 'listing') continue;
        for (const [key, e] of s.items) {
          if (seen.has(key)) continue;
          seen.add(key);
          yield { key, object: e.object, type: k.type };
        }
      }
    }
  }

  health(): CacheHealth {
    const streams: StreamHealth[] = [];
    const kinds: KindHealth[] = [];
    const notServed: string[] = [];
    let resolving = false;
    let kindError: ClusterError | undefined;
    for (const k of this.kinds.values()) {
      kinds.push({ group: k.group, version: k.version, kind: k.kind, state: k.state, ...(k.error ? { error: k.error } : {}) });
      if (k.state === 'not-served') notServed.push(`${k.kind} ${apiVersionOf(k.group, k.version)}`);
      if (k.state === 'resolving') resolving = true;
      if (k.state === 'error') kindError ??= k.error;
      for (const s of k.streams.values()) {
        streams.push({
          type: `${s.type.resource}${s.type.group ? `.${s.type.group}` : ''}/${s.type.version}`,
          group: s.type.group,
          version: s.type.version,
          kind: s.type.kind,
          resource: s.type.resource,
          ...(s.namespace ? { namespace: s.namespace } : {}),
          state: s.state,
          ...(s.error ? { error: s.error } : {}),
          since: s.since,
          objects: s.items.size,
          lists: s.lists,
        });
      }
    }
    let state: CacheState;
    let error: ClusterError | undefined;
    const failing = streams.find((s) => s.state === 'error');
    if (this.stopped) state = 'stopped';
    else if (failing || kindError) {
      state = 'failing';
      error = kindError ?? failing!.error;
    } else if (resolving || streams.some((s) => s.state === 'listing') || [...this.kinds.values()].some((k) => k.state === 'resolved' && k.streams.size === 0)) state = 'starting';
    else if (streams.some((s) => s.state === 'reconnecting' || s.state === 'resyncing')) {
      state = 'degraded';
      error = streams.find((s) => s.state === 'reconnecting' || s.state === 'resyncing')!.error;
    } else if (this.kinds.size === 0) state = 'idle';
    else state = 'healthy';
    if (!error) error = streams.find((s) => s.state === 'forbidden')?.error;
    return { state, ...(error ? { error } : {}), kinds, streams, notServed };
  }

  stats(): CacheStats {
    let objects = 0;
    let approxBytes = 0;
    let streams = 0;
    let lists = 0;
    for (const k of this.kinds.values()) {
      for (const s of k.streams.values()) {
        streams++;
        lists += s.lists;
        objects += s.items.size;
        approxBytes += s.bytes;
      }
    }
    return { objects, approxBytes, streams, lists, watchEvents: this.watchEvents };
  }

  /** Re-lists every stream now (a user's "refresh"); failed streams retry at once. */
  resync(): void {
    for (const k of this.kinds.values()) {
      if (k.state === 'error' || k.state === 'not-served') {
        this.stopKind(k);
        const fresh = this.startKind(k.key, k.group, k.version, k.kind);
        fresh.namespaces = k.namespaces;
        this.kinds.set(k.key, fresh);
        void fresh.resolved.then(() => this.syncStreams(fresh));
        continue;
      }
      for (const [id, s] of k.streams) {
        s.abort.abort();
        k.streams.set(id, this.startStream(k.type!, s.namespace, s.items, s.bytes));
        s.settleFirst(); // whoever waited for the old stream now waits for the new one
      }
    }
    this.emitHealth();
  }

  /** Ends every watch, request and timer. The cache answers `untracked` afterwards. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const k of this.kinds.values()) this.stopKind(k);
    this.kinds.clear();
    this.emitHealth();
    this.changeEmitter.dispose();
    this.healthEmitter.dispose();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  // ---------------------------------------------------------------------------------------------

  private anyVersion(group: string, kind: string): KindTracker | undefined {
    for (const k of this.kinds.values()) if (k.group === group && k.kind === kind && k.type) return k;
    return undefined;
  }

  private streamFor(k: KindTracker, namespace: string | undefined): Stream | undefined {
    return k.streams.get(namespace ?? '*') ?? k.streams.get('*');
  }

  private backoff(failures: number): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.max(0, failures - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private startKind(key: string, group: string, version: string, kind: string): KindTracker {
    const abort = new AbortController();
    let first: () => void = () => {};
    const resolved = new Promise<void>((r) => (first = r));
    const k: KindTracker = { key, group, version, kind, state: 'resolving', namespaces: new Set(), streams: new Map(), abort, resolved, settleResolved: () => first() };
    const run = async () => {
      let failures = 0;
      while (!abort.signal.aborted) {
        try {
          const type = await this.client.resolve(apiVersionOf(group, version), kind, { signal: abort.signal, timeoutMs: this.options.timeoutMs });
          if (abort.signal.aborted) return;
          if (type) {
            k.type = type;
            k.state = 'resolved';
          } else {
            k.state = 'not-served';
          }
          k.error = undefined;
          first();
          // Resolved (perhaps after failures): make sure the streams exist.
          if (k.state === 'resolved') this.syncStreams(k);
          this.emitHealth();
          if (k.state === 'not-served') {
            // A CRD may be installed later: ask again now and then.
            await sleep(Math.max(this.maxMs, 30_000), abort.signal);
            if (abort.signal.aborted) return;
            this.client.invalidateDiscovery();
            k.state = 'resolving';
            continue;
          }
          return;
        } catch (e) {
          if (abort.signal.aborted) return;
          failures++;
          k.state = 'error';
          k.error = e instanceof ClusterError ? e : new ClusterError('protocol', String((e as Error)?.message ?? e));
          first();
          this.emitHealth();
          if (k.error.kind === 'aborted') return; // the client was closed: nothing to retry
          await sleep(this.backoff(failures), abort.signal);
        }
      }
    };
    run().catch(() => first());
    return k;
  }

  private stopKind(k: KindTracker): void {
    k.abort.abort();
    k.settleResolved(); // a kind stopped while resolving: its waiters must not wait forever
    for (const s of k.streams.values()) {
      s.abort.abort();
      s.state = 'stopped';
      s.settleFirst();
    }
    k.streams.clear();
  }

  /** Creates or removes streams so that they cover the kind's namespaces. */
  private syncStreams(k: KindTracker): void {
    if (this.stopped || k.abort.signal.aborted || !k.type) return;
    const type = k.type;
    const wanted = new Set<string>();
    if (!type.namespaced || k.namespaces.size > this.maxNamespaces) wanted.add('*');
    else for (const ns of k.namespaces) wanted.add(ns);
    for (const [id, s] of k.streams) {
      if (!wanted.has(id)) {
        s.abort.abort();
        s.state = 'stopped';
        s.settleFirst();
        k.streams.delete(id);
      }
    }
    for (const id of wanted) if (!k.streams.has(id)) k.streams.set(id, this.startStream(type, id === '*' ? undefined : id));
  }

  private setState(s: Stream, state: StreamState, error?: ClusterError): void {
    const changed = s.state !== state || s.error?.message !== error?.message;
    s.state = state;
    s.error = error;
    if (changed) {
      s.since = Date.now();
      this.emitHealth();
    }
  }

  private startStream(type: ApiResourceInfo, namespace: string | undefined, items?: Map<string, Entry>, bytes = 0): Stream {
    let settleFirst: () => void = () => {};
    const firstOutcome = new Promise<void>((r) => (settleFirst = r));
    const s: Stream = {
      id: namespace ?? '*',
      type,
      namespace,
      state: items ? 'resyncing' : 'listing',
      since: Date.now(),
      items: items ?? new Map(),
      bytes,
      lists: 0,
      failures: 0,
      abort: new AbortController(),
      firstOutcome,
      settleFirst,
    };
    this.runStream(s).catch(() => {
      /* runStream handles its own errors; this only keeps a bug from becoming an unhandled rejection */
      s.settleFirst();
    });
    return s;
  }

  private keyOf(type: ApiResourceInfo, o: RawObject): string | undefined {
    const meta = o.metadata as { name?: unknown; namespace?: unknown } | undefined;
    if (!meta || typeof meta.name !== 'string') return undefined;
    return resourceKey({ group: type.group, kind: type.kind, namespace: type.namespaced && typeof meta.namespace === 'string' ? meta.namespace : undefined, name: meta.name });
  }

  private async runStream(s: Stream): Promise<void> {
    const signal = s.abort.signal;
    const { type, namespace } = s;
    let immediate = false;
    while (!signal.aborted) {
      let phase: 'list' | 'watch' = 'list';
      try {
        // LIST: replace the items, report what changed.
        const listed = await this.client.list(type, namespace, { signal, timeoutMs: this.options.timeoutMs });
        if (signal.aborted) return;
        s.lists++;
        const next = new Map<string, Entry>();
        const per = listed.items.length ? listed.bytes / listed.items.length : 0;
        const changed: string[] = [];
        for (const o of listed.items) {
          const key = this.keyOf(type, o);
          if (!key) continue;
          const old = s.items.get(key);
          if (!old || rvOf(old.object) !== rvOf(o)) changed.push(key);
          next.set(key, { object: o, bytes: per });
        }
        for (const key of s.items.keys()) if (!next.has(key)) changed.push(key);
        s.items = next;
        s.bytes = listed.bytes;
        this.setState(s, 'listed');
        s.settleFirst();
        if (changed.length) this.changeEmitter.fire({ keys: changed, at: performance.now(), cause: 'list' });

        if (this.options.watch === false) return;

        // WATCH from the list's resourceVersion; a normal end reopens from the last version seen.
        phase = 'watch';
        let rv = listed.resourceVersion;
        for (;;) {
          let openedAt = 0;
          await this.client.watch(
            type,
            namespace,
            rv,
            (ev) => {
              const v = rvOf(ev.object);
              if (v) rv = v;
              if (ev.type === 'BOOKMARK') return;
              s.failures = 0;
              this.apply(s, ev);
            },
            {
              signal,
              timeoutMs: this.options.timeoutMs,
              timeoutSeconds: this.options.watchTimeoutSeconds,
              onOpen: () => {
                openedAt = Date.now();
                this.setState(s, 'watching');
              },
            },
          );
          if (signal.aborted) return;
          // A watch that lasted a while and ended normally proves the connection: forget old failures.
          if (openedAt && Date.now() - openedAt > 5_000) s.failures = 0;
        }
      } catch (e) {
        if (signal.aborted) return;
        const err = e instanceof ClusterError ? e : new ClusterError('protocol', String((e as Error)?.message ?? e));
        if (err.kind === 'aborted') {
          // The client was closed under the cache: nothing to retry.
          this.setState(s, 'stopped', err);
          s.settleFirst();
          return;
        }
        s.failures++;
        let delay = this.backoff(s.failures);
        if (err.kind === 'gone') {
          // The resourceVersion is too old: re-list, at once the first time.
          this.setState(s, 'resyncing', err);
          if (!immediate) delay = 0;
          immediate = true;
        } else if (err.kind === 'forbidden') {
          this.setState(s, 'forbidden', err);
          delay = Math.max(delay, Math.min(this.maxMs, 10_000));
        } else if (phase === 'watch' && (err.kind === 'disconnected' || err.kind === 'unreachable' || err.kind === 'protocol')) {
          // The watch broke after a good list: keep the data, re-list after a delay.
          this.setState(s, 'reconnecting', err);
        } else {
          this.setState(s, 'error', err);
        }
        s.settleFirst();
        if (delay > 0) await sleep(delay, signal);
        if (err.kind !== 'gone') immediate = false;
      }
    }
  }

  private apply(s: Stream, ev: WatchEvent): void {
    const key = this.keyOf(s.type, ev.object);
    if (!key) return;
    this.watchEvents++;
    if (ev.type === 'DELETED') {
      const old = s.items.get(key);
      if (!old) return;
      s.items.delete(key);
      s.bytes -= old.bytes;
    } else {
      const old = s.items.get(key);
      const bytes = ev.bytes ?? old?.bytes ?? 0;
      s.items.set(key, { object: ev.object, bytes });
      s.bytes += bytes - (old?.bytes ?? 0);
    }
    this.changeEmitter.fire({ keys: [key], at: performance.now(), cause: 'watch' });
  }

  private emitHealth(): void {
    const h = this.health();
    const signature = `${h.state}|${h.error?.kind ?? ''}|${h.error?.message ?? ''}|${h.kinds.map((k) => `${k.kind}:${k.state}`).join(',')}|${h.streams.map((s) => `${s.type}@${s.namespace ?? '*'}:${s.state}:${s.error?.kind ?? ''}`).join(',')}|${h.notServed.join(',')}`;
    if (signature === this.lastHealthSignature) return;
    this.lastHealthSignature = signature;
    this.healthEmitter.fire(h);
  }
}

function rvOf(o: RawObject): string | undefined {
  const v = (o.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  return typeof v === 'string' ? v : undefined;
}

