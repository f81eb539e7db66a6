// Types shared by the schema engine's modules and its callers.

/** A JSON schema (draft-07 subset as ajv reads it, plus the x-kubernetes-* extensions). */
export type JsonSchema = Record<string, unknown>;

/** Where a schema comes from, best first: a live cluster, a CRD in the repository, the bundle. */
export type SchemaSource = 'cluster' | 'repo' | 'bundled-crd' | 'bundled';

export interface GroupVersionKind {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
}

/** A CEL rule of `x-kubernetes-validations`, and where in the object it applies. */
export interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  /** JSONPath-like relative path (`.spec.replicas`) the finding should point at. */
  fieldPath?: string;
  reason?: string;
}

export interface CelRuleSet {
  /** Path from the object's root: property names, `*` for array items and map values. */
  path: string[];
  rules: CelRule[];
  /** The schema at that path, so integers can be passed to CEL as int (BigInt). */
  schema: JsonSchema;
}

export function gvkKey(g: GroupVersionKind): string {
  return `${g.group}/${g.version}/${g.kind}`;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
