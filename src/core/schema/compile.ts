// One ajv instance per Kubernetes version: the bundled definitions are added by name (not compiled);
// a kind's validator is compiled on first use and cached by the registry. Large subschemas that are
// written out inline (a CRD embeds whole Kubernetes types: a Container, a PodSpec, a
// PersistentVolumeClaim, often several times and in several CRDs) are compiled once: compileSchema
// replaces each by a reference to one shared copy (see SharedSubschemas).
import Ajv, { type ValidateFunction } from 'ajv';
import type { JsonSchema } from './types';

/** Kubernetes resource.Quantity: a signed decimal with an optional SI, binary-SI or exponent suffix. */
export const QUANTITY_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATE_TIME_RE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

export const FORMAT_HINTS: Record<string, string> = {
  quantity: 'a quantity such as 500m, 128Mi, 1.5 or 2Gi',
  int32: 'a 32-bit integer (-2147483648 … 2147483647)',
  int64: 'a 64-bit integer',
  byte: 'base64-encoded data',
  'date-time': 'an RFC 3339 date-time such as 2024-01-31T12:00:00Z',
};

export function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    verbose: true, // errors carry their schema and parentSchema (enum values, property names)
    validateSchema: false,
    addUsedSchema: false,
    unicodeRegExp: false,
    code: { optimize: false },
    inlineRefs: false,
  });
  ajv.addFormat('quantity', { type: 'string', validate: (s: string) => QUANTITY_RE.test(s) });
  ajv.addFormat('byte', { type: 'string', validate: (s: string) => BASE64_RE.test(s.replace(/[\r\n]/g, '')) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => DATE_TIME_RE.test(s) });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -2147483648 && n <= 2147483647 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isFinite(n) && Math.abs(n) <= 9223372036854775807 });
  for (const f of ['double', 'float', 'int-or-string', 'string']) ajv.addFormat(f, true);
  return ajv;
}

/** Adds named definitions (referenced as `{ $ref: "<name>" }`). */
export function addDefinitions(ajv: Ajv, defs: Record<string, JsonSchema>): void {
  for (const [name, schema] of Object.entries(defs)) ajv.addSchema(schema, name);
}

export function compileSchema(ajv: Ajv, schema: JsonSchema): ValidateFunction {
  let shared = sharedByAjv.get(ajv);
  if (!shared) sharedByAjv.set(ajv, (shared = new SharedSubschemas(ajv)));
  return ajv.compile(shared.hoist(schema));
}

const sharedByAjv = new WeakMap<Ajv, SharedSubschemas>();

/** How many distinct large subschemas compileSchema has shared so far on this ajv instance. */
export function sharedSubschemaCount(ajv: Ajv): number {
  return sharedByAjv.get(ajv)?.count ?? 0;
}

/** Subschemas with fewer nodes stay inline (a reference costs a call per validated value). */
const HOIST_MIN_NODES = 48;
/** Keywords whose value is a map of schemas, one schema, or a list of schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_ONE = new Set(['additionalProperties', 'items', 'additionalItems', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems']);
const SCHEMA_LIST = new Set(['allOf', 'anyOf', 'oneOf', 'items', 'prefixItems']);
/** Keywords below which errors are read by their schema path (messages.ts folds anyOf/oneOf branch errors): never hoisted. */
const JUNCTORS = new Set(['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else']);

interface Walked {
  node: unknown;
  /** Id of the node's canonical form (equal ids: equal schemas). */
  id: number;
  nodes: number;
  /** Holds a `#…` reference (relative to its document): must stay where it is. */
  local: boolean;
}

/**
 * Hash-consing of the subschemas compiled by one ajv instance: every subschema gets the id of its
 * canonical form (keys sorted, children by id), so equal subschemas are found in linear time, in
 * one kind's schema and across kinds. A large one (≥ HOIST_MIN_NODES nodes, no local `#` reference,
 * not inside allOf/anyOf/oneOf/not) is added to ajv once under a generated name and replaced by a
 * `$ref` to it: ajv compiles it on first use, once. Validation and its errors are unchanged (the
 * instance paths are those of the data; `parentSchema` is an equal schema).
 */
class SharedSubschemas {
  private readonly ids = new Map<string, number>();
  private readonly added = new Set<number>();
  constructor(private readonly ajv: Ajv) {}

  get count(): number {
    return this.added.size;
  }

  hoist(schema: JsonSchema): JsonSchema {
    return this.schema(schema, true, false).node as JsonSchema;
  }

  private idOf(canon: string): number {
    let id = this.ids.get(canon);
    if (id === undefined) this.ids.set(canon, (id = this.ids.size));
    return id;
  }

  private schema(s: unknown, root: boolean, junctor: boolean): Walked {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) return { node: s, id: this.idOf(`=${JSON.stringify(s)}`), nodes: 1, local: false };
    const src = s as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const parts: string[] = [];
    let nodes = 1;
    let local = typeof src.$ref === 'string' && src.$ref.startsWith('#');
    for (const k of Object.keys(src).sort()) {
      const v = src[k];
      let w: Walked;
      if (SCHEMA_MAPS.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const m: Record<string, unknown> = {};
        const ps: string[] = [];
        let n = 0;
        let l = false;
        for (const pk of Object.keys(v).sort()) {
          const c = this.schema((v as Record<string, unknown>)[pk], false, junctor);
          m[pk] = c.node;
          ps.push(`${JSON.stringify(pk)}:${c.id}`);
          n += c.nodes;
          l ||= c.local;
        }
        w = { node: m, id: this.idOf(`{${ps.join(',')}}`), nodes: n, local: l };
      } else if (SCHEMA_LIST.has(k) && Array.isArray(v)) {
        const items = v.map((x) => this.schema(x, false, junctor || JUNCTORS.has(k)));
        w = { node: items.map((c) => c.node), id: this.idOf(`[${items.map((c) => c.id).join(',')}]`), nodes: items.reduce((n, c) => n + c.nodes, 0), local: items.some((c) => c.local) };
      } else if (SCHEMA_ONE.has(k) && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        w = this.schema(v, false, junctor || JUNCTORS.has(k));
      } else {
        w = { node: v, id: this.idOf(`=${JSON.stringify(v)}`), nodes: 1, local: false };
      }
      out[k] = w.node;
      parts.push(`${JSON.stringify(k)}:${w.id}`);
      nodes += w.nodes;
      local ||= w.local;
    }
    const id = this.idOf(`{${parts.join(',')}}`);
    if (root || junctor || local || nodes < HOIST_MIN_NODES) return { node: out, id, nodes, local };
    const name = `ReconcileSharedSubschema${id}`;
    if (!this.added.has(id)) {
      this.ajv.addSchema(out, name);
      this.added.add(id);
    }
    return { node: { $ref: name }, id, nodes, local };
  }
}
