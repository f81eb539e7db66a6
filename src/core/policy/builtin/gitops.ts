// GitOps hygiene: namespaces, duplicate identities after rendering, and Argo CD / Flux objects
// that point at paths missing from the repository.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resourceKey } from '../../manifest/identity';
import { normalizeRepoUrl } from '../../repo/context';
import type { ApplicationInfo, ObjectRef, RuleContext } from '../types';
import { setFields } from '../yaml-edit';
import { CLUSTER_SCOPED_KINDS, get, groupOf, isRecord, isToolConfig, str, type Path } from '../workload';

/** Kinds declared cluster-scoped by CRDs in the set. */
function clusterScopedCrdKinds(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const crd of ctx.set.ofKind('CustomResourceDefinition')) {
    if (get(crd.value, ['spec', 'scope']) === 'Cluster') {
      const k = str(get(crd.value, ['spec', 'names', 'kind']));
      if (k) out.add(k);
    }
  }
  return out;
}

export function checkNamespace(o: ObjectRef, ctx: RuleContext): void {
  const env = ctx.options.environment;
  if (!ctx.set.complete || !env?.namespaces?.length) return;
  if (o.namespace || CLUSTER_SCOPED_KINDS.has(o.id.kind) || isToolConfig(o.value)) return;
  if (ctx.set.memo('clusterScopedCrds', () => clusterScopedCrdKinds(ctx)).has(o.id.kind)) return;
  const only = env.namespaces.length === 1 ? env.namespaces[0] : undefined;
  ctx.report(o, {
    code: 'gitops/namespace',
    path: ['metadata', 'namespace'],
    anchor: ['metadata', 'name'],
    message: `${o.id.kind} ${o.id.name || '<unnamed>'} has no namespace (environment namespaces: ${env.namespaces.join(', ')})`,
    fix: only
      ? (t) => {
          const edits = setFields(t, ['metadata'], [{ key: 'namespace', value: only, replace: false }]);
          return edits && { title: `Add namespace: ${only}`, edits, isPreferred: true };
        }
      : undefined,
  });
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? 'null';
}

/**
 * How two applications of one environment relate for duplicate identities:
 * - `same`: one application (its render emits the object twice);
 * - `together`: one engine applies both to one cluster and namespace (two kustomize overlays, two
 *   Helm charts, two plain folders, two Argo CD Applications with the same destination, two Flux
 *   Kustomizations with the same target namespace) — a different object under the same identity
 *   is a duplicate;
 * - `alternative`: direct applications of different layouts (plain manifests, a kustomization and
 *   a Helm chart side by side), alternatives that are never deployed together;
 * - `apart`: different engines (Flux vs Argo CD) or different destinations (cluster or namespace).
 */
function relation(a: ApplicationInfo | undefined, b: ApplicationInfo | undefined): 'same' | 'together' | 'alternative' | 'apart' {
  if ((a?.id ?? '') === (b?.id ?? '')) return 'same';
  if ((a?.deployer ?? '') !== (b?.deployer ?? '')) return 'apart';
  if ((a?.deployer ?? 'direct') === 'direct') return (a?.layout ?? '') === (b?.layout ?? '') ? 'together' : 'alternative';
  if ((a?.cluster ?? '') !== (b?.cluster ?? '') || (a?.namespace ?? '') !== (b?.namespace ?? '')) return 'apart';
  return 'together';
}

const LAYOUT_NAMES: Record<string, string> = { plain: 'plain manifests', kustomize: 'a kustomization', helm: 'a Helm chart' };

/**
 * Runs once per set: reports every object after the first that conflicts with an earlier one of
 * the same application, or of an application that the same engine applies to the same cluster and
 * namespace (see relation()). Objects that only alternative layouts share get one note per pair of
 * applications, so that "not flagged" is said, not silent.
 */
export function checkDuplicates(ctx: RuleContext): void {
  const groups = new Map<string, ObjectRef[]>();
  for (const o of ctx.set.objects) {
    if (!o.id.name || isToolConfig(o.value)) continue;
    const key = resourceKey({ ...o.id, namespace: o.namespace });
    const l = groups.get(key);
    if (l) l.push(o);
    else groups.set(key, [o]);
  }
  const alternatives = new Map<string, { o: ObjectRef; other: ApplicationInfo | undefined; n: number }>();
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    const seen: Array<{ o: ObjectRef; c: string }> = [];
    for (const o of list) {
      const c = canonical(o.value);
      let clash: { o: ObjectRef; c: string } | undefined;
      for (const s of seen) {
        const r = relation(s.o.application, o.application);
        if (r === 'same' || (r === 'together' && s.c !== c)) {
          clash = s;
          break;
        }
        if (r === 'alternative') {
          const pair = [s.o.application?.id ?? '', o.application?.id ?? ''].sort().join('\u0000');
          const a = alternatives.get(pair);
          if (a) a.n++;
          else alternatives.set(pair, { o, other: s.o.application, n: 1 });
        }
      }
      seen.push({ o, c });
      if (!clash) continue;
      const other = clash.o.application?.id ? ` (also from ${clash.o.application.id})` : '';
      const same = clash.c === c;
      ctx.report(o, {
        code: 'gitops/duplicate-id',
        path: ['metadata', 'name'],
        message: `${o.id.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.id.name} is defined more than once${same ? '' : ' with different content'}${other}`,
      });
    }
  }
  for (const { o, other, n } of alternatives.values()) {
    const layouts = [other?.layout, o.application?.layout].map((l) => LAYOUT_NAMES[l ?? ''] ?? l ?? '?').join(' and ');
    ctx.report(o, {
      code: 'gitops/duplicate-id',
      path: ['metadata', 'name'],
      severity: 'info',
      message: `${o.application?.id ?? 'this application'} and ${other?.id ?? 'another application'} define ${n === 1 ? `${o.id.kind} ${o.id.name}` : `${n} of the same objects (${o.id.kind} ${o.id.name}…)`}: alternative layouts (${layouts}), never applied together, so not compared as duplicates`,
    });
  }
}

function stat(ctx: RuleContext, p: string): 'file' | 'dir' | undefined {
  const s = ctx.options.repo?.stat;
  if (s) return s(p);
  try {
    const st = fs.statSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** true: this repository; false: another; undefined: cannot tell (treated as this one). */
function isThisRepo(ctx: RuleContext, url: string | undefined): boolean | undefined {
  const remotes = ctx.options.repo?.gitRemotes;
  if (!url || !remotes?.length) return undefined;
  const n = normalizeRepoUrl(url);
  return remotes.some((r) => normalizeRepoUrl(r) === n);
}

const templated = (s: string) => s.includes('{{') || s.includes('${');

/**
 * A revision the work tree stands for: none written, HEAD, the checked-out or the default branch
 * (RepoAccess.worktreeRevisions), or any revision when git cannot be asked.
 */
function isCheckedOut(ctx: RuleContext, revision: string | undefined): boolean {
  if (!revision || revision === 'HEAD' || !ctx.options.repo?.atRevision) return true;
  const r = revision.replace(/^refs\/heads\//, '');
  return (ctx.options.repo.worktreeRevisions?.() ?? []).includes(r);
}

/** The git revision a Flux GitRepository of the set checks out (spec.ref), if one is written. */
function fluxRevision(o: ObjectRef, ctx: RuleContext, ref: unknown): string | undefined {
  if (!isRecord(ref)) return undefined;
  const repo = ctx.set.find('GitRepository', str(ref.namespace) ?? o.namespace, str(ref.name) ?? '');
  const r = get(repo?.value, ['spec', 'ref']);
  if (!isRecord(r)) return undefined;
  return str(r.commit) ?? str(r.name)?.replace(/^refs\/(heads|tags)\//, '') ?? str(r.tag) ?? str(r.branch);
}

export function checkMissingPaths(o: ObjectRef, ctx: RuleContext): void {
  const root = ctx.options.repo?.root;
  if (!root) return;
  const group = groupOf(o.value.apiVersion);
  /**
   * Reports a missing path; true when the path is there (or is not checked). A path at a revision
   * other than the checked-out branch is looked for at that revision in git (it may live on
   * another branch); when git does not know the revision, a "not checked" note says so.
   */
  const check = (rel: string | undefined, p: Path, what: string, want: 'dir' | 'file', base = root, revision?: string): boolean => {
    if (rel === undefined || rel === '' || templated(rel) || /^[a-z]+:\/\//i.test(rel) || rel.startsWith('$')) return true;
    const abs = path.resolve(base, rel);
    const inside = abs === root || abs.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
    const s = inside ? stat(ctx, abs) : undefined;
    if (s === want) return true;
    const shown = path.relative(root, abs).split(path.sep).join('/') || '.';
    const kind = (x: 'file' | 'dir') => (x === 'dir' ? 'folder' : 'file');
    if (inside && !isCheckedOut(ctx, revision)) {
      const at = ctx.options.repo?.atRevision?.(revision!, shown === '.' ? '' : shown);
      if (at === want) return true;
      if (at === 'file' || at === 'dir') {
        ctx.report(o, { code: 'gitops/missing-path', path: p, message: `${what} '${shown}' is a ${kind(at)} at revision ${revision}, not a ${kind(want)}` });
      } else if (at === 'missing') {
        ctx.report(o, { code: 'gitops/missing-path', path: p, message: `${what} '${shown}' does not exist at revision ${revision}` });
      } else {
        ctx.report(o, {
          code: 'gitops/missing-path',
          path: p,
          severity: 'info',
          notChecked: true,
          message: `${what} '${shown}' is not in this checkout and revision ${revision} is not known to git here (fetch it to check): not checked`,
        });
      }
      return false;
    }
    ctx.report(o, {
      code: 'gitops/missing-path',
      path: p,
      message: !inside ? `${what} '${rel}' is outside the repository` : s ? `${what} '${shown}' is a ${kind(s)}, not a ${kind(want)}` : `${what} '${shown}' does not exist in this repository`,
    });
    return false;
  };
  const v = o.value;
  if (group === 'argoproj.io' && (o.id.kind === 'Application' || o.id.kind === 'ApplicationSet')) {
    const specPath: Path = o.id.kind === 'Application' ? ['spec'] : ['spec', 'template', 'spec'];
    const sources: Array<{ src: unknown; p: Path }> = [];
    const single = get(v, [...specPath, 'source']);
    if (isRecord(single)) sources.push({ src: single, p: [...specPath, 'source'] });
    const multi = get(v, [...specPath, 'sources']);
    if (Array.isArray(multi)) multi.forEach((s, i) => sources.push({ src: s, p: [...specPath, 'sources', i] }));
    for (const { src, p } of sources) {
      if (!isRecord(src) || src.chart !== undefined) continue;
      const repoURL = str(src.repoURL);
      if (repoURL && templated(repoURL)) continue;
      if (isThisRepo(ctx, repoURL) === false) continue;
      const sp = str(src.path);
      if (sp === undefined) continue;
      const revision = str(src.targetRevision);
      if (revision && templated(revision)) continue;
      if (!check(sp, [...p, 'path'], 'source path', 'dir', root, revision)) continue;
      const vfs = get(src, ['helm', 'valueFiles']);
      if (Array.isArray(vfs) && !templated(sp)) vfs.forEach((f, i) => check(str(f), [...p, 'helm', 'valueFiles', i], 'helm values file', 'file', path.resolve(root, sp), revision));
    }
    return;
  }
  if (group === 'kustomize.toolkit.fluxcd.io' && o.id.kind === 'Kustomization') {
    const sourceRef = get(v, ['spec', 'sourceRef']);
    if (!fluxSourceIsThisRepo(o, ctx, sourceRef)) return;
    check(str(get(v, ['spec', 'path'])), ['spec', 'path'], 'path', 'dir', root, fluxRevision(o, ctx, sourceRef));
    return;
  }
  if (group === 'helm.toolkit.fluxcd.io' && o.id.kind === 'HelmRelease') {
    const chart = get(v, ['spec', 'chart', 'spec']);
    if (!isRecord(chart) || !fluxSourceIsThisRepo(o, ctx, chart.sourceRef)) return;
    const revision = fluxRevision(o, ctx, chart.sourceRef);
    check(str(chart.chart), ['spec', 'chart', 'spec', 'chart'], 'chart', 'dir', root, revision);
    const vfs = chart.valuesFiles;
    if (Array.isArray(vfs)) vfs.forEach((f, i) => check(str(f), ['spec', 'chart', 'spec', 'valuesFiles', i], 'values file', 'file', root, revision));
    const vf = str(chart.valuesFile);
    if (vf) check(vf, ['spec', 'chart', 'spec', 'valuesFile'], 'values file', 'file', root, revision);
  }
}

/** A Flux sourceRef that is a GitRepository of this repository (or one not defined in the set). */
function fluxSourceIsThisRepo(o: ObjectRef, ctx: RuleContext, ref: unknown): boolean {
  if (!isRecord(ref)) return false;
  const kind = str(ref.kind) ?? 'GitRepository';
  if (kind !== 'GitRepository') return false;
  const name = str(ref.name);
  if (!name) return false;
  const ns = str(ref.namespace) ?? o.namespace;
  const repo = ctx.set.find('GitRepository', ns, name);
  if (!repo) return true;
  return isThisRepo(ctx, str(get(repo.value, ['spec', 'url']))) !== false;
}
