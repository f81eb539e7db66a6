// After a Flux Kustomization's kustomize build: postBuild variable substitution on each object's YAML
// (skipped for objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`, and
// altogether when no variable is defined, as kustomize-controller does), then commonMetadata's labels
// and annotations on every object. Variables from Secrets are never read: their `${…}` stays as written
// and is reported as unknown.
import { parse as parseYaml, stringify } from 'yaml';
import type { FluxBuild } from '../../repo/model';
import { isRecord } from '../../util/record';
import { envsubst, SubstitutionError, VAR_NAME } from './envsubst';

export const SUBSTITUTE_KEY = 'kustomize.toolkit.fluxcd.io/substitute';

export interface PostBuildResult {
  yaml: string;
  warnings: string[];
}

/** Splits a multi-document stream on its `---` lines (kustomize prints one object per document). */
function documents(text: string): string[] {
  return text.split(/^---[ \t]*$\n?/m).filter((d) => d.trim() !== '');
}

function disabled(obj: unknown): boolean {
  if (!isRecord(obj) || !isRecord(obj.metadata)) return false;
  const m = obj.metadata;
  return (isRecord(m.labels) && m.labels[SUBSTITUTE_KEY] === 'disabled') || (isRecord(m.annotations) && m.annotations[SUBSTITUTE_KEY] === 'disabled');
}

/** Applies postBuild and commonMetadata to kustomize's output; throws SubstitutionError as Flux fails. */
export function fluxPostBuild(output: string, flux: FluxBuild): PostBuildResult {
  const warnings: string[] = [];
  const vars = flux.postBuild?.vars ?? {};
  const unknownFrom = flux.postBuild?.unknown ?? [];
  const substitute = flux.postBuild !== undefined && (Object.keys(vars).length > 0 || unknownFrom.length > 0);
  const meta = flux.commonMetadata;
  const hasMeta = !!meta && (Object.keys(meta.labels ?? {}).length > 0 || Object.keys(meta.annotations ?? {}).length > 0);
  if (!substitute && !hasMeta) return { yaml: output, warnings };
  for (const name of Object.keys(vars)) {
    if (!VAR_NAME.test(name)) throw new SubstitutionError(`'${name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`);
  }
  const unknown = new Set<string>();
  const out: string[] = [];
  for (const doc of documents(output)) {
    let text = doc;
    let obj: unknown = parseYaml(doc);
    let changed = false;
    if (substitute && !disabled(obj)) {
      const r = envsubst(doc, (name) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : unknownFrom.length ? 'unknown' : undefined));
      r.unknown.forEach((u) => unknown.add(u));
      if (r.text !== doc) {
        text = r.text;
        obj = parseYaml(text);
        changed = true;
      }
    }
    if (hasMeta && isRecord(obj)) {
      const m = isRecord(obj.metadata) ? obj.metadata : (obj.metadata = {});
      for (const [field, add] of [['labels', meta!.labels], ['annotations', meta!.annotations]] as const) {
        if (!add || !Object.keys(add).length) continue;
        m[field] = { ...(isRecord(m[field]) ? m[field] : {}), ...add };
      }
      changed = true;
    }
    out.push(changed ? stringify(obj) : text);
  }
  if (unknown.size) {
    const from = unknownFrom.join(', ');
    warnings.push(
      `${flux.label ?? 'Flux Kustomization'}: ${[...unknown].map((u) => `\${${u}}`).join(', ')} may come from ${from} (substituteFrom), whose values are not known here, so ${unknown.size === 1 ? 'it is' : 'they are'} left as written (unknown)`,
    );
  }
  return { yaml: out.map((d) => (d.endsWith('\n') ? d : d + '\n')).join('---\n'), warnings };
}
