// Which proxy a request to the API server goes through, as kubectl (client-go) decides it:
// - the cluster's `proxy-url` in the kubeconfig, for every request of that cluster (NO_PROXY does not apply);
// - else HTTPS_PROXY / https_proxy (http_proxy for an http:// server), unless NO_PROXY / no_proxy
//   matches the host, or the host is localhost or a loopback address (Go's httpproxy rules).
// Proxies are HTTP CONNECT proxies (http:// or https://); SOCKS is refused with a clear error.
import { BlockList, isIP, type Socket } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { ClusterError } from './errors';

export interface ProxySettings {
  /** The cluster's `proxy-url` from the kubeconfig. */
  proxyUrl?: string;
  /** Environment to read HTTPS_PROXY, HTTP_PROXY and NO_PROXY from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

function envAny(env: NodeJS.ProcessEnv, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v && v.trim()) return v.trim();
  }
  return undefined;
}

/** Parses a proxy address; a bare `host:port` means http:// (as Go does). */
export function parseProxyUrl(raw: string, where: string): URL {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ClusterError('config', `${where}: "${raw}" is not a proxy URL`);
  }
  if (u.protocol === 'socks5:' || u.protocol === 'socks5h:' || u.protocol === 'socks4:' || u.protocol === 'socks:') {
    throw new ClusterError('config', `${where}: SOCKS proxies (${u.protocol}//${u.host}) are not supported; use an HTTP CONNECT proxy (http:// or https://)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ClusterError('config', `${where}: proxy scheme ${u.protocol} is not supported (http:// or https://)`);
  return u;
}

/** The proxy for a request to `target`, or undefined to connect directly. Throws ClusterError('config') for an unusable proxy address. */
export function proxyFor(target: URL, settings: ProxySettings = {}): URL | undefined {
  if (settings.proxyUrl) return parseProxyUrl(settings.proxyUrl, 'the cluster\'s proxy-url');
  const env = settings.env ?? process.env;
  const secure = target.protocol === 'https:';
  const raw = secure ? envAny(env, 'HTTPS_PROXY', 'https_proxy') : envAny(env, 'HTTP_PROXY', 'http_proxy');
  if (!raw) return undefined;
  const host = hostOf(target);
  const port = target.port || (secure ? '443' : '80');
  if (host === 'localhost' || isLoopback(host)) return undefined;
  if (noProxyMatches(host, port, envAny(env, 'NO_PROXY', 'no_proxy') ?? '')) return undefined;
  return parseProxyUrl(raw, secure ? 'HTTPS_PROXY' : 'HTTP_PROXY');
}

function hostOf(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function isLoopback(host: string): boolean {
  const v = isIP(host);
  if (v === 4) return host.startsWith('127.');
  if (v === 6) return host === '::1' || /^0*:(0*:)*0*1$/.test(host) || host.startsWith('::ffff:127.');
  return false;
}

/**
 * NO_PROXY as Go reads it: comma-separated; `*` matches everything; an IP or CIDR matches addresses;
 * `example.com` matches it and its subdomains, `.example.com` (or `*.example.com`) subdomains only;
 * `host:port` matches that port only.
 */
export function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  host = host.replace(/^\[|\]$/g, '').toLowerCase();
  const hostIp = isIP(host);
  for (let entry of noProxy.split(',')) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      const [addr, bits] = entry.split('/');
      const fam = isIP(addr);
      if (!fam || !hostIp || fam !== hostIp || !/^\d+$/.test(bits)) continue;
      const list = new BlockList();
      try {
        list.addSubnet(addr, Number(bits), fam === 4 ? 'ipv4' : 'ipv6');
      } catch {
        continue;
      }
      if (list.check(host, fam === 4 ? 'ipv4' : 'ipv6')) return true;
      continue;
    }
    let entryHost = entry;
    let entryPort = '';
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracket) [entryHost, entryPort] = [bracket[1], bracket[2] ?? ''];
    else if (!isIP(entry)) {
      const m = /^(.*):(\d+)$/.exec(entry);
      if (m) [entryHost, entryPort] = [m[1], m[2]];
    }
    if (entryPort && entryPort !== port) continue;
    if (isIP(entryHost)) {
      if (entryHost === host) return true;
      continue;
    }
    if (entryHost.startsWith('*.')) entryHost = entryHost.slice(1);
    if (entryHost.startsWith('.')) {
      if (host.endsWith(entryHost)) return true;
    } else if (host === entryHost || host.endsWith(`.${entryHost}`)) return true;
  }
  return false;
}

/** How a proxy is named in messages: never with its credentials. */
export function proxyLabel(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * Opens a CONNECT tunnel through `proxy` to host:port and resolves with the socket (the caller puts
 * TLS on top for an https server). Rejects with a ClusterError naming the proxy.
 */
export function openTunnel(proxy: URL, host: string, port: number, opts: { timeoutMs?: number; ca?: tls.SecureContextOptions['ca'] } = {}): Promise<Socket> {
  const label = proxyLabel(proxy);
  const target = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const proxyPort = Number(proxy.port || (proxy.protocol === 'https:' ? 443 : 80));
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
  return new Promise<Socket>((resolve, reject) => {
    let done = false;
    const fail = (message: string, code?: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(new ClusterError('unreachable', `proxy ${label}: ${message} (tunnel to ${target})`, { code: code ?? 'EPROXY', server: label }));
    };
    const socket: Socket =
      proxy.protocol === 'https:'
        ? tls.connect({ host: proxyHost, port: proxyPort, servername: isIP(proxyHost) ? undefined : proxyHost, ...(opts.ca ? { ca: opts.ca } : {}) })
        : net.connect({ host: proxyHost, port: proxyPort });
    const timer = setTimeout(() => fail(`no answer to CONNECT within ${opts.timeoutMs ?? 30_000} ms`, 'ETIMEDOUT'), opts.timeoutMs ?? 30_000);
    timer.unref?.();
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(e.code === 'ECONNREFUSED' ? 'connection refused' : e.message.split('\n')[0], e.code);
    });
    socket.once(proxy.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      const auth = proxy.username ? `Proxy-Authorization: Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}\r\n` : '';
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) fail('the answer to CONNECT is too long');
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (!m) return fail(`not an HTTP proxy (answered "${statusLine.slice(0, 60)}")`);
      if (m[1] !== '200') return fail(`CONNECT refused: ${m[1]}${m[2] ? ` ${m[2]}` : ''}`, m[1] === '407' ? 'EPROXYAUTH' : 'EPROXY');
      const rest = head.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      socket.removeAllListeners('error');
      done = true;
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
