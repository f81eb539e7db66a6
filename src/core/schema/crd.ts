// CustomResourceDefinition manifests → JSON schemas the validator can use: one per served version,
// with objects closed as the API server's pruning closes them, int-or-string and embedded resources
// spelled out, formats and patterns reduced to what JavaScript can check, and the CEL rules of
// `x-kubernetes-validations` collected with their paths.
import type { CelRule, CelRuleSet, GroupVersionKind, JsonSchema } from './types';
import { isRecord } from '../util/record';

export const OBJECT_META_REF = 'IoK8sApimachineryPkgApisMetaV1ObjectMeta';

/** Formats the validator checks (see compile.ts); others are dropped. */
export const CHECKED_FORMATS = new Set(['int32', 'int64', 'quantity', 'byte', 'date-time']);

export interface CrdSchema extends GroupVersionKind {
  schema: JsonSchema;
  celRules: CelRuleSet[];
  /** CRD name, e.g. `widgets.example.com`. */
  crdName: string;
}

/** True for apiextensions.k8s.io CustomResourceDefinition values. */
export function isCrd(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && value.kind === 'CustomResourceDefinition' && typeof value.apiVersion === 'string' && value.apiVersion.startsWith('apiextensions.k8s.io/');
}

/** The schemas of every served version of a CRD (none when it has no usable schema). */
export function schemasFromCrd(crd: unknown): CrdSchema[] {
  if (!isCrd(crd) || !isRecord(crd.spec)) return [];
  const spec = crd.spec;
  const group = typeof spec.group === 'string' ? spec.group : '';
  const kind = isRecord(spec.names) && typeof spec.names.kind === 'string' ? spec.names.kind : '';
  const crdName = isRecord(crd.metadata) && typeof crd.metadata.name === 'string' ? crd.metadata.name : `${kind}.${group}`;
  if (!group || !kind) return [];
  const out: CrdSchema[] = [];
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  for (const v of versions) {
    if (!isRecord(v) || typeof v.name !== 'string' || v.served === false) continue;
    // v1: per version; v1beta1: spec.validation for all versions.
    const raw = (isRecord(v.schema) && v.schema.openAPIV3Schema) ?? (isRecord(spec.validation) ? spec.validation.openAPIV3Schema : undefined);
    if (!isRecord(raw)) continue;
    const celRules: CelRuleSet[] = [];
    const schema = toJsonSchema(raw, [], celRules, true);
    out.push({ group, version: v.name, kind, schema, celRules, crdName });
  }
  return out;
}

/**
 * Converts a structural (OpenAPI v3) schema to what the validator uses. `path` is where `s` sits in
 * the object (for CEL rules); `root` adds apiVersion, kind and the full ObjectMeta.
 */
export function toJsonSchema(s: Record<string, unknown>, path: string[], celRules: CelRuleSet[] | undefined, root = false): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'properties':
        if (isRecord(v)) {
          out.properties = Object.fromEntries(Object.entries(v).filter(([, p]) => isRecord(p)).map(([name, p]) => [name, toJsonSchema(p as Record<string, unknown>, [...path, name], celRules)]));
        }
        break;
      case 'items':
        if (isRecord(v)) out.items = toJsonSchema(v, [...path, '*'], celRules);
        break;
      case 'additionalProperties':
        out.additionalProperties = isRecord(v) ? toJsonSchema(v, [...path, '*'], celRules) : v;
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        // Only structural constraints (required, …) live here in a structural schema.
        if (Array.isArray(v)) out[k] = v.filter(isRecord).map((x) => toJsonSchema(x, path, undefined));
        break;
      case 'not':
        if (isRecord(v)) out.not = toJsonSchema(v, path, undefined);
        break;
      case 'format':
        if (typeof v === 'string' && CHECKED_FORMATS.has(v)) out.format = v;
        break;
      case 'pattern':
        if (typeof v === 'string') {
          const p = jsPattern(v);
          if (p !== undefined) out.pattern = p;
        }
        break;
      case 'x-kubernetes-validations':
        if (celRules && Array.isArray(v)) {
          const rules = v.filter(isRecord).filter((r) => typeof r.rule === 'string').map((r) => {
            const rule: CelRule = { rule: r.rule as string };
            if (typeof r.message === 'string') rule.message = r.message;
            if (typeof r.messageExpression === 'string') rule.messageExpression = r.messageExpression;
            if (typeof r.fieldPath === 'string') rule.fieldPath = r.fieldPath;
            if (typeof r.reason === 'string') rule.reason = r.reason;
            return rule;
          });
          // the converted schema (filled below): the CRD's own value is not kept alive by its rules
          if (rules.length) celRules.push({ path, rules, schema: out });
        }
        break;
      case 'description':
      case 'example':
      case 'externalDocs':
      case 'nullable':
        break; // not validation (nulls are dropped before validation, as the API server prunes them)
      case 'default':
        // not validation (ajv ignores it), but the API server applies it before CEL rules run: cel.ts does too
        out.default = v;
        break;
      default:
        out[k] = v;
    }
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    out.type = ['integer', 'string'];
    delete out.anyOf;
  }
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  const isObject = out.type === 'object' || out.properties !== undefined;
  if (out['x-kubernetes-embedded-resource'] === true || root) {
    const props = { ...((out.properties as Record<string, JsonSchema>) ?? {}) };
    props.apiVersion = { type: 'string' };
    props.kind = { type: 'string' };
    props.metadata = { $ref: OBJECT_META_REF };
    out.properties = props;
  }
  if (isObject && !preserve && out.additionalProperties === undefined) {
    out.additionalProperties = false;
    if (out.properties === undefined) out.properties = {};
  }
  return out;
}

/** A Go (RE2) pattern as a JavaScript one, or undefined when JavaScript cannot express it. */
export function jsPattern(p: string): string | undefined {
  const converted = p.replace(/\\z/g, '$').replace(/\\A/g, '^');
  if (/\(\?[imsU-]+\)|\[\[:/.test(converted)) return undefined;
  try {
    new RegExp(converted, 'u');
    return converted;
  } catch {
    try {
      new RegExp(converted);
      return converted;
    } catch {
      return undefined;
    }
  }
}

/**
 * Makes a schema from elsewhere (a live cluster's OpenAPI, a test) strict like the bundled ones:
 * objects with properties and no additionalProperties are closed, unless they preserve unknown
 * fields. Patterns JavaScript cannot compile are dropped.
 */
export function closeSchema(s: JsonSchema): JsonSchema {
  const visit = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(visit);
    if (!isRecord(n)) return n;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) {
      if (k === 'enum' || k === 'const' || k === 'default' || k === 'example' || k === 'required') out[k] = v;
      else if (k === 'properties' && isRecord(v)) out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, visit(pv)]));
      else if (k === 'pattern' && typeof v === 'string') {
        const jp = jsPattern(v);
        if (jp !== undefined) out[k] = jp;
      } else out[k] = visit(v);
    }
    if (out['x-kubernetes-int-or-string'] === true) {
      out.type = ['integer', 'string'];
      delete out.anyOf;
    }
    if (isRecord(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true && out.$ref === undefined) {
      out.additionalProperties = false;
    }
    delete out.$id;
    return out;
  };
  return visit(s) as JsonSchema;
}
