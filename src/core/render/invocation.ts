// The hardened invocation of helm, kubectl and kustomize: every value that comes from the repository
// (release names, namespaces, chart and kustomization folders, values files, Kubernetes and API
// versions) is checked by its kind before anything runs, and the argument list is built here and
// nowhere else:
//   - release names: Helm's rule (DNS-1123 subdomain, at most 53 characters); namespaces: DNS-1123
//     labels; `--kube-version`: a version (1.30, v1.30.2); `--api-versions`: group/version[/Kind];
//   - folders and files: absolute, inside the repository by path and by real path (a symbolic link
//     that leads out of the repository is refused), and never written with a leading `-`;
//   - flags are always `--name=value` (a value can never be read as a flag), positionals come after
//     `--`, and only the flags listed in ALLOWED_FLAGS are ever passed: no post-renderer, no plugin,
//     no output folder, no exec/alpha plugins for kustomize.
// A refused value is a RenderError (code `invalid-argument`) located where the repository wrote it;
// no process is started for it. The process runner (process-runner.ts) stays the only spawner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseManifests, rangeOfPath } from '../manifest/parse';
import { FILE_START, type SourceLocation } from '../manifest/range';
import type { ArgumentOrigins, ValueOrigin } from '../repo/model';
import type { ProcessRunner, RunOptions, RunResult } from './process-runner';
import type { RenderError, RenderSpec, ToolInfo, ToolName } from './types';

type HelmSpec = Extract<RenderSpec, { kind: 'helm' }>;
type KustomizeSpec = Extract<RenderSpec, { kind: 'kustomize' }>;

/** Helm's release name rule (pkg/chartutil ValidateReleaseName). */
const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_RELEASE_NAME = 53;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KUBE_VERSION = /^v?\d{1,4}\.\d{1,4}(\.\d{1,6})?(-[0-9A-Za-z.-]{1,64})?(\+[0-9A-Za-z.-]{1,64})?$/;
const API_VERSION = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?v[0-9][a-z0-9]{0,30}(\/[A-Za-z][A-Za-z0-9]{0,62})?$/;

export function isValidReleaseName(name: string): boolean {
  return name.length <= MAX_RELEASE_NAME && RELEASE_NAME.test(name);
}

export function isValidNamespace(ns: string): boolean {
  return ns.length <= 63 && DNS_LABEL.test(ns);
}

export function isValidKubeVersion(v: string): boolean {
  return KUBE_VERSION.test(v);
}

export function isValidApiVersion(v: string): boolean {
  return v.length <= 317 && API_VERSION.test(v);
}

/** The flags each invocation may carry (as `--name=value`, or `--` alone). Anything else is refused. */
export const ALLOWED_FLAGS: Record<'helm template' | 'kustomize build' | 'kubectl kustomize', ReadonlySet<string>> = {
  'helm template': new Set(['--namespace', '--values', '--set', '--kube-version', '--api-versions', '--include-crds', '--skip-tests']),
  'kustomize build': new Set(),
  'kubectl kustomize': new Set(),
};

/** A refused value: a RenderError located where the repository wrote it (when known). */
export class RefusedArgument extends Error {
  constructor(
    message: string,
    readonly origin: ValueOrigin | null | undefined,
  ) {
    super(message);
    this.name = 'RefusedArgument';
  }
}

/** The node an origin points at, in its file (parsed now: only refused values are located). */
export function locateOrigin(origin: ValueOrigin): SourceLocation {
  try {
    const mf = parseManifests(fs.readFileSync(origin.file), { maxFileBytes: Number.MAX_SAFE_INTEGER });
    const doc = mf.documents[origin.docIndex];
    if (!doc) return { file: origin.file, range: FILE_START };
    return { file: origin.file, range: rangeOfPath(mf, doc, origin.path) ?? doc.contentRange };
  } catch {
    return { file: origin.file, range: FILE_START };
  }
}

/** The error for a refused value, located at its origin. */
export function refusalError(e: RefusedArgument, tool: ToolName): RenderError {
  const err: RenderError = { code: 'invalid-argument', tool, message: e.message };
  if (e.origin) {
    err.location = locateOrigin(e.origin);
    err.file = err.location.file;
  }
  return err;
}

/** The real path of `p`, or of its deepest existing parent joined with the rest (for files that do not exist). */
function realPathOf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    if (parent === p) return p;
    return path.join(realPathOf(parent), path.basename(p));
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Checks a folder or file path: absolute, no NUL, not written with a leading `-`, and — when the
 * repository root is known — inside it by path and by real path.
 */
function checkPath(what: string, p: string, origins: ArgumentOrigins | undefined, origin: ValueOrigin | null | undefined): void {
  const shown = origins ? path.relative(origins.root, p) || '.' : p;
  if (origin?.written !== undefined && origin.written.startsWith('-')) throw new RefusedArgument(`${what} "${origin.written}" is not a valid path: it starts with "-"`, origin);
  if (!path.isAbsolute(p) || p.includes('\0')) throw new RefusedArgument(`${what} "${p}" is not an absolute path`, origin);
  if (!origins) return;
  const root = path.resolve(origins.root);
  if (!inside(root, path.resolve(p))) throw new RefusedArgument(`${what} "${origin?.written ?? shown}" is outside the repository`, origin);
  const realRoot = realPathOf(root);
  const real = realPathOf(p);
  if (!inside(realRoot, real)) throw new RefusedArgument(`${what} "${shown}" resolves outside the repository (to ${real})`, origin);
}

/** Checks every repository-supplied value of a helm or kustomize spec; throws RefusedArgument. */
export function checkSpec(spec: HelmSpec | KustomizeSpec): void {
  const o = spec.origins;
  if (spec.kind === 'kustomize') {
    checkPath('kustomization folder', spec.dir, o, o?.dir);
    return;
  }
  if (!isValidReleaseName(spec.releaseName)) throw new RefusedArgument(`release name "${spec.releaseName}" is not a valid Helm release name`, o?.releaseName);
  if (spec.namespace !== undefined && !isValidNamespace(spec.namespace)) throw new RefusedArgument(`namespace "${spec.namespace}" is not a valid Kubernetes namespace name`, o?.namespace);
  // A pulled chart (src/core/remote) stays inside its cache entry; the repository's values inside the repository.
  checkPath('chart folder', spec.chartDir, o?.chartRoot ? { ...o, root: o.chartRoot } : o, o?.chartRoot ? null : o?.chartDir);
  spec.valueFiles.forEach((f, i) => checkPath('values file', f, o?.chartRoot && inside(o.chartRoot, f) ? { ...o, root: o.chartRoot } : o, o?.valueFiles?.[i]));
  if (spec.kubeVersion !== undefined && !isValidKubeVersion(spec.kubeVersion)) throw new RefusedArgument(`Kubernetes version "${spec.kubeVersion}" is not a valid version (e.g. 1.30.0)`, o?.kubeVersion);
  (spec.apiVersions ?? []).forEach((v, i) => {
    if (!isValidApiVersion(v)) throw new RefusedArgument(`API version "${v}" is not a valid API version (group/version or group/version/Kind)`, o?.apiVersions?.[i]);
  });
}

/** `helm template` arguments: flags as `--name=value`, then `--`, the release name and the chart folder. */
export function helmTemplateArgs(spec: HelmSpec, inlineValuesFile?: string): string[] {
  checkSpec(spec);
  const args = ['template'];
  if (spec.namespace) args.push(`--namespace=${spec.namespace}`);
  for (const f of spec.valueFiles) args.push(`--values=${f}`);
  if (inlineValuesFile) args.push(`--values=${inlineValuesFile}`);
  for (const [k, v] of Object.entries(spec.set ?? {})) args.push(`--set=${k}=${v.replace(/\\/g, '\\\\').replace(/,/g, '\\,')}`);
  if (spec.kubeVersion) args.push(`--kube-version=${spec.kubeVersion}`);
  if (spec.includeCrds) args.push('--include-crds=true');
  if (spec.skipTests) args.push('--skip-tests=true');
  for (const v of spec.apiVersions ?? []) args.push(`--api-versions=${v}`);
  args.push('--', spec.releaseName, spec.chartDir);
  return args;
}

/** `kustomize build -- <dir>` or `kubectl kustomize -- <dir>`. */
export function kustomizeArgs(tool: 'kubectl' | 'kustomize', spec: KustomizeSpec): string[] {
  checkSpec(spec);
  return tool === 'kubectl' ? ['kustomize', '--', spec.dir] : ['build', '--', spec.dir];
}

/**
 * The last check before a render process starts: only the subcommand we run, only allowed flags in
 * `--name=value` form, `--` before the positionals, and positionals that cannot be read as flags.
 */
export function checkArgv(tool: ToolName, args: readonly string[]): void {
  const what = tool === 'helm' ? 'helm template' : tool === 'kubectl' ? 'kubectl kustomize' : 'kustomize build';
  const sub = what.split(' ')[1];
  if (args[0] !== sub) throw new RefusedArgument(`${tool}: only \`${what}\` is run, not \`${tool} ${args[0] ?? ''}\``, undefined);
  const end = args.indexOf('--');
  if (end < 0) throw new RefusedArgument(`${what}: arguments must end with \`--\` and the positionals`, undefined);
  for (const a of args.slice(1, end)) {
    const name = a.startsWith('--') ? a.slice(0, a.indexOf('=') < 0 ? a.length : a.indexOf('=')) : undefined;
    if (!name || !a.includes('=') || !ALLOWED_FLAGS[what].has(name)) throw new RefusedArgument(`${what}: argument "${a}" is not allowed`, undefined);
  }
  for (const a of args.slice(end + 1)) if (a.startsWith('-')) throw new RefusedArgument(`${what}: positional argument "${a}" starts with "-"`, undefined);
}

/**
 * The environment a render tool runs with: the user's own, never values from the repository, with
 * Git prompts off. (Helm reads HELM_* variables — plugins folder, registry config — only from here.)
 */
export function toolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, GIT_TERMINAL_PROMPT: '0' };
}

/** Runs a render tool through the one runner, after checkArgv. */
export function runTool(runner: ProcessRunner, tool: ToolInfo, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  checkArgv(tool.name, args);
  return runner.run(tool.path, args, opts);
}
