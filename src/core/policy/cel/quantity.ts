// Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`), exact to the nano unit like the API
// server (finer values are rounded up), for the CEL quantity library and for the rules.

export class Quantity {
  /** The value in units of 10^-9. */
  constructor(readonly nanos: bigint, readonly text: string) {}

  compareTo(o: Quantity): number {
    return this.nanos < o.nanos ? -1 : this.nanos > o.nanos ? 1 : 0;
  }

  isInteger(): boolean {
    return this.nanos % NANO === 0n;
  }

  sign(): number {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  asApproximateFloat(): number {
    return Number(this.nanos) / 1e9;
  }

  add(o: Quantity): Quantity {
    const n = this.nanos + o.nanos;
    return new Quantity(n, formatNanos(n));
  }

  sub(o: Quantity): Quantity {
    const n = this.nanos - o.nanos;
    return new Quantity(n, formatNanos(n));
  }

  toString(): string {
    return this.text;
  }
}

const NANO = 1_000_000_000n;
const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function pow10(e: number): bigint {
  return 10n ** BigInt(e);
}

/** Parses a quantity; undefined when it is not one. */
export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY_RE.exec(text.trim());
  if (!m) return undefined;
  const [, signText, num, suffix = ''] = m;
  const [intPart, fracPart = ''] = num.split('.');
  const digits = BigInt((intPart || '0') + fracPart);
  // value = digits / 10^frac * multiplier, in nanos, rounded up (away from zero) like Kubernetes
  let numer = digits * NANO;
  let denom = pow10(fracPart.length);
  if (BINARY[suffix] !== undefined) numer *= BINARY[suffix];
  else {
    const e = suffix === '' || DECIMAL[suffix] !== undefined ? DECIMAL[suffix] : Number(suffix.slice(1));
    if (!Number.isFinite(e) || Math.abs(e) > 100) return undefined;
    if (e >= 0) numer *= pow10(e);
    else denom *= pow10(-e);
  }
  let nanos = numer / denom;
  if (numer % denom !== 0n) nanos += 1n;
  if (signText === '-') nanos = -nanos;
  return new Quantity(nanos, text.trim());
}

function formatNanos(n: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const sign = neg ? '-' : '';
  if (a % NANO === 0n) return `${sign}${a / NANO}`;
  if (a % 1_000_000n === 0n) return `${sign}${a / 1_000_000n}m`;
  if (a % 1000n === 0n) return `${sign}${a / 1000n}u`;
  return `${sign}${a}n`;
}

/** Compares two quantity strings (undefined when either is not a quantity). */
export function compareQuantities(a: string, b: string): number | undefined {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x && y ? x.compareTo(y) : undefined;
}
