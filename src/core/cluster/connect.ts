// A ClusterClient for a kubeconfig context. Kubeconfig files are merged the way kubectl merges them
// (first file that sets a name wins), and @kubernetes/client-node supplies the credentials — client
// certificates, tokens, token files, exec and auth-provider plugins — exactly as it does for its own
// clients. It is loaded lazily: nothing of it is paid for until a cluster is used.
import type https from 'node:https';
import { ClusterError } from './errors';
import { HttpClusterClient, type RequestAuth } from './http-client';

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
}

// Only client-node's KubeConfig (and the auth code it uses) is imported: the package index pulls in
// every generated API model (15 MB bundled, ≈0.5 s to load) where this is 1.8 MB and ≈40 ms.
type KubeConfigClass = typeof import('@kubernetes/client-node/dist/config.js').KubeConfig;
type KubeConfigInstance = InstanceType<KubeConfigClass>;

let kubeConfigClass: Promise<KubeConfigClass> | undefined;
function loadKubeConfigClass(): Promise<KubeConfigClass> {
  return (kubeConfigClass ??= import('@kubernetes/client-node/dist/config.js').then((m) => m.KubeConfig));
}

/** Loads and merges the files; throws ClusterError('config') when none can be used. */
export async function loadKubeConfig(files: string[], context?: string): Promise<KubeConfigInstance> {
  const KubeConfig = await loadKubeConfigClass();
  const merged = new KubeConfig();
  const clusters: KubeConfigInstance['clusters'] = [];
  const users: KubeConfigInstance['users'] = [];
  const contexts: KubeConfigInstance['contexts'] = [];
  let current = '';
  const problems: string[] = [];
  for (const file of files) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`${file}: ${code === 'ENOENT' ? 'file does not exist' : (e as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const c of one.clusters ?? []) if (!clusters.some((x) => x.name === c.name)) clusters.push(c);
    for (const u of one.users ?? []) if (!users.some((x) => x.name === u.name)) users.push(u);
    for (const c of one.contexts ?? []) if (!contexts.some((x) => x.name === c.name)) contexts.push(c);
    if (!current && one.currentContext) current = one.currentContext;
  }
  const name = context || current;
  if (!name) {
    throw new ClusterError('config', problems.length ? `no usable kubeconfig: ${problems.join('; ')}` : 'the kubeconfig names no current context');
  }
  const ctx = contexts.find((c) => c.name === name);
  if (!ctx) throw new ClusterError('config', `no context "${name}" in the kubeconfig${problems.length ? ` (${problems.join('; ')})` : ''}`);
  if (!clusters.some((c) => c.name === ctx.cluster)) throw new ClusterError('config', `context "${name}" names cluster "${ctx.cluster}", which the kubeconfig does not define`);
  merged.loadFromOptions({ clusters, users, contexts, currentContext: name });
  return merged;
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
