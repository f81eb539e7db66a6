// Real Flux against a cluster of cluster.mjs: source-controller, kustomize-controller and helm-controller
// (built from their Go modules by scripts/setup, see scripts/flux/go.mod) run as local processes, each
// with its own kubeconfig, after their CRDs are installed. Beside them, all on 127.0.0.1:
//   - a Git HTTP server (git's own `http-backend` behind a small Node server) serving a copy of a folder
//     (by default this repository's examples/) as a Git repository, so a GitRepository can point at it;
//   - a Helm chart repository (`index.yaml` + packaged charts over HTTP) with the folder's charts/*;
//   - an OCI registry (Debian's docker-registry) holding the same charts (oci://…/charts/<name>).
//
//   const flux = await startFlux(cluster);
//   … GitRepository url flux.git.url, HelmRepository url flux.charts.url, OCI flux.charts.oci …
//   await flux.git.commit('break it', { 'apps/web/base/deployment.yaml': 'not: [yaml' });
//   await flux.stop();
//
// Everything lives in one dir (options.dir, or <cluster.dir>/flux); the controllers' logs are
// <dir>/<name>.log. stop() kills the processes and closes the servers; the processes also get SIGKILL
// if this process dies (setpriv --pdeathsig, as the cluster's own).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePorts, httpGet, startProcess, terminate, waitUntil } from './cluster.mjs';
import { loadTools } from './tools.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FLUX_NAMESPACE = 'flux-system';
/** The name of the served repository: <git.url> is http://127.0.0.1:<port>/git/<REPO_NAME>. */
const REPO_NAME = 'examples';
const CONTROLLERS = /** @type {const} */ (['source-controller', 'kustomize-controller', 'helm-controller']);

/**
 * @typedef {object} FluxEnv
 * @property {string} dir             where everything is (repository, artifacts, charts, registry, logs)
 * @property {string} version         the Flux release (e.g. v2.9.5)
 * @property {{ url: string, repoDir: string, branch: string, commit: (message: string, files?: Record<string, string | null>) => Promise<string>, head: () => Promise<string> }} git
 *   url: the GitRepository URL; repoDir: the served working copy; commit() writes files (null deletes), commits
 *   everything and returns the new commit id
 * @property {{ url: string, oci: string, charts: { name: string, version: string }[] }} charts
 *   url: a HelmRepository URL (index.yaml); oci: oci://127.0.0.1:<port>/charts (type: oci, insecure: true)
 * @property {(...objects: object[]) => Promise<void>} apply  server-side apply (field manager reconcile-test-setup) with kubectl
 * @property {Record<string, number>} pids
 * @property {Record<string, string>} logs
 * @property {Record<string, string>} kubeconfigs  one per controller
 * @property {{ totalMs: number }} timings
 * @property {() => Promise<void>} stop  idempotent
 */

/** @type {Set<{ procs: import('./cluster.mjs').Proc[], servers: http.Server[] }>} */
const live = new Set();
let exitHook = false;

/**
 * @param {{ server: string, caFile: string, token: string, kubeconfig: string, dir: string }} cluster
 * @param {{ source?: string, dir?: string, log?: (msg: string) => void, timeoutMs?: number, controllers?: readonly string[] }} [options]
 *   source: the folder served as the Git repository and whose charts/* are packaged (default: examples/);
 *   controllers: which to run (default all three)
 * @returns {Promise<FluxEnv>}
 */
export async function startFlux(cluster, { source = path.join(ROOT, 'examples'), dir, log = console.error, timeoutMs = 90_000, controllers = CONTROLLERS } = {}) {
  const tools = loadTools({ require: ['kubectl', 'helm', 'fluxCrds', 'dockerRegistry', ...controllers.map(toolKey)] });
  const t0 = Date.now();
  dir ??= path.join(cluster.dir, 'flux');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const f = (/** @type {string} */ name) => path.join(dir, name);
  /** @type {import('./cluster.mjs').Proc[]} */
  const procs = [];
  /** @type {http.Server[]} */
  const servers = [];
  const entry = { procs, servers };
  live.add(entry);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => { for (const e of live) for (const p of e.procs) if (!p.exited) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } });
  }
  /** @type {Promise<void> | undefined} */
  let stopping;
  const stop = () => (stopping ??= (async () => {
    await Promise.all(procs.map((p) => terminate(p)));
    await Promise.all(servers.map((s) => new Promise((r) => { s.closeAllConnections?.(); s.close(() => r(undefined)); })));
    live.delete(entry);
  })());

  try {
    const kubectl = (/** @type {string[]} */ ...args) => execFileP(tools.kubectl, args, { env: { ...process.env, KUBECONFIG: cluster.kubeconfig }, maxBuffer: 64 << 20 });
    // CRDs first (the controllers start watching at once), then the namespace.
    const crds = fs.readdirSync(tools.fluxCrds).filter((n) => n.endsWith('.yaml')).map((n) => path.join(tools.fluxCrds, n));
    await kubectl('apply', '--server-side', '--force-conflicts', '--field-manager=reconcile-test-setup', ...crds.flatMap((c) => ['-f', c]));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', ...crds.flatMap((c) => ['-f', c]));
    await kubectl('create', 'namespace', FLUX_NAMESPACE).catch((e) => { if (!/AlreadyExists/.test(e.stderr)) throw e; });

    // The served repository: a copy of `source`, one commit on main.
    const repoDir = path.join(f('git'), REPO_NAME);
    fs.cpSync(source, repoDir, { recursive: true, filter: (s) => path.basename(s) !== '.git' });
    const git = (/** @type {string[]} */ ...args) => execFileP('git', ['-c', 'user.name=Reconcile test', '-c', 'user.email=test@reconcile.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: repoDir });
    await git('init', '-q', '-b', 'main');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'examples');

    // Charts: packaged, indexed, served over HTTP, and pushed to the OCI registry.
    const [httpPort, registryPort, ...controllerPorts] = await freePorts(2 + controllers.length * 3);
    const base = `http://127.0.0.1:${httpPort}`;
    const chartsDir = f('charts');
    fs.mkdirSync(chartsDir);
    const helmEnv = { ...process.env, HELM_CONFIG_HOME: f('helm/config'), HELM_CACHE_HOME: f('helm/cache'), HELM_DATA_HOME: f('helm/data') };
    const helm = (/** @type {string[]} */ ...args) => execFileP(tools.helm, args, { env: helmEnv });
    const chartSources = fs.existsSync(path.join(source, 'charts'))
      ? fs.readdirSync(path.join(source, 'charts')).map((n) => path.join(source, 'charts', n)).filter((d) => fs.existsSync(path.join(d, 'Chart.yaml')))
      : [];
    for (const c of chartSources) await helm('package', c, '--destination', chartsDir);
    await helm('repo', 'index', chartsDir, '--url', `${base}/charts`);
    const packaged = fs.readdirSync(chartsDir).filter((n) => n.endsWith('.tgz'));

    // One HTTP server: /git/* → git http-backend (CGI), /charts/* → static files.
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', base);
      if (url.pathname.startsWith('/git/')) return gitBackend(req, res, url, f('git'));
      if (url.pathname.startsWith('/charts/') && req.method === 'GET') {
        const file = path.join(chartsDir, path.basename(url.pathname));
        if (path.dirname(url.pathname) === '/charts' && fs.existsSync(file)) {
          res.writeHead(200, { 'Content-Type': file.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip' });
          return void fs.createReadStream(file).pipe(res);
        }
      }
      res.writeHead(404).end('not found\n');
    });
    servers.push(server);
    await new Promise((resolve, reject) => { server.once('error', reject); server.listen(httpPort, '127.0.0.1', () => resolve(undefined)); });

    // The OCI registry.
    fs.writeFileSync(f('registry.yml'), [
      'version: 0.1',
      'log:', '  level: warn',
      'storage:', '  filesystem:', `    rootdirectory: ${JSON.stringify(f('registry'))}`, '  delete:', '    enabled: true',
      'http:', `  addr: 127.0.0.1:${registryPort}`,
    ].join('\n') + '\n');
    const registry = startProcess('docker-registry', tools.dockerRegistry, ['serve', f('registry.yml')], dir);
    procs.push(registry);
    await waitUntil('docker-registry /v2/', async () => (await httpGet(`http://127.0.0.1:${registryPort}/v2/`)).status === 200, { timeoutMs, procs, watch: registry });
    const oci = `oci://127.0.0.1:${registryPort}/charts`;
    for (const p of packaged) await helm('push', path.join(chartsDir, p), oci, '--plain-http');

    // The controllers.
    const ca = fs.readFileSync(cluster.caFile).toString('base64');
    /** @type {Record<string, string>} */
    const kubeconfigs = {};
    fs.mkdirSync(f('artifacts'));
    for (const [i, name] of controllers.entries()) {
      const [metrics, health, storage] = controllerPorts.slice(i * 3, i * 3 + 3);
      const kubeconfig = f(`${name}.kubeconfig`);
      fs.writeFileSync(kubeconfig, controllerKubeconfig(name, cluster.server, ca, cluster.token), { mode: 0o600 });
      kubeconfigs[name] = kubeconfig;
      const args = [
        '--watch-all-namespaces=true',
        `--metrics-addr=127.0.0.1:${metrics}`,
        `--health-addr=127.0.0.1:${health}`,
        '--enable-leader-election=false',
        '--log-encoding=json',
        '--log-level=info',
        '--requeue-dependency=2s', // not 30s: a dependsOn (shop-worker on shop-api) is followed at once
        ...(name === 'source-controller'
          ? [`--storage-path=${f('artifacts')}`, `--storage-addr=127.0.0.1:${storage}`, `--storage-adv-addr=127.0.0.1:${storage}`]
          : []),
      ];
      const p = startProcess(name, tools[toolKey(name)], args, dir, { KUBECONFIG: kubeconfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE, HOME: dir, TMPDIR: dir });
      procs.push(p);
      /** @type {any} */ (p).health = health;
    }
    for (const p of procs.filter((x) => x.name !== 'docker-registry')) {
      const health = /** @type {any} */ (p).health;
      await waitUntil(`${p.name} /readyz`, async () => (await httpGet(`http://127.0.0.1:${health}/readyz`)).status === 200, { timeoutMs, procs, watch: p });
    }

    const totalMs = Date.now() - t0;
    log(`[flux] ${tools.fluxVersion}: ${controllers.join(', ')} ready in ${(totalMs / 1000).toFixed(1)} s; git ${base}/git/${REPO_NAME}, charts ${base}/charts, ${oci}; logs in ${dir}`);
    return {
      dir,
      version: tools.fluxVersion,
      git: {
        url: `${base}/git/${REPO_NAME}`,
        repoDir,
        branch: 'main',
        head: async () => (await git('rev-parse', 'HEAD')).stdout.trim(),
        commit: async (message, files = {}) => {
          for (const [rel, content] of Object.entries(files)) {
            const file = path.join(repoDir, rel);
            if (content === null) fs.rmSync(file, { force: true });
            else { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.writeFileSync(file, content); }
          }
          await git('add', '-A');
          await git('commit', '-q', '--allow-empty', '-m', message);
          return (await git('rev-parse', 'HEAD')).stdout.trim();
        },
      },
      charts: {
        url: `${base}/charts`,
        oci,
        charts: packaged.map((p) => { const m = /^(.*)-(\d[^-]*(?:-.*)?)\.tgz$/.exec(p); return { name: m?.[1] ?? p, version: m?.[2] ?? '' }; }),
      },
      apply: async (...objects) => {
        const file = f(`apply-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
        fs.writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
        try { await kubectl('apply', '--server-side', '--field-manager=reconcile-test-setup', '-f', file); } finally { fs.rmSync(file, { force: true }); }
      },
      pids: Object.fromEntries(procs.map((p) => [p.name, p.pid])),
      logs: Object.fromEntries(procs.map((p) => [p.name, p.logFile])),
      kubeconfigs,
      timings: { totalMs },
      stop,
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}

/** tools.json key of a controller: source-controller → sourceController. */
function toolKey(/** @type {string} */ name) {
  return /** @type {'sourceController' | 'kustomizeController' | 'helmController'} */ (name.replace(/-(\w)/g, (_, c) => c.toUpperCase()));
}

function controllerKubeconfig(/** @type {string} */ name, /** @type {string} */ server, /** @type {string} */ caData, /** @type {string} */ token) {
  const q = JSON.stringify;
  return [
    'apiVersion: v1', 'kind: Config',
    'clusters:', `- name: local`, '  cluster:', `    server: ${q(server)}`, `    certificate-authority-data: ${q(caData)}`,
    'users:', `- name: ${name}`, '  user:', `    token: ${q(token)}`,
    'contexts:', `- name: ${name}`, '  context:', '    cluster: local', `    user: ${name}`, `    namespace: ${FLUX_NAMESPACE}`,
    `current-context: ${name}`,
  ].join('\n') + '\n';
}

/**
 * git's smart HTTP protocol through `git http-backend` (CGI): read-only (upload-pack), every repository
 * under `projectRoot` exported.
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {URL} url
 * @param {string} projectRoot
 */
function gitBackend(req, res, url, projectRoot) {
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: projectRoot,
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname.slice('/git'.length)),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  /** @type {Buffer} */
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (/** @type {Buffer} */ chunk) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
    if (end < 0) return;
    const sep = head[end] === 0x0d ? 4 : 2;
    /** @type {Record<string, string>} */
    const headers = {};
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim();
      const v = line.slice(i + 1).trim();
      if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]) || 200;
      else headers[k] = v;
    }
    headersDone = true;
    res.writeHead(status, headers);
    res.write(head.subarray(end + sep));
  });
  child.on('close', (code) => {
    if (!headersDone) res.writeHead(500).end(`git http-backend failed (exit ${code}): ${stderr}\n`);
    else res.end();
  });
  child.on('error', (e) => { if (!headersDone) res.writeHead(500).end(`git http-backend: ${e.message}\n`); });
}
