// compareEnvironments(): two environments of the same revision side by side (staging against prod)
// — a promotion check. Resources are matched by group, kind and name (each environment has its own
// namespaces, which are left out of the comparison); kustomize-generated ConfigMaps/Secrets are
// matched without their hash suffix.
import type { RenderedEnvironment } from '../drift/desired';
import { countChanges, diffResourceSets } from './resource-diff';
import { sideObjects, type Rendered } from './revisions';
import type { EnvironmentsComparison } from './types';

export interface CompareEnvironmentsOptions {
  /** Folders that source paths are made relative to (the repository root); absolute paths when absent. */
  roots?: string[];
}

/** The resource diff from `left` to `right`, both rendered at the same revision (drift's renderEnvironment). */
export function compareEnvironments(left: RenderedEnvironment, right: RenderedEnvironment, options: CompareEnvironmentsOptions = {}): EnvironmentsComparison {
  const roots = options.roots ?? [];
  const errors = [left, right].flatMap((r) => r.failures.map((f) => ({ environment: r.environment.name, application: f.application.id, message: f.error.message, code: f.error.code })));
  const result: EnvironmentsComparison = { left: left.environment.name, right: right.environment.name, status: 'unchanged', counts: { added: 0, removed: 0, changed: 0 }, resources: [], errors, warnings: [] };
  if (errors.length) {
    result.status = 'render-failed';
    return result;
  }
  const side = (r: RenderedEnvironment) => sideObjects(r.applications.map((a) => ({ app: a.application, result: { ok: true, documents: a.documents } as Rendered })), roots, result.warnings);
  const diff = diffResourceSets(side(left), side(right), { match: 'kind-name', leftLabel: left.environment.name, rightLabel: right.environment.name, ignoreNamespace: true });
  result.resources = diff.resources;
  result.warnings.push(...diff.warnings);
  result.counts = countChanges(diff.resources);
  result.status = diff.resources.length ? 'changed' : 'unchanged';
  return result;
}
