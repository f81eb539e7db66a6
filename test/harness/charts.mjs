// A Helm chart repository and an OCI registry on 127.0.0.1, for the remote-source tests: each chart
// folder is packaged in the versions asked for (Chart.yaml's version rewritten), indexed (index.yaml)
// and served over HTTP — optionally behind basic auth — and, when asked, pushed with `helm push
// --plain-http` to Debian's docker-registry (the one flux.mjs runs for Flux; path in tools.json).
//
//   const repo = await startChartRepository({ charts: [{ dir, versions: ['1.0.0', '1.2.0'] }], oci: true });
//   … repo.url (HelmRepository / Argo CD repoURL), repo.oci (oci://127.0.0.1:<port>/charts) …
//   repo.requests   the HTTP paths asked for, in order
//   await repo.stop();
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePorts, httpGet, startProcess, terminate, waitUntil } from './cluster.mjs';
import { loadTools } from './tools.mjs';

const execFileP = promisify(execFile);

/**
 * @param {{ charts: { dir: string, versions: string[] }[], auth?: { user: string, password: string }, oci?: boolean, timeoutMs?: number }} options
 * @returns {Promise<{ url: string, oci?: string, dir: string, helmEnv: Record<string, string>, requests: string[], stop: () => Promise<void>, stopRegistry: () => Promise<void> }>}
 */
export async function startChartRepository({ charts, auth, oci = false, timeoutMs = 30_000 }) {
  const tools = loadTools({ require: oci ? ['helm', 'dockerRegistry'] : ['helm'] });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reconcile-charts-'));
  const f = (/** @type {string} */ name) => path.join(dir, name);
  // helm's own configuration for packaging and pushing: nothing of the user's is touched.
  const helmEnv = { HELM_CONFIG_HOME: f('helm/config'), HELM_CACHE_HOME: f('helm/cache'), HELM_DATA_HOME: f('helm/data') };
  const helm = (/** @type {string[]} */ ...args) => execFileP(tools.helm, args, { env: { ...process.env, ...helmEnv } });
  fs.mkdirSync(f('charts'));
  for (const c of charts) {
    for (const version of c.versions) {
      const copy = f(`src/${path.basename(c.dir)}-${version}/${path.basename(c.dir)}`);
      fs.cpSync(c.dir, copy, { recursive: true });
      const chartYaml = path.join(copy, 'Chart.yaml');
      fs.writeFileSync(chartYaml, fs.readFileSync(chartYaml, 'utf8').replace(/^version:.*$/m, `version: ${version}`));
      await helm('package', copy, '--destination', f('charts'));
    }
  }
  const [httpPort, registryPort] = await freePorts(2);
  const base = `http://127.0.0.1:${httpPort}`;
  await helm('repo', 'index', f('charts'), '--url', `${base}/charts`);
  /** @type {string[]} */
  const requests = [];
  const expected = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` : undefined;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push(url.pathname);
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="charts"' }).end('unauthorized\n');
      return;
    }
    const file = path.join(f('charts'), path.basename(url.pathname));
    if (req.method === 'GET' && path.dirname(url.pathname) === '/charts' && fs.existsSync(file)) {
      res.writeHead(200, { 'Content-Type': file.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404).end('not found\n');
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(httpPort, '127.0.0.1', () => resolve(undefined)); });

  /** @type {import('./cluster.mjs').Proc | undefined} */
  let registry;
  let ociUrl;
  if (oci) {
    fs.writeFileSync(f('registry.yml'), [
      'version: 0.1', 'log:', '  level: warn',
      'storage:', '  filesystem:', `    rootdirectory: ${JSON.stringify(f('registry'))}`,
      'http:', `  addr: 127.0.0.1:${registryPort}`,
    ].join('\n') + '\n');
    registry = startProcess('docker-registry', tools.dockerRegistry, ['serve', f('registry.yml')], dir);
    await waitUntil('docker-registry /v2/', async () => (await httpGet(`http://127.0.0.1:${registryPort}/v2/`)).status === 200, { timeoutMs, procs: [registry], watch: registry });
    ociUrl = `oci://127.0.0.1:${registryPort}/charts`;
    for (const p of fs.readdirSync(f('charts')).filter((n) => n.endsWith('.tgz'))) await helm('push', f(`charts/${p}`), ociUrl, '--plain-http');
  }
  let stopped = false;
  const stopRegistry = async () => { if (registry) await terminate(registry); };
  return {
    url: `${base}/charts`,
    oci: ociUrl,
    dir,
    helmEnv,
    requests,
    stopRegistry,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopRegistry();
      await new Promise((r) => { server.closeAllConnections?.(); server.close(() => r(undefined)); });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
