// The one transport to the API server: raw JSON over node:http(s), so nothing is dropped by typed
// models. Every cluster request of the product goes through it: drift (LIST/WATCH), plan and sync
// (dry-run and apply), delegation, and the live schemas (`fetch`, for /openapi/*).
// Credentials (TLS material, bearer tokens, exec and auth plugins) come from @kubernetes/client-node's
// KubeConfig through an `AuthProvider`; requests, proxies (CONNECT tunnels), timeouts, throttling
// (429/503 with Retry-After), cancellation and error classification are ours.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions } from 'node:tls';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { sleep, whenAborted } from '../util/abort';
import { ClusterError, classifyNetworkError, errorFromResponse, type RequestContext } from './errors';
import { openTunnel, proxyFor, type ProxySettings } from './proxy';
import type {
  ApiResourceInfo,
  ApplyOptions,
  ClusterClient,
  DeleteOptions,
  GroupVersionResources,
  ListOptions,
  ListResult,
  PatchOptions,
  RawObject,
  RequestOptions,
  WatchEvent,
  WatchOptions,
} from './types';

export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** Longest pause while an answer's body streams in (the request timeout covers only the wait for its headers). */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 30_000;

const gunzipP = promisify(gunzip);

/** How throttled requests (429, or 503 with Retry-After) are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 6. */
  attempts?: number;
  /** Most time spent waiting for the server's Retry-After over all attempts of one request (ms). Default 30 s. */
  maxWaitMs?: number;
  /** Wait when a 429 names no Retry-After (ms). Default 1 s. */
  defaultWaitMs?: number;
}

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP date; undefined when absent
 * or not understood.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** TLS material and headers for one request. */
export interface RequestAuth {
  headers: Record<string, string>;
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer | Array<string | Buffer>;
  key?: string | Buffer | Array<string | Buffer>;
  pfx?: string | Buffer | Array<string | Buffer>;
  passphrase?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
  /** `user:password` for basic auth. */
  basic?: string;
}

/** Where the credentials come from; called before every request (tokens may rotate). */
export interface AuthProvider {
  auth(): Promise<RequestAuth>;
}

export interface HttpClusterClientOptions {
  /** `https://host:port` (a path prefix is kept). */
  server: string;
  auth: AuthProvider;
  context?: string;
  /** Default per-request timeout (ms). Default 5 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** How long discovery answers are kept (ms). Default 5 min; "not served" answers 30 s. */
  discoveryTtlMs?: number;
  /** Most connections for ordinary requests at once. Default 16. */
  maxSockets?: number;
  /** Host name resolution (node's dns.lookup by default). */
  lookup?: LookupFunction;
  /** The cluster's `proxy-url`, and the environment for HTTPS_PROXY/NO_PROXY (see proxy.ts). */
  proxy?: ProxySettings;
  /** Throttled requests (429, 503 with Retry-After) are retried within these bounds. */
  retry?: RetryPolicy;
  /** Longest pause while a body streams in (ms). Default 30 s. Watches have none. */
  bodyIdleTimeoutMs?: number;
}

interface HttpAnswer {
  status: number;
  text: string;
  bytes: number;
  headers: http.IncomingHttpHeaders;
}

/** A raw GET answer (`HttpClusterClient.fetch`): any status, body decompressed. */
export interface FetchAnswer {
  status: number;
  /** The body as text (decompressed); '' for 304. */
  body: string;
  etag?: string;
  /** Location of a redirect (3xx). */
  location?: string;
}

export interface FetchOptions extends RequestOptions {
  /** Sent as If-None-Match. */
  ifNoneMatch?: string;
  /** Larger (decompressed) answers are refused ('protocol'). */
  maxBytes?: number;
}

interface CallOptions {
  method: string;
  path: string;
  query?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  ctx: RequestContext;
  /** Resolve with any status (fetch); else ≥ 400 rejects. */
  anyStatus?: boolean;
  headers?: Record<string, string>;
  maxBytes?: number;
  /** Each `Warning` header of the answer (success or error), as its text. */
  onWarning?: (message: string) => void;
}

export class HttpClusterClient implements ClusterClient {
  readonly server: string;
  readonly context?: string;
  private readonly base: URL;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly discoveryTtlMs: number;
  private readonly maxSockets: number;
  private readonly bodyIdleMs: number;
  private readonly retry: Required<RetryPolicy>;
  /** The proxy every request goes through, if any (decided once: kubeconfig proxy-url, HTTPS_PROXY, NO_PROXY). */
  readonly proxy?: URL;
  private readonly discovery = new Map<string, { at: number; value: Promise<GroupVersionResources> }>();
  private agents = new Map<string, { requests: http.Agent; watches: http.Agent }>();
  private disposed = false;

  constructor(private readonly options: HttpClusterClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.base = new URL(this.server);
    this.context = options.context;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.userAgent = options.userAgent ?? 'reconcile';
    this.discoveryTtlMs = options.discoveryTtlMs ?? 5 * 60_000;
    this.maxSockets = options.maxSockets ?? 16;
    this.bodyIdleMs = options.bodyIdleTimeoutMs ?? DEFAULT_BODY_IDLE_TIMEOUT_MS;
    this.retry = { attempts: options.retry?.attempts ?? 6, maxWaitMs: options.retry?.maxWaitMs ?? 30_000, defaultWaitMs: options.retry?.defaultWaitMs ?? 1000 };
    this.proxy = proxyFor(this.base, options.proxy);
  }

  /**
   * GETs a path of the API server (`/openapi/v3`, `/openapi/v3/apis/apps/v1?hash=…`) and resolves
   * with any HTTP answer (the caller decides what a 404 or a 304 means); gzip is asked for and decoded.
   * Rejects with a ClusterError only when no answer could be had.
   */
  async fetch(pathAndQuery: string, opts: FetchOptions = {}): Promise<FetchAnswer> {
    const rel = new URL(pathAndQuery, 'http://server.invalid');
    const query: Record<string, string> = {};
    for (const [k, v] of rel.searchParams) query[k] = v;
    const headers: Record<string, string> = { 'Accept-Encoding': 'gzip' };
    if (opts.ifNoneMatch) headers['If-None-Match'] = opts.ifNoneMatch;
    const answer = await this.call({ method: 'GET', path: rel.pathname, query, headers, anyStatus: true, maxBytes: opts.maxBytes, timeoutMs: opts.timeoutMs, signal: opts.signal, ctx: { verb: 'get', resource: rel.pathname } });
    const etag = typeof answer.headers.etag === 'string' ? answer.headers.etag : undefined;
    const location = typeof answer.headers.location === 'string' ? answer.headers.location : undefined;
    return { status: answer.status, body: answer.text, ...(etag ? { etag } : {}), ...(location ? { location } : {}) };
  }

  // --- discovery -------------------------------------------------------------------------------

  resources(group: string, version: string, opts: RequestOptions = {}): Promise<GroupVersionResources> {
    const gv = group ? `${group}/${version}` : version;
    const hit = this.discovery.get(gv);
    const now = Date.now();
    if (hit && now - hit.at < this.discoveryTtlMs) return hit.value;
    const value = this.fetchResources(group, version, opts);
    const entry = { at: now, value };
    this.discovery.set(gv, entry);
    value.then(
      (v) => {
        // "Not served" is remembered briefly only: a CRD may be installed any moment.
        if (v === undefined && this.discovery.get(gv) === entry) entry.at = now - this.discoveryTtlMs + 30_000;
      },
      () => {
        if (this.discovery.get(gv) === entry) this.discovery.delete(gv); // never cache a failure
      },
    );
    return value;
  }

  async resolve(apiVersion: string, kind: string, opts: RequestOptions = {}): Promise<ApiResourceInfo | undefined> {
    const slash = apiVersion.lastIndexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const list = await this.resources(group, version, opts);
    return list?.find((r) => r.kind === kind);
  }

  invalidateDiscovery(): void {
    this.discovery.clear();
  }

  private async fetchResources(group: string, version: string, opts: RequestOptions): Promise<GroupVersionResources> {
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    try {
      const answer = await this.call({ method: 'GET', path, timeoutMs: opts.timeoutMs, signal: opts.signal, ctx: { verb: 'discover', resource: group ? `${group}/${version}` : version } });
      const doc = parseJson(answer.text, { verb: 'discover' }) as { resources?: unknown };
      const out: ApiResourceInfo[] = [];
      for (const r of Array.isArray(doc.resources) ? doc.resources : []) {
        const x = r as { name?: unknown; kind?: unknown; namespaced?: unknown; verbs?: unknown };
        if (typeof x.name !== 'string' || x.name.includes('/') || typeof x.kind !== 'string') continue;
        out.push({
          group,
          version,
          kind: x.kind,
          resource: x.name,
          namespaced: x.namespaced === true,
          verbs: Array.isArray(x.verbs) ? x.verbs.filter((v): v is string => typeof v === 'string') : [],
        });
      }
      return out;
    } catch (e) {
      if (e instanceof ClusterError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  // --- reads -----------------------------------------------------------------------------------

  async list(type: ApiResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const items: RawObject[] = [];
    let bytes = 0;
    let resourceVersion = '';
    let cont: string | undefined;
    const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    const ctx: RequestContext = { verb: 'list', resource: type.resource, group: type.group, namespace: type.namespaced ? namespace : undefined };
    do {
      const answer = await this.call({
        method: 'GET',
        path: collectionPath(type, namespace),
        query: { limit: String(opts.pageSize ?? 500), continue: cont, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
        ctx,
      });
      bytes += answer.bytes;
      const doc = parseJson(answer.text, ctx) as { items?: unknown; metadata?: { resourceVersion?: unknown; continue?: unknown } };
      if (!Array.isArray(doc.items)) throw new ClusterError('protocol', `the list of ${type.resource} has no items`, { server: this.server });
      for (const item of doc.items) {
        if (typeof item !== 'object' || item === null) continue;
        const o = item as RawObject;
        if (typeof o.apiVersion !== 'string') o.apiVersion = apiVersion;
        if (typeof o.kind !== 'string') o.kind = type.kind;
        items.push(o);
      }
      if (!resourceVersion && typeof doc.metadata?.resourceVersion === 'string') resourceVersion = doc.metadata.resourceVersion;
      cont = typeof doc.metadata?.continue === 'string' && doc.metadata.continue ? doc.metadata.continue : undefined;
    } while (cont);
    return { items, resourceVersion, bytes };
  }

  async get(type: ApiResourceInfo, namespace: string | undefined, name: string, opts: RequestOptions = {}): Promise<RawObject> {
    const ctx: RequestContext = { verb: 'get', resource: type.resource, group: type.group, namespace: type.namespaced ? namespace : undefined, name };
    const answer = await this.call({ method: 'GET', path: `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`, timeoutMs: opts.timeoutMs, signal: opts.signal, ctx });
    return parseJson(answer.text, ctx) as RawObject;
  }

  watch(type: ApiResourceInfo, namespace: string | undefined, resourceVersion: string, onEvent: (e: WatchEvent) => void, opts: WatchOptions = {}): Promise<void> {
    const ctx: RequestContext = { verb: 'watch', resource: type.resource, group: type.group, namespace: type.namespaced ? namespace : undefined, server: this.server };
    const apiVersion = type.group ? `${type.group}/${type.version}` : type.version;
    const timeoutSeconds = opts.timeoutSeconds ?? 300 + Math.floor(Math.random() * 60);
    const query = {
      watch: '1',
      resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(timeoutSeconds),
      labelSelector: opts.labelSelector,
    };
    return this.stream({ method: 'GET', path: collectionPath(type, namespace), query, timeoutMs: opts.timeoutMs, signal: opts.signal, ctx }, opts.onOpen, (line) => {
      let ev: { type?: unknown; object?: unknown };
      try {
        ev = JSON.parse(line);
      } catch {
        throw new ClusterError('protocol', `the watch of ${type.resource} sent something that is not JSON`, { server: this.server });
      }
      const object = (typeof ev.object === 'object' && ev.object !== null ? ev.object : {}) as RawObject;
      if (ev.type === 'ERROR') {
        const code = typeof object.code === 'number' ? object.code : 500;
        throw errorFromResponse(code, object, ctx);
      }
      if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED' && ev.type !== 'BOOKMARK') return;
      if (ev.type !== 'BOOKMARK') {
        if (typeof object.apiVersion !== 'string') object.apiVersion = apiVersion;
        if (typeof object.kind !== 'string') object.kind = type.kind;
      }
      onEvent({ type: ev.type, object, bytes: line.length });
    });
  }

  // --- writes ----------------------------------------------------------------------------------

  async serverSideApply(obj: RawObject, opts: ApplyOptions): Promise<RawObject> {
    const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
    const kind = typeof obj.kind === 'string' ? obj.kind : '';
    const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
    const name = typeof meta.name === 'string' ? meta.name : '';
    if (!apiVersion || !kind || !name) throw new ClusterError('invalid', 'cannot apply an object without apiVersion, kind and metadata.name');
    const type = await this.resolve(apiVersion, kind, opts);
    if (!type) throw new ClusterError('not-found', `the cluster does not serve ${kind} in ${apiVersion}`, { server: this.server, resource: kind });
    const namespace = type.namespaced ? (typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : undefined) : undefined;
    if (type.namespaced && !namespace) throw new ClusterError('invalid', `${kind} "${name}" needs a namespace`);
    const ctx: RequestContext = { verb: opts.dryRun ? 'apply (dry run)' : 'apply', resource: type.resource, group: type.group, namespace, name };
    const answer = await this.call({
      method: 'PATCH',
      path: `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, force: opts.force ? 'true' : undefined },
      body: JSON.stringify(obj), // JSON is YAML
      contentType: 'application/apply-patch+yaml',
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onWarning: opts.onWarning,
      ctx,
    });
    return parseJson(answer.text, ctx) as RawObject;
  }

  async jsonPatch(type: ApiResourceInfo, namespace: string | undefined, name: string, ops: readonly unknown[], opts: PatchOptions): Promise<RawObject> {
    const ns = type.namespaced ? namespace : undefined;
    const ctx: RequestContext = { verb: opts.dryRun ? 'patch (dry run)' : 'patch', resource: type.resource, group: type.group, namespace: ns, name };
    const answer = await this.call({
      method: 'PATCH',
      path: `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
      body: JSON.stringify(ops),
      contentType: 'application/json-patch+json',
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      ctx,
    });
    return parseJson(answer.text, ctx) as RawObject;
  }

  async delete(type: ApiResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const ctx: RequestContext = { verb: 'delete', resource: type.resource, group: type.group, namespace: type.namespaced ? namespace : undefined, name };
    const body = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}) });
    await this.call({
      method: 'DELETE',
      path: `${collectionPath(type, namespace)}/${encodeURIComponent(name)}`,
      query: { dryRun: opts.dryRun ? 'All' : undefined },
      body,
      contentType: 'application/json',
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      ctx,
    });
  }

  dispose(): void {
    this.disposed = true;
    for (const a of this.agents.values()) {
      a.requests.destroy();
      a.watches.destroy();
    }
    this.agents.clear();
  }

  // --- transport -------------------------------------------------------------------------------

  private url(path: string, query?: Record<string, string | undefined>): URL {
    const u = new URL(this.base.href);
    u.pathname = `${this.base.pathname.replace(/\/+$/, '')}${path}`;
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, v);
    return u;
  }

  private async prepare(o: CallOptions, watch: boolean): Promise<{ mod: typeof https | typeof http; url: URL; options: https.RequestOptions }> {
    if (this.disposed) throw new ClusterError('aborted', 'the cluster client was closed');
    let auth: RequestAuth;
    try {
      auth = await this.options.auth.auth();
    } catch (e) {
      if (e instanceof ClusterError) throw e;
      throw new ClusterError('config', `cannot get credentials for ${this.context ? `context "${this.context}"` : this.server}: ${(e as Error)?.message ?? e}`, { server: this.server });
    }
    const url = this.url(o.path, o.query);
    const secure = url.protocol === 'https:';
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...o.headers,
      ...auth.headers,
    };
    if (o.body !== undefined) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(o.body));
    }
    const options: https.RequestOptions = {
      method: o.method,
      headers,
      agent: this.agentFor(auth, secure, watch),
      ...(auth.basic ? { auth: auth.basic } : {}),
    };
    return { mod: secure ? https : http, url, options };
  }

  private agentFor(auth: RequestAuth, secure: boolean, watch: boolean): http.Agent {
    const lookup = this.options.lookup ? { lookup: this.options.lookup } : {};
    const tls = secure
      ? {
          ca: auth.ca,
          cert: auth.cert,
          key: auth.key,
          pfx: auth.pfx,
          passphrase: auth.passphrase,
          rejectUnauthorized: auth.rejectUnauthorized,
          servername: auth.servername,
        }
      : {};
    const id = createHash('sha256').update(secure ? 's' : 'p').update(this.proxy?.href ?? '');
    for (const [k, v] of Object.entries(tls)) id.update(`${k}=${v === undefined ? '' : Array.isArray(v) ? v.join('|') : String(v)};`);
    const key = id.digest('hex');
    let pair = this.agents.get(key);
    if (!pair) {
      const Agent = this.proxy ? tunnelAgent(secure, this.proxy, this.timeoutMs) : secure ? https.Agent : http.Agent;
      // One TLS context for every connection (building it per connection costs more than the handshake).
      const context = secure
        ? { secureContext: createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key, pfx: tls.pfx, passphrase: tls.passphrase }), rejectUnauthorized: tls.rejectUnauthorized, servername: tls.servername }
        : {};
      pair = {
        requests: new Agent({ ...context, ...lookup, keepAlive: true, maxSockets: this.maxSockets, maxFreeSockets: this.maxSockets, timeout: 60_000 }),
        // One connection per watch, held open for minutes: kept apart so they never starve requests.
        watches: new Agent({ ...context, ...lookup, keepAlive: false }),
      };
      // Credentials rotated (exec plugins): idle connections made with the old ones are closed; those in
      // use finish their request (watches end through their signals).
      for (const old of this.agents.values()) {
        for (const list of Object.values(old.requests.freeSockets)) for (const socket of list ?? []) socket.destroy();
      }
      this.agents.clear();
      this.agents.set(key, pair);
    }
    return watch ? pair.watches : pair.requests;
  }

  /** One request whose whole answer is read; rejects only with ClusterError. */
  private async call(o: CallOptions): Promise<HttpAnswer> {
    // A kept-alive connection the server closed just as it was reused resets before the request is
    // processed: safe to send again. After a server restart every pooled connection is dead, so a few
    // tries may meet one each; then the server is taken as gone. Never let the internal error out.
    // A throttled request (429 from priority and fairness, 503 with Retry-After) was not processed
    // either: it is sent again after the wait the server asks for, within the retry policy's bounds.
    let resets = 0;
    let throttled = 0;
    let waited = 0;
    for (;;) {
      if (o.signal?.aborted) throw new ClusterError('aborted', 'cancelled', { server: this.server });
      try {
        return await this.callOnce(o);
      } catch (e) {
        if (e instanceof RetryableReset) {
          if (++resets >= 4) throw new ClusterError('unreachable', `connection reset by the server, the request was not sent (${this.server})`, { server: this.server });
          continue;
        }
        if (!(e instanceof Throttled)) throw e;
        throttled++;
        const wait = e.waitMs ?? this.retry.defaultWaitMs;
        const what = e.error.status === 429 ? 'throttled (429)' : `unavailable (${e.error.status})`;
        if (throttled >= this.retry.attempts) {
          throw new ClusterError(e.error.kind, `${e.error.message}; still ${what} after ${throttled} attempts`, { ...e.error.details, attempts: throttled });
        }
        if (waited + wait > this.retry.maxWaitMs) {
          throw new ClusterError(e.error.kind, `${e.error.message}; the server asks to retry after ${formatMs(wait)}, beyond the ${formatMs(this.retry.maxWaitMs)} a request may wait`, { ...e.error.details, attempts: throttled });
        }
        waited += wait;
        if (!(await sleep(wait, o.signal))) throw new ClusterError('aborted', 'cancelled', { server: this.server });
      }
    }
  }

  private async callOnce(o: CallOptions): Promise<HttpAnswer> {
    const ctx = { ...o.ctx, server: this.server };
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    if (o.signal?.aborted) throw new ClusterError('aborted', 'cancelled', { server: this.server });
    const { mod, url, options } = await this.prepare({ ...o, ctx }, false);
    // Credentials may take a while (exec plugins): the caller may have given up meanwhile.
    if (o.signal?.aborted) throw new ClusterError('aborted', 'cancelled', { server: this.server });
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (err: Error | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(idle);
        stopWaiting();
        if (err) reject(err);
        else resolve(answer!);
      };
      const req = mod.request(url, options);
      // The request timeout is the wait for the answer's headers (time to first byte); a big LIST page
      // then streams in under the body's own idle limit, however long it takes as a whole.
      const timer = setTimeout(() => {
        const e = new ClusterError('timeout', `no answer within ${formatMs(timeoutMs)} (${this.server})`, { server: this.server, verb: ctx.verb, resource: ctx.resource, group: ctx.group, namespace: ctx.namespace });
        finish(e);
        req.destroy(e);
      }, timeoutMs);
      // One listener on a signal however many requests share it (a plan's dry-runs, a sync's applies).
      const stopWaiting = whenAborted(o.signal, () => {
        const e = new ClusterError('aborted', 'cancelled', { server: this.server });
        finish(e);
        req.destroy(e);
      });
      req.on('error', (err) => {
        if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !settled && (o.method === 'GET' || o.method === 'PATCH')) {
          settled = true;
          clearTimeout(timer);
          stopWaiting();
          reject(new RetryableReset());
          return;
        }
        finish(classifyNetworkError(err, ctx));
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        const stalled = () => {
          const e = new ClusterError('timeout', `the answer stalled: no data for ${formatMs(this.bodyIdleMs)} while reading it (${this.server})`, { server: this.server, verb: ctx.verb, resource: ctx.resource, group: ctx.group, namespace: ctx.namespace });
          finish(e);
          req.destroy(e);
        };
        idle = setTimeout(stalled, this.bodyIdleMs);
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          bytes += c.length;
          idle?.refresh();
          if (o.maxBytes !== undefined && bytes > o.maxBytes) {
            const e = new ClusterError('protocol', `GET ${o.path}: the answer is larger than ${o.maxBytes} bytes`, { server: this.server });
            finish(e);
            req.destroy(e);
          }
        });
        res.on('error', (err) => finish(classifyNetworkError(err, ctx)));
        res.on('end', () => {
          clearTimeout(idle);
          const status = res.statusCode ?? 0;
          const raw = Buffer.concat(chunks);
          const gz = /\bgzip\b/i.test(String(res.headers['content-encoding'] ?? '')) && raw.length > 0;
          const done = (body: Buffer) => {
            const text = body.toString('utf8');
            if (o.onWarning) for (const w of res.headersDistinct.warning ?? []) o.onWarning(warningText(w));
            const retry = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : undefined;
            if (status === 429 || (status === 503 && retry !== undefined)) {
              const error = errorFromResponse(status, text, ctx);
              error.details.retryAfterMs = retry;
              finish(new Throttled(error, retry));
            } else if (status >= 400 && !o.anyStatus) finish(errorFromResponse(status, text, ctx));
            else finish(undefined, { status, text, bytes, headers: res.headers });
          };
          if (!gz) return done(raw);
          gunzipP(raw, o.maxBytes !== undefined ? { maxOutputLength: o.maxBytes } : {}).then(done, (e) =>
            finish(new ClusterError('protocol', `GET ${o.path}: the gzip answer cannot be decompressed: ${String((e as Error)?.message ?? e).split('\n')[0]}`, { server: this.server })),
          );
        });
        res.on('close', () => {
          if (!res.complete) finish(new ClusterError('disconnected', `the connection dropped while reading the answer (${this.server})`, { server: this.server }));
        });
      });
      req.end(o.body);
    });
  }

  /** A streaming request (watch): `onLine` for each JSON line. Resolves on a normal end or abort. */
  private async stream(o: CallOptions, onOpen: (() => void) | undefined, onLine: (line: string) => void): Promise<void> {
    const ctx = { ...o.ctx, server: this.server };
    const timeoutMs = o.timeoutMs ?? this.timeoutMs;
    if (o.signal?.aborted) return;
    const { mod, url, options } = await this.prepare({ ...o, ctx }, true);
    // Aborted while the credentials were got: the watch must not start (the abort event has fired already).
    if (o.signal?.aborted) return;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let req: http.ClientRequest | undefined;
      const finish = (err?: ClusterError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        stopWaiting();
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        const e = new ClusterError('timeout', `no answer within ${formatMs(timeoutMs)} (${this.server})`, { server: this.server, verb: 'watch', resource: ctx.resource, group: ctx.group, namespace: ctx.namespace });
        finish(e);
        req?.destroy(e);
      }, timeoutMs);
      const stopWaiting = whenAborted(o.signal, () => {
        finish();
        req?.destroy();
      });
      req = mod.request(url, options);
      req.on('error', (err) => finish(o.signal?.aborted ? undefined : classifyNetworkError(err, ctx)));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => finish(classifyNetworkError(err, ctx)));
          res.on('end', () => finish(errorFromResponse(status, Buffer.concat(chunks).toString('utf8'), ctx)));
          return;
        }
        clearTimeout(timer);
        // A half-open connection (peer gone without FIN) shows up through TCP keepalive.
        res.socket?.setKeepAlive(true, 15_000);
        try {
          onOpen?.();
        } catch {
          /* a listener's bug must not break the watch */
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (settled) return;
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (!line) continue;
            try {
              onLine(line);
            } catch (e) {
              const err = e instanceof ClusterError ? e : new ClusterError('protocol', `watch event handling failed: ${(e as Error)?.message ?? e}`, { server: this.server });
              finish(err);
              req?.destroy();
              return;
            }
          }
        });
        res.on('error', () => {
          /* reported by 'close' below */
        });
        res.on('end', () => finish());
        res.on('close', () => {
          if (o.signal?.aborted) finish();
          else if (!res.complete) finish(new ClusterError('disconnected', `the watch of ${ctx.resource} was cut off (${this.server})`, { server: this.server, verb: 'watch', resource: ctx.resource, group: ctx.group, namespace: ctx.namespace }));
          else finish();
        });
      });
      req.end();
    });
  }
}

/** Internal: the request may be sent again (it never reached the server). */
class RetryableReset extends Error {}

/** Internal: the server asked to come back later (429, 503 with Retry-After); the request was not processed. */
class Throttled extends Error {
  constructor(
    readonly error: ClusterError,
    readonly waitMs: number | undefined,
  ) {
    super(error.message);
  }
}

type AgentClass = typeof http.Agent;

/**
 * An Agent whose connections are CONNECT tunnels through `proxy` (TLS to the API server on top for an
 * https server). Pooling, keep-alive and socket limits stay the Agent's own.
 */
function tunnelAgent(secure: boolean, proxy: URL, timeoutMs: number): AgentClass {
  const Base = (secure ? https.Agent : http.Agent) as AgentClass;
  class TunnelAgent extends Base {
    override createConnection(options: http.ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): undefined {
      const host = String(options.host ?? options.hostname ?? 'localhost');
      const port = Number(options.port ?? (secure ? 443 : 80));
      const done = cb ?? (() => {});
      openTunnel(proxy, host, port, { timeoutMs: Math.max(timeoutMs, 10_000) }).then(
        (socket) => {
          if (!secure) return done(null, socket);
          done(null, tlsConnect({ ...(options as ConnectionOptions), socket, host, port }));
        },
        (e) => done(e as Error, undefined as unknown as Duplex),
      );
      return undefined;
    }
  }
  return TunnelAgent as unknown as AgentClass;
}

/** The text of a `Warning` header (`299 - "text"`, RFC 7234 §5.5): the quoted text unescaped, else the header as is. */
export function warningText(header: string): string {
  const m = /^\d{3} \S+ "((?:[^"\\]|\\.)*)"/.exec(header.trim());
  return m ? m[1].replace(/\\(.)/g, '$1') : header.trim();
}

export function collectionPath(type: Pick<ApiResourceInfo, 'group' | 'version' | 'resource' | 'namespaced'>, namespace: string | undefined): string {
  const root = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  return type.namespaced && namespace ? `${root}/namespaces/${encodeURIComponent(namespace)}/${type.resource}` : `${root}/${type.resource}`;
}

function parseJson(text: string, ctx: RequestContext): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ClusterError('protocol', `the server's answer to ${ctx.verb ?? 'a request'} is not JSON`, { server: ctx.server });
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
