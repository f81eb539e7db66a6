// createRenderer(): the one Renderer the product uses. It refuses external tools in an untrusted
// workspace, answers from the cache when no input changed, shares a render in progress between
// callers, runs at most `maxConcurrent` renders at once, and maps objects back to their sources.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MAX_FILE_BYTES, parseManifests, rangeOfPath, readManifestFile, type ManifestDocument, type ManifestFile } from '../manifest/parse';
import { screenBytes } from '../manifest/limits';
import { quickParse } from '../manifest/quick';
import { FILE_START, type SourceLocation } from '../manifest/range';
import type { Application, Resource } from '../repo/model';
import { FileTree } from '../repo/file-tree';
import { KustomizeGraph } from '../repo/kustomize';
import { Semaphore } from '../util/semaphore';
import { whenAborted } from '../util/abort';
import { RenderCache, renderCacheKey, stableJson } from './cache';
import { RetrySchedule, type BackoffOptions } from '../util/retry';
import { createHash } from 'node:crypto';
import { inputsOf } from './inputs';
import { spawnRunner, type ProcessRunner, type RunResult } from './process-runner';
import { stringify } from 'yaml';
import { isListDocument } from '../manifest/list';
import { expandListDocuments, type RenderedPart } from './lists';
import { mapHelmSources, mapKustomizeSources } from './source-map';
import { ToolLocator, SETTING_OF, type ToolPaths } from './tools';
import { checkSpec, helmTemplateArgs, kustomizeArgs, RefusedArgument, refusalError, runTool, toolEnv } from './invocation';
import { asKubectlReads } from '../policy/kubectl-reads';
import { ChartCache, defaultRemoteCacheDir, RemoteCharts } from '../remote';
import { localHelmSpec } from '../remote/render';
import { localGitSpec } from '../remote/git';
import { localOciSpec, RemoteArtifacts } from '../remote/oci-artifact';
import { FluxBuildError, fluxPostBuild, mapFromCopy, postRender, prepareFluxBuild, SubstitutionError, type PreparedBuild } from './flux';
import type { FluxPostRenderer } from '../repo/model';
import type { RenderError, RenderOptions, RenderResult, RenderSpec, RenderedDocument, Renderer, ToolInfo, ToolName } from './types';

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export interface RendererOptions {
  /** Explicit tool paths, from the settings reconcile.tools.kubectl|kustomize|helm. */
  tools?: ToolPaths;
  /** false in an untrusted workspace: kustomize and helm are not run (plain still renders). */
  trusted: boolean;
  /** How processes are run (tests inject one to count or fake runs). */
  runner?: ProcessRunner;
  /** Environment for the tools and for PATH lookup. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Renders running at once. Default 2. */
  maxConcurrent?: number;
  /** The limit on renders at once, when several renderers share one (the editor has one per workspace folder). Overrides maxConcurrent. */
  semaphore?: Semaphore;
  /** Results kept. Default 200. */
  cacheEntries?: number;
  /** Map objects back to their source documents. Default true. */
  mapSources?: boolean;
  /** When a failed render is tried again with the same inputs (default: 30 s, doubling, capped at 5 minutes). */
  retry?: BackoffOptions;
  /** Where remote charts are cached (the extension's storage). Default: defaultRemoteCacheDir() (~/.cache/reconcile/remote). */
  remoteCacheDir?: string;
}

export interface ReconcileRenderer extends Renderer {
  /** Renders an application; its sourcePaths are the cache key's inputs. */
  renderApplication(app: Application, opts?: Omit<RenderOptions, 'inputs'>): Promise<RenderResult>;
  /** The tool that would render a spec kind, with its version (cached). */
  toolVersion(name: ToolName | 'kustomize-or-kubectl'): Promise<ToolInfo | RenderError>;
  /** Renders currently running, and waiting. */
  readonly running: number;
  readonly waiting: number;
  clearCache(): void;
}

interface InFlight {
  promise: Promise<RenderResult>;
  controller: AbortController;
  callers: number;
  /** Moves the render to the front of the queue while it waits for a slot (an urgent caller joined it). */
  promote?: () => void;
}

export function createRenderer(options: RendererOptions): ReconcileRenderer {
  const runner = options.runner ?? spawnRunner;
  const env = options.env ?? process.env;
  const locator = new ToolLocator(options.tools ?? {}, runner, env);
  const cache = new RenderCache(options.cacheEntries ?? 200);
  const semaphore = options.semaphore ?? new Semaphore(options.maxConcurrent ?? 2);
  const inFlight = new Map<string, InFlight>();
  const mapSources = options.mapSources !== false;
  // Failures are remembered per spec with the fingerprint of their inputs (the cache key: every input
  // file's content, the tool's path and version, the spec): the same inputs are tried again only when
  // the backoff is over, so however often a caller asks, a failing render runs at most once per step.
  const failures = new RetrySchedule<Extract<RenderResult, { ok: false }>>(options.retry);
  const remoteArtifacts = new RemoteArtifacts();
  const remoteCharts = new RemoteCharts({ cache: new ChartCache(options.remoteCacheDir ?? defaultRemoteCacheDir(env)), runner, env });

  async function resolveTool(spec: RenderSpec): Promise<{ tool?: ToolInfo; error?: RenderError }> {
    if (spec.kind !== 'kustomize' && spec.kind !== 'helm') return {};
    if (!options.trusted) {
      const name = spec.kind;
      return {
        error: {
          code: 'untrusted',
          tool: name === 'helm' ? 'helm' : 'kustomize',
          message: `${name} is not run in an untrusted workspace: ${
            name === 'helm' ? 'charts can run code through post-renderers and plugins' : 'kustomize exec plugins and generators run code from the repository'
          }. Trust the workspace to render this application.`,
        },
      };
    }
    const found = spec.kind === 'helm' ? locator.find('helm') : locator.findKustomize();
    if (!found.tool) return { error: found.error };
    const tool = { ...found.tool, version: await locator.version(found.tool) };
    return { tool };
  }

  /** Never rejects: a cancellation is `aborted`, anything unexpected (checking tools, reading inputs) an `exception` that says what it was. */
  async function render(spec: RenderSpec, opts: RenderOptions = {}): Promise<RenderResult> {
    try {
      if (spec.kind === 'helm' && spec.remoteChart) {
        // A chart from a repository or registry: pulled (or found in the cache) first, then rendered as a local one.
        const found = options.trusted ? locator.find('helm') : undefined;
        const local = await localHelmSpec(spec, { trusted: options.trusted, charts: remoteCharts, helm: found?.tool?.path, signal: opts.signal });
        if (!local.ok) return { ok: false, error: local.error };
        const r = await renderOrThrow(local.spec, { ...opts, inputs: [...(opts.inputs ?? []), ...local.inputs] });
        return r.ok ? { ...r, notes: [...(r.notes ?? []), local.note] } : r;
      }
      if (spec.kind === 'unsupported' && spec.remoteGit) {
        // A folder of another Git repository: fetched with the user's git (or found in the cache), then rendered by what it holds.
        const local = await localGitSpec(spec.remoteGit, { trusted: options.trusted, cacheDir: options.remoteCacheDir ?? defaultRemoteCacheDir(env), runner, env, signal: opts.signal });
        if (!local.ok) return { ok: false, error: local.error };
        const r = await renderOrThrow(local.spec, { ...opts, inputs: [...(opts.inputs ?? []), ...local.inputs] });
        return r.ok ? { ...r, notes: [...(r.notes ?? []), local.note] } : r;
      }
      if (spec.kind === 'unsupported' && spec.remoteOci) {
        // A Flux Kustomization over an OCIRepository artifact: pulled (or found in the cache), then built from its path.
        const local = await localOciSpec(spec.remoteOci, { trusted: options.trusted, artifacts: remoteArtifacts, cacheDir: options.remoteCacheDir ?? defaultRemoteCacheDir(env), env, signal: opts.signal });
        if (!local.ok) return { ok: false, error: local.error };
        const r = await renderOrThrow(local.spec, { ...opts, inputs: [...(opts.inputs ?? []), ...local.inputs] });
        return r.ok ? { ...r, notes: [...(r.notes ?? []), local.note] } : r;
      }
      return await renderOrThrow(spec, opts);
    } catch (e) {
      return opts.signal?.aborted ? aborted(spec) : renderException(spec, e);
    }
  }

  async function renderOrThrow(spec: RenderSpec, opts: RenderOptions): Promise<RenderResult> {
    if (spec.kind === 'unsupported') return { ok: false, error: { code: 'unsupported', message: spec.reason } };
    if (opts.signal?.aborted) return aborted(spec);
    // Values from the repository are checked before anything runs (no tool, no version query).
    if (spec.kind === 'helm' || spec.kind === 'kustomize') {
      try {
        checkSpec(spec);
      } catch (e) {
        if (e instanceof RefusedArgument) return { ok: false, error: refusalError(e, spec.kind) };
        throw e;
      }
    }
    const { tool, error } = await resolveTool(spec);
    if (error?.code === 'untrusted') return { ok: false, error }; // nothing would run, whatever the inputs
    const inputs = opts.inputs ? [...opts.inputs, ...(spec.kind === 'helm' ? spec.valueFiles : [])] : inputsOf(spec);
    // A missing tool is part of the inputs too: where it was looked for, and why it was not found.
    const key = await renderCacheKey(spec, tool ?? { path: `<not found> ${error?.message ?? ''}` }, inputs);
    const id = createHash('sha256').update(stableJson(spec)).digest('hex');
    const waiting = failures.pending(id, key);
    if (waiting) return { ok: false, error: waiting.failure.error, retry: { attempt: waiting.attempt, at: waiting.at }, remembered: true, inputs: key };
    if (error) return failed(id, key, { ok: false, error });
    const hit = cache.get(key);
    if (hit) return hit.ok ? { ...hit, cached: true } : hit;
    let flight = inFlight.get(key);
    if (flight && opts.urgent) flight.promote?.(); // the user waits for what was queued in the background
    if (!flight) {
      const controller = new AbortController();
      // Set while the render waits for a slot (the semaphore calls back before `f` exists).
      const queued: { promote?: () => void } = {};
      const f: InFlight = {
        controller,
        callers: 0,
        promote: () => queued.promote?.(),
        promise: semaphore
          .run(() => renderNow(spec, tool, { ...opts, signal: controller.signal }).catch((e: unknown) => refused(e, spec)), controller.signal, {
            urgent: opts.urgent,
            onQueued: (promote) => (queued.promote = promote),
          })
          // Only a cancellation is reported as one; anything else says what it is.
          .catch((e: unknown): RenderResult => (controller.signal.aborted ? aborted(spec) : renderException(spec, e)))
          .then((r) => {
            if (inFlight.get(key) === f) inFlight.delete(key);
            if (r.ok) {
              cache.set(key, r);
              failures.succeeded(id);
              return r;
            }
            return r.error.code === 'aborted' ? r : failed(id, key, r);
          }),
      };
      inFlight.set(key, f);
      flight = f;
    }
    return join(key, flight, spec, opts.signal);
  }

  /** Records a failure of these inputs: it is answered from memory until its backoff is over. */
  function failed(id: string, key: string, r: Extract<RenderResult, { ok: false }>): RenderResult {
    const state = failures.failed(id, key, { ok: false, error: r.error });
    return { ok: false, error: r.error, retry: { attempt: state.attempt, at: state.at }, inputs: key };
  }

  /** One caller waiting for a shared render; the render is aborted when every caller has gone. */
  function join(key: string, f: InFlight, spec: RenderSpec, signal: AbortSignal | undefined): Promise<RenderResult> {
    f.callers++;
    return new Promise<RenderResult>((resolve) => {
      let settled = false;
      let stopWaiting = () => {};
      const leave = () => {
        if (settled) return;
        settled = true;
        stopWaiting();
        f.callers--;
      };
      const onAbort = () => {
        leave();
        if (f.callers === 0) {
          // Nobody waits any more: stop the run, and let the next caller start a fresh one.
          if (inFlight.get(key) === f) inFlight.delete(key);
          f.controller.abort();
        }
        resolve(aborted(spec));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      // The applications of an environment render under one signal: one listener on it for all of them.
      stopWaiting = whenAborted(signal, onAbort);
      void f.promise.then((r) => {
        if (settled) return;
        leave();
        resolve(r);
      });
    });
  }

  async function renderNow(spec: RenderSpec, tool: ToolInfo | undefined, opts: RenderOptions): Promise<RenderResult> {
    if (opts.signal?.aborted) return aborted(spec);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    switch (spec.kind) {
      case 'plain':
        return renderPlain(spec.files, maxOutputBytes);
      case 'kustomize': {
        // A Flux Kustomization is built from a private copy with Flux's fields applied (render/flux).
        let prepared: PreparedBuild | undefined;
        try {
          if (spec.flux) prepared = await prepareFluxBuild(spec.dir, spec.flux);
          const built: typeof spec = prepared ? { kind: 'kustomize', dir: prepared.dir, origins: { root: prepared.root } } : spec;
          const args = kustomizeArgs(tool!.name === 'kubectl' ? 'kubectl' : 'kustomize', built);
          const ran = await runTool(runner, tool!, args, { cwd: built.dir, env: toolEnv(env), signal: opts.signal, timeoutMs, maxOutputBytes });
          const run = prepared ? { ...ran, stderr: prepared.toRepository(ran.stderr) } : ran;
          const failed = runFailure(run, tool!, args, timeoutMs, maxOutputBytes);
          if (failed) {
            failed.error.file = kustomizeErrorFile(spec.dir, run.stderr);
            if (failed.error.file) failed.error.location = locateKustomizeError(spec.dir, failed.error.file, run.stderr);
            return failed;
          }
          const post = spec.flux ? fluxPostBuild(run.stdout, spec.flux) : undefined;
          const r = parseOutput(post ? post.yaml : run.stdout, tool!);
          if (r.ok) {
            const warnings = [...stderrWarnings(run.stderr), ...(post?.warnings ?? [])];
            if (warnings.length) r.warnings = warnings;
            if (mapSources) safely(() => mapKustomizeSources(spec.dir, r.documents, commonFolder([spec.dir, ...(opts.inputs ?? [])])));
            const copy = prepared;
            if (mapSources && copy) safely(() => mapFromCopy(copy, spec.flux!.root, r.documents));
            return expandOutputLists(r, tool!);
          }
          return r;
        } catch (e) {
          if (e instanceof SubstitutionError || e instanceof FluxBuildError) return { ok: false, error: { code: 'tool-failed', tool: tool!.name, message: `${spec.flux?.label ?? 'Flux Kustomization'}: ${e.message}` } };
          throw e;
        } finally {
          await prepared?.cleanup();
        }
      }
      case 'helm': {
        let tmp: string | undefined;
        try {
          if (spec.values && Object.keys(spec.values).length) {
            tmp = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-values-')), 'values.json');
            await fs.writeFile(tmp, JSON.stringify(spec.values), { mode: 0o600 });
          }
          const args = helmTemplateArgs(spec, tmp);
          const run = await runTool(runner, tool!, args, { cwd: spec.chartDir, env: toolEnv(env), signal: opts.signal, timeoutMs, maxOutputBytes });
          const failed = runFailure(run, tool!, args, timeoutMs, maxOutputBytes);
          if (failed) {
            const where = helmErrorLocation(spec, run.stderr, tmp);
            if (where) {
              failed.error.file = where.file;
              failed.error.location = where;
            }
            return failed;
          }
          const r = parseOutput(run.stdout, tool!);
          if (r.ok) {
            const warnings = stderrWarnings(run.stderr);
            if (warnings.length) r.warnings = warnings;
            if (mapSources) safely(() => mapHelmSources(spec.chartDir, r.yaml, r.documents as Array<RenderedDocument & { offsets?: [number, number] }>, spec.valueFiles));
            const expanded = expandOutputLists(r, tool!);
            for (const d of r.documents) delete (d as { offsets?: unknown }).offsets;
            // A Flux HelmRelease's postRenderers (kustomize patches and images), as helm-controller runs them.
            if (spec.postRenderers?.length && expanded.ok) return await postRendered(expanded, spec.postRenderers, opts.signal, timeoutMs, maxOutputBytes);
            return expanded;
          }
          return r;
        } finally {
          if (tmp) await fs.rm(path.dirname(tmp), { recursive: true, force: true }).catch(() => undefined);
        }
      }
      default:
        return { ok: false, error: { code: 'unsupported', message: spec.kind === 'unsupported' ? spec.reason : 'unknown render spec' } };
    }
  }

  /** helm's output through a HelmRelease's kustomize post-renderers; each object keeps the source helm's output gave it. */
  async function postRendered(
    r: Extract<RenderResult, { ok: true }>,
    renderers: readonly FluxPostRenderer[],
    signal: AbortSignal | undefined,
    timeoutMs: number,
    maxOutputBytes: number,
  ): Promise<RenderResult> {
    const found = locator.findKustomize();
    if (!found.tool) return { ok: false, error: found.error! };
    const k = { ...found.tool, version: await locator.version(found.tool) };
    const out = await postRender(r.yaml, renderers, async (dir) => {
      const args = kustomizeArgs(k.name === 'kubectl' ? 'kubectl' : 'kustomize', { kind: 'kustomize', dir, origins: { root: dir } });
      const run = await runTool(runner, k, args, { cwd: dir, env: toolEnv(env), signal, timeoutMs, maxOutputBytes });
      const failure = runFailure(run, k, args, timeoutMs, maxOutputBytes);
      return failure ? { ok: false, failure } : { ok: true, stdout: run.stdout };
    });
    if (!out.ok) {
      const f = out.failure as { ok: false; error: RenderError };
      return { ok: false, error: { ...f.error, message: `HelmRelease post-renderer: ${f.error.message}` } };
    }
    const p = parseOutput(out.yaml, k);
    if (!p.ok) return p;
    const keyOf = (id: NonNullable<RenderedDocument['id']>) => `${id.group}/${id.kind}/${id.namespace ?? ''}/${id.name}`;
    const before = new Map(r.documents.filter((d) => d.id).map((d) => [keyOf(d.id!), d]));
    for (const d of p.documents) {
      delete (d as { offsets?: unknown }).offsets;
      const o = d.id ? before.get(keyOf(d.id)) : undefined;
      if (o?.source) d.source = o.source;
      if (o?.patchedBy) d.patchedBy = o.patchedBy;
    }
    return { ...p, tool: r.tool, ...(r.warnings ? { warnings: r.warnings } : {}) };
  }

  return {
    render,
    renderApplication(app, opts = {}) {
      return render(app.renderer, { ...opts, inputs: app.sourcePaths });
    },
    async toolVersion(name) {
      const found = name === 'kustomize-or-kubectl' ? locator.findKustomize() : locator.find(name);
      if (!found.tool) return found.error!;
      return { ...found.tool, version: await locator.version(found.tool) };
    },
    get running() {
      return semaphore.inUse;
    },
    get waiting() {
      return semaphore.queued;
    },
    clearCache() {
      cache.clear();
      failures.clear();
    },
  };
}

/** A value refused by the last check before a tool runs (invocation.ts checkArgv) is an error like any other refusal. */
function refused(e: unknown, spec: RenderSpec): RenderResult {
  if (e instanceof RefusedArgument) return { ok: false, error: refusalError(e, spec.kind === 'helm' ? 'helm' : 'kustomize') };
  throw e;
}

/** The deepest folder that holds all these paths (absolute). */
function commonFolder(paths: readonly string[]): string {
  const split = paths.map((p) => path.resolve(p).split(path.sep));
  const first = split[0];
  let n = first.length;
  for (const parts of split.slice(1)) {
    let i = 0;
    while (i < n && i < parts.length && parts[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(path.sep) || path.sep;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* mapping back to sources is best effort: never fail a render for it */
  }
}

function aborted(spec: RenderSpec): RenderResult {
  const tool = spec.kind === 'helm' ? 'helm' : spec.kind === 'kustomize' ? 'kustomize' : 'plain';
  return { ok: false, error: { code: 'aborted', tool, message: `render of ${describe(spec)} was cancelled` } };
}

/** An error that is not a cancellation, reported as what it is. */
function renderException(spec: RenderSpec, e: unknown): RenderResult {
  const tool = spec.kind === 'helm' ? 'helm' : spec.kind === 'kustomize' ? 'kustomize' : 'plain';
  const what = e instanceof Error ? e.message || e.name : String(e);
  return { ok: false, error: { code: 'exception', tool, message: `render of ${describe(spec)} failed: ${what}` } };
}

function describe(spec: RenderSpec): string {
  switch (spec.kind) {
    case 'kustomize':
      return spec.dir;
    case 'helm':
      return `${spec.releaseName} (${spec.chartDir})`;
    case 'plain':
      return `${spec.files.length} files`;
    default:
      return 'an unsupported application';
  }
}

/** The error for a run that did not succeed, or undefined when it did. */
function runFailure(run: RunResult, tool: ToolInfo, args: string[], timeoutMs: number, maxOutputBytes: number): { ok: false; error: RenderError } | undefined {
  const command = [tool.path, ...args];
  const label = tool.name === 'kubectl' ? 'kubectl kustomize' : tool.name === 'kustomize' ? 'kustomize build' : 'helm template';
  const base = { tool: tool.name, command, stderr: run.stderr.trim() || undefined, exitCode: run.exitCode };
  if (run.spawnError) {
    return { ok: false, error: { ...base, code: 'tool-not-found', message: `could not run ${tool.path}: ${run.spawnError.message}. Check ${SETTING_OF[tool.name]}.` } };
  }
  if (run.aborted) return { ok: false, error: { ...base, code: 'aborted', message: `${label} was cancelled` } };
  if (run.timedOut) return { ok: false, error: { ...base, code: 'timeout', message: `${label} did not finish within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} and was stopped` } };
  if (run.outputTooLarge) {
    return {
      ok: false,
      error: { ...base, code: 'output-too-large', message: `${label} printed more than ${Math.round(maxOutputBytes / (1024 * 1024))} MB and was stopped; the render is too large to show` },
    };
  }
  if (run.exitCode !== 0) {
    const first = firstErrorLine(run.stderr);
    return { ok: false, error: { ...base, code: 'tool-failed', message: `${label} failed${first ? `: ${first}` : ` (exit code ${run.exitCode})`}` } };
  }
  return undefined;
}

/** The tool's error in one line: from its first `Error:` line on, warnings and hints left out. */
function firstErrorLine(stderr: string): string | undefined {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('# Warning') && !/^(WARNING|walk\.go)/.test(l) && !/^Use --debug flag/.test(l));
  const start = Math.max(0, lines.findIndex((l) => /^(error|Error)\b/.test(l)));
  const text = lines.slice(start).join(' ').replace(/^(error|Error):\s*/, '');
  if (!text) return undefined;
  return text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

function stderrWarnings(stderr: string): string[] {
  return stderr.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.replace(/^#\s*/, ''));
}

function parseOutput(stdout: string, tool: ToolInfo): RenderResult & { ok: true } | { ok: false; error: RenderError } {
  const mf = parseManifests(stdout, { maxFileBytes: Number.MAX_SAFE_INTEGER });
  const bad = mf.errors.find((e) => e.severity === 'error');
  if (bad) {
    return { ok: false, error: { code: 'invalid-output', tool: tool.name, message: `${tool.name} printed YAML that does not parse (line ${bad.range.start.line + 1}): ${bad.message}` } };
  }
  const documents: Array<RenderedDocument & { offsets?: [number, number] }> = [];
  for (const d of mf.documents) {
    if (d.shape !== 'resource') continue;
    documents.push({ object: d.value as Record<string, unknown>, id: d.id, range: d.range, offsets: d.offsets });
  }
  return { ok: true, documents, yaml: stdout, tool };
}

/**
 * List documents in a tool's output (helm prints a template's `kind: List` as it is) become their
 * items, each with the List's source; the YAML is laid out anew only when there was one.
 */
function expandOutputLists(r: Extract<RenderResult, { ok: true }>, tool: ToolInfo): RenderResult {
  if (!r.documents.some((d) => isListDocument(d.object))) return r;
  const parts = r.documents.map((document) => {
    const at = (document as { offsets?: [number, number] }).offsets;
    const { offsets: _o, ...clean } = document as RenderedDocument & { offsets?: [number, number] };
    return { text: at ? r.yaml.slice(at[0], at[1]).replace(/^---[^\n]*\n/, '') : stringify(document.object), document: clean };
  });
  const x = expandListDocuments(parts);
  if (!x.ok) return { ok: false, error: { code: 'invalid-output', tool: tool.name, message: `${tool.name} printed a List that kubectl would not apply: ${x.message}`, ...(x.source ? { file: x.source.file, location: x.source } : {}) } };
  return { ...r, documents: x.documents, yaml: x.yaml };
}

async function renderPlain(files: readonly string[], maxOutputBytes: number): Promise<RenderResult> {
  const parts: RenderedPart[] = [];
  /** Where each part comes from, to place the items of a List document on their lines. */
  const origins = new Map<RenderedPart, { mf: ManifestFile; doc: ManifestDocument; file: string }>();
  let size = 0;
  for (const file of files) {
    // Most files take the fast loader; the full parse below is for the rest (errors, anchors, Lists).
    const quick = await quickPlainParts(file);
    if (quick) {
      for (const part of quick) {
        size += part.text.length;
        if (size > maxOutputBytes) {
          return { ok: false, error: { code: 'output-too-large', tool: 'plain', message: `the manifests are larger than ${Math.round(maxOutputBytes / (1024 * 1024))} MB; too large to show` } };
        }
        parts.push(part);
      }
      continue;
    }
    // kubectl apply -f reads these files (YAML 1.1: `privileged: on` is true); so do drift, sync and policies.
    const mf = asKubectlReads(await readManifestFile(file));
    const bad = mf.errors.find((e) => e.severity === 'error');
    if (bad) {
      return {
        ok: false,
        error: {
          code: 'invalid-input',
          tool: 'plain',
          file,
          location: { file, range: bad.range },
          message: `${path.basename(file)}${bad.code === 'yaml-syntax' || bad.code === 'alias' ? ` line ${bad.range.start.line + 1}` : ''}: ${bad.message}`,
        },
      };
    }
    for (const d of mf.documents) {
      if (d.shape !== 'resource') continue;
      let text = mf.text.slice(d.offsets[0], d.offsets[1]).replace(/^---[^\n]*\n/, '');
      if (!text.endsWith('\n')) text += '\n';
      size += text.length;
      if (size > maxOutputBytes) {
        return { ok: false, error: { code: 'output-too-large', tool: 'plain', message: `the manifests are larger than ${Math.round(maxOutputBytes / (1024 * 1024))} MB; too large to show` } };
      }
      const part: RenderedPart = { text, document: { object: d.value as Record<string, unknown>, id: d.id, range: FILE_START, source: { file, range: d.range } } };
      parts.push(part);
      origins.set(part, { mf, doc: d, file });
    }
  }
  // List documents become their items (as kubectl apply reads them), each placed on its own lines.
  const x = expandListDocuments(parts, (part, at) => {
    const o = origins.get(part);
    const range = o && rangeOfPath(o.mf, o.doc, at);
    return o && range ? { file: o.file, range } : undefined;
  });
  if (!x.ok) return { ok: false, error: { code: 'invalid-input', tool: 'plain', message: x.message, ...(x.source ? { file: x.source.file, location: x.source } : {}) } };
  return { ok: true, documents: x.documents, yaml: x.yaml };
}

/**
 * The resource documents of a plain manifest file read with the fast loader (manifest/quick.ts, with
 * kubectl's YAML 1.1 reading), as renderPlain's full parse gives them: the same objects, identities,
 * source ranges and texts, at a fraction of the cost (the full parse was most of a 1,000-object drift).
 * Undefined when the file needs the full parse: a limit, a syntax error, anchors, a List document
 * (its items are placed on their own lines, which needs node ranges).
 */
/**
 * Text that may use a collection as a mapping key (`{{ .Values.x }}`, `[a, b]: c`, `? key`): the two
 * loaders make different strings of such keys. An over-approximation (`[{…}, {…}]` matches too).
 */
const COLLECTION_KEY = /[{,][ \t]*[{[]|[}\]][ \t]*:(?:[ \t]|$)|^[ \t]*(?:-[ \t]+)*\?(?:[ \t]|$)/m;

export async function quickPlainParts(file: string): Promise<RenderedPart[] | undefined> {
  let buf: Buffer;
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size > DEFAULT_MAX_FILE_BYTES) return undefined;
    buf = await fs.readFile(file);
  } catch {
    return undefined;
  }
  const screened = screenBytes(buf);
  if (screened.text === undefined || screened.refusal) return undefined;
  const text = screened.text;
  if (COLLECTION_KEY.test(text)) return undefined;
  const docs = quickParse(text, { kubectl: true });
  if (!docs || docs.some((d) => isListDocument(d.value))) return undefined;
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }) => (p.line < lineStarts.length ? lineStarts[p.line] + p.character : text.length);
  const parts: RenderedPart[] = [];
  for (const d of docs) {
    if (d.shape !== 'resource') continue;
    let t = text.slice(offset(d.range.start), offset(d.range.end)).replace(/^---[^\n]*\n/, '');
    if (!t.endsWith('\n')) t += '\n';
    parts.push({ text: t, document: { object: d.value as Record<string, unknown>, id: d.id, range: FILE_START, source: { file, range: d.range } } });
  }
  return parts;
}

const ABS_PATH = /(\/[^\s'":,]+)/g;

/** The file a kustomize error is about: a path it names that exists, or the kustomization that names a missing one. */
export function kustomizeErrorFile(dir: string, stderr: string): string | undefined {
  const tree = FileTree.scan(dir);
  const graph = new KustomizeGraph(tree);
  const closure = graph.closure(dir);
  const nodes = closure?.nodes ?? [];
  const mentioned = [...stderr.matchAll(ABS_PATH)].map((m) => m[1]);
  // A missing path: the kustomization that refers to it.
  for (const p of mentioned) {
    const node = nodes.find((n) => n.refs.some((r) => r.path === p && (r.target === 'missing' || r.target === 'not-a-kustomization')));
    if (node) return node.file;
  }
  // `… in File: data.yaml` (YAML errors in a resource): the input of that name.
  const fileName = /in File: ([^\s'"]+)/.exec(stderr)?.[1];
  if (fileName && closure) {
    const matches = closure.files.filter((f) => f.endsWith(path.sep + fileName) || f === fileName);
    if (matches.length >= 1) return matches[0];
  }
  // The deepest existing input file or kustomization folder the message names.
  for (const p of mentioned.reverse()) {
    if (closure?.files.includes(p)) return p;
    const n = nodes.find((x) => x.dir === p || x.real === p);
    if (n) return n.file;
  }
  return closure?.root.file;
}

function locateKustomizeError(dir: string, file: string, stderr: string): SourceLocation {
  const tree = FileTree.scan(dir);
  const graph = new KustomizeGraph(tree);
  const closure = graph.closure(dir);
  const node = closure?.nodes.find((n) => n.file === file);
  if (node) {
    const mentioned = new Set([...stderr.matchAll(ABS_PATH)].map((m) => m[1]));
    const ref = node.refs.find((r) => (r.path && mentioned.has(r.path)) || stderr.includes(`'${r.entry}'`));
    if (ref) return ref.location;
  }
  const line = /yaml: line (\d+)/.exec(stderr);
  if (line) {
    const l = Math.max(0, Number(line[1]) - 1);
    return { file, range: { start: { line: l, character: 0 }, end: { line: l, character: 0 } } };
  }
  return { file, range: FILE_START };
}

/** The file (and line) a helm error is about: a template, a values file, Chart.yaml or the schema. */
export function helmErrorLocation(spec: Extract<RenderSpec, { kind: 'helm' }>, stderr: string, inlineValuesFile?: string): SourceLocation | undefined {
  const at = (file: string, line?: number, col?: number): SourceLocation => {
    const l = Math.max(0, (line ?? 1) - 1);
    const c = Math.max(0, (col ?? 1) - 1);
    return { file, range: { start: { line: l, character: c }, end: { line: l, character: c } } };
  };
  // template errors: `<chart>/templates/x.yaml:7:12` (also `template: <chart>/templates/x.yaml:7:12:`)
  const tpl = /(?:^|\s|template: )([\w.-]+\/(?:charts\/[\w.-]+\/)*templates\/[^\s:]+):(\d+)(?::(\d+))?/m.exec(stderr);
  if (tpl) return at(path.join(spec.chartDir, tpl[1].split('/').slice(1).join('/')), Number(tpl[2]), tpl[3] ? Number(tpl[3]) : undefined);
  // values files: `failed to parse <file>: … yaml: line 3: …`
  const parse = /failed to parse ([^\s:]+):.*?(?:line (\d+))?/.exec(stderr);
  if (parse) {
    const named = parse[1];
    const file = inlineValuesFile && named === inlineValuesFile ? inlineValuesFile : (spec.valueFiles.find((f) => f === named || f.endsWith(named)) ?? path.resolve(spec.chartDir, named));
    const line = /line (\d+)/.exec(stderr.slice(stderr.indexOf(named)))?.[1];
    return at(file, line ? Number(line) : undefined);
  }
  if (/values don't meet the specifications of the schema|values\.schema\.json/.test(stderr)) return at(path.join(spec.chartDir, 'values.schema.json'));
  if (/Chart\.yaml|chart metadata|dependencies|Chart\.lock/i.test(stderr)) return at(path.join(spec.chartDir, 'Chart.yaml'));
  return undefined;
}

/** The resources of a successful render, as the repository model describes them. */
export function resourcesOf(result: RenderResult): Resource[] {
  if (!result.ok) return [];
  return result.documents.filter((d) => d.id).map((d) => {
    const r: Resource = { id: d.id! };
    if (d.source) r.source = d.source;
    if (d.patchedBy) r.patchedBy = d.patchedBy;
    return r;
  });
}
