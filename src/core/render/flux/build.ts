// A Flux Kustomization built as kustomize-controller builds it (fluxcd/pkg/kustomize generator): in a
// private copy of the repository files it reads, the kustomization of its path — or one generated from
// the path's YAML files when there is none — gets the Flux fields (`targetNamespace` → `namespace`,
// `namePrefix`/`nameSuffix` replaced, `patches`/`components` appended, `images` replaced by name), and
// that copy is what kustomize builds. The working tree is never written; only repository files (by
// real path) are copied, as regular files, so the hardened invocation checks the copy like the repository.
// After the build: postBuild substitution (./postbuild.ts) and commonMetadata.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { git, gitOk } from '../../compare/git';
import type { SourceLocation } from '../../manifest/range';
import type { FluxBuild, FluxPatch } from '../../repo/model';
import { isRecord } from '../../util/record';
import { mapKustomizeSources } from '../source-map';
import type { RenderedDocument } from '../types';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface PreparedBuild {
  /** The temporary root (a copy of the repository's files the build reads). */
  root: string;
  /** The folder to build, inside `root`. */
  dir: string;
  /** The kustomization file written for Flux (inside `root`). */
  kustomizationFile: string;
  /** Repository paths for temporary ones, in a tool's message. */
  toRepository(text: string): string;
  cleanup(): Promise<void>;
}

export class FluxBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FluxBuildError';
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Copies the build's files and writes the kustomization Flux would build. The caller must cleanup(). */
export async function prepareFluxBuild(dir: string, flux: FluxBuild): Promise<PreparedBuild> {
  const repoRoot = path.resolve(flux.root);
  const realRoot = await fs.realpath(repoRoot);
  if (!inside(repoRoot, path.resolve(dir))) throw new FluxBuildError(`${flux.label ?? 'Flux Kustomization'}: path ${dir} is outside the repository`);
  const tmp = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'reconcile-flux-')));
  const root = path.join(tmp, 'repo');
  const prepared: PreparedBuild = {
    root,
    dir: path.join(root, path.relative(repoRoot, dir)),
    kustomizationFile: '',
    toRepository: (text) => text.split(root).join(repoRoot),
    cleanup: () => fs.rm(tmp, { recursive: true, force: true }),
  };
  try {
    await fs.mkdir(root, { recursive: true });
    if (flux.revision) await extractRevision(repoRoot, flux.revision, root, flux.label);
    else if (flux.artifact) await copyArtifact(repoRoot, realRoot, flux.artifact, root);
    await fs.mkdir(prepared.dir, { recursive: true });
    for (const f of flux.revision || flux.artifact ? [] : flux.files) {
      const abs = path.resolve(f);
      if (!inside(repoRoot, abs)) continue;
      let real: string;
      try {
        real = await fs.realpath(abs);
      } catch {
        continue; // a file that went away: kustomize says what is missing
      }
      if (!inside(realRoot, real)) continue; // never copied: a link out of the repository
      const stat = await fs.stat(real);
      if (!stat.isFile()) continue;
      const to = path.join(root, path.relative(repoRoot, abs));
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.copyFile(real, to);
    }
    prepared.kustomizationFile = await writeKustomization(prepared.dir, flux);
    return prepared;
  } catch (e) {
    await prepared.cleanup();
    throw e;
  }
}

/** The tree of a revision of the repository (git archive), without its symbolic links. */
async function extractRevision(repoRoot: string, revision: NonNullable<FluxBuild['revision']>, dest: string, label?: string): Promise<void> {
  let sha: string | undefined;
  for (const r of revision.refs) {
    const out = await git(repoRoot, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${r}^{commit}`]);
    if (out.code === 0 && out.stdout.trim()) {
      sha = out.stdout.trim();
      break;
    }
  }
  if (!sha) throw new FluxBuildError(`${label ?? 'Flux Kustomization'}: ${revision.label} is not in this clone (fetch it to render it)`);
  const archive = path.join(path.dirname(dest), 'revision.tar');
  await gitOk(repoRoot, ['archive', '--format=tar', `--output=${archive}`, '--end-of-options', sha]);
  await new Promise<void>((resolve, reject) => {
    execFile('tar', ['-x', '--no-same-owner', '--no-same-permissions', '-f', archive, '-C', dest], (err) => (err ? reject(new FluxBuildError(`could not unpack ${revision.label}: ${err.message}`)) : resolve()));
  });
  await fs.rm(archive, { force: true });
  await dropLinks(dest);
}

/** Removes symbolic links (a revision's tree may hold links out of it; the working tree's are checked by real path). */
async function dropLinks(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) await fs.rm(p, { force: true });
    else if (e.isDirectory()) await dropLinks(p);
  }
}

/** An ArtifactGenerator's artifact: each repository file at its path in the artifact. */
async function copyArtifact(repoRoot: string, realRoot: string, mapping: NonNullable<FluxBuild['artifact']>, dest: string): Promise<void> {
  for (const { from, to } of mapping) {
    const target = path.resolve(dest, to);
    if (!inside(dest, target) || !inside(repoRoot, path.resolve(from))) continue;
    let real: string;
    try {
      real = await fs.realpath(from);
    } catch {
      continue;
    }
    if (!inside(realRoot, real) || !(await fs.stat(real)).isFile()) continue;
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.copyFile(real, target);
  }
}

/**
 * The resources Flux lists for a folder without a kustomization (fluxcd/pkg generator): every
 * `.yaml`/`.yml` file below it in walk order, and each sub-folder with a kustomization (not entered).
 */
export async function generatedResources(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name.startsWith('.')) continue;
        let sub = false;
        for (const k of KUSTOMIZATION_FILES) if (await exists(path.join(p, k))) sub = true;
        if (sub) out.push(p);
        else await visit(p);
      } else if (e.isFile() && /\.ya?ml$/.test(e.name) && !e.name.startsWith('.')) out.push(p);
    }
  };
  await visit(dir);
  return out.map((p) => './' + path.relative(dir, p).split(path.sep).join('/'));
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** The kustomization Flux builds in `dir`: the existing one (or a generated one) with the Flux fields. */
async function writeKustomization(dir: string, flux: FluxBuild): Promise<string> {
  let file: string | undefined;
  for (const name of KUSTOMIZATION_FILES) {
    if (await exists(path.join(dir, name))) {
      file = path.join(dir, name);
      break;
    }
  }
  let kus: Record<string, unknown>;
  // Files read at render time (another revision, an artifact): the generated list is made now.
  if (!file && !flux.generate && (flux.revision || flux.artifact)) flux = { ...flux, generate: await generatedResources(dir) };
  if (file && !flux.generate) {
    const parsed: unknown = parseYaml(await fs.readFile(file, 'utf8'));
    kus = isRecord(parsed) ? parsed : {};
  } else {
    file = path.join(dir, 'kustomization.yaml');
    const resources = flux.generate ?? [];
    kus = resources.length ? { resources } : { namespace: '_placeholder' };
  }
  kus.apiVersion ??= 'kustomize.config.k8s.io/v1beta1';
  kus.kind ??= 'Kustomization';
  applyFluxFields(kus, flux);
  await fs.writeFile(file, stringify(kus), { mode: 0o600 });
  return file;
}

function selector(t: FluxPatch['target']): Record<string, string> | undefined {
  if (!t) return undefined;
  const out: Record<string, string> = {};
  for (const k of ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const) if (t[k]) out[k] = t[k]!;
  return out;
}

/** Flux's changes to a kustomization (fluxcd/pkg kustomize generator), in place. */
export function applyFluxFields(kus: Record<string, unknown>, flux: FluxBuild): void {
  if (flux.targetNamespace !== undefined) kus.namespace = flux.targetNamespace;
  if (flux.namePrefix !== undefined) kus.namePrefix = flux.namePrefix;
  if (flux.nameSuffix !== undefined) kus.nameSuffix = flux.nameSuffix;
  const list = (k: string): unknown[] => {
    if (!Array.isArray(kus[k])) kus[k] = [];
    return kus[k] as unknown[];
  };
  for (const p of flux.patches ?? []) {
    const target = selector(p.target);
    list('patches').push(target ? { patch: p.patch, target } : { patch: p.patch });
  }
  for (const c of flux.components ?? []) list('components').push(c);
  for (const p of flux.patchesStrategicMerge ?? []) list('patchesStrategicMerge').push(JSON.stringify(p));
  for (const p of flux.patchesJson6902 ?? []) {
    const target = selector(p.target);
    list('patchesJson6902').push({ patch: JSON.stringify(p.patch), ...(target ? { target } : {}) });
  }
  // Argo CD source.kustomize (kustomize edit add label / add annotation / set replicas).
  if (flux.commonLabels && Object.keys(flux.commonLabels).length) {
    if (flux.labelsWithoutSelector) list('labels').push({ pairs: flux.commonLabels, includeSelectors: false, ...(flux.labelsWithoutSelector.includeTemplates ? { includeTemplates: true } : {}) });
    else kus.commonLabels = { ...(isRecord(kus.commonLabels) ? kus.commonLabels : {}), ...flux.commonLabels };
  }
  if (flux.commonAnnotations && Object.keys(flux.commonAnnotations).length) kus.commonAnnotations = { ...(isRecord(kus.commonAnnotations) ? kus.commonAnnotations : {}), ...flux.commonAnnotations };
  for (const r of flux.replicas ?? []) {
    const replicas = list('replicas') as Array<Record<string, unknown>>;
    const i = replicas.findIndex((x) => isRecord(x) && x.name === r.name);
    if (i >= 0) replicas[i] = { name: r.name, count: r.count };
    else replicas.push({ name: r.name, count: r.count });
  }
  for (const img of flux.images ?? []) {
    const images = list('images') as Array<Record<string, unknown>>;
    const next: Record<string, unknown> = { name: img.name };
    if (img.newName) next.newName = img.newName;
    if (img.newTag) next.newTag = img.newTag;
    if (img.digest) next.digest = img.digest;
    const i = images.findIndex((x) => isRecord(x) && x.name === img.name);
    if (i >= 0) images[i] = next;
    else images.push(next);
  }
}

/**
 * Sources for objects the repository's own kustomization graph could not place (Flux renamed or moved
 * them): mapped in the copy, then named by their repository paths. Locations in the kustomization that
 * was rewritten for Flux are left out (its lines are not the repository's).
 */
export function mapFromCopy(prepared: PreparedBuild, repoRoot: string, docs: RenderedDocument[]): void {
  const todo = docs.filter((d) => d.id && !d.source);
  if (!todo.length) return;
  mapKustomizeSources(prepared.dir, todo, prepared.root);
  const back = (l: SourceLocation): SourceLocation | undefined =>
    l.file === prepared.kustomizationFile ? undefined : { ...l, file: path.join(repoRoot, path.relative(prepared.root, l.file)) };
  for (const d of todo) {
    if (d.source) d.source = back(d.source);
    if (d.patchedBy) {
      const p = d.patchedBy.map(back).filter((x): x is SourceLocation => !!x);
      if (p.length) d.patchedBy = p;
      else delete d.patchedBy;
    }
    if (!d.source) delete d.source;
  }
}
