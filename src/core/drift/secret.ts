// Secret values are compared by keyed hash and never shown. The key is random per process, so even the
// hashes (which are never put in results either) say nothing about the values.
import { createHmac, randomBytes } from 'node:crypto';

const KEY = randomBytes(32);

/** The marker that replaces a Secret value during comparison. */
export const SECRET_MARK = '\u0000secret:';

/** A keyed hash of the bytes of a Secret value (base64 `data`, or plain `stringData`). */
export function secretDigest(value: unknown, encoding: 'base64' | 'utf8'): string {
  let bytes: Buffer;
  if (typeof value !== 'string') bytes = Buffer.from(JSON.stringify(value ?? null), 'utf8');
  else bytes = encoding === 'base64' ? Buffer.from(value.replace(/\s+/g, ''), 'base64') : Buffer.from(value, 'utf8');
  return SECRET_MARK + createHmac('sha256', KEY).update(bytes).digest('base64url');
}

export function isSecretMark(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(SECRET_MARK);
}

export const MASK_CHANGED = '*** (changed)';
export const MASK_UNCHANGED = '*** (unchanged)';
export const MASK_ADDED = '*** (not in Git)';
export const MASK_MISSING = '*** (not in cluster)';
export const MASK = '***';

export function isSecretKind(group: string, kind: string): boolean {
  return group === '' && kind === 'Secret';
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Secret `data` on two sides of a diff (drift, plan, compare) as masks that say how they compare:
 * `*** (changed)`, `*** (unchanged)`, and for a key only one side has, `onlyIn.a` / `onlyIn.b` when the
 * other side exists (`***` otherwise). Keyed hashes left anywhere else become `***`. In place.
 */
export function maskSecretData(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined, onlyIn: { a?: string; b?: string } = {}): void {
  const ad = isPlainRecord(a?.data) ? a!.data : undefined;
  const bd = isPlainRecord(b?.data) ? b!.data : undefined;
  for (const k of new Set([...Object.keys(ad ?? {}), ...Object.keys(bd ?? {})])) {
    const x = ad?.[k];
    const y = bd?.[k];
    if (ad && x !== undefined) ad[k] = y === undefined ? (b ? onlyIn.a ?? MASK : MASK) : x === y ? MASK_UNCHANGED : MASK_CHANGED;
    if (bd && y !== undefined) bd[k] = x === undefined ? (a ? onlyIn.b ?? MASK : MASK) : x === y ? MASK_UNCHANGED : MASK_CHANGED;
  }
  const scrub = (v: unknown): unknown => {
    if (isSecretMark(v)) return MASK;
    if (Array.isArray(v)) return v.map(scrub);
    if (isPlainRecord(v)) for (const [k, x] of Object.entries(v)) v[k] = scrub(x);
    return v;
  };
  scrub(a);
  scrub(b);
}
