// Rendered objects back to the documents that define them (best effort).
//  - kustomize: walk the kustomization graph from the overlay, follow each base document through
//    the namePrefix/nameSuffix/namespace of every level, and note the patches that target it.
//  - helm: the `# Source: <chart>/templates/<file>` comment helm writes before each document.
//  - plain: the file and document themselves.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resourceIdOf } from '../manifest/identity';
import { parseImage } from '../manifest/image';
import { expandList, isListDocument } from '../manifest/list';
import { parseManifests, rangeOfPath } from '../manifest/parse';
import { FILE_START, type SourceLocation, type SourceRange } from '../manifest/range';
import { FileTree } from '../repo/file-tree';
import { KustomizeGraph, resolvePatches, type KustomizationNode, type KustomizePatch } from '../repo/kustomize';
import type { RenderedDocument } from './types';
import { isRecord } from '../util/record';

/** Kinds kustomize does not put into a namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'PriorityClass', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding', 'APIService', 'IngressClass',
  'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment', 'PodSecurityPolicy', 'ClusterIssuer', 'CertificateSigningRequest',
  'FlowSchema', 'PriorityLevelConfiguration', 'ClusterRoleList',
]);

interface Origin {
  group: string;
  kind: string;
  /** Every name the object had on its way up (original first, current last). */
  names: string[];
  namespace?: string;
  labels: Record<string, string>;
  source: SourceLocation;
  patchedBy: SourceLocation[];
  generated?: boolean;
  /** Container images as written (for the `images:` transformer). */
  images: string[];
}

const HASH_SUFFIX = /-[a-z0-9]{10}$/;

/** Adds `source` and `patchedBy` to documents rendered from the kustomization in `dir`. */
export function mapKustomizeSources(dir: string, docs: RenderedDocument[], treeRoot = dir): void {
  // The tree is the folder that holds every input (the overlay's bases are outside the overlay's own
  // folder, and references outside the tree are not followed).
  const tree = FileTree.scan(treeRoot);
  const graph = new KustomizeGraph(tree);
  const root = graph.load(dir);
  if (!root) return;
  const origins = collect(tree, graph, root, new Set());
  const byKey = new Map<string, Origin[]>();
  const add = (k: string, o: Origin) => {
    const l = byKey.get(k);
    if (l) l.push(o);
    else byKey.set(k, [o]);
  };
  for (const o of origins) {
    const name = o.names[o.names.length - 1];
    add(`${o.kind}/${o.namespace ?? ''}/${name}`, o);
    add(`${o.kind}//*/${name}`, o);
  }
  for (const d of docs) {
    if (!d.id) continue;
    const pick = (list: Origin[] | undefined) => (list && list.length ? (list.find((o) => o.group === d.id!.group) ?? list[0]) : undefined);
    let o = pick(byKey.get(`${d.id.kind}/${d.id.namespace ?? ''}/${d.id.name}`)) ?? pick(byKey.get(`${d.id.kind}//*/${d.id.name}`));
    if (!o && HASH_SUFFIX.test(d.id.name)) {
      const bare = d.id.name.replace(HASH_SUFFIX, '');
      o = pick(byKey.get(`${d.id.kind}/${d.id.namespace ?? ''}/${bare}`)) ?? pick(byKey.get(`${d.id.kind}//*/${bare}`));
    }
    if (!o) continue;
    d.source = o.source;
    if (o.patchedBy.length) d.patchedBy = dedupe(o.patchedBy);
  }
}

function dedupe(locs: SourceLocation[]): SourceLocation[] {
  const seen = new Set<string>();
  return locs.filter((l) => {
    const k = `${l.file}:${l.range.start.line}:${l.range.start.character}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The objects a kustomization produces, with names and namespaces as this level leaves them. */
function collect(tree: FileTree, graph: KustomizeGraph, node: KustomizationNode, visiting: Set<string>): Origin[] {
  if (visiting.has(node.real)) return [];
  visiting.add(node.real);
  const out: Origin[] = [];
  const readDocs = (file: string) => {
    const r = tree.read(file);
    if (r.error) return;
    const mf = parseManifests(r.text, { maxFileBytes: Number.MAX_SAFE_INTEGER });
    const add = (value: Record<string, unknown>, range: SourceRange) => {
      const id = resourceIdOf(value);
      if (!id) return;
      const meta = isRecord(value.metadata) ? value.metadata : {};
      const labels = isRecord(meta.labels) ? (Object.fromEntries(Object.entries(meta.labels).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {};
      out.push({ group: id.group, kind: id.kind, names: [id.name], namespace: id.namespace, labels, source: { file, range }, patchedBy: [], images: imagesOf(value) });
    };
    for (const d of mf.documents) {
      if (!d.id) continue;
      // kustomize reads a List document as its items: each is defined on its own lines.
      if (isListDocument(d.value)) for (const item of expandList(d.value).items) add(item.object, rangeOfPath(mf, d, item.path) ?? d.range);
      else add(d.value as Record<string, unknown>, d.range);
    }
  };
  // Resources and bases in the order listed; components after them (they patch what is there).
  const components: KustomizationNode[] = [];
  for (const ref of node.refs) {
    if (ref.target === 'file' && (ref.field === 'resources' || ref.field === 'crds')) readDocs(ref.path!);
    else if (ref.target === 'kustomization' && (ref.field === 'resources' || ref.field === 'bases' || ref.field === 'components')) {
      const child = graph.load(ref.path!);
      if (!child) continue;
      if (child.kind === 'Component' || ref.field === 'components') components.push(child);
      else out.push(...collect(tree, graph, child, visiting));
    }
  }
  for (const c of components) {
    if (visiting.has(c.real)) continue;
    visiting.add(c.real);
    // A component's own resources join; its patches and generators act on everything so far.
    for (const ref of c.refs) if (ref.target === 'file' && ref.field === 'resources') readDocs(ref.path!);
    for (const ref of c.refs) {
      if (ref.target === 'kustomization' && ref.field === 'resources') {
        const child = graph.load(ref.path!);
        if (child) out.push(...collect(tree, graph, child, visiting));
      }
    }
    generate(c, out);
    applyPatches(resolvePatches(tree, c), out);
    visiting.delete(c.real);
  }
  generate(node, out);
  applyPatches(resolvePatches(tree, node), out);
  applyTransformers(node, out);
  for (const o of out) {
    const current = o.names[o.names.length - 1];
    const next = `${node.namePrefix ?? ''}${current}${node.nameSuffix ?? ''}`;
    if (next !== current) o.names.push(next);
    if (node.namespace && !CLUSTER_SCOPED.has(o.kind)) o.namespace = node.namespace;
  }
  visiting.delete(node.real);
  return out;
}

function generate(node: KustomizationNode, out: Origin[]): void {
  for (const g of node.generators) {
    const existing = out.find((o) => o.kind === g.kind && o.group === '' && o.names.includes(g.name));
    if (existing && (g.behavior === 'merge' || g.behavior === 'replace')) {
      existing.patchedBy.push(g.location);
      continue;
    }
    out.push({ group: '', kind: g.kind, names: [g.name], namespace: g.namespace, labels: {}, source: g.location, patchedBy: [], generated: true, images: [] });
  }
}

/** Kinds whose `spec.replicas` the `replicas:` transformer sets. */
const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/**
 * The kustomization's own fields that set values on what it builds: each object they change gets the
 * field's line among its `patchedBy`, so the drift lens and findings show there too. `replicas:` and
 * `images:` entries point at the objects they name (by name; by image name); `namespace`,
 * `namePrefix`/`nameSuffix`, `commonLabels`/`labels` and `commonAnnotations` at everything built here.
 */
function applyTransformers(node: KustomizationNode, out: Origin[]): void {
  const k = node.value;
  if (!k || !node.yaml || out.length === 0) return;
  const yf = node.yaml;
  const docIndex = yf.documents.find((d) => d.shape !== 'empty')?.index ?? 0;
  const at = (p: Array<string | number>): SourceLocation => yf.locate(docIndex, p, { key: true });
  const replicas = Array.isArray(k.replicas) ? k.replicas : [];
  replicas.forEach((r, i) => {
    if (!isRecord(r) || typeof r.name !== 'string') return;
    for (const o of out) if (SCALABLE.has(o.kind) && o.names.includes(r.name as string)) o.patchedBy.push(at(['replicas', i]));
  });
  const images = Array.isArray(k.images) ? k.images : [];
  images.forEach((im, i) => {
    if (!isRecord(im) || typeof im.name !== 'string') return;
    for (const o of out) if (o.images.some((ref) => parseImage(ref).name === im.name)) o.patchedBy.push(at(['images', i]));
  });
  const everything = (field: string) => {
    if (k[field] === undefined || k[field] === null) return;
    const where = at([field]);
    for (const o of out) if (field !== 'namespace' || !CLUSTER_SCOPED.has(o.kind)) o.patchedBy.push(where);
  };
  for (const field of ['namespace', 'namePrefix', 'nameSuffix', 'commonLabels', 'commonAnnotations']) everything(field);
  const labels = Array.isArray(k.labels) ? k.labels : [];
  labels.forEach((_l, i) => {
    const where = at(['labels', i]);
    for (const o of out) o.patchedBy.push(where);
  });
}

/** The images of an object's containers, wherever its pod template is (workloads, CronJobs, Pods). */
function imagesOf(value: unknown, depth = 0): string[] {
  if (depth > 12 || !isRecord(value)) return [];
  const found: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if ((key === 'containers' || key === 'initContainers' || key === 'ephemeralContainers') && Array.isArray(v)) {
      for (const c of v) if (isRecord(c) && typeof c.image === 'string') found.push(c.image);
    } else if (isRecord(v)) {
      found.push(...imagesOf(v, depth + 1));
    }
  }
  return found;
}

function applyPatches(patches: KustomizePatch[], out: Origin[]): void {
  for (const p of patches) {
    for (const o of out) if (patchTargets(p, o)) o.patchedBy.push(p.location);
  }
}

function anchored(re: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${re})$`).test(value);
  } catch {
    return re === value;
  }
}

function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  for (const part of selector.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (!m) return true; // set-based selectors: not evaluated, assume a match (best effort)
    const has = labels[m[1]];
    if (m[2] === '!=' ? has === m[3] : has !== m[3]) return false;
  }
  return true;
}

function patchTargets(p: KustomizePatch, o: Origin): boolean {
  const t = p.target;
  if (t) {
    if (t.kind && !anchored(t.kind, o.kind)) return false;
    if (t.group !== undefined && t.group !== o.group && !anchored(t.group, o.group)) return false;
    if (t.name && !o.names.some((n) => anchored(t.name!, n))) return false;
    if (t.namespace && !(o.namespace !== undefined && anchored(t.namespace, o.namespace))) return false;
    if (t.labelSelector && !selectorMatches(t.labelSelector, o.labels)) return false;
    return true;
  }
  if (p.patchId) return p.patchId.kind === o.kind && o.names.includes(p.patchId.name);
  return false;
}

/** Adds `source` from helm's `# Source: <chart>/<path>` comments. */
export function mapHelmSources(chartDir: string, yaml: string, docs: Array<RenderedDocument & { offsets?: [number, number] }>, valueFiles: readonly string[] = []): void {
  const keysOf = new Map<string, Map<string, SourceLocation>>();
  const valuesKeys = (file: string) => {
    let m = keysOf.get(file);
    if (!m) keysOf.set(file, (m = valueKeyLines(file)));
    return m;
  };
  const refsOf = new Map<string, string[]>();
  for (const d of docs) {
    if (!d.offsets) continue;
    const text = yaml.slice(d.offsets[0], d.offsets[1]);
    const m = /^# Source: ([^\n\r]+)$/m.exec(text);
    if (!m) continue;
    const rel = m[1].trim().split('/').slice(1).join('/');
    const file = path.join(chartDir, rel);
    if (!fs.existsSync(file)) continue;
    d.source = { file, range: FILE_START };
    // A values file's key that the template reads (`.Values.replicaCount`) sets a value of what it
    // renders: the key's line gets the object's lens and findings, as an overlay's fields do.
    let refs = refsOf.get(file);
    if (!refs) refsOf.set(file, (refs = valuesReferences(file)));
    const set: SourceLocation[] = [];
    for (const vf of valueFiles) {
      const keys = valuesKeys(vf);
      for (const r of refs) {
        const loc = keys.get(r);
        if (loc) set.push(loc);
      }
    }
    if (set.length) d.patchedBy = dedupe([...(d.patchedBy ?? []), ...set]);
  }
}

/** The `.Values.a.b.c` paths a template reads (dotted, as written). */
function valuesReferences(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out = new Set<string>();
  for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)/g)) out.add(m[1].slice(1));
  return [...out];
}

/** Every key path of a values file (`image.tag`) with the location of its key; leaves and maps alike. */
function valueKeyLines(file: string): Map<string, SourceLocation> {
  const out = new Map<string, SourceLocation>();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  const mf = parseManifests(text, { maxFileBytes: Number.MAX_SAFE_INTEGER });
  const doc = mf.documents[0];
  if (!doc || !isRecord(doc.value)) return out;
  const walk = (v: Record<string, unknown>, at: string[]) => {
    for (const [k, child] of Object.entries(v)) {
      const p = [...at, k];
      const range = rangeOfPath(mf, doc, p, { key: true });
      if (range) out.set(p.join('.'), { file, range });
      if (isRecord(child) && p.length < 8) walk(child, p);
    }
  };
  walk(doc.value, []);
  return out;
}
