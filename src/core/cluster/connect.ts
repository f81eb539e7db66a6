// A ClusterClient for a kubeconfig context. Kubeconfig files are merged the way kubectl merges them
// (kubeconfig.ts: first file that sets a name wins), the cluster's proxy-url (else HTTPS_PROXY and
// NO_PROXY) is honoured, and @kubernetes/client-node supplies the credentials — client
// certificates, tokens, token files, exec and auth-provider plugins — exactly as it does for its own
// clients. It is loaded lazily: nothing of it is paid for until a cluster is used.
import type https from 'node:https';
import { ClusterError } from './errors';
import { HttpClusterClient, type RequestAuth, type RetryPolicy } from './http-client';
import { loadKubeconfigFiles, mergedKubeconfigText } from './kubeconfig';

export interface ConnectOptions {
  /** Kubeconfig files, in kubectl's order (see kubeconfigPaths()). */
  files: string[];
  /** The context; the merged current-context when absent. */
  context?: string;
  /** Default per-request timeout (ms); 5 s when absent. */
  timeoutMs?: number;
  userAgent?: string;
  /** Host name resolution (node's dns.lookup by default). */
  lookup?: import('node:net').LookupFunction;
  /** Where HTTPS_PROXY, HTTP_PROXY and NO_PROXY are read from. Default process.env. */
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  /** Longest pause while an answer's body streams in (ms). */
  bodyIdleTimeoutMs?: number;
}

// Only client-node's KubeConfig (and the auth code it uses) is imported: the package index pulls in
// every generated API model (15 MB bundled, ≈0.5 s to load) where this is 1.8 MB and ≈40 ms.
type KubeConfigClass = typeof import('@kubernetes/client-node/dist/config.js').KubeConfig;
type KubeConfigInstance = InstanceType<KubeConfigClass>;

let kubeConfigClass: Promise<KubeConfigClass> | undefined;
function loadKubeConfigClass(): Promise<KubeConfigClass> {
  return (kubeConfigClass ??= import('@kubernetes/client-node/dist/config.js').then((m) => m.KubeConfig));
}

/**
 * The merged kubeconfig (kubeconfig.ts, kubectl's rules) as client-node's KubeConfig, on `context`
 * (else the merged current-context). Throws ClusterError('config') when it cannot be used.
 */
export async function loadKubeConfig(files: string[], context?: string): Promise<KubeConfigInstance> {
  const m = await loadKubeconfigFiles(files);
  const problems = m.problems.map((p) => `${p.file}: ${p.message}`);
  const name = context || m.currentContext;
  if (!name) {
    throw new ClusterError('config', problems.length ? `no usable kubeconfig: ${problems.join('; ')}` : `the kubeconfig (${files.join(', ')}) names no current context`);
  }
  const ctx = m.contexts.find((c) => c.name === name);
  if (!ctx) throw new ClusterError('config', `no context "${name}" in the kubeconfig (${files.join(', ')})${problems.length ? `; ${problems.join('; ')}` : ''}`);
  const clusterName = typeof ctx.value.cluster === 'string' ? ctx.value.cluster : '';
  const cluster = m.clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new ClusterError('config', `context "${name}" names cluster "${clusterName}", which the kubeconfig does not define`);
  if (typeof cluster.value.server !== 'string' || !cluster.value.server) throw new ClusterError('config', `cluster "${clusterName}" (${cluster.file}) has no server address`);
  const KubeConfig = await loadKubeConfigClass();
  const kc = new KubeConfig();
  try {
    // Entries that client-node cannot read (a cluster with no server, say) are left out, as kubectl
    // ignores entries a command does not use; the one in use was checked above.
    kc.loadFromString(mergedKubeconfigText(m, name), { onInvalidEntry: 'filter' });
  } catch (e) {
    throw new ClusterError('config', `cannot use the kubeconfig (${files.join(', ')}): ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  }
  return kc;
}

/** A ClusterClient for one context (credentials are read again before every request: tokens rotate). */
export async function connectToContext(options: ConnectOptions): Promise<HttpClusterClient> {
  const kc = await loadKubeConfig(options.files, options.context);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new ClusterError('config', `context "${kc.currentContext}" has no server address`);
  const server = cluster.server;
  const plainHttp = server.startsWith('http:');
  return new HttpClusterClient({
    server,
    context: kc.currentContext,
    timeoutMs: options.timeoutMs,
    userAgent: options.userAgent,
    lookup: options.lookup,
    retry: options.retry,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
    proxy: { proxyUrl: cluster.proxyUrl || undefined, env: options.env },
    auth: {
      async auth(): Promise<RequestAuth> {
        const opts: https.RequestOptions = { headers: {} };
        try {
          await kc.applyToHTTPSOptions(opts);
        } catch (e) {
          // client-node refuses http:// without skip-TLS *after* it has set the headers: they are usable.
          if (!(plainHttp && /HTTP protocol is not allowed/i.test(String((e as Error)?.message)))) {
            throw new ClusterError('config', `cannot get credentials for context "${kc.currentContext}": ${String((e as Error)?.message ?? e).split('\n')[0]}`, { server });
          }
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(opts.headers ?? {})) {
          if (v === undefined) continue;
          headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
        }
        return {
          headers,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key as RequestAuth['key'],
          pfx: opts.pfx as RequestAuth['pfx'],
          passphrase: opts.passphrase,
          rejectUnauthorized: opts.rejectUnauthorized,
          servername: opts.servername,
          basic: opts.auth ?? undefined,
        };
      },
    },
  });
}
