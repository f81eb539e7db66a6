// The small interface drift (and later sync) needs from a cluster. Objects travel as raw JSON
// (`RawObject`), never through typed models, so no field is ever dropped (recipes §3).
import type { ClusterError } from './errors';

/** A Kubernetes object exactly as the API server sent it (parsed JSON). */
export type RawObject = Record<string, unknown>;

/** One resource type as discovery describes it (`deployments` in `apps/v1`). Subresources are left out. */
export interface ApiResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

/** The resource types of one group-version, or `undefined` when the cluster does not serve it. */
export type GroupVersionResources = ApiResourceInfo[] | undefined;

export interface RequestOptions {
  signal?: AbortSignal;
  /** Per-request timeout; the client's default (5 s) when absent. */
  timeoutMs?: number;
}

export interface ListOptions extends RequestOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size (the client follows `continue` until the list is complete). Default 500. */
  pageSize?: number;
}

export interface ListResult {
  /** Items with apiVersion and kind filled in (the server leaves them out of list items). */
  items: RawObject[];
  /** The list's resourceVersion: where a watch continues from. */
  resourceVersion: string;
  /** Bytes of JSON received. */
  bytes: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent {
  type: WatchEventType;
  object: RawObject;
  /** Bytes of JSON the event took on the wire. */
  bytes?: number;
}

export interface WatchOptions {
  /** Ends the watch; the returned promise then resolves. */
  signal?: AbortSignal;
  /** Timeout for the server to answer (headers), not for the stream. Client default when absent. */
  timeoutMs?: number;
  /** Asks the server to end the stream after this long (it then resolves normally). Default 300–360 s. */
  timeoutSeconds?: number;
  labelSelector?: string;
  /** Called once the server has accepted the watch (response headers received). */
  onOpen?: () => void;
}

export interface ApplyOptions extends RequestOptions {
  fieldManager: string;
  dryRun?: boolean;
  /** Take ownership of fields other managers own (force-conflicts). */
  force?: boolean;
  /** Called with each warning the server sends back (Warning headers: admission policies with Warn, deprecations), also when it refuses. */
  onWarning?: (message: string) => void;
}

export interface PatchOptions extends RequestOptions {
  fieldManager: string;
  dryRun?: boolean;
}

export interface DeleteOptions extends RequestOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
}

/**
 * Raw access to one cluster (one kubeconfig context). Every method rejects only with a
 * `ClusterError`; none leaves a promise rejection unhandled.
 */
export interface ClusterClient {
  /** The API server address, for messages. */
  readonly server: string;
  /** The kubeconfig context, when made from one. */
  readonly context?: string;
  /** Discovery of one group-version (`''` is the core group). Cached; `undefined` when not served. */
  resources(group: string, version: string, opts?: RequestOptions): Promise<GroupVersionResources>;
  /** The resource type of `apiVersion`/`kind`, or undefined when the cluster does not serve it. */
  resolve(apiVersion: string, kind: string, opts?: RequestOptions): Promise<ApiResourceInfo | undefined>;
  list(type: ApiResourceInfo, namespace: string | undefined, opts?: ListOptions): Promise<ListResult>;
  /**
   * Watches from `resourceVersion`. Resolves when the server ends the stream normally or the signal
   * aborts; rejects with a ClusterError when the stream breaks (`disconnected`), on 410 (`gone`), or
   * when the watch cannot be opened.
   */
  watch(type: ApiResourceInfo, namespace: string | undefined, resourceVersion: string, onEvent: (e: WatchEvent) => void, opts?: WatchOptions): Promise<void>;
  get(type: ApiResourceInfo, namespace: string | undefined, name: string, opts?: RequestOptions): Promise<RawObject>;
  /** Server-side apply (PATCH application/apply-patch+yaml). Returns the object as the server (would) store it. */
  serverSideApply(obj: RawObject, opts: ApplyOptions): Promise<RawObject>;
  /** JSON patch (RFC 6902, `test` ops included). Returns the object as the server (would) store it. */
  jsonPatch(type: ApiResourceInfo, namespace: string | undefined, name: string, ops: readonly unknown[], opts: PatchOptions): Promise<RawObject>;
  delete(type: ApiResourceInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
  /** Forgets cached discovery (e.g. after a CRD was installed). */
  invalidateDiscovery(): void;
  /** Closes idle connections. Watches end through their signals. */
  dispose(): void;
}

export type { ClusterError };
