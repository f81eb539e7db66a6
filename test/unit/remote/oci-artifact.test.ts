// Flux Kustomizations whose source is an OCIRepository (issue 14, points 1 and 5): artifacts pushed with the
// real flux CLI (`flux push artifact`) to Debian's docker-registry on 127.0.0.1 (test/harness/charts.mjs),
// pulled by Reconcile over the OCI distribution API into its cache, and rendered as kustomize-controller
// builds them. The oracle is the real Flux: `flux pull artifact` of the tag the ref resolves to, then
// `flux build kustomization … --dry-run` of the same Kustomization; objects are compared one by one.
// Also: the cache (used with the registry stopped), trust, a tampered layer, unsafe tar entries, and a
// registry that asks for a Bearer token with the user's Docker credentials.
//
// Needs flux, kubectl and docker-registry from scripts/setup (tools.json): fails, never skips, without them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { discover, type Application, type RepoModel } from '../../../src/core/repo';
import { createRenderer, type RenderResult } from '../../../src/core/render';
import { pullOciArtifact, RemoteArtifacts, untarGz } from '../../../src/core/remote/oci-artifact';
import { realTools, toolsJsonPath } from '../render/real-tools';
import { main } from '../../../src/cli/main';
import { sink } from '../cli/io';

const run = promisify(execFile);
const root = join(__dirname, '..', '..', '..');
const fixture = join(root, 'test', 'fixtures', 'oci-first');
type Repo = { oci?: string; stop(): Promise<void>; stopRegistry(): Promise<void> };
type Obj = Record<string, any>;

let repo: Repo;
let registry: string; // 127.0.0.1:<port>
let scratch: string;
let flux: string;

function fluxPath(): string {
  const file = toolsJsonPath();
  if (!existsSync(file)) throw new Error(`${file} not found: flux is needed — run scripts/setup (npm run setup)`);
  const t = JSON.parse(readFileSync(file, 'utf8')) as { flux?: string };
  if (!t.flux || !existsSync(t.flux)) throw new Error(`${file}: "flux" (${t.flux ?? 'not set'}) is missing — run scripts/setup (npm run setup)`);
  return t.flux;
}

/** The fixture's artifact with its version written into the staging ConfigMap, pushed as manifests/app:<version>. */
async function push(version: string): Promise<void> {
  const dir = join(scratch, `artifact-${version}`);
  cpSync(join(fixture, 'artifact'), dir, { recursive: true });
  const cm = join(dir, 'staging', 'configmap.yaml');
  writeFileSync(cm, readFileSync(cm, 'utf8') + `  version: "${version}"\n`);
  await run(flux, ['push', 'artifact', `oci://${registry}/manifests/app:${version}`, `--path=${dir}`, '--source=local', `--revision=${version}`, '--insecure-registry']);
}

before(async () => {
  flux = fluxPath();
  scratch = mkdtempSync(join(tmpdir(), 'reconcile-oci-test-'));
  const { startChartRepository } = (await import(pathToFileURL(join(root, 'test', 'harness', 'charts.mjs')).href)) as { startChartRepository(o: unknown): Promise<Repo> };
  repo = await startChartRepository({ charts: [], oci: true });
  registry = repo.oci!.replace(/^oci:\/\//, '').replace(/\/.*$/, '');
  for (const v of ['1.0.0', '1.2.0', '2.0.0']) await push(v);
});

after(async () => {
  await repo?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** A copy of fixtures/oci-first/repo with the test registry written in. */
function repository(name: string, host = registry): string {
  const dir = join(scratch, name);
  cpSync(join(fixture, 'repo'), dir, { recursive: true });
  for (const c of readdirSync(join(dir, 'clusters'))) {
    const p = join(dir, 'clusters', c, 'apps.yaml');
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll('OCI_REGISTRY', host));
  }
  return dir;
}

function app(m: RepoModel, cluster: string): Application {
  const a = m.environments.flatMap((e) => e.applications).find((x) => x.definedBy?.file.includes(join('clusters', cluster)));
  if (!a) throw new Error(`no application in clusters/${cluster}: ${m.environments.flatMap((e) => e.applications).map((x) => x.id).join(', ')}`);
  return a;
}

const renderer = (cache: string, trusted = true) => createRenderer({ trusted, tools: { kubectl: realTools().kubectl, helm: realTools().helm }, env: process.env, remoteCacheDir: cache });

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyOf = (o: Obj) => `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
/** Flux's ownership labels are what the controller adds when applying, not the desired object. */
function normalise(o: Obj): Obj {
  const c = JSON.parse(JSON.stringify(o)) as Obj;
  for (const f of ['labels', 'annotations']) {
    const m = c.metadata?.[f];
    if (!isObj(m)) continue;
    for (const k of Object.keys(m)) if (/^kustomize\.toolkit\.fluxcd\.io\/(name|namespace)$/.test(k)) delete m[k];
    if (!Object.keys(m).length) delete c.metadata[f];
  }
  return c;
}
function byKey(objs: Obj[]): Map<string, string> {
  return new Map(objs.map((o) => [keyOf(o), canonical(normalise(o))]));
}

/** What Flux builds: the tag pulled with `flux pull artifact`, the Kustomization built with `flux build --dry-run`. */
async function oracle(copy: string, cluster: string, tag: string): Promise<Obj[]> {
  const out = join(scratch, `pulled-${cluster}-${tag}-${Date.now()}`);
  mkdirSync(out);
  await run(flux, ['pull', 'artifact', `oci://${registry}/manifests/app:${tag}`, `--output=${out}`, '--insecure-registry']);
  const file = join(copy, 'clusters', cluster, 'apps.yaml');
  const def = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj).find((d) => d.kind === 'Kustomization')!;
  const kubeconfig = join(scratch, 'nowhere-kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: none, context: {cluster: none, user: none}}]\nusers: [{name: none, user: {}}]\ncurrent-context: none\n');
  const { stdout } = await run(flux, ['build', 'kustomization', def.metadata.name, '--path', join(out, def.spec.path), '--kustomization-file', file, '--namespace', def.metadata.namespace, '--dry-run'], {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    maxBuffer: 64 * 1024 * 1024,
  });
  return parseAllDocuments(stdout).map((d) => d.toJS() as unknown).filter(isObj);
}

function objects(r: RenderResult): Obj[] {
  assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
  return r.documents.map((d) => d.object as Obj);
}

test('OCI-first layout: each cluster Kustomization over an OCIRepository renders what flux build prints for the artifact its ref resolves to', async () => {
  const copy = repository('render');
  const m = await discover(copy);
  const cache = join(scratch, 'cache-render');
  for (const [cluster, tag] of [['staging', '1.2.0'], ['production', '1.0.0']] as const) {
    const a = app(m, cluster);
    assert.equal(a.renderer.kind === 'unsupported' && a.renderer.remoteOci?.url, `oci://${registry}/manifests/app`);
    const r = await renderer(cache).renderApplication(a);
    const ours = byKey(objects(r));
    const theirs = byKey(await oracle(copy, cluster, tag));
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort(), `${cluster}: the same objects`);
    for (const [k, v] of theirs) assert.equal(ours.get(k), v, `${cluster}: ${k} as flux build prints it`);
    assert.match(r.ok ? r.notes!.join('\n') : '', new RegExp(`artifact oci://127\\.0\\.0\\.1:\\d+/manifests/app.* \\(sha256:`));
    console.log(`# oci-first ${cluster}: ${theirs.size}/${ours.size} objects equal to flux build (ref resolved to ${tag})`);
  }
  // the CLI renders the same environment (trusted: it fetches into RECONCILE_REMOTE_CACHE)
  const out = sink();
  const err = sink();
  const code = await main(['render', copy, '--env', 'production', '--kubectl', realTools().kubectl], { out, err, env: { ...process.env, RECONCILE_REMOTE_CACHE: join(scratch, 'cache-cli') }, cwd: copy });
  assert.equal(code, 0, err.text);
  assert.match(out.text, /name: prod-web\n\s+namespace: web/);
  assert.match(out.text, /replicas: 5/);
  // the ref resolution is visible in the objects: >=1.0.0 <2 is 1.2.0, not 2.0.0
  const staging = objects(await renderer(cache).renderApplication(app(m, 'staging')));
  assert.equal(staging.find((o) => o.kind === 'ConfigMap')?.data?.version, '1.2.0');
});

test('a tampered layer (its content not the digest the manifest names) is refused and nothing is cached', async () => {
  const cache = join(scratch, 'cache-tampered');
  const tamper: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (!String(input).includes('/blobs/') || !res.ok) return res;
    const body = Buffer.from(await res.arrayBuffer());
    body[body.length - 1] ^= 0xff;
    return new Response(body, { status: 200, headers: res.headers });
  };
  const r = await pullOciArtifact({ url: `oci://${registry}/manifests/app`, ref: { tag: '1.0.0' }, insecure: true }, { cacheDir: cache, env: process.env, fetch: tamper });
  assert.ok(!r.ok);
  assert.match(r.message, /has digest sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} its manifest names: refused/);
  assert.ok(!existsSync(join(cache, 'oci')) || !readdirSync(join(cache, 'oci')).some((h) => readdirSync(join(cache, 'oci', h)).length), 'nothing cached');
  // a digest ref whose manifest is another is refused too
  const wrong = await pullOciArtifact({ url: `oci://${registry}/manifests/app`, ref: { digest: `sha256:${'0'.repeat(64)}` }, insecure: true }, { cacheDir: cache, env: process.env });
  assert.ok(!wrong.ok);
});

test('tar entries that are links or lead out of the artifact are refused', () => {
  const entry = (name: string, type: string, data = '', link = '') => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write(type, 156);
    h.write(link, 157);
    h.write('ustar\x0000', 257);
    h.fill(0x20, 148, 156);
    const sum = h.reduce((a, x) => a + x, 0);
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    const body = Buffer.alloc(Math.ceil(data.length / 512) * 512);
    body.write(data);
    return Buffer.concat([h, body]);
  };
  const tgz = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
  const dest = () => mkdtempSync(join(scratch, 'untar-'));
  const ok = dest();
  assert.equal(untarGz(tgz(entry('./dir/', '5'), entry('./dir/a.yaml', '0', 'a: 1\n')), ok), 2);
  assert.equal(readFileSync(join(ok, 'dir', 'a.yaml'), 'utf8'), 'a: 1\n');
  assert.throws(() => untarGz(tgz(entry('../evil.yaml', '0', 'x')), dest()), /path out of it/);
  assert.throws(() => untarGz(tgz(entry('/etc/evil.yaml', '0', 'x')), dest()), /path out of it/);
  assert.throws(() => untarGz(tgz(entry('link', '2', '', '/etc')), dest()), /not a regular file or folder/);
  assert.throws(() => untarGz(tgz(entry('hard', '1', '', 'x')), dest()), /not a regular file or folder/);
  assert.ok(!existsSync(join(scratch, 'evil.yaml')));
});

test('a registry that asks for a Bearer token gets one with the Docker configuration credentials, which never show', async () => {
  const upstream = `http://${registry}`;
  const token = 'tok-123';
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      const ok = req.headers.authorization === `Basic ${Buffer.from('robot:s3cret-pw').toString('base64')}` && url.searchParams.get('scope') === 'repository:manifests/app:pull';
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' }).end(ok ? JSON.stringify({ token }) : '{}');
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const port = (server.address() as AddressInfo).port;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test",scope="repository:manifests/app:pull"` }).end();
      return;
    }
    const up = await fetch(upstream + (req.url ?? '/'), { headers: { Accept: String(req.headers.accept ?? '*/*') } });
    res.writeHead(up.status, { 'Content-Type': up.headers.get('content-type') ?? 'application/octet-stream' }).end(Buffer.from(await up.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const docker = join(scratch, 'docker');
    mkdirSync(docker, { recursive: true });
    const a = { url: `oci://${host}/manifests/app`, ref: { semver: '^1' }, insecure: true };
    const denied = await pullOciArtifact(a, { cacheDir: join(scratch, 'cache-auth'), env: { ...process.env, DOCKER_CONFIG: docker } });
    assert.ok(!denied.ok);
    assert.match(denied.message, /token service answered 401 \(no credentials for this registry/);
    writeFileSync(join(docker, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('robot:s3cret-pw').toString('base64') } } }));
    const r = await pullOciArtifact(a, { cacheDir: join(scratch, 'cache-auth'), env: { ...process.env, DOCKER_CONFIG: docker } });
    assert.ok(r.ok, !r.ok ? r.message : '');
    assert.match(readFileSync(join(r.dir, 'staging', 'configmap.yaml'), 'utf8'), /version: "1\.2\.0"/);
    const cached = readdirSync(join(scratch, 'cache-auth'), { recursive: true }).map(String).filter((f) => f.endsWith('pulled.json'));
    for (const f of cached) assert.doesNotMatch(readFileSync(join(scratch, 'cache-auth', f), 'utf8'), /s3cret|robot|tok-123/);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('one renderer resolves a ref against the registry once (two renders share it) until the memo expires', async () => {
  const asked: string[] = [];
  const counting: typeof fetch = (input, init) => {
    asked.push(new URL(String(input)).pathname);
    return fetch(input, init);
  };
  let now = Date.parse('2026-01-01T00:00:00Z');
  const opts = { cacheDir: join(scratch, 'cache-memo'), env: process.env, fetch: counting, now: () => new Date(now) };
  const artifacts = new RemoteArtifacts();
  const a = { url: `oci://${registry}/manifests/app`, ref: { semver: '>=1.0.0 <2' }, insecure: true };
  const [one, two] = await Promise.all([artifacts.pull(a, opts), artifacts.pull(a, opts)]);
  assert.ok(one.ok && two.ok && one.dir === two.dir);
  assert.equal(asked.filter((p) => p.endsWith('/tags/list')).length, 1);
  assert.equal(asked.filter((p) => p.includes('/blobs/')).length, 1);
  now += 6 * 60_000;
  const three = await artifacts.pull(a, opts);
  assert.ok(three.ok && three.digest === (one.ok && one.digest));
  assert.equal(asked.filter((p) => p.endsWith('/tags/list')).length, 2, 'resolved again after 5 minutes');
  assert.equal(asked.filter((p) => p.includes('/blobs/')).length, 1, 'the same digest: not downloaded again');
});

test('untrusted: one note and no fetch; the registry stopped: the cache answers (an exact tag without a word, a range "cached from"); nothing cached: remote-unavailable', async () => {
  const copy = repository('offline');
  const m = await discover(copy);
  const cache = join(scratch, 'cache-offline');
  const untrusted = await renderer(cache, false).renderApplication(app(m, 'production'));
  assert.ok(!untrusted.ok);
  assert.equal(untrusted.error.code, 'remote-unavailable');
  assert.match(untrusted.error.message, /is not fetched: remote sources are fetched only in trusted workspaces/);
  assert.ok(!existsSync(join(cache, 'oci')), 'nothing fetched while untrusted');
  const first = { production: objects(await renderer(cache).renderApplication(app(m, 'production'))), staging: objects(await renderer(cache).renderApplication(app(m, 'staging'))) };
  await repo.stopRegistry(); // no network from here on
  const prod = await renderer(cache).renderApplication(app(m, 'production'));
  assert.deepEqual(objects(prod), first.production);
  assert.doesNotMatch(prod.ok ? prod.notes!.join('\n') : '', /cached from/, 'tag 1.0.0 pulled before: the cache, not the network');
  const staging = await renderer(cache).renderApplication(app(m, 'staging'));
  assert.deepEqual(objects(staging), first.staging);
  assert.match(staging.ok ? staging.notes!.join('\n') : '', /artifact oci:\/\/127\.0\.0\.1:\d+\/manifests\/app \(semver:>=1\.0\.0 <2\) \(sha256:[0-9a-f]{12}\) cached from \d{4}-\d\d-\d\d \d\d:\d\d UTC \(not fetched now: /);
  const none = await renderer(join(scratch, 'cache-empty')).renderApplication(app(m, 'staging'));
  assert.ok(!none.ok);
  assert.equal(none.error.code, 'remote-unavailable');
  // `reconcile check --env` reports it as a note, not an error
  const out = sink();
  const err = sink();
  const code = await main(['check', copy, '--env', 'staging', '--format', 'json', '--kubectl', realTools().kubectl], { out, err, env: { ...process.env, RECONCILE_REMOTE_CACHE: join(scratch, 'cache-empty-cli') }, cwd: copy });
  const findings = (JSON.parse(out.text) as Array<{ code: string; severity: string }>).filter((f) => f.code === 'render/remote-unavailable');
  assert.equal(findings.length, 1, out.text);
  assert.equal(findings[0].severity, 'info');
  assert.equal(code, 0, err.text + out.text);
  assert.match(none.error.message, /^could not fetch oci:\/\/127\.0\.0\.1:\d+\/manifests\/app \(semver:>=1\.0\.0 <2\): (ECONNREFUSED|.*refused)/);
});
