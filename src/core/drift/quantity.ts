// Kubernetes resource quantities in one canonical form, exactly (bigint arithmetic, no floats):
// `100m` == `0.1`, `1Gi` == `1024Mi` == `1073741824`, `1000m` == `1` == `1e3m`, `0.5` == `500m`.

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** An exact quantity: `mantissa × 10^exponent`, with the mantissa not divisible by 10 (or 0). */
export interface ExactQuantity {
  mantissa: bigint;
  exponent: number;
}

/** Parses `500m`, `0.5`, `1Gi`, `1e3`, or a number; undefined when it is not a quantity. */
export function parseQuantity(value: unknown): ExactQuantity | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'string') text = value.trim();
  else return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, number, suffix = ''] = m;
  const [int, frac = ''] = number.split('.');
  let mantissa = BigInt((int || '0') + frac);
  let exponent = -frac.length;
  if (suffix in BINARY) mantissa *= BINARY[suffix];
  else if (suffix in DECIMAL) exponent += DECIMAL[suffix];
  else exponent += Number(suffix.slice(1)); // e/E exponent
  if (sign === '-') mantissa = -mantissa;
  if (mantissa === 0n) return { mantissa: 0n, exponent: 0 };
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  return { mantissa, exponent };
}

/** A canonical text for equal quantities (`5e-1` for `500m`), or undefined when not a quantity. */
export function canonicalQuantity(value: unknown): string | undefined {
  const q = parseQuantity(value);
  return q ? `${q.mantissa}e${q.exponent}` : undefined;
}

export function sameQuantity(a: unknown, b: unknown): boolean {
  const x = canonicalQuantity(a);
  return x !== undefined && x === canonicalQuantity(b);
}
