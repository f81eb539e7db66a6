// The Kubernetes CEL libraries that @marcbachmann/cel-js lacks, as custom functions:
// quantity, ip/cidr, url, format (named formats and string.format), regex find/findAll,
// lists (isSorted, sum, min, max, indexOf, lastIndexOf + cel-go ext lists), sets, strings
// (charAt, replace, reverse, quote) and semver.
// Kubernetes' reference: k8s.io/apiserver/pkg/cel/library and cel-go's ext package.
import { Optional, type Environment } from '@marcbachmann/cel-js';
import { CIDR, IPAddr, isCanonicalIP, parseCIDR, parseIP } from './net';
import { Quantity, parseQuantity } from './quantity';

class CelURL {
  constructor(
    readonly scheme: string,
    readonly host: string,
    readonly path: string,
    readonly query: string,
  ) {}
}

class Semver {
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string[],
  ) {}
}

class Format {
  constructor(
    readonly name: string,
    readonly validate: (s: string) => string[],
  ) {}
}

class SetsNamespace {}
class StringsNamespace {}
class IPNamespace {}
class FormatNamespace {}

function fail(message: string): never {
  throw new Error(message);
}

// ——— regex (RE2 syntax → JavaScript) ———
const regexCache = new Map<string, RegExp>();
export function re2(pattern: string, global = false): RegExp {
  const key = `${global ? 'g' : ''}:${pattern}`;
  let r = regexCache.get(key);
  if (r) return r;
  let src = pattern;
  let flags = global ? 'gu' : 'u';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const f of m[1]) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  src = src.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$').replace(/\\A/g, '^');
  try {
    r = new RegExp(src, flags);
  } catch {
    try {
      r = new RegExp(src, flags.replace('u', ''));
    } catch {
      fail(`invalid regular expression: ${pattern}`);
    }
  }
  if (regexCache.size > 1000) regexCache.clear();
  regexCache.set(key, r);
  return r;
}

// ——— comparisons for lists ———
function cmp(a: unknown, b: unknown): number {
  if (a instanceof Quantity && b instanceof Quantity) return a.compareTo(b);
  if (a instanceof Semver && b instanceof Semver) return compareSemver(a, b);
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    if (typeof a === typeof b) return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return fail(`values of types ${typeof a} and ${typeof b} cannot be compared`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) return Number(a) === Number(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a instanceof Map || b instanceof Map) return false;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    if (a instanceof Quantity && b instanceof Quantity) return a.nanos === b.nanos;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

// ——— semver ———
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
function parseSemver(s: string, normalize = false): Semver | undefined {
  let t = s;
  if (normalize) {
    t = t.replace(/^v/, '');
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(t);
    if (m) t = `${Number(m[1])}.${Number(m[2] ?? 0)}.${Number(m[3] ?? 0)}${m[4]}`;
  }
  const m = SEMVER_RE.exec(t);
  if (!m) return undefined;
  return new Semver(BigInt(m[1]), BigInt(m[2]), BigInt(m[3]), m[4] ? m[4].split('.') : []);
}
function compareSemver(a: Semver, b: Semver): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (!a.pre.length || !b.pre.length) return a.pre.length === b.pre.length ? 0 : a.pre.length ? -1 : 1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) < Number(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

// ——— url ———
const URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;
function parseURL(s: string): CelURL | undefined {
  if (s.startsWith('/')) {
    const q = s.indexOf('?');
    return new CelURL('', '', q < 0 ? s : s.slice(0, q), q < 0 ? '' : s.slice(q + 1));
  }
  const m = URL_RE.exec(s);
  if (!m || /\s/.test(s)) return undefined;
  const host = m[2] ?? '';
  if (host && !/^(?:[^@]*@)?(?:\[[0-9a-fA-F:.]+\]|[^:[\]]*)(?::\d*)?$/.test(host)) return undefined;
  return new CelURL(m[1], host.replace(/^[^@]*@/, ''), m[3], m[4] ?? '');
}
function hostname(u: CelURL): string {
  const h = u.host;
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'));
  const c = h.lastIndexOf(':');
  return c < 0 ? h : h.slice(0, c);
}
function port(u: CelURL): string {
  const h = u.host;
  const end = h.startsWith('[') ? h.indexOf(']') + 1 : 0;
  const c = h.indexOf(':', end);
  return c < 0 ? '' : h.slice(c + 1);
}
function queryMap(q: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!q) return out;
  for (const part of q.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const dec = (x: string) => {
      try {
        return decodeURIComponent(x.replace(/\+/g, ' '));
      } catch {
        return x;
      }
    };
    const k = dec(eq < 0 ? part : part.slice(0, eq));
    (out[k] ??= []).push(dec(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return out;
}

// ——— named formats (k8s.io/apimachinery validation messages) ———
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUB = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QNAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATETIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
function maxLen(s: string, n: number): string[] {
  return s.length > n ? [`must be no more than ${n} characters`] : [];
}
const label1123 = (s: string) => [...maxLen(s, 63), ...(DNS1123_LABEL.test(s) ? [] : ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"])];
const sub1123 = (s: string) => [...maxLen(s, 253), ...(DNS1123_SUB.test(s) ? [] : ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"])];
const label1035 = (s: string) => [...maxLen(s, 63), ...(DNS1035_LABEL.test(s) ? [] : ["a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"])];
const prefixed = (f: (s: string) => string[]) => (s: string) => f(s.endsWith('-') ? s.slice(0, -1) || 'a' : s);
const FORMATS: Record<string, (s: string) => string[]> = {
  dns1123Label: label1123,
  dns1123Subdomain: sub1123,
  dns1035Label: label1035,
  dns1123LabelPrefix: prefixed(label1123),
  dns1123SubdomainPrefix: prefixed(sub1123),
  dns1035LabelPrefix: prefixed(label1035),
  qualifiedName: (s) => {
    const parts = s.split('/');
    if (parts.length > 2) return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, with an optional DNS subdomain prefix and '/'"];
    const name = parts[parts.length - 1];
    const errs = parts.length === 2 ? (parts[0] ? sub1123(parts[0]).map((e) => `prefix part ${e}`) : ['prefix part must be non-empty']) : [];
    if (!name) errs.push('name part must be non-empty');
    else {
      errs.push(...maxLen(name, 63).map((e) => `name part ${e}`));
      if (!QNAME.test(name)) errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }
    return errs;
  },
  labelValue: (s) => (s === '' ? [] : [...maxLen(s, 63), ...(QNAME.test(s) ? [] : ["a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"])]),
  uri: (s) => (parseURL(s) ? [] : ['invalid URI']),
  uuid: (s) => (UUID.test(s) ? [] : ['does not match the UUID format']),
  byte: (s) => (/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s) ? [] : ['invalid base64']),
  date: (s) => (DATE.test(s) ? [] : ['an RFC 3339 date (2006-01-02) was expected']),
  datetime: (s) => (DATETIME.test(s) ? [] : ['an RFC 3339 date-time (2006-01-02T15:04:05Z) was expected']),
};

// ——— string.format (cel-go ext strings) ———
function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (v instanceof Quantity || v instanceof IPAddr || v instanceof CIDR) return v.toString();
  if (v instanceof Map) return `{${[...v.entries()].map(([k, x]) => `${formatValue(k)}: ${formatValue(x)}`).join(', ')}}`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}}`;
  return String(v);
}
function stringFormat(fmt: string, args: unknown[]): string {
  let i = 0;
  return fmt.replace(/%(?:\.(\d+))?([sdfeboxX%])/g, (_m, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (i >= args.length) fail(`index ${i} out of range`);
    const a = args[i++];
    const num = () => (typeof a === 'bigint' ? a : typeof a === 'number' ? a : fail(`%${verb} needs a number`));
    switch (verb) {
      case 's':
        return formatValue(a);
      case 'd': {
        const n = num();
        return typeof n === 'bigint' ? n.toString() : Number.isInteger(n) ? n.toFixed(0) : fail('%d needs an integer');
      }
      case 'f':
        return Number(num()).toFixed(prec === undefined ? 6 : Number(prec));
      case 'e':
        return Number(num()).toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([+-])(\d)$/, 'e$10$2');
      case 'b':
        return typeof a === 'boolean' ? String(a) : BigInt(num()).toString(2);
      case 'o':
        return BigInt(num()).toString(8);
      case 'x':
      case 'X': {
        const s = typeof a === 'string' ? Buffer.from(a, 'utf8').toString('hex') : a instanceof Uint8Array ? Buffer.from(a).toString('hex') : BigInt(num()).toString(16);
        return verb === 'X' ? s.toUpperCase() : s;
      }
    }
    return '';
  });
}

const int = (n: number | bigint) => BigInt(n);

/** Registers the Kubernetes CEL library on an environment (before it is cloned). */
export function registerKubernetesLibrary(env: Environment): void {
  const fn = (sig: string, handler: (...args: never[]) => unknown) => env.registerFunction(sig, handler as (...args: unknown[]) => unknown);
  env.registerType('Quantity', Quantity);
  env.registerType('IP', IPAddr);
  env.registerType('CIDR', CIDR);
  env.registerType('URL', CelURL);
  env.registerType('Semver', Semver);
  env.registerType('Format', Format);
  env.registerType('SetsNamespace', SetsNamespace);
  env.registerType('StringsNamespace', StringsNamespace);
  env.registerType('IPNamespace', IPNamespace);
  env.registerType('FormatNamespace', FormatNamespace);
  const eq = (type: string, same: (a: never, b: never) => boolean) => {
    env.registerOperator(`${type} == ${type}`, same as (a: unknown, b: unknown) => boolean);
  };
  eq('Quantity', (a: Quantity, b: Quantity) => a.nanos === b.nanos);
  eq('IP', (a: IPAddr, b: IPAddr) => a.family === b.family && a.value === b.value);
  eq('CIDR', (a: CIDR, b: CIDR) => a.prefix === b.prefix && a.ip.family === b.ip.family && a.ip.value === b.ip.value);
  eq('URL', (a: CelURL, b: CelURL) => a.scheme === b.scheme && a.host === b.host && a.path === b.path && a.query === b.query);
  eq('Semver', (a: Semver, b: Semver) => compareSemver(a, b) === 0);
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace());
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace());
  env.registerConstant('ip', 'IPNamespace', new IPNamespace());
  env.registerConstant('format', 'FormatNamespace', new FormatNamespace());

  // quantity
  const q = (s: string) => parseQuantity(s) ?? fail(`invalid quantity: ${s}`);
  fn('isQuantity(string): bool', (s: string) => parseQuantity(s) !== undefined);
  fn('quantity(string): Quantity', q);
  fn('Quantity.isInteger(): bool', (a: Quantity) => a.isInteger());
  fn('Quantity.asInteger(): int', (a: Quantity) => {
    if (!a.isInteger()) fail('cannot convert value to integer: it has a fractional part');
    const v = a.nanos / 1_000_000_000n;
    if (v > 9223372036854775807n || v < -9223372036854775808n) fail('cannot convert value to integer: it overflows int64');
    return v;
  });
  fn('Quantity.asApproximateFloat(): double', (a: Quantity) => a.asApproximateFloat());
  fn('Quantity.sign(): int', (a: Quantity) => int(a.sign()));
  fn('Quantity.add(Quantity): Quantity', (a: Quantity, b: Quantity) => a.add(b));
  fn('Quantity.add(int): Quantity', (a: Quantity, b: bigint) => a.add(new Quantity(b * 1_000_000_000n, String(b))));
  fn('Quantity.sub(Quantity): Quantity', (a: Quantity, b: Quantity) => a.sub(b));
  fn('Quantity.sub(int): Quantity', (a: Quantity, b: bigint) => a.sub(new Quantity(b * 1_000_000_000n, String(b))));
  fn('Quantity.isGreaterThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compareTo(b) > 0);
  fn('Quantity.isLessThan(Quantity): bool', (a: Quantity, b: Quantity) => a.compareTo(b) < 0);
  fn('Quantity.compareTo(Quantity): int', (a: Quantity, b: Quantity) => int(a.compareTo(b)));

  // ip / cidr
  const ipOf = (s: string) => parseIP(s) ?? fail(`IP Address '${s}' parse error during conversion from string`);
  const cidrOf = (s: string) => parseCIDR(s) ?? fail(`network address parse error during conversion from string: '${s}'`);
  fn('isIP(string): bool', (s: string) => parseIP(s) !== undefined);
  fn('ip(string): IP', ipOf);
  fn('IPNamespace.isCanonical(string): bool', (_ns: IPNamespace, s: string) => {
    ipOf(s);
    return isCanonicalIP(s);
  });
  fn('IP.family(): int', (a: IPAddr) => int(a.family));
  fn('IP.isUnspecified(): bool', (a: IPAddr) => a.isUnspecified());
  fn('IP.isLoopback(): bool', (a: IPAddr) => a.isLoopback());
  fn('IP.isLinkLocalMulticast(): bool', (a: IPAddr) => a.isLinkLocalMulticast());
  fn('IP.isLinkLocalUnicast(): bool', (a: IPAddr) => a.isLinkLocalUnicast());
  fn('IP.isGlobalUnicast(): bool', (a: IPAddr) => a.isGlobalUnicast());
  fn('string(IP): string', (a: IPAddr) => a.toString());
  fn('isCIDR(string): bool', (s: string) => parseCIDR(s) !== undefined);
  fn('cidr(string): CIDR', cidrOf);
  fn('CIDR.containsIP(IP): bool', (c: CIDR, a: IPAddr) => c.containsIP(a));
  fn('CIDR.containsIP(string): bool', (c: CIDR, a: string) => c.containsIP(ipOf(a)));
  fn('CIDR.containsCIDR(CIDR): bool', (c: CIDR, a: CIDR) => c.containsCIDR(a));
  fn('CIDR.containsCIDR(string): bool', (c: CIDR, a: string) => c.containsCIDR(cidrOf(a)));
  fn('CIDR.ip(): IP', (c: CIDR) => c.ip);
  fn('CIDR.masked(): CIDR', (c: CIDR) => c.masked());
  fn('CIDR.prefixLength(): int', (c: CIDR) => int(c.prefix));
  fn('string(CIDR): string', (c: CIDR) => c.toString());

  // url
  fn('isURL(string): bool', (s: string) => parseURL(s) !== undefined);
  fn('url(string): URL', (s: string) => parseURL(s) ?? fail(`URL parse error during conversion from string: ${s}`));
  fn('URL.getScheme(): string', (u: CelURL) => u.scheme);
  fn('URL.getHost(): string', (u: CelURL) => u.host);
  fn('URL.getHostname(): string', (u: CelURL) => hostname(u));
  fn('URL.getPort(): string', (u: CelURL) => port(u));
  fn('URL.getEscapedPath(): string', (u: CelURL) => u.path);
  fn('URL.getQuery(): map<string, list<string>>', (u: CelURL) => queryMap(u.query));

  // regex
  fn('string.find(string): string', (s: string, p: string) => re2(p).exec(s)?.[0] ?? '');
  fn('string.findAll(string): list<string>', (s: string, p: string) => [...s.matchAll(re2(p, true))].map((m) => m[0]));
  fn('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => {
    const all = [...s.matchAll(re2(p, true))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  });

  // lists (Kubernetes library)
  fn('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || cmp(l[i - 1], x) <= 0));
  fn('list.sum(): dyn', (l: unknown[]) => {
    if (!l.length) return 0n;
    if (l.every((x) => typeof x === 'bigint')) return (l as bigint[]).reduce((a, b) => a + b, 0n);
    if (l.every((x) => typeof x === 'number')) return (l as number[]).reduce((a, b) => a + b, 0);
    if (l.every((x) => x instanceof Quantity)) return (l as Quantity[]).reduce((a, b) => a.add(b));
    return fail('sum() needs a list of int, double or quantity');
  });
  const extreme = (l: unknown[], sign: number) => (l.length ? l.reduce((a, b) => (cmp(b, a) * sign > 0 ? b : a)) : fail(`${sign > 0 ? 'max' : 'min'}() of an empty list`));
  fn('list.min(): dyn', (l: unknown[]) => extreme(l, -1));
  fn('list.max(): dyn', (l: unknown[]) => extreme(l, 1));
  fn('list<T>.indexOf(T): int', (l: unknown[], v: unknown) => int(l.findIndex((x) => deepEqual(x, v))));
  fn('list<T>.lastIndexOf(T): int', (l: unknown[], v: unknown) => {
    for (let i = l.length - 1; i >= 0; i--) if (deepEqual(l[i], v)) return int(i);
    return -1n;
  });
  // cel-go ext lists
  fn('list.slice(int, int): list', (l: unknown[], a: bigint, b: bigint) => {
    if (a < 0n || b < a || b > BigInt(l.length)) fail(`cannot slice(${a}, ${b}) a list of size ${l.length}`);
    return l.slice(Number(a), Number(b));
  });
  fn('list.flatten(): list', (l: unknown[]) => l.flatMap((x) => (Array.isArray(x) ? x : [x])));
  fn('list.flatten(int): list', (l: unknown[], d: bigint) => l.flat(Number(d)));
  fn('list.distinct(): list', (l: unknown[]) => l.filter((x, i) => l.findIndex((y) => deepEqual(x, y)) === i));
  fn('list.sort(): list', (l: unknown[]) => [...l].sort(cmp));
  fn('list.reverse(): list', (l: unknown[]) => [...l].reverse());

  // sets
  const has = (l: unknown[], v: unknown) => l.some((x) => deepEqual(x, v));
  fn('SetsNamespace.contains(list, list): bool', (_s: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)));
  fn('SetsNamespace.equivalent(list, list): bool', (_s: SetsNamespace, a: unknown[], b: unknown[]) => b.every((x) => has(a, x)) && a.every((x) => has(b, x)));
  fn('SetsNamespace.intersects(list, list): bool', (_s: SetsNamespace, a: unknown[], b: unknown[]) => b.some((x) => has(a, x)));

  // strings (cel-go ext strings)
  fn('string.charAt(int): string', (s: string, i: bigint) => {
    const cps = [...s];
    if (i < 0n || i > BigInt(cps.length)) fail(`index out of range: ${i}`);
    return cps[Number(i)] ?? '';
  });
  fn('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  fn('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    if (n < 0n) return s.split(a).join(b);
    let out = s;
    let from = 0;
    for (let k = 0n; k < n; k++) {
      const at = out.indexOf(a, from);
      if (at < 0) break;
      out = out.slice(0, at) + b + out.slice(at + a.length);
      from = at + b.length;
    }
    return out;
  });
  fn('string.reverse(): string', (s: string) => [...s].reverse().join(''));
  fn('string.format(list): string', (s: string, args: unknown[]) => stringFormat(s, args));
  fn('StringsNamespace.quote(string): string', (_n: StringsNamespace, s: string) => JSON.stringify(s));

  // named formats
  for (const name of Object.keys(FORMATS)) fn(`FormatNamespace.${name}(): Format`, () => new Format(name, FORMATS[name]));
  fn('FormatNamespace.named(string): optional<Format>', (_n: FormatNamespace, name: string) => (FORMATS[name] ? Optional.of(new Format(name, FORMATS[name])) : Optional.none()));
  fn('Format.validate(string): optional<list<string>>', (f: Format, s: string) => {
    const errs = f.validate(s);
    return errs.length ? Optional.of(errs) : Optional.none();
  });

  // semver
  fn('isSemver(string): bool', (s: string) => parseSemver(s) !== undefined);
  fn('isSemver(string, bool): bool', (s: string, n: boolean) => parseSemver(s, n) !== undefined);
  fn('semver(string): Semver', (s: string) => parseSemver(s) ?? fail(`invalid semver: ${s}`));
  fn('semver(string, bool): Semver', (s: string, n: boolean) => parseSemver(s, n) ?? fail(`invalid semver: ${s}`));
  fn('Semver.major(): int', (v: Semver) => v.major);
  fn('Semver.minor(): int', (v: Semver) => v.minor);
  fn('Semver.patch(): int', (v: Semver) => v.patch);
  fn('Semver.isLessThan(Semver): bool', (a: Semver, b: Semver) => compareSemver(a, b) < 0);
  fn('Semver.isGreaterThan(Semver): bool', (a: Semver, b: Semver) => compareSemver(a, b) > 0);
  fn('Semver.compareTo(Semver): int', (a: Semver, b: Semver) => int(compareSemver(a, b)));
}

/** What the Kubernetes CEL environment offers here, and what it does not (reported to users). */
export const CEL_LIBRARY = Object.freeze({
  builtIn: ['CEL standard library (cel-js 8): macros has/all/exists/exists_one/map/filter, cel.bind, optional types (.?field, optional.*), strings (contains, startsWith, endsWith, matches, indexOf, lastIndexOf, lowerAscii, upperAscii, split, substring, trim, join), timestamps, durations'],
  added: [
    'quantity: isQuantity, quantity, isInteger, asInteger, asApproximateFloat, sign, add, sub, isGreaterThan, isLessThan, compareTo',
    'ip: isIP, ip, ip.isCanonical, family, isUnspecified, isLoopback, isLinkLocalMulticast, isLinkLocalUnicast, isGlobalUnicast, string(ip)',
    'cidr: isCIDR, cidr, containsIP, containsCIDR, ip, masked, prefixLength, string(cidr)',
    'url: isURL, url, getScheme, getHost, getHostname, getPort, getEscapedPath, getQuery',
    'regex: find, findAll',
    'lists: isSorted, sum, min, max, indexOf, lastIndexOf; ext: slice, flatten, distinct, sort, reverse',
    'sets: sets.contains, sets.equivalent, sets.intersects',
    'strings: charAt, replace, reverse, format, strings.quote',
    'format: format.dns1123Label … format.datetime, format.named, Format.validate',
    'semver: isSemver, semver, major, minor, patch, isLessThan, isGreaterThan, compareTo',
  ],
  missing: [
    'authorizer (authz library): needs the cluster; expressions using it fail to compile and are reported',
    'two-variable comprehensions (all(i, v, …), transformList, transformMap)',
    'int/double cross-type comparisons (1 == 1.0): cel-js rejects them',
    'regex semantics are JavaScript RegExp (backtracking), not RE2: matches() compiles JavaScript patterns and a pathological one is not stopped by the budget',
    'cost estimation at compile time (Kubernetes rejects expensive expressions statically); here a runtime step/time budget stops them',
    'list concatenation size is not metered (only evaluation steps are)',
  ],
});
