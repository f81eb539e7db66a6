// One ajv instance per Kubernetes version: the bundled definitions are added by name (not compiled);
// a kind's validator is compiled on first use and cached by the registry.
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
  return ajv.compile(schema);
}
