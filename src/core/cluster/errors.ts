// What went wrong talking to a cluster, classified so that the editor, the tree and the CLI can say
// it in one line ("cluster unreachable: connection refused", "no permission to list deployments.apps
// in shop-dev") instead of a stack trace, and so that callers can decide (retry, re-list, give up).

export type ClusterErrorKind =
  | 'unreachable' // ECONNREFUSED / EHOSTUNREACH / ENETUNREACH / ECONNRESET before a response
  | 'dns' // ENOTFOUND / EAI_AGAIN
  | 'tls' // certificate not trusted, expired, wrong host name, handshake failure
  | 'unauthorized' // 401: no or bad credentials
  | 'forbidden' // 403: RBAC said no (verb/resource in `details`)
  | 'not-found' // 404
  | 'conflict' // 409: field manager conflict, already exists, …
  | 'gone' // 410: resourceVersion too old (watch), re-list
  | 'invalid' // 422 (and 400 Bad Request): the object was rejected; `details.causes`
  | 'server' // 5xx, or 429 after retries
  | 'timeout' // no answer within the request timeout
  | 'disconnected' // a (watch) connection dropped in the middle of the response
  | 'aborted' // the caller cancelled
  | 'config' // the kubeconfig/context cannot be used (no such context, unreadable file, exec plugin failed, unusable proxy)
  | 'protocol' // an answer that is not what the API promises (not JSON, unexpected shape, too large)
  | 'cache'; // a local cache of cluster answers (schemas) cannot be read or written

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface ClusterErrorDetails {
  /** HTTP status code, when there was a response. */
  status?: number;
  /** `reason` of the server's Status object (Forbidden, NotFound, Conflict, Invalid, Expired, …). */
  reason?: string;
  /** The server's own message (Status.message), verbatim. */
  serverMessage?: string;
  /** The request: verb and what it was about. */
  verb?: string;
  resource?: string;
  group?: string;
  namespace?: string;
  name?: string;
  causes?: StatusCause[];
  /** The Node.js error code behind a network failure (ECONNREFUSED, CERT_HAS_EXPIRED, …). */
  code?: string;
  /** The API server's address. */
  server?: string;
  /** The wait the server asked for (Retry-After of a 429 or 503), in ms. */
  retryAfterMs?: number;
  /** Attempts made before giving up (throttled requests are retried). */
  attempts?: number;
  /** The request path, when it is not a resource (`/openapi/v3`), or the cache file. */
  path?: string;
}

/** A failed cluster call. `message` is one line for people; `kind` is for code. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  constructor(readonly kind: ClusterErrorKind, message: string, readonly details: ClusterErrorDetails = {}) {
    super(message);
  }

  /** The status code, when the server answered. */
  get status(): number | undefined {
    return this.details.status;
  }

  /** True for failures that say nothing about the object itself: the cluster could not be asked. */
  get isConnectivity(): boolean {
    return ['unreachable', 'dns', 'tls', 'timeout', 'disconnected', 'server', 'unauthorized', 'config', 'protocol'].includes(this.kind);
  }

  toJSON(): { kind: ClusterErrorKind; message: string; details: ClusterErrorDetails } {
    return { kind: this.kind, message: this.message, details: this.details };
  }
}

export function isClusterError(e: unknown): e is ClusterError {
  return e instanceof ClusterError;
}

/**
 * True when the cluster gave no answer at all (connection refused or reset, DNS, TLS, no headers in
 * time, cut off): the cluster is gone, not the object. A server's own answer (a 504, a 500 from a
 * webhook) is not this: it is about the request.
 */
export function isNoAnswer(e: unknown): boolean {
  return e instanceof ClusterError && e.details.status === undefined && ['unreachable', 'dns', 'tls', 'timeout', 'disconnected'].includes(e.kind);
}

/** Where a request went and what it was for: used to word the messages. */
export interface RequestContext {
  server?: string;
  verb?: string;
  /** Plural resource name, e.g. `deployments`. */
  resource?: string;
  group?: string;
  namespace?: string;
  name?: string;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_TLS_HANDSHAKE_TIMEOUT',
  'HOSTNAME_MISMATCH',
]);

const TLS_WORDS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'the server certificate is not signed by a trusted CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate that is not trusted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'a self-signed server certificate that is not trusted',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is not valid for this host name',
  HOSTNAME_MISMATCH: 'the server certificate is not valid for this host name',
};

/** `deployments.apps`, `configmaps`: the way kubectl names a resource type. */
export function resourceLabelOf(ctx: Pick<RequestContext, 'resource' | 'group'>): string {
  if (!ctx.resource) return 'resources';
  return ctx.group ? `${ctx.resource}.${ctx.group}` : ctx.resource;
}

function where(ctx: RequestContext): string {
  return ctx.namespace ? ` in ${ctx.namespace}` : ctx.resource ? ' (cluster-wide)' : '';
}

function firstLine(s: string, max = 200): string {
  const line = s.split('\n')[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Classifies a network-level error (no HTTP response) from node:http(s). */
export function classifyNetworkError(err: unknown, ctx: RequestContext = {}): ClusterError {
  if (err instanceof ClusterError) return err;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const raw = e instanceof Error ? e.message : String(err);
  const server = ctx.server;
  const at = server ? ` (${server})` : '';
  const details: ClusterErrorDetails = { code, server, verb: ctx.verb, resource: ctx.resource, group: ctx.group, namespace: ctx.namespace, name: ctx.name };
  if (e?.name === 'AbortError' || code === 'ABORT_ERR') return new ClusterError('aborted', 'cancelled', details);
  switch (code) {
    case 'ECONNREFUSED':
      return new ClusterError('unreachable', `connection refused${at}`, details);
    case 'EHOSTUNREACH':
      return new ClusterError('unreachable', `host unreachable${at}`, details);
    case 'ENETUNREACH':
      return new ClusterError('unreachable', `network unreachable${at}`, details);
    case 'EHOSTDOWN':
      return new ClusterError('unreachable', `host is down${at}`, details);
    case 'EADDRNOTAVAIL':
      return new ClusterError('unreachable', `address not available${at}`, details);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ClusterError('unreachable', `connection reset by the server${at}`, details);
    case 'ENOTFOUND':
      return new ClusterError('dns', `cannot resolve the server's host name${hostOf(server)}`, details);
    case 'EAI_AGAIN':
      return new ClusterError('dns', `DNS lookup failed temporarily${hostOf(server)}`, details);
    case 'ETIMEDOUT':
      return new ClusterError('timeout', `connection timed out${at}`, details);
  }
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('CERT_'))) {
    const words = TLS_WORDS[code] ?? firstLine(raw);
    return new ClusterError('tls', `TLS: ${words}${at}`, details);
  }
  if (/certificate|ssl|tls/i.test(raw)) return new ClusterError('tls', `TLS: ${firstLine(raw)}${at}`, details);
  return new ClusterError('unreachable', `${firstLine(raw) || 'connection failed'}${at}`, details);
}

function hostOf(server: string | undefined): string {
  if (!server) return '';
  try {
    return ` (${new URL(server).hostname})`;
  } catch {
    return ` (${server})`;
  }
}

interface StatusObject {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

function asStatus(body: unknown): StatusObject | undefined {
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const s = body as StatusObject;
  return s.kind === 'Status' || typeof s.reason === 'string' || typeof s.message === 'string' ? s : undefined;
}

/** Classifies an HTTP error answer (status ≥ 400), with the server's Status object when there is one. */
export function errorFromResponse(status: number, body: unknown, ctx: RequestContext = {}): ClusterError {
  const st = asStatus(body);
  const serverMessage = st?.message ? String(st.message) : typeof body === 'string' && body.trim() ? firstLine(body) : undefined;
  const details: ClusterErrorDetails = {
    status,
    reason: st?.reason,
    serverMessage,
    verb: ctx.verb,
    resource: ctx.resource ?? st?.details?.kind,
    group: ctx.group ?? st?.details?.group,
    namespace: ctx.namespace,
    name: ctx.name ?? st?.details?.name,
    causes: st?.details?.causes,
    server: ctx.server,
  };
  const what = resourceLabelOf(details);
  const suffix = serverMessage ? `: ${firstLine(serverMessage)}` : '';
  if (status === 401) return new ClusterError('unauthorized', `not authorized: the credentials of this context were rejected${ctx.server ? ` by ${ctx.server}` : ''}`, details);
  if (status === 403) {
    // `deployments.apps is forbidden: User "x" cannot list resource "deployments" in API group "apps" in the namespace "ns"`
    const m = /cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?/.exec(serverMessage ?? '');
    if (m) {
      details.verb ??= m[1];
      if (!ctx.resource) {
        details.resource = m[2];
        details.group = m[3];
      }
      details.namespace ??= m[4];
    }
    const verb = details.verb ?? 'access';
    const label = resourceLabelOf(details);
    const target = details.name ? `${label} "${details.name}"` : label;
    return new ClusterError('forbidden', `no permission to ${verb} ${target}${where({ ...ctx, namespace: details.namespace, resource: details.resource })}`, details);
  }
  if (status === 404) return new ClusterError('not-found', `not found: ${ctx.name ? `${what} "${ctx.name}"` : what}${where(ctx)}`, details);
  if (status === 409) return new ClusterError('conflict', `conflict${suffix}`, details);
  if (status === 410) return new ClusterError('gone', `resource version too old (410 Gone)${suffix}`, details);
  if (status === 422 || status === 400) {
    const causes = (st?.details?.causes ?? []).map((c) => `${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}`).filter(Boolean);
    const msg = causes.length ? causes.slice(0, 3).join('; ') + (causes.length > 3 ? ` (+${causes.length - 3} more)` : '') : firstLine(serverMessage ?? 'rejected');
    return new ClusterError('invalid', `rejected by the server: ${msg}`, details);
  }
  if (status === 429) return new ClusterError('server', `the server is overloaded (429 Too Many Requests)${suffix}`, details);
  if (status === 504) return new ClusterError('timeout', `the server timed out (504)${suffix}`, details);
  if (status >= 500) return new ClusterError('server', `server error ${status}${suffix}`, details);
  return new ClusterError('protocol', `unexpected answer ${status}${suffix}`, details);
}
