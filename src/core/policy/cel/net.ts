// IP addresses and CIDRs for the Kubernetes CEL `ip`/`cidr` libraries: parsing like Go's
// netip (no zones, no IPv4-mapped IPv6 for ip()), canonical text, and the usual predicates.

export class IPAddr {
  constructor(
    readonly family: 4 | 6,
    readonly value: bigint,
  ) {}

  get bits(): number {
    return this.family === 4 ? 32 : 128;
  }

  toString(): string {
    return formatIP(this.family, this.value);
  }

  isUnspecified(): boolean {
    return this.value === 0n;
  }

  isLoopback(): boolean {
    return this.family === 4 ? this.value >> 24n === 127n : this.value === 1n;
  }

  isLinkLocalMulticast(): boolean {
    return this.family === 4 ? this.value >> 8n === 0xe00000n : this.value >> 112n === 0xff02n;
  }

  isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.value >> 16n === 0xa9fen : this.value >> 118n === 0x3fan;
  }

  isGlobalUnicast(): boolean {
    if (this.isUnspecified() || this.isLoopback() || this.isLinkLocalUnicast() || this.isLinkLocalMulticast()) return false;
    if (this.family === 4) return this.value !== 0xffffffffn && this.value >> 28n !== 0xen;
    return this.value >> 120n !== 0xffn;
  }
}

export class CIDR {
  constructor(
    readonly ip: IPAddr,
    readonly prefix: number,
  ) {}

  toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }

  private mask(): bigint {
    const bits = BigInt(this.ip.bits);
    return this.prefix === 0 ? 0n : ((1n << BigInt(this.prefix)) - 1n) << (bits - BigInt(this.prefix));
  }

  masked(): CIDR {
    return new CIDR(new IPAddr(this.ip.family, this.ip.value & this.mask()), this.prefix);
  }

  containsIP(ip: IPAddr): boolean {
    return ip.family === this.ip.family && (ip.value & this.mask()) === (this.ip.value & this.mask());
  }

  containsCIDR(c: CIDR): boolean {
    return c.ip.family === this.ip.family && c.prefix >= this.prefix && this.containsIP(c.ip);
  }
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (s.includes('%')) return undefined; // zones are not allowed
  let head = s;
  let v4tail: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    v4tail = parseV4(s.slice(lastColon + 1));
    if (v4tail === undefined) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.split('::');
  if (dbl.length > 2) return undefined;
  const left = dbl[0] ? dbl[0].split(':') : [];
  const right = dbl.length === 2 && dbl[1] ? dbl[1].split(':') : [];
  const groups = left.length + right.length;
  if (dbl.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const all = [...left, ...Array(8 - groups).fill('0'), ...right];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (v4tail !== undefined) v = (v & ~0xffffffffn) | v4tail;
  return v;
}

export function parseIP(s: string): IPAddr | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === undefined) return undefined;
    // IPv4-mapped IPv6 addresses are rejected by the Kubernetes library
    if (v >> 32n === 0xffffn) return undefined;
    return new IPAddr(6, v);
  }
  const v = parseV4(s);
  return v === undefined ? undefined : new IPAddr(4, v);
}

export function parseCIDR(s: string): CIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > ip.bits) return undefined;
  return new CIDR(ip, prefix);
}

function formatIP(family: 4 | 6, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** ip.isCanonical: the text is the address's canonical form. */
export function isCanonicalIP(s: string): boolean {
  const ip = parseIP(s);
  return ip !== undefined && ip.toString() === s;
}
