// ajv errors → the engine's messages: a readable path and what was expected, e.g.
// `spec.replicas: expected integer, got string "3"`.
import type { ErrorObject } from 'ajv';
import { FORMAT_HINTS } from './compile';
import { SCHEMA_CODES, type SchemaCode } from './codes';

export type PathSegment = string | number;

/** `['spec','containers',0,'image']` → `spec.containers[0].image`; odd keys are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Decodes an ajv instancePath (JSON pointer) against the value, so array indexes become numbers. */
export function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (!pointer) return [];
  const out: PathSegment[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(key);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(key);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v === 'bigint' ? 'number' : typeof v} ${String(v)}`;
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function shortValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return String(v);
}

function expectedType(t: unknown): string {
  const list = Array.isArray(t) ? t : String(t).split(',');
  const names = list.map((x) => (x === 'object' ? 'a mapping' : x === 'array' ? 'a list' : String(x)));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
}

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

export function closestName(name: string, candidates: readonly string[], maxDistance = Math.max(1, Math.floor(name.length / 3))): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= maxDistance ? best : undefined;
}

export interface MappedError {
  code: SchemaCode;
  message: string;
  /** Path of the node to underline. */
  path: PathSegment[];
  /** Underline the key (unknown field, missing required field) rather than the value. */
  key: boolean;
}

/**
 * One message per ajv error, de-duplicated: a type error hides other errors on the same value, and
 * the branch errors of a failed anyOf/oneOf are folded into it.
 */
export function mapAjvErrors(errors: readonly ErrorObject[], root: unknown, rootName: string): MappedError[] {
  const typeAt = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const branchAt = new Map<string, number>();
  errors.forEach((e, i) => {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') branchAt.set(e.instancePath, i);
  });
  const out: MappedError[] = [];
  const seen = new Set<string>();
  errors.forEach((e, i) => {
    if (e.keyword !== 'type' && typeAt.has(e.instancePath)) return;
    const b = branchAt.get(e.instancePath);
    if (b !== undefined && i < b && /\/(anyOf|oneOf)\//.test(e.schemaPath)) return;
    const path = pointerToPath(e.instancePath, root);
    const where = formatPath(path) || rootName;
    const value = e.data;
    let m: MappedError;
    switch (e.keyword) {
      case 'additionalProperties': {
        const prop = String((e.params as { additionalProperty: string }).additionalProperty);
        const known = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as Record<string, unknown>) ?? {});
        const near = closestName(prop, known);
        m = { code: SCHEMA_CODES.unknownField, message: `${formatPath([...path, prop])}: unknown field${near ? ` (did you mean "${near}"?)` : ''}`, path: [...path, prop], key: true };
        break;
      }
      case 'required': {
        const prop = String((e.params as { missingProperty: string }).missingProperty);
        m = { code: SCHEMA_CODES.required, message: `${where}: missing required field "${prop}"`, path, key: true };
        break;
      }
      case 'type':
        m = { code: SCHEMA_CODES.type, message: `${where}: expected ${expectedType((e.params as { type: unknown }).type)}, got ${describeValue(value)}`, path, key: false };
        break;
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues ?? [];
        m = { code: SCHEMA_CODES.enum, message: `${where}: must be one of ${allowed.map(String).join(', ')} (got ${shortValue(value)})`, path, key: false };
        break;
      }
      case 'const':
        m = { code: SCHEMA_CODES.enum, message: `${where}: must be ${shortValue((e.params as { allowedValue: unknown }).allowedValue)} (got ${shortValue(value)})`, path, key: false };
        break;
      case 'format': {
        const f = String((e.params as { format: string }).format);
        m = { code: SCHEMA_CODES.format, message: `${where}: ${shortValue(value)} is not ${FORMAT_HINTS[f] ?? `a valid ${f}`}`, path, key: false };
        break;
      }
      default:
        m = { code: SCHEMA_CODES.constraint, message: `${where}: ${e.message ?? e.keyword}${value !== undefined && typeof value !== 'object' ? ` (got ${shortValue(value)})` : ''}`, path, key: false };
    }
    const k = `${m.code}|${m.message}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(m);
  });
  return out;
}
