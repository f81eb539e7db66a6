// Living beside Red Hat's YAML extension: when its `yaml.schemas` setting maps the Kubernetes
// schema onto files, it validates them with that schema; so that users never see the same schema
// error twice, Reconcile then leaves the schema findings of exactly those files to it (policy and
// drift findings stay ours). `reconcile.schema.redHatYaml` chooses: 'defer' (default) or 'ignore'.
import * as path from 'node:path';
import { matchesGlob } from '../util/glob';

/** The globs that Red Hat YAML's `yaml.schemas` maps to a Kubernetes schema. */
export function redHatKubernetesGlobs(yamlSchemas: unknown): string[] {
  if (!yamlSchemas || typeof yamlSchemas !== 'object' || Array.isArray(yamlSchemas)) return [];
  const globs: string[] = [];
  for (const [schema, files] of Object.entries(yamlSchemas as Record<string, unknown>)) {
    const isKubernetes = schema === 'kubernetes' || /kubernetes-json-schema|\/kubernetes\/|k8s/i.test(schema);
    if (!isKubernetes) continue;
    for (const f of Array.isArray(files) ? files : [files]) if (typeof f === 'string' && f.trim()) globs.push(f.trim());
  }
  return globs;
}

/**
 * Whether the schema findings of `file` are left to Red Hat YAML. Its globs match like VS Code's
 * file associations: a pattern without a slash matches the file name anywhere; others match the path
 * relative to the workspace folder.
 */
export function schemaDeferred(file: string, workspaceRoots: string[], globs: string[]): boolean {
  if (globs.length === 0) return false;
  const name = path.basename(file);
  const rels = workspaceRoots.filter((r) => file.startsWith(r + path.sep)).map((r) => path.relative(r, file).split(path.sep).join('/'));
  return globs.some((g) => {
    const p = g.replace(/^\/+/, '');
    if (!p.includes('/')) return matchesGlob(name, p);
    return rels.some((rel) => matchesGlob(rel, p)) || matchesGlob(file.split(path.sep).join('/').replace(/^\//, ''), p);
  });
}
