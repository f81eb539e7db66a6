// A cluster's OpenAPI document (v2 `/openapi/v2`, or one v3 group-version document of
// `/openapi/v3/apis/<g>/<v>`) → one self-contained, strict JSON schema per kind, in the shape the
// validator uses for the bundle: objects closed unless `x-kubernetes-preserve-unknown-fields`,
// int-or-string as `type: [integer, string]`, quantities as `{type: [string, number], format: quantity}`,
// formats and patterns reduced to what JavaScript can check, descriptions dropped (or kept, for hover).
// Each kind's schema is `{ $ref: '#/$defs/<definition>', $defs: { …the definitions it reaches… } }`;
// definitions are shared (same objects) between the kinds of a document. Pure: no I/O.
import { CHECKED_FORMATS, jsPattern } from './crd';
import { gvkKey, type CelRule, type CelRuleSet, type GroupVersionKind, type JsonSchema } from './types';
import { isRecord } from '../util/record';

export const OPENAPI_QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const OPENAPI_INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const OPENAPI_OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Definitions that OpenAPI cannot describe (unions, free-form JSON): replaced as the bundle has them. */
const SPECIAL_DEFINITIONS: Record<string, JsonSchema> = {
  [OPENAPI_QUANTITY]: { type: ['string', 'number'], format: 'quantity' },
  [OPENAPI_INT_OR_STRING]: { type: ['integer', 'string'], 'x-kubernetes-int-or-string': true },
  'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON': { 'x-kubernetes-preserve-unknown-fields': true },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1beta1.JSON': { 'x-kubernetes-preserve-unknown-fields': true },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrBool': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrArray': {},
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1beta1.JSONSchemaPropsOrStringArray': {},
};

/** Keywords copied as they are (validation that ajv and the API server agree on). */
const COPIED = new Set([
  'type', 'enum', 'required', 'minimum', 'maximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems',
  'uniqueItems', 'minProperties', 'maxProperties', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string',
]);

export interface OpenApiKind extends GroupVersionKind {
  /** Definition (component) name, e.g. `io.k8s.api.apps.v1.Deployment`. */
  definition: string;
  /** Self-contained: `{ $ref: '#/$defs/<definition>', $defs }`. */
  schema: JsonSchema;
  celRules: CelRuleSet[];
}

export interface ConvertedOpenApi {
  format: 'openapi-v2' | 'openapi-v3';
  /** Converted definitions by name (shared by the kinds' schemas). */
  definitions: Record<string, JsonSchema>;
  kinds: OpenApiKind[];
  /** The document's `info.version`: for a kube-apiserver its release, e.g. `v1.37.2`. */
  serverVersion?: string;
}

export interface ConvertOpenApiOptions {
  /** Keep `description`s in the schemas (for hover through yaml-language-server). Default false. */
  descriptions?: boolean;
  /**
   * Only kinds of this group-version (a v3 document also carries the kinds of other groups that its
   * types reference, e.g. autoscaling/v1 Scale in apps/v1). `group` is '' for the core group.
   */
  only?: { group: string; version: string };
}

const REF_PREFIXES = ['#/definitions/', '#/components/schemas/'];

function refName(ref: string): string | undefined {
  for (const p of REF_PREFIXES) if (ref.startsWith(p)) return decodeURIComponent(ref.slice(p.length).replace(/~1/g, '/').replace(/~0/g, '~'));
  return undefined;
}

/** `#/$defs/<name>` as a JSON pointer (names never hold `/` or `~` in practice; escaped anyway). */
export function defRef(name: string): string {
  return `#/$defs/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

interface Ctx {
  descriptions: boolean;
  /** Definition names the current definition references. */
  refs: Set<string>;
  /** CEL rules found on converted nodes (paths are computed per kind later). */
  cel: Map<JsonSchema, CelRule[]>;
  hasObjectMeta: boolean;
}

/** Keys that say nothing about validation (next to a `$ref` or inside an allOf wrapper). */
const ANNOTATION_KEYS = new Set(['description', 'default', 'example', 'title', 'externalDocs', 'nullable', 'readOnly', 'deprecated']);

function onlyRefWrapper(n: Record<string, unknown>): string | undefined {
  if (!Array.isArray(n.allOf) || n.allOf.length !== 1) return undefined;
  const inner = n.allOf[0];
  if (!isRecord(inner) || typeof inner.$ref !== 'string' || Object.keys(inner).some((k) => k !== '$ref' && !ANNOTATION_KEYS.has(k))) return undefined;
  return inner.$ref;
}

/**
 * Converts one schema node. `junctor`: inside allOf/anyOf/oneOf/not, where a structural schema only
 * holds constraints: such nodes are never closed (that would reject the fields of the other branches).
 */
function convertNode(n: Record<string, unknown>, c: Ctx, junctor: boolean): JsonSchema {
  if (typeof n.$ref === 'string') {
    // v2 allows only annotations next to a $ref (v3 of Kubernetes wraps the ref in allOf instead).
    const name = refName(n.$ref);
    if (name === undefined) return {}; // an external reference: unknown, accept anything
    c.refs.add(name);
    const out: JsonSchema = { $ref: defRef(name) };
    if (c.descriptions && typeof n.description === 'string') out.description = n.description;
    return out;
  }
  const wrapped = onlyRefWrapper(n);
  if (wrapped !== undefined) {
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n)) if (k !== 'allOf') rest[k] = v;
    const ref = convertNode({ $ref: wrapped }, c, junctor);
    const restOut = convertNode(rest, c, junctor);
    // The referenced definition is closed on its own; the wrapper's own properties (if any) must not
    // close the object against the definition's.
    if (!('additionalProperties' in rest)) delete restOut.additionalProperties;
    const description = restOut.description;
    delete restOut.description;
    if (Object.keys(restOut).length === 0) {
      if (description !== undefined) ref.description = description;
      return ref;
    }
    restOut.allOf = [ref]; // the same object: CEL rules found on it stay attached
    if (description !== undefined) restOut.description = description;
    return restOut;
  }

  const out: JsonSchema = {};
  let intOrString = n['x-kubernetes-int-or-string'] === true;
  for (const [k, v] of Object.entries(n)) {
    switch (k) {
      case 'properties':
        if (isRecord(v)) {
          const props: Record<string, JsonSchema> = {};
          for (const [name, p] of Object.entries(v)) if (isRecord(p)) props[name] = convertNode(p, c, junctor);
          out.properties = props;
        }
        break;
      case 'items':
        if (isRecord(v)) out.items = convertNode(v, c, junctor);
        else if (Array.isArray(v)) out.items = v.filter(isRecord).map((x) => convertNode(x, c, junctor));
        break;
      case 'additionalProperties':
        if (typeof v === 'boolean') out.additionalProperties = v;
        else if (isRecord(v)) out.additionalProperties = convertNode(v, c, junctor);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        if (Array.isArray(v)) out[k] = v.filter(isRecord).map((x) => convertNode(x, c, true));
        break;
      case 'not':
        if (isRecord(v)) out.not = convertNode(v, c, true);
        break;
      case 'format':
        if (v === 'int-or-string') intOrString = true;
        else if (typeof v === 'string' && CHECKED_FORMATS.has(v)) out.format = v;
        break;
      case 'pattern':
        if (typeof v === 'string') {
          const p = jsPattern(v);
          if (p !== undefined) out.pattern = p;
        }
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        // OpenAPI 3.0 (draft 4) booleans → draft-07 numbers.
        const bound = k === 'exclusiveMinimum' ? n.minimum : n.maximum;
        if (typeof v === 'number') out[k] = v;
        else if (v === true && typeof bound === 'number') out[k] = bound;
        break;
      }
      case 'description':
        if (c.descriptions && typeof v === 'string') out.description = v;
        break;
      case 'x-kubernetes-embedded-resource':
        if (v === true) out[k] = true;
        break;
      case 'x-kubernetes-validations':
        if (Array.isArray(v)) {
          const rules = v.filter(isRecord).filter((r) => typeof r.rule === 'string').map((r) => {
            const rule: CelRule = { rule: r.rule as string };
            if (typeof r.message === 'string') rule.message = r.message;
            if (typeof r.messageExpression === 'string') rule.messageExpression = r.messageExpression;
            if (typeof r.fieldPath === 'string') rule.fieldPath = r.fieldPath;
            if (typeof r.reason === 'string') rule.reason = r.reason;
            return rule;
          });
          if (rules.length && !junctor) c.cel.set(out, rules);
        }
        break;
      default:
        if (COPIED.has(k)) out[k] = v;
      // everything else (nullable, default, example, x-kubernetes-list-type, patch strategies, …) says
      // nothing the validator checks: nulls are dropped before validation, as the API server prunes them.
    }
  }
  // exclusive bounds replaced their inclusive partner
  if (typeof out.exclusiveMinimum === 'number' && n.exclusiveMinimum === true) delete out.minimum;
  if (typeof out.exclusiveMaximum === 'number' && n.exclusiveMaximum === true) delete out.maximum;
  if (intOrString) {
    out.type = ['integer', 'string'];
    out['x-kubernetes-int-or-string'] = true;
    delete out.anyOf;
    delete out.oneOf;
    delete out.format;
  }
  if (out['x-kubernetes-embedded-resource'] === true) {
    const props = { ...((out.properties as Record<string, JsonSchema> | undefined) ?? {}) };
    props.apiVersion ??= { type: 'string' };
    props.kind ??= { type: 'string' };
    if (!props.metadata) {
      if (c.hasObjectMeta) {
        props.metadata = { $ref: defRef(OPENAPI_OBJECT_META) };
        c.refs.add(OPENAPI_OBJECT_META);
      } else props.metadata = { type: 'object' };
    }
    out.properties = props;
    if (out.type === undefined) out.type = 'object';
  }
  if (!junctor && isRecord(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function gvksOf(def: Record<string, unknown>): GroupVersionKind[] {
  const raw = def['x-kubernetes-group-version-kind'];
  if (!Array.isArray(raw)) return [];
  return raw
    .filter(isRecord)
    .filter((g) => typeof g.version === 'string' && typeof g.kind === 'string')
    .map((g) => ({ group: typeof g.group === 'string' ? g.group : '', version: g.version as string, kind: g.kind as string }));
}

/** Kinds nobody writes in a manifest: lists, and the meta types every group serves (DeleteOptions, WatchEvent, …). */
function isManifestKind(defName: string, def: Record<string, unknown>, kind: string): boolean {
  if (defName.startsWith('io.k8s.apimachinery.pkg.apis.meta.')) return false;
  if (kind.endsWith('List') && isRecord(def.properties) && isRecord(def.properties.items) && (def.properties.items as Record<string, unknown>).type === 'array') return false;
  return true;
}

/** The definitions of a v2 (`definitions`) or v3 (`components.schemas`) document, and its format. */
export function openApiDefinitions(doc: unknown): { format: 'openapi-v2' | 'openapi-v3'; definitions: Record<string, unknown> } | undefined {
  if (!isRecord(doc)) return undefined;
  if (isRecord(doc.components) && isRecord(doc.components.schemas)) return { format: 'openapi-v3', definitions: doc.components.schemas };
  if (isRecord(doc.definitions)) return { format: 'openapi-v2', definitions: doc.definitions };
  return undefined;
}

/**
 * Converts an OpenAPI v2 or v3 document. Throws when `doc` is neither (no `definitions`, no
 * `components.schemas`).
 */
export function convertOpenApi(doc: unknown, opts: ConvertOpenApiOptions = {}): ConvertedOpenApi {
  const found = openApiDefinitions(doc);
  if (!found) throw new Error('not an OpenAPI document: it has neither definitions (v2) nor components.schemas (v3)');
  const raw = found.definitions;
  const cel = new Map<JsonSchema, CelRule[]>();
  const definitions: Record<string, JsonSchema> = {};
  const refsOf = new Map<string, Set<string>>();
  const hasObjectMeta = OPENAPI_OBJECT_META in raw;
  for (const [name, def] of Object.entries(raw)) {
    if (!isRecord(def)) continue;
    const special = SPECIAL_DEFINITIONS[name];
    const c: Ctx = { descriptions: !!opts.descriptions, refs: new Set(), cel, hasObjectMeta };
    definitions[name] = special ? { ...special, ...(opts.descriptions && typeof def.description === 'string' ? { description: def.description } : {}) } : convertNode(def, c, false);
    refsOf.set(name, c.refs);
  }
  // A definition that references one the document does not have: the reference accepts anything.
  for (const refs of refsOf.values()) for (const r of refs) if (!(r in definitions)) definitions[r] = {};

  // Definitions from which a CEL rule can be reached (so that kinds without any skip the walk).
  const celDefs = new Set<string>();
  if (cel.size) {
    for (const [name, d] of Object.entries(definitions)) if (containsCel(d, cel)) celDefs.add(name);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [name, refs] of refsOf) {
        if (celDefs.has(name)) continue;
        for (const r of refs) if (celDefs.has(r)) { celDefs.add(name); changed = true; break; }
      }
    }
  }

  const kinds: OpenApiKind[] = [];
  const seen = new Set<string>();
  for (const [name, def] of Object.entries(raw)) {
    if (!isRecord(def)) continue;
    for (const gvk of gvksOf(def)) {
      if (opts.only && (gvk.group !== opts.only.group || gvk.version !== opts.only.version)) continue;
      if (!isManifestKind(name, def, gvk.kind)) continue;
      const key = gvkKey(gvk);
      if (seen.has(key)) continue;
      seen.add(key);
      const $defs: Record<string, JsonSchema> = {};
      const stack = [name];
      while (stack.length) {
        const d = stack.pop()!;
        if (d in $defs) continue;
        $defs[d] = definitions[d] ?? {};
        for (const r of refsOf.get(d) ?? []) if (!(r in $defs)) stack.push(r);
      }
      const schema: JsonSchema = { $ref: defRef(name), $defs };
      const celRules = celDefs.has(name) ? celRuleSets(definitions, name, cel, celDefs) : [];
      kinds.push({ ...gvk, definition: name, schema, celRules });
    }
  }
  const info = isRecord(doc) && isRecord(doc.info) ? doc.info : undefined;
  const out: ConvertedOpenApi = { format: found.format, definitions, kinds };
  if (typeof info?.version === 'string') out.serverVersion = info.version;
  return out;
}

function containsCel(s: unknown, cel: Map<JsonSchema, CelRule[]>): boolean {
  if (Array.isArray(s)) return s.some((x) => containsCel(x, cel));
  if (!isRecord(s)) return false;
  if (cel.has(s)) return true;
  if (isRecord(s.properties) && Object.values(s.properties).some((p) => containsCel(p, cel))) return true;
  return containsCel(s.items, cel) || containsCel(s.additionalProperties, cel) || containsCel(s.allOf, cel);
}

/** The CEL rule sets of a kind with their paths (`*` for items and map values), as crd.ts makes them. */
function celRuleSets(definitions: Record<string, JsonSchema>, root: string, cel: Map<JsonSchema, CelRule[]>, celDefs: Set<string>): CelRuleSet[] {
  const out: CelRuleSet[] = [];
  const walk = (s: unknown, path: string[], onPath: Set<string>): void => {
    if (!isRecord(s) || path.length > 64) return;
    const rules = cel.get(s);
    if (rules) out.push({ path, rules, schema: s });
    if (typeof s.$ref === 'string') {
      const name = decodePointerName(s.$ref);
      if (name !== undefined && celDefs.has(name) && !onPath.has(name)) walk(definitions[name], path, new Set([...onPath, name]));
    }
    if (Array.isArray(s.allOf)) for (const x of s.allOf) if (isRecord(x) && typeof x.$ref === 'string') walk(x, path, onPath);
    if (isRecord(s.properties)) for (const [k, p] of Object.entries(s.properties)) walk(p, [...path, k], onPath);
    if (isRecord(s.items)) walk(s.items, [...path, '*'], onPath);
    if (isRecord(s.additionalProperties)) walk(s.additionalProperties, [...path, '*'], onPath);
  };
  walk(definitions[root], [], new Set([root]));
  return out;
}

function decodePointerName(ref: string): string | undefined {
  if (!ref.startsWith('#/$defs/')) return undefined;
  return ref.slice('#/$defs/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
}
