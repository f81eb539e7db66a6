// Versions and version ranges as Flux and Argo CD resolve a chart's version: Masterminds semver v3
// (the library both use, through Helm). A range is `||`-separated alternatives of comparators joined
// by spaces or commas: `=`, `!=`, `>`, `<`, `>=`, `<=`, `~` / `~>` (patch-level), `^` (compatible),
// wildcards `x`, `X`, `*` and hyphen ranges `1.2 - 1.4.5`. A pre-release version matches only when
// every comparator written in the alternative names a pre-release too (so `>=2.0.0-0 <2.0.0` allows
// none, as in Masterminds, while `^2.0.0-0` does); the highest matching version wins.

export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
  /** As written (the tag or index entry), to pass back to the tool. */
  original: string;
}

// Masterminds' loose form: an optional v, one to three numeric parts, pre-release and build metadata.
const VERSION_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

export function parseVersion(s: string): Version | undefined {
  const m = VERSION_RE.exec(s.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), prerelease: m[4] ?? '', original: s.trim() };
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  if (!a) return 1; // a release is higher than its pre-releases
  if (!b) return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const na = /^\d+$/.test(pa[i]);
    const nb = /^\d+$/.test(pb[i]);
    if (na && nb) {
      const d = Number(pa[i]) - Number(pb[i]);
      if (d) return Math.sign(d);
    } else if (na !== nb) return na ? -1 : 1;
    else if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: Version, b: Version): number {
  return Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch) || comparePrerelease(a.prerelease, b.prerelease);
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=';
interface Comparator {
  op: Op;
  v: Version;
  /** The bound a `~`, `^` or wildcard implies: Masterminds checks only the written version for pre-releases. */
  implied?: boolean;
}

/** A range: alternatives (OR) of comparators (AND). */
export interface Range {
  alternatives: Comparator[][];
  written: string;
}

const PART = String.raw`(?:v?(?:\d+|[xX*])(?:\.(?:\d+|[xX*]))?(?:\.(?:\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)`;
const COMPARATOR_RE = new RegExp(String.raw`^(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)?\s*(${PART})$`);

interface Partial {
  major?: number;
  minor?: number;
  patch?: number;
  prerelease: string;
}

function parsePartial(s: string): Partial | undefined {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(s);
  if (!m) return undefined;
  const num = (x: string | undefined) => (x === undefined || /^[xX*]$/.test(x) ? undefined : Number(x));
  const major = num(m[1]);
  const minor = major === undefined ? undefined : num(m[2]);
  const patch = minor === undefined ? undefined : num(m[3]);
  return { major, minor, patch, prerelease: m[4] ?? '' };
}

const v = (major: number, minor: number, patch: number, prerelease = ''): Version => ({ major, minor, patch, prerelease, original: `${major}.${minor}.${patch}${prerelease ? `-${prerelease}` : ''}` });

/** The comparators one written comparator stands for. */
function expand(opWritten: string | undefined, p: Partial): Comparator[] {
  const op = opWritten === '=>' ? '>=' : opWritten === '=<' ? '<=' : (opWritten ?? '=');
  const M = p.major ?? 0;
  const m = p.minor ?? 0;
  const pa = p.patch ?? 0;
  const lower = v(M, m, pa, p.prerelease);
  if (p.major === undefined) return op === '<' || op === '>' || op === '!=' ? [{ op: '<', v: v(0, 0, 0) }] : []; // `*`: anything (`<*` nothing)
  switch (op) {
    case '~':
    case '~>': // ~1.2.3 → >=1.2.3 <1.3.0; ~1 → >=1.0.0 <2.0.0
      return [{ op: '>=', v: lower }, { op: '<', v: p.minor === undefined ? v(M + 1, 0, 0) : v(M, m + 1, 0), implied: true }];
    case '^': {
      // ^1.2.3 → <2.0.0; ^0.2.3 → <0.3.0; ^0.0.3 → <0.0.4; ^0 → <1.0.0; ^0.0 → <0.1.0
      let upper: Version;
      if (M > 0 || p.minor === undefined) upper = v(M + 1, 0, 0);
      else if (m > 0 || p.patch === undefined) upper = v(0, m + 1, 0);
      else upper = v(0, 0, pa + 1);
      return [{ op: '>=', v: lower }, { op: '<', v: upper, implied: true }];
    }
    case '=':
      if (p.minor === undefined) return [{ op: '>=', v: lower }, { op: '<', v: v(M + 1, 0, 0), implied: true }];
      if (p.patch === undefined) return [{ op: '>=', v: lower }, { op: '<', v: v(M, m + 1, 0), implied: true }];
      return [{ op: '=', v: lower }];
    case '!=':
      if (p.minor === undefined || p.patch === undefined) return [{ op: '!=', v: lower }]; // approximation of `!=1.x`
      return [{ op: '!=', v: lower }];
    case '>':
      if (p.minor === undefined) return [{ op: '>=', v: v(M + 1, 0, 0) }];
      if (p.patch === undefined) return [{ op: '>=', v: v(M, m + 1, 0) }];
      return [{ op: '>', v: lower }];
    case '<=':
      if (p.minor === undefined) return [{ op: '<', v: v(M + 1, 0, 0) }];
      if (p.patch === undefined) return [{ op: '<', v: v(M, m + 1, 0) }];
      return [{ op: '<=', v: lower }];
    default:
      return [{ op: op as Op, v: lower }];
  }
}

/** Parses a range; undefined when it is not one. */
export function parseRange(written: string): Range | undefined {
  const alternatives: Comparator[][] = [];
  for (const alt of written.split('||')) {
    const text = alt.trim();
    const group: Comparator[] = [];
    if (text === '') {
      alternatives.push(group);
      continue;
    }
    // hyphen ranges first: `1.2 - 1.4.5` → >=1.2.0 <=1.4.5
    const normalized = text.replace(new RegExp(String.raw`(${PART})\s+-\s+(${PART})`, 'g'), '>=$1 <=$2');
    const tokens = normalized.replace(/(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)\s+/g, '$1').split(/[\s,]+/).filter(Boolean);
    for (const t of tokens) {
      const m = COMPARATOR_RE.exec(t);
      if (!m) return undefined;
      const p = parsePartial(m[2]);
      if (!p) return undefined;
      group.push(...expand(m[1], p));
    }
    alternatives.push(group);
  }
  return { alternatives, written };
}

function holds(c: Comparator, x: Version): boolean {
  const d = compareVersions(x, c.v);
  switch (c.op) {
    case '=':
      return d === 0;
    case '!=':
      return d !== 0;
    case '>':
      return d > 0;
    case '<':
      return d < 0;
    case '>=':
      return d >= 0;
    case '<=':
      return d <= 0;
  }
}

export function satisfies(x: Version, r: Range): boolean {
  return r.alternatives.some((group) => {
    // Masterminds: a pre-release is compatible only with comparators that name pre-releases.
    if (x.prerelease && (group.length === 0 || group.some((c) => !c.implied && !c.v.prerelease))) return false;
    return group.every((c) => holds(c, x));
  });
}

/** Is the text one exact version (no operator, no wildcard, all three parts)? */
export function isExactVersion(s: string): boolean {
  return /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(s.trim());
}

/**
 * The highest of `candidates` (as written: index versions or OCI tags) that the range allows; an
 * empty or absent range is `*` (the latest release). Candidates that are no versions are skipped.
 */
export function highestMatching(candidates: readonly string[], range: string | undefined): string | undefined {
  const r = parseRange(range === undefined || range.trim() === '' ? '*' : range);
  if (!r) return undefined;
  let best: Version | undefined;
  for (const c of candidates) {
    // OCI tags cannot hold `+`: Helm pushes build metadata as `_`.
    const x = parseVersion(c.replace(/_/g, '+'));
    if (!x || !satisfies(x, r)) continue;
    if (!best || compareVersions(x, best) > 0) best = { ...x, original: c };
  }
  return best?.original;
}
