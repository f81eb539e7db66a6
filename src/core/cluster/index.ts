// Cluster access: kubeconfig contexts, raw JSON API access (ClusterClient), the live cache (LIST + WATCH).
export * from './kubeconfig';
export { ClusterError, classifyNetworkError, errorFromResponse, isClusterError, resourceLabelOf, type ClusterErrorKind, type ClusterErrorDetails, type StatusCause, type RequestContext } from './errors';
export type {
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
  WatchEventType,
  WatchOptions,
} from './types';
export {
  HttpClusterClient,
  collectionPath,
  parseRetryAfter,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_BODY_IDLE_TIMEOUT_MS,
  type AuthProvider,
  type FetchAnswer,
  type FetchOptions,
  type HttpClusterClientOptions,
  type RequestAuth,
  type RetryPolicy,
} from './http-client';
export { proxyFor, noProxyMatches, parseProxyUrl, type ProxySettings } from './proxy';
export { connectToContext, loadKubeConfig, type ConnectOptions } from './connect';
export {
  LiveCache,
  type CacheHealth,
  type CacheState,
  type CacheStats,
  type KindHealth,
  type LiveCacheOptions,
  type LiveChange,
  type LiveLookup,
  type LiveObject,
  type StreamHealth,
  type StreamState,
} from './live-cache';
export { Emitter, type Disposable } from './emitter';
