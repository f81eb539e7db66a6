// Flux's postBuild variable substitution (kustomize-controller, fluxcd/pkg envsubst): `${VAR}` and the
// shell-like operators inside braces; a bare `$VAR` is text; `$$` writes one `$` (so `$${VAR}` stays
// `${VAR}`). Unset variables become empty (strict mode is off by default). A variable whose value
// comes from a Secret is *unknown*: the whole `${…}` expression is kept as written and reported.
// Variable names must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$, as Flux checks.

export const VAR_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** A variable's value, `unknown` (from a Secret: never shown), or undefined (not set). */
export type Lookup = (name: string) => string | 'unknown' | undefined;

export class SubstitutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubstitutionError';
  }
}

interface Result {
  text: string;
  /** Names of unknown variables left in place, in order of appearance. */
  unknown: string[];
}

/** Substitutes `${…}` expressions in `text` as Flux does; throws SubstitutionError on a bad expression. */
export function envsubst(text: string, lookup: Lookup): Result {
  const unknown: string[] = [];
  const p = new Parser(text, lookup, unknown);
  return { text: p.run(), unknown };
}

class Parser {
  private pos = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly unknown: string[],
  ) {}

  run(): string {
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === '$' && this.s[this.pos + 1] === '{') {
        out += this.expression();
      } else if (c === '$' && this.s[this.pos + 1] === '$') {
        out += '$';
        this.pos += 2;
      } else {
        out += c;
        this.pos++;
      }
    }
    return out;
  }

  /** At `${`: evaluates one expression (nested ones in its arguments too) and returns its text. */
  private expression(): string {
    const start = this.pos;
    this.pos += 2;
    const value = this.func();
    return value === UNKNOWN ? this.s.slice(start, this.pos) : value;
  }

  private fail(what: string): never {
    throw new SubstitutionError(`variable substitution failed: ${what} at offset ${this.pos}`);
  }

  private peek(): string | undefined {
    return this.s[this.pos];
  }

  private func(): string | typeof UNKNOWN {
    if (this.peek() === '#') {
      this.pos++;
      const name = this.ident();
      this.closing();
      const v = this.value(name);
      return v === UNKNOWN ? v : String([...(v ?? '')].length);
    }
    const name = this.ident();
    const c = this.peek();
    if (c === '}') {
      this.pos++;
      const v = this.value(name);
      return v === UNKNOWN ? v : (v ?? '');
    }
    let op: string;
    if (c === ':' && '=-?+'.includes(this.s[this.pos + 1] ?? '')) {
      op = this.s.slice(this.pos, this.pos + 2);
      this.pos += 2;
    } else if (c === '=' || c === '-' || c === '?' || c === '+') {
      op = c;
      this.pos++;
    } else if (c === ',' || c === '^') {
      op = this.s[this.pos + 1] === c ? c + c : c;
      this.pos += op.length;
      this.closing();
      const v = this.value(name);
      if (v === UNKNOWN) return v;
      const s = v ?? '';
      if (op === ',') return s.charAt(0).toLowerCase() + s.slice(1);
      if (op === ',,') return s.toLowerCase();
      if (op === '^') return s.charAt(0).toUpperCase() + s.slice(1);
      return s.toUpperCase();
    } else if (c === '#' || c === '%') {
      op = this.s[this.pos + 1] === c ? c + c : c;
      this.pos += op.length;
      const arg = this.args('}');
      const v = this.value(name);
      if (v === UNKNOWN || arg === UNKNOWN) return UNKNOWN;
      return trim(v ?? '', op, arg);
    } else if (c === '/') {
      const next = this.s[this.pos + 1];
      op = next === '/' || next === '#' || next === '%' ? '/' + next : '/';
      this.pos += op.length;
      const pattern = this.args('/');
      let replacement: string | typeof UNKNOWN = '';
      if (this.peek() === '/') {
        this.pos++;
        replacement = this.args('}');
      } else this.closing();
      const v = this.value(name);
      if (v === UNKNOWN || pattern === UNKNOWN || replacement === UNKNOWN) return UNKNOWN;
      return replace(v ?? '', op, pattern, replacement);
    } else if (c === ':') {
      this.pos++;
      const off = this.args(':}');
      let len: string | typeof UNKNOWN | undefined;
      if (this.peek() === ':') {
        this.pos++;
        len = this.args('}');
      } else this.closing();
      const v = this.value(name);
      if (v === UNKNOWN || off === UNKNOWN || len === UNKNOWN) return UNKNOWN;
      return substr(v ?? '', off, len);
    } else {
      return this.fail('bad substitution');
    }
    // default family: each part of the word is an argument; Flux uses the word only when it is one part
    const parts: Array<string | typeof UNKNOWN> = [];
    while (this.peek() !== '}') {
      if (this.pos >= this.s.length) this.fail('missing closing brace');
      if (this.peek() === '$' && this.s[this.pos + 1] === '{') {
        this.pos += 2;
        parts.push(this.func());
      } else {
        let t = '';
        while (this.pos < this.s.length && this.peek() !== '}' && !(this.peek() === '$' && this.s[this.pos + 1] === '{')) {
          if (this.peek() === '\\' && (this.s[this.pos + 1] === '\\' || this.s[this.pos + 1] === '/')) this.pos++;
          else if (this.peek() === '$' && this.s[this.pos + 1] === '$') this.pos++;
          t += this.s[this.pos++];
        }
        parts.push(t);
      }
    }
    this.pos++;
    const v = this.value(name);
    if (v === UNKNOWN) return UNKNOWN;
    const s = v ?? '';
    if (s.length === 0 && parts.length === 1) return parts[0];
    return s;
  }

  /** An argument up to one of `stops` (not consumed), with nested `${…}` evaluated. */
  private args(stops: string): string | typeof UNKNOWN {
    let out = '';
    let unknown = false;
    while (this.pos < this.s.length && !stops.includes(this.peek()!)) {
      if (this.peek() === '$' && this.s[this.pos + 1] === '{') {
        this.pos += 2;
        const v = this.func();
        if (v === UNKNOWN) unknown = true;
        else out += v;
        continue;
      }
      if (this.peek() === '\\' && (this.s[this.pos + 1] === '\\' || this.s[this.pos + 1] === '/')) this.pos++;
      else if (this.peek() === '$' && this.s[this.pos + 1] === '$') this.pos++;
      out += this.s[this.pos++];
    }
    if (this.pos >= this.s.length) this.fail('missing closing brace');
    if (stops === '}') this.pos++;
    return unknown ? UNKNOWN : out;
  }

  private ident(): string {
    const m = /^[\p{L}\p{N}_]+/u.exec(this.s.slice(this.pos));
    if (!m) this.fail('unable to parse variable name');
    this.pos += m[0].length;
    return m[0];
  }

  private closing(): void {
    if (this.peek() !== '}') this.fail(this.pos >= this.s.length ? 'missing closing brace' : 'bad substitution');
    this.pos++;
  }

  private value(name: string): string | undefined | typeof UNKNOWN {
    const v = this.lookup(name);
    if (v === 'unknown') {
      this.unknown.push(name);
      return UNKNOWN;
    }
    return v;
  }
}

const UNKNOWN = Symbol('unknown');

function globToRegExp(glob: string, greedy: boolean): string {
  let r = '';
  for (const ch of glob) {
    if (ch === '*') r += greedy ? '.*' : '.*?';
    else if (ch === '?') r += '.';
    else r += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return r;
}

function trim(s: string, op: string, pattern: string): string {
  const greedy = op.length === 2;
  if (op[0] === '#') {
    const m = new RegExp(`^(?:${globToRegExp(pattern, greedy)})`, 's').exec(s);
    return m ? s.slice(m[0].length) : s;
  }
  // suffix: the shortest (or longest) match that ends the string
  const re = new RegExp(`^(?:${globToRegExp(pattern, true)})$`, 's');
  if (greedy) {
    for (let i = 0; i <= s.length; i++) if (re.test(s.slice(i))) return s.slice(0, i);
  } else {
    for (let i = s.length; i >= 0; i--) if (re.test(s.slice(i))) return s.slice(0, i);
  }
  return s;
}

function replace(s: string, op: string, pattern: string, replacement: string): string {
  if (op === '/#') return s.startsWith(pattern) ? replacement + s.slice(pattern.length) : s;
  if (op === '/%') return s.endsWith(pattern) ? s.slice(0, s.length - pattern.length) + replacement : s;
  if (op === '//') return pattern === '' ? s : s.split(pattern).join(replacement);
  const i = pattern === '' ? -1 : s.indexOf(pattern);
  return i < 0 ? s : s.slice(0, i) + replacement + s.slice(i + pattern.length);
}

function substr(s: string, off: string, len: string | undefined): string {
  const chars = [...s];
  let start = Number.parseInt(off.trim(), 10);
  if (Number.isNaN(start)) start = 0;
  if (start < 0) start = Math.max(0, chars.length + start);
  if (start > chars.length) return '';
  if (len === undefined) return chars.slice(start).join('');
  let n = Number.parseInt(len.trim(), 10);
  if (Number.isNaN(n)) n = 0;
  const end = n < 0 ? chars.length + n : start + n;
  return chars.slice(start, Math.max(start, Math.min(end, chars.length))).join('');
}
