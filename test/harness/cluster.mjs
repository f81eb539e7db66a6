// A real, throw-away Kubernetes API server for tests and the demo: etcd + kube-apiserver (the release that
// `bash scripts/setup` builds from Go modules, see scripts/k8s/go.mod) (+ optionally kube-controller-manager),
// all on 127.0.0.1 with free ports, everything in one temp dir.
//
//   const cluster = await startCluster({ controllerManager: true });
//   … use cluster.kubeconfig (context 'reconcile-local', admin; 'reconcile-local-viewer', no rights) …
//   await cluster.stop();
//
// Nothing is left behind: stop() kills the processes (SIGTERM, then SIGKILL) and removes the dir; the
// same happens on process exit, SIGINT/SIGTERM/SIGHUP and uncaught errors. The server processes also get
// SIGKILL from the kernel if this process dies without cleaning up (setpriv --pdeathsig), and a later
// startCluster() removes temp dirs whose owner process is gone.
import { execFile, spawn } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadTools } from './tools.mjs';

const execFileP = promisify(execFile);

export const CONTEXT = 'reconcile-local';
export const VIEWER_CONTEXT = 'reconcile-local-viewer';
const DIR_PREFIX = 'reconcile-cluster-';
const SETPRIV = '/usr/bin/setpriv';

/**
 * @typedef {object} Cluster
 * @property {string} kubeconfig  path of a kubeconfig with contexts 'reconcile-local' (admin, current) and 'reconcile-local-viewer'
 * @property {string} server      https://127.0.0.1:<port>
 * @property {string} token       admin bearer token (user "admin", group system:masters)
 * @property {string} viewerToken bearer token of user "viewer" (no groups, no RBAC bindings: 403 on nearly everything)
 * @property {string} caFile      CA certificate that signed the server certificate
 * @property {string} dir         the temp dir holding everything (removed by stop())
 * @property {'reconcile-local'} context
 * @property {'reconcile-local-viewer'} viewerContext
 * @property {{ etcd: number, apiserver: number, controllerManager?: number }} pids
 * @property {{ etcd: string, apiserver: string, controllerManager?: string }} logs
 * @property {{ certsMs: number, etcdMs: number, apiserverMs: number, controllerManagerMs?: number, totalMs: number }} timings
 *   ms; certificates are made while etcd starts, so certsMs and etcdMs both count from the start
 * @property {() => Promise<void>} stop  idempotent
 */

/**
 * @typedef {object} Proc
 * @property {string} name
 * @property {number} pid
 * @property {string} logFile
 * @property {{ code: number | null, signal: string | null } | null} exited
 * @property {Promise<void>} exitPromise
 */

/**
 * @typedef {object} LiveCluster
 * @property {string} dir
 * @property {Proc[]} procs
 * @property {() => Promise<void>} stop
 */

/** @type {Set<LiveCluster>} */
const live = new Set();

/**
 * Starts etcd + kube-apiserver (+ kube-controller-manager) and waits until the API server is ready.
 * @param {{ controllerManager?: boolean, log?: (msg: string) => void, timeoutMs?: number }} [options]
 *   controllerManager: also run kube-controller-manager (Deployments get ReplicaSets, namespaces finish deleting,
 *   ServiceAccounts are made). Without it the ServiceAccount admission plugin is disabled, so Pods can be created.
 * @returns {Promise<Cluster>}
 */
export async function startCluster({ controllerManager = false, log = console.error, timeoutMs = 60_000 } = {}) {
  const tools = loadTools({ require: controllerManager ? ['etcd', 'kubeApiserver', 'kubeControllerManager'] : ['etcd', 'kubeApiserver'] });
  sweepStaleDirs(log);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(tools, { controllerManager, log, timeoutMs });
    } catch (e) {
      // Free ports are picked by binding port 0 and closing: another process may grab one in between.
      if (attempt < 3 && /address already in use/i.test(String(/** @type {Error} */ (e).message))) {
        log(`[cluster] a port was taken meanwhile; retrying (${attempt}/3)`);
        continue;
      }
      throw e;
    }
  }
}

/**
 * Waits until the ServiceAccount `default` exists in `namespace` (needs controllerManager: true): Pods can only
 * be created after that while the ServiceAccount admission plugin is on. (Since 1.24 no token Secret is made.)
 * @param {Pick<Cluster, 'server' | 'token' | 'caFile'>} cluster
 * @param {string} [namespace]
 * @param {number} [timeoutMs]
 */
export async function waitForDefaultServiceAccount(cluster, namespace = 'default', timeoutMs = 30_000) {
  const ca = fs.readFileSync(cluster.caFile);
  const url = `${cluster.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/default`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await httpGet(url, { ca, token: cluster.token }).catch(() => null);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`ServiceAccount ${namespace}/default does not exist after ${timeoutMs} ms (is kube-controller-manager running?)`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * @param {import('./tools.mjs').Tools} tools
 * @param {{ controllerManager: boolean, log: (msg: string) => void, timeoutMs: number }} o
 * @returns {Promise<Cluster>}
 */
async function startOnce(tools, { controllerManager, log, timeoutMs }) {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
  const f = (/** @type {string} */ name) => path.join(dir, name);
  /** @type {Proc[]} */
  const procs = [];
  /** @type {Promise<void> | undefined} */
  let stopping;
  /** @type {LiveCluster} */
  const entry = {
    dir,
    procs,
    stop: () =>
      (stopping ??= (async () => {
        const [etcd, ...others] = procs; // stop the API server (and controller manager) before etcd
        await Promise.all(others.map((p) => terminate(p)));
        if (etcd) await terminate(etcd);
        await fsp.rm(dir, { recursive: true, force: true, maxRetries: 3 });
        live.delete(entry);
        if (live.size === 0) uninstallHandlers();
      })()),
  };
  live.add(entry);
  installHandlers();
  const notStopped = () => { if (stopping) throw new Error('the cluster was stopped while it was starting'); };
  const writeOwner = () =>
    fs.writeFileSync(f('owner.json'), JSON.stringify({ owner: process.pid, pids: Object.fromEntries(procs.map((p) => [p.name, p.pid])) }));
  writeOwner();

  try {
    const [etcdClient, etcdPeer, securePort] = await freePorts(3);
    const server = `https://127.0.0.1:${securePort}`;
    const token = randomBytes(24).toString('hex');
    const viewerToken = randomBytes(24).toString('hex');
    const kcmToken = randomBytes(24).toString('hex');

    // Certificates are made while etcd starts (it needs none).
    let tCerts = 0;
    const certs = makeCerts(dir).then(() => { tCerts = Date.now(); });
    certs.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"

    // etcd
    notStopped();
    const etcd = startProcess('etcd', tools.etcd, [
      '--name=default',
      `--data-dir=${f('etcd-data')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=warn',
    ], dir);
    procs.push(etcd);
    writeOwner();
    await waitUntil('etcd /health', async () => {
      const r = await httpGet(`http://127.0.0.1:${etcdClient}/health`);
      return r.status === 200 && JSON.parse(r.body).health === 'true';
    }, { timeoutMs, procs, watch: etcd });
    const tEtcd = Date.now();

    await certs;
    const caPem = fs.readFileSync(f('ca.crt'));
    fs.writeFileSync(
      f('tokens.csv'),
      [
        `${token},admin,admin,"system:masters"`,
        `${viewerToken},viewer,viewer`,
        `${kcmToken},system:kube-controller-manager,system:kube-controller-manager,"system:masters"`,
      ].join('\n') + '\n',
      { mode: 0o600 },
    );
    const kubeconfig = f('kubeconfig.yaml');
    fs.writeFileSync(kubeconfig, kubeconfigYaml({ server, caData: caPem.toString('base64'), token, viewerToken }), { mode: 0o600 });

    // kube-apiserver
    notStopped();
    const apiserver = startProcess('apiserver', tools.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--tls-cert-file=${f('server.crt')}`,
      `--tls-private-key-file=${f('server.key')}`,
      `--client-ca-file=${f('ca.crt')}`,
      `--token-auth-file=${f('tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${f('sa.pub')}`,
      `--service-account-signing-key-file=${f('sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--endpoint-reconciler-type=none', // 127.0.0.1 is not a valid Endpoints address: the reconciler would log an error every 10 s
      `--cert-dir=${f('apiserver-certs')}`,
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      ...(controllerManager ? [] : ['--disable-admission-plugins=ServiceAccount']),
      '--v=1',
    ], dir);
    procs.push(apiserver);
    writeOwner();
    await waitUntil('kube-apiserver /readyz', async () => {
      const r = await httpGet(`${server}/readyz`, { ca: caPem, token });
      return r.status === 200 && r.body === 'ok';
    }, { timeoutMs, procs, watch: apiserver });
    // The bootstrap controller creates the `default` namespace right after start; tests use it at once.
    await waitUntil('namespace default', async () => (await httpGet(`${server}/api/v1/namespaces/default`, { ca: caPem, token })).status === 200,
      { timeoutMs, procs, watch: apiserver });
    const tApi = Date.now();

    // kube-controller-manager (optional)
    /** @type {Proc | undefined} */
    let kcm;
    if (controllerManager) {
      fs.writeFileSync(f('controller-manager.kubeconfig'), kubeconfigYaml({ server, caFile: f('ca.crt'), token: kcmToken }), { mode: 0o600 });
      notStopped();
      kcm = startProcess('controller-manager', tools.kubeControllerManager, [
        `--kubeconfig=${f('controller-manager.kubeconfig')}`,
        '--bind-address=127.0.0.1',
        '--secure-port=0', // no HTTPS endpoint (readiness is checked through the API instead)
        '--controllers=*', // the cloud controllers are no longer part of kube-controller-manager
        '--use-service-account-credentials=false',
        `--service-account-private-key-file=${f('sa.key')}`,
        `--root-ca-file=${f('ca.crt')}`,
        '--leader-elect=false',
        `--cert-dir=${f('controller-manager-certs')}`,
        '--kube-api-qps=100',
        '--kube-api-burst=200',
        '--v=1',
      ], dir);
      procs.push(kcm);
      writeOwner();
      await waitUntil('kube-controller-manager (ServiceAccount default/default)', async () => {
        const r = await httpGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, { ca: caPem, token });
        return r.status === 200;
      }, { timeoutMs, procs, watch: kcm });
    }
    const tEnd = Date.now();

    const timings = {
      certsMs: tCerts - t0,
      etcdMs: tEtcd - t0,
      apiserverMs: tApi - Math.max(tEtcd, tCerts),
      ...(kcm ? { controllerManagerMs: tEnd - tApi } : {}),
      totalMs: tEnd - t0,
    };
    log(`[cluster] ready at ${server} in ${(timings.totalMs / 1000).toFixed(1)} s (certs ${timings.certsMs} ms, etcd ${timings.etcdMs} ms, apiserver ${timings.apiserverMs} ms` +
      `${kcm ? `, controller-manager ${timings.controllerManagerMs} ms` : ''}); dir ${dir}`);
    return {
      kubeconfig,
      server,
      token,
      viewerToken,
      caFile: f('ca.crt'),
      dir,
      context: CONTEXT,
      viewerContext: VIEWER_CONTEXT,
      pids: { etcd: etcd.pid, apiserver: apiserver.pid, ...(kcm ? { controllerManager: kcm.pid } : {}) },
      logs: { etcd: etcd.logFile, apiserver: apiserver.logFile, ...(kcm ? { controllerManager: kcm.logFile } : {}) },
      timings,
      stop: entry.stop,
    };
  } catch (e) {
    await entry.stop().catch(() => {});
    throw e;
  }
}

/**
 * @param {{ server: string, token: string, viewerToken?: string, caData?: string, caFile?: string }} o
 */
function kubeconfigYaml({ server, token, viewerToken, caData, caFile }) {
  const q = JSON.stringify; // a JSON string is a valid YAML double-quoted scalar
  const ca = caData ? `certificate-authority-data: ${q(caData)}` : `certificate-authority: ${q(caFile)}`;
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${CONTEXT}`,
    '  cluster:',
    `    server: ${q(server)}`,
    `    ${ca}`,
    'users:',
    `- name: ${CONTEXT}-admin`,
    '  user:',
    `    token: ${q(token)}`,
    ...(viewerToken ? [`- name: ${CONTEXT}-viewer`, '  user:', `    token: ${q(viewerToken)}`] : []),
    'contexts:',
    `- name: ${CONTEXT}`,
    '  context:',
    `    cluster: ${CONTEXT}`,
    `    user: ${CONTEXT}-admin`,
    '    namespace: default',
    ...(viewerToken ? [`- name: ${VIEWER_CONTEXT}`, '  context:', `    cluster: ${CONTEXT}`, `    user: ${CONTEXT}-viewer`, '    namespace: default'] : []),
    `current-context: ${CONTEXT}`,
    'preferences: {}',
  ];
  return lines.join('\n') + '\n';
}

// ECDSA P-256 keys: generated in milliseconds (RSA 2048 took 0.5-1.5 s here); Go, Node and kubectl all accept them.
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/** Self-signed CA, a server certificate for 127.0.0.1/localhost signed by it, and the service-account key pair. */
async function makeCerts(/** @type {string} */ dir) {
  const f = (/** @type {string} */ name) => path.join(dir, name);
  // Own config files: independent of the system's openssl.cnf.
  fs.writeFileSync(f('openssl-ca.cnf'), [
    '[req]', 'distinguished_name = dn', 'x509_extensions = v3_ca', 'prompt = no',
    '[dn]', 'CN = reconcile-local-ca',
    '[v3_ca]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign,digitalSignature', 'subjectKeyIdentifier = hash',
  ].join('\n') + '\n');
  fs.writeFileSync(f('openssl-server.cnf'), [
    '[req]', 'distinguished_name = dn', 'prompt = no',
    '[dn]', 'CN = kube-apiserver',
    '[v3_server]', 'basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature', 'extendedKeyUsage = serverAuth',
    'subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1',
    'authorityKeyIdentifier = keyid',
  ].join('\n') + '\n');
  const openssl = (/** @type {string[]} */ args) => execFileP('openssl', args, { cwd: dir }).catch((e) => {
    throw new Error(`openssl ${args[0]} failed: ${e.stderr || e.message}`);
  });
  const sa = promisify(generateKeyPair)('ec', {
    namedCurve: 'P-256', // ES256 service-account tokens
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'sec1', format: 'pem' },
  });
  await Promise.all([
    openssl(['req', '-x509', '-config', f('openssl-ca.cnf'), ...EC_KEY, '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '3650']),
    openssl(['req', '-new', '-config', f('openssl-server.cnf'), ...EC_KEY, '-nodes', '-keyout', f('server.key'), '-out', f('server.csr')]),
  ]);
  await openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex').replace(/^./, '1')}`,
    '-days', '3650', '-sha256', '-extfile', f('openssl-server.cnf'), '-extensions', 'v3_server', '-out', f('server.crt')]);
  const { publicKey, privateKey } = await sa;
  fs.writeFileSync(f('sa.key'), privateKey, { mode: 0o600 });
  fs.writeFileSync(f('sa.pub'), publicKey);
}

/**
 * Spawns a server process with its output in <dir>/<name>.log (the environment is this one's without
 * KUBECONFIG and ETCD_*, plus `extraEnv`). It does not keep this process alive
 * (unref), and on Linux it gets SIGKILL if this process dies (setpriv --pdeathsig).
 * @returns {Proc}
 */
export function startProcess(/** @type {string} */ name, /** @type {string} */ bin, /** @type {string[]} */ args, /** @type {string} */ dir, /** @type {Record<string, string>} */ extraEnv = {}) {
  const logFile = path.join(dir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_') && k !== 'KUBECONFIG')), ...extraEnv };
  const [cmd, argv] = process.platform === 'linux' && fs.existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', bin, ...args]] // setpriv execs bin: same pid
    : [bin, args];
  const child = spawn(cmd, argv, { cwd: dir, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  /** @type {Proc} */
  const proc = { name, pid: /** @type {number} */ (child.pid), logFile, exited: null, exitPromise: Promise.resolve() };
  proc.exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => { proc.exited = { code, signal }; resolve(); });
    child.once('error', (err) => {
      fs.appendFileSync(logFile, `\n[cluster] could not start ${bin}: ${err.message}\n`);
      proc.exited = { code: -1, signal: null };
      resolve();
    });
  });
  return proc;
}

/** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
export async function terminate(/** @type {Proc} */ p, graceMs = 5000) {
  if (p.exited || !p.pid) return;
  try { process.kill(p.pid, 'SIGTERM'); } catch { return; }
  if (await raceTimeout(p.exitPromise, graceMs)) return;
  try { process.kill(p.pid, 'SIGKILL'); } catch { return; }
  await raceTimeout(p.exitPromise, 5000);
}

/** @returns {Promise<boolean>} true when `promise` settled first */
function raceTimeout(/** @type {Promise<unknown>} */ promise, /** @type {number} */ ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    promise.then(() => true),
    new Promise((resolve) => { timer = setTimeout(() => resolve(false), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` until it returns true; fails early (with the log tail) when a process exits.
 * @param {string} what
 * @param {() => Promise<boolean>} check
 * @param {{ timeoutMs: number, procs: Proc[], watch: Proc }} o
 */
export async function waitUntil(what, check, { timeoutMs, procs, watch }) {
  const deadline = Date.now() + timeoutMs;
  /** @type {unknown} */
  let lastError;
  for (;;) {
    const dead = procs.find((p) => p.exited);
    if (dead) {
      const how = dead.exited?.signal ? `signal ${dead.exited.signal}` : `code ${dead.exited?.code}`;
      throw new Error(`${dead.name} exited (${how}) while waiting for ${what}\n${logTail(dead.logFile)}`);
    }
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${/** @type {Error} */ (lastError).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}\n${logTail(watch.logFile)}`);
    }
    await sleep(100);
  }
}

export function logTail(/** @type {string} */ file, lines = 30) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { /* gone */ }
  return `--- last lines of ${file} ---\n${text.trimEnd().split('\n').slice(-lines).join('\n')}\n---`;
}

/** Free TCP ports on 127.0.0.1 (bound at the same time, so they differ, then released). */
export async function freePorts(/** @type {number} */ n) {
  /** @type {net.Server[]} */
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => /** @type {net.AddressInfo} */ (s.address()).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * @param {string} url
 * @param {{ ca?: Buffer, token?: string, timeoutMs?: number }} [o]
 * @returns {Promise<{ status: number, body: string }>}
 */
export function httpGet(url, { ca, token, timeoutMs = 3000 } = {}) {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ca, agent: false, timeout: timeoutMs, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

// --- cleanup on exit, signals and crashes ------------------------------------------------------

/** Synchronous last resort (the 'exit' event allows no async work): SIGKILL everything, remove the dirs. */
function killAllSync() {
  for (const c of live) {
    for (const p of c.procs) if (!p.exited && p.pid) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    try { fs.rmSync(c.dir, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
  }
  live.clear();
}

/** @type {Map<NodeJS.Signals, () => void>} */
const signalHandlers = new Map();
let handlersInstalled = false;

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync); // also runs after an uncaught exception or unhandled rejection
  for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    const handler = () => {
      Promise.allSettled([...live].map((c) => c.stop())).then(() => {
        // If nobody else handles the signal, do what Node would have done without us: die by it.
        process.removeListener(sig, handler);
        signalHandlers.delete(sig);
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      });
    };
    signalHandlers.set(sig, handler);
    process.on(sig, handler);
  }
}

function uninstallHandlers() {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  process.removeListener('exit', killAllSync);
  for (const [sig, handler] of signalHandlers) process.removeListener(sig, handler);
  signalHandlers.clear();
}

/** Removes temp dirs of earlier runs whose owner process is gone (killing any server process still in them). */
function sweepStaleDirs(/** @type {(msg: string) => void} */ log) {
  const tmp = os.tmpdir();
  let names = [];
  try { names = fs.readdirSync(tmp).filter((n) => n.startsWith(DIR_PREFIX)); } catch { return; }
  for (const name of names) {
    const dir = path.join(tmp, name);
    /** @type {{ owner?: number, pids?: Record<string, number> }} */
    let owner = {};
    try { owner = JSON.parse(fs.readFileSync(path.join(dir, 'owner.json'), 'utf8')); } catch { /* incomplete */ }
    if (!owner.owner) {
      // No owner file: only remove it once it is clearly old (another process may be creating it right now).
      try { if (Date.now() - fs.statSync(dir).mtimeMs < 10 * 60_000) continue; } catch { continue; }
    } else if (isAlive(owner.owner)) continue;
    for (const pid of Object.values(owner.pids ?? {})) {
      // Only kill a pid that still is one of ours: its command line names a file in this dir.
      try { if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    try { fs.rmSync(dir, { recursive: true, force: true }); log(`[cluster] removed stale ${dir}`); } catch { /* not ours to remove */ }
  }
}

function isAlive(/** @type {number} */ pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return /** @type {NodeJS.ErrnoException} */ (e).code === 'EPERM'; }
}

/**
 * A raw API call to a cluster of startCluster(), JSON in and out, for setting up tests.
 * @param {{ server: string, caFile: string, token: string }} cluster
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {string} [token] default: the admin's
 * @returns {Promise<{ status: number, json: any }>}
 */
export function apiCall(cluster, method, path, body, token = cluster.token) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${cluster.server}${path}`, {
      method,
      ca: fs.readFileSync(cluster.caFile),
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
