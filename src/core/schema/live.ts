// Schemas served by the live cluster of a kube context, for the registry's first rank ('cluster').
//
//   const fetcher = kubeconfigFetcher(kubeconfigFiles, 'prod');   // or clusterFetcher(client)
//   const result = await loadClusterSchemas({ fetcher, cacheDir, context: 'prod' });
//   registerClusterSchemas(registry, result);          // replaces what `cluster:prod` registered before
//   if (result.source === 'cache') … say "cluster unreachable: schemas from <fetchedAt>" (result.errors[0])
//
// OpenAPI v3 first (`/openapi/v3` lists one document per group-version with a content hash in its
// URL; each document is cached on disk by that hash for ever, so a hash hit never fetches it again),
// `/openapi/v2` when v3 is not served (Kubernetes < 1.24; cached by the sha256 of its body and
// revalidated with If-None-Match). Each context has an index file in the cache pointing at the
// documents of its last good answer: when the cluster cannot be reached, that answer is returned
// (`source: 'cache'`, with the error). Converted documents are also kept in memory by hash, so a
// refresh that finds nothing changed costs one or two small requests and no conversion.
//
// Requests go through the one cluster transport (core/cluster: HttpClusterClient.fetch), so schemas
// see the same kubeconfig merge, proxies, throttling retries, timeouts and ClusterErrors as drift,
// plan and sync.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { connectToContext } from '../cluster/connect';
import { ClusterError, classifyNetworkError, errorFromResponse } from '../cluster/errors';
import type { HttpClusterClient } from '../cluster/http-client';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { convertOpenApi, type ConvertedOpenApi } from './openapi';
import type { SchemaRegistry } from './registry';
import { gvkKey, type CelRuleSet, type GroupVersionKind, type JsonSchema } from './types';

const gunzipP = promisify(gunzip);
const gzipP = promisify(gzip);

// ---- fetching ------------------------------------------------------------------------------------

export interface OpenApiResponse {
  status: number;
  /** The body as text (decompressed); '' for 304. */
  body: string;
  etag?: string;
  /** Location of a redirect (3xx): kube-apiserver redirects a stale `?hash=` to the current one. */
  location?: string;
}

export interface OpenApiGetOptions {
  /** Sent as If-None-Match: the server answers 304 with no body when the document is unchanged. */
  ifNoneMatch?: string;
}

/**
 * GETs a path of the API server (`/openapi/v3`, `/openapi/v3/apis/apps/v1?hash=…`). Any HTTP answer
 * resolves (the caller decides what a 404 means); a failure to get one rejects with a ClusterError.
 * The real one is `clusterFetcher(client)` over the cluster transport (HttpClusterClient): the same
 * kubeconfig merge, proxies, throttling retries, timeouts and errors as drift, plan and sync.
 */
export interface OpenApiFetcher {
  get(path: string, signal?: AbortSignal, options?: OpenApiGetOptions): Promise<OpenApiResponse>;
  /** The server's address, for messages (once known). */
  readonly server?: string;
}

function firstLine(s: string, max = 200): string {
  const line = s.split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Any failure as a ClusterError (a fetcher's own errors are classified like the transport's). */
function asClusterError(err: unknown, server?: string, path?: string): ClusterError {
  if (err instanceof ClusterError) return err;
  const e = classifyNetworkError(err, { server });
  if (path) e.details.path ??= path;
  return e;
}

/** The error for an HTTP answer that is not the document (401, 403, 404, 5xx, …), worded for a path. */
export function errorForStatus(res: OpenApiResponse, path: string, context?: string, server?: string): ClusterError {
  const base = errorFromResponse(res.status, res.body, { server, verb: 'get' });
  const details = { ...base.details, path };
  const said = base.details.serverMessage ? firstLine(base.details.serverMessage, 120) : '';
  const ctx = context ? ` of context "${context}"` : '';
  switch (true) {
    case res.status === 401:
      return new ClusterError('unauthorized', `401 Unauthorized: the cluster rejected the credentials${ctx} (expired or wrong token or certificate?)`, details);
    case res.status === 403:
      return new ClusterError('forbidden', `403 Forbidden: ${said || `no permission to GET ${path}`}`, details);
    case res.status === 404:
      return new ClusterError('not-found', `404 Not Found: GET ${path}`, details);
    case res.status >= 500:
      return new ClusterError(base.kind, `${res.status} from the API server for GET ${path}${said ? `: ${said}` : ''}`, details);
    default:
      return new ClusterError(res.status === 429 ? 'server' : 'protocol', `${res.status} for GET ${path}${said ? `: ${said}` : ''}`, details);
  }
}

export interface KubeconfigFetcherOptions {
  /** Time to the answer's headers; longer: a 'timeout' error. Default 5000 ms. */
  timeoutMs?: number;
  /** Larger (decompressed) answers are refused ('protocol'). Default 64 MB. */
  maxBytes?: number;
  userAgent?: string;
  /** Where HTTPS_PROXY/NO_PROXY are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** An OpenApiFetcher over the cluster transport. */
export function clusterFetcher(client: Pick<HttpClusterClient, 'server' | 'fetch'>, opts: Pick<KubeconfigFetcherOptions, 'timeoutMs' | 'maxBytes'> = {}): OpenApiFetcher {
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  return {
    server: client.server,
    get: (path, signal, options = {}) => client.fetch(path, { signal, timeoutMs: opts.timeoutMs, maxBytes, ifNoneMatch: options.ifNoneMatch }),
  };
}

/**
 * An OpenApiFetcher for a context of the kubeconfig files (merged as kubectl does). The kubeconfig
 * is read on the first request (and again after a failure); credentials are applied before each
 * request (exec plugins refresh their tokens). `dispose()` closes its connections.
 */
export function kubeconfigFetcher(kubeconfig: string | string[], context: string, opts: KubeconfigFetcherOptions = {}): OpenApiFetcher & { dispose(): void } {
  const files = Array.isArray(kubeconfig) ? kubeconfig : [kubeconfig];
  let client: Promise<HttpClusterClient> | undefined;
  let server: string | undefined;
  const connect = () =>
    (client ??= connectToContext({ files, context, timeoutMs: opts.timeoutMs, userAgent: opts.userAgent ?? 'reconcile', env: opts.env }).then(
      (c) => {
        server = c.server;
        return c;
      },
      (e) => {
        client = undefined; // a fixed kubeconfig is read again on the next request
        throw e;
      },
    ));
  return {
    get server() {
      return server;
    },
    async get(path, signal, options = {}) {
      const c = await connect();
      signal?.throwIfAborted();
      return clusterFetcher(c, opts).get(path, signal, options);
    },
    dispose() {
      void client?.then((c) => c.dispose(), () => {});
      client = undefined;
    },
  };
}

// ---- loading, caching, converting --------------------------------------------------------------

export interface ClusterSchema extends GroupVersionKind {
  /** Self-contained and strict: `{ $ref: '#/$defs/<definition>', $defs }`. */
  schema: JsonSchema;
  celRules: CelRuleSet[];
  /** The cached document it was converted from (`v2-<sha256>`, `v3-<hash>`), plus options. */
  document: string;
}

export type ClusterSchemaSource = 'openapi-v3' | 'openapi-v2' | 'cache' | 'none';

export interface ClusterSchemaStats {
  /** HTTP requests made (discovery, revalidation and documents). */
  requests: number;
  /** OpenAPI documents in the result. */
  documents: number;
  /** Documents downloaded (200 with a body) by this call. */
  fetched: number;
  /** Documents the server confirmed unchanged (304). */
  notModified: number;
  /** Documents read from the disk cache / already converted in memory. */
  fromDisk: number;
  fromMemory: number;
  /** Bytes of the downloaded documents (decompressed). */
  bytesFetched: number;
  ms: number;
}

export interface ClusterSchemaResult {
  context: string;
  schemas: ClusterSchema[];
  /**
   * Where the schemas come from: the cluster now (v3 or v2), the cache of its last good answer
   * (`cache`: the cluster could not be asked, see errors), or nowhere (`none`: no cache either).
   */
  source: ClusterSchemaSource;
  /** The OpenAPI version behind the schemas (also for `cache`). */
  format?: 'openapi-v3' | 'openapi-v2';
  /** ISO time the cluster served or confirmed these schemas (for `cache`: of the cached answer). */
  fetchedAt?: string;
  /** Why the cluster could not be asked (cache, none), or documents that could not be had (stale ones are used). */
  errors: ClusterError[];
  /** Identifies the documents behind the schemas: equal fingerprints, equal schemas. */
  fingerprint: string;
  stats: ClusterSchemaStats;
  /** The cluster's Kubernetes minor version (`1.37`), from its OpenAPI documents' info.version, when they say. */
  kubernetesVersion?: string;
}

export interface LoadClusterSchemasOptions {
  fetcher: OpenApiFetcher;
  /** Shared by all contexts (documents are stored once by content hash). */
  cacheDir: string;
  context: string;
  signal?: AbortSignal;
  /** Keep descriptions in the schemas, for hover (≈4× the memory). Default false. */
  descriptions?: boolean;
  /** v3 documents fetched at the same time. Default 4. */
  concurrency?: number;
}

const INDEX_VERSION = 1;

interface CacheIndex {
  version: number;
  context: string;
  format: 'openapi-v3' | 'openapi-v2';
  fetchedAt: string;
  server?: string;
  /** v2: the server's ETag of the document. */
  etag?: string;
  /** v3: one per group-version (`gv` = `api/v1`, `apis/apps/v1`); v2: one, without gv. */
  documents: { id: string; gv?: string }[];
}

interface DocRef {
  id: string;
  gv?: string;
}

/**
 * Converted documents by id (+ options), most recently used last, bounded by the size of their
 * sources (a converted /openapi/v2 of 3.8 MB takes ≈1.5 MB of heap without descriptions).
 */
const converted = new Map<string, { value: ConvertedOpenApi; weight: number }>();
const MEMO_MAX_WEIGHT = 64 * 1024 * 1024;
let memoWeight = 0;

function memoKey(id: string, gv: string | undefined, descriptions: boolean): string {
  return `${id}|${gv ?? ''}|${descriptions ? 'd' : ''}`;
}

function memoGet(key: string): ConvertedOpenApi | undefined {
  const hit = converted.get(key);
  if (!hit) return undefined;
  converted.delete(key);
  converted.set(key, hit);
  return hit.value;
}

function memoSet(key: string, value: ConvertedOpenApi, weight: number): void {
  const old = converted.get(key);
  if (old) {
    memoWeight -= old.weight;
    converted.delete(key);
  }
  converted.set(key, { value, weight });
  memoWeight += weight;
  for (const [k, e] of converted) {
    if (memoWeight <= MEMO_MAX_WEIGHT || k === key) break;
    converted.delete(k);
    memoWeight -= e.weight;
  }
}

/** Forgets the converted documents kept in memory (tests; memory pressure). */
export function clearClusterSchemaMemory(): void {
  converted.clear();
  memoWeight = 0;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A file-name-safe id for a document: the server's hash when it is plain, else a hash of it. */
function docId(prefix: 'v2' | 'v3', hash: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(hash) ? `${prefix}-${hash}` : `${prefix}-${sha256(hash)}`;
}

function indexFile(cacheDir: string, context: string): string {
  const slug = context.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return join(cacheDir, 'contexts', `${slug}-${sha256(context).slice(0, 12)}.json`);
}

function docFile(cacheDir: string, id: string): string {
  return join(cacheDir, 'documents', `${id}.json.gz`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes atomically (temp file + rename): readers in other processes never see half a file. */
async function writeAtomic(file: string, data: Buffer | string): Promise<void> {
  await fsp.mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

async function readIndex(cacheDir: string, context: string): Promise<CacheIndex | undefined> {
  try {
    const v = JSON.parse(await fsp.readFile(indexFile(cacheDir, context), 'utf8')) as CacheIndex;
    if (v?.version !== INDEX_VERSION || v.context !== context || !Array.isArray(v.documents)) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

async function readDoc(cacheDir: string, id: string): Promise<{ doc: unknown; bytes: number } | undefined> {
  try {
    const text = (await gunzipP(await fsp.readFile(docFile(cacheDir, id)))).toString('utf8');
    return { doc: JSON.parse(text), bytes: text.length };
  } catch {
    return undefined; // missing or damaged: fetched again when online
  }
}

function parseGv(gv: string | undefined): { group: string; version: string } | undefined {
  if (!gv) return undefined;
  const p = gv.split('/');
  if (p[0] === 'api' && p.length === 2) return { group: '', version: p[1] };
  if (p[0] === 'apis' && p.length === 3) return { group: p[1], version: p[2] };
  return undefined;
}

class Loader {
  readonly stats: ClusterSchemaStats = { requests: 0, documents: 0, fetched: 0, notModified: 0, fromDisk: 0, fromMemory: 0, bytesFetched: 0, ms: 0 };
  readonly errors: ClusterError[] = [];
  private readonly descriptions: boolean;
  /** Cached documents found unreadable: written again when fetched. */
  private readonly damaged = new Set<string>();

  constructor(private readonly o: LoadClusterSchemasOptions) {
    this.descriptions = !!o.descriptions;
  }

  async get(path: string, ifNoneMatch?: string): Promise<OpenApiResponse> {
    this.o.signal?.throwIfAborted();
    this.stats.requests++;
    try {
      return await this.o.fetcher.get(path, this.o.signal, ifNoneMatch ? { ifNoneMatch } : {});
    } catch (e) {
      throw asClusterError(e, this.o.fetcher.server, path);
    }
  }

  /** A document as fetched now: stored (if new) and converted (unless the same content already was). */
  async fromBody(ref: DocRef, body: string): Promise<ConvertedOpenApi> {
    this.stats.fetched++;
    this.stats.bytesFetched += Buffer.byteLength(body);
    const key = memoKey(ref.id, ref.gv, this.descriptions);
    let c = memoGet(key);
    if (!c) {
      let doc: unknown;
      try {
        doc = JSON.parse(body);
      } catch {
        throw new ClusterError('protocol', `the OpenAPI document ${ref.gv ?? '/openapi/v2'} is not JSON`, { server: this.o.fetcher.server });
      }
      c = this.convert(doc, ref);
      memoSet(key, c, body.length);
    }
    const file = docFile(this.o.cacheDir, ref.id);
    try {
      if (this.damaged.has(ref.id) || !(await exists(file))) await writeAtomic(file, await gzipP(body));
    } catch (e) {
      this.cacheError(e);
    }
    return c;
  }

  /** The cache could not be written: the schemas are still good, only the offline fallback suffers. */
  cacheError(e: unknown): void {
    if (this.errors.some((x) => x.details.path === 'cache')) return;
    this.errors.push(new ClusterError('cache', `cannot write the schema cache in ${this.o.cacheDir}: ${firstLine(String((e as Error)?.message ?? e))}`, { path: 'cache' }));
  }

  /** A document known by id: from memory, else from disk; undefined when neither has it (never throws). */
  async fromCache(ref: DocRef): Promise<ConvertedOpenApi | undefined> {
    const key = memoKey(ref.id, ref.gv, this.descriptions);
    const file = docFile(this.o.cacheDir, ref.id);
    const hit = memoGet(key);
    if (hit && (await exists(file))) {
      this.stats.fromMemory++;
      return hit;
    }
    const read = await readDoc(this.o.cacheDir, ref.id);
    let c: ConvertedOpenApi | undefined;
    try {
      if (read) c = this.convert(read.doc, ref);
    } catch {
      // not an OpenAPI document after all: as if missing
    }
    if (!read || !c) {
      this.damaged.add(ref.id); // fetched (and stored) again when online
      return undefined;
    }
    memoSet(key, c, read.bytes);
    this.stats.fromDisk++;
    return c;
  }

  private convert(doc: unknown, ref: DocRef): ConvertedOpenApi {
    try {
      return convertOpenApi(doc, { descriptions: this.descriptions, only: parseGv(ref.gv) });
    } catch (e) {
      throw new ClusterError('protocol', `${ref.gv ?? '/openapi/v2'}: ${firstLine(String((e as Error)?.message ?? e))}`, { server: this.o.fetcher.server });
    }
  }
}

function resultOf(o: LoadClusterSchemasOptions, loader: Loader, source: ClusterSchemaSource, format: CacheIndex['format'] | undefined, fetchedAt: string | undefined, docs: { ref: DocRef; c: ConvertedOpenApi }[], t0: number): ClusterSchemaResult {
  const schemas: ClusterSchema[] = [];
  const seen = new Set<string>();
  for (const { ref, c } of docs) {
    const document = `${ref.id}${o.descriptions ? '+descriptions' : ''}`;
    for (const k of c.kinds) {
      const key = gvkKey(k);
      if (seen.has(key)) continue;
      seen.add(key);
      schemas.push({ group: k.group, version: k.version, kind: k.kind, schema: k.schema, celRules: k.celRules, document });
    }
  }
  loader.stats.documents = docs.length;
  loader.stats.ms = Math.round(performance.now() - t0);
  const fingerprint = docs.length ? `${o.descriptions ? 'd:' : ''}${docs.map((d) => `${d.ref.gv ?? ''}=${d.ref.id}`).sort().join(',')}` : '';
  const result: ClusterSchemaResult = { context: o.context, schemas, source, format, fetchedAt, errors: loader.errors, fingerprint, stats: loader.stats };
  const minor = docs.map((d) => /^v?(\d+)\.(\d+)/.exec(d.c.serverVersion ?? '')).find((m) => m);
  if (minor) result.kubernetesVersion = `${minor[1]}.${minor[2]}`;
  return result;
}

/** Runs `fn` over `items`, at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}

const GV_PATH = /^(api\/v1|apis\/[^/]+\/[^/]+)$/;

/** `/openapi/v3/apis/apps/v1?hash=…` of a server-relative or absolute URL. */
function relativeUrl(u: string): string {
  try {
    const url = new URL(u, 'https://server.invalid');
    return url.pathname + url.search;
  } catch {
    return u.startsWith('/') ? u : `/${u}`;
  }
}

/** The document id of a URL's `?hash=`, if it has one. */
function hashOf(u: string): string | undefined {
  try {
    const hash = new URL(u, 'https://server.invalid').searchParams.get('hash');
    return hash ? docId('v3', hash) : undefined;
  } catch {
    return undefined;
  }
}

async function loadV3(o: LoadClusterSchemasOptions, loader: Loader, discovery: OpenApiResponse, prev: CacheIndex | undefined, t0: number): Promise<ClusterSchemaResult> {
  let paths: Record<string, unknown>;
  try {
    const d = JSON.parse(discovery.body) as { paths?: unknown };
    if (!d || typeof d.paths !== 'object' || d.paths === null) throw new Error('no paths');
    paths = d.paths as Record<string, unknown>;
  } catch {
    throw new ClusterError('protocol', 'GET /openapi/v3: the answer is not an OpenAPI v3 discovery document', { server: o.fetcher.server, path: '/openapi/v3' });
  }
  const prevByGv = new Map((prev?.format === 'openapi-v3' ? prev.documents : []).filter((d) => d.gv).map((d) => [d.gv!, d.id]));
  const entries = Object.entries(paths)
    .filter(([gv]) => GV_PATH.test(gv))
    .map(([gv, v]) => {
      const rel = v && typeof v === 'object' && typeof (v as { serverRelativeURL?: unknown }).serverRelativeURL === 'string' ? (v as { serverRelativeURL: string }).serverRelativeURL : `/openapi/v3/${gv}`;
      const url = relativeUrl(rel);
      return { gv, url, id: hashOf(url) };
    })
    .sort((a, b) => a.gv.localeCompare(b.gv));

  const got = await pool(entries, o.concurrency ?? 4, async (e): Promise<{ doc?: { ref: DocRef; c: ConvertedOpenApi; fresh: boolean }; error?: ClusterError }> => {
    if (e.id) {
      const hit = await loader.fromCache({ id: e.id, gv: e.gv });
      if (hit) return { doc: { ref: { id: e.id, gv: e.gv }, c: hit, fresh: true } };
    }
    try {
      let url = e.url;
      let id = e.id;
      let res = await loader.get(url);
      // A document that changed since the discovery answer: the server redirects to its new hash.
      for (let hops = 0; res.status >= 301 && res.status <= 308 && res.location && hops < 2; hops++) {
        url = relativeUrl(res.location);
        id = hashOf(url);
        const known = id ? await loader.fromCache({ id, gv: e.gv }) : undefined;
        if (known && id) return { doc: { ref: { id, gv: e.gv }, c: known, fresh: true } };
        res = await loader.get(url);
      }
      if (res.status !== 200) throw errorForStatus(res, url, o.context, o.fetcher.server);
      const ref = { id: id ?? docId('v3', sha256(res.body)), gv: e.gv };
      return { doc: { ref, c: await loader.fromBody(ref, res.body), fresh: true } };
    } catch (err) {
      const error = asClusterError(err, o.fetcher.server, e.url);
      if (error.kind === 'aborted') throw error;
      // The last good document of this group-version, if any, stands in.
      const old = prevByGv.get(e.gv);
      const stale = old ? await loader.fromCache({ id: old, gv: e.gv }) : undefined;
      return {
        doc: stale && old ? { ref: { id: old, gv: e.gv }, c: stale, fresh: false } : undefined,
        error: new ClusterError(error.kind, `${e.gv}: ${error.message}${stale ? ' (using the cached schemas)' : ''}`, error.details),
      };
    }
  });
  for (const g of got) if (g.error) loader.errors.push(g.error); // in group-version order
  const docs = got.flatMap((g) => (g.doc ? [g.doc] : []));
  if (entries.length && !docs.some((d) => d.fresh)) throw loader.errors[0] ?? new ClusterError('protocol', 'no OpenAPI v3 document could be fetched');
  const fetchedAt = new Date().toISOString();
  await writeIndex(o, loader, { version: INDEX_VERSION, context: o.context, format: 'openapi-v3', fetchedAt, server: o.fetcher.server, documents: docs.map((d) => d.ref) });
  return resultOf(o, loader, 'openapi-v3', 'openapi-v3', fetchedAt, docs, t0);
}

async function loadV2(o: LoadClusterSchemasOptions, loader: Loader, prev: CacheIndex | undefined, t0: number): Promise<ClusterSchemaResult> {
  const prevRef = prev?.format === 'openapi-v2' && prev.documents[0] ? prev.documents[0] : undefined;
  // Revalidate only when the cached document is really there.
  const cached = prevRef && prev?.etag ? await loader.fromCache(prevRef) : undefined;
  const res = await loader.get('/openapi/v2', cached ? prev!.etag : undefined);
  let doc: { ref: DocRef; c: ConvertedOpenApi };
  let etag = res.etag;
  if (res.status === 304 && cached && prevRef) {
    loader.stats.notModified++;
    doc = { ref: prevRef, c: cached };
    etag ??= prev!.etag;
  } else if (res.status === 200) {
    const ref = { id: docId('v2', sha256(res.body)) };
    doc = { ref, c: await loader.fromBody(ref, res.body) };
  } else {
    throw errorForStatus(res, '/openapi/v2', o.context, o.fetcher.server);
  }
  const fetchedAt = new Date().toISOString();
  await writeIndex(o, loader, { version: INDEX_VERSION, context: o.context, format: 'openapi-v2', fetchedAt, server: o.fetcher.server, ...(etag ? { etag } : {}), documents: [doc.ref] });
  return resultOf(o, loader, 'openapi-v2', 'openapi-v2', fetchedAt, [doc], t0);
}

async function writeIndex(o: LoadClusterSchemasOptions, loader: Loader, index: CacheIndex): Promise<void> {
  try {
    await writeAtomic(indexFile(o.cacheDir, o.context), JSON.stringify(index, null, 1));
  } catch (e) {
    loader.cacheError(e);
  }
}

async function loadOffline(o: LoadClusterSchemasOptions, loader: Loader, prev: CacheIndex | undefined, t0: number): Promise<ClusterSchemaResult> {
  if (!prev) return resultOf(o, loader, 'none', undefined, undefined, [], t0);
  const docs: { ref: DocRef; c: ConvertedOpenApi }[] = [];
  for (const ref of prev.documents) {
    try {
      const c = await loader.fromCache(ref);
      if (c) docs.push({ ref, c });
      else loader.errors.push(new ClusterError('cache', `the cached schema document ${ref.gv ?? '/openapi/v2'} is missing or damaged`));
    } catch (e) {
      loader.errors.push(asClusterError(e));
    }
  }
  return resultOf(o, loader, docs.length ? 'cache' : 'none', prev.format, prev.fetchedAt, docs, t0);
}

/**
 * The schemas the cluster of `context` serves, one per kind, converted for the validator. Never
 * throws for cluster or cache trouble (see `source` and `errors`); rejects only when `signal` aborts.
 */
export async function loadClusterSchemas(o: LoadClusterSchemasOptions): Promise<ClusterSchemaResult> {
  const t0 = performance.now();
  const loader = new Loader(o);
  const prev = await readIndex(o.cacheDir, o.context);
  try {
    const discovery = await loader.get('/openapi/v3');
    if (discovery.status === 200) return await loadV3(o, loader, discovery, prev, t0);
    if (discovery.status !== 404) throw errorForStatus(discovery, '/openapi/v3', o.context, o.fetcher.server);
    return await loadV2(o, loader, prev, t0);
  } catch (e) {
    const error = asClusterError(e, o.fetcher.server);
    if (error.kind === 'aborted' || o.signal?.aborted) throw error.kind === 'aborted' ? error : new ClusterError('aborted', 'cancelled');
    if (!loader.errors.includes(error)) loader.errors.unshift(error);
    return loadOffline(o, loader, prev, t0);
  }
}

// ---- registering -----------------------------------------------------------------------------

/** What each registry got from each origin: kind → the registered schema and the document it came from. */
const registeredBy = new WeakMap<SchemaRegistry, Map<string, Map<string, { schema: JsonSchema; celRules: CelRuleSet[]; document: string }>>>();

export interface RegisterClusterSchemasResult {
  /** Kinds (re-)registered by this call. */
  registered: number;
  /** Kinds the origin has now. */
  total: number;
}

function sameSchema(a: { schema: JsonSchema; celRules: CelRuleSet[]; document: string }, b: ClusterSchema): boolean {
  if (a.schema === b.schema) return true;
  if (a.document === b.document) return true; // same document, same options: same conversion
  return JSON.stringify(a.schema) === JSON.stringify(b.schema) && JSON.stringify(a.celRules) === JSON.stringify(b.celRules);
}

/**
 * Registers a result's schemas in the registry with `source: 'cluster'` (before repository CRDs and
 * the bundle), replacing what the same origin registered before. Kinds whose schema did not change
 * (same document, or equal content) are left alone, so the registry's compiled validators stay: a
 * refresh that changed nothing costs nothing, and a new CRD in a v2 cluster (a new document) only
 * re-registers the kinds that differ. A result without schemas (`source: 'none'`) changes nothing.
 */
export function registerClusterSchemas(registry: SchemaRegistry, result: ClusterSchemaResult, origin = `cluster:${result.context}`): RegisterClusterSchemasResult {
  let byOrigin = registeredBy.get(registry);
  if (!byOrigin) registeredBy.set(registry, (byOrigin = new Map()));
  const prev = byOrigin.get(origin);
  if (result.source === 'none') return { registered: 0, total: prev?.size ?? 0 };
  const next = new Map(result.schemas.map((s) => [gvkKey(s), { schema: s.schema, celRules: s.celRules, document: s.document }]));
  const dropped = !prev || [...prev.keys()].some((k) => !next.has(k));
  if (dropped) registry.removeOrigin(origin);
  let registered = 0;
  for (const s of result.schemas) {
    const key = gvkKey(s);
    const before = prev?.get(key);
    if (!dropped && before && sameSchema(before, s)) {
      next.set(key, { ...before, document: s.document }); // the registry keeps the schema it has
      continue;
    }
    registry.registerSchema(s.group, s.version, s.kind, s.schema, { source: 'cluster', origin, close: false, celRules: s.celRules });
    registered++;
  }
  // The cluster's version becomes the registry's target unless one was chosen (reconcile.kubernetesVersion, --kubernetes-version).
  if (result.kubernetesVersion) registry.adoptClusterVersion(result.kubernetesVersion);
  byOrigin.set(origin, next);
  return { registered, total: next.size };
}

/** Removes what `origin` registered (a context that is gone); use this rather than registry.removeOrigin. */
export function unregisterClusterSchemas(registry: SchemaRegistry, origin: string): void {
  registeredBy.get(registry)?.delete(origin);
  registry.removeOrigin(origin);
}

/**
 * Deletes cached documents that no context's index refers to and that are older than `minAgeMs`
 * (default one day: another process may be writing its index right now). Returns the bytes freed.
 */
export async function pruneClusterSchemaCache(cacheDir: string, opts: { minAgeMs?: number; now?: number } = {}): Promise<number> {
  const minAge = opts.minAgeMs ?? 24 * 3600_000;
  const now = opts.now ?? Date.now();
  const used = new Set<string>();
  let indexes: string[] = [];
  try {
    indexes = (await fsp.readdir(join(cacheDir, 'contexts'))).filter((f) => f.endsWith('.json'));
  } catch {
    /* none */
  }
  for (const f of indexes) {
    try {
      const idx = JSON.parse(await fsp.readFile(join(cacheDir, 'contexts', f), 'utf8')) as CacheIndex;
      for (const d of idx.documents ?? []) used.add(d.id);
    } catch {
      return 0; // an index we cannot read may refer to anything: delete nothing
    }
  }
  let freed = 0;
  let docs: string[] = [];
  try {
    docs = await fsp.readdir(join(cacheDir, 'documents'));
  } catch {
    return 0;
  }
  for (const f of docs) {
    const id = f.replace(/\.json\.gz$/, '');
    if (used.has(id)) continue;
    const file = join(cacheDir, 'documents', f);
    try {
      const st = await fsp.stat(file);
      if (now - st.mtimeMs < minAge) continue;
      await fsp.rm(file, { force: true });
      freed += st.size;
    } catch {
      /* gone meanwhile */
    }
  }
  return freed;
}
