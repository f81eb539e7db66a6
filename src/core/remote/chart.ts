// Charts from Helm HTTP repositories and OCI registries, pulled with the user's own helm (so its
// repository and registry configuration, and credentials, apply; none are stored here), once per URL,
// chart, version and digest (cache.ts). A version range resolves as Flux and Argo CD resolve it: the
// highest version of the repository's index.yaml (or the registry's tags) that the range allows
// (semver.ts). With no network, the last pull that fits is used and said to be; with none, the answer
// says what could not be fetched and why.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ProcessRunner } from '../render/process-runner';
import { isRecord } from '../util/record';
import { ChartCache, type PulledChart } from './cache';
import { redact, withoutCredentials } from './redact';
import { compareVersions, highestMatching, isExactVersion, parseRange, parseVersion, satisfies } from './semver';

/** A chart in a remote repository, as an Argo CD source or a Flux HelmRelease names it. */
export interface RemoteChartRef {
  /** `https://…` (a chart repository with index.yaml) or `oci://host/path` (the chart's name is appended). May hold credentials: never shown. */
  repoURL: string;
  chart: string;
  /** An exact version, a range (`>=1.0.0 <2`, `~1.2`, `^1`, `*`) or nothing (the latest release). */
  version?: string;
  /** Plain HTTP for an OCI registry (Flux `insecure: true`; always for 127.0.0.1 and localhost). */
  insecure?: boolean;
}

export interface RemoteFetchOptions {
  cache: ChartCache;
  /** The helm executable. */
  helm: string;
  runner: ProcessRunner;
  /** The user's environment (HELM_*, proxies, HOME): helm reads its configuration from it. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Per network step. Default 60 s. */
  timeoutMs?: number;
  now?: () => Date;
}

export type ChartResolution =
  | {
      ok: true;
      chartDir: string;
      version: string;
      digest: string;
      /** Set when the network could not be used and an earlier pull stands in. */
      offline?: { pulledAt: string; reason: string };
      /** One line for people: what was used (and, offline, since when). */
      note: string;
    }
  | { ok: false; message: string };

export function isOciRef(ref: Pick<RemoteChartRef, 'repoURL'>): boolean {
  return /^oci:\/\//i.test(ref.repoURL);
}

/** How a chart reference is shown: `oci://host/charts/web@^1` or `https://charts.example/ web@1.2.3`; credentials never. */
export function describeChart(ref: RemoteChartRef): string {
  const url = redact(ref.repoURL.replace(/\/+$/, ''));
  const at = `@${ref.version?.trim() || '*'}`;
  return isOciRef(ref) ? `${url}/${ref.chart}${at}` : `${url} ${ref.chart}${at}`;
}

function plainHttp(ref: RemoteChartRef): boolean {
  if (ref.insecure) return true;
  try {
    const host = new URL(ref.repoURL.replace(/^oci:/i, 'http:')).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  } catch {
    return false;
  }
}

/** fetch() with the URL's user:password moved into an Authorization header (fetch refuses them in the URL). */
async function get(url: string, init: { signal: AbortSignal; headers?: Record<string, string>; method?: string }): Promise<Response> {
  const u = new URL(url);
  const headers: Record<string, string> = { ...init.headers };
  if (u.username || u.password) {
    headers.Authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  return fetch(u, { method: init.method ?? 'GET', headers, signal: init.signal, redirect: 'follow' });
}

function networkReason(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'the request timed out';
  const cause = err?.cause?.code ?? err?.cause?.message;
  return redact(cause ? `${err.message ?? 'fetch failed'} (${cause})` : (err?.message ?? String(e)));
}

interface Candidate {
  version: string;
  digest?: string;
}

/** The versions a repository offers: index.yaml entries (with digests) or OCI tags. */
async function listVersions(ref: RemoteChartRef, signal: AbortSignal): Promise<Candidate[]> {
  if (isOciRef(ref)) {
    const u = new URL(ref.repoURL.replace(/^oci:/i, plainHttp(ref) ? 'http:' : 'https:'));
    const repo = `${u.pathname.replace(/^\/+|\/+$/g, '')}/${ref.chart}`.replace(/^\//, '');
    const base = `${u.protocol}//${u.username ? `${u.username}:${u.password}@` : ''}${u.host}`;
    const url = `${base}/v2/${repo}/tags/list`;
    let res = await get(url, { signal });
    if (res.status === 401) {
      // Anonymous token (public charts on most registries): the realm the registry names.
      const challenge = res.headers.get('www-authenticate') ?? '';
      const realm = /realm="([^"]+)"/i.exec(challenge)?.[1];
      if (!realm) throw new Error(`the registry asks for credentials (HTTP 401)`);
      const service = /service="([^"]+)"/i.exec(challenge)?.[1];
      const tokenUrl = new URL(realm);
      if (service) tokenUrl.searchParams.set('service', service);
      tokenUrl.searchParams.set('scope', `repository:${repo}:pull`);
      const t = await get(tokenUrl.toString(), { signal });
      if (!t.ok) throw new Error(`the registry asks for credentials (HTTP ${t.status})`);
      const body = (await t.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new Error('the registry gave no token');
      res = await fetch(url.replace(/\/\/[^@/]*@/, '//'), { headers: { Authorization: `Bearer ${token}` }, signal });
    }
    if (!res.ok) throw new Error(`${redact(url)} answered HTTP ${res.status}`);
    const body = (await res.json()) as { tags?: unknown };
    return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === 'string').map((version) => ({ version })) : [];
  }
  const url = `${ref.repoURL.replace(/\/+$/, '')}/index.yaml`;
  const res = await get(url, { signal });
  if (!res.ok) throw new Error(`${redact(url)} answered HTTP ${res.status}`);
  const index = parseYaml(await res.text()) as unknown;
  const entries = isRecord(index) && isRecord(index.entries) ? index.entries[ref.chart] : undefined;
  if (!Array.isArray(entries)) throw new NotInRepository(`the repository's index.yaml has no chart '${ref.chart}'`);
  return entries.filter(isRecord).filter((e) => typeof e.version === 'string').map((e) => ({ version: e.version as string, ...(typeof e.digest === 'string' ? { digest: e.digest } : {}) }));
}

/** The repository answered, and the chart or version is not in it: no cached pull stands in. */
class NotInRepository extends Error {}

/** sha256 over the unpacked chart's files (names and contents), when the source gives no digest. */
function treeDigest(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) h.update(path.relative(dir, p)).update('\0').update(fs.readFileSync(p)).update('\0');
    }
  };
  walk(dir);
  return `sha256:${h.digest('hex')}`;
}

/**
 * Resolves and pulls charts; one per renderer. Two renders of the same chart share one pull, a range
 * is resolved against the network at most once every `rangeTtlMs` (5 minutes), a failure retried after 30 s.
 */
export class RemoteCharts {
  private readonly inFlight = new Map<string, Promise<ChartResolution>>();
  private readonly ranges = new Map<string, { at: number; result: ChartResolution }>();

  constructor(
    private readonly opts: Omit<RemoteFetchOptions, 'signal' | 'helm'>,
    private readonly rangeTtlMs = 5 * 60_000,
  ) {}

  resolve(ref: RemoteChartRef, helm: string, signal?: AbortSignal): Promise<ChartResolution> {
    const key = `${withoutCredentials(ref.repoURL)}\n${ref.chart}\n${ref.version ?? ''}`;
    const memo = this.ranges.get(key);
    const now = (this.opts.now ?? (() => new Date()))().getTime();
    // A pull that worked is trusted for rangeTtlMs; a failure (or an offline answer) for 30 s, so a tree
    // that asks again and again does not knock on the network each time.
    if (memo && (memo.result.ok && !memo.result.offline ? now - memo.at < this.rangeTtlMs && fs.existsSync(memo.result.chartDir) : now - memo.at < 30_000)) return Promise.resolve(memo.result);
    let p = this.inFlight.get(key);
    if (!p) {
      p = resolveRemoteChart(ref, { ...this.opts, helm, signal }).then((r) => {
        this.inFlight.delete(key);
        this.ranges.set(key, { at: now, result: r });
        return r;
      });
      this.inFlight.set(key, p);
    }
    return p;
  }
}

/** Resolves a chart reference to an unpacked chart folder in the cache, pulling it when needed. */
export async function resolveRemoteChart(ref: RemoteChartRef, opts: RemoteFetchOptions): Promise<ChartResolution> {
  const what = describeChart(ref);
  const cache = opts.cache;
  const url = withoutCredentials(ref.repoURL.replace(/\/+$/, ''));
  const wanted = ref.version?.trim() || '*';
  const range = parseRange(wanted);
  if (!isExactVersion(wanted) && !range) return { ok: false, message: `chart ${what}: '${wanted}' is not a version or version range` };
  const used = (p: PulledChart, offline?: { pulledAt: string; reason: string }): ChartResolution => ({
    ok: true,
    chartDir: p.chartDir,
    version: p.version,
    digest: p.digest,
    ...(offline ? { offline } : {}),
    note: offline
      ? `chart ${describeChart({ ...ref, version: p.version })} cached from ${p.pulledAt.slice(0, 16).replace('T', ' ')} UTC (not fetched now: ${offline.reason})`
      : `chart ${describeChart({ ...ref, version: p.version })} (${p.digest.slice(0, 19)})`,
  });

  // An exact version pulled before is used as it is: no network.
  if (isExactVersion(wanted)) {
    const hit = cache.find(url, ref.chart, wanted) ?? cache.find(url, ref.chart, wanted.replace(/^v/, ''));
    if (hit) return used(hit);
  }

  const timeoutMs = opts.timeoutMs ?? 60_000;
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
  let version: string | undefined = isExactVersion(wanted) ? wanted : undefined;
  let digest: string | undefined;
  let reason: string | undefined;
  try {
    const candidates = await listVersions(ref, signal);
    const best = isExactVersion(wanted) ? candidates.find((c) => c.version === wanted || c.version === wanted.replace(/^v/, '')) : undefined;
    const chosen = best?.version ?? (isExactVersion(wanted) ? undefined : highestMatching(candidates.map((c) => c.version), wanted));
    if (!chosen) throw new NotInRepository(`no version of '${ref.chart}' matches '${wanted}' (the repository has ${candidates.length ? candidates.slice(-5).map((c) => c.version).join(', ') : 'none'})`);
    version = chosen;
    digest = candidates.find((c) => c.version === chosen)?.digest;
    if (digest && !digest.includes(':')) digest = `sha256:${digest}`;
    const hit = cache.find(url, ref.chart, version, digest) ?? (digest ? undefined : cache.find(url, ref.chart, version));
    if (hit) return used(hit);
  } catch (e) {
    if (opts.signal?.aborted) return { ok: false, message: `fetching chart ${what} was cancelled` };
    if (e instanceof NotInRepository) return { ok: false, message: `could not fetch chart ${what}: ${redact(e.message)}` };
    // The listing needs credentials helm has, or no network: helm is asked next (it resolves ranges too).
    reason = networkReason(e);
  }

  const pulled = await pull(ref, version ?? wanted, digest, opts);
  if (pulled.ok) return used(pulled.chart);
  const why = pulled.reason || reason || 'unknown error';
  // Offline (or refused): the newest pull that fits the range stands in, and says so.
  const fits = cache
    .pulls(url, ref.chart)
    .filter((p) => {
      const v = parseVersion(p.version);
      return v && (isExactVersion(wanted) ? p.version === wanted || p.version === wanted.replace(/^v/, '') : range && satisfies(v, range));
    })
    .sort((a, b) => compareVersions(parseVersion(b.version)!, parseVersion(a.version)!) || (a.pulledAt < b.pulledAt ? 1 : -1));
  if (fits.length) return used(fits[0], { pulledAt: fits[0].pulledAt, reason: why });
  return { ok: false, message: `could not fetch chart ${what}: ${why}` };
}

/** helm's repositories.yaml (HELM_REPOSITORY_CONFIG, else helm's configuration folder). */
function repositoriesFile(env: NodeJS.ProcessEnv): string {
  if (env.HELM_REPOSITORY_CONFIG) return env.HELM_REPOSITORY_CONFIG;
  const home = env.HOME ?? env.USERPROFILE ?? '';
  const config =
    env.HELM_CONFIG_HOME ??
    (process.platform === 'darwin' ? path.join(home, 'Library', 'Preferences', 'helm')
    : process.platform === 'win32' ? path.join(env.APPDATA ?? home, 'helm')
    : path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'helm'));
  return path.join(config, 'repositories.yaml');
}

/** The name under which the user added this repository URL to helm, if they did (credentials stay in helm's file). */
export function helmRepositoryName(repoURL: string, env: NodeJS.ProcessEnv): string | undefined {
  const want = withoutCredentials(repoURL).replace(/\/+$/, '');
  try {
    const doc = parseYaml(fs.readFileSync(repositoriesFile(env), 'utf8')) as unknown;
    const repos = isRecord(doc) && Array.isArray(doc.repositories) ? doc.repositories : [];
    for (const r of repos) {
      if (isRecord(r) && typeof r.name === 'string' && /^[A-Za-z0-9][\w.-]*$/.test(r.name) && typeof r.url === 'string' && withoutCredentials(r.url).replace(/\/+$/, '') === want) return r.name;
    }
  } catch {
    /* no helm configuration: pulled by URL */
  }
  return undefined;
}

async function pull(ref: RemoteChartRef, version: string, digest: string | undefined, opts: RemoteFetchOptions): Promise<{ ok: true; chart: PulledChart } | { ok: false; reason: string }> {
  const cache = opts.cache;
  const tmp = cache.tempDir();
  try {
    const untar = path.join(tmp, 'unpacked');
    const oci = isOciRef(ref);
    // Flags as --name=value and the reference after `--`: nothing from the repository is read as a flag.
    // A repository the user added to helm (`helm repo add`, with its credentials) is pulled by its name,
    // so helm applies the user's own configuration; any other by URL.
    const named = oci ? undefined : helmRepositoryName(ref.repoURL, opts.env);
    const args = [
      'pull',
      `--version=${version}`,
      '--untar',
      `--untardir=${untar}`,
      `--destination=${tmp}`,
      ...(oci ? (plainHttp(ref) ? ['--plain-http'] : []) : named ? [] : [`--repo=${ref.repoURL.replace(/\/+$/, '')}`]),
      '--',
      oci ? `${ref.repoURL.replace(/\/+$/, '')}/${ref.chart}` : named ? `${named}/${ref.chart}` : ref.chart,
    ];
    const run = await opts.runner.run(opts.helm, args, {
      cwd: tmp,
      env: { ...opts.env, GIT_TERMINAL_PROMPT: '0' },
      signal: opts.signal,
      timeoutMs: opts.timeoutMs ?? 120_000,
      maxOutputBytes: 1024 * 1024,
    });
    if (run.spawnError) return { ok: false, reason: `could not run helm (${run.spawnError.message})` };
    if (run.aborted) return { ok: false, reason: 'cancelled' };
    if (run.timedOut) return { ok: false, reason: 'helm pull timed out' };
    if (run.exitCode !== 0) {
      const line = run.stderr.split('\n').map((l) => l.trim()).filter((l) => l && !/^WARNING/i.test(l)).join(' ').replace(/^Error:\s*/i, '');
      return { ok: false, reason: redact(line.length > 400 ? `${line.slice(0, 400)}…` : line || `helm pull exited with ${run.exitCode}`) };
    }
    const dirs = fs.existsSync(untar) ? fs.readdirSync(untar).filter((n) => fs.existsSync(path.join(untar, n, 'Chart.yaml'))) : [];
    const dir = dirs.includes(ref.chart) ? ref.chart : dirs[0];
    if (!dir) return { ok: false, reason: 'helm pull left no chart' };
    const chartDir = path.join(untar, dir);
    const meta = parseYaml(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as unknown;
    const real = isRecord(meta) && (typeof meta.version === 'string' || typeof meta.version === 'number') ? String(meta.version) : version;
    const printed = /Digest:\s*(sha256:[0-9a-f]{64})/.exec(`${run.stdout}\n${run.stderr}`)?.[1];
    const d = digest ?? printed ?? treeDigest(chartDir);
    const stored = cache.store(withoutCredentials(ref.repoURL.replace(/\/+$/, '')), ref.chart, real, d, chartDir, (opts.now ?? (() => new Date()))());
    return { ok: true, chart: stored };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
