// A fake Kubernetes API server for fault injection (correctness tests use the real kube-apiserver from
// cluster.mjs). It serves just enough of the API for a live cache — discovery, LIST with
// resourceVersion, WATCH with replay from a resourceVersion, GET — over TLS with a bearer token, and
// can be told to misbehave the ways real clusters do:
//
//   const fake = await startFakeApiserver({ objects: [configMap, deployment] });
//   fake.kubeconfig / fake.context ('fake')            a kubeconfig that trusts the fake's CA
//   fake.setFault({ type: 'refuse' })                  nothing listens on the port (ECONNREFUSED)
//   fake.setFault({ type: 'tls' })                     serves a self-signed certificate the CA did not sign
//   fake.setFault({ type: 'status', code: 401 })       every request gets that Status (401, 403, 500, 503, …)
//   fake.setFault({ type: 'slow', delayMs: 3000 })     answers only after delayMs
//   fake.setFault({ type: 'broken-watch', afterMs })   watches are cut off mid-stream after afterMs
//   fake.setFault({ type: 'gone-watch' })              watches get an ERROR event with a 410 Status
//   fake.setFault({ type: 'gone-watch', http: true })  watches are refused with HTTP 410
//   fake.setFault({ type: 'throttle', count: 8, code: 429, retryAfter: '0', method: 'PATCH' })
//                                                      the next `count` requests (of `method`, if given) get
//                                                      429 (or 503) with that Retry-After (none if absent);
//                                                      count: Infinity for ever
//   fake.setFault({ type: 'slow-body', holdMs: 1500, chunks: 4 })
//                                                      LIST answers send their headers at once, then the body
//                                                      in `chunks` pieces spread over holdMs (slow big pages)
//   fake.setFault({ type: 'reset', count: 1, method: 'GET' })
//                                                      the next `count` requests are cut without an answer
//   fake.setFault({ type: 'die', after: 3, method: 'PATCH' })
//                                                      after `after` such requests were answered, the server
//                                                      goes away (stops listening, drops every connection)
//   fake.onRequest(fn)                                 fn(entry) for each request, as it arrives
//   fake.setFault(null)                                back to normal
//
// Besides reads it answers server-side apply (PATCH application/apply-patch+yaml; with dryRun=All
// nothing is stored) and serves a small /openapi/v2 document (no /openapi/v3, as a cluster < 1.24).
//   fake.put(obj) / fake.remove(kind, ns, name)        change objects (watchers get events); DELETE by name too
//   fake.writeKubeconfig({ server, proxyUrl, tlsServerName })  a kubeconfig for another address (e.g. a .invalid host)
//   await fake.stop()
//
// Setting a fault (and clearing one) cuts every open connection, as a restarting or failing server
// does, so that clients notice at once.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** group/version → resources served (discovery and routing). */
const RESOURCES = {
  v1: [
    { name: 'namespaces', namespaced: false, kind: 'Namespace' },
    { name: 'configmaps', namespaced: true, kind: 'ConfigMap' },
    { name: 'secrets', namespaced: true, kind: 'Secret' },
    { name: 'services', namespaced: true, kind: 'Service' },
  ],
  'apps/v1': [{ name: 'deployments', namespaced: true, kind: 'Deployment' }],
};
const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const HISTORY = 1000; // watch events kept for replay

function status(code, reason, message, details = {}) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code };
}

/** A small OpenAPI v2 document: ConfigMap only (enough for live schemas through the transport). */
const OPENAPI_V2 = {
  swagger: '2.0',
  info: { title: 'Kubernetes', version: 'v1.20.0-fake' },
  paths: {},
  definitions: {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    'io.k8s.api.core.v1.ConfigMap': {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
        data: { type: 'object', additionalProperties: { type: 'string' } },
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
    },
  },
};

const REASONS = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 410: 'Expired', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

async function makeCerts(dir) {
  const f = (n) => path.join(dir, n);
  const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  fs.writeFileSync(f('ca.cnf'), ['[req]', 'distinguished_name = dn', 'x509_extensions = v3', 'prompt = no', '[dn]', 'CN = fake-apiserver-ca', '[v3]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign'].join('\n') + '\n');
  fs.writeFileSync(f('server.cnf'), ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', 'CN = fake-apiserver', '[v3]', 'basicConstraints = CA:FALSE', 'extendedKeyUsage = serverAuth', 'subjectAltName = IP:127.0.0.1,DNS:localhost'].join('\n') + '\n');
  const ossl = (args) => execFileP('openssl', args, { cwd: dir });
  await Promise.all([
    ossl(['req', '-x509', '-config', f('ca.cnf'), ...EC, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30']),
    ossl(['req', '-new', '-config', f('server.cnf'), ...EC, '-keyout', f('server.key'), '-out', f('server.csr')]),
    // A self-signed certificate for the same names that no trusted CA signed: the TLS fault.
    ossl(['req', '-x509', '-config', f('server.cnf'), '-extensions', 'v3', ...EC, '-keyout', f('untrusted.key'), '-out', f('untrusted.crt'), '-days', '30']),
  ]);
  await ossl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', '0x1' + randomBytes(7).toString('hex'), '-days', '30', '-extfile', f('server.cnf'), '-extensions', 'v3', '-out', f('server.crt')]);
}

/**
 * @param {{ objects?: object[], log?: (msg: string) => void }} [options]
 */
export async function startFakeApiserver({ objects = [], log = () => {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-fake-apiserver-'));
  const f = (n) => path.join(dir, n);
  await makeCerts(dir);
  const good = { key: fs.readFileSync(f('server.key')), cert: fs.readFileSync(f('server.crt')) };
  const bad = { key: fs.readFileSync(f('untrusted.key')), cert: fs.readFileSync(f('untrusted.crt')) };
  const token = randomBytes(16).toString('hex');

  /** key "gv|resource|ns|name" → object */
  const store = new Map();
  /** @type {{ rv: number, type: string, object: object, gv: string, resource: string }[]} */
  const history = [];
  let rv = 100;
  let fault = null;
  const sockets = new Set();
  /** open watches: { res, gv, resource, ns } */
  const watches = new Set();
  const requests = [];
  let requestListener = () => {};
  /** Requests answered per fault (throttle/reset count down, die counts up). */
  let faultCount = 0;

  const infoOf = (apiVersion, kind) => {
    for (const [gv, list] of Object.entries(RESOURCES)) if (gv === apiVersion) for (const r of list) if (r.kind === kind) return { gv, ...r };
    return undefined;
  };
  const keyOf = (gv, resource, ns, name) => `${gv}|${resource}|${ns ?? ''}|${name}`;

  function record(type, object, gv, resource) {
    history.push({ rv, type, object: structuredClone(object), gv, resource });
    if (history.length > HISTORY) history.shift();
    for (const w of watches) {
      if (w.gv !== gv || w.resource !== resource) continue;
      if (w.ns && object.metadata?.namespace !== w.ns) continue;
      w.res.write(JSON.stringify({ type, object }) + '\n');
    }
  }

  function put(obj) {
    const info = infoOf(obj.apiVersion, obj.kind);
    if (!info) throw new Error(`the fake apiserver does not serve ${obj.kind} ${obj.apiVersion}`);
    const o = structuredClone(obj);
    const ns = info.namespaced ? o.metadata.namespace ?? 'default' : undefined;
    const key = keyOf(info.gv, info.name, ns, o.metadata.name);
    const old = store.get(key);
    rv++;
    o.metadata = {
      ...o.metadata,
      ...(ns ? { namespace: ns } : {}),
      uid: old?.metadata.uid ?? randomUUID(),
      resourceVersion: String(rv),
      creationTimestamp: old?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    store.set(key, o);
    record(old ? 'MODIFIED' : 'ADDED', o, info.gv, info.name);
    return o;
  }

  function remove(apiVersion, kind, ns, name) {
    const info = infoOf(apiVersion, kind);
    const key = keyOf(info.gv, info.name, info.namespaced ? ns ?? 'default' : undefined, name);
    const old = store.get(key);
    if (!old) return false;
    store.delete(key);
    rv++;
    record('DELETED', { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } }, info.gv, info.name);
    return true;
  }

  for (const o of objects) put(o);

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function handle(req, res) {
    const url = new URL(req.url, 'https://fake');
    const q = url.searchParams;
    const entry = { method: req.method, path: url.pathname, query: url.search, at: Date.now(), status: 0 };
    const send = (code, body, headers = {}) => {
      entry.status = code;
      if (res.destroyed) return;
      res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    requests.push(entry);
    requestListener(entry);
    const isWatch = q.get('watch') === '1' || q.get('watch') === 'true';
    const current = fault;
    const matches = (f) => !f.method || f.method === req.method;
    if (current?.type === 'throttle' && matches(current) && faultCount < (current.count ?? Infinity)) {
      faultCount++;
      const code = current.code ?? 429;
      return send(code, status(code, REASONS[code], code === 429 ? 'Too many requests, please try again later.' : 'the server is currently unable to handle the request'), current.retryAfter !== undefined ? { 'Retry-After': String(current.retryAfter) } : {});
    }
    if (current?.type === 'reset' && matches(current) && faultCount < (current.count ?? Infinity)) {
      faultCount++;
      entry.status = -1;
      req.socket.destroy();
      return;
    }
    if (current?.type === 'refuse') {
      entry.status = -1; // arrived while the server is going away
      req.socket.destroy();
      return;
    }
    if (current?.type === 'die' && matches(current) && faultCount++ >= (current.after ?? 0)) {
      entry.status = -1;
      fault = { type: 'refuse' };
      req.socket.destroy();
      // Closed outside this request's handler: closing a server from inside one of its requests meets
      // the request's freed parser in closeIdleConnections.
      const dying = fault;
      setImmediate(() => {
        if (fault === dying) void setFault({ type: 'refuse' }).catch((e) => log(`[fake-apiserver] ${e.stack ?? e}`));
      });
      return;
    }
    if (current?.type === 'slow') {
      await sleep(current.delayMs ?? 10_000);
      if (res.destroyed) return;
    }
    if (current?.type === 'status') {
      const code = current.code;
      const message = code === 403
        ? `${url.pathname.split('/').pop()} is forbidden: User "test" cannot ${isWatch ? 'watch' : 'list'} resource "${url.pathname.split('/').pop()}" in API group "" in the namespace "default"`
        : code === 401 ? 'Unauthorized' : `injected ${code}`;
      return send(code, status(code, REASONS[code] ?? 'InternalError', message));
    }
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, status(401, 'Unauthorized', 'Unauthorized'));

    const parts = url.pathname.split('/').filter(Boolean);
    if (url.pathname === '/openapi/v2') return send(200, OPENAPI_V2);
    // discovery
    if (parts[0] === 'api' && parts.length === 1) return send(200, { kind: 'APIVersions', versions: ['v1'] });
    if (parts[0] === 'apis' && parts.length === 1) return send(200, { kind: 'APIGroupList', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }] }] });
    let gv;
    let rest;
    if (parts[0] === 'api') [gv, rest] = [parts[1], parts.slice(2)];
    else if (parts[0] === 'apis') [gv, rest] = [`${parts[1]}/${parts[2]}`, parts.slice(3)];
    else return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const resources = RESOURCES[gv];
    if (!resources) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    if (rest.length === 0) {
      return send(200, { kind: 'APIResourceList', groupVersion: gv, resources: resources.map((r) => ({ name: r.name, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: VERBS })) });
    }
    let ns;
    if (rest[0] === 'namespaces' && rest.length >= 3) [ns, rest] = [rest[1], rest.slice(2)];
    const info = resources.find((r) => r.name === rest[0]);
    if (!info) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const name = rest[1];
    if (req.method === 'PATCH' && name && String(req.headers['content-type']).startsWith('application/apply-patch')) {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      let obj;
      try {
        obj = JSON.parse(Buffer.concat(chunks).toString('utf8')); // the client sends JSON (which is YAML)
      } catch {
        return send(400, status(400, 'BadRequest', 'the fake apiserver reads apply patches in JSON only'));
      }
      const old = store.get(keyOf(gv, info.name, info.namespaced ? ns : undefined, name));
      const merged = { ...(old ?? {}), ...obj, metadata: { ...(old?.metadata ?? {}), ...obj.metadata, ...(info.namespaced ? { namespace: ns } : {}), name } };
      if (q.get('dryRun') === 'All') {
        merged.metadata.uid ??= randomUUID();
        merged.metadata.resourceVersion ??= String(rv);
        return send(old ? 200 : 201, merged);
      }
      return send(old ? 200 : 201, put(merged));
    }
    if (req.method === 'DELETE' && name) {
      if (!store.has(keyOf(gv, info.name, info.namespaced ? ns : undefined, name))) return send(404, status(404, 'NotFound', `${info.name} "${name}" not found`, { name, kind: info.name }));
      remove(gv, info.kind, ns, name);
      return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: info.name } });
    }
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', 'the fake apiserver only reads, applies and deletes'));
    if (name) {
      const o = store.get(keyOf(gv, info.name, info.namespaced ? ns : undefined, name));
      return o ? send(200, o) : send(404, status(404, 'NotFound', `${info.name} "${name}" not found`, { name, kind: info.name }));
    }
    const matching = () => [...store.entries()].filter(([k]) => {
      const [g, r, n] = k.split('|');
      return g === gv && r === info.name && (!ns || n === ns);
    }).map(([, o]) => o);
    if (!isWatch) {
      const items = matching().map((o) => {
        // Like the real server: list items carry no apiVersion/kind.
        const { apiVersion: _a, kind: _k, ...rest2 } = o;
        return rest2;
      });
      const list = { kind: `${info.kind}List`, apiVersion: gv, metadata: { resourceVersion: String(rv) }, items };
      if (current?.type === 'slow-body') {
        // Headers at once, then the body in pieces over holdMs: a big page over a slow link.
        const text = JSON.stringify(list);
        const n = Math.max(2, current.chunks ?? 4);
        const step = Math.ceil(text.length / n);
        entry.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.flushHeaders();
        for (let i = 0; i < n; i++) {
          await sleep((current.holdMs ?? 1500) / n);
          if (res.destroyed) return;
          res.write(text.slice(i * step, (i + 1) * step));
        }
        res.end();
        return;
      }
      return send(200, list);
    }
    // watch
    if (current?.type === 'gone-watch' && current.http) return send(410, status(410, 'Expired', 'too old resource version: 1 (2)'));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (current?.type === 'gone-watch') {
      res.write(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version: 1 (2)') }) + '\n');
      res.end();
      return;
    }
    const from = Number(q.get('resourceVersion') || 0);
    const oldest = history.length ? history[0].rv : rv;
    if (from && from < oldest - 1) {
      res.write(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${oldest})`) }) + '\n');
      res.end();
      return;
    }
    for (const h of history) {
      if (h.rv <= from || h.gv !== gv || h.resource !== info.name) continue;
      if (ns && h.object.metadata?.namespace !== ns) continue;
      res.write(JSON.stringify({ type: h.type, object: h.object }) + '\n');
    }
    const w = { res, gv, resource: info.name, ns };
    watches.add(w);
    const end = () => watches.delete(w);
    res.on('close', end);
    const timeoutSeconds = Number(q.get('timeoutSeconds') || 0);
    if (timeoutSeconds > 0) setTimeout(() => { end(); if (!res.destroyed) res.end(); }, timeoutSeconds * 1000).unref();
    if (current?.type === 'broken-watch') {
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: gv, metadata: { resourceVersion: String(rv) } } }) + '\n');
      setTimeout(() => { end(); res.socket?.destroy(); }, current.afterMs ?? 50).unref();
    }
  }

  const server = https.createServer({ ...good }, (req, res) => {
    handle(req, res).catch((e) => {
      log(`[fake-apiserver] ${e.stack ?? e}`);
      if (!res.headersSent) { res.writeHead(500); res.end(); } else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('secureConnection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.on('tlsClientError', () => { /* clients that reject our certificate: expected under the TLS fault */ });
  server.on('clientError', (_e, s) => s.destroy());

  const listen = (port) => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { server.off('error', reject); resolve(server.address().port); });
  });
  const port = await listen(0);
  let listening = true;
  const url = `https://127.0.0.1:${port}`;

  function dropConnections() {
    for (const w of watches) w.res.destroy();
    watches.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  }

  function writeKubeconfig({ server: serverUrl = url, name = 'kubeconfig.yaml', tokenValue = token, proxyUrl, tlsServerName } = {}) {
    const q = JSON.stringify;
    const text = [
      'apiVersion: v1', 'kind: Config',
      'clusters:', '- name: fake', '  cluster:', `    server: ${q(serverUrl)}`, `    certificate-authority: ${q(f('ca.crt'))}`,
      ...(proxyUrl ? [`    proxy-url: ${q(proxyUrl)}`] : []),
      ...(tlsServerName ? [`    tls-server-name: ${q(tlsServerName)}`] : []),
      'users:', '- name: fake', '  user:', `    token: ${q(tokenValue)}`,
      'contexts:', '- name: fake', '  context: {cluster: fake, user: fake, namespace: default}',
      'current-context: fake', '',
    ].join('\n');
    const p = f(name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  }

  // Connections just destroyed leave the server's list only once their 'close' has run: closing the
  // server before that can meet a freed parser (TypeError reading '_httpMessage' in closeIdleConnections).
  let closing = Promise.resolve();
  async function closeServer() {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => server.close(() => r()));
  }

  async function setFault(next) {
    const prev = fault;
    fault = next ?? null;
    faultCount = 0;
    if (prev?.type === 'tls' && next?.type !== 'tls') server.setSecureContext(good);
    if (next?.type === 'tls') server.setSecureContext(bad);
    dropConnections();
    if (next?.type === 'refuse' && listening) {
      listening = false;
      closing = closeServer();
      await closing;
    } else if (next?.type !== 'refuse' && !listening) {
      await closing; // a close still under way (the 'die' fault closes from inside a request)
      listening = true;
      await listen(port);
    }
    log(`[fake-apiserver] fault: ${next ? JSON.stringify(next) : 'none'}`);
  }

  return {
    server: url,
    port,
    token,
    caFile: f('ca.crt'),
    dir,
    context: 'fake',
    kubeconfig: writeKubeconfig(),
    requests,
    setFault,
    fault: () => fault,
    put,
    remove,
    dropConnections,
    openWatches: () => watches.size,
    onRequest(fn) {
      requestListener = fn ?? (() => {});
    },
    writeKubeconfig,
    async stop() {
      fault = null;
      dropConnections();
      await closing;
      if (listening) await closeServer();
      listening = false;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
