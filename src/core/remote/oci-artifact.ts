// OCI artifacts of manifests (a Flux OCIRepository, as `flux push artifact` makes them), pulled over the
// OCI distribution HTTP API with Node's fetch and unpacked by a small tar reader (regular files and
// folders only, inside the target, within size limits) into the cache:
//   <cacheDir>/oci/<hash of the URL>/<ref>/<manifest digest>/content/   the layer's files
//   <cacheDir>/oci/<hash of the URL>/<ref>/<manifest digest>/pulled.json
// keyed by the URL (without credentials), the ref (tag, semver range or digest) and the resolved digest.
// A digest, or an exact version tag, pulled before is used without the network; offline, the last pull
// of the ref stands in and says so. Credentials: anonymous, a registry's Bearer token challenge, and the
// user's ~/.docker/config.json `auths` (basic); never stored, logged or shown.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { RemoteOciSpec, RenderSpec } from '../repo/model';
import type { RenderError } from '../render/types';
import { FileTree } from '../repo/file-tree';
import { KustomizeGraph, KUSTOMIZATION_FILES } from '../repo/kustomize';
import { generatedResources } from '../render/flux/build';
import { redact, withoutCredentials } from './redact';
import { highestMatching, isExactVersion } from './semver';
import { UNTRUSTED_REMOTE } from './render';

/** The layer `flux push artifact` writes. */
export const FLUX_CONTENT_MEDIA_TYPE = 'application/vnd.cncf.flux.content.v1.tar+gzip';
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
const MAX_MANIFEST = 4 * 1024 * 1024;
const MAX_BLOB = 128 * 1024 * 1024;
const MAX_UNPACKED = 512 * 1024 * 1024;
const MAX_ENTRIES = 100_000;

export interface OciArtifactRef {
  /** `oci://host[:port]/repository` (may hold credentials: never shown). */
  url: string;
  /** Flux OCIRepository `spec.ref`: digest, else semver (with semverFilter), else tag; `latest` when none. */
  ref?: { tag?: string; semver?: string; semverFilter?: string; digest?: string };
  /** Flux `spec.layerSelector`: the first layer of this media type (else the first layer); only `extract`. */
  layerSelector?: { mediaType?: string; operation?: string };
  /** Plain HTTP (Flux `spec.insecure: true`). */
  insecure?: boolean;
}

export interface OciFetchOptions {
  cacheDir: string;
  /** The user's environment: DOCKER_CONFIG / HOME say where the registry credentials are. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Per request. Default 60 s. */
  timeoutMs?: number;
  now?: () => Date;
  /** Replaces Node's fetch (tests). */
  fetch?: typeof fetch;
}

export type PulledArtifact = { ok: true; dir: string; digest: string; ref: string; pulledAt: string; offline?: { reason: string } } | { ok: false; message: string };

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
const segment = (s: string) => s.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+/, '_') || '_';
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The ref as one string: what the cache and messages name. */
function refKey(a: OciArtifactRef): string {
  const r = a.ref ?? {};
  if (r.digest) return `@${r.digest}`;
  if (r.semver) return `semver:${r.semver}${r.semverFilter ? ` filter:${r.semverFilter}` : ''}`;
  return `:${r.tag || 'latest'}`;
}

export function describeArtifact(a: OciArtifactRef): string {
  const k = refKey(a);
  return `${redact(a.url.replace(/\/+$/, ''))}${k.startsWith('semver:') ? ` (${k})` : k}`;
}

class Refused extends Error {}

/** Host (as the API is asked) and repository of `oci://host/repo`. */
function parseOciUrl(url: string): { host: string; repo: string; user?: string; password?: string } {
  const m = /^oci:\/\/(?:([^/@:]*)(?::([^/@]*))?@)?([^/]+)\/(.+?)\/*$/i.exec(url.trim());
  if (!m) throw new Refused(`'${redact(url)}' is not an oci:// URL with a repository`);
  const host = m[3] === 'docker.io' ? 'registry-1.docker.io' : m[3];
  const repo = m[4];
  if (!/^[a-z0-9]+(?:[._-]+[a-z0-9]+|\/[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/.test(repo)) throw new Refused(`'${repo}' is not a repository name`);
  return { host, repo, ...(m[1] ? { user: decodeURIComponent(m[1]), password: decodeURIComponent(m[2] ?? '') } : {}) };
}

/** Basic credentials for `host` from the user's Docker configuration (`auths`), if any. */
export function dockerCredentials(host: string, env: NodeJS.ProcessEnv): { user: string; password: string } | undefined {
  const dir = env.DOCKER_CONFIG || path.join(env.HOME || env.USERPROFILE || os.homedir(), '.docker');
  let auths: Record<string, { auth?: string; username?: string; password?: string }>;
  try {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { auths?: typeof auths };
    auths = cfg.auths ?? {};
  } catch {
    return undefined;
  }
  const names = host === 'registry-1.docker.io' ? ['registry-1.docker.io', 'index.docker.io', 'docker.io'] : [host];
  for (const [key, v] of Object.entries(auths)) {
    const h = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
    if (!names.includes(h) || !v) continue;
    if (v.username && v.password) return { user: v.username, password: v.password };
    if (v.auth) {
      const plain = Buffer.from(v.auth, 'base64').toString('utf8');
      const i = plain.indexOf(':');
      if (i > 0) return { user: plain.slice(0, i), password: plain.slice(i + 1) };
    }
  }
  return undefined;
}

/** `Bearer realm="…",service="…",scope="…"` → its scheme and parameters. */
function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"|(\w+)=([^\s,]+)/g)) params[(p[1] ?? p[3]).toLowerCase()] = p[2] ?? p[4];
  return { scheme: m[1].toLowerCase(), params };
}

/** A registry client for one repository: anonymous, then what the registry's challenge asks for. */
class Registry {
  private authorization: string | undefined;
  private readonly base: string;
  constructor(
    private readonly host: string,
    private readonly repo: string,
    insecure: boolean,
    private readonly creds: { user: string; password: string } | undefined,
    private readonly opts: OciFetchOptions,
  ) {
    this.base = `${insecure ? 'http' : 'https'}://${host}/v2/${repo}`;
  }

  private async once(url: string, headers: Record<string, string>): Promise<Response> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 60_000);
    const signal = this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout;
    return (this.opts.fetch ?? fetch)(url, { headers: { ...headers, ...(this.authorization ? { Authorization: this.authorization } : {}) }, signal, redirect: 'follow' });
  }

  async get(rel: string, accept?: string): Promise<Response> {
    const url = rel.startsWith('http') ? rel : `${this.base}${rel}`;
    const headers: Record<string, string> = accept ? { Accept: accept } : {};
    let res = await this.once(url, headers);
    if (res.status !== 401) return res;
    const c = challenge(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    const basic = this.creds ? `Basic ${Buffer.from(`${this.creds.user}:${this.creds.password}`).toString('base64')}` : undefined;
    if (c?.scheme === 'bearer' && c.params.realm) {
      const realm = new URL(c.params.realm);
      if (c.params.service) realm.searchParams.set('service', c.params.service);
      realm.searchParams.set('scope', c.params.scope ?? `repository:${this.repo}:pull`);
      const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 60_000);
      const t = await (this.opts.fetch ?? fetch)(realm, { headers: basic ? { Authorization: basic } : {}, signal: this.opts.signal ? AbortSignal.any([this.opts.signal, timeout]) : timeout });
      if (!t.ok) throw new Error(`the registry's token service answered ${t.status}${basic ? '' : ' (no credentials for this registry in the Docker configuration)'}`);
      const body = (await t.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new Error("the registry's token service gave no token");
      this.authorization = `Bearer ${token}`;
    } else if (c?.scheme === 'basic' && basic) {
      this.authorization = basic;
    } else {
      throw new Error(`${this.host} asks for credentials${basic ? ' it did not accept' : ' (none for it in the Docker configuration)'}`);
    }
    res = await this.once(url, headers);
    if (res.status === 401 || res.status === 403) throw new Error(`${this.host} refused the credentials (${res.status})`);
    return res;
  }

  async bytes(rel: string, max: number, accept?: string): Promise<{ body: Buffer; headers: Headers }> {
    const res = await this.get(rel, accept);
    if (!res.ok) {
      await res.body?.cancel();
      if (res.status === 404) throw new Refused(`${rel.replace(/^\/(manifests|blobs)\//, '$1 ')} was not found in ${this.host}/${this.repo}`);
      throw new Error(`${this.host} answered ${res.status} for ${rel}`);
    }
    const len = Number(res.headers.get('content-length') ?? '0');
    if (len > max) throw new Refused(`${rel} is ${len} bytes, more than the ${max} allowed`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > max) throw new Refused(`${rel} is more than the ${max} bytes allowed`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return { body: Buffer.concat(chunks), headers: res.headers };
  }

  async tags(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = '/tags/list?n=1000';
    for (let page = 0; next && page < 100; page++) {
      const { body, headers } = await this.bytes(next, MAX_MANIFEST);
      const j = JSON.parse(body.toString('utf8')) as { tags?: string[] | null };
      out.push(...(j.tags ?? []));
      const link = /<([^>]+)>\s*;\s*rel="?next"?/.exec(headers.get('link') ?? '');
      next = link ? (link[1].startsWith('/v2/') ? new URL(link[1], this.base).toString() : link[1]) : undefined;
    }
    return out;
  }
}

/** Unpacks a tar (gzip) of regular files and folders into `dest`; anything else (links, devices, paths out of it) is refused. */
export function untarGz(gz: Buffer, dest: string): number {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: MAX_UNPACKED });
  } catch (e) {
    throw new Refused(`the layer is not a gzip tar within ${MAX_UNPACKED} bytes (${(e as Error).message})`);
  }
  const cstr = (b: Buffer) => {
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
  };
  const octal = (b: Buffer) => {
    if (b[0] & 0x80) throw new Refused('a tar entry size in base-256 is not read');
    const s = cstr(b).trim();
    return s ? parseInt(s, 8) : 0;
  };
  let off = 0;
  let files = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const sum = h.reduce((a, x, i) => a + (i >= 148 && i < 156 ? 32 : x), 0);
    if (sum !== octal(h.subarray(148, 156))) throw new Refused('a tar header has a bad checksum');
    const type = String.fromCharCode(h[156] || 0x30);
    const size = paxSize ?? octal(h.subarray(124, 136));
    const dataStart = off + 512;
    if (!Number.isSafeInteger(size) || size < 0 || dataStart + size > tar.length) throw new Refused('a tar entry runs past the end of the layer');
    const data = tar.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'x' || type === 'g') {
      if (type === 'x') {
        for (const rec of pax(data)) {
          if (rec[0] === 'path') paxPath = rec[1];
          if (rec[0] === 'size') paxSize = Number(rec[1]);
        }
      }
      continue;
    }
    if (type === 'L') {
      longName = cstr(data);
      continue;
    }
    const ustar = h.subarray(257, 262).toString('latin1') === 'ustar';
    const prefix = ustar ? cstr(h.subarray(345, 500)) : '';
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${cstr(h.subarray(0, 100))}` : cstr(h.subarray(0, 100)));
    paxPath = longName = paxSize = undefined;
    if (++files > MAX_ENTRIES) throw new Refused(`the layer has more than ${MAX_ENTRIES} entries`);
    const rel = name.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    if (rel === '' || rel === '.') continue;
    if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel) || rel.split('/').some((s) => s === '..')) throw new Refused(`the layer holds a path out of it: '${name}'`);
    const target = path.join(dest, ...rel.split('/').filter((s) => s && s !== '.'));
    if (path.relative(dest, target).startsWith('..')) throw new Refused(`the layer holds a path out of it: '${name}'`);
    if (type === '5') fs.mkdirSync(target, { recursive: true });
    else if (type === '0' || type === '7') {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, data, { mode: 0o644 });
    } else throw new Refused(`the layer holds '${name}', which is not a regular file or folder (tar type '${type}')`);
  }
  return files;
}

function pax(data: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.subarray(i, sp).toString('latin1'), 10);
    if (!(len > 0)) break;
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out.push([rec.slice(0, eq), rec.slice(eq + 1)]);
    i += len;
  }
  return out;
}

interface PullRecord {
  url: string;
  ref: string;
  digest: string;
  pulledAt: string;
}

function pulls(base: string, ref: string): (PullRecord & { dir: string })[] {
  const root = path.join(base, segment(ref));
  const out: (PullRecord & { dir: string })[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(root).filter((n) => !n.includes('.tmp-'));
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(root, n, 'pulled.json'), 'utf8')) as PullRecord;
      if (fs.existsSync(path.join(root, n, 'content'))) out.push({ ...meta, dir: path.join(root, n, 'content') });
    } catch {
      /* an interrupted pull */
    }
  }
  return out.sort((a, b) => (a.pulledAt < b.pulledAt ? 1 : a.pulledAt > b.pulledAt ? -1 : 0));
}

/** Resolves the artifact's ref and unpacks its layer into the cache (or finds it there). */
export async function pullOciArtifact(a: OciArtifactRef, opts: OciFetchOptions): Promise<PulledArtifact> {
  const url = withoutCredentials(a.url.replace(/\/+$/, ''));
  const ref = refKey(a);
  const base = path.join(opts.cacheDir, 'oci', hash(url));
  const what = describeArtifact(a);
  const cached = pulls(base, ref);
  const r = a.ref ?? {};
  // A digest, or an exact version tag, pulled before: no network.
  if (cached.length && (r.digest || (!r.semver && r.tag && isExactVersion(r.tag)))) return { ok: true, dir: cached[0].dir, digest: cached[0].digest, ref, pulledAt: cached[0].pulledAt };
  let reason: string;
  try {
    if (a.layerSelector?.operation && a.layerSelector.operation !== 'extract') throw new Refused(`layerSelector.operation '${a.layerSelector.operation}' is not supported (only extract)`);
    const u = parseOciUrl(a.url);
    const creds = u.user !== undefined ? { user: u.user, password: u.password ?? '' } : dockerCredentials(u.host, opts.env);
    const reg = new Registry(u.host, u.repo, a.insecure === true, creds, opts);
    let reference: string;
    if (r.digest) {
      if (!/^sha256:[0-9a-f]{64}$/.test(r.digest)) throw new Refused(`'${r.digest}' is not a sha256 digest`);
      reference = r.digest;
    } else if (r.semver) {
      let tags = await reg.tags();
      if (r.semverFilter) {
        const re = new RegExp(r.semverFilter);
        tags = tags.filter((t) => re.test(t));
      }
      const best = highestMatching(tags, r.semver);
      if (!best) throw new Refused(`no tag matches '${r.semver}' (tags: ${tags.slice(-5).join(', ') || 'none'})`);
      reference = best;
    } else reference = r.tag || 'latest';
    const m = await reg.bytes(`/manifests/${encodeURIComponent(reference).replace(/%3A/g, ':')}`, MAX_MANIFEST, MANIFEST_TYPES.join(', '));
    const digest = sha256(m.body);
    if (r.digest && digest !== r.digest) throw new Refused(`the manifest's digest is ${digest}, not ${r.digest}`);
    const hit = cached.find((p) => p.digest === digest);
    if (hit) return { ok: true, dir: hit.dir, digest, ref, pulledAt: hit.pulledAt };
    const manifest = JSON.parse(m.body.toString('utf8')) as { mediaType?: string; manifests?: unknown[]; layers?: { mediaType?: string; digest?: string; size?: number }[] };
    if (manifest.manifests) throw new Refused('the reference is an image index, not an artifact');
    const layers = manifest.layers ?? [];
    const wanted = a.layerSelector?.mediaType;
    const layer = wanted ? layers.find((l) => l.mediaType === wanted) : layers[0];
    if (!layer?.digest) throw new Refused(wanted ? `no layer of media type '${wanted}' (layers: ${layers.map((l) => l.mediaType).join(', ') || 'none'})` : 'the artifact has no layer');
    if (!/^sha256:[0-9a-f]{64}$/.test(layer.digest)) throw new Refused(`layer digest '${layer.digest}' is not sha256`);
    const blob = await reg.bytes(`/blobs/${layer.digest}`, MAX_BLOB);
    const got = sha256(blob.body);
    if (got !== layer.digest) throw new Refused(`the layer's content has digest ${got}, not the ${layer.digest} its manifest names: refused`);
    const entry = path.join(base, segment(ref), segment(digest));
    const staging = `${entry}.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    fs.mkdirSync(path.join(staging, 'content'), { recursive: true });
    try {
      untarGz(blob.body, path.join(staging, 'content'));
      const meta: PullRecord = { url, ref, digest, pulledAt: (opts.now ?? (() => new Date()))().toISOString() };
      fs.writeFileSync(path.join(staging, 'pulled.json'), JSON.stringify(meta, null, 2) + '\n');
      fs.rmSync(entry, { recursive: true, force: true });
      try {
        fs.renameSync(staging, entry);
      } catch (e) {
        // another process stored the same digest meanwhile: its copy is the same content
        if (!fs.existsSync(path.join(entry, 'pulled.json'))) throw e;
      }
      return { ok: true, dir: path.join(entry, 'content'), digest, ref, pulledAt: meta.pulledAt };
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  } catch (e) {
    if (opts.signal?.aborted) return { ok: false, message: `fetching ${what} was cancelled` };
    if (e instanceof Refused) return { ok: false, message: `could not fetch ${what}: ${redact(e.message)}` };
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    reason = redact(cause?.code ?? cause?.message ?? (e as Error).message);
  }
  if (cached.length) return { ok: true, dir: cached[0].dir, digest: cached[0].digest, ref, pulledAt: cached[0].pulledAt, offline: { reason } };
  return { ok: false, message: `could not fetch ${what}: ${reason}` };
}

/**
 * Pulls artifacts for one renderer: two renders of the same ref share one pull, and a ref is resolved
 * against the registry at most once every `ttlMs` (5 minutes; a failure or an offline answer 30 s).
 */
export class RemoteArtifacts {
  private readonly memo = new Map<string, { at: number; result: Promise<PulledArtifact> }>();
  constructor(private readonly ttlMs = 5 * 60_000) {}

  pull(a: OciArtifactRef, opts: OciFetchOptions): Promise<PulledArtifact> {
    const key = `${opts.cacheDir}\n${withoutCredentials(a.url)}\n${refKey(a)}\n${a.layerSelector?.mediaType ?? ''}\n${a.insecure ? 'http' : 'https'}`;
    const now = (opts.now ?? (() => new Date()))().getTime();
    const m = this.memo.get(key);
    if (m && now - m.at < this.ttlMs) return m.result;
    const result = pullOciArtifact(a, opts).then((r) => {
      const fresh = r.ok && !r.offline && fs.existsSync(r.dir);
      if (opts.signal?.aborted) this.memo.delete(key); // a cancelled pull is not the answer for the next caller
      else if (!fresh) this.memo.set(key, { at: now - this.ttlMs + 30_000, result: Promise.resolve(r) });
      return r;
    });
    this.memo.set(key, { at: now, result });
    return result;
  }
}

export type LocalOci = { ok: true; spec: Exclude<RenderSpec, { kind: 'unsupported' }>; inputs: string[]; note: string } | { ok: false; error: RenderError };

/** A Flux Kustomization's path inside an OCI artifact, pulled, as kustomize-controller builds it; or the one note that says why not. */
export async function localOciSpec(spec: RemoteOciSpec, ctx: OciFetchOptions & { trusted: boolean; artifacts?: RemoteArtifacts }): Promise<LocalOci> {
  const what = describeArtifact(spec);
  const unavailable = (message: string): LocalOci => ({ ok: false, error: { code: 'remote-unavailable', message: redact(message) } });
  if (!ctx.trusted) return unavailable(`artifact ${what} is not fetched: ${UNTRUSTED_REMOTE}. Trust the workspace to render this application.`);
  const p = await (ctx.artifacts ? ctx.artifacts.pull(spec, ctx) : pullOciArtifact(spec, ctx));
  if (!p.ok) return unavailable(p.message);
  const note = p.offline
    ? `artifact ${what} (${p.digest.slice(0, 19)}) cached from ${p.pulledAt.slice(0, 16).replace('T', ' ')} UTC (not fetched now: ${p.offline.reason})`
    : `artifact ${what} (${p.digest.slice(0, 19)})`;
  const dir = path.resolve(p.dir, spec.path || '.');
  const rel = path.relative(p.dir, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel) || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return { ok: false, error: { code: 'tool-failed', message: redact(`path '${spec.path}' does not exist in artifact ${what} (${p.digest.slice(0, 19)})`) } };
  }
  const tree = FileTree.scan(p.dir);
  if (KUSTOMIZATION_FILES.some((n) => fs.existsSync(path.join(dir, n)))) {
    const files = new KustomizeGraph(tree).closure(dir)?.files ?? [];
    const k = spec.kustomize && Object.keys(spec.kustomize).some((x) => x !== 'label') ? { flux: { ...spec.kustomize, root: p.dir, files } } : {};
    return { ok: true, spec: { kind: 'kustomize', dir, origins: { root: p.dir }, ...k }, inputs: files, note };
  }
  // kustomize-controller: a path without a kustomization gets one listing its manifests and sub-kustomizations.
  const files = tree.filesUnder(dir);
  return { ok: true, spec: { kind: 'kustomize', dir, origins: { root: p.dir }, flux: { ...spec.kustomize, root: p.dir, files, generate: await generatedResources(dir) } }, inputs: files, note };
}
