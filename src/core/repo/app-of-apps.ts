// App of apps through any renderer: an Argo CD Application whose source renders Argo CD Applications
// (a Helm chart whose templates emit one per entry, the pattern of Argo CD's cluster-bootstrapping
// docs) has them as children. Discovery finds the Applications written in the repository's files
// (plain folders and kustomizations, which assemble files); a chart's are known only once it is
// rendered. So: discover, render each such parent, discover again with what it rendered
// (DiscoverOptions.renderedDefinitions), and follow the children's own children, to a depth limit.
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { RenderOptions, RenderResult } from '../render/types';
import { ARGO_GROUP } from './argocd';
import { discover, emitsArgoApplications } from './discover';
import { FileTree } from './file-tree';
import type { Application, DiscoverOptions, RenderedDefinitions, RepoModel } from './model';

export const DEFAULT_APP_OF_APPS_DEPTH = 5;

export interface AppOfAppsOptions extends DiscoverOptions {
  /** Renders a parent (the product's renderer: cache, trust, limits). */
  renderer: { renderApplication(app: Application, opts?: Omit<RenderOptions, 'inputs'>): Promise<RenderResult> };
  /** Levels of children followed below the first. Default 5. */
  maxDepth?: number;
  signal?: AbortSignal;
}

/**
 * Is this an Argo CD application whose render holds Applications discovery cannot see as written: a
 * chart whose templates emit them, or a kustomization that includes Application files and changes what
 * it includes (patches, prefixes, namespaces, components, generators, other kustomizations)?
 */
function rendersApplications(app: Application, model: RepoModel, tree: () => FileTree): 'helm' | 'kustomize' | undefined {
  if (app.sourceKind !== 'argocd') return undefined;
  if (app.renderer.kind === 'helm' && !app.renderer.remoteChart) return emitsArgoApplications(tree(), app.renderer.chartDir) ? 'helm' : undefined;
  if (app.renderer.kind !== 'kustomize') return undefined;
  const children = model.environments.flatMap((e) => e.applications).filter((c) => c.parent === app.id && c.definedBy && app.sourcePaths.includes(c.definedBy.file));
  if (children.length === 0) return undefined;
  // Only when the kustomization can change them: an Application file listed as it is needs no render.
  const kustomizations = app.sourcePaths.filter((f) => /^(kustomization\.ya?ml|Kustomization)$/.test(path.basename(f)));
  const changes = kustomizations.some((k) => {
    const r = tree().read(k);
    return !!r.text && /^(patches|patchesStrategicMerge|patchesJson6902|namePrefix|nameSuffix|namespace|components|replacements|transformers|generators|helmCharts|images|labels|commonLabels|commonAnnotations):/m.test(r.text);
  });
  return changes || app.renderer.flux ? 'kustomize' : undefined;
}

/**
 * discover(), then the children of app-of-apps charts: each parent rendered once, its Applications
 * shown under it (Application.parent) in the environment it or they name. A parent that cannot be
 * rendered (untrusted workspace, helm missing, a failing template) says that its children are not
 * shown and why; one past the depth limit says so too.
 */
export async function discoverWithChildren(root: string, opts: AppOfAppsOptions): Promise<RepoModel> {
  const { renderer, maxDepth = DEFAULT_APP_OF_APPS_DEPTH, signal, ...discoverOptions } = opts;
  const rendered: RenderedDefinitions[] = [...(discoverOptions.renderedDefinitions ?? [])];
  const done = new Set<string>();
  const notes = new Map<string, { message: string; severity: 'warning' | 'info'; code: string }>();
  let tree: FileTree | undefined;
  const treeOf = () => (tree ??= FileTree.scan(root, { maxFileBytes: discoverOptions.maxFileBytes }));
  let model = await discover(root, discoverOptions);
  for (let level = 1; ; level++) {
    const current = model;
    const parents = current.environments.flatMap((e) => e.applications).filter((a) => !done.has(a.id) && rendersApplications(a, current, treeOf));
    if (parents.length === 0 || signal?.aborted) break;
    if (level > maxDepth) {
      for (const p of parents) notes.set(p.id, { code: 'depth-limit', severity: 'warning', message: `app of apps deeper than ${maxDepth} levels: the Applications that ${p.name} renders are not followed` });
      break;
    }
    let added = 0;
    for (const p of parents) {
      done.add(p.id);
      const r = await renderer.renderApplication(p, { signal });
      if (!r.ok) {
        notes.set(p.id, {
          code: 'unsupported',
          severity: 'info',
          message:
            p.renderer.kind === 'helm'
              ? `the Argo CD Applications this chart renders are not shown: it did not render (${r.error.message})`
              : `the Argo CD Applications below are shown as written, not as this kustomization changes them: it did not render (${r.error.message})`,
        });
        continue;
      }
      const documents: RenderedDefinitions['documents'] = [];
      for (const d of r.documents) {
        if (d.id?.group !== ARGO_GROUP || (d.id.kind !== 'Application' && d.id.kind !== 'ApplicationSet')) continue;
        documents.push({ file: d.source?.file ?? path.join(p.root, 'Chart.yaml'), text: stringify(d.object), ...(d.source ? { range: d.source.range } : {}) });
      }
      if (documents.length === 0) continue;
      // (the kustomization's files: never the parent's own definition)
      const replaces = p.renderer.kind === 'kustomize' ? p.sourcePaths.filter((f) => f !== p.definedBy?.file && !(p.alsoDefinedBy ?? []).some((l) => l.file === f)) : undefined;
      rendered.push({ parent: p.id, documents, ...(replaces ? { replaces } : {}) });
      added++;
    }
    if (added === 0) break;
    model = await discover(root, { ...discoverOptions, renderedDefinitions: rendered });
  }
  for (const e of model.environments) {
    for (const a of e.applications) {
      const n = notes.get(a.id);
      if (n) a.errors.push({ code: n.code, severity: n.severity, message: n.message, ...(a.definedBy ? { location: a.definedBy } : {}) });
    }
  }
  return model;
}
