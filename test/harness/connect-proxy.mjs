// A small HTTP CONNECT proxy on 127.0.0.1 for tests: it opens tunnels, counts them, and can map host
// names to addresses (the client never resolves the API server's name: the proxy does, as a corporate
// proxy would). Only CONNECT is served; anything else gets 405.
//
//   const proxy = await startConnectProxy({ hosts: { 'kube.reconcile.test': '127.0.0.1' }, auth: 'user:pw' });
//   proxy.url                       http://127.0.0.1:<port>
//   proxy.tunnels                   [{ target: 'kube.reconcile.test:6443', ok: true }, …] in arrival order
//   await proxy.stop()
import http from 'node:http';
import net from 'node:net';

/**
 * @param {{ hosts?: Record<string, string>, auth?: string }} [options]
 */
export async function startConnectProxy({ hosts = {}, auth } = {}) {
  /** @type {{ target: string, ok: boolean, status: number }[]} */
  const tunnels = [];
  const sockets = new Set();
  const server = http.createServer((_req, res) => {
    res.writeHead(405, { 'Content-Type': 'text/plain' });
    res.end('this proxy only tunnels (CONNECT)\n');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req, client, head) => {
    const entry = { target: req.url ?? '', ok: false, status: 0 };
    tunnels.push(entry);
    const refuse = (code, text) => {
      entry.status = code;
      client.end(`HTTP/1.1 ${code} ${text}\r\n${code === 407 ? 'Proxy-Authenticate: Basic realm="test"\r\n' : ''}Content-Length: 0\r\n\r\n`);
    };
    if (auth && req.headers['proxy-authorization'] !== `Basic ${Buffer.from(auth).toString('base64')}`) return refuse(407, 'Proxy Authentication Required');
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry.target);
    if (!m) return refuse(400, 'Bad Request');
    const host = hosts[m[1]] ?? m[1];
    const upstream = net.connect({ host, port: Number(m[2]) });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.once('connect', () => {
      entry.ok = true;
      entry.status = 200;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head?.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => (entry.ok ? client.destroy() : refuse(502, 'Bad Gateway')));
    client.on('error', () => upstream.destroy());
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(() => r(undefined)));
    },
  };
}
